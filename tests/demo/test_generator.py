"""The demo-data generator: valid interchange files, deterministic, ending with the seed article."""

import re
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from api.demo import seed
from api.demo.generator import DatasetSize, excerpt_of, write_dataset

FILES = ("authors", "categories", "series", "tags", "publications")
SIZE = DatasetSize(publications=300, authors=40, categories=20, series=8, tags=60)
SLUG = re.compile(r"^(?=.*[a-z])[a-z0-9]+(?:-[a-z0-9]+)*$")
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
FOOTNOTE_REF = re.compile(r"\[\^(\d+)\]")
PUBLICATION_FIELDS = [
    "id",
    "slug",
    "title",
    "subtitle",
    "status",
    "published_at",
    "updated_at",
    "series_id",
    "category_ids",
    "tag_ids",
    "author_ids",
    "excerpt",
    "body_markdown",
    "footnotes",
    "featured_image",
]

Dataset = dict[str, list[dict[str, Any]]]


def read_dataset(directory: Path) -> Dataset:
    dataset = {}
    for name in FILES:
        raw = (directory / f"{name}.ndjson").read_bytes()
        assert raw.endswith(b"\n")
        assert b"\r" not in raw
        dataset[name] = [orjson.loads(line) for line in raw.decode("utf-8").splitlines()]
    return dataset


@pytest.fixture(scope="module")
def out_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("demo")
    write_dataset(directory, SIZE, seed=42)
    return directory


@pytest.fixture(scope="module")
def dataset(out_dir: Path) -> Dataset:
    return read_dataset(out_dir)


@pytest.fixture(scope="module")
def generated(dataset: Dataset) -> list[dict[str, Any]]:
    """The generated publications, without the seed article."""
    return dataset["publications"][:-1]


@pytest.fixture(scope="module")
def seed_publication(dataset: Dataset) -> dict[str, Any]:
    return dataset["publications"][-1]


def test_ids_run_from_one_with_the_seed_records_last(dataset: Dataset) -> None:
    expected = {
        "authors": SIZE.authors + 1,
        "categories": SIZE.categories,
        "series": SIZE.series,
        "tags": SIZE.tags,
        "publications": SIZE.publications + 1,
    }
    for name, count in expected.items():
        assert [row["id"] for row in dataset[name]] == list(range(1, count + 1)), name


def test_fields_come_in_the_documented_order(dataset: Dataset) -> None:
    assert list(dataset["authors"][0]) == ["id", "slug", "name", "job_title", "bio"]
    assert list(dataset["authors"][-1]) == ["id", "slug", "name", "job_title", "bio"]
    assert list(dataset["categories"][0]) == ["id", "slug", "name", "description"]
    assert list(dataset["series"][0]) == ["id", "slug", "name", "description"]
    assert list(dataset["tags"][0]) == ["id", "slug", "name"]
    assert all(list(row) == PUBLICATION_FIELDS for row in dataset["publications"][:-1])
    assert list(dataset["publications"][-1]) == [*PUBLICATION_FIELDS, "editorial_notes"]


def test_slugs_are_unique_and_well_formed(dataset: Dataset) -> None:
    for name in FILES:
        slugs = [row["slug"] for row in dataset[name]]
        assert len(set(slugs)) == len(slugs), name
        assert all(SLUG.match(slug) for slug in slugs), name


def test_taxonomies_start_with_the_seed_articles_category_and_series(dataset: Dataset) -> None:
    assert dataset["categories"][0]["slug"] == "inter-korean"
    assert dataset["categories"][0]["name"] == "Inter-Korean"
    assert {"North Korea", "Mongolia"} <= {row["name"] for row in dataset["categories"]}
    assert dataset["series"][0]["slug"] == "the-peninsula"
    assert dataset["series"][0]["name"] == "The Peninsula"
    assert all(row["name"] == row["name"].lower() for row in dataset["tags"])


def test_publication_slugs_end_with_their_id(generated: list[dict[str, Any]]) -> None:
    assert all(row["slug"].endswith(f"-{row['id']}") for row in generated)


def test_published_at_strictly_increases_within_the_range(
    generated: list[dict[str, Any]],
) -> None:
    published = [row["published_at"] for row in generated]
    assert all(TIMESTAMP.match(value) for value in published)
    assert published == sorted(set(published))
    assert published[0] >= "2008-01-01T00:00:00Z"
    assert published[-1] <= "2025-06-30T23:59:59Z"
    for row in generated:
        assert TIMESTAMP.match(row["updated_at"])
        assert row["updated_at"] >= row["published_at"]


def test_footnote_markers_match_the_footnotes(dataset: Dataset) -> None:
    for row in dataset["publications"]:
        markers = [int(n) for n in FOOTNOTE_REF.findall(row["body_markdown"])]
        numbers = [note["number"] for note in row["footnotes"]]
        assert markers == numbers == list(range(1, len(numbers) + 1)), row["id"]
        assert len(numbers) <= 8


