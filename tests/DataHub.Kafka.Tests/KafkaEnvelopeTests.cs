using System.Text;
using Confluent.Kafka;
using DataHub.Schema.V1;

namespace DataHub.Kafka.Tests;

/// <summary>How a value is checked against its topic's type and schema before it is decoded.</summary>
public sealed class KafkaEnvelopeTests
{
    private static ConsumeResult<byte[], byte[]> Consumed(Message<byte[], byte[]> message) => new() { Message = message };

    [Fact]
    public void A_wrapped_message_unwraps_to_an_equal_message()
    {
        var raw = new RawRecord { Source = "scjg", Format = "canonical-jsonl", Origin = "line 7" };
        Assert.Equal(raw, KafkaEnvelope.Unwrap<RawRecord>(Consumed(KafkaEnvelope.Wrap("", raw))));
    }

    [Fact]
    public void A_message_of_another_type_is_refused_naming_both_types()
    {
        var message = KafkaEnvelope.Wrap("9144030071526726XG", new RawRecord { Source = "scjg" });
        var error = Assert.Throws<EnvelopeException>(() => KafkaEnvelope.Unwrap<CanonicalRecord>(Consumed(message)));
        Assert.Equal("WRONG_TYPE", error.Code);
        Assert.Equal("The message is a datahub.v1.RawRecord; this topic carries datahub.v1.CanonicalRecord.", error.Message);
    }

    [Fact]
    public void A_message_of_another_schema_version_is_refused_naming_the_version()
    {
        var message = KafkaEnvelope.Wrap("", new RawRecord { Source = "scjg" });
        message.Headers.Remove(KafkaEnvelope.SchemaHeader);
        message.Headers.Add(KafkaEnvelope.SchemaHeader, Encoding.UTF8.GetBytes("2"));
        var error = Assert.Throws<EnvelopeException>(() => KafkaEnvelope.Unwrap<RawRecord>(Consumed(message)));
        Assert.Equal("UNKNOWN_SCHEMA", error.Code);
        Assert.Equal("The message is schema version '2'; this hub reads version 1.", error.Message);
    }
}
