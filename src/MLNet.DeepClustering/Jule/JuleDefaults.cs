namespace MLNet.DeepClustering.Jule;

/// <summary>Default values of <see cref="JuleTrainer.Options"/> (the paper's Table 2 and Sec. 4 unless noted).</summary>
internal static class JuleDefaults
{
    public const int NeighborCount = 20;
    public const double SigmaScale = 1.0;
    public const int NeighborClusterCount = 5;
    public const double Lambda = 1.0;
    public const float Gamma = 1f;            // the reference code's value; the paper's 2 did worse (ALGORITHMS.md)
    public const float Margin = 0.2f;
    public const double UnrollingRate = 0.9;
    public const int EpochsPerPeriod = 20;
    public const int BatchSize = 100;
    public const float LearningRate = 0.01f;
    public const float Momentum = 0.9f;
    public const float WeightDecay = 5e-5f;
    public const int EmbeddingSize = 160;
    public const bool Reclustering = true;
    public const bool TrainOnFinalClusters = true;
    public const int OverclusteringFactor = 2;
    public const bool TrainOnOverclusters = false;
    public const bool Augment = true;
    public const double MinClusterFraction = 0.1;
    public const double MaxClusterSizeRatio = 0;
    // The paper's 50 channels hit a libtorch CPU convolution defect (NaN, irreproducible results; see
    // NetworkSpec.ChannelMultiple); 48 is the nearest reliable width.
    public const int NetworkWidth = 48;
}
