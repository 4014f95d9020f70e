using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace DataHub.Embedded;

/// <summary>
/// A statement prepared once on a kept connection and run straight through SQLite's C interface: the
/// log stage runs two or three per record, where Microsoft.Data.Sqlite's reader, parameter objects
/// and UTF-8 copies cost about as much as SQLite's own work. Text is bound as UTF-16 (SQLite converts
/// it without a managed copy) and blobs from spans. Errors surface as <see cref="SqliteException"/>,
/// as from Microsoft.Data.Sqlite.
/// </summary>
internal sealed class SqliteStatement : IDisposable
{
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _stmt;
    private readonly string _sql;

    public SqliteStatement(SqliteConnection connection, string sql)
    {
        _db = connection.Handle ?? throw new InvalidOperationException("The connection is not open.");
        _sql = sql;
        int rc = raw.sqlite3_prepare_v3(_db, sql, raw.SQLITE_PREPARE_PERSISTENT, out _stmt);
        if (rc != raw.SQLITE_OK) throw Error(rc);
    }

    public SqliteStatement Bind(int index, long value) => Check(raw.sqlite3_bind_int64(_stmt, index, value));

    /// <summary>An integer, or NULL when there is none.</summary>
    public SqliteStatement Bind(int index, long? value) => value is { } v ? Bind(index, v) : Check(raw.sqlite3_bind_null(_stmt, index));

    public SqliteStatement Bind(int index, string value) => Check(raw.sqlite3_bind_text16(_stmt, index, value.AsSpan()));

    public SqliteStatement Bind(int index, ReadOnlySpan<byte> blob) => Check(raw.sqlite3_bind_blob(_stmt, index, blob));

    /// <summary>Runs to the next row: true with a row to read, false when done. On an error the statement is reset and the error thrown.</summary>
    public bool Step()
    {
        int rc = raw.sqlite3_step(_stmt);
        if (rc == raw.SQLITE_ROW) return true;
        if (rc == raw.SQLITE_DONE) return false;
        var error = Error(rc);
        raw.sqlite3_reset(_stmt);
        throw error;
    }

    /// <summary>Runs a statement that returns no rows; returns how many rows it changed.</summary>
    public int Execute()
    {
        try
        {
            while (Step()) { }
            return raw.sqlite3_changes(_db);
        }
        finally
        {
            raw.sqlite3_reset(_stmt);
        }
    }

    /// <summary>Makes the statement ready for new bindings (and ends its read, so it holds no snapshot).</summary>
    public void Reset() => raw.sqlite3_reset(_stmt);

    public long LastInsertRowId => raw.sqlite3_last_insert_rowid(_db);

    /// <summary>Runs a query of one integer (a count, a maximum) and returns it.</summary>
    public long ExecuteInt64()
    {
        try
        {
            return Step() ? Int64(0) : throw new InvalidOperationException($"No row from {_sql}");
        }
        finally
        {
            raw.sqlite3_reset(_stmt);
        }
    }

    public bool IsNull(int column) => raw.sqlite3_column_type(_stmt, column) == raw.SQLITE_NULL;

    public long Int64(int column) => raw.sqlite3_column_int64(_stmt, column);

    public string Text(int column) => raw.sqlite3_column_text(_stmt, column).utf8_to_string();

    /// <summary>A blob column, valid until the next step or reset.</summary>
    public ReadOnlySpan<byte> Blob(int column) => raw.sqlite3_column_blob(_stmt, column);

    /// <summary>Whether a text column equals <paramref name="value"/>, compared in UTF-8 without making a string.</summary>
    public bool TextEquals(int column, string value)
    {
        var utf8 = raw.sqlite3_column_blob(_stmt, column);
        int max = System.Text.Encoding.UTF8.GetMaxByteCount(value.Length);
        byte[]? rented = max > 512 ? System.Buffers.ArrayPool<byte>.Shared.Rent(max) : null;
        Span<byte> buffer = rented ?? stackalloc byte[512];
        int n = System.Text.Encoding.UTF8.GetBytes(value, buffer);
        bool equal = utf8.SequenceEqual(buffer[..n]);
        if (rented is not null) System.Buffers.ArrayPool<byte>.Shared.Return(rented);
        return equal;
    }

    private SqliteStatement Check(int rc) => rc == raw.SQLITE_OK ? this : throw Error(rc);

    private SqliteException Error(int rc) =>
        new($"SQLite Error {rc}: '{raw.sqlite3_errmsg(_db).utf8_to_string()}' in {_sql}", rc, raw.sqlite3_extended_errcode(_db));

    public void Dispose() => _stmt.Dispose();
}
