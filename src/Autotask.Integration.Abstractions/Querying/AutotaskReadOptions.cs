namespace Autotask.Integration.Querying;

/// <summary>How <see cref="IAutotaskClient.ReadAllAsync{T}"/> reads a large result: in id ranges at once, and a page ahead.</summary>
public sealed record AutotaskReadOptions
{
    /// <summary>The most id ranges read at once. Default: 3, Autotask's thread limit per endpoint (streams beyond the free threads wait for one).</summary>
    public int Streams { get; init; } = 3;

    /// <summary>
    /// Whether records come in id order, as <see cref="IAutotaskClient.QueryAsync{T}"/> gives them. Ordered, a range
    /// read ahead of the caller is held in memory (up to <see cref="MaxBufferedPages"/> pages per range); unordered,
    /// each page is handed over as soon as it arrives. Default: ordered.
    /// </summary>
    public bool Ordered { get; init; } = true;

    /// <summary>Whether the next page of a range is requested while the caller works through the current one. Default: on.</summary>
    public bool Prefetch { get; init; } = true;

    /// <summary>
    /// The most pages a range holds for the caller before it waits (unordered, the ranges share a buffer of this many
    /// pages each, up to <see cref="int.MaxValue"/> in all). Default: 64 (32,000 records).
    /// </summary>
    public int MaxBufferedPages { get; init; } = 64;
}
