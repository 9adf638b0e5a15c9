"""TrueLayer's single-use credentials presented at once: one wins, the rest are refused, no 5xx.

A code, a renewal link and the dialog's Allow on that link are each claimed by one atomic
conditional UPDATE. Here 8 threads present the same one together against real server
processes (``serve`` and gunicorn, SQLite and PostgreSQL), as an app retrying on several
workers or a user double-clicking would.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

from tests.client.tl_dialog import authorize

from .served import THREADS, Served, hammer

REDIRECT = "http://localhost:3000/callback"
SCOPES = "info accounts balance transactions offline_access"


def token(served: Served, keys: tuple[str, str], **form: str) -> requests.Response:
    """POST the token endpoint with the client's credentials."""
    body = {"client_id": keys[0], "client_secret": keys[1], **form}
    return requests.post(f"{served.url}/connect/token", data=body, timeout=120)


def exchange(served: Served, keys: tuple[str, str], code: str) -> requests.Response:
    return token(served, keys, grant_type="authorization_code", code=code, redirect_uri=REDIRECT)


def first_code(served: Served, keys: tuple[str, str]) -> str:
    """A new connection's code: the mock bank's ``john`` through the whole dialog."""
    link = f"{served.url}/?" + urlencode(
        {
            "response_type": "code",
            "client_id": keys[0],
            "redirect_uri": REDIRECT,
            "scope": SCOPES,
            "providers": "uk-cs-mock",
            "state": "s-1",
        }
    )
    return back(authorize(requests.Session(), link, REDIRECT))["code"]


def back(url: str) -> dict[str, str]:
    """What reached the app's redirect URI."""
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def renewal_link(served: Served, keys: tuple[str, str]) -> str:
    """A connection's reconfirmation link (extension's ``user_input_link``), on this server."""
    tokens = exchange(served, keys, first_code(served, keys)).json()
    body = {
        "user_has_reconfirmed_consent": False,
        "client_id": keys[0],
        "client_secret": keys[1],
        "refresh_token": tokens["refresh_token"],
        "redirect_uri": REDIRECT,
        "state": "ext-1",
    }
    reply = requests.post(f"{served.url}/data/v1/connections/extend", json=body, timeout=120)
    assert reply.status_code == 200, reply.text
    link: str = reply.json()["user_input_link"]
    return f"{served.url}/?{urlsplit(link).query}"


def outcomes(urls: list[str]) -> Counter[str]:
    """How many went back to the app with a code, and with which error otherwise."""
    return Counter("code" if "code" in q else q.get("error", "?") for q in map(back, urls))


def test_one_code_exchanged_at_once_gives_one_token_set(served: Served) -> None:
    """One exchange wins; the others are a code presented again, which also ends the chain
    the winner began (RFC 6749 §4.1.2), whichever of them committed first."""
    keys = served.tenant(seed=7)
    code = first_code(served, keys)
    replies = hammer(lambda: exchange(served, keys, code) for _ in range(THREADS))
    errors = Counter(r.json().get("error", r.status_code) for r in replies)
    assert errors == {200: 1, "invalid_authorization_code": THREADS - 1}, served.logs()[-3000:]
    assert {r.status_code for r in replies} == {200, 400}
    won: dict[str, Any] = next(r.json() for r in replies if r.ok)
    refreshed = token(served, keys, grant_type="refresh_token", refresh_token=won["refresh_token"])
    assert (refreshed.status_code, refreshed.json()["error"]) == (400, "invalid_grant")


def test_one_renewal_link_opened_at_once_mints_one_code(served: Served) -> None:
    """Browsers opening the link together: one dialog opens and ends with a code, the rest go
    back to the app with ``invalid_request``."""
    keys = served.tenant(seed=7)
    link = renewal_link(served, keys)
    urls = hammer(lambda: authorize(requests.Session(), link, REDIRECT) for _ in range(THREADS))
    assert outcomes(urls) == {"code": 1, "invalid_request": THREADS - 1}, served.logs()[-3000:]
    code = next(q["code"] for q in map(back, urls) if "code" in q)
    assert exchange(served, keys, code).status_code == 200


def allow_at_once(
    served: Served, browser: requests.Session, dialog: str, csrf: str
) -> list[requests.Response]:
    """The dialog's Allow sent by ``THREADS`` threads at once with the browser's cookies;
    every reply a redirect back to the app."""
    cookies = browser.cookies.get_dict()
    replies = hammer(
        lambda: requests.post(
            f"{dialog}/consent",
            data={"csrf_token": csrf},
            cookies=cookies,
            allow_redirects=False,
            timeout=120,
        )
        for _ in range(THREADS)
    )
    assert {r.status_code for r in replies} == {302}, served.logs()[-3000:]
    return replies


def test_one_renewal_dialogs_allow_sent_at_once_mints_one_code(served: Served) -> None:
    """The dialog lives in the browser's cookie: its Allow sent several times together (a
    double click, a replayed request) issues one code: a click after the winner's commit gets
    it too, one racing the winner the used link's ``invalid_request``."""
    keys = served.tenant(seed=7)
    browser = requests.Session()
    opened = browser.get(renewal_link(served, keys), allow_redirects=False, timeout=120)
    assert opened.status_code == 303, opened.text
    dialog = f"{served.url}{urlsplit(opened.headers['Location']).path}"
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', browser.get(dialog, timeout=120).text)
    assert csrf, "no consent form"
    replies = allow_at_once(served, browser, dialog, csrf[1])
    one_code(served, [r.headers["Location"] for r in replies], "invalid_request")


def test_a_new_connections_allow_sent_at_once_mints_one_code(served: Served) -> None:
    """A double-clicked Allow of a new connection: every click goes back with the winner's
    code (the losers' connections rolled back), none with a second connection's."""
    keys = served.tenant(seed=7)
    browser = requests.Session()
    link = f"{served.url}/?" + urlencode(
        {
            "response_type": "code",
            "client_id": keys[0],
            "redirect_uri": REDIRECT,
            "scope": SCOPES,
            "provider_id": "mock",
            "state": "s-1",
        }
    )
    opened = browser.get(link, allow_redirects=False, timeout=120)
    dialog = f"{served.url}{urlsplit(opened.headers['Location']).path}"
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', browser.get(dialog, timeout=120).text)
    assert csrf, "no sign-in form"
    signed_in = browser.post(
        f"{dialog}/login",
        data={"csrf_token": csrf[1], "username": "john", "password": "doe"},
        allow_redirects=False,
        timeout=120,
    )
    assert signed_in.status_code == 303, signed_in.text
    replies = allow_at_once(served, browser, dialog, csrf[1])
    code = one_code(served, [r.headers["Location"] for r in replies])
    assert exchange(served, keys, code).status_code == 200


def one_code(served: Served, urls: list[str], *refusals: str) -> str:
    """The one code the app got back, however many times; anything else only ``refusals``
    (a renewal link claimed by another click may say so, depending on who commits first)."""
    answers = [back(url) for url in urls]
    codes = {a["code"] for a in answers if "code" in a}
    assert len(codes) == 1, served.logs()[-3000:]
    assert {a["error"] for a in answers if "code" not in a} <= set(refusals), answers
    return codes.pop()
