"""What the importer's worker processes run: Markdown rendering, on plain data.

A module of its own, so that a worker imports the renderer alone (cmark-gfm and nh3), not
the importer with SQLAlchemy and the models.
"""

from collections.abc import Sequence

from api.services.rendering import FootnoteSource, RenderedBody, render_body


def render_many(sources: Sequence[tuple[str, list[tuple[int, str]]]]) -> list[RenderedBody]:
    """Render (body, [(number, text)]) pairs."""
    return [
        render_body(body, [FootnoteSource(number, text) for number, text in notes])
        for body, notes in sources
    ]
