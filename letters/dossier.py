"""The dossier of an escalation: everything a lawyer needs to act on a case, as one signed PDF,
a ZIP of its parts with an index of hashes, and a draft of the monitorio petition
(docs/law.md#dossier, docs/law.md#signatures).

The PDF is a cover (the parties, the debt to date by charge with its interest and fees from
tenants/services/collections/claims.py, the timeline, the out-of-court attempt of LO 1/2025, the
index of parts with each one's SHA-256 and pages) followed by the parts, each with its bookmark:

- every letter of the case that left, oldest first, byte for byte as archived (a certified
  demand keeps its own signature inside the ZIP), and the acknowledgement of receipt on file;
- the invoices' PDFs (a business debt) or a summary of the lease (a rent debt);
- the payments received on the case's charges (a table);
- the debtor's messages and disputes from the portal, with their PDF attachments;
- the documents added to the escalation (PDFs appended; other files listed, and in the ZIP).

Originals stay originals: a part that is a stored file is appended as it is, so the hash in the
index is the hash on file. The merged PDF is then signed PAdES (letters/signing.py); so is the
petition draft. Everything is in Spanish, the court's language.

Nothing here imports Flask: the job (jobs/dossiers.py) passes the store, the signer and `now`.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from pypdf import PdfReader, PdfWriter
from pypdf.generic import NameObject
from sqlalchemy import or_, select

from letters import i18n, signing
from letters.render import (
    ASSETS_DIR,
    PDF_VARIANT,
    AssetFetcher,
    format_money,
    render_document,
    render_html,
    render_pdf,
)
from tenants.clock import date_in_spain
from tenants.db import current_tenant_id, session
from tenants.models import (
    Allocation,
    Case,
    CaseEvent,
    Charge,
    DebtorMessage,
    Deposit,
    Escalation,
    EscalationDocument,
    Lease,
    LeaseParty,
    Letter,
    Party,
    Payment,
    Workspace,
)
from tenants.services.collections import cases, claims
from tenants.storage import DocumentStore

LANGUAGE = "es"  # a court file: Spanish whatever the creditor's language
ZERO = Decimal("0.00")
PDF = "application/pdf"
SIGNATURE_REASON = "Expediente de reclamación emitido por Amparo"
PETITION_REASON = "Borrador de petición de monitorio emitido por Amparo"
CASE_TYPES = {
    "monitorio": "Procedimiento monitorio",
    "eviction": "Desahucio por falta de pago",
    "ordinary": "Reclamación de cantidad (juicio ordinario o verbal)",
}
CHANNELS = {"email": "correo electrónico", "postal": "correo postal", "certified": "burofax"}
METHODS = {
    "transfer": "transferencia",
    "cash": "efectivo",
    "card": "tarjeta",
    "direct_debit": "domiciliación",
    "sepa": "adeudo SEPA",
    "bizum": "Bizum",
    "cheque": "cheque",
}
REASONS = {
    "hardship": "dificultades económicas",
    "amount": "no está de acuerdo con el importe",
    "paid": "dice haber pagado",
    "quality": "reclama por la calidad del servicio o del inmueble",
    "other": "otro motivo",
}
# The case events the timeline tells in words; letters, payments and messages are told from
# their own rows.
EVENTS = {
    "opened": "Apertura del expediente de cobro",
    "reopened": "Reapertura del expediente",
    "paused": "Expediente en pausa",
    "resumed": "Se reanudan las reclamaciones",
    "disputed": "El deudor discute la deuda",
    "promised": "Promesa de pago del deudor",
    "promise_broken": "Promesa de pago incumplida",
    "plan": "Plan de pagos acordado",
    "plan_missed": "Plazo del plan de pagos incumplido",
    "charge_disputed": "Cargo discutido",
    "charge_dispute_settled": "Discusión de un cargo resuelta",
    "escalation_proposed": "Se propone el paso a un abogado",
    "closed": "Cierre del expediente",
}


@dataclass
class Part:
    """One document of the dossier: a stored original or a page Amparo rendered."""

    title: str
    filename: str
    pdf: bytes
    original: bool  # a stored file appended as it is (its hash is the one on file)
    sha256: str = ""
    pages: int = 0
    first_page: int = 0
    last_page: int = 0

    def __post_init__(self) -> None:
        self.sha256 = hashlib.sha256(self.pdf).hexdigest()
        self.pages = len(PdfReader(io.BytesIO(self.pdf)).pages)


@dataclass
class Listed:
    """A file that is not a PDF (a photo, a spreadsheet): listed, and put in the ZIP."""

    title: str
    filename: str
    content: bytes
    content_type: str
    sha256: str = field(init=False)

    def __post_init__(self) -> None:
        self.sha256 = hashlib.sha256(self.content).hexdigest()


@dataclass(frozen=True)
class Built:
    pdf: bytes  # the signed dossier
    pdf_sha256: str
    pages: int
    cover_pages: int
    zip: bytes
    zip_sha256: str
    petition: bytes  # the signed draft petition
    petition_sha256: str
    parts: tuple[Part, ...]
    listed: tuple[Listed, ...]


# --- gathering -----------------------------------------------------------------------------


def _party(party: Party) -> dict:
    return {
        "name": party.name,
        "nif": party.tax_id or "",
        "address_lines": party.address_lines,
        "city": party.city or "",
        "email": party.email or "",
        "phone": party.phone or "",
    }


def _creditor(workspace: Workspace) -> dict:
    return {
        "name": workspace.letterhead_name,
        "nif": workspace.tax_id or "",
        "address_lines": workspace.address_lines,
        "email": workspace.contact_email or "",
        "phone": workspace.phone or "",
    }


def concept(owed: claims.OwedCharge) -> str:
    """A charge as the letters name it: "Renta de octubre de 2026", "Factura F-12"."""
    if owed.period is not None:
        return f"Renta de {i18n.month_year(owed.period, LANGUAGE)}"
    if owed.number:
        return f"Factura {owed.number}"
    return owed.description


def _when(letter: Letter) -> date | None:
    if letter.sent_at is not None:
        return date_in_spain(letter.sent_at)
    return letter.posted_on


def _sent_letters(case: Case) -> list[Letter]:
    """The case's letters that left (emailed or posted) with a PDF on file, oldest first."""
    rows = session.scalars(
        select(Letter).where(
            Letter.case_id == case.id,
            Letter.pdf_sha256.is_not(None),
            or_(Letter.sent_at.is_not(None), Letter.posted_on.is_not(None)),
        )
    ).all()
    return sorted(rows, key=lambda one: (_when(one), one.id))


