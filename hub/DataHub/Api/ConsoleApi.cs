using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using DataHub.WebConsole;
using DataHub.Core.Identifiers;
using DataHub.Core.Ingest;
using DataHub.Core.Profiles;
using DataHub.Core.Records;
using DataHub.Core.Text;
using DataHub.Embedded;
using DataHub.Schema.V1;
using DataHub.Security;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace DataHub.Api;

/// <summary>
/// The JSON API behind the console's pages (/api/console/…): sign-in with an agency's API key (a
/// cookie session), search with filters, highlighting and CSV export, profiles (also as of a date)
/// cut to the agency's scopes, the timeline of records and each record's versions (lineage). Every
/// profile or record read is an audit-chain entry naming the enterprise.
/// </summary>
internal sealed class ConsoleApi(Hub hub, CachedProfileReader profiles, HttpAuth auth, AuditTrail audit, TimeProvider time)
{
    private const int MaxExportRows = 100_000;
    private static readonly JsonFormatter ProtoJson = new(JsonFormatter.Settings.Default.WithFormatDefaultValues(false));

    public void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/api/console/session", (Func<HttpContext, Task<IResult>>)SignInAsync).WithSummary("Signs in with an agency's API key; sets the session cookie.");
        app.MapGet("/api/console/session", (Func<HttpContext, IResult>)(c => auth.Authenticate(c).Agency is { } a ? Results.Json(new { agency = Describe(a) }, HttpApi.Json)
            : HttpAuth.Problem(401, "Not signed in", "Sign in with your agency's API key."))).WithSummary("The signed-in agency.");
        app.MapDelete("/api/console/session", (Func<HttpContext, IResult>)(c =>
        {
            auth.Sessions.End(c.Request.Cookies[ConsoleSessions.CookieName]);
            c.Response.Cookies.Delete(ConsoleSessions.CookieName, new CookieOptions { Path = "/" });
            return Results.NoContent();
        })).WithSummary("Signs out.");
        app.MapGet("/api/console/facets", (Func<HttpContext, Task<IResult>>)(c => Readers(c, "facets", (_, _) => Task.FromResult(Facets()))))
            .WithSummary("Values for the search filters.");
        app.MapGet("/api/console/search", (Func<HttpContext, Task<IResult>>)(c => Readers(c, "search", (a, _) => SearchAsync(c))))
            .WithSummary("Searches profiles: q, district, status, industry, risk, grade, licenceExpiring, overdueCommitments, sort, page, pageSize.");
        app.MapGet("/api/console/search.csv", (Func<HttpContext, Task<IResult>>)(c => Readers(c, "export", (a, _) => ExportAsync(c))))
            .WithSummary("The whole result set of a search as CSV (UTF-8 with BOM).");
        app.MapGet("/api/console/profiles/{uscc}", (HttpContext c, string uscc) => Readers(c, "profile", (a, call) => ProfileAsync(c, a, call, uscc)))
            .WithSummary("An enterprise's profile cut to the agency's scopes, with the 12-month complaint trend; asOf=YYYY-MM-DD folds the records known then.");
        app.MapGet("/api/console/profiles/{uscc}/records", (HttpContext c, string uscc) => Readers(c, "timeline", (a, call) => TimelineAsync(c, a, call, uscc)))
            .WithSummary("Every record of the enterprise the agency may see, newest first (the timeline).");
        app.MapGet("/api/console/records", (Func<HttpContext, Task<IResult>>)(c => Readers(c, "record", (a, call) => RecordAsync(c, a, call))))
            .WithSummary("The versions of one source record (uscc, source, sourceId): the target of lineage links.");
    }

    private Task<IResult> Readers(HttpContext context, string action, Func<Agency, AuditedCall, Task<IResult>> run) =>
        auth.RunAsync(context, AgencyInterceptor.ProfileReaders, action, run);

    private static object Describe(Agency a) => new { id = a.Id, name = a.Name, roles = a.Roles.Order(), scopes = a.Scopes.Order() };

    private sealed record SignInBody(string? ApiKey);

    private async Task<IResult> SignInAsync(HttpContext context)
    {
        var body = await HttpApi.ReadBodyAsync<SignInBody>(context);
        var agency = body?.ApiKey is { Length: > 0 } key ? auth.Agencies.FindByKey(key) : null;
        var call = new AuditedCall("POST /api/console/session", "") { Agency = agency };
        if (agency is null)
        {
            await audit.RecordAsync(call, "UNAUTHENTICATED", "console sign-in");
            return HttpAuth.Problem(401, "Sign-in failed", "The API key matches no configured agency. / 密钥无效，请向管理员确认。");
        }
        var token = auth.Sessions.Start(agency);
        context.Response.Cookies.Append(ConsoleSessions.CookieName, token, new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Secure = context.Request.IsHttps,
            Path = "/",
            MaxAge = ConsoleSessions.Longest,
        });
        await audit.RecordAsync(call, "OK", "console sign-in");
        return Results.Json(new { agency = Describe(agency) }, HttpApi.Json);
    }

    private static IResult Facets() => Results.Json(new
    {
        districts = AdministrativeDivisions.All.Where(d => d.Key.StartsWith("32", StringComparison.Ordinal) && !d.Key.EndsWith("00", StringComparison.Ordinal))
            .OrderBy(d => d.Key, StringComparer.Ordinal).Select(d => new { code = d.Key, name = AdministrativeDivisions.FullName(d.Key) ?? d.Value }),
        statuses = Enum.GetValues<RegistrationStatus>().Where(s => s != RegistrationStatus.Unspecified).Select(s => new { value = s.ToString(), text = StatusText(s) }),
        riskTiers = new[] { RiskTier.High, RiskTier.Medium, RiskTier.Low }.Select(t => new { value = t.ToString(), text = RiskText(t) }),
        creditGrades = new[] { "A", "B", "C", "D" },
        industries = IndustrySections.All.Select(i => new { code = i.Code, name = i.Name }),
    }, HttpApi.Json);

    /// <summary>The search the query string asks for, or a problem naming the bad parameter.</summary>
    private (ProfileQuery? Query, IResult? Problem) ParseQuery(IQueryCollection q, bool paged)
    {
        IResult Bad(string detail) => HttpAuth.Problem(400, "Bad search parameter", detail);
        var today = ChinaDates.DateOf(time.GetUtcNow());
        var query = new ProfileQuery { Text = q["q"].ToString().Trim() };
        if (query.Text.Length > 100) return (null, Bad("q is longer than 100 characters."));
        if (q["district"].ToString() is { Length: > 0 } district)
        {
            if (district.Length != 6 || !district.All(char.IsAsciiDigit)) return (null, Bad($"district {ApiErrors.Quote(district)} must be a 6-digit division code."));
            query = query with { DistrictCode = district };
        }
        if (q["status"].ToString() is { Length: > 0 } status)
        {
            if (!Enum.TryParse<RegistrationStatus>(status, out var s) || s == RegistrationStatus.Unspecified) return (null, Bad($"status {ApiErrors.Quote(status)} is not a registration status; see /api/console/facets."));
            query = query with { Status = s };
        }
        if (q["risk"].ToString() is { Length: > 0 } risk)
        {
            if (!Enum.TryParse<RiskTier>(risk, out var r) || r == RiskTier.Unspecified) return (null, Bad($"risk {ApiErrors.Quote(risk)} is not High, Medium or Low."));
            query = query with { RiskTier = r };
        }
        if (q["grade"].ToString() is { Length: > 0 } grade)
        {
            if (grade is not ("A" or "B" or "C" or "D")) return (null, Bad($"grade {ApiErrors.Quote(grade)} is not A, B, C or D."));
            query = query with { CreditGrade = grade };
        }
        if (q["industry"].ToString() is { Length: > 0 } industry)
        {
            if (!IndustrySections.All.Any(i => i.Code == industry)) return (null, Bad($"industry {ApiErrors.Quote(industry)} is not a GB/T 4754 section letter (A–T)."));
            query = query with { IndustrySection = industry };
        }
        if (q["licenceExpiring"] == "true") query = query with { LicenceExpiring = (today, today.AddDays(30)) };
        if (q["overdueCommitments"] == "true") query = query with { CommitmentOverdueOn = today };
        if (q["sort"].ToString() is { Length: > 0 } sort)
        {
            ProfileSort? order = sort switch { "relevance" => ProfileSort.Relevance, "name" => ProfileSort.Name, "uscc" => ProfileSort.Uscc, "risk" => ProfileSort.RiskFirst, _ => null };
            if (order is null) return (null, Bad($"sort {ApiErrors.Quote(sort)} is not relevance, name, uscc or risk."));
            query = query with { Sort = order.Value };
        }
        if (!paged) return (query with { Offset = 0, Limit = MaxExportRows }, null);
        int page = int.TryParse(q["page"], out var p) ? p : 1, pageSize = int.TryParse(q["pageSize"], out var ps) ? ps : 20;
        if (page < 1 || pageSize is < 1 or > 100) return (null, Bad("page starts at 1; pageSize is 1 to 100."));
        return (query with { Offset = (page - 1) * pageSize, Limit = pageSize }, null);
    }

    private async Task<IResult> SearchAsync(HttpContext context)
    {
        var (query, problem) = ParseQuery(context.Request.Query, paged: true);
        if (problem is not null) return problem;
        var result = await Task.Run(() => hub.Store.Search(query!));
        var hits = new List<object>(result.Hits.Count);
        foreach (var hit in result.Hits)
        {
            var (field, segments) = Highlight(query!.Text, hit);
            hits.Add(new
            {
                hit.Uscc, hit.Name, hit.DistrictCode, districtName = AdministrativeDivisions.FullName(hit.DistrictCode) ?? "",
                status = hit.Status.ToString(), statusText = StatusText(hit.Status), riskTier = hit.RiskTier.ToString(), hit.CreditGrade,
                industry = hit.Industry,
                matchedField = field, matched = segments,
            });
        }
        return Results.Json(new { total = result.Total, totalCapped = result.TotalIsLowerBound, page = query!.Offset / query.Limit + 1, pageSize = query.Limit, hits }, HttpApi.Json);
    }

    private async Task<IResult> ExportAsync(HttpContext context)
    {
        var (query, problem) = ParseQuery(context.Request.Query, paged: false);
        if (problem is not null) return problem;
        var result = await Task.Run(() => hub.Store.Search(query!));
        var csv = new StringBuilder("\uFEFF统一社会信用代码,企业名称,所在区县,登记状态,风险等级,信用等级\r\n");
        foreach (var h in result.Hits)
            csv.AppendJoin(',', [Csv(h.Uscc), Csv(h.Name), Csv(AdministrativeDivisions.FullName(h.DistrictCode) ?? h.DistrictCode), Csv(StatusText(h.Status)), Csv(RiskText(h.RiskTier)), Csv(h.CreditGrade)]).Append("\r\n");
        var name = $"datahub-search-{ChinaDates.Format(ChinaDates.DateOf(time.GetUtcNow()))}.csv";
        return Results.File(Encoding.UTF8.GetBytes(csv.ToString()), "text/csv; charset=utf-8", name);
    }

    /// <summary>RFC 4180 quoting; a leading = + - @ is defused so spreadsheet software does not run it as a formula.</summary>
    private static string Csv(string value)
    {
        if (value.Length > 0 && value[0] is '=' or '+' or '-' or '@') value = "'" + value;
        return value.IndexOfAny([',', '"', '\r', '\n']) >= 0 ? "\"" + value.Replace("\"", "\"\"") + "\"" : value;
    }

    /// <summary>Which field the text matched and that field cut into marked and unmarked pieces.</summary>
    internal static (string Field, IReadOnlyList<object> Segments) Highlight(string text, SearchHit hit)
    {
        var folded = HalfWidth.Fold(text).Trim();
        if (folded.Length == 0) return ("", [new { text = hit.Name, mark = false }]);
        var code = Uscc.Normalize(text);
        if (code.Length >= 6 && hit.Uscc.StartsWith(code, StringComparison.Ordinal))
            return ("uscc", [new { text = hit.Uscc[..code.Length], mark = true }, new { text = hit.Uscc[code.Length..], mark = false }]);
        // The index holds name, former names (space-separated), legal representative and address, folded to half-width.
        var indexed = hit.IndexedTexts;
        var fields = new List<(string, string)> { ("name", hit.Name) };
        if (indexed.Count == 4)
        {
            fields.AddRange(indexed[1].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(n => ("formerName", n)));
            fields.Add(("legalRepresentative", indexed[2]));
            fields.Add(("address", indexed[3]));
        }
        foreach (var (field, value) in fields)
        {
            // Folding maps one character to one, so positions in the folded text are positions in the value.
            int at = HalfWidth.Fold(value).IndexOf(folded, StringComparison.OrdinalIgnoreCase);
            if (at < 0) continue;
            return (field, [new { text = value[..at], mark = false }, new { text = value.Substring(at, folded.Length), mark = true }, new { text = value[(at + folded.Length)..], mark = false }]);
        }
        return ("", [new { text = hit.Name, mark = false }]);
    }

    private async Task<IResult> ProfileAsync(HttpContext context, Agency agency, AuditedCall call, string input)
    {
        var sections = ProfileSections.Resolve(agency, []);
        var uscc = ApiErrors.RequireUscc(input, hub.Options.UsccAllowList);
        var asOfText = context.Request.Query["asOf"].ToString();
        EnterpriseProfile? profile;
        DateOnly asOf;
        if (asOfText.Length > 0)
        {
            asOf = ApiErrors.RequireDate(asOfText, "asOf");
            var versions = await Task.Run(() => hub.Store.RecordVersions(uscc));
            profile = versions.Count == 0 ? null : new ProfileProjector().ProjectAsOf(uscc, versions, asOf);
            if (profile is { RecordCount: 0 }) profile = null;
        }
        else
        {
            asOf = ChinaDates.DateOf(time.GetUtcNow());
            profile = await profiles.GetAsync(uscc, context.RequestAborted);
        }
        if (profile is null)
            return HttpAuth.Problem(404, "No profile", $"The hub holds no record of {uscc}{(asOfText.Length > 0 ? $" dated on or before {asOfText}" : "")}. / 没有该企业的记录。");
        await audit.RecordAsync(call, "OK", $"console profile{(asOfText.Length > 0 ? " as_of=" + asOfText : "")} sections={ProfileSections.Describe(sections)}", uscc);
        var visible = ProfileSections.Filter(profile, sections);
        var trend = sections.Contains(ProfileSection.Complaints) ? ComplaintTrend(profile, asOf) : [];
        var json = new JsonObject
        {
            ["profile"] = JsonNode.Parse(ProtoJson.Format(visible)),
            ["sections"] = new JsonArray([.. sections.Order().Select(s => JsonValue.Create(s.ToString()))]),
            ["complaintTrend"] = new JsonArray([.. trend.Select(t => new JsonObject { ["month"] = t.Month, ["count"] = t.Count })]),
            ["asOf"] = ChinaDates.Format(asOf),
        };
        return Results.Text(json.ToJsonString(), "application/json; charset=utf-8");
    }

    /// <summary>Complaints per calendar month (China time) for the 12 months up to the month of <paramref name="asOf"/>, oldest first.</summary>
    internal static IReadOnlyList<(string Month, int Count)> ComplaintTrend(EnterpriseProfile profile, DateOnly asOf)
    {
        var months = Enumerable.Range(0, 12).Select(i => new DateOnly(asOf.Year, asOf.Month, 1).AddMonths(i - 11)).ToList();
        var counts = (profile.Complaints?.Entries ?? []).Where(e => e.Lineage?.OccurredAt is not null)
            .Select(e => ChinaDates.DateOf(e.Lineage.OccurredAt)).GroupBy(d => (d.Year, d.Month)).ToDictionary(g => g.Key, g => g.Count());
        return months.Select(m => (m.ToString("yyyy-MM", CultureInfo.InvariantCulture), counts.GetValueOrDefault((m.Year, m.Month)))).ToList();
    }

    private async Task<IResult> TimelineAsync(HttpContext context, Agency agency, AuditedCall call, string input)
    {
        var sections = ProfileSections.Resolve(agency, []);
        var uscc = ApiErrors.RequireUscc(input, hub.Options.UsccAllowList);
        var asOfText = context.Request.Query["asOf"].ToString();
        DateTimeOffset? until = asOfText.Length > 0 ? ChinaDates.EndOf(ApiErrors.RequireDate(asOfText, "asOf")) : null;
        var versions = (await Task.Run(() => hub.Store.RecordVersions(uscc)))
            .Where(r => until is null || r.UpdatedAt.ToDateTimeOffset() < until).ToList();
        if (versions.Count == 0) return HttpAuth.Problem(404, "No records", $"The hub holds no record of {uscc}. / 没有该企业的记录。");
        var current = versions.GroupBy(r => (r.Source, r.SourceId)).Select(g => g.Aggregate((a, b) => ProfileProjector.CompareVersions(a, b) >= 0 ? a : b)).ToHashSet();
        var shown = versions.Where(r => sections.Contains(ProfileSections.OfRecord(r))).OrderByDescending(r => r.OccurredAt.ToDateTimeOffset()).ThenBy(r => r.SourceId, StringComparer.Ordinal).ToList();
        await audit.RecordAsync(call, "OK", $"console timeline records={shown.Count}", uscc);
        return Results.Json(new
        {
            records = shown.Select(r => new
            {
                r.Source, r.SourceId, kind = r.BodyCase.ToString(), occurredAt = r.OccurredAt.ToDateTimeOffset(), updatedAt = r.UpdatedAt.ToDateTimeOffset(),
                r.ContentHash, current = current.Contains(r), summary = Summary(r), r.Synthetic,
            }),
        }, HttpApi.Json);
    }

    private async Task<IResult> RecordAsync(HttpContext context, Agency agency, AuditedCall call)
    {
        var q = context.Request.Query;
        var uscc = ApiErrors.RequireUscc(q["uscc"].ToString(), hub.Options.UsccAllowList);
        string source = q["source"].ToString(), sourceId = q["sourceId"].ToString();
        var sections = ProfileSections.Resolve(agency, []);
        var versions = (await Task.Run(() => hub.Store.RecordVersions(uscc))).Where(r => r.Source == source && r.SourceId == sourceId).ToList();
        if (versions.Count == 0)
            return HttpAuth.Problem(404, "No such record", $"No record {ApiErrors.Quote(sourceId)} of {ApiErrors.Quote(source)} belongs to {uscc}.");
        if (!sections.Contains(ProfileSections.OfRecord(versions[0])))
            return HttpAuth.Problem(403, "Not allowed", $"This record belongs to the {ProfileSections.OfRecord(versions[0])} section, which agency '{agency.Id}' may not see.");
        var newest = versions.Aggregate((a, b) => ProfileProjector.CompareVersions(a, b) >= 0 ? a : b);
        await audit.RecordAsync(call, "OK", $"console record {source}/{sourceId} versions={versions.Count}", uscc);
        var json = new JsonObject
        {
            ["versions"] = new JsonArray([.. versions.OrderByDescending(v => v.UpdatedAt.ToDateTimeOffset()).Select(v => (JsonNode)new JsonObject
            {
                ["record"] = JsonNode.Parse(ProtoJson.Format(v)),
                ["current"] = ReferenceEquals(v, newest),
            })]),
        };
        return Results.Text(json.ToJsonString(), "application/json; charset=utf-8");
    }

    /// <summary>One line about a record for the timeline, in Chinese.</summary>
    internal static string Summary(CanonicalRecord r) => r.BodyCase switch
    {
        CanonicalRecord.BodyOneofCase.Registration => $"登记信息 {r.Registration.Name}",
        CanonicalRecord.BodyOneofCase.StatusChange => r.StatusChange.NewName.Length > 0 ? $"名称变更为 {r.StatusChange.NewName}" : $"状态变更 {StatusText(r.StatusChange.NewStatus)}",
        CanonicalRecord.BodyOneofCase.Licence => $"证照 {r.Licence.LicenceType} {r.Licence.LicenceNo}",
        CanonicalRecord.BodyOneofCase.ApprovalCase => $"办件 {r.ApprovalCase.ItemName} {r.ApprovalCase.CaseNo}",
        CanonicalRecord.BodyOneofCase.Commitment => $"告知承诺 办件{r.Commitment.CaseNo} 期限{r.Commitment.Deadline}",
        CanonicalRecord.BodyOneofCase.Complaint => $"12345工单 {r.Complaint.Category}",
        CanonicalRecord.BodyOneofCase.Penalty => $"行政处罚 {r.Penalty.DecisionDocNo}" + (r.Penalty.FineWan > 0 ? $" 罚款{r.Penalty.FineWan.ToString(CultureInfo.InvariantCulture)}万元" : ""),
        CanonicalRecord.BodyOneofCase.Inspection => $"抽查检查 {r.Inspection.TaskName}",
        CanonicalRecord.BodyOneofCase.CreditRating => $"信用评价 {r.CreditRating.RatingSystem} {r.CreditRating.Grade}级",
        CanonicalRecord.BodyOneofCase.ListEntry => $"名单 {ListText(r.ListEntry.ListType)} 列入{r.ListEntry.ListedOn}" + (r.ListEntry.RemovedOn.Length > 0 ? $" 移出{r.ListEntry.RemovedOn}" : ""),
        _ => r.BodyCase.ToString(),
    };

    internal static string StatusText(RegistrationStatus s) => s switch
    {
        RegistrationStatus.Active => "存续（在营、开业、在册）",
        RegistrationStatus.Revoked => "吊销，未注销",
        RegistrationStatus.RevokedDeregistered => "吊销，已注销",
        RegistrationStatus.Deregistered => "注销",
        RegistrationStatus.Cancelled => "撤销",
        RegistrationStatus.MovedOut => "迁出",
        RegistrationStatus.Suspended => "停业",
        RegistrationStatus.Liquidating => "清算",
        _ => "未知",
    };

    private static string RiskText(RiskTier t) => t switch { RiskTier.High => "高风险", RiskTier.Medium => "中风险", RiskTier.Low => "低风险", _ => "未评估" };

    private static string ListText(ListType t) => t switch
    {
        ListType.AbnormalOperation => "经营异常名录",
        ListType.SeriousViolation => "严重违法失信名单",
        ListType.Red => "守信红名单",
        ListType.Black => "失信黑名单",
        _ => "名单",
    };
}
