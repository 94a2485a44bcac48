"""`/publications/{id_or_slug}/citation` and `/references`: "cite this" in three formats, and
the footnotes' works as CSL-JSON, for visible publications only."""

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from api.services.references import date_variable, names
from models import Footnote, Publication, PublicationStatus
from tests.content import Content

API = "/api/v1/publications"
PUBLISHED = datetime(2017, 6, 14, 12, 0, tzinfo=UTC)


@pytest.fixture
async def article(content: Content) -> Publication:
    author = await content.author("Juni Kim")
    series = await content.series("The Peninsula")
    return await content.publication(
        "Can Mongolia Help?",
        subtitle="Ulaanbaatar & the Peninsula",
        authors=[author],
        series=series,
        published_at=PUBLISHED,
        body="One.[^1] Two.[^2] Three.[^3]",
        footnotes=[
            "Damba, Ganbat. “Keynote Speech.” Pg. 10. 2015.",
            "See *the* [report](https://example.org/report).",
            "A note.",
        ],
    )


async def cite(session: AsyncSession, article: Publication, number: int, **citation: str) -> None:
    await session.execute(
        update(Footnote)
        .where(Footnote.publication_id == article.id, Footnote.number == number)  # type: ignore[arg-type]
        .values(citation=citation)
    )
    await session.commit()


class TestCitation:
    async def test_csl_json_is_the_default(
        self, client: httpx.AsyncClient, article: Publication
    ) -> None:
        answer = await client.get(f"{API}/can-mongolia-help/citation")
        assert answer.status_code == 200
        assert answer.headers["content-type"] == "application/vnd.citationstyles.csl+json"
        [item] = json.loads(answer.content)
        assert item == {
            "id": str(article.id),
            "type": "article",
            "title": "Can Mongolia Help?: Ulaanbaatar & the Peninsula",
            "author": [{"literal": "Juni Kim"}],
            "issued": {"date-parts": [[2017, 6, 14]]},
            "publisher": "Colophon",
            "URL": "https://example.org/publications/can-mongolia-help",
            "container-title": "The Peninsula",
        }

    async def test_bibtex(self, client: httpx.AsyncClient, article: Publication) -> None:
        answer = await client.get(f"{API}/{article.id}/citation", params={"format": "bibtex"})
        assert answer.status_code == 200
        assert answer.headers["content-type"] == "application/x-bibtex; charset=utf-8"
        assert answer.headers["content-disposition"] == (
            'attachment; filename="can-mongolia-help.bib"'
        )
        assert answer.text.startswith("@misc{can-mongolia-help,\n")
        assert "title = {{Can Mongolia Help?: Ulaanbaatar \\& the Peninsula}}" in answer.text
        assert "author = {{Juni Kim}}" in answer.text

    async def test_ris(self, client: httpx.AsyncClient, article: Publication) -> None:
        answer = await client.get(f"{API}/can-mongolia-help/citation?format=ris")
        assert answer.status_code == 200
        assert (
            answer.headers["content-type"] == "application/x-research-info-systems; charset=utf-8"
        )
        lines = answer.text.split("\r\n")
        assert lines[0] == "TY  - GEN"
        assert "AU  - Juni Kim" in lines
        assert "T2  - The Peninsula" in lines
        assert lines[-2] == "ER  - "

    async def test_cached_with_a_strong_etag(
        self, client: httpx.AsyncClient, article: Publication
    ) -> None:
        first = await client.get(f"{API}/can-mongolia-help/citation?format=ris")
        etag = first.headers["etag"]
        assert etag.startswith('"')  # strong: no W/
        assert "max-age" in first.headers["cache-control"]
        again = await client.get(
            f"{API}/can-mongolia-help/citation?format=ris", headers={"If-None-Match": etag}
        )
        assert again.status_code == 304
        other = await client.get(f"{API}/can-mongolia-help/citation?format=bibtex")
        assert other.headers["etag"] != etag

    async def test_an_old_slug_moves_with_its_query(
        self, client: httpx.AsyncClient, content: Content
    ) -> None:
        await content.publication("Renamed", slug="new-name", previous_slugs=["old-name"])
        for path in ("citation", "references"):
            moved = await client.get(f"{API}/old-name/{path}?format=ris")
            assert moved.status_code == 301
            assert moved.headers["location"] == f"{API}/new-name/{path}?format=ris"

    async def test_an_unknown_format_is_422(
        self, client: httpx.AsyncClient, article: Publication
    ) -> None:
        answer = await client.get(f"{API}/can-mongolia-help/citation?format=endnote")
        assert answer.status_code == 422
        assert answer.json()["errors"][0]["field"] == "format"


