namespace Autotask.Integration.Tests.Support;

/// <summary>Bounded waits: every wait loop of the tests ends, with a failure saying what never happened.</summary>
internal static class Wait
{
    /// <summary>Polls <paramref name="condition"/> until it holds, for at most <paramref name="limit"/> (60 seconds by default).</summary>
    public static async Task UntilAsync(Func<bool> condition, TimeSpan? limit = null)
    {
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        bound.CancelAfter(limit ?? TimeSpan.FromSeconds(60));
        try
        {
            while (!condition())
            {
                await Task.Delay(5, bound.Token);
            }
        }
        catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"The condition did not hold within {limit ?? TimeSpan.FromSeconds(60)}.");
        }
    }
}
