// Benchmark: quality, speed, memory and scaling of JULE and DAC against ML.NET KMeans, and the trainers' networks
// against PyTorch, side by side in one run.
//
//   dotnet run -c Release --project examples/Benchmark -- [options]     (the syntax: --help, BenchmarkOptions.Usage)
//   dotnet run -c Release --project examples/Benchmark -- --suite quality [options]
//
// Every measurement runs in its own child process (this program started again with --child), so each row's peak
// working set is its own and one method's allocations cannot slow the next. Results: a table on the console, and
// benchmark.md plus benchmark.csv (one file per section) in the results folder.
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using MLNet.DeepClustering.Benchmark;

BenchmarkOptions options;
try
{
    options = BenchmarkOptions.Parse(args);
}
catch (ArgumentException e)
{
    // A mistyped command line gets one readable line and the syntax, not a stack trace.
    Console.Error.WriteLine("error: " + e.Message);
    Console.Error.WriteLine(BenchmarkOptions.Usage);
    return 2;
}
if (options.Help)
{
    Console.WriteLine(BenchmarkOptions.Usage);
    return 0;
}
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

if (options.Child is { } child)
{
    // One measurement in this process; the parent reads the last line.
    object result = child switch
    {
        "method" => MethodRun.Run(options),
        "networks" => NetworkTiming.Run(options),
        "engine" => EngineScaling.Run(options),
        _ => throw new ArgumentException($"Unknown --child '{child}'."),
    };
    Console.WriteLine(ChildProcess.ResultPrefix + JsonSerializer.Serialize(result, result.GetType()));
    return 0;
}

if (options.Suite == "quality")
    return QualitySuite.Run(options);

var report = new Report(options);
Console.WriteLine(report.MachineLine);
foreach (var method in options.SkipMethods ? Array.Empty<string>() : options.Methods)
{
    Console.WriteLine($"\n== {method}: fitting on {(options.DataFolder ?? "the embedded MNIST 10k sample")}, limit {options.Limit}, {options.Threads} threads");
    var row = ChildProcess.Run<MethodResult>(options, "method", ("--method", method));
    if (row is not null)
        report.Methods.Add(row);
}
if (!options.SkipNetworks && options.Methods.Any(m => m != "kmeans"))
{
    Console.WriteLine($"\n== networks: TorchSharp (this build) against PyTorch, batch and threads equal");
    var csharp = ChildProcess.Run<NetworkResult[]>(options, "networks");
    var python = PyTorchRunner.Run(options, sameAllocatorSettings: true);
    var pythonDefaults = PyTorchRunner.Run(options, sameAllocatorSettings: false);
    report.SetNetworks(csharp ?? Array.Empty<NetworkResult>(), python, pythonDefaults);
}
if (!options.SkipEngine && options.Methods.Any(m => m.StartsWith("jule", StringComparison.Ordinal)))
{
    foreach (int n in options.EngineSizes)
    {
        Console.WriteLine($"\n== JULE clustering engine: {n} points x 160 dimensions");
        var row = ChildProcess.Run<EngineResult>(options, "engine", ("--engine-n", n.ToString(CultureInfo.InvariantCulture)));
        if (row is not null)
            report.Engine.Add(row);
    }
}

Console.WriteLine();
Console.WriteLine(report.ToMarkdown());
report.Write();
Console.WriteLine($"Wrote {Path.Combine(options.ResultsFolder, "benchmark.md")} and the CSV files beside it.");
return 0;

namespace MLNet.DeepClustering.Benchmark
{
    /// <summary>Starts this program again for one measurement and reads its result line.</summary>
    internal static class ChildProcess
    {
        public const string ResultPrefix = "BENCHMARK-RESULT ";

        public static T? Run<T>(BenchmarkOptions options, string child, params (string Name, string Value)[] extra) where T : class
        {
            var self = Environment.ProcessPath ?? throw new InvalidOperationException("Cannot find this program's path.");
            var info = new ProcessStartInfo(self) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            string entry = typeof(ChildProcess).Assembly.Location;
            if (Path.GetFileNameWithoutExtension(self) == "dotnet")
                info.ArgumentList.Add(entry);
            foreach (var arg in options.ChildArguments(child))
                info.ArgumentList.Add(arg);
            foreach (var (name, value) in extra)
            {
                info.ArgumentList.Add(name);
                info.ArgumentList.Add(value);
            }
            using var process = Process.Start(info)!;
            string? result = null;
            process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is not null && !e.Data.Contains("NNPACK", StringComparison.Ordinal))
                    Console.Error.WriteLine("  ! " + e.Data);
            };
            process.BeginErrorReadLine();
            while (process.StandardOutput.ReadLine() is { } line)
            {
                if (line.StartsWith(ResultPrefix, StringComparison.Ordinal))
                    result = line[ResultPrefix.Length..];
                else
                    Console.WriteLine("  " + line);
            }
            process.WaitForExit();
            if (process.ExitCode != 0 || result is null)
            {
                Console.WriteLine($"  ! the {child} measurement failed (exit code {process.ExitCode}); its row is left out.");
                return null;
            }
            return JsonSerializer.Deserialize<T>(result);
        }
    }
}
