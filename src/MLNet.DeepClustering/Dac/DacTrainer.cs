using System.Diagnostics;
using Microsoft.ML.Runtime;
using MLNet.DeepClustering.Dac;
using MLNet.DeepClustering.Jule;
using MLNet.DeepClustering.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.DeepClustering;

/// <summary>
/// Deep Adaptive Clustering (Chang, Wang, Meng, Xiang, Pan; ICCV 2017): clustering as pairwise "same cluster?"
/// classification on the network's label features. Create it with <c>mlContext.Clustering.Trainers.Dac(...)</c>.
/// </summary>
/// <remarks>
/// <para><b>Trainer characteristics.</b> Machine learning task: clustering. Needs normalization: pixels in [0, 1]
/// (ExtractPixels with scaleImage 1/255). Input: one image column, Vector&lt;Single&gt; (C, H, W). Runs on CPU or CUDA.</para>
/// <para><b>Training.</b> The reference All-ConvNet (scaled to the image size; see <c>DacNetwork</c>) outputs k label
/// features f = L2-normalise(softmax(z)). Within every mini-batch, pairs with cosine similarity at or above u(lambda)
/// are taken as similar and pairs below l(lambda) as dissimilar; the binary cross-entropy on those pairs is minimised
/// with RMSprop, the learning rate decaying linearly over MaxEpochs. With <c>Augment</c>, every batch is trained
/// together with randomly rotated, zoomed and shifted copies of its images, pairs being selected on the clean images.
/// With <c>NeighborPartners</c> (not in the paper), the copy trained with an image is a copy of the image itself or of
/// one of its nearest neighbours in pixel space, counted as a similar pair; with <c>MutualPartners</c>, on training sets
/// of at least <c>MutualPartnersMinimumImages</c> images, of its mutual neighbours.
/// lambda grows by LambdaStep per 128,000 training images; training stops when u(lambda) &lt;= l(lambda) or after
/// MaxEpochs. Batch normalisation statistics are then re-estimated on the training images. ClusterBalanceWeight (0.5 by
/// default) adds a penalty on uneven cluster use within a batch (not in the paper; 0 turns it off; not used while
/// choosing k); with ClusterBalanceRampFraction its weight rises from 0 over that share of MaxEpochs. Then
/// SelfLabelingEpochs (5 by default; not in the paper) of self-labelling train the network and the cluster prototypes
/// on the images each cluster is surest of (<see cref="DeepClusteringTrainerOptions.SelfLabelingEpochs"/>).</para>
/// <para><b>Scoring function.</b> Score_j = 1 - f . p_j, the cosine distance between the label feature and cluster j's
/// unit-length prototype: the j-th unit vector (Score_j = 1 - f_j) in the paper's method, a learned prototype after
/// self-labelling or grouping output units. PredictedLabel = argmin Score + 1. Embedding = f (Vector&lt;Single, units&gt;).</para>
/// </remarks>
public sealed partial class DacTrainer : DeepClusteringTrainerBase
{
    private readonly Options _options;

    internal DacTrainer(IHostEnvironment env, Options options) : base(env, nameof(DacTrainer), options)
    {
        _options = (Options)TrainerOptions;
        options = _options;
        Require(options.MaxEpochs >= 1, options.MaxEpochs, "MaxEpochs must be at least 1.");
        Require(options.BatchSize >= 2, options.BatchSize, "BatchSize must be at least 2.");
        Require(options.LearningRate > 0 && float.IsFinite(options.LearningRate), options.LearningRate, "LearningRate must be positive.");
        Require(options.UpperThreshold > options.LowerThreshold && options.UpperThreshold <= 1 && options.LowerThreshold >= 0,
            options.UpperThreshold, "Need 0 <= LowerThreshold < UpperThreshold <= 1.");
        Require(options.ClusterBalanceWeight >= 0 && float.IsFinite(options.ClusterBalanceWeight), options.ClusterBalanceWeight,
            "ClusterBalanceWeight must be zero or positive.");
        Require(options.ClusterBalanceRampFraction is >= 0 and <= 1, options.ClusterBalanceRampFraction,
            "ClusterBalanceRampFraction must be in [0, 1].");
        Require(options.NeighborPartners >= 0, options.NeighborPartners, "NeighborPartners must be zero or positive.");
        Require(options.MutualPartnersMinimumImages >= 0, options.MutualPartnersMinimumImages,
            "MutualPartnersMinimumImages must be zero or positive.");
        Require(options.OverclusteringFactor >= 1, options.OverclusteringFactor, "OverclusteringFactor must be at least 1.");
        Require(options.MinimumOutputUnits >= 1, options.MinimumOutputUnits, "MinimumOutputUnits must be at least 1.");
        Require(options.LambdaStep > 0 && float.IsFinite(options.LambdaStep), options.LambdaStep, "LambdaStep must be positive.");
        Require(NetworkSpec.IsReliableWidth(options.NetworkWidth), options.NetworkWidth,
            $"NetworkWidth must be a positive multiple of {NetworkSpec.ChannelMultiple}: libtorch's CPU convolutions with other " +
            "channel counts give different results from run to run with the same seed, and sometimes NaN.");
    }

