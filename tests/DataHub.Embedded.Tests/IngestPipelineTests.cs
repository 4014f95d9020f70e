using DataHub.Core.Ingest;
using DataHub.Schema.V1;
using DataHub.Synthetic;
using Google.Protobuf;

namespace DataHub.Embedded.Tests;

public class IngestPipelineTests
{
    [Theory]
    [InlineData(11, 0.15)]
    [InlineData(20261123, 0.3)]
    [InlineData(7, 0.5)]
    public async Task Importing_a_generated_set_with_dirt_gives_the_exact_expected_counts(int seed, double dirtRate)
    {
        using var hub = new TempHub();
        var lines = TempHub.Generate(enterprises: 300, seed: seed, dirtRate: dirtRate);
        long Expected(ExpectedFate fate) => lines.LongCount(l => l.Fate == fate);
        // Every kind of dirt must be present for the counts to mean something.
        Assert.True(lines.Select(l => l.Dirt).Distinct().Count() >= 10, "too few kinds of dirt generated");

        var summary = await hub.IngestLinesAsync(lines.Select(l => l.Json));

        var stats = hub.Store.Stats();
        Assert.Equal(Expected(ExpectedFate.Stored), stats.Records);
        Assert.Equal(Expected(ExpectedFate.Quarantined), stats.Quarantined);
        Assert.Equal(Expected(ExpectedFate.Unresolved), stats.Unresolved);
        Assert.Equal(300, stats.Profiles);
        Assert.Equal(Expected(ExpectedFate.Duplicate), summary.Duplicates);
        Assert.Equal(lines.Count, summary.Received);
        Assert.Equal(Expected(ExpectedFate.Stored), summary.Stored);
    }

    [Fact]
    public async Task Reimporting_the_same_lines_changes_nothing()
    {
        using var hub = new TempHub();
        var lines = TempHub.Generate(enterprises: 80, seed: 5, dirtRate: 0.2).Select(l => l.Json).ToList();
        await hub.IngestLinesAsync(lines);
        var stats = hub.Store.Stats();
        var profiles = hub.Store.EnterprisesWithRecords().ToDictionary(u => u, u => hub.Store.GetProfile(u)!.ToByteArray());

        var again = await hub.IngestLinesAsync(lines);

        Assert.Equal(stats, hub.Store.Stats());
        Assert.Equal(0, again.Stored);
        Assert.Equal(0, again.Quarantined);
        Assert.Equal(0, again.Unresolved);
        Assert.True(again.AlreadyQuarantined > 0);
        foreach (var (uscc, bytes) in profiles) Assert.Equal(bytes, hub.Store.GetProfile(uscc)!.ToByteArray());
    }

    [Fact]
    public async Task The_same_records_in_any_order_give_identical_profiles()
    {
        var lines = TempHub.Generate(enterprises: 40, seed: 23, dirtRate: 0.2).Select(l => l.Json).ToList();
        Dictionary<string, byte[]>? reference = null;
        var random = new Random(99);
        for (int run = 0; run < 4; run++)
        {
            using var hub = new TempHub(batchSize: 1 + random.Next(200));
            var order = run == 0 ? lines : lines.OrderBy(_ => random.Next()).ToList();
            await hub.IngestLinesAsync(order);
            var profiles = hub.Store.EnterprisesWithRecords().ToDictionary(u => u, u => hub.Store.GetProfile(u)!.ToByteArray());
            if (reference is null) { reference = profiles; continue; }
            Assert.Equal(reference.Keys.Order(), profiles.Keys.Order());
            foreach (var (uscc, bytes) in reference)
                Assert.True(bytes.AsSpan().SequenceEqual(profiles[uscc]), $"profile {uscc} differs in shuffled run {run}");
        }
    }

