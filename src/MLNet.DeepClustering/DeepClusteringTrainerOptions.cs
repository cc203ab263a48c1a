namespace MLNet.DeepClustering;

/// <summary>Options every deep clustering trainer shares.</summary>
public abstract class DeepClusteringTrainerOptions
{
    /// <summary>The input column: one image per row as a planar Vector&lt;Single&gt; (channels x height x width).
    /// <value>The default value is "Features".</value></summary>
    public string FeatureColumnName { get; set; } = DeepClusteringColumnNames.Features;

    /// <summary>k, the number of clusters to find (at least 2; never read from labels), or 0 to choose k between 2 and
    /// <see cref="MaxNumberOfClusters"/> from the data. The chosen k is <c>transformer.Model.NumberOfClusters</c>, and
    /// the log says how it was chosen: the largest relative drop in the affinity of successive merges when the final
    /// embedding is agglomerated (graph degree linkage, as JULE's clustering). The criterion finds the groups the network
    /// separated; it cannot know which distinctions a person cares about.
    /// <value>The default value is 10.</value></summary>
    public int NumberOfClusters { get; set; } = 10;

    /// <summary>The largest k considered when <see cref="NumberOfClusters"/> is 0 (at least 2; at most the number of
    /// images minus one is used). The network trains for this many clusters before k is chosen.
    /// <value>The default value is 20.</value></summary>
    public int MaxNumberOfClusters { get; set; } = 20;

    /// <summary>Seed of the network initialisation, shuffling and augmentation. Null takes one from the MLContext's seed.
    /// The same seed and thread count on the same kind of CPU give the same clusters.
    /// <value>The default value is null.</value></summary>
    public int? Seed { get; set; }

    /// <summary>Torch device: "cpu", "cuda" or "cuda:N". CUDA needs a CUDA libtorch: the application references
    /// TorchSharp-cuda-linux (or -windows) instead of libtorch-cpu, or runs with an installed PyTorch's torch/lib on
    /// LD_LIBRARY_PATH (README, "Packages and native libraries"). Saved models always load on the CPU.
    /// <value>The default value is "cpu".</value></summary>
    public string Device { get; set; } = "cpu";

    /// <summary>Name of the output column with the cluster, Key&lt;UInt32, k&gt;. Give each trainer its own names to have
    /// several in one pipeline.
    /// <value>The default value is "PredictedLabel".</value></summary>
    public string PredictedLabelColumnName { get; set; } = DeepClusteringColumnNames.PredictedLabel;

    /// <summary>Name of the output column with the k distance-like scores.
    /// <value>The default value is "Score".</value></summary>
    public string ScoreColumnName { get; set; } = DeepClusteringColumnNames.Score;

    /// <summary>Name of the output column with the learned representation.
    /// <value>The default value is "Embedding".</value></summary>
    public string EmbeddingColumnName { get; set; } = DeepClusteringColumnNames.Embedding;

    /// <summary>With the trainer's Augment on, also mirror each training copy left-right with probability 1/2. Mirrored
    /// clothing, products or objects are still the same kind of thing; mirrored digits and letters are not (a mirrored
    /// 2 is no digit), hence off by default. Not in the papers.
    /// <value>The default value is false.</value></summary>
    public bool HorizontalFlip { get; set; }

    /// <summary>Epochs of self-labelling after the trainer's own training (not in the papers; after SCAN's last stage):
    /// within each cluster, the images the model is surest of (SelfLabelingFraction, SelfLabelingNeighborAgreement) are
    /// taken as labelled, and the
    /// network and its cluster prototypes are trained on augmented copies of them with class-balanced cross-entropy,
    /// the kept images being chosen again every epoch. The predicted cluster stays the nearest prototype. 0 gives the
    /// paper's method. If a cluster ends empty, the refinement is undone (logged as a warning). DAC's default turns it
    /// on because it raised DAC's NMI on clothing images; on JULE's clusters it did not help (README, Status).
    /// <value>The default value is 5 for DAC and 0 for JULE.</value></summary>
    public int SelfLabelingEpochs { get; set; }

