using Autotask.Integration.Entities;
using Autotask.Integration.Sync;
using Autotask.Integration.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using NodaTime;

namespace Autotask.Integration.Tests.Sync;

/// <summary>The engines read the time from the application's <see cref="TimeProvider"/>, the one clock, and nowhere else.</summary>
public sealed class InjectedClockTests
{
    [Fact]
    public async Task Mappings_reports_and_audit_events_carry_the_injected_clocks_time()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2031, 3, 4, 5, 6, 7, TimeSpan.Zero));
        var expected = Instant.FromUtc(2031, 3, 4, 5, 6, 7);
        await using var harness = SyncHarness.Create(configure: b => b.Services.AddSingleton<TimeProvider>(clock));
        var customer = harness.Simulator.Data.All<Company>().First(c => c.CompanyType == CompanyType.Customer && c.IsActive == true);
        var ct = TestContext.Current.CancellationToken;

        var mapping = await harness.Mapping.MapCustomerAsync(SyncHarness.Connection, "clock-customer", customer.Id, ct);
        var report = await harness.Sync.SyncAsync(SyncHarness.Connection, [new SubscriptionQuantity("not-mapped", 3, expected)],
            new QuantitySyncOptions { DryRun = true }, ct);

        Assert.Equal(expected, mapping.MappedAt);
        Assert.Equal(expected, report.StartedAt);
        Assert.Equal(expected, report.CompletedAt);
        Assert.All(harness.Audit.Events, e => Assert.Equal(expected, e.StartedAt));
        Assert.NotEmpty(harness.Audit.Events);
    }
}
