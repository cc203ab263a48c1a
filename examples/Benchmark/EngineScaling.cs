using System.Diagnostics;
using MLNet.DeepClustering.Jule;

namespace MLNet.DeepClustering.Benchmark;

/// <summary>One row of the engine scaling table.</summary>
internal sealed record EngineResult(int N, int Dimension, int NeighborCount, double KnnSeconds, double GraphSeconds, double MergeSeconds,
    double TotalSeconds, int InitialClusters, double Nmi, double PeakWorkingSetMb, double FeaturesMb);

/// <summary>
/// The JULE clustering engine alone (no torch) on n synthetic 160-d points: 10 Gaussian blobs around random centres,
/// L2-normalised like JULE's embeddings. kNN graph, 1-NN-chain initial clusters, GDL agglomeration to 10 clusters.
/// </summary>
internal static class EngineScaling
{
    public const int Dimension = 160;
    private const int Clusters = 10;

    public static EngineResult Run(BenchmarkOptions options)
    {
        int n = options.EngineN;
        var (features, truth) = Blobs(n, options.Seed);
        var clock = Stopwatch.StartNew();
        var graph = KnnGraph.Build(features, Dimension, 20);
        double knn = clock.Elapsed.TotalSeconds;
        var engine = new GdlAgglomeration(graph, features, GdlAgglomeration.NearestNeighborClusters(graph));
        int initial = engine.ClusterCount;
        double built = clock.Elapsed.TotalSeconds;
        engine.MergeTo(Clusters, minClusterSize: n / (10 * Clusters));
        double total = clock.Elapsed.TotalSeconds;
        var quality = ClusteringQuality.Compute(truth, engine.Labels());
        var process = Process.GetCurrentProcess();
        process.Refresh();
        var result = new EngineResult(n, Dimension, graph.NeighborCount, knn, built - knn, total - built, total, initial,
            quality.NormalizedMutualInformation, process.PeakWorkingSet64 / 1e6, (double)features.Length * sizeof(float) / 1e6);
        Console.WriteLine($"n {n}: kNN {knn:F1} s, graph and affinities {result.GraphSeconds:F1} s ({initial} initial clusters), merging " +
                          $"{result.MergeSeconds:F1} s, total {total:F1} s; NMI {result.Nmi:F3}; peak working set {result.PeakWorkingSetMb:F0} MB " +
                          $"(the features alone {result.FeaturesMb:F0} MB)");
        return result;
    }

    private static (float[] Features, int[] Truth) Blobs(int n, int seed)
    {
        var random = new Random(seed);
        var centres = new double[Clusters * Dimension];
        for (int i = 0; i < centres.Length; i++)
            centres[i] = random.NextDouble() * 2 - 1;
        var features = new float[n * Dimension];
        var truth = new int[n];
        for (int i = 0; i < n; i++)
        {
            int c = truth[i] = i % Clusters;
            for (int j = 0; j < Dimension; j++)
            {
                double gaussian = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
                features[i * Dimension + j] = (float)(centres[c * Dimension + j] + 0.9 * gaussian);
            }
        }
        KnnGraph.NormalizeRows(features, Dimension);
        return (features, truth);
    }
}
