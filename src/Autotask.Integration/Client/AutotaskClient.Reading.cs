using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using Autotask.Integration.Entities;
using Autotask.Integration.Querying;

namespace Autotask.Integration.Client;

/// <summary>Reads at the API's ceiling: the rest of a result after its first page split into id ranges read at once, each a page ahead.</summary>
internal sealed partial class AutotaskClient
{
    private static readonly AutotaskReadOptions DefaultReadOptions = new();

    public IAsyncEnumerable<T> ReadAllAsync<T>(AutotaskQuery<T> query, AutotaskReadOptions? options = null, CancellationToken cancellationToken = default)
        where T : AutotaskEntity, IQueryableEntity
    {
        ArgumentNullException.ThrowIfNull(query);
        options ??= DefaultReadOptions;
        if (options.Streams is < 1 or > 16)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Streams, "AutotaskReadOptions.Streams must be between 1 and 16.");
        }

        if (options.MaxBufferedPages < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxBufferedPages, "AutotaskReadOptions.MaxBufferedPages must be at least 1.");
        }

        var entity = Queryable<T>();
        QueryWriter.Validate(entity.Path, entity.FieldNames, query.Filters, query.IncludeFields);
        return ReadAllCoreAsync(entity, query, options, cancellationToken);
    }

    private async IAsyncEnumerable<T> ReadAllCoreAsync<T>(
        EntityDescriptor<T> entity, AutotaskQuery<T> query, AutotaskReadOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
        where T : AutotaskEntity, IQueryableEntity
    {
        using var activity = StartActivity("ReadAll", entity.Path);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (options.Streams == 1 || query.MaxRecords is not null)
        {
            long remaining = query.MaxRecords ?? long.MaxValue;
            await foreach (var page in PagesAsync(entity, query.Filters, query.MaxRecords, query.IncludeFields, options.Prefetch, activity, cancellationToken).ConfigureAwait(false))
            {
                foreach (var item in page.Items)
                {
                    yield return item;
                    if (--remaining == 0)
                    {
                        yield break;
                    }
                }
            }

            yield break;
        }

        // The first page and the count at once: the first page's ids and the count place the ranges.
        var count = CountAsync(query, stop.Token);
        var first = PagesAsync(entity, query.Filters, query.MaxRecords, query.IncludeFields, prefetch: false, activity, stop.Token).GetAsyncEnumerator(stop.Token);
        Page<T> head;
        var ranged = false;
        try
        {
            if (!await first.MoveNextAsync().ConfigureAwait(false))
            {
                yield break;
            }

            head = first.Current;
            if (!head.More || head.Items.Count == 0)
            {
                // One page, or an empty one that names a next (no ranges can be placed): the plain read goes on.
                foreach (var item in head.Items)
                {
                    yield return item;
                }

                while (head.More && await first.MoveNextAsync().ConfigureAwait(false))
                {
                    head = first.Current;
                    foreach (var item in head.Items)
                    {
                        yield return item;
                    }
                }

                yield break;
            }

            ranged = true;
        }
        finally
        {
            await first.DisposeAsync().ConfigureAwait(false);
            if (!ranged)
            {
                // No ranges after all (or the caller stopped): the count is not needed.
                await stop.CancelAsync().ConfigureAwait(false);
                await Observe(count).ConfigureAwait(false);
            }
        }

        var total = await count.ConfigureAwait(false);
        foreach (var item in head.Items)
        {
            yield return item;
        }

        var ranges = Ranges(head.Items[0].Id, head.Items[^1].Id, head.Items.Count, total, options.Streams);
        var readers = new Task[ranges.Count];
        var channels = new Channel<List<T>>[options.Ordered ? ranges.Count : 1];
        for (var i = 0; i < channels.Length; i++)
        {
            // Unordered, the ranges share one buffer of their pages; as many as an int holds is no limit anyway.
            var capacity = options.Ordered ? options.MaxBufferedPages : (int)Math.Min((long)options.MaxBufferedPages * ranges.Count, int.MaxValue);
            channels[i] = Channel.CreateBounded<List<T>>(new BoundedChannelOptions(capacity)
            {
                SingleReader = true,
                SingleWriter = options.Ordered,
            });
        }

        ExceptionDispatchInfo? failure = null;
        var running = ranges.Count;
        for (var i = 0; i < ranges.Count; i++)
        {
            var (from, to) = ranges[i];
            var writer = channels[options.Ordered ? i : 0].Writer;
            readers[i] = Task.Run(async () =>
            {
                Exception? error = null;
                try
                {
                    var filters = query.Filters.Append(Filter.Field("id", FilterOperator.Gte, from)).ToList();
                    if (to is { } end)
                    {
                        filters.Add(Filter.Field("id", FilterOperator.Lt, end));
                    }

                    await foreach (var page in PagesAsync(entity, filters, query.MaxRecords, query.IncludeFields, options.Prefetch, null, stop.Token).ConfigureAwait(false))
                    {
                        if (page.Items.Find(item => item.Id < from || item.Id >= (to ?? long.MaxValue)) is { } stray)
                        {
                            throw new AutotaskServerException(
                                $"Autotask read of {entity.Path} for connection '{ConnectionName}' answered id {stray.Id} to a query for ids from {from} to {(to is null ? "the end" : to)}: the range filter was not applied, so the read was stopped rather than repeat records.",
                                new AutotaskErrorDetails { Operation = "ReadAll", Entity = entity.Path, Connection = ConnectionName });
                        }

                        await writer.WriteAsync(page.Items, stop.Token).ConfigureAwait(false);
                    }
                }
                catch (Exception ex) when (!(ex is OperationCanceledException && stop.IsCancellationRequested && Volatile.Read(ref failure) is not null))
                {
                    // The first failure ends the read for every range; later ones are its consequences.
                    if (Interlocked.CompareExchange(ref failure, ExceptionDispatchInfo.Capture(ex), null) is null)
                    {
                        error = ex;
                        await stop.CancelAsync().ConfigureAwait(false);
                    }
                }
                finally
                {
                    if (options.Ordered || Interlocked.Decrement(ref running) == 0)
                    {
                        writer.TryComplete(error);
                    }
                    else if (error is not null)
                    {
                        writer.TryComplete(error);
                    }
                }
            }, CancellationToken.None);
        }

        try
        {
            foreach (var channel in channels)
            {
                while (true)
                {
                    var page = await NextPageAsync(channel.Reader, () => failure, cancellationToken).ConfigureAwait(false);
                    if (page is null)
                    {
                        break;
                    }

                    foreach (var item in page)
                    {
                        yield return item;
                    }
                }

                // A range that ended because another failed did not end complete.
                failure?.Throw();
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            foreach (var reader in readers)
            {
                await Observe(reader).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The next page of a range, or <c>null</c> at its end; the read's first failure rather than a cancellation it caused.</summary>
    private static async ValueTask<List<T>?> NextPageAsync<T>(ChannelReader<List<T>> reader, Func<ExceptionDispatchInfo?> failure, CancellationToken cancellationToken)
    {
        try
        {
            return await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false) && reader.TryRead(out var page) ? page : null;
        }
        catch (Exception) when (failure() is { } first && !cancellationToken.IsCancellationRequested)
        {
            first.Throw();
            throw;
        }
    }

    /// <summary>
    /// The id ranges after the first page: the ids past it, up to where the count says the result ends (at the first
    /// page's density of ids), split into ranges of whole pages, so that where the ids are as dense as on the first page
    /// only the last range ends with a partly filled page; the last range is open, so that no id is left out, however
    /// the ids fall.
    /// </summary>
    internal static List<(long From, long? To)> Ranges(long firstId, long lastId, int firstCount, long total, int streams)
    {
        var density = Math.Max(1.0, (double)(lastId - firstId + 1) / firstCount);
        var pages = (Math.Max(0, total - firstCount) + firstCount - 1) / firstCount;
        var pagesPerRange = Math.Max(1, (pages + streams - 1) / streams);
        var step = Math.Max(1, (long)Math.Round(pagesPerRange * firstCount * density));
        var ranges = new List<(long, long?)>(streams);
        var from = lastId + 1;
        for (var i = 0; i < streams; i++)
        {
            long? to = i == streams - 1 ? null : from + step;
            ranges.Add((from, to));
            from += step;
        }

        return ranges;
    }

    private static async Task Observe(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Observed: the read's outcome is reported once, by the enumeration.
        }
    }
}
