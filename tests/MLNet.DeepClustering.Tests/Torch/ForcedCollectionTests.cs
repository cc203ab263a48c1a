using Microsoft.ML;

namespace MLNet.DeepClustering.Tests.Torch;

/// <summary>
/// Fits while another thread forces garbage collections in a loop. TorchSharp frees a Scalar when its managed object is
/// collected, even in the middle of the native call that reads it, so a Scalar made implicitly for one call can break a
/// training step ("Unknown scalar type", "Expected false to be true ... Scalar.h"). Training passes only Scalars it
/// holds (Torch/Scalars.cs, TrainingOptimizer).
/// </summary>
[TestClass]
public sealed class ForcedCollectionTests
{
    [TestMethod]
    [DataRow("DAC")]
    [DataRow("JULE")]
    public void FitsSurviveCollectionsForcedByAnotherThread(string method)
    {
        var data = SampleDigits.Take(300);
        bool stop = false;
        long collections = 0;
        var collector = new Thread(() =>
        {
            while (!Volatile.Read(ref stop))
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                Interlocked.Increment(ref collections);
            }
        });
        collector.Start();
        int fits = 0;
        try
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (clock.Elapsed.TotalSeconds < 10)
            {
                var mlContext = new MLContext(seed: fits);
                IEstimator<DeepClusteringTransformer> trainer = method == "DAC"
                    ? mlContext.Clustering.Trainers.Dac(SampleDigits.FastDac(epochs: 2, seed: fits))
                    : mlContext.Clustering.Trainers.Jule(Jule.JuleTrainerTests.FastJule(seed: fits));
                using var model = trainer.Fit(mlContext.Data.LoadFromEnumerable(data));
                fits++;
            }
        }
        finally
        {
            Volatile.Write(ref stop, true);
            collector.Join();
        }
        Assert.IsGreaterThan(0, fits);
        Assert.IsGreaterThan(100L, Interlocked.Read(ref collections));
    }
}
