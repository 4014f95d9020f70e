using System.Collections;
using System.Collections.Concurrent;
using System.Globalization;
using System.Linq.Expressions;
using System.Text;
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
    private static readonly ConcurrentDictionary<MessageDescriptor, MessageShape> Shapes = new();

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
        var shape = ShapeOf(message.Descriptor);
        int next = 0;
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.EndObject) return;
            var field = shape.Match(ref reader, next);
            next = field.Index + 1;
            reader.Read();
            if (reader.TokenType == JsonTokenType.Null) continue;
            var descriptor = field.Descriptor;
            if (descriptor.IsRepeated)
            {
                Expect(ref reader, JsonTokenType.StartArray, descriptor);
                var list = (IList)descriptor.Accessor.GetValue(message);
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray) list.Add(ReadValue(ref reader, field));
                continue;
            }
            if (field.Oneof is { } oneof && oneof.Accessor.GetCaseFieldDescriptor(message) is { } set && set != descriptor)
                throw new FormatException($"both \"{set.Name}\" and \"{descriptor.Name}\" are set; {shape.FullName}.{oneof.Name} takes one");
            descriptor.Accessor.SetValue(message, ReadValue(ref reader, field));
        }
        throw new FormatException("the JSON object is not closed");
    }

    private static MessageShape ShapeOf(MessageDescriptor descriptor) => Shapes.GetOrAdd(descriptor, static d => new MessageShape(d));

    private static object ReadValue(ref Utf8JsonReader reader, FieldShape shape)
    {
        var field = shape.Descriptor;
        switch (field.FieldType)
        {
            case FieldType.String:
                Expect(ref reader, JsonTokenType.String, field);
                return shape.Strings!.Read(ref reader);
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
                if (reader.TokenType == JsonTokenType.String) return shape.Enum!.Named(ref reader, field);
                Expect(ref reader, JsonTokenType.Number, field);
                return shape.Enum!.Numbered(reader.GetInt32());
            case FieldType.Message:
                if (shape.IsTimestamp)
                {
                    Expect(ref reader, JsonTokenType.String, field);
                    Span<char> buffer = stackalloc char[NameLength];
                    var text = Text(in reader, buffer);
                    return ParseTimestamp(text) ?? throw new FormatException($"field \"{field.Name}\" is \"{text}\", not an RFC 3339 timestamp such as 2026-03-01T09:30:00+08:00");
                }
                Expect(ref reader, JsonTokenType.StartObject, field);
                var nested = shape.NewMessage!();
                ReadMessage(ref reader, nested);
                return nested;
            default:
                throw new FormatException($"field \"{field.Name}\" has type {field.FieldType}, which this reader does not read");
        }
    }

    /// <summary>
    /// A message type's fields, prepared once. Writers (Google.Protobuf's JsonFormatter, our generator) put
    /// members in declaration order and leave out defaults, so a member is first looked for among the fields
    /// after the previous member's, comparing its UTF-8 name in place; one out of order is found by name.
    /// </summary>
    private sealed class MessageShape
    {
        private readonly FieldShape[] _fields;
        private readonly Dictionary<string, FieldShape>.AlternateLookup<ReadOnlySpan<char>> _byName;

        public MessageShape(MessageDescriptor descriptor)
        {
            FullName = descriptor.FullName;
            _fields = descriptor.Fields.InDeclarationOrder().Select((f, i) => new FieldShape(f, i)).ToArray();
            var map = new Dictionary<string, FieldShape>(StringComparer.Ordinal);
            foreach (var f in _fields)
            {
                map[f.Descriptor.Name] = f;
                map[f.Descriptor.JsonName] = f;
            }
            _byName = map.GetAlternateLookup<ReadOnlySpan<char>>();
        }

        public string FullName { get; }

        public FieldShape Match(ref Utf8JsonReader reader, int from)
        {
            for (int i = from; i < _fields.Length; i++)
                if (reader.ValueTextEquals(_fields[i].Name) || reader.ValueTextEquals(_fields[i].JsonName)) return _fields[i];
            Span<char> buffer = stackalloc char[NameLength];
            var name = Text(in reader, buffer);
            return _byName.TryGetValue(name, out var field) ? field : throw new FormatException($"unknown field \"{name}\" in {FullName}");
        }
    }

    /// <summary>One field: its names in UTF-8, and what reading its value needs (a constructor for a nested message, an enum's values).</summary>
    private sealed class FieldShape
    {
        public FieldShape(FieldDescriptor descriptor, int index)
        {
            Descriptor = descriptor;
            Index = index;
            Name = Encoding.UTF8.GetBytes(descriptor.Name);
            JsonName = Encoding.UTF8.GetBytes(descriptor.JsonName);
            Oneof = descriptor.RealContainingOneof;
            if (descriptor.FieldType == FieldType.String) Strings = new RepeatedStrings();
            if (descriptor.FieldType == FieldType.Enum) Enum = EnumShape.Of(descriptor.EnumType);
            if (descriptor.FieldType == FieldType.Message)
            {
                IsTimestamp = descriptor.MessageType == Timestamp.Descriptor;
                var type = descriptor.MessageType.ClrType;
                NewMessage = Expression.Lambda<Func<IMessage>>(Expression.New(type)).Compile();
            }
        }

        public FieldDescriptor Descriptor { get; }
        public int Index { get; }
        public byte[] Name { get; }
        public byte[] JsonName { get; }
        public OneofDescriptor? Oneof { get; }
        public EnumShape? Enum { get; }
        public RepeatedStrings? Strings { get; }
        public bool IsTimestamp { get; }
        public Func<IMessage>? NewMessage { get; }
    }

    /// <summary>
    /// One string field's values that repeat from record to record — an authority, a district code, an item
    /// name, a date, the source — made into a string once and shared. Records wait between the pipeline's
    /// stages for a second or two, so every string they hold survives young collections and is copied into
    /// the older generations; about half of a generated record's string bytes are such repeats. The first
    /// <see cref="Trial"/> values of a field decide whether it repeats enough to look up (a case number or
    /// a source id never does, and then costs nothing more). The slots are shared by all threads without a
    /// lock: a slot holds a whole string or another one, so a race costs a lookup, never a wrong value.
    /// </summary>
    internal sealed class RepeatedStrings
    {
        private const int Slots = 256;
        private const int MaxBytes = 96;
        private const int Trial = 2048;

        // A value's UTF-8 bytes beside its string: a repeat is found by comparing bytes, without decoding them.
        private sealed record Entry(byte[] Utf8, string Value);

        private readonly Entry?[] _slots = new Entry?[Slots];
        private int _tried, _found;
        private volatile int _decision; // 0 trying, 1 shared, 2 not shared

        public string Read(ref Utf8JsonReader reader)
        {
            int decision = _decision;
            if (decision == 2 || reader.ValueIsEscaped || reader.HasValueSequence || reader.ValueSpan.Length > MaxBytes) return reader.GetString()!;
            var utf8 = reader.ValueSpan;
            var hash = new HashCode();
            hash.AddBytes(utf8);
            ref var slot = ref _slots[hash.ToHashCode() & (Slots - 1)];
            var entry = slot;
            bool found = entry is not null && utf8.SequenceEqual(entry.Utf8);
            if (!found) slot = entry = new Entry(utf8.ToArray(), reader.GetString()!);
            if (decision == 0) Count(found);
            return entry!.Value;
        }

        private void Count(bool found)
        {
            if (found) Interlocked.Increment(ref _found);
            if (Interlocked.Increment(ref _tried) == Trial) _decision = Volatile.Read(ref _found) >= Trial / 4 ? 1 : 2;
        }
    }

    /// <summary>An enum's values, boxed once (a field accessor takes an object), by UTF-8 name and by number.</summary>
    private sealed class EnumShape
    {
        private static readonly ConcurrentDictionary<EnumDescriptor, EnumShape> Cache = new();
        private readonly (byte[] Name, object Value)[] _named;
        private readonly Dictionary<int, object> _numbered;
        private readonly System.Type _type;
        private readonly string _fullName;

        private EnumShape(EnumDescriptor descriptor)
        {
            _type = descriptor.ClrType;
            _fullName = descriptor.FullName;
            _named = descriptor.Values.Select(v => (Encoding.UTF8.GetBytes(v.Name), System.Enum.ToObject(_type, v.Number))).ToArray();
            _numbered = descriptor.Values.GroupBy(v => v.Number).ToDictionary(g => g.Key, g => System.Enum.ToObject(_type, g.Key));
        }

        public static EnumShape Of(EnumDescriptor descriptor) => Cache.GetOrAdd(descriptor, static d => new EnumShape(d));

        public object Named(ref Utf8JsonReader reader, FieldDescriptor field)
        {
            foreach (var (name, value) in _named)
                if (reader.ValueTextEquals(name)) return value;
            Span<char> buffer = stackalloc char[NameLength];
            throw new FormatException($"\"{Text(in reader, buffer)}\" is not a value of {_fullName} (field \"{field.Name}\")");
        }

        // Proto3 enums are open: a number the schema does not name is kept, as Google.Protobuf keeps it.
        public object Numbered(int number) => _numbered.TryGetValue(number, out var value) ? value : System.Enum.ToObject(_type, number);
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
}
