using System.Diagnostics;

namespace MLNet.DeepClustering.Tests;

/// <summary>Runs a .NET program (an assembly built beside or by this solution) in a fresh process.</summary>
internal static class ProgramProcess
{
    /// <summary>Runs <c>dotnet <paramref name="assembly"/> <paramref name="args"/></c>; returns its exit code and its standard output and error.</summary>
    public static (int ExitCode, string Output) Run(string assembly, int timeoutSeconds, params string[] args)
    {
        Assert.IsTrue(File.Exists(assembly), $"{assembly} is not built");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(assembly);
        foreach (string arg in args)
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        Assert.IsTrue(process.WaitForExit(timeoutSeconds * 1000), $"{Path.GetFileName(assembly)} timed out");
        return (process.ExitCode, stdout + stderr.Result);
    }
}

/// <summary>Runs the LoadCheck program (tests/MLNet.DeepClustering.LoadCheck) in a fresh process.</summary>
internal static class LoadCheckProcess
{
    /// <summary>Runs LoadCheck with <paramref name="args"/>; returns its exit code and its standard output and error.</summary>
    public static (int ExitCode, string Output) Run(params string[] args)
        => ProgramProcess.Run(Path.Combine(AppContext.BaseDirectory, "MLNet.DeepClustering.LoadCheck.dll"), 180, args);
}
