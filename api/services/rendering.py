"""Markdown bodies with numbered footnotes, rendered once on write to safe HTML and plain text.

Pure functions of their input, so the importer can run them in worker processes.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from html import unescape

import cmarkgfm
import nh3
from cmarkgfm.cmark import Options

WORDS_PER_MINUTE = 238  # adult silent reading of non-fiction (Brysbaert, 2019)

_REFERENCE = re.compile(r"\[\^([^\]\s]+)\](?!:)")
_DEFINITION = re.compile(r"^\s{0,3}\[\^[^\]\s]+\]:", re.MULTILINE)

_ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "del", "div", "em",
    "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "li", "ol",
    "p", "pre", "q", "s", "section", "small", "span", "strong", "sub", "sup", "table",
    "tbody", "td", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
_ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "id", "class", "aria-label"},
    "img": {"src", "alt", "title", "width", "height"},
    "li": {"id", "class"},
    "ol": {"class", "start"},
    "section": {"class"},
    "sup": {"class"},
    "hr": {"class"},
    "td": {"align", "colspan", "rowspan"},
    "th": {"align", "colspan", "rowspan"},
    "abbr": {"title"},
    "q": {"cite"},
    "blockquote": {"cite"},
}
# Ids are allowed only as footnote anchors, so body HTML cannot clobber the host page's ids.
_FOOTNOTE_ID = re.compile(r"^fn(ref)?-\d+(-\d+)?$")
# cmark-gfm, GitHub's reference C implementation: CommonMark + tables, strikethrough,
# autolinks and footnotes, ~20x faster than pure-Python renderers. Raw HTML is let through
# here and made safe by nh3 below.
_CMARK_OPTIONS = Options.CMARK_OPT_FOOTNOTES | Options.CMARK_OPT_UNSAFE
_NOTES_START = '<section class="footnotes"'
_FOOTNOTE_REF = re.compile(r'<sup class="footnote-ref">.*?</sup>', re.DOTALL)
_BLOCK_END = re.compile(r"</(?:p|h[1-6]|li|blockquote|pre|tr|figure|figcaption|div)>|<br\s*/?>")


@dataclass(frozen=True, slots=True)
class FootnoteSource:
    number: int
    text: str


@dataclass(frozen=True, slots=True)
class RenderedBody:
    html: str
    text: str
    word_count: int


@dataclass(frozen=True, slots=True)
class FootnoteProblem:
    """A mismatch between the body's `[^n]` references and the footnote list."""

    field: str
    message: str
    code: str


def reading_time_minutes(word_count: int) -> int:
    return max(1, round(word_count / WORDS_PER_MINUTE))


def check_footnotes(body_markdown: str, numbers: Sequence[int]) -> list[FootnoteProblem]:
    """Every `[^n]` in the body has exactly one footnote, and every footnote is referenced."""
    problems: list[FootnoteProblem] = []
    # The substring test first: a line-anchored search walks every character of a long body.
    if "]:" in body_markdown and _DEFINITION.search(body_markdown):
        problems.append(
            FootnoteProblem(
                "body_markdown",
                "footnote definitions belong in `footnotes`, not in the body",
                "footnote_definition_in_body",
            )
        )
    seen: set[int] = set()
    for index, number in enumerate(numbers):
        if number in seen:
            problems.append(
                FootnoteProblem(
                    f"footnotes[{index}].number",
                    f"footnote number {number} is repeated",
                    "duplicate_footnote",
                )
            )
        seen.add(number)
    referenced = set(_REFERENCE.findall(body_markdown))
    defined = {str(n) for n in numbers}
    for label in sorted(referenced - defined, key=_natural):
        problems.append(
            FootnoteProblem(
                "body_markdown",
                f"[^{label}] is referenced but has no footnote",
                "footnote_missing",
            )
        )
    for index, number in enumerate(numbers):
        if str(number) not in referenced:
            problems.append(
                FootnoteProblem(
                    f"footnotes[{index}]",
                    f"footnote {number} is never referenced in the body",
                    "footnote_unreferenced",
                )
            )
    return problems


def render_body(body_markdown: str, footnotes: Sequence[FootnoteSource]) -> RenderedBody:
    """Render the body and its footnotes to sanitized HTML, and the body alone to plain text."""
    source = (
        body_markdown.rstrip()
        + "\n\n"
        + "\n".join(_definition(f) for f in sorted(footnotes, key=lambda f: f.number))
    )
    html = cmarkgfm.github_flavored_markdown_to_html(source, options=_CMARK_OPTIONS)
    split = html.rfind(_NOTES_START) if footnotes else -1
    body_html = sanitize_html(html if split < 0 else html[:split])
    notes_html = "" if split < 0 else sanitize_html(html[split:])
    blocks = _text_blocks(body_html)
    return RenderedBody(
        html=body_html + notes_html,
        text=_joined(blocks),
        word_count=sum(len(words) for words in blocks),
    )


def html_to_text(html: str) -> str:
    """Plain text of sanitized HTML: one paragraph per block, footnote markers dropped."""
    return _joined(_text_blocks(html))


def _text_blocks(html: str) -> list[list[str]]:
    """The words of each non-empty block of sanitized HTML, footnote markers dropped."""
    html = _FOOTNOTE_REF.sub("", html)
    html = _BLOCK_END.sub("\n\n", html)
    text = unescape(_TEXT_ONLY.clean(html))
    return [words for block in text.split("\n\n") if (words := block.split())]


def _joined(blocks: list[list[str]]) -> str:
    return "\n\n".join(" ".join(words) for words in blocks)


def sanitize_html(html: str) -> str:
    return _SANITIZER.clean(html)


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    if attribute == "id" and not _FOOTNOTE_ID.match(value):
        return None
    return value


# Built once: nh3.clean() builds its sanitizer from the arguments on every call, which
# cost as much as the sanitizing itself on a typical body.
_SANITIZER = nh3.Cleaner(
    tags=_ALLOWED_TAGS,
    attributes=_ALLOWED_ATTRIBUTES,
    attribute_filter=_filter_attribute,
    url_schemes={"http", "https", "mailto"},
    link_rel="noopener noreferrer",
)
_TEXT_ONLY = nh3.Cleaner(tags=set())


def _definition(footnote: FootnoteSource) -> str:
    # Continuation lines of a footnote are indented so they stay inside its definition.
    lines = footnote.text.strip().splitlines() or [""]
    rest = "".join(f"\n    {line}" if line.strip() else "\n" for line in lines[1:])
    return f"[^{footnote.number}]: {lines[0]}{rest}\n"


def _natural(label: str) -> tuple[int, str]:
    return (int(label), "") if label.isdigit() else (10**9, label)
