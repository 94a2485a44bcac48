"""`If-Match` on writes: the version a change is based on. Missing is `428`, stale `412`."""

from typing import Annotated

from fastapi import Header

from api.errors import PreconditionFailed, PreconditionRequired

IfMatch = Annotated[
    str | None,
    Header(description='The version the change is based on, in quotes: `"3"`.'),
]


def expected_version(if_match: str | None, current: int, *, required: bool = True) -> int | None:
    """`If-Match: "<version>"` (or `*`): missing is 428 where required, stale is 412."""
    if if_match is None:
        if required:
            raise PreconditionRequired('send If-Match: "<version>" with the version you edited')
        return None
    value = if_match.strip()
    if value == "*":
        return current
    try:
        return int(value.strip('"'))
    except ValueError:
        raise PreconditionFailed(f"If-Match {value!r} names no version") from None
