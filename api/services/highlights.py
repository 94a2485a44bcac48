"""Highlighted passages for a page of search hits: the title and the best body passage with
every match marked, as safe HTML. One statement for the page, computed by the database's
own full-text functions so stemming and phrases mark what they matched. On PostgreSQL the
page's rows bring their bodies (`HIGHLIGHT_SOURCE`), and each hit's best paragraph is
chosen before the database marks it (see `passages`)."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ARRAY, BigInteger, Select, Text, bindparam, column, func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from api.db import AnyRow, dialect_name
from api.services.passages import best_paragraph
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
# The column a search page's rows carry on PostgreSQL for `highlight`.
HIGHLIGHT_SOURCE = P.body_text.label("highlight_source")


@dataclass(frozen=True, slots=True)
class Highlight:
    title: str
    passage: str | None


async def highlight(
    db: AsyncSession | AsyncConnection, query: SearchQuery, rows: Sequence[AnyRow]
) -> dict[int, Highlight]:
    """Highlights of a page's rows; on PostgreSQL they carry `HIGHLIGHT_SOURCE`."""
    if not rows or query.is_empty:
        return {}
    ids = [row.id for row in rows]
    if dialect_name(db) == "sqlite":
        # `+rowid`: FTS5 walks the query's matches once and keeps the page's, instead of
        # seeking each id, which for a prefix merges every matching word's list again.
        found = await db.execute(
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
        paragraphs = [best_paragraph(row.highlight_source or "", query) for row in rows]
        found = await db.execute(shaped(_postgres, query, None, ids=ids, paragraphs=paragraphs))
    result = {}
    for publication_id, title, passage in found:
        marked = marked_html(passage)
        result[publication_id] = Highlight(
            title=marked_html(title) or "",
            passage=marked if marked and "<mark>" in marked else None,
        )
    return result


def _postgres(shape: SearchQuery, _among: None) -> Select[Any]:
    """The title marked whole, and the best passage of the body's given paragraph (the ids:
    `ids`, their paragraphs or NULL: `paragraphs`)."""
    tsquery = postgres_tsquery(shape)
    options = (
        f"StartSel={MARK_START}, StopSel={MARK_END}, MaxWords={PASSAGE_WORDS}, "
        "MinWords=12, MaxFragments=1, FragmentDelimiter=…, HighlightAll=false"
    )
    given = (
        func.unnest(
            bindparam("ids", type_=ARRAY(BigInteger)), bindparam("paragraphs", type_=ARRAY(Text))
        )
        .table_valued(column("id", BigInteger), column("paragraph", Text))
        .render_derived(name="given", with_types=False)
    )
    return select(
        P.id,
        func.ts_headline(
            "english",
            P.title,
            tsquery,
            f"StartSel={MARK_START}, StopSel={MARK_END}, HighlightAll=true",
        ),
        func.ts_headline("english", given.c.paragraph, tsquery, options),
    ).join_from(given, Publication.__table__, given.c.id == P.id)  # type: ignore[attr-defined]
