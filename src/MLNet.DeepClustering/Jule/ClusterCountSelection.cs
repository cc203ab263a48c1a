using System.Globalization;

namespace MLNet.DeepClustering.Jule;

/// <summary>The number of clusters chosen from an embedding, the clusters at that count, and why.</summary>
/// <param name="Count">The chosen k.</param>
/// <param name="Labels">Each point's cluster, 0..Count-1.</param>
/// <param name="Affinities">Affinities[c] = the affinity of the merge that took c clusters to c - 1 (index 0 and 1 unused).</param>
/// <param name="Explanation">One line for the log.</param>
internal sealed record ClusterCountChoice(int Count, int[] Labels, double[] Affinities, string Explanation);

/// <summary>
/// Chooses the number of clusters on the agglomeration's own affinity curve. Graph-degree-linkage agglomeration on the
/// embedding (kNN graph, 1-NN chains, merges by the JULE criterion down to MaxNumberOfClusters + 1 clusters) goes on
/// one most-affine merge at a time down to one cluster, recording the affinity A(c) of the merge that takes c clusters
/// to c - 1. Merges inside a true cluster join well-connected parts (high affinity); the first merge that joins two
/// true clusters has a much lower one: A(k + 1) / A(k) is large. Drops are read on the level curve, where a merge more
/// affine than an earlier one (the linkage is not monotone) adds no level (<see cref="ChooseOnCurve"/>). Data with
/// groups of groups (clothing: garment types within tops, shoes and bags) show such a drop at every level, and the
/// coarsest is often the largest, so k is the largest k in 2..max whose drop is at least <see cref="SignificantDrop"/>
/// and at least the cube root of the largest drop on the curve: the finest level of the hierarchy that stands out. With
/// no such drop, k is where the drop is largest.
/// </summary>
/// <remarks>
/// Limits: the criterion needs an embedding in which clusters are denser inside than between, so it finds the
/// structure the network learned, which is not always the one a person means (clothing: shirts, T-shirts and
/// pullovers may count as one). It never chooses 1, and never more than max; a set whose clusters are of very different
/// sizes or densities can be cut at a secondary drop, and on a few thousand images or fewer the curve is noisy and k
/// can be off by one or two.
/// </remarks>
internal static class ClusterCountSelection
{
    /// <summary>A drop A(k + 1) / A(k) at least this large (and at least the cube root of the largest drop) marks a level
    /// of the hierarchy: the affinity at least halves in one merge, where merges inside a group change it by a few tens
    /// of percent.</summary>
    private const double SignificantDrop = 2.0;

    /// <summary>
    /// Affinities below this fraction of the largest one on the curve count as this fraction: merges between clusters
    /// with no or almost no kNN edge between them all look equally separated, so the drop is measured to where the
    /// affinity becomes negligible, not between two negligible values (or to the zero of a merge without edges).
    /// </summary>
    private const double AffinityFloor = 1e-3;

    public static ClusterCountChoice Choose(float[] embedding, int dimension, int maxClusters, int neighborCount, double sigmaScale,
        int neighborClusterCount, double lambda, int minClusterSize, Action? cancel, int? threads = null)
    {
        int n = embedding.Length / dimension;
        if (maxClusters < 2 || n < 3)
            throw new ArgumentException($"Choosing the number of clusters needs at least 3 images and a maximum of at least 2 (got {n} and {maxClusters}).");
        var graph = KnnGraph.Build(embedding, dimension, Math.Min(neighborCount, n - 1), cancel, threads);
        var engine = new GdlAgglomeration(graph, embedding, GdlAgglomeration.NearestNeighborClusters(graph), sigmaScale);
        int top = Math.Min(maxClusters + 1, n);
        if (engine.ClusterCount > top)
            engine.MergeTo(top, neighborClusterCount, lambda, minClusterSize, cancel);
        top = engine.ClusterCount;
        var affinities = new double[top + 1];
        var labelsAt = new int[top + 1][];
        for (int c = top; c >= 2; c--)
        {
            cancel?.Invoke();
            labelsAt[c] = engine.Labels();
            affinities[c] = engine.MergeMostAffine();
        }
        if (top < 3)
            return new ClusterCountChoice(2, labelsAt[2], affinities, $"only {top} clusters formed; k = 2");

        int best = ChooseOnCurve(affinities, top, maxClusters, out string explanation);
        return new ClusterCountChoice(best, labelsAt[best], affinities, explanation);
    }

