"""Stamping an invoice PDF: the badge and the verify QR on its first page, as pictures.

The invoice stays what was issued: every page keeps its content and its text (the pictures
add no text, so `extract_text` reads the same), the page count does not change, and only the
first page gets the two images (a stamp annotation) and a link annotation to the verify page,
in the visible bottom-right corner whatever the page's size, crop box or `/Rotate`.

A PDF we cannot read, or one that is encrypted (we could not write it back as the issuer
protected it), is refused with a `ServiceError` the caller shows; nothing is stored.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Callable
from decimal import Decimal

import segno
from PIL import Image
from pypdf import PdfReader, PdfWriter
from pypdf.annotations import Link
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    NumberObject,
    StreamObject,
    TextStringObject,
)

from letters import badge_art
from tenants.services.badge.invoices import StampFacts
from tenants.services.errors import ServiceError
from tenants.storage import check_pdf

# Sizes on an A4 page, in points (1/72 in); smaller pages scale them down.
QR_SIDE = 62.0  # 2.2 cm: a phone camera reads it from a printed page
BADGE_HEIGHT = 32.0  # the compact badge: its title prints at about 9 pt
GAP = 6.0
MARGIN = 18.0
A4_WIDTH = 595.0
PRINT, LOCKED = 4, 128  # annotation flags: printed with the page; not moved or deleted


def invoice_verify_url(base_url: str, token: str, amount: Decimal) -> str:
    """The verify page of an invoice badge, carrying the amount the invoice asks for: the page
    says so plainly when it differs from the registered one (a tampered invoice)."""
    return f"{base_url.rstrip('/')}/verify/{token}?amount={amount:.2f}"


def qr_png(url: str) -> bytes:
    """The QR code of `url` as a PNG (error correction M: it survives a printer's smudge)."""
    out = io.BytesIO()
    segno.make(url, error="m", micro=False).save(out, kind="png", scale=8, border=2)
    return out.getvalue()


def invoice_stamper(base_url: str) -> Callable[[bytes, StampFacts], bytes]:
    """The stamp tenants/services/badge/invoices.py draws with: the active compact badge in
    the debtor's language, and the QR of the invoice's verify page."""

    def stamp(pdf: bytes, facts: StampFacts) -> bytes:
        url = invoice_verify_url(base_url, facts.token, facts.amount)
        badge = badge_art.png(
            state="active", name=facts.name, language=facts.language, style="compact", scale=4
        )
        words = badge_art.WORDS.get(facts.language, badge_art.WORDS["es"])["active"][0]
        return stamp_pdf(
            pdf, badge_png=badge, qr_png=qr_png(url), verify_url=url, alt_text=f"{words}: {url}"
        )

    return stamp


def stamp_pdf(
    pdf: bytes,
    *,
    badge_png: bytes,
    qr_png: bytes,
    verify_url: str,
    alt_text: str = "Protegido por Amparo",
) -> bytes:
    """`pdf` with the badge and the QR of `verify_url` on its first page, and a link to it.

    The two pictures are the appearance of a /Stamp annotation (PDF 32000-1 §12.5.6.12, the
    "rubber stamp") drawn over the page and printed with it: in the page's content stream,
    an image makes text extractors end the page's text with a line break it did not have.
    `alt_text` is what a screen reader says for it (the annotation's /Contents)."""
    reader = _read(pdf)
    writer = PdfWriter(clone_from=reader)
    page = writer.pages[0]
    box = page.cropbox
    x0, y0, x1, y1 = (float(v) for v in (box.left, box.bottom, box.right, box.top))
    rotation = (page.rotation or 0) % 360
    if rotation not in (0, 90, 180, 270):
        rotation = 0  # a /Rotate that is not a multiple of 90 is invalid; viewers ignore it
    width, height = (x1 - x0, y1 - y0) if rotation in (0, 180) else (y1 - y0, x1 - x0)

    badge, qr = _image(writer, badge_png), _image(writer, qr_png)
    scale = min(1.0, width / A4_WIDTH, height / A4_WIDTH)
    qr_side, badge_h, gap, margin = (v * scale for v in (QR_SIDE, BADGE_HEIGHT, GAP, MARGIN))
    badge_w = badge_h * badge["ratio"]
    # Visible coordinates (u to the right, v up from the visible bottom-left corner).
    qr_u = width - margin - qr_side
    badge_u = qr_u - gap - badge_w
    placed = [
        (badge, badge_u, margin + (qr_side - badge_h) / 2, badge_w, badge_h),
        (qr, qr_u, margin, qr_side, qr_side),
    ]
    box = (x0, y0, x1, y1)
    names, drawing = {}, []
    for n, (image, u, v, w, h) in enumerate(placed):
        names[NameObject(f"/Im{n}")] = image["ref"]
        a, b, c, d, e, f = _matrix(rotation, box, u, v, w, h)
        drawing.append(f"q {a:.4f} {b:.4f} {c:.4f} {d:.4f} {e:.4f} {f:.4f} cm /Im{n} Do Q")
    corners = [
        _to_user(rotation, box, u, v)
        for u, v in ((badge_u, margin), (width - margin, margin + qr_side))
    ]
    xs, ys = [p[0] for p in corners], [p[1] for p in corners]
    rect = (min(xs), min(ys), max(xs), max(ys))

    appearance = StreamObject()
    appearance._data = "\n".join(drawing).encode("ascii")
    appearance.update(
        {
            NameObject("/Type"): NameObject("/XObject"),
            NameObject("/Subtype"): NameObject("/Form"),
            NameObject("/BBox"): _array(rect),  # in page space: the form maps 1:1 onto /Rect
            NameObject("/Resources"): DictionaryObject(
                {NameObject("/XObject"): DictionaryObject(names)}
            ),
        }
    )
    stamp = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Stamp"),
            NameObject("/Rect"): _array(rect),
            NameObject("/F"): NumberObject(PRINT | LOCKED),
            NameObject("/Name"): NameObject("/AmparoBadge"),
            NameObject("/Contents"): TextStringObject(alt_text),
            NameObject("/AP"): DictionaryObject({NameObject("/N"): writer._add_object(appearance)}),
        }
    )
    writer.add_annotation(0, stamp)
    writer.add_annotation(0, Link(rect=rect, url=verify_url, border=[0, 0, 0]))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _read(pdf: bytes) -> PdfReader:
    check_pdf(pdf)
    try:
        reader = PdfReader(io.BytesIO(pdf))
        encrypted = reader.is_encrypted
        if not encrypted:
            reader.pages[0]  # noqa: B018 - a PDF whose page tree is broken fails here
    except Exception as exc:  # noqa: BLE001 - pypdf raises many kinds on a broken file
        raise ServiceError("pdf_unreadable", "file") from exc
    if encrypted:
        raise ServiceError("pdf_encrypted", "file")
    if len(reader.pages) == 0:
        raise ServiceError("pdf_unreadable", "file")
    return reader


