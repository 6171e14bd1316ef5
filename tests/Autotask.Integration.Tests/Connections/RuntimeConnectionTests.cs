using Autotask.Integration.Auditing;
using Autotask.Integration.Connections;
using Autotask.Integration.Entities;
using Autotask.Integration.Querying;
using Autotask.Integration.Sync;
using Autotask.Integration.Testing;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using Autotask.Integration.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Autotask.Integration.Tests.Connections;

/// <summary>Partners linking, rotating and unlinking their Autotask while the vendor's host runs, on simulated MSP databases.</summary>
public sealed class RuntimeConnectionTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static long FirstCustomer(AutotaskSimulator database) =>
        database.Data.All<Company>().Where(c => c.IsActive == true && c.CompanyType == CompanyType.Customer).Min(c => c.Id);

    [Fact]
    public async Task Test_and_save_links_only_credentials_that_work_and_saves_nothing_otherwise()
    {
        await using var host = TenantHost.Create();

        var wrongSecret = await Assert.ThrowsAsync<AutotaskConnectionTestFailedException>(() =>
            host.Connections.LinkAsync("partner-a", host.PartnerSettings(1, c => c.Secret = "typed-wrong"), cancellationToken: Ct));
        host.Databases[0].DenyAccess("Contracts", SimulatorAccess.Read);
        var noPermission = await Assert.ThrowsAsync<AutotaskConnectionTestFailedException>(() =>
            host.Connections.LinkAsync("partner-a", host.PartnerSettings(1), cancellationToken: Ct));

        Assert.Contains("refused the API user's credentials", Assert.Single(wrongSecret.Result.Problems), StringComparison.Ordinal);
        Assert.Contains("read Contracts", Assert.Single(noPermission.Result.Problems), StringComparison.Ordinal);
        Assert.DoesNotContain("typed-wrong", wrongSecret.ToString(), StringComparison.Ordinal);
        Assert.Empty(await host.Clients.ListConnectionsAsync(Ct));
        Assert.Null(await host.ConnectionStore.FindAsync("partner-a", Ct));
        Assert.Null(await host.Connections.GetDatabaseAsync("partner-a", Ct));

        var linked = await host.Connections.LinkAsync("partner-a", host.PartnerSettings(2), cancellationToken: Ct);

        Assert.True(linked.Succeeded);
        Assert.Equal(["partner-a"], await host.Clients.ListConnectionsAsync(Ct));
        Assert.Equal(new Integration.Metadata.AutotaskDatabaseIdentity(102, host.Databases[1].ZoneUrl), await host.Connections.GetDatabaseAsync("partner-a", Ct));
        Assert.Equal(25, await host.Clients.GetClient("partner-a").CountAsync(new AutotaskQuery<Company>().Where(
            Filter<Company>.Eq(c => c.CompanyType, CompanyType.Customer), Filter<Company>.Eq(c => c.IsActive, true)), Ct));
        var audit = host.AuditOf("partner-a", AuditOperations.CreateConnectorConnection);
        Assert.Equal([AuditStatus.Failed, AuditStatus.Failed, AuditStatus.Succeeded, AuditStatus.Succeeded], audit.Select(e => e.Status));
        Assert.StartsWith("Saved after a successful test; bound to Autotask database 102", audit[^1].Details, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_save_without_a_test_is_allowed_audited_as_untested_and_bound_on_first_use()
    {
        await using var host = TenantHost.Create();
        var database = host.Databases[0];

        await host.Connections.SaveUntestedAsync("partner-a", host.PartnerSettings(1), Ct);

        Assert.Empty(database.Requests);
        Assert.Contains("untested", Assert.Single(host.AuditOf("partner-a", AuditOperations.CreateConnectorConnection)).Details, StringComparison.Ordinal);
        Assert.Null(await host.Connections.GetDatabaseAsync("partner-a", Ct));

        await host.Mapping.MapCustomerAsync("partner-a", "cust-1", FirstCustomer(database), Ct);

        Assert.Equal(101, (await host.Connections.GetDatabaseAsync("partner-a", Ct))!.Ci);
    }

    [Fact]
    public async Task Bad_input_is_refused_typed_before_anything_is_sent_or_saved()
    {
        await using var host = TenantHost.Create(configure: o => host_ConfigureStatic(o));
        var database = host.Databases[0];

        var badSecret = await Assert.ThrowsAsync<AutotaskConnectionSettingsException>(() =>
            host.Connections.LinkAsync("partner-a", host.PartnerSettings(1, c => c.Secret = "pasted-with-a-line-break\n"), cancellationToken: Ct));
        var badZone = await Assert.ThrowsAsync<AutotaskConnectionSettingsException>(() =>
            host.Connections.SaveUntestedAsync("partner-a", host.PartnerSettings(1, c => c.TimeZone = "Mars/Olympus_Mons"), Ct));
        var configured = await Assert.ThrowsAsync<AutotaskConnectionExistsException>(() =>
            host.Connections.LinkAsync("Configured", host.PartnerSettings(1), cancellationToken: Ct));
        var notConfigurable = await Assert.ThrowsAsync<AutotaskConfigurationException>(() =>
            host.Connections.UpdateAsync("configured", c => c.Secret = "x", cancellationToken: Ct));
        var unknownUpdate = await Assert.ThrowsAsync<AutotaskConnectionNotFoundException>(() => host.Connections.UpdateAsync("nobody", c => c.Secret = "x", cancellationToken: Ct));
        var unknownRemove = await Assert.ThrowsAsync<AutotaskConnectionNotFoundException>(() => host.Connections.RemoveAsync("nobody", Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => host.Connections.SaveUntestedAsync(" padded ", host.PartnerSettings(1), Ct));
        await Assert.ThrowsAsync<ArgumentNullException>(() => host.Connections.SaveUntestedAsync("partner-a", null!, Ct));

        Assert.Contains("Secret ends with a line break", Assert.Single(badSecret.Problems), StringComparison.Ordinal);
        Assert.DoesNotContain("pasted-with", badSecret.ToString(), StringComparison.Ordinal);
        Assert.Contains("TimeZone 'Mars/Olympus_Mons'", badZone.Message, StringComparison.Ordinal);
        Assert.Equal("Configured", configured.Connection);
        Assert.Contains("configuration", notConfigurable.Message, StringComparison.Ordinal);
        Assert.Equal("nobody", unknownUpdate.Connection);
        Assert.False(unknownRemove.Removed);
        Assert.Empty(database.Requests);
        Assert.Equal(["configured"], await host.Clients.ListConnectionsAsync(Ct));
        Assert.Empty(host.Audit.Events);
    }

    private static void host_ConfigureStatic(AutotaskIntegrationOptions options) =>
        options.AddConnection("configured", c =>
        {
            c.UserName = "configured@example.com";
            c.Secret = "configured-secret";
            c.IntegrationCode = "CONFIGUREDINTEGRATIONCODE01";
        });

    [Fact]
    public async Task A_rotated_secret_takes_effect_on_the_next_request_and_a_wrong_one_is_refused_keeping_the_old()
    {
        await using var host = TenantHost.Create();
        var database = host.Databases[0];
        await host.Connections.LinkAsync("partner-a", host.PartnerSettings(1), cancellationToken: Ct);
        var client = host.Clients.GetClient("partner-a");
        var customers = new AutotaskQuery<Company>().Where(Filter<Company>.Eq(c => c.CompanyType, CompanyType.Customer));
        var before = await client.CountAsync(customers, Ct);

        // The MSP's administrator rotates the API user's secret in Autotask; the stored one stops working.
        database.Options.Secret = "rotated-secret-of-msp-1";
        await Assert.ThrowsAsync<AutotaskAuthenticationException>(() => client.CountAsync(customers, Ct));

        var typo = await Assert.ThrowsAsync<AutotaskConnectionTestFailedException>(() =>
            host.Connections.UpdateAsync("partner-a", c => c.Secret = "rotated-secret-of-msp-l", cancellationToken: Ct));
        Assert.Equal("secret-of-msp-1", (await host.ConnectionStore.FindAsync("partner-a", Ct))!.Secret);
        Assert.Contains("credentials", typo.Message, StringComparison.Ordinal);

        await host.Connections.UpdateAsync("partner-a", c => c.Secret = "rotated-secret-of-msp-1", cancellationToken: Ct);

        Assert.Equal(before, await client.CountAsync(customers, Ct));
        var update = Assert.Single(host.AuditOf("partner-a", AuditOperations.UpdateConnectorConnection));
        Assert.Equal(AuditStatus.Succeeded, update.Status);
        Assert.DoesNotContain("rotated-secret", string.Join("\n", host.Audit.Events.Select(e => e.Details)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_removed_connection_lets_its_request_in_flight_finish_refuses_new_ones_and_frees_its_runtime()
    {
        await using var host = TenantHost.Create();
        var database = host.Databases[0];
        await host.Connections.LinkAsync("partner-a", host.PartnerSettings(1), cancellationToken: Ct);
        await host.Connections.LinkAsync("partner-b", host.PartnerSettings(1), cancellationToken: Ct);
        var client = host.Clients.GetClient("partner-a");
        database.Faults.Latency = TimeSpan.FromMilliseconds(600);
        database.Faults.Next(SimulatorFault.Latency, when: r => r.Entity == "Companies");

        var inFlight = client.CountAsync(new AutotaskQuery<Company>(), Ct);
        await Wait.UntilAsync(() => database.Faults.Injected.Count > 0); // the count is at the simulator, held for 600 ms
        await host.Connections.RemoveAsync("partner-a", Ct);

        Assert.True(await inFlight > 0);
        var refused = await Assert.ThrowsAsync<AutotaskConnectionNotFoundException>(() => client.CountAsync(new AutotaskQuery<Company>(), Ct));
        Assert.True(refused.Removed);
        Assert.Equal("partner-a", refused.Connection);
        await Assert.ThrowsAsync<AutotaskConnectionNotFoundException>(() => host.Sync.SyncAsync("partner-a", [], cancellationToken: Ct));
        Assert.Equal(1, host.Registry.ActiveCount); // partner-b only
        Assert.Equal(["partner-b"], await host.Clients.ListConnectionsAsync(Ct));
        Assert.Equal(AuditStatus.Succeeded, Assert.Single(host.AuditOf("partner-a", AuditOperations.DeleteConnectorConnection)).Status);
        await Assert.ThrowsAsync<AutotaskConnectionNotFoundException>(() => host.Connections.RemoveAsync("partner-a", Ct));
    }

    [Fact]
    public async Task An_alias_re_pointed_to_another_database_is_refused_on_every_store_backed_operation_until_rebound()
    {
        await using var host = TenantHost.Create();
        await host.Connections.LinkAsync("acme", host.PartnerSettings(1), cancellationToken: Ct);
        var company = FirstCustomer(host.Databases[0]);
        await host.Mapping.MapCustomerAsync("acme", "cust-1", company, Ct);
        await host.Connections.RemoveAsync("acme", Ct);

        // Linking the alias again with another MSP's API user: the mappings of database 101 must not meet database 102.
        var relink = await Assert.ThrowsAsync<AutotaskDatabaseMismatchException>(() =>
            host.Connections.LinkAsync("acme", host.PartnerSettings(2), cancellationToken: Ct));
        Assert.Null(await host.ConnectionStore.FindAsync("acme", Ct));
        Assert.Equal(101, relink.Recorded.Ci);
        Assert.Equal(102, relink.Current.Ci);
        Assert.Contains("Autotask database 101", relink.Message, StringComparison.Ordinal);
        Assert.Contains("Autotask database 102", relink.Message, StringComparison.Ordinal);

        // Saved without a test, every engine refuses it, naming both databases; nothing is read or written.
        await host.Connections.SaveUntestedAsync("acme", host.PartnerSettings(2), Ct);
        var writesBefore = host.Databases[1].Requests.Count(r => r.Method != "GET" && !r.Path.Contains("/query", StringComparison.Ordinal));
        await Assert.ThrowsAsync<AutotaskDatabaseMismatchException>(() => host.Mapping.MapCustomerAsync("acme", "cust-2", FirstCustomer(host.Databases[1]), Ct));
        await Assert.ThrowsAsync<AutotaskDatabaseMismatchException>(() => host.Mapping.FindRecurringContractsAsync("acme", "cust-1", Ct));
        await Assert.ThrowsAsync<AutotaskDatabaseMismatchException>(() => host.Sync.SyncAsync("acme", [new SubscriptionQuantity("sub-1", 5, NodaTime.SystemClock.Instance.GetCurrentInstant())], cancellationToken: Ct));
        await Assert.ThrowsAsync<AutotaskDatabaseMismatchException>(() => host.Inbound.SyncCustomersAsync("acme", (_, _) => ValueTask.CompletedTask, Ct));
        Assert.Equal(writesBefore, host.Databases[1].Requests.Count(r => r.Method != "GET" && !r.Path.Contains("/query", StringComparison.Ordinal)));
        Assert.Contains(host.AuditOf("acme", AuditOperations.CreateConnectionCustomerMapping), e => e.Status == AuditStatus.Failed && e.Details!.Contains("Autotask database 102", StringComparison.Ordinal));

        // The vendor re-binds on purpose: audited, and the engines work against the new database.
        var rebound = await host.Connections.RebindAsync("acme", Ct);
        Assert.Equal(102, rebound.Ci);
        Assert.Contains("was Autotask database 101", Assert.Single(host.AuditOf("acme", AuditOperations.RebindConnectorConnection)).Details, StringComparison.Ordinal);
        await host.Mapping.UnmapCustomerAsync("acme", "cust-1", Ct);
        await host.Mapping.MapCustomerAsync("acme", "cust-2", FirstCustomer(host.Databases[1]), Ct);
    }

    [Fact]
    public async Task A_host_that_starts_with_no_connection_gains_them_at_run_time()
    {
        await using var host = TenantHost.Create(databases: 3);

        Assert.Empty(await host.Clients.ListConnectionsAsync(Ct));
        await Assert.ThrowsAsync<AutotaskConnectionNotFoundException>(() => host.Clients.GetClient("partner-1").GetZoneAsync(Ct));

        for (var n = 1; n <= 3; n++)
        {
            await host.Connections.LinkAsync($"partner-{n}", host.PartnerSettings(n), cancellationToken: Ct);
        }

        Assert.Equal(["partner-1", "partner-2", "partner-3"], await host.Clients.ListConnectionsAsync(Ct));
        for (var n = 1; n <= 3; n++)
        {
            var mapping = await host.Mapping.MapCustomerAsync($"partner-{n}", "cust-1", FirstCustomer(host.Databases[n - 1]), Ct);
            Assert.Equal(FirstCustomer(host.Databases[n - 1]), mapping.CompanyId);
            Assert.Equal(100 + n, (await host.Connections.GetDatabaseAsync($"partner-{n}", Ct))!.Ci);
        }
    }

    [Fact]
    public async Task Idle_connections_are_evicted_and_come_back_on_their_next_request()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = TenantHost.Create(
            configure: o => o.ConnectionIdleTimeout = TimeSpan.FromMinutes(10),
            services: s => s.AddSingleton<TimeProvider>(time));
        for (var n = 1; n <= 3; n++)
        {
            await host.Connections.LinkAsync($"partner-{n}", host.PartnerSettings(1), cancellationToken: Ct);
        }

        Assert.Equal(3, host.Registry.ActiveCount);
        time.Advance(TimeSpan.FromMinutes(6));
        await host.Clients.GetClient("partner-2").GetThresholdInformationAsync(Ct);
        time.Advance(TimeSpan.FromMinutes(6)); // the sweep runs on the clock: partner-1 and partner-3 have been idle 12 minutes

        Assert.Equal(1, host.Registry.ActiveCount);
        await host.Clients.GetClient("partner-1").GetThresholdInformationAsync(Ct);
        Assert.Equal(2, host.Registry.ActiveCount);
        time.Advance(TimeSpan.FromMinutes(30));
        Assert.Equal(0, host.Registry.ActiveCount);
    }

    [Fact]
    public async Task A_cold_connections_first_request_adds_at_most_one_zone_lookup()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = TenantHost.Create(configure: o => o.ConnectionIdleTimeout = TimeSpan.FromMinutes(10), services: s => s.AddSingleton<TimeProvider>(time));
        var database = host.Databases[0];
        await host.Connections.SaveUntestedAsync("partner-a", host.PartnerSettings(1), Ct);
        int Lookups() => database.Requests.Count(r => r.Path.EndsWith("/zoneInformation", StringComparison.OrdinalIgnoreCase));

        await host.Clients.GetClient("partner-a").GetThresholdInformationAsync(Ct);
        Assert.Equal(1, Lookups());
        Assert.Equal(2, database.Requests.Count);

        // Evicted after idling, the connection comes back without another lookup while the zone is cached (4 hours).
        time.Advance(TimeSpan.FromMinutes(11));
        Assert.Equal(0, host.Registry.ActiveCount);
        await host.Clients.GetClient("partner-a").GetThresholdInformationAsync(Ct);
        Assert.Equal(1, Lookups());

        // Idle past the zone's cache time too, the zone is forgotten as well, and looked up once on the next request.
        var zones = host.Services.GetRequiredService<Integration.Zones.ZoneResolver>();
        Assert.Equal(1, zones.CachedZones);
        time.Advance(TimeSpan.FromHours(5));
        Assert.Equal(0, zones.CachedZones);
        await host.Clients.GetClient("partner-a").GetThresholdInformationAsync(Ct);
        Assert.Equal(2, Lookups());
    }

    [Fact]
    public async Task Changes_made_by_another_instance_arrive_after_the_refresh_interval()
    {
        var directory = Directory.CreateTempSubdirectory("autotask-instances-");
        try
        {
            var databases = TenantHost.CreateDatabases(1);
            var file = Path.Combine(directory.FullName, "store.db");
            void Shared(IServiceCollection services) =>
                services.AddDataProtection().SetApplicationName("vendor-portal").PersistKeysToFileSystem(directory.CreateSubdirectory("keys"));
            await using var first = TenantHost.For(databases, build: b => b.UseSqliteStore(file), services: Shared);
            await using var second = TenantHost.For(databases, configure: o => o.ConnectionRefreshInterval = TimeSpan.Zero, build: b => b.UseSqliteStore(file), services: Shared);

            await first.Connections.LinkAsync("partner-a", first.PartnerSettings(1), cancellationToken: Ct);
            var client = second.Clients.GetClient("partner-a");
            Assert.NotNull(await client.GetZoneAsync(Ct));

            databases[0].Options.Secret = "rotated";
            await first.Connections.UpdateAsync("partner-a", c => c.Secret = "rotated", cancellationToken: Ct);
            Assert.True((await client.GetThresholdInformationAsync(Ct)).ExternalRequestThreshold > 0);

            await first.Connections.RemoveAsync("partner-a", Ct);
            Assert.True((await Assert.ThrowsAsync<AutotaskConnectionNotFoundException>(() => client.GetThresholdInformationAsync(Ct))).Removed);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_crash_between_the_test_and_the_save_leaves_no_record()
    {
        var store = new FailingConnectionStore();
        await using var host = TenantHost.Create(build: b => b.UseConnectionStore(store));

        await Assert.ThrowsAsync<IOException>(() => host.Connections.LinkAsync("partner-a", host.PartnerSettings(1), cancellationToken: Ct));

        Assert.Null(await store.FindAsync("partner-a", Ct));
        Assert.Null(await host.Connections.GetDatabaseAsync("partner-a", Ct));
        await Assert.ThrowsAsync<AutotaskConnectionNotFoundException>(() => host.Clients.GetClient("partner-a").GetZoneAsync(Ct));
        Assert.DoesNotContain(host.Audit.Events, e => e.Details?.StartsWith("Saved", StringComparison.Ordinal) == true);
    }

    /// <summary>A store that dies at the save, as a process killed between "test" and "save" would.</summary>
    private sealed class FailingConnectionStore : IAutotaskConnectionStore
    {
        private readonly InMemoryConnectionStore _inner = new();

        public Task<AutotaskConnectionOptions?> FindAsync(string connectionId, CancellationToken cancellationToken = default) => _inner.FindAsync(connectionId, cancellationToken);

        public Task<IReadOnlyList<string>> ListAsync(CancellationToken cancellationToken = default) => _inner.ListAsync(cancellationToken);

        public Task AddAsync(string connectionId, AutotaskConnectionOptions settings, CancellationToken cancellationToken = default) =>
            throw new IOException("The process died while saving.");

        public Task UpdateAsync(string connectionId, AutotaskConnectionOptions settings, CancellationToken cancellationToken = default) => _inner.UpdateAsync(connectionId, settings, cancellationToken);

        public Task<bool> RemoveAsync(string connectionId, CancellationToken cancellationToken = default) => _inner.RemoveAsync(connectionId, cancellationToken);
    }

    [Fact]
    public async Task A_client_without_dependency_injection_is_one_statement_and_disposable()
    {
        await using var database = AutotaskSimulator.Create();

        var client = StandaloneAutotaskClient.Create(o => database.AddConnection(o, "script", c => c.RetryBaseDelay = TimeSpan.FromMilliseconds(1)), b => b.UseSimulator(database));
        var customers = await client.CountAsync(new AutotaskQuery<Company>().Where(Filter<Company>.Eq(c => c.CompanyType, CompanyType.Customer)), Ct);
        var zone = await client.GetZoneAsync(Ct);
        await client.DisposeAsync();

        Assert.Equal(28, customers);
        Assert.Equal(database.ZoneUrl, zone.Url);
        Assert.Equal("script", client.ConnectionName);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => client.GetThresholdInformationAsync(Ct));
        var none = Assert.Throws<AutotaskConfigurationException>(() => StandaloneAutotaskClient.Create(_ => { }));
        Assert.Contains("No Autotask connection is configured", none.Message, StringComparison.Ordinal);
        Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => StandaloneAutotaskClient.Create(o => o.AddConnection("x", c => c.UserName = "u@example.com")));
    }
}
