"""The letter pipeline: context -> escaped HTML -> PDF/A, fetching only our own assets.

No database is needed. How PDF/A is checked: the
XMP metadata packet read back with pypdf carries ``pdfaid:part="3"`` and
``pdfaid:conformance="B"``, and the catalog has a ``/GTS_PDFA1`` output intent (what WeasyPrint
70 writes for ``pdf_variant="pdf/a-3b"``); no external validator (veraPDF) is run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest
from jinja2.exceptions import SecurityError, UndefinedError
from pypdf import PdfReader

from letters.render import (
    ASSETS_DIR,
    AssetFetcher,
    archive,
    format_money,
    render_html,
    render_pdf,
    render_tenant_text,
)

pytestmark = [
    # WeasyPrint 70 opens its bundled sRGB ICC profile for the PDF/A output intent and never
    # closes it (weasyprint/pdf/__init__.py: `(files(...) / 'sRGB2014.icc').open('rb')`); the
    # file object is dropped at once, so CPython reports it inside the rendering test itself.
    pytest.mark.filterwarnings(r"ignore:unclosed file .*sRGB2014\.icc:ResourceWarning"),
]

ROOT = Path(__file__).resolve().parents[2]
HOSTILE_NAME = '<img src="file:///etc/passwd">'
HOSTILE_SNIPPET = "<style>body{background:url(http://127.0.0.1:1/x)}</style>"
HOSTILE_CSS_URL = "url(file:///etc/passwd)"
PASSWD_MARKERS = ("root:x:0:0", "/bin/bash", "nologin")

# Every file opened by this process while `_opened.active` is set (audit hook, see below).
_opened: list[str] = []
_audit = {"active": False}


def _record_opens(event: str, args: tuple) -> None:
    if _audit["active"] and event == "open" and args and isinstance(args[0], (str, bytes)):
        _opened.append(str(args[0]))


sys.addaudithook(_record_opens)


def _context(recipient_name: str = "Lucía Fernández Gómez") -> dict:
    return {
        "creditor": {
            "name": "Inmuebles Ruiz SL",
            "nif": "B12345678",
            "address_lines": ["Calle Mayor 1", "28013 Madrid"],
        },
        "recipient": {
            "name": recipient_name,
            "address_lines": ["Calle de la Luna 3, 2º B", "28004 Madrid"],
        },
        "charges": [
            {
                "date": dt.date(2026, 9, 1),
                "description": "Renta septiembre 2026",
                "amount": Decimal("850.00"),
            },
            {
                "date": dt.date(2026, 10, 1),
                "description": "Renta octubre 2026",
                "amount": Decimal("850.00"),
            },
            {
                "date": dt.date(2026, 10, 15),
                "description": "Suministro agua 3T",
                "amount": Decimal("1234.56"),
            },
        ],
        "total": Decimal("2934.56"),
        "currency": "EUR",
        "date": dt.date(2026, 11, 23),
        "place": "Madrid",
    }


def _pdf_text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def _render(context: dict, tenant_text: dict | None = None, language: str = "es"):
    html = render_html("statement.html", context, tenant_text, language=language)
    fetcher = AssetFetcher()
    _opened.clear()
    _audit["active"] = True
    try:
        pdf = render_pdf(html, fetcher=fetcher)
    finally:
        _audit["active"] = False
    return html, pdf, fetcher


# --- the letter reads right -------------------------------------------------------------------


def test_statement_pdf_names_the_recipient_each_charge_and_the_total():
    started = time.perf_counter()
    html, pdf, fetcher = _render(_context())
    elapsed = time.perf_counter() - started

    text = _pdf_text(pdf)
    assert "Lucía Fernández Gómez" in text
    assert "Inmuebles Ruiz SL" in text
    for line in ("Renta septiembre 2026", "Renta octubre 2026", "Suministro agua 3T"):
        assert line in text
    assert "850,00\u00a0€" in html and "1.234,56\u00a0€" in html
    assert "850,00" in text and "1.234,56" in text
    assert "Total pendiente" in text and "2.934,56" in text
    assert "23 de noviembre de 2026" in text
    assert pdf.startswith(b"%PDF-")
    # Our stylesheet came through the fetcher and nothing else was asked for.
    assert fetcher.served == ["amparo-asset:letter.css"]
    assert fetcher.refused == []
    assert elapsed < 5, f"rendering took {elapsed:.2f}s"


def test_statement_in_english_uses_english_fixed_words():
    context = _context()
    _, pdf, _ = _render(context, language="en")
    text = _pdf_text(pdf)
    assert "Statement of account" in text
    assert "Total outstanding" in text
    assert "23 November 2026" in text
    assert "Extracto de cuenta" not in text


def test_pdf_is_pdf_a_3b():
    _, pdf, _ = _render(_context())
    reader = PdfReader(io.BytesIO(pdf))

    xmp = reader.xmp_metadata
    assert xmp is not None, "PDF/A needs an XMP metadata packet"
    ns = "http://www.aiim.org/pdfa/ns/id/"
    found = {}
    for node in xmp.rdf_root.getElementsByTagNameNS("*", "Description"):
        for attr in ("part", "conformance"):
            if node.hasAttributeNS(ns, attr):
                found[attr] = node.getAttributeNS(ns, attr)
    assert found == {"part": "3", "conformance": "B"}

    intents = reader.trailer["/Root"]["/OutputIntents"]
    assert [intent.get_object()["/S"] for intent in intents] == ["/GTS_PDFA1"]


def test_archive_returns_the_sha256_of_the_bytes():
    _, pdf, _ = _render(_context())
    digest, stored = archive(pdf)
    assert stored == pdf
    assert digest == hashlib.sha256(pdf).hexdigest()


def test_money_is_spanish_and_never_float():
    assert format_money(Decimal("1234567.891")) == "1.234.567,89\u00a0€"
    assert format_money(Decimal("0.5")) == "0,50\u00a0€"
    assert format_money(Decimal("-40")) == "-40,00\u00a0€"
    assert format_money(Decimal("999.995")) == "1.000,00\u00a0€"
    assert format_money("12.3", "USD") == "12,30\u00a0USD"
    with pytest.raises(TypeError):
        format_money(12.3)


# --- safety ----------------------------------------------------------------------------------


def test_hostile_party_name_and_tenant_text_are_text_and_nothing_is_fetched():
    tenant_text = {
        "intro": "Estimado/a {{ recipient.name }}:\n" + HOSTILE_SNIPPET,
        "closing": "Fondo: " + HOSTILE_CSS_URL,
    }
    html, pdf, fetcher = _render(_context(HOSTILE_NAME), tenant_text)

    # The HTML carries them escaped: no tag, no stylesheet, no url() the renderer would see.
    assert HOSTILE_NAME not in html
    assert "&lt;img src=&#34;file:///etc/passwd&#34;&gt;" in html
    assert "<style>body" not in html
    assert "&lt;style&gt;body{background:url(http://127.0.0.1:1/x)}&lt;/style&gt;" in html
    assert html.count("<style") == 0 and html.count("<img") == 0

    # The PDF shows them as the literal text they are.
    text = _pdf_text(pdf)
    assert HOSTILE_NAME in text
    assert HOSTILE_SNIPPET in text
    assert HOSTILE_CSS_URL in text
    for marker in PASSWD_MARKERS:
        assert marker not in text

    # The fetcher was only ever asked for our stylesheet.
    assert fetcher.requested == ["amparo-asset:letter.css"]
    assert fetcher.refused == []
    assert "/etc/passwd" not in _opened


def test_fetcher_refuses_everything_but_our_assets_and_data_uris():
    """Raw HTML, as if something got past the escaping: every outside URL is refused."""
    outside = [
        "file:///etc/passwd",
        "http://127.0.0.1:1/x",
        "https://127.0.0.1:1/y.css",
        "ftp://127.0.0.1:1/z.png",
        "amparo-asset:../../../../../etc/passwd",
        "amparo-asset:%2e%2e/render.py",
        "amparo-asset:/etc/passwd",
        "amparo-asset:missing.css",
    ]
    html = f"""<!DOCTYPE html><html><head>
      <link rel="stylesheet" href="amparo-asset:letter.css">
      <link rel="stylesheet" href="data:text/css,p.ok%7Bcolor:green%7D">
      <link rel="stylesheet" href="{outside[2]}">
      <style>
        body {{ background: url({outside[0]}); }}
        h1 {{ background: url({outside[1]}); }}
        p {{ background: url("{outside[5]}"); }}
        em {{ background: url("{outside[7]}"); }}
      </style></head><body>
      <h1>Prueba</h1><p class="ok">texto <em>visible</em></p>
      <img src="{outside[3]}"><img src="{outside[4]}"><img src="{outside[6]}">
    </body></html>"""
    fetcher = AssetFetcher()
    _opened.clear()
    _audit["active"] = True
    try:
        pdf = render_pdf(html, fetcher=fetcher)
    finally:
        _audit["active"] = False

    assert sorted(fetcher.refused) == sorted(outside)
    assert set(fetcher.served) == {
        "amparo-asset:letter.css",
        "data:text/css,p.ok%7Bcolor:green%7D",
    }
    assert not set(fetcher.served) & set(outside)
    assert "/etc/passwd" not in _opened
    assert not [p for p in _opened if p.endswith("render.py")]
    assets = str(ASSETS_DIR)
    assert [p for p in _opened if p.startswith(assets)] == [str(ASSETS_DIR / "letter.css")]
    text = _pdf_text(pdf)
    assert "Prueba" in text and "visible" in text
    for marker in PASSWD_MARKERS:
        assert marker not in text


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ recipient.name.__class__.__mro__[1].__subclasses__() }}",
        "{{ lipsum.__globals__ }}",
        "{{ range.__init__ }}",
    ],
)
def test_tenant_text_cannot_reach_python_internals(source):
    with pytest.raises(SecurityError):
        render_tenant_text(source, _context())


def test_tenant_text_fails_loudly_on_an_unknown_placeholder():
    with pytest.raises(UndefinedError):
        render_tenant_text("Hola {{ destinatario }}", _context())


def test_tenant_text_renders_placeholders_and_filters_as_text():
    out = render_tenant_text(
        "Debe {{ total | money }} a {{ creditor.name }} <b>ya</b>", _context("A & B")
    )
    assert out == "Debe 2.934,56\u00a0€ a Inmuebles Ruiz SL &lt;b&gt;ya&lt;/b&gt;"


def test_letters_imports_neither_flask_nor_web_nor_jobs():
    code = (
        "import sys, letters.render, letters.i18n\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('flask', 'web', 'jobs')]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
