using DataHub.Core.Audit;
using DataHub.Core.Ingest;
using DataHub.Schema.V1;

namespace DataHub.Embedded.Tests;

/// <summary>What the served API relies on: filtered paged search, per-record submit outcomes, the audit log, the bus for watchers.</summary>
public sealed class ServingStoreTests
{
    [Fact]
    public async Task Filtered_search_counts_every_match_and_pages_without_overlap()
    {
        using var hub = new TempHub();
        await hub.IngestLinesAsync(TempHub.Generate(enterprises: 80, seed: 23, dirtRate: 0).Select(l => l.Json));
        var all = hub.Store.EnterprisesWithProfiles().Select(u => hub.Store.GetProfile(u)!).ToList();
        var district = all.GroupBy(p => p.Identity.DistrictCode).OrderByDescending(g => g.Count()).First();

        var byDistrict = hub.Store.Search(new ProfileQuery { DistrictCode = district.Key, Limit = 5 });
        Assert.Equal(district.Count(), byDistrict.Total);
        var pages = new List<string>();
        for (int offset = 0; offset < byDistrict.Total; offset += 5)
            pages.AddRange(hub.Store.Search(new ProfileQuery { DistrictCode = district.Key, Limit = 5, Offset = offset }).Hits.Select(h => h.Uscc));
        Assert.Equal(district.Select(p => p.Uscc).Order(StringComparer.Ordinal), pages);

        var tier = all[0].Risk.Tier;
        var byTierAndText = hub.Store.Search(new ProfileQuery { Text = "有限", RiskTier = tier, Limit = 100 });
        Assert.Equal(all.Count(p => p.Risk.Tier == tier && (p.Name.Contains("有限") || p.Identity.Address.Contains("有限"))), byTierAndText.Total);
        Assert.All(byTierAndText.Hits, h => Assert.Equal(tier, h.RiskTier));
        Assert.Equal(0, hub.Store.Search(new ProfileQuery()).Total);

        // A trigram fragment, ranked in the FTS table: counted, paged without overlap or gap, the same
        // order whatever the page size.
        var fragmentMatches = all.Where(p => $"{p.Name} {string.Join(" ", p.Identity.FormerNames)} {p.Identity.LegalRepresentative} {p.Identity.Address}".Contains("有限公")).ToList();
        var ranked = hub.Store.Search(new ProfileQuery { Text = "有限公", Limit = 100 });
        Assert.Equal(fragmentMatches.Count, ranked.Total);
        var paged = new List<string>();
        for (int offset = 0; offset < ranked.Total; offset += 7)
            paged.AddRange(hub.Store.Search(new ProfileQuery { Text = "有限公", Limit = 7, Offset = offset }).Hits.Select(h => h.Uscc));
        Assert.Equal(ranked.Hits.Select(h => h.Uscc), paged);
        Assert.Equal(fragmentMatches.Select(p => p.Uscc).Order(StringComparer.Ordinal), paged.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Renamed_enterprises_are_found_by_new_and_former_name_with_one_search_row_each()
    {
        using var hub = new TempHub(batchSize: 64);
        await hub.IngestLinesAsync(TempHub.Generate(enterprises: 30, seed: 41, dirtRate: 0).Select(l => l.Json));
        var renamed = hub.Store.EnterprisesWithProfiles().Take(5).Select(u => hub.Store.GetProfile(u)!).ToList();
        // Renames and new enterprises in one batch: search rows replaced and added in the same projection.
        var changes = renamed.Select((p, i) => $$"""
            { "uscc": "{{p.Uscc}}", "source": "market-supervision", "source_id": "CHG-RENAME-{{i}}", "occurred_at": "2099-01-0{{i + 1}}T00:00:00Z",
              "synthetic": true, "status_change": { "new_name": "更名测试甲乙丙{{i}}号有限公司" } }
            """.ReplaceLineEndings(" ")).ToList();
        changes.AddRange(TempHub.Generate(enterprises: 40, seed: 42, dirtRate: 0).Select(l => l.Json));
        await hub.IngestLinesAsync(changes);

        for (int i = 0; i < renamed.Count; i++)
        {
            var hits = hub.Store.Search(new ProfileQuery { Text = $"更名测试甲乙丙{i}号", Limit = 10 }).Hits;
            Assert.Equal(renamed[i].Uscc, Assert.Single(hits).Uscc);
            Assert.Contains(hub.Store.Search(new ProfileQuery { Text = renamed[i].Name, Limit = 100 }).Hits, h => h.Uscc == renamed[i].Uscc);
        }
        // Every profile has exactly one search row: the FTS table matches each USCC once.
        foreach (var uscc in hub.Store.EnterprisesWithProfiles())
            Assert.Single(hub.Store.Search(new ProfileQuery { Text = uscc, Limit = 10 }).Hits);
        using var c = hub.Store.OpenSearch();
        using var count = c.CreateCommand();
        count.CommandText = "SELECT (SELECT count(*) FROM profile_search) - (SELECT count(*) FROM profiles)";
        Assert.Equal(0L, (long)count.ExecuteScalar()!);
    }

    [Fact]
    public async Task Industry_expiring_licence_and_overdue_commitment_filters_find_exactly_the_matching_enterprises()
    {
        using var hub = new TempHub();
        await hub.IngestLinesAsync(TempHub.Generate(enterprises: 120, seed: 29, dirtRate: 0).Select(l => l.Json));
        var all = hub.Store.EnterprisesWithProfiles().Select(u => hub.Store.GetProfile(u)!).ToList();
        IReadOnlyList<string> Found(ProfileQuery q) => hub.Store.Search(q with { Limit = 1000 }).Hits.Select(h => h.Uscc).Order(StringComparer.Ordinal).ToList();
        IReadOnlyList<string> Expected(Func<EnterpriseProfile, bool> match) => all.Where(match).Select(p => p.Uscc).Order(StringComparer.Ordinal).ToList();

        var industry = DataHub.Core.Identifiers.IndustrySections.SectionOf(all[0].Identity.IndustryCode);
        Assert.Equal(Expected(p => DataHub.Core.Identifiers.IndustrySections.SectionOf(p.Identity.IndustryCode) == industry), Found(new ProfileQuery { IndustrySection = industry }));

        // A window around a licence's end: enterprises with a live licence ending inside it.
        var licence = all.SelectMany(p => p.Licences).First(l => l.State is LicenceState.Valid or LicenceState.Expiring);
        var end = DateOnly.Parse(licence.Licence.ValidUntil, System.Globalization.CultureInfo.InvariantCulture);
        var window = (end.AddDays(-30), end);
        var expiring = Expected(p => p.Licences.Any(l => l.State is LicenceState.Valid or LicenceState.Expiring &&
            string.CompareOrdinal(l.Licence.ValidUntil, DataHub.Core.Records.ChinaDates.Format(window.Item1)) >= 0 &&
            string.CompareOrdinal(l.Licence.ValidUntil, DataHub.Core.Records.ChinaDates.Format(window.Item2)) <= 0));
        Assert.NotEmpty(expiring);
        Assert.Equal(expiring, Found(new ProfileQuery { LicenceExpiring = window }));

        var today = new DateOnly(2026, 6, 30);
        var overdue = Expected(p => p.Commitments.Any(c => c.State is CommitmentState.Pending or CommitmentState.Overdue &&
            string.CompareOrdinal(c.Commitment.Deadline, DataHub.Core.Records.ChinaDates.Format(today)) < 0));
        Assert.NotEmpty(overdue);
        Assert.Equal(overdue, Found(new ProfileQuery { CommitmentOverdueOn = today }));

        // A fragment with a district (read through the district index) finds what the trigram index finds there.
        var district = all[0].Identity.DistrictCode;
        var fragment = all[0].Name.Substring(1, 3);
        var viaIndex = Found(new ProfileQuery { Text = fragment, DistrictCode = district });
        Assert.Contains(all[0].Uscc, viaIndex);
        Assert.Equal(hub.Store.Search(new ProfileQuery { Text = fragment, Limit = 1000 }).Hits.Where(h => h.DistrictCode == district).Select(h => h.Uscc).Order(StringComparer.Ordinal), viaIndex);
        var tier = all[0].Risk.Tier;
        Assert.Equal(Found(new ProfileQuery { Text = fragment, DistrictCode = district }).Where(u => hub.Store.GetProfile(u)!.Risk.Tier == tier),
            Found(new ProfileQuery { Text = fragment, DistrictCode = district, RiskTier = tier }));
        // Paged from the district index: the same order whatever the page size, no overlap, no gap.
        var biggest = all.GroupBy(p => p.Identity.DistrictCode).MaxBy(g => g.Count())!.Key;
        var wholePage = hub.Store.Search(new ProfileQuery { Text = "有限公", DistrictCode = biggest, Limit = 1000 }).Hits.Select(h => h.Uscc).ToList();
        Assert.True(wholePage.Count >= 4, $"the biggest district should hold several 有限公司, found {wholePage.Count}");
        Assert.Equal(Expected(p => p.Identity.DistrictCode == biggest && (p.Name + p.Identity.Address + string.Join("", p.Identity.FormerNames)).Contains("有限公")),
            wholePage.Order(StringComparer.Ordinal));
        var byTwo = new List<string>();
        for (int offset = 0; offset < wholePage.Count; offset += 2)
            byTwo.AddRange(hub.Store.Search(new ProfileQuery { Text = "有限公", DistrictCode = biggest, Limit = 2, Offset = offset }).Hits.Select(h => h.Uscc));
        Assert.Equal(wholePage, byTwo);
        // The count: from the district index alone, and through the rows when another filter needs them.
        Assert.Equal(viaIndex.Count, hub.Store.Search(new ProfileQuery { Text = fragment, DistrictCode = district, Limit = 1 }).Total);
        var status = all[0].Identity.Status;
        Assert.Equal(viaIndex.Count(u => hub.Store.GetProfile(u)!.Identity.Status == status),
            hub.Store.Search(new ProfileQuery { Text = fragment, DistrictCode = district, Status = status, Limit = 1 }).Total);

        var byRisk = hub.Store.Search(new ProfileQuery { Text = "有限", Sort = ProfileSort.RiskFirst, Limit = 1000 }).Hits;
        Assert.Equal(byRisk.OrderBy(h => h.RiskTier switch { RiskTier.High => 0, RiskTier.Medium => 1, _ => 2 }).ThenBy(h => h.Uscc, StringComparer.Ordinal).Select(h => h.Uscc), byRisk.Select(h => h.Uscc));
        var byName = hub.Store.Search(new ProfileQuery { Text = "有限", Sort = ProfileSort.Name, Limit = 1000 }).Hits;
        Assert.Equal(byName.Select(h => h.Name).Order(StringComparer.Ordinal), byName.Select(h => h.Name));
    }

    [Fact]
    public async Task Submit_says_per_record_whether_it_was_stored_a_duplicate_quarantined_or_waits_for_its_name()
    {
        using var hub = new TempHub();
        var lines = TempHub.Generate(enterprises: 5, seed: 3, dirtRate: 0).Select(l => l.Json).ToList();
        await hub.IngestLinesAsync(lines);
        var registration = lines.First(l => l.Contains("\"registration\""));
        var fresh = registration.Replace("\"source_id\": \"", "\"source_id\": \"NEW-");
        Assert.NotEqual(registration, fresh);
        var nameOnly = """{"enterprise_name":"查无此名的企业","source":"hotline-12345","source_id":"W-1","occurred_at":"2026-01-05T10:12:00+08:00","complaint":{"kind":"COMPLAINT_KIND_COMPLAINT","summary":"测试"}}""";
        var (outcomes, _) = await hub.Pipeline.SubmitAsync([TempHub.Raw(registration, 1), TempHub.Raw(fresh, 2), TempHub.Raw("{broken", 3), TempHub.Raw(nameOnly, 4)]);
        Assert.Equal([RecordOutcomeKind.Duplicate, RecordOutcomeKind.Stored, RecordOutcomeKind.Quarantined, RecordOutcomeKind.AwaitingName], outcomes.Select(o => o.Kind));
        Assert.Equal("MALFORMED_JSON", outcomes[2].Rejection!.Code);
        Assert.Single(outcomes[1].Usccs);
    }

    [Fact]
    public async Task Concurrent_audit_appends_form_one_contiguous_chain_that_survives_reopening()
    {
        var path = Path.Combine(Path.GetTempPath(), "datahub-audit-" + Guid.NewGuid().ToString("N"), "audit.db");
        try
        {
            await using (var log = new SqliteAuditLog(path))
            {
                await Task.WhenAll(Enumerable.Range(0, 500).Select(i => Task.Run(() => log.AppendAsync(Draft(i)))));
            }
            await using (var reopened = new SqliteAuditLog(path))
            {
                var next = await reopened.AppendAsync(Draft(500));
                Assert.Equal(501, next.Seq);
                Assert.Null(AuditChain.Verify(reopened.ReadAll(), out var verified));
                Assert.Equal(501, verified);
                Assert.Equal(Enumerable.Range(0, 501).Select(i => $"call {i}").Order(), reopened.ReadAll().Select(e => e.Draft.Detail).Order());
            }
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(path)!, true);
        }
    }

    private static AuditDraft Draft(int i) => new()
    {
        Agency = "agency-" + (i % 7), Method = "/datahub.v1.ProfileService/GetProfile", Uscc = "9144030071526726XG",
        Purpose = "审批", Result = "OK", Detail = $"call {i}", At = DateTimeOffset.UtcNow,
    };

    [Fact]
    public async Task A_watcher_that_stops_reading_is_cut_off_and_publishing_goes_on()
    {
        var bus = new InProcessEventBus(capacityPerSubscriber: 4);
        using var stalled = bus.Subscribe(Topics.Profiles, cutOffWhenFull: true);
        for (int i = 0; i < 10; i++)
            await bus.PublishAsync(Topics.Profiles, "9144030071526726XG", new EnterpriseProfile()).AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        var received = 0;
        var e = await Assert.ThrowsAsync<SubscriberOverflowException>(async () => { await foreach (var _ in stalled.Reader.ReadAllAsync()) received++; });
        Assert.Equal(4, received);
        Assert.Contains("fell 4 messages behind", e.Message);
    }
}
