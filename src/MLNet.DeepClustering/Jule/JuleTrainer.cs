using System.Diagnostics;
using Microsoft.ML.Runtime;
using MLNet.DeepClustering.Jule;
using MLNet.DeepClustering.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.DeepClustering;

/// <summary>
/// JULE, Joint Unsupervised LEarning of deep representations and image clusters (Yang, Parikh, Batra; CVPR 2016):
/// recurrent agglomerative clustering on a CNN's features. Create it with <c>mlContext.Clustering.Trainers.Jule(...)</c>.
/// </summary>
/// <remarks>
/// <para><b>Trainer characteristics.</b> Machine learning task: clustering. Input: one image column, Vector&lt;Single&gt;
/// (C, H, W), pixels in [0, 1]. Runs on CPU or CUDA; the clustering engine runs on the CPU in O(n Ks) memory.</para>
/// <para><b>Training.</b> Images start in small clusters (1-NN chains on L2-normalised pixels). Each period trains the
/// CNN for EpochsPerPeriod epochs with the weighted triplet loss on the current clusters (on randomly rotated, zoomed
/// and shifted copies with Augment), then rebuilds the kNN graph on the new embeddings and merges
/// ceil(UnrollingRate * clusters) clusters by graph-degree-linkage affinity with the criterion of the paper's eq. 7
/// (<see cref="GdlAgglomeration"/>); the merge that reaches NumberOfClusters ends the recurrent process, as in the
/// reference code. With TrainOnFinalClusters (not in the paper), one more period then trains the CNN on the final
/// clusters, and with TrainOnOverclusters (off by default) a period on the k x OverclusteringFactor clusters comes
/// before it. With Reclustering (RC), the final clusters come from a fresh agglomeration on the final embeddings. With
/// NumberOfClusters = 0, the process runs down to MaxNumberOfClusters and k is chosen on the affinity curve of that
/// fresh agglomeration (<see cref="ClusterCountSelection"/>) before the last period.</para>
/// <para><b>Scoring function.</b> Embedding = the L2-normalised CNN output (Vector&lt;Single, EmbeddingSize&gt;).
/// Score_j = squared Euclidean distance from the embedding to the centroid of final cluster j; PredictedLabel = argmin
/// Score + 1. New images are assigned to the nearest final centroid. With SelfLabelingEpochs (0 by default; not in the
/// paper), the network and the centroids are trained further on the images each cluster is surest of, and the centroids
/// become those unit-length prototypes (<see cref="DeepClusteringTrainerOptions.SelfLabelingEpochs"/>).</para>
/// </remarks>
public sealed partial class JuleTrainer : DeepClusteringTrainerBase
{
    private readonly Options _options;


    internal JuleTrainer(IHostEnvironment env, Options options) : base(env, nameof(JuleTrainer), options)
    {
        _options = (Options)TrainerOptions;
        options = _options;
        Require(options.NeighborCount >= 1, options.NeighborCount, "NeighborCount must be at least 1.");
        Require(options.SigmaScale > 0 && double.IsFinite(options.SigmaScale), options.SigmaScale, "SigmaScale must be positive.");
        Require(options.NeighborClusterCount >= 1, options.NeighborClusterCount, "NeighborClusterCount must be at least 1.");
        Require(options.Lambda >= 0 && double.IsFinite(options.Lambda), options.Lambda, "Lambda must be zero or positive.");
        Require(options.Gamma > 0 && float.IsFinite(options.Gamma), options.Gamma, "Gamma must be positive.");
        Require(options.Margin >= 0 && float.IsFinite(options.Margin), options.Margin, "Margin must be zero or positive.");
        Require(options.UnrollingRate > 0 && options.UnrollingRate <= 1, options.UnrollingRate, "UnrollingRate must be in (0, 1].");
        Require(options.EpochsPerPeriod >= 0, options.EpochsPerPeriod, "EpochsPerPeriod must be zero or positive.");
        Require(options.BatchSize >= 2, options.BatchSize, "BatchSize must be at least 2.");
        Require(options.LearningRate > 0 && float.IsFinite(options.LearningRate), options.LearningRate, "LearningRate must be positive.");
        Require(options.Momentum >= 0 && options.Momentum < 1, options.Momentum, "Momentum must be in [0, 1).");
        Require(options.WeightDecay >= 0 && float.IsFinite(options.WeightDecay), options.WeightDecay, "WeightDecay must be zero or positive.");
        Require(options.EmbeddingSize >= 1, options.EmbeddingSize, "EmbeddingSize must be at least 1.");
        Require(options.OverclusteringFactor >= 1, options.OverclusteringFactor, "OverclusteringFactor must be at least 1.");
        Require(options.MinClusterFraction >= 0 && options.MinClusterFraction < 1, options.MinClusterFraction, "MinClusterFraction must be in [0, 1).");
        Require(options.MaxClusterSizeRatio == 0 || (options.MaxClusterSizeRatio >= 1 && double.IsFinite(options.MaxClusterSizeRatio)),
            options.MaxClusterSizeRatio, "MaxClusterSizeRatio must be 0 (no cap) or at least 1.");
    }

