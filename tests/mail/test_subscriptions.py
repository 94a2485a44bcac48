"""The mailing list end to end: sign up, the mail in a real SMTP conversation, the page its
link opens, confirming by POST, one-click unsubscribing; and nothing that tells a stranger
whether an address is on the list."""

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.services import subscription_tokens
from api.settings import Settings
from models import AuditEvent, Subscriber, SubscriberStatus, utcnow
from tests.content import Content
from tests.mail.smtp_sink import SmtpSink

SUBSCRIPTIONS = "/api/v1/subscriptions"
READER = "reader@example.org"
ONE_CLICK = {"content": b"List-Unsubscribe=One-Click",
             "headers": {"Content-Type": "application/x-www-form-urlencoded"}}  # fmt: skip


@pytest.fixture
async def topics(content: Content) -> list[str]:
    await content.series("The Peninsula")
    await content.category("Inter-Korean")
    return ["series:the-peninsula", "category:inter-korean"]


async def subscriber(session: AsyncSession, address: str = READER) -> Subscriber:
    session.expire_all()
    row = await session.scalar(select(Subscriber).where(col(Subscriber.email) == address))
    assert row is not None
    return row


def token_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["token"][0]


def link_in(text: str, path: str) -> str:
    found = re.search(rf"https?://\S+{re.escape(path)}\S*[?&]token=\S+", text)
    assert found, text
    return found.group(0)


def _lasting_headers(response: httpx.Response) -> tuple[tuple[str, str], ...]:
    """The headers, less those that change with every request (its id, partner limits)."""
    return tuple(sorted(
        (name, value) for name, value in response.headers.items()
        if name != "x-request-id" and not name.startswith("ratelimit-")
    ))  # fmt: skip


class TestDoubleOptIn:
    async def test_the_whole_round_trip_through_smtp(
        self,
        client: httpx.AsyncClient,
        smtp: SmtpSink,
        session: AsyncSession,
        topics: list[str],
    ) -> None:
        answer = await client.post(SUBSCRIPTIONS, json={"email": " Reader@Example.ORG ",
                                                        "topics": topics})  # fmt: skip
        assert answer.status_code == 202, answer.text
        assert READER not in answer.text
        assert (await subscriber(session)).status == SubscriberStatus.PENDING

        [mail] = smtp.messages
        assert mail.recipients == [READER]
        assert smtp.logins == [("reader@list", "s3cret")]
        message = mail.message
        assert message["To"] == READER
        assert message["From"] == "Colophon <no-reply@example.org>"
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        one_click = message["List-Unsubscribe"]
        assert one_click.startswith("<http://testserver/api/v1/subscriptions/unsubscribe?token=")
        assert one_click.endswith(">")
        text = message.get_content()
        assert "The Peninsula, Inter-Korean" in text
        confirm_link = link_in(text, "/subscriptions/confirm")
        assert confirm_link.startswith("http://testserver/subscriptions/confirm?token=")
        link_in(text, "/subscriptions/unsubscribe")

        # A mail scanner opens the link: the page, and nothing confirmed.
        page = await client.get(urlsplit(confirm_link)._replace(scheme="", netloc="").geturl())
        assert page.status_code == 200
        assert "Yes, subscribe me" in page.text
        assert (await subscriber(session)).status == SubscriberStatus.PENDING

        confirmed = await client.post(
            f"{SUBSCRIPTIONS}/confirm", json={"token": token_of(confirm_link)}
        )
        assert confirmed.status_code == 200, confirmed.text
        assert confirmed.json() == {"data": {"status": "confirmed", "topics": topics}}
        row = await subscriber(session)
        assert row.status == SubscriberStatus.CONFIRMED
        assert row.confirmed_at is not None
        assert row.topics == topics

        # The mail client's one-click POST, to the header's URL as it is.
        left = await client.post(one_click.strip("<>"), **ONE_CLICK)  # type: ignore[arg-type]
        assert left.status_code == 200, left.text
        assert left.json() == {"data": {"status": "unsubscribed"}}
        assert (await subscriber(session)).status == SubscriberStatus.UNSUBSCRIBED
        actions = (await session.scalars(select(col(AuditEvent.action)))).all()
        assert {"subscriber.confirm", "subscriber.unsubscribe"} <= set(actions)

    async def test_links_use_the_scheme_and_host_the_request_came_in_on(
        self, client: httpx.AsyncClient, smtp: SmtpSink
    ) -> None:
        answer = await client.post(
            f"https://news.example.org{SUBSCRIPTIONS}", json={"email": READER}
        )
        assert answer.status_code == 202
        header = smtp.messages[0].message["List-Unsubscribe"]
        assert header.startswith("<https://news.example.org/api/v1/subscriptions/unsubscribe?")

    async def test_the_frontends_page_when_configured(
        self, client: httpx.AsyncClient, smtp: SmtpSink, mail_settings: Settings
    ) -> None:
        mail_settings.subscription_confirm_url = "https://www.example.org/newsletter?from=mail"
        await client.post(SUBSCRIPTIONS, json={"email": READER})
        link = link_in(smtp.messages[0].message.get_content(), "/newsletter")
        assert link.startswith("https://www.example.org/newsletter?from=mail&token=")

    async def test_a_get_never_confirms_or_unsubscribes(
        self, client: httpx.AsyncClient, session: AsyncSession, smtp: SmtpSink
    ) -> None:
        await client.post(SUBSCRIPTIONS, json={"email": READER})
        text = smtp.messages[0].message.get_content()
        confirm_token = token_of(link_in(text, "/subscriptions/confirm"))
        for path in ("/subscriptions/confirm", f"{SUBSCRIPTIONS}/confirm",
                     f"{SUBSCRIPTIONS}/unsubscribe"):  # fmt: skip
            await client.get(path, params={"token": confirm_token})
        assert (await subscriber(session)).status == SubscriberStatus.PENDING
        api_get = await client.get(f"{SUBSCRIPTIONS}/unsubscribe", params={"token": "x"})
        assert api_get.status_code == 405


