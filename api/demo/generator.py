"""A deterministic demo dataset in Colophon's NDJSON interchange format.

Five files (authors, categories, series, tags, publications), one compact JSON object a line.
Each file draws from its own seeded ``random.Random``, so changing the number of publications
leaves the other files unchanged. Publications are streamed one line at a time: memory stays
flat whatever their number. The seed article and its author (see ``api.demo.seed``) are always
the last records.
"""

import itertools
import os
import random
import re
import sys
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any, Final

import orjson

from api.demo import seed as seed_article

Row = dict[str, Any]


@dataclass(frozen=True)
class DatasetSize:
    """How many records of each kind to generate (the seed article and author come on top)."""

    publications: int = 300
    authors: int = 300
    categories: int = 20
    series: int = 8
    tags: int = 200


@dataclass(frozen=True)
class Topic:
    weight: int
    keywords: tuple[str, str]  # for titles
    field: str  # for author bios
    clauses: tuple[str, ...]  # for topical sentences


# Weights make full-text searches return very different counts: "trade" is the most common
# word, "Mongolia" rare. No text here says "Mongolian", so that a substring search for
# "Mongolia" and a stemmed full-text search find the same rows.
TOPICS: Final = (
    Topic(
        20,
        ("Trade", "Tariffs"),
        "trade policy",
        (
            "bilateral trade rose sharply after the free trade agreement took effect",
            "tariffs on steel and semiconductors reshaped supply chains",
            "exporters worry about a new round of tariffs",
            "trade with China still accounts for a quarter of exports",
            "the trade surplus with the United States has become a political issue",
        ),
    ),
    Topic(
        18,
        ("Korea", "the Peninsula"),
        "the Korean peninsula",
        (
            "the Korean peninsula remains at the center of regional security debates",
            "Seoul and Washington continue to coordinate their policy toward the peninsula",
            "policymakers in South Korea face difficult choices",
            "observers in Korea expect the debate to intensify before the election",
        ),
    ),
    Topic(
        12,
        ("Sanctions", "Denuclearization"),
        "sanctions and denuclearization",
        (
            "sanctions enforcement has weakened since the last Security Council resolution",
            "denuclearization talks stalled after the summit",
            "Pyongyang has continued missile testing despite sanctions",
            "a freeze could be a first step toward denuclearization",
        ),
    ),
    Topic(
        9,
        ("Inter-Korean Relations", "Reunification"),
        "inter-Korean relations",
        (
            "Inter-Korean cooperation at the Kaesong Industrial Complex was suspended",
            "reunification remains a distant but popular goal",
            "the Ministry of Unification proposed new family reunions",
            "factories in Kaesong once employed tens of thousands of North Korean workers",
        ),
    ),
    Topic(
        8,
        ("the Alliance", "Security"),
        "alliance politics",
        (
            "the alliance faces new questions about cost sharing",
            "trilateral security cooperation with Japan has deepened",
            "extended deterrence remains the cornerstone of the alliance",
        ),
    ),
    Topic(
        6,
        ("the Economy", "Growth"),
        "the Korean economy",
        (
            "the economy grew faster than the Bank of Korea expected",
            "demographic decline threatens long-term growth",
            "export-led growth still depends on open trade",
            "household debt reached a record share of output",
        ),
    ),
    Topic(
        5,
        ("Energy", "Climate"),
        "energy and climate policy",
        (
            "energy security became a priority after the oil shock",
            "climate commitments require a faster exit from coal",
            "nuclear power still supplies about a third of the electricity",
        ),
    ),
    Topic(
        5,
        ("Japan", "China"),
        "Japan and China",
        (
            "relations between Tokyo and Seoul improved after the summit",
            "Beijing remains the main economic lifeline of North Korea",
            "historical disputes continue to shape public opinion in Japan",
        ),
    ),
    Topic(
        3,
        ("Mongolia", "Ulaanbaatar"),
        "Mongolia",
        (
            "Mongolia has pursued a third-neighbor policy to balance Russia and China",
            "the Ulaanbaatar Dialogue brings together officials from across Northeast Asia",
            "Mongolia maintains diplomatic relations with both Koreas",
            "mining revenues dominate the economy of Mongolia",
        ),
    ),
)
MONGOLIA: Final = len(TOPICS) - 1  # last, so TOPICS[:MONGOLIA] are the others
TOPIC_CUM_WEIGHTS: Final = tuple(itertools.accumulate(t.weight for t in TOPICS))

