using Microsoft.Data.Sqlite;

namespace DataHub.Embedded;

/// <summary>One write transaction on one of the store's files, on a pooled session whose statements are prepared once and reused for every row and batch.</summary>
internal abstract class SqliteBatch : IDisposable
{
    private readonly SqliteSession _session;
    private readonly SqliteSessionPool _pool;
    private bool _committed;

    protected SqliteBatch(SqliteSessionPool pool, string takeWriteLock)
    {
        _pool = pool;
        _session = pool.Rent();
        try
        {
            // Deferred, so that reading the other (attached) file takes no lock on it; the first statement
            // writes to this batch's own file, so its write lock is taken (or waited for) before any read.
            Transaction = Connection.BeginTransaction(deferred: true);
            Statement(takeWriteLock).ExecuteNonQuery();
        }
        catch
        {
            _session.Dispose();
            throw;
        }
    }

    protected SqliteConnection Connection => _session.Connection;

    protected SqliteTransaction Transaction { get; private set; } = null!;

    protected void CommitTransaction()
    {
        Transaction.Commit();
        _committed = true;
    }

    public void Dispose()
    {
        try
        {
            // A failed statement may already have rolled the transaction back; disposing must not hide the original error.
            if (!_committed) Transaction.Rollback();
        }
        catch (SqliteException)
        {
        }
        finally
        {
            Transaction.Dispose();
            // A batch that failed may leave its connection in any state: it is not reused.
            if (_committed) _pool.Return(_session);
            else _session.Dispose();
        }
    }

    protected SqliteCommand Statement(string sql, params string[] parameterNames)
    {
        if (_session.Statements.TryGetValue(sql, out var cmd))
        {
            cmd.Transaction = Transaction;
            return cmd;
        }
        cmd = Connection.CreateCommand();
        cmd.Transaction = Transaction;
        cmd.CommandText = sql;
        foreach (var name in parameterNames) cmd.Parameters.Add(new SqliteParameter { ParameterName = name });
        cmd.Prepare();
        _session.Statements[sql] = cmd;
        return cmd;
    }

    /// <summary>A statement for the hot path (<see cref="SqliteStatement"/>), prepared once per session.</summary>
    protected SqliteStatement RawStatement(string sql)
    {
        if (!_session.RawStatements.TryGetValue(sql, out var statement))
            _session.RawStatements[sql] = statement = new SqliteStatement(Connection, sql);
        return statement;
    }

    protected static void Bind(SqliteCommand cmd, params object[] values)
    {
        for (int i = 0; i < values.Length; i++) cmd.Parameters[i].Value = values[i];
    }
}
