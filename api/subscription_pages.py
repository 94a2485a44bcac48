"""The two pages a mailing-list message links to: `/subscriptions/confirm` and
`/subscriptions/unsubscribe`, each with the link's `?token=`.

Opening either changes nothing: mail scanners fetch every link in a message, so the page
shows a button, and only pressing it POSTs the token to the API. The pages are static (the
script reads the token from the address bar), never cached, never indexed, and send no
`Referer` that would carry the token elsewhere.
"""

import base64
import hashlib
from dataclasses import dataclass
from html import escape

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from api.settings import Settings

_SCRIPT = """
const form = document.querySelector("form");
const note = document.querySelector("output");
const button = form.querySelector("button");
const token = new URLSearchParams(location.search).get("token");
if (!token) {
  form.hidden = true;
  note.textContent = "This link is incomplete: open the whole link from the message.";
}
form.addEventListener("submit", async (event) => {
  event.preventDefault();
  button.disabled = true;
  try {
    const response = await fetch(form.dataset.endpoint, {
      method: "POST",
      headers: {"Content-Type": "application/json"},
      body: JSON.stringify({token}),
    });
    if (response.ok) {
      form.hidden = true;
      note.textContent = form.dataset.done;
      return;
    }
    const problem = await response.json().catch(() => ({}));
    const expired = (problem.errors || []).some((e) => e.code === "token_expired");
    note.textContent = expired
      ? "This link has expired: sign up again and a new one will be mailed to you."
      : "This link does not work any more.";
  } catch {
    note.textContent = "The server could not be reached; please try again.";
  }
  button.disabled = false;
});
"""
_SCRIPT_HASH = base64.b64encode(hashlib.sha256(_SCRIPT.encode()).digest()).decode()
HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        f"default-src 'none'; script-src 'sha256-{_SCRIPT_HASH}'; connect-src 'self'; "
        "style-src 'unsafe-inline'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
    "X-Content-Type-Options": "nosniff",
}


@dataclass(frozen=True, slots=True)
class Page:
    heading: str
    button: str
    endpoint: str
    done: str


CONFIRM = Page(
    heading="Confirm your subscription",
    button="Yes, subscribe me",
    endpoint="/api/v1/subscriptions/confirm",
    done="Thank you: you are subscribed.",
)
UNSUBSCRIBE = Page(
    heading="Leave the mailing list",
    button="Unsubscribe",
    endpoint="/api/v1/subscriptions/unsubscribe",
    done="You are unsubscribed: nothing more will be mailed to you.",
)


def render(page: Page, site_name: str) -> str:
    site = escape(site_name)
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{escape(page.heading)} · {site}</title>
<style>body{{font:1.1rem/1.5 system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem}}
button{{font:inherit;padding:.5rem 1.25rem;cursor:pointer}}</style>
</head>
<body>
<h1>{escape(page.heading)}</h1>
<p>{site}</p>
<form data-endpoint="{escape(page.endpoint)}" data-done="{escape(page.done)}">
<button type="submit">{escape(page.button)}</button>
</form>
<p><output aria-live="polite"></output></p>
<noscript><p>This page needs JavaScript to send your answer.</p></noscript>
<script>{_SCRIPT}</script>
</body>
</html>
"""


async def confirm_page(request: Request) -> Response:
    return _page(request, CONFIRM)


async def unsubscribe_page(request: Request) -> Response:
    return _page(request, UNSUBSCRIBE)


def _page(request: Request, page: Page) -> Response:
    settings: Settings = request.app.state.settings
    return HTMLResponse(render(page, settings.site_name), headers=HEADERS)


routes = [
    Route("/confirm", confirm_page, methods=["GET"]),
    Route("/unsubscribe", unsubscribe_page, methods=["GET"]),
]