TITLE_TEMPLATES: Final = (
    "{kw} and the Future of {other}",
    "What {kw} Means for {other}",
    "Rethinking {kw}",
    "{kw} After the Summit",
    "Why {kw} Matters Now",
    "The Politics of {kw}",
    "{kw}: Five Things to Watch",
    "Can {kw} Survive {other}?",
    "Lessons from {kw}",
    "A New Approach to {kw}",
    "{kw} in an Age of {other}",
    "Beyond {kw}",
)
MONGOLIA_TITLES: Final = (
    "Mongolia and the Korean Peninsula",
    "Why Mongolia Matters for Northeast Asia",
    "Mongolia's Third-Neighbor Policy and {other}",
    "The Ulaanbaatar Dialogue and Mongolia's Role",
    "Mongolia Between Two Koreas",
    "What Mongolia Can Teach Us About {other}",
)

CATEGORY_NAMES: Final = (
    "Inter-Korean",
    "North Korea",
    "South Korea Politics",
    "Economics",
    "Trade",
    "Security",
    "U.S.-Korea Alliance",
    "Northeast Asia",
    "China",
    "Japan",
    "Mongolia",
    "Energy",
    "Technology",
    "Human Rights",
    "Public Diplomacy",
    "Climate",
    "Finance",
    "Korean Diaspora",
    "History",
    "Culture",
)
SERIES_NAMES: Final = (
    "The Peninsula",
    "Korea's Economy",
    "Academic Paper Series",
    "On Korea",
    "Korea Policy",
    "Joint U.S.-Korea Academic Studies",
    "Emerging Voices",
    "Korean Kontext",
)
TAG_NAMES: Final = (
    "denuclearization",
    "sanctions",
    "trade",
    "tariffs",
    "alliance",
    "missiles",
    "diplomacy",
    "reunification",
    "semiconductors",
    "supply chains",
    "energy",
    "climate",
    "elections",
    "demographics",
    "human rights",
    "refugees",
    "cybersecurity",
    "military",
    "economy",
    "investment",
    "free trade",
    "mongolia",
    "ulaanbaatar",
    "pyongyang",
    "seoul",
    "beijing",
    "tokyo",
    "washington",
    "kaesong",
    "dmz",
    "nuclear",
    "summit",
    "trilateral",
    "indo-pacific",
    "soft power",
    "tourism",
    "shipbuilding",
    "batteries",
)
JOB_TITLES: Final = (
    "Senior Fellow",
    "Director of Academic Affairs",
    "Director of Communications",
    "Non-Resident Fellow",
    "Research Associate",
    "Senior Director",
    "President",
    "Intern",
    "Program Manager",
    "Vice President",
    "Visiting Scholar",
    "Adjunct Professor",
    "Former Ambassador",
    "Economist",
)
LICENSES: Final = (
    "CC BY 2.0",
    "CC BY-SA 2.0",
    "CC BY-NC 2.0",
    "CC BY-NC-SA 2.0",
    "CC BY 4.0",
    "CC BY-SA 4.0",
    "CC0 1.0",
    "Public Domain",
)
PHOTO_HOSTS: Final = ("Flickr", "Wikimedia Commons", "Unsplash")
PHOTO_AGENCIES: Final = (
    "UNDP Mongolia",
    "Korea.net",
    "Republic of Korea Armed Forces",
    "U.S. Department of State",
    "U.S. Forces Korea",
)
CITATION_VENUES: Final = (
    "Ulaanbaatar Dialogue on Northeast Asian Security",
    "Korea Economic Institute of America",
    "Journal of East Asian Studies",
    "Asian Survey",
    "Korea Herald",
    "Yonhap News Agency",
    "Bank of Korea Economic Statistics System",
    "38 North",
    "The Diplomat",
    "Council on Foreign Relations",
    "Congressional Research Service",
    "Foreign Affairs",
    "KDI Journal of Economic Policy",
    "Nikkei Asia",
    "Reuters",
    "Ministry of Unification",
)
CITATION_PLACES: Final = (
    "Ulaanbaatar",
    "Seoul",
    "Washington, D.C.",
    "Tokyo",
    "Beijing",
    "New York",
    "Busan",
    "Singapore",
)
FOOTNOTE_COUNTS: Final = (0, 0, 1, 2, 2, 3, 3, 4, 5, 6, 8)
BYLINE_LENGTHS: Final = ((1, 2, 3), (70, 22, 8))

