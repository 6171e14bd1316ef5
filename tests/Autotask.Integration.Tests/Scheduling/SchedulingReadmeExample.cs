using Autotask.Integration.Jobs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;

namespace Autotask.Integration.Tests.Scheduling;

/// <summary>The README's scheduling example, compiled here (with Quartz 4, on .NET 10 only); its regions are checked by ReadmeExamples.</summary>
internal static class SchedulingReadmeExample
{
    internal static void Register<TUsage, TQuantities>(IServiceCollection services, IConfiguration configuration, string postgres)
        where TUsage : class, IUsageSource
        where TQuantities : class, IQuantitySource
    {
        // snippet: scheduling
        services.AddSingleton<IUsageSource, TUsage>();               // your invoice schedules and usage figures
        services.AddSingleton<IQuantitySource, TQuantities>();       // your subscriptions' quantities (and approval rule)
        services.AddAutotaskIntegration(configuration.GetSection("Autotask"))
            .UsePostgreSqlStore(postgres)
            .AddAutotaskScheduling(s =>
            {
                s.UsageBillingTime = new LocalTime(2, 0);            // on each invoice date, in each connection's time zone
                s.QuantitySyncCron = "0 0 6-18 ? * MON-FRI";         // or QuantitySyncInterval
                s.DailyDigestTime = new LocalTime(6, 0);             // needs an IDigestSource and AddAlertTickets
                s.InboundPollInterval = TimeSpan.FromMinutes(15);    // needs an IInboundHandler
                s.Jitter = TimeSpan.FromMinutes(10);                 // thousands of tenants never fire in the same second
                s.PostgreSqlConnectionString = postgres;             // clustered: each due job runs in one instance
            });
        // end snippet
    }
}
