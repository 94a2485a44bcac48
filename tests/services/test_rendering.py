"""Bodies render once, on write: footnotes linked both ways, nothing unsafe survives."""

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from api.services.rendering import (
    FootnoteSource,
    check_footnotes,
    reading_time_minutes,
    render_body,
)

NOTES = [
    FootnoteSource(1, "Damba, Ganbat. “Keynote Speech.” Pg. 10. 2015."),
    FootnoteSource(2, "Mashbat, O. “Non-traditional security.”\n\nPg. 47. 2015."),
]


def test_footnote_references_link_to_the_notes_and_back() -> None:
    body = render_body("First claim.[^1] Second claim.[^2]\n\nMore.", NOTES)
    assert '<a href="#fn-1" id="fnref-1"' in body.html
    assert '<li id="fn-1">' in body.html
    assert '<a href="#fnref-1" class="footnote-backref"' in body.html
    assert '<a href="#fnref-2" class="footnote-backref"' in body.html
    assert body.html.index('id="fnref-2"') < body.html.index('<section class="footnotes">')


def test_a_footnote_may_have_several_paragraphs() -> None:
    html = render_body("Claim.[^2] And.[^1]", NOTES).html
    note = html[html.index('<li id="fn-2">') :]
    assert "<p>Mashbat, O." in note
    assert "<p>Pg. 47. 2015." in note


def test_plain_text_has_the_words_without_markup_or_notes() -> None:
    body = render_body("A *bold* claim.[^1]\n\nSecond `para`.", NOTES[:1])
    assert body.text == "A bold claim.\n\nSecond para."
    assert body.word_count == 5
    assert "Damba" not in body.text


def test_reading_time_is_at_least_a_minute() -> None:
    assert reading_time_minutes(0) == 1
    assert reading_time_minutes(2380) == 10


UNSAFE = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "[click](javascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<iframe src="https://evil.example"></iframe>',
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<svg onload="alert(1)"></svg>',
    '<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>',
    '<p id="main" onclick="x()">clobber</p>',
]


def test_nothing_executable_survives() -> None:
    for source in UNSAFE:
        html = render_body(source, []).html.lower()
        assert "<script" not in html, source
        assert "javascript:" not in html, source
        assert not re.search(r"\son\w+=", html), source
        assert "<iframe" not in html, source
        assert "data:text" not in html, source
        assert 'id="main"' not in html, source


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=300))
def test_any_text_renders_to_safe_html(source: str) -> None:
    html = render_body(source, []).html.lower()
    assert "<script" not in html
    assert not re.search(r"<[a-z][^>]*\son\w+\s*=", html)
    assert 'href="javascript:' not in html


class TestCheckFootnotes:
    def test_a_consistent_body_has_no_problems(self) -> None:
        assert check_footnotes("a[^1] b[^2]", [1, 2]) == []

    def test_a_reference_without_a_footnote_is_named(self) -> None:
        (problem,) = check_footnotes("a[^1] b[^3]", [1])
        assert (problem.field, problem.code) == ("body_markdown", "footnote_missing")
        assert "[^3]" in problem.message

    def test_an_unreferenced_footnote_is_named(self) -> None:
        (problem,) = check_footnotes("a[^1]", [1, 2])
        assert (problem.field, problem.code) == ("footnotes[1]", "footnote_unreferenced")

    def test_a_repeated_number_is_named(self) -> None:
        problems = check_footnotes("a[^1]", [1, 1])
        assert problems[0].field == "footnotes[1].number"
        assert problems[0].code == "duplicate_footnote"

    def test_definitions_in_the_body_are_refused(self) -> None:
        problems = check_footnotes("a[^1]\n\n[^1]: inline note", [1])
        assert problems[0].code == "footnote_definition_in_body"
