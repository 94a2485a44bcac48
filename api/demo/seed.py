"""The article Colophon is built for, encoded as data so that every demo dataset ends with it.

Source: Juni Kim, "Can Mongolia Help Resolve Tensions on the Korean Peninsula?", The Peninsula
(Korea Economic Institute of America), June 14, 2017. The text is the page's own, typographic
quotes included. Two changes, both recorded in ``EDITORIAL_NOTES``: the footnote markers ``[1]``
and ``[2]`` are written as Markdown references ``[^1]`` and ``[^2]``, and the editors' comment
anchors ``[TS1] [TS2]`` (which had no published comment) are removed.
"""

from typing import Final

AUTHOR: Final[dict[str, str]] = {
    "slug": "juni-kim",
    "name": "Juni Kim",
    "job_title": (
        "Program Manager and Executive Assistant, Korea Economic Institute of America (KEI)"
    ),
    # The paragraph after the article on the page: the author's bio, not body text.
    "bio": (
        "Juni Kim is the Program Manager and Executive Assistant at the Korea Economic "
        "Institute of America (KEI). The views expressed here are the author’s alone."
    ),
}

TITLE: Final = "Can Mongolia Help Resolve Tensions on the Korean Peninsula?"
SLUG: Final = "can-mongolia-help-resolve-tensions-on-the-korean-peninsula"
# The page gives only the date. Noon UTC keeps that calendar date in every time zone from
# UTC-11 to UTC+11, so no reader sees the article dated a day early or late.
PUBLISHED_AT: Final = "2017-06-14T12:00:00Z"
CATEGORY_ID: Final = 1  # Inter-Korean, the first generated category
SERIES_ID: Final = 1  # The Peninsula, the first generated series

