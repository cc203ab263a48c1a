namespace MLNet.DeepClustering.Tests;

/// <summary>A synchronous IProgress that keeps every report and can run an action on each (Progress&lt;T&gt; posts asynchronously).</summary>
internal sealed class ProgressLog : IProgress<DeepClusteringProgress>
{
    private readonly Action<DeepClusteringProgress>? _onReport;

    public ProgressLog(Action<DeepClusteringProgress>? onReport = null) => _onReport = onReport;

    public List<DeepClusteringProgress> Reports { get; } = new();

    public void Report(DeepClusteringProgress value)
    {
        Reports.Add(value);
        _onReport?.Invoke(value);
    }
}
