namespace MLNet.DeepClustering;

public sealed partial class DacTrainer
{
    /// <summary>Options of <see cref="DacTrainer"/> (Deep Adaptive Clustering, Chang et al., ICCV 2017).</summary>
    public sealed class Options : DeepClusteringTrainerOptions
    {
        /// <summary>Options with DAC's defaults, among them <see cref="DeepClusteringTrainerOptions.SelfLabelingEpochs"/> = 5.</summary>
        public Options()
        {
            SelfLabelingEpochs = Dac.DacDefaults.SelfLabelingEpochs;
        }

        /// <summary>Epochs at most (passes over the data, or MinimumImagesPerEpoch images on fewer); training stops earlier once u(lambda) &lt;= l(lambda). The learning rate
        /// decays linearly over these epochs, so they are also the length of the schedule.
        /// <value>The default value is 40.</value></summary>
        public int MaxEpochs { get; set; } = Dac.DacDefaults.MaxEpochs;

        /// <summary>Images per mini-batch; the loss uses every pair inside a batch. With Augment, each batch also holds a
        /// jittered copy of every image, so the network sees twice this many rows per step.
        /// <value>The default value is 64.</value></summary>
        public int BatchSize { get; set; } = Dac.DacDefaults.BatchSize;

        /// <summary>RMSprop learning rate at the start; it decays linearly to 2% of this value over MaxEpochs (not in the
        /// paper), so the last epochs settle on one partition instead of moving between neighbouring ones.
        /// <value>The default value is 0.001.</value></summary>
        public float LearningRate { get; set; } = Dac.DacDefaults.LearningRate;

        /// <summary>u(0): pairs with cosine similarity at or above u(lambda) = UpperThreshold - lambda are "same cluster".
        /// <value>The default value is 0.95 (the paper's).</value></summary>
        public float UpperThreshold { get; set; } = Dac.DacDefaults.UpperThreshold;

        /// <summary>l(0): pairs below l(lambda) = LowerThreshold + 0.1 lambda are "different clusters".
        /// <value>The default value is 0.455 (the paper's).</value></summary>
        public float LowerThreshold { get; set; } = Dac.DacDefaults.LowerThreshold;

        /// <summary>Increase of lambda per 128,000 training images (the reference's 1,000 iterations of 128 images). The
        /// default, the reference's 1.1 x 0.009, reaches u(lambda) = l(lambda) after about 5.9 million images; with the
        /// default MaxEpochs on 10,000 images lambda ends near 0.031, so MaxEpochs ends training.
        /// <value>The default value is 0.0099.</value></summary>
        public float LambdaStep { get; set; } = Dac.DacDefaults.LambdaStep;

        /// <summary>Weight of a penalty on uneven cluster use within each mini-batch: log k minus the entropy of the
        /// batch's mean cluster distribution (as SCAN, PICA and IIC add to their losses). Without it DAC can let one
        /// output unit take two similar classes (on clothing: sandals with sneakers) while another class spreads over
        /// two units. It assumes classes of similar size. On classes of very different sizes DAC's clusters came out
        /// nearly equal with or without it (0 still did better there on clothing), while JULE found the classes: use
        /// JULE for such data (README, Status, "Groups of very different sizes"). Larger weights even the clusters out
        /// harder: on sharp digits 1 cost NMI where 0.5 did not; on blurred, low-resolution digits 0.5 did better than 0
        /// (README, Status). Not used while choosing k (NumberOfClusters = 0), where the units in use decide k. Not in the
        /// paper, which has no guard against empty or merged clusters; 0 gives the paper's loss.
        /// <value>The default value is 0.5.</value></summary>
        public float ClusterBalanceWeight { get; set; } = Dac.DacDefaults.ClusterBalanceWeight;

        /// <summary>Share of MaxEpochs over which the balance term's weight rises linearly from 0 (first epoch) to
        /// ClusterBalanceWeight, which it keeps from then on: the clusters first form from the pairwise loss alone, as in
        /// the paper, and the term then evens out their use. At full weight from the first epoch the term can make DAC
        /// split two similar classes by style into two mixed clusters before the classes have formed; on sharp digits
        /// the ramp lost the term's gain (RESULTS.md). In [0, 1]; 0 applies the full weight from the first epoch. Not in
        /// the paper.
        /// <value>The default value is 0.</value></summary>
        public float ClusterBalanceRampFraction { get; set; } = Dac.DacDefaults.ClusterBalanceRampFraction;

