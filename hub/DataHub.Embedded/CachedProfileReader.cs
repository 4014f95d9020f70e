using DataHub.Core.Ingest;
using DataHub.Schema.V1;
using Google.Protobuf;
using Microsoft.Extensions.Caching.Distributed;

namespace DataHub.Embedded;

/// <summary>
/// Profile reads through the distributed cache (memory when embedded, Redis when scaled out). The
/// cache is kept fresh from datahub.profiles.v1: every changed profile replaces its entry.
/// </summary>
public sealed class CachedProfileReader : IDisposable
{
    private static readonly DistributedCacheEntryOptions Expiry = new() { SlidingExpiration = TimeSpan.FromMinutes(10) };

    // A value read from the store on a miss can race with a newer one arriving on the bus; it is kept
    // only briefly, so such a stale entry cannot outlive this.
    private static readonly DistributedCacheEntryOptions MissExpiry = new() { AbsoluteExpirationRelativeToNow = TimeSpan.FromSeconds(30) };
    private readonly IHubStore _store;
    private readonly IDistributedCache _cache;
    private readonly InProcessEventBus.Subscription _changes;
    private readonly Task _refresher;

    public CachedProfileReader(IHubStore store, IDistributedCache cache, InProcessEventBus bus)
    {
        _store = store;
        _cache = cache;
        _changes = bus.Subscribe(Topics.Profiles);
        _refresher = Task.Run(async () =>
        {
            await foreach (var m in _changes.Reader.ReadAllAsync())
            {
                try
                {
                    // A profile with no records is a removal.
                    if (((EnterpriseProfile)m.Value).RecordCount == 0) await _cache.RemoveAsync(Key(m.Key));
                    else await _cache.SetAsync(Key(m.Key), m.Value.ToByteArray(), Expiry);
                }
                catch (Exception)
                {
                    // The cache must not hold a stale entry when it could not take the new one, and the
                    // refresher must keep draining its channel or publishers would block.
                    try { await _cache.RemoveAsync(Key(m.Key)); } catch (Exception) { }
                }
            }
        });
    }

    public async Task<EnterpriseProfile?> GetAsync(string uscc, CancellationToken cancellationToken = default)
    {
        if (await _cache.GetAsync(Key(uscc), cancellationToken) is { } cached) return EnterpriseProfile.Parser.ParseFrom(cached);
        var profile = _store.GetProfile(uscc);
        if (profile is not null) await _cache.SetAsync(Key(uscc), profile.ToByteArray(), MissExpiry, cancellationToken);
        return profile;
    }

    private static string Key(string uscc) => "profile:" + uscc;

    public void Dispose()
    {
        _changes.Dispose();
        _refresher.Wait(TimeSpan.FromSeconds(5));
    }
}
