using System.Collections.Concurrent;

namespace DataHub.Embedded;

/// <summary>
/// The queue in front of a group-committing writer thread: callers add work from any thread, and the
/// writer takes everything that gathered while it was committing the previous group. When idle the
/// writer sleeps on a plain kernel wait, and callers wake it only then: a writer that spins or yields
/// while waiting (as a blocking wait on a channel's task does) takes the CPU that the callers producing
/// its work need — on two cores, measured on the audit writer that used it before the audit journal.
/// </summary>
internal sealed class GroupCommitQueue<T> : IDisposable
{
    private readonly ConcurrentQueue<T> _items = new();
    private readonly ManualResetEventSlim _wake = new(false, spinCount: 0);
    private int _sleeping;
    private int _adding;
    private volatile bool _completed;

    /// <summary>Queues the item; false once <see cref="Complete"/> was called.</summary>
    public bool TryAdd(T item)
    {
        Interlocked.Increment(ref _adding);
        try
        {
            if (_completed) return false;
            _items.Enqueue(item);
        }
        finally
        {
            Interlocked.Decrement(ref _adding);
        }
        // The enqueue is a full fence, so either the writer sees the item before it sleeps or this sees it sleeping.
        if (Volatile.Read(ref _sleeping) == 1 && Interlocked.Exchange(ref _sleeping, 0) == 1) _wake.Set();
        return true;
    }

    /// <summary>
    /// For the writer thread: waits until there is work, then moves up to <paramref name="max"/> items into
    /// <paramref name="group"/> (cleared first). False once the queue is completed and every item taken.
    /// </summary>
    public bool TakeGroup(List<T> group, int max)
    {
        group.Clear();
        while (true)
        {
            while (group.Count < max && _items.TryDequeue(out var item)) group.Add(item);
            if (group.Count > 0) return true;
            if (_completed)
            {
                if (Volatile.Read(ref _adding) == 0 && _items.IsEmpty) return false;
                Thread.Yield(); // a caller is between its check and its enqueue: only while shutting down
                continue;
            }
            _wake.Reset();
            Interlocked.Exchange(ref _sleeping, 1);
            if (!_items.IsEmpty || _completed)
            {
                Interlocked.Exchange(ref _sleeping, 0);
                continue;
            }
            _wake.Wait();
        }
    }

    /// <summary>No more items are taken; the writer drains what is queued and then stops.</summary>
    public void Complete()
    {
        _completed = true;
        Interlocked.Exchange(ref _sleeping, 0);
        _wake.Set();
    }

    public void Dispose() => _wake.Dispose();
}
