using System.Text.Json.Serialization;
using Autotask.Integration.Entities;
using Autotask.Integration.Metadata;
using NodaTime;

namespace Autotask.Integration.Json;

/// <summary>
/// The one source-generated serialiser context of the SDK: every model and wire shape, camelCase names,
/// nulls left out of bodies, unknown properties ignored, NodaTime values in Autotask's formats, scalars read tolerantly.
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
[JsonSerializable(typeof(ItemResponse<Company>))]
[JsonSerializable(typeof(QueryResponse<Company>))]
[JsonSerializable(typeof(Contact))]
[JsonSerializable(typeof(ItemResponse<Contact>))]
[JsonSerializable(typeof(QueryResponse<Contact>))]
[JsonSerializable(typeof(Contract))]
[JsonSerializable(typeof(ItemResponse<Contract>))]
[JsonSerializable(typeof(QueryResponse<Contract>))]
[JsonSerializable(typeof(ContractService))]
[JsonSerializable(typeof(ItemResponse<ContractService>))]
[JsonSerializable(typeof(QueryResponse<ContractService>))]
[JsonSerializable(typeof(ContractServiceUnit))]
[JsonSerializable(typeof(ItemResponse<ContractServiceUnit>))]
[JsonSerializable(typeof(QueryResponse<ContractServiceUnit>))]
[JsonSerializable(typeof(ContractServiceAdjustment))]
[JsonSerializable(typeof(ItemResponse<ContractServiceAdjustment>))]
[JsonSerializable(typeof(QueryResponse<ContractServiceAdjustment>))]
[JsonSerializable(typeof(Service))]
[JsonSerializable(typeof(ItemResponse<Service>))]
[JsonSerializable(typeof(QueryResponse<Service>))]
[JsonSerializable(typeof(Ticket))]
[JsonSerializable(typeof(ItemResponse<Ticket>))]
[JsonSerializable(typeof(QueryResponse<Ticket>))]
[JsonSerializable(typeof(TicketNote))]
[JsonSerializable(typeof(ItemResponse<TicketNote>))]
[JsonSerializable(typeof(QueryResponse<TicketNote>))]
[JsonSerializable(typeof(Resource))]
[JsonSerializable(typeof(ItemResponse<Resource>))]
[JsonSerializable(typeof(QueryResponse<Resource>))]
[JsonSerializable(typeof(CountResponse))]
[JsonSerializable(typeof(ItemIdResponse))]
[JsonSerializable(typeof(ErrorResponse))]
[JsonSerializable(typeof(FieldsResponse))]
[JsonSerializable(typeof(EntityInformationResponse))]
[JsonSerializable(typeof(ZoneInformationResponse))]
[JsonSerializable(typeof(ThresholdInformation))]
[JsonSerializable(typeof(IReadOnlyList<UserDefinedField>))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(int))]
[JsonSerializable(typeof(long))]
[JsonSerializable(typeof(WatermarkState))]
[JsonSerializable(typeof(Connections.BindingState))]
[JsonSerializable(typeof(Alerts.StoredAlertMapping))]
[JsonSerializable(typeof(bool))]
[JsonSerializable(typeof(decimal))]
[JsonSerializable(typeof(double))]
[JsonSerializable(typeof(Instant))]
[JsonSerializable(typeof(LocalDate))]
internal sealed partial class AutotaskJsonContext : JsonSerializerContext
{
}
