using Autotask.Integration.Portal;

// The reference vendor portal. On the embedded simulator unless Portal:UseSimulator is false (then the partners link
// a real Autotask). Listens on http://127.0.0.1:5180 unless --urls says otherwise.
var app = await PortalApp.BuildAsync(args);
await app.RunAsync();
