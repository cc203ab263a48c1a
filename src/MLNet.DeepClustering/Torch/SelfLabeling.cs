using System.Diagnostics;
using Microsoft.ML.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.DeepClustering.Torch;

/// <summary>
/// Self-labelling after a trainer's own training, shared by JULE and DAC (after SCAN's last stage, Van Gansbeke et al.,
/// ECCV 2020): the network is trained on its own most confident cluster assignments, with class-balanced cross-entropy on
/// augmented copies, so the boundaries between clusters sharpen where the trainer left them unsure.
/// </summary>
/// <remarks>
/// The classifier is the trained model's score head read as prototypes: p_j is the L2-normalised centroid (JULE) or unit
/// prototype (DAC) of cluster j, and the logit of cluster j for an embedding e is cos(e, p_j) / <see cref="Temperature"/>.
/// Each epoch embeds the clean training images, assigns each to its nearest prototype, and takes, within every
/// cluster, the given fraction of its images with the largest margin between the nearest and the second nearest
/// prototype. With a neighbour agreement above 0, of those it keeps the images whose 10 nearest neighbours in pixel
/// space lie, to at least that share, in the same cluster (neighbourhoods that cross a cluster boundary mark the images
/// the trainer is most likely to have misplaced), and at least a tenth of every cluster, so none can starve, where
/// SCAN's fixed probability threshold can leave a cluster without confident images. The network and the prototypes
/// then train for one pass over the kept images with cross-entropy on their augmented copies, each cluster's images weighted by (kept images) / (k x kept in the cluster),
/// as SCAN balances its classes. Batch normalisation is re-estimated afterwards; the refined model's head holds the
/// learned prototypes, so Score keeps its kind and the predicted cluster stays the nearest prototype. If a cluster the
/// trainer found ends empty, the refinement is undone.
/// </remarks>
internal static class SelfLabeling
{
    /// <summary>Softmax temperature of the cosine logits.</summary>
    public const float Temperature = 0.1f;

    /// <summary>Images per mini-batch.</summary>
    public const int BatchSize = 128;

    /// <summary>RMSprop learning rate at the start, decaying linearly to zero over the epochs.</summary>
    public const double LearningRate = 1e-4;

    public static ClusteringModel Refine(TrainingSession session, ClusteringModel model, int epochs, float fraction, float neighborAgreement,
        bool augment, bool horizontalFlip, string method)
    {
        var ch = session.Channel;
        int n = session.Data.Count, k = model.ClusterCount, d = model.EmbeddingSize;
        var network = model.Network;
        var prototypes = (float[])model.Head.Matrix.Clone();
        Jule.KnnGraph.NormalizeRows(prototypes, d);
        var embedding = session.Embed(network, d);
        var labels = Assign(embedding, prototypes, k, d, out var margins);
        var sizesBefore = ScoreHead.ClusterSizes(labels, k);
        int usedBefore = sizesBefore.Count(s => s > 0);
        if (sizesBefore.Any(s => s is > 0 and < 2))
        {
            ch.Info($"{method}: self-labelling skipped: a cluster holds a single image.");
            return model;
        }
        var weightsBefore = model.SaveWeights();
        var clock = Stopwatch.StartNew();
        var graph = neighborAgreement > 0 && n > 1 ? session.PixelKnnGraph(AgreementNeighbors) : null;
        if (graph is not null)
            ch.Info($"{method} self-labelling: keeps images whose {graph.NeighborCount} pixel-space neighbours are at least {neighborAgreement:P0} " +
                    $"in their cluster ({clock.Elapsed.TotalSeconds:F1} s for the graph).");
        using var prototypeParameter = new TorchSharp.Modules.Parameter(tensor(prototypes, new long[] { k, d }).to(session.Device));
        // The learning rate's schedule counts every epoch as long as the first. With the neighbour check the kept images
        // can grow from epoch to epoch (by up to 9% on Fashion-MNIST), and the steps past the schedule's end run at rate 0.
        var current = labels;
        var selected = Selection(current, margins, k, fraction, Agreeing(graph, current, neighborAgreement));
        double totalSteps = (double)epochs * ((session.EpochLength(selected.Length) + BatchSize - 1) / BatchSize);
        using var optimizer = TrainingOptimizer.RmsProp(network.parameters().Append(prototypeParameter), LearningRate,
            step => Math.Max(0, 1 - step / totalSteps));
        using var inverseTemperature = (1f / Temperature).ToScalar();
        session.EstimatedTotalEpochs = session.EpochsRun + epochs;
        for (int epoch = 1; epoch <= epochs; epoch++)
        {
            if (epoch > 1)
            {
                // The clusters and margins of the network and prototypes the last epoch left.
                embedding = session.Embed(network, d);
                prototypes = Normalized(prototypeParameter, k, d);
                current = Assign(embedding, prototypes, k, d, out margins);
                selected = Selection(current, margins, k, fraction, Agreeing(graph, current, neighborAgreement));
            }
            int changed = Changed(current, labels);
            var kept = ScoreHead.ClusterSizes(Array.ConvertAll(selected, i => current[i]), k);
            var classWeights = kept.Select(c => c > 0 ? (float)selected.Length / (k * c) : 0f).ToArray();
            using var labelTensor = session.PerImageLabels(current);
            using var weightTensor = tensor(classWeights, device: session.Device);
            var order = session.EpochOrder(() =>
            {
                var pass = selected.ToArray();
                session.Random.Shuffle(pass);
                return pass;
            });
            var result = session.RunEpoch(network, optimizer, order, BatchSize, (x, indices) =>
            {
                var input = augment ? Augmentation.RandomAffine(x, session.Generator, horizontalFlip) : x;
                var e = nn.functional.normalize(network.call(input), p: 2, dim: 1);
                var p = nn.functional.normalize(prototypeParameter, p: 2, dim: 1);
                var logits = e.matmul(p.t()).mul(inverseTemperature);
                return nn.functional.cross_entropy(logits, TensorMemory.SelectRows(labelTensor, indices), weight: weightTensor);
            });
            ch.Info($"{method} self-labelling epoch {epoch}: {selected.Length} of {n} images kept, {changed} changed cluster since the trainer's " +
                    $"assignment, loss {result.MeanLoss:F4}, {result.Seconds:F1} s ({result.ImagesPerSecond:F0} images/s), total {clock.Elapsed.TotalSeconds:F1} s");
        }
        session.RecalibrateBatchNorm(network);
        prototypes = Normalized(prototypeParameter, k, d);
        embedding = session.Embed(network, d);
        var final = Assign(embedding, prototypes, k, d, out _);
        var sizes = ScoreHead.ClusterSizes(final, k);
        int changedInAll = Changed(final, labels);
        if (sizes.Count(s => s > 0) < usedBefore)
        {
            ch.Warning($"{method}: self-labelling emptied a cluster (sizes [{string.Join(", ", sizes)}]); it is undone and the trainer's clusters are kept.");
            model.RestoreWeights(weightsBefore);
            return model;
        }
        ch.Info($"{method}: self-labelling moved {changedInAll} of {n} images to another cluster ({clock.Elapsed.TotalSeconds:F1} s); " +
                $"cluster sizes [{string.Join(", ", sizes)}]");
        return model.WithHead(new ScoreHead(model.Head.Kind, k, d, prototypes));
    }

