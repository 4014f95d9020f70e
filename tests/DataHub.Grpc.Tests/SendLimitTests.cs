using DataHub.Grpc.Tests.Echo;
using static DataHub.Grpc.Tests.EchoService;

namespace DataHub.Grpc.Tests;

/// <summary>The send limit holds for messages and for replies given as encoded bytes alike.</summary>
public sealed class SendLimitTests(SendLimitedGrpcTestServer server) : IClassFixture<SendLimitedGrpcTestServer>
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_reply_over_the_send_limit_is_resource_exhausted(bool encoded)
    {
        var r = await server.CallAsync("/datahub.test.Echo/Unary", [Request("big", blob: new byte[SendLimitedGrpcTestServer.MaxSend], encoded: encoded)]);
        Assert.Equal(StatusCode.ResourceExhausted, r.Status);
        Assert.Contains("Sending message larger than max", r.Message);
        Assert.Empty(r.Messages);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_reply_under_the_send_limit_goes_out(bool encoded)
    {
        var r = await server.CallAsync("/datahub.test.Echo/Unary", [Request("small", blob: new byte[100], encoded: encoded)]);
        Assert.Equal(StatusCode.OK, r.Status);
        Assert.Equal("small", r.Single(EchoReply.Parser).Text);
    }
}
