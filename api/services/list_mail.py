"""The mailing list's messages. `list_message` is the one way to build one, so every message
carries the RFC 8058 one-click unsubscribe headers a mail client turns into a button."""

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from urllib.parse import urlencode, urlsplit, urlunsplit

from api.mail import sender_address
from api.services.subscription_tokens import CONFIRM_LIFETIME
from api.settings import Settings

API_PREFIX = "/api/v1"
PAGE_PREFIX = "/subscriptions"


@dataclass(frozen=True, slots=True)
class Links:
    """Where a message's links lead. `origin` is the API's own scheme and host, as the
    request that caused the message reached it."""

    origin: str
    confirm_token: str
    unsubscribe_token: str
    confirm_page: str | None = None

    @property
    def confirm(self) -> str:
        """The page that confirms with a POST: the frontend's when configured, else ours."""
        return with_token(
            self.confirm_page or f"{self.origin}{PAGE_PREFIX}/confirm", self.confirm_token
        )

    @property
    def one_click_unsubscribe(self) -> str:
        """For mail clients (RFC 8058): they POST `List-Unsubscribe=One-Click` to it."""
        return with_token(
            f"{self.origin}{API_PREFIX}/subscriptions/unsubscribe", self.unsubscribe_token
        )

    @property
    def unsubscribe_page(self) -> str:
        """For people: a page with a button that unsubscribes (a GET changes nothing)."""
        return with_token(f"{self.origin}{PAGE_PREFIX}/unsubscribe", self.unsubscribe_token)


def with_token(url: str, token: str) -> str:
    parts = urlsplit(url)
    query = f"{parts.query}&" if parts.query else ""
    return urlunsplit(parts._replace(query=query + urlencode({"token": token})))


def list_message(
    settings: Settings, *, to: str, subject: str, text: str, links: Links
) -> EmailMessage:
    sender = sender_address(settings)
    domain = parseaddr(sender)[1].rpartition("@")[2] or None
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=domain)
    message["List-Id"] = f"{settings.site_name} <list.{domain or 'localhost'}>"
    message["List-Unsubscribe"] = f"<{links.one_click_unsubscribe}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    # No vacation or out-of-office replies to a message nobody reads replies to (RFC 3834).
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(f"{text}\n\n--\nUnsubscribe: {links.unsubscribe_page}\n")
    return message


def confirmation(
    settings: Settings, *, to: str, topic_names: list[str], links: Links
) -> EmailMessage:
    """The double opt-in message: nothing more is sent unless its link is followed."""
    site = settings.site_name
    following = f"\n\nTopics: {', '.join(topic_names)}." if topic_names else ""
    days = CONFIRM_LIFETIME.days
    text = (
        f"Someone, we hope you, asked to receive {site}'s mailing list at this address."
        f"{following}\n\n"
        f"To confirm, open this link and press the button on the page ({days} days):\n"
        f"{links.confirm}\n\n"
        "If it was not you, ignore this message: nothing more is sent unless you confirm."
    )
    return list_message(
        settings, to=to, subject=f"Confirm your subscription to {site}", text=text, links=links
    )
