namespace DataHub.Adapters;

/// <summary>How the hub reaches one source system (configuration DataHub:Adapters:&lt;source&gt;).</summary>
public sealed class AdapterOptions
{
    /// <summary>Off: the source is neither pulled nor accepts pushes.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Base address of the source's API; empty: the source is not pulled (it may still push).</summary>
    public string BaseAddress { get; set; } = "";

    /// <summary>Shared secret for the source's signed webhook pushes; empty: pushes are refused.</summary>
    public string WebhookSecret { get; set; } = "";

    /// <summary>Rows asked for per page (and stored per transaction).</summary>
    public int PageSize { get; set; } = 500;

    /// <summary>Wait after a page that said no more rows wait, before asking again.</summary>
    public double PollIntervalSeconds { get; set; } = 5;

    public ResilienceOptions Resilience { get; set; } = new();

    public void Validate(string source)
    {
        if (BaseAddress.Length > 0 && !Uri.TryCreate(BaseAddress, UriKind.Absolute, out _))
            throw new InvalidOperationException($"DataHub:Adapters:{source}:BaseAddress '{BaseAddress}' is not an absolute URL.");
        if (PageSize is < 1 or > 10_000)
            throw new InvalidOperationException($"DataHub:Adapters:{source}:PageSize must be between 1 and 10000; it is {PageSize}.");
        if (PollIntervalSeconds is <= 0 or > 86_400)
            throw new InvalidOperationException($"DataHub:Adapters:{source}:PollIntervalSeconds must be above 0 and at most a day; it is {PollIntervalSeconds}.");
        Resilience.Validate($"DataHub:Adapters:{source}:Resilience");
    }
}

/// <summary>An outbound adapter's receiver (configuration DataHub:Outbound:&lt;destination&gt;).</summary>
public sealed class OutboundOptions
{
    /// <summary>URL messages are POSTed to; empty: messages for this destination wait in the outbox.</summary>
    public string Url { get; set; } = "";

    /// <summary>Longest wait between two delivery attempts of one message.</summary>
    public double MaxRetryDelaySeconds { get; set; } = 300;

    public ResilienceOptions Resilience { get; set; } = new();

    public void Validate(string destination)
    {
        if (Url.Length > 0 && !Uri.TryCreate(Url, UriKind.Absolute, out _))
            throw new InvalidOperationException($"DataHub:Outbound:{destination}:Url '{Url}' is not an absolute URL.");
        if (MaxRetryDelaySeconds <= 0)
            throw new InvalidOperationException($"DataHub:Outbound:{destination}:MaxRetryDelaySeconds must be above 0.");
        Resilience.Validate($"DataHub:Outbound:{destination}:Resilience");
    }
}

/// <summary>Timeout, retry, circuit breaker and rate limit of the calls to one system.</summary>
public sealed class ResilienceOptions
{
    /// <summary>Longest one attempt (request and whole response) may take.</summary>
    public double TimeoutSeconds { get; set; } = 10;

    /// <summary>Retries after a transient failure (5xx, 408, 429, timeout, connection reset).</summary>
    public int MaxRetries { get; set; } = 3;

    /// <summary>First retry delay; it doubles per retry, with jitter.</summary>
    public double RetryDelaySeconds { get; set; } = 0.2;

    /// <summary>Share of failed attempts within the sampling window that opens the circuit.</summary>
    public double BreakerFailureRatio { get; set; } = 0.5;

    /// <summary>Attempts the window must hold before the ratio counts.</summary>
    public int BreakerMinimumThroughput { get; set; } = 8;

    public double BreakerSamplingSeconds { get; set; } = 30;

    /// <summary>How long an open circuit refuses calls before one trial call.</summary>
    public double BreakSeconds { get; set; } = 10;

    /// <summary>Calls per second at most (token bucket; waiting calls queue).</summary>
    public double RequestsPerSecond { get; set; } = 20;

    public void Validate(string path)
    {
        if (TimeoutSeconds is < 0.01 or > 600) throw new InvalidOperationException($"{path}:TimeoutSeconds must be between 0.01 and 600; it is {TimeoutSeconds}.");
        if (MaxRetries is < 0 or > 20) throw new InvalidOperationException($"{path}:MaxRetries must be between 0 and 20; it is {MaxRetries}.");
        if (RetryDelaySeconds is < 0 or > 60) throw new InvalidOperationException($"{path}:RetryDelaySeconds must be between 0 and 60; it is {RetryDelaySeconds}.");
        if (BreakerFailureRatio is <= 0 or > 1) throw new InvalidOperationException($"{path}:BreakerFailureRatio must be above 0 and at most 1; it is {BreakerFailureRatio}.");
        if (BreakerMinimumThroughput < 2) throw new InvalidOperationException($"{path}:BreakerMinimumThroughput must be at least 2; it is {BreakerMinimumThroughput}.");
        if (BreakerSamplingSeconds < 0.5) throw new InvalidOperationException($"{path}:BreakerSamplingSeconds must be at least 0.5; it is {BreakerSamplingSeconds}.");
        if (BreakSeconds < 0.5) throw new InvalidOperationException($"{path}:BreakSeconds must be at least 0.5; it is {BreakSeconds}.");
        if (RequestsPerSecond is <= 0 or > 100_000) throw new InvalidOperationException($"{path}:RequestsPerSecond must be above 0 and at most 100000; it is {RequestsPerSecond}.");
    }
}
