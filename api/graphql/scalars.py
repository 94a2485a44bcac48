"""Scalars beyond GraphQL's own."""

import re
from datetime import date, datetime
from typing import Any, NewType

import strawberry

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _parse_day_or_instant(value: object) -> date | datetime:
    if not isinstance(value, str):
        raise ValueError("expected an ISO-8601 date or date-time string")
    if _DAY.fullmatch(value):
        return date.fromisoformat(value)
    # Python 3.11 reads every ISO-8601 form GraphQL clients send, "Z" included.
    return datetime.fromisoformat(value)


def _serialize(value: date | datetime) -> str:
    return value.isoformat()


# A date for a whole day, a datetime for an instant: what REST's `published_after` takes.
DateOrDateTime = NewType("DateOrDateTime", object)

SCALARS: dict[object, Any] = {
    DateOrDateTime: strawberry.scalar(
        name="DateOrDateTime",
        description=(
            "An ISO-8601 date (`2017-06-14`: the whole day, UTC) or date-time "
            "(`2017-06-14T12:00:00Z`: that instant; without a zone, UTC)."
        ),
        serialize=_serialize,
        parse_value=_parse_day_or_instant,
    )
}
