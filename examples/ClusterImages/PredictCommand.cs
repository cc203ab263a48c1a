using Microsoft.ML;

namespace MLNet.DeepClustering.ClusterImages;

/// <summary>predict: assign the images of a folder with a model written by fit; writes clusters.csv and the montages.</summary>
internal sealed class PredictCommand
{
    private readonly FileInfo _model;
    private readonly DirectoryInfo _input;
    private readonly DirectoryInfo _output;

    public PredictCommand(FileInfo model, DirectoryInfo input, DirectoryInfo output)
    {
        _model = model;
        _input = input;
        _output = output;
    }

    public int Run()
    {
        if (!_model.Exists)
        {
            Console.Error.WriteLine($"The model '{_model.FullName}' does not exist.");
            return 2;
        }
        var images = ImageSet.Find(_input, _output);
        if (images.Files.Count == 0)
        {
            Console.Error.WriteLine($"No image files ({string.Join(", ", ImageSet.Extensions)}) under '{_input.FullName}'.");
            return 2;
        }
        Directory.CreateDirectory(_output.FullName);
        var mlContext = new MLContext(seed: 1);
        var model = mlContext.Model.Load(_model.FullName, out _);
        try
        {
            int clusters = ClusterCount(model);
            return ConsoleDisplay.Run(display =>
            {
                var scored = images.MapWithProgress<ScoredRow>(mlContext, model, display, "Assigning", "assigned");
                var assignments = scored.Select(r => new Assignment(r.File, images.Relative(r.File), r.Row.PredictedLabel, r.Row.Score[r.Row.PredictedLabel - 1])).ToList();
                Gallery.WriteCsv(Path.Combine(_output.FullName, "clusters.csv"), assignments);
                Gallery.WriteMontages(_output.FullName, Gallery.ByCluster(assignments, clusters));
                ConsoleDisplay.Line($"{scored.Count} images assigned to {clusters} clusters ({images.Skipped.Count} skipped); results in {_output.FullName}.");
                return 0;
            });
        }
        finally
        {
            (model as IDisposable)?.Dispose();
        }
    }

    /// <summary>k of the model's clustering transformer (the last one in the chain).</summary>
    private static int ClusterCount(ITransformer model)
        => model switch
        {
            DeepClusteringTransformer t => t.NumberOfClusters,
            IEnumerable<ITransformer> chain => chain.OfType<DeepClusteringTransformer>().LastOrDefault()?.NumberOfClusters
                ?? throw new InvalidDataException("The model holds no deep clustering transformer."),
            _ => throw new InvalidDataException("The model holds no deep clustering transformer."),
        };
}
