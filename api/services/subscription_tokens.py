"""The signed tokens in a mailing-list message: one confirms a subscription (it expires), one
unsubscribes (it does not: a years-old message must still let its reader leave).

Nothing is stored: a token names the subscriber, signed with the secret key under an audience
of its own, so neither can stand in for the other or for a preview or access token.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

from api.errors import Invalid
from models import utcnow

ALGORITHM = "HS256"
CONFIRM_AUDIENCE = "colophon:subscription:confirm"
UNSUBSCRIBE_AUDIENCE = "colophon:subscription:unsubscribe"
CONFIRM_LIFETIME = timedelta(days=3)


@dataclass(frozen=True, slots=True)
class Confirmation:
    subscriber_id: int
    issued_at: datetime


def confirm_token(subscriber_id: int, secret: str, now: datetime | None = None) -> str:
    issued = now or utcnow()
    claims = {
        "sub": str(subscriber_id),
        "aud": CONFIRM_AUDIENCE,
        "iat": issued,
        "exp": issued + CONFIRM_LIFETIME,
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def unsubscribe_token(subscriber_id: int, secret: str) -> str:
    claims = {"sub": str(subscriber_id), "aud": UNSUBSCRIBE_AUDIENCE}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def read_confirm_token(token: str, secret: str) -> Confirmation:
    """The subscriber a valid, unexpired confirmation token names; `Invalid` naming `token`
    otherwise (code `token_expired` when only its time has run out, so a page can offer to
    sign up again)."""
    claims = _decode(token, secret, CONFIRM_AUDIENCE, required=["sub", "iat", "exp"])
    issued = claims["iat"]
    if not isinstance(issued, int | float):
        raise Invalid.field("token", "the link is not valid", "invalid_token")
    return Confirmation(_subscriber_id(claims), datetime.fromtimestamp(issued, UTC))


def read_unsubscribe_token(token: str, secret: str) -> int:
    return _subscriber_id(_decode(token, secret, UNSUBSCRIBE_AUDIENCE, required=["sub"]))


def _decode(token: str, secret: str, audience: str, *, required: list[str]) -> dict[str, object]:
    try:
        claims: dict[str, object] = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=audience,
            options={"require": required},
        )
    except jwt.ExpiredSignatureError:
        raise Invalid.field("token", "the link has expired", "token_expired") from None
    except jwt.InvalidTokenError:
        raise Invalid.field("token", "the link is not valid", "invalid_token") from None
    return claims


def _subscriber_id(claims: dict[str, object]) -> int:
    subject = claims["sub"]
    if not isinstance(subject, str) or not subject.isdigit():
        raise Invalid.field("token", "the link is not valid", "invalid_token")
    return int(subject)
