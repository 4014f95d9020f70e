using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DataHub.Adapters.ELicence;

/// <summary>
/// Calls the library's verification interface (证照核验): 材料核验 commitments and super-admin pulls
/// check a licence here instead of asking the enterprise for paper. The HttpClient carries the base
/// address and any authentication; resilience belongs to its handler pipeline.
/// </summary>
public sealed class ELicenceVerifier(HttpClient http)
{
    public const string VerifyPath = "/dzzz/api/v2/certificates/verify";

    public async Task<LicenceVerificationResult> VerifyAsync(string licenceNo, string holderUscc, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(licenceNo);
        ArgumentException.ThrowIfNullOrWhiteSpace(holderUscc);
        var request = LicenceVerification.Request(licenceNo.Trim(), holderUscc.Trim());
        using var content = new StringContent(request.ToJsonString(), Encoding.UTF8, "application/json");
        using var response = await http.PostAsync(new Uri(VerifyPath, UriKind.Relative), content, ct).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        var bytes = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
        JsonNode? body;
        try
        {
            body = JsonNode.Parse(bytes);
        }
        catch (JsonException e)
        {
            throw new InvalidOperationException($"The e-licence library's verification answer is not JSON: {e.Message}", e);
        }
        return body is JsonObject answer
            ? LicenceVerification.Read(answer)
            : throw new InvalidOperationException("The e-licence library's verification answer is not a JSON object.");
    }
}
