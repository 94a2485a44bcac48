"""A saved state of a publication, as the list of revisions shows it."""

from datetime import datetime
from typing import Self

import strawberry

from api.services.revisions import RevisionSummary


@strawberry.type(description="A saved state of a publication: who saved it, and when.")
class Revision:
    number: int
    version: int = strawberry.field(description="The publication's version this revision saved.")
    created_at: datetime
    created_by: str | None = strawberry.field(description="The editor's name, if still known.")

    @classmethod
    def from_summary(cls, summary: RevisionSummary) -> Self:
        return cls(
            number=summary.number,
            version=summary.version,
            created_at=summary.created_at,
            created_by=summary.created_by,
        )