    /// <summary>
    /// k on an affinity curve: <paramref name="affinities"/>[c] is the affinity of the merge from c clusters to c - 1, for
    /// c = 2..<paramref name="top"/>. The graph-degree linkage is not monotone: a merge can have a higher affinity than the
    /// one before it (an inversion), so the curve is first made a level curve, L(c) = min over c' ≥ c of A(c'), the
    /// affinity at which the hierarchy has come down to c clusters. An inversion then adds no level, and a drop is measured
    /// from the lowest affinity above it, not from a bump. k is the largest k in 2..max with L(k + 1) / L(k) at least
    /// <see cref="SignificantDrop"/> and at least the cube root of the largest such drop; with none, the largest drop.
    /// </summary>
    internal static int ChooseOnCurve(double[] affinities, int top, int maxClusters, out string explanation)
    {
        var level = new double[top + 1];
        double lowest = double.PositiveInfinity;
        for (int c = top; c >= 2; c--)
            level[c] = lowest = Math.Min(lowest, affinities[c]);
        double floor = Math.Max(AffinityFloor * level.Max(), double.Epsilon);
        double Ratio(int k) => Math.Max(level[k + 1], floor) / Math.Max(level[k], floor);
        int last = Math.Min(maxClusters, top - 1);
        var candidates = Enumerable.Range(2, last - 1).ToArray();
        int largestDrop = candidates.MaxBy(Ratio);   // ties: the smaller k
        // A level counts when its drop is at least 2 and at least the cube root of the largest drop: a clear hierarchy
        // level (x62 on MNIST at k = 10) makes the small drops of a noisy curve (x2.2 inside a group) not count.
        double significant = Math.Max(SignificantDrop, Math.Cbrt(Ratio(largestDrop)));
        int best = candidates.Where(k => Ratio(k) >= significant).DefaultIfEmpty(largestDrop).Max();
        int runnerUp = candidates.Where(k => k != largestDrop).DefaultIfEmpty(largestDrop).MaxBy(Ratio);
        explanation = string.Create(CultureInfo.InvariantCulture,
            $"k = {best} chosen from 2..{last} on the agglomeration's affinity curve: the hierarchy came down to {best + 1} clusters at affinity " +
            $"{level[best + 1]:G3} and to {best} at {level[best]:G3} (drop x{Ratio(best):F1}; the largest drop is x{Ratio(largestDrop):F1} at k = {largestDrop}, " +
            $"the next largest x{Ratio(runnerUp):F1} at k = {runnerUp}; drops of x{significant:F1} or more count)");
        explanation += "; curve (clusters: affinity of the merge from there) " + Curve(affinities, top);
        return best;
    }

    /// <summary>Merges between groups whose copies cross less often than this fraction all count as this fraction.</summary>
    private const double CrossingFloor = 1e-3;

