"""Full-text search: what a reader types, matched on the index kept by `search_index`, the
same on both databases.

The syntax is a search box's: words (all must match), `"quoted phrases"`, `OR` between two
terms, `-word` or `-"phrase"` to exclude, and the last word matched as a prefix while it is
being typed (`mongol` finds Mongolia). Only words (`\\w+`) ever reach the database, each as a
bound value or a quoted FTS5 string, so quotes, operators, punctuation and SQL in the input
are never syntax: at worst a query finds nothing.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from html import escape
from typing import Any, TypeVar

from sqlalchemy import (
    BindParameter,
    ClauseElement,
    ColumnElement,
    Float,
    Integer,
    LargeBinary,
    Select,
    String,
    bindparam,
    case,
    column,
    func,
    literal,
    literal_column,
    select,
    table,
    text,
    union_all,
)
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.sql import Subquery

from api.services.visibility import visible_by
from models.base import UTCDateTime

_WORD = re.compile(r"\w+", re.UNICODE)
# A quoted phrase (the closing quote may be missing while typing), or a bare token.
_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')
# A search box query never needs more; longer input is cut, not refused.
MAX_TERMS = 32
MAX_WORD_LENGTH = 100

# The index tables and, on SQLite, the narrow index on publications (see search_index).
SQLITE_INDEX = table("publication_search", column("rowid", Integer))
# SQLite keeps bodies inside the rows, before the date and series: reading those for each
# match would walk every body's overflow pages. The narrow index holds them; it is named,
# because SQLite's planner would otherwise read the rows by rowid.
SQLITE_FACETS = text(
    "SELECT id, published_at, series_id FROM publications INDEXED BY ix_publication_search_facets"
).columns(
    column("id", Integer), column("published_at", UTCDateTime()), column("series_id", Integer)
)
POSTGRES_INDEX = table(
    "publication_search",
    column("publication_id", Integer),
    column("document", TSVECTOR()),
    column("published_at", UTCDateTime()),
    column("facet_keys", LargeBinary()),
    column("visible_from", UTCDateTime()),
)
POSTGRES_HEADS = table(
    "publication_search_heads",
    column("publication_id", Integer),
    column("head", TSVECTOR()),
    column("published_at", UTCDateTime()),
    column("visible_from", UTCDateTime()),
)
# How many of the best candidates are ordered by their whole document's rank (PostgreSQL).
RANKED_WINDOW = 200
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
    `tsquery_and`, `tsquery_or` and `tsquery_not` are the functions behind `&&`, `||`, `!!`.
    Each term is one parameter, named by its place (`postgres_values`), so a statement
    built for a query's shape serves every query of that shape."""
    return _tsquery(query, in_order=True)


def postgres_words_tsquery(query: SearchQuery) -> ColumnElement[str]:
    """What `postgres_tsquery` finds and more, answered by the GIN index alone: each phrase
    as its words in any order, and phrases left out of the exclusions. Word positions are
    not in the index, so checking a phrase reads the document (see `_newest_matches`)."""
    return _tsquery(query, in_order=False)


def _tsquery(query: SearchQuery, *, in_order: bool) -> ColumnElement[str]:
    values = iter(postgres_values(query).items())

    def term(t: Term) -> ColumnElement[str]:
        name, value = next(values)
        words = bindparam(name, value, type_=String())
        if t.prefix:  # a word of letters and digits only, so the quoting is sound
            return func.to_tsquery("english", words)
        if len(t.words) > 1 and in_order:
            return func.phraseto_tsquery("english", words)
        return func.plainto_tsquery("english", words)

    def group(g: tuple[Term, ...]) -> ColumnElement[str]:
        combined = term(g[0])
        for t in g[1:]:
            combined = func.tsquery_or(combined, term(t))
        return combined

    tsquery = group(query.groups[0])
    for g in query.groups[1:]:
        tsquery = func.tsquery_and(tsquery, group(g))
    for t in query.excluded:
        excluded = term(t)  # built either way: each term takes the next parameter's name
        if in_order or len(t.words) == 1:
            tsquery = func.tsquery_and(tsquery, func.tsquery_not(excluded))
    return tsquery