    private protected override string MethodName => "DAC";

    private protected override bool Augments => _options.Augment;

    private protected override ClusteringModel TrainCore(TrainingSession session)
    {
        int n = session.Data.Count;
        // Output units: k, or more to over-cluster (OverclusteringFactor, MinimumOutputUnits) or to choose units among
        // (NumberOfClusters = 0).
        int units = ChoosesClusterCount
            ? TrainingClusterCount(n)
            : Math.Min(Math.Max(_options.NumberOfClusters * _options.OverclusteringFactor, _options.MinimumOutputUnits),
                Math.Max(n - 1, _options.NumberOfClusters));
        var ch = session.Channel;
        var spec = new NetworkSpec(DacNetwork.KindName, session.Data.Shape, units, _options.NetworkWidth);
        var network = session.BuildNetwork(spec);
        double totalSteps = (double)_options.MaxEpochs * ((session.EpochLength(n) + _options.BatchSize - 1) / _options.BatchSize);
        using var optimizer = TrainingOptimizer.RmsProp(network.parameters(), _options.LearningRate,
            step => Math.Max(FinalLearningRateFraction, 1 - step / totalSteps));
        // The balance term evens out the use of all units; while choosing k, the units in use are what decides k.
        bool balance = UsedUnlessChoosingK(ch, _options.ClusterBalanceWeight > 0, nameof(Options.ClusterBalanceWeight));
        var schedule = new DacThresholdSchedule(_options.UpperThreshold, _options.LowerThreshold, _options.LambdaStep);
        session.EstimatedTotalEpochs = _options.MaxEpochs;
        var clock = Stopwatch.StartNew();
        using var pairCounts = zeros(2, dtype: ScalarType.Float64, device: session.Device);
        var partners = PartnerCandidates(session);
        double lastDissimilar = double.NaN;
        for (int epoch = 1; epoch <= _options.MaxEpochs; epoch++)
        {
            float lambda = schedule.Lambda(session.ImagesTrained), upper = schedule.Upper(lambda), lower = schedule.Lower(lambda);
            if (schedule.IsDone(lambda))
            {
                ch.Info($"DAC: u(lambda) <= l(lambda) at lambda {lambda:F3}; training done.");
                break;
            }
            pairCounts.zero_();
            float balanceWeightValue = BalanceWeight(_options.ClusterBalanceWeight, _options.ClusterBalanceRampFraction, _options.MaxEpochs, epoch);
            using var balanceWeight = balanceWeightValue.ToScalar();
            var result = session.RunEpoch(network, optimizer, session.EpochOrder(() => session.Shuffled(n)), _options.BatchSize, (x, indices) =>
            {
                // Each batch is trained together with a partner per image: its jittered copy, or with NeighborPartners
                // a jittered copy of itself or of one of its pixel-space neighbours. Pairs are selected on the label
                // features of the clean images (an image and its partner are always "similar"), so the network learns
                // that a digit and its jittered copy, or its neighbour, belong together.
                Tensor? partner = partners is null ? (_options.Augment ? x : null) : session.Batch(PickPartners(session.Random, partners, indices));
                if (partner is not null && _options.Augment)
                    partner = Augmentation.RandomAffine(partner, session.Generator, _options.HorizontalFlip);
                var labelFeatures = network.call(partner is null ? x : cat(new[] { x, partner }));
                Tensor? selection = null;
                if (partner is not null)
                {
                    var clean = labelFeatures.detach().narrow(0, 0, x.shape[0]);
                    selection = cat(new[] { clean, clean });
                }
                var loss = DacPairwiseLoss.Compute(labelFeatures, upper, lower, out var similar, out var dissimilar, selection);
                if (balance && balanceWeightValue > 0)
                    loss = loss.add(DacPairwiseLoss.BalancePenalty(labelFeatures).mul(balanceWeight), Scalars.One);
                pairCounts.add_(stack(new[] { similar, dissimilar }).to(ScalarType.Float64), Scalars.One);
                return loss;
            });
            var counts = pairCounts.cpu().data<double>().ToArray();
            double batches = Math.Max(1, result.Batches);
            lastDissimilar = counts[1];
            ch.Info($"DAC epoch {epoch}: lambda {lambda:F4}, u {upper:F3}, l {lower:F3}, selected pairs/batch: similar {counts[0] / batches:F0}, " +
                    $"dissimilar {counts[1] / batches:F0}, {(balance ? $"balance weight {balanceWeightValue:F3}, " : "")}loss {result.MeanLoss:F4}, {result.Seconds:F1} s ({result.ImagesPerSecond:F0} images/s), " +
                    $"total {clock.Elapsed.TotalSeconds:F1} s");
        }
        if (lastDissimilar == 0)
            ch.Warning($"DAC: the last epoch selected no dissimilar pairs: the network gives every image nearly the same label " +
                       $"features, so the clusters have collapsed ({units} output units). Raise MinimumOutputUnits or OverclusteringFactor, " +
                       "or train longer (MaxEpochs).");
        // Batch normalisation's running statistics trail the weights of the last few hundred steps; re-estimate them
        // on the clean images so evaluation-mode outputs (used for labels and by the transformer) match the final net.
        session.RecalibrateBatchNorm(network);
        if (ChoosesClusterCount || units > _options.NumberOfClusters)
            return new ClusteringModel(spec, network, GroupUnits(session, network, units, ChoosesClusterCount ? null : _options.NumberOfClusters), session.Device);
        LogClusterSizes(session, network, units);
        return new ClusteringModel(spec, network, ScoreHead.Identity(units), session.Device);
    }

