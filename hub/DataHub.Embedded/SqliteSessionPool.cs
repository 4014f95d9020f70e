using Microsoft.Data.Sqlite;

namespace DataHub.Embedded;

/// <summary>An open connection with the statements prepared on it, reused by one batch after another.</summary>
internal sealed class SqliteSession(SqliteConnection connection) : IDisposable
{
    public SqliteConnection Connection { get; } = connection;

    /// <summary>Prepared statements by their text; they stay valid across transactions.</summary>
    public Dictionary<string, SqliteCommand> Statements { get; } = new(StringComparer.Ordinal);

    /// <summary>The hot path's statements, run through SQLite's C interface.</summary>
    public Dictionary<string, SqliteStatement> RawStatements { get; } = new(StringComparer.Ordinal);

    public void Dispose()
    {
        foreach (var cmd in Statements.Values) cmd.Dispose();
        foreach (var statement in RawStatements.Values) statement.Dispose();
        Connection.Dispose();
    }
}

/// <summary>
/// Keeps the write connections of one kind (log or profiles) open between batches. A connection opened
/// per batch starts with an empty page cache and re-reads every index page it touches from the file; a
/// kept one starts each batch with the hot pages of the indexes in memory, and its statements prepared.
/// </summary>
internal sealed class SqliteSessionPool(Func<SqliteConnection> open, int keep) : IDisposable
{
    private readonly Stack<SqliteSession> _idle = new();
    private bool _disposed;

    public SqliteSession Rent()
    {
        lock (_idle)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_idle.TryPop(out var session)) return session;
        }
        return new SqliteSession(open());
    }

    /// <summary>Takes back a session whose last transaction ended cleanly; one that failed is closed instead.</summary>
    public void Return(SqliteSession session)
    {
        lock (_idle)
        {
            if (!_disposed && _idle.Count < keep)
            {
                _idle.Push(session);
                return;
            }
        }
        session.Dispose();
    }

    public void Dispose()
    {
        lock (_idle)
        {
            _disposed = true;
            while (_idle.TryPop(out var session)) session.Dispose();
        }
    }
}