def has_phrase(query: SearchQuery) -> bool:
    """A term of several words, whose order only the documents can tell (PostgreSQL)."""
    return any(len(t.words) > 1 for g in query.groups for t in g) or any(
        len(t.words) > 1 for t in query.excluded
    )


def postgres_values(query: SearchQuery) -> dict[str, str]:
    """The parameters of `postgres_tsquery`: each term's text, in the query's order."""
    terms = [*(t for g in query.groups for t in g), *query.excluded]
    return {
        f"term_{n}": f"'{t.words[0]}':*" if t.prefix else " ".join(t.words)
        for n, t in enumerate(terms)
    }


def postgres_shape(query: SearchQuery) -> SearchQuery:
    """The query without its words: what a PostgreSQL statement's form depends on. Statements
    are built once per shape and given `postgres_values` (building one costs more than
    running a selective search)."""

    def blank(t: Term) -> Term:
        return Term(("",) * min(len(t.words), 2), t.prefix)

    return SearchQuery(
        tuple(tuple(blank(t) for t in g) for g in query.groups),
        tuple(blank(t) for t in query.excluded),
    )


# How many statements built for a shape are kept (PostgreSQL).
SHAPES_KEPT = 256


@dataclass(frozen=True, slots=True)
class Among:
    """The publications a search may find, as selects of publication ids: all but
    `excluded` (the few the public may not see), and only `included` when given (what
    filters or an editor's scope let through).

    For the public, `public_at` is the moment asked: PostgreSQL's index rows keep a copy
    of when each publication becomes visible (`visibility.visible_from`), compared with it
    instead of excluding the hidden ones by id, which cost ~0.1 µs a match and the list of
    every draft built for each statement (~80 ms of a broad word's count at 1,000,000)."""

    excluded: Select[int] | None = None
    included: Select[int] | None = None
    # Built once and reused (its values are parameters): statements over it can be too.
    fixed: bool = False
    public_at: BindParameter[datetime] | None = None

    def conditions(
        self,
        publication_id: ColumnElement[int],
        visible_from: ColumnElement[datetime] | None = None,
    ) -> list[ColumnElement[bool]]:
        """On `visible_from` (an index row's copy) when given and public, else by id."""
        conditions: list[ColumnElement[bool]] = []
        if self.public_at is not None and visible_from is not None:
            conditions.append(visible_by(visible_from, self.public_at))
        elif self.excluded is not None:
            conditions.append(publication_id.not_in(self.excluded))
        if self.included is not None:
            conditions.append(publication_id.in_(self.included))
        return conditions


def matching_ids(query: SearchQuery, dialect: str, among: Among) -> Select[int]:
    """The ids of the publications the query finds."""
    if dialect == "sqlite":
        rowid = SQLITE_INDEX.c.rowid
        return select(rowid).where(_fts5_match(query), *among.conditions(rowid))
    index = POSTGRES_INDEX.c
    return select(index.publication_id).where(
        found_in(index.document, postgres_tsquery(query)),
        *among.conditions(index.publication_id, index.visible_from),
    )


def found_in(vector: ColumnElement[str], tsquery: ColumnElement[str]) -> ColumnElement[bool]:
    """SQL (PostgreSQL): the tsquery matches the tsvector."""
    return vector.op("@@", is_comparison=True)(tsquery)


def count_matches(query: SearchQuery, dialect: str, among: Among) -> Select[int]:
    """How many publications the query finds: read from the index alone."""
    if dialect == "postgresql":
        return shaped(_count_postgres, query, among)
    return select(func.count()).select_from(matching_ids(query, dialect, among).subquery())


def _count_postgres(shape: SearchQuery, among: Among | None) -> Select[int]:
    ids = matching_ids(shape, "postgresql", among or Among())
    return select(func.count()).select_from(ids.subquery())


Built = TypeVar("Built", bound=ClauseElement)


