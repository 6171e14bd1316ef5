using System.Text.RegularExpressions;
using Autotask.Integration.Entities;
using Autotask.Integration.Portal;
using Autotask.Integration.Testing;
using NodaTime;
using OpenQA.Selenium;

namespace Autotask.Integration.Tests.Portal;

/// <summary>
/// The reference portal in a real browser (headless Chromium): one partner's whole journey from linking its Autotask to
/// the audit log, checked against the partner's simulated Autotask database; and another partner kept out of its pages.
/// Each page's screenshot is written (to docs/portal/ with AUTOTASK_UPDATE_SCREENSHOTS=1).
/// </summary>
public sealed partial class PortalBrowserTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_partner_links_maps_syncs_sends_a_test_ticket_and_sees_every_step_in_the_audit_log()
    {
        await using var portal = await PortalHost.StartAsync(Ct);
        using var browser = Chromium.Start(portal.Address, "journey");
        var database = portal.Databases["northwind"];
        var secret = portal.SecretOf("northwind");
        const string wrongSecret = "northwind-secret-mistyped-0001";

        await browser.StepAsync("sign-in", () =>
        {
            browser.Open("/signin");
            browser.Choose("partner", Chromium.PartnerLabel("northwind"));
            browser.Type("password", "not-the-password");
            browser.Load(() => browser.Find("password").Submit());
            Assert.Contains("The partner or the password is wrong.", browser.WaitFor("problems").Text, StringComparison.Ordinal);
            browser.Screenshot("01-sign-in");
            browser.SignIn("northwind");
            Assert.EndsWith("/northwind/integration", browser.Driver.Url, StringComparison.Ordinal);
            return Task.CompletedTask;
        });

        await browser.StepAsync("link-wrong-secret", () =>
        {
            browser.Type("UserName", portal.UserOf("northwind"));
            browser.Type("Secret", wrongSecret);
            browser.Type("IntegrationCode", SimulatedMsps.IntegrationCode);
            browser.Submit("test-and-save");
            var problems = browser.WaitFor("problems").Text;
            Assert.Contains("secret", problems, StringComparison.OrdinalIgnoreCase);
            Assert.True(browser.Exists("not-linked-yet"), "Nothing was saved.");
            Assert.DoesNotContain(wrongSecret, browser.Driver.PageSource, StringComparison.Ordinal);
            browser.Screenshot("02-integration-wrong-secret");
            return Task.CompletedTask;
        });

        await browser.StepAsync("link", () =>
        {
            browser.Type("Secret", secret);
            browser.Submit("test-and-save");
            Assert.Contains("Saved: your Autotask is linked", browser.WaitFor("message").Text, StringComparison.Ordinal);
            Assert.Equal(portal.UserOf("northwind"), browser.Find("linked-user").Text);
            Assert.Equal("1001", browser.Find("database").Text);
            Assert.DoesNotContain(secret, browser.Driver.PageSource, StringComparison.Ordinal);
            Assert.Equal("", browser.Find("Secret").GetAttribute("value"));
            browser.Screenshot("03-integration-linked");
            return Task.CompletedTask;
        });

        await browser.StepAsync("alert-mapping", () =>
        {
            browser.Open("/northwind/alerts");
            // The choices are the partner's own picklists.
            Assert.Equal(["Monitoring Alert", "Level I Support", "Level II Support", "Post Sale"], browser.Options("queue-Error"));
            Assert.Equal(["Critical", "High", "Medium", "Low"], browser.Options("priority-Error"));
            // A label the partner's Autotask does not have (a tampered form) is refused, and nothing is saved.
            browser.Driver.ExecuteScript("const s = document.getElementById('queue-Error'); s.add(new Option('No Such Queue', 'No Such Queue')); s.value = 'No Such Queue';");
            browser.Submit("save-mapping");
            Assert.Contains("'No Such Queue'", browser.WaitFor("problems").Text, StringComparison.Ordinal);
            browser.Open("/northwind/alerts");
            browser.Choose("priority-Error", "High");
            browser.Choose("queue-Error", "Monitoring Alert");
            browser.Choose("issuetype-Error", "Backup");
            browser.Submit("save-mapping");
            Assert.Equal("Saved the alert mapping.", browser.WaitFor("message").Text);
            Assert.Equal("High", browser.Find("priority-Error").GetAttribute("value"));
            browser.Screenshot("04-alert-mapping");
            return Task.CompletedTask;
        });

        await browser.StepAsync("customer-mapping", () =>
        {
            browser.Open("/northwind/customers");
            browser.Submit("find-vc-1001");
            browser.Type("q", "alp");
            browser.Submit("search-button");
            // 14 active Customer companies start with "Alp" (a prospect and an inactive one do not count): 10, then 4, sorted.
            var first = Names(browser);
            Assert.Equal(10, first.Count);
            Assert.Equal(first.Order(StringComparer.CurrentCultureIgnoreCase), first);
            browser.Screenshot("05-customer-search");
            browser.Submit("next");
            var second = Names(browser);
            Assert.Equal(4, second.Count);
            Assert.False(browser.Exists("next"));
            Assert.DoesNotContain("Alpine Prospects Ltd", first.Concat(second));
            Assert.DoesNotContain("Alpine Closed Inc", first.Concat(second));
            Assert.True(StringComparer.CurrentCultureIgnoreCase.Compare(first[^1], second[0]) < 0);

            Map(browser, "vc-1001", "Alpine Dental", "Alpine Dental Care");
            Assert.Contains("Mapped vc-1001 to Alpine Dental Care", browser.WaitFor("message").Text, StringComparison.Ordinal);
            Map(browser, "vc-1002", "Alpine Legal", "Alpine Legal LLP");
            Assert.Contains("Mapped vc-1002 to Alpine Legal LLP", browser.WaitFor("message").Text, StringComparison.Ordinal);
            // Map once: a company already mapped to another customer is refused.
            Map(browser, "vc-1003", "Alpine Dental", "Alpine Dental Care");
            Assert.Contains("mapped", browser.WaitFor("problems").Text, StringComparison.OrdinalIgnoreCase);
            browser.Open("/northwind/customers");
            Assert.Contains("not mapped", browser.Find("customer-vc-1003").Text, StringComparison.Ordinal);
            browser.Screenshot("06-customers");
            return Task.CompletedTask;
        });

        await browser.StepAsync("offers-and-subscriptions", () =>
        {
            browser.Open("/northwind/subscriptions");
            browser.Choose("service-for-off-m365", "Microsoft 365 Business Premium");
            browser.Submit("map-offer-off-m365");
            Assert.Contains("Mapped offer off-m365", browser.WaitFor("message").Text, StringComparison.Ordinal);
            // An annual offer on a monthly service is refused in the administrator's words.
            browser.Choose("service-for-off-edr", "Managed firewall");
            browser.Submit("map-offer-off-edr");
            Assert.NotEmpty(browser.WaitFor("problems").Text);
            browser.Open("/northwind/subscriptions");
            browser.Choose("service-for-off-backup", "Cloud Backup storage (GB)");
            browser.Submit("map-offer-off-backup");
            browser.WaitFor("message");
            foreach (var subscription in new[] { "sub-5001", "sub-5002", "sub-5003" })
            {
                browser.Submit("map-subscription-" + subscription);
                Assert.Contains($"Mapped subscription {subscription}", browser.WaitFor("message").Text, StringComparison.Ordinal);
            }

            Assert.Contains("Map customer vc-1003 first", browser.Find("subscription-sub-5004").Text, StringComparison.Ordinal);
            // An offer its subscriptions still use cannot be unmapped.
            browser.Submit("unmap-offer-off-m365");
            Assert.Contains("still has 2 mapped subscription(s)", browser.WaitFor("problems").Text, StringComparison.Ordinal);
            Assert.Contains("Microsoft 365 Business Premium", browser.Find("offer-off-m365").Text, StringComparison.Ordinal);
            browser.Screenshot("07-offers-and-subscriptions");
            return Task.CompletedTask;
        });

        var lines = Lines(database);
        await browser.StepAsync("quantity-sync", () =>
        {
            browser.Open("/northwind/sync");
            browser.Type("quantity-sub-5001", "15");
            browser.Type("quantity-sub-5002", "240");
            browser.Choose("rule", "changes of up to 5 units");
            browser.Submit("make-plan");
            browser.WaitFor("plan");
            // The dry run wrote nothing; the diff shows Autotask's units and the vendor's.
            Assert.Empty(database.AppliedAdjustments);
            Assert.Contains("10 15 +5 Approved", browser.Find("plan-sub-5001").Text, StringComparison.Ordinal);
            Assert.Contains("200 240 +40 Held", browser.Find("plan-sub-5002").Text, StringComparison.Ordinal);
            Assert.False(browser.Exists("plan-sub-5003"), "sub-5003 bills what Autotask bills.");
            Assert.True(browser.Find("approve-sub-5001").Selected);
            Assert.False(browser.Find("approve-sub-5002").Selected);
            browser.Screenshot("08-sync-plan");
            browser.Submit("apply");
            browser.WaitFor("result", 60);
            Assert.Contains("Applied", browser.Find("result-sub-5001").Text, StringComparison.Ordinal);
            Assert.Contains("NotApproved", browser.Find("result-sub-5002").Text, StringComparison.Ordinal);
            browser.Screenshot("09-sync-applied");
            return Task.CompletedTask;
        });
        var today = SystemClock.Instance.GetCurrentInstant().InUtc().Date;
        Assert.Equal(15, database.Data.UnitsOn(lines["Microsoft 365 Business Premium"], today));
        Assert.Equal(200, database.Data.UnitsOn(lines["Cloud Backup storage (GB)"], today));
        Assert.Single(database.AppliedAdjustments);

        string? ticketNumber = null;
        await browser.StepAsync("test-ticket", () =>
        {
            browser.Open("/northwind/test-ticket");
            browser.Choose("customer", "Alpine Dental Care (vc-1001)");
            browser.Submit("send-test-ticket");
            ticketNumber = browser.WaitFor("ticket-number").Text;
            Assert.Matches(TicketNumber(), ticketNumber);
            browser.Screenshot("10-test-ticket");
            return Task.CompletedTask;
        });
        var ticket = Assert.Single(database.Data.All<Ticket>(), t => t.TicketNumber == ticketNumber);
        Assert.Equal(database.Data.All<Company>().Single(c => c.CompanyName == "Alpine Dental Care").Id, ticket.CompanyId);

        await browser.StepAsync("inbound-preview", () =>
        {
            // Slow pages, so the progress has something to show while the full read runs.
            database.Faults.Next(SimulatorFault.Latency, times: 7, when: r => r.Entity == "Companies");
            browser.Open("/northwind/inbound");
            browser.Submit("read");
            browser.WaitFor("work-progress");
            browser.WaitUntil(() => browser.Find("work-text").Text.StartsWith("Read ", StringComparison.Ordinal) || browser.Exists("preview"));
            if (!browser.Exists("preview"))
            {
                browser.Screenshot("11-progress");
            }

            var heading = browser.WaitFor("preview", 60).FindElement(By.TagName("h2")).Text;
            Assert.Equal("317 customers, 3 active contracts", heading);
            browser.Screenshot("12-inbound-preview");
            return Task.CompletedTask;
        });

        await browser.StepAsync("audit-log", () =>
        {
            browser.Open("/northwind/audit");
            var operations = browser.Driver.FindElements(By.CssSelector("#audit td.operation")).Select(e => e.Text).ToHashSet();
            Assert.Superset(new HashSet<string>
            {
                "Create Connector Connection", "Update Alert Mapping", "Create Connection Customer Mapping", "Create Offer Mapping",
                "Create Subscription Mapping", "Update Subscription Quantity", "Send Test Ticket",
            }, operations);
            browser.Screenshot("13-audit-log");
            browser.Choose("operation", "Create Connection Customer Mapping");
            browser.Choose("status", "Failed");
            browser.Submit("filter");
            browser.WaitUntil(() => browser.Driver.Url.Contains("status=Failed", StringComparison.Ordinal));
            var failed = browser.Driver.FindElements(By.CssSelector("#audit tbody tr"));
            Assert.Single(failed);
            Assert.Contains("vc-1003", failed[0].Text, StringComparison.Ordinal);
            browser.Screenshot("14-audit-log-filtered");
            return Task.CompletedTask;
        });

        // Nothing the partner typed as a secret is in any log record of the portal, at any level.
        Assert.DoesNotContain(portal.Logs.GetSnapshot(), r => r.Message.Contains(secret, StringComparison.Ordinal) || r.Message.Contains(wrongSecret, StringComparison.Ordinal)
            || (r.Exception?.ToString().Contains(secret, StringComparison.Ordinal) ?? false));
    }

    [Fact]
    public async Task Another_partner_cannot_open_a_partners_pages_by_URL()
    {
        await using var portal = await PortalHost.StartAsync(Ct);
        (await portal.LinkedAsync("northwind", Ct)).Dispose();

        using var browser = Chromium.Start(portal.Address, "isolation");
        await browser.StepAsync("contoso", () =>
        {
            browser.SignIn("contoso");
            foreach (var page in new[] { "integration", "alerts", "customers", "subscriptions", "sync", "inbound", "audit", "test-ticket" })
            {
                browser.Open($"/northwind/{page}");
                Assert.Equal("403", browser.WaitFor("status").GetAttribute("data-status"));
                Assert.DoesNotContain(portal.UserOf("northwind"), browser.Driver.PageSource, StringComparison.Ordinal);
            }

            browser.Screenshot("15-another-partners-page");
            // Its own pages are its own: not linked.
            browser.Open("/contoso/integration");
            Assert.True(browser.Exists("not-linked-yet"));
            return Task.CompletedTask;
        });
    }

    private static List<string> Names(Chromium browser)
    {
        browser.WaitFor("results");
        return [.. browser.Driver.FindElements(By.CssSelector("#results tbody tr td:first-child")).Select(e => e.Text)];
    }

    private static void Map(Chromium browser, string customer, string prefix, string company)
    {
        browser.Open($"/northwind/customers?customer={customer}&q={Uri.EscapeDataString(prefix)}");
        var row = browser.WaitFor("results").FindElements(By.CssSelector("tbody tr")).First(r => r.FindElement(By.TagName("td")).Text == company);
        browser.Load(() => row.FindElement(By.TagName("button")).Click());
    }

    private static Dictionary<string, long> Lines(AutotaskSimulator database)
    {
        var dental = database.Data.All<Company>().Single(c => c.CompanyName == "Alpine Dental Care").Id;
        var contract = database.Data.All<Contract>().Single(c => c.CompanyId == dental).Id;
        var services = database.Data.All<Service>().ToDictionary(s => s.Id, s => s.Name!);
        return database.Data.All<ContractService>().Where(l => l.ContractId == contract).ToDictionary(l => services[l.ServiceId], l => l.Id);
    }

    [GeneratedRegex(@"^T\d{8}\.\d{4}$")]
    private static partial Regex TicketNumber();
}
