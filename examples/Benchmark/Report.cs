using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace MLNet.DeepClustering.Benchmark;

/// <summary>Collects the sections' rows and writes them as a console/Markdown table and CSV files.</summary>
internal sealed class Report
{
    private readonly BenchmarkOptions _options;
    private NetworkResult[] _csharp = Array.Empty<NetworkResult>();
    private PyTorchOutcome? _python;
    private PyTorchOutcome? _pythonDefaults;

    public Report(BenchmarkOptions options)
    {
        _options = options;
        MachineLine = $"{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; {CpuModel()}, {Environment.ProcessorCount} cores, " +
                      $"{GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1L << 30)} GiB; {RuntimeInformation.OSDescription}; " +
                      $".NET {Environment.Version}; TorchSharp {typeof(TorchSharp.torch).Assembly.GetName().Version}; device {options.Device}; " +
                      $"{options.Threads} threads";
    }

    public string MachineLine { get; }

    public List<MethodResult> Methods { get; } = new();

    public List<EngineResult> Engine { get; } = new();

    public void SetNetworks(NetworkResult[] csharp, PyTorchOutcome python, PyTorchOutcome pythonDefaults)
    {
        _csharp = csharp;
        _python = python;
        _pythonDefaults = pythonDefaults;
    }

    public string ToMarkdown()
    {
        var md = new StringBuilder();
        md.AppendLine("# MLNet.DeepClustering benchmark").AppendLine();
        md.AppendLine($"Machine: {MachineLine}.").AppendLine();
        md.AppendLine($"Command: `dotnet run -c Release --project examples/Benchmark -- {Command()}`").AppendLine();
        if (Methods.Count > 0)
        {
            md.AppendLine("## Clustering quality and speed").AppendLine();
            md.AppendLine("| method | n | ACC | NMI | ARI | fit s | training images/s | clustering s | Transform images/s | PredictionEngine images/s | peak working set MB | cluster sizes |");
            md.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
            foreach (var r in Methods)
                md.AppendLine($"| {r.Method} | {r.N} | {r.Acc:F4} | {r.Nmi:F4} | {r.Ari:F4} | {r.FitSeconds:F1} | {r.TrainingImagesPerSecond:F0} | " +
                              $"{r.ClusteringSeconds:F1} | {r.TransformImagesPerSecond:F0} | {r.PredictionEngineImagesPerSecond:F0} | {r.PeakWorkingSetMb:F0} | {r.ClusterSizes} |");
            md.AppendLine();
            md.AppendLine("kmeans: ML.NET KMeans on L2-normalised pixels; its training images/s is images / fit second and its clustering " +
                          "time is the whole fit. jule is JULE with re-clustering (RC), jule-sf without (SF). Training images/s counts " +
                          "images through training steps per second of training steps; clustering s is JULE's kNN graphs and merging.")
              .AppendLine();
        }
        if (_csharp.Length > 0 || _python is not null)
        {
            md.AppendLine("## Networks: TorchSharp against PyTorch").AppendLine();
            md.AppendLine("| network | batch | TorchSharp training images/s | PyTorch training images/s | ratio | PyTorch, glibc defaults | TorchSharp inference images/s | PyTorch inference images/s | ratio | PyTorch, glibc defaults |");
            md.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
            foreach (var c in _csharp)
            {
                var p = _python?.Rows.FirstOrDefault(r => r.Network == c.Network);
                var d = _pythonDefaults?.Rows.FirstOrDefault(r => r.Network == c.Network);
                md.AppendLine($"| {c.Network} | {c.Batch} / {c.InferenceBatch} | {c.TrainImagesPerSecond:F0} | {Value(p?.TrainImagesPerSecond)} | " +
                              $"{Ratio(c.TrainImagesPerSecond, p?.TrainImagesPerSecond)} | {Value(d?.TrainImagesPerSecond)} | {c.InferenceImagesPerSecond:F0} | " +
                              $"{Value(p?.InferenceImagesPerSecond)} | {Ratio(c.InferenceImagesPerSecond, p?.InferenceImagesPerSecond)} | {Value(d?.InferenceImagesPerSecond)} |");
            }
            md.AppendLine();
            md.AppendLine(_python?.Problem is { } problem
                ? $"PyTorch side not measured: {problem}."
                : $"PyTorch {_python?.Version} (examples/Benchmark/pytorch_networks.py); ratio = TorchSharp / PyTorch, both with the glibc malloc " +
                  "thresholds MLNet.DeepClustering sets in its process (PyTorch through MALLOC_MMAP_THRESHOLD_ / MALLOC_TRIM_THRESHOLD_); the " +
                  "\"glibc defaults\" columns are PyTorch without them. Batch = training / inference batch size. Same architecture, batch size, " +
                  "thread count, loss and optimizer on both sides; TorchSharp gathers each batch from the managed image array as the trainers do.");
            md.AppendLine();
        }
        if (Engine.Count > 0)
        {
            md.AppendLine("## JULE clustering engine scaling (synthetic 160-d blobs, Ks = 20, to 10 clusters)").AppendLine();
            md.AppendLine("| n | threads | kNN s | libtorch addmm + topk s | kNN / libtorch | same lists | graph + affinities s | merging s | total s | initial clusters | NMI | peak working set MB | growth of kNN time | growth of graph + merging time | growth of peak MB |");
            md.AppendLine("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
            EngineResult? previous = null;
            foreach (var e in Engine.OrderBy(e => e.N))
            {
                string Exponent(Func<EngineResult, double> f) => previous is null ? "" :
                    $"n^{Math.Log(f(e) / f(previous)) / Math.Log((double)e.N / previous.N):F2}";
                md.AppendLine($"| {e.N} | {e.Threads} | {e.KnnSeconds:F1} | {Value1(e.TorchKnnSeconds)} | {Ratio(e.KnnSeconds, e.TorchKnnSeconds)} | " +
                              $"{(e.TorchAgreement is { } a ? a.ToString("P2", CultureInfo.InvariantCulture) : "n/a")} | {e.GraphSeconds:F1} | {e.MergeSeconds:F1} | {e.TotalSeconds:F1} | {e.InitialClusters} | " +
                              $"{e.Nmi:F3} | {e.PeakWorkingSetMb:F0} | {Exponent(r => r.KnnSeconds)} | {Exponent(r => r.GraphSeconds + r.MergeSeconds)} | " +
                              $"{Exponent(r => r.PeakWorkingSetMb)} |");
                previous = e;
            }
            md.AppendLine();
            md.AppendLine("Growth columns: the exponent b in time ~ n^b between this row and the previous one. The kNN is exact (tiles of a " +
                          "blocked matrix product in registers, the neighbour selection fused: n^2 d arithmetic, O(n Ks) memory); the graph and " +
                          "GDL merging work on the n x Ks edges only. libtorch column: the same exact kNN as blocks of 512 query rows, one " +
                          "addmm against all points and topk, on the same threads in the same process; \"same lists\" is the share of points " +
                          "whose Ks neighbours the two agree on (ties at equal distance may be broken differently).");
            foreach (var device in Engine.Select(e => e.Device).Where(d => d != "cpu").Distinct())
                md.AppendLine().AppendLine($"Rows with device {device}: the kNN s column ran there, as a JULE fit on that device builds its graphs " +
                                           "(blocks of query rows, one matrix product against all points and top-k on the device); the libtorch column stays on the CPU threads.");
            md.AppendLine();
        }
        return md.ToString();
    }

    public void Write()
    {
        Directory.CreateDirectory(_options.ResultsFolder);
        File.WriteAllText(Path.Combine(_options.ResultsFolder, "benchmark.md"), ToMarkdown());
        WriteCsv("methods.csv", "method,n,acc,nmi,ari,fit_s,training_images_per_s,clustering_s,transform_images_per_s,prediction_engine_images_per_s,peak_working_set_mb,threads,device",
            Methods.Select(r => Csv(r.Method, r.N, r.Acc, r.Nmi, r.Ari, r.FitSeconds, r.TrainingImagesPerSecond, r.ClusteringSeconds,
                r.TransformImagesPerSecond, r.PredictionEngineImagesPerSecond, r.PeakWorkingSetMb, r.Threads, r.Device)));
        WriteCsv("networks.csv", "network,runtime,batch,inference_batch,threads,train_images_per_s,inference_images_per_s",
            _csharp.Concat(_python?.Rows ?? Array.Empty<NetworkResult>()).Concat(_pythonDefaults?.Rows ?? Array.Empty<NetworkResult>()).Select(r => Csv(r.Network, r.Runtime, r.Batch, r.InferenceBatch, r.Threads,
                r.TrainImagesPerSecond, r.InferenceImagesPerSecond)));
        WriteCsv("engine.csv", "n,dimension,neighbors,threads,knn_s,libtorch_knn_s,same_lists,graph_s,merge_s,total_s,initial_clusters,nmi,peak_working_set_mb,device",
            Engine.Select(e => Csv(e.N, e.Dimension, e.NeighborCount, e.Threads, e.KnnSeconds, (object?)e.TorchKnnSeconds ?? "", (object?)e.TorchAgreement ?? "",
                e.GraphSeconds, e.MergeSeconds, e.TotalSeconds, e.InitialClusters, e.Nmi, e.PeakWorkingSetMb, e.Device)));
    }

    private void WriteCsv(string name, string header, IEnumerable<string> rows)
    {
        var lines = rows.ToList();
        if (lines.Count > 0)
            File.WriteAllLines(Path.Combine(_options.ResultsFolder, name), lines.Prepend(header));
    }

    private static string Csv(params object[] values) =>
        string.Join(",", values.Select(v => v is double d ? d.ToString("G6", CultureInfo.InvariantCulture) : Convert.ToString(v, CultureInfo.InvariantCulture)));

    private static string Value1(double? value) => value is { } v ? v.ToString("F1", CultureInfo.InvariantCulture) : "n/a";

    private static string Value(double? value) => value is { } v ? v.ToString("F0", CultureInfo.InvariantCulture) : "n/a";

    private static string Ratio(double csharp, double? python) =>
        python is > 0 ? (csharp / python.Value).ToString("F2", CultureInfo.InvariantCulture) : "n/a";

    private string Command()
    {
        var parts = new List<string> { "--method", _options.Method, "--limit", _options.Limit.ToString(CultureInfo.InvariantCulture),
            "--threads", _options.Threads.ToString(CultureInfo.InvariantCulture), "--device", _options.Device };
        if (_options.DataFolder is not null)
            parts.AddRange(new[] { "--data", _options.DataFolder });
        return string.Join(" ", parts);
    }

    private static string CpuModel()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line?.Split(':', 2)[1].Trim() ?? RuntimeInformation.ProcessArchitecture.ToString();
        }
        catch (IOException)
        {
            return RuntimeInformation.ProcessArchitecture.ToString();
        }
    }
}