def _letter_row(letter: Letter, number: int | None) -> dict:
    words = i18n.words(LANGUAGE)
    return {
        "id": letter.id,
        "title": words.get(f"{letter.kind}_title", letter.kind),
        "kind": letter.kind,
        "recipient": letter.party.name,
        "is_copy": letter.copy_of_id is not None,
        "channel": CHANNELS.get(letter.channel, letter.channel),
        "left_on": _when(letter),
        "sha256": letter.pdf_sha256,
        "content_sha256": letter.content_sha256,
        "tracking_number": letter.tracking_number or "",
        "delivered_on": letter.delivered_on,
        "acknowledgement_sha256": letter.acknowledgement_sha256,
        "status": letter.status,
        "total": letter.total,
        "part": number,
    }


def _guarantors(leases: list[Lease]) -> list[dict]:
    if not leases:
        return []
    parties = session.scalars(
        select(Party)
        .join(LeaseParty, LeaseParty.party_id == Party.id)
        .where(LeaseParty.lease_id.in_([lease.id for lease in leases]))
        .where(LeaseParty.role == "guarantor")
        .order_by(Party.id)
        .distinct()
    ).all()
    return [_party(p) for p in parties]


def _lease_summary(lease: Lease) -> dict:
    prop = lease.unit.property
    deposit = session.scalar(select(Deposit).where(Deposit.lease_id == lease.id))
    by_role: dict[str, list[dict]] = {"renter": [], "guarantor": []}
    for one in lease.parties:
        by_role.setdefault(one.role, []).append(_party(one.party))
    return {
        "reference": lease.reference or "",
        "use": "vivienda" if lease.use == "housing" else "uso distinto de vivienda",
        "unit": lease.unit.full_label,
        "address_lines": [
            line
            for line in (
                f"{prop.street}, {lease.unit.label}",
                " ".join(p for p in (prop.postal_code, prop.city) if p)
                + (f" ({prop.province})" if prop.province and prop.province != prop.city else ""),
            )
            if line.strip()
        ],
        "renters": by_role["renter"],
        "guarantors": by_role["guarantor"],
        "start_date": lease.start_date,
        "end_date": lease.end_date,
        "signed_on": lease.signed_on,
        "rent": lease.rent,
        "due_day": lease.due_day,
        "payment_method": METHODS.get(lease.payment_method, lease.payment_method),
        "extras": [{"description": e.description, "amount": e.amount} for e in lease.extras],
        "deposit": deposit.amount if deposit is not None else None,
        "guarantee": (
            {"kind": deposit.guarantee_kind, "amount": deposit.guarantee_amount}
            if deposit is not None and deposit.guarantee_kind != "none"
            else None
        ),
        "status": lease.status,
    }


