using DataHub.Core.Audit;
using Microsoft.Data.Sqlite;

namespace DataHub.Embedded.Tests;

/// <summary>The audit log's journal: written before the call goes on, moved into audit.db, replayed after a crash.</summary>
public sealed class AuditLogTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("datahub-audit-").FullName;

    private string DbPath => Path.Combine(_directory, "audit.db");

    public void Dispose() => Directory.Delete(_directory, true);

    private static AuditDraft Draft(int i) => new()
    {
        Agency = "agency-" + (i % 3), Method = "/datahub.v1.ProfileService/GetProfile", Uscc = "9144030071526726XG",
        Purpose = "核查", Result = "OK", Detail = $"call {i}", At = new DateTimeOffset(2026, 11, 30, 9, 0, 0, TimeSpan.Zero).AddSeconds(i),
    };

    private string[] Journal() => Directory.GetFiles(_directory, "audit.db.journal-*");

    private long StoredRows()
    {
        using var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DbPath, Pooling = false }.ToString());
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT count(*) FROM audit";
        return (long)cmd.ExecuteScalar()!;
    }

    [Fact]
    public async Task An_entry_is_readable_as_soon_as_append_returns_and_reaches_audit_db_within_moments()
    {
        await using var log = new SqliteAuditLog(DbPath);
        for (int i = 1; i <= 3; i++) await log.AppendAsync(Draft(i));
        // Read beside the writer, as `datahub audit verify` does while the hub runs.
        Assert.Equal([1L, 2, 3], SqliteAuditLog.ReadAll(DbPath).Select(e => e.Seq));
        Assert.Null(AuditChain.Verify(SqliteAuditLog.ReadAll(DbPath), out _));

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (StoredRows() < 3 && DateTime.UtcNow < deadline) await Task.Delay(20);
        Assert.Equal(3, StoredRows());
        Assert.True(Journal().Length <= 1, "moved journal segments are deleted: " + string.Join(", ", Journal()));
    }

    [Fact]
    public async Task Entries_reach_audit_db_with_every_field_exactly_as_appended_and_hashed()
    {
        // The mover stores rows from the journal's bytes: empty fields, Chinese text and U+0000 must come out as they went in.
        AuditDraft[] drafts =
        [
            new() { Agency = "(unauthenticated)", Method = "POST /api/console/session", Result = "UNAUTHENTICATED", At = new DateTimeOffset(2026, 11, 30, 9, 0, 0, 123, TimeSpan.Zero) },
            Draft(2) with { Purpose = "行政许可核查（告知承诺）", Detail = "a\0b", At = new DateTimeOffset(2026, 11, 30, 17, 0, 0, TimeSpan.FromHours(8)) },
        ];
        var appended = new List<AuditEntry>();
        await using (var log = new SqliteAuditLog(DbPath))
        {
            foreach (var draft in drafts) appended.Add(await log.AppendAsync(draft));
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (StoredRows() < drafts.Length && DateTime.UtcNow < deadline) await Task.Delay(20);
            Assert.Equal(drafts.Length, StoredRows());
        }
        Assert.Empty(Journal());
        var stored = SqliteAuditLog.ReadAll(DbPath).ToList();
        Assert.Equal(appended.Select(e => (e.Seq, e.PreviousHash, e.Hash)), stored.Select(e => (e.Seq, e.PreviousHash, e.Hash)));
        Assert.Equal(drafts.Select(d => d with { At = d.At.ToUniversalTime() }), stored.Select(e => e.Draft));
        Assert.Null(AuditChain.Verify(stored, out var verified));
        Assert.Equal(2, verified);
    }

    [Fact]
    public async Task Full_segments_give_way_to_the_next_and_are_deleted_once_their_entries_are_stored()
    {
        // 64 KiB segments: about 200 entries each, so 3,000 entries fill fifteen of them.
        var appended = new List<AuditEntry>();
        await using (var log = new SqliteAuditLog(DbPath, 64 * 1024))
        {
            for (int i = 1; i <= 3_000; i++) appended.Add(await log.AppendAsync(Draft(i)));
            Assert.Equal(appended.Select(e => e.Seq), SqliteAuditLog.ReadAll(DbPath).Select(e => e.Seq));
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while ((StoredRows() < 3_000 || Journal().Length > 2) && DateTime.UtcNow < deadline) await Task.Delay(20);
            Assert.Equal(3_000, StoredRows());
            // The segment being written, and the next one made ready for it.
            Assert.True(Journal().Length <= 2, "segments whose entries are stored are deleted: " + string.Join(", ", Journal()));
        }
        Assert.Empty(Journal());
        var stored = SqliteAuditLog.ReadAll(DbPath).ToList();
        Assert.Null(AuditChain.Verify(stored, out var verified));
        Assert.Equal(3_000, verified);
        Assert.Equal(appended.Select(e => e.Hash), stored.Select(e => e.Hash));
    }

    [Fact]
    public async Task A_record_half_copied_into_a_segment_when_the_process_died_is_dropped_and_the_zeros_after_it_end_the_segment()
    {
        // A mapped segment as a dying hub leaves it: whole records, one cut off mid-copy, then the zeros the file was made with.
        var bytes = new byte[64 * 1024];
        int offset = 0;
        using (var linker = new AuditLinker())
        {
            var previous = AuditChain.Genesis;
            for (int i = 1; i <= 3; i++)
            {
                var entry = linker.Link(i, Draft(i), previous);
                previous = entry.Hash;
                var record = linker.Record;
                (i < 3 ? record : record[..(record.Length / 2)]).CopyTo(bytes.AsSpan(offset));
                offset += record.Length;
            }
        }
        File.WriteAllBytes(Path.Combine(_directory, "audit.db.journal-0000000000000000001"), bytes);

        await using (var log = new SqliteAuditLog(DbPath))
        {
            Assert.Equal(2, StoredRows());
            Assert.Equal(3, (await log.AppendAsync(Draft(9))).Seq);
        }
        Assert.Equal(["call 1", "call 2", "call 9"], SqliteAuditLog.ReadAll(DbPath).Select(e => e.Draft.Detail));
        Assert.Empty(Directory.GetFiles(_directory, "audit.db.unreadable-*"));
    }

    [Fact]
    public async Task Entries_a_crash_left_in_the_journal_are_stored_at_the_next_start_and_a_record_cut_short_is_dropped()
    {
        // The journal as a hub that died would leave it: two whole records, then one cut short mid-write.
        var bytes = new List<byte>();
        using (var linker = new AuditLinker())
        {
            var previous = AuditChain.Genesis;
            for (int i = 1; i <= 3; i++)
            {
                var entry = linker.Link(i, Draft(i), previous);
                previous = entry.Hash;
                var record = linker.Record.ToArray();
                bytes.AddRange(i < 3 ? record : record[..(record.Length / 2)]);
            }
        }
        File.WriteAllBytes(Path.Combine(_directory, "audit.db.journal-0000000000000000001"), bytes.ToArray());

        await using (var log = new SqliteAuditLog(DbPath))
        {
            Assert.Equal(2, StoredRows());
            var next = await log.AppendAsync(Draft(9));
            Assert.Equal(3, next.Seq);
        }
        var chain = SqliteAuditLog.ReadAll(DbPath).ToList();
        Assert.Null(AuditChain.Verify(chain, out var verified));
        Assert.Equal(3, verified);
        Assert.Equal(["call 1", "call 2", "call 9"], chain.Select(e => e.Draft.Detail));
        Assert.Empty(Journal());
    }

    [Fact]
    public async Task A_changed_journal_record_fails_verification_like_a_changed_row_before_and_after_it_is_stored()
    {
        var segment = Path.Combine(_directory, "audit.db.journal-0000000000000000001");
        File.WriteAllBytes(segment, JournalOf(1, 2, 3));
        var bytes = File.ReadAllBytes(segment);
        // "call 2" becomes "call 7": same length, so the record still reads, but its hash no longer fits.
        var at = bytes.AsSpan().IndexOf("call 2"u8);
        Assert.True(at > 0, "the journal should hold the second entry's detail");
        bytes[at + 5] = (byte)'7';
        File.WriteAllBytes(segment, bytes);

        AssertAlteredAt2(SqliteAuditLog.ReadAll(DbPath));
        await using (new SqliteAuditLog(DbPath)) { }
        Assert.Equal(3, StoredRows());
        AssertAlteredAt2(SqliteAuditLog.ReadAll(DbPath));

        static void AssertAlteredAt2(IEnumerable<AuditEntry> chain)
        {
            var broken = AuditChain.Verify(chain, out _);
            Assert.NotNull(broken);
            Assert.Equal(2, broken.Seq);
            Assert.Contains("altered", broken.Reason);
        }
    }

    [Fact]
    public async Task A_segment_holding_bytes_that_are_no_record_is_kept_aside_as_evidence()
    {
        var segment = Path.Combine(_directory, "audit.db.journal-0000000000000000001");
        File.WriteAllBytes(segment, [.. JournalOf(1, 2), 0xFF, 0xFF, 0xFF, 0xF0, 1, 2, 3]);
        await using (new SqliteAuditLog(DbPath))
        {
            Assert.Equal(2, StoredRows());
        }
        Assert.Empty(Journal());
        Assert.True(File.Exists(Path.Combine(_directory, "audit.db.unreadable-audit.db.journal-0000000000000000001")), "the unreadable segment should be kept");
    }

    [Fact]
    public async Task Every_entry_a_call_got_back_is_in_the_chain_when_the_log_closes_while_calls_are_appending()
    {
        var returned = new System.Collections.Concurrent.ConcurrentBag<long>();
        var log = new SqliteAuditLog(DbPath);
        var appenders = Enumerable.Range(0, 4).Select(t => Task.Run(async () =>
        {
            for (int i = 0; ; i++)
            {
                try
                {
                    returned.Add((await log.AppendAsync(Draft(t * 100_000 + i))).Seq);
                }
                catch (ObjectDisposedException)
                {
                    return;
                }
            }
        })).ToList();
        while (returned.Count < 2_000) await Task.Delay(5);
        await log.DisposeAsync();
        await Task.WhenAll(appenders).WaitAsync(TimeSpan.FromSeconds(30));

        var chain = SqliteAuditLog.ReadAll(DbPath).ToList();
        Assert.Null(AuditChain.Verify(chain, out _));
        Assert.Empty(Journal());
        var stored = chain.Select(e => e.Seq).ToHashSet();
        Assert.All(returned, seq => Assert.Contains(seq, stored));
        Assert.Equal(StoredRows(), chain.Count);
    }

    /// <summary>Whole journal records of the entries <paramref name="seqs"/> (1, 2, … in order), as the log writes them.</summary>
    private static byte[] JournalOf(params int[] seqs)
    {
        var bytes = new List<byte>();
        using var linker = new AuditLinker();
        var previous = AuditChain.Genesis;
        foreach (var i in seqs)
        {
            previous = linker.Link(i, Draft(i), previous).Hash;
            bytes.AddRange(linker.Record.ToArray());
        }
        return bytes.ToArray();
    }

    [Fact]
    public async Task A_second_writer_of_the_same_log_is_refused_with_what_to_do_instead()
    {
        await using var log = new SqliteAuditLog(DbPath);
        var refused = Assert.Throws<IOException>(() => new SqliteAuditLog(DbPath));
        Assert.Contains("another process", refused.Message);
        Assert.Contains("datahub audit verify", refused.Message);
    }
}
