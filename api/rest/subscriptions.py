"""`/subscriptions`: joining the mailing list (double opt-in), confirming, unsubscribing.

The answer to a sign-up never says whether the address was known, and takes the same time
either way: the confirmation is mailed after the answer has gone, by a background task.
"""

from email.message import EmailMessage
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response

from api.errors import BadRequest, Invalid, UnsupportedMediaType
from api.logging import get_logger
from api.mail import MailSender, sender_for
from api.rest.dependencies import CurrentSettings, Db
from api.rest.responses import INVALID, RATE_LIMITED
from api.rest.schemas import Problem
from api.services import subscription_limits as limits
from api.services import subscription_tokens as tokens
from api.services import subscriptions
from api.services.list_mail import Links, confirmation

router = APIRouter(tags=["mailing list"])

ACCEPTED = (
    "If this address is not on the list yet, a message with a confirmation link is on its "
    "way to it."
)
Topic = Annotated[str, StringConstraints(pattern=subscriptions.TOPIC_PATTERN, max_length=210)]
MAX_TOKEN_LENGTH = 2000
Token = Annotated[str, StringConstraints(min_length=1, max_length=MAX_TOKEN_LENGTH)]
FORM = "application/x-www-form-urlencoded"


def _address(value: str) -> str:
    return subscriptions.normalize_address(value)


class SubscriptionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Annotated[str, Field(max_length=320), AfterValidator(_address)]
    topics: list[Topic] = Field(
        default_factory=list,
        max_length=subscriptions.MAX_TOPICS,
        description="What to follow: `series:<slug>`, `category:<slug>`. None: everything.",
        examples=[["series:the-peninsula", "category:inter-korean"]],
    )


class TokenBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: Token


class Accepted(BaseModel):
    message: str = Field(examples=[ACCEPTED])


class SubscriptionState(BaseModel):
    status: str = Field(description="`confirmed` or `unsubscribed`.")
    topics: list[str] | None = Field(
        default=None, description="What the confirmed subscription follows."
    )


class AcceptedResponse(BaseModel):
    data: Accepted


class StateResponse(BaseModel):
    data: SubscriptionState


@router.post(
    "/subscriptions",
    status_code=202,
    response_model=AcceptedResponse,
    responses={**INVALID, **RATE_LIMITED},
    summary="Join the mailing list: a confirmation link is mailed to the address",
)
async def subscribe(
    request: Request, body: SubscriptionRequest, db: Db, settings: CurrentSettings
) -> Response:
    """`202` for every well-formed address, known or not, with the same body. Nothing is
    mailed to an address already confirmed. At most 20 sign-ups an hour from one client and
    5 for one address: `429` with `Retry-After`. An unknown topic is `422` naming
    `topics.N`."""
    topics = list(dict.fromkeys(body.topics))
    names = await subscriptions.topic_names(db, topics)
    secret: str = request.app.state.secret_key
    client = request.client.host if request.client else "unknown"
    await limits.spend(db, limits.PER_CLIENT, client, secret)
    await limits.spend(db, limits.PER_ADDRESS, body.email, secret)
    signup = await subscriptions.subscribe(db, body.email, topics)
    await db.commit()
    response = _json({"data": {"message": ACCEPTED}}, status_code=202)
    if signup.send_confirmation:
        links = Links(
            origin=f"{request.url.scheme}://{request.url.netloc}",
            confirm_token=tokens.confirm_token(signup.subscriber_id, secret),
            unsubscribe_token=tokens.unsubscribe_token(signup.subscriber_id, secret),
            confirm_page=settings.subscription_confirm_url,
        )
        message = confirmation(
            settings, to=body.email, topic_names=list(names.values()), links=links
        )
        response.background = BackgroundTask(_deliver, sender_for(settings), message)
    return response


@router.post(
    "/subscriptions/confirm",
    response_model=StateResponse,
    responses=INVALID,
    summary="Confirm a subscription with the token of the mailed link",
)
async def confirm(request: Request, body: TokenBody, db: Db) -> Response:
    """The page the mailed link opens calls this when its reader presses the button (mail
    scanners follow links, so opening the link alone confirms nothing). A bad token is `422`
    naming `token`; an expired one has the code `token_expired`."""
    claim = tokens.read_confirm_token(body.token, request.app.state.secret_key)
    subscriber = await subscriptions.confirm(db, claim.subscriber_id, claim.issued_at)
    await db.commit()
    return _json({"data": {"status": "confirmed", "topics": subscriber.topics}})


@router.post(
    "/subscriptions/unsubscribe",
    response_model=StateResponse,
    responses={
        400: {"model": Problem, "description": "A JSON body that cannot be parsed."},
        415: {"model": Problem, "description": "A body that is neither a form nor JSON."},
        **INVALID,
    },
    summary="Leave the mailing list (RFC 8058 one-click)",
    openapi_extra={
        "requestBody": {
            "required": False,
            "content": {
                FORM: {
                    "schema": {
                        "type": "object",
                        "properties": {"List-Unsubscribe": {"const": "One-Click"}},
                    }
                },
                "application/json": {"schema": TokenBody.model_json_schema()},
            },
        }
    },
)
async def unsubscribe(
    request: Request,
    db: Db,
    token: Annotated[
        Token | None, Query(description="The token of the message's unsubscribe link.")
    ] = None,
) -> Response:
    """Mail clients POST the `List-Unsubscribe` link with the form body
    `List-Unsubscribe=One-Click`; a page may send `{"token"}` as JSON instead. Unsubscribing
    twice is no error."""
    token = token or await _body_token(request)
    if token is None:
        raise Invalid.field("token", "the unsubscribe link's token is missing", "missing")
    subscriber_id = tokens.read_unsubscribe_token(token, request.app.state.secret_key)
    await subscriptions.unsubscribe(db, subscriber_id)
    await db.commit()
    return _json({"data": {"status": "unsubscribed"}})


async def _body_token(request: Request) -> str | None:
    """The token of a JSON body; a form body (the one-click POST) carries none."""
    body = await request.body()
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if not body or media_type == FORM:
        return None
    if media_type != "application/json":
        raise UnsupportedMediaType(f"send {FORM} or application/json")
    try:
        parsed: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise BadRequest("the body is not valid JSON") from None
    token = parsed.get("token") if isinstance(parsed, dict) else None
    if not isinstance(token, str) or not 0 < len(token) <= MAX_TOKEN_LENGTH:
        raise Invalid.field("token", "send the token as a string", "string_type")
    return token


async def _deliver(sender: MailSender, message: EmailMessage) -> None:
    """Runs after the answer is sent: a failure is logged, never shown to the client."""
    try:
        await sender.send(message)
    except Exception:
        get_logger("colophon.mail").exception("mail.failed", subject=message["Subject"])


def _json(payload: object, status_code: int = 200) -> Response:
    response = Response(
        orjson.dumps(payload), status_code=status_code, media_type="application/json"
    )
    response.headers["Cache-Control"] = "no-store"
    return response
