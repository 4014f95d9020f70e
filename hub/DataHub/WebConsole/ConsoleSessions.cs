using System.Collections.Concurrent;
using System.Security.Cryptography;
using DataHub.Security;

namespace DataHub.WebConsole;

/// <summary>
/// Signed-in console users: a random 256-bit token (the HttpOnly cookie's value) → the agency. Kept in
/// memory, so a hub restart signs everyone out; a session ends after 30 idle minutes or 12 hours.
/// </summary>
internal sealed class ConsoleSessions(TimeProvider time)
{
    public const string CookieName = "datahub_session";
    public static readonly TimeSpan Idle = TimeSpan.FromMinutes(30);
    public static readonly TimeSpan Longest = TimeSpan.FromHours(12);

    private readonly ConcurrentDictionary<string, Session> _sessions = new(StringComparer.Ordinal);

    private sealed class Session(Agency agency, DateTimeOffset started)
    {
        public Agency Agency { get; } = agency;
        public DateTimeOffset Started { get; } = started;
        public DateTimeOffset LastSeen { get; set; } = started;
    }

    public string Start(Agency agency)
    {
        var token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        _sessions[token] = new Session(agency, time.GetUtcNow());
        return token;
    }

    /// <summary>The session's agency, or null when the token is unknown or the session has ended.</summary>
    public Agency? Find(string? token)
    {
        if (string.IsNullOrEmpty(token) || !_sessions.TryGetValue(token, out var session)) return null;
        var now = time.GetUtcNow();
        if (now - session.LastSeen > Idle || now - session.Started > Longest)
        {
            _sessions.TryRemove(token, out _);
            return null;
        }
        session.LastSeen = now;
        return session.Agency;
    }

    public void End(string? token)
    {
        if (token is not null) _sessions.TryRemove(token, out _);
    }
}
