namespace MLNet.DeepClustering;

/// <summary>What a deep clustering Fit is doing, reported to <see cref="DeepClusteringTrainerOptions.Progress"/> after
/// every training epoch and, for JULE, after every merge phase. The same figures go to ML.NET's progress channel.</summary>
public sealed class DeepClusteringProgress
{
    internal DeepClusteringProgress(string method, DeepClusteringPhase phase, int period, int clusters, int epochs,
        int? estimatedTotalEpochs, long imagesTrained, double loss, double imagesPerSecond, double elapsedSeconds)
    {
        Method = method;
        Phase = phase;
        Period = period;
        Clusters = clusters;
        Epochs = epochs;
        EstimatedTotalEpochs = estimatedTotalEpochs;
        ImagesTrained = imagesTrained;
        Loss = loss;
        ImagesPerSecond = imagesPerSecond;
        ElapsedSeconds = elapsedSeconds;
    }

    /// <summary>"DAC" or "JULE".</summary>
    public string Method { get; }

    /// <summary>What just finished: a training epoch, or a clustering (merge) phase.</summary>
    public DeepClusteringPhase Phase { get; }

    /// <summary>JULE's current period (1, 2, ...); 0 for DAC.</summary>
    public int Period { get; }

    /// <summary>Clusters at this point: JULE's current number (it falls toward k); k for DAC.</summary>
    public int Clusters { get; }

    /// <summary>Training epochs completed so far.</summary>
    public int Epochs { get; }

    /// <summary>The epochs the whole Fit is expected to take (DAC: MaxEpochs, fewer if its schedule ends first; JULE:
    /// EpochsPerPeriod times the periods its unrolling rate needs from the initial clusters); null when unknown.</summary>
    public int? EstimatedTotalEpochs { get; }

    /// <summary>Images that went through a training step so far.</summary>
    public long ImagesTrained { get; }

    /// <summary>Mean loss of the last epoch (NaN before the first).</summary>
    public double Loss { get; }

    /// <summary>Training throughput of the last epoch.</summary>
    public double ImagesPerSecond { get; }

    /// <summary>Seconds since the Fit started.</summary>
    public double ElapsedSeconds { get; }
}

/// <summary>The phase a <see cref="DeepClusteringProgress"/> report follows.</summary>
public enum DeepClusteringPhase
{
    /// <summary>A training epoch of the network.</summary>
    Training = 0,

    /// <summary>Clustering outside the network (JULE: kNN graph and merging).</summary>
    Clustering = 1,
}
