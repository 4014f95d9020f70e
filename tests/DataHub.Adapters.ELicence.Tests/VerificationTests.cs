using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using DataHub.Schema.V1;
using Google.Protobuf.WellKnownTypes;

namespace DataHub.Adapters.ELicence.Tests;

public class VerificationTests
{
    private const string Holder = "91321302MA1XYZ0000";

    private static CanonicalRecord Licence(string no, string uscc, string updated, LicenceStatus status = LicenceStatus.Valid, string until = "2029-03-04", string source = ELicenceSource.Name) => new()
    {
        Source = source,
        SourceId = "LIC-" + no,
        Uscc = uscc,
        EnterpriseName = "宿迁恒达餐饮管理有限公司",
        OccurredAt = Timestamp.FromDateTimeOffset(DateTimeOffset.Parse("2024-03-05T10:00:00+08:00", System.Globalization.CultureInfo.InvariantCulture)),
        UpdatedAt = Timestamp.FromDateTimeOffset(DateTimeOffset.Parse(updated, System.Globalization.CultureInfo.InvariantCulture)),
        Licence = new Licence
        {
            LicenceId = "1.2.156.3005.2.JY." + uscc + ".001",
            LicenceNo = no,
            LicenceType = "食品经营许可证",
            LicenceTypeCode = "JY",
            IssuedOn = "2024-03-05",
            ValidFrom = "2024-03-05",
            ValidUntil = until,
            Status = status,
        },
    };

    private static readonly CanonicalRecord[] Library =
    [
        Licence("JY001", Holder, "2024-03-05T10:00:00+08:00"),
        // A later version revokes it; given before the older one on purpose.
        Licence("JY002", Holder, "2025-01-10T09:00:00+08:00", LicenceStatus.Revoked),
        Licence("JY002", Holder, "2024-03-05T10:00:00+08:00"),
        Licence("JY003", "91321302MA1XYZ0000", "2024-03-05T10:00:00+08:00", until: ""),
        // Not the library's: a permit from the credit platform with the same number.
        Licence("JY004", Holder, "2024-03-05T10:00:00+08:00", source: "credit-platform"),
    ];

    [Fact]
    public void A_held_valid_licence_is_found_with_its_status_and_validity()
    {
        var data = LicenceVerification.Answer(LicenceVerification.Request("JY001", Holder), Library)["data"]!.AsObject();
        Assert.True(data["found"]!.GetValue<bool>());
        Assert.True(data["holder_matched"]!.GetValue<bool>());
        Assert.Equal("01", data["certificate_status"]!.GetValue<string>());
        Assert.Equal("2029-03-04", data["valid_to"]!.GetValue<string>());
    }

    [Fact]
    public void The_latest_version_of_a_licence_answers()
    {
        var answer = LicenceVerification.Answer(LicenceVerification.Request("JY002", Holder), Library);
        Assert.Equal("07", answer["data"]!["certificate_status"]!.GetValue<string>());
    }

    [Fact]
    public void An_unknown_number_is_not_found()
    {
        foreach (var no in new[] { "JY999", "JY004" })
        {
            var answer = LicenceVerification.Answer(LicenceVerification.Request(no, Holder), Library);
            Assert.Equal("0", answer["code"]!.GetValue<string>());
            Assert.False(answer["data"]!["found"]!.GetValue<bool>());
        }
    }

    [Fact]
    public void Another_holder_is_told_only_that_it_does_not_match()
    {
        var answer = LicenceVerification.Answer(LicenceVerification.Request("JY001", "91320700MA1ABCDE00"), Library);
        var data = answer["data"]!.AsObject();
        Assert.True(data["found"]!.GetValue<bool>());
        Assert.False(data["holder_matched"]!.GetValue<bool>());
        Assert.Equal("持证主体代码与证照不符", answer["message"]!.GetValue<string>());
        Assert.DoesNotContain(Holder, answer.ToJsonString());
        Assert.DoesNotContain("宿迁恒达", answer.ToJsonString());
    }

    [Fact]
    public void A_dirty_holder_code_in_the_request_still_matches()
    {
        var answer = LicenceVerification.Answer(LicenceVerification.Request(" jy001 ", " ９１３２１３０２ma1xyz-0000 "), Library);
        Assert.True(answer["data"]!["holder_matched"]!.GetValue<bool>());
    }

