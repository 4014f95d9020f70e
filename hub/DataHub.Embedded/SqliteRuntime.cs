using System.Runtime.InteropServices;
using SQLitePCL;

namespace DataHub.Embedded;

/// <summary>Process-wide SQLite settings: the host applies them first thing, before any database opens.</summary>
public static class SqliteRuntime
{
    private const int ConfigMemoryStatus = 9; // SQLITE_CONFIG_MEMSTATUS

    /// <summary>
    /// Turns off SQLite's memory statistics: with them on (the bundled build's default), every allocation
    /// and free takes one process-wide mutex, which the ingest and projection stages — each on its own
    /// connection and thread — contend for. The hub reads none of those statistics. Returns false when
    /// SQLite was already initialized (a database opened before): it then keeps its defaults, which work too.
    /// </summary>
    public static bool Configure()
    {
        Batteries_V2.Init();
        return raw.sqlite3_config(ConfigMemoryStatus, 0) == raw.SQLITE_OK;
    }

    [DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int MallocTrim(nuint pad);

    /// <summary>
    /// Gives the memory that closed connections' page caches freed back to the system. glibc keeps freed
    /// blocks in the heap of the thread that allocated them, and a store opened later runs on other
    /// threads: without this, each store opened and closed in one process (the benchmarks' runs) added
    /// its caches to the working set. Where the C library has no malloc_trim, nothing happens.
    /// </summary>
    public static void ReleaseFreedMemory()
    {
        try
        {
            MallocTrim(0);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
        }
    }
}
