using System.Text;

namespace DataHub.Core.Text;

/// <summary>Folds full-width (全角) forms to their ASCII (半角) equivalents, as Chinese input methods often produce them.</summary>
public static class HalfWidth
{
    /// <summary>Maps U+FF01–U+FF5E to U+0021–U+007E and the ideographic space U+3000 to a space.</summary>
    public static char Fold(char c) => c switch
    {
        >= '\uFF01' and <= '\uFF5E' => (char)(c - 0xFEE0),
        '\u3000' => ' ',
        _ => c,
    };

    /// <summary>Returns the string with every full-width character folded; the same instance when nothing changes.</summary>
    public static string Fold(string s)
    {
        int i = 0;
        while (i < s.Length && Fold(s[i]) == s[i]) i++;
        if (i == s.Length) return s;
        var sb = new StringBuilder(s.Length);
        sb.Append(s, 0, i);
        for (; i < s.Length; i++) sb.Append(Fold(s[i]));
        return sb.ToString();
    }
}
