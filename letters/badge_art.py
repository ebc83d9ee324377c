"""The art of the "Protegido por Amparo" badge (issue 13): SVG and PNG, in every variant.

One hand-written SVG template (``letters/templates/badge/badge.svg``, autoescaped: the
creditor's name is the workspace's own text) draws a seal in the state's colour, the state in
words, the creditor's name and a hint line. Variants: language ``es``/``en``, theme
``light``/``dark``, style ``full`` (the seal beside three lines), ``compact`` (a small seal and
two lines, for an invoice's footer) and ``qr`` (the full badge plus the QR code of the verify
page). The state is said in words and colour and drawn in the shield's sign: a check
(active), a pause (suspended), a cross (revoked). An unknown token (state ``None``) gets a
badge that cannot pass for a valid one: no shield, a crossed ring, a hatched ground, a dashed
frame, in grey, saying "Sello no válido" and never a creditor's name.

Names are fitted with the fonts' real widths (``letters/badge_metrics.py``) and shortened with
an ellipsis, so the same name gives the same bytes on every machine. The PNG is the same SVG
rasterised by CairoSVG (a few milliseconds): the words and colours are those of the SVG.

``ART_VERSION`` changes whenever the template, the metrics or this module do; it is part of
every ETag the badge is served with, so a new drawing is never hidden behind an old cache.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import unicodedata
from collections.abc import Mapping
from pathlib import Path

import cairosvg
import segno
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from letters import badge_metrics

LANGUAGES = ("es", "en")
THEMES = ("light", "dark")
STYLES = ("full", "compact", "qr")
STATES = ("active", "suspended", "revoked")
DEFAULTS = {"language": "es", "theme": "light", "style": "full"}

_TEMPLATES = Path(__file__).resolve().parent / "templates" / "badge"
FONT = "DejaVu Sans, Verdana, Geneva, sans-serif"
ELLIPSIS = "\u2026"
NAME_MAX_CHARS = 200  # a workspace name is shorter; this only bounds the fitting loop

WORDS = {
    "es": {
        "active": ("Protegido por Amparo", "Compruebe este sello en Amparo"),
        "suspended": ("Protección suspendida", "Esta protección no está en vigor"),
        "revoked": ("Protección revocada", "Este sello ya no tiene validez"),
        None: ("Sello no válido", "No confíe en este sello"),
        "unknown": "No corresponde a ningún cliente",
    },
    "en": {
        "active": ("Protected by Amparo", "Check this seal with Amparo"),
        "suspended": ("Protection suspended", "This protection is not in force"),
        "revoked": ("Protection revoked", "This seal is no longer valid"),
        None: ("Badge not valid", "Do not rely on this badge"),
        "unknown": "It matches no Amparo client",
    },
}

# The state's colour per theme (the seal, the frame and the state's words), then the ground,
# the name's and the hint's colours. Active is Amparo's blue, the colour of the letters' seal.
COLOURS = {
    "light": {
        "active": "#1d4e89",
        "suspended": "#9a6700",
        "revoked": "#b42318",
        None: "#6e7781",
        "ground": "#ffffff",
        "text": "#1f2328",
        "muted": "#59636e",
        "hatch": "#eaeef2",
    },
    "dark": {
        "active": "#6ea8fe",
        "suspended": "#e3b341",
        "revoked": "#ff7b72",
        None: "#8b949e",
        "ground": "#161b22",
        "text": "#e6edf3",
        "muted": "#9da7b3",
        "hatch": "#2d333b",
    },
}

# Geometry per style: canvas, seal (x, y, size), text column (x, right margin), lines
# (baseline y, font size) for the title, the name and the hint; the qr style adds the code.
LAYOUTS = {
    "full": {
        "width": 320,
        "height": 96,
        "radius": 10,
        "seal": (8, 8, 80),
        "text_x": 98,
        "text_right": 12,
        "title": (36, 15),
        "name": (58, 13),
        "hint": (78, 10),
        "detail": True,
    },
    "compact": {
        "width": 240,
        "height": 44,
        "radius": 8,
        "seal": (4, 4, 36),
        "text_x": 46,
        "text_right": 8,
        "title": (19, 12),
        "name": (35, 10.5),
        "hint": None,
        "detail": False,
    },
}
LAYOUTS["qr"] = {**LAYOUTS["full"], "width": 412, "qr": (320, 8, 80)}
QR_BORDER = 2  # modules of quiet zone inside the white square


def _version() -> str:
    digest = hashlib.sha256()
    for path in (Path(__file__), Path(badge_metrics.__file__), _TEMPLATES / "badge.svg"):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


ART_VERSION = _version()

_env = Environment(
    loader=FileSystemLoader(str(_TEMPLATES)),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_TEMPLATE = _env.get_template("badge.svg")  # compiled once, at import


def variant(args: Mapping) -> dict:
    """Query args ``lang``/``theme``/``style`` as ``svg()`` keyword arguments.

    Anything unknown, missing or not a string falls back to the default (``es``, ``light``,
    ``full``): a badge URL with a garbled argument still shows a badge, never an error.
    ``lang`` may be a locale (``en-GB``, ``EN``).
    """

    def pick(key: str, allowed: tuple[str, ...], default: str, short: bool = False) -> str:
        value = args.get(key)
        if not isinstance(value, str):
            return default
        value = value.strip().lower()
        if short:
            value = value.replace("_", "-").split("-", 1)[0]
        return value if value in allowed else default

    return {
        "language": pick("lang", LANGUAGES, DEFAULTS["language"], short=True),
        "theme": pick("theme", THEMES, DEFAULTS["theme"]),
        "style": pick("style", STYLES, DEFAULTS["style"]),
    }


def svg(
    *,
    state: str | None,
    name: str,
    language: str = "es",
    theme: str = "light",
    style: str = "full",
    verify_url: str | None = None,
) -> bytes:
    """The badge as SVG bytes (UTF-8), with fixed ``width``/``height`` for an ``<img>``.

    ``state`` is ``active``, ``suspended`` or ``revoked``; ``None`` (or anything else) draws
    the not-valid badge, which shows no name. Unknown variant values fall back to defaults.
    """
    return _render(state, name, language, theme, style, verify_url).encode("utf-8")


def png(
    *,
    state: str | None,
    name: str,
    language: str = "es",
    theme: str = "light",
    style: str = "full",
    verify_url: str | None = None,
    scale: int = 2,
) -> bytes:
    """The same badge as a PNG, ``scale`` (1 to 4) device pixels per SVG unit."""
    scale = min(max(int(scale), 1), 4)
    layout = LAYOUTS[style if style in STYLES else DEFAULTS["style"]]
    return cairosvg.svg2png(
        bytestring=svg(
            state=state,
            name=name,
            language=language,
            theme=theme,
            style=style,
            verify_url=verify_url,
        ),
        output_width=layout["width"] * scale,
        output_height=layout["height"] * scale,
    )


def data_uri(**kwargs) -> str:
    """``svg(**kwargs)`` as a ``data:image/svg+xml`` URI (the letters' letterhead)."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg(**kwargs)).decode("ascii")


# --- layout ----------------------------------------------------------------------------------


def _render(state, name, language, theme, style, verify_url) -> str:
    state = state if state in STATES else None
    language = language if language in LANGUAGES else DEFAULTS["language"]
    theme = theme if theme in THEMES else DEFAULTS["theme"]
    style = style if style in STYLES else DEFAULTS["style"]
    layout = LAYOUTS[style]
    words = WORDS[language]
    colours = COLOURS[theme]
    title, hint = words[state]
    # A not-valid badge never carries a name: a made-up token must not lend one credibility.
    shown_name = _clean(name) if state is not None else words["unknown"]
    column = layout["width"] - layout["text_x"] - layout["text_right"]
    if "qr" in layout:
        column = layout["qr"][0] - layout["text_x"] - 8
    title_y, title_size = layout["title"]
    name_y, name_size = layout["name"]
    seal_x, seal_y, seal_size = layout["seal"]
    context = {
        "width": layout["width"],
        "height": layout["height"],
        "radius": layout["radius"],
        "font": FONT,
        "label": f"{title}: {shown_name}" if shown_name else title,
        "invalid": state is None,
        "sign": state or "invalid",
        "detail": layout["detail"],
        "c": {
            "state": colours[state],
            "ground": colours["ground"],
            "text": colours["text"],
            "muted": colours["muted"],
            "hatch": colours["hatch"],
        },
        "seal_x": seal_x,
        "seal_y": seal_y,
        "seal_size": seal_size,
        "text_x": layout["text_x"],
        "title": title,
        "title_y": title_y,
        "title_size": _fit_size(title, column, title_size, bold=True),
        "name": fit(shown_name, column, name_size) if state else shown_name,
        "name_y": name_y,
        "name_size": name_size if state else _fit_size(shown_name, column, name_size),
        "hint": None,
        "hint_y": 0,
        "hint_size": 0,
        "qr": None,
    }
    if layout["hint"]:
        hint_y, hint_size = layout["hint"]
        context.update(hint=fit(hint, column, hint_size), hint_y=hint_y, hint_size=hint_size)
    if "qr" in layout:
        context["qr"] = _qr(layout["qr"], verify_url if state is not None else None)
    return _TEMPLATE.render(**context)


def _clean(name: str) -> str:
    """The name on one line, without characters XML cannot carry (controls, surrogates)."""
    text = " ".join(str(name or "").split())[:NAME_MAX_CHARS]
    return "".join(
        ch
        for ch in text
        if unicodedata.category(ch) not in ("Cc", "Cs", "Co", "Cn") and ch not in "\ufffe\uffff"
    )


def text_width(text: str, size: float, *, bold: bool = False) -> float:
    """``text``'s advance in DejaVu Sans (Bold) at ``size`` user units."""
    table = badge_metrics.BOLD if bold else badge_metrics.SANS
    first, count = badge_metrics.FIRST, len(table)
    units = 0
    for ch in text:
        index = ord(ch) - first
        units += table[index] if 0 <= index < count else 1000
    return units * size / 1000


def fit(text: str, width: float, size: float, *, bold: bool = False) -> str:
    """``text`` as it fits ``width``: whole, or cut at a word or letter and ended with "…"."""
    if text_width(text, size, bold=bold) <= width:
        return text
    room = width - text_width(ELLIPSIS, size, bold=bold)
    cut = text
    while cut and text_width(cut, size, bold=bold) > room:
        cut = cut[:-1]
    return cut.rstrip(" ,.;:-") + ELLIPSIS


def _fit_size(text: str, width: float, size: float, *, bold: bool = False) -> float:
    """The font size at most ``size`` at which ``text`` fits ``width`` (the fixed titles)."""
    natural = text_width(text, size, bold=bold)
    return size if natural <= width else round(size * width / natural, 2)


def _qr(box: tuple[int, int, int], url: str | None) -> dict:
    """The verify page's code in the white square ``box``; a crossed square without a URL."""
    x, y, size = box
    if not url:
        return {"x": x, "y": y, "size": size, "path": None, "scale": 1}
    modules, path = _qr_path(url)
    return {"x": x, "y": y, "size": size, "path": path, "scale": round(size / modules, 4)}


@functools.lru_cache(maxsize=2048)
def _qr_path(url: str) -> tuple[int, str]:
    """The code of ``url`` as one SVG path in module units, and its side with the quiet zone.

    Kept per URL: choosing the best mask is most of a badge's drawing time (about 9 ms).
    """
    code = segno.make(url.encode("utf-8"), error="m", boost_error=False, micro=False)
    path = []
    for row, line in enumerate(code.matrix):
        col = 0
        while col < len(line):
            if not line[col]:
                col += 1
                continue
            start = col
            while col < len(line) and line[col]:
                col += 1
            path.append(f"M{start + QR_BORDER} {row + QR_BORDER}h{col - start}v1h-{col - start}z")
    return len(code.matrix) + 2 * QR_BORDER, "".join(path)
