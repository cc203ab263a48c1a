using Microsoft.ML;
using MLNet.DeepClustering.Samples;

namespace MLNet.DeepClustering.Tests;

/// <summary>Small slices of the embedded MNIST sample (the resources live in the LoadCheck assembly).</summary>
internal static class SampleDigits
{
    private static readonly Lazy<List<Digit>> All = new(() => MnistIdx.LoadEmbedded(typeof(Digit).Assembly, 1000));

    /// <summary>Copies of the first <paramref name="count"/> digits (tests may modify them).</summary>
    public static List<Digit> Take(int count)
        => All.Value.Take(count).Select(d => new Digit { Features = (float[])d.Features.Clone(), Label = d.Label }).ToList();

    public static IDataView Load(MLContext mlContext, int count) => mlContext.Data.LoadFromEnumerable(Take(count));

    /// <summary>Fast DAC options for tests: tiny data, one or two epochs.</summary>
    public static DacTrainer.Options FastDac(int epochs = 1, int seed = 1) => new()
    {
        NumberOfClusters = 10,
        MaxEpochs = epochs,
        BatchSize = 64,
        NetworkWidth = 16,
        SelfLabelingEpochs = 0,
        MinimumImagesPerEpoch = 0,
        Seed = seed,
    };
}
