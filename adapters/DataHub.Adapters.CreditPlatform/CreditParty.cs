namespace DataHub.Adapters.CreditPlatform;

/// <summary>
/// The party (行政相对人 / 承诺人) of a 双公示 or 信用承诺 row. The hub keeps enterprise records only:
/// a natural person's row carries an ID number and no enterprise, so it is rejected, and the message
/// never repeats the ID number.
/// </summary>
internal static class CreditParty
{
    private enum Category { Organization, NaturalPerson, IndividualBusiness }

    /// <summary>行政相对人类别 / 承诺人类别 (SOURCE-FORMATS §4.1, §4.4).</summary>
    private static readonly Dictionary<string, Category> Categories = CreditRows.Table(
        ("法人及非法人组织", Category.Organization), ("法人", Category.Organization), ("非法人组织", Category.Organization),
        ("自然人", Category.NaturalPerson),
        ("个体工商户", Category.IndividualBusiness));

    /// <summary>
    /// Throws NATURAL_PERSON when the category says 自然人, or, in rows without a category (v1), when the
    /// row has a personal ID number and no USCC.
    /// </summary>
    public static void RejectNaturalPerson(SourceRow row, string categoryField, string usccField, params string[] personIdFields)
    {
        var category = CreditRows.Code(row, Categories, categoryField);
        bool person = category == Category.NaturalPerson
            || (category is null && row.Text(usccField) is null && personIdFields.Any(f => row.Text(f) is not null));
        if (person)
            throw new RowFormatException("NATURAL_PERSON", $"the party is a natural person ({categoryField} 自然人 or a personal ID without a USCC); the hub keeps records of enterprises only.");
    }
}
