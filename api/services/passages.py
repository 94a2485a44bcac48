"""Which paragraph of a hit's body holds its best passage, chosen before PostgreSQL marks it.

`ts_headline` parses all the text it is given, at ~8 MB/s: given each hit's whole body, it
cost a PostgreSQL search page ~20 ms whatever the query, the page's largest statement. It
is now given one paragraph: the one holding the most of the query's words. Those are found
here with the English Snowball stemmer, the algorithm behind PostgreSQL's `english`
configuration, applied only to the few words a cheap pattern lets through. PostgreSQL
still decides what is marked; this only narrows where it looks.
"""

import re
from dataclasses import dataclass
from functools import lru_cache

import Stemmer

from api.services.search import SearchQuery

PARAGRAPH_BREAK = "\n\n"  # as `rendering` joins a body's plain text
# Distinct words whose stems are remembered (a few MB at most).
STEMS_KEPT = 65_536

_STEMMER = Stemmer.Stemmer("english")


@lru_cache(maxsize=STEMS_KEPT)
def _stem(word: str) -> str:
    stem: str = _STEMMER.stemWord(word)
    return stem


@dataclass(frozen=True, slots=True)
class _Wanted:
    """The query's words as stems: each whole word's stem and each typed prefix's stem (a
    word matches a prefix when its stem starts with it), and a pattern for the words that
    could match any of them."""

    stems: dict[str, int]  # stem -> the query word's slot
    prefixes: tuple[tuple[str, int], ...]
    candidates: re.Pattern[str]

    def slot(self, word: str) -> int | None:
        """The slot of a lowercase word's stem, if the query wants it."""
        stem = _stem(word)
        found = self.stems.get(stem)
        if found is not None:
            return found
        for prefix, slot in self.prefixes:
            if stem.startswith(prefix):
                return slot
        return None


@lru_cache(maxsize=256)
def _wanted(query: SearchQuery) -> _Wanted | None:
    stems: dict[str, int] = {}
    prefixes: list[tuple[str, int]] = []
    slot = 0
    for group in query.groups:
        for term in group:
            for word in term.words:
                stem = _stem(word)
                if term.prefix:
                    prefixes.append((stem, slot))
                else:
                    stems.setdefault(stem, slot)
                slot += 1
    if not stems and not prefixes:
        return None
    # Snowball only rewrites a word's ending, by at most its last letter (`policy`:
    # `polici`): a word with this stem starts with the stem less its last letter.
    starts = sorted({stem[: max(1, len(stem) - 1)] for stem in [*stems, *(p for p, _ in prefixes)]})
    # No `\b` in front: it stops the scan skipping ahead to the next possible start, which
    # made it ten times slower (`_at_word_start` checks each match instead).
    pattern = "(?:" + "|".join(map(re.escape, starts)) + r")\w*"
    return _Wanted(stems, tuple(prefixes), re.compile(pattern))


_WORD_CHARACTER = re.compile(r"\w")


def _at_word_start(text: str, start: int) -> bool:
    return start == 0 or _WORD_CHARACTER.match(text, start - 1) is None


def best_paragraph(body: str, query: SearchQuery) -> str | None:
    """The paragraph with the most distinct query words (the first of those tied). Where no
    paragraph holds all the words the body holds, the fewest paragraphs that do, joined in
    their order: a passage must show the words together to mark any (`ts_headline` marks
    only a stretch holding every word an AND needs). None when no paragraph holds any: the
    hit was found by its title, names or footnotes, and its body has nothing to mark.
    (Parsing the whole body to learn that cost a page of author-name hits ~20 ms.)"""
    wanted = _wanted(query)
    if wanted is None:
        return None
    paragraphs = body.split(PARAGRAPH_BREAK)
    # Matched in lowercase: a case-blind pattern scans text several times slower.
    found = [
        {
            slot
            for match in wanted.candidates.finditer(paragraph)
            if _at_word_start(paragraph, match.start())
            and (slot := wanted.slot(match.group())) is not None
        }
        for paragraph in body.lower().split(PARAGRAPH_BREAK)
    ]
    chosen: list[int] = []
    covered: set[int] = set()
    while True:
        gains = [len(slots - covered) for slots in found]
        best = max(range(len(paragraphs)), key=gains.__getitem__)  # the first of the tied
        if gains[best] == 0:
            break
        chosen.append(best)
        covered |= found[best]
    if not chosen:
        return None
    return PARAGRAPH_BREAK.join(paragraphs[index] for index in sorted(chosen))