    private protected override string MethodName => "JULE";

    private protected override bool Augments => _options.Augment;

    private protected override ClusteringModel TrainCore(TrainingSession session)
    {
        var ch = session.Channel;
        var data = session.Data;
        int n = data.Count, k = TrainingClusterCount(data.Count), d = _options.EmbeddingSize;
        // A graph over n images has at most n - 1 neighbours per image.
        int neighbors = Math.Min(_options.NeighborCount, n - 1);
        if (neighbors < _options.NeighborCount)
            ch.Info($"JULE: {n} images; the kNN graphs use {neighbors} neighbours instead of NeighborCount = {_options.NeighborCount}.");
        // The recurrent process stops at `target` clusters: k, k x OverclusteringFactor, or the largest k considered.
        int target = ChoosesClusterCount ? k : Math.Max(k, Math.Min(k * _options.OverclusteringFactor, n / 2));
        int minClusterSize = (int)(_options.MinClusterFraction * n / target);
        var graphClock = session.ClusteringClock;
        var total = Stopwatch.StartNew();

        var pixels = data.NormalizedRows();
        graphClock.Start();
        var graph = session.PixelKnnGraph(neighbors, pixels);
        var engine = new GdlAgglomeration(graph, pixels, GdlAgglomeration.NearestNeighborClusters(graph), _options.SigmaScale);
        graphClock.Stop();
        ch.Info($"JULE: {engine.ClusterCount} initial clusters from 1-NN chains on pixels ({graphClock.Elapsed.TotalSeconds:F1} s).");
        session.Clusters = engine.ClusterCount;
        // With TrainOnOverclusters, one period trains on the k x OverclusteringFactor clusters the recurrent process ends at.
        bool overclusterPeriod = _options.TrainOnOverclusters && target > k && _options.EpochsPerPeriod > 0;
        session.EstimatedTotalEpochs = _options.EpochsPerPeriod *
            (Periods(engine.ClusterCount, target, _options.UnrollingRate) + (overclusterPeriod ? 1 : 0) + (_options.TrainOnFinalClusters ? 1 : 0));

        var spec = new NetworkSpec(JuleNetwork.KindName, data.Shape, d, Jule.JuleDefaults.NetworkWidth);
        var network = session.BuildNetwork(spec);
        using var optimizer = TrainingOptimizer.Sgd(network.parameters(), _options.LearningRate, _options.Momentum, _options.WeightDecay,
            step => Math.Pow(1 + 1e-4 * step, -0.75));

        // As the reference code: each period trains the CNN on the current clusters (the first on the initial ones) and
        // then merges on the new embeddings; the merge that reaches k ends the recurrent process, so the CNN has not
        // been trained on the final clusters (TrainOnFinalClusters adds that period below).
        int[] labels = engine.Labels();
        float[] embedding;

        // A new agglomeration engine on the kNN graph of the current embeddings, starting from `start` (the current
        // clusters) or, when null, from 1-NN chains.
        void RebuildEngine(int[]? start)
        {
            graph = session.BuildKnnGraph(embedding, d, neighbors);
            engine = new GdlAgglomeration(graph, embedding, start ?? GdlAgglomeration.NearestNeighborClusters(graph), _options.SigmaScale);
        }

        for (int period = 1; ; period++)
        {
            session.Period = period;
            var cnnClock = Stopwatch.StartNew();
            double loss = TrainPeriod(session, network, optimizer, labels);
            embedding = session.Embed(network, d);
            cnnClock.Stop();
            int before = engine.ClusterCount;
            if (before <= target)
                break;
            graphClock.Start();
            RebuildEngine(labels);
            int merges = MergesPerPeriod(before, target, _options.UnrollingRate);
            if (before - merges <= target || engine.Merge(merges, _options.NeighborClusterCount, _options.Lambda, session.CheckCanceled) == 0)
                engine.MergeTo(target, _options.NeighborClusterCount, _options.Lambda, minClusterSize, session.CheckCanceled);
            labels = engine.Labels();
            graphClock.Stop();
            session.Clusters = engine.ClusterCount;
            session.ReportProgress(DeepClusteringPhase.Clustering);
            ch.Info($"JULE period {period}: CNN on {before} clusters, triplet loss {loss:F4}, {cnnClock.Elapsed.TotalSeconds:F1} s; merged to {engine.ClusterCount}; " +
                    $"graph and merging {graphClock.Elapsed.TotalSeconds:F1} s so far, total {total.Elapsed.TotalSeconds:F1} s");
            if (engine.ClusterCount <= target)
                break;
        }
        ch.Info($"JULE SF cluster sizes: [{string.Join(", ", ScoreHead.ClusterSizes(labels, target))}]");

        // A fresh agglomeration of the current embeddings down to k (the paper's re-clustering, RC).
        int[] Recluster(int clusters)
        {
            graphClock.Start();
            RebuildEngine(null);
            MergeToFinal(clusters);
            graphClock.Stop();
            return engine.Labels();
        }

        // The final merges of the current engine down to k clusters, under the size cap.
        void MergeToFinal(int clusters)
        {
            int maxSize = _options.MaxClusterSizeRatio > 0
                ? (int)Math.Min(int.MaxValue, Math.Ceiling(_options.MaxClusterSizeRatio * n / clusters)) : int.MaxValue;
            engine.MergeTo(clusters, _options.NeighborClusterCount, _options.Lambda, minClusterSize, session.CheckCanceled, maxSize);
            if (engine.CappedMerges > 0)
                ch.Info($"JULE: {engine.CappedMerges} of the merges to {clusters} clusters joined another pair because the most affine one would " +
                        $"have made a cluster of more than {maxSize} images (MaxClusterSizeRatio {_options.MaxClusterSizeRatio}).");
        }

        // A period after the recurrent process: trains the CNN on `labels` and embeds the images anew.
        void TrainOneMorePeriod(string clusters)
        {
            session.Period++;
            var cnnClock = Stopwatch.StartNew();
            double loss = TrainPeriod(session, network, optimizer, labels);
            embedding = session.Embed(network, d);
            ch.Info($"JULE period {session.Period}: CNN on {clusters}, triplet loss {loss:F4}, {cnnClock.Elapsed.TotalSeconds:F1} s; " +
                    $"total {total.Elapsed.TotalSeconds:F1} s");
        }

        // True while `labels` are the re-clustering of the current embedding, so RC below need not run again.
        bool reclustered = false;
        if (ChoosesClusterCount)
        {
            // k from the affinity curve of a fresh agglomeration on the final embeddings: the recurrent process above
            // trained the CNN down to the largest k considered.
            graphClock.Start();
            var choice = ClusterCountSelection.Choose(embedding, d, k, neighbors, _options.SigmaScale,
                _options.NeighborClusterCount, _options.Lambda, minClusterSize, session.CheckCanceled, session.Threads);
            graphClock.Stop();
            ch.Info($"JULE: {choice.Explanation}.");
            k = choice.Count;
            labels = choice.Labels;
            minClusterSize = (int)(_options.MinClusterFraction * n / k);
            session.Clusters = k;
        }
        else if (target > k || (_options.TrainOnFinalClusters && _options.Reclustering))
        {
            // The k clusters the last period trains on: the recurrent process's merges continued down to k, or with
            // Reclustering the re-clustered ones (training on the recurrent process's own clusters fits their mistakes).
            if (overclusterPeriod)
            {
                // One more period on the k x OverclusteringFactor clusters (re-clustered with Reclustering), so the CNN
                // separates them before the final merges join them into k.
                if (_options.Reclustering)
                    labels = Recluster(target);
                // The engine holds the clusters trained on: `target` of them, or fewer when the recurrent process started
                // at or below that many and Reclustering is off.
                session.Clusters = engine.ClusterCount;
                TrainOneMorePeriod($"{engine.ClusterCount} clusters (TrainOnOverclusters)");
                if (!_options.Reclustering)
                {
                    // The recurrent process's own clusters merge on: their affinities come from the new embedding.
                    graphClock.Start();
                    RebuildEngine(labels);
                    graphClock.Stop();
                }
            }
            minClusterSize = (int)(_options.MinClusterFraction * n / k);
            if (_options.Reclustering)
            {
                labels = Recluster(k);
                reclustered = true;
            }
            else
            {
                MergeToFinal(k);
                labels = engine.Labels();
            }
            session.Clusters = k;
        }
        if (_options.TrainOnFinalClusters && _options.EpochsPerPeriod > 0)
        {
            // One more period fits the CNN to the final clusters (the recurrent process ended with a merge).
            TrainOneMorePeriod($"the {k} final clusters");
            reclustered = false;
        }
        if (_options.Reclustering)
        {
            if (!reclustered)
                labels = Recluster(k);
            ch.Info($"JULE RC cluster sizes: [{string.Join(", ", ScoreHead.ClusterSizes(labels, k))}]");
        }
        return new ClusteringModel(spec, network, new ScoreHead(ScoreKind.SquaredDistanceToCentroids, k, d, ScoreHead.ClusterMeans(embedding, labels, k, d)), session.Device);
    }

