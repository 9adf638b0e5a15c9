"""Walk TrueLayer's auth dialog with plain HTTP, as a user's browser would, without a browser:
follow redirects, pick the provider, sign in, allow access, and stop at the app's redirect URI.

Pages are read generically (their forms, inputs, buttons and links), so the walk does not
depend on the dialog's markup beyond what a user sees: a provider choice, a sign-in form
with a password field, and a consent form with an approving button."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import requests

APPROVE = ("approve", "allow", "consent", "confirm", "continue", "accept", "agree", "yes")
REFUSE = ("deny", "cancel", "decline", "refuse", "back")
MAX_STEPS = 20


@dataclass
class Form:
    """One <form>: where it posts, its fields, its submit buttons."""

    action: str
    method: str
    fields: list[tuple[str, str, str, bool]] = field(default_factory=list)  # name, type, value, on
    buttons: list[tuple[str, str, str]] = field(default_factory=list)  # name, value, text


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self.links: list[tuple[str, str]] = []
        self._button: list[str] | None = None
        self._link: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(Form(a.get("action", ""), a.get("method", "get").lower()))
        elif tag == "input" and self.forms:
            kind = a.get("type", "text").lower()
            if kind == "submit":
                self.forms[-1].buttons.append((a.get("name", ""), a.get("value", ""), ""))
            else:
                on = kind not in ("checkbox", "radio") or "checked" in a
                self.forms[-1].fields.append((a.get("name", ""), kind, a.get("value", ""), on))
        elif tag == "button" and self.forms and a.get("type", "submit") == "submit":
            self._button = [a.get("name", ""), a.get("value", ""), ""]
        elif tag == "a" and a.get("href"):
            self._link = [a["href"], ""]

    def handle_data(self, data: str) -> None:
        if self._button is not None:
            self._button[2] += data
        if self._link is not None:
            self._link[1] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "button" and self._button is not None and self.forms:
            name, value, text = self._button
            self.forms[-1].buttons.append((name, value, text.strip()))
            self._button = None
        if tag == "a" and self._link is not None:
            self.links.append((self._link[0], self._link[1].strip()))
            self._link = None


def _wanted(text: str, words: tuple[str, ...]) -> bool:
    """Whether `text` has one of `words` as a word."""
    return any(re.search(rf"\b{w}\b", text.lower()) for w in words)


def _forward(form: Form) -> bool:
    """A form that moves the dialog on: not a cancel or back button, not a search box."""
    if form.method == "get" and any(x[1] == "search" for x in form.fields):
        return False
    if _wanted(urlsplit(form.action).path.rsplit("/", 1)[-1], REFUSE):
        return False
    if form.buttons:
        return any(not _wanted(f"{b[1]} {b[2]}", REFUSE) for b in form.buttons)
    return bool(form.fields)


def _offers(form: Form, provider: str) -> bool:
    """A provider choice that includes `provider`."""
    return any(provider == x[2] for x in form.fields) or any(provider == b[1] for b in form.buttons)


def _submission(form: Form, username: str, password: str, provider: str) -> dict[str, str]:
    """The fields a user would send: credentials typed in, the provider chosen, boxes as they
    are, and the approving button."""
    data: dict[str, str] = {}
    radios = [f for f in form.fields if f[1] == "radio"]
    for name, kind, value, on in form.fields:
        if not name:
            continue
        if kind == "password":
            data[name] = password
        elif kind in ("text", "email") and "user" in name.lower():
            data[name] = username
        elif kind == "radio":
            if provider in value or (on and not any(provider in r[2] for r in radios)):
                data[name] = value
        elif on:
            data[name] = value
    buttons = [b for b in form.buttons if not _wanted(f"{b[1]} {b[2]}", REFUSE)]
    chosen = next((b for b in buttons if provider in b[1]), None) or next(
        (b for b in buttons if _wanted(f"{b[1]} {b[2]}", APPROVE)), buttons[0] if buttons else None
    )
    if chosen is not None and chosen[0]:
        data[chosen[0]] = chosen[1]
    return data


def authorize(
    session: requests.Session,
    auth_link: str,
    redirect_uri: str,
    *,
    username: str = "john",
    password: str = "doe",
    provider: str = "mock",
) -> str:
    """Walk from the auth link to the redirect back to the app; returns that URL (with `code`
    and `state`, or an OAuth `error`)."""
    url, method, data = auth_link, "get", None
    for _ in range(MAX_STEPS):
        reply = session.request(method, url, data=data, allow_redirects=False, timeout=30)
        if reply.is_redirect:
            url = urljoin(url, reply.headers["Location"])
            method, data = "get", None
            if url.startswith(redirect_uri):
                return url
            continue
        assert reply.status_code == 200, f"{reply.status_code} at {url}: {reply.text[:500]}"
        page = _Page()
        page.feed(reply.text)
        forms = [f for f in page.forms if _forward(f)]
        login = next((f for f in forms if any(x[1] == "password" for x in f.fields)), None)
        pick = next((f for f in forms if _offers(f, provider)), None)
        link = next((href for href, _ in page.links if f"={provider}" in href), None)
        form = login or pick or (None if link else (forms[0] if forms else None))
        if form is None and link is None:
            raise AssertionError(f"nothing to do at {url}: {reply.text[:500]}")
        if form is None:
            url, method, data = urljoin(url, link or ""), "get", None
            continue
        target = urljoin(url, form.action or url)
        fields = _submission(form, username, password, provider)
        if target.startswith(redirect_uri):  # response_mode=form_post
            return target + "?" + "&".join(f"{k}={v}" for k, v in fields.items())
        url, method, data = target, form.method, fields
        if method == "get":
            url, data = requests.Request("GET", url, params=fields).prepare().url or url, None
    raise AssertionError("the dialog did not end at the redirect URI")