def shaped(
    build: Callable[..., Built],
    query: SearchQuery,
    among: Among | None,
    *args: Any,
    **values: Any,
) -> Built:
    """PostgreSQL: `build(shape, among, *args)` for the query's shape, with the query's
    words (and `values`) as its parameters. Built once per shape and kept, unless `among`
    is one built for this request (filters, an editor's scope): those are built each time."""
    shape = postgres_shape(query)
    if among is None or among.fixed:
        built = _kept(build, shape, among, *args)
    else:
        built = build(shape, among, *args)
    given: Built = built.params({**postgres_values(query), **values})  # a copy
    return given


@lru_cache(maxsize=SHAPES_KEPT)
def _kept(
    build: Callable[..., Built], shape: SearchQuery, among: Among | None, *args: Any
) -> Built:
    return build(shape, among, *args)


def best_matches(
    query: SearchQuery, dialect: str, among: Among, *, offset: int, limit: int
) -> Subquery:
    """One page of matches by relevance, as (publication_id, position): order by position.
    Ties go to the newest publication, then the highest id, so pages never overlap."""
    if dialect == "sqlite":
        return _best_sqlite(query, among, offset, limit)
    return _best_postgres(query, among, offset, limit)


def _fts5_match(query: SearchQuery) -> ColumnElement[bool]:
    return literal_column("publication_search").op("MATCH")(fts5_expression(query))


def _best_sqlite(query: SearchQuery, among: Among, offset: int, limit: int) -> Subquery:
    """bm25 ranks every match: FTS5 computes it from its own index, cheaply, and the date
    for ties comes from the narrow index on publications, never from the wide rows."""
    rowid = SQLITE_INDEX.c.rowid
    facets = SQLITE_FACETS.subquery("facets")
    rank = (-literal_column("bm25(publication_search, 10.0, 4.0, 2.0, 1.0)", Float)).label("rank")
    page = (
        select(rowid.label("publication_id"), rank, facets.c.published_at)
        .join(facets, facets.c.id == rowid)
        .where(_fts5_match(query), *among.conditions(rowid))
        .order_by(rank.desc(), facets.c.published_at.desc(), rowid.desc())
        .offset(offset)
        .limit(limit)
        .subquery("page")
    )
    position = func.row_number().over(
        order_by=(page.c.rank.desc(), page.c.published_at.desc(), page.c.publication_id.desc())
    )
    return select(page.c.publication_id, position.label("position")).subquery("best")


def _best_postgres(query: SearchQuery, among: Among, offset: int, limit: int) -> Subquery:
    """Ranking every match with ts_rank_cd reads every matching document: far too slow for
    a common word. So candidates come in a cheap order first: those whose title, subtitle,
    excerpt or names hold the query (ranked on that small head, kept in a table of its
    own), then the others, newest first. The first RANKED_WINDOW of them are then ordered
    by their whole document's rank; the rest keep the cheap order. The order never depends
    on the page."""
    wanted = max(RANKED_WINDOW, offset + limit)
    page = shaped(_best_postgres_shape, query, among, RANKED_WINDOW,
                  best_offset=offset, best_limit=limit, best_wanted=wanted)  # fmt: skip
    return page.subquery("best")


def _best_postgres_shape(shape: SearchQuery, among: Among, window: int) -> Select[Any]:
    tsquery = postgres_tsquery(shape)
    wanted = bindparam("best_wanted", type_=Integer)
    candidates = _candidates(shape, tsquery, among, wanted)
    c = candidates.c
    # A lookup per candidate in the window, not a join: the planner cannot know how few
    # candidates there are.
    index = POSTGRES_INDEX.c
    document_rank = (
        select(func.ts_rank_cd(index.document, tsquery))
        .where(index.publication_id == c.publication_id)
        .scalar_subquery()
    )
    ranked = case((c.n <= window, document_rank))
    order = (c.tier.desc(), ranked.desc().nulls_last(), c.n)
    return (
        select(c.publication_id, func.row_number().over(order_by=order).label("position"))
        .order_by(*order)
        .offset(bindparam("best_offset", type_=Integer))
        .limit(bindparam("best_limit", type_=Integer))
    )


