"""Reference data every installation starts with: public facts about Denmark and the network.

The first migration inserts these rows; after that administrators edit themes and
municipalities in the database. A change here therefore needs a new migration too.
"""

from __future__ import annotations

from sqlalchemy import Connection, MetaData, insert, select

from forum.slugs import slugify

# (slug, name), in the order the network lists them; the national scope comes last.
REGIONS: list[tuple[str, str]] = [
    ("nordjylland", "Region Nordjylland"),
    ("midtjylland", "Region Midtjylland"),
    ("syddanmark", "Region Syddanmark"),
    ("sjaelland", "Region Sjælland"),
    ("hovedstaden", "Region Hovedstaden"),
    ("landsdaekkende", "Landsdækkende"),
]
NATIONAL_REGION = "landsdaekkende"

# Denmark's 98 municipalities since the 2007 structural reform, by region.
MUNICIPALITIES: dict[str, list[str]] = {
    "nordjylland": [
        "Brønderslev",
        "Frederikshavn",
        "Hjørring",
        "Jammerbugt",
        "Læsø",
        "Mariagerfjord",
        "Morsø",
        "Rebild",
        "Thisted",
        "Vesthimmerland",
        "Aalborg",
    ],
    "midtjylland": [
        "Favrskov",
        "Hedensted",
        "Herning",
        "Holstebro",
        "Horsens",
        "Ikast-Brande",
        "Lemvig",
        "Norddjurs",
        "Odder",
        "Randers",
        "Ringkøbing-Skjern",
        "Samsø",
        "Silkeborg",
        "Skanderborg",
        "Skive",
        "Struer",
        "Syddjurs",
        "Viborg",
        "Aarhus",
    ],
    "syddanmark": [
        "Assens",
        "Billund",
        "Esbjerg",
        "Fanø",
        "Fredericia",
        "Faaborg-Midtfyn",
        "Haderslev",
        "Kerteminde",
        "Kolding",
        "Langeland",
        "Middelfart",
        "Nordfyns",
        "Nyborg",
        "Odense",
        "Svendborg",
        "Sønderborg",
        "Tønder",
        "Varde",
        "Vejen",
        "Vejle",
        "Ærø",
        "Aabenraa",
    ],
    "sjaelland": [
        "Faxe",
        "Greve",
        "Guldborgsund",
        "Holbæk",
        "Kalundborg",
        "Køge",
        "Lejre",
        "Lolland",
        "Næstved",
        "Odsherred",
        "Ringsted",
        "Roskilde",
        "Slagelse",
        "Solrød",
        "Sorø",
        "Stevns",
        "Vordingborg",
    ],
    "hovedstaden": [
        "Albertslund",
        "Allerød",
        "Ballerup",
        "Bornholm",
        "Brøndby",
        "Dragør",
        "Egedal",
        "Fredensborg",
        "Frederiksberg",
        "Frederikssund",
        "Furesø",
        "Gentofte",
        "Gladsaxe",
        "Glostrup",
        "Gribskov",
        "Halsnæs",
        "Helsingør",
        "Herlev",
        "Hillerød",
        "Hvidovre",
        "Høje-Taastrup",
        "Hørsholm",
        "Ishøj",
        "København",
        "Lyngby-Taarbæk",
        "Rudersdal",
        "Rødovre",
        "Tårnby",
        "Vallensbæk",
    ],
}

# (slug, name) of the initial themes, from the network's invitations and plans.
THEMES: list[tuple[str, str]] = [
    ("barnets-lov", "Implementering af Barnets Lov"),
    ("tidlig-indsats", "Tidlig og forebyggende indsats"),
    ("netvaerksanbringelser", "Netværksanbringelser"),
    ("familiepleje", "Kvalitet i familiepleje"),
    ("anbringelser", "Kvalitet i anbringelser og færre skift"),
    ("helhedsorienteret-indsats", "Helhedsorienteret og tværfaglig indsats"),
    ("inddragelse", "Inddragelse og børns rettigheder"),
    ("sagsbehandling", "Kontinuitet og kvalitet i sagsbehandlingen"),
    ("hverdagsliv", "Hverdagsliv og netværk i anbringelsen"),
    ("voksenliv", "Overgang til voksenlivet og efterværn"),
    ("civilsamfund", "Samarbejde med civilsamfundet"),
    ("adoption", "Adoption og permanens"),
    ("ledelse", "Ledelse af forandring"),
]


def region_rows() -> list[dict]:
    """Rows for the ``regions`` table (ids are left to the database)."""
    return [
        {"slug": slug, "name": name, "position": i, "is_national": slug == NATIONAL_REGION}
        for i, (slug, name) in enumerate(REGIONS, start=1)
    ]


def municipality_rows(region_ids: dict[str, int]) -> list[dict]:
    """Rows for the ``municipalities`` table, given region ids by slug."""
    return [
        {"name": name, "slug": slugify(name), "region_id": region_ids[region_slug]}
        for region_slug, names in MUNICIPALITIES.items()
        for name in names
    ]


def theme_rows() -> list[dict]:
    """Rows for the ``themes`` table."""
    return [
        {"slug": slug, "name": name, "description": "", "position": i, "is_active": True}
        for i, (slug, name) in enumerate(THEMES, start=1)
    ]


def insert_reference_data(connection: Connection, metadata: MetaData) -> None:
    """Insert regions, municipalities and themes (used by the first migration and tests)."""
    regions = metadata.tables["regions"]
    connection.execute(insert(regions), region_rows())
    region_ids = {
        row.slug: row.id for row in connection.execute(select(regions.c.slug, regions.c.id))
    }
    connection.execute(insert(metadata.tables["municipalities"]), municipality_rows(region_ids))
    connection.execute(insert(metadata.tables["themes"]), theme_rows())
