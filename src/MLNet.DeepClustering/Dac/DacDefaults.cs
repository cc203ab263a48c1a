namespace MLNet.DeepClustering.Dac;

/// <summary>Default values of <see cref="DacTrainer.Options"/>, shared with the catalog.</summary>
internal static class DacDefaults
{
    public const int MaxEpochs = 40;
    public const int BatchSize = 64;
    public const float LearningRate = 1e-3f;
    public const float UpperThreshold = 0.95f;
    public const float LowerThreshold = 0.455f;
    public const float LambdaStep = 0.0099f;
    public const int NetworkWidth = 32;   // half the reference's 64: about a third of the time per image
    public const bool Augment = true;
    public const float ClusterBalanceWeight = 0.5f;
    public const float ClusterBalanceRampFraction = 0f;
    public const int NeighborPartners = 10;
    public const bool MutualPartners = true;
    public const int MutualPartnersMinimumImages = 5000;
    public const int SelfLabelingEpochs = 5;
    public const int MinimumOutputUnits = 10;
}