class TestNoEnumeration:
    async def test_every_well_formed_address_gets_the_same_answer(
        self, client: httpx.AsyncClient, session: AsyncSession, smtp: SmtpSink
    ) -> None:
        for address, status in (
            ("pending@example.org", SubscriberStatus.PENDING),
            ("confirmed@example.org", SubscriberStatus.CONFIRMED),
            ("left@example.org", SubscriberStatus.UNSUBSCRIBED),
        ):
            session.add(Subscriber(email=address, status=status))
        await session.commit()
        answers = [
            await client.post(SUBSCRIPTIONS, json={"email": address})
            for address in ("new@example.org", "pending@example.org",
                            "confirmed@example.org", "left@example.org")
        ]  # fmt: skip
        shown = {(a.status_code, a.content, _lasting_headers(a)) for a in answers}
        assert len(shown) == 1, shown
        # Only the confirmed address is mailed nothing.
        assert sorted(m.recipients[0] for m in smtp.messages) == [
            "left@example.org", "new@example.org", "pending@example.org"]  # fmt: skip

    async def test_a_confirmed_address_keeps_its_topics(
        self,
        client: httpx.AsyncClient,
        session: AsyncSession,
        smtp: SmtpSink,
        topics: list[str],
    ) -> None:
        session.add(Subscriber(email=READER, status=SubscriberStatus.CONFIRMED, topics=topics))
        await session.commit()
        answer = await client.post(SUBSCRIPTIONS, json={"email": READER, "topics": []})
        assert answer.status_code == 202
        assert smtp.messages == []
        row = await subscriber(session)
        assert (row.status, row.topics) == (SubscriberStatus.CONFIRMED, topics)

    async def test_an_unsubscribed_address_may_subscribe_again(
        self, client: httpx.AsyncClient, session: AsyncSession, smtp: SmtpSink
    ) -> None:
        session.add(Subscriber(email=READER, status=SubscriberStatus.UNSUBSCRIBED,
                               unsubscribed_at=utcnow() - timedelta(days=1)))  # fmt: skip
        await session.commit()
        await client.post(SUBSCRIPTIONS, json={"email": READER})
        token = token_of(link_in(smtp.messages[0].message.get_content(), "/confirm"))
        assert (await client.post(f"{SUBSCRIPTIONS}/confirm", json={"token": token})).is_success
        assert (await subscriber(session)).status == SubscriberStatus.CONFIRMED


class TestValidation:
    @pytest.mark.parametrize(
        "address",
        ["", "reader", "reader@", "@example.org", "reader@example", "two@@example.org",
         "reader @example.org", "reader@exa_mple.org", "=formula@example.org",
         "reader@example.123", "a" * 65 + "@example.org", "rëader@example.org"],
    )  # fmt: skip
    async def test_a_malformed_address_is_422(
        self, client: httpx.AsyncClient, smtp: SmtpSink, address: str
    ) -> None:
        answer = await client.post(SUBSCRIPTIONS, json={"email": address})
        assert answer.status_code == 422, address
        assert answer.json()["errors"][0]["field"] == "email"
        assert smtp.messages == []

    async def test_an_international_domain_is_stored_in_ascii(
        self, client: httpx.AsyncClient, session: AsyncSession
    ) -> None:
        answer = await client.post(SUBSCRIPTIONS, json={"email": "leser@bücher.example"})
        assert answer.status_code == 202
        assert await subscriber(session, "leser@xn--bcher-kva.example")

    async def test_unknown_topics_are_422_naming_each(
        self, client: httpx.AsyncClient, topics: list[str]
    ) -> None:
        answer = await client.post(SUBSCRIPTIONS, json={
            "email": READER, "topics": [topics[0], "series:nope", "category:nope"]})  # fmt: skip
        assert answer.status_code == 422
        assert [e["field"] for e in answer.json()["errors"]] == ["topics.1", "topics.2"]
        malformed = await client.post(SUBSCRIPTIONS, json={"email": READER, "topics": ["tag:x"]})
        assert malformed.status_code == 422
        assert malformed.json()["errors"][0]["field"] == "topics.0"

    async def test_unknown_fields_and_non_json_are_refused(self, client: httpx.AsyncClient) -> None:
        extra = await client.post(SUBSCRIPTIONS, json={"email": READER, "name": "R"})
        assert extra.status_code == 422
        form = await client.post(SUBSCRIPTIONS, data={"email": READER})
        assert form.status_code == 415


