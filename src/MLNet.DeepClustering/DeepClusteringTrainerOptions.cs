namespace MLNet.DeepClustering;

/// <summary>Options every deep clustering trainer shares.</summary>
public abstract class DeepClusteringTrainerOptions
{
    /// <summary>The input column: one image per row as a planar Vector&lt;Single&gt; (channels x height x width).
    /// <value>The default value is "Features".</value></summary>
    public string FeatureColumnName { get; set; } = DeepClusteringColumnNames.Features;

    /// <summary>k, the number of clusters to find (at least 2; never read from labels).
    /// <value>The default value is 10.</value></summary>
    public int NumberOfClusters { get; set; } = 10;

    /// <summary>Seed of the network initialisation, shuffling and augmentation. Null takes one from the MLContext's seed.
    /// The same seed on the CPU gives the same clusters.
    /// <value>The default value is null.</value></summary>
    public int? Seed { get; set; }

    /// <summary>Torch device: "cpu", "cuda" or "cuda:N". CUDA needs the application to reference TorchSharp-cuda-linux
    /// (or -windows) instead of libtorch-cpu. Saved models always load on the CPU.
    /// <value>The default value is "cpu".</value></summary>
    public string Device { get; set; } = "cpu";

    /// <summary>Torch intra-op threads for training (set process-wide when Fit starts). Null uses one per core.
    /// <value>The default value is null.</value></summary>
    public int? NumberOfThreads { get; set; }

    /// <summary>Image channels, when the feature column does not carry (C, H, W) dimensions. Set with height and width.
    /// <value>The default value is null: taken from the column, or 1 for a flat vector of square size.</value></summary>
    public int? ImageChannels { get; set; }

    /// <summary>Image height, when the feature column does not carry (C, H, W) dimensions.
    /// <value>The default value is null.</value></summary>
    public int? ImageHeight { get; set; }

    /// <summary>Image width, when the feature column does not carry (C, H, W) dimensions.
    /// <value>The default value is null.</value></summary>
    public int? ImageWidth { get; set; }
}