    // One period of CNN training on the current clusters.
    private double TrainPeriod(TrainingSession session, nn.Module<Tensor, Tensor> network, TrainingOptimizer optimizer, int[] labels)
    {
        double loss = double.NaN;
        using var labelTensor = session.PerImageLabels(labels);
        for (int epoch = 0; epoch < _options.EpochsPerPeriod; epoch++)
        {
            var order = session.EpochOrder(() => ClusterChunkOrder(labels, session.Random, Math.Max(2, _options.BatchSize / 10)));
            var result = session.RunEpoch(network, optimizer, order, _options.BatchSize, (x, indices) =>
            {
                var batchLabels = TensorMemory.SelectRows(labelTensor, indices);
                var input = _options.Augment ? Augmentation.RandomAffine(x, session.Generator, _options.HorizontalFlip) : x;
                return JuleTripletLoss.Compute(network.call(input), batchLabels, _options.NeighborClusterCount, _options.Gamma, _options.Margin, out _);
            });
            loss = result.MeanLoss;
            session.Channel.Trace($"JULE epoch {epoch + 1}: loss {loss:F4}, {result.ImagesPerSecond:F0} images/s");
        }
        return loss;
    }

    /// <summary>Periods the recurrent process needs from <paramref name="clusters"/> initial clusters down to
    /// <paramref name="k"/>: each period ends by merging ceil(eta * clusters), never below k.</summary>
    internal static int Periods(int clusters, int k, double unrollingRate)
    {
        int periods = 1;
        for (int left = clusters - MergesPerPeriod(clusters, k, unrollingRate); left > k; left -= MergesPerPeriod(left, k, unrollingRate))
            periods++;
        return periods;
    }

    /// <summary>Merges at the end of a period that starts with <paramref name="clusters"/>: ceil(eta * clusters), never below k.</summary>
    private static int MergesPerPeriod(int clusters, int k, double unrollingRate)
        => Math.Min((int)Math.Ceiling(unrollingRate * clusters), clusters - k);

    /// <summary>
    /// A training order where every batch holds several clusters and positives for each: clusters are cut into chunks
    /// of at most <paramref name="chunk"/> images, and the chunks are shuffled.
    /// </summary>
    internal static int[] ClusterChunkOrder(int[] labels, Random random, int chunk)
    {
        var chunks = new List<int[]>();
        foreach (var group in Enumerable.Range(0, labels.Length).GroupBy(i => labels[i]).OrderBy(g => g.Key))
        {
            var members = group.ToArray();
            random.Shuffle(members);
            for (int s = 0; s < members.Length; s += chunk)
                chunks.Add(members[s..Math.Min(members.Length, s + chunk)]);
        }
        var shuffled = chunks.ToArray();
        random.Shuffle(shuffled);
        return shuffled.SelectMany(c => c).ToArray();
    }
}