def test_references_point_to_existing_records(dataset: Dataset) -> None:
    ids = {name: {row["id"] for row in dataset[name]} for name in FILES}
    for row in dataset["publications"]:
        assert row["series_id"] is None or row["series_id"] in ids["series"]
        assert set(row["category_ids"]) <= ids["categories"]
        assert set(row["tag_ids"]) <= ids["tags"]
        assert set(row["author_ids"]) <= ids["authors"]


def test_publications_have_the_documented_shape(generated: list[dict[str, Any]]) -> None:
    for row in generated:
        assert row["status"] in ("published", "draft")
        assert 1 <= len(row["category_ids"]) == len(set(row["category_ids"])) <= 2
        assert 0 <= len(row["tag_ids"]) == len(set(row["tag_ids"])) <= 5
        assert 1 <= len(row["author_ids"]) == len(set(row["author_ids"])) <= 3
        assert 4 <= len(row["body_markdown"].split("\n\n")) <= 14
        assert 300 <= len(row["body_markdown"].split()) <= 1500
        first_paragraph = FOOTNOTE_REF.sub("", row["body_markdown"].split("\n\n")[0])
        assert first_paragraph.startswith(row["excerpt"])
        assert 0 < len(row["excerpt"]) <= 300
        assert row["excerpt"].count(".") in (1, 2)  # generated sentences have one full stop
        image = row["featured_image"]
        assert image is None or list(image) == ["url", "alt", "credit", "license"]


def test_distributions_are_skewed_as_documented(generated: list[dict[str, Any]]) -> None:
    def count(key: str, value: int) -> int:
        return sum(value in row[key] for row in generated)

    categories = [count("category_ids", c) for c in range(1, SIZE.categories + 1)]
    assert categories[0] == max(categories)
    with_series = [row["series_id"] for row in generated if row["series_id"] is not None]
    assert 0.6 < len(with_series) / len(generated) < 0.8
    assert max(set(with_series), key=with_series.count) == 1
    published = sum(row["status"] == "published" for row in generated)
    assert published / len(generated) > 0.9


def test_search_words_have_very_different_frequencies(generated: list[dict[str, Any]]) -> None:
    def hits(word: str) -> int:
        pattern = re.compile(rf"\b{word}\b", re.IGNORECASE)
        return sum(
            bool(pattern.search(f"{row['title']} {row['body_markdown']}")) for row in generated
        )

    trade, mongolia = hits("trade"), hits("Mongolia")
    assert trade > hits("Kaesong") > mongolia > 0
    assert trade > 4 * mongolia


def test_every_250th_publication_is_about_mongolia(generated: list[dict[str, Any]]) -> None:
    chosen = [row for row in generated if row["id"] % 250 == 7]
    assert chosen
    assert all("Mongolia" in row["title"] for row in chosen)


def test_generated_text_never_says_mongolian(out_dir: Path) -> None:
    for name in FILES:
        lines = (out_dir / f"{name}.ndjson").read_text(encoding="utf-8").splitlines()
        if name == "publications":
            lines = lines[:-1]  # the seed article is quoted faithfully, and does say it
        assert all("Mongolian" not in line for line in lines), name


def test_same_seed_gives_identical_bytes_and_another_seed_differs(tmp_path: Path) -> None:
    size = DatasetSize(publications=40, authors=10, categories=12, series=3, tags=15)
    for run, run_seed in (("a", 7), ("b", 7), ("c", 8)):
        write_dataset(tmp_path / run, size, seed=run_seed)
    for name in FILES:
        a, b, c = (tmp_path / run / f"{name}.ndjson" for run in "abc")
        assert a.read_bytes() == b.read_bytes(), name
        if name in ("authors", "publications"):
            assert a.read_bytes() != c.read_bytes(), name


def test_more_publications_leave_the_other_files_unchanged(tmp_path: Path) -> None:
    write_dataset(tmp_path / "small", DatasetSize(publications=10, authors=10))
    write_dataset(tmp_path / "large", DatasetSize(publications=30, authors=10))
    for name in ("authors", "categories", "series", "tags"):
        small = (tmp_path / "small" / f"{name}.ndjson").read_bytes()
        assert small == (tmp_path / "large" / f"{name}.ndjson").read_bytes(), name


def test_rewrites_existing_files_and_reports_each_publication(tmp_path: Path) -> None:
    (tmp_path / "publications.ndjson").write_text("stale\n", encoding="utf-8")
    calls: list[None] = []
    size = DatasetSize(publications=12, authors=5)
    write_dataset(tmp_path, size, on_publication=lambda: calls.append(None))
    lines = (tmp_path / "publications.ndjson").read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(calls) == 13
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{n}.ndjson" for n in FILES)