EPOCH: Final = datetime(1970, 1, 1)  # naive UTC: isoformat() then has no offset to strip
FIRST_PUBLISHED: Final = int((datetime(2008, 1, 1) - EPOCH).total_seconds())
PUBLISHED_BEFORE: Final = int((datetime(2025, 7, 1) - EPOCH).total_seconds())  # last: 06-30
SLUG_LENGTH: Final = 70
EXCERPT_LENGTH: Final = 300

_NON_SLUG = re.compile(r"[^a-z0-9]+")
_APOSTROPHES = re.compile(r"['’]")
_FOOTNOTE_REF = re.compile(r"\[\^\d+\]")
# A sentence ends at . ! or ? (maybe before a closing quote) followed by a capitalised word.
_SENTENCE_BREAK = re.compile(r"([.!?][”\"’]?)\s+(?=[A-Z“\"])")


def slugify(text: str) -> str:
    """Lowercase ASCII words joined by hyphens, at most 70 characters ("Korea's" is "koreas")."""
    words = _NON_SLUG.sub("-", _APOSTROPHES.sub("", text.lower())).strip("-")
    return words[:SLUG_LENGTH].rstrip("-")


def excerpt_of(body_markdown: str) -> str:
    """The first two sentences of the body without footnote markers (one if two are too long)."""
    first = _FOOTNOTE_REF.sub("", body_markdown.split("\n\n", 1)[0]).strip()
    breaks = [m.end(1) for m in itertools.islice(_SENTENCE_BREAK.finditer(first), 2)]
    for end in reversed([*breaks, len(first)][:2]):
        if end <= EXCERPT_LENGTH:
            return first[:end]
    return first[: EXCERPT_LENGTH - 1].rsplit(" ", 1)[0] + "…"


def _iso(timestamp: int) -> str:
    return f"{(EPOCH + timedelta(seconds=timestamp)).isoformat()}Z"


def _unique_slug(base: str, taken: set[str]) -> str:
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    taken.add(slug)
    return slug


@dataclass(frozen=True)
class _Lexicon:
    words: tuple[str, ...]
    capitals: dict[str, str]  # word -> Word
    by_code: tuple[str, ...]  # each 16-bit code -> a word, every word (nearly) equally often
    first_names: tuple[str, ...]
    first_cum_weights: tuple[float, ...]
    last_names: tuple[str, ...]
    last_cum_weights: tuple[float, ...]