def _payments(case: Case) -> list[dict]:
    """The payments that went, in whole or in part, to the case's charges."""
    charge_ids = select(Charge.id).where(Charge.case_id == case.id)
    rows = session.execute(
        select(Payment, Allocation)
        .join(Allocation, Allocation.payment_id == Payment.id)
        .where(Allocation.charge_id.in_(charge_ids))
        .order_by(Payment.received_on, Payment.id, Allocation.id)
    ).all()
    payments: dict[int, dict] = {}
    for payment, allocation in rows:
        row = payments.setdefault(
            payment.id,
            {
                "received_on": payment.received_on,
                "amount": payment.amount,
                "method": METHODS.get(payment.method, payment.method),
                "reference": payment.reference,
                "to_case": ZERO,
                "charges": [],
            },
        )
        row["to_case"] += allocation.amount
        row["charges"].append(concept(claims.owed_charge(allocation.charge, payment.received_on)))
    return list(payments.values())


def _messages(case: Case) -> list[DebtorMessage]:
    return list(
        session.scalars(
            select(DebtorMessage)
            .where(DebtorMessage.case_id == case.id)
            .order_by(DebtorMessage.created_at, DebtorMessage.id)
        )
    )


def _disputed_charges(case: Case) -> list[dict]:
    rows = session.scalars(
        select(Charge)
        .where(Charge.case_id == case.id, Charge.disputed_at.is_not(None))
        .order_by(Charge.due_date, Charge.id)
    ).all()
    return [
        {
            "label": concept(claims.owed_charge(c, date_in_spain(c.disputed_at))),
            "on": date_in_spain(c.disputed_at),
            "reason": c.dispute_reason,
        }
        for c in rows
    ]


def _timeline(case: Case, letters: list[dict], payments: list[dict], messages, escalation):
    events: list[tuple[date, int, str]] = [(date_in_spain(case.opened_at), 0, EVENTS["opened"])]
    for event in session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.created_at)
    ):
        label = EVENTS.get(event.kind)
        if label and event.kind != "opened":
            note = (event.detail or {}).get("note") or (event.detail or {}).get("reason") or ""
            if not isinstance(note, str):
                note = ""
            events.append(
                (date_in_spain(event.created_at), 1, f"{label}{': ' if note else ''}{note}")
            )
    for row in letters:
        copy = " (copia al avalista)" if row["is_copy"] else ""
        events.append(
            (
                row["left_on"],
                2,
                f"{row['title']}{copy} a {row['recipient']}, por {row['channel']}"
                + (f", envío nº {row['tracking_number']}" if row["tracking_number"] else ""),
            )
        )
        if row["delivered_on"] is not None:
            events.append((row["delivered_on"], 3, f"Entregado: {row['title']}{copy}"))
    for row in payments:
        amount = format_money(row["to_case"])
        events.append((row["received_on"], 4, f"Pago recibido: {amount} a esta deuda"))
    for message in messages:
        what = "Promesa de pago" if message.kind == "promise" else "Mensaje del deudor"
        events.append((date_in_spain(message.created_at), 5, f"{what} en el portal"))
    events.append((date_in_spain(escalation.created_at), 9, "Paso a un abogado (este expediente)"))
    events.sort(key=lambda one: (one[0], one[1]))
    return [{"on": on, "text": text} for on, _order, text in events]


