using System.Net.Http.Headers;
using System.Text;
using DataHub.Adapters;
using DataHub.Adapters.CreditPlatform;
using DataHub.Adapters.Hotline12345;
using DataHub.Schema.V1;
using DataHub.Synthetic;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace DataHub.Simulators.Tests;

public sealed class SimulatorTests
{
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default);

    private static List<CanonicalRecord> Generated(string source, int enterprises = 40) =>
        new SyntheticDataGenerator(new GeneratorOptions { Enterprises = enterprises, Seed = 5, DirtRate = 0 }).Generate()
            .Where(l => l.Source == source).Select(l => Parser.Parse<CanonicalRecord>(l.Json)).ToList();

    /// <summary>Reads to the end, then polls once more from there, as an adapter does (which acknowledges the last page).</summary>
    private static async Task<List<byte[]>> ReadAllAsync(FeedClient client, string checkpoint = "")
    {
        var rows = new List<byte[]>();
        while (true)
        {
            var page = await client.FetchAsync(checkpoint, default);
            rows.AddRange(page.Rows);
            checkpoint = page.Checkpoint;
            if (!page.HasMore) break;
        }
        await client.FetchAsync(checkpoint, default);
        return rows;
    }

    [Fact]
    public async Task A_token_feed_serves_every_published_row_in_order_and_resumes_from_a_token()
    {
        var source = new Hotline12345Source();
        await using var simulator = new SourceSimulator(source, 1);
        var records = Generated(Hotline12345Source.Name);
        simulator.Publish(records.Select(r => (r, ExpectedFate.Stored)));
        await simulator.StartAsync();
        var client = new FeedClient(new HttpClient { BaseAddress = simulator.BaseAddress }, source.Feeds[0], pageSize: 7);

        var first = await client.FetchAsync("", default);
        Assert.Equal(7, first.Rows.Count);
        var rest = await ReadAllAsync(client, first.Checkpoint);
        Assert.Equal(records.Count, first.Rows.Count + rest.Count);
        var mapped = first.Rows.Concat(rest).Select(row => source.Feeds[0].Mapper.Map(new RawRecord { Payload = ByteString.CopyFrom(row), Origin = "t" }).Records.Single().SourceId);
        Assert.Equal(records.Select(r => r.SourceId), mapped);
        Assert.Equal(records.Count, simulator.ServedByFate()[ExpectedFate.Stored]);
    }

    [Fact]
    public async Task An_updated_since_feed_serves_the_latest_version_of_each_row_and_later_changes_after_the_checkpoint()
    {
        var source = new CreditPlatformSource();
        await using var simulator = new SourceSimulator(source, 2);
        var ratings = Generated(CreditPlatformSource.Name).Where(r => r.BodyCase == CanonicalRecord.BodyOneofCase.CreditRating).ToList();
        simulator.Publish(ratings.Select(r => (r, ExpectedFate.Stored)));
        await simulator.StartAsync();
        var feed = source.Feeds.Single(f => f.Name == "ratings");
        var client = new FeedClient(new HttpClient { BaseAddress = simulator.BaseAddress }, feed, pageSize: 5);
        var page = await client.FetchAsync("", default);
        var checkpoint = page.Checkpoint;
        while (page.HasMore) checkpoint = (page = await client.FetchAsync(checkpoint, default)).Checkpoint;

        // A correction later in time: only it is served after the checkpoint.
        var corrected = ratings[3].Clone();
        corrected.CreditRating.Grade = "D";
        corrected.UpdatedAt = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddDays(1));
        simulator.Publish([(corrected, ExpectedFate.Stored)]);
        var after = await ReadAllAsync(client, checkpoint);
        var only = Assert.Single(after);
        Assert.Equal("D", feed.Mapper.Map(new RawRecord { Payload = ByteString.CopyFrom(only), Origin = "t" }).Records.Single().CreditRating.Grade);
        // From the start, each rating appears once, in its latest version.
        Assert.Equal(ratings.Count, (await ReadAllAsync(client)).Count);
    }

    [Fact]
    public async Task Rows_of_answers_cut_by_a_fault_are_not_counted_as_served()
    {
        var source = new Hotline12345Source();
        await using var simulator = new SourceSimulator(source, 3) { Faults = new SimulatorFaults { Resets = 1 } };
        simulator.Publish(Generated(Hotline12345Source.Name, 5).Select(r => (r, ExpectedFate.Stored)));
        await simulator.StartAsync();
        var client = new FeedClient(new HttpClient { BaseAddress = simulator.BaseAddress }, source.Feeds[0], pageSize: 50);
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => client.FetchAsync("", default));
        Assert.Empty(simulator.ServedByFate());
        Assert.Equal(1, simulator.FaultsInjected);

        simulator.Faults = new SimulatorFaults { ServerErrors = 1 };
        var error = await Assert.ThrowsAsync<HttpRequestException>(() => client.FetchAsync("", default));
        Assert.Matches("answered 50[03]", error.Message);
    }

    [Fact]
    public void Faults_are_parsed_from_the_command_line_form()
    {
        var faults = SimulatorFaults.Parse("errors=0.1, resets=0.05,repeats=0.2,slow=0.01,malformed=0.02");
        Assert.Equal(new SimulatorFaults { ServerErrors = 0.1, Resets = 0.05, RepeatedPages = 0.2, Slow = 0.01, MalformedRows = 0.02 }, faults);
        Assert.False(SimulatorFaults.Parse("").Any);
        Assert.Contains("Unknown fault", Assert.Throws<FormatException>(() => SimulatorFaults.Parse("floods=0.1")).Message);
        Assert.Contains("between 0 and 1", Assert.Throws<FormatException>(() => SimulatorFaults.Parse("errors=2")).Message);
    }

    [Fact]
    public async Task The_outbound_receiver_keeps_each_idempotency_key_once_and_refuses_while_down()
    {
        await using var receiver = new OutboundReceiver();
        await receiver.StartAsync();
        using var http = new HttpClient();
        async Task<int> PostAsync(string key)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, receiver.UrlFor("sms-gateway")) { Content = new ByteArrayContent(Encoding.UTF8.GetBytes("{}")) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            request.Headers.Add(HttpOutboundAdapter.IdempotencyKeyHeader, key);
            using var response = await http.SendAsync(request);
            return (int)response.StatusCode;
        }
        Assert.Equal(200, await PostAsync("k1"));
        Assert.Equal(200, await PostAsync("k1"));
        receiver.Down = true;
        Assert.Equal(503, await PostAsync("k2"));
        receiver.Down = false;
        Assert.Equal(200, await PostAsync("k2"));
        Assert.Equal(["k1", "k2"], receiver.Received.Select(m => m.IdempotencyKey).Order());
        Assert.Equal(1, receiver.Repeats);
        Assert.Equal(1, receiver.Refused);
    }
}
