"""Site-wide counts: the "Total Index" and how many of each kind the site has."""

import strawberry


@strawberry.type(description="Counts of what the public can see.")
class Stats:
    publications: int = strawberry.field(description='Visible publications: the "Total Index".')
    authors: int
    categories: int
    series: int
    tags: int