    /// <summary>The share of each cluster's images that self-labelling may take as labelled: those with the largest margin
    /// between the nearest and second nearest cluster prototype, of which SelfLabelingNeighborAgreement then keeps the
    /// ones whose pixel-space neighbours agree. With SelfLabelingNeighborAgreement 0, this share is kept. In (0, 1].
    /// <value>The default value is 0.8.</value></summary>
    public float SelfLabelingFraction { get; set; } = 0.8f;

    /// <summary>In self-labelling, the share of an image's 10 nearest neighbours in pixel space (L2-normalised pixels)
    /// that must be in its cluster for the image to be kept (not in SCAN): of the SelfLabelingFraction of each cluster
    /// with the largest margin, only those whose neighbourhood agrees are taken as labelled, so a cluster whose images
    /// border another's in the input keeps fewer of them, and each keeps at least a tenth of its images. 0 keeps by margin
    /// alone. The neighbours are those of the pixels, which suits aligned images (digits, scans of products); on photos
    /// taken from varying viewpoints pixel neighbours say little, and 0 may be the better choice. In [0, 1].
    /// <value>The default value is 0.9.</value></summary>
    public float SelfLabelingNeighborAgreement { get; set; } = 0.9f;

    /// <summary>Images each training epoch draws at the least (not in the papers). An epoch is one shuffled pass over the
    /// training images; on fewer images than this it continues with further shuffled passes until it has drawn this many
    /// (the last one partial), so a small data set gets about as many optimizer steps as this many images would, and
    /// schedules that count epochs keep their meaning. The same holds for each self-labelling epoch over its kept images.
    /// 0 makes every epoch a single pass, as in the papers. Fits on fewer images than this take about as long as on this
    /// many.
    /// <value>The default value is 5000.</value></summary>
    public int MinimumImagesPerEpoch { get; set; } = DefaultMinimumImagesPerEpoch;

    internal const int DefaultMinimumImagesPerEpoch = 5000;

    /// <summary>Whether the training images are uploaded to the Device once and every mini-batch is gathered there, instead
    /// of being copied from host memory batch by batch. Null (automatic) keeps them on a GPU when they take at most 1 GiB
    /// as 32-bit floats, and on the CPU gathers from host memory. The trained result is the same either way.
    /// <value>The default value is null.</value></summary>
    public bool? KeepDataOnDevice { get; set; }

    /// <summary>Threads for training: torch's intra-op threads, set when Fit starts (libtorch's setting is process-wide)
    /// and put back when it ends, and JULE's kNN graphs. Null uses one per core.
    /// <value>The default value is null.</value></summary>
    public int? NumberOfThreads { get; set; }

    /// <summary>Receives a <see cref="DeepClusteringProgress"/> after every training epoch (and JULE's merge phases), on
    /// the thread that runs Fit, to drive a progress bar; the same figures go to ML.NET's progress channel and the
    /// log. Null reports nothing.
    /// <value>The default value is null.</value></summary>
    public IProgress<DeepClusteringProgress>? Progress { get; set; }

    /// <summary>Image channels, when the feature column does not carry (C, H, W) dimensions. Set with height and width.
    /// <value>The default value is null: taken from the column, or 1 for a flat vector of square size.</value></summary>
    public int? ImageChannels { get; set; }

    /// <summary>Image height, when the feature column does not carry (C, H, W) dimensions.
    /// <value>The default value is null.</value></summary>
    public int? ImageHeight { get; set; }

    /// <summary>Image width, when the feature column does not carry (C, H, W) dimensions.
    /// <value>The default value is null.</value></summary>
    public int? ImageWidth { get; set; }

    /// <summary>A copy of these options (every member is a value or a string, except the shared Progress receiver).</summary>
    internal DeepClusteringTrainerOptions Snapshot() => (DeepClusteringTrainerOptions)MemberwiseClone();
}
