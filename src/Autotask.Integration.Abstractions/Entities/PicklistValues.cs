using System.Globalization;

namespace Autotask.Integration.Entities;

/// <summary>
/// A picklist value type: a numeric picklist id with the well-known values of a default Autotask instance as static
/// members. Any id converts to it, so the values an MSP added to its own instance work as well.
/// </summary>
public interface IPicklistValue
{
    /// <summary>The numeric picklist id, as Autotask sends it.</summary>
    int Value { get; }
}

/// <summary>A picklist value type that can be created from its id; the serialiser and filters use it.</summary>
/// <typeparam name="TSelf">The value type itself.</typeparam>
public interface IPicklistValue<TSelf> : IPicklistValue, IEquatable<TSelf>
    where TSelf : struct, IPicklistValue<TSelf>
{
    /// <summary>Creates the value of the given id.</summary>
    /// <param name="value">The numeric picklist id.</param>
    static abstract TSelf FromValue(int value);
}

/// <summary>
/// A company type (<c>Companies.companyType</c>): the id of a value of the instance's picklist. The static members are the values of a default instance;
/// an instance may rename, deactivate or add values, so resolve labels through <c>GetPicklistAsync</c> when in doubt.
/// </summary>
/// <param name="value">The numeric picklist id.</param>
public readonly struct CompanyType(int value) : IPicklistValue<CompanyType>
{
    /// <summary>Customer: the only type a vendor customer may be mapped to. (<c>1</c> in a default instance.)</summary>
    public static CompanyType Customer { get; } = new(1);

    /// <summary>Lead. (<c>2</c> in a default instance.)</summary>
    public static CompanyType Lead { get; } = new(2);

    /// <summary>Prospect. (<c>3</c> in a default instance.)</summary>
    public static CompanyType Prospect { get; } = new(3);

    /// <summary>Dead. (<c>4</c> in a default instance.)</summary>
    public static CompanyType Dead { get; } = new(4);

    /// <summary>Cancellation. (<c>6</c> in a default instance.)</summary>
    public static CompanyType Cancellation { get; } = new(6);

    /// <summary>Vendor. (<c>7</c> in a default instance.)</summary>
    public static CompanyType Vendor { get; } = new(7);

    /// <summary>Partner. (<c>8</c> in a default instance.)</summary>
    public static CompanyType Partner { get; } = new(8);

    /// <inheritdoc />
    public int Value { get; } = value;

    /// <summary>Converts an id to the value.</summary>
    /// <param name="value">The numeric picklist id.</param>
    public static implicit operator CompanyType(int value) => new(value);

    /// <summary>Converts the value to its id.</summary>
    /// <param name="value">The value.</param>
    public static explicit operator int(CompanyType value) => value.Value;

    /// <summary>Compares two values by id.</summary>
    /// <param name="left">A value.</param>
    /// <param name="right">Another value.</param>
    public static bool operator ==(CompanyType left, CompanyType right) => left.Value == right.Value;

    /// <summary>Compares two values by id.</summary>
    /// <param name="left">A value.</param>
    /// <param name="right">Another value.</param>
    public static bool operator !=(CompanyType left, CompanyType right) => left.Value != right.Value;

    /// <summary>Creates the value of the given id (the named alternative to the conversion from <see cref="int"/>).</summary>
    /// <param name="value">The numeric picklist id.</param>
    public static CompanyType FromValue(int value) => new(value);

    /// <summary>Converts the value to its id (the named alternative to the conversion to <see cref="int"/>).</summary>
    public int ToInt32() => Value;

    /// <inheritdoc />
    public bool Equals(CompanyType other) => Value == other.Value;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is CompanyType other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => Value;

    /// <summary>The id, as Autotask sends it (the label is the instance's: read it from the picklist).</summary>
    public override string ToString() => Value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>
/// A contract type (<c>Contracts.contractType</c>): the id of a value of the instance's picklist. The static members are the values of a default instance;
/// an instance may rename, deactivate or add values, so resolve labels through <c>GetPicklistAsync</c> when in doubt.
/// </summary>
/// <param name="value">The numeric picklist id.</param>
public readonly struct ContractType(int value) : IPicklistValue<ContractType>
{
    /// <summary>Time and materials. (<c>1</c> in a default instance.)</summary>
    public static ContractType TimeAndMaterials { get; } = new(1);

    /// <summary>Fixed price. (<c>3</c> in a default instance.)</summary>
    public static ContractType FixedPrice { get; } = new(3);

    /// <summary>Block hours. (<c>4</c> in a default instance.)</summary>
    public static ContractType BlockHours { get; } = new(4);

    /// <summary>Retainer. (<c>6</c> in a default instance.)</summary>
    public static ContractType Retainer { get; } = new(6);

    /// <summary>Recurring service: the type billed by units, which subscriptions map to. (<c>7</c> in a default instance.)</summary>
    public static ContractType RecurringService { get; } = new(7);

    /// <summary>Per ticket. (<c>8</c> in a default instance.)</summary>
    public static ContractType PerTicket { get; } = new(8);

    /// <inheritdoc />
    public int Value { get; } = value;

    /// <summary>Converts an id to the value.</summary>
    /// <param name="value">The numeric picklist id.</param>
    public static implicit operator ContractType(int value) => new(value);

    /// <summary>Converts the value to its id.</summary>
    /// <param name="value">The value.</param>
    public static explicit operator int(ContractType value) => value.Value;

    /// <summary>Compares two values by id.</summary>
    /// <param name="left">A value.</param>
    /// <param name="right">Another value.</param>
    public static bool operator ==(ContractType left, ContractType right) => left.Value == right.Value;

    /// <summary>Compares two values by id.</summary>
    /// <param name="left">A value.</param>
    /// <param name="right">Another value.</param>
    public static bool operator !=(ContractType left, ContractType right) => left.Value != right.Value;

    /// <summary>Creates the value of the given id (the named alternative to the conversion from <see cref="int"/>).</summary>
    /// <param name="value">The numeric picklist id.</param>
    public static ContractType FromValue(int value) => new(value);

    /// <summary>Converts the value to its id (the named alternative to the conversion to <see cref="int"/>).</summary>
    public int ToInt32() => Value;

    /// <inheritdoc />
    public bool Equals(ContractType other) => Value == other.Value;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is ContractType other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => Value;

    /// <summary>The id, as Autotask sends it (the label is the instance's: read it from the picklist).</summary>
    public override string ToString() => Value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>
/// A contract status (<c>Contracts.status</c>): the id of a value of the instance's picklist. The static members are the values of a default instance;
/// an instance may rename, deactivate or add values, so resolve labels through <c>GetPicklistAsync</c> when in doubt.
/// </summary>
/// <param name="value">The numeric picklist id.</param>
public readonly struct ContractStatus(int value) : IPicklistValue<ContractStatus>
{
    /// <summary>Inactive. (<c>0</c> in a default instance.)</summary>
    public static ContractStatus Inactive { get; } = new(0);

    /// <summary>Active. (<c>1</c> in a default instance.)</summary>
    public static ContractStatus Active { get; } = new(1);

    /// <inheritdoc />
    public int Value { get; } = value;

    /// <summary>Converts an id to the value.</summary>
    /// <param name="value">The numeric picklist id.</param>
    public static implicit operator ContractStatus(int value) => new(value);

    /// <summary>Converts the value to its id.</summary>
    /// <param name="value">The value.</param>
    public static explicit operator int(ContractStatus value) => value.Value;

    /// <summary>Compares two values by id.</summary>
    /// <param name="left">A value.</param>
    /// <param name="right">Another value.</param>
    public static bool operator ==(ContractStatus left, ContractStatus right) => left.Value == right.Value;

    /// <summary>Compares two values by id.</summary>
    /// <param name="left">A value.</param>
    /// <param name="right">Another value.</param>
    public static bool operator !=(ContractStatus left, ContractStatus right) => left.Value != right.Value;

    /// <summary>Creates the value of the given id (the named alternative to the conversion from <see cref="int"/>).</summary>
    /// <param name="value">The numeric picklist id.</param>
    public static ContractStatus FromValue(int value) => new(value);

    /// <summary>Converts the value to its id (the named alternative to the conversion to <see cref="int"/>).</summary>
    public int ToInt32() => Value;

    /// <inheritdoc />
    public bool Equals(ContractStatus other) => Value == other.Value;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is ContractStatus other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => Value;

    /// <summary>The id, as Autotask sends it (the label is the instance's: read it from the picklist).</summary>
    public override string ToString() => Value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>
/// A ticket priority (<c>Tickets.priority</c>): the id of a value of the instance's picklist. The static members are the values of a default instance;
/// an instance may rename, deactivate or add values, so resolve labels through <c>GetPicklistAsync</c> when in doubt.
/// </summary>
/// <param name="value">The numeric picklist id.</param>
public readonly struct TicketPriority(int value) : IPicklistValue<TicketPriority>
{
    /// <summary>High. (<c>1</c> in a default instance.)</summary>
    public static TicketPriority High { get; } = new(1);

    /// <summary>Medium. (<c>2</c> in a default instance.)</summary>
    public static TicketPriority Medium { get; } = new(2);

    /// <summary>Low. (<c>3</c> in a default instance.)</summary>
    public static TicketPriority Low { get; } = new(3);

    /// <summary>Critical. (<c>4</c> in a default instance.)</summary>
    public static TicketPriority Critical { get; } = new(4);

    /// <inheritdoc />
    public int Value { get; } = value;

    /// <summary>Converts an id to the value.</summary>
    /// <param name="value">The numeric picklist id.</param>
    public static implicit operator TicketPriority(int value) => new(value);

    /// <summary>Converts the value to its id.</summary>
    /// <param name="value">The value.</param>
    public static explicit operator int(TicketPriority value) => value.Value;

    /// <summary>Compares two values by id.</summary>
    /// <param name="left">A value.</param>
    /// <param name="right">Another value.</param>
    public static bool operator ==(TicketPriority left, TicketPriority right) => left.Value == right.Value;

    /// <summary>Compares two values by id.</summary>
    /// <param name="left">A value.</param>
    /// <param name="right">Another value.</param>
    public static bool operator !=(TicketPriority left, TicketPriority right) => left.Value != right.Value;

    /// <summary>Creates the value of the given id (the named alternative to the conversion from <see cref="int"/>).</summary>
    /// <param name="value">The numeric picklist id.</param>
    public static TicketPriority FromValue(int value) => new(value);

    /// <summary>Converts the value to its id (the named alternative to the conversion to <see cref="int"/>).</summary>
    public int ToInt32() => Value;

    /// <inheritdoc />
    public bool Equals(TicketPriority other) => Value == other.Value;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is TicketPriority other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => Value;

    /// <summary>The id, as Autotask sends it (the label is the instance's: read it from the picklist).</summary>
    public override string ToString() => Value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>
/// A ticket status (<c>Tickets.status</c>): the id of a value of the instance's picklist. The static members are the values of a default instance;
/// an instance may rename, deactivate or add values, so resolve labels through <c>GetPicklistAsync</c> when in doubt.
/// </summary>
/// <param name="value">The numeric picklist id.</param>
public readonly struct TicketStatus(int value) : IPicklistValue<TicketStatus>
{
    /// <summary>New. (<c>1</c> in a default instance.)</summary>
    public static TicketStatus New { get; } = new(1);

    /// <summary>Complete: the status Autotask treats as closed. (<c>5</c> in a default instance.)</summary>
    public static TicketStatus Complete { get; } = new(5);

    /// <summary>Waiting customer. (<c>7</c> in a default instance.)</summary>
    public static TicketStatus WaitingCustomer { get; } = new(7);

    /// <summary>In progress. (<c>8</c> in a default instance.)</summary>
    public static TicketStatus InProgress { get; } = new(8);

    /// <inheritdoc />
    public int Value { get; } = value;

    /// <summary>Converts an id to the value.</summary>
    /// <param name="value">The numeric picklist id.</param>
    public static implicit operator TicketStatus(int value) => new(value);

    /// <summary>Converts the value to its id.</summary>
    /// <param name="value">The value.</param>
    public static explicit operator int(TicketStatus value) => value.Value;

    /// <summary>Compares two values by id.</summary>
    /// <param name="left">A value.</param>
    /// <param name="right">Another value.</param>
    public static bool operator ==(TicketStatus left, TicketStatus right) => left.Value == right.Value;

    /// <summary>Compares two values by id.</summary>
    /// <param name="left">A value.</param>
    /// <param name="right">Another value.</param>
    public static bool operator !=(TicketStatus left, TicketStatus right) => left.Value != right.Value;

    /// <summary>Creates the value of the given id (the named alternative to the conversion from <see cref="int"/>).</summary>
    /// <param name="value">The numeric picklist id.</param>
    public static TicketStatus FromValue(int value) => new(value);

    /// <summary>Converts the value to its id (the named alternative to the conversion to <see cref="int"/>).</summary>
    public int ToInt32() => Value;

    /// <inheritdoc />
    public bool Equals(TicketStatus other) => Value == other.Value;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is TicketStatus other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => Value;

    /// <summary>The id, as Autotask sends it (the label is the instance's: read it from the picklist).</summary>
    public override string ToString() => Value.ToString(CultureInfo.InvariantCulture);
}
