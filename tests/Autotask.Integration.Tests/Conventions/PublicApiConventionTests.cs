using System.Reflection;
using System.Runtime.CompilerServices;
using System.Xml.Linq;
using Autotask.Integration.Entities;
using Autotask.Integration.Json;
using Autotask.Integration.Sqlite;
using Autotask.Integration.PostgreSql;
using Autotask.Integration.Testing;

namespace Autotask.Integration.Tests.Conventions;

/// <summary>
/// Rules every exported type keeps, checked by reflection over the shipped assemblies, so that a new type cannot
/// quietly break them: one error root, cancellable async methods, immutable models, documented members, namespaces
/// a vendor opts into, and entity capabilities that are compile-time facts the client agrees with.
/// </summary>
public sealed class PublicApiConventionTests
{
    private static readonly Assembly[] Shipped =
    [
        typeof(IAutotaskClient).Assembly,          // Autotask.Integration.Abstractions
        typeof(AutotaskIntegrationOptions).Assembly, // Autotask.Integration
        typeof(SqliteMappingStore).Assembly,
        typeof(PostgreSqlMappingStore).Assembly,
        typeof(AutotaskSimulator).Assembly,
    ];

    private static IEnumerable<Type> Exported => Shipped.SelectMany(a => a.GetExportedTypes());

    private static IEnumerable<Type> Entities =>
        typeof(AutotaskEntity).Assembly.GetExportedTypes().Where(t => t.IsSubclassOf(typeof(AutotaskEntity)) && !t.IsAbstract);

    [Fact]
    public void Every_exception_the_sdk_defines_derives_from_the_one_root()
    {
        var exceptions = Exported.Where(t => typeof(Exception).IsAssignableFrom(t)).ToList();

        Assert.True(exceptions.Count >= 10, $"only {exceptions.Count} exception types found");
        Assert.All(exceptions, t => Assert.True(typeof(AutotaskException).IsAssignableFrom(t), $"{t.FullName} does not derive from AutotaskException"));
    }

