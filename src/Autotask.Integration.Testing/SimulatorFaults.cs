namespace Autotask.Integration.Testing;

/// <summary>The faults the simulator can inject.</summary>
public enum SimulatorFault
{
    /// <summary>HTTP 429 with <c>Retry-After</c> and a threshold message; nothing is applied.</summary>
    RateLimited,

    /// <summary>HTTP 500 with a generic server failure message; nothing is applied.</summary>
    ServerError,

    /// <summary>HTTP 503; nothing is applied.</summary>
    ServiceUnavailable,

    /// <summary>The answer is delayed by <see cref="SimulatorFaults.Latency"/>, then given normally.</summary>
    Latency,

    /// <summary>The connection is refused before the request arrives; nothing is applied.</summary>
    RefusedConnection,

    /// <summary>The request is processed (a write is applied), then the connection drops in the middle of the answer.</summary>
    DroppedConnection,

    /// <summary>A write is applied, then the connection drops before any answer, so the client cannot know. Only for writes.</summary>
    AmbiguousWrite,

    /// <summary>HTTP 429 with a threshold message and no <c>Retry-After</c>, as Autotask sometimes answers; nothing is applied.</summary>
    RateLimitedWithoutRetryAfter,

    /// <summary>HTTP 500 whose message says a threshold was exceeded, without <c>Retry-After</c>, as Autotask's thread limit answers; nothing is applied.</summary>
    ThresholdServerError,

    /// <summary>HTTP 500 in ASP.NET Web API's error shape, <c>{"Message":"..."}</c>, instead of Autotask's <c>{"errors":[...]}</c>; nothing is applied.</summary>
    MessageShapedServerError,

    /// <summary>HTTP 500 with an HTML error page instead of JSON; nothing is applied.</summary>
    HtmlServerError,

    /// <summary>
    /// A gateway answers HTTP 504 in the server's stead and the write is applied <see cref="SimulatorFaults.LateCommitDelay"/>
    /// later (on the simulator's <c>TimeProvider</c>), as when a proxy gives up on a backend that is still working. Only for writes.
    /// </summary>
    GatewayTimeoutLateCommit,

    /// <summary>
    /// The connection drops before any answer and the write is applied only <see cref="SimulatorFaults.LateCommitDelay"/>
    /// later (measured by the simulator's <c>TimeProvider</c>), after the client has given up: a read-back right after
    /// the failure finds nothing. Only for writes.
    /// </summary>
    LateCommit,

    /// <summary>
    /// The write arrives, and the connection drops before any answer and before it is applied; it is never applied. The
    /// client cannot tell it from <see cref="AmbiguousWrite"/> or <see cref="LateCommit"/>. Only for writes.
    /// </summary>
    LostWrite,
}

/// <summary>What a fault rule sees of a request.</summary>
/// <param name="Method">The HTTP method.</param>
/// <param name="Path">The path, such as <c>/atservicesrest/v1.0/Companies/query</c>.</param>
/// <param name="Entity">The entity (first path segment after the version), such as <c>Companies</c>.</param>
/// <param name="IsWrite">Whether the request creates or changes something.</param>
public sealed record SimulatorRequest(string Method, string Path, string? Entity, bool IsWrite);

/// <summary>
/// Fault injection, changeable while the simulator runs. Random faults are drawn from a generator seeded with the
/// simulator's seed, one draw per rule per request the rule applies to, so the same requests in the same order get
/// the same faults.
/// </summary>
public sealed class SimulatorFaults
{
    private readonly object _gate = new();
    private readonly List<Rule> _rules = [];
    private readonly List<InjectedFault> _injected = [];
    private readonly Random _random;
    private long _requestNumber;

    internal SimulatorFaults(int seed) => _random = new Random(seed);

