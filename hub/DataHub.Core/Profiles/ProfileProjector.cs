using DataHub.Core.Identifiers;
using DataHub.Core.Records;
using DataHub.Schema.V1;
using Google.Protobuf.WellKnownTypes;

namespace DataHub.Core.Profiles;

/// <summary>
/// Folds the current versions of one enterprise's records into its profile (企业画像). Pure and
/// deterministic: no clock, no randomness, and the input order does not matter, because the records
/// are put in a canonical order first and every section is sorted by total keys.
/// </summary>
public sealed class ProfileProjector
{
    /// <summary>Licences ending within this many days of as_of are "expiring".</summary>
    public const int ExpiringWithinDays = 30;

    /// <summary>The live profile: as of the latest date found in the records themselves.</summary>
    public EnterpriseProfile Project(string uscc, IEnumerable<CanonicalRecord> currentRecords) => Fold(uscc, currentRecords.ToList(), null);

    /// <summary>
    /// The profile as it stood at the end of <paramref name="asOf"/>: for each source row, the latest
    /// version that existed then (updated_at on or before that day), and only facts that had happened.
    /// </summary>
    public EnterpriseProfile ProjectAsOf(string uscc, IEnumerable<CanonicalRecord> allVersions, DateOnly asOf)
    {
        var end = Timestamp.FromDateTimeOffset(ChinaDates.EndOf(asOf));
        // The version current at the end of that day, then only if what it states had happened by then.
        var latest = allVersions
            .Where(r => r.UpdatedAt < end)
            .GroupBy(r => (r.Source, r.SourceId))
            .Select(g => g.OrderByDescending(r => r.UpdatedAt).ThenByDescending(r => r.ContentHash, StringComparer.Ordinal).First())
            .Where(r => r.OccurredAt < end)
            .ToList();
        return Fold(uscc, latest, asOf);
    }

    /// <summary>Orders versions of one source row: the greater one is current. Arrival order plays no part.</summary>
    public static int CompareVersions(CanonicalRecord a, CanonicalRecord b)
    {
        int c = a.UpdatedAt.CompareTo(b.UpdatedAt);
        return c != 0 ? c : string.CompareOrdinal(a.ContentHash, b.ContentHash);
    }

    private static EnterpriseProfile Fold(string uscc, List<CanonicalRecord> records, DateOnly? requestedAsOf)
    {
        records.Sort(static (a, b) =>
        {
            int c = string.CompareOrdinal(a.Source, b.Source);
            if (c != 0) return c;
            c = string.CompareOrdinal(a.SourceId, b.SourceId);
            return c != 0 ? c : string.CompareOrdinal(a.ContentHash, b.ContentHash);
        });
        var asOf = requestedAsOf ?? LatestDate(records);
        var profile = new EnterpriseProfile
        {
            Uscc = uscc,
            AsOf = ChinaDates.Format(asOf),
            RecordCount = (uint)records.Count,
            Synthetic = records.Any(r => r.Synthetic),
            Complaints = new ComplaintSection(),
            Credit = new CreditSection(),
        };
        profile.Identity = FoldIdentity(uscc, records, out var registrationMissing);
        profile.RegistrationMissing = registrationMissing;
        profile.Name = profile.Identity.Name;

        foreach (var r in records)
        {
            switch (r.BodyCase)
            {
                case CanonicalRecord.BodyOneofCase.Licence:
                    profile.Licences.Add(new LicenceEntry { Licence = r.Licence, State = LicenceStateAt(r.Licence, asOf), Lineage = LineageOf(r) });
                    break;
                case CanonicalRecord.BodyOneofCase.ApprovalCase:
                    profile.Approvals.Add(new ApprovalEntry { ApprovalCase = r.ApprovalCase, Lineage = LineageOf(r) });
                    break;
                case CanonicalRecord.BodyOneofCase.Commitment:
                    profile.Commitments.Add(new CommitmentEntry { Commitment = r.Commitment, State = CommitmentStateAt(r.Commitment, asOf), Lineage = LineageOf(r) });
                    break;
                case CanonicalRecord.BodyOneofCase.Complaint:
                    profile.Complaints.Entries.Add(new ComplaintEntry { Complaint = r.Complaint, Lineage = LineageOf(r) });
                    break;
                case CanonicalRecord.BodyOneofCase.Penalty:
                    profile.Penalties.Add(new PenaltyEntry { Penalty = r.Penalty, Lineage = LineageOf(r) });
                    break;
                case CanonicalRecord.BodyOneofCase.Inspection:
                    profile.Inspections.Add(new InspectionEntry { Inspection = r.Inspection, Lineage = LineageOf(r) });
                    break;
                case CanonicalRecord.BodyOneofCase.CreditRating:
                    profile.Credit.Ratings.Add(new CreditEntry { Rating = r.CreditRating, Lineage = LineageOf(r) });
                    break;
                case CanonicalRecord.BodyOneofCase.ListEntry:
                    profile.Lists.Add(new ListEntryState { Entry = r.ListEntry, Active = IsListed(r.ListEntry, asOf), Lineage = LineageOf(r) });
                    break;
            }
        }

        SortNewestFirst(profile.Licences, e => e.Licence.IssuedOn, e => e.Lineage);
        SortNewestFirst(profile.Approvals, e => e.ApprovalCase.AcceptedAt?.ToDateTimeOffset().ToString("O") ?? "", e => e.Lineage);
        SortNewestFirst(profile.Commitments, e => e.Commitment.CommittedOn, e => e.Lineage);
        SortNewestFirst(profile.Complaints.Entries, _ => "", e => e.Lineage);
        SortNewestFirst(profile.Penalties, e => e.Penalty.DecidedOn, e => e.Lineage);
        SortNewestFirst(profile.Inspections, e => e.Inspection.CheckedOn, e => e.Lineage);
        SortNewestFirst(profile.Credit.Ratings, e => e.Rating.RatedOn, e => e.Lineage);
        SortNewestFirst(profile.Lists, e => e.Entry.ListedOn, e => e.Lineage);

        CountComplaints(profile.Complaints, asOf);
        var current = profile.Credit.Ratings.FirstOrDefault(e => IsCurrentRating(e.Rating, asOf));
        if (current is not null)
        {
            profile.Credit.CurrentGrade = current.Rating.Grade;
            profile.Credit.CurrentRatingSystem = current.Rating.RatingSystem;
        }
        profile.Risk = RiskAssessor.Assess(profile, asOf);
        return profile;
    }