PARAGRAPHS: Final[tuple[str, ...]] = (
    (
        "Inter-Korean relations have been marked by significant setbacks in recent years. "
        "The alarming rate of both nuclear and missile tests by North Korea has strained "
        "relations between the two Koreas and previous avenues of cooperation, like the "
        "Kaesong Industrial Complex, have been discontinued. North Korea’s recent string of "
        "provocations have only deepened their isolation in the international community, and "
        "although recently elected South Korean President Moon Jae-in has stated his "
        "willingness to engage North Korea, it is unclear at this point how the new "
        "administration will approach both engagement and North Korea’s denuclearization."
    ),
    (
        "Tensions on the peninsula are further complicated by the complex regional dynamics "
        "of Northeast Asia. The recent deployment of the U.S. missile defense THAAD "
        "(Terminal High Altitude Area Defense) system in South Korea and the subsequent "
        "protests by China and Russia illustrate the significant wedges among the six-party "
        "nations. The dormant six-party talks, which disbanded in 2009, are unlikely to "
        "resume in the near future, and the effectiveness of engagement with North Korea "
        "remains a fiercely debated issue among Korea experts."
    ),
    (
        "Against the backdrop of volatile regional tensions, Mongolia has steadily pursued a "
        "regional mediator role in recent years and has repeatedly offered to be involved in "
        "the peace process for the Korean peninsula. The landlocked nation maintains "
        "relatively friendly ties with both Korean nations and has advocated this advantage "
        "as part of a potential solution to reduce tensions between the two Koreas."
    ),
    (
        "As a former soviet satellite, Mongolia was the second country to recognize the then "
        "newly established DPRK (Democratic People’s Republic of Korea, or North Korea) in "
        "1948. Mongolia maintained relations with North Korea even after democratization in "
        "1990. Based on an agreement between the two countries, thousands of North Korean "
        "workers currently reside in Mongolia and current Mongolian President Tsakhiagiin "
        "Elbegdorj was the first head of state to visit North Korea after Kim Jong-un "
        "assumed power. As a landlocked country, Mongolia has a vested interest in access to "
        "North Korean ports, which would help decrease Mongolia’s dependence of ports in "
        "China and Russia."
    ),
    (
        "Mongolia also holds warm ties with South Korea and considers the nation to be one "
        "of its “third neighbors,” which refers to countries that do not share a border with "
        "Mongolia, but maintain close relations. The relationship significantly expanded "
        "after Mongolia’s democratization and Mongolians view South Korea’s economic "
        "development as a success story worth emulating."
    ),
    (
        "Under President Elbegdorj, Mongolia has actively sought to become a regional "
        "mediator state in Northeast Asia, and Mongolian officials have recognized their "
        "unique position in relation to the two Koreas. Mongolia’s foreign policy concept "
        "states, “Mongolia shall take an active part in the process of initiating dialogues "
        "and negotiations on the issues of strengthening regional security and creating a "
        "collective security mechanism.” This statement has been earnestly pursued by the "
        "Mongolian government. Notable recent examples include the ongoing Ulaanbaatar "
        "Dialogues, a regional Track 1.5 forum designed to “foster trust, mutual "
        "understanding and cooperation in Northeast Asia by creating a mechanism for "
        "dialogue,”[^1] and hosting negotiations between Japan and North Korea over the "
        "issue of North Korea’s abductions of Japanese citizens. One of the eventual "
        "outcomes of the Japan-North Korea talks was a 2014 reunion in the Mongolian capital "
        "between the daughter of a Japanese abductee residing in North Korea and her "
        "Japanese grandparents."
    ),
    (
        "In accordance with their foreign policy, Mongolian officials have sought a greater "
        "role in reducing tensions on the Korean peninsula. In a presentation given at the "
        "2015 Ulaanbaatar Dialogue, O. Mashbat, an adviser at the Institute for Strategic "
        "Studies of Mongolia, stated, “Mongolian officials see keeping good relations with "
        "both Koreas as essential to contribute to regional peace and security, and they "
        "believe that Mongolia could act as a mediator if political or nuclear crises "
        "arise.”[^2] Both Korean nations have participated in the Ulaanbaatar Dialogue, "
        "which provides opportunities for engagement on an unofficial level between "
        "delegates from the two countries. Other Track 1.5 talks, like the Northeast Asia "
        "Cooperation Dialogue, also involve participation from the two Koreas and other "
        "six-party nations, but Mongolia’s relations with North Korea could serve as an "
        "advantage to help encourage cooperation with the reclusive nation."
    ),
    (
        "Finding a peaceful solution to tensions on the Korean peninsula continues to be a "
        "perplexing challenge for policymakers worldwide, but some Mongolian officials hope "
        "that an eventual brokered deal would be reached with Mongolia’s assistance. The "
        "upcoming Mongolian presidential election on June 26th may signal a shift in "
        "Mongolia’s foreign policy direction, but Mongolia will likely continue to actively "
        "participate in regional efforts to encourage peace in the region and the Korean "
        "peninsula."
    ),
)
BODY_MARKDOWN: Final = "\n\n".join(PARAGRAPHS)

_CONFERENCE: Final = "Ulaanbaatar Dialogue on Northeast Asian Security – International Conference"

FOOTNOTES: Final[tuple[dict[str, object], ...]] = (
    {
        "number": 1,
        "text": f"Damba, Ganbat. “Keynote Speech.” {_CONFERENCE}. Pg. 10. 2015.",
        "url": None,
        "citation": {
            "author": "Damba, Ganbat",
            "title": "Keynote Speech",
            "container_title": _CONFERENCE,
            "page": "10",
            "issued": "2015",
        },
    },
    {
        # On the page this footnote breaks across two paragraphs; it is one citation.
        "number": 2,
        "text": (
            "Mashbat, O. “Non-traditional security in NEA and Ulaanbaatar Dialogue.” "
            f"{_CONFERENCE}. Pg. 47. 2015."
        ),
        "url": None,
        "citation": {
            "author": "Mashbat, O.",
            "title": "Non-traditional security in NEA and Ulaanbaatar Dialogue",
            "container_title": _CONFERENCE,
            "page": "47",
            "issued": "2015",
        },
    },
)

# The page names the license "Creative Commons" without a version, and links nothing:
# no version, image URL or license URL is invented.
FEATURED_IMAGE: Final[dict[str, str | None]] = {
    "url": None,
    "alt": None,
    "credit": "Photo from Francisco Anzola’s photostream on flickr",
    "license": "Creative Commons",
    "license_url": None,
    "source_url": None,
}

EDITORIAL_NOTES: Final = (
    "The source page carried editors' comment anchors [TS1] and [TS2] after footnote 2; "
    "their comments were not published."
)
