namespace Autotask.Integration.Portal;

/// <summary>The portal's settings (configuration section <c>Portal</c>).</summary>
public sealed class PortalOptions
{
    /// <summary>
    /// Plays every partner's Autotask with an embedded simulator on a loopback port (the default). Set to <c>false</c>
    /// and the partners link their real Autotask; the SDK's options come from the <c>Autotask</c> section.
    /// </summary>
    public bool UseSimulator { get; set; } = true;

    /// <summary>The SQLite file for connections, mappings and the audit trail. Default: <c>portal.db</c> under the user's local application data.</summary>
    public string? StorePath { get; set; }

    /// <summary>
    /// The vendor's partners who may sign in, by id. A stand-in for the vendor's own identity provider: replace the
    /// sign-in page with it, and keep the partner claim that every page is scoped by.
    /// </summary>
    public Dictionary<string, PortalPartner> Partners { get; } = new(StringComparer.OrdinalIgnoreCase);
}

/// <summary>One of the vendor's partners (an MSP).</summary>
public sealed class PortalPartner
{
    /// <summary>The name the portal shows.</summary>
    public string Name { get; set; } = "";

    /// <summary>The sign-in password of the demonstration; a real portal signs partners in with its identity provider.</summary>
    public string Password { get; set; } = "";

    /// <summary>The simulated Autotask database's id, when on the simulator.</summary>
    public long DatabaseId { get; set; }
}
