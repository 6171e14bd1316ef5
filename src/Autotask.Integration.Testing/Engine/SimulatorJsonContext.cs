using System.Text.Json.Serialization;
using Autotask.Integration.Entities;
using Autotask.Integration.Metadata;
using Autotask.Integration.Testing.Json;

namespace Autotask.Integration.Testing.Engine;

/// <summary>
/// The simulator's own serialiser context: Autotask's wire format for the public models, with the converters the
/// client uses compiled in from shared source. The simulator depends on the SDK's public surface only, so the two
/// packages need not ship in lock-step.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    PropertyNameCaseInsensitive = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    NumberHandling = JsonNumberHandling.AllowReadingFromString,
    Converters = [typeof(InstantConverter), typeof(LocalDateConverter), typeof(TolerantStringConverter),
        typeof(TolerantNumberConverter<int>), typeof(TolerantNumberConverter<long>), typeof(TolerantNumberConverter<decimal>), typeof(TolerantBooleanConverter),
        typeof(PicklistValueConverter<CompanyType>), typeof(PicklistValueConverter<ContractType>), typeof(PicklistValueConverter<ContractStatus>),
        typeof(PicklistValueConverter<TicketPriority>), typeof(PicklistValueConverter<TicketStatus>)])]
[JsonSerializable(typeof(Company))]
[JsonSerializable(typeof(Contact))]
[JsonSerializable(typeof(Contract))]
[JsonSerializable(typeof(ContractService))]
[JsonSerializable(typeof(ContractServiceUnit))]
[JsonSerializable(typeof(ContractServiceAdjustment))]
[JsonSerializable(typeof(Service))]
[JsonSerializable(typeof(Ticket))]
[JsonSerializable(typeof(TicketNote))]
[JsonSerializable(typeof(Resource))]
[JsonSerializable(typeof(PicklistValue))]
internal sealed partial class SimulatorJsonContext : JsonSerializerContext;
