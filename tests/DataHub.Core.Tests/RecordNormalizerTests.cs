using DataHub.Core.Records;
using DataHub.Schema.V1;
using Google.Protobuf.WellKnownTypes;

namespace DataHub.Core.Tests;

public class RecordNormalizerTests
{
    private static readonly RecordNormalizer Normalizer = new();

    internal static CanonicalRecord Licence(string uscc = "9144030071526726XG", string id = "LIC-1") => new()
    {
        Uscc = uscc,
        Source = "e-licence",
        SourceId = id,
        OccurredAt = Timestamp.FromDateTimeOffset(new DateTimeOffset(2025, 3, 1, 9, 0, 0, TimeSpan.FromHours(8))),
        Licence = new Licence { LicenceNo = "JY1", LicenceType = "食品经营许可证", IssuedOn = "2025/03/01", ValidUntil = "20300228" },
    };

    [Fact]
    public void Dates_in_source_forms_become_ISO_dates()
    {
        var record = Licence();
        Assert.Null(Normalizer.Normalize(record));
        Assert.Equal("2025-03-01", record.Licence.IssuedOn);
        Assert.Equal("2030-02-28", record.Licence.ValidUntil);
    }

    [Fact]
    public void An_impossible_date_is_rejected_naming_the_field()
    {
        var record = Licence();
        record.Licence.ValidUntil = "2025-13-45";
        var rejection = Normalizer.Normalize(record);
        Assert.NotNull(rejection);
        Assert.Equal("INVALID_DATE", rejection.Code);
        Assert.Contains("licence.valid_until", rejection.Message);
    }

    [Fact]
    public void The_USCC_is_normalized_and_a_bad_one_rejected_with_both_languages()
    {
        var record = Licence("９１４４０３００７１５２６７２６ｘｇ");
        Assert.Null(Normalizer.Normalize(record));
        Assert.Equal("9144030071526726XG", record.Uscc);

        var bad = Normalizer.Normalize(Licence("9144030071526726XH"));
        Assert.NotNull(bad);
        Assert.Equal("USCC_INVALID", bad.Code);
        Assert.Contains("expected 'G'", bad.Message);
        Assert.Contains("应为“G”", bad.Message);
    }

    [Fact]
    public void A_record_needs_a_key_a_body_and_a_time()
    {
        Assert.Equal("MISSING_SOURCE_ID", Normalizer.Normalize(Licence(id: " "))!.Code);
        var noBody = Licence();
        noBody.ClearBody();
        Assert.Equal("MISSING_BODY", Normalizer.Normalize(noBody)!.Code);
        var noTime = Licence();
        noTime.OccurredAt = null;
        Assert.Equal("MISSING_OCCURRED_AT", Normalizer.Normalize(noTime)!.Code);
        var nobody = Licence("");
        Assert.Equal("NO_ENTERPRISE_KEY", Normalizer.Normalize(nobody)!.Code);
    }

    [Fact]
    public void Times_outside_1900_to_2199_are_rejected()
    {
        var record = Licence();
        record.OccurredAt = Timestamp.FromDateTime(new DateTime(9999, 12, 31, 0, 0, 0, DateTimeKind.Utc));
        Assert.Equal("TIMESTAMP_OUT_OF_RANGE", Normalizer.Normalize(record)!.Code);
    }

    [Fact]
    public void Content_hash_ignores_hub_set_fields_and_changes_with_content()
    {
        var a = Licence();
        var b = Licence();
        Normalizer.Normalize(a);
        Normalizer.Normalize(b);
        Assert.Equal(a.ContentHash, b.ContentHash);
        Assert.Equal(64, a.ContentHash.Length);
        Assert.Equal(a.ContentHash, RecordNormalizer.ComputeContentHash(a));

        var c = Licence();
        c.Licence.Scope = "预包装食品销售";
        Normalizer.Normalize(c);
        Assert.NotEqual(a.ContentHash, c.ContentHash);
    }