    /// <summary>The <c>Retry-After</c> of injected 429 answers. Default: 1 second.</summary>
    public TimeSpan RetryAfter { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The delay of <see cref="SimulatorFault.Latency"/>. Default: 200 ms.</summary>
    public TimeSpan Latency { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>How long after the dropped answer a <see cref="SimulatorFault.LateCommit"/> write is applied. Default: 2 seconds.</summary>
    public TimeSpan LateCommitDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Every fault injected so far, with the number of the request it hit (1 = the first request).</summary>
    public IReadOnlyList<InjectedFault> Injected
    {
        get
        {
            lock (_gate)
            {
                return _injected.ToArray();
            }
        }
    }

    /// <summary>Injects a fault into the next <paramref name="times"/> requests that match.</summary>
    /// <param name="fault">The fault.</param>
    /// <param name="times">How many requests it hits.</param>
    /// <param name="when">Which requests it applies to; all when <c>null</c>.</param>
    public void Next(SimulatorFault fault, int times = 1, Func<SimulatorRequest, bool>? when = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(times, 1);
        lock (_gate)
        {
            _rules.Add(new Rule(fault, when, times, Probability: null));
        }
    }

    /// <summary>Injects a fault into each matching request with the given probability.</summary>
    /// <param name="fault">The fault.</param>
    /// <param name="probability">From 0 to 1.</param>
    /// <param name="when">Which requests it applies to; all when <c>null</c>.</param>
    public void Randomly(SimulatorFault fault, double probability, Func<SimulatorRequest, bool>? when = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(probability, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(probability, 1);
        lock (_gate)
        {
            _rules.Add(new Rule(fault, when, int.MaxValue, probability));
        }
    }

    /// <summary>Removes every fault rule (the history in <see cref="Injected"/> stays).</summary>
    public void Clear()
    {
        lock (_gate)
        {
            _rules.Clear();
        }
    }

    internal SimulatorFault? Draw(SimulatorRequest request)
    {
        lock (_gate)
        {
            var number = ++_requestNumber;
            SimulatorFault? chosen = null;
            for (var i = 0; i < _rules.Count; i++)
            {
                var rule = _rules[i];
                if ((rule.Fault is SimulatorFault.AmbiguousWrite or SimulatorFault.LateCommit or SimulatorFault.GatewayTimeoutLateCommit or SimulatorFault.LostWrite && !request.IsWrite) || (rule.When is not null && !rule.When(request)))
                {
                    continue;
                }

                var hit = rule.Probability is not { } p || _random.NextDouble() < p;
                if (!hit || chosen is not null)
                {
                    continue;
                }

                chosen = rule.Fault;
                if (rule.Probability is null && --_rules[i].Remaining == 0)
                {
                    _rules.RemoveAt(i--);
                }
            }

            if (chosen is { } fault)
            {
                _injected.Add(new InjectedFault(number, fault, request));
            }

            return chosen;
        }
    }

    private sealed record Rule(SimulatorFault Fault, Func<SimulatorRequest, bool>? When, int Times, double? Probability)
    {
        public int Remaining { get; set; } = Times;
    }
}

/// <summary>A fault that was injected.</summary>
/// <param name="RequestNumber">The number of the request it hit, counting every request from 1.</param>
/// <param name="Fault">The fault.</param>
/// <param name="Request">The request.</param>
public sealed record InjectedFault(long RequestNumber, SimulatorFault Fault, SimulatorRequest Request);

/// <summary>A request the simulator received. Header values are not kept, so that no secret is stored.</summary>
/// <param name="Method">The HTTP method.</param>
/// <param name="Path">The path without the query string.</param>
/// <param name="Query">The query string, or <c>null</c>.</param>
/// <param name="Entity">The entity, or <c>null</c>.</param>
/// <param name="HeaderNames">The names of the headers that were present.</param>
/// <param name="Body">The body as text, or <c>null</c>.</param>
/// <param name="Status">The status answered, or 0 when the connection was dropped before an answer.</param>
/// <param name="Fault">The fault injected, if any.</param>
public sealed record RecordedRequest(
    string Method, string Path, string? Query, string? Entity, IReadOnlyList<string> HeaderNames, string? Body, int Status, SimulatorFault? Fault)
{
    /// <summary>Whether a header with the given name (ignoring case) was present.</summary>
    /// <param name="name">The header name.</param>
    public bool HasHeader(string name) => HeaderNames.Contains(name, StringComparer.OrdinalIgnoreCase);
}

/// <summary>An access right of the simulated API user's security level.</summary>
public enum SimulatorAccess
{
    /// <summary>Query and read.</summary>
    Read,

    /// <summary>Create.</summary>
    Create,

    /// <summary>Update.</summary>
    Update,
}
