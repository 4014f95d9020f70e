using System.Text;
using DataHub.Grpc.Tests.Echo;
using Google.Protobuf;
using Grpc.Health.V1;
using static DataHub.Grpc.Tests.EchoService;

namespace DataHub.Grpc.Tests;

/// <summary>The wire protocol, rule by rule (grpc/grpc doc/PROTOCOL-HTTP2.md), against a real Kestrel over h2c.</summary>
public sealed class GrpcProtocolTests(GrpcTestServer server) : IClassFixture<GrpcTestServer>
{
    private static readonly MessageParser<EchoReply> Reply = EchoReply.Parser;

    [Fact]
    public async Task Unary_call_gets_headers_then_one_message_then_status_in_trailers()
    {
        var r = await server.CallAsync("/datahub.test.Echo/Unary", [Request("你好")]);
        Assert.Equal(200, r.HttpStatus);
        Assert.Equal("application/grpc", r.Headers["content-type"]);
        Assert.False(r.Headers.ContainsKey("grpc-status"), "status belongs in trailers, not headers, after a message");
        Assert.Equal("0", r.Trailers["grpc-status"]);
        Assert.Equal("你好", r.Single(Reply).Text);
        Assert.Contains("gzip", r.Headers["grpc-accept-encoding"]);
    }

    [Fact]
    public async Task Server_streaming_sends_every_message_in_order()
    {
        var r = await server.CallAsync("/datahub.test.Echo/ServerStream", [Request("x", count: 5)]);
        Assert.Equal(StatusCode.OK, r.Status);
        Assert.Equal([0, 1, 2, 3, 4], r.All(Reply).Select(m => m.Index));
    }

