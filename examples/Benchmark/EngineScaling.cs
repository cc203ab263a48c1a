using System.Diagnostics;
using MLNet.DeepClustering.Jule;
using MLNet.DeepClustering.Torch;
using TorchSharp;

namespace MLNet.DeepClustering.Benchmark;

/// <summary>One row of the engine scaling table.</summary>
internal sealed record EngineResult(int N, int Dimension, int NeighborCount, double KnnSeconds, double GraphSeconds, double MergeSeconds,
    double TotalSeconds, int InitialClusters, double Nmi, double PeakWorkingSetMb, double FeaturesMb, int Threads,
    double? TorchKnnSeconds, double? TorchAgreement, string Device = "cpu");

/// <summary>
/// The JULE clustering engine alone (no torch) on n synthetic 160-d points: 10 Gaussian blobs around random centres,
/// L2-normalised like JULE's embeddings. kNN graph, 1-NN-chain initial clusters, GDL agglomeration to 10 clusters.
/// Then, as the yardstick for the kNN, the same exact kNN through libtorch: blocks of query rows, one addmm against all
/// points and topk, on the same number of threads; the share of neighbour lists the two agree on is reported.
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
        int threads = options.Threads;
        // On a GPU (--device cuda) the kNN runs as a JULE fit there builds it: blocked products and top-k on the device.
        var graph = options.Device == "cpu"
            ? KnnGraph.Build(features, Dimension, NeighborCount, threads: threads)
            : DeviceKnn.Build(features, Dimension, NeighborCount, TorchRuntime.ResolveDevice(options.Device));
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
            quality.NormalizedMutualInformation, process.PeakWorkingSet64 / 1e6, (double)features.Length * sizeof(float) / 1e6, threads, null, null, options.Device);
        Console.WriteLine($"n {n}: kNN {knn:F1} s on {options.Device}, graph and affinities {result.GraphSeconds:F1} s ({initial} initial clusters), merging " +
                          $"{result.MergeSeconds:F1} s, total {total:F1} s; NMI {result.Nmi:F3}; peak working set {result.PeakWorkingSetMb:F0} MB " +
                          $"(the features alone {result.FeaturesMb:F0} MB), {threads} threads");
        if (options.SkipTorchKnn)
            return result;
        var (torchSeconds, agreement) = TorchKnn(features, n, graph, threads);
        Console.WriteLine($"n {n}: libtorch blocked addmm + topk {torchSeconds:F1} s on {threads} threads; engine / libtorch {knn / torchSeconds:F2}; " +
                          $"same neighbour lists for {agreement:P2} of the points");
        return result with { TorchKnnSeconds = torchSeconds, TorchAgreement = agreement };
    }

    private const int NeighborCount = 20;

    /// <summary>Query rows per libtorch block: 512 x n distances at a time.</summary>
    private const int TorchBlock = 512;

    /// <summary>The library's own libtorch kNN (<see cref="DeviceKnn"/>, what a fit on a GPU uses) on the CPU, in blocks
    /// of <see cref="TorchBlock"/> query rows, on <paramref name="threads"/> threads; and the share of points whose
    /// neighbour set equals the engine's.</summary>
    private static (double Seconds, double Agreement) TorchKnn(float[] features, int n, KnnGraph graph, int threads)
    {
        int previous = torch.get_num_threads();
        torch.set_num_threads(threads);
        try
        {
            var clock = Stopwatch.StartNew();
            var theirs = DeviceKnn.Build(features, Dimension, NeighborCount, torch.CPU, blockRows: TorchBlock);
            double seconds = clock.Elapsed.TotalSeconds;
            int same = 0;
            for (int i = 0; i < n; i++)
            {
                if (theirs.NeighborsOf(i).ToArray().ToHashSet().SetEquals(graph.NeighborsOf(i).ToArray()))
                    same++;
            }
            return (seconds, (double)same / n);
        }
        finally
        {
            torch.set_num_threads(previous);
        }
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
