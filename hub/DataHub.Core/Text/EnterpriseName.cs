using System.Text;

namespace DataHub.Core.Text;

/// <summary>
/// The form of an enterprise name used to match records that carry a name but no USCC:
/// full-width folded to half-width (so （） and () agree), 【】〔〕[] unified to (), whitespace and
/// middle dots dropped, Latin letters upper-cased.
/// </summary>
public static class EnterpriseName
{
    public static string Normalize(string? name)
    {
        if (string.IsNullOrEmpty(name)) return string.Empty;
        var sb = new StringBuilder(name.Length);
        foreach (var raw in name)
        {
            var c = HalfWidth.Fold(raw);
            switch (c)
            {
                case '【' or '〔' or '[' or '{':
                    sb.Append('(');
                    break;
                case '】' or '〕' or ']' or '}':
                    sb.Append(')');
                    break;
                case '·' or '•' or '・':
                    break;
                default:
                    if (!char.IsWhiteSpace(c)) sb.Append(char.ToUpperInvariant(c));
                    break;
            }
        }
        return sb.ToString();
    }
}
