using DataHub.Core.Workflows;
using System.Text.Json;
using DataHub.Adapters;
using DataHub.Core.Identifiers;
using DataHub.Core.Pulls;
using DataHub.Schema.V1;
using DataHub.Simulators;

namespace DataHub.Tests;

/// <summary>Pull notices through the SMS-gateway outbound adapter: to the catalogue's contacts, once each, even when the gateway was down.</summary>
[Collection("console")]
public sealed class PullSmsTests : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "datahub-sms-" + Guid.NewGuid().ToString("N"), "data");

    [Fact]
    public async Task A_directed_demand_reaches_the_owners_contact_by_SMS_once_after_the_gateway_comes_back()
    {
        await using var gateway = new OutboundReceiver { Down = true };
        await gateway.StartAsync();
        var (agencies, _) = PullInteropTests.CatalogueAgencies();
        var options = HubOptions.Load(_data);
        var hub = Hub.Open(options with
        {
            Agencies = agencies,
            Server = options.Server with { GrpcPort = 0, HttpPort = 0 },
            Outbound = new Dictionary<string, OutboundOptions>
            {
                [SmsGatewayNotifier.Destination] = new() { Url = gateway.UrlFor(SmsGatewayNotifier.Destination).ToString(), MaxRetryDelaySeconds = 0.5 },
            },
        });
        await using var server = await HubServer.StartAsync(hub, CancellationToken.None, Microsoft.Extensions.Logging.LogLevel.Warning);
        var requester = new WorkflowActor("city-approval", new HashSet<string> { "approval" }, "施工许可联审（测试）", "/test");
        var uscc = Uscc.Generate(new Random(3), "320100");
        var pull = await server.Pulls.RequestAsync(requester, uscc, "MAT-FIRE-ACCEPT", "施工许可联审（测试）", "", CancellationToken.None);
        Assert.Equal(PullState.AwaitingOwner, pull.State);

        // Down: the notice waits in the outbox; the hub keeps trying.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (gateway.Refused == 0 && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.True(gateway.Refused > 0, "the dispatcher tried the gateway while it was down");
        Assert.Empty(gateway.Received);

        gateway.Down = false;
        while (gateway.Received.Count == 0 && DateTime.UtcNow < deadline) await Task.Delay(50);
        await Task.Delay(500);
        var sms = Assert.Single(gateway.Received);
        Assert.Equal("sms", sms.Kind);
        Assert.Equal($"pull:{pull.Id}:1:demand:city-housing:138****0015", sms.IdempotencyKey);
        var body = JsonDocument.Parse(sms.Body).RootElement;
        Assert.Equal("13800000015", body.GetProperty("phone").GetString());
        Assert.Equal("消防审验处", body.GetProperty("division").GetString());
        Assert.Contains(pull.Id, body.GetProperty("text").GetString());
        Assert.Contains(pull.DueOn, body.GetProperty("text").GetString());
        Assert.Equal(0, gateway.Repeats);
        var outbox = hub.Store.OutboxCounts().Single(o => o.Destination == SmsGatewayNotifier.Destination);
        Assert.Equal((0, 1), (outbox.Waiting, outbox.Delivered));
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(Path.GetDirectoryName(_data)!, recursive: true); } catch (IOException) { }
    }
}
