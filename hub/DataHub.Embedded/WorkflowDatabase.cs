using Microsoft.Data.Sqlite;

namespace DataHub.Embedded;

/// <summary>
/// workflow.db, shared by the pull and linkage stores: each has one writer connection (WAL, NORMAL
/// sync: durable across a process crash) and reads through pooled read-only connections.
/// </summary>
internal static class WorkflowDatabase
{
    /// <summary>The writer's connection with the store's schema applied (every statement IF NOT EXISTS).</summary>
    public static SqliteConnection OpenWriter(string path, string schema)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var writer = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        writer.Open();
        SqliteHubStore.Execute(writer, "PRAGMA busy_timeout=30000; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
        SqliteHubStore.Execute(writer, schema);
        return writer;
    }

    public static string ReadOnly(string path) => new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = true }.ToString();

    public static SqliteConnection Open(string connectionString)
    {
        var c = new SqliteConnection(connectionString);
        c.Open();
        return c;
    }
}
