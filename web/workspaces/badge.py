"""Settings → Badge: the workspace's "Protegido por Amparo" badge (issue 13.5).

Every member sees its state and why, what is missing before it is issued, the variants, the
HTML and Markdown snippets to embed it, a PNG to download and how often it was seen. Owners
and managers can ask for a check now and, in a business, stamp an invoice PDF with it.
"""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from flask import Response, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import format_currency, format_date, format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from markupsafe import escape
from sqlalchemy import select
from wtforms import SelectChoice, SelectField, StringField
from wtforms.validators import Length, Optional

from letters import badge_art
from letters.stamp import invoice_stamper
from tenants import db
from tenants.models import Charge, Party, WorkspaceKind
from tenants.permissions import CREDITORS
from tenants.services.badge import invoices as stamping
from tenants.services.badge import issuance
from tenants.services.badge import views as badge_views
from tenants.services.errors import ServiceError
from tenants.services.receivables import invoices as invoice_service
from tenants.services.rentals import parties as party_service
from tenants.storage import DocumentStore, check_pdf
from web.fields import DayField, MoneyField
from web.messages import apply_to_form, message_for
from web.permissions import may, only_in, requires
from web.workspaces import bp

CHART_DAYS = 30
INVOICE_CHOICES_LIMIT = 200
CLIENT_CHOICES_LIMIT = 1000

REQUIREMENT_LABELS = {
    "plan": _l("A plan that includes the badge (Protección or higher)"),
    "email": _l("The owner's account email confirmed"),
    "tax_id": _l("A valid NIF, CIF or NIE on the letterhead"),
    "ladder": _l("The collection ladder switched on (at least one step)"),
}
# Why a badge is suspended (Badge.reason), as the page says it.
REASON_TEXTS = {
    "plan": _l("The workspace's plan no longer includes the badge."),
    "email": _l("The owner's account email is not confirmed."),
    "tax_id": _l("The letterhead has no valid NIF, CIF or NIE."),
    "ladder": _l("The collection ladder has no steps."),
}
FIX_LABELS = {
    "plan": _l("Choose a plan"),
    "email": _l("Confirm the email on your account"),
    "tax_id": _l("Edit the letterhead"),
    "ladder": _l("Set up the ladder"),
}
LANGUAGE_LABELS = {"es": "Español", "en": "English"}
THEME_LABELS = {"light": _l("Light"), "dark": _l("Dark")}
STYLE_LABELS = {"full": _l("Full"), "compact": _l("Compact"), "qr": _l("With QR code")}


class StampForm(FlaskForm):
    """An invoice PDF, and the invoice it is: one already in Amparo, or a new one."""

    file = FileField(_l("The invoice PDF"))
    invoice_id = SelectField(_l("Invoice"), validate_choice=False)
    party_id = SelectField(_l("Client"), validate_choice=False)
    number = StringField(_l("Invoice number"), validators=[Length(max=40)])
    issue_date = DayField(_l("Issue date"), validators=[Optional()])
    due_date = DayField(_l("Due date"), validators=[Optional()])
    total = MoneyField(_l("Total"))


class CheckForm(FlaskForm):
    """The "check now" button: the CSRF token only."""


def _store() -> DocumentStore:
    return DocumentStore(current_app.config["DOCUMENTS_DIR"])


def _base_url() -> str:
    return str(current_app.config["BASE_URL"]).rstrip("/")


def stamper():
    """The stamp of this app (letters/stamp.py), for the services that stamp."""
    return invoice_stamper(_base_url())


# --- what the page shows ------------------------------------------------------------------------


def _query(options: dict) -> str:
    """The variant's query string, without the defaults (the plain URL is the default)."""
    args = {
        "lang": options["language"],
        "theme": options["theme"],
        "style": options["style"],
    }
    keys = {"lang": "language", "theme": "theme", "style": "style"}
    args = {k: v for k, v in args.items() if v != badge_art.DEFAULTS[keys[k]]}
    return "?" + urlencode(args) if args else ""


