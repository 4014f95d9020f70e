using System.Buffers;
using Google.Protobuf;

namespace DataHub.Embedded;

/// <summary>
/// One reused buffer that a writer encodes each row's protobuf body into before binding it (SQLite copies a
/// bound blob): no array per row, and no size pass first — Google.Protobuf sizes each nested message again
/// as it writes it.
/// </summary>
public sealed class BodyBuffer(int initialCapacity)
{
    private readonly ArrayBufferWriter<byte> _buffer = new(initialCapacity);

    /// <summary>The message's bytes, valid until the next call.</summary>
    public ReadOnlySpan<byte> Encode(IMessage message)
    {
        _buffer.ResetWrittenCount();
        message.WriteTo(_buffer);
        return _buffer.WrittenSpan;
    }
}
