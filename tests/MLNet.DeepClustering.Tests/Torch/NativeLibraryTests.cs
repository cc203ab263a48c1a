using MLNet.DeepClustering.Torch;
using TorchSharp;

namespace MLNet.DeepClustering.Tests.Torch;

[TestClass]
public sealed class NativeLibraryTests
{
    [TestMethod]
    public void TorchLoadsAndComputes()
    {
        TorchRuntime.EnsureInitialized();
        using var a = torch.tensor(new float[] { 1, 2, 3, 4 }, new long[] { 2, 2 });
        using var b = a.matmul(a);
        CollectionAssert.AreEqual(new float[] { 7, 10, 15, 22 }, b.data<float>().ToArray());
    }

    [TestMethod]
    public void TorchUsesEveryCore()
    {
        TorchRuntime.EnsureInitialized();
        Assert.AreEqual(Environment.ProcessorCount, torch.get_num_threads());
    }

    [TestMethod]
    public void PatchedNativeLibraryIsInTheOutputFolder()
    {
        if (!OperatingSystem.IsLinux())
            Assert.Inconclusive("The GLIBCXX patch applies to Linux only.");
        var copies = Directory.GetFiles(AppContext.BaseDirectory, "libLibTorchSharp.so", SearchOption.AllDirectories);
        Assert.IsTrue(copies.Length > 0, "libLibTorchSharp.so should be copied to the test output.");
        string cache = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        foreach (string copy in copies)
            Assert.IsFalse(Path.GetFullPath(copy).StartsWith(cache, StringComparison.Ordinal), "Only output copies are patched.");
    }

    [TestMethod]
    public void UnknownDeviceIsRejected()
    {
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => TorchRuntime.ResolveDevice("tpu"));
    }

    [TestMethod]
    public void CudaWithoutCudaRuntimeGivesAClearError()
    {
        if (torch.cuda.is_available())
            Assert.Inconclusive("CUDA is available here.");
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => TorchRuntime.ResolveDevice("cuda"));
        StringAssert.Contains(e.Message, "TorchSharp-cuda");
    }
}
