using System.Globalization;
using Autotask.Integration.Zones;
using Microsoft.Extensions.Options;

namespace Autotask.Integration;

/// <summary>Checks the options at start-up and says which connection and which setting is wrong. Never repeats a secret.</summary>
internal sealed class AutotaskIntegrationOptionsValidator : IValidateOptions<AutotaskIntegrationOptions>
{
    public ValidateOptionsResult Validate(string? name, AutotaskIntegrationOptions options)
    {
        var failures = new List<string>();
        var zones = options.Zones;
        var policy = new ZoneUrlPolicy(zones);

        if (zones.AllowedHostSuffixes.Any(string.IsNullOrWhiteSpace))
        {
            failures.Add("Autotask zones: AllowedHostSuffixes holds an empty entry.");
        }

        if (!Uri.TryCreate(zones.DiscoveryUrl, UriKind.Absolute, out var discovery))
        {
            failures.Add($"Autotask zones: DiscoveryUrl '{zones.DiscoveryUrl}' is not an absolute URL.");
        }
        else if (!policy.IsAllowed(discovery, out var reason))
        {
            failures.Add($"Autotask zones: DiscoveryUrl is refused because {reason}.");
        }

        Between(failures, "Autotask zones:", nameof(zones.CacheDuration), zones.CacheDuration, TimeSpan.Zero, TimeSpan.FromDays(7));
        Between(failures, "Autotask connections:", nameof(options.ConnectionIdleTimeout), options.ConnectionIdleTimeout, TimeSpan.FromSeconds(1), TimeSpan.FromDays(1));
        Between(failures, "Autotask connections:", nameof(options.ConnectionRefreshInterval), options.ConnectionRefreshInterval, TimeSpan.Zero, TimeSpan.FromDays(1));
        ValidateLimits(options.Limits, failures);

        foreach (var (connectionName, connection) in options.Connections)
        {
            if (AutotaskConnectionIds.FindProblem(connectionName) is { } problem)
            {
                failures.Add($"Autotask connections: {problem}");
            }

            failures.AddRange(ValidateConnection(connectionName, connection, policy));
        }

        foreach (var same in options.Connections.Keys.GroupBy(k => k, AutotaskConnectionIds.Comparer).Where(g => g.Count() > 1))
        {
            failures.Add($"Autotask connections: {string.Join(" and ", same.Select(k => $"'{k}'"))} are one connection id (ids ignore the case of ASCII letters); keep one of them.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>The problems of one connection's settings, one sentence each, never repeating a secret; empty when it can be used.</summary>
    internal static List<string> ValidateConnection(string connectionName, AutotaskConnectionOptions? connection, ZoneUrlPolicy policy)
    {
        var failures = new List<string>();
        var prefix = $"Autotask connection '{connectionName}':";
        if (connection is null)
        {
            failures.Add($"{prefix} has no settings.");
            return failures;
        }

        if (string.IsNullOrWhiteSpace(connection.UserName))
        {
            failures.Add($"{prefix} UserName is required: the API user's username (key) from Autotask.");
        }
        else if (HeaderValue(failures, prefix, nameof(connection.UserName), connection.UserName, spacesChecked: true) && connection.UserName.Contains(' ', StringComparison.Ordinal))
        {
            failures.Add($"{prefix} UserName contains white space; copy the API user's username exactly.");
        }

        // The three credentials go onto the wire as header values: a line break would end the header (or inject another).
        if (string.IsNullOrWhiteSpace(connection.Secret))
        {
            failures.Add($"{prefix} Secret is required: the API user's secret from Autotask.");
        }
        else
        {
            HeaderValue(failures, prefix, nameof(connection.Secret), connection.Secret);
        }

        if (string.IsNullOrWhiteSpace(connection.IntegrationCode))
        {
            failures.Add($"{prefix} IntegrationCode is required: the API tracking identifier's integration code.");
        }
        else
        {
            HeaderValue(failures, prefix, nameof(connection.IntegrationCode), connection.IntegrationCode);
        }

        if (connection.WebhookSecretKey is { } webhookKey)
        {
            if (webhookKey.Length is 0 or > 64)
            {
                failures.Add($"{prefix} WebhookSecretKey must have 1 to 64 characters, as Autotask's webhook secret key does; leave it unset when the connection takes no callouts.");
            }
            else if (webhookKey.Any(char.IsControl))
            {
                failures.Add($"{prefix} WebhookSecretKey contains a control character (a line break or tab); copy it again from the webhook's settings.");
            }
        }

        if (!Enum.IsDefined(connection.QueryMethod))
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"{prefix} QueryMethod {(int)connection.QueryMethod} is not one of {string.Join(", ", Enum.GetNames<AutotaskQueryMethod>())}."));
        }

        if (!string.IsNullOrWhiteSpace(connection.ZoneUrl))
        {
            if (!Uri.TryCreate(connection.ZoneUrl, UriKind.Absolute, out var zoneUrl))
            {
                failures.Add($"{prefix} ZoneUrl '{connection.ZoneUrl}' is not an absolute URL.");
            }
            else if (!policy.IsAllowed(zoneUrl, out var reason))
            {
                failures.Add($"{prefix} ZoneUrl is refused because {reason}.");
            }
        }

        if (connection.ImpersonationResourceId is < 1)
        {
            failures.Add($"{prefix} ImpersonationResourceId must be a positive resource id.");
        }

        if (connection.Currency is { } currency && (currency.Length != 3 || !currency.All(char.IsAsciiLetterUpper)))
        {
            failures.Add($"{prefix} Currency '{currency}' is not an ISO 4217 code of three capital letters, such as EUR.");
        }

        if (NodaTime.DateTimeZoneProviders.Tzdb.GetZoneOrNull(connection.TimeZone ?? "") is null)
        {
            failures.Add($"{prefix} TimeZone '{connection.TimeZone}' is not an IANA time zone id, such as America/New_York or Europe/London.");
        }

        Range(failures, prefix, nameof(connection.HourlyRequestBudget), connection.HourlyRequestBudget, 1, int.MaxValue);
        Range(failures, prefix, nameof(connection.MaxConcurrentRequestsPerEntity), connection.MaxConcurrentRequestsPerEntity, 1, 100);
        Range(failures, prefix, nameof(connection.MaxRetryAttempts), connection.MaxRetryAttempts, 0, Http.AutotaskResilience.MaxRetryAttemptsLimit);
        Between(failures, prefix, nameof(connection.RetryBaseDelay), connection.RetryBaseDelay, TimeSpan.Zero, TimeSpan.FromMinutes(5));
        Between(failures, prefix, nameof(connection.MaxRetryAfter), connection.MaxRetryAfter, TimeSpan.Zero, TimeSpan.FromHours(1));
        Between(failures, prefix, nameof(connection.AttemptTimeout), connection.AttemptTimeout, TimeSpan.FromMilliseconds(10), TimeSpan.FromHours(1));
        Between(failures, prefix, nameof(connection.MetadataCacheDuration), connection.MetadataCacheDuration, TimeSpan.Zero, TimeSpan.FromDays(7));
        Between(failures, prefix, nameof(connection.WebhookReplayWindow), connection.WebhookReplayWindow, TimeSpan.FromMinutes(1), TimeSpan.FromDays(7));
        return failures;
    }