def facts(escalation: Escalation, today: date) -> dict:
    """What the cover and the petition print, from the database as of `today`."""
    case = session.get(Case, escalation.case_id)
    workspace = session.get(Workspace, current_tenant_id())
    claim = claims.claim_of_case(case, today)
    leases = cases.leases_of(case.id)
    sent = _sent_letters(case)
    letter_rows = [_letter_row(letter, None) for letter in sent]
    payments = _payments(case)
    messages = _messages(case)
    demands = [r for r in letter_rows if r["kind"] in claims.DEMANDS and not r["is_copy"]]
    return {
        "escalation": {
            "id": escalation.id,
            "case_type": CASE_TYPES.get(escalation.case_type, escalation.case_type),
            "case_type_key": escalation.case_type,
            "created_on": date_in_spain(escalation.created_at),
            "claimed_amount": escalation.claimed_amount,
        },
        "today": today,
        "reference": claim.reference,
        "creditor": _creditor(workspace),
        "debtor": _party(case.party),
        "debtor_is_business": case.party.is_business,
        "guarantors": _guarantors(leases),
        "claim": {
            "regime": claim.regime,
            "charges": [
                {
                    "label": c.label,
                    "description": c.description,
                    "number": c.number,
                    "period": c.period,
                    "due_date": c.due_date,
                    "amount": c.amount,
                    "outstanding": c.outstanding,
                    "days_late": c.days_late,
                }
                for c in claim.charges
            ],
            "principal": claim.principal,
            "interest": claim.interest,
            "interest_from": claim.interest_from,
            "is_demand": claim.is_demand,
            "missing_rates": claim.missing_rates,
            "compensation": claim.compensation,
            "compensation_count": claim.compensation_count,
            "total": claim.total,
        },
        "letters": letter_rows,
        "demands": demands,
        "out_of_court": bool(demands),
        "leases": leases,
        "payments": payments,
        "messages": messages,
        "disputed_charges": _disputed_charges(case),
        "timeline": _timeline(case, letter_rows, payments, messages, escalation),
        "charge_ids": [c.charge_id for c in claim.charges],
    }


# --- parts ---------------------------------------------------------------------------------


def _slug(text: str, limit: int = 48) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_").lower()
    return text[:limit].strip("_") or "documento"


def _render(template: str, context: dict) -> bytes:
    return render_pdf(render_html(f"dossier/{template}", context, language=LANGUAGE))


def _is_pdf(content: bytes) -> bool:
    if not content.startswith(b"%PDF-"):
        return False
    try:
        reader = PdfReader(io.BytesIO(content))
        # An encrypted PDF cannot be merged: it is listed, and goes in the ZIP as it is.
        return not reader.is_encrypted and len(reader.pages) > 0
    except Exception:
        return False


