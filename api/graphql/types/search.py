"""`search`: ranked hits with highlighted passages, and facets over the whole result set."""

import strawberry

from api.db import AnyRow
from api.graphql.pagination import Connection
from api.graphql.types.publication import Publication
from api.services.facets import Facets, FacetValue
from api.services.highlights import Highlight


@strawberry.type(description="A slug and how many hits have it.")
class FacetTerm:
    slug: str
    name: str | None
    count: int


@strawberry.type
class FacetYear:
    year: int | None = strawberry.field(
        description="Null for drafts without a date (an editor's search with `status` only)."
    )
    count: int


@strawberry.type(description="Counts over every hit, not just this page.")
class SearchFacets:
    categories: list[FacetTerm]
    series: list[FacetTerm]
    authors: list[FacetTerm]
    years: list[FacetYear]

    @classmethod
    def from_facets(cls, facets: Facets) -> "SearchFacets":
        def terms(values: list[FacetValue]) -> list[FacetTerm]:
            return [FacetTerm(slug=v.key, name=v.name, count=v.count) for v in values]

        return cls(
            categories=terms(facets.categories),
            series=terms(facets.series),
            authors=terms(facets.authors),
            # The facets service counts undated drafts under the key "None".
            years=[
                FacetYear(year=int(v.key) if v.key.isdigit() else None, count=v.count)
                for v in facets.years
            ],
        )


@strawberry.type(description="A publication the search found, and where it matched.")
class SearchHit:
    highlight: str | None = strawberry.field(
        description="A passage of the body as HTML, the matches in `<mark>`."
    )
    title_highlight: str | None = strawberry.field(
        description="The title as HTML, the matches in `<mark>`."
    )
    publication: Publication

    @classmethod
    def from_hit(
        cls, hit: tuple[AnyRow, Highlight | None], *, unrestricted: bool = False
    ) -> "SearchHit":
        row, found = hit
        return cls(
            highlight=found.passage if found else None,
            title_highlight=found.title if found else None,
            publication=Publication.from_row(row, unrestricted=unrestricted),
        )


@strawberry.type(description="One page of search hits, with facets over all of them.")
class SearchConnection(Connection[SearchHit]):
    facets: SearchFacets
