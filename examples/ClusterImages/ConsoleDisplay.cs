using System.Globalization;
using Spectre.Console;

namespace MLNet.DeepClustering.ClusterImages;

/// <summary>
/// Live progress for the loading, training and writing phases: Spectre.Console progress bars on an interactive
/// terminal, one plain line per step otherwise (a log file, CI), both fed by the same calls.
/// </summary>
internal sealed class ConsoleDisplay
{
    private readonly ProgressContext? _context;
    private readonly Dictionary<string, ProgressTask> _tasks = new();
    private readonly Dictionary<string, int> _lastPercent = new();
    private readonly object _gate = new();

    private ConsoleDisplay(ProgressContext? context) => _context = context;

    public static bool Interactive => AnsiConsole.Profile.Capabilities.Interactive;

    /// <summary>Runs <paramref name="action"/> with a display: progress bars when the terminal is interactive.</summary>
    public static T Run<T>(Func<ConsoleDisplay, T> action)
    {
        if (!Interactive)
            return action(new ConsoleDisplay(null));
        return AnsiConsole.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                new ElapsedTimeColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(context => action(new ConsoleDisplay(context)));
    }

    /// <summary>Sets task <paramref name="name"/> to <paramref name="value"/> of <paramref name="total"/> with a description.</summary>
    public void Update(string name, double value, double total, string description)
    {
        lock (_gate)
        {
            if (_context is null)
            {
                // Plain output: a line each time the task crosses another 10 percent, and when it ends.
                int percent = total > 0 ? (int)(100 * value / total) : 0;
                int last = _lastPercent.GetValueOrDefault(name, -10);
                if (percent / 10 > last / 10 || (value >= total && last < 100))
                {
                    _lastPercent[name] = percent;
                    Console.WriteLine($"{name}: {description} ({percent}%)");
                }
                return;
            }
            if (!_tasks.TryGetValue(name, out var task))
                _tasks[name] = task = _context.AddTask(name, maxValue: Math.Max(total, 1));
            task.MaxValue = Math.Max(total, 1);
            task.Value = Math.Min(value, task.MaxValue);
            task.Description = Markup.Escape($"{name}: {description}");
        }
    }

    /// <summary>Marks task <paramref name="name"/> done.</summary>
    public void Complete(string name, string description)
    {
        lock (_gate)
        {
            if (_context is null)
            {
                Console.WriteLine($"{name}: {description}");
                return;
            }
            if (!_tasks.TryGetValue(name, out var task))
                _tasks[name] = task = _context.AddTask(name, maxValue: 1);
            task.Description = Markup.Escape($"{name}: {description}");
            task.Value = task.MaxValue;
            task.StopTask();
        }
    }

    /// <summary>A line above the progress bars (or on its own).</summary>
    public static void Line(string text)
    {
        if (Interactive)
            AnsiConsole.MarkupLine(Markup.Escape(text));
        else
            Console.WriteLine(text);
    }

    /// <summary>A training report as one line: period, clusters, epoch, loss, speed and time left.</summary>
    public static string Describe(DeepClusteringProgress p)
    {
        var text = string.Create(CultureInfo.InvariantCulture, $"{p.Method}");
        if (p.Period > 0)
            text += string.Create(CultureInfo.InvariantCulture, $" period {p.Period}, {p.Clusters} clusters,");
        text += string.Create(CultureInfo.InvariantCulture, $" epoch {p.Epochs}/{p.EstimatedTotalEpochs?.ToString(CultureInfo.InvariantCulture) ?? "?"}");
        if (double.IsFinite(p.Loss))
            text += string.Create(CultureInfo.InvariantCulture, $", loss {p.Loss:F4}");
        if (p.ImagesPerSecond > 0)
            text += string.Create(CultureInfo.InvariantCulture, $", {p.ImagesPerSecond:F0} images/s");
        if (p.EstimatedTotalEpochs is int total && p.Epochs > 0 && total > p.Epochs)
            text += string.Create(CultureInfo.InvariantCulture, $", about {p.ElapsedSeconds / p.Epochs * (total - p.Epochs):F0} s left");
        return text;
    }
}
