"""`best_paragraph`: which paragraph PostgreSQL is given to mark a hit's passage in."""

import re

import Stemmer
from hypothesis import given
from hypothesis import strategies as st

from api.services.passages import best_paragraph
from api.services.search import SearchQuery

BODY = "\n\n".join(
    [
        "Nothing to see.",
        "The policy of Mongolia.",
        "Mongolian policies and sanctions on trade.",
        "Sanctions again.",
    ]
)


def test_the_paragraph_with_most_query_words_wins_the_first_of_ties() -> None:
    assert best_paragraph(BODY, SearchQuery.parse("sanction policy")) == (
        "Mongolian policies and sanctions on trade."
    )
    assert best_paragraph(BODY, SearchQuery.parse("sanctions")) == (
        "Mongolian policies and sanctions on trade."
    )
    assert best_paragraph(BODY, SearchQuery.parse('"policy of"')) == "The policy of Mongolia."


def test_words_no_paragraph_holds_together_bring_the_fewest_paragraphs_that_do() -> None:
    body = "\n\n".join(["Trade first.", "Nothing.", "Fisheries and trade.", "A policy."])
    assert best_paragraph(body, SearchQuery.parse("policy fishery trade ")) == (
        "Fisheries and trade.\n\nA policy."
    )


def test_prefixes_match_words_whose_stem_starts_with_them() -> None:
    assert best_paragraph(BODY, SearchQuery.parse("tra")) == (
        "Mongolian policies and sanctions on trade."
    )
    # A finished word is whole: `mongolia` is not `mongolian`.
    assert best_paragraph(BODY, SearchQuery.parse("mongolia ")) == "The policy of Mongolia."


def test_without_a_match_no_paragraph_is_given() -> None:
    assert best_paragraph(BODY, SearchQuery.parse("harbour ")) is None
    assert best_paragraph(BODY, SearchQuery.parse("-policy")) is None


_STEMMER = Stemmer.Stemmer("english")
words = st.from_regex(r"[a-z]{1,12}", fullmatch=True)


@given(st.lists(st.lists(words, min_size=1, max_size=8), min_size=1, max_size=6), st.data())
def test_a_word_of_the_body_always_leads_to_a_paragraph_holding_its_stem(
    paragraphs: list[list[str]], data: st.DataObject
) -> None:
    """Whatever the word: the cheap pattern never hides a word the stemmer would match."""
    body = "\n\n".join(" ".join(p) for p in paragraphs)
    word = data.draw(st.sampled_from([w for p in paragraphs for w in p]))
    chosen = best_paragraph(body, SearchQuery.parse(word + " "))
    assert chosen is not None
    stems = {_STEMMER.stemWord(w) for w in re.findall(r"\w+", chosen)}
    assert _STEMMER.stemWord(word) in stems
    assert chosen in body.split("\n\n")