    [Fact]
    public async Task Rebuild_from_the_log_reproduces_every_profile()
    {
        using var hub = new TempHub();
        await hub.IngestLinesAsync(TempHub.Generate(enterprises: 50, seed: 8).Select(l => l.Json));
        var before = hub.Store.EnterprisesWithRecords().ToDictionary(u => u, u => hub.Store.GetProfile(u)!.ToByteArray());
        // A profile whose enterprise has no record left (say, written by an older version) is removed.
        var orphan = new EnterpriseProfile { Uscc = "9144030071526726XG", Name = "孤立画像", RecordCount = 1, Identity = new Identity(), Risk = new RiskAssessment(), Credit = new CreditSection() };
        using (var batch = hub.Store.BeginProjection())
        {
            batch.SaveProfile(orphan);
            batch.Commit(0);
        }
        Assert.NotNull(hub.Store.GetProfile(orphan.Uscc));

        Assert.Equal(50, hub.Pipeline.Rebuild());
        foreach (var (uscc, bytes) in before) Assert.Equal(bytes, hub.Store.GetProfile(uscc)!.ToByteArray());
        Assert.Null(hub.Store.GetProfile(orphan.Uscc));
        Assert.Empty(hub.Store.Search("孤立画像", 10));
    }

    [Fact]
    public async Task A_bad_check_character_is_quarantined_with_its_bytes_and_replays_once_allow_listed()
    {
        using var hub = new TempHub();
        const string legacy = "91350100M0001TGQXM";
        var line = $"{{\"uscc\":\"{legacy}\",\"source\":\"market-supervision\",\"source_id\":\"REG-LEGACY\",\"occurred_at\":\"2015-06-01T00:00:00Z\",\"registration\":{{\"name\":\"福州某某有限公司\",\"status_raw\":\"存续\"}}}}";
        var first = await hub.IngestLinesAsync([line]);
        Assert.Equal(1, first.Quarantined);
        var entry = Assert.Single(hub.Store.ListQuarantine(false, 10));
        Assert.Equal("USCC_INVALID", entry.ReasonCode);
        Assert.Contains("Position 18", entry.Reason);
        Assert.Equal("normalize", entry.Stage);
        Assert.Equal("test.jsonl:1", entry.Origin);
        Assert.Equal(line, System.Text.Encoding.UTF8.GetString(entry.Payload));

        // Replaying with the same configuration fails again and says so.
        var failed = await hub.Pipeline.ReplayQuarantineAsync(hub.Store.ListQuarantine(false, 10));
        Assert.Equal(0, failed.Replayed);
        Assert.Equal(1, Assert.Single(hub.Store.ListQuarantine(false, 10)).ReplayAttempts);

        // The operator adds the legacy code to the allow-list; the replay now stores it.
        var fixedPipeline = hub.PipelineWith(new HashSet<string> { legacy });
        var replayed = await fixedPipeline.ReplayQuarantineAsync(hub.Store.ListQuarantine(false, 10));
        Assert.Equal(1, replayed.Replayed);
        Assert.Equal(1, replayed.Stored);
        Assert.Empty(hub.Store.ListQuarantine(false, 10));
        Assert.NotNull(Assert.Single(hub.Store.ListQuarantine(true, 10)).ReplayedAt);
        Assert.Equal("福州某某有限公司", hub.Store.GetProfile(legacy)!.Name);
    }

    [Fact]
    public async Task Malformed_lines_are_quarantined_and_never_stop_the_import()
    {
        using var hub = new TempHub();
        var good = TempHub.Generate(enterprises: 3, seed: 2, dirtRate: 0).Select(l => l.Json).ToList();
        var input = new List<string>(good) { "{not json", "{\"source\":\"x\",\"source_id\":\"1\",\"bogus_field\":1}", "[]" };
        input.Insert(1, "{\"uscc\":\"9144030071526726XG\",\"source\":\"s\",\"source_id\":\"no-body\",\"occurred_at\":\"2025-01-01T00:00:00Z\"}");
        var summary = await hub.IngestLinesAsync(input);
        Assert.Equal(4, summary.Quarantined);
        Assert.Equal(good.Count, summary.Stored);
        var reasons = hub.Store.ListQuarantine(false, 10).Select(e => e.ReasonCode).Order().ToList();
        Assert.Equal(["MALFORMED_JSON", "MALFORMED_JSON", "MALFORMED_JSON", "MISSING_BODY"], reasons);
    }

