using DataHub.Core.Identifiers;
using DataHub.Core.Records;
using DataHub.Schema.V1;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Data.Sqlite;

namespace DataHub.Embedded.Tests;

/// <summary>The store keeps its write connections open between batches, and runs the log's hot statements through SQLite's C interface.</summary>
public sealed class StoreSessionTests
{
    private static CanonicalRecord Registration(string uscc, string sourceId, string name, int day)
    {
        var record = new CanonicalRecord
        {
            Uscc = uscc, Source = "market-supervision", SourceId = sourceId, EnterpriseName = name,
            OccurredAt = Timestamp.FromDateTime(new DateTime(2021, 1, day, 0, 0, 0, DateTimeKind.Utc)),
            UpdatedAt = Timestamp.FromDateTime(new DateTime(2021, 1, day, 0, 0, 0, DateTimeKind.Utc)),
            Registration = new Registration { Name = name },
        };
        Assert.Null(new RecordNormalizer().Normalize(record));
        return record;
    }

    [Fact]
    public void New_store_files_use_8_KiB_pages_in_WAL_mode()
    {
        using var hub = new TempHub();
        foreach (var file in new[] { hub.Store.Path, hub.Store.ProfilesPath })
        {
            using var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = file, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
            c.Open();
            using var size = c.CreateCommand();
            size.CommandText = "PRAGMA page_size";
            Assert.Equal(8192L, (long)size.ExecuteScalar()!);
            using var mode = c.CreateCommand();
            mode.CommandText = "PRAGMA journal_mode";
            Assert.Equal("wal", (string)mode.ExecuteScalar()!);
        }
    }

    [Fact]
    public void A_batch_left_without_commit_leaves_nothing_and_the_next_batch_works()
    {
        using var hub = new TempHub();
        var code = Uscc.Generate(new Random(21), "321302");
        var first = Registration(code, "REG-1", "宿城某某商贸有限公司（合成）", 1);
        using (var failed = hub.Store.BeginBatch())
        {
            Assert.True(failed.Append(first).Appended);
            // Disposed without Commit, as when a stage throws half-way.
        }
        using (var batch = hub.Store.BeginBatch())
        {
            Assert.False(batch.Contains(first.Source, first.SourceId, first.ContentHash));
            Assert.True(batch.Append(first).Appended);
            batch.Commit();
        }
        using (var again = hub.Store.BeginBatch())
        {
            // Same version again: a no-op, found through the statement prepared by the earlier batch.
            Assert.False(again.Append(first).Appended);
            Assert.True(again.Contains(first.Source, first.SourceId, first.ContentHash));
            again.Commit();
        }
        Assert.Equal(1, hub.Store.Stats().Records);
    }

    [Fact]
    public void Kept_connections_see_what_another_store_on_the_same_files_committed()
    {
        using var hub = new TempHub();
        using var other = new SqliteHubStore(hub.Store.Path);
        var code = Uscc.Generate(new Random(22), "321302");
        var older = Registration(code, "REG-2", "宿城某某建材有限公司（合成）", 1);
        var newer = Registration(code, "REG-2", "宿城某某新材料有限公司（合成）", 2);

        // Both stores have a kept connection with a warm cache before the other one writes.
        using (var warm = hub.Store.BeginBatch()) warm.Commit();
        using (var warm = other.BeginBatch()) warm.Commit();

        using (var batch = other.BeginBatch())
        {
            Assert.True(batch.Append(older).BecameCurrent);
            batch.Commit();
        }
        using (var batch = hub.Store.BeginBatch())
        {
            Assert.True(batch.Contains(older.Source, older.SourceId, older.ContentHash));
            var outcome = batch.Append(newer);
            Assert.True(outcome.Appended && outcome.BecameCurrent, "the newer version replaces the head the other store wrote");
            batch.Commit();
        }
        using (var batch = other.BeginBatch())
        {
            // The older version again: already in the log.
            Assert.False(batch.Append(older).Appended);
            batch.Commit();
        }
        Assert.Equal(2, other.Stats().Records);
        Assert.Equal(1, other.Stats().CurrentRecords);
    }

    [Fact]
    public void After_dispose_the_store_starts_no_batch()
    {
        var hub = new TempHub();
        using (var batch = hub.Store.BeginBatch()) batch.Commit();
        hub.Dispose();
        Assert.Throws<ObjectDisposedException>(() => hub.Store.BeginBatch());
    }

    [Fact]
    public void A_statement_error_is_a_SqliteException_naming_the_statement_and_the_statement_stays_usable()
    {
        using var connection = new SqliteConnection("Data Source=:memory:");
        connection.Open();
        using (var create = connection.CreateCommand())
        {
            create.CommandText = "CREATE TABLE t(k INTEGER PRIMARY KEY, v TEXT NOT NULL)";
            create.ExecuteNonQuery();
        }
        var bad = Assert.Throws<SqliteException>(() => new SqliteStatement(connection, "INSERT INTO missing(k) VALUES(?1)"));
        Assert.Contains("no such table: missing", bad.Message);
        Assert.Contains("INSERT INTO missing", bad.Message);

        using var insert = new SqliteStatement(connection, "INSERT INTO t(k, v) VALUES(?1, ?2)");
        Assert.Equal(1, insert.Bind(1, 1).Bind(2, "宿迁").Execute());
        var duplicate = Assert.Throws<SqliteException>(() => insert.Bind(1, 1).Bind(2, "泰州").Execute());
        Assert.Equal(19, duplicate.SqliteErrorCode); // SQLITE_CONSTRAINT
        Assert.Equal(1, insert.Bind(1, 2).Bind(2, "连云港").Execute());
        Assert.Equal(2, insert.LastInsertRowId);

        using var select = new SqliteStatement(connection, "SELECT v, k FROM t WHERE k=?1");
        select.Bind(1, 1);
        Assert.True(select.Step());
        Assert.Equal("宿迁", select.Text(0));
        Assert.True(select.TextEquals(0, "宿迁"));
        Assert.False(select.TextEquals(0, "宿迁市"));
        Assert.False(select.TextEquals(0, "宿"));
        Assert.True(select.TextEquals(0, "宿迁") && !select.TextEquals(0, new string('宿', 400)));
        Assert.Equal(1, select.Int64(1));
        Assert.False(select.IsNull(0));
        Assert.False(select.Step());
        select.Reset();
    }

    [Theory]
    [InlineData("hub.db")]
    [InlineData("profiles.db")]
    public void A_store_file_that_vanished_while_the_hub_runs_is_an_error_and_is_not_created_empty_again(string file)
    {
        using var hub = new TempHub();
        var path = Path.Combine(Path.GetDirectoryName(hub.Store.Path)!, file);
        File.Move(path, path + ".away");
        var error = Assert.Throws<SqliteException>(() => hub.Store.SourceCounts());
        Assert.Equal(14, error.SqliteErrorCode); // SQLITE_CANTOPEN
        Assert.False(File.Exists(path), $"{file} was created again, empty, by a connection of the running store");
        File.Move(path + ".away", path);
        Assert.Empty(hub.Store.SourceCounts());
    }
}
