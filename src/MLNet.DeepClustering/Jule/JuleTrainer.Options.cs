namespace MLNet.DeepClustering;

public sealed partial class JuleTrainer
{
    /// <summary>Options of <see cref="JuleTrainer"/> (Joint Unsupervised LEarning, Yang, Parikh and Batra, CVPR 2016).</summary>
    public sealed class Options : DeepClusteringTrainerOptions
    {
        /// <summary>Ks: neighbours per image in the kNN graph (on n images at most n - 1 are used).
        /// <value>The default value is 20.</value></summary>
        public int NeighborCount { get; set; } = Jule.JuleDefaults.NeighborCount;

        /// <summary>a in sigma^2 = a / (n Ks) * (sum of squared kNN distances), the edge weight scale.
        /// <value>The default value is 1.</value></summary>
        public double SigmaScale { get; set; } = Jule.JuleDefaults.SigmaScale;

        /// <summary>Kc: neighbour clusters in the merge criterion's local-structure term (see Lambda), and negatives per
        /// anchor in the triplet loss.
        /// <value>The default value is 5.</value></summary>
        public int NeighborClusterCount { get; set; } = Jule.JuleDefaults.NeighborClusterCount;

        /// <summary>lambda: weight of the local-structure term (7b) of the merge criterion. As in the reference code, the
        /// term applies only while more than <see cref="Jule.GdlAgglomeration.LocalCriterionMinClusters"/> clusters remain;
        /// later merges take the most affine pair. So lambda acts only on the merges down to that many clusters: on small
        /// data sets, whose agglomerations start from few clusters, on few merges or none.
        /// <value>The default value is 1.</value></summary>
        public double Lambda { get; set; } = Jule.JuleDefaults.Lambda;

        /// <summary>gamma: weight of the anchor-positive distance in the triplet loss.
        /// <value>The default value is 1 (the reference code's; the paper lists 2).</value></summary>
        public float Gamma { get; set; } = Jule.JuleDefaults.Gamma;

        /// <summary>Triplet loss margin.
        /// <value>The default value is 0.2.</value></summary>
        public float Margin { get; set; } = Jule.JuleDefaults.Margin;

        /// <summary>eta: each period ends by merging ceil(eta * current clusters) clusters on the newly trained embeddings.
        /// <value>The default value is 0.9.</value></summary>
        public double UnrollingRate { get; set; } = Jule.JuleDefaults.UnrollingRate;

        /// <summary>CNN epochs in each period, before its merges (the first period trains on the initial clusters).
        /// <value>The default value is 20.</value></summary>
        public int EpochsPerPeriod { get; set; } = Jule.JuleDefaults.EpochsPerPeriod;

        /// <summary>Images per mini-batch.
        /// <value>The default value is 100.</value></summary>
        public int BatchSize { get; set; } = Jule.JuleDefaults.BatchSize;

        /// <summary>Base SGD learning rate, decayed as lr (1 + 1e-4 iteration)^-0.75.
        /// <value>The default value is 0.01.</value></summary>
        public float LearningRate { get; set; } = Jule.JuleDefaults.LearningRate;

        /// <summary>SGD momentum.
        /// <value>The default value is 0.9.</value></summary>
        public float Momentum { get; set; } = Jule.JuleDefaults.Momentum;

        /// <summary>SGD weight decay.
        /// <value>The default value is 5e-5.</value></summary>
        public float WeightDecay { get; set; } = Jule.JuleDefaults.WeightDecay;

        /// <summary>d: size of the learned (L2-normalised) embedding.
        /// <value>The default value is 160.</value></summary>
        public int EmbeddingSize { get; set; } = Jule.JuleDefaults.EmbeddingSize;

        /// <summary>Train the CNN on randomly rotated, zoomed and shifted copies of the images (up to 10 degrees, 10% zoom,
        /// 10% shift), so the embedding, and with it every later merge, is invariant to small deformations. Not in the
        /// paper; false gives the paper's training.
        /// <value>The default value is true.</value></summary>
        public bool Augment { get; set; } = Jule.JuleDefaults.Augment;

        /// <summary>The recurrent process merges down to NumberOfClusters x this many clusters (at most half the images);
        /// the last merges to NumberOfClusters then follow on the final embedding (a fresh agglomeration with
        /// Reclustering). Stopping the CNN's training before the coarsest merges keeps it from fitting clusters that join
        /// two classes. Not in the paper; 1 gives the paper's process.
        /// <value>The default value is 2.</value></summary>
        public int OverclusteringFactor { get; set; } = Jule.JuleDefaults.OverclusteringFactor;

        /// <summary>With OverclusteringFactor above 1, train the CNN for one period of EpochsPerPeriod epochs on the
        /// NumberOfClusters x OverclusteringFactor clusters the recurrent process ends at (with Reclustering, those of a
        /// fresh agglomeration of its embedding) before the merges down to NumberOfClusters. Each period of the recurrent
        /// process ends by merging ceil(UnrollingRate x clusters), so without this period the CNN goes from its last
        /// period's clusters straight to the final ones, with no training at the level between. On clothing it raised
        /// NMI, but on 10,000 images it made ACC depend more on the seed, on digits too, and it lowered ACC on 1,000
        /// images, so it is off by default (measurements in the README). Costs one period. Not in the paper; with
        /// NumberOfClusters = 0 it does not apply.
        /// <value>The default value is false.</value></summary>
        public bool TrainOnOverclusters { get; set; } = Jule.JuleDefaults.TrainOnOverclusters;

        /// <summary>After the recurrent process, train the CNN for one more period of EpochsPerPeriod epochs on the final k
        /// clusters (with Reclustering, those of a fresh agglomeration; with NumberOfClusters = 0, the chosen ones), so the
        /// final embedding is fitted to them; with Reclustering they are then re-clustered on the new embedding. Not in
        /// the paper, whose last period trains on the clusters before the last merge; false gives the paper's process.
        /// <value>The default value is true.</value></summary>
        public bool TrainOnFinalClusters { get; set; } = Jule.JuleDefaults.TrainOnFinalClusters;

        /// <summary>Re-run the agglomerative clustering from scratch on the final learned features (the paper's RC);
        /// false keeps the clusters of the recurrent process (SF).
        /// <value>The default value is true.</value></summary>
        public bool Reclustering { get; set; } = Jule.JuleDefaults.Reclustering;

        /// <summary>At the final merge, clusters with fewer than MinClusterFraction * n / k images are absorbed into their
        /// best neighbour before they count toward k, so k meaningful clusters come out instead of a few outliers.
        /// <value>The default value is 0.1.</value></summary>
        public double MinClusterFraction { get; set; } = Jule.JuleDefaults.MinClusterFraction;

        /// <summary>At the final merges to NumberOfClusters clusters, a merge that would make a cluster larger than
        /// MaxClusterSizeRatio x n / k images gives way to the most affine pair of edge-joined clusters whose union stays
        /// within that size (when no such pair is left, the merge criterion decides alone). A prior for data whose classes
        /// are about equally large: JULE's affinity can grow one cluster over several similar classes (on clothing:
        /// pullovers, coats and shirts together) while splitting others, and the cap stops that, but the pair joined
        /// instead can be two classes, so it is off by default (measurements in the README). With NumberOfClusters = 0
        /// (k chosen from the merge curve) no cap applies. Not in the paper; 0 turns it off, otherwise at least 1.
        /// <value>The default value is 0.</value></summary>
        public double MaxClusterSizeRatio { get; set; } = Jule.JuleDefaults.MaxClusterSizeRatio;
    }
}