    [Fact]
    public async Task A_name_only_record_is_attached_when_exactly_one_enterprise_matches_and_queued_otherwise()
    {
        using var hub = new TempHub();
        var codeA = DataHub.Core.Identifiers.Uscc.Generate(new Random(1), "321302");
        var codeB = DataHub.Core.Identifiers.Uscc.Generate(new Random(2), "321302");
        var codeC = DataHub.Core.Identifiers.Uscc.Generate(new Random(3), "321311");
        string Registration(string code, string name, string former = "") =>
            $"{{\"uscc\":\"{code}\",\"source\":\"market-supervision\",\"source_id\":\"REG-{code}\",\"occurred_at\":\"2020-01-01T00:00:00Z\",\"registration\":{{\"name\":\"{name}\"{(former.Length > 0 ? $",\"former_names\":[\"{former}\"]" : "")}}}}}";
        string Complaint(string id, string name) =>
            $"{{\"enterprise_name\":\"{name}\",\"source\":\"hotline-12345\",\"source_id\":\"{id}\",\"occurred_at\":\"2026-01-01T00:00:00Z\",\"complaint\":{{\"kind\":\"COMPLAINT_KIND_COMPLAINT\"}}}}";

        await hub.IngestLinesAsync([
            Registration(codeA, "恒达食品（宿迁）有限公司", former: "宿迁恒达副食品有限公司"),
            Registration(codeB, "瑞丰建材有限公司"),
            Registration(codeC, "瑞丰建材有限公司"),
        ]);
        var summary = await hub.IngestLinesAsync([
            Complaint("W1", " 恒达食品(宿迁)有限公司 "),
            Complaint("W2", "宿迁恒达副食品有限公司"),
            Complaint("W3", "瑞丰建材有限公司"),
            Complaint("W4", "无此企业有限公司"),
        ]);

        Assert.Equal(2, summary.ResolvedByName);
        Assert.Equal(2, summary.Unresolved);
        var profile = hub.Store.GetProfile(codeA)!;
        var byCurrent = profile.Complaints.Entries.Single(e => e.Lineage.SourceId == "W1").Lineage.NameResolution;
        Assert.Equal(" 恒达食品(宿迁)有限公司 ".Trim(), byCurrent.SourceName);
        Assert.Equal("恒达食品(宿迁)有限公司", byCurrent.NormalizedName);
        Assert.False(byCurrent.MatchedFormerName);
        Assert.True(profile.Complaints.Entries.Single(e => e.Lineage.SourceId == "W2").Lineage.NameResolution.MatchedFormerName);
        Assert.Equal(["W3", "W4"], hub.Store.ListUnresolved(10).Select(u => u.SourceId).Order());
    }

    [Fact]
    public async Task Queued_records_attach_when_their_enterprise_arrives_later()
    {
        using var hub = new TempHub();
        var code = DataHub.Core.Identifiers.Uscc.Generate(new Random(4), "320706");
        await hub.IngestLinesAsync(["{\"enterprise_name\":\"海州明德商贸有限公司\",\"source\":\"hotline-12345\",\"source_id\":\"W9\",\"occurred_at\":\"2026-01-01T00:00:00Z\",\"complaint\":{}}"]);
        Assert.Equal(1, hub.Store.Stats().Unresolved);
        var later = await hub.IngestLinesAsync([$"{{\"uscc\":\"{code}\",\"source\":\"market-supervision\",\"source_id\":\"REG\",\"occurred_at\":\"2020-01-01T00:00:00Z\",\"registration\":{{\"name\":\"海州明德商贸有限公司\"}}}}"]);
        Assert.Equal(1, later.ResolvedByName);
        Assert.Equal(0, hub.Store.Stats().Unresolved);
        Assert.Single(hub.Store.GetProfile(code)!.Complaints.Entries);
    }

    [Fact]
    public async Task A_record_attached_by_name_and_served_again_is_a_duplicate_not_queued_again()
    {
        using var hub = new TempHub();
        var code = DataHub.Core.Identifiers.Uscc.Generate(new Random(6), "320706");
        const string complaint = "{\"enterprise_name\":\"海州明德商贸有限公司\",\"source\":\"hotline-12345\",\"source_id\":\"W9\",\"occurred_at\":\"2026-01-01T00:00:00Z\",\"complaint\":{}}";
        await hub.IngestLinesAsync([$"{{\"uscc\":\"{code}\",\"source\":\"market-supervision\",\"source_id\":\"REG\",\"occurred_at\":\"2020-01-01T00:00:00Z\",\"registration\":{{\"name\":\"海州明德商贸有限公司\"}}}}"]);
        Assert.Equal(1, (await hub.IngestLinesAsync([complaint])).ResolvedByName);

        // An adapter polling a source serves the same row again: it must not wait in the queue, even for a moment.
        var (outcomes, again) = await hub.Pipeline.SubmitAsync([TempHub.Raw(complaint, 1)]);
        Assert.Equal(RecordOutcomeKind.Duplicate, outcomes.Single().Kind);
        Assert.Equal(1, again.Duplicates);
        Assert.Equal(0, again.Unresolved);
        Assert.Equal(0, again.ResolvedByName);
        Assert.Equal(0, hub.Store.Stats().Unresolved);
        Assert.Single(hub.Store.GetProfile(code)!.Complaints.Entries);
    }

    [Fact]
    public async Task A_newer_version_supersedes_whatever_the_arrival_order_and_both_stay_in_the_log()
    {
        using var hub = new TempHub();
        var code = DataHub.Core.Identifiers.Uscc.Generate(new Random(5), "321202");
        string Version(string updated, string address) =>
            $"{{\"uscc\":\"{code}\",\"source\":\"market-supervision\",\"source_id\":\"REG\",\"occurred_at\":\"2020-01-01T00:00:00Z\",\"updated_at\":\"{updated}\",\"registration\":{{\"name\":\"泰州某公司\",\"address\":\"{address}\"}}}}";
        await hub.IngestLinesAsync([Version("2024-01-01T00:00:00Z", "新地址")]);
        await hub.IngestLinesAsync([Version("2021-01-01T00:00:00Z", "旧地址")]);
        Assert.Equal("新地址", hub.Store.GetProfile(code)!.Identity.Address);
        Assert.Equal(2, hub.Store.RecordVersions(code).Count);
        Assert.Equal(1, hub.Store.Stats().CurrentRecords);
    }

    [Fact]
    public async Task Enterprises_first_seen_in_a_batch_fold_as_from_the_log_when_rows_move_and_versions_arrive_out_of_order_within_it()
    {
        using var hub = new TempHub(batchSize: 1000);
        var random = new Random(61);
        string x = DataHub.Core.Identifiers.Uscc.Generate(random, "321202"), z = DataHub.Core.Identifiers.Uscc.Generate(random, "321203");
        string Line(string uscc, string sourceId, string updated, string body) =>
            $"{{\"uscc\":\"{uscc}\",\"source\":\"market-supervision\",\"source_id\":\"{sourceId}\",\"occurred_at\":\"2020-01-01T00:00:00Z\",\"updated_at\":\"{updated}\",{body}}}";
        string Registration(string name) => $"\"registration\":{{\"name\":\"{name}\",\"address\":\"泰州某路\"}}";
        string Inspection(string day) => $"\"inspection\":{{\"task_no\":\"T\",\"checked_on\":\"{day}\"}}";
        // One batch: X's registration; an inspection row first filed under X, then (a newer version) under Z;
        // a newer then an older version of X's second inspection; Z's registration.
        await hub.IngestLinesAsync([
            Line(x, "REG-X", "2024-01-01T00:00:00Z", Registration("泰州甲公司")),
            Line(x, "INS-1", "2024-01-01T00:00:00Z", Inspection("2024-01-01")),
            Line(z, "INS-1", "2024-02-01T00:00:00Z", Inspection("2024-02-01")),
            Line(x, "INS-2", "2024-03-01T00:00:00Z", Inspection("2024-03-01")),
            Line(x, "INS-2", "2024-01-15T00:00:00Z", Inspection("2024-01-15")),
            Line(z, "REG-Z", "2024-01-01T00:00:00Z", Registration("泰州乙公司")),
        ]);
        var folded = new[] { x, z }.Select(u => hub.Store.GetProfile(u)!).ToList();
        Assert.Equal(["2024-03-01"], folded[0].Inspections.Select(i => i.Inspection.CheckedOn));
        Assert.Equal(["2024-02-01"], folded[1].Inspections.Select(i => i.Inspection.CheckedOn));
        // Re-folded from the log, each profile is the same.
        hub.Pipeline.Rebuild();
        Assert.Equal(folded, new[] { x, z }.Select(u => hub.Store.GetProfile(u)!).ToList());
    }

    [Fact]
    public async Task Changed_profiles_and_appended_records_are_published_on_the_bus()
    {
        using var hub = new TempHub();
        using var profiles = hub.Bus.Subscribe(Topics.Profiles);
        using var records = hub.Bus.Subscribe(Topics.Records);
        var lines = TempHub.Generate(enterprises: 5, seed: 3, dirtRate: 0);
        var summary = await hub.IngestLinesAsync(lines.Select(l => l.Json));

        var published = new List<EnterpriseProfile>();
        while (profiles.Reader.TryRead(out var m)) published.Add((EnterpriseProfile)m.Value);
        Assert.Equal(summary.ProfilesWritten, published.Count);
        Assert.Equal(5, published.Select(p => p.Uscc).Distinct().Count());
        int recordCount = 0;
        while (records.Reader.TryRead(out var m)) { recordCount++; Assert.Equal(((CanonicalRecord)m.Value).Uscc, m.Key); }
        Assert.Equal(summary.Stored, recordCount);
    }

    [Fact]
    public async Task A_subscriber_that_comes_while_profiles_are_folded_gets_them_as_committed()
    {
        using var hub = new TempHub();
        using var watch = hub.Bus.Subscribe(Topics.Profiles);
        var bus = new LateSubscriberBus(hub.Bus);
        var pipeline = new IngestPipeline(hub.Store, bus, new DataHub.Core.Records.RecordNormalizer(), [new DataHub.Adapters.Import.CanonicalJsonLinesMapper()],
            TimeProvider.System, new IngestOptions { BatchSize = 64 });
        var lines = TempHub.Generate(enterprises: 30, seed: 21, dirtRate: 0).Select((l, i) => TempHub.Raw(l.Json, i + 1));

        var summary = await pipeline.IngestAsync(lines);

        var published = new List<EnterpriseProfile>();
        while (watch.Reader.TryRead(out var m)) published.Add((EnterpriseProfile)m.Value);
        // Every projection found no subscriber when it began and one when it committed.
        Assert.True(bus.Asked >= 2 && bus.Asked % 2 == 0, $"asked {bus.Asked} times");
        Assert.Equal(summary.ProfilesWritten, published.Count);
        var latest = published.GroupBy(p => p.Uscc).ToDictionary(g => g.Key, g => g.Last());
        Assert.Equal(hub.Store.EnterprisesWithProfiles(), latest.Keys.Order(StringComparer.Ordinal));
        foreach (var (uscc, profile) in latest) Assert.Equal(hub.Store.GetProfile(uscc), profile);
    }

    /// <summary>The in-process bus, except that every other question about profile subscribers is answered "none": a watcher arriving while a projection folds.</summary>
    private sealed class LateSubscriberBus(InProcessEventBus inner) : DataHub.Core.Ingest.IEventBus
    {
        public int Asked;

        public ValueTask PublishAsync(string topic, string key, Google.Protobuf.IMessage message, CancellationToken cancellationToken = default) =>
            inner.PublishAsync(topic, key, message, cancellationToken);

        public bool HasSubscribers(string topic) => topic == Topics.Profiles ? Interlocked.Increment(ref Asked) % 2 == 0 && inner.HasSubscribers(topic) : inner.HasSubscribers(topic);
    }

    [Fact]
    public async Task Search_finds_by_name_fragment_USCC_prefix_legal_representative_and_address()
    {
        using var hub = new TempHub();
        var lines = TempHub.Generate(enterprises: 60, seed: 17, dirtRate: 0);
        await hub.IngestLinesAsync(lines.Select(l => l.Json));
        var code = hub.Store.EnterprisesWithRecords()[7];
        var profile = hub.Store.GetProfile(code)!;

        Assert.Contains(hub.Store.Search(code, 10), h => h.Uscc == code);
        Assert.Contains(hub.Store.Search(code[..10].ToLowerInvariant(), 100), h => h.Uscc == code);
        Assert.Contains(hub.Store.Search(string.Concat(code[..10].Select(c => (char)(c + 0xFEE0))), 100), h => h.Uscc == code);
        var fragment = profile.Name.Substring(2, 4);
        Assert.Contains(hub.Store.Search(fragment, 100), h => h.Uscc == code);
        Assert.Contains(hub.Store.Search(profile.Name.Replace("（", "(").Replace("）", ")"), 100), h => h.Uscc == code);
        Assert.Contains(hub.Store.Search(profile.Identity.LegalRepresentative, 1000), h => h.Uscc == code);
        Assert.Contains(hub.Store.Search(profile.Identity.Address, 10), h => h.Uscc == code);
        Assert.Empty(hub.Store.Search("完全不存在的名字片段", 10));
    }

    [Fact]
    public async Task Profiles_read_through_the_cache_follow_changes_on_the_bus()
    {
        using var hub = new TempHub();
        var code = DataHub.Core.Identifiers.Uscc.Generate(new Random(6), "321324");
        string Reg(string name, string updated) => $"{{\"uscc\":\"{code}\",\"source\":\"market-supervision\",\"source_id\":\"REG\",\"occurred_at\":\"2020-01-01T00:00:00Z\",\"updated_at\":\"{updated}\",\"registration\":{{\"name\":\"{name}\"}}}}";
        await hub.IngestLinesAsync([Reg("旧名称有限公司", "2020-01-01T00:00:00Z")]);
        var cache = new Microsoft.Extensions.Caching.Distributed.MemoryDistributedCache(Microsoft.Extensions.Options.Options.Create(new Microsoft.Extensions.Caching.Memory.MemoryDistributedCacheOptions()));
        using var reader = new CachedProfileReader(hub.Store, cache, hub.Bus);
        Assert.Equal("旧名称有限公司", (await reader.GetAsync(code))!.Name);

        await hub.IngestLinesAsync([Reg("新名称有限公司", "2022-01-01T00:00:00Z")]);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while ((await reader.GetAsync(code))!.Name != "新名称有限公司" && DateTime.UtcNow < deadline) await Task.Delay(10);
        Assert.Equal("新名称有限公司", (await reader.GetAsync(code))!.Name);
        Assert.Null(await reader.GetAsync("9144030071526726XG"));
        Assert.Null(await reader.GetEncodedAsync("9144030071526726XG"));

        // The bytes kept beside the profile are exactly its encoding, whichever way it came into the cache.
        var fromBus = (await reader.GetEncodedAsync(code))!;
        Assert.Equal(fromBus.Profile.ToByteArray(), fromBus.Encoded);
        using var fresh = new CachedProfileReader(hub.Store, cache, hub.Bus);
        var fromDistributedCache = (await fresh.GetEncodedAsync(code))!;
        Assert.Equal("新名称有限公司", fromDistributedCache.Profile.Name);
        Assert.Equal(fromDistributedCache.Profile.ToByteArray(), fromDistributedCache.Encoded);
        var emptyCache = new Microsoft.Extensions.Caching.Distributed.MemoryDistributedCache(Microsoft.Extensions.Options.Options.Create(new Microsoft.Extensions.Caching.Memory.MemoryDistributedCacheOptions()));
        using var cold = new CachedProfileReader(hub.Store, emptyCache, hub.Bus);
        var fromStore = (await cold.GetEncodedAsync(code))!;
        Assert.Equal(fromStore.Profile.ToByteArray(), fromStore.Encoded);
        Assert.Equal(fromBus.Encoded, fromStore.Encoded);
    }

    [Fact]
    public async Task Enterprises_logged_but_not_projected_before_a_crash_are_projected_at_the_next_run()
    {
        using var hub = new TempHub();
        var code = DataHub.Core.Identifiers.Uscc.Generate(new Random(9), "321203");
        var record = new CanonicalRecord
        {
            Uscc = code, Source = "market-supervision", SourceId = "REG", EnterpriseName = "高港某某有限公司",
            OccurredAt = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTime(new DateTime(2021, 1, 1, 0, 0, 0, DateTimeKind.Utc)),
            Registration = new Registration { Name = "高港某某有限公司" },
        };
        Assert.Null(new DataHub.Core.Records.RecordNormalizer().Normalize(record));
        // The log stage commits, then the process dies before the projection stage runs.
        using (var batch = hub.Store.BeginBatch())
        {
            Assert.True(batch.Append(record).BecameCurrent);
            batch.MarkForProjection([code]);
            batch.Commit();
        }
        Assert.Null(hub.Store.GetProfile(code));
        Assert.Equal([code], hub.Store.PendingProjections().Usccs);

        var summary = await hub.IngestLinesAsync([]);

        Assert.Equal(1, summary.ProfilesWritten);
        Assert.Equal("高港某某有限公司", hub.Store.GetProfile(code)!.Name);
        Assert.Empty(hub.Store.PendingProjections().Usccs);
    }

    [Theory]
    [InlineData(16)]
    [InlineData(64)]
    public async Task A_log_transaction_spans_the_batches_that_wait_for_it_up_to_the_commit_size_and_stores_the_same(int commitSize)
    {
        var lines = TempHub.Generate(enterprises: 60, seed: 12, dirtRate: 0.2).Select((l, i) => TempHub.Raw(l.Json, i + 1)).ToList();
        using var reference = new TempHub(batchSize: 16);
        await reference.Pipeline.IngestAsync(lines);

        using var hub = new TempHub();
        // A policy that takes three milliseconds per stored record keeps the log stage the slowest, so the next
        // batches are prepared and waiting when it decides whether to commit (given threads to prepare them on:
        // the sleeping log stage holds one of the pool's).
        ThreadPool.GetMinThreads(out var workers, out var ports);
        ThreadPool.SetMinThreads(Math.Max(workers, 8), ports);
        var pipeline = new IngestPipeline(hub.Store, hub.Bus, new DataHub.Core.Records.RecordNormalizer(), [new DataHub.Adapters.Import.CanonicalJsonLinesMapper()],
            TimeProvider.System, new IngestOptions { BatchSize = 16, CommitSize = commitSize, OutboxPolicies = [new SlowPolicy()] });
        var commits = new List<long>();
        var summary = await pipeline.IngestAsync(lines, new SynchronousProgress(s => commits.Add(s.Received)));

        // Progress is reported after each log commit (the last report follows name resolution).
        var committed = commits.SkipLast(1).ToList();
        Assert.Equal(lines.Count, committed[^1]);
        var perCommit = committed.Zip(committed.Prepend(0), (after, before) => after - before).ToList();
        Assert.All(perCommit, n => Assert.InRange(n, 1, commitSize));
        // A batch a busy machine prepared late means an early commit, never a larger one.
        Assert.InRange(perCommit.Count, (int)Math.Ceiling(lines.Count / (double)commitSize), (int)Math.Ceiling(lines.Count / (double)commitSize) + 2);
        Assert.Equal(reference.Store.Stats(), hub.Store.Stats());
        Assert.Equal(lines.Count, summary.Received);
        foreach (var uscc in reference.Store.EnterprisesWithProfiles())
            Assert.Equal(reference.Store.GetProfile(uscc), hub.Store.GetProfile(uscc));
    }

    private sealed class SlowPolicy : DataHub.Core.Ingest.IOutboxPolicy
    {
        public IEnumerable<DataHub.Core.Ingest.OutboxIntent> IntentsFor(CanonicalRecord stored)
        {
            Thread.Sleep(3);
            return [];
        }
    }

    /// <summary>Reports on the reporting thread (Progress&lt;T&gt; would post them to the thread pool, out of order).</summary>
    private sealed class SynchronousProgress(Action<IngestSummary> report) : IProgress<IngestSummary>
    {
        public void Report(IngestSummary value) => report(value);
    }

    [Fact]
    public async Task A_failing_projection_stage_fails_the_import_instead_of_hanging()
    {
        using var hub = new TempHub();
        var failing = new FailingProjectionStore(hub.Store);
        var pipeline = new IngestPipeline(failing, hub.Bus, new DataHub.Core.Records.RecordNormalizer(), [new DataHub.Adapters.Import.CanonicalJsonLinesMapper()],
            TimeProvider.System, new IngestOptions { BatchSize = 16 });
        var lines = TempHub.Generate(enterprises: 40, seed: 4, dirtRate: 0).Select((l, i) => TempHub.Raw(l.Json, i + 1));
        var import = pipeline.IngestAsync(lines);
        var finished = await Task.WhenAny(import, Task.Delay(TimeSpan.FromSeconds(60)));
        Assert.Same(import, finished);
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => import);
        Assert.Equal("profile store unavailable", e.Message);
    }

    [Fact]
    public async Task A_payload_that_maps_to_no_record_is_quarantined()
    {
        using var hub = new TempHub();
        var pipeline = new IngestPipeline(hub.Store, hub.Bus, new DataHub.Core.Records.RecordNormalizer(), [new EmptyMapper()], TimeProvider.System);
        var summary = await pipeline.IngestAsync([new RawRecord { Source = "x", Format = "empty", Origin = "x:1", Payload = Google.Protobuf.ByteString.CopyFromUtf8("{}") }]);
        Assert.Equal(1, summary.Quarantined);
        Assert.Equal("EMPTY_PAYLOAD", Assert.Single(hub.Store.ListQuarantine(false, 10)).ReasonCode);
    }

    private sealed class EmptyMapper : DataHub.Core.Records.IRecordMapper
    {
        public string Format => "empty";

        public DataHub.Core.Records.MappingResult Map(RawRecord raw) => new([], null);
    }

    /// <summary>The real store, except that the profile side fails after its first transaction.</summary>
    private sealed class FailingProjectionStore(SqliteHubStore inner) : IHubStore
    {
        private int _projections;

        public IIngestBatch BeginBatch() => inner.BeginBatch();

        public IProjectionBatch BeginProjection() =>
            Interlocked.Increment(ref _projections) > 1 ? throw new InvalidOperationException("profile store unavailable") : inner.BeginProjection();

        public PendingProjection PendingProjections() => new([], 0);

        public EnterpriseProfile? GetProfile(string uscc) => inner.GetProfile(uscc);

        public IReadOnlyList<CanonicalRecord> RecordVersions(string uscc) => inner.RecordVersions(uscc);

        public LogPage LogAfter(long afterSeq, IReadOnlyCollection<CanonicalRecord.BodyOneofCase> kinds, int limit) => inner.LogAfter(afterSeq, kinds, limit);

        public IReadOnlyList<OutboxMessage> WaitingOutbox(string destination, long afterId, int limit) => inner.WaitingOutbox(destination, afterId, limit);

        public IReadOnlyList<string> EnterprisesWithRecords() => inner.EnterprisesWithRecords();

        public IReadOnlyList<string> EnterprisesWithProfiles() => inner.EnterprisesWithProfiles();

        public HubStats Stats() => inner.Stats();

        public void Probe() => inner.Probe();

        public IReadOnlyList<SourceCount> SourceCounts() => inner.SourceCounts();

        public IReadOnlyList<QuarantineEntry> ListQuarantine(bool includeReplayed, int limit) => inner.ListQuarantine(includeReplayed, limit);

        public IReadOnlyList<UnresolvedRecord> ListUnresolved(int limit) => inner.ListUnresolved(limit);

        public IReadOnlyList<StoredAdapterState> AdapterStates() => inner.AdapterStates();

        public void SetAdapterPaused(string adapterId, bool paused, DateTimeOffset at) => inner.SetAdapterPaused(adapterId, paused, at);

        public IReadOnlyList<OutboxMessage> DueOutbox(DateTimeOffset now, int limit) => inner.DueOutbox(now, limit);

        public void MarkOutboxDelivered(long id, DateTimeOffset at) => inner.MarkOutboxDelivered(id, at);

        public void MarkOutboxFailed(long id, string error, DateTimeOffset nextAttemptAt) => inner.MarkOutboxFailed(id, error, nextAttemptAt);

        public IReadOnlyList<OutboxCount> OutboxCounts() => inner.OutboxCounts();
    }
}