def _candidates(
    query: SearchQuery, tsquery: ColumnElement[str], among: Among, wanted: ColumnElement[int]
) -> Subquery:
    """The first `wanted` matches in the cheap order, numbered (n) in that order: tier 1
    (the head holds the query) by the head's rank, then tier 0, newest first."""
    index, heads = POSTGRES_INDEX.c, POSTGRES_HEADS.c
    in_head = found_in(heads.head, tsquery)
    cheap = func.ts_rank(heads.head, tsquery)  # cheaper than ts_rank_cd: no covers
    head_first = (
        select(heads.publication_id, literal(1).label("tier"), cheap.label("cheap"),
               heads.published_at)
        .where(in_head, *among.conditions(heads.publication_id, heads.visible_from))
        .order_by(cheap.desc(), heads.published_at.desc().nulls_last(),
                  heads.publication_id.desc())
        .limit(wanted)
    )  # fmt: skip
    # The head begins the document, so a query without exclusions that matches the head
    # matches the document: only the small heads are read, through their own GIN index.
    if query.excluded:
        head_first = head_first.where(
            select(index.publication_id)
            .where(index.publication_id == heads.publication_id,
                   found_in(index.document, tsquery))
            .exists()
        )  # fmt: skip
    # One pass over the heads' GIN index, hashed, rather than a head read per match.
    in_a_head = select(heads.publication_id).where(in_head)
    the_rest = _newest_matches(query, tsquery, among, in_a_head, wanted)
    # The second branch runs only when the first yields fewer than `wanted` rows.
    both = union_all(head_first, the_rest).limit(wanted).subquery("tiers").c
    cheap_order = (both.tier.desc(), both.cheap.desc(), both.published_at.desc().nulls_last(),
                   both.publication_id.desc())  # fmt: skip
    n = func.row_number().over(order_by=cheap_order).label("n")
    return select(both.publication_id, both.tier, n).subquery("candidates")


def _newest_matches(
    query: SearchQuery,
    tsquery: ColumnElement[str],
    among: Among,
    in_a_head: Select[int],
    wanted: ColumnElement[int],
) -> Select[Any]:
    """Tier 0: the newest `wanted` matches whose head does not hold the query. A word is
    matched by the GIN index alone, so every match is sorted by date and the first taken.
    A phrase must be checked in each document, which is read from its TOAST table (~6 µs
    a document): the documents holding its words are sorted by date first, each carrying
    only a pointer to its document, and checked newest first until `wanted` match, so a
    rare phrase among common words reads a few hundred documents, not every one (the
    OFFSET 0 keeps PostgreSQL from merging the check into the scan)."""
    index = POSTGRES_INDEX.c
    newest_first = (index.published_at.desc().nulls_last(), index.publication_id.desc())
    if not has_phrase(query):
        return (
            select(index.publication_id, literal(0), literal(0.0, Float), index.published_at)
            .where(found_in(index.document, tsquery), index.publication_id.not_in(in_a_head),
                   *among.conditions(index.publication_id, index.visible_from))
            .order_by(*newest_first)
            .limit(wanted)
        )  # fmt: skip
    holding_the_words = (
        select(index.publication_id, index.published_at, index.document)
        .where(found_in(index.document, postgres_words_tsquery(query)),
               index.publication_id.not_in(in_a_head),
               *among.conditions(index.publication_id, index.visible_from))
        .order_by(*newest_first)
        .offset(0)
        .subquery("holding_the_words")
    )  # fmt: skip
    c = holding_the_words.c
    return (
        select(c.publication_id, literal(0), literal(0.0, Float), c.published_at)
        .where(found_in(c.document, tsquery))
        .order_by(c.published_at.desc().nulls_last(), c.publication_id.desc())
        .limit(wanted)
    )


def marked_html(passage: str | None) -> str | None:
    """A passage with highlight boundaries, as safe HTML with <mark> around matches."""
    if passage is None:
        return None
    return escape(passage).replace(MARK_START, "<mark>").replace(MARK_END, "</mark>")
