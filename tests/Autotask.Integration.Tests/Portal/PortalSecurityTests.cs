using System.Net;
using Autotask.Integration.Auditing;
using Autotask.Integration.Connections;
using Autotask.Integration.Entities;
using Autotask.Integration.Mapping;
using Autotask.Integration.Testing;
using Autotask.Integration.Portal;
using Microsoft.Extensions.DependencyInjection;

namespace Autotask.Integration.Tests.Portal;

/// <summary>
/// What a security reviewer checks of the portal, at the HTTP level: every page's Content-Security-Policy, forms refused
/// without their anti-forgery token, partners kept apart (pages, forms, background work, plans), sign-in required, and
/// no secret in any page or log.
/// </summary>
public sealed class PortalSecurityTests
{
    private static readonly string[] Pages = ["integration", "alerts", "customers", "subscriptions", "sync", "inbound", "audit", "test-ticket"];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Every_page_carries_the_content_security_policy_and_needs_a_signed_in_partner()
    {
        await using var portal = await PortalHost.StartAsync(Ct);
        using var anonymous = portal.NewClient();
        foreach (var page in Pages)
        {
            using var response = await anonymous.GetAsync($"/northwind/{page}", Ct);
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.StartsWith("/signin", response.Headers.Location!.PathAndQuery, StringComparison.Ordinal);
        }

        using var client = await portal.SignedInAsync("northwind", Ct);
        foreach (var path in Pages.Select(p => $"/northwind/{p}").Append("/signin").Append("/assets/site.css").Append("/no-such-page"))
        {
            using var response = await client.GetAsync(path, Ct);
            Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.NotFound, $"{path}: {response.StatusCode}");
            Assert.Equal(PortalApp.ContentSecurityPolicy, response.Headers.GetValues("Content-Security-Policy").Single());
            Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
            Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
            var html = await response.Content.ReadAsStringAsync(Ct);
            // Nothing inline for the policy to have to allow.
            Assert.DoesNotContain("<script>", html, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(" style=", html, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task A_form_without_its_anti_forgery_token_is_refused_and_changes_nothing()
    {
        await using var portal = await PortalHost.StartAsync(Ct);
        using var client = await portal.SignedInAsync("northwind", Ct);

        using var forged = await client.PostAsync("/northwind/integration?handler=Save", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["UserName"] = portal.UserOf("northwind"),
            ["Secret"] = portal.SecretOf("northwind"),
            ["IntegrationCode"] = SimulatedMsps.IntegrationCode,
        }), Ct);
        using var signIn = await client.PostAsync("/signin", new FormUrlEncodedContent(new Dictionary<string, string> { ["partner"] = "contoso", ["password"] = "contoso-portal" }), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, signIn.StatusCode);
        Assert.Null(await portal.App.Services.GetRequiredService<IAutotaskConnectionStore>().FindAsync("northwind", Ct));
        Assert.Empty(portal.Databases["northwind"].Requests);
    }

    [Fact]
    public async Task A_partner_cannot_read_or_change_another_partners_connection_mappings_work_or_audit()
    {
        await using var portal = await PortalHost.StartAsync(Ct);
        using var northwind = await portal.LinkedAsync("northwind", Ct);
        // northwind starts a full read; its work id is in the redirect.
        using var started = await PortalHost.PostFormAsync(northwind, "/northwind/inbound", "/northwind/inbound", [], Ct);
        var work = started.Headers.Location!.OriginalString;
        Assert.StartsWith("/northwind/work/", work, StringComparison.Ordinal);

        using var contoso = await portal.SignedInAsync("contoso", Ct);
        foreach (var path in Pages.Select(p => $"/northwind/{p}").Concat([work, work + "?handler=Events", "/NorthWind/audit", "/northwind/sync?handler=Csv&plan=x"]))
        {
            using var response = await contoso.GetAsync(path, Ct);
            Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{path}: {response.StatusCode}");
            Assert.DoesNotContain(portal.UserOf("northwind"), await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        }

        // Its own pages with northwind's ids find nothing.
        using (var own = await contoso.GetAsync(work.Replace("/northwind/", "/contoso/", StringComparison.Ordinal), Ct))
        {
            Assert.Equal(HttpStatusCode.NotFound, own.StatusCode);
        }

        // A form posted to northwind's page with contoso's own valid token: refused, nothing changed.
        foreach (var action in new[] { "/northwind/integration?handler=Unlink", "/northwind/integration?handler=Save", "/northwind/customers?handler=Map" })
        {
            using var posted = await PortalHost.PostFormAsync(contoso, "/contoso/integration", action, new()
            {
                ["UserName"] = portal.UserOf("contoso"),
                ["Secret"] = portal.SecretOf("contoso"),
                ["IntegrationCode"] = SimulatedMsps.IntegrationCode,
                ["customer"] = "vc-1001",
                ["companyId"] = "1",
            }, Ct);
            Assert.Equal(HttpStatusCode.Forbidden, posted.StatusCode);
        }

        var store = portal.App.Services.GetRequiredService<IAutotaskConnectionStore>();
        Assert.Equal(portal.UserOf("northwind"), (await store.FindAsync("northwind", Ct))!.UserName);
        Assert.Null(await store.FindAsync("contoso", Ct));
        Assert.Empty(await portal.App.Services.GetRequiredService<IMappingStore>().ListCustomersAsync("northwind", Ct));
        var audit = await portal.App.Services.GetRequiredService<IAuditReader>().ReadAsync(new AuditQuery { Connection = "contoso" }, Ct);
        Assert.Empty(audit.Events);
    }

    [Fact]
    public async Task The_secret_is_never_rendered_back_nor_logged_and_the_problem_is_in_an_administrators_words()
    {
        await using var portal = await PortalHost.StartAsync(Ct);
        using var client = await portal.SignedInAsync("northwind", Ct);
        const string wrong = "a-wrong-secret-7Q2XK";

        using var refused = await PortalHost.PostFormAsync(client, "/northwind/integration", "/northwind/integration?handler=Save", new()
        {
            ["UserName"] = portal.UserOf("northwind"),
            ["Secret"] = wrong,
            ["IntegrationCode"] = SimulatedMsps.IntegrationCode,
        }, Ct);
        var refusedHtml = await refused.Content.ReadAsStringAsync(Ct);
        Assert.Equal(HttpStatusCode.OK, refused.StatusCode);
        Assert.Contains("id=\"problems\"", refusedHtml, StringComparison.Ordinal);
        Assert.DoesNotContain(wrong, refusedHtml, StringComparison.Ordinal);

        await portal.LinkAsync(client, "northwind", portal.SecretOf("northwind"), Ct);
        // Saved again with the secret left empty: the saved one is kept and still works.
        using var kept = await PortalHost.PostFormAsync(client, "/northwind/integration", "/northwind/integration?handler=Save", new()
        {
            ["UserName"] = portal.UserOf("northwind"),
            ["Secret"] = "",
            ["IntegrationCode"] = SimulatedMsps.IntegrationCode,
        }, Ct);
        Assert.Equal(HttpStatusCode.Redirect, kept.StatusCode);
        var page = await client.GetStringAsync("/northwind/integration", Ct);

        Assert.Contains(portal.UserOf("northwind"), page, StringComparison.Ordinal);
        Assert.DoesNotContain(portal.SecretOf("northwind"), page, StringComparison.Ordinal);
        Assert.DoesNotContain(portal.Logs.GetSnapshot(), r => $"{r.Message} {r.Exception}".Contains(portal.SecretOf("northwind"), StringComparison.Ordinal)
            || $"{r.Message} {r.Exception}".Contains(wrong, StringComparison.Ordinal));
        Assert.NotEmpty(portal.Logs.GetSnapshot());
    }

    [Fact]
    public async Task Long_work_streams_its_progress_to_the_page_then_the_result_page()
    {
        await using var portal = await PortalHost.StartAsync(Ct);
        using var client = await portal.LinkedAsync("northwind", Ct);
        portal.Databases["northwind"].Faults.Latency = TimeSpan.FromMilliseconds(300);
        portal.Databases["northwind"].Faults.Next(SimulatorFault.Latency, times: 7, when: r => r.Entity == "Companies");

        using var started = await PortalHost.PostFormAsync(client, "/northwind/inbound", "/northwind/inbound", [], Ct);
        var work = started.Headers.Location!.OriginalString;
        using var stream = await client.GetStreamAsync(work + "?handler=Events", Ct);
        using var reader = new StreamReader(stream);
        var events = new List<(string Name, System.Text.Json.JsonElement Data)>();
        string? name = null;
        while (await reader.ReadLineAsync(Ct) is { } line)
        {
            if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                name = line["event: ".Length..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                events.Add((name!, System.Text.Json.JsonDocument.Parse(line["data: ".Length..]).RootElement.Clone()));
            }
        }

        var progress = events.Where(e => e.Name == "progress").Select(e => e.Data.GetProperty("done").GetInt32()).ToList();
        Assert.True(progress.Count(d => d > 0 && d < 317) >= 3, $"Progress seen along the way: {string.Join(", ", progress)}");
        Assert.Equal(progress.Order(), progress);
        var done = Assert.Single(events, e => e.Name == "done");
        var result = done.Data.GetProperty("url").GetString()!;
        Assert.StartsWith("/northwind/inbound?work=", result, StringComparison.Ordinal);
        Assert.Contains("317 customers", await client.GetStringAsync(result, Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_input_on_the_forms_is_refused_in_words_and_changes_nothing()
    {
        await using var portal = await PortalHost.StartAsync(Ct);
        using var client = await portal.SignedInAsync("northwind", Ct);

        // Before linking, the pages say so instead of failing.
        Assert.Contains("id=\"not-linked\"", await client.GetStringAsync("/northwind/sync", Ct), StringComparison.Ordinal);
        using (var empty = await PortalHost.PostFormAsync(client, "/northwind/integration", "/northwind/integration?handler=Save", new() { ["UserName"] = " ", ["Secret"] = "", ["IntegrationCode"] = "" }, Ct))
        {
            var html = await empty.Content.ReadAsStringAsync(Ct);
            Assert.Contains("Enter the API user&#x27;s name", html, StringComparison.Ordinal);
            Assert.Contains("Enter the API user&#x27;s secret.", html, StringComparison.Ordinal);
            Assert.Contains("Enter the integration code", html, StringComparison.Ordinal);
        }

        Assert.Empty(portal.Databases["northwind"].Requests);
        await portal.LinkAsync(client, "northwind", portal.SecretOf("northwind"), Ct);
        var requests = portal.Databases["northwind"].Requests.Count;

        async Task<string> PostAsync(string page, string action, Dictionary<string, string> fields)
        {
            using var response = await PortalHost.PostFormAsync(client, page, action, fields, Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return await response.Content.ReadAsStringAsync(Ct);
        }

        Assert.Contains("is not one of your customers", await PostAsync("/northwind/customers", "/northwind/customers?handler=Map", new() { ["customer"] = "vc-9999", ["companyId"] = "1" }), StringComparison.Ordinal);
        Assert.Contains("is not one of your subscriptions", await PostAsync("/northwind/sync", "/northwind/sync?handler=Plan", new() { ["Quantities[sub-9999]"] = "3" }), StringComparison.Ordinal);
        Assert.Contains("is negative", await PostAsync("/northwind/sync", "/northwind/sync?handler=Plan", new() { ["Quantities[sub-5001]"] = "-3" }), StringComparison.Ordinal);
        Assert.Contains("whole number", await PostAsync("/northwind/sync", "/northwind/sync?handler=Plan", new() { ["Quantities[sub-5001]"] = "twelve" }), StringComparison.Ordinal);
        Assert.Contains("Choose one of your mapped customers.", await PostAsync("/northwind/test-ticket", "/northwind/test-ticket", new() { ["customer"] = "vc-1001" }), StringComparison.Ordinal);
        Assert.Contains("is not an alert severity", await PostAsync("/northwind/alerts", "/northwind/alerts", new() { ["Rows[0].Kind"] = "Catastrophe", ["Rows[0].Priority"] = "High", ["Rows[0].Queue"] = "Monitoring Alert" }), StringComparison.Ordinal);
        Assert.Contains("is not one of your offers", await PostAsync("/northwind/subscriptions", "/northwind/subscriptions?handler=MapOffer", new() { ["offer"] = "off-none", ["serviceId"] = "1" }), StringComparison.Ordinal);
        using (var unknownPlan = await PortalHost.PostFormAsync(client, "/northwind/sync", "/northwind/sync?handler=Apply", new() { ["plan"] = "no-such-plan" }, Ct))
        {
            Assert.Equal(HttpStatusCode.NotFound, unknownPlan.StatusCode);
        }

        var audit = await client.GetStringAsync("/northwind/audit?from=2026-13-01&status=Weird&operation=Drop%20Tables", Ct);
        Assert.Contains("From is not a date", audit, StringComparison.Ordinal);
        Assert.Contains("is not a status", audit, StringComparison.Ordinal);
        Assert.Contains("is not an audited operation", audit, StringComparison.Ordinal);
        Assert.Contains("The last day is before the first day.", await client.GetStringAsync("/northwind/audit?from=2026-11-02&to=2026-11-01", Ct), StringComparison.Ordinal);

        // Nothing was written: no mapping, no alert mapping, no ticket, no adjustment; the mapping rules were not even asked.
        var services = portal.App.Services;
        Assert.Empty(await services.GetRequiredService<IMappingStore>().ListCustomersAsync("northwind", Ct));
        Assert.Null(await services.GetRequiredService<Autotask.Integration.Alerts.IAlertTicketEngine>().GetMappingAsync("northwind", Ct));
        Assert.Empty(portal.Databases["northwind"].AppliedAdjustments);
        // Reads only (a query is a POST to .../query): nothing created, changed or deleted.
        Assert.DoesNotContain(portal.Databases["northwind"].Requests.Skip(requests),
            r => r.Method is "PUT" or "PATCH" or "DELETE" || (r.Method == "POST" && !r.Path.EndsWith("/query", StringComparison.OrdinalIgnoreCase)));
    }

    [Fact]
    public async Task Pointed_at_a_real_Autotask_by_configuration_alone_the_portal_starts_without_the_simulator()
    {
        await using var portal = await PortalHost.StartAsync(Ct, new Dictionary<string, string?> { ["Portal:UseSimulator"] = "false" });
        using var client = await portal.SignedInAsync("fabrikam", Ct);

        Assert.Null(portal.App.Services.GetService<SimulatedMsps>());
        Assert.Empty(await portal.App.Services.GetRequiredService<IAutotaskClientFactory>().ListConnectionsAsync(Ct));
        Assert.Contains("id=\"not-linked-yet\"", await client.GetStringAsync("/fabrikam/integration", Ct), StringComparison.Ordinal);
        // Missing fields are refused before anything is sent anywhere.
        using var empty = await PortalHost.PostFormAsync(client, "/fabrikam/integration", "/fabrikam/integration?handler=Test", new() { ["UserName"] = "", ["Secret"] = "", ["IntegrationCode"] = "" }, Ct);
        Assert.Contains("Enter the API user&#x27;s secret.", await empty.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_plan_applied_twice_from_the_page_writes_its_change_once()
    {
        await using var portal = await PortalHost.StartAsync(Ct);
        using var client = await portal.LinkedAsync("northwind", Ct);
        var database = portal.Databases["northwind"];
        var mapping = portal.App.Services.GetRequiredService<IMappingEngine>();
        var company = database.Data.All<Company>().Single(c => c.CompanyName == "Alpine Dental Care");
        var contract = database.Data.All<Contract>().Single(c => c.CompanyId == company.Id);
        await mapping.MapCustomerAsync("northwind", "vc-1001", company.Id, Ct);
        await mapping.MapOfferAsync("northwind", "off-m365", BillingTerm.Monthly, database.Data.All<Service>().Single(s => s.Name == "Microsoft 365 Business Premium").Id, Ct);
        var line = await mapping.MapSubscriptionAsync("northwind", new SubscriptionMappingRequest { VendorSubscriptionId = "sub-5001", VendorCustomerId = "vc-1001", VendorOfferId = "off-m365", ContractId = contract.Id }, Ct);

        using var planned = await PortalHost.PostFormAsync(client, "/northwind/sync", "/northwind/sync?handler=Plan", new() { ["Quantities[sub-5001]"] = "15", ["rule"] = "all" }, Ct);
        var plan = planned.Headers.Location!.OriginalString;
        Assert.StartsWith("/northwind/sync?plan=", plan, StringComparison.Ordinal);
        var planId = plan["/northwind/sync?plan=".Length..];

        // The same form sent twice at once (a double click, a resent page): both are taken, one write is made.
        var html = await client.GetStringAsync(plan, Ct);
        var token = System.Text.RegularExpressions.Regex.Match(html, "name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"").Groups[1].Value;
        var applies = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => client.PostAsync("/northwind/sync?handler=Apply", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = WebUtility.HtmlDecode(token), ["plan"] = planId, ["approve"] = "sub-5001",
        }), Ct)));
        foreach (var apply in applies)
        {
            Assert.Equal(HttpStatusCode.Redirect, apply.StatusCode);
            var next = apply.Headers.Location!.OriginalString;
            if (next.StartsWith("/northwind/work/", StringComparison.Ordinal))
            {
                await Support.Wait.UntilAsync(() => client.GetStringAsync(next, Ct).GetAwaiter().GetResult().Contains("id=\"work-result\"", StringComparison.Ordinal));
            }

            apply.Dispose();
        }

        Assert.Single(database.AppliedAdjustments);
        Assert.Equal(15, database.Data.UnitsOn(line.ContractServiceId, NodaTime.SystemClock.Instance.GetCurrentInstant().InUtc().Date));
        Assert.Contains("Applied", await client.GetStringAsync(plan, Ct), StringComparison.Ordinal);
        // And once it is applied, the page says so instead of starting it again.
        using var again = await PortalHost.PostFormAsync(client, plan, "/northwind/sync?handler=Apply", new() { ["plan"] = planId, ["approve"] = "sub-5001" }, Ct);
        Assert.Equal(plan, again.Headers.Location!.OriginalString);
        Assert.Single(database.AppliedAdjustments);
    }

    [Fact]
    public async Task Long_work_that_Autotask_refuses_ends_with_the_problem_in_an_administrators_words()
    {
        await using var portal = await PortalHost.StartAsync(Ct);
        using var client = await portal.LinkedAsync("northwind", Ct);
        portal.Databases["northwind"].DenyAccess("Companies", SimulatorAccess.Read);

        using var started = await PortalHost.PostFormAsync(client, "/northwind/inbound", "/northwind/inbound", [], Ct);
        var work = started.Headers.Location!.OriginalString;
        string page = "";
        await Support.Wait.UntilAsync(() => (page = client.GetStringAsync(work, Ct).GetAwaiter().GetResult()).Contains("id=\"work-result\"", StringComparison.Ordinal));
        var result = System.Text.RegularExpressions.Regex.Match(page, "href=\"([^\"]+)\" id=\"work-result\"").Groups[1].Value;
        using var shown = await client.GetAsync(WebUtility.HtmlDecode(result), Ct);
        var html = await shown.Content.ReadAsStringAsync(Ct);

        Assert.Equal(HttpStatusCode.OK, shown.StatusCode);
        Assert.Contains("id=\"problems\"", html, StringComparison.Ordinal);
        Assert.Contains("Companies", html, StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"preview\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_audit_log_page_shows_twenty_five_events_a_page_newest_first()
    {
        await using var portal = await PortalHost.StartAsync(Ct);
        using var client = await portal.SignedInAsync("northwind", Ct);
        var sink = portal.App.Services.GetRequiredService<IAuditSink>();
        var start = NodaTime.Instant.FromUtc(2026, 11, 2, 8, 0);
        for (var i = 0; i < 30; i++)
        {
            await sink.WriteAsync(new AuditEvent
            {
                EventId = $"e-{i:D2}", Operation = AuditOperations.UpdateSubscriptionQuantity, Connection = i == 29 ? "contoso" : "northwind", Status = AuditStatus.Succeeded,
                Details = $"Event {i:D2}.", StartedAt = start + NodaTime.Duration.FromMinutes(i), CompletedAt = start + NodaTime.Duration.FromMinutes(i),
            }, Ct);
        }

        var first = await client.GetStringAsync("/northwind/audit", Ct);
        var second = await client.GetStringAsync("/northwind/audit?pageNumber=2", Ct);

        Assert.Equal(Enumerable.Range(4, 25).Reverse().Select(i => $"Event {i:D2}."), Details(first));
        Assert.Contains("id=\"next\"", first, StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"previous\"", first, StringComparison.Ordinal);
        Assert.Equal(Enumerable.Range(0, 4).Reverse().Select(i => $"Event {i:D2}."), Details(second));
        Assert.DoesNotContain("id=\"next\"", second, StringComparison.Ordinal);
        Assert.Contains("id=\"previous\"", second, StringComparison.Ordinal);
        // contoso's event is never on northwind's page; a day filter of 2 November keeps all of northwind's.
        Assert.DoesNotContain("Event 29.", first + second, StringComparison.Ordinal);
        Assert.Equal(25, Details(await client.GetStringAsync("/northwind/audit?from=2026-11-02&to=2026-11-02", Ct)).Count);
        Assert.Empty(Details(await client.GetStringAsync("/northwind/audit?from=2026-11-03", Ct)));
    }

    private static List<string> Details(string html) =>
        [.. System.Text.RegularExpressions.Regex.Matches(html, "<td>(Event \\d\\d\\.)</td>").Select(m => m.Groups[1].Value)];
}
