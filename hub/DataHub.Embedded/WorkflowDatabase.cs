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
        SqliteHubStore.Execute(writer, BusOutboxSchema);
        return writer;
    }

    /// <summary>Workflow events waiting for the bus (Kafka mode), shared by both stores (<see cref="SqliteBusOutbox"/>).</summary>
    private const string BusOutboxSchema = "CREATE TABLE IF NOT EXISTS bus_outbox(id INTEGER PRIMARY KEY AUTOINCREMENT, topic TEXT NOT NULL, key TEXT NOT NULL, type TEXT NOT NULL, payload BLOB NOT NULL);";

    public const string InsertBusOutbox = "INSERT INTO bus_outbox(topic, key, type, payload) VALUES($topic, $key, $type, $payload)";

    public static string ReadOnly(string path) => new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = true }.ToString();

    public static SqliteConnection Open(string connectionString)
    {
        var c = new SqliteConnection(connectionString);
        c.Open();
        return c;
    }
}

/// <summary>The bus outbox of workflow.db: read and trimmed by the relay to Kafka.</summary>
public sealed class SqliteBusOutbox(string path) : DataHub.Core.Ingest.IBusOutbox
{
    private readonly string _connectionString = new SqliteConnectionStringBuilder { DataSource = System.IO.Path.GetFullPath(path), Pooling = true }.ToString();

    public IReadOnlyList<DataHub.Core.Ingest.BusOutboxEntry> Next(int limit)
    {
        using var c = Open();
        using var cmd = SqliteHubStore.Command(c, "SELECT id, topic, key, type, payload FROM bus_outbox ORDER BY id LIMIT $n", ("$n", limit));
        using var r = cmd.ExecuteReader();
        var entries = new List<DataHub.Core.Ingest.BusOutboxEntry>();
        while (r.Read()) entries.Add(new(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), (byte[])r.GetValue(4)));
        return entries;
    }

    public void Remove(long throughId)
    {
        using var c = Open();
        using var cmd = SqliteHubStore.Command(c, "DELETE FROM bus_outbox WHERE id <= $id", ("$id", throughId));
        cmd.ExecuteNonQuery();
    }

    private SqliteConnection Open()
    {
        var c = WorkflowDatabase.Open(_connectionString);
        SqliteHubStore.Execute(c, "PRAGMA busy_timeout=30000;");
        return c;
    }
}
