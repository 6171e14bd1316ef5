using Autotask.Integration.Querying;
using Autotask.Integration.Tests.Support;

namespace Autotask.Integration.Tests.Catalogue;

/// <summary>The filters of an entity reached by name: a list with a hole in it is refused as the call is made, before anything is sent.</summary>
public sealed class EntitySetFilterTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_null_filter_is_refused_naming_the_parameter_before_anything_is_sent()
    {
        await using var sim = SimulatorHarness.Create();
        var companies = sim.Client.EntitySet("Companies");
        QueryFilter[] filters = [Filter.Field("isActive", FilterOperator.Eq, true), null!];

        var count = await Assert.ThrowsAsync<ArgumentException>(() => companies.CountAsync(filters, Ct));
        var query = Assert.Throws<ArgumentException>(() => companies.QueryAsync(filters, Ct));

        Assert.Equal("filters", count.ParamName);
        Assert.Equal("filters", query.ParamName);
        Assert.Empty(sim.Simulator.Requests);
    }
}
