using Autotask.Integration.Tests.Support;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;

namespace Autotask.Integration.Tests.Portal;

/// <summary>
/// Headless Chromium driven through ChromeDriver (Debian's chromium and chromium-driver, installed by eng/chromium.sh
/// where missing), with the helpers the portal's browser tests share: waits, screenshots, and a screenshot and the
/// page's HTML kept whenever a step fails.
/// </summary>
internal sealed class Chromium : IDisposable
{
    private static readonly Lazy<(string Browser, string Driver)> Paths = new(FindOrInstall);
    private readonly string _test;

    private Chromium(ChromeDriver driver, Uri portal, string test)
    {
        Driver = driver;
        Portal = portal;
        _test = test;
    }

    public ChromeDriver Driver { get; }

    public Uri Portal { get; }

    /// <summary>Where the screenshots of each page go: docs/portal/ when AUTOTASK_UPDATE_SCREENSHOTS=1 (to commit them), else TestResults/portal/.</summary>
    public static string ScreenshotDirectory => Environment.GetEnvironmentVariable("AUTOTASK_UPDATE_SCREENSHOTS") == "1"
        ? Path.Combine(Repository.Root, "docs", "portal")
        : Path.Combine(Repository.Root, "TestResults", "portal");

    public static Chromium Start(Uri portal, string test)
    {
        var (browser, driver) = Paths.Value;
        var options = new ChromeOptions { BinaryLocation = browser };
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,1000", "--lang=en-GB", "--no-first-run");
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(driver)!, Path.GetFileName(driver));
        service.SuppressInitialDiagnosticInformation = true;
        service.HideCommandPromptWindow = true;
        return new Chromium(new ChromeDriver(service, options, TimeSpan.FromSeconds(60)), portal, test);
    }

    /// <summary>Runs a step of the test; when it fails, keeps a screenshot and the page's HTML under TestResults/portal-failures/ and says where.</summary>
    public async Task StepAsync(string step, Func<Task> body)
    {
        try
        {
            await body();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            var directory = Path.Combine(Repository.Root, "TestResults", "portal-failures");
            Directory.CreateDirectory(directory);
            var name = Path.Combine(directory, $"{_test}-{step}");
            try
            {
                Driver.GetScreenshot().SaveAsFile(name + ".png");
                await File.WriteAllTextAsync(name + ".html", Driver.PageSource);
            }
            catch (WebDriverException)
            {
                // The browser itself failed; the original error says more.
            }

            throw new InvalidOperationException($"Step '{step}' failed at {Driver.Url}; screenshot and HTML in {name}.png/.html: {ex.Message}", ex);
        }
    }

    public void Open(string path) => Driver.Navigate().GoToUrl(new Uri(Portal, path));

    public IWebElement Find(string id) => Driver.FindElement(By.Id(id));

    public bool Exists(string id) => Driver.FindElements(By.Id(id)).Count > 0;

    public void Type(string id, string text)
    {
        var element = Find(id);
        element.Clear();
        element.SendKeys(text);
    }

    public void Click(string id) => Find(id).Click();

    /// <summary>Clicks a button or link that loads a page, and waits until the new page has replaced the old one.</summary>
    public void Submit(string id) => Load(() => Find(id).Click());

    /// <summary>Does something that loads a page, and waits until the new page has replaced the old one (so no element of the old page is read).</summary>
    public void Load(Action action)
    {
        // A mark on the old page's window: a new page has a window without it.
        Driver.ExecuteScript("window.portalTestOldPage = true;");
        action();
        WaitUntil(() =>
        {
            try
            {
                return Driver.ExecuteScript("return window.portalTestOldPage === undefined && document.readyState === 'complete';") is true;
            }
            catch (WebDriverException)
            {
                // Between two pages there is no document to ask.
                return false;
            }
        });
    }

    /// <summary>Chooses an option of a select by its visible text.</summary>
    public void Choose(string selectId, string text) =>
        Find(selectId).FindElements(By.TagName("option")).First(o => o.Text == text).Click();

    public IReadOnlyList<string> Options(string selectId) => [.. Find(selectId).FindElements(By.TagName("option")).Select(o => o.Text)];

    /// <summary>Waits for an element to be on the page (pages load after a click).</summary>
    public IWebElement WaitFor(string id, int seconds = 30) =>
        new WebDriverWait(Driver, TimeSpan.FromSeconds(seconds)).Until(d => d.FindElements(By.Id(id)).FirstOrDefault());

    public void WaitUntil(Func<bool> condition, int seconds = 30) =>
        new WebDriverWait(Driver, TimeSpan.FromSeconds(seconds)).Until(_ => condition());

    /// <summary>Takes a screenshot of the page as it is, for docs/portal/.</summary>
    public void Screenshot(string name)
    {
        Directory.CreateDirectory(ScreenshotDirectory);
        Driver.GetScreenshot().SaveAsFile(Path.Combine(ScreenshotDirectory, name + ".png"));
    }

    public void SignIn(string partner)
    {
        Open("/signin");
        Choose("partner", PartnerLabel(partner));
        Type("password", partner + "-portal");
        Load(() => Find("password").Submit());
        WaitFor("signed-in-as");
    }

    public static string PartnerLabel(string partner) => partner switch
    {
        "northwind" => "Northwind Managed IT (northwind)",
        "contoso" => "Contoso IT Services (contoso)",
        _ => "Fabrikam Networks (fabrikam)",
    };

    public void Dispose()
    {
        Driver.Quit();
        Driver.Dispose();
    }

    private static (string Browser, string Driver) FindOrInstall()
    {
        if (Which("chromium") is not { } browser || Which("chromedriver") is not { } driver)
        {
            var result = Support.ServerScripts.RunAsync(Repository.Root, "chromium.sh").GetAwaiter().GetResult();
            browser = Which("chromium");
            driver = Which("chromedriver");
            if (result.Code != 0 || browser is null || driver is null)
            {
                throw new InvalidOperationException("Headless Chromium is needed for the portal's browser tests; eng/chromium.sh could not install it: " + result.Everything);
            }
        }

        return (browser, driver);
    }

    private static string? Which(string command) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, command)).FirstOrDefault(File.Exists);
}