def parts_of(escalation: Escalation, info: dict, store: DocumentStore):
    """The dossier's parts in order, and the files only listed (not PDFs)."""
    parts: list[Part] = []
    listed: list[Listed] = []

    def add(title: str, name: str, content: bytes, original: bool) -> Part | None:
        """A part, or, for a file pypdf cannot merge (a scan that is not a PDF, an encrypted
        PDF), a listed file: in the cover's list and in the ZIP, as it is."""
        if original and not _is_pdf(content):
            listed.append(
                Listed(
                    title,
                    f"{_slug(name)}.{'pdf' if content[:5] == b'%PDF-' else 'bin'}",
                    content,
                    PDF if content[:5] == b"%PDF-" else "application/octet-stream",
                )
            )
            return None
        number = len(parts) + 1
        part = Part(title, f"{number:02d}_{_slug(name)}.pdf", content, original)
        parts.append(part)
        return part

    for row in info["letters"]:
        copy = " (copia al avalista)" if row["is_copy"] else ""
        day = row["left_on"].strftime("%d/%m/%Y")
        title = f"{row['title']}{copy}, {day}"
        if add(title, f"carta_{row['kind']}_{row['id']}", store.get(row["sha256"]), True):
            row["part"] = len(parts)
        ack = row["acknowledgement_sha256"]
        if ack and store.exists(ack):
            title = f"Acuse de recibo: {row['title']}{copy}"
            if add(title, f"acuse_{row['id']}", store.get(ack), True):
                row["acknowledgement_part"] = len(parts)
    if info["debtor_is_business"] or not info["leases"]:
        invoices = session.scalars(
            select(Charge)
            .where(Charge.id.in_(info["charge_ids"]), Charge.attachment_sha256.is_not(None))
            .order_by(Charge.due_date, Charge.id)
        ).all()
        for charge in invoices:
            if store.exists(charge.attachment_sha256):
                add(
                    f"Factura {charge.number or charge.description}",
                    f"factura_{charge.number or charge.id}",
                    store.get(charge.attachment_sha256),
                    True,
                )
    for lease in info["leases"]:
        summary = _lease_summary(lease)
        title = "Contrato de arrendamiento: datos" + (
            f" ({summary['reference']})" if summary["reference"] else ""
        )
        add(
            title,
            f"arrendamiento_{lease.id}",
            _render("lease.html", {**info, "lease": summary}),
            False,
        )
    add("Pagos recibidos", "pagos", _render("payments.html", info), False)
    messages = info["messages"]
    if messages or info["disputed_charges"]:
        rows = []
        attachments = []
        for message in messages:
            files = []
            for attachment in message.attachments:
                content = store.get(attachment.sha256) if store.exists(attachment.sha256) else None
                files.append({"filename": attachment.filename, "sha256": attachment.sha256})
                if content is None:
                    continue
                if attachment.content_type == PDF and _is_pdf(content):
                    attachments.append((attachment.filename, content))
                else:
                    listed.append(
                        Listed(
                            f"Adjunto del deudor: {attachment.filename}",
                            attachment.filename,
                            content,
                            attachment.content_type,
                        )
                    )
            rows.append(
                {
                    "on": date_in_spain(message.created_at),
                    "kind": "Promesa de pago"
                    if message.kind == "promise"
                    else "Discusión o explicación",
                    "reason": REASONS.get(message.reason or "", ""),
                    "text": message.text,
                    "promised_on": message.promised_on,
                    "amount": message.amount,
                    "files": files,
                }
            )
        add(
            "Mensajes y discusiones del deudor",
            "mensajes_deudor",
            _render("messages.html", {**info, "rows": rows}),
            False,
        )
        for filename, content in attachments:
            add(f"Adjunto del deudor: {filename}", f"adjunto_{filename}", content, True)
    documents = session.scalars(
        select(EscalationDocument)
        .where(EscalationDocument.escalation_id == escalation.id)
        .order_by(EscalationDocument.created_at, EscalationDocument.id)
    ).all()
    for document in documents:
        if not store.exists(document.sha256):
            continue
        content = store.get(document.sha256)
        side = "acreedor" if document.side == "creditor" else "despacho"
        title = f"Documento aportado ({side}): {document.filename}"
        if document.content_type == PDF and _is_pdf(content):
            add(title, f"documento_{document.filename}", content, True)
        else:
            listed.append(Listed(title, document.filename, content, document.content_type))
    return parts, listed


# --- the cover, the merge, the ZIP, the petition -------------------------------------------


def _cover(info: dict, parts: list[Part], listed: list[Listed], now: dt.datetime) -> bytes:
    """The cover, laid out until its page count (which moves every page range) settles."""
    cover_pages = 1
    for _ in range(4):
        page = cover_pages + 1
        for part in parts:
            part.first_page, part.last_page = page, page + part.pages - 1
            page += part.pages
        html = render_html(
            "dossier/cover.html",
            {
                **info,
                "parts": parts,
                "listed": listed,
                "cover_pages": cover_pages,
                "total_pages": page - 1,
                "generated": now.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            },
            language=LANGUAGE,
        )
        document = render_document(html, fetcher=AssetFetcher(ASSETS_DIR))
        if len(document.pages) == cover_pages:
            return document.write_pdf(pdf_variant=PDF_VARIANT)
        cover_pages = len(document.pages)
    raise RuntimeError("the dossier's cover did not settle on a page count")


def _strip_signature_widgets(writer: PdfWriter) -> None:
    """The parts' own signature fields (a certified demand's) do not carry over to the merged
    file: its one signature is the dossier's. The originals, signed, are in the ZIP."""
    for page in writer.pages:
        annots = page.get("/Annots")
        if annots is None:
            continue
        kept = [
            a
            for a in annots
            if not (
                a.get_object().get("/FT") == "/Sig" or a.get_object().get("/Subtype") == "/Widget"
            )
        ]
        if kept:
            page[NameObject("/Annots")] = type(annots)(kept)
        else:
            del page["/Annots"]
    if "/AcroForm" in writer.root_object:
        del writer.root_object["/AcroForm"]


