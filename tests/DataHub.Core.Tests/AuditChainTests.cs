using DataHub.Core.Audit;

namespace DataHub.Core.Tests;

public class AuditChainTests
{
    private static List<AuditEntry> Chain(int n)
    {
        var entries = new List<AuditEntry>();
        var previous = AuditChain.Genesis;
        for (int i = 1; i <= n; i++)
        {
            var entry = AuditChain.Link(i, new AuditDraft
            {
                Agency = i % 2 == 0 ? "market-supervision" : "approval-bureau",
                Method = "/datahub.v1.ProfileService/GetProfile",
                Uscc = "9144030071526726XG",
                Purpose = "审批核查",
                Result = "OK",
                Detail = $"call {i}",
                At = new DateTimeOffset(2026, 11, 29, 8, 0, i, TimeSpan.Zero),
            }, previous);
            entries.Add(entry);
            previous = entry.Hash;
        }
        return entries;
    }

    [Fact]
    public void An_untouched_chain_verifies_entry_by_entry()
    {
        Assert.Null(AuditChain.Verify(Chain(50), out var verified));
        Assert.Equal(50, verified);
    }

    [Fact]
    public void Changing_any_field_of_an_entry_breaks_the_chain_at_that_entry()
    {
        var chain = Chain(10);
        chain[4] = chain[4] with { Draft = chain[4].Draft with { Result = "PERMISSION_DENIED" } };
        var broken = AuditChain.Verify(chain, out var verified);
        Assert.Equal(5, broken!.Seq);
        Assert.Contains("altered", broken.Reason);
        Assert.Equal(4, verified);
    }

    [Fact]
    public void Removing_an_entry_is_found_as_a_gap()
    {
        var chain = Chain(10);
        chain.RemoveAt(6);
        var broken = AuditChain.Verify(chain, out _);
        Assert.Equal(8, broken!.Seq);
        Assert.Contains("missing", broken.Reason);
    }

    [Fact]
    public void Rehashing_an_altered_entry_still_breaks_the_next_link()
    {
        var chain = Chain(10);
        var forged = AuditChain.Link(3, chain[2].Draft with { Agency = "someone-else" }, chain[2].PreviousHash);
        chain[2] = forged;
        var broken = AuditChain.Verify(chain, out _);
        Assert.Equal(4, broken!.Seq);
        Assert.Contains("previous hash", broken.Reason);
    }

    [Fact]
    public void Field_boundaries_are_part_of_the_hash()
    {
        var at = DateTimeOffset.UnixEpoch;
        var a = new AuditDraft { Agency = "ab", Method = "c", Result = "OK", At = at };
        var b = new AuditDraft { Agency = "a", Method = "bc", Result = "OK", At = at };
        Assert.NotEqual(AuditChain.HashOf(1, a, AuditChain.Genesis), AuditChain.HashOf(1, b, AuditChain.Genesis));
    }

    [Fact]
    public void The_hash_is_sha256_over_the_position_and_length_prefixed_fields()
    {
        // Worked out independently (Python hashlib over the documented layout): entries already stored must keep verifying.
        var first = Chain(1).Single();
        Assert.Equal("418c4f9c4dfe4e9060a26cf68e5e5869e6a379aa8aa7f0d31d2079bac5789159", first.Hash);
    }

    [Fact]
    public void The_writers_linker_gives_exactly_the_chains_hashes()
    {
        var expected = Chain(40);
        using var linker = new AuditLinker();
        var previous = AuditChain.Genesis;
        foreach (var e in expected)
        {
            // A long detail on one entry makes the linker grow its buffer midway.
            var draft = e.Seq == 20 ? e.Draft with { Detail = new string('详', 2000) } : e.Draft;
            var linked = linker.Link(e.Seq, draft, previous);
            Assert.Equal(AuditChain.HashOf(e.Seq, draft, previous), linked.Hash);
            previous = linked.Hash;
        }
    }
}
