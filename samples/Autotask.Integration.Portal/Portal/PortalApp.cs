using System.Security.Claims;
using Autotask.Integration.Sqlite;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.Extensions.FileProviders;
using NodaTime;

namespace Autotask.Integration.Portal;

/// <summary>Builds the portal: the SDK registered once, partners signed in by cookie, every partner page scoped to its partner.</summary>
public static class PortalApp
{
    /// <summary>The claim that names the signed-in partner; every page under <c>/{partner}/</c> must match it.</summary>
    public const string PartnerClaim = "partner";

    /// <summary>The Content-Security-Policy of every response: nothing inline, nothing from elsewhere.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

    /// <summary>Builds the portal (not started).</summary>
    /// <param name="args">The command line.</param>
    /// <param name="configure">Changes the builder before it is built (tests set the port, store and logging here).</param>
    /// <param name="cancellationToken">Cancels the start of the simulated databases.</param>
    public static async Task<WebApplication> BuildAsync(string[] args, Action<WebApplicationBuilder>? configure = null, CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            // The pages are compiled into this assembly, whichever process hosts it.
            ApplicationName = typeof(PortalApp).Assembly.GetName().Name,
        });
        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]))
        {
            builder.WebHost.UseUrls("http://127.0.0.1:5180");
        }

        // The framework's own request logs at Information are noise for a portal; the SDK's and the portal's stay.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        configure?.Invoke(builder);
        var options = new PortalOptions();
        builder.Configuration.GetSection("Portal").Bind(options);
        if (options.Partners.Count == 0)
        {
            options.Partners["northwind"] = new PortalPartner { Name = "Northwind Managed IT", Password = "northwind-portal", DatabaseId = 1001 };
            options.Partners["contoso"] = new PortalPartner { Name = "Contoso IT Services", Password = "contoso-portal", DatabaseId = 1002 };
            options.Partners["fabrikam"] = new PortalPartner { Name = "Fabrikam Networks", Password = "fabrikam-portal", DatabaseId = 1003 };
        }

        var storePath = options.StorePath ?? DefaultStorePath();
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton<VendorCatalogue>();
        builder.Services.AddSingleton<PlanDrafts>();
        builder.Services.AddSingleton<PortalWork>();
        builder.Services.AddSingleton<IClock>(SystemClock.Instance);

        builder.Services.AddDataProtection()
            .SetApplicationName("Autotask.Integration.Portal")
            .PersistKeysToFileSystem(new DirectoryInfo(storePath + ".keys"));
        SimulatedMsps? simulated = null;
        AutotaskIntegrationBuilder autotask;
        if (options.UseSimulator)
        {
            var today = SystemClock.Instance.GetCurrentInstant().InUtc().Date;
            simulated = await SimulatedMsps.StartAsync(options.Partners, today, cancellationToken).ConfigureAwait(false);
            builder.Services.AddSingleton(simulated);
            autotask = builder.Services.AddAutotaskIntegration(simulated.ConfigureZones);
        }
        else
        {
            autotask = builder.Services.AddAutotaskIntegration(builder.Configuration.GetSection("Autotask"));
        }

        // Connections (secrets encrypted with the Data Protection keys), mappings and the audit trail in one SQLite
        // file; each partner saves its own alert mapping from the portal.
        autotask.UseSqliteStore(storePath).AddAlertTickets(_ => { });

        builder.Services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme).AddCookie(o =>
        {
            o.Cookie.Name = "portal.auth";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.LoginPath = "/signin";
            o.ExpireTimeSpan = TimeSpan.FromHours(8);
            // Another partner's page is a plain 403, not a redirect that hides it.
            o.Events.OnRedirectToAccessDenied = context =>
            {
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                return Task.CompletedTask;
            };
        });
        builder.Services.AddAuthorization();
        builder.Services.AddAntiforgery(o =>
        {
            o.Cookie.Name = "portal.antiforgery";
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.HttpOnly = true;
            o.HeaderName = null;
        });
        builder.Services.AddRazorPages(o =>
        {
            o.Conventions.AuthorizeFolder("/Partner");
            o.Conventions.ConfigureFilter(new PartnerScopeFilter());
        });

        var app = builder.Build();
        if (simulated is not null)
        {
            app.Lifetime.ApplicationStopped.Register(() => simulated.DisposeAsync().AsTask().GetAwaiter().GetResult());
        }

        app.Use(async (context, next) =>
        {
            var headers = context.Response.Headers;
            headers.ContentSecurityPolicy = ContentSecurityPolicy;
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            headers["Referrer-Policy"] = "no-referrer";
            headers.CacheControl = "no-store";
            await next(context);
        });
        app.UseStatusCodePagesWithReExecute("/status/{0}");
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = new EmbeddedFileProvider(typeof(PortalApp).Assembly, typeof(PortalApp).Assembly.GetName().Name + ".Assets"),
            RequestPath = "/assets",
        });
        app.UseRouting();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapRazorPages();
        return app;
    }

    /// <summary>The signed-in partner's id, or <c>null</c>.</summary>
    /// <param name="user">The user.</param>
    public static string? PartnerOf(ClaimsPrincipal user) => user?.FindFirst(PartnerClaim)?.Value;

    private static string DefaultStorePath()
    {
        var root = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create);
        var directory = Path.Combine(string.IsNullOrEmpty(root) ? Path.GetTempPath() : root, "Autotask.Integration.Portal");
        Directory.CreateDirectory(directory);
        return Path.Combine(directory, "portal.db");
    }

    /// <summary>
    /// Partner isolation: a page under <c>/{partner}/</c> runs only for the partner signed in as that partner. Everything
    /// a page reads or writes goes through the route's partner, so this one check keeps partners apart.
    /// </summary>
    private sealed class PartnerScopeFilter : IAsyncPageFilter
    {
        public Task OnPageHandlerSelectionAsync(PageHandlerSelectedContext context) => Task.CompletedTask;

        public async Task OnPageHandlerExecutionAsync(PageHandlerExecutingContext context, PageHandlerExecutionDelegate next)
        {
            if (context.RouteData.Values.TryGetValue("partner", out var routed) && routed is string partner
                && !string.Equals(partner, PartnerOf(context.HttpContext.User), StringComparison.OrdinalIgnoreCase))
            {
                context.Result = new ForbidResult();
                return;
            }

            await next();
        }
    }
}
