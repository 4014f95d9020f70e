using System.Threading.RateLimiting;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace DataHub.Adapters;

/// <summary>
/// The resilience pipeline of the calls to one system, built from <see cref="ResilienceOptions"/>:
/// retry with jittered exponential backoff (outermost, so each attempt is limited, timed and counted
/// by the breaker), then the circuit breaker, the rate limiter and the per-attempt timeout.
/// </summary>
public sealed class Resilience : IAsyncDisposable
{
    private readonly RateLimiter _limiter;

    public Resilience(ResilienceOptions options, TimeProvider time)
    {
        _limiter = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = Math.Max(1, (int)Math.Ceiling(options.RequestsPerSecond)),
            TokensPerPeriod = Math.Max(1, (int)Math.Ceiling(options.RequestsPerSecond / 10)),
            ReplenishmentPeriod = TimeSpan.FromSeconds(Math.Max(1, (int)Math.Ceiling(options.RequestsPerSecond / 10)) / options.RequestsPerSecond),
            QueueLimit = 1000,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            AutoReplenishment = true,
        });
        var transient = new PredicateBuilder().Handle<HttpRequestException>().Handle<TimeoutRejectedException>().Handle<IOException>();
        var builder = new ResiliencePipelineBuilder { TimeProvider = time };
        if (options.MaxRetries > 0)
            builder.AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = transient,
                MaxRetryAttempts = options.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromSeconds(options.RetryDelaySeconds),
                MaxDelay = TimeSpan.FromSeconds(Math.Max(options.RetryDelaySeconds, 30)),
                OnRetry = _ => { Interlocked.Increment(ref _retries); return ValueTask.CompletedTask; },
            });
        Pipeline = builder
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<HttpRequestException>().Handle<TimeoutRejectedException>().Handle<IOException>().Handle<SourceProtocolException>(),
                FailureRatio = options.BreakerFailureRatio,
                MinimumThroughput = options.BreakerMinimumThroughput,
                SamplingDuration = TimeSpan.FromSeconds(options.BreakerSamplingSeconds),
                BreakDuration = TimeSpan.FromSeconds(options.BreakSeconds),
                StateProvider = Circuit,
                ManualControl = CircuitControl,
            })
            .AddRateLimiter(_limiter)
            .AddTimeout(TimeSpan.FromSeconds(options.TimeoutSeconds))
            .Build();
    }

    private long _retries;

    public ResiliencePipeline Pipeline { get; }

    /// <summary>Closed, Open, HalfOpen or Isolated, for status pages.</summary>
    public CircuitBreakerStateProvider Circuit { get; } = new();

    /// <summary>Closes the circuit by hand (an operator's restart).</summary>
    public CircuitBreakerManualControl CircuitControl { get; } = new();

    /// <summary>Retries made so far.</summary>
    public long Retries => Interlocked.Read(ref _retries);

    public ValueTask DisposeAsync() => _limiter.DisposeAsync();
}
