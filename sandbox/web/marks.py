"""Bank marks: an SVG monogram per institution, in its own colours, served to every page.

The catalogue's PNG logos are what Plaid's ``logo`` field carries; the pages want something
a person recognises at a glance. Each mark is drawn from the catalogue alone: the bank's
initials in its ``secondary_color`` (which the catalogue keeps readable on the primary) on
its ``primary_color``, with a shape and an accent picked from a digest of its id, so the
same bank always looks the same and two banks rarely share a look. No real logo or
trademark is copied.

``GET /bank-marks/<institution_id>.svg`` serves one (cached for a day).
"""

from __future__ import annotations

import hashlib
import re
from functools import cache
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

from flask import Response, abort

from ..core import errors, institutions
from ..core.institutions import Institution
from .blueprint import bp

# Words a monogram skips: "Bank of America" reads BA, "Citibank Online" C.
FILLER = {"of", "the", "and", "online"}
SHARED_HOSTS = ("www.plaid.com", "plaid.com")
SHAPES = (
    '<rect width="64" height="64" rx="14" fill="{fill}"/>',
    '<circle cx="32" cy="32" r="32" fill="{fill}"/>',
    '<path d="M32 0 58 10v22c0 16-11 27-26 32C17 59 6 48 6 32V10z" fill="{fill}"/>',
    '<path d="M32 0 60 16v32L32 64 4 48V16z" fill="{fill}"/>',
)
ACCENTS = (
    '<rect x="16" y="48" width="32" height="3" rx="1.5" fill="{accent}" opacity=".6"/>',
    '<path d="M20 15h24" stroke="{accent}" stroke-width="3" stroke-linecap="round" opacity=".6"/>',
    '<circle cx="32" cy="52" r="3" fill="{accent}" opacity=".6"/>',
)


def initials(name: str) -> str:
    """Up to two letters: the first of each significant word (one word: its first letter)."""
    words = [w for w in re.split(r"[\s\-]+", name) if w and w.lower() not in FILLER]
    letters = "".join(w[0] for w in words[:2]).upper()
    return letters or name[:1].upper()


@cache
def mark_svg(institution: Institution) -> str:
    """The institution's mark as a standalone 64x64 SVG document."""
    digest = hashlib.sha256(institution.institution_id.encode()).digest()
    fill, accent = institution.primary_color, institution.secondary_color
    letters = escape(initials(institution.name))
    size = 30 if len(letters) == 1 else 24
    shape = SHAPES[digest[0] % len(SHAPES)].format(fill=fill)
    band = ACCENTS[digest[1] % len(ACCENTS)].format(accent=accent)
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" width="64" height="64">'
        f"{shape}{band}"
        f'<text x="32" y="{33 + size // 3}" text-anchor="middle" fill="{accent}" '
        'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif" '
        f'font-weight="700" font-size="{size}" letter-spacing="-0.5">{letters}</text></svg>'
    )


@bp.app_template_filter("site")
def bank_site(institution: Institution) -> str:
    """The bank's web address as Link's picker shows it, without the scheme.

    Plaid's own test banks all carry ``https://www.plaid.com``; a picker of twelve banks at
    the same address reads as a bug, so those show a made-up address under ``.example``
    (RFC 2606: never a real site).
    """
    host = urlsplit(institution.url or "").netloc
    if host in ("", *SHARED_HOSTS):
        words = [w for w in re.split(r"[^a-z0-9]+", institution.name.lower()) if w]
        return "".join(words) + ".example"
    return host.removeprefix("www.") if host.count(".") > 1 else host


@bp.get("/bank-marks/<institution_id>.svg")
def bank_mark(institution_id: str) -> Response:
    """One bank's mark (the pages show it next to the bank's name, so it has no text alt)."""
    try:
        institution = institutions.get(institution_id)
    except errors.InvalidInstitution:
        abort(404)
    response = Response(mark_svg(institution), mimetype="image/svg+xml")
    response.cache_control.public = True
    response.cache_control.max_age = 86400
    return response
