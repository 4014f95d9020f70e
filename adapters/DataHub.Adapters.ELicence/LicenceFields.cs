namespace DataHub.Adapters.ELicence;

/// <summary>
/// Field names of a licence row (SOURCE-FORMATS.md §5.3), v2 first: the national exchange table's
/// fields (up_lic_data), then the camelCase names of the integrated platform where observed
/// (zzeCertID, certState, businessInformation), then the v1 pinyin-initial columns. Only ZZYXQQSRQ and
/// ZZYXQJZRQ of the v1 set are observed; the others follow the same convention [CONV], as do the
/// names marked [CONV].
/// </summary>
internal static class LicenceFields
{
    /// <summary>证照标识 (GB/T 36904), the library's primary key.</summary>
    public static readonly string[] LicenceId = ["certificate_identifier", "zzeCertID", "ZZBS"];
    public static readonly string[] TypeName = ["certificate_type", "ZZLXMC"];
    public static readonly string[] TypeCode = ["certificate_type_code", "ZZLXDM"];
    /// <summary>证照名称: usually the type name; read when the type name is absent.</summary>
    public static readonly string[] CertificateName = ["certificate_name", "ZZMC"];
    /// <summary>证照编号, printed on the licence; the hub's source id is "LIC-" + this.</summary>
    public static readonly string[] Number = ["certificate_number", "ZZBH"];
    public static readonly string[] Holder = ["certificate_holder", "CZZT"];
    public static readonly string[] HolderCode = ["certificate_holder_code", "CZZTDM"];
    public static readonly string[] HolderType = ["certificate_holder_type", "CZZTDMLX"];
    public static readonly string[] IssueDept = ["issue_dept", "ZZBFJG"];
    public static readonly string[] IssueDeptCode = ["issue_dept_code", "ZZBFJGDM"];
    public static readonly string[] IssueDate = ["issue_date", "ZZBFRQ"];
    /// <summary>[CONV] When the licence was issued (签发时间), to the second.</summary>
    public static readonly string[] IssueTime = ["issue_time", "ZZBFSJ"];
    public static readonly string[] ValidFrom = ["valid_from", "ZZYXQQSRQ"];
    public static readonly string[] ValidTo = ["valid_to", "ZZYXQJZRQ"];
    /// <summary>[CONV] The 长期 flag: valid without an end date.</summary>
    public static readonly string[] LongTerm = ["long_term", "SFCQYX"];
    public static readonly string[] Status = ["certificate_status", "certState", "ZZZT"];
    /// <summary>[CONV] Display text beside the status code; written for people, not read.</summary>
    public const string StatusName = "certificate_status_name";
    /// <summary>照面信息: type-specific face data, an object or a JSON string holding one.</summary>
    public static readonly string[] FaceData = ["business_information", "businessInformation", "ZMXX"];
    /// <summary>Keys of the licensed scope inside the face data, by licence type.</summary>
    public static readonly string[] Scope = ["许可范围", "经营项目", "许可项目", "经营范围", "scope"];
    /// <summary>[CONV] Last change of the row in the library.</summary>
    public static readonly string[] UpdateTime = ["update_time", "updateTime", "GXSJ"];
    public const string Synthetic = "synthetic";

    // Served but without a canonical field: 关联证照标识 and 管辖属地.
    public static readonly string[] PreviousLicenceId = ["associated_certificate_identifier", "associatedZzeCertID", "GLZZBS"];
    public static readonly string[] AreaCode = ["certificate_area_code", "ZZSSDDM"];
}