    private static Identity FoldIdentity(string uscc, List<CanonicalRecord> records, out bool registrationMissing)
    {
        var identity = new Identity();
        CanonicalRecord? registration = null;
        foreach (var r in records)
            if (r.BodyCase == CanonicalRecord.BodyOneofCase.Registration && (registration is null || CompareVersions(r, registration) > 0))
                registration = r;
        registrationMissing = registration is null;
        var formerNames = new List<string>();
        if (registration is not null)
        {
            var reg = registration.Registration;
            identity.Name = reg.Name;
            formerNames.AddRange(reg.FormerNames);
            identity.LegalRepresentative = reg.LegalRepresentative;
            identity.LegalRepresentativeIdMasked = reg.LegalRepresentativeIdMasked;
            identity.EntityType = reg.EntityType;
            identity.Status = reg.Status;
            identity.StatusRaw = reg.StatusRaw;
            identity.EstablishedOn = reg.EstablishedOn;
            identity.RegisteredCapitalWan = reg.RegisteredCapitalWan;
            identity.CapitalCurrency = reg.CapitalCurrency;
            identity.Address = reg.Address;
            identity.BusinessScope = reg.BusinessScope;
            identity.IndustryCode = reg.IndustryCode;
            identity.RegistrationAuthority = reg.RegistrationAuthority;
            identity.DistrictCode = reg.DistrictCode;
            identity.Lineage.Add(LineageOf(registration));
        }
        else
        {
            // Without a registration the best name is the one the most recent record used.
            var named = records.Where(r => r.EnterpriseName.Length > 0).ToList();
            named.Sort(CompareVersions);
            identity.Name = named.Count > 0 ? named[^1].EnterpriseName : "";
        }

        // A registration is a snapshot as of its updated_at; changes after it are applied on top.
        var changes = records
            .Where(r => r.BodyCase == CanonicalRecord.BodyOneofCase.StatusChange && (registration is null || r.OccurredAt > registration.UpdatedAt))
            .OrderBy(r => r.OccurredAt).ThenBy(r => r.Source, StringComparer.Ordinal).ThenBy(r => r.SourceId, StringComparer.Ordinal);
        foreach (var r in changes)
        {
            var change = r.StatusChange;
            if (change.NewStatus != RegistrationStatus.Unspecified)
            {
                identity.Status = change.NewStatus;
                identity.StatusRaw = change.StatusRaw;
            }
            if (change.NewName.Length > 0 && change.NewName != identity.Name)
            {
                if (identity.Name.Length > 0) formerNames.Add(identity.Name);
                identity.Name = change.NewName;
            }
            identity.Lineage.Add(LineageOf(r));
        }
        identity.FormerNames.AddRange(formerNames.Where(n => n != identity.Name).Distinct());

        if (uscc.Length == Uscc.Length)
        {
            var decoded = Uscc.Decode(uscc);
            identity.UsccParts = new UsccParts
            {
                RegistrationAuthorityCode = decoded.RegistrationAuthorityCode,
                RegistrationAuthority = decoded.RegistrationAuthority,
                CategoryCode = decoded.CategoryCode,
                Category = decoded.Category,
                DivisionCode = decoded.DivisionCode,
                DivisionName = decoded.DivisionName,
                OrganizationCode = decoded.OrganizationCode,
            };
            if (identity.DistrictCode.Length == 0) identity.DistrictCode = decoded.DivisionCode;
        }
        identity.DistrictName = AdministrativeDivisions.FullName(identity.DistrictCode) ?? "";
        return identity;
    }

