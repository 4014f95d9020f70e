using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using DataHub.Adapters;
using DataHub.Adapters.CreditPlatform;
using DataHub.Core.Ingest;
using DataHub.Core.Outbound;
using DataHub.Schema.V1;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DataHub;

/// <summary>Composition of the adapters: the runner of the inbound feeds and the outbox's outbound adapters.</summary>
internal static class AdapterHosting
{
    /// <summary>
    /// Registers the adapter runner when any source has a base address, and the outbox dispatcher when
    /// any outbound receiver has a URL, both as hosted services (started and stopped with the host).
    /// </summary>
    public static IServiceCollection AddDataHubAdapters(this IServiceCollection services, Hub hub)
    {
        if (hub.Options.Adapters.Values.Any(o => o.Enabled && o.BaseAddress.Length > 0))
        {
            services.AddSingleton(sp => new AdapterRunner(SourceSystems.All, hub.Options.Adapters, _ => new HttpClient(), hub.Intake, hub.Store,
                TimeProvider.System, sp.GetRequiredService<ILogger<AdapterRunner>>()));
            services.AddHostedService(sp => sp.GetRequiredService<AdapterRunner>());
        }
        if (hub.Options.Outbound.Values.Any(o => o.Url.Length > 0))
        {
            services.AddSingleton(_ => new OutboundDestinations(hub.Options.Outbound));
            services.AddSingleton(sp => new OutboxDispatcher(hub.Store, sp.GetRequiredService<OutboundDestinations>().Targets, TimeProvider.System,
                sp.GetRequiredService<ILogger<OutboxDispatcher>>()));
            services.AddHostedService(sp => sp.GetRequiredService<OutboxDispatcher>());
        }
        return services;
    }

    /// <summary>Adapter and outbox gauges in Prometheus text format, for /metrics.</summary>
    public static void WritePrometheus(StringBuilder text, AdapterRunner? runner, IHubStore store)
    {
        if (runner is not null)
        {
            var statuses = runner.Statuses();
            text.Append("# HELP datahub_adapter_fetched_rows Rows an adapter fetched over its life.\n# TYPE datahub_adapter_fetched_rows counter\n");
            foreach (var s in statuses) text.Append(CultureInfo.InvariantCulture, $"datahub_adapter_fetched_rows{{adapter=\"{s.Id}\"}} {s.Fetched}\n");
            text.Append("# HELP datahub_adapter_errors Fetches that failed after their retries since start.\n# TYPE datahub_adapter_errors counter\n");
            foreach (var s in statuses) text.Append(CultureInfo.InvariantCulture, $"datahub_adapter_errors{{adapter=\"{s.Id}\"}} {s.Errors}\n");
            text.Append("# HELP datahub_adapter_lag_seconds Seconds since the adapter last had everything its source had.\n# TYPE datahub_adapter_lag_seconds gauge\n");
            foreach (var s in statuses) text.Append(CultureInfo.InvariantCulture, $"datahub_adapter_lag_seconds{{adapter=\"{s.Id}\"}} {s.LagSeconds}\n");
            text.Append("# HELP datahub_adapter_circuit_open 1 while the adapter's circuit breaker refuses calls.\n# TYPE datahub_adapter_circuit_open gauge\n");
            foreach (var s in statuses) text.Append(CultureInfo.InvariantCulture, $"datahub_adapter_circuit_open{{adapter=\"{s.Id}\"}} {(s.Circuit == "Closed" ? 0 : 1)}\n");
        }
        var outbox = store.OutboxCounts();
        text.Append("# HELP datahub_outbox_waiting Outbox messages not yet acknowledged by their receiver.\n# TYPE datahub_outbox_waiting gauge\n");
        foreach (var o in outbox) text.Append(CultureInfo.InvariantCulture, $"datahub_outbox_waiting{{destination=\"{o.Destination}\"}} {o.Waiting}\n");
    }

    /// <summary>The outbound adapters by destination, each with its resilience pipeline.</summary>
    internal sealed class OutboundDestinations : IAsyncDisposable
    {
        public OutboundDestinations(IReadOnlyDictionary<string, OutboundOptions> options)
        {
            var targets = new Dictionary<string, (IOutboundAdapter, Resilience, OutboundOptions)>(StringComparer.Ordinal);
            foreach (var (destination, o) in options.Where(kv => kv.Value.Url.Length > 0))
            {
                var adapter = new HttpOutboundAdapter(destination, new HttpClient { Timeout = Timeout.InfiniteTimeSpan }, new Uri(o.Url), BodyFor(destination));
                targets[destination] = (adapter, new Resilience(o.Resilience, TimeProvider.System), o);
            }
            Targets = targets;
        }

        public IReadOnlyDictionary<string, (IOutboundAdapter Adapter, Resilience Resilience, OutboundOptions Options)> Targets { get; }

        public async ValueTask DisposeAsync()
        {
            foreach (var target in Targets.Values) await target.Resilience.DisposeAsync();
        }
    }

    /// <summary>
    /// How a destination wants its messages: the credit platform takes 双公示 rows in its own XK / CF
    /// format (the credit-platform adapter's writers); any other receiver gets a JSON envelope.
    /// </summary>
    internal static Func<OutboxIntent, byte[]> BodyFor(string destination) => destination switch
    {
        // 双公示 permits and penalties in the platform's own rows; dishonesty records (the linkage's back loop) in the envelope.
        CreditPublicityPolicy.Destination => intent => intent.Kind is CreditPublicityPolicy.PermitKind or CreditPublicityPolicy.PenaltyKind ? CreditPublicityRow(intent) : Envelope(intent),
        // Notices are written as the gateway's JSON already (SmsGatewayNotifier).
        SmsGatewayNotifier.Destination => intent => intent.Payload,
        _ => Envelope,
    };

    private static byte[] Envelope(OutboxIntent intent) => Encoding.UTF8.GetBytes(new JsonObject
    {
        ["kind"] = intent.Kind,
        ["idempotencyKey"] = intent.IdempotencyKey,
        ["payloadBase64"] = Convert.ToBase64String(intent.Payload),
    }.ToJsonString());

    private static readonly CreditPlatformSource CreditPlatform = new();

    /// <summary>A stored licence or penalty as the credit platform's 双公示 permit (XK) or penalty (CF) row.</summary>
    private static byte[] CreditPublicityRow(OutboxIntent intent)
    {
        var record = CanonicalRecord.Parser.ParseFrom(intent.Payload);
        var publicity = record.Clone();
        publicity.Source = CreditPublicityPolicy.CreditPlatformSource;
        publicity.SourceId = record.BodyCase == CanonicalRecord.BodyOneofCase.Licence ? "XK-" + record.Licence.LicenceNo : "CF-" + record.Penalty.DecisionDocNo;
        var feed = CreditPlatform.Feeds.First(f => f.Writer.Carries(publicity));
        return Encoding.UTF8.GetBytes(feed.Writer.Write(publicity).ToJsonString());
    }
}
