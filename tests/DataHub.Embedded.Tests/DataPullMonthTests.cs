using DataHub.Core.Audit;
using DataHub.Core.Calendar;
using DataHub.Core.Identifiers;
using DataHub.Core.Ingest;
using DataHub.Core.Pulls;
using DataHub.Core.Workflows;
using DataHub.Core.Records;
using DataHub.Schema.V1;
using Google.Protobuf;

namespace DataHub.Embedded.Tests;

/// <summary>
/// A simulated month of data pulls (2026-09-14 to mid-November, across 中秋 and 国庆 with their 调休
/// Saturdays and Sundays): 1,000 pulls whose requesters, owners and coordination office behave by
/// class, agencies acting only in working hours on working days, the deadline scan every hour. Every
/// count of reminders, overdue flags, escalations, rulings, ratings and notices is exact.
/// </summary>
public sealed class DataPullMonthTests
{
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);
    private static readonly DateTimeOffset Start = new(2026, 9, 14, 9, 0, 0, ChinaDates.Offset);

    /// <summary>What each tenth of the pulls does (by id number mod 10).</summary>
    private enum Behaviour
    {
        LibraryRated = 0,       // licence in the library → answered at once; rated 好
        Library = 1,            // licence in the library → answered at once
        OwnerAtOnce = 2,        // owner fulfils in the next working hour (no reminder)
        OwnerAfterReminder = 3, // owner fulfils after the 督办 reminder
        OwnerWhenOverdue = 4,   // owner fulfils only after the due date passed (reminded, overdue, escalated)
        RefusalUpheld = 5,      // refuse → escalate → uphold → rated 中
        RefusalOverruled = 6,   // refuse → escalate → direct (3 working days) → fulfil → rated 好
        OverdueDirected = 7,    // overdue → coordination directs (2 working days) → fulfilled after the new reminder
        Cancelled = 8,          // requester withdraws
        RatedPoor = 9,          // fulfilled after reminder, rated 差 with a comment
    }

    private sealed class Tracked(int number, string uscc, string itemType)
    {
        public int Number { get; } = number;
        public string Uscc { get; } = uscc;
        public string ItemType { get; } = itemType;
        public Behaviour Behaviour => (Behaviour)(Number % 10);
        public DataPull? Pull { get; set; }
        public int Remindeds { get; set; }
        public bool SawOverdue { get; set; }
        public bool Directed { get; set; }
        public bool Done { get; set; }
    }

    [Fact]
    public async Task A_month_of_1000_pulls_gives_exact_counts_of_reminders_escalations_rulings_and_ratings()
    {
        await using var h = await PullHarness.StartAsync(Start);
        using var events = h.Bus.Subscribe(Topics.Pulls);
        var calendar = WorkingDayCalendar.Shipped;
        var random = new Random(20260914);
        var items = new[] { "LIC-JY", "MAT-FIRE", "DATA-TAX" };
        var pulls = Enumerable.Range(0, 1000).Select(n =>
        {
            var uscc = Uscc.Generate(random, "320100");
            var item = (Behaviour)(n % 10) is Behaviour.LibraryRated or Behaviour.Library ? "LIC-JY" : items[n / 10 % 3];
            if (item == "LIC-JY" && (Behaviour)(n % 10) is Behaviour.LibraryRated or Behaviour.Library)
                h.Library.Add(uscc, new Licence
                {
                    LicenceNo = $"JY{n:D8}", LicenceTypeCode = "JY", LicenceType = "食品经营许可证", Status = LicenceStatus.Valid,
                    ValidFrom = "2024-01-01", ValidUntil = "2029-12-31", IssuedOn = "2024-01-01",
                });
            return new Tracked(n, uscc, item);
        }).ToList();
        var byId = new Dictionary<string, Tracked>(StringComparer.Ordinal);

        int created = 0;
        var reminded = new HashSet<string>(StringComparer.Ordinal);
        var overdue = new HashSet<string>(StringComparer.Ordinal);
        int seen = 0;
        for (int tick = 0; tick < 24 * 75 && (created < pulls.Count || pulls.Any(p => !p.Done)); tick++)
        {
            var now = h.Time.Now;
            var local = now.ToOffset(ChinaDates.Offset);
            bool workingHour = calendar.IsWorkingDay(DateOnly.FromDateTime(local.DateTime)) && local.Hour is >= 9 and < 17;

            // The hub's own work first: the deadline scan, as the deadline service runs it.
            await h.Workflow.RunDeadlinesAsync(CancellationToken.None);
            foreach (var notice in h.Notifier.Notices.Skip(seen).ToList())
            {
                seen++;
                if (notice.Kind == "reminder") reminded.Add(notice.Subject);
                if (notice.Kind == "overdue") overdue.Add(notice.Subject);
            }

            if (workingHour)
            {
                // Agencies act in working hours: first the steps on existing pulls, then new requests.
                foreach (var t in pulls.Where(p => p.Pull is not null && !p.Done).ToList())
                    await ActAsync(h, t, reminded, overdue);
                for (int k = 0; k < 6 && created < pulls.Count; k++, created++)
                {
                    var t = pulls[created];
                    t.Pull = await h.Workflow.RequestAsync(PullHarness.Approval, t.Uscc, t.ItemType, "企业开办联审（合成测试）", $"BJ-{t.Number:D6}", CancellationToken.None);
                    byId[t.Pull.Id] = t;
                    if (t.Pull.State == PullState.Fulfilled && t.Behaviour == Behaviour.Library) t.Done = true;
                }
            }
            h.Time.Advance(Hour);
        }

        if (pulls.FirstOrDefault(p => !p.Done) is { } stuck)
            Assert.Fail($"{pulls.Count(p => !p.Done)} pulls never settled, e.g. #{stuck.Number} ({stuck.Behaviour}, {stuck.Pull?.State})");

        // Expected from the behaviours: a tenth of the pulls each.
        var notices = h.Notifier.Notices.ToList();
        int Count(string kind) => notices.Count(n => n.Kind == kind);
        Assert.Equal(800, Count("demand"));
        Assert.Equal(100 + 100 + 200 + 100, Count("reminder"));   // after-reminder, when-overdue, overdue-directed (twice), rated-poor
        Assert.Equal(200, Count("overdue"));                       // when-overdue, overdue-directed
        Assert.Equal(200, Count("overdue-escalation"));
        Assert.Equal(200, Count("refusal-escalation"));            // upheld, overruled
        Assert.Equal(200, Count("ruling"));                        // directions: overruled, overdue-directed
        Assert.All(notices.Where(n => n.Kind is "overdue-escalation" or "refusal-escalation"), n => Assert.Equal("city-coordination", n.RecipientAgency));
        Assert.Equal(notices.Count, notices.Select(n => n.IdempotencyKey).Distinct().Count());

        var final = pulls.Select(p => h.Store.Get(p.Pull!.Id)!).ToList();
        Assert.Equal(200 + 600, final.Count(p => p.State == PullState.Fulfilled));
        Assert.Equal(200, final.Count(p => p.Fulfilment == PullFulfilment.Library));
        Assert.Equal(100, final.Count(p => p.State == PullState.RefusalUpheld));
        Assert.Equal(100, final.Count(p => p.State == PullState.Cancelled));
        Assert.Equal(400, final.Count(p => p.Rating != PullRating.Unspecified));
        Assert.Equal(100, final.Count(p => p.Rating == PullRating.Poor));
        Assert.Equal(100, final.Count(p => p.Rating == PullRating.Fair));
        Assert.Equal(0, h.Store.Counts().Overdue);

        // Every step is one event in the pull's history, on the bus, and in the audit chain.
        var histories = final.SelectMany(p => h.Store.History(p.Id)).ToList();
        int Events(PullEventType type) => histories.Count(e => e.Type == type);
        Assert.Equal(200, Events(PullEventType.FulfilledFromLibrary));
        Assert.Equal(800, Events(PullEventType.Demanded));
        Assert.Equal(500, Events(PullEventType.Reminded));
        Assert.Equal(200, Events(PullEventType.Overdue));
        Assert.Equal(200, Events(PullEventType.Refused));
        Assert.Equal(200, Events(PullEventType.Escalated));
        Assert.Equal(100, Events(PullEventType.RuledRefusalUpheld));
        Assert.Equal(200, Events(PullEventType.RuledFulfil));
        Assert.Equal(600, Events(PullEventType.Fulfilled));
        Assert.Equal(100, Events(PullEventType.Cancelled));
        Assert.Equal(400, Events(PullEventType.Rated));
        Assert.All(final, p => Assert.Equal((int)p.Events, h.Store.History(p.Id).Count));
        int published = 0;
        while (events.Reader.TryRead(out _)) published++;
        Assert.Equal(histories.Count, published);
        var audit = h.Audit.ReadAll().ToList();
        Assert.Null(AuditChain.Verify(audit, out _));
        Assert.Equal(histories.Count, audit.Count(e => e.Draft.Detail.StartsWith("pull=", StringComparison.Ordinal)));
        Assert.Equal(700, audit.Count(e => e.Draft.Agency == PullLifecycle.HubActor));

        // Materials the owners supplied joined the library: asking again is answered at once.
        foreach (var t in pulls.Where(p => p.Behaviour == Behaviour.OwnerAtOnce))
        {
            var again = await h.Workflow.RequestAsync(PullHarness.Approval, t.Uscc, t.ItemType, "复用已归集材料（合成测试）", "", CancellationToken.None);
            Assert.Equal(PullFulfilment.Library, again.Fulfilment);
            Assert.Equal(t.Pull!.Id, again.Evidence.SuppliedByPull);
            Assert.Equal(h.Store.Get(t.Pull.Id)!.Evidence.Sha256, again.Evidence.Sha256);
        }
    }

    private static async Task ActAsync(PullHarness h, Tracked t, HashSet<string> reminded, HashSet<string> overdue)
    {
        var id = t.Pull!.Id;
        var owner = PullHarness.OwnerOf(t.ItemType);
        var ct = CancellationToken.None;
        Task<DataPull> Fulfil() => h.Workflow.FulfilAsync(owner, id, Material(t), t.ItemType == "DATA-TAX" ? "application/json" : "application/pdf",
            t.ItemType == "DATA-TAX" ? "" : "意见书.pdf", "", ct);
        switch (t.Behaviour)
        {
            case Behaviour.LibraryRated:
                t.Pull = await h.Workflow.RateAsync(PullHarness.Approval, id, PullRating.Good, "", ct);
                t.Done = true;
                break;
            case Behaviour.OwnerAtOnce:
                t.Pull = await Fulfil();
                t.Done = true;
                break;
            case Behaviour.OwnerAfterReminder or Behaviour.RatedPoor when reminded.Contains(id):
                Assert.False(overdue.Contains(id), $"{id} went overdue before its owner acted on the reminder");
                t.Pull = await Fulfil();
                if (t.Behaviour == Behaviour.RatedPoor) t.Pull = await h.Workflow.RateAsync(PullHarness.Approval, id, PullRating.Poor, "材料迟于督办后才提供（合成测试）", ct);
                t.Done = true;
                break;
            case Behaviour.OwnerWhenOverdue when overdue.Contains(id):
                Assert.True(reminded.Contains(id), $"{id} went overdue without the reminder the working day before");
                t.Pull = await Fulfil();
                Assert.True(t.Pull.Overdue);
                t.Done = true;
                break;
            case Behaviour.RefusalUpheld or Behaviour.RefusalOverruled when t.Pull.State == PullState.AwaitingOwner && t.Pull.RulingOpinion.Length == 0:
                t.Pull = await h.Workflow.RefuseAsync(owner, id, "该材料涉及第三方商业秘密（合成测试）", "《中华人民共和国政府信息公开条例》第十五条", ct);
                break;
            case Behaviour.RefusalUpheld or Behaviour.RefusalOverruled when t.Pull.State == PullState.Refused:
                t.Pull = await h.Workflow.EscalateAsync(PullHarness.Approval, id, "办理审批必需该材料（合成测试）", ct);
                break;
            case Behaviour.RefusalUpheld when t.Pull.State == PullState.InCoordination:
                t.Pull = await h.Workflow.UpholdRefusalAsync(PullHarness.Coordination, id, "拒绝理由成立（合成测试）", ct);
                break;
            case Behaviour.RefusalUpheld when t.Pull.State == PullState.RefusalUpheld:
                t.Pull = await h.Workflow.RateAsync(PullHarness.Approval, id, PullRating.Fair, "", ct);
                t.Done = true;
                break;
            case Behaviour.RefusalOverruled when t.Pull.State == PullState.InCoordination:
                t.Pull = await h.Workflow.DirectFulfilmentAsync(PullHarness.Coordination, id, "应依法共享（合成测试）", 3, ct);
                break;
            case Behaviour.RefusalOverruled when t.Pull.State == PullState.AwaitingOwner:
                t.Pull = await Fulfil();
                t.Pull = await h.Workflow.RateAsync(PullHarness.Approval, id, PullRating.Good, "", ct);
                t.Done = true;
                break;
            case Behaviour.OverdueDirected when overdue.Contains(id) && !t.Directed:
                t.Pull = await h.Workflow.DirectFulfilmentAsync(PullHarness.Coordination, id, "责成限期办结（合成测试）", 2, ct);
                t.Directed = true;
                reminded.Remove(id);
                break;
            case Behaviour.OverdueDirected when t.Directed && reminded.Contains(id):
                t.Pull = await Fulfil();
                Assert.False(t.Pull.Overdue);
                t.Done = true;
                break;
            case Behaviour.Cancelled:
                t.Pull = await h.Workflow.CancelAsync(PullHarness.Approval, id, "案件已撤回（合成测试）", ct);
                t.Done = true;
                break;
        }
    }

    private static ReadOnlyMemory<byte> Material(Tracked t) => t.ItemType == "DATA-TAX"
        ? System.Text.Encoding.UTF8.GetBytes($"{{\"uscc\":\"{t.Uscc}\",\"taxCreditLevel\":\"A\",\"arrears\":0,\"synthetic\":true}}")
        : System.Text.Encoding.UTF8.GetBytes($"%PDF-1.4 synthetic material for {t.Uscc} #{t.Number}");
}
