using DataHub.Adapters;
using DataHub.Adapters.CreditPlatform;
using DataHub.Adapters.ELicence;
using DataHub.Adapters.Hotline12345;
using DataHub.Adapters.MarketSupervision;
using DataHub.Adapters.ProvincialPlatform;

namespace DataHub;

/// <summary>The source systems this hub knows; adding one is adding its project here.</summary>
internal static class SourceSystems
{
    public static IReadOnlyList<ISourceSystem> All { get; } =
    [
        new ProvincialPlatformSource(),
        new Hotline12345Source(),
        new MarketSupervisionSource(),
        new CreditPlatformSource(),
        new ELicenceSource(),
    ];

    public static ISourceSystem? Find(string source) => All.FirstOrDefault(s => s.Source == source);
}
