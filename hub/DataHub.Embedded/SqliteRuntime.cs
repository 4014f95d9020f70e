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
}