@cache
def _lexicon() -> _Lexicon:
    """faker's English word and name lists, loaded once (faker itself is never called)."""
    from faker.providers.lorem.en_US import Provider as Lorem
    from faker.providers.person.en_US import Provider as Person

    words = tuple(Lorem.word_list)
    return _Lexicon(
        words=words,
        capitals={word: word[0].upper() + word[1:] for word in words},
        by_code=(words * (65536 // len(words) + 1))[:65536],
        first_names=tuple(Person.first_names),
        first_cum_weights=tuple(itertools.accumulate(Person.first_names.values())),
        last_names=tuple(Person.last_names),
        last_cum_weights=tuple(itertools.accumulate(Person.last_names.values())),
    )


class _Prose:
    """Sentences, names and citations drawn from one seeded Random.

    Words are drawn up front into a fixed run of text, and a sentence of n words is a slice of
    it at a random offset. One draw per sentence instead of one per word makes the generator
    several times faster; the run stops growing at a million words, so memory stays flat.
    """

    def __init__(self, rng: random.Random, run_words: int = 1 << 12) -> None:
        self.rng = rng
        self._lex = _lexicon()
        codes = array("H", rng.randbytes(2 * run_words))
        if sys.byteorder == "big":  # the same bytes give the same words on every machine
            codes.byteswap()
        self._run = list(map(self._lex.by_code.__getitem__, codes))
        self._last_start = run_words - 30  # phrases are shorter than 30 words

    def words(self, n_words: int) -> str:
        first = int(self.rng.random() * self._last_start)
        return " ".join(self._run[first : first + n_words])

    def sentence_words(self, n_words: int) -> list[str]:
        """A sentence as a list of words, capitalised and with its full stop."""
        first = int(self.rng.random() * self._last_start)
        words = self._run[first : first + n_words]
        words[0] = self._lex.capitals[words[0]]
        words[-1] += "."
        return words

    def phrase(self, n_words: int) -> str:
        text = self.words(n_words)
        return text[0].upper() + text[1:]

    def sentence(self, n_words: int) -> str:
        return self.phrase(n_words) + "."

    def topical_sentence(self, topic: Topic) -> str:
        rng = self.rng
        clause = topic.clauses[int(rng.random() * len(topic.clauses))]
        lead = self.words(2 + int(rng.random() * 4))
        if rng.random() < 0.5:
            return f"{lead[0].upper()}{lead[1:]}, {clause}."
        return f"{clause[0].upper()}{clause[1:]}, {lead}."

    def name_parts(self) -> tuple[str, str]:
        lex, rng = self._lex, self.rng
        first = rng.choices(lex.first_names, cum_weights=lex.first_cum_weights)[0]
        last = rng.choices(lex.last_names, cum_weights=lex.last_cum_weights)[0]
        return first, last

    def person(self) -> str:
        return " ".join(self.name_parts())

    def citation(self) -> tuple[str, str | None]:
        rng = self.rng
        year = rng.randint(1995, 2025)
        title = self.phrase(rng.randint(2, 6)).title()
        first, last = self.name_parts()
        text = (
            f'{last}, {first}. "{title}." {rng.choice(CITATION_VENUES)}, '
            f"{rng.choice(CITATION_PLACES)}. Pg. {rng.randint(1, 300)}. {year}."
        )
        url = (
            f"https://www.example.org/docs/{year}/{slugify(title)}" if rng.random() < 0.5 else None
        )
        return text, url


class _Zipf:
    """Picks ids 1..n, id 1 most often (weight 1 / id ** exponent)."""

    def __init__(self, n: int, exponent: float) -> None:
        self._ids = range(1, n + 1)
        self._cum_weights = list(itertools.accumulate(1 / i**exponent for i in self._ids))

    def pick(self, rng: random.Random) -> int:
        return rng.choices(self._ids, cum_weights=self._cum_weights)[0]

    def distinct(self, rng: random.Random, k: int) -> list[int]:
        picked: list[int] = []
        while len(picked) < min(k, len(self._ids)):
            pick = self.pick(rng)
            if pick not in picked:
                picked.append(pick)
        return picked


def _rng(seed: int, stream: str) -> random.Random:
    return random.Random(f"colophon-demo:{seed}:{stream}")


def _authors(rng: random.Random, n: int) -> Iterator[Row]:
    prose, taken = _Prose(rng), {seed_article.AUTHOR["slug"]}
    for author_id in range(1, n + 1):
        name = prose.person()
        job = rng.choice(JOB_TITLES)
        focus, also = rng.sample(TOPICS, 2)
        article = "an" if job[0] in "AEIOU" else "a"
        bio = " ".join(
            (
                f"{name} is {article} {job.lower()} at the institute, focusing on "
                f"{focus.field} and {also.field}.",
                prose.sentence(rng.randint(8, 18)),
                prose.topical_sentence(focus),
            )
        )
        slug = _unique_slug(slugify(name), taken)
        yield {"id": author_id, "slug": slug, "name": name, "job_title": job, "bio": bio}


def _taxonomy(rng: random.Random, names: Sequence[str], n: int) -> Iterator[Row]:
    prose, taken = _Prose(rng), set[str]()
    for item_id in range(1, n + 1):
        name = names[item_id - 1] if item_id <= len(names) else prose.phrase(2).title()
        description = f"Analysis and commentary filed under {name}. " + prose.sentence(
            rng.randint(8, 16)
        )
        slug = _unique_slug(slugify(name), taken)
        yield {"id": item_id, "slug": slug, "name": name, "description": description}


def _tags(rng: random.Random, n: int) -> Iterator[Row]:
    prose, taken = _Prose(rng), set[str]()
    for tag_id in range(1, n + 1):
        name = TAG_NAMES[tag_id - 1] if tag_id <= len(TAG_NAMES) else prose.phrase(2).lower()
        yield {"id": tag_id, "slug": _unique_slug(slugify(name), taken), "name": name}


@dataclass
class _Paragraph:
    """Words and whole sentences, to be joined by spaces; where each sentence ends."""

    tokens: list[str]
    sentence_ends: list[int]


class _Publications:
    """Publication records 1..n, each drawn in turn from one seeded Random."""

    def __init__(self, rng: random.Random, size: DatasetSize) -> None:
        run_words = min(1 << 20, 1024 + 256 * size.publications)
        self.rng, self.prose, self.n = rng, _Prose(rng, run_words), size.publications
        self.categories = _Zipf(size.categories, 1.3)
        self.series = _Zipf(size.series, 1.5)
        self.tags = _Zipf(size.tags, 0.8)
        self.authors = _Zipf(size.authors, 0.7)

    def __iter__(self) -> Iterator[Row]:
        return map(self.make, range(1, self.n + 1))

    def make(self, pid: int) -> Row:
        rng = self.rng
        topics = self.topics(pid)
        title = self.title(pid, topics)
        subtitle = self.prose.phrase(rng.randint(6, 14)) if rng.random() < 0.6 else None
        published, updated = self.dates(pid)
        paragraphs = self.paragraphs(topics)
        footnotes = self.footnotes(paragraphs)
        body = "\n\n".join(" ".join(p.tokens) for p in paragraphs)
        return {
            "id": pid,
            "slug": f"{slugify(title)}-{pid}",
            "title": title,
            "subtitle": subtitle,
            "status": "published" if rng.random() < 0.97 else "draft",
            "published_at": _iso(published),
            "updated_at": _iso(updated),
            "series_id": self.series.pick(rng) if rng.random() < 0.7 else None,
            "category_ids": self.categories.distinct(rng, 1 if rng.random() < 0.7 else 2),
            "tag_ids": self.tags.distinct(rng, rng.randint(0, 5)),
            "author_ids": self.authors.distinct(rng, rng.choices(*BYLINE_LENGTHS)[0]),
            "excerpt": excerpt_of(body),
            "body_markdown": body,
            "footnotes": footnotes,
            "featured_image": self.image(pid),
        }

    def topics(self, pid: int) -> list[Topic]:
        """One to three topics, the main one first; every 250th publication is about Mongolia."""
        picks = self.rng.choices(TOPICS, cum_weights=TOPIC_CUM_WEIGHTS, k=self.rng.randint(1, 3))
        topics = list(dict.fromkeys(picks))
        if pid % 250 == 7 and TOPICS[MONGOLIA] not in topics:
            topics.insert(0, TOPICS[MONGOLIA])
        return topics

    def title(self, pid: int, topics: list[Topic]) -> str:
        """A title on the main topic, naming a second one; Mongolia appears only if on topic."""
        rng, mongolia = self.rng, TOPICS[MONGOLIA]
        seconds = [t for t in topics[1:] if t is not mongolia] or TOPICS[:MONGOLIA]
        other = rng.choice(rng.choice(seconds).keywords)
        if pid % 250 == 7 or (mongolia in topics and rng.random() < 0.3):
            title = rng.choice(MONGOLIA_TITLES).format(other=other)
        else:
            if other in topics[0].keywords:
                other = "Northeast Asia"
            title = rng.choice(TITLE_TEMPLATES).format(
                kw=rng.choice(topics[0].keywords), other=other
            )
        if not title.endswith("?") and rng.random() < 0.5:  # keeps more titles distinct
            title = f"{title}: {self.prose.phrase(rng.randint(2, 5))}"
        return title[0].upper() + title[1:]

    def dates(self, pid: int) -> tuple[int, int]:
        """Publication pid gets its own slice of the time span, so dates strictly increase."""
        span = PUBLISHED_BEFORE - FIRST_PUBLISHED
        start = FIRST_PUBLISHED + (pid - 1) * span // self.n
        end = FIRST_PUBLISHED + pid * span // self.n
        published = start + self.rng.randrange(end - start)
        edited = self.rng.random() < 0.7
        return published, published + (int(self.rng.expovariate(1 / 1_728_000)) if edited else 0)

    def paragraphs(self, topics: list[Topic]) -> list[_Paragraph]:
        """4-14 paragraphs, about 300-1,400 words, one sentence in four on a topic."""
        target = self.rng.randint(300, 1400)
        count = self.rng.randint(max(4, -(-target // 150)), min(14, target // 40))
        return [self.paragraph(target // count, topics) for _ in range(count)]

    def paragraph(self, n_words: int, topics: list[Topic]) -> _Paragraph:
        rng, prose = self.rng, self.prose
        paragraph = _Paragraph([], [])
        words = 0
        while words < n_words:
            left = n_words - words
            if left >= 12 and rng.random() < 0.25:
                sentence = prose.topical_sentence(topics[int(rng.random() * len(topics))])
                paragraph.tokens.append(sentence)
                words += sentence.count(" ") + 1
            else:
                length = max(3, min(8 + int(rng.random() * 17), left))  # 8-24 words
                paragraph.tokens += prose.sentence_words(length)
                words += length
            paragraph.sentence_ends.append(len(paragraph.tokens) - 1)
        return paragraph

    def footnotes(self, paragraphs: list[_Paragraph]) -> list[Row]:
        """Marks sentences with [^1], [^2]... in reading order; returns the footnotes."""
        ends = [(p.tokens, end) for p in paragraphs for end in p.sentence_ends]
        wanted = min(self.rng.choice(FOOTNOTE_COUNTS), len(ends))
        notes = []
        for number, slot in enumerate(sorted(self.rng.sample(range(len(ends)), wanted)), 1):
            tokens, end = ends[slot]
            tokens[end] += f"[^{number}]"
            text, url = self.prose.citation()
            notes.append({"number": number, "text": text, "url": url})
        return notes

    def image(self, pid: int) -> Row | None:
        rng = self.rng
        if rng.random() >= 0.8:
            return None
        if rng.random() < 0.7:
            credit = f"Photo by {self.prose.person()} on {rng.choice(PHOTO_HOSTS)}"
        else:
            credit = f"Photo from {rng.choice(PHOTO_AGENCIES)}"
        return {
            "url": f"https://images.example.org/publications/{pid}.jpg",
            "alt": self.prose.phrase(rng.randint(4, 10)),
            "credit": credit,
            "license": rng.choice(LICENSES),
        }


def _seed_author(author_id: int) -> Row:
    return {"id": author_id, **seed_article.AUTHOR}


def _seed_publication(publication_id: int, author_id: int) -> Row:
    return {
        "id": publication_id,
        "slug": seed_article.SLUG,
        "title": seed_article.TITLE,
        "subtitle": None,
        "status": "published",
        "published_at": seed_article.PUBLISHED_AT,
        "updated_at": seed_article.PUBLISHED_AT,
        "series_id": seed_article.SERIES_ID,
        "category_ids": [seed_article.CATEGORY_ID],
        "tag_ids": [],
        "author_ids": [author_id],
        "excerpt": excerpt_of(seed_article.BODY_MARKDOWN),
        "body_markdown": seed_article.BODY_MARKDOWN,
        "footnotes": list(seed_article.FOOTNOTES),
        "featured_image": seed_article.FEATURED_IMAGE,
        "editorial_notes": seed_article.EDITORIAL_NOTES,
    }


def _write_ndjson(
    path: Path, rows: Iterable[Row], on_row: Callable[[], None] | None = None
) -> None:
    """Writes beside the target and renames, so a reader never sees a half-written file."""
    partial = path.with_name(f".{path.name}.partial")
    try:
        with partial.open("wb", buffering=1 << 20) as out:
            for row in rows:
                out.write(orjson.dumps(row, option=orjson.OPT_APPEND_NEWLINE))
                if on_row is not None:
                    on_row()
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def _check(size: DatasetSize) -> None:
    for field in ("authors", "categories", "series", "tags"):
        if getattr(size, field) < 1:
            raise ValueError(f"need at least one of {field}")
    if not 0 <= size.publications <= PUBLISHED_BEFORE - FIRST_PUBLISHED:
        raise ValueError("publications must fit one per second between 2008 and mid-2025")


def write_dataset(
    out_dir: Path,
    size: DatasetSize = DatasetSize(),
    *,
    seed: int = 42,
    on_publication: Callable[[], None] | None = None,
) -> None:
    """Writes the five files (generated records, then the seed article last)."""
    _check(size)
    out_dir.mkdir(parents=True, exist_ok=True)
    seed_author_id = size.authors + 1
    _write_ndjson(
        out_dir / "authors.ndjson",
        itertools.chain(
            _authors(_rng(seed, "authors"), size.authors), [_seed_author(seed_author_id)]
        ),
    )
    _write_ndjson(
        out_dir / "categories.ndjson",
        _taxonomy(_rng(seed, "categories"), CATEGORY_NAMES, size.categories),
    )
    _write_ndjson(
        out_dir / "series.ndjson", _taxonomy(_rng(seed, "series"), SERIES_NAMES, size.series)
    )
    _write_ndjson(out_dir / "tags.ndjson", _tags(_rng(seed, "tags"), size.tags))
    publications = _Publications(_rng(seed, "publications"), size)
    seed_publication = _seed_publication(size.publications + 1, seed_author_id)
    _write_ndjson(
        out_dir / "publications.ndjson",
        itertools.chain(publications, [seed_publication]),
        on_publication,
    )
