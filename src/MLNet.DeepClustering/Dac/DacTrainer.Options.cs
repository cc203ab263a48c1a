namespace MLNet.DeepClustering;

public sealed partial class DacTrainer
{
    /// <summary>Options of <see cref="DacTrainer"/> (Deep Adaptive Clustering, Chang et al., ICCV 2017).</summary>
    public sealed class Options : DeepClusteringTrainerOptions
    {
        /// <summary>Passes over the data at most; training stops earlier once u(lambda) &lt;= l(lambda).
        /// <value>The default value is 20.</value></summary>
        public int MaxEpochs { get; set; } = Dac.DacDefaults.MaxEpochs;

        /// <summary>Images per mini-batch; the loss uses every pair inside a batch.
        /// <value>The default value is 256.</value></summary>
        public int BatchSize { get; set; } = Dac.DacDefaults.BatchSize;

        /// <summary>RMSprop learning rate.
        /// <value>The default value is 0.001.</value></summary>
        public float LearningRate { get; set; } = Dac.DacDefaults.LearningRate;

        /// <summary>u(0): pairs with cosine similarity at or above u(lambda) = UpperThreshold - lambda are "same cluster".
        /// <value>The default value is 0.95 (the paper's).</value></summary>
        public float UpperThreshold { get; set; } = Dac.DacDefaults.UpperThreshold;

        /// <summary>l(0): pairs below l(lambda) = LowerThreshold + 0.1 lambda are "different clusters".
        /// <value>The default value is 0.455 (the paper's).</value></summary>
        public float LowerThreshold { get; set; } = Dac.DacDefaults.LowerThreshold;

        /// <summary>Increase of lambda after each epoch. The paper's 0.009 per 1,000-image iteration needs about 46
        /// epochs; the default reaches u = l in 18 passes over the data, which converges on the CPU in minutes.
        /// <value>The default value is 0.025.</value></summary>
        public float LambdaStep { get; set; } = Dac.DacDefaults.LambdaStep;

        /// <summary>Weight of a penalty on uneven cluster use within each mini-batch: log k minus the entropy of the
        /// batch's mean cluster distribution. Not in the paper, which has no guard against empty or merged clusters.
        /// Measured on the MNIST sample: NMI 0.67 to 0.78 with weight 1 on 3,000 images (9 epochs), but 0.72 to 0.54 on
        /// all 10,000 (18 epochs), so it is off by default. 0 gives the paper's loss.
        /// <value>The default value is 0.</value></summary>
        public float ClusterBalanceWeight { get; set; } = Dac.DacDefaults.ClusterBalanceWeight;

        /// <summary>Channels of the first convolution stage (a multiple of 16, see the remarks on determinism); each later stage doubles it.
        /// <value>The default value is 32.</value></summary>
        public int NetworkWidth { get; set; } = Dac.DacDefaults.NetworkWidth;

        /// <summary>Random small rotations, zooms and shifts of the training images (as the reference code).
        /// <value>The default value is true.</value></summary>
        public bool Augment { get; set; } = Dac.DacDefaults.Augment;
    }
}
