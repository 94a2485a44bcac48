"""Footnotes and the structured references some of them carry."""

from typing import Any, Self

import orjson
import strawberry

from api.db import AnyRow


@strawberry.type(description="A structured reference, with the CSL-JSON keys it has.")
class Citation:
    author: str | None
    title: str | None
    container_title: str | None
    publisher: str | None
    page: str | None
    issued: str | None
    url: str | None

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> Self:
        def text(key: str) -> str | None:
            found = value.get(key)
            return None if found is None else str(found)

        return cls(
            author=text("author"),
            title=text("title"),
            container_title=text("container_title"),
            publisher=text("publisher"),
            page=text("page"),
            issued=text("issued"),
            url=text("url"),
        )


@strawberry.type(description="A numbered note; `[^n]` in the body links to it and back.")
class Footnote:
    number: int
    text: str = strawberry.field(description="Markdown.")
    url: str | None
    citation: Citation | None

    @classmethod
    def from_json(cls, item: dict[str, Any]) -> Self:
        """From the footnotes a publication's own statement brings as JSON."""
        citation = item.get("citation")
        if isinstance(citation, str):  # SQLite's JSON inside JSON may arrive as text
            citation = orjson.loads(citation)
        return cls(
            number=item["number"],
            text=item["text"],
            url=item["url"],
            citation=Citation.from_json(citation) if citation else None,
        )

    @classmethod
    def from_row(cls, row: AnyRow) -> Self:
        return cls(
            number=row.number,
            text=row.text,
            url=row.url,
            citation=Citation.from_json(row.citation) if row.citation else None,
        )
