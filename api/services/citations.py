"""How to cite a publication: CSL-JSON, BibTeX and RIS, from the same facts.

Pure functions, shared by every surface that offers citations. Names are given as the byline
writes them (CSL `literal`), never split into given and family names by guesswork: "Juni Kim"
and "Kim Jong-un" order their names differently, and only the author knows which is which.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class CitationFormat(StrEnum):
    CSL_JSON = "csl-json"
    BIBTEX = "bibtex"
    RIS = "ris"


MEDIA_TYPES = {
    CitationFormat.CSL_JSON: "application/vnd.citationstyles.csl+json",
    CitationFormat.BIBTEX: "application/x-bibtex",
    CitationFormat.RIS: "application/x-research-info-systems",
}


@dataclass(frozen=True, slots=True)
class CitedWork:
    """What a citation says about one publication."""

    id: str
    slug: str
    title: str
    subtitle: str | None
    authors: Sequence[str]
    published_at: datetime
    url: str
    publisher: str
    # The series a publication appears in plays the part of a journal or blog title.
    container_title: str | None = None


def cite(work: CitedWork, format: CitationFormat) -> str:
    if format is CitationFormat.CSL_JSON:
        return json.dumps([csl_json(work)], ensure_ascii=False)
    if format is CitationFormat.BIBTEX:
        return bibtex(work)
    return ris(work)


def full_title(work: CitedWork) -> str:
    return f"{work.title}: {work.subtitle}" if work.subtitle else work.title


def csl_json(work: CitedWork) -> dict[str, object]:
    issued = work.published_at
    item: dict[str, object] = {
        "id": work.id,
        "type": "article",
        "title": full_title(work),
        "author": [{"literal": name} for name in work.authors],
        "issued": {"date-parts": [[issued.year, issued.month, issued.day]]},
        "publisher": work.publisher,
        "URL": work.url,
    }
    if work.container_title:
        item["container-title"] = work.container_title
    return item


def bibtex(work: CitedWork) -> str:
    fields = {
        # Double braces keep BibTeX from re-casing the title or reordering a name.
        "title": "{" + _bibtex_escape(full_title(work)) + "}",
        "author": " and ".join("{" + _bibtex_escape(name) + "}" for name in work.authors),
        "year": str(work.published_at.year),
        "month": _MONTHS[work.published_at.month - 1],
        "publisher": _bibtex_escape(work.publisher),
        "howpublished": _bibtex_escape(work.container_title or work.publisher),
        "url": work.url,
    }
    lines = [f"@misc{{{work.slug},"]
    lines += [f"  {name} = {{{value}}}," for name, value in fields.items() if value]
    lines.append("}")
    return "\n".join(lines) + "\n"


def ris(work: CitedWork) -> str:
    issued = work.published_at
    tags: list[tuple[str, str]] = [("TY", "GEN"), ("TI", full_title(work))]
    tags += [("AU", name) for name in work.authors]
    tags += [
        ("PY", str(issued.year)),
        ("DA", f"{issued.year:04d}/{issued.month:02d}/{issued.day:02d}"),
        ("PB", work.publisher),
    ]
    if work.container_title:
        tags.append(("T2", work.container_title))
    tags += [("UR", work.url), ("ID", work.id), ("ER", "")]
    # RIS lines are "TAG  - value"; a line break inside a value would start a bogus tag.
    return "".join(f"{tag}  - {' '.join(value.split())}\r\n" for tag, value in tags)


_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_BIBTEX_SPECIAL = {c: "\\" + c for c in "&%$#_{}"} | {
    "\\": r"\textbackslash{}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}


def _bibtex_escape(text: str) -> str:
    return "".join(_BIBTEX_SPECIAL.get(c, c) for c in " ".join(text.split()))