def merge(cover: bytes, parts: list[Part], title: str) -> bytes:
    """One PDF: the cover, then each part, with a bookmark per part (and one for the cover)."""
    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(cover)), import_outline=False)
    writer.add_outline_item(title="Portada e índice", page_number=0)
    for part in parts:
        start = len(writer.pages)
        writer.append(PdfReader(io.BytesIO(part.pdf)), import_outline=False)
        writer.add_outline_item(title=part.title, page_number=start)
    _strip_signature_widgets(writer)
    writer.add_metadata({"/Title": title, "/Producer": "Amparo", "/Creator": "Amparo"})
    writer.page_mode = "/UseOutlines"
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


DOSSIER_NAME = "expediente_firmado.pdf"
PETITION_NAME = "borrador_peticion_monitorio.pdf"


def make_zip(
    parts: list[Part], listed: list[Listed], dossier: bytes, petition: bytes, when: dt.datetime
) -> bytes:
    """Each part as its own file, the listed files, the signed dossier and the draft petition,
    with index.csv and indice.txt naming each file, what it is and its SHA-256."""
    entries: list[tuple[str, str, bytes]] = [(p.filename, p.title, p.pdf) for p in parts]
    used = {name for name, _title, _content in entries}
    for number, one in enumerate(listed, start=1):
        name = f"otros/{number:02d}_{_slug(one.filename.rsplit('.', 1)[0])}"
        ext = one.filename.rsplit(".", 1)[1].lower() if "." in one.filename else "bin"
        name = f"{name}.{_slug(ext, 8)}"
        while name in used:
            name = f"_{name}"
        used.add(name)
        entries.append((name, one.title, one.content))
    entries.append((DOSSIER_NAME, "Expediente completo, firmado (PAdES)", dossier))
    entries.append((PETITION_NAME, "Borrador de petición inicial de monitorio, firmado", petition))
    rows = [(name, title, hashlib.sha256(content).hexdigest()) for name, title, content in entries]
    index_csv = io.StringIO()
    out = csv.writer(index_csv, lineterminator="\r\n")
    out.writerow(("archivo", "descripcion", "sha256"))
    out.writerows(rows)
    width = max(len(name) for name, _t, _h in rows)
    index_txt = "Índice del expediente (SHA-256 de cada archivo)\r\n\r\n" + "".join(
        f"{name.ljust(width)}  {digest}  {title}\r\n" for name, title, digest in rows
    )
    stamp = when.astimezone(dt.UTC).timetuple()[:6]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in (
            ("index.csv", index_csv.getvalue().encode("utf-8")),
            ("indice.txt", index_txt.encode("utf-8")),
            *((name, content) for name, _title, content in entries),
        ):
            archive.writestr(zipfile.ZipInfo(name, date_time=stamp), content)
    return buffer.getvalue()


def build(
    escalation: Escalation,
    *,
    store: DocumentStore,
    signer: signing.Identity,
    now: dt.datetime,
) -> Built:
    """The dossier, its ZIP and the petition draft of `escalation`, as of `now`."""
    today = date_in_spain(now)
    info = facts(escalation, today)
    parts, listed = parts_of(escalation, info, store)
    cover = _cover(info, parts, listed, now)
    title = f"Expediente {info['reference']} · {info['debtor']['name']}"
    merged = merge(cover, parts, title)
    place = (info["creditor"]["address_lines"] or [""])[-1]
    pdf = signing.sign_pdf(merged, signer, reason=SIGNATURE_REASON, location=place, name="Amparo")
    petition_pdf = signing.sign_pdf(
        _render(
            "petition.html",
            {
                **info,
                "parts": parts,
                "listed": listed,
                "total_pages": len(PdfReader(io.BytesIO(merged)).pages),
            },
        ),
        signer,
        reason=PETITION_REASON,
        location=place,
        name="Amparo",
    )
    archive = make_zip(parts, listed, pdf, petition_pdf, now)
    cover_pages = len(PdfReader(io.BytesIO(cover)).pages)
    return Built(
        pdf=pdf,
        pdf_sha256=hashlib.sha256(pdf).hexdigest(),
        pages=len(PdfReader(io.BytesIO(pdf)).pages),
        cover_pages=cover_pages,
        zip=archive,
        zip_sha256=hashlib.sha256(archive).hexdigest(),
        petition=petition_pdf,
        petition_sha256=hashlib.sha256(petition_pdf).hexdigest(),
        parts=tuple(parts),
        listed=tuple(listed),
    )