    /// <summary>The balance term's weight in <paramref name="epoch"/> (from 1): rising linearly from 0 at the first epoch to
    /// <paramref name="weight"/> after <paramref name="rampFraction"/> x <paramref name="maxEpochs"/> epochs, or the full
    /// weight throughout when <paramref name="rampFraction"/> is 0.</summary>
    internal static float BalanceWeight(float weight, float rampFraction, int maxEpochs, int epoch)
        => rampFraction == 0 ? weight : weight * (float)Math.Min(1, (epoch - 1) / ((double)rampFraction * maxEpochs));

    /// <summary>Augmented copies of each image when output units are grouped.</summary>
    private const int SelectionCopies = 4;

    /// <summary>
    /// Groups the <paramref name="units"/> output units into <paramref name="count"/> clusters, or into a chosen number
    /// (NumberOfClusters = 0), after training with more units than clusters. DAC then spreads a class over several
    /// units, and its label features are nearly one-hot, so units are grouped by how often an augmented copy of an image
    /// (the training augmentation) lands in another unit (<see cref="ClusterCountSelection.ChooseUnitGroups"/>). Cluster
    /// j's prototype is the L2-normalised mean label feature of its images, so Score_j = 1 - f . p_j stays a cosine
    /// distance; a cluster left without units (fewer units in use than clusters) gets a zero prototype and no images.
    /// </summary>
    private ScoreHead GroupUnits(TrainingSession session, nn.Module<Tensor, Tensor> network, int units, int? count)
    {
        int n = session.Data.Count;
        var features = session.Embed(network, units);
        var unitOf = ArgMax(features, units);
        var augmented = new int[n * SelectionCopies];
        for (int c = 0; c < SelectionCopies; c++)
        {
            var copy = ArgMax(session.Embed(network, x => network.call(Augmentation.RandomAffine(x, session.Generator, _options.HorizontalFlip)), units), units);
            for (int i = 0; i < n; i++)
                augmented[i * SelectionCopies + c] = copy[i];
        }
        var choice = ClusterCountSelection.ChooseUnitGroups(unitOf, augmented, units, units, count);
        session.Channel.Info($"DAC: {choice.Explanation}.");
        int k = count ?? choice.Count;
        if (k > choice.Count)
            session.Channel.Warning($"DAC: only {choice.Count} groups of output units hold images; {k - choice.Count} of the {k} clusters stay empty.");
        var prototypes = ScoreHead.ClusterMeans(features, choice.Labels, k, units);
        KnnGraph.NormalizeRows(prototypes, units);
        session.Channel.Info($"DAC cluster sizes on the training data: [{string.Join(", ", ScoreHead.ClusterSizes(choice.Labels, k))}]");
        return new ScoreHead(ScoreKind.CosineDistanceToPrototypes, k, units, prototypes);
    }

    /// <summary>Whether a requested addition to the paper's training applies: not while k is chosen (NumberOfClusters =
    /// 0), which is then said on the channel.</summary>
    private bool UsedUnlessChoosingK(IChannel ch, bool requested, string option)
    {
        if (requested && ChoosesClusterCount)
            ch.Info($"DAC: {option} not used while choosing the number of clusters (NumberOfClusters = 0).");
        return requested && !ChoosesClusterCount;
    }