class TestTokens:
    async def test_an_expired_confirmation_says_so(
        self, client: httpx.AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        row = Subscriber(email=READER)
        session.add(row)
        await session.commit()
        assert row.id is not None
        old = utcnow() - subscription_tokens.CONFIRM_LIFETIME - timedelta(seconds=1)
        token = subscription_tokens.confirm_token(row.id, settings.resolved_secret_key(), old)
        answer = await client.post(f"{SUBSCRIPTIONS}/confirm", json={"token": token})
        assert answer.status_code == 422
        [error] = answer.json()["errors"]
        assert (error["field"], error["code"]) == ("token", "token_expired")

    async def test_a_link_from_before_unsubscribing_no_longer_confirms(
        self, client: httpx.AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        row = Subscriber(email=READER, status=SubscriberStatus.UNSUBSCRIBED,
                         unsubscribed_at=utcnow())  # fmt: skip
        session.add(row)
        await session.commit()
        assert row.id is not None
        earlier = utcnow() - timedelta(hours=1)
        token = subscription_tokens.confirm_token(row.id, settings.resolved_secret_key(), earlier)
        answer = await client.post(f"{SUBSCRIPTIONS}/confirm", json={"token": token})
        assert answer.status_code == 422
        assert (await subscriber(session)).status == SubscriberStatus.UNSUBSCRIBED

    async def test_tokens_do_not_stand_in_for_each_other(
        self, client: httpx.AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        row = Subscriber(email=READER)
        session.add(row)
        await session.commit()
        assert row.id is not None
        secret = settings.resolved_secret_key()
        confirm = subscription_tokens.confirm_token(row.id, secret)
        leave = subscription_tokens.unsubscribe_token(row.id, secret)
        forged = subscription_tokens.unsubscribe_token(row.id, "another-secret-" * 3)
        for path, token in (("confirm", leave), ("confirm", "not.a.token"),
                            ("unsubscribe", confirm), ("unsubscribe", forged)):  # fmt: skip
            answer = await client.post(f"{SUBSCRIPTIONS}/{path}", json={"token": token})
            assert answer.status_code == 422, (path, token)
            assert answer.json()["errors"][0]["code"] == "invalid_token"
        assert (await subscriber(session)).status == SubscriberStatus.PENDING


class TestUnsubscribe:
    @pytest.fixture
    async def leave_token(self, session: AsyncSession, settings: Settings) -> str:
        row = Subscriber(email=READER, status=SubscriberStatus.CONFIRMED)
        session.add(row)
        await session.commit()
        assert row.id is not None
        return subscription_tokens.unsubscribe_token(row.id, settings.resolved_secret_key())

    async def test_json_with_the_token_in_the_body(
        self, client: httpx.AsyncClient, session: AsyncSession, leave_token: str
    ) -> None:
        answer = await client.post(f"{SUBSCRIPTIONS}/unsubscribe", json={"token": leave_token})
        assert answer.status_code == 200
        assert (await subscriber(session)).status == SubscriberStatus.UNSUBSCRIBED
        again = await client.post(f"{SUBSCRIPTIONS}/unsubscribe", json={"token": leave_token})
        assert again.status_code == 200

    async def test_an_empty_post_with_the_token_in_the_url(
        self, client: httpx.AsyncClient, session: AsyncSession, leave_token: str
    ) -> None:
        answer = await client.post(f"{SUBSCRIPTIONS}/unsubscribe", params={"token": leave_token})
        assert answer.status_code == 200
        assert (await subscriber(session)).status == SubscriberStatus.UNSUBSCRIBED

    async def test_bad_requests(self, client: httpx.AsyncClient) -> None:
        path = f"{SUBSCRIPTIONS}/unsubscribe"
        missing = await client.post(path, **ONE_CLICK)  # type: ignore[arg-type]
        assert (missing.status_code, missing.json()["errors"][0]["field"]) == (422, "token")
        broken = await client.post(path, content=b"{", headers={"Content-Type": "application/json"})
        assert broken.status_code == 400
        text = await client.post(path, content=b"token", headers={"Content-Type": "text/plain"})
        assert text.status_code == 415
        wrong = await client.post(path, json={"token": 7})
        assert wrong.status_code == 422
