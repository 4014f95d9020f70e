using System.Text;
using DataHub.Schema.V1;
using Google.Protobuf;

namespace DataHub.Adapters.Import.Tests;

public class CanonicalJsonLinesTests
{
    private readonly CanonicalJsonLinesMapper _mapper = new();

    private static RawRecord Raw(byte[] payload) => new() { Format = CanonicalJsonLinesMapper.FormatName, Origin = "f.jsonl:3", Payload = ByteString.CopyFrom(payload) };

    [Fact]
    public void Snake_case_and_camel_case_field_names_both_map()
    {
        var snake = _mapper.Map(Raw(Encoding.UTF8.GetBytes("{\"uscc\":\"9144030071526726XG\",\"source\":\"e-licence\",\"source_id\":\"L1\",\"occurred_at\":\"2025-01-01T08:00:00+08:00\",\"licence\":{\"licence_no\":\"N1\",\"status\":\"LICENCE_STATUS_VALID\"}}")));
        var camel = _mapper.Map(Raw(Encoding.UTF8.GetBytes("{\"uscc\":\"9144030071526726XG\",\"source\":\"e-licence\",\"sourceId\":\"L1\",\"occurredAt\":\"2025-01-01T00:00:00Z\",\"licence\":{\"licenceNo\":\"N1\",\"status\":\"LICENCE_STATUS_VALID\"}}")));
        Assert.Null(snake.Rejection);
        Assert.Equal(Assert.Single(snake.Records), Assert.Single(camel.Records));
        Assert.Equal(LicenceStatus.Valid, snake.Records[0].Licence.Status);
    }

    [Theory]
    [InlineData("{\"uscc\": \"x\", ", "MALFORMED_JSON")]
    [InlineData("{\"usc\": \"x\"}", "MALFORMED_JSON")]
    [InlineData("{\"licence\": {\"status\": \"NO_SUCH_STATUS\"}}", "MALFORMED_JSON")]
    public void Lines_that_are_not_canonical_records_are_rejected_with_their_origin(string line, string code)
    {
        var result = _mapper.Map(Raw(Encoding.UTF8.GetBytes(line)));
        Assert.Equal(code, result.Rejection!.Code);
        Assert.StartsWith("f.jsonl:3", result.Rejection.Message);
        Assert.Empty(result.Records);
    }

    [Fact]
    public void Bytes_that_are_not_UTF8_are_rejected()
    {
        var result = _mapper.Map(Raw([0x7B, 0xFF, 0xFE, 0x7D]));
        Assert.Equal("NOT_UTF8", result.Rejection!.Code);
    }

    [Fact]
    public void The_file_reader_skips_blank_lines_strips_BOM_and_CR_and_numbers_lines()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(path, [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes("{\"a\":1}\r\n\n   \n{\"b\":\"企业\"}"), 0x0A, 0xFF, 0x0A]);
            var raws = CanonicalJsonLinesFile.Read(path, TimeProvider.System).ToList();
            Assert.Equal(3, raws.Count);
            Assert.Equal("{\"a\":1}", raws[0].Payload.ToStringUtf8());
            Assert.EndsWith(":1", raws[0].Origin);
            Assert.Equal("{\"b\":\"企业\"}", raws[1].Payload.ToStringUtf8());
            Assert.EndsWith(":4", raws[1].Origin);
            Assert.Equal(new byte[] { 0xFF }, raws[2].Payload.ToByteArray());
            Assert.All(raws, r => Assert.Equal("import", r.Source));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Lines_across_the_reader_s_chunks_and_a_line_longer_than_a_chunk_are_read_byte_for_byte()
    {
        // The reader hands out lines as slices of 1 MiB chunks: lines that cross a chunk's end, and one of
        // 2.5 MiB, must come out whole, with the ones before them untouched by the next chunk.
        var lines = new List<string>();
        var random = new Random(7);
        for (int i = 0; i < 6000; i++) lines.Add($"{{\"n\":{i},\"t\":\"{new string((char)('a' + i % 26), random.Next(1, 700))}企业\"}}");
        lines.Insert(3000, "{\"long\":\"" + new string('x', 5 * (1 << 19)) + "\"}");
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, string.Join("\r\n", lines) + "\n", new UTF8Encoding(false));
            var raws = CanonicalJsonLinesFile.Read(path, TimeProvider.System).ToList();
            Assert.Equal(lines, raws.Select(r => r.Payload.ToStringUtf8()));
            Assert.Equal(Enumerable.Range(1, lines.Count).Select(n => $":{n}"), raws.Select(r => r.Origin[r.Origin.LastIndexOf(':')..]));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