    /// <summary>Each image's partner candidates besides itself (<see cref="PartnerLists"/>), or null when NeighborPartners
    /// is 0 or k is chosen.</summary>
    private int[][]? PartnerCandidates(TrainingSession session)
    {
        int neighbors = Math.Min(_options.NeighborPartners, session.Data.Count - 1);
        // Choosing k groups the output units by how often augmented copies of an image change unit; neighbour
        // partners train neighbouring classes towards each other's units and blur those groups.
        if (!UsedUnlessChoosingK(session.Channel, neighbors >= 1, nameof(Options.NeighborPartners)))
            return null;
        var clock = Stopwatch.StartNew();
        if (!_options.MutualPartners || session.Data.Count < _options.MutualPartnersMinimumImages)
        {
            var graph = session.PixelKnnGraph(neighbors);
            string why = _options.MutualPartners
                ? $"; MutualPartners is used from MutualPartnersMinimumImages = {_options.MutualPartnersMinimumImages} images"
                : "";
            session.Channel.Info($"DAC: {neighbors} pixel-space neighbours per image as partner candidates ({clock.Elapsed.TotalSeconds:F1} s{why}).");
            return PartnerLists(graph, neighbors, mutual: false, out _);
        }
        var wide = session.PixelKnnGraph(MutualSearchFactor * neighbors);
        var lists = PartnerLists(wide, neighbors, mutual: true, out int withoutMutual);
        session.Channel.Info($"DAC: mutual pixel-space neighbours as partner candidates: among {wide.NeighborCount} neighbours per image, at most " +
                             $"{neighbors}, {lists.Average(l => l.Length):F1} on average; {withoutMutual} of {lists.Length} images have none and keep " +
                             $"their {neighbors} nearest ({clock.Elapsed.TotalSeconds:F1} s).");
        return lists;
    }

    /// <summary>With MutualPartners, mutuality is checked among this many times NeighborPartners nearest neighbours.</summary>
    internal const int MutualSearchFactor = 2;

    /// <summary>
    /// Each point's partner candidates in <paramref name="graph"/>, nearest first: its <paramref name="count"/> nearest
    /// neighbours, or with <paramref name="mutual"/> its mutual neighbours (j in i's list and i in j's), at most
    /// <paramref name="count"/> of them, a point with none keeping its <paramref name="count"/> nearest
    /// (<paramref name="withoutMutual"/> counts those points).
    /// </summary>
    internal static int[][] PartnerLists(KnnGraph graph, int count, bool mutual, out int withoutMutual)
    {
        count = Math.Min(count, graph.NeighborCount);
        withoutMutual = 0;
        var lists = new int[graph.Count][];
        var kept = new List<int>(count);
        for (int i = 0; i < graph.Count; i++)
        {
            var neighbors = graph.NeighborsOf(i);
            kept.Clear();
            if (mutual)
                foreach (int j in neighbors)
                {
                    if (kept.Count == count)
                        break;
                    if (graph.NeighborsOf(j).Contains(i))
                        kept.Add(j);
                }
            if (kept.Count == 0)
            {
                if (mutual)
                    withoutMutual++;
                lists[i] = neighbors[..count].ToArray();
            }
            else
                lists[i] = kept.ToArray();
        }
        return lists;
    }

    /// <summary>For each image of a batch, itself or one of its partner candidates, uniformly.</summary>
    internal static int[] PickPartners(Random random, int[][] candidates, int[] indices)
    {
        var picks = new int[indices.Length];
        for (int b = 0; b < indices.Length; b++)
        {
            var list = candidates[indices[b]];
            int choice = random.Next(list.Length + 1);
            picks[b] = choice == list.Length ? indices[b] : list[choice];
        }
        return picks;
    }

    /// <summary>The learning rate decays linearly from LearningRate to this fraction of it over MaxEpochs.</summary>
    internal const double FinalLearningRateFraction = 0.02;

    private static void LogClusterSizes(TrainingSession session, nn.Module<Tensor, Tensor> network, int k)
    {
        var units = ArgMax(session.Embed(network, k), k);
        session.Channel.Info($"DAC cluster sizes on the training data: [{string.Join(", ", ScoreHead.ClusterSizes(units, k))}]");
    }

    /// <summary>The index of the largest of each row of <paramref name="k"/> values.</summary>
    private static int[] ArgMax(float[] rows, int k)
    {
        var result = new int[rows.Length / k];
        for (int i = 0; i < result.Length; i++)
        {
            var row = rows.AsSpan(i * k, k);
            int best = 0;
            for (int j = 1; j < k; j++)
                if (row[j] > row[best])
                    best = j;
            result[i] = best;
        }
        return result;
    }
}
