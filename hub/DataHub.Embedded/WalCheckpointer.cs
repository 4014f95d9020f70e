using Microsoft.Data.Sqlite;

namespace DataHub.Embedded;

/// <summary>
/// Copies a SQLite file's write-ahead log into the file every second on a connection of its own, so
/// the writer that commits on the serving path never waits for a checkpoint (and its fsyncs); the
/// writer checkpoints by itself only when the log grows past its autocheckpoint size anyway.
/// </summary>
internal sealed class WalCheckpointer : IAsyncDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _loop;

    public WalCheckpointer(Func<SqliteConnection> open) => _loop = Task.Run(() => LoopAsync(open));

    private async Task LoopAsync(Func<SqliteConnection> open)
    {
        using var c = open();
        while (true)
        {
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(1), _stopping.Token);
                SqliteHubStore.Execute(c, "PRAGMA wal_checkpoint(PASSIVE);");
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (SqliteException)
            {
                // A checkpoint that cannot run now runs next time, or the writer does it.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _loop;
        _stopping.Dispose();
    }
}