    /// <summary>The nearest prototype (largest dot product) of each row, and the margin to the second nearest.</summary>
    internal static int[] Assign(float[] embedding, float[] prototypes, int k, int d, out float[] margins)
    {
        int n = embedding.Length / d;
        var labels = new int[n];
        margins = new float[n];
        for (int i = 0; i < n; i++)
        {
            var row = embedding.AsSpan(i * d, d);
            float best = float.NegativeInfinity, second = float.NegativeInfinity;
            int bestIndex = 0;
            for (int c = 0; c < k; c++)
            {
                float s = System.Numerics.Tensors.TensorPrimitives.Dot(row, prototypes.AsSpan(c * d, d));
                if (s > best)
                {
                    second = best;
                    best = s;
                    bestIndex = c;
                }
                else if (s > second)
                    second = s;
            }
            labels[i] = bestIndex;
            margins[i] = k > 1 ? best - second : 0f;
        }
        return labels;
    }

    /// <summary>
    /// Within every cluster, of the ceil(fraction x size) images with the largest margin (ties by index), those that
    /// <paramref name="agreeing"/> marks (all when it is null); a cluster where fewer than ceil(<see cref="MinimumKeptShare"/>
    /// x size) of them agree keeps that many, agreeing ones first, then the others by margin.
    /// </summary>
    internal static int[] Selection(int[] clusters, float[] margins, int k, float fraction, bool[]? agreeing = null)
    {
        var members = new List<int>[k];
        for (int c = 0; c < k; c++)
            members[c] = new List<int>();
        for (int i = 0; i < clusters.Length; i++)
            members[clusters[i]].Add(i);
        var selected = new List<int>();
        foreach (var list in members)
        {
            var candidates = list.OrderByDescending(i => margins[i]).ThenBy(i => i).Take((int)Math.Ceiling(fraction * list.Count)).ToList();
            if (agreeing is null)
            {
                selected.AddRange(candidates);
                continue;
            }
            var kept = candidates.Where(i => agreeing[i]).ToList();
            int least = Math.Min(candidates.Count, (int)Math.Ceiling(MinimumKeptShare * list.Count));
            if (kept.Count < least)
                kept.AddRange(candidates.Where(i => !agreeing[i]).Take(least - kept.Count));
            selected.AddRange(kept);
        }
        selected.Sort();
        return selected.ToArray();
    }

    /// <summary>Pixel-space neighbours per image for the agreement check.</summary>
    public const int AgreementNeighbors = 10;

    /// <summary>The share of each cluster kept at the least when too few of its images agree with their neighbours.</summary>
    public const float MinimumKeptShare = 0.1f;

    /// <summary>Whether at least the share <paramref name="threshold"/> of each image's neighbours in
    /// <paramref name="graph"/> are in its cluster; null when there is no graph.</summary>
    internal static bool[]? Agreeing(Jule.KnnGraph? graph, int[] clusters, float threshold)
    {
        if (graph is null)
            return null;
        // The least count that reaches the share, with room for the float's rounding (0.9 x 10 is 9, not 9.0000001).
        int needed = (int)Math.Ceiling(threshold * graph.NeighborCount - 1e-4);
        var result = new bool[clusters.Length];
        for (int i = 0; i < clusters.Length; i++)
        {
            int same = 0;
            foreach (int j in graph.NeighborsOf(i))
                same += clusters[j] == clusters[i] ? 1 : 0;
            result[i] = same >= needed;
        }
        return result;
    }

    private static int Changed(int[] a, int[] b)
    {
        int changed = 0;
        for (int i = 0; i < a.Length; i++)
            changed += a[i] != b[i] ? 1 : 0;
        return changed;
    }

    private static float[] Normalized(Tensor prototypes, int k, int d)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var result = new float[k * d];
        TensorMemory.CopyTo(nn.functional.normalize(prototypes.detach(), p: 2, dim: 1), result);
        return result;
    }
}
