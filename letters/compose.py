"""One letter from its context: pick the template by kind, render, write the PDF/A, hash it.

The certified demand (burofax) gets a last page, the content certificate: the body is written
to PDF first and hashed, then the certificate (reference, recipient, number of pages, the body's
SHA-256, when) is laid out and its page appended to the body's pages; the combined document is
written once, still PDF/A-3b. ``content_sha256`` is the body's hash (what the certificate
prints), ``sha256`` the final file's.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from weasyprint.text.fonts import FontConfiguration

from letters import badge_art, signing
from letters.qr import payment_codes
from letters.render import PDF_VARIANT, AssetFetcher, render_document, render_html
from tenants.clock import MADRID

TEMPLATES = {
    kind: f"{kind}.html"
    for kind in (
        "reminder",
        "claim_1",
        "claim_2",
        "formal_demand",
        "certified_demand",
        "statement",
        "rent_update",
        "deposit_settlement",
    )
}
CERTIFIED_KINDS = {"certified_demand"}
SIGNATURE_REASON = "Burofax: contenido certificado por Amparo"
# Letters that ask for money carry the payment block with its two QR codes.
PAYMENT_KINDS = {"reminder", "claim_1", "claim_2", "formal_demand", "certified_demand", "statement"}


@dataclass(frozen=True)
class RenderedLetter:
    pdf: bytes  # the file to archive and send
    sha256: str  # of ``pdf``
    content_sha256: str | None  # of ``body_pdf``, the hash the content certificate prints
    html: str  # the body's HTML
    body_pdf: bytes  # the letter without its certificate page (== ``pdf`` for other kinds)


def with_badge(creditor: dict, language: str) -> dict:
    """The creditor with ``badge``: the art of its active badge in the letter's language, with
    the QR of its verify page, as a ``data:`` URI; None when it is not protected.

    Drawn here, like the payment codes, rather than kept in the stored context: the context
    says whether the badge was active and where it is verified, the art follows from that."""
    badge = None
    if creditor.get("protected") and creditor.get("verify_url"):
        badge = badge_art.data_uri(
            state="active",
            name=creditor.get("name") or "",
            language=language,
            style="qr",
            verify_url=creditor["verify_url"],
        )
    return {**creditor, "badge": badge}


def render_letter(
    context: dict,
    language: str,
    tenant_text: dict | None = None,
    *,
    now: dt.datetime | None = None,
    signer: signing.Identity | None = None,
) -> RenderedLetter:
    """The letter of ``context["kind"]`` in ``language``; ValueError for an unknown kind.

    ``now`` (aware) is when the content certificate says it was generated; defaults to now.
    With ``signer``, a certified demand's final file is signed PAdES (letters/signing.py,
    docs/law.md#signatures): ``pdf`` and ``sha256`` are the signed file's.
    """
    kind = context.get("kind")
    template = TEMPLATES.get(kind) if isinstance(kind, str) else None
    if template is None:
        raise ValueError(f"no letter template for kind {kind!r}")
    view = dict(context)
    view["creditor"] = with_badge(context["creditor"], language)
    if kind in PAYMENT_KINDS:
        view["qr"] = payment_codes(context)
    html = render_html(template, view, tenant_text, language=language)

    fetcher = AssetFetcher()
    fonts = FontConfiguration()
    body = render_document(html, fetcher=fetcher, font_config=fonts)
    body_pdf = body.write_pdf(pdf_variant=PDF_VARIANT)
    if kind not in CERTIFIED_KINDS:
        digest = hashlib.sha256(body_pdf).hexdigest()
        return RenderedLetter(body_pdf, digest, None, html, body_pdf)

    content_sha256 = hashlib.sha256(body_pdf).hexdigest()
    generated = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    certificate_html = render_html(
        "content_certificate.html",
        {
            "creditor": context["creditor"],
            "recipient": context["recipient"],
            "reference": context.get("reference", ""),
            "pages": len(body.pages),
            "sha256": content_sha256,
            "generated_utc": generated.strftime("%Y-%m-%d %H:%M:%S UTC"),
            "generated_madrid": generated.astimezone(MADRID).strftime("%Y-%m-%d %H:%M:%S %Z"),
        },
        language=language,
    )
    certificate = render_document(certificate_html, fetcher=fetcher, font_config=fonts)
    combined = body.copy(body.pages + certificate.pages)
    pdf = combined.write_pdf(pdf_variant=PDF_VARIANT)
    if signer is not None:
        pdf = signing.sign_pdf(
            pdf,
            signer,
            reason=SIGNATURE_REASON,
            location=context.get("place") or "",
            name=(context.get("creditor") or {}).get("name") or None,
        )
    return RenderedLetter(pdf, hashlib.sha256(pdf).hexdigest(), content_sha256, html, body_pdf)
