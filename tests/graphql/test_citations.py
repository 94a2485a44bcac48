"""`Publication.citation`: CSL-JSON, BibTeX and RIS from the byline, series and site."""

import json
from datetime import UTC, datetime

import httpx

from tests.content import Content
from tests.graphql.conftest import data_of

QUERY = """{ publication(slug: "can-mongolia-help") {
  csl: citation(format: CSL_JSON) bibtex: citation(format: BIBTEX) ris: citation(format: RIS)
} }"""


async def test_three_formats(client: httpx.AsyncClient, content: Content) -> None:
    await content.publication(
        "Can Mongolia Help?",
        subtitle="Tensions & 50% odds",
        authors=[await content.author("Juni Kim"), await content.author("Ann Lee")],
        series=await content.series("The Peninsula"),
        published_at=datetime(2017, 6, 14, 12, tzinfo=UTC),
    )
    citation = (await data_of(client, QUERY))["publication"]
    url = "https://example.org/publications/can-mongolia-help"

    [item] = json.loads(citation["csl"])
    assert item["title"] == "Can Mongolia Help?: Tensions & 50% odds"
    assert item["author"] == [{"literal": "Juni Kim"}, {"literal": "Ann Lee"}]
    assert item["issued"] == {"date-parts": [[2017, 6, 14]]}
    assert item["container-title"] == "The Peninsula"
    assert item["URL"] == url

    bibtex = citation["bibtex"]
    assert bibtex.startswith("@misc{can-mongolia-help,\n")
    assert "title = {{Can Mongolia Help?: Tensions \\& 50\\% odds}}," in bibtex
    assert "author = {{Juni Kim} and {Ann Lee}}," in bibtex
    assert f"url = {{{url}}}," in bibtex

    lines = citation["ris"].split("\r\n")
    assert lines[0] == "TY  - GEN"
    assert "AU  - Juni Kim" in lines
    assert "AU  - Ann Lee" in lines
    assert "DA  - 2017/06/14" in lines
    assert "T2  - The Peninsula" in lines
    assert f"UR  - {url}" in lines
    assert lines[-2:] == ["ER  - ", ""]
