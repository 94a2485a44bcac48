"""Path segments that name a resource by id or by slug."""

# Ids are 64-bit integers on both databases; a longer run of digits can name nothing.
MAX_ID = 2**63 - 1


def parse_reference(value: str) -> int | str | None:
    """An `{id_or_slug}`: digits alone are an id (a slug always contains a letter).

    None means the value cannot name anything, so callers answer 404 without a query.
    """
    if value.isascii() and value.isdigit():
        number = int(value)
        return number if 0 < number <= MAX_ID else None
    return value
