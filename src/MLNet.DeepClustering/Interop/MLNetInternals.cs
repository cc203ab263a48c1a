using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace MLNet.DeepClustering.Interop;

/// <summary>
/// The only non-persistence code that reaches non-public ML.NET members (see README.md in this folder).
/// Each member is a one-line bridge so the rest of the library stays on public API.
/// </summary>
internal static class MLNetInternals
{
    /// <summary>The environment (the MLContext) behind a trainer catalog such as <c>mlContext.Clustering.Trainers</c>.</summary>
    public static IHostEnvironment GetEnvironment(TrainCatalogBase.CatalogInstantiatorBase catalog)
        => ((IInternalCatalog)catalog).Environment;

    /// <summary>The environment behind a catalog such as <c>mlContext.Clustering</c>.</summary>
    public static IHostEnvironment GetEnvironment(TrainCatalogBase catalog) => catalog.Environment;

    /// <summary>The environment behind <c>mlContext.Transforms</c>.</summary>
    public static IHostEnvironment GetEnvironment(TransformsCatalog catalog) => ((IInternalCatalog)catalog).Environment;

    /// <summary>True once <c>MLContext.CancelExecution()</c> was called on the environment or the host.</summary>
    public static bool IsCanceled(IHostEnvironment env) => env is ICancelable cancelable && cancelable.IsCanceled;

    /// <summary>Cancels every running operation of the environment (ML.NET's own cancellation, as the
    /// Microsoft.ML.Experimental package's <c>CancelExecution</c> extension does).</summary>
    public static void CancelExecution(MLContext mlContext) => mlContext.CancelExecution();

    /// <summary>The <see cref="SchemaShape"/> of a schema (SchemaShape.Create is internal).</summary>
    public static SchemaShape ToShape(DataViewSchema schema) => SchemaShape.Create(schema);

    /// <summary>A <see cref="SchemaShape.Column"/> (its constructor is internal).</summary>
    public static SchemaShape.Column MakeColumn(string name, SchemaShape.Column.VectorKind kind, DataViewType itemType, bool isKey)
        => new(name, kind, itemType, isKey);
}