@pytest.mark.parametrize("path", ["citation", "references"])
@pytest.mark.parametrize("reference", ["draft", "draft-old", "scheduled", "archived", "missing"])
async def test_only_visible_publications_are_cited(
    client: httpx.AsyncClient,
    content: Content,
    tokens: dict[str, dict[str, str]],
    path: str,
    reference: str,
) -> None:
    await content.publication("Draft", status=PublicationStatus.DRAFT, previous_slugs=["draft-old"])
    await content.publication(
        "Scheduled",
        status=PublicationStatus.SCHEDULED,
        published_at=datetime.now(UTC) + timedelta(days=1),
    )
    await content.publication("Archived", status=PublicationStatus.ARCHIVED)
    for headers in ({}, tokens["editor"]):
        answer = await client.get(f"{API}/{reference}/{path}", headers=headers)
        assert answer.status_code == 404
        assert answer.headers["content-type"] == "application/problem+json"


class TestReferences:
    async def test_structured_citations_and_plain_notes(
        self, client: httpx.AsyncClient, session: AsyncSession, article: Publication
    ) -> None:
        await cite(
            session, article, 1, author="Damba, Ganbat", title="Keynote Speech",
            container_title="Ulaanbaatar Dialogue", page="10", issued="2015",
        )  # fmt: skip
        await session.execute(
            update(Footnote)
            .where(Footnote.publication_id == article.id, Footnote.number == 2)  # type: ignore[arg-type]
            .values(url="https://example.org/report")
        )
        await session.commit()
        answer = await client.get(f"{API}/can-mongolia-help/references")
        assert answer.status_code == 200
        assert answer.headers["content-type"] == "application/vnd.citationstyles.csl+json"
        assert "etag" in answer.headers
        assert json.loads(answer.content) == [
            {
                "id": f"{article.id}-fn-1",
                "type": "document",
                "author": [{"family": "Damba", "given": "Ganbat"}],
                "title": "Keynote Speech",
                "container-title": "Ulaanbaatar Dialogue",
                "page": "10",
                "issued": {"date-parts": [[2015]]},
            },
            {
                "id": f"{article.id}-fn-2",
                "type": "document",
                "note": "See the report.",
                "URL": "https://example.org/report",
            },
            {"id": f"{article.id}-fn-3", "type": "document", "note": "A note."},
        ]

    async def test_no_footnotes_is_an_empty_list(
        self, client: httpx.AsyncClient, content: Content
    ) -> None:
        await content.publication("Plain")
        answer = await client.get(f"{API}/plain/references")
        assert (answer.status_code, answer.json()) == (200, [])


def test_names_as_editors_write_them() -> None:
    assert names("Damba, Ganbat; Mashbat, O.") == [
        {"family": "Damba", "given": "Ganbat"},
        {"family": "Mashbat", "given": "O."},
    ]
    assert names("Juni Kim") == [{"literal": "Juni Kim"}]
    assert names("Food and Agriculture Organization, UN, Rome") == [
        {"literal": "Food and Agriculture Organization, UN, Rome"}
    ]


@pytest.mark.parametrize(
    ("issued", "expected"),
    [("2015", {"date-parts": [[2015]]}), ("2015-06", {"date-parts": [[2015, 6]]}),
     ("2015-06-14", {"date-parts": [[2015, 6, 14]]}), ("2015-13", {"literal": "2015-13"}),
     ("Spring 2015", {"literal": "Spring 2015"})],
)  # fmt: skip
def test_dates_as_editors_write_them(issued: str, expected: dict[str, object]) -> None:
    assert date_variable(issued) == expected


async def test_documented_in_openapi(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/api/v1/openapi.json")).json()["paths"]
    citation = paths["/publications/{id_or_slug}/citation"]["get"]["responses"]
    assert set(citation["200"]["content"]) == {
        "application/vnd.citationstyles.csl+json", "application/x-bibtex",
        "application/x-research-info-systems",
    }  # fmt: skip
    assert {"301", "404", "422"} <= set(citation)
    references = paths["/publications/{id_or_slug}/references"]["get"]["responses"]
    assert set(references["200"]["content"]) == {"application/vnd.citationstyles.csl+json"}
