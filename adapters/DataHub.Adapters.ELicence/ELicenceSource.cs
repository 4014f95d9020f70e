namespace DataHub.Adapters.ELicence;

/// <summary>
/// The e-licence library (电子证照库, GB/T 36901~36905-2018) held by the super-admin studio: licences
/// issued to enterprises, one row per licence version. It also answers verification calls (核验),
/// see <see cref="ELicenceVerifier"/>.
/// </summary>
public sealed class ELicenceSource : ISourceSystem
{
    public const string Name = "e-licence";

    public string Source => Name;

    public string DisplayName => "电子证照库";

    public IReadOnlyList<SourceFeed> Feeds { get; } =
    [
        new SourceFeed
        {
            Name = "licences",
            Path = "/dzzz/api/v2/certificates/sync",
            // The library's sync interface scrolls through its index with an opaque scroll id.
            Paging = new TokenPaging
            {
                RowsPath = "data.records",
                LimitParameter = "size",
                TokenParameter = "scrollId",
                NextTokenPath = "data.scrollId",
                HasMorePath = "data.hasNext",
            },
            Mapper = new LicenceMapper(),
            Writer = new LicenceWriter(),
        },
    ];
}
