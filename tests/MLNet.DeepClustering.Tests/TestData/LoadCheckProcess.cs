using System.Diagnostics;

namespace MLNet.DeepClustering.Tests;

/// <summary>Runs the LoadCheck program (tests/MLNet.DeepClustering.LoadCheck) in a fresh process.</summary>
internal static class LoadCheckProcess
{
    /// <summary>Runs LoadCheck with <paramref name="args"/>; returns its exit code and its standard output and error.</summary>
    public static (int ExitCode, string Output) Run(params string[] args)
    {
        string loader = Path.Combine(AppContext.BaseDirectory, "MLNet.DeepClustering.LoadCheck.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(loader);
        foreach (string arg in args)
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        Assert.IsTrue(process.WaitForExit(180_000), "the LoadCheck process timed out");
        return (process.ExitCode, stdout + stderr.Result);
    }
}
