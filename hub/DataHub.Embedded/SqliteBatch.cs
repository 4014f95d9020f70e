using Microsoft.Data.Sqlite;

namespace DataHub.Embedded;

/// <summary>One write transaction on one of the store's files, with its statements prepared once and reused for every row.</summary>
internal abstract class SqliteBatch : IDisposable
{
    private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);
    private bool _committed;

    protected SqliteBatch(SqliteConnection connection, string takeWriteLock)
    {
        Connection = connection;
        try
        {
            // Deferred, so that reading the other (attached) file takes no lock on it; the first statement
            // writes to this batch's own file, so its write lock is taken (or waited for) before any read.
            Transaction = connection.BeginTransaction(deferred: true);
            Statement(takeWriteLock).ExecuteNonQuery();
        }
        catch
        {
            foreach (var cmd in _commands.Values) cmd.Dispose();
            connection.Dispose();
            throw;
        }
    }

    protected SqliteConnection Connection { get; }

    protected SqliteTransaction Transaction { get; }

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
            foreach (var cmd in _commands.Values) cmd.Dispose();
            Connection.Dispose();
        }
    }

    protected SqliteCommand Statement(string sql, params string[] parameterNames)
    {
        if (_commands.TryGetValue(sql, out var cmd)) return cmd;
        cmd = Connection.CreateCommand();
        cmd.Transaction = Transaction;
        cmd.CommandText = sql;
        foreach (var name in parameterNames) cmd.Parameters.Add(new SqliteParameter { ParameterName = name });
        cmd.Prepare();
        _commands[sql] = cmd;
        return cmd;
    }

    protected static void Bind(SqliteCommand cmd, params object[] values)
    {
        for (int i = 0; i < values.Length; i++) cmd.Parameters[i].Value = values[i];
    }
}
