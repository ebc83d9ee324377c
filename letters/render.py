"""Letters: context (plain dicts) -> HTML (autoescaping Jinja) -> PDF/A (WeasyPrint).

STYLE rule 6. Nothing here imports Flask, ``web`` or ``jobs``; callers (the jobs) pass plain
dicts and get a string or bytes back.

Three walls keep a letter from leaking or fetching anything:

1. Templates in ``letters/templates/`` render with autoescape on, so every value from the
   context (a party named ``<img src=...>``) is text, never markup.
2. Tenant-editable snippets (``tenant_text``) are Jinja sources rendered in a
   :class:`~jinja2.sandbox.SandboxedEnvironment`: no attribute starting with ``_``, no unsafe
   callables, undefined names fail loudly. The snippet is *text*, not HTML: its literal parts are
   escaped as well as its placeholders (``_EscapeLiteralText``), so a ``<style>`` typed by a
   tenant prints as ``<style>``. The result enters the letter as ``Markup`` under
   ``tenant_text.<name>``.
3. WeasyPrint only fetches through :class:`AssetFetcher`: URLs ``amparo-asset:<file>`` served
   from ``letters/assets/`` (no sub-paths out of it) and ``data:`` URIs. Everything else
   (``file:``, ``http(s):``, ``ftp:``, ``../`` traversal, missing files) is refused: the fetcher
   raises, WeasyPrint swallows the error and renders without the resource. Each refusal is
   recorded on ``fetcher.refused`` and logged. Templates name our own files (``letter.css``,
   ``seal.svg``) only as ``amparo-asset:``; the QR codes, the badge art and a workspace logo
   arrive as ``data:`` URIs (the base layout prints a logo only when it is a ``data:image/`` URI).

The PDF is written as PDF/A-3b (WeasyPrint 70 option ``pdf_variant="pdf/a-3b"``), which embeds
the fonts, an sRGB output intent and XMP metadata carrying ``pdfaid:part=3``/``conformance=B``.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import mimetypes
from collections.abc import Iterator, Mapping
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from urllib.parse import unquote

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from jinja2.ext import Extension
from jinja2.lexer import Token, TokenStream
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup, escape
from weasyprint import HTML
from weasyprint.document import Document
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from letters import i18n

log = logging.getLogger(__name__)

PACKAGE_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = PACKAGE_DIR / "templates"
ASSETS_DIR = PACKAGE_DIR / "assets"

ASSET_SCHEME = "amparo-asset:"
PDF_VARIANT = "pdf/a-3b"

_CENT = Decimal("0.01")


# --- filters -------------------------------------------------------------------------------


def format_money(value: Decimal | int | str, currency: str = "EUR") -> str:
    """Spanish money: ``1234.5`` -> ``1.234,50 €``. Decimal only; floats are refused."""
    if isinstance(value, float):
        raise TypeError("money is Decimal, never float")
    amount = Decimal(value).quantize(_CENT, rounding=ROUND_HALF_UP)
    sign = "-" if amount < 0 else ""
    units, cents = f"{abs(amount):.2f}".split(".")
    groups = []
    while len(units) > 3:
        groups.insert(0, units[-3:])
        units = units[:-3]
    groups.insert(0, units)
    symbol = "€" if currency == "EUR" else currency
    # A no-break space keeps the amount and its symbol on one line.
    return f"{sign}{'.'.join(groups)},{cents}\u00a0{symbol}"


def fill(text: str, **values: object) -> Markup:
    """A fixed sentence from ``i18n.WORDS`` with its ``{placeholders}`` filled in, escaped.

    ``Markup.format`` escapes every value that is not already markup, so a debtor's name in a
    sentence is as inert as anywhere else in the letter.
    """
    return escape(text).format(**values)


def format_percent(value: Decimal | int | str, language: str = "es", signed: bool = False) -> str:
    """``10.15`` -> ``10,15 %`` (``10.15 %`` in English); ``+2,20 %`` when ``signed``."""
    if isinstance(value, float):
        raise TypeError("rates are Decimal, never float")
    amount = Decimal(value).quantize(_CENT, rounding=ROUND_HALF_UP)
    text = f"{amount:+.2f}" if signed else f"{amount:.2f}"
    if language != "en":
        text = text.replace(".", ",")
    return f"{text}\u00a0%"


def _filters(language: str) -> dict:
    return {
        "money": format_money,
        "percent": lambda value, signed=False: format_percent(value, language, signed),
        "long_date": lambda value: i18n.long_date(value, language),
        "short_date": lambda value: value.strftime("%d/%m/%Y"),
        "month_year": lambda value: i18n.month_year(value, language),
        "fill": fill,
    }


# --- Jinja environments --------------------------------------------------------------------


class _EscapeLiteralText(Extension):
    """Escape the literal text of a template (its ``data`` tokens) while parsing.

    With autoescape, Jinja escapes placeholders but passes the template's own text through as
    markup. Tenant snippets are plain text, so their own text is escaped too.
    """

    def filter_stream(self, stream: TokenStream) -> Iterator[Token]:
        for token in stream:
            if token.type == "data":
                yield Token(token.lineno, "data", str(escape(token.value)))
            else:
                yield token


_templates = Environment(
    loader=FileSystemLoader(str(TEMPLATES_DIR)),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)

_sandbox = SandboxedEnvironment(
    autoescape=True,
    undefined=StrictUndefined,
    extensions=[_EscapeLiteralText],
)


def render_tenant_text(source: str, context: Mapping, language: str = "es") -> Markup:
    """One tenant-editable snippet, rendered in the sandbox; the result is safe to insert.

    Raises :class:`jinja2.exceptions.SecurityError` on unsafe access (``__class__`` and the
    like) and :class:`jinja2.exceptions.UndefinedError` on an unknown placeholder.
    """
    env = _sandbox.overlay()
    env.filters = {**env.filters, **_filters(language)}  # not the parent's dict
    rendered = env.from_string(source).render(**context)
    # Safe: placeholders are autoescaped and the literal text was escaped while parsing.
    return Markup(rendered)  # noqa: S704


@functools.cache
def _templates_in(language: str) -> Environment:
    """One environment per language, kept: its filters speak the language, and its cache keeps
    the compiled templates (a fresh overlay per letter compiled every template again)."""
    env = _templates.overlay()
    # A new dict: an overlay shares its parent's, and the languages would overwrite each other.
    env.filters = {**env.filters, **_filters(language)}
    return env


def render_html(
    template_name: str,
    context: dict,
    tenant_text: dict[str, str] | None = None,
    language: str = "es",
) -> str:
    """Render ``letters/templates/<template_name>`` with ``context``.

    The template also gets ``t`` (the fixed words in ``language``), ``language``, the
    ``money`` and ``long_date`` filters, and ``tenant_text``: each snippet rendered in the
    sandbox with the same context.
    """
    snippets = {
        name: render_tenant_text(source, context, language)
        for name, source in (tenant_text or {}).items()
    }
    template = _templates_in(language).get_template(template_name)
    return template.render(
        **context,
        t=i18n.words(language),
        language=language,
        tenant_text=snippets,
    )


# --- WeasyPrint ----------------------------------------------------------------------------


class RefusedURL(ValueError):
    """A URL the letter fetcher will not serve."""


class AssetFetcher(URLFetcher):
    """Serves ``amparo-asset:<file>`` from the assets folder and ``data:`` URIs; nothing else.

    ``requested`` lists every URL WeasyPrint asked for, ``served`` those answered and
    ``refused`` those turned away (for tests and logs).
    """

    def __init__(self, assets_dir: Path | str = ASSETS_DIR) -> None:
        # The parent's handlers are only ever reached for data: URIs (see fetch).
        super().__init__(allowed_protocols={"data"}, allow_redirects=False)
        self.assets_dir = Path(assets_dir).resolve()
        self.requested: list[str] = []
        self.served: list[str] = []
        self.refused: list[str] = []

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        self.requested.append(url)
        try:
            response = self._fetch(url, headers)
        except Exception:
            self.refused.append(url)
            log.warning("letter fetcher refused %.200s", url)
            raise
        self.served.append(url)
        return response

    def _fetch(self, url: str, headers: dict | None) -> URLFetcherResponse:
        if url.startswith(ASSET_SCHEME):
            return self._asset(url)
        if url[:5].lower() == "data:":
            return super().fetch(url, headers)
        raise RefusedURL(f"not an Amparo asset nor a data: URI: {url[:200]}")

    def _asset(self, url: str) -> URLFetcherResponse:
        name = unquote(url[len(ASSET_SCHEME) :].split("?", 1)[0].split("#", 1)[0])
        path = (self.assets_dir / name).resolve()
        if not path.is_relative_to(self.assets_dir) or not path.is_file():
            raise RefusedURL(f"no such asset: {name[:200]}")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        headers = {"Content-Type": content_type}
        if content_type.startswith("text/"):
            headers["Content-Type"] = f"{content_type}; charset=utf-8"
        return URLFetcherResponse(url, body=path.read_bytes(), headers=headers)


def render_pdf(
    html: str,
    *,
    base_assets: Path | str = ASSETS_DIR,
    fetcher: AssetFetcher | None = None,
) -> bytes:
    """``html`` as PDF/A-3b bytes; resources only through :class:`AssetFetcher`.

    Pass a ``fetcher`` to inspect what was requested and refused afterwards.
    """
    fetcher = fetcher or AssetFetcher(base_assets)
    return render_document(html, fetcher=fetcher).write_pdf(pdf_variant=PDF_VARIANT)


def render_document(
    html: str,
    *,
    fetcher: AssetFetcher,
    font_config: FontConfiguration | None = None,
) -> Document:
    """``html`` laid out as a WeasyPrint document (PDF/A-3b ready), not yet written.

    For letters made of several HTML documents (the certified demand and its content
    certificate): lay each out with the same fetcher and font configuration, combine the pages
    with ``Document.copy`` and write once with ``pdf_variant=PDF_VARIANT``.
    """
    document = HTML(string=html, url_fetcher=fetcher, base_url=None)
    return document.render(font_config=font_config, pdf_variant=PDF_VARIANT)


def archive(pdf_bytes: bytes) -> tuple[str, bytes]:
    """``(sha256 hex, bytes)``: what an archived letter is stored and certified with."""
    return hashlib.sha256(pdf_bytes).hexdigest(), pdf_bytes