    [Fact]
    public async Task Response_headers_sent_early_reach_the_caller_before_any_message()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var request = Request("headers-first", count: 1, delayMs: 3000);
        var opened = server.OpenAsync("/datahub.test.Echo/ServerStream", request, cts.Token);
        // The first message comes after 3 s; the headers must not wait for it.
        var (response, _) = await opened.WaitAsync(TimeSpan.FromMilliseconds(2000));
        using (response) Assert.Equal("application/grpc", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Server_streaming_with_no_message_still_sends_headers_and_trailers()
    {
        var r = await server.CallAsync("/datahub.test.Echo/ServerStream", [Request("x", count: 0)]);
        Assert.Equal(StatusCode.OK, r.Status);
        Assert.False(r.TrailersOnly);
        Assert.Empty(r.Messages);
    }

    [Fact]
    public async Task Client_streaming_reads_every_message_until_the_caller_half_closes()
    {
        var r = await server.CallAsync("/datahub.test.Echo/ClientStream", [Request("a"), Request("b"), Request("c")]);
        var reply = r.Single(Reply);
        Assert.Equal("a|b|c", reply.Text);
        Assert.Equal(3, reply.Index);
    }

    [Fact]
    public async Task Duplex_answers_each_message_as_it_arrives()
    {
        var content = new PushContent();
        var call = server.SendAsync("/datahub.test.Echo/Duplex", content);
        content.Push(GrpcTestServer.Frame(Request("一").ToByteArray()));
        content.Push(GrpcTestServer.Frame(Request("二").ToByteArray()));
        content.Complete();
        var r = await call;
        Assert.Equal(StatusCode.OK, r.Status);
        Assert.Equal(["一", "二"], r.All(Reply).Select(m => m.Text));
    }

    [Fact]
    public async Task Messages_are_read_whatever_the_data_frame_boundaries()
    {
        var bytes = GrpcTestServer.Frame(Request("first").ToByteArray()).Concat(GrpcTestServer.Frame(Request("second").ToByteArray())).ToArray();
        var content = new PushContent();
        var call = server.SendAsync("/datahub.test.Echo/ClientStream", content);
        foreach (var b in bytes) content.Push([b]);
        content.Complete();
        Assert.Equal("first|second", (await call).Single(Reply).Text);
    }

    [Fact]
    public async Task Gzip_requests_are_decompressed_and_the_response_is_gzip_compressed()
    {
        var blob = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("统一社会信用代码", 500)));
        var r = await server.CallAsync("/datahub.test.Echo/Unary", [Request("z", blob: blob)], gzip: true);
        Assert.Equal(StatusCode.OK, r.Status);
        Assert.Equal("gzip", r.Headers["grpc-encoding"]);
        Assert.True(r.Messages[0].Compressed, "the response message should carry the compressed flag");
        Assert.Equal(blob, r.Single(Reply).Blob.ToByteArray());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_reply_given_as_encoded_bytes_goes_out_exactly_as_the_message_would(bool gzip)
    {
        var blob = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("企业画像", 300)));
        var asMessage = await server.CallAsync("/datahub.test.Echo/Unary", [Request("画像", blob: blob)], gzip: gzip);
        var asBytes = await server.CallAsync("/datahub.test.Echo/Unary", [Request("画像", blob: blob, encoded: true)], gzip: gzip);
        Assert.Equal(StatusCode.OK, asBytes.Status);
        Assert.Equal(gzip, asBytes.Messages.Single().Compressed);
        Assert.Equal(asMessage.Headers["content-type"], asBytes.Headers["content-type"]);
        Assert.Equal(asMessage.Single(Reply), asBytes.Single(Reply));
        Assert.Equal(asMessage.Messages.Single().Payload, asBytes.Messages.Single().Payload);
    }

    [Fact]
    public async Task Compressed_flag_without_a_grpc_encoding_is_an_internal_error()
    {
        var content = new ByteArrayContent(GrpcTestServer.Frame(Request("x").ToByteArray(), gzip: true));
        var r = await server.SendAsync("/datahub.test.Echo/Unary", content);
        Assert.Equal(StatusCode.Internal, r.Status);
        Assert.Contains("grpc-encoding", r.Message);
    }

    [Fact]
    public async Task An_unsupported_encoding_is_unimplemented_and_names_the_supported_ones()
    {
        var r = await server.CallAsync("/datahub.test.Echo/Unary", [Request("x")], h => h.TryAddWithoutValidation("grpc-encoding", "snappy"));
        Assert.Equal(StatusCode.Unimplemented, r.Status);
        Assert.True(r.TrailersOnly);
        Assert.Contains("identity,gzip", r.Headers["grpc-accept-encoding"]);
    }

    [Fact]
    public async Task A_passed_deadline_cancels_the_handler_and_ends_the_call_with_deadline_exceeded()
    {
        server.Echo.ResetSignals();
        var r = await server.CallAsync("/datahub.test.Echo/Unary", [Request("slow", delayMs: 10_000)], h => h.TryAddWithoutValidation("grpc-timeout", "200m"));
        Assert.Equal(StatusCode.DeadlineExceeded, r.Status);
        Assert.Equal("/datahub.test.Echo/Unary", await server.Echo.Cancelled.Task.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task A_deadline_that_passes_mid_stream_ends_with_deadline_exceeded_in_trailers()
    {
        var r = await server.CallAsync("/datahub.test.Echo/ServerStream", [Request("x", count: 100, delayMs: 50)], h => h.TryAddWithoutValidation("grpc-timeout", "300000u"));
        Assert.Equal(StatusCode.DeadlineExceeded, r.Status);
        Assert.False(r.TrailersOnly);
        Assert.InRange(r.Messages.Count, 1, 99);
    }

    [Fact]
    public async Task A_malformed_timeout_is_refused_with_a_message_saying_what_is_allowed()
    {
        var r = await server.CallAsync("/datahub.test.Echo/Unary", [Request("x")], h => h.TryAddWithoutValidation("grpc-timeout", "123456789S"));
        Assert.Equal(StatusCode.InvalidArgument, r.Status);
        Assert.Contains("1 to 8 digits", r.Message);
    }

    [Theory]
    [InlineData("2H", 2 * 3600_000.0)]
    [InlineData("3M", 180_000.0)]
    [InlineData("1S", 1000.0)]
    [InlineData("250m", 250.0)]
    [InlineData("1500u", 1.5)]
    [InlineData("2000000n", 2.0)]
    [InlineData("99999999m", 99_999_999.0)]
    public void Every_timeout_unit_is_understood(string header, double expectedMs)
    {
        Assert.True(GrpcWire.TryParseTimeout(header, out var timeout));
        Assert.Equal(expectedMs, timeout!.Value.TotalMilliseconds, 3);
    }

    [Theory]
    [InlineData("")]
    [InlineData("S")]
    [InlineData("10")]
    [InlineData("10s")]
    [InlineData("-1S")]
    [InlineData("123456789m")]
    public void Malformed_timeouts_are_recognised(string header) => Assert.False(GrpcWire.TryParseTimeout(header, out _));

    [Fact]
    public async Task Client_cancellation_reaches_the_handler()
    {
        server.Echo.ResetSignals();
        using var cts = new CancellationTokenSource();
        // The request is complete (END_STREAM) and the handler is waiting: only RST_STREAM can end it early.
        var call = server.CallAsync("/datahub.test.Echo/Unary", [Request("wait", delayMs: 30_000)], cancellationToken: cts.Token);
        await server.Echo.Started.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        Assert.Equal("/datahub.test.Echo/Unary", await server.Echo.Cancelled.Task.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task A_chinese_error_message_is_percent_encoded_and_round_trips_in_trailers_only()
    {
        const string text = "统一社会信用代码第18位应为G 100% (校验码)";
        var r = await server.CallAsync("/datahub.test.Echo/Unary", [Request(text, failWith: StatusCode.InvalidArgument)]);
        Assert.True(r.TrailersOnly, "a failure before the first message is a Trailers-Only response");
        Assert.Equal(StatusCode.InvalidArgument, r.Status);
        Assert.All(r.Headers["grpc-message"], ch => Assert.InRange(ch, ' ', '~'));
        Assert.Equal(text, r.Message);
    }

    [Fact]
    public void Percent_encoding_keeps_printable_ascii_and_escapes_percent_and_utf8()
    {
        Assert.Equal("a b%25%E4%BD%A0", GrpcWire.EncodeMessage("a b%你"));
        Assert.Equal("a b%你", GrpcWire.DecodeMessage("a b%25%E4%BD%A0"));
        Assert.Equal("bad %zz and %4", GrpcWire.DecodeMessage("bad %zz and %4"));
    }

    [Fact]
    public async Task An_error_after_messages_is_sent_in_trailers()
    {
        var r = await server.CallAsync("/datahub.test.Echo/ServerStream", [Request("late", count: 2, failWith: StatusCode.Aborted)]);
        Assert.False(r.TrailersOnly);
        Assert.Equal(2, r.Messages.Count);
        Assert.Equal(StatusCode.Aborted, r.Status);
        Assert.Equal("late", r.Message);
    }

    [Fact]
    public async Task Ascii_and_binary_metadata_reach_the_handler_and_come_back_in_headers_and_trailers()
    {
        byte[] bytes = [0, 1, 2, 250, 251, 252, 253];
        var r = await server.CallAsync("/datahub.test.Echo/Unary", [Request("m")], h =>
        {
            h.TryAddWithoutValidation("x-echo", "trace-42");
            h.TryAddWithoutValidation("x-echo-bin", Convert.ToBase64String(bytes).TrimEnd('='));
        });
        Assert.Equal(StatusCode.OK, r.Status);
        Assert.Equal("trace-42", r.Headers["x-echo"]);
        Assert.Equal("trace-42", r.Trailers["x-echo-trailer"]);
        Assert.DoesNotContain("=", r.Headers["x-echo-bin"]);
        Assert.Equal(bytes, Metadata.DecodeBinary(r.Headers["x-echo-bin"]).Single());
        Assert.Equal(bytes, Metadata.DecodeBinary(r.Trailers["x-echo-trailer-bin"]).Single());
    }

    [Fact]
    public void Binary_metadata_accepts_padded_unpadded_and_comma_joined_values()
    {
        var values = Metadata.DecodeBinary("AAE=,AAEC, AQ").ToList();
        Assert.Equal([[0, 1], [0, 1, 2], [1]], values);
    }

    [Fact]
    public void Metadata_refuses_reserved_and_malformed_keys()
    {
        var m = new Metadata();
        Assert.Throws<ArgumentException>(() => m.Add("grpc-status", "0"));
        Assert.Throws<ArgumentException>(() => m.Add("bad key", "v"));
        Assert.Throws<ArgumentException>(() => m.Add("x-text", "值"));
        Assert.Throws<ArgumentException>(() => m.Add("x-data", [1]));
    }

    [Fact]
    public async Task A_non_grpc_content_type_gets_http_415()
    {
        var r = await server.CallAsync("/datahub.test.Echo/Unary", [Request("x")], contentType: "application/json");
        Assert.Equal(415, r.HttpStatus);
        Assert.Contains("application/grpc", r.Body);
    }

    [Theory]
    [InlineData("application/grpc-web")]
    [InlineData("application/grpcfoo")]
    public async Task Look_alike_content_types_get_http_415(string contentType)
    {
        var r = await server.CallAsync("/datahub.test.Echo/Unary", [Request("x")], contentType: contentType);
        Assert.Equal(415, r.HttpStatus);
    }

    [Fact]
    public async Task A_grpc_codec_other_than_protobuf_is_unimplemented()
    {
        var r = await server.CallAsync("/datahub.test.Echo/Unary", [Request("x")], contentType: "application/grpc+json");
        Assert.Equal(StatusCode.Unimplemented, r.Status);
    }

    [Fact]
    public async Task A_message_over_the_receive_limit_is_resource_exhausted()
    {
        var r = await server.CallAsync("/datahub.test.Echo/Unary", [Request("big", blob: new byte[GrpcTestServer.MaxReceive + 1])]);
        Assert.Equal(StatusCode.ResourceExhausted, r.Status);
        Assert.Contains("larger than max", r.Message);
    }

    [Fact]
    public async Task A_gzip_bomb_over_the_limit_after_decompression_is_resource_exhausted()
    {
        var r = await server.CallAsync("/datahub.test.Echo/Unary", [Request("bomb", blob: new byte[GrpcTestServer.MaxReceive * 4])], gzip: true);
        Assert.Equal(StatusCode.ResourceExhausted, r.Status);
    }

    [Theory]
    [InlineData("/datahub.test.Echo/Nope", "Method 'Nope'")]
    [InlineData("/datahub.test.Nothing/Unary", "Service 'datahub.test.Nothing'")]
    [InlineData("/not-a-path", "not a gRPC method path")]
    public async Task Unknown_services_and_methods_are_unimplemented(string path, string expected)
    {
        var r = await server.CallAsync(path, [Request("x")]);
        Assert.Equal(StatusCode.Unimplemented, r.Status);
        Assert.True(r.TrailersOnly);
        Assert.Contains(expected, r.Message);
    }

    [Fact]
    public async Task An_unhandled_exception_is_internal_and_sends_no_detail_or_stack_trace()
    {
        var r = await server.CallAsync("/datahub.test.Echo/Unary", [Request("x", crash: true)]);
        Assert.Equal(StatusCode.Internal, r.Status);
        Assert.DoesNotContain("secret", r.Message);
        Assert.DoesNotContain(" at ", r.Message);
        Assert.Contains("reference", r.Message);
    }

    [Fact]
    public async Task Overlapping_writes_by_a_handler_are_refused_and_the_first_message_stays_whole()
    {
        var r = await server.CallAsync("/datahub.test.Echo/ServerStream", [Request("overlap")]);
        Assert.Equal(StatusCode.Internal, r.Status);
        var reply = r.Single(Reply);
        Assert.Equal("first", reply.Text);
        Assert.Equal(1 << 20, reply.Blob.Length);
    }

    [Fact]
    public async Task A_unary_call_without_a_message_is_an_error()
    {
        var r = await server.CallAsync("/datahub.test.Echo/Unary", []);
        Assert.Equal(StatusCode.Internal, r.Status);
        Assert.Contains("without a message", r.Message);
    }

    [Fact]
    public async Task A_get_is_not_allowed()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(server.BaseAddress, "/datahub.test.Echo/Unary")) { Version = System.Net.HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        using var response = await server.Http.SendAsync(request);
        Assert.Equal(405, (int)response.StatusCode);
    }

    [Fact]
    public async Task Calls_are_counted_by_method_and_status_for_metrics()
    {
        long Count(StatusCode status) => server.Server.Metrics.Count("/datahub.test.Echo/Unary", status);
        var (ok, denied) = (Count(StatusCode.OK), Count(StatusCode.PermissionDenied));
        await server.CallAsync("/datahub.test.Echo/Unary", [Request("m")]);
        await server.CallAsync("/datahub.test.Echo/Unary", [Request("no", failWith: StatusCode.PermissionDenied)]);
        Assert.True(Count(StatusCode.OK) > ok);
        Assert.True(Count(StatusCode.PermissionDenied) > denied);
        var text = new System.Text.StringBuilder();
        server.Server.Metrics.WritePrometheus(text);
        Assert.Contains("grpc_server_handled_total{grpc_method=\"/datahub.test.Echo/Unary\",grpc_code=\"PermissionDenied\"}", text.ToString());
        Assert.Contains("grpc_server_handling_seconds_bucket{grpc_method=\"/datahub.test.Echo/Unary\",le=\"+Inf\"}", text.ToString());
    }

    [Fact]
    public void A_declared_method_without_a_handler_stops_the_server_from_starting()
    {
        var registry = new GrpcServiceRegistry();
        new Standard.HealthService().Bind(registry);
        var e = Assert.Throws<InvalidOperationException>(() => registry.EnsureAllBound([HealthReflection.Descriptor, EchoReflection.Descriptor]));
        Assert.Contains("/datahub.test.Echo/Unary", e.Message);
        registry.EnsureAllBound([HealthReflection.Descriptor]);
    }

    [Fact]
    public void Binding_checks_message_types_and_method_kind_against_the_descriptor()
    {
        var registry = new GrpcServiceRegistry();
        var unary = GrpcServiceRegistry.FindMethod(EchoReflection.Descriptor, "Echo", "Unary");
        Assert.Throws<ArgumentException>(() => registry.AddServerStreaming<EchoRequest, EchoReply>(unary, (_, _, _) => Task.CompletedTask));
        Assert.Throws<ArgumentException>(() => registry.AddUnary<HealthCheckRequest, EchoReply>(unary, (_, _) => Task.FromResult(new EchoReply())));
    }
}
