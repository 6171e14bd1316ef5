using System.Globalization;
using System.Text.Json;
using Autotask.Integration.Entities;
using NodaTime;

namespace Autotask.Integration.Testing.Engine;

/// <summary>The validation rules and server-set fields of each entity, as the simulated Autotask applies them.</summary>
internal static class EntityRules
{
    public static IReadOnlySet<string> Required(string path) => path switch
    {
        "Companies" => new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "companyName", "companyType" },
        "Contacts" => new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "companyID", "firstName", "lastName" },
        "Contracts" => new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "companyID", "contractName", "contractType", "startDate", "endDate" },
        "ContractServices" => new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "contractID", "serviceID" },
        "ContractServiceAdjustments" => new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "contractID", "effectiveDate", "unitChange" },
        "Services" => new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "name", "periodType", "unitPrice" },
        "Tickets" => new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "companyID", "title", "status", "priority" },
        "TicketNotes" => new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "ticketID", "description", "noteType", "publish" },
        _ => new HashSet<string>(),
    };

    /// <summary>Units are whole numbers: a fractional or textual unitChange is refused before it is read.</summary>
    public static void RequireWholeUnits(byte[] body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.Name.Equals("unitChange", StringComparison.OrdinalIgnoreCase) &&
                    (property.Value.ValueKind != JsonValueKind.Number || !property.Value.TryGetInt32(out _)))
                {
                    throw SimulatorException.Invalid("unitChange must be a whole number of units.");
                }
            }
        }
        catch (JsonException)
        {
            throw SimulatorException.Invalid("The body is not valid JSON.");
        }
    }

    public static AutotaskEntity PrepareCreate(AutotaskEntity entity, long? parentId, SimulatorData data, Instant now, ref int ticketSequence)
    {
        switch (entity)
        {
            case Company company:
                Require(company.CompanyName, "companyName", "Companies");
                RequirePicklist(data, "Companies", "companyType", company.CompanyType);
                return company with { IsActive = company.IsActive ?? true, CreateDate = now, LastActivityDate = now, LastTrackedModifiedDateTime = now };

            case Contact contact:
                var companyId = Parent(parentId, contact.CompanyId, "companyID");
                RequireExists<Company>(data, companyId, "companyID");
                Require(contact.FirstName, "firstName", "Contacts");
                Require(contact.LastName, "lastName", "Contacts");
                return contact with { CompanyId = companyId, IsActive = contact.IsActive ?? true, CreateDate = now, LastModifiedDate = now };

            case Contract contract:
                RequireExists<Company>(data, contract.CompanyId, "companyID");
                Require(contract.ContractName, "contractName", "Contracts");
                RequirePicklist(data, "Contracts", "contractType", contract.ContractType);
                ValidateContractDates(contract);
                RequirePicklist(data, "Contracts", "status", (ContractStatus?)(contract.Status ?? ContractStatus.Active));
                return contract with { Status = contract.Status ?? ContractStatus.Active, LastModifiedDateTime = now };

            case ContractService line:
                var contractId = Parent(parentId, line.ContractId, "contractID");
                RequireExists<Contract>(data, contractId, "contractID");
                var service = data.Get<Service>(line.ServiceId) ?? throw SimulatorException.Invalid($"Value {line.ServiceId} does not exist for the serviceID field.");
                if (data.All<ContractService>().Any(s => s.ContractId == contractId && s.ServiceId == line.ServiceId))
                {
                    throw SimulatorException.Invalid($"The service {line.ServiceId} is already on contract {contractId}.");
                }

                return line with { ContractId = contractId, UnitPrice = line.UnitPrice ?? service.UnitPrice, UnitCost = line.UnitCost ?? service.UnitCost };

            case ContractServiceAdjustment adjustment:
                return PrepareAdjustment(adjustment, parentId, data);

            case Service catalogue:
                Require(catalogue.Name, "name", "Services");
                RequirePicklist(data, "Services", "periodType", catalogue.PeriodType);
                if (catalogue.UnitPrice is null)
                {
                    throw SimulatorException.Invalid("A value is required for the unitPrice field.");
                }

                return catalogue with { IsActive = catalogue.IsActive ?? true, CreateDate = now, LastModifiedDate = now };

            case Ticket ticket:
                ValidateTicket(ticket, data);
                var number = Interlocked.Increment(ref ticketSequence);
                return ticket with
                {
                    TicketNumber = string.Create(CultureInfo.InvariantCulture, $"T{now.InUtc().Date:yyyyMMdd}.{number:0000}"),
                    CreateDate = now,
                    LastActivityDate = now,
                };

            case TicketNote note:
                var ticketId = Parent(parentId, note.TicketId, "ticketID");
                RequireExists<Ticket>(data, ticketId, "ticketID");
                Require(note.Description, "description", "TicketNotes");
                RequirePicklist(data, "TicketNotes", "noteType", note.NoteType);
                RequirePicklist(data, "TicketNotes", "publish", note.Publish);
                return note with { TicketId = ticketId, CreateDateTime = now, LastActivityDate = now };

            default:
                throw SimulatorException.Invalid($"{entity.GetType().Name} cannot be created.");
        }
    }

    /// <summary>The id of the parent a modelled child is kept under, or <c>null</c> for an entity without one.</summary>
    public static long? ParentIdOf(AutotaskEntity entity) => entity switch
    {
        Contact contact => contact.CompanyId,
        ContractService line => line.ContractId,
        TicketNote note => note.TicketId,
        ContractServiceAdjustment adjustment => adjustment.ContractId,
        _ => null,
    };

    public static AutotaskEntity PrepareUpdate(AutotaskEntity updated, AutotaskEntity existing, long? parentId, SimulatorData data, Instant now)
    {
        switch (updated)
        {
            case Company company:
                Require(company.CompanyName, "companyName", "Companies");
                RequirePicklist(data, "Companies", "companyType", company.CompanyType);
                return company with { LastActivityDate = now, LastTrackedModifiedDateTime = now };
            case Contact contact:
                if (parentId is { } companyId && contact.CompanyId != companyId)
                {
                    throw SimulatorException.Invalid($"Contact {contact.Id} does not belong to company {companyId}.");
                }

                return contact with { LastModifiedDate = now };
            case Contract contract:
                RequirePicklist(data, "Contracts", "contractType", contract.ContractType);
                RequirePicklist(data, "Contracts", "status", contract.Status);
                ValidateContractDates(contract);
                return contract with { LastModifiedDateTime = now };
            case ContractService line:
                if (parentId is { } contractId && line.ContractId != contractId)
                {
                    throw SimulatorException.Invalid($"Contract service {line.Id} is not on contract {contractId}.");
                }

                if (line.ServiceId != ((ContractService)existing).ServiceId)
                {
                    throw SimulatorException.Invalid("The serviceID of a contract service cannot change.");
                }

                return line;
            case Service service:
                RequirePicklist(data, "Services", "periodType", service.PeriodType);
                return service with { LastModifiedDate = now };
            case Ticket ticket:
                ValidateTicket(ticket, data);
                return ticket with { LastActivityDate = now, CompletedDate = ticket.Status == 5 ? now : null };
            case TicketNote note:
                if (parentId is { } ticketId && note.TicketId != ticketId)
                {
                    throw SimulatorException.Invalid($"Note {note.Id} is not on ticket {ticketId}.");
                }

                return note with { LastActivityDate = now };
            default:
                return updated;
        }
    }

    private static ContractServiceAdjustment PrepareAdjustment(ContractServiceAdjustment adjustment, long? parentId, SimulatorData data)
    {
        var contractId = Parent(parentId, adjustment.ContractId, "contractID");
        var contract = data.Get<Contract>(contractId) ?? throw SimulatorException.Invalid($"Value {contractId} does not exist for the contractID field.");
        if (contract.ContractType != ContractType.RecurringService)
        {
            throw SimulatorException.Invalid("Service adjustments can be made only on Recurring Service contracts.");
        }

        if (adjustment.EffectiveDate == default)
        {
            throw SimulatorException.Invalid("A value is required for the effectiveDate field.");
        }

        if (contract.StartDate is { } start && adjustment.EffectiveDate < start || contract.EndDate is { } end && adjustment.EffectiveDate > end)
        {
            throw SimulatorException.Invalid($"The effective date {adjustment.EffectiveDate:uuuu-MM-dd} is outside the contract's dates.");
        }

        ContractService? line;
        if (adjustment.ContractServiceId is { } lineId)
        {
            line = data.Get<ContractService>(lineId);
            if (line is null || line.ContractId != contractId)
            {
                throw SimulatorException.Invalid($"Contract service {lineId} is not on contract {contractId}.");
            }
        }
        else if (adjustment.ServiceId is { } serviceId)
        {
            var service = data.Get<Service>(serviceId) ?? throw SimulatorException.Invalid($"Value {serviceId} does not exist for the serviceID field.");
            // As Autotask does: adjusting a service the contract does not have adds it.
            line = data.All<ContractService>().FirstOrDefault(s => s.ContractId == contractId && s.ServiceId == serviceId)
                   ?? data.Add(new ContractService { ContractId = contractId, ServiceId = serviceId, UnitPrice = service.UnitPrice, UnitCost = service.UnitCost, InvoiceDescription = service.Name });
        }
        else
        {
            throw SimulatorException.Invalid("A value is required for the contractServiceID or serviceID field.");
        }

        if (adjustment.UnitChange == 0)
        {
            throw SimulatorException.Invalid("unitChange must not be zero.");
        }

        // Units may never fall below zero on any day from the effective date on.
        var changes = data.AdjustmentsOf(line.Id).Append(adjustment with { ContractServiceId = line.Id }).ToArray();
        foreach (var day in changes.Select(a => a.EffectiveDate).Where(d => d >= adjustment.EffectiveDate).Distinct())
        {
            if (changes.Where(a => a.EffectiveDate <= day).Sum(a => a.UnitChange) < 0)
            {
                throw SimulatorException.Invalid($"The adjustment would leave contract service {line.Id} with fewer than zero units.");
            }
        }

        return adjustment with { ContractId = contractId, ContractServiceId = line.Id, ServiceId = line.ServiceId };
    }

    private static void ValidateTicket(Ticket ticket, SimulatorData data)
    {
        RequireExists<Company>(data, ticket.CompanyId, "companyID");
        Require(ticket.Title, "title", "Tickets");
        if (ticket.Title!.Length > 255)
        {
            throw SimulatorException.Invalid("The title is longer than 255 characters.");
        }

        RequirePicklist(data, "Tickets", "status", ticket.Status);
        RequirePicklist(data, "Tickets", "priority", ticket.Priority);
        OptionalPicklist(data, "Tickets", "queueID", ticket.QueueId);
        OptionalPicklist(data, "Tickets", "source", ticket.Source);
        OptionalPicklist(data, "Tickets", "ticketType", ticket.TicketType);
        OptionalPicklist(data, "Tickets", "issueType", ticket.IssueType);
        if (ticket.ContractId is { } contractId)
        {
            RequireExists<Contract>(data, contractId, "contractID");
        }
    }

    private static void ValidateContractDates(Contract contract)
    {
        if (contract.StartDate is null || contract.EndDate is null)
        {
            throw SimulatorException.Invalid("A value is required for the startDate and endDate fields.");
        }

        if (contract.EndDate < contract.StartDate)
        {
            throw SimulatorException.Invalid("The contract's end date is before its start date.");
        }
    }

    private static long Parent(long? fromRoute, long? fromBody, string field)
    {
        if (fromRoute is { } route)
        {
            if (fromBody is > 0 && fromBody != route)
            {
                throw SimulatorException.Invalid($"The {field} in the body ({fromBody}) differs from the one in the URL ({route}).");
            }

            return route;
        }

        return fromBody is > 0 ? fromBody.Value : throw SimulatorException.Invalid($"A value is required for the {field} field.");
    }

    private static void Require(string? value, string field, string entity)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw SimulatorException.Invalid($"A value is required for the {field} field of {entity}.");
        }
    }

    private static void RequireExists<T>(SimulatorData data, long? id, string field) where T : AutotaskEntity
    {
        if (id is not > 0 || data.Get<T>(id.Value) is null)
        {
            throw SimulatorException.Invalid($"Value {id} does not exist for the {field} field.");
        }
    }

    private static void RequirePicklist<TValue>(SimulatorData data, string entity, string field, TValue? value)
        where TValue : struct, IPicklistValue =>
        RequirePicklist(data, entity, field, value?.Value);

    private static void RequirePicklist(SimulatorData data, string entity, string field, int? value)
    {
        if (value is null)
        {
            throw SimulatorException.Invalid($"A value is required for the {field} field of {entity}.");
        }

        OptionalPicklist(data, entity, field, value);
    }

    private static void OptionalPicklist(SimulatorData data, string entity, string field, int? value)
    {
        if (value is { } v && !data.IsPicklistValue(entity, field, v))
        {
            throw SimulatorException.Invalid($"Value {v} is not a valid picklist value for the {field} field of {entity}.");
        }
    }
}
