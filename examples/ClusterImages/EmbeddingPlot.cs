namespace MLNet.DeepClustering.ClusterImages;

/// <summary>embedding.png: the Embedding column projected on its first two principal components, coloured by cluster.</summary>
internal static class EmbeddingPlot
{
    public static void Write(string path, IReadOnlyList<float[]> embeddings, IReadOnlyList<uint> clusters, string title)
    {
        var (xs, ys) = Project(embeddings);
        var plot = new ScottPlot.Plot();
        foreach (var cluster in clusters.Distinct().Order())
        {
            var members = Enumerable.Range(0, clusters.Count).Where(i => clusters[i] == cluster).ToArray();
            var points = plot.Add.ScatterPoints(members.Select(i => xs[i]).ToArray(), members.Select(i => ys[i]).ToArray());
            points.MarkerSize = members.Length > 2000 ? 2 : 4;
            points.LegendText = $"cluster {cluster} ({members.Length})";
        }
        plot.Title(title);
        plot.XLabel("principal component 1");
        plot.YLabel("principal component 2");
        plot.ShowLegend(ScottPlot.Edge.Right);
        plot.SavePng(path, 1000, 700);
    }

    /// <summary>The coordinates of each row on the first two principal components (power iteration with deflation).</summary>
    public static (double[] X, double[] Y) Project(IReadOnlyList<float[]> rows)
    {
        int n = rows.Count, d = rows[0].Length;
        var mean = new double[d];
        foreach (var row in rows)
            for (int j = 0; j < d; j++)
                mean[j] += row[j] / (double)n;
        var first = Component(rows, mean, null);
        var second = Component(rows, mean, first);
        var x = new double[n];
        var y = new double[n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++)
            {
                double v = rows[i][j] - mean[j];
                x[i] += v * first[j];
                y[i] += v * second[j];
            }
        return (x, y);
    }

    // The leading eigenvector of the covariance, orthogonal to `exclude` when given; a fixed start keeps runs identical.
    private static double[] Component(IReadOnlyList<float[]> rows, double[] mean, double[]? exclude)
    {
        int d = mean.Length;
        var v = Enumerable.Range(0, d).Select(j => 1.0 + 0.01 * j).ToArray();
        for (int iteration = 0; iteration < 100; iteration++)
        {
            if (exclude is not null)
                Subtract(v, exclude);
            Normalize(v);
            var next = new double[d];
            foreach (var row in rows)
            {
                double dot = 0;
                for (int j = 0; j < d; j++)
                    dot += (row[j] - mean[j]) * v[j];
                for (int j = 0; j < d; j++)
                    next[j] += dot * (row[j] - mean[j]);
            }
            v = next;
        }
        if (exclude is not null)
            Subtract(v, exclude);
        Normalize(v);
        return v;
    }

    private static void Subtract(double[] v, double[] unit)
    {
        double dot = v.Zip(unit, (a, b) => a * b).Sum();
        for (int j = 0; j < v.Length; j++)
            v[j] -= dot * unit[j];
    }

    private static void Normalize(double[] v)
    {
        double norm = Math.Sqrt(v.Sum(a => a * a));
        for (int j = 0; j < v.Length; j++)
            v[j] = norm > 0 ? v[j] / norm : (j == 0 ? 1 : 0);
    }
}