    [Fact]
    public void Personal_data_is_minimized()
    {
        var registration = new CanonicalRecord
        {
            Uscc = "9144030071526726XG", Source = "market-supervision", SourceId = "REG-1",
            OccurredAt = Timestamp.FromDateTime(new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc)),
            Registration = new Registration { Name = "测试企业有限公司", LegalRepresentativeIdMasked = "320102198001011234", StatusRaw = "吊销，未注销" },
        };
        Assert.Null(Normalizer.Normalize(registration));
        Assert.Equal("320102********1234", registration.Registration.LegalRepresentativeIdMasked);
        Assert.Equal(RegistrationStatus.Revoked, registration.Registration.Status);

        var complaint = new CanonicalRecord
        {
            EnterpriseName = "测试企业有限公司", Source = "hotline-12345", SourceId = "1",
            OccurredAt = Timestamp.FromDateTime(new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc)),
            Complaint = new Complaint { Summary = "市民反映该店销售过期食品，联系电话13812345678，座机0527-84561234，邮箱a.b@example.com" },
        };
        Assert.Null(Normalizer.Normalize(complaint));
        Assert.DoesNotContain("13812345678", complaint.Complaint.Summary);
        Assert.DoesNotContain("84561234", complaint.Complaint.Summary);
        Assert.DoesNotContain("example.com", complaint.Complaint.Summary);
        Assert.Contains("销售过期食品", complaint.Complaint.Summary);
    }

    [Theory]
    [InlineData("存续（在营、开业、在册）", RegistrationStatus.Active)]
    [InlineData("吊销，已注销", RegistrationStatus.RevokedDeregistered)]
    [InlineData("吊销,未注销", RegistrationStatus.Revoked)]
    [InlineData("注销", RegistrationStatus.Deregistered)]
    [InlineData("迁出", RegistrationStatus.MovedOut)]
    [InlineData("不知道", RegistrationStatus.Unspecified)]
    public void Status_display_strings_map_to_the_enum(string text, RegistrationStatus expected) =>
        Assert.Equal(expected, RegistrationStatuses.Parse(text));

    [Fact]
    public void Redacting_an_email_address_keeps_the_chinese_text_written_right_before_it()
    {
        Assert.Equal("请回复邮箱[邮箱已删除]，谢谢", PersonalData.RedactContacts("请回复邮箱zhang.san@example.com，谢谢"));
    }

    [Theory]
    [InlineData("2026-03-01", true)]
    [InlineData("2024-02-29", true)]
    [InlineData("0001-01-01", true)]
    [InlineData("2026-02-29", false)]
    [InlineData("2026-04-31", false)]
    [InlineData("2026-13-01", false)]
    [InlineData("0000-01-01", false)]
    [InlineData("2026-3-01", false)]
    [InlineData(" 2026-03-01", false)]
    [InlineData("2026/03/01", false)]
    [InlineData("２０２６-03-01", false)]
    [InlineData("", false)]
    public void A_canonical_date_is_exactly_a_valid_YYYY_MM_DD(string text, bool canonical)
    {
        Assert.Equal(canonical, ChinaDates.TryParseCanonical(text, out var date));
        Assert.Equal(canonical ? DateOnly.ParseExact(text, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) : default, date);
        Assert.Equal(canonical, ChinaDates.ParseCanonical(text) is not null);
    }

    [Fact]
    public void Dates_in_other_forms_are_rewritten_and_canonical_ones_kept()
    {
        var record = new CanonicalRecord
        {
            Uscc = "9144030071526726XG", Source = "s", SourceId = "1", OccurredAt = Timestamp.FromDateTime(new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc)),
            Licence = new Licence { IssuedOn = "2026/03/01", ValidUntil = "2031-02-28" },
        };
        Assert.Null(new RecordNormalizer().Normalize(record));
        Assert.Equal("2026-03-01", record.Licence.IssuedOn);
        Assert.Equal("2031-02-28", record.Licence.ValidUntil);
        record.Licence.ValidUntil = "2031-02-30";
        Assert.Equal("INVALID_DATE", new RecordNormalizer().Normalize(record)!.Code);
    }
}
