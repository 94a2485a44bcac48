"""Slugs: generated from titles and names (transliterated to ASCII), unique, always with a
letter so they can never be mistaken for an id."""

from slugify import slugify as _slugify

from models.entity import SLUG_MAX_LENGTH

GENERATED_LENGTH = 70
_DROPPED = [["'", ""], ["’", ""]]  # "Korea's" is "koreas", not "korea-s"


def slugify(text: str, *, fallback: str = "untitled") -> str:
    """`Can Mongolia Help?` → `can-mongolia-help`; `한국 경제` → `hangug-gyeongje`. A text
    with no letter gets the fallback word in front, so the slug still has one."""
    slug = _slugify(text, max_length=GENERATED_LENGTH, word_boundary=True, replacements=_DROPPED)
    if not any("a" <= c <= "z" for c in slug):
        slug = f"{fallback}-{slug}".strip("-")
    return slug[:SLUG_MAX_LENGTH]


def numbered(slug: str, n: int) -> str:
    """The n-th candidate for a taken slug: `title`, `title-2`, `title-3` …"""
    if n <= 1:
        return slug
    suffix = f"-{n}"
    return slug[: SLUG_MAX_LENGTH - len(suffix)] + suffix
