namespace MLNet.DeepClustering;

/// <summary>
/// What a Fit did and how long it took, measured by the trainer. Available on the transformer returned by Fit
/// (<see cref="DeepClusteringTransformer.TrainingStatistics"/>); not saved with the model.
/// </summary>
public sealed class TrainingStatistics
{
    internal TrainingStatistics(int images, int epochs, long imagesProcessed, double networkTrainingSeconds, double clusteringSeconds,
        double totalSeconds, int threads)
    {
        Images = images;
        Epochs = epochs;
        ImagesProcessed = imagesProcessed;
        NetworkTrainingSeconds = networkTrainingSeconds;
        ClusteringSeconds = clusteringSeconds;
        TotalSeconds = totalSeconds;
        Threads = threads;
    }

    /// <summary>Rows in the training data.</summary>
    public int Images { get; }

    /// <summary>Training epochs run (JULE: over all periods; self-labelling's included): passes over the data, or
    /// MinimumImagesPerEpoch images when the data has fewer.</summary>
    public int Epochs { get; }

    /// <summary>Images that went through a training step (forward, loss, backward, optimizer step).</summary>
    public long ImagesProcessed { get; }

    /// <summary>Seconds spent in training steps.</summary>
    public double NetworkTrainingSeconds { get; }

    /// <summary>Seconds spent outside the network's training on clustering (JULE: kNN graphs and merging; DAC: 0).</summary>
    public double ClusteringSeconds { get; }

    /// <summary>Seconds of the whole Fit, reading the data included.</summary>
    public double TotalSeconds { get; }

    /// <summary>Torch intra-op threads used.</summary>
    public int Threads { get; }

    /// <summary>Training throughput: <see cref="ImagesProcessed"/> / <see cref="NetworkTrainingSeconds"/>.</summary>
    public double TrainingImagesPerSecond => NetworkTrainingSeconds > 0 ? ImagesProcessed / NetworkTrainingSeconds : 0;
}
