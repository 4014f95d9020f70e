using System.Collections.Frozen;
using DataHub.Grpc;
using DataHub.Schema.V1;
using DataHub.Security;

namespace DataHub.Api;

/// <summary>Which sections of a profile a caller sees, by its scopes, and the profile cut down to them.</summary>
internal static class ProfileSections
{
    private static readonly Dictionary<ProfileSection, string> ScopeOf = new()
    {
        [ProfileSection.Basic] = Scopes.ProfileBasic,
        [ProfileSection.Licences] = Scopes.ProfileLicences,
        [ProfileSection.Approvals] = Scopes.ProfileApprovals,
        [ProfileSection.Regulation] = Scopes.ProfileRegulation,
        [ProfileSection.Complaints] = Scopes.ProfileComplaints,
    };

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Agency, FrozenSet<ProfileSection>> AllowedOf = new();

    /// <summary>
    /// The sections to return: those asked for (each must be allowed, else PERMISSION_DENIED naming the
    /// scope), or every allowed one when none is asked for (PERMISSION_DENIED when none is allowed).
    /// </summary>
    public static IReadOnlySet<ProfileSection> Resolve(Agency caller, IReadOnlyCollection<ProfileSection> requested)
    {
        // The sections an agency may see are fixed by its configuration: worked out once per agency.
        var allowed = AllowedOf.GetOrAdd(caller, a => ScopeOf.Where(kv => a.HasScope(kv.Value)).Select(kv => kv.Key).ToFrozenSet());
        if (requested.Count == 0) return allowed.Count > 0 ? allowed : throw NoProfileScope(caller);
        var asked = requested.Where(s => s != ProfileSection.Unspecified).ToHashSet();
        foreach (var section in asked.Where(s => !ScopeOf.ContainsKey(s)))
            throw new RpcException(StatusCode.InvalidArgument, $"Profile section {(int)section} does not exist.");
        if (asked.Count == 0) return allowed.Count > 0 ? allowed : throw NoProfileScope(caller);
        var denied = asked.Where(s => !allowed.Contains(s)).ToList();
        if (denied.Count > 0)
            throw new RpcException(StatusCode.PermissionDenied,
                $"Agency '{caller.Id}' may not read section(s) {string.Join(", ", denied)}; that needs scope {string.Join(", ", denied.Select(s => ScopeOf[s]))}.");
        return asked;
    }

    private static RpcException NoProfileScope(Agency caller) =>
        new(StatusCode.PermissionDenied, $"Agency '{caller.Id}' has no profile scope ({string.Join(", ", ScopeOf.Values)}).");

    /// <summary>PERMISSION_DENIED unless the caller holds the scope of the section.</summary>
    public static void Require(Agency caller, ProfileSection section)
    {
        if (!caller.HasScope(ScopeOf[section]))
            throw new RpcException(StatusCode.PermissionDenied, $"Agency '{caller.Id}' lacks scope {ScopeOf[section]}, which this method's answer needs.");
    }

    /// <summary>Whether the sections are all of them, so the profile goes out unfiltered.</summary>
    public static bool IsWhole(IReadOnlySet<ProfileSection> sections) => sections.Count == ScopeOf.Count;

    /// <summary>A copy with only the given sections; the key facts (USCC, name, as_of, counts, flags) always stay.</summary>
    public static EnterpriseProfile Filter(EnterpriseProfile profile, IReadOnlySet<ProfileSection> sections)
    {
        if (IsWhole(sections)) return profile;
        var p = profile.Clone();
        if (!sections.Contains(ProfileSection.Basic))
        {
            p.Identity = null;
            p.Credit = null;
            p.Lists.Clear();
            p.Risk = null;
        }
        if (!sections.Contains(ProfileSection.Licences)) p.Licences.Clear();
        if (!sections.Contains(ProfileSection.Approvals))
        {
            p.Approvals.Clear();
            p.Commitments.Clear();
        }
        if (!sections.Contains(ProfileSection.Regulation))
        {
            p.Penalties.Clear();
            p.Inspections.Clear();
        }
        // Counts of complaints are part of the basic picture; the work orders themselves need the complaints scope.
        if (!sections.Contains(ProfileSection.Complaints)) p.Complaints?.Entries.Clear();
        if (!sections.Contains(ProfileSection.Basic) && !sections.Contains(ProfileSection.Complaints)) p.Complaints = null;
        return p;
    }

    /// <summary>The section a record's content belongs to, by the same rules as <see cref="Filter"/>.</summary>
    public static ProfileSection OfRecord(CanonicalRecord record) => record.BodyCase switch
    {
        CanonicalRecord.BodyOneofCase.Licence => ProfileSection.Licences,
        CanonicalRecord.BodyOneofCase.ApprovalCase or CanonicalRecord.BodyOneofCase.Commitment => ProfileSection.Approvals,
        CanonicalRecord.BodyOneofCase.Penalty or CanonicalRecord.BodyOneofCase.Inspection => ProfileSection.Regulation,
        CanonicalRecord.BodyOneofCase.Complaint => ProfileSection.Complaints,
        _ => ProfileSection.Basic,
    };

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<int, string> Descriptions = new();
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<int, string> Details = new();

    /// <summary>"basic,licences" for the audit detail; computed once per combination (it is on every read's path).</summary>
    public static string Describe(IReadOnlySet<ProfileSection> sections) =>
        Descriptions.GetOrAdd(MaskOf(sections), static (_, s) => string.Join(",", s.Order().Select(x => x.ToString().ToLowerInvariant())), sections);

    /// <summary>"sections=basic,licences", the audit detail of a profile read; computed once per combination.</summary>
    public static string AuditDetail(IReadOnlySet<ProfileSection> sections) =>
        Details.GetOrAdd(MaskOf(sections), static (_, s) => "sections=" + Describe(s), sections);

    private static int MaskOf(IReadOnlySet<ProfileSection> sections)
    {
        // Asking each known section, not enumerating the set: no enumerator is boxed on every read.
        int mask = 0;
        foreach (var section in ScopeOf.Keys)
            if (sections.Contains(section)) mask |= 1 << (int)section;
        return mask;
    }
}