        /// <summary>Train with NumberOfClusters x this many output units, then merge the units into NumberOfClusters clusters
        /// by how often augmented copies of an image move between them (the grouping that NumberOfClusters = 0 uses to
        /// choose k). With more units than classes, DAC can split a class where it would otherwise merge two, and a large
        /// class can take several units: on digit classes of very different sizes, 3 let DAC's clusters follow the
        /// classes' sizes, while on clothing, balanced or not, it lost ACC and grew one cluster of about two classes'
        /// size (README, Status, "Groups of very different sizes"). Not in the paper; 1 gives the paper's network.
        /// <value>The default value is 1.</value></summary>
        public int OverclusteringFactor { get; set; } = 1;

        /// <summary>The fewest output units DAC trains for a given NumberOfClusters: with fewer clusters than this, it
        /// trains this many units and merges them into NumberOfClusters clusters as OverclusteringFactor does. With two
        /// or three units the label features of all images start close together, every pair can be selected as similar
        /// and the network then puts nearly everything in one cluster (generated sets of 2 and 3 shapes, seeds 1 to 6:
        /// collapsed in 4 of 12 fits, ACC 0.45 to 0.65; 10 units scored 0.953 to 1.0). Not in the paper, whose data
        /// sets have at least 10 classes; set it to 1 for the paper's network.
        /// <value>The default value is 10.</value></summary>
        public int MinimumOutputUnits { get; set; } = Dac.DacDefaults.MinimumOutputUnits;

        /// <summary>Channels of the first convolution stage (a multiple of 16, see the remarks on determinism); each later stage
        /// doubles it. The reference network has 64. 32 costs about a third of the time per image on the CPU and, trained
        /// for the default MaxEpochs, clusters about as well as 64 trained for half as many (README, Status). On the CPU,
        /// libtorch's convolutions at 48 channels are slower than at 64. 16 trains about 2.5 times as fast as 32 but
        /// mixed digits at two seeds of three on MNIST and clustered 1,000 images worse
        /// (examples/Benchmark/RESULTS.md, "DAC options").
        /// <value>The default value is 32.</value></summary>
        public int NetworkWidth { get; set; } = Dac.DacDefaults.NetworkWidth;

        /// <summary>Train every batch together with randomly rotated, zoomed and shifted copies of its images (up to 10
        /// degrees, 10% zoom, 10% shift); an image and its copy count as a similar pair. The reference code trains on
        /// jittered images too; it makes the result depend far less on the seed.
        /// <value>The default value is true.</value></summary>
        public bool Augment { get; set; } = Dac.DacDefaults.Augment;

        /// <summary>Pairs every image in a batch with a partner drawn at random, at each step, from the image itself and
        /// its NeighborPartners nearest neighbours in pixel space (exact kNN on the L2-normalised pixels). The partner,
        /// augmented when Augment is on, is trained as a similar pair of the image, in place of the image's own
        /// augmented copy. Neighbours in pixel space mostly share the class, so DAC learns what varies within a class
        /// beyond what the augmentation changes (as SCAN trains neighbours to agree). Not in the paper; 0 gives the
        /// paper's training, each image paired only with its own copy. Not used when DAC chooses k (NumberOfClusters =
        /// 0): the choice groups output units by how often augmented copies change unit, and neighbour partners blur
        /// those groups (a generated set of 12 shapes gave 11 groups with them, 12 without).
        /// <value>The default value is 10.</value></summary>
        public int NeighborPartners { get; set; } = Dac.DacDefaults.NeighborPartners;

        /// <summary>Draws neighbour partners only from each image's mutual neighbours: the images j among its
        /// 2 x NeighborPartners nearest in pixel space that also have it among their 2 x NeighborPartners nearest, at
        /// most NeighborPartners of them, nearest first; an image with no mutual neighbour draws from its NeighborPartners
        /// nearest. A neighbour relation that holds both ways joins images of the same class more often (on the MNIST
        /// sample of 10,000 digits 95.9% of the mutual pairs share the digit, against 91.8% of the 10 nearest; on 10,000
        /// Fashion-MNIST images 86.6% against 77.1%), so fewer partners pull two classes together. Used on training sets
        /// of at least MutualPartnersMinimumImages images. Not in the paper; false draws from the NeighborPartners
        /// nearest. No effect with NeighborPartners = 0.
        /// <value>The default value is true.</value></summary>
        public bool MutualPartners { get; set; } = Dac.DacDefaults.MutualPartners;

        /// <summary>The fewest training images for which MutualPartners applies; smaller sets draw partners from the
        /// NeighborPartners nearest. On 10,000 images mutual partners raised clothing NMI and kept digits as they were;
        /// on 300 to 2,000 clothing images they lowered NMI at most seeds (README, "What differs from the papers").
        /// 5,000 is the number of images an epoch draws at the least by default; 0 applies them to every set.
        /// <value>The default value is 5000.</value></summary>
        public int MutualPartnersMinimumImages { get; set; } = Dac.DacDefaults.MutualPartnersMinimumImages;
    }
}
