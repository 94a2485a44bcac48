"""Full-text matching over the index kept by `search_index`, the same on both databases.

A query is reduced to its words: every word must match, in any field. Punctuation, quotes,
operators and SQL never reach the database as syntax, so any input is safe and at worst
finds nothing.
"""

import re
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Float, Integer, column, func, literal_column, select, table
from sqlalchemy.sql import Subquery

# Words as a reader types them; stemming happens in the database (Porter / english).
_WORD = re.compile(r"\w+", re.UNICODE)
# A search box query never needs more; longer input is cut, not refused.
MAX_WORDS = 32

_SQLITE_INDEX = table("publication_search", column("rowid", Integer))
_POSTGRES_INDEX = table("publication_search", column("publication_id", Integer))


@dataclass(frozen=True, slots=True)
class SearchQuery:
    words: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> "SearchQuery":
        return cls(tuple(_WORD.findall(text.lower())[:MAX_WORDS]))

    @property
    def is_empty(self) -> bool:
        return not self.words


def matches(query: SearchQuery, dialect: str) -> Subquery:
    """A subquery of (publication_id, rank) for the publications the query finds; a higher
    rank is a better match. Weights: title, then subtitle and excerpt, then names, then body."""
    if dialect == "sqlite":
        fts = " ".join(f'"{word}"' for word in query.words)
        bm25 = literal_column("bm25(publication_search, 10.0, 4.0, 2.0, 1.0)", Float)
        return (
            select(
                _SQLITE_INDEX.c.rowid.label("publication_id"),
                (-bm25).label("rank"),
            )
            .where(literal_column("publication_search").op("MATCH")(fts))
            .subquery("hits")
        )
    tsquery = func.websearch_to_tsquery("english", " ".join(query.words))
    document: ColumnElement[str] = literal_column("publication_search.document")
    return (
        select(
            _POSTGRES_INDEX.c.publication_id.label("publication_id"),
            func.ts_rank_cd(document, tsquery).label("rank"),
        )
        .select_from(_POSTGRES_INDEX)
        .where(document.op("@@")(tsquery))
        .subquery("hits")
    )
