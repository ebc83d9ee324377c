"""The public badge: `/badge/<token>.svg|png` (the image every embedded badge loads) and
`/verify/<token>` (the page a click on it, or the QR of a stamped invoice, opens).

No login, no session, no cookie (the blueprint is in web/stripe_webhook.py's `Sessions`
cookieless set: not even `Vary: Cookie`). The image is cheap: its state comes from Redis
(jobs/badge_cache.py, no database query), its bytes from this process's memory, and a browser
that has it gets a 304. `max-age=60, must-revalidate`: a badge may be suspended or revoked, so
a browser or a proxy keeps it at most a minute before asking again; the ETag makes asking cheap.
Another site may embed it (`Cross-Origin-Resource-Policy: cross-origin`).

A token that names no badge (made up, copied wrong, garbled) gets the "not valid" image or page
with a 404, never another workspace's badge and never a 500. The routes take any path after
the prefix, so `/badge/../a/b.svg` is a not-valid badge too, not the app's HTML 404.
"""

from __future__ import annotations

import functools
import hashlib

from flask import Blueprint, Response, current_app, request

from jobs import badge_cache
from letters import badge_art

bp = Blueprint("badge", __name__)

CACHE_CONTROL = "public, max-age=60, must-revalidate"
# An SVG opened on its own is a document: it may draw, never run anything.
SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
MIMETYPES = {"svg": "image/svg+xml", "png": "image/png"}


@functools.lru_cache(maxsize=1024)
def _render(kind: str, state, name: str, variant: tuple, verify_url: str | None) -> bytes:
    """The image's bytes, drawn once per process for each state, name and variant."""
    draw = badge_art.svg if kind == "svg" else badge_art.png
    return draw(state=state, name=name, verify_url=verify_url, **dict(variant))


def _image(kind: str, token: str) -> Response:
    found = badge_cache.image_state(token)
    variant = tuple(sorted(badge_art.variant(request.args).items()))
    verify_url = None
    if dict(variant)["style"] == "qr":
        verify_url = f"{current_app.config['BASE_URL']}/verify/{token}" if found else None
    state, name, version = (found.state, found.name, found.version) if found else (None, "", 0)
    # Strong: one ETag names one sequence of bytes (the art's version, the badge's state and
    # version, the variant); the art's version changes whenever a drawing would.
    key = repr((kind, badge_art.ART_VERSION, state, name, version, variant, verify_url))
    etag = hashlib.blake2b(key.encode("utf-8"), digest_size=16).hexdigest()
    headers = {
        "ETag": f'"{etag}"',
        "Cache-Control": CACHE_CONTROL,
        "Cross-Origin-Resource-Policy": "cross-origin",
    }
    if kind == "svg":
        headers["Content-Security-Policy"] = SVG_CSP
    if request.if_none_match.contains_weak(etag):
        return Response(status=304, headers=headers)
    body = _render(kind, state, name, variant, verify_url)
    return Response(body, status=200 if found else 404, headers=headers, mimetype=MIMETYPES[kind])


@bp.get("/badge/<path:token>.svg")
def image_svg(token: str):
    return _image("svg", token)


@bp.get("/badge/<path:token>.png")
def image_png(token: str):
    return _image("png", token)


from web.badge import verify  # noqa: E402,F401 - its route
