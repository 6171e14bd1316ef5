using System.Text.Json;
using Autotask.Integration.Entities;
using Autotask.Integration.Json;
using Autotask.Integration.Testing;
using Autotask.Integration.Testing.Engine;
using NodaTime;

namespace Autotask.Integration.Tests.Simulator;

/// <summary>
/// The simulator has its own serialiser context (it depends on the SDK's public surface only), declared with the same
/// options and converters as the client's. This checks that the two write every entity alike, so they cannot drift.
/// </summary>
public sealed class WireFormatAgreementTests
{
    private static void SameJson<T>(IEnumerable<T> entities) where T : AutotaskEntity
    {
        var count = 0;
        foreach (var entity in entities)
        {
            var client = JsonSerializer.Serialize(entity, AutotaskEntityJsonContext.Default.GetTypeInfo(typeof(T))!);
            var simulator = JsonSerializer.Serialize(entity, SimulatorJsonContext.Default.GetTypeInfo(typeof(T))!);
            Assert.Equal(client, simulator);
            count++;
        }

        Assert.True(count > 0, $"no {typeof(T).Name} to compare");
    }

    [Fact]
    public async Task The_client_and_the_simulator_write_every_entity_alike()
    {
        await using var simulator = AutotaskSimulator.Create(seed: 42);
        var data = simulator.Data;
        var at = Instant.FromUtc(2026, 11, 30, 8, 15, 30) + Duration.FromTicks(1234);

        SameJson(data.All<Company>());
        SameJson(data.All<Contact>().Append(new Contact { Id = 9, CompanyId = 1, IsActive = false, FirstName = "Pat" }));
        SameJson(data.All<Contract>());
        SameJson(data.All<ContractService>());
        SameJson(data.All<Service>());
        SameJson(data.All<Resource>());
        SameJson([new Ticket { Id = 5, CompanyId = 1, Title = "t", Status = TicketStatus.Complete, Priority = 42, DueDateTime = at }]);
        SameJson([new TicketNote { Id = 6, TicketId = 5, Title = "n", Description = "d" }]);
        SameJson([new ContractServiceAdjustment { ContractId = 1, ContractServiceId = 2, UnitChange = -3, EffectiveDate = new LocalDate(2026, 12, 1) }]);
        SameJson([new ContractServiceUnit { Id = 7, ContractId = 1, ContractServiceId = 2, Units = 17, StartDate = new LocalDate(2026, 12, 1), EndDate = new LocalDate(2026, 12, 31) }]);
    }
}