def snippets(token: str, options: dict) -> dict[str, str]:
    """The HTML and Markdown that embed the badge, linked to its verify page."""
    base = _base_url()
    image = f"{base}/badge/{token}.svg{_query(options)}"
    verify = f"{base}/verify/{token}"
    alt = badge_art.WORDS[options["language"]]["active"][0]
    layout = badge_art.LAYOUTS[options["style"]]
    html = (
        f'<a href="{escape(verify)}"><img src="{escape(image)}" alt="{alt}" '
        f'width="{layout["width"]}" height="{layout["height"]}"></a>'
    )
    return {"html": html, "markdown": f"[![{alt}]({image})]({verify})"}


def _checklist(missing: list[str]) -> list[dict]:
    links = {
        "plan": url_for("ws.plan") if may("plan.manage") else None,
        "email": url_for("auth.account"),
        "tax_id": url_for("ws.collections.letterhead_settings"),
        "ladder": url_for("ws.collections.ladder_settings"),
    }
    return [
        {
            "name": name,
            "label": REQUIREMENT_LABELS[name],
            "done": name not in missing,
            "link": links[name],
            "fix": FIX_LABELS[name],
        }
        for name in issuance.REQUIREMENTS
    ]


def views_chart(days: list[tuple[date, int]]) -> dict:
    """Bars of the views per day, drawn by the server (an SVG without script or style)."""
    width, height, gap, top = 600, 120, 2, 8
    bar = (width - gap * (len(days) - 1)) / max(len(days), 1)
    most = max((n for _day, n in days), default=0)
    bars = []
    for i, (day, views) in enumerate(days):
        h = 0 if most == 0 else round((height - top) * views / most, 1)
        bars.append(
            {
                "x": round(i * (bar + gap), 1),
                "y": round(height - max(h, 1), 1),
                "width": round(bar, 1),
                "height": max(h, 1),  # a day without views is a hairline, not nothing
                "title": _(
                    "%(day)s: %(views)s views",
                    day=format_date(day, "d MMM"),
                    views=format_decimal(views),
                ),
                "empty": views == 0,
            }
        )
    return {
        "width": width,
        "height": height,
        "bars": bars,
        "total": sum(n for _day, n in days),
        "most": most,
        "first": days[0][0] if days else None,
        "last": days[-1][0] if days else None,
    }


def _invoice_choices() -> list[SelectChoice]:
    rows = db.session.execute(
        select(Charge.id, Charge.number, Charge.amount, Party.name)
        .outerjoin(Party, Party.id == Charge.party_id)
        .where(Charge.kind == "invoice")
        .order_by(Charge.issue_date.desc(), Charge.id.desc())
        .limit(INVOICE_CHOICES_LIMIT)
    ).all()
    return [SelectChoice("", _("A new invoice (fill in its details below)"))] + [
        SelectChoice(str(id_), f"{number} · {name or '—'} · {format_currency(amount, 'EUR')}")
        for id_, number, amount, name in rows
    ]


def _stamp_form(**kwargs) -> StampForm:
    form = StampForm(**kwargs)
    form.invoice_id.choices = _invoice_choices()
    form.party_id.choices = [SelectChoice("", "—")] + [
        SelectChoice(str(p.id), p.name)
        for p in party_service.list_parties(limit=CLIENT_CHOICES_LIMIT)
    ]
    return form


def _refusal_text() -> str | None:
    refused = stamping.refusal()
    return message_for(refused) if refused is not None else None


