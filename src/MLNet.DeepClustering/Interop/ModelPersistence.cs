using Microsoft.ML;
using Microsoft.ML.Runtime;
using MLNet.DeepClustering;
using MLNet.DeepClustering.Interop;

[assembly: LoadableClass(typeof(DeepClusteringTransformer), typeof(ModelPersistence.ClusteringLoader), null, typeof(SignatureLoadModel),
    "Deep Clustering Transformer", ModelPersistence.LoaderSignature)]
[assembly: LoadableClass(typeof(ImagePixelLoadingTransformer), typeof(ModelPersistence.PixelLoader), null, typeof(SignatureLoadModel),
    "Image Pixel Loading Transformer", ModelPersistence.PixelLoaderSignature)]

namespace MLNet.DeepClustering.Interop;

/// <summary>
/// Bridges ML.NET's model repository (non-public <see cref="ModelSaveContext"/> / <see cref="ModelLoadContext"/>
/// members) to plain <see cref="BinaryWriter"/> / <see cref="BinaryReader"/> callbacks. The formats themselves are
/// documented and versioned next to the code that writes them: <see cref="DeepClusteringTransformer"/> and
/// <see cref="DeepClusteringModelParameters"/> (the clustering transformer) and
/// <see cref="ImagePixelLoadingTransformer.Settings"/> (the image pixel loader).
/// </summary>
internal static class ModelPersistence
{
    /// <summary>Loader signature of the clustering transformer (at most 24 characters).</summary>
    public const string LoaderSignature = "DeepClusteringTransform";

    /// <summary>Model signature of the clustering transformer (exactly 8 characters).</summary>
    public const string ModelSignature = "DEEPCLST";

    /// <summary>Loader signature of the image pixel loader (at most 24 characters).</summary>
    public const string PixelLoaderSignature = "DeepClusteringImagePixel";

    /// <summary>Model signature of the image pixel loader (exactly 8 characters).</summary>
    public const string PixelModelSignature = "DCIMGPIX";

    private const uint PixelVersion = 0x00010001;

    private static VersionInfo ClusteringVersion() => Version(ModelSignature, DeepClusteringTransformer.VersionWritten,
        DeepClusteringTransformer.VersionReadable, DeepClusteringTransformer.VersionWeCanReadBack, LoaderSignature);

    private static VersionInfo PixelLoaderVersion() => Version(PixelModelSignature, PixelVersion, PixelVersion, PixelVersion, PixelLoaderSignature);

    // The assembly name makes ModelLoadContext register this assembly with the ComponentCatalog on load, so a fresh
    // process can call mlContext.Model.Load with no registration call.
    private static VersionInfo Version(string signature, uint written, uint readable, uint readBack, string loader)
        => new(signature, written, readable, readBack, loaderAssemblyName: typeof(ModelPersistence).Assembly.FullName,
            loaderSignature: loader, loaderSignatureAlt: null);

    /// <summary>Writes the clustering transformer: header and payload, then each named binary stream.</summary>
    public static void Save(ModelSaveContext ctx, Action<BinaryWriter> writePayload, IReadOnlyList<(string Name, byte[] Bytes)> streams)
    {
        ctx.CheckAtModel();
        ctx.SetVersionInfo(ClusteringVersion());
        writePayload(ctx.Writer);
        foreach (var (name, bytes) in streams)
            ctx.SaveBinaryStream(name, w => { w.Write(bytes.Length); w.Write(bytes); });
    }

    /// <summary>Writes the image pixel loader: header and payload.</summary>
    public static void SavePixelLoader(ModelSaveContext ctx, Action<BinaryWriter> writePayload)
    {
        ctx.CheckAtModel();
        ctx.SetVersionInfo(PixelLoaderVersion());
        writePayload(ctx.Writer);
    }

    /// <summary>Called by ML.NET's ComponentCatalog for <see cref="LoaderSignature"/>.</summary>
    internal static class ClusteringLoader
    {
        internal static DeepClusteringTransformer Create(IHostEnvironment env, ModelLoadContext ctx)
        {
            ctx.CheckAtModel(ClusteringVersion());
            uint version = ctx.Header.ModelVerWritten;
            string entry = string.IsNullOrEmpty(ctx.Directory) ? LoaderSignature : ctx.Directory;
            return DeepClusteringTransformer.Load(env, version, ctx.Reader, name => ReadStream(ctx, name), entry);
        }
    }

    /// <summary>Called by ML.NET's ComponentCatalog for <see cref="PixelLoaderSignature"/>.</summary>
    internal static class PixelLoader
    {
        internal static ImagePixelLoadingTransformer Create(IHostEnvironment env, ModelLoadContext ctx)
        {
            ctx.CheckAtModel(PixelLoaderVersion());
            return ImagePixelLoadingTransformer.Load(env, ctx.Reader);
        }
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
