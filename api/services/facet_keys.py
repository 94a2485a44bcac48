"""The facet keys a PostgreSQL index row keeps, and counting them in bulk.

Each row of `publication_search` holds what facets count for its publication as one short
binary string (`facet_keys`): a 4-byte big-endian key per facet value, `value * 4 + kind`,
sorted. Kinds: 0 the year of the UTC date, 1 the series, 2 a category, 3 an author. A
search then has PostgreSQL concatenate the keys of every match (`string_agg`, a copy per
row, no grouping) and counts them here with numpy: counting row by row in SQL (an `unnest`
and a hash aggregate per kind) cost ~0.7 µs a value, three times the scan that found the
matches.

Ids are whatever an import gave (up to 2^63 - 1), and the key of one from 2^29 up does not
fit in 4 bytes: such a row keeps NULL, and the statement sends its facets beside the keys,
as JSON (`Wide`), which are counted with the rest.
"""

import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

KINDS = ("years", "series", "categories", "authors")
# Values from this up do not fit in a key: 4 bytes with the kind in the 2 low bits.
VALUE_LIMIT = 1 << 29
# The keys arrive in pieces of this many bytes (a multiple of 4): a piece is counted while
# the next are in their rows, and a broad query's few megabytes are never one allocation
# held twice (the driver's message and the value made of it).
CHUNK_BYTES = 1 << 20
# Keys are counted by position (bincount, an array of this many counts at most), larger
# ones by sorting.
_DENSE_KEYS = 1 << 20


def _key(value: str, kind: int) -> str:
    """SQL: a value's key, or -1 where it does not fit (the row then keeps NULL)."""
    return f"CASE WHEN {value} < {VALUE_LIMIT} THEN {value} * 4 + {kind} ELSE -1 END"


# The same keys from a publication `p` and its links (search_index), NULL if one value
# does not fit; the importer builds them with `encode` (tests hold the two equal).
SQL = f"""
    (SELECT CASE WHEN coalesce(bool_and(k BETWEEN 0 AND 2147483647), true)
                 THEN coalesce(string_agg(int4send(k::int4), ''::bytea ORDER BY k), ''::bytea)
            END
     FROM (SELECT extract(year FROM p.published_at AT TIME ZONE 'UTC')::bigint * 4 AS k
           WHERE p.published_at IS NOT NULL
           UNION ALL SELECT {_key("p.series_id", 1)} WHERE p.series_id IS NOT NULL
           UNION ALL SELECT {_key("pc.category_id", 2)}
           FROM publication_categories pc WHERE pc.publication_id = p.id
           UNION ALL SELECT {_key("pa.author_id", 3)}
           FROM publication_authors pa WHERE pa.publication_id = p.id) AS keys)
"""  # noqa: S608 -- fixed SQL fragments, no user input


def encode(
    published_at: datetime | None,
    series_id: int | None,
    category_ids: Iterable[int],
    author_ids: Iterable[int],
) -> bytes | None:
    """One publication's keys as `SQL` writes them; None if a value does not fit."""
    values: list[tuple[int, int]] = []
    if published_at is not None:
        moment = published_at.astimezone(UTC) if published_at.tzinfo else published_at
        values.append((moment.year, 0))
    if series_id is not None:
        values.append((series_id, 1))
    values += [(i, 2) for i in category_ids]
    values += [(i, 3) for i in author_ids]
    if any(not 0 <= value < VALUE_LIMIT for value, _ in values):
        return None
    keys = sorted(value * 4 + kind for value, kind in values)
    return struct.pack(f"!{len(keys)}I", *keys)


@dataclass(frozen=True, slots=True)
class Wide:
    """The facets of a match whose keys did not fit, as the statement sends them."""

    year: int | None
    series_id: int | None
    category_ids: Sequence[int] | None  # None: no link (array_agg of nothing)
    author_ids: Sequence[int] | None


def count(pieces: Iterable[bytes | None], wide: Iterable[Wide] = ()) -> dict[str, dict[int, int]]:
    """Matches per value of each kind, from the matches' keys end to end (in pieces) and
    the facets of those whose keys did not fit."""
    # Imported here: 14 MB and 0.1 s that SQLite, the CLI and the importer never need.
    import numpy as np

    dense = np.zeros(0, dtype=np.int64)
    sparse: dict[int, int] = {}
    for piece in pieces:
        if not piece:
            continue
        keys = np.frombuffer(piece, dtype=">u4").astype(np.intp)
        if int(keys.max()) < _DENSE_KEYS:
            counts = np.bincount(keys)
            if counts.size > dense.size:
                dense = np.concatenate([dense, np.zeros(counts.size - dense.size, np.int64)])
            dense[: counts.size] += counts
        else:
            distinct, counts = np.unique(keys, return_counts=True)
            for key, found in zip(distinct.tolist(), counts.tolist(), strict=True):
                sparse[key] = sparse.get(key, 0) + found
    present = np.flatnonzero(dense)
    counted: dict[str, dict[int, int]] = {kind: {} for kind in KINDS}
    for key, found in zip(present.tolist(), dense[present].tolist(), strict=True):
        counted[KINDS[key & 3]][key >> 2] = found
    for key, found in sparse.items():
        tally = counted[KINDS[key & 3]]
        tally[key >> 2] = tally.get(key >> 2, 0) + found
    for row in wide:
        for kind, values in zip(KINDS, _values(row), strict=True):
            tally = counted[kind]
            for value in values:
                tally[value] = tally.get(value, 0) + 1
    return counted


def _values(row: Wide) -> tuple[Iterable[int], ...]:
    return (
        () if row.year is None else (row.year,),
        () if row.series_id is None else (row.series_id,),
        row.category_ids or (),
        row.author_ids or (),
    )
