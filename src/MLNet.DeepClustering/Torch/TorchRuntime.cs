using TorchSharp;

namespace MLNet.DeepClustering.Torch;

/// <summary>Process-wide torch setup, device selection and seeding.</summary>
internal static class TorchRuntime
{
    private static readonly object Gate = new();
    private static bool _initialized;

    /// <summary>Sets torch's intra-op thread count to the machine's core count, once.</summary>
    public static void EnsureInitialized()
    {
        lock (Gate)
        {
            if (_initialized)
                return;
            try
            {
                torch.set_num_threads(Environment.ProcessorCount);
            }
            catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or NotSupportedException)
            {
                throw new InvalidOperationException(
                    "The TorchSharp native library could not be loaded. Reference a libtorch runtime package in the " +
                    "application (libtorch-cpu-linux-x64 for CPU, TorchSharp-cuda-linux for CUDA). On Linux distributions " +
                    "with an older libstdc++ (Debian 12), build through the MLNet.DeepClustering package so its build step " +
                    "can patch libLibTorchSharp.so in the output folder. Inner error: " + e.Message, e);
            }
            _initialized = true;
        }
    }

    /// <summary>Parses "cpu", "cuda" or "cuda:N" into a torch device, checking availability.</summary>
    public static torch.Device ResolveDevice(string? device)
    {
        EnsureInitialized();
        string name = string.IsNullOrWhiteSpace(device) ? "cpu" : device.Trim().ToLowerInvariant();
        if (name == "cpu")
            return torch.CPU;
        if (name == "cuda" || name.StartsWith("cuda:", StringComparison.Ordinal))
        {
            if (!torch.cuda.is_available())
                throw new InvalidOperationException(
                    $"Device '{device}' was requested but CUDA is not available. Reference the TorchSharp-cuda-linux (or " +
                    "-windows) package instead of libtorch-cpu in the application, and check the NVIDIA driver.");
            return name == "cuda" ? torch.CUDA : new torch.Device(name);
        }
        throw new ArgumentOutOfRangeException(nameof(device), device, "Device must be \"cpu\", \"cuda\" or \"cuda:N\".");
    }

    /// <summary>Seeds torch's global generators (CPU and CUDA).</summary>
    public static void Seed(int seed)
    {
        EnsureInitialized();
        torch.random.manual_seed(seed);
        if (torch.cuda.is_available())
            torch.cuda.manual_seed_all(seed);
    }
}