@pytest.mark.parametrize("field", ["authors", "categories", "series", "tags"])
def test_rejects_empty_lists_the_seed_article_needs(tmp_path: Path, field: str) -> None:
    with pytest.raises(ValueError, match=field):
        write_dataset(tmp_path, DatasetSize(**{field: 0}))


def test_seed_author_is_juni_kim(dataset: Dataset, seed_publication: dict[str, Any]) -> None:
    juni = dataset["authors"][-1]
    assert juni == {
        "id": SIZE.authors + 1,
        "slug": "juni-kim",
        "name": "Juni Kim",
        "job_title": (
            "Program Manager and Executive Assistant, Korea Economic Institute of America (KEI)"
        ),
        "bio": (
            "Juni Kim is the Program Manager and Executive Assistant at the Korea Economic "
            "Institute of America (KEI). The views expressed here are the author’s alone."
        ),
    }
    assert seed_publication["author_ids"] == [juni["id"]]
    assert "Juni Kim is the Program Manager" not in seed_publication["body_markdown"]
    assert "author’s alone" not in seed_publication["body_markdown"]


def test_seed_article_is_faithful(seed_publication: dict[str, Any]) -> None:
    article = seed_publication
    assert article["id"] == SIZE.publications + 1
    assert article["title"] == "Can Mongolia Help Resolve Tensions on the Korean Peninsula?"
    assert article["slug"] == "can-mongolia-help-resolve-tensions-on-the-korean-peninsula"
    assert article["subtitle"] is None
    assert article["status"] == "published"
    assert article["published_at"] == article["updated_at"] == "2017-06-14T12:00:00Z"
    assert (article["category_ids"], article["series_id"], article["tag_ids"]) == ([1], 1, [])
    body = article["body_markdown"]
    assert body.startswith("Inter-Korean relations have been marked by significant setbacks")
    assert body.endswith("to encourage peace in the region and the Korean peninsula.")
    assert len(body.split("\n\n")) == 8
    assert "North Korea’s denuclearization" in body
    assert "“third neighbors,”" in body
    assert "mechanism for dialogue,”[^1] and hosting" in body
    assert "if political or nuclear crises arise.”[^2] Both Korean nations" in body
    assert "TS1" not in body
    assert "TS2" not in body
    assert "\xa0" not in body
    assert "  " not in body
    assert "[TS1] and [TS2]" in article["editorial_notes"]


def test_seed_article_footnotes_and_image(seed_publication: dict[str, Any]) -> None:
    conference = "Ulaanbaatar Dialogue on Northeast Asian Security – International Conference"
    first, second = seed_publication["footnotes"]
    assert first == {
        "number": 1,
        "text": f"Damba, Ganbat. “Keynote Speech.” {conference}. Pg. 10. 2015.",
        "url": None,
        "citation": {
            "author": "Damba, Ganbat",
            "title": "Keynote Speech",
            "container_title": conference,
            "page": "10",
            "issued": "2015",
        },
    }
    assert second["number"] == 2
    assert second["text"] == (
        "Mashbat, O. “Non-traditional security in NEA and Ulaanbaatar Dialogue.” "
        f"{conference}. Pg. 47. 2015."
    )
    assert second["url"] is None
    assert second["citation"]["author"] == "Mashbat, O."
    assert second["citation"]["page"] == "47"
    assert seed_publication["featured_image"] == {
        "url": None,
        "alt": None,
        "credit": "Photo from Francisco Anzola’s photostream on flickr",
        "license": "Creative Commons",
        "license_url": None,
        "source_url": None,
    }


def test_seed_article_excerpt_is_its_first_two_sentences(
    seed_publication: dict[str, Any],
) -> None:
    assert seed_publication["excerpt"] == (
        "Inter-Korean relations have been marked by significant setbacks in recent years. "
        "The alarming rate of both nuclear and missile tests by North Korea has strained "
        "relations between the two Koreas and previous avenues of cooperation, like the "
        "Kaesong Industrial Complex, have been discontinued."
    )
    assert seed_publication["body_markdown"] == seed.BODY_MARKDOWN


def test_seed_article_date_is_the_same_calendar_day_from_utc_minus_11_to_plus_11() -> None:
    published = datetime.fromisoformat(seed.PUBLISHED_AT)
    for hours in range(-11, 12):
        assert (published + timedelta(hours=hours)).date() == date(2017, 6, 14)


@pytest.mark.parametrize(
    ("body", "excerpt"),
    [
        ("One two.[^1] Three four. Five six.\n\nSeven.", "One two. Three four."),
        ("Only one sentence here.\n\nNext paragraph.", "Only one sentence here."),
        ("He said “yes.” Then left. Later.", "He said “yes.” Then left."),
        ("Short. " + "Long " * 80 + "sentence.", "Short."),
        ("Word " * 100 + "end.", ("Word " * 59).strip() + "…"),
    ],
)
def test_excerpt_of(body: str, excerpt: str) -> None:
    assert excerpt_of(body) == excerpt
    assert len(excerpt_of(body)) <= 300
