using Microsoft.ML;
using Microsoft.ML.Runtime;
using MLNet.DeepClustering;
using MLNet.DeepClustering.Interop;

[assembly: LoadableClass(typeof(DeepClusteringTransformer), typeof(ModelPersistence), null, typeof(SignatureLoadModel),
    "Deep Clustering Transformer", ModelPersistence.LoaderSignature)]

namespace MLNet.DeepClustering.Interop;

/// <summary>
/// Bridges ML.NET's model repository (non-public <see cref="ModelSaveContext"/> / <see cref="ModelLoadContext"/>
/// members) to plain <see cref="BinaryWriter"/> / <see cref="BinaryReader"/> callbacks. The model format itself
/// is documented and versioned in <c>Model/ModelFormat.cs</c>.
/// </summary>
internal static class ModelPersistence
{
    /// <summary>Loader signature stored in the zip (at most 24 characters).</summary>
    public const string LoaderSignature = "DeepClusteringTransform";

    /// <summary>Model signature stored in the zip (exactly 8 characters).</summary>
    public const string ModelSignature = "DEEPCLST";

    private static VersionInfo GetVersionInfo() => new(
        ModelSignature,
        ModelFormat.VersionWritten,
        ModelFormat.VersionReadable,
        ModelFormat.VersionWeCanReadBack,
        // The assembly name makes ModelLoadContext register this assembly with the ComponentCatalog on load,
        // so a fresh process can call mlContext.Model.Load with no registration call.
        loaderAssemblyName: typeof(ModelPersistence).Assembly.FullName,
        loaderSignature: LoaderSignature,
        loaderSignatureAlt: null);

    /// <summary>Writes the header and payload, then each named binary stream.</summary>
    public static void Save(ModelSaveContext ctx, Action<BinaryWriter> writePayload, IReadOnlyList<(string Name, byte[] Bytes)> streams)
    {
        ctx.CheckAtModel();
        ctx.SetVersionInfo(GetVersionInfo());
        writePayload(ctx.Writer);
        foreach (var (name, bytes) in streams)
            ctx.SaveBinaryStream(name, w => { w.Write(bytes.Length); w.Write(bytes); });
    }

    /// <summary>Called by ML.NET's ComponentCatalog for <see cref="LoaderSignature"/>.</summary>
    internal static DeepClusteringTransformer Create(IHostEnvironment env, ModelLoadContext ctx)
    {
        ctx.CheckAtModel(GetVersionInfo());
        uint version = ctx.Header.ModelVerWritten;
        return DeepClusteringTransformer.Load(env, version, ctx.Reader, name => ReadStream(ctx, name));
    }

    private static byte[] ReadStream(ModelLoadContext ctx, string name)
    {
        byte[]? bytes = null;
        if (!ctx.TryLoadBinaryStream(name, r =>
            {
                int length = r.ReadInt32();
                if (length < 0)
                    throw new InvalidDataException($"Corrupt deep clustering model: stream '{name}' has negative length.");
                bytes = r.ReadBytes(length);
                if (bytes.Length != length)
                    throw new InvalidDataException($"Corrupt deep clustering model: stream '{name}' is truncated.");
            }))
            throw new InvalidDataException($"Corrupt deep clustering model: stream '{name}' is missing.");
        return bytes!;
    }
}
