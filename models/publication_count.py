"""How many published publications the site and each category, author, tag and series has,
kept by the database's own triggers (migration b41d7e2c9f15) in the transaction of every
write, whatever its path: the editor API, an import, a status change by the worker.

A public total is this count plus the scheduled publications whose moment has come
(`api/services/counts.py`): counting a category's links at every request took ~12 ms at
100,000 publications and ~120 ms at 1,000,000; reading a row and the few due takes well
under one. Only `published` is counted because it is the one status visible at every
moment (`api/services/visibility.py`); a scheduled publication's turn depends on the clock.
"""

from sqlalchemy import CheckConstraint, String
from sqlmodel import Field, SQLModel

from models.base import BigIntId

# `all` has one row (term 0); the others one per term with a publication ever counted.
COUNTED_KINDS = ("all", "category", "author", "tag", "series")


class PublicationCount(SQLModel, table=True):
    __tablename__ = "publication_counts"
    __table_args__ = (
        CheckConstraint(
            "kind IN (" + ", ".join(f"'{kind}'" for kind in COUNTED_KINDS) + ")", name="kind"
        ),
    )

    kind: str = Field(primary_key=True, sa_type=String(16))
    term_id: int = Field(primary_key=True, sa_type=BigIntId)
    published: int = Field(default=0, sa_type=BigIntId)
