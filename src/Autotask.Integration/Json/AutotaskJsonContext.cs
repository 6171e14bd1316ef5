using System.Text.Json.Serialization;
using Autotask.Integration.Entities;
using Autotask.Integration.Metadata;
using NodaTime;

namespace Autotask.Integration.Json;

/// <summary>
/// The source-generated serialiser context of the SDK's wire shapes and values; the entity models are in the
/// generated <see cref="AutotaskEntityJsonContext"/>, with the same options: camelCase names, nulls left out of
/// bodies, unknown properties ignored, NodaTime values in Autotask's formats, scalars read tolerantly.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    PropertyNameCaseInsensitive = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    NumberHandling = JsonNumberHandling.AllowReadingFromString,
    Converters = [typeof(InstantConverter), typeof(LocalDateConverter), typeof(TolerantInstantConverter), typeof(TolerantLocalDateConverter), typeof(TolerantStringConverter),
        typeof(TolerantNumberConverter<int>), typeof(TolerantNumberConverter<long>), typeof(TolerantNumberConverter<decimal>), typeof(TolerantBooleanConverter),
        typeof(PicklistValueConverter<CompanyType>), typeof(PicklistValueConverter<ContractType>), typeof(PicklistValueConverter<ContractStatus>),
        typeof(PicklistValueConverter<TicketPriority>), typeof(PicklistValueConverter<TicketStatus>)])]
[JsonSerializable(typeof(System.Text.Json.Nodes.JsonObject))]
[JsonSerializable(typeof(QueryResponse<System.Text.Json.Nodes.JsonObject>))]
[JsonSerializable(typeof(PageDetails))]
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
[JsonSerializable(typeof(Sync.QuantityPlan))]
[JsonSerializable(typeof(List<Jobs.JobRun>))]
[JsonSerializable(typeof(Jobs.JobLease))]
[JsonSerializable(typeof(Jobs.UsageState))]
[JsonSerializable(typeof(decimal))]
[JsonSerializable(typeof(double))]
[JsonSerializable(typeof(Instant))]
[JsonSerializable(typeof(LocalDate))]
internal sealed partial class AutotaskJsonContext : JsonSerializerContext
{
}
