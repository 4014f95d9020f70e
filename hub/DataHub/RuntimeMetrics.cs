using System.Globalization;
using System.Text;

namespace DataHub;

/// <summary>
/// The process and .NET runtime figures an operator reads beside the hub's own on /metrics: CPU, memory,
/// garbage collection, thread pool and lock contention (Prometheus' process_* names where they exist).
/// </summary>
internal static class RuntimeMetrics
{
    private static readonly double StartTime = new DateTimeOffset(System.Diagnostics.Process.GetCurrentProcess().StartTime.ToUniversalTime()).ToUnixTimeMilliseconds() / 1000.0;

    public static void WritePrometheus(StringBuilder text)
    {
        var gc = GC.GetGCMemoryInfo();
        Metric(text, "process_cpu_seconds_total", "counter", "User and system CPU time of the hub process.", Environment.CpuUsage.TotalTime.TotalSeconds);
        Metric(text, "process_working_set_bytes", "gauge", "Resident memory of the hub process.", Environment.WorkingSet);
        Metric(text, "process_start_time_seconds", "gauge", "Start of the hub process, seconds since the Unix epoch.", StartTime);
        text.Append("# HELP dotnet_gc_collections_total Garbage collections, by generation.\n# TYPE dotnet_gc_collections_total counter\n");
        for (int generation = 0; generation <= GC.MaxGeneration; generation++)
            text.Append(CultureInfo.InvariantCulture, $"dotnet_gc_collections_total{{generation=\"{generation}\"}} {GC.CollectionCount(generation)}\n");
        Metric(text, "dotnet_gc_allocated_bytes_total", "counter", "Bytes allocated on the managed heap since start.", GC.GetTotalAllocatedBytes());
        Metric(text, "dotnet_gc_heap_bytes", "gauge", "Managed heap size after the last collection.", gc.HeapSizeBytes);
        Metric(text, "dotnet_gc_pause_seconds_total", "counter", "Time the runtime paused threads for garbage collection.", GC.GetTotalPauseDuration().TotalSeconds);
        Metric(text, "dotnet_threadpool_threads", "gauge", "Thread-pool threads.", ThreadPool.ThreadCount);
        Metric(text, "dotnet_threadpool_queue_length", "gauge", "Work items waiting for a thread-pool thread (a lasting backlog means starvation).", ThreadPool.PendingWorkItemCount);
        Metric(text, "dotnet_threadpool_completed_items_total", "counter", "Work items the thread pool has run.", ThreadPool.CompletedWorkItemCount);
        Metric(text, "dotnet_monitor_lock_contention_total", "counter", "Times a thread found a lock held.", Monitor.LockContentionCount);
    }

    private static void Metric(StringBuilder text, string name, string type, string help, double value) =>
        text.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} {type}\n{name} {value}\n");
}