def _page(stamp_form: StampForm | None = None, status: int = 200):
    badge = issuance.workspace_badge()
    options = badge_art.variant(request.args)
    state = badge.state if badge is not None else None
    missing = issuance.missing_requirements() if state != "revoked" else []
    business = g.workspace.kind == WorkspaceKind.BUSINESS
    if stamp_form is None and business:
        stamp_form = _stamp_form(formdata=None)
    previews = []
    if badge is not None:
        for style in badge_art.STYLES:
            for theme in badge_art.THEMES:
                variant = {**options, "style": style, "theme": theme}
                previews.append(
                    {
                        "url": f"/badge/{badge.token}.svg{_query(variant)}",
                        "theme": theme,
                        "style": style,
                        "label": f"{STYLE_LABELS[style]} · {THEME_LABELS[theme]}",
                        "layout": badge_art.LAYOUTS[style],
                        "chosen": style == options["style"] and theme == options["theme"],
                    }
                )
    return render_template(
        "workspaces/badge.html",
        badge=badge,
        state=state,
        reason_text=REASON_TEXTS.get(badge.reason) if badge is not None else None,
        missing=missing,
        checklist=_checklist(missing),
        options=options,
        previews=previews,
        snippet=snippets(badge.token, options) if badge is not None else None,
        png_url=f"/badge/{badge.token}.png{_query(options)}" if badge is not None else None,
        chart=views_chart(badge_views.daily_views(CHART_DAYS)),
        chart_days=CHART_DAYS,
        business=business,
        stamp_form=stamp_form,
        check_form=CheckForm(formdata=None),
        refusal=_refusal_text(),
        language_labels=LANGUAGE_LABELS,
        theme_labels=THEME_LABELS,
        style_labels=STYLE_LABELS,
        requirement_labels=REQUIREMENT_LABELS,
        fix_labels=FIX_LABELS,
    ), status


@bp.get("/settings/badge")
@only_in(*CREDITORS)
def badge_settings():
    return _page()


@bp.post("/settings/badge/check")
@requires("badge.stamp")
def badge_check():
    """Ask the job to look at the badge now, instead of at the next hourly round."""
    if CheckForm().validate_on_submit():
        issuance.request_refresh()
        flash(_("The badge is being checked: reload the page in a few seconds."), "success")
    return redirect(url_for("ws.badge_settings"))


# --- stamp my invoice ---------------------------------------------------------------------------


def _upload(form: StampForm) -> bytes:
    upload = form.file.data
    if not upload or not getattr(upload, "filename", ""):
        raise ServiceError("required", "file")
    content = upload.read()
    check_pdf(content)
    return content


def _new_invoice(form: StampForm) -> int:
    try:
        party_id = int(form.party_id.data or "")
    except ValueError:
        raise ServiceError("required", "party_id") from None
    invoice = invoice_service.create_invoice(
        invoice_service.InvoiceInput(
            party_id=party_id,
            number=form.number.data or "",
            issue_date=form.issue_date.data,
            due_date=form.due_date.data,
            total=(form.total.data or "").strip(),
        )
    )
    return invoice.id


def pdf_download(content: bytes, number: str) -> Response:
    """The stamped invoice as a file to save."""
    name = "".join(c for c in (number or "invoice") if c.isalnum() or c in "-_.")[:60]
    response = Response(content, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}-amparo.pdf"'
    return response


@bp.post("/settings/badge/stamp")
@only_in(WorkspaceKind.BUSINESS)
@requires("badge.stamp")
def badge_stamp():
    """Upload an invoice PDF; the answer is the same PDF with the badge and the verify QR."""
    form = _stamp_form()
    if not form.validate_on_submit():
        return _page(form, 422)
    try:
        pdf = _upload(form)  # checked first: a bad file creates nothing
        refused = stamping.refusal()
        if refused is not None:
            raise refused
        chosen = form.invoice_id.data or ""
        if chosen.isdigit():
            charge_id = invoice_service.get_invoice(int(chosen)).id
        else:
            charge_id = _new_invoice(form)
        stamped = stamping.stamp_invoice(
            charge_id, pdf, store=_store(), stamp=stamper(), actor=current_user.user
        )
    except ServiceError as error:
        apply_to_form(form, error)
        return _page(form, 422)
    number = invoice_service.get_invoice(stamped.charge_id).number
    return pdf_download(_store().get(stamped.stamped_sha256), number)
