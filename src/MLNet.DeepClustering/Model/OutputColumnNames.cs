namespace MLNet.DeepClustering;

/// <summary>The names of the three columns a deep clustering transformer adds.</summary>
internal sealed record OutputColumnNames(string PredictedLabel, string Score, string Embedding)
{
    public static OutputColumnNames Default { get; } = new(DeepClusteringColumnNames.PredictedLabel, DeepClusteringColumnNames.Score,
        DeepClusteringColumnNames.Embedding);
}
