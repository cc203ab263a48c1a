namespace MLNet.DeepClustering;

/// <summary>Computes <see cref="ClusteringQualityMetrics"/> from two labelings of the same rows.</summary>
public static class ClusteringQuality
{
    /// <summary>Compares predicted clusters with true classes. Label values are arbitrary integers (only equality matters).</summary>
    /// <param name="classes">Ground-truth class of each row.</param>
    /// <param name="clusters">Predicted cluster of each row.</param>
    public static ClusteringQualityMetrics Compute(ReadOnlySpan<int> classes, ReadOnlySpan<int> clusters)
    {
        if (classes.Length != clusters.Length)
            throw new ArgumentException($"Got {classes.Length} classes but {clusters.Length} clusters; one of each per row is needed.");
        if (classes.Length == 0)
            throw new ArgumentException("Cannot evaluate a clustering of zero rows.");
        int[] c = Densify(classes, out int classCount);
        int[] k = Densify(clusters, out int clusterCount);
        int n = c.Length;
        var table = new long[clusterCount, classCount];
        for (int i = 0; i < n; i++)
            table[k[i], c[i]]++;
        var clusterSizes = new long[clusterCount];
        var classSizes = new long[classCount];
        for (int a = 0; a < clusterCount; a++)
            for (int b = 0; b < classCount; b++)
            {
                clusterSizes[a] += table[a, b];
                classSizes[b] += table[a, b];
            }
        return new ClusteringQualityMetrics(
            Accuracy(table, n),
            Nmi(table, clusterSizes, classSizes, n),
            Ari(table, clusterSizes, classSizes, n),
            n, classCount, clusterCount);
    }

    /// <summary>Renumbers arbitrary labels as 0..distinct-1 in order of first appearance.</summary>
    internal static int[] Densify(ReadOnlySpan<int> values, out int distinct)
    {
        var map = new Dictionary<int, int>();
        var result = new int[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            if (!map.TryGetValue(values[i], out int id))
                map[values[i]] = id = map.Count;
            result[i] = id;
        }
        distinct = map.Count;
        return result;
    }

    private static double Accuracy(long[,] table, int n)
    {
        int rows = table.GetLength(0), cols = table.GetLength(1), size = Math.Max(rows, cols);
        var cost = new double[size, size];
        for (int a = 0; a < rows; a++)
            for (int b = 0; b < cols; b++)
                cost[a, b] = -table[a, b];
        int[] assignment = HungarianAlgorithm.Solve(cost);
        long matched = 0;
        for (int a = 0; a < rows; a++)
            if (assignment[a] < cols)
                matched += table[a, assignment[a]];
        return (double)matched / n;
    }

    private static double Entropy(long[] sizes, int n)
    {
        double h = 0;
        foreach (long s in sizes)
            if (s > 0)
                h -= (double)s / n * Math.Log((double)s / n);
        return h;
    }

    private static double Nmi(long[,] table, long[] clusterSizes, long[] classSizes, int n)
    {
        double mi = 0;
        for (int a = 0; a < clusterSizes.Length; a++)
            for (int b = 0; b < classSizes.Length; b++)
            {
                long nab = table[a, b];
                if (nab > 0)
                    mi += (double)nab / n * Math.Log((double)nab * n / ((double)clusterSizes[a] * classSizes[b]));
            }
        double hk = Entropy(clusterSizes, n), hc = Entropy(classSizes, n);
        if (hk == 0 && hc == 0)
            return 1.0; // both partitions are a single group: identical
        double denominator = (hk + hc) / 2;
        return denominator > 0 ? Math.Clamp(mi / denominator, 0, 1) : 0;
    }

    private static double Ari(long[,] table, long[] clusterSizes, long[] classSizes, int n)
    {
        static double Pairs(long x) => x * (x - 1) / 2.0;
        double index = 0;
        foreach (long nab in table)
            index += Pairs(nab);
        double sumK = clusterSizes.Sum(Pairs), sumC = classSizes.Sum(Pairs), total = Pairs(n);
        double expected = total > 0 ? sumK * sumC / total : 0;
        double max = (sumK + sumC) / 2;
        if (max == expected)
            return 1.0; // degenerate: both partitions trivial in the same way
        return (index - expected) / (max - expected);
    }
}