    /// <summary>
    /// Groups the output units of a classifier-like network (DAC) into clusters by how often augmentation moves an image
    /// from one unit to another. <paramref name="units"/>[i] is image i's unit, <paramref name="augmentedUnits"/>[i *
    /// copies + c] the unit of its c-th augmented copy. Groups start as the units in use; the affinity of two groups is
    /// the fraction of their images' copies that land in the other group, and the most affine pair merges, down to one
    /// group. A(c) is the affinity of the merge from c groups to c - 1, with A(units in use + 1) = 1 (keeping every unit
    /// is chosen when no two units exchange copies); k = argmax A(k + 1) / A(k), the largest drop, read on the raw
    /// curve (not the level curve and finest-level rule of <see cref="ChooseOnCurve"/>).
    /// </summary>
    /// <param name="units">Each image's unit.</param>
    /// <param name="augmentedUnits">The units of each image's augmented copies, image by image.</param>
    /// <param name="unitCount">The number of units.</param>
    /// <param name="maxClusters">The largest k considered.</param>
    /// <param name="count">A given k instead of a chosen one (over-clustering then merging); fewer when fewer units are in use.</param>
    public static ClusterCountChoice ChooseUnitGroups(int[] units, int[] augmentedUnits, int unitCount, int maxClusters, int? count = null)
    {
        int n = units.Length, copies = augmentedUnits.Length / Math.Max(1, n);
        var crossings = new double[unitCount, unitCount];
        var counts = new double[unitCount];
        for (int i = 0; i < n; i++)
            for (int c = 0; c < copies; c++)
            {
                counts[units[i]]++;
                crossings[units[i], augmentedUnits[i * copies + c]]++;
            }
        var groups = Enumerable.Range(0, unitCount).Where(u => counts[u] > 0).Select(u => new List<int> { u }).ToList();
        int top = groups.Count;
        if (top < 2)
            throw new InvalidOperationException("The network put every image into one unit: no number of clusters can be chosen.");
        var affinities = new double[top + 2];
        affinities[top + 1] = 1;
        var groupsAt = new List<int>[top + 1][];
        double Affinity(List<int> a, List<int> b)
        {
            double cross = 0, total = 0;
            foreach (int u in a)
            {
                total += counts[u];
                foreach (int v in b)
                    cross += crossings[u, v] + crossings[v, u];
            }
            foreach (int v in b)
                total += counts[v];
            return cross / total;
        }
        for (int c = top; c >= 2; c--)
        {
            groupsAt[c] = groups.Select(g => g.ToList()).ToArray();
            int bestA = 0, bestB = 1;
            double best = -1;
            for (int a = 0; a < groups.Count; a++)
                for (int b = a + 1; b < groups.Count; b++)
                {
                    double value = Affinity(groups[a], groups[b]);
                    if (value > best)
                        (best, bestA, bestB) = (value, a, b);
                }
            affinities[c] = best;
            groups[bestA].AddRange(groups[bestB]);
            groups.RemoveAt(bestB);
        }
        double Ratio(int k) => Math.Max(affinities[k + 1], CrossingFloor) / Math.Max(affinities[k], CrossingFloor);
        int last = Math.Min(maxClusters, top), chosen = 2;
        for (int k = 3; k <= last; k++)
            if (Ratio(k) > Ratio(chosen))
                chosen = k;
        if (count is int given)
            chosen = Math.Min(given, top);
        var unitGroup = new int[unitCount];
        var groupSizes = new double[chosen];
        for (int g = 0; g < chosen; g++)
            foreach (int u in groupsAt[chosen][g])
            {
                unitGroup[u] = g;
                groupSizes[g] += counts[u];
            }
        // Units no image uses join the largest group (they are never an argmax on the training data).
        int largest = Array.IndexOf(groupSizes, groupSizes.Max());
        for (int u = 0; u < unitCount; u++)
            if (counts[u] == 0)
                unitGroup[u] = largest;
        var labels = units.Select(u => unitGroup[u]).ToArray();
        string explanation = string.Create(CultureInfo.InvariantCulture,
            $"k = {chosen} {(count is null ? $"chosen from 2..{last}" : "given")} by grouping the {top} output units in use by how often augmented copies change unit: " +
            $"the merge to {chosen} groups joined units that exchanged {affinities[chosen + 1]:P2} of their copies, the next one {affinities[chosen]:P2} " +
            $"(drop x{Ratio(chosen):F1}); curve ") + Curve(affinities, top);
        return new ClusterCountChoice(chosen, labels, affinities, explanation);
    }

    /// <summary>The affinity curve for the log, from <paramref name="top"/> clusters down to 2: "top: A(top), ..., 2: A(2)".</summary>
    private static string Curve(double[] affinities, int top)
        => string.Join(", ", Enumerable.Range(2, top - 1).Reverse().Select(c => string.Create(CultureInfo.InvariantCulture, $"{c}: {affinities[c]:G3}")));
}