    [Fact]
    public void A_request_without_a_number_is_refused()
    {
        var answer = LicenceVerification.Answer(new JsonObject { ["certificate_holder_code"] = Holder }, Library);
        Assert.Equal("40001", answer["code"]!.GetValue<string>());
        Assert.Contains("certificate_number", answer["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_verifier_posts_the_request_and_reads_a_found_licence()
    {
        var handler = new LibraryHandler(Library);
        var verifier = new ELicenceVerifier(new HttpClient(handler) { BaseAddress = new Uri("http://dzzz.test/") });

        var result = await verifier.VerifyAsync("JY001", Holder, CancellationToken.None);

        Assert.Equal(HttpMethod.Post, handler.Method);
        Assert.Equal(ELicenceVerifier.VerifyPath, handler.Path);
        Assert.Equal("application/json", handler.ContentType);
        Assert.True(result.Found);
        Assert.True(result.HolderMatches);
        Assert.Equal(LicenceStatus.Valid, result.Status);
        Assert.Equal("有效", result.StatusText);
        Assert.Equal(new DateOnly(2029, 3, 4), result.ValidUntil);
        Assert.Equal(new DateOnly(2024, 3, 5), result.ValidFrom);
        Assert.True(result.IsValidOn(new DateOnly(2026, 6, 30)));
        Assert.False(result.IsValidOn(new DateOnly(2029, 3, 5)));
    }

    [Fact]
    public async Task The_verifier_reports_revoked_long_term_unknown_and_mismatched_licences()
    {
        var verifier = new ELicenceVerifier(new HttpClient(new LibraryHandler(Library)) { BaseAddress = new Uri("http://dzzz.test/") });

        var revoked = await verifier.VerifyAsync("JY002", Holder, CancellationToken.None);
        Assert.Equal(LicenceStatus.Revoked, revoked.Status);
        Assert.False(revoked.IsValidOn(new DateOnly(2025, 6, 1)));

        var longTerm = await verifier.VerifyAsync("JY003", Holder, CancellationToken.None);
        Assert.Null(longTerm.ValidUntil);
        Assert.True(longTerm.IsValidOn(new DateOnly(2099, 1, 1)));

        var unknown = await verifier.VerifyAsync("JY999", Holder, CancellationToken.None);
        Assert.False(unknown.Found);
        Assert.False(unknown.IsValidOn(new DateOnly(2025, 6, 1)));

        var other = await verifier.VerifyAsync("JY001", "91320700MA1ABCDE00", CancellationToken.None);
        Assert.True(other.Found);
        Assert.False(other.HolderMatches);
        Assert.False(other.IsValidOn(new DateOnly(2025, 6, 1)));
    }

    [Fact]
    public async Task A_refusal_or_an_HTTP_error_of_the_library_is_an_error()
    {
        var refusing = new ELicenceVerifier(new HttpClient(new FixedHandler(HttpStatusCode.OK, """{"code":"50001","message":"系统繁忙"}""")) { BaseAddress = new Uri("http://dzzz.test/") });
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => refusing.VerifyAsync("JY001", Holder, CancellationToken.None));
        Assert.Contains("50001", e.Message);

        var failing = new ELicenceVerifier(new HttpClient(new FixedHandler(HttpStatusCode.BadGateway, "")) { BaseAddress = new Uri("http://dzzz.test/") });
        await Assert.ThrowsAsync<HttpRequestException>(() => failing.VerifyAsync("JY001", Holder, CancellationToken.None));

        await Assert.ThrowsAsync<ArgumentException>(() => refusing.VerifyAsync(" ", Holder, CancellationToken.None));
    }

    /// <summary>The library as the simulator serves it: real JSON bytes in, <see cref="LicenceVerification.Answer"/> out.</summary>
    private sealed class LibraryHandler(IEnumerable<CanonicalRecord> licences) : HttpMessageHandler
    {
        public HttpMethod? Method { get; private set; }
        public string? Path { get; private set; }
        public string? ContentType { get; private set; }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Method = request.Method;
            Path = request.RequestUri!.AbsolutePath;
            ContentType = request.Content!.Headers.ContentType!.MediaType;
            var body = JsonNode.Parse(await request.Content.ReadAsByteArrayAsync(cancellationToken))!.AsObject();
            var answer = LicenceVerification.Answer(body, licences);
            return new HttpResponseMessage(HttpStatusCode.OK)
            {
                Content = new ByteArrayContent(Encoding.UTF8.GetBytes(answer.ToJsonString())) { Headers = { { "Content-Type", "application/json; charset=utf-8" } } },
            };
        }
    }

    private sealed class FixedHandler(HttpStatusCode status, string body) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(status) { Content = new StringContent(body, Encoding.UTF8, "application/json") });
    }
}
