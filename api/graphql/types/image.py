"""A publication's featured image, credited and licensed as the page shows it."""

from typing import Any, Self

import strawberry


@strawberry.type(description="The featured image of a publication.")
class Image:
    url: str | None
    alt: str | None
    credit: str | None = strawberry.field(
        description='As printed, e.g. "Photo from Francisco Anzola\'s photostream on flickr".'
    )
    license: str | None
    license_url: str | None
    source_url: str | None

    @classmethod
    def from_row(cls, row: Any) -> Self | None:
        """From a row or a model: anything with the `image_*` columns."""
        # REST's rule too: a credit without a URL still shows (the seed page has just that).
        if row.image_url is None and row.image_credit is None:
            return None
        return cls(
            url=row.image_url,
            alt=row.image_alt,
            credit=row.image_credit,
            license=row.image_license,
            license_url=row.image_license_url,
            source_url=row.image_source_url,
        )
