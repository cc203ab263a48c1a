namespace MLNet.DeepClustering;

/// <summary>Minimum-cost perfect assignment on a square cost matrix (Kuhn-Munkres with potentials, O(n^3)).</summary>
internal static class HungarianAlgorithm
{
    /// <summary>Returns assignment[row] = column minimising the total cost.</summary>
    public static int[] Solve(double[,] cost)
    {
        int n = cost.GetLength(0);
        if (cost.GetLength(1) != n)
            throw new ArgumentException("The cost matrix must be square.", nameof(cost));
        // 1-based potentials u (rows), v (columns); p[j] = row matched to column j; way = augmenting path.
        var u = new double[n + 1];
        var v = new double[n + 1];
        var p = new int[n + 1];
        var way = new int[n + 1];
        for (int i = 1; i <= n; i++)
        {
            p[0] = i;
            int j0 = 0;
            var minv = Enumerable.Repeat(double.PositiveInfinity, n + 1).ToArray();
            var used = new bool[n + 1];
            do
            {
                used[j0] = true;
                int i0 = p[j0], j1 = 0;
                double delta = double.PositiveInfinity;
                for (int j = 1; j <= n; j++)
                {
                    if (used[j])
                        continue;
                    double current = cost[i0 - 1, j - 1] - u[i0] - v[j];
                    if (current < minv[j])
                    {
                        minv[j] = current;
                        way[j] = j0;
                    }
                    if (minv[j] < delta)
                    {
                        delta = minv[j];
                        j1 = j;
                    }
                }
                for (int j = 0; j <= n; j++)
                {
                    if (used[j])
                    {
                        u[p[j]] += delta;
                        v[j] -= delta;
                    }
                    else
                    {
                        minv[j] -= delta;
                    }
                }
                j0 = j1;
            }
            while (p[j0] != 0);
            do
            {
                int j1 = way[j0];
                p[j0] = p[j1];
                j0 = j1;
            }
            while (j0 != 0);
        }
        var assignment = new int[n];
        for (int j = 1; j <= n; j++)
            assignment[p[j] - 1] = j - 1;
        return assignment;
    }
}
