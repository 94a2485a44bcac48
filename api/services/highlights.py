"""Highlighted passages for a page of search hits: the title and the best body passage with
every match marked, as safe HTML. One statement for the page, computed by the database's
own full-text functions so stemming and phrases mark what they matched."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, bindparam, func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from api.db import dialect_name
from api.services.search import (
    MARK_END,
    MARK_START,
    SearchQuery,
    fts5_expression,
    marked_html,
    postgres_tsquery,
    shaped,
)
from models import Publication

P = Publication.__table__.c  # type: ignore[attr-defined]
PASSAGE_WORDS = 32


@dataclass(frozen=True, slots=True)
class Highlight:
    title: str
    passage: str | None


async def highlight(
    db: AsyncSession | AsyncConnection, query: SearchQuery, ids: Sequence[int]
) -> dict[int, Highlight]:
    if not ids or query.is_empty:
        return {}
    if dialect_name(db) == "sqlite":
        # `+rowid`: FTS5 walks the query's matches once and keeps the page's, instead of
        # seeking each id, which for a prefix merges every matching word's list again.
        rows = await db.execute(
            text(
                "SELECT rowid, highlight(publication_search, 0, :start, :end), "
                "snippet(publication_search, 3, :start, :end, '…', :words) "
                "FROM publication_search WHERE publication_search MATCH :match "
                "AND +rowid IN (SELECT value FROM json_each(:ids))"
            ),
            {"start": MARK_START, "end": MARK_END, "words": PASSAGE_WORDS,
             "match": fts5_expression(query), "ids": "[" + ",".join(map(str, ids)) + "]"},
        )  # fmt: skip
    else:
        rows = await db.execute(shaped(_postgres, query, None, ids=list(ids)))
    result = {}
    for publication_id, title, passage in rows:
        marked = marked_html(passage)
        result[publication_id] = Highlight(
            title=marked_html(title) or "",
            passage=marked if marked and "<mark>" in marked else None,
        )
    return result


def _postgres(shape: SearchQuery, _among: None) -> Select[Any]:
    """The title marked whole, and the best passage of the body (the ids: `ids`)."""
    tsquery = postgres_tsquery(shape)
    options = (
        f"StartSel={MARK_START}, StopSel={MARK_END}, MaxWords={PASSAGE_WORDS}, "
        "MinWords=12, MaxFragments=1, FragmentDelimiter=…, HighlightAll=false"
    )
    return select(
        P.id,
        func.ts_headline(
            "english",
            P.title,
            tsquery,
            f"StartSel={MARK_START}, StopSel={MARK_END}, HighlightAll=true",
        ),
        func.ts_headline("english", P.body_text, tsquery, options),
    ).where(P.id.in_(bindparam("ids", expanding=True)))