    [Fact]
    public void Every_public_async_method_takes_a_cancellation_token_last()
    {
        var offenders = new List<string>();
        foreach (var type in Exported)
        {
            foreach (var method in type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            {
                if (method.IsSpecialName || !IsAsync(method.ReturnType) || IsInfrastructure(type, method))
                {
                    continue;
                }

                var parameters = method.GetParameters();
                if (parameters.Length == 0 || parameters[^1].ParameterType != typeof(CancellationToken))
                {
                    offenders.Add($"{type.FullName}.{method.Name}");
                }
            }
        }

        Assert.Empty(offenders);
    }

    [Fact]
    public void Models_are_immutable_records()
    {
        var models = Exported.Where(t => t.GetMethod("<Clone>$") is not null).ToList();
        Assert.Contains(typeof(Company), models);

        var mutable = models
            .SelectMany(t => t.GetProperties(BindingFlags.Public | BindingFlags.Instance).Select(p => (Type: t, Property: p)))
            .Where(x => x.Property.SetMethod is { IsPublic: true } setter &&
                        !setter.ReturnParameter.GetRequiredCustomModifiers().Contains(typeof(IsExternalInit)))
            .Select(x => $"{x.Type.FullName}.{x.Property.Name}")
            .ToList();

        Assert.Empty(mutable);
    }

    [Fact]
    public void Every_public_type_and_member_is_documented()
    {
        var missing = new List<string>();
        foreach (var assembly in Shipped)
        {
            var xml = Path.ChangeExtension(assembly.Location, ".xml");
            Assert.True(File.Exists(xml), $"{xml} is missing: documentation must be generated");
            var documented = XDocument.Load(xml).Descendants("member").Select(m => (string)m.Attribute("name")!).ToHashSet(StringComparer.Ordinal);

            foreach (var type in assembly.GetExportedTypes())
            {
                var typeId = type.FullName!.Replace('+', '.');
                if (!documented.Contains("T:" + typeId))
                {
                    missing.Add("T:" + typeId);
                }

                foreach (var member in type.GetMembers(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
                {
                    var prefix = member switch
                    {
                        PropertyInfo => "P:",
                        MethodInfo { IsSpecialName: false } method when !IsCompilerGenerated(type, method) => "M:",
                        FieldInfo { IsSpecialName: false } => "F:",
                        EventInfo => "E:",
                        _ => null,
                    };
                    if (prefix is null)
                    {
                        continue;
                    }

                    var id = prefix + typeId + "." + member.Name;
                    var found = prefix == "M:"
                        ? documented.Any(d => d.StartsWith(id + "(", StringComparison.Ordinal) || d == id || d.StartsWith(id + "``", StringComparison.Ordinal))
                        : documented.Contains(id) || documented.Any(d => d.StartsWith(id + "(", StringComparison.Ordinal));
                    if (!found && !IsInheritedContract(type, member))
                    {
                        missing.Add(id);
                    }
                }
            }
        }

        Assert.Empty(missing);
    }

    [Fact]
    public void The_root_namespace_holds_the_client_options_di_and_errors_only()
    {
        Assert.DoesNotContain(Exported, t => t.Namespace?.StartsWith("Microsoft", StringComparison.Ordinal) == true);

        var root = Exported.Where(t => t.Namespace == "Autotask.Integration").ToList();
        var unexpected = root.Where(t => !(
            t.Name.StartsWith("IAutotaskClient", StringComparison.Ordinal) ||
            t.Name.EndsWith("Options", StringComparison.Ordinal) ||
            t.Name.EndsWith("Exception", StringComparison.Ordinal) ||
            t.Name.EndsWith("Extensions", StringComparison.Ordinal) ||
            // AutotaskConnectionIds: the rule of the ids the options, the client factory and every store take.
            t.Name is "IAutotaskEntitySet" or "AutotaskFieldProblem" or "AutotaskConnectionIds" or "AutotaskIntegrationBuilder" or "AutotaskErrorDetails" or "AutotaskQueryMethod" or "AutotaskTelemetry" or "StandaloneAutotaskClient"))
            .Select(t => t.FullName).ToList();
        Assert.Empty(unexpected);

        // The names that collide with a vendor's own types are not in the root.
        Assert.All(new[] { typeof(Company), typeof(Contract), typeof(Service), typeof(Ticket), typeof(Resource), typeof(Autotask.Integration.Alerts.Alert) },
            t => Assert.NotEqual("Autotask.Integration", t.Namespace));
    }

    [Fact]
    public void Entity_capabilities_are_compile_time_facts_the_client_agrees_with()
    {
        // One model per entity of the catalogue that has one (zone, threshold and entity information are not entities),
        // with the configuration item and ticket webhooks the published description predates.
        var entities = Entities.ToList();
        Assert.Equal(EntityCatalog.All.Count, entities.Count);
        Assert.Equal(167, entities.Count);

        foreach (var entity in entities)
        {
            var catalogued = EntityCatalog.ByType[entity];
            Assert.True(catalogued.Operations.HasFlag(EntityOperations.Query) == typeof(IQueryableEntity).IsAssignableFrom(entity), $"{entity.Name}: query");
            Assert.True(catalogued.Allows(EntityOperations.Create) == typeof(ICreatableEntity).IsAssignableFrom(entity), $"{entity.Name}: create");
            Assert.True(catalogued.Allows(EntityOperations.Update) == typeof(IUpdatableEntity).IsAssignableFrom(entity), $"{entity.Name}: update");
            Assert.True(catalogued.Allows(EntityOperations.Replace) == typeof(IReplaceableEntity).IsAssignableFrom(entity), $"{entity.Name}: replace");
            Assert.True(catalogued.Allows(EntityOperations.Delete) == typeof(IDeletableEntity).IsAssignableFrom(entity), $"{entity.Name}: delete");
            Assert.NotNull(AutotaskEntityJsonContext.Default.GetTypeInfo(entity));
        }

        // Outside the SDK no type can derive from the entity base: it has no constructor a derived type could call.
        var constructors = typeof(AutotaskEntity).GetConstructors(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic);
        Assert.All(constructors.Where(c => c.GetParameters().Length == 0), c => Assert.True(c.IsFamilyAndAssembly, "the parameterless constructor must be private protected"));
    }

    [Fact]
    public void No_package_uses_another_packages_internals()
    {
        // A package that reads another's internals must ship in lock-step with it, or vendors get MissingMethodException.
        var shippedNames = Shipped.Select(a => a.GetName().Name!).ToHashSet(StringComparer.Ordinal);
        var grants = Shipped
            .SelectMany(a => a.GetCustomAttributes<InternalsVisibleToAttribute>().Select(g => (From: a.GetName().Name, To: g.AssemblyName.Split(',')[0])))
            .Where(g => shippedNames.Contains(g.To))
            .Select(g => $"{g.From} -> {g.To}")
            .ToList();

        Assert.Empty(grants);
    }

    private static bool IsAsync(Type type) =>
        type == typeof(Task) || type == typeof(ValueTask) ||
        (type.IsGenericType && type.GetGenericTypeDefinition() is var d &&
         (d == typeof(Task<>) || d == typeof(ValueTask<>) || d == typeof(IAsyncEnumerable<>)));

    // DisposeAsync and the hosted-service and stream overrides have signatures fixed by .NET.
    private static bool IsInfrastructure(Type type, MethodInfo method) =>
        method.Name is "DisposeAsync" or "StartAsync" && method.GetParameters().Length == 0 ||
        method.GetBaseDefinition().DeclaringType != method.DeclaringType;

    private static bool IsCompilerGenerated(Type type, MethodInfo method) =>
        method.Name.Contains('<', StringComparison.Ordinal) || method.GetCustomAttribute<CompilerGeneratedAttribute>() is not null ||
        (type.GetMethod("<Clone>$") is not null && method.Name is "Equals" or "GetHashCode" or "ToString" or "PrintMembers" or "Deconstruct") ||
        (type.IsEnum && method.DeclaringType == type);

    // Overrides and interface implementations take their documentation from what they implement (inheritdoc).
    private static bool IsInheritedContract(Type type, MemberInfo member) =>
        member is MethodInfo method && method.GetBaseDefinition().DeclaringType != type ||
        type.GetInterfaces().Any(i => i.GetMember(member.Name).Length > 0);
}