    private static DateOnly LatestDate(List<CanonicalRecord> records)
    {
        Timestamp? latest = null;
        foreach (var r in records)
        {
            if (latest is null || r.OccurredAt > latest) latest = r.OccurredAt;
            if (r.UpdatedAt > latest) latest = r.UpdatedAt;
        }
        return latest is null ? DateOnly.MinValue : ChinaDates.DateOf(latest);
    }

    private static Lineage LineageOf(CanonicalRecord r) => new()
    {
        Source = r.Source,
        SourceId = r.SourceId,
        ContentHash = r.ContentHash,
        OccurredAt = r.OccurredAt,
        NameResolution = r.NameResolution,
    };

    /// <summary>Newest first by the entry's own date, then by occurred_at, then by source key: a total order.</summary>
    private static void SortNewestFirst<T>(Google.Protobuf.Collections.RepeatedField<T> entries, Func<T, string> date, Func<T, Lineage> lineage)
    {
        if (entries.Count < 2) return;
        // Keys taken once and one comparison, instead of LINQ's ordered iterators: the fold runs for every enterprise a batch touches.
        var keyed = new (string Date, Lineage Lineage, T Entry)[entries.Count];
        for (int i = 0; i < keyed.Length; i++) keyed[i] = (date(entries[i]), lineage(entries[i]), entries[i]);
        Array.Sort(keyed, static (a, b) =>
        {
            int c = string.CompareOrdinal(b.Date, a.Date);
            if (c != 0) return c;
            c = Comparer<Timestamp>.Default.Compare(b.Lineage.OccurredAt, a.Lineage.OccurredAt);
            if (c != 0) return c;
            c = string.CompareOrdinal(a.Lineage.Source, b.Lineage.Source);
            return c != 0 ? c : string.CompareOrdinal(a.Lineage.SourceId, b.Lineage.SourceId);
        });
        entries.Clear();
        foreach (var k in keyed) entries.Add(k.Entry);
    }

    internal static LicenceState LicenceStateAt(Licence licence, DateOnly asOf)
    {
        switch (licence.Status)
        {
            case LicenceStatus.Revoked: return LicenceState.Revoked;
            case LicenceStatus.Cancelled: return LicenceState.Cancelled;
            case LicenceStatus.Suspended: return LicenceState.Suspended;
        }
        var until = ChinaDates.ParseCanonical(licence.ValidUntil);
        if (until is null) return LicenceState.Valid;
        if (until < asOf) return LicenceState.Expired;
        return until.Value.DayNumber - asOf.DayNumber <= ExpiringWithinDays ? LicenceState.Expiring : LicenceState.Valid;
    }

    internal static CommitmentState CommitmentStateAt(Commitment commitment, DateOnly asOf) => commitment.Status switch
    {
        CommitmentStatus.Kept => CommitmentState.Kept,
        CommitmentStatus.Broken => CommitmentState.Broken,
        _ => ChinaDates.ParseCanonical(commitment.Deadline) is { } deadline && deadline < asOf ? CommitmentState.Overdue : CommitmentState.Pending,
    };

    private static bool IsListed(ListEntry entry, DateOnly asOf)
    {
        var removed = ChinaDates.ParseCanonical(entry.RemovedOn);
        return removed is null || removed > asOf;
    }

    private static bool IsCurrentRating(CreditRating rating, DateOnly asOf)
    {
        var until = ChinaDates.ParseCanonical(rating.ValidUntil);
        return until is null || until >= asOf;
    }

    private static void CountComplaints(ComplaintSection section, DateOnly asOf)
    {
        foreach (var e in section.Entries)
        {
            if (e.Complaint.Kind is not (ComplaintKind.Complaint or ComplaintKind.Report)) continue;
            int age = asOf.DayNumber - ChinaDates.DateOf(e.Lineage.OccurredAt).DayNumber;
            if (age < 0) continue;
            if (age < 30) section.Last30Days++;
            if (age < 90) section.Last90Days++;
            if (age < 365) section.Last365Days++;
        }
    }
}
