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

    private static (double Seconds, double Agreement) TorchKnn(float[] features, int n, KnnGraph graph, int threads)
    {
        int previous = torch.get_num_threads();
        torch.set_num_threads(threads);
        try
        {
            using var x = torch.tensor(features, new long[] { n, Dimension });
            using var norms = x.square().sum(1).unsqueeze(0);
            using var xt = x.t().contiguous();
            var neighbors = new long[(long)n * (NeighborCount + 1)];
            var clock = Stopwatch.StartNew();
            for (int start = 0; start < n; start += TorchBlock)
            {
                using var scope = torch.NewDisposeScope();
                int rows = Math.Min(TorchBlock, n - start);
                // ||x_j||^2 - 2 x_i . x_j ranks the candidates of row i like the squared distance; k + 1 for the point itself.
                var scores = torch.addmm(norms, x.narrow(0, start, rows), xt, beta: 1, alpha: -2);
                var (_, indices) = scores.topk(NeighborCount + 1, dim: 1, largest: false, sorted: true);
                indices.data<long>().CopyTo(neighbors, start * (NeighborCount + 1));
            }
            double seconds = clock.Elapsed.TotalSeconds;
            int same = 0;
            for (int i = 0; i < n; i++)
            {
                var theirs = neighbors.AsSpan(i * (NeighborCount + 1), NeighborCount + 1).ToArray().Where(j => j != i).Take(NeighborCount).Select(j => (int)j);
                if (theirs.ToHashSet().SetEquals(graph.NeighborsOf(i).ToArray()))
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
