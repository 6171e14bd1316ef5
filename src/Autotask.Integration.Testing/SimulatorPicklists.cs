using Autotask.Integration.Metadata;

namespace Autotask.Integration.Testing;

/// <summary>The picklists of a fresh simulated instance, modelled on a default Autotask instance.</summary>
internal static class SimulatorPicklists
{
    public static void AddDefaults(SimulatorData data)
    {
        Add(data, "Companies", "companyType", (1, "Customer"), (2, "Lead"), (3, "Prospect"), (4, "Dead"), (6, "Cancellation"), (7, "Vendor"), (8, "Partner"));
        Add(data, "Contracts", "contractType", (1, "Time and Materials"), (3, "Fixed Price"), (4, "Block Hours"), (6, "Retainer"), (7, "Recurring Service"), (8, "Per Ticket"));
        Add(data, "Contracts", "status", (0, "Inactive"), (1, "Active"));
        Add(data, "Services", "periodType", (1, "Monthly"), (2, "Quarterly"), (3, "Semi-Annual"), (4, "Yearly"));
        Add(data, "Tickets", "priority", (4, "Critical"), (1, "High"), (2, "Medium"), (3, "Low"));
        Add(data, "Tickets", "status", (1, "New"), (8, "In Progress"), (7, "Waiting Customer"), (5, "Complete"));
        Add(data, "Tickets", "queueID", (29683481, "Monitoring Alert"), (29683482, "Level I Support"), (29683483, "Level II Support"), (8, "Post Sale"));
        Add(data, "Tickets", "source", (2, "Phone"), (4, "Email"), (8, "Monitoring Alert"), (11, "Web Portal"));
        Add(data, "Tickets", "ticketType", (1, "Service Request"), (2, "Incident"), (3, "Problem"), (5, "Alert"));
        Add(data, "Tickets", "issueType", (10, "Backup"), (11, "Licensing"), (12, "Hardware"));
        Add(data, "TicketNotes", "noteType", (1, "Task Summary"), (2, "Task Notes"), (3, "Task Detail"));
        Add(data, "TicketNotes", "publish", (1, "All Autotask Users"), (2, "Internal Project Team"), (3, "Internal Users Only"));
        data.AddUserDefinedField("Companies", "Customer Code");

        // A webhook subscribes to fields by id: the fieldID picklist of {Kind}WebhookFields lists the entity's fields.
        foreach (var (webhookFields, entity) in new[]
        {
            ("CompanyWebhookFields", "Companies"), ("ContactWebhookFields", "Contacts"),
            ("ConfigurationItemWebhookFields", "ConfigurationItems"), ("TicketWebhookFields", "Tickets"),
        })
        {
            if (Engine.SimulatorCatalog.ByName.TryGetValue(entity, out var catalogued))
            {
                Add(data, webhookFields, "fieldID", [.. catalogued.Fields.Keys.Where(f => f != "id").Order(StringComparer.Ordinal).Select((f, i) => (i + 1, f))]);
            }
        }
    }

    private static void Add(SimulatorData data, string entity, string field, params (int Value, string Label)[] values)
    {
        var order = 0;
        foreach (var (value, label) in values)
        {
            data.SetPicklistValue(entity, field, new PicklistValue
            {
                Value = value.ToString(System.Globalization.CultureInfo.InvariantCulture),
                Label = label,
                SortOrder = order++,
                IsActive = true,
                IsSystem = true,
                IsDefaultValue = order == 1,
            });
        }
    }
}
