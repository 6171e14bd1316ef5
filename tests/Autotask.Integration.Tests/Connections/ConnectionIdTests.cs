using Autotask.Integration.Auditing;
using Autotask.Integration.Entities;
using Autotask.Integration.Mapping;
using Autotask.Integration.PostgreSql;
using Autotask.Integration.Sqlite;
using Autotask.Integration.Tests.Support;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using NodaTime;

namespace Autotask.Integration.Tests.Connections;

/// <summary>
/// One identity per connection id (issue 27): ids that differ only by a character some places fold and others do not
/// (<c>ſ</c>, U+017F, which <c>ToUpperInvariant</c> turns into <c>S</c>) never reach another partner's mappings,
/// audit or database; every spelling of an id is one key in every store.
/// </summary>
public sealed class ConnectionIdTests(PostgreSqlServer postgres) : IDisposable
{
    private const string LongS = "acme\u017F";

    private readonly string _directory = Directory.CreateTempSubdirectory("autotask-ids-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    private void Use(AutotaskIntegrationBuilder builder, string store)
    {
        switch (store)
        {
            case "sqlite":
                builder.UseSqliteStore(Path.Combine(_directory, "store.db"));
                break;
            case "postgres":
                builder.UsePostgreSqlStore(postgres.ConnectionString, PostgreSqlServer.NewSchema());
                break;
        }
    }

    private TenantHost Host(string store) =>
        TenantHost.Create(build: b => Use(b, store), services: s => s.AddDataProtection().SetApplicationName("connection-id-tests"));

    private static long FirstCustomer(Testing.AutotaskSimulator database) =>
        database.Data.All<Company>().Where(c => c.IsActive == true && c.CompanyType == CompanyType.Customer).Min(c => c.Id);

    [Theory]
    [InlineData("memory")]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task An_id_differing_by_long_s_is_refused_at_link_before_it_reaches_the_other_partners_mappings_audit_or_database(string store)
    {
        await using var host = Host(store);
        await host.Connections.LinkAsync("acmes", host.PartnerSettings(1), cancellationToken: Ct);
        await host.Mapping.MapCustomerAsync("acmes", "cust-1", FirstCustomer(host.Databases[0]), Ct);
        var sent = host.Databases[1].Requests.Count;
        var audited = host.Audit.Events.Count;

        var refused = await Assert.ThrowsAsync<ArgumentException>(() => host.Connections.LinkAsync(LongS, host.PartnerSettings(2), cancellationToken: Ct));

        Assert.Contains("U+017F", refused.Message, StringComparison.Ordinal);
        Assert.Equal(sent, host.Databases[1].Requests.Count);
        Assert.Equal(audited, host.Audit.Events.Count);
        Assert.Equal(["acmes"], await host.Clients.ListConnectionsAsync(Ct));
        Assert.Null(await host.ConnectionStore.FindAsync(LongS, Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => host.Store.FindCustomerAsync(LongS, "cust-1", Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => host.Connections.GetDatabaseAsync(LongS, Ct));
        Assert.Equal(101, (await host.Connections.GetDatabaseAsync("ACMES", Ct))!.Ci);
        Assert.NotNull(await host.Store.FindCustomerAsync("Acmes", "cust-1", Ct));
    }

    [Theory]
    [InlineData("a b")]
    [InlineData("partner@example.com")]
    [InlineData("caf\u00E9")]
    [InlineData("\u212Aelvin")]
    [InlineData("tab\there")]
    [InlineData("")]
    public async Task Ids_outside_the_rule_are_refused_naming_the_problem_before_anything_is_sent_or_saved(string id)
    {
        await using var host = TenantHost.Create();

        var refused = await Assert.ThrowsAsync<ArgumentException>(() => host.Connections.LinkAsync(id, host.PartnerSettings(1), cancellationToken: Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => host.Connections.SaveUntestedAsync(id, host.PartnerSettings(1), Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => host.ConnectionStore.AddAsync(id, host.PartnerSettings(1), Ct));

        Assert.Contains(id.Length == 0 ? "may not be empty" : "holds", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\t', refused.Message);
        Assert.Empty(host.Databases[0].Requests);
        Assert.Empty(host.Audit.Events);
        Assert.Empty(await host.Clients.ListConnectionsAsync(Ct));
    }

    [Fact]
    public async Task An_id_longer_than_the_maximum_is_refused_and_one_of_the_maximum_is_saved()
    {
        await using var host = TenantHost.Create();
        const int MaxLength = 100;
        var longest = new string('p', MaxLength);

        var refused = await Assert.ThrowsAsync<ArgumentException>(() => host.Connections.SaveUntestedAsync(longest + "p", host.PartnerSettings(1), Ct));
        await host.Connections.SaveUntestedAsync(longest, host.PartnerSettings(1), Ct);

        Assert.Contains($"at most {MaxLength}", refused.Message, StringComparison.Ordinal);
        Assert.Equal([longest], await host.Clients.ListConnectionsAsync(Ct));
    }

    [Fact]
    public async Task Concurrent_links_of_one_id_save_it_once_and_audit_one_success()
    {
        await using var host = TenantHost.Create();
        var spellings = new[] { "partner-a", "PARTNER-A", "partner-a", "Partner-A", "partner-A" };

        var outcomes = await Task.WhenAll(spellings.Select(id => Task.Run(async () =>
        {
            try
            {
                await host.Connections.LinkAsync(id, host.PartnerSettings(1), cancellationToken: Ct);
                return "linked";
            }
            catch (AutotaskConnectionExistsException)
            {
                return "exists";
            }
        }, Ct)));

        Assert.Equal(["exists", "exists", "exists", "exists", "linked"], outcomes.Order(StringComparer.Ordinal));
        var created = host.Audit.Events.Where(e => e.Operation == AuditOperations.CreateConnectorConnection).ToList();
        Assert.Single(created, e => e.Details!.StartsWith("Saved", StringComparison.Ordinal));
        Assert.Equal(2, created.Count(e => e.Status == AuditStatus.Succeeded)); // the one test, then the one save
        Assert.Single(await host.Clients.ListConnectionsAsync(Ct));
    }

    [Theory]
    [InlineData("memory")]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task A_mapping_store_keys_every_spelling_of_an_id_alike_and_refuses_ids_outside_the_rule(string kind)
    {
        var store = Store(kind);
        try
        {
            await store.AddCustomerAsync(new CustomerMapping { Connection = "acmes", VendorCustomerId = "cust-1", CompanyId = 7 }, Ct);
            await store.SetStateAsync("acmes", "cursor", "41", 0, Ct);

            Assert.Equal(7, (await store.FindCustomerAsync("ACMES", "cust-1", Ct))!.CompanyId);
            Assert.Equal("41", (await store.GetStateAsync("AcMeS", "cursor", Ct))!.Value);
            await Assert.ThrowsAsync<ArgumentException>(() => store.FindCustomerAsync(LongS, "cust-1", Ct));
            await Assert.ThrowsAsync<ArgumentException>(() => store.GetStateAsync(LongS, "cursor", Ct));
            await Assert.ThrowsAsync<ArgumentException>(() => store.AddCustomerAsync(new CustomerMapping { Connection = LongS, VendorCustomerId = "cust-2", CompanyId = 8 }, Ct));
            Assert.Single(await store.ListCustomersAsync("acmes", Ct));
        }
        finally
        {
            if (store is IAsyncDisposable disposable)
            {
                await disposable.DisposeAsync();
            }
        }
    }

    [Theory]
    [InlineData("memory")]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task Audit_events_of_one_id_are_read_in_every_spelling_and_never_with_another_ids(string kind)
    {
        var sink = kind == "memory" ? new InMemoryAuditSink() : (IAuditSink)Store(kind);
        var reader = (IAuditReader)sink;
        var at = Instant.FromUtc(2026, 12, 1, 9, 0);
        foreach (var (connection, n) in new[] { ("acme", 1), ("ACME", 2), ("acmes", 3), ("acme-2", 4) })
        {
            await sink.WriteAsync(new AuditEvent
            {
                EventId = $"event-{n}",
                Operation = AuditOperations.UpdateConnectorConnection,
                Connection = connection,
                Status = AuditStatus.Succeeded,
                StartedAt = at,
                CompletedAt = at + Duration.FromMinutes(n),
            }, Ct);
        }

        var page = await reader.ReadAsync(new AuditQuery { Connection = "Acme" }, Ct);

        Assert.Equal(["event-2", "event-1"], page.Events.Select(e => e.EventId));
        Assert.Throws<ArgumentException>(() => new AuditQuery { Connection = LongS });
        if (sink is IAsyncDisposable disposable)
        {
            await disposable.DisposeAsync();
        }
    }

    private IMappingStore Store(string kind) => kind switch
    {
        "memory" => new InMemoryMappingStore(),
        "sqlite" => new SqliteMappingStore(Path.Combine(_directory, $"{Guid.NewGuid():N}.db")),
        _ => new PostgreSqlMappingStore(postgres.ConnectionString, PostgreSqlServer.NewSchema()),
    };
}

/// <summary>The connection ids of the options: each follows the rule, and no two are one id.</summary>
public sealed class ConfiguredConnectionIdTests
{
    private static OptionsValidationException Invalid(Action<AutotaskIntegrationOptions> configure)
    {
        using var harness = ClientHarness.Create(configure);
        return Assert.Throws<OptionsValidationException>(() => harness.Services.GetRequiredService<IOptions<AutotaskIntegrationOptions>>().Value);
    }

    [Fact]
    public void Two_configured_spellings_of_one_id_stop_the_start_naming_both()
    {
        var error = Invalid(o =>
        {
            ClientHarness.Credentials(o.Connections["acme"] = new AutotaskConnectionOptions());
            ClientHarness.Credentials(o.Connections["ACME"] = new AutotaskConnectionOptions());
        });

        Assert.Contains("'acme' and 'ACME' are one connection id", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_configured_id_differing_by_long_s_stops_the_start_naming_the_character()
    {
        var error = Invalid(o =>
        {
            o.AddConnection("acmes", ClientHarness.Credentials);
            o.AddConnection("acme\u017F", ClientHarness.Credentials);
        });

        Assert.Contains("The connection id 'acme\u017F' holds '\u017F' (U+017F)", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("'acmes'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ToString_never_prints_the_user_and_password_of_a_zone_url()
    {
        var valid = new AutotaskConnectionOptions { ZoneUrl = "https://api-user:pa55word@webservices3.autotask.net/atservicesrest/" };
        var invalid = new AutotaskConnectionOptions { ZoneUrl = "webservices3.autotask.net:pa55word@evil example/x@y" };

        Assert.Contains("ZoneUrl=https://***@webservices3.autotask.net/atservicesrest/", valid.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("pa55word", valid.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("api-user", valid.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("pa55word", invalid.ToString(), StringComparison.Ordinal);
        Assert.Contains("ZoneUrl=https://webservices3.autotask.net/", new AutotaskConnectionOptions { ZoneUrl = "https://webservices3.autotask.net/" }.ToString(), StringComparison.Ordinal);
    }
}
