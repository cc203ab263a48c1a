// Clusters a folder of your own images, shows the groups, and sorts new images into them later.
//
//   dotnet run -c Release --project examples/ClusterImages -- fit --input <folder> --output <folder>
//       [--method jule|dac] [--clusters <k>|auto] [--size <pixels, default 28>] [--color] [--seed <n>] [--device cpu|cuda]
//       [--epoch-images <n, default 5000>]
//   dotnet run -c Release --project examples/ClusterImages -- predict --model <model.zip> --input <folder> --output <folder>
//
// fit reads every image file under --input (subfolders too), trains the trainer on them and writes into --output:
// clusters.csv (file,cluster,score), model.zip (the pipeline from the file path), montage-<cluster>.png,
// index.html (a gallery), embedding.png (the embedding projected to 2-D) and summary.json. predict assigns the
// images of another folder with a saved model and writes clusters.csv and the montages. A file that cannot be read
// is reported and skipped.
using System.CommandLine;
using MLNet.DeepClustering.ClusterImages;

var input = new Option<DirectoryInfo>("--input") { Description = "Folder of images (subfolders are read too).", Required = true };
var output = new Option<DirectoryInfo>("--output") { Description = "Folder for the results (created if missing).", Required = true };
var method = new Option<string>("--method") { Description = "jule or dac.", DefaultValueFactory = _ => "jule" };
method.AcceptOnlyFromAmong("jule", "dac");
var clusters = new Option<string>("--clusters") { Description = "The number of clusters, or auto to choose it (2 to 20).", DefaultValueFactory = _ => "auto" };
clusters.Validators.Add(result =>
{
    string value = result.GetValueOrDefault<string>() ?? "";
    if (value != "auto" && !(int.TryParse(value, out int k) && k >= 2))
        result.AddError($"--clusters must be auto or a whole number of at least 2, not '{value}'.");
});
var size = new Option<int>("--size") { Description = "Side in pixels the images are resized to.", DefaultValueFactory = _ => 28 };
size.Validators.Add(result =>
{
    int value = result.GetValueOrDefault<int>();
    if (value < 8 || value > 256)
        result.AddError($"--size must be between 8 and 256, not {value}.");
});
var color = new Option<bool>("--color") { Description = "Cluster on RGB colour instead of greyscale." };
var seed = new Option<int>("--seed") { Description = "Seed of the training.", DefaultValueFactory = _ => 1 };
var device = new Option<string>("--device") { Description = "cpu or cuda.", DefaultValueFactory = _ => "cpu" };
device.AcceptOnlyFromAmong("cpu", "cuda");
var epochImages = new Option<int>("--epoch-images")
{
    Description = "Images each training epoch draws at the least: a folder with fewer repeats its images, so training takes about " +
                  "as long as on this many. 0 makes an epoch one pass over the folder: much faster on small folders, often worse clusters.",
    DefaultValueFactory = _ => 5000,
};
epochImages.Validators.Add(result =>
{
    if (result.GetValueOrDefault<int>() < 0)
        result.AddError($"--epoch-images must be zero or positive, not {result.GetValueOrDefault<int>()}.");
});
var model = new Option<FileInfo>("--model") { Description = "A model.zip written by fit.", Required = true };

var fit = new Command("fit", "Cluster the images of a folder and write the results.") { input, output, method, clusters, size, color, seed, device, epochImages };
fit.SetAction(parse => new FitCommand(new FitSettings(
    parse.GetValue(input)!, parse.GetValue(output)!, parse.GetValue(method)!,
    parse.GetValue(clusters) is "auto" ? 0 : int.Parse(parse.GetValue(clusters)!, System.Globalization.CultureInfo.InvariantCulture),
    parse.GetValue(size), parse.GetValue(color), parse.GetValue(seed), parse.GetValue(device)!, parse.GetValue(epochImages))).Run());

var predictInput = new Option<DirectoryInfo>("--input") { Description = "Folder of images to assign.", Required = true };
var predictOutput = new Option<DirectoryInfo>("--output") { Description = "Folder for the results (created if missing).", Required = true };
var predict = new Command("predict", "Assign the images of a folder to the clusters of a saved model.") { model, predictInput, predictOutput };
predict.SetAction(parse => new PredictCommand(parse.GetValue(model)!, parse.GetValue(predictInput)!, parse.GetValue(predictOutput)!).Run());

var root = new RootCommand("Cluster a folder of images with JULE or DAC (MLNet.DeepClustering).") { fit, predict };
try
{
    return root.Parse(args).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (Exception e) when (e is not OutOfMemoryException)
{
    // A model that cannot be loaded, a device that is not there, a folder that cannot be written: one line, exit 1.
    while (e.InnerException is not null && e is System.Reflection.TargetInvocationException or AggregateException)
        e = e.InnerException;
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}
