using MLNet.DeepClustering.Samples;

namespace MLNet.DeepClustering.Benchmark;

/// <summary>
/// What a user whose groups differ in size feeds the trainers: the classes, in label order, keep a share of their
/// images that falls geometrically from all of them (the first class) to 1 / ratio of them (the last), the first
/// images of each class in file order. A ratio of 10 keeps about 41% of a balanced set.
/// </summary>
internal static class Imbalance
{
    public static List<Digit> Subsample(IReadOnlyList<Digit> digits, double ratio)
    {
        if (ratio < 1)
            throw new ArgumentOutOfRangeException(nameof(ratio), ratio, "The imbalance ratio must be at least 1.");
        var available = digits.CountBy(d => d.Label).ToDictionary();
        var classes = available.Keys.Order().ToArray();
        var keep = new Dictionary<uint, int>();
        for (int c = 0; c < classes.Length; c++)
        {
            double share = classes.Length == 1 ? 1 : Math.Pow(ratio, -(double)c / (classes.Length - 1));
            keep[classes[c]] = Math.Max(1, (int)Math.Round(share * available[classes[c]]));
        }
        var taken = classes.ToDictionary(c => c, _ => 0);
        var result = new List<Digit>();
        foreach (var digit in digits)
            if (taken[digit.Label] < keep[digit.Label])
            {
                taken[digit.Label]++;
                result.Add(digit);
            }
        return result;
    }
}
