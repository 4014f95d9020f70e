using System.Text;

namespace DataHub.Adapters.Tests;

public sealed class WebhookSignatureTests
{
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("[{\"order_no\":\"12345202611300001\"}]");
    private static readonly DateTimeOffset Now = new(2026, 11, 30, 2, 0, 0, TimeSpan.Zero);

    private static string Stamp(DateTimeOffset at) => at.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public void A_push_signed_with_the_secret_is_accepted()
    {
        var signature = WebhookSignature.Sign("s3cret", Now.ToUnixTimeSeconds(), Body);
        Assert.StartsWith("sha256=", signature);
        Assert.Null(WebhookSignature.Verify("s3cret", Stamp(Now), signature, Body, Now.AddSeconds(30)));
    }

    [Fact]
    public void A_push_signed_with_another_secret_is_refused()
    {
        var signature = WebhookSignature.Sign("other", Now.ToUnixTimeSeconds(), Body);
        Assert.Contains("does not match", WebhookSignature.Verify("s3cret", Stamp(Now), signature, Body, Now));
    }

    [Fact]
    public void A_changed_body_is_refused()
    {
        var signature = WebhookSignature.Sign("s3cret", Now.ToUnixTimeSeconds(), Body);
        var tampered = Body.ToArray();
        tampered[^3] ^= 1;
        Assert.NotNull(WebhookSignature.Verify("s3cret", Stamp(Now), signature, tampered, Now));
    }

    [Fact]
    public void A_replayed_push_outside_the_time_window_is_refused()
    {
        var then = Now.AddMinutes(-6);
        var signature = WebhookSignature.Sign("s3cret", then.ToUnixTimeSeconds(), Body);
        Assert.Contains("minutes away", WebhookSignature.Verify("s3cret", Stamp(then), signature, Body, Now));
    }

    [Theory]
    [InlineData(null, "sha256=00")]
    [InlineData("1764468000", null)]
    [InlineData("yesterday", "sha256=00")]
    public void A_push_without_a_usable_signature_is_refused_with_what_to_send(string? timestamp, string? signature)
    {
        var refusal = WebhookSignature.Verify("s3cret", timestamp, signature, Body, Now);
        Assert.NotNull(refusal);
        Assert.Contains(WebhookSignature.TimestampHeader, refusal);
    }

    [Fact]
    public void Push_bodies_are_split_into_rows_or_refused_with_a_reason()
    {
        Assert.Equal(2, WebhookIngest.SplitRows(Encoding.UTF8.GetBytes("[{\"a\":1},{\"b\":2}]")).Count);
        Assert.Single(WebhookIngest.SplitRows(Encoding.UTF8.GetBytes("{\"rows\":[{\"a\":1}]}")));
        Assert.Contains("JSON array", Assert.Throws<FormatException>(() => WebhookIngest.SplitRows(Encoding.UTF8.GetBytes("{\"a\":1}"))).Message);
        Assert.Contains("not JSON", Assert.Throws<FormatException>(() => WebhookIngest.SplitRows(Encoding.UTF8.GetBytes("[{"))).Message);
    }
}
