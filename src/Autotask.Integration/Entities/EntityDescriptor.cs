using System.Text.Json.Serialization.Metadata;
using Autotask.Integration.Json;

namespace Autotask.Integration.Entities;

/// <summary>Where an entity that Autotask keeps under a parent is created and updated: <c>{ParentPath}/{parentId}/{ChildSegment}</c>.</summary>
internal sealed record ParentRoute(string ParentPath, string ChildSegment, string ParentIdField);

/// <summary>What the client knows of one entity model: its URL, what it can do, its serialiser metadata and field names.</summary>
internal sealed class EntityDescriptor<T> where T : AutotaskEntity
{
    public static readonly EntityDescriptor<T> Instance = Create();

    private EntityDescriptor(
        string path,
        JsonTypeInfo<T> typeInfo,
        JsonTypeInfo<QueryResponse<T>> pageTypeInfo,
        JsonTypeInfo<ItemResponse<T>> itemTypeInfo,
        ParentRoute? parent,
        Func<T, long?>? parentId,
        bool canQuery = true,
        bool canCreate = true,
        bool canUpdate = true)
    {
        Path = path;
        TypeInfo = typeInfo;
        PageTypeInfo = pageTypeInfo;
        ItemTypeInfo = itemTypeInfo;
        Parent = parent;
        ParentId = parentId;
        CanQuery = canQuery;
        CanCreate = canCreate;
        CanUpdate = canUpdate;
        FieldNames = new HashSet<string>(typeInfo.Properties.Select(p => p.Name), StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>The entity's URL segment, such as <c>Companies</c>.</summary>
    public string Path { get; }

    public JsonTypeInfo<T> TypeInfo { get; }

    public JsonTypeInfo<QueryResponse<T>> PageTypeInfo { get; }

    public JsonTypeInfo<ItemResponse<T>> ItemTypeInfo { get; }

    public ParentRoute? Parent { get; }

    public Func<T, long?>? ParentId { get; }

    public bool CanQuery { get; }

    public bool CanCreate { get; }

    public bool CanUpdate { get; }

    /// <summary>The wire names of the model's properties.</summary>
    public IReadOnlySet<string> FieldNames { get; }

    private static EntityDescriptor<T> Create()
    {
        var c = AutotaskJsonContext.Default;
        object descriptor = typeof(T).Name switch
        {
            nameof(Company) => new EntityDescriptor<Company>("Companies", c.Company, c.QueryResponseCompany, c.ItemResponseCompany, null, null),
            nameof(Contact) => new EntityDescriptor<Contact>("Contacts", c.Contact, c.QueryResponseContact, c.ItemResponseContact,
                new ParentRoute("Companies", "Contacts", "companyID"), x => x.CompanyId),
            nameof(Contract) => new EntityDescriptor<Contract>("Contracts", c.Contract, c.QueryResponseContract, c.ItemResponseContract, null, null),
            nameof(ContractService) => new EntityDescriptor<ContractService>("ContractServices", c.ContractService, c.QueryResponseContractService, c.ItemResponseContractService,
                new ParentRoute("Contracts", "Services", "contractID"), x => x.ContractId),
            nameof(ContractServiceUnit) => new EntityDescriptor<ContractServiceUnit>("ContractServiceUnits", c.ContractServiceUnit, c.QueryResponseContractServiceUnit, c.ItemResponseContractServiceUnit,
                null, null, canCreate: false, canUpdate: false),
            nameof(ContractServiceAdjustment) => new EntityDescriptor<ContractServiceAdjustment>("ContractServiceAdjustments", c.ContractServiceAdjustment, c.QueryResponseContractServiceAdjustment, c.ItemResponseContractServiceAdjustment,
                new ParentRoute("Contracts", "ServiceAdjustments", "contractID"), x => x.ContractId, canQuery: false, canUpdate: false),
            nameof(Service) => new EntityDescriptor<Service>("Services", c.Service, c.QueryResponseService, c.ItemResponseService, null, null),
            nameof(Ticket) => new EntityDescriptor<Ticket>("Tickets", c.Ticket, c.QueryResponseTicket, c.ItemResponseTicket, null, null),
            nameof(TicketNote) => new EntityDescriptor<TicketNote>("TicketNotes", c.TicketNote, c.QueryResponseTicketNote, c.ItemResponseTicketNote,
                new ParentRoute("Tickets", "Notes", "ticketID"), x => x.TicketId),
            nameof(Resource) => new EntityDescriptor<Resource>("Resources", c.Resource, c.QueryResponseResource, c.ItemResponseResource, null, null, canCreate: false),
            _ => throw new NotSupportedException($"{typeof(T).Name} is not an Autotask entity this SDK models."),
        };

        if (descriptor is not EntityDescriptor<T> typed)
        {
            throw new NotSupportedException($"{typeof(T).FullName} is not an Autotask entity this SDK models.");
        }

        return typed;
    }
}
