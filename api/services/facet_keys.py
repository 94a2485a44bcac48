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

import numpy as np

KINDS = ("years", "series", "categories", "authors")
# Values from this up do not fit in a key: 4 bytes with the kind in the 2 low bits.
VALUE_LIMIT = 1 << 29
# Counts are taken by position (bincount) below this value, by sorting (unique) above.
_DENSE_LIMIT = 1 << 20

# The same keys from a publication `p` and its links (search_index), NULL if one value
# does not fit; the importer builds them with `encode` (tests hold the two equal).
SQL = """
    (SELECT CASE WHEN coalesce(bool_and(k BETWEEN 0 AND 2147483647), true)
                 THEN coalesce(string_agg(int4send(k::int4), ''::bytea ORDER BY k), ''::bytea)
            END
     FROM (SELECT extract(year FROM p.published_at AT TIME ZONE 'UTC')::bigint * 4 AS k
           WHERE p.published_at IS NOT NULL
           UNION ALL
           SELECT CASE WHEN p.series_id < 536870912 THEN p.series_id * 4 + 1 ELSE -1 END
           WHERE p.series_id IS NOT NULL
           UNION ALL
           SELECT CASE WHEN pc.category_id < 536870912 THEN pc.category_id * 4 + 2 ELSE -1 END
           FROM publication_categories pc WHERE pc.publication_id = p.id
           UNION ALL
           SELECT CASE WHEN pa.author_id < 536870912 THEN pa.author_id * 4 + 3 ELSE -1 END
           FROM publication_authors pa WHERE pa.publication_id = p.id) AS keys)
"""


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


def count(keys: bytes | None, wide: Iterable[Wide] = ()) -> dict[str, dict[int, int]]:
    """Matches per value of each kind, from the matches' keys end to end and the facets of
    those whose keys did not fit."""
    counted: dict[str, dict[int, int]] = {kind: {} for kind in KINDS}
    if keys:
        packed = np.frombuffer(keys, dtype=">u4")
        kinds = (packed & 3).astype(np.uint8)
        values = packed >> 2
        for code, kind in enumerate(KINDS):
            counted[kind] = _tally(values[kinds == code])
    for row in wide:
        for kind, found in zip(
            KINDS,
            (
                () if row.year is None else (row.year,),
                () if row.series_id is None else (row.series_id,),
                row.category_ids or (),
                row.author_ids or (),
            ),
            strict=True,
        ):
            tally = counted[kind]
            for value in found:
                tally[value] = tally.get(value, 0) + 1
    return counted


def _tally(values: np.ndarray) -> dict[int, int]:
    if not values.size:
        return {}
    if int(values.max()) < _DENSE_LIMIT:
        counts = np.bincount(values)
        present = np.flatnonzero(counts)
        return dict(zip(present.tolist(), counts[present].tolist(), strict=True))
    present, counts = np.unique(values, return_counts=True)
    return dict(zip(present.tolist(), counts.tolist(), strict=True))
