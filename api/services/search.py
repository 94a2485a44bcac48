"""Full-text search: what a reader types, matched on the index kept by `search_index`, the
same on both databases.

The syntax is a search box's: words (all must match), `"quoted phrases"`, `OR` between two
terms, `-word` or `-"phrase"` to exclude, and the last word matched as a prefix while it is
being typed (`mongol` finds Mongolia). Only words (`\\w+`) ever reach the database, each as a
bound value or a quoted FTS5 string, so quotes, operators, punctuation and SQL in the input
are never syntax: at worst a query finds nothing.
"""

import re
from dataclasses import dataclass, field
from html import escape

from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    column,
    func,
    literal,
    literal_column,
    select,
    table,
)
from sqlalchemy.sql import Subquery

_WORD = re.compile(r"\w+", re.UNICODE)
# A quoted phrase (the closing quote may be missing while typing), or a bare token.
_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')
# A search box query never needs more; longer input is cut, not refused.
MAX_TERMS = 32
MAX_WORD_LENGTH = 100

_SQLITE_INDEX = table("publication_search", column("rowid", Integer))
_POSTGRES_INDEX = table("publication_search", column("publication_id", Integer))
# Highlight boundaries that cannot occur in text: the passage is HTML-escaped first, then
# these become <mark> and </mark>, so a body's own markup can never reach the page.
MARK_START, MARK_END = "\x02", "\x03"


@dataclass(frozen=True, slots=True)
class Term:
    """One word or a phrase of several; a prefix term matches words that start with it."""

    words: tuple[str, ...]
    prefix: bool = False


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """Every group must match (AND); a group matches when any of its terms does (OR);
    no excluded term may match."""

    groups: tuple[tuple[Term, ...], ...] = ()
    excluded: tuple[Term, ...] = field(default=())

    @classmethod
    def parse(cls, text: str) -> "SearchQuery":
        return _parse(text)

    @property
    def is_empty(self) -> bool:
        """Nothing to look for (exclusions alone find nothing)."""
        return not self.groups


def _parse(text: str) -> SearchQuery:
    groups: list[list[Term]] = []
    excluded: list[Term] = []
    join_next = False
    last_bare: tuple[int, Term] | None = None
    for match in _TOKEN.finditer(text[:10_000]):
        negated, quoted, bare = match.group(1) == "-", match.group(2), match.group(3)
        if bare == "OR" and groups:
            join_next = True
            continue
        if bare is not None and bare.startswith("-") and len(bare) > 1:
            negated, bare = True, bare[1:]
        words = tuple(w[:MAX_WORD_LENGTH] for w in _WORD.findall((quoted or bare or "").lower()))
        if not words:
            continue
        term = Term(words)
        if negated:
            excluded.append(term)
        elif join_next:
            groups[-1].append(term)
        else:
            groups.append([term])
        join_next = False
        last_bare = (len(groups) - 1, term) if (bare and not negated and len(words) == 1) else None
        if len(groups) + len(excluded) >= MAX_TERMS:
            break
    # While typing, the last word is unfinished: match it as a prefix.
    if last_bare is not None and text and not text[-1].isspace() and groups:
        index, term = last_bare
        groups[index] = [Term(t.words, prefix=True) if t is term else t for t in groups[index]]
    return SearchQuery(tuple(tuple(g) for g in groups), tuple(excluded))


def fts5_expression(query: SearchQuery) -> str:
    """The query in FTS5 syntax; every word is a quoted string, so nothing is an operator."""

    def term(t: Term) -> str:
        return '"' + " ".join(t.words) + '"' + ("*" if t.prefix else "")

    def group(g: tuple[Term, ...]) -> str:
        return term(g[0]) if len(g) == 1 else "(" + " OR ".join(term(t) for t in g) + ")"

    expression = " AND ".join(group(g) for g in query.groups)
    for t in query.excluded:
        expression += f" NOT {term(t)}"
    return expression


def postgres_tsquery(query: SearchQuery) -> ColumnElement[str]:
    """The query as a `tsquery` built by SQL functions from bound words (english stemming);
    `tsquery_and`, `tsquery_or` and `tsquery_not` are the functions behind `&&`, `||`, `!!`."""

    def term(t: Term) -> ColumnElement[str]:
        if t.prefix:  # a word of letters and digits only, so the quoting below is sound
            return func.to_tsquery("english", literal(f"'{t.words[0]}':*"))
        if len(t.words) > 1:
            return func.phraseto_tsquery("english", literal(" ".join(t.words)))
        return func.plainto_tsquery("english", literal(t.words[0]))

    def group(g: tuple[Term, ...]) -> ColumnElement[str]:
        combined = term(g[0])
        for t in g[1:]:
            combined = func.tsquery_or(combined, term(t))
        return combined

    tsquery = group(query.groups[0])
    for g in query.groups[1:]:
        tsquery = func.tsquery_and(tsquery, group(g))
    for t in query.excluded:
        tsquery = func.tsquery_and(tsquery, func.tsquery_not(term(t)))
    return tsquery


def matches(query: SearchQuery, dialect: str) -> Subquery:
    """A subquery of (publication_id, rank) for the publications the query finds; a higher
    rank is a better match. Weights: title, then subtitle and excerpt, then names, then body."""
    if dialect == "sqlite":
        bm25 = literal_column("bm25(publication_search, 10.0, 4.0, 2.0, 1.0)", Float)
        return (
            select(_SQLITE_INDEX.c.rowid.label("publication_id"), (-bm25).label("rank"))
            .where(literal_column("publication_search").op("MATCH")(fts5_expression(query)))
            .subquery("hits")
        )
    tsquery = postgres_tsquery(query)
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


def marked_html(passage: str | None) -> str | None:
    """A passage with highlight boundaries, as safe HTML with <mark> around matches."""
    if passage is None:
        return None
    return escape(passage).replace(MARK_START, "<mark>").replace(MARK_END, "</mark>")
