using System.Text;
using Confluent.Kafka;
using DataHub.Schema.V1;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace DataHub.Kafka;

/// <summary>
/// How hub messages sit on Kafka: key = UTF-8 text (USCC, pull id, task id), value = protobuf bytes,
/// header <c>datahub.type</c> = the protobuf full name and <c>datahub.schema</c> = the schema version,
/// so a subscriber knows what to decode before it decodes.
/// </summary>
public static class KafkaEnvelope
{
    public const string TypeHeader = "datahub.type";
    public const string SchemaHeader = "datahub.schema";

    /// <summary>The version of the protos package the values are written in (datahub.v1).</summary>
    public const string SchemaVersion = "1";

    private static readonly MessageDescriptor[] Published =
    [
        RawRecord.Descriptor, CanonicalRecord.Descriptor, EnterpriseProfile.Descriptor, PullEvent.Descriptor, LinkageEvent.Descriptor,
    ];

    private static readonly Dictionary<string, MessageParser> Parsers = Published.ToDictionary(d => d.FullName, d => d.Parser, StringComparer.Ordinal);

    // Header values are the same bytes for every message of a type: encoded once (the client copies them on produce).
    private static readonly Dictionary<string, byte[]> TypeHeaderValues = Published.ToDictionary(d => d.FullName, d => Encoding.UTF8.GetBytes(d.FullName), StringComparer.Ordinal);
    private static readonly byte[] SchemaHeaderValue = Encoding.UTF8.GetBytes(SchemaVersion);

    /// <summary>A message for Kafka; an empty key is sent as no key (the producer then keeps consecutive messages on one partition for a while).</summary>
    public static Message<byte[], byte[]> Wrap(string key, IMessage value) => new()
    {
        Key = key.Length == 0 ? null! : Encoding.UTF8.GetBytes(key),
        Value = value.ToByteArray(),
        Headers = new Headers
        {
            { TypeHeader, TypeHeaderValues.TryGetValue(value.Descriptor.FullName, out var type) ? type : Encoding.UTF8.GetBytes(value.Descriptor.FullName) },
            { SchemaHeader, SchemaHeaderValue },
        },
    };

    /// <summary>A message of one of the hub's types from its full name and bytes (the bus outbox stores them so).</summary>
    public static IMessage Parse(string type, byte[] payload) =>
        Parsers.TryGetValue(type, out var parser) ? parser.ParseFrom(payload) : throw new EnvelopeException("WRONG_TYPE", $"'{type}' is not a message type the hub publishes.");

    /// <summary>Decodes a value of the expected type, or says in words why it cannot (for the dead-letter headers).</summary>
    public static T Unwrap<T>(ConsumeResult<byte[], byte[]> result) where T : IMessage<T>, new() =>
        Unwrap<T>(result.Message.Headers, result.Message.Value, result.Message.Value is null);

    /// <summary>Decodes a value of the expected type from bytes anywhere (the client's own buffer included), or says why it cannot.</summary>
    public static T Unwrap<T>(Headers? headers, ReadOnlySpan<byte> value, bool isNull) where T : IMessage<T>, new()
    {
        var expected = Expected<T>.Name;
        // Headers are compared as bytes: decoding them to text is only needed to say what is wrong.
        if (headers is null || !headers.TryGetLastBytes(TypeHeader, out var type)) throw new EnvelopeException("NO_TYPE_HEADER", $"The message has no {TypeHeader} header; expected {expected}.");
        if (!type.AsSpan().SequenceEqual(Expected<T>.NameBytes)) throw new EnvelopeException("WRONG_TYPE", $"The message is a {Encoding.UTF8.GetString(type)}; this topic carries {expected}.");
        if (!headers.TryGetLastBytes(SchemaHeader, out var schema) || !schema.AsSpan().SequenceEqual(SchemaHeaderValue))
            throw new EnvelopeException("UNKNOWN_SCHEMA", $"The message is schema version '{HeaderText(headers, SchemaHeader)}'; this hub reads version {SchemaVersion}.");
        if (isNull) throw new EnvelopeException("NO_VALUE", "The message has no value (a tombstone); this topic carries no tombstones.");
        try
        {
            return Expected<T>.Parser.ParseFrom(value);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new EnvelopeException("BAD_PROTOBUF", $"The value is not a valid {expected}: {e.Message}");
        }
    }

    /// <summary>
    /// A consumer's value deserializer that decodes straight from librdkafka's buffer: no array per
    /// message is copied out first. A value it refuses makes the client's Consume throw a
    /// <see cref="ConsumeException"/> that carries the message's bytes as they came.
    /// </summary>
    public sealed class Deserializer<T> : IDeserializer<T> where T : IMessage<T>, new()
    {
        public T Deserialize(ReadOnlySpan<byte> data, bool isNull, SerializationContext context) => Unwrap<T>(context.Headers, data, isNull);
    }

    /// <summary>
    /// Whether a message carries the envelope's two headers for <typeparamref name="T"/> and nothing else (as every
    /// message the hub writes does); its headers can then be replaced by <see cref="EnvelopeHeaders{T}"/>.
    /// </summary>
    public static bool HasOnlyEnvelopeHeaders<T>(Headers? headers) where T : IMessage<T>, new() =>
        headers is { Count: 2 }
        && headers[0].Key == TypeHeader && headers[0].GetValueBytes().AsSpan().SequenceEqual(Expected<T>.NameBytes)
        && headers[1].Key == SchemaHeader && headers[1].GetValueBytes().AsSpan().SequenceEqual(SchemaHeaderValue);

    /// <summary>The envelope's headers for <typeparamref name="T"/>, one instance for every message that has them: read it, never add to it.</summary>
    public static Headers EnvelopeHeaders<T>() where T : IMessage<T>, new() => Expected<T>.Headers;

    public static string? HeaderText(Headers? headers, string name) =>
        headers is not null && headers.TryGetLastBytes(name, out var bytes) ? Encoding.UTF8.GetString(bytes) : null;

    private static class Expected<T> where T : IMessage<T>, new()
    {
        public static readonly string Name = new T().Descriptor.FullName;
        public static readonly byte[] NameBytes = Encoding.UTF8.GetBytes(Name);
        public static readonly Headers Headers = new() { { TypeHeader, NameBytes }, { SchemaHeader, SchemaHeaderValue } };
        // The generated parser: it makes new messages with `new`, not through the generic constraint's reflection.
        public static readonly MessageParser<T> Parser = (MessageParser<T>)new T().Descriptor.Parser;
    }
}

/// <summary>A message that cannot be decoded as what its topic carries, with a code and a reason.</summary>
public sealed class EnvelopeException(string code, string message) : Exception(message)
{
    public string Code { get; } = code;
}
