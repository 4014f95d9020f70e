using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace DataHub.Grpc;

/// <summary>
/// Calls served, by method and status, with a latency histogram — rendered in the Prometheus text
/// format for the host's /metrics endpoint. Lock-free counters: recording is on every call's path.
/// </summary>
public sealed class GrpcServerMetrics
{
    private static readonly double[] BucketsSeconds = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30];
    private readonly ConcurrentDictionary<(string Method, StatusCode Status), Series> _series = new();

    private sealed class Series
    {
        public long Count;
        public long TotalMicroseconds;
        public readonly long[] Buckets = new long[BucketsSeconds.Length];
    }

    public void Record(string method, StatusCode status, TimeSpan elapsed)
    {
        var series = _series.GetOrAdd((method, status), _ => new Series());
        Interlocked.Increment(ref series.Count);
        Interlocked.Add(ref series.TotalMicroseconds, (long)elapsed.TotalMicroseconds);
        var seconds = elapsed.TotalSeconds;
        for (int i = 0; i < BucketsSeconds.Length; i++)
            if (seconds <= BucketsSeconds[i]) Interlocked.Increment(ref series.Buckets[i]);
    }

    /// <summary>Calls counted so far for a method and status (for tests and health pages).</summary>
    public long Count(string method, StatusCode status) => _series.TryGetValue((method, status), out var s) ? Interlocked.Read(ref s.Count) : 0;

    public void WritePrometheus(StringBuilder text)
    {
        text.Append("# HELP grpc_server_handled_total gRPC calls completed, by method and status.\n# TYPE grpc_server_handled_total counter\n");
        var ordered = _series.OrderBy(kv => kv.Key.Method, StringComparer.Ordinal).ThenBy(kv => kv.Key.Status).ToList();
        foreach (var ((method, status), s) in ordered)
            text.Append(CultureInfo.InvariantCulture, $"grpc_server_handled_total{{grpc_method=\"{method}\",grpc_code=\"{status}\"}} {Interlocked.Read(ref s.Count)}\n");
        text.Append("# HELP grpc_server_handling_seconds Time from the request headers to the status, by method.\n# TYPE grpc_server_handling_seconds histogram\n");
        foreach (var byMethod in ordered.GroupBy(kv => kv.Key.Method))
        {
            var buckets = new long[BucketsSeconds.Length];
            long count = 0, micros = 0;
            foreach (var (_, s) in byMethod)
            {
                for (int i = 0; i < buckets.Length; i++) buckets[i] += Interlocked.Read(ref s.Buckets[i]);
                count += Interlocked.Read(ref s.Count);
                micros += Interlocked.Read(ref s.TotalMicroseconds);
            }
            for (int i = 0; i < buckets.Length; i++)
                text.Append(CultureInfo.InvariantCulture, $"grpc_server_handling_seconds_bucket{{grpc_method=\"{byMethod.Key}\",le=\"{BucketsSeconds[i]}\"}} {buckets[i]}\n");
            text.Append(CultureInfo.InvariantCulture, $"grpc_server_handling_seconds_bucket{{grpc_method=\"{byMethod.Key}\",le=\"+Inf\"}} {count}\n");
            text.Append(CultureInfo.InvariantCulture, $"grpc_server_handling_seconds_sum{{grpc_method=\"{byMethod.Key}\"}} {micros / 1e6}\n");
            text.Append(CultureInfo.InvariantCulture, $"grpc_server_handling_seconds_count{{grpc_method=\"{byMethod.Key}\"}} {count}\n");
        }
    }
}
