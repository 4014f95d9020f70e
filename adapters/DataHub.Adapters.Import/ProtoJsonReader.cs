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
public static class ProtoJsonReader
{
    // Looked up by the name's characters, so reading a member name allocates nothing.
    private static readonly ConcurrentDictionary<MessageDescriptor, Dictionary<string, FieldDescriptor>.AlternateLookup<ReadOnlySpan<char>>> Fields = new();
    private static readonly ConcurrentDictionary<EnumDescriptor, Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>>> EnumValues = new();

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
        Span<char> buffer = stackalloc char[NameLength];
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.EndObject) return;
            var name = Text(in reader, buffer);
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
                    Span<char> buffer = stackalloc char[NameLength];
                    var name = Text(in reader, buffer);
                    if (!EnumValues.GetOrAdd(field.EnumType, IndexValues).TryGetValue(name, out number))
                        throw new FormatException($"\"{name}\" is not a value of {field.EnumType.FullName} (field \"{field.Name}\")");
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
                    Span<char> buffer = stackalloc char[NameLength];
                    var text = Text(in reader, buffer);
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
    /// RFC 3339 as Google.Protobuf's JsonParser reads it: yyyy-MM-dd, 'T', HH:mm:ss, up to nine fraction digits,
    /// and a required offset ('Z' or ±hh:mm) — a time without offset would depend on the server's time zone.
    /// </summary>
    internal static Timestamp? ParseTimestamp(ReadOnlySpan<char> text)
    {
        // Fixed positions: date 0-9, 'T' 10, time 11-18, then fraction and offset.
        if (text.Length < 20 || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' || text[16] != ':') return null;
        if (!Digits(text[..4], out int year) || !Digits(text.Slice(5, 2), out int month) || !Digits(text.Slice(8, 2), out int day) ||
            !Digits(text.Slice(11, 2), out int hour) || !Digits(text.Slice(14, 2), out int minute) || !Digits(text.Slice(17, 2), out int second))
            return null;
        int at = 19, nanos = 0;
        if (text[at] == '.')
        {
            int digits = 0;
            while (at + 1 + digits < text.Length && char.IsAsciiDigit(text[at + 1 + digits])) digits++;
            if (digits is 0 or > 9 || !Digits(text.Slice(at + 1, digits), out nanos)) return null;
            for (int i = digits; i < 9; i++) nanos *= 10;
            at += 1 + digits;
        }
        int offsetMinutes;
        var offset = text[at..];
        if (offset is "Z") offsetMinutes = 0;
        else if (offset.Length == 6 && offset[0] is '+' or '-' && offset[3] == ':' &&
                 Digits(offset.Slice(1, 2), out int offsetHours) && Digits(offset.Slice(4, 2), out int offsetMinutesPart) &&
                 offsetMinutesPart < 60 && offsetHours * 60 + offsetMinutesPart <= 14 * 60)
            offsetMinutes = (offset[0] == '-' ? -1 : 1) * (offsetHours * 60 + offsetMinutesPart);
        else return null;
        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) return null;
        long utcTicks = new DateTime(year, month, day, hour, minute, second).Ticks - offsetMinutes * TimeSpan.TicksPerMinute;
        // The instant itself must lie within 0001-01-01 and 9999-12-31 (UTC), as DateTimeOffset requires.
        if (utcTicks < DateTime.MinValue.Ticks || utcTicks > DateTime.MaxValue.Ticks) return null;
        return new Timestamp { Seconds = (utcTicks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerSecond, Nanos = nanos };
    }

    private static bool Digits(ReadOnlySpan<char> text, out int value)
    {
        value = 0;
        foreach (var c in text)
        {
            if (!char.IsAsciiDigit(c)) return false;
            value = value * 10 + (c - '0');
        }
        return true;
    }

    // Member names, enum value names and timestamps are short; a longer text is read into a string.
    private const int NameLength = 64;

    /// <summary>The current string token's text, unescaped, in <paramref name="buffer"/> when it fits.</summary>
    private static ReadOnlySpan<char> Text(in Utf8JsonReader reader, Span<char> buffer)
    {
        // UTF-8 never has fewer bytes than UTF-16 code units, so the escaped length bounds the text's.
        if (reader.ValueSpan.Length <= buffer.Length) return buffer[..reader.CopyString(buffer)];
        return reader.GetString();
    }

    private static Dictionary<string, FieldDescriptor>.AlternateLookup<ReadOnlySpan<char>> Index(MessageDescriptor descriptor)
    {
        var map = new Dictionary<string, FieldDescriptor>(StringComparer.Ordinal);
        foreach (var f in descriptor.Fields.InDeclarationOrder())
        {
            map[f.Name] = f;
            map[f.JsonName] = f;
        }
        return map.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    private static Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> IndexValues(EnumDescriptor descriptor) =>
        descriptor.Values.ToDictionary(v => v.Name, v => v.Number, StringComparer.Ordinal).GetAlternateLookup<ReadOnlySpan<char>>();
}
