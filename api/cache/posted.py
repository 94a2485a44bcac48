"""GraphQL queries sent by POST, the way most GraphQL clients send every query, answered
from the response cache like GETs.

A POST's answer is shared only when the application says so (`mark_shareable`): an anonymous
query, executed without an error and without a preview. Never a mutation, whose every call
must run. Its key is the request's body itself, not a hash of it: a hash an attacker can
collide would let one query's answer be served for another's. Bodies over `MAX_BODY_BYTES`
are not cached (queries are a few hundred bytes; variables a few more).

To find the key, the body must be read before the application reads it; the application
then gets the same messages again from `replaying`.

A POST is never answered `304`: conditional requests are for GETs, and its answer carries no
ETag.
"""

from collections.abc import Mapping

from starlette.types import Message, Receive, Scope

GRAPHQL_PATH = "/graphql"
MAX_BODY_BYTES = 16 * 1024
# Set in the request's scope by the application on an answer anyone may be given.
SHAREABLE = "colophon.shareable"


def mark_shareable(scope: Scope) -> None:
    scope[SHAREABLE] = True


def is_shareable(scope: Scope) -> bool:
    return bool(scope.get(SHAREABLE, False))


def cacheable_post(scope: Scope, headers: Mapping[bytes, bytes]) -> bool:
    """A POST to `/graphql` whose body is small and announced; anonymity and previews are
    `cacheable_request`'s to decide."""
    if scope["method"] != "POST" or scope["path"] != GRAPHQL_PATH:
        return False
    if b"transfer-encoding" in headers:
        return False
    length = headers.get(b"content-length", b"")
    return length.isdigit() and int(length) <= MAX_BODY_BYTES


async def read_body(receive: Receive) -> tuple[list[Message], bytes | None]:
    """The request's messages as received, and its body: None if the client went away or
    sent more than it announced a cacheable body to be."""
    messages: list[Message] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return messages, None
        size += len(message.get("body", b""))
        if size > MAX_BODY_BYTES:
            return messages, None
        if not message.get("more_body", False):
            return messages, b"".join(m.get("body", b"") for m in messages)


def replaying(messages: list[Message], receive: Receive) -> Receive:
    """`receive` with the messages already read given again first."""
    pending = list(messages)

    async def replayed() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replayed


def body_key(content_type: bytes, body: bytes) -> bytes:
    """The part of a cache key that stands for a POST's body; a GET's is empty. The content
    type is part of it: it decides how the body is read."""
    return content_type + b"\n" + body
