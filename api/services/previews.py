"""Preview links: a signed, expiring token that shows one publication, whatever its status,
to anyone who holds it (a reviewer without an account). Nothing is stored: the token names
the publication and the moment it expires, signed with the secret key, so rotating the key
revokes every link."""

from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt

from models import utcnow

AUDIENCE = "colophon:preview"
ALGORITHM = "HS256"


@dataclass(frozen=True, slots=True)
class PreviewToken:
    token: str
    expires_at: datetime


def issue(publication_id: int, secret: str, lifetime: timedelta) -> PreviewToken:
    now = utcnow()
    expires = now + lifetime
    claims = {"sub": str(publication_id), "aud": AUDIENCE, "iat": now, "exp": expires}
    return PreviewToken(
        jwt.encode(claims, secret, algorithm=ALGORITHM), expires.replace(microsecond=0)
    )


def publication_id(token: str, secret: str) -> int | None:
    """The publication a valid, unexpired token shows; None for anything else."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            options={"require": ["exp", "sub"]},
        )
        return int(claims["sub"])
    except (jwt.InvalidTokenError, KeyError, ValueError):
        return None