def _image(writer: PdfWriter, png: bytes) -> dict:
    """A PNG as an image XObject (RGB, with its transparency as a soft mask)."""
    with Image.open(io.BytesIO(png)) as picture:
        rgba = picture.convert("RGBA")
    width, height = rgba.size
    alpha = rgba.getchannel("A")

    def stream(data: bytes, colour_space: str) -> StreamObject:
        obj = StreamObject()
        obj._data = zlib.compress(data)
        obj.update(
            {
                NameObject("/Type"): NameObject("/XObject"),
                NameObject("/Subtype"): NameObject("/Image"),
                NameObject("/Width"): NumberObject(width),
                NameObject("/Height"): NumberObject(height),
                NameObject("/ColorSpace"): NameObject(colour_space),
                NameObject("/BitsPerComponent"): NumberObject(8),
                NameObject("/Filter"): NameObject("/FlateDecode"),
            }
        )
        return obj

    image = stream(rgba.convert("RGB").tobytes(), "/DeviceRGB")
    if alpha.getextrema() != (255, 255):
        image[NameObject("/SMask")] = writer._add_object(stream(alpha.tobytes(), "/DeviceGray"))
    return {"ref": writer._add_object(image), "ratio": width / height}


def _array(values) -> ArrayObject:
    return ArrayObject(FloatObject(round(v, 4)) for v in values)


def _to_user(rotation: int, box: tuple, u: float, v: float) -> tuple[float, float]:
    """A point of the page as seen (after /Rotate, clockwise) in the page's own coordinates."""
    x0, y0, x1, y1 = box
    if rotation == 90:
        return x1 - v, y0 + u
    if rotation == 180:
        return x1 - u, y1 - v
    if rotation == 270:
        return x0 + v, y1 - u
    return x0 + u, y0 + v


def _matrix(rotation: int, box: tuple, u: float, v: float, w: float, h: float) -> tuple:
    """The `cm` that draws a unit image upright at (u, v), w × h, on the page as seen."""
    e, f = _to_user(rotation, box, u, v)
    a, b = {0: (w, 0), 90: (0, w), 180: (-w, 0), 270: (0, -w)}[rotation]
    c, d = {0: (0, h), 90: (-h, 0), 180: (0, -h), 270: (h, 0)}[rotation]
    return a, b, c, d, e, f
