"""A publication's footnotes as CSL-JSON: the works it cites, for a reference manager.

A footnote whose editor filled in its structured `citation` becomes a full CSL item; one with
free text alone becomes a plain note (CSL `note`), since parsing prose into authors and
titles would be guesswork. Pure functions, like `citations`.
"""

import re
from collections.abc import Iterable, Mapping
from typing import Any

import cmarkgfm

from api.services.rendering import html_to_text, sanitize_html

Item = dict[str, object]

# ISO 8601 calendar dates as editors write them in `issued`: 2015, 2015-06, 2015-06-14.
_ISO_DATE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")


def references(publication_id: int, footnotes: Iterable[Any]) -> list[Item]:
    """One CSL-JSON item per footnote, in footnote order. `footnotes` are rows or objects
    with `number`, `text`, `url` and `citation`."""
    return [reference(publication_id, footnote) for footnote in footnotes]


def reference(publication_id: int, footnote: Any) -> Item:
    # Ids stay unique when several publications' references meet in one library.
    item: Item = {"id": f"{publication_id}-fn-{footnote.number}", "type": "document"}
    citation: Mapping[str, Any] = footnote.citation or {}
    if not any(_text(citation, key) for key in citation):
        item["note"] = plain_text(footnote.text)
        if footnote.url:
            item["URL"] = footnote.url
        return item
    if authors := _text(citation, "author"):
        item["author"] = names(authors)
    for key, csl_key in (
        ("title", "title"),
        ("container_title", "container-title"),
        ("publisher", "publisher"),
        ("page", "page"),
    ):
        if value := _text(citation, key):
            item[csl_key] = value
    if issued := _text(citation, "issued"):
        item["issued"] = date_variable(issued)
    if url := _text(citation, "url") or footnote.url:
        item["URL"] = url
    return item


def names(authors: str) -> list[dict[str, str]]:
    """Names separated by semicolons. "Family, Given" is how references write a name whose
    parts the editor has told apart; anything else stays whole, as written (CSL `literal`)."""
    result = []
    for name in (part.strip() for part in authors.split(";")):
        if not name:
            continue
        family, comma, given = name.partition(",")
        if comma and family.strip() and given.strip() and "," not in given:
            result.append({"family": family.strip(), "given": given.strip()})
        else:
            result.append({"literal": name})
    return result


def date_variable(issued: str) -> dict[str, object]:
    """A CSL date: `date-parts` for an ISO date, the text as written (`literal`) otherwise."""
    match = _ISO_DATE.match(issued)
    if match is None:
        return {"literal": issued}
    parts = [int(part) for part in match.groups() if part is not None]
    if (len(parts) > 1 and not 1 <= parts[1] <= 12) or (len(parts) > 2 and not 1 <= parts[2] <= 31):
        return {"literal": issued}
    return {"date-parts": [parts]}


def plain_text(markdown: str) -> str:
    """A footnote's Markdown as plain text (links keep their words, markup goes)."""
    html = cmarkgfm.github_flavored_markdown_to_html(markdown)
    return html_to_text(sanitize_html(html))


def _text(citation: Mapping[str, Any], key: str) -> str:
    value = citation.get(key)
    return " ".join(str(value).split()) if value is not None else ""
