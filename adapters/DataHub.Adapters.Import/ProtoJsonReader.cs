using System.Collections;
using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Google.Protobuf.WellKnownTypes;

namespace DataHub.Adapters.Import;

/// <summary>
/// Reads protobuf's JSON mapping straight from UTF-8 with <see cref="Utf8JsonReader"/>, driven by the
/// message descriptors. It covers what the DataHub schema uses (scalars, enums by name or number,
/// nested and repeated fields, oneofs, google.protobuf.Timestamp) several times faster than
/// Google.Protobuf's JsonParser, which tokenizes through strings; a test keeps the two in agreement.
/// Unknown fields, a second member of a oneof and values of the wrong type are errors.
/// </summary>
public static partial class ProtoJsonReader
{
    private static readonly ConcurrentDictionary<MessageDescriptor, Dictionary<string, FieldDescriptor>> Fields = new();

    public static T Parse<T>(ReadOnlySpan<byte> utf8) where T : IMessage, new()
    {
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 32 });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            throw new FormatException("expected a JSON object");
        var message = new T();
        ReadMessage(ref reader, message);
        if (reader.Read()) throw new FormatException("unexpected content after the JSON object");
        return message;
    }

    private static void ReadMessage(ref Utf8JsonReader reader, IMessage message)
    {
        var descriptor = message.Descriptor;
        var fields = Fields.GetOrAdd(descriptor, Index);
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.EndObject) return;
            var name = reader.GetString()!;
            if (!fields.TryGetValue(name, out var field))
                throw new FormatException($"unknown field \"{name}\" in {descriptor.FullName}");
            reader.Read();
            if (reader.TokenType == JsonTokenType.Null) continue;
            if (field.IsRepeated)
            {
                Expect(ref reader, JsonTokenType.StartArray, field);
                var list = (IList)field.Accessor.GetValue(message);
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray) list.Add(ReadValue(ref reader, field));
                continue;
            }
            if (field.RealContainingOneof is { } oneof && oneof.Accessor.GetCaseFieldDescriptor(message) is { } set && set != field)
                throw new FormatException($"both \"{set.Name}\" and \"{field.Name}\" are set; {descriptor.FullName}.{oneof.Name} takes one");
            field.Accessor.SetValue(message, ReadValue(ref reader, field));
        }
        throw new FormatException("the JSON object is not closed");
    }

    private static object ReadValue(ref Utf8JsonReader reader, FieldDescriptor field)
    {
        switch (field.FieldType)
        {
            case FieldType.String:
                Expect(ref reader, JsonTokenType.String, field);
                return reader.GetString()!;
            case FieldType.Bool:
                if (reader.TokenType is not (JsonTokenType.True or JsonTokenType.False))
                    throw new FormatException($"field \"{field.Name}\" takes true or false");
                return reader.GetBoolean();
            case FieldType.Int32 or FieldType.SInt32 or FieldType.SFixed32:
                return Number(ref reader, field, static s => int.Parse(s, CultureInfo.InvariantCulture), static (ref Utf8JsonReader r) => r.GetInt32());
            case FieldType.UInt32 or FieldType.Fixed32:
                return Number(ref reader, field, static s => uint.Parse(s, CultureInfo.InvariantCulture), static (ref Utf8JsonReader r) => r.GetUInt32());
            case FieldType.Int64 or FieldType.SInt64 or FieldType.SFixed64:
                return Number(ref reader, field, static s => long.Parse(s, CultureInfo.InvariantCulture), static (ref Utf8JsonReader r) => r.GetInt64());
            case FieldType.UInt64 or FieldType.Fixed64:
                return Number(ref reader, field, static s => ulong.Parse(s, CultureInfo.InvariantCulture), static (ref Utf8JsonReader r) => r.GetUInt64());
            case FieldType.Double:
                return Number(ref reader, field, static s => double.Parse(s, CultureInfo.InvariantCulture), static (ref Utf8JsonReader r) => r.GetDouble());
            case FieldType.Float:
                return Number(ref reader, field, static s => float.Parse(s, CultureInfo.InvariantCulture), static (ref Utf8JsonReader r) => r.GetSingle());
            case FieldType.Bytes:
                Expect(ref reader, JsonTokenType.String, field);
                return ByteString.FromBase64(reader.GetString()!);
            case FieldType.Enum:
                int number;
                if (reader.TokenType == JsonTokenType.String)
                {
                    var name = reader.GetString()!;
                    number = field.EnumType.FindValueByName(name)?.Number
                             ?? throw new FormatException($"\"{name}\" is not a value of {field.EnumType.FullName} (field \"{field.Name}\")");
                }
                else
                {
                    Expect(ref reader, JsonTokenType.Number, field);
                    number = reader.GetInt32();
                }
                return System.Enum.ToObject(field.EnumType.ClrType, number);
            case FieldType.Message:
                if (field.MessageType == Timestamp.Descriptor)
                {
                    Expect(ref reader, JsonTokenType.String, field);
                    var text = reader.GetString()!;
                    return ParseTimestamp(text) ?? throw new FormatException($"field \"{field.Name}\" is \"{text}\", not an RFC 3339 timestamp such as 2026-03-01T09:30:00+08:00");
                }
                Expect(ref reader, JsonTokenType.StartObject, field);
                var nested = (IMessage)Activator.CreateInstance(field.MessageType.ClrType)!;
                ReadMessage(ref reader, nested);
                return nested;
            default:
                throw new FormatException($"field \"{field.Name}\" has type {field.FieldType}, which this reader does not read");
        }
    }

    private delegate T ReadNumber<out T>(ref Utf8JsonReader reader);

    // Proto3 JSON allows numbers as JSON numbers or as strings (64-bit values usually come as strings).
    private static T Number<T>(ref Utf8JsonReader reader, FieldDescriptor field, Func<string, T> parse, ReadNumber<T> read) where T : struct
    {
        if (reader.TokenType is not (JsonTokenType.Number or JsonTokenType.String))
            throw new FormatException($"field \"{field.Name}\" takes a number, found {reader.TokenType}");
        try
        {
            return reader.TokenType == JsonTokenType.Number ? read(ref reader) : parse(reader.GetString()!);
        }
        catch (Exception e) when (e is OverflowException or FormatException or InvalidOperationException)
        {
            throw new FormatException($"field \"{field.Name}\" takes a {typeof(T).Name} number: {e.Message}");
        }
    }

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType type, FieldDescriptor field)
    {
        if (reader.TokenType != type)
            throw new FormatException($"field \"{field.Name}\" expects {type switch { JsonTokenType.String => "a string", JsonTokenType.StartArray => "an array", JsonTokenType.StartObject => "an object", _ => "a number" }}, found {reader.TokenType}");
    }

    /// <summary>
    /// RFC 3339 as Google.Protobuf's JsonParser reads it: date, 'T', time, up to nine fraction digits, and a required
    /// offset ('Z' or ±hh:mm) — a time without offset would depend on the server's time zone.
    /// </summary>
    private static Timestamp? ParseTimestamp(string text)
    {
        var m = Rfc3339().Match(text);
        if (!m.Success) return null;
        var offset = m.Groups["offset"].Value == "Z" ? "+00:00" : m.Groups["offset"].Value;
        if (!DateTimeOffset.TryParseExact(m.Groups["date"].Value + "T" + m.Groups["time"].Value + offset, "yyyy-MM-dd'T'HH:mm:sszzz",
                CultureInfo.InvariantCulture, DateTimeStyles.None, out var instant))
            return null;
        var fraction = m.Groups["fraction"].Value;
        int nanos = fraction.Length == 0 ? 0 : int.Parse(fraction.PadRight(9, '0'), CultureInfo.InvariantCulture);
        return new Timestamp { Seconds = instant.ToUnixTimeSeconds(), Nanos = nanos };
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^(?<date>\d{4}-\d{2}-\d{2})T(?<time>\d{2}:\d{2}:\d{2})(\.(?<fraction>\d{1,9}))?(?<offset>Z|[+-]\d{2}:\d{2})$")]
    private static partial System.Text.RegularExpressions.Regex Rfc3339();

    private static Dictionary<string, FieldDescriptor> Index(MessageDescriptor descriptor)
    {
        var map = new Dictionary<string, FieldDescriptor>(StringComparer.Ordinal);
        foreach (var f in descriptor.Fields.InDeclarationOrder())
        {
            map[f.Name] = f;
            map[f.JsonName] = f;
        }
        return map;
    }
}
