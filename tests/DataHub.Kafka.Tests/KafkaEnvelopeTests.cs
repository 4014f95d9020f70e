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

    [Fact]
    public void Only_the_envelopes_own_two_headers_may_be_replaced_by_the_shared_ones()
    {
        var headers = KafkaEnvelope.Wrap("", new RawRecord { Source = "scjg" }).Headers;
        Assert.True(KafkaEnvelope.HasOnlyEnvelopeHeaders<RawRecord>(headers));
        Assert.Equal(headers.Select(h => (h.Key, Encoding.UTF8.GetString(h.GetValueBytes()))),
            KafkaEnvelope.EnvelopeHeaders<RawRecord>().Select(h => (h.Key, Encoding.UTF8.GetString(h.GetValueBytes()))));
        // Another type, another version, a header more: kept as they came (a dead letter carries them on).
        Assert.False(KafkaEnvelope.HasOnlyEnvelopeHeaders<CanonicalRecord>(headers));
        var version = KafkaEnvelope.Wrap("", new RawRecord()).Headers;
        version.Remove(KafkaEnvelope.SchemaHeader);
        version.Add(KafkaEnvelope.SchemaHeader, Encoding.UTF8.GetBytes("2"));
        Assert.False(KafkaEnvelope.HasOnlyEnvelopeHeaders<RawRecord>(version));
        var traced = KafkaEnvelope.Wrap("", new RawRecord()).Headers;
        traced.Add("traceparent", Encoding.UTF8.GetBytes("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
        Assert.False(KafkaEnvelope.HasOnlyEnvelopeHeaders<RawRecord>(traced));
        Assert.False(KafkaEnvelope.HasOnlyEnvelopeHeaders<RawRecord>(null));
    }
}