    /// <summary>Refuses what an HTTP header cannot carry, naming the setting and never the value.</summary>
    /// <returns>Whether the value passed.</returns>
    private static bool HeaderValue(List<string> failures, string prefix, string setting, string value, bool spacesChecked = false)
    {
        var count = failures.Count;
        if (value[^1] is '\n' or '\r')
        {
            failures.Add($"{prefix} {setting} ends with a line break, as when read from a file; remove it.");
        }
        else if (value.Any(char.IsControl))
        {
            failures.Add($"{prefix} {setting} contains a control character (a line break or tab); copy it again from Autotask.");
        }
        else if (value.Any(c => c > '~'))
        {
            failures.Add($"{prefix} {setting} contains characters outside printable ASCII, which Autotask's API user settings never produce; copy it again from Autotask.");
        }
        else if (!spacesChecked && value.Trim() != value)
        {
            failures.Add($"{prefix} {setting} starts or ends with a space; copy it again from Autotask.");
        }

        return failures.Count == count;
    }

    private static void ValidateLimits(Limits.AutotaskLimitsOptions limits, List<string> failures)
    {
        const string prefix = "Autotask limits:";
        Share(failures, prefix, nameof(limits.TargetShare), limits.TargetShare);
        Share(failures, prefix, nameof(limits.MinimumShare), limits.MinimumShare);
        Share(failures, prefix, nameof(limits.StopShare), limits.StopShare);
        if (limits.MinimumShare > limits.TargetShare || limits.TargetShare > limits.StopShare)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture,
                $"{prefix} MinimumShare ({limits.MinimumShare}), TargetShare ({limits.TargetShare}) and StopShare ({limits.StopShare}) must not decrease in that order."));
        }

        Range(failures, prefix, nameof(limits.PaceAfterRequests), limits.PaceAfterRequests, 0, int.MaxValue);
        Range(failures, prefix, nameof(limits.AssumedInstances), limits.AssumedInstances, 1, 1000);
        if (limits.ThresholdCheckInterval != Timeout.InfiniteTimeSpan)
        {
            Between(failures, prefix, nameof(limits.ThresholdCheckInterval), limits.ThresholdCheckInterval, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1));
        }

        Between(failures, prefix, nameof(limits.ThresholdStaleAfter), limits.ThresholdStaleAfter, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1));
        Between(failures, prefix, nameof(limits.SharedRetryInterval), limits.SharedRetryInterval, TimeSpan.FromMilliseconds(100), TimeSpan.FromHours(1));
        Between(failures, prefix, nameof(limits.MaxClockSkew), limits.MaxClockSkew, TimeSpan.Zero, TimeSpan.FromSeconds(30));
    }

    private static void Share(List<string> failures, string prefix, string setting, double value)
    {
        if (!(value >= 0 && value <= 1))
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"{prefix} {setting} is {value}; it must be a share between 0 and 1."));
        }
    }

    private static void Range(List<string> failures, string prefix, string setting, int value, int min, int max)
    {
        if (value < min || value > max)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"{prefix} {setting} is {value}; it must be between {min} and {max}."));
        }
    }

    private static void Between(List<string> failures, string prefix, string setting, TimeSpan value, TimeSpan min, TimeSpan max)
    {
        if (value < min || value > max)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"{prefix} {setting} is {value}; it must be between {min} and {max}."));
        }
    }
}
