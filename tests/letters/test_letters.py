"""The collection-ladder letters and the rent-book letters, rendered from plain contexts and read
back with pypdf: what the debtor (or guarantor) reads, the QR payment block, the content
certificate of the burofax, and the same safety walls as the statement (see test_render.py)."""

from __future__ import annotations

import base64
import copy
import datetime as dt
import hashlib
import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from letters import compose
from letters.compose import render_letter
from letters.i18n import WORDS
from letters.qr import epc_payload, payment_codes
from letters.render import AssetFetcher, format_money
from letters.sample import IBAN
from letters.sample import sample_context as make_context
from tests.letters.test_render import HOSTILE_NAME, PASSWD_MARKERS, _audit, _opened

pytestmark = [
    pytest.mark.filterwarnings(r"ignore:unclosed file .*sRGB2014\.icc:ResourceWarning"),
]

LADDER = ("reminder", "claim_1", "claim_2", "formal_demand", "certified_demand")
KINDS = (*LADDER, "statement", "rent_update", "deposit_settlement")
HOSTILE_CSS = "Evil SL url(http://evil.example/x)"


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def flat(text: str) -> str:
    """pypdf breaks long sentences over lines: compare with single spaces."""
    return " ".join(text.split())


def test_words_have_the_same_keys_in_both_languages():
    assert set(WORDS["es"]) == set(WORDS["en"])


class RecordingFetcher(AssetFetcher):
    """The pipeline's fetcher, remembered so a test can see what each letter asked for."""

    made: list[AssetFetcher] = []

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        RecordingFetcher.made.append(self)


@pytest.fixture
def fetchers(monkeypatch) -> list[AssetFetcher]:
    RecordingFetcher.made = []
    monkeypatch.setattr(compose, "AssetFetcher", RecordingFetcher)
    return RecordingFetcher.made


def render(context: dict, language: str = "es", **kwargs):
    """The letter and its text, with every file the process opens meanwhile recorded."""
    _opened.clear()
    _audit["active"] = True
    try:
        letter = render_letter(context, language, **kwargs)
    finally:
        _audit["active"] = False
    return letter, flat(pdf_text(letter.pdf))


# --- every kind, both languages ------------------------------------------------------------

TITLES = {
    "reminder": ("Recordatorio de pago", "Payment reminder"),
    "claim_1": ("Reclamación de pago", "Request for payment"),
    "claim_2": ("Segunda reclamación de pago", "Second request for payment"),
    "formal_demand": ("Requerimiento de pago", "Formal demand for payment"),
    "certified_demand": ("Requerimiento fehaciente de pago", "Certified demand for payment"),
    "statement": ("Extracto de cuenta", "Statement of account"),
    "rent_update": ("Notificación de actualización de la renta", "Notice of rent update"),
    "deposit_settlement": ("Liquidación de la fianza", "Settlement of the deposit"),
}


@pytest.mark.parametrize("language", ["es", "en"])
@pytest.mark.parametrize("kind", KINDS)
def test_each_letter_names_the_parties_in_the_recipients_language(kind, language):
    letter, text = render(make_context(kind), language)

    spanish, english = TITLES[kind]
    assert (spanish if language == "es" else english) in text
    if kind != "formal_demand":  # "Requerimiento de pago" is inside the certified title
        assert (english if language == "es" else spanish) not in text
    assert "Lucía Fernández Gómez" in text
    assert "Inmuebles Ruiz SL" in text and "B12345678" in text
    assert ("23 de noviembre de 2026" if language == "es" else "23 November 2026") in text
    assert "AMP-12-3" in text
    assert letter.pdf.startswith(b"%PDF-")
    assert letter.sha256 == hashlib.sha256(letter.pdf).hexdigest()
    assert (letter.content_sha256 is None) == (kind != "certified_demand")


@pytest.mark.parametrize("language", ["es", "en"])
@pytest.mark.parametrize("kind", LADDER)
def test_ladder_letters_list_each_charge_how_to_pay_and_the_deadline(kind, language):
    context = make_context(kind)
    letter, text = render(context, language)

    for charge in ("Renta septiembre 2026", "Suministro agua 3T", "R-2026-09"):
        assert charge in text
    assert "850,00 €" in text and "1.234,56 €" in text
    assert "05/09/2026" in text and "15/10/2026" in text
    assert "2.084,56 €" in text  # principal
    assert format_money(context["total"]).replace("\xa0", " ") in text
    assert IBAN in text
    assert "https://amparo.example/p/tok3n" in text
    deadline = "4 de diciembre de 2026" if language == "es" else "4 December 2026"
    days = "8 días hábiles" if language == "es" else "8 business days"
    assert deadline in text and days in text
    # The payment block carries the EPC transfer code and the portal code.
    assert letter.html.count('<img class="qr" src="data:image/svg+xml') == 2


def test_reminder_is_friendly_and_claims_get_firmer():
    _, reminder = render(make_context("reminder", next_step="claim_2"))
    assert "Quizá se le haya pasado" in reminder
    assert "pago a plazos" in reminder and "cuéntenoslo" in reminder
    assert "Ley 3/2004" not in reminder and "Código Civil" not in reminder
    _, claim_2 = render(make_context("claim_2", next_step="formal_demand"))
    assert "Es la última ocasión de resolver este asunto de forma amistosa" in claim_2
    assert "le enviaremos un requerimiento formal de pago" in claim_2
    _, english = render(make_context("reminder"), "en")
    assert "Perhaps this slipped your mind" in english
    assert "payment by instalments" in english


@pytest.mark.parametrize("language", ["es", "en"])
def test_formal_demand_shows_the_interest_table_its_regime_and_the_total(language):
    _, text = render(make_context("formal_demand"), language)

    assert "06/09/2026" in text and "16/10/2026" in text and "23/11/2026" in text
    rate = "10,15 %" if language == "es" else "10.15 %"
    assert text.count(rate) == 2
    assert "18,67 €" in text and "13,39 €" in text
    assert "32,06 €" in text  # interest total
    assert "2.196,62 €" in text  # principal + interest + compensation
    assert ("artículo 7 de la Ley 3/2004" if language == "es" else "article 7 of") in text
    assert "1108" not in text


def test_consumer_interest_is_the_legal_rate_from_the_demand():
    context = make_context("formal_demand", compensation=Decimal("0"), compensation_count=0)
    context["interest"] = {
        **context["interest"],
        "regime": "consumer",
        "from_date": dt.date(2026, 10, 1),
    }
    context["total"] = Decimal("2116.62")
    _, text = render(context)
    assert "artículos 1100 y 1108 del Código Civil" in text
    assert "interés legal del dinero" in text
    assert "(el 1 de octubre de 2026)" in text
    assert "Ley 3/2004" not in text
    _, english = render(context, "en")
    assert "articles 1100 and 1108 of the Spanish Civil Code" in english
    assert "(on 1 October 2026)" in english


@pytest.mark.parametrize("kind", ["formal_demand", "certified_demand"])
def test_the_40_euros_appear_only_when_there_is_compensation(kind):
    _, text = render(make_context(kind))
    assert "40 € por cada factura impagada" in text
    assert "2 × 40 € = 80,00 €" in text
    assert "artículo 8 de la Ley 3/2004" in text
    _, english = render(make_context(kind), "en")
    assert "EUR 40 for each unpaid invoice" in english

    none = make_context(kind, compensation=Decimal("0"), compensation_count=0)
    none["total"] = Decimal("2116.62")
    _, text = render(none)
    assert "40 €" not in text and "artículo 8" not in text
    assert "Compensación por costes de cobro" not in text
    assert "2.116,62 €" in text


@pytest.mark.parametrize("kind", LADDER)
def test_credit_file_warning_only_when_the_workspace_enables_it(kind):
    _, text = render(make_context(kind, credit_file={"name": "ASNEF"}))
    assert "sistema común de información crediticia ASNEF" in text
    assert "artículo 20 de la Ley Orgánica 3/2018" in text
    _, english = render(make_context(kind, credit_file={"name": "ASNEF"}), "en")
    assert "credit information file ASNEF" in english

    _, without = render(make_context(kind))
    assert "ASNEF" not in without and "información crediticia" not in without


@pytest.mark.parametrize("language", ["es", "en"])
def test_guarantor_copy_says_whose_debt_it_is(language):
    guarantor = {
        "name": "Pedro Gómez Ruiz",
        "nif": "87654321X",
        "address_lines": ["Avenida del Sol 8", "41001 Sevilla"],
    }
    _, text = render(make_context("claim_1", recipient=guarantor, is_copy=True), language)
    assert "Pedro Gómez Ruiz" in text and "41001 Sevilla" in text
    if language == "es":
        assert "COPIA PARA EL AVALISTA" in text
        assert "como avalista (fiador) de Lucía Fernández Gómez" in text
    else:
        assert "COPY FOR THE GUARANTOR" in text
        assert "as guarantor of Lucía Fernández Gómez" in text

    _, original = render(make_context("claim_1"), language)
    assert "AVALISTA" not in original and "GUARANTOR" not in original


@pytest.mark.parametrize(
    ("next_step", "expected"),
    [
        ("claim_2", "le enviaremos una segunda reclamación"),
        ("formal_demand", "le enviaremos un requerimiento formal de pago"),
        ("certified_demand", "requerimiento fehaciente por carta certificada con acuse de recibo"),
        ("escalation", "desahucio por falta de pago"),
    ],
)
def test_what_comes_next(next_step, expected):
    _, text = render(make_context("claim_1", next_step=next_step))
    assert expected in text


def test_escalation_without_a_lease_mentions_the_monitorio_not_eviction():
    _, text = render(make_context("formal_demand", next_step="escalation", lease=None))
    assert "procedimiento monitorio" in text
    assert "desahucio" not in text


# --- the certified demand and its content certificate ----------------------------------------


@pytest.mark.parametrize("language", ["es", "en"])
def test_certified_demand_ends_with_a_certificate_of_its_body(language):
    now = dt.datetime(2026, 11, 23, 9, 30, 5, tzinfo=dt.UTC)
    letter, _ = render(make_context("certified_demand"), language, now=now)

    body_pages = PdfReader(io.BytesIO(letter.body_pdf)).pages
    pages = PdfReader(io.BytesIO(letter.pdf)).pages
    assert len(pages) == len(body_pages) + 1
    # The body inside the final file is the body that was hashed.
    for body_page, page in zip(body_pages, pages, strict=False):
        assert body_page.extract_text() == page.extract_text()
    assert letter.content_sha256 == hashlib.sha256(letter.body_pdf).hexdigest()
    assert letter.sha256 == hashlib.sha256(letter.pdf).hexdigest()
    assert letter.sha256 != letter.content_sha256

    certificate = flat(pages[-1].extract_text())
    assert letter.content_sha256 in certificate
    assert "AMP-12-3" in certificate and "Lucía Fernández Gómez" in certificate
    assert "2026-11-23 09:30:05 UTC" in certificate
    assert "2026-11-23 10:30:05 CET" in certificate
    if language == "es":
        assert "Certificado de contenido" in certificate
        assert f"PÁGINAS DEL DOCUMENTO {len(body_pages)}" in certificate
        assert "se archiva sin alteración" in certificate
    else:
        assert "Certificate of content" in certificate
        assert f"PAGES OF THE DOCUMENT {len(body_pages)}" in certificate
        assert "archived unaltered" in certificate

    reader = PdfReader(io.BytesIO(letter.pdf))  # still one PDF/A-3b after combining
    pdfa = "http://www.aiim.org/pdfa/ns/id/"
    found = {
        attr: node.getAttributeNS(pdfa, attr)
        for node in reader.xmp_metadata.rdf_root.getElementsByTagNameNS("*", "Description")
        for attr in ("part", "conformance")
        if node.hasAttributeNS(pdfa, attr)
    }
    assert found == {"part": "3", "conformance": "B"}
    intents = reader.trailer["/Root"]["/OutputIntents"]
    assert [intent.get_object()["/S"] for intent in intents] == ["/GTS_PDFA1"]


def test_certified_demand_interrupts_prescription_and_warns_about_enervation_for_rent():
    letter, text = render(make_context("certified_demand"))
    body = flat(pdf_text(letter.body_pdf))
    # Named for how it travels: Amparo's own certificate, sent as certified mail.
    assert "CARTA CERTIFICADA CON ACUSE DE RECIBO Y CERTIFICACIÓN DE CONTENIDO EMITIDA" in body
    assert "burofax" not in body.lower()
    assert "artículo 1973 del Código Civil" in body
    assert "artículo 22.4 de la Ley de Enjuiciamiento Civil" in body
    assert "Ley Orgánica 1/2025" in body
    _, english = render(make_context("certified_demand"), "en")
    assert "article 1973 of the Spanish Civil Code" in english
    assert "article 22.4" in english and "Organic Law 1/2025" in english

    _, business = render(make_context("certified_demand", lease=None))
    assert "artículo 1973" in business and "22.4" not in business


def test_other_kinds_have_no_certificate_page():
    letter, text = render(make_context("formal_demand"))
    assert letter.pdf == letter.body_pdf
    assert "Certificado de contenido" not in text


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="escalation"):
        render_letter(make_context("escalation"), "es")
    with pytest.raises(ValueError):
        render_letter({k: v for k, v in make_context().items() if k != "kind"}, "es")


# --- rent book letters -------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["es", "en"])
def test_rent_update_notice_gives_old_and_new_rent_index_and_date(language):
    _, text = render(make_context("rent_update"), language)
    assert "850,00 €" in text and "868,70 €" in text
    assert "Calle de la Luna 3, 2º B, 28004 Madrid" in text
    if language == "es":
        assert "IRAV de octubre de 2026" in text and "+2,20 %" in text
        assert "1 de enero de 2027" in text
        assert "artículo 18 de la Ley 29/1994" in text
    else:
        assert "IRAV, October 2026" in text and "+2.20 %" in text
        assert "1 January 2027" in text and "article 18 of Spanish Law 29/1994" in text


@pytest.mark.parametrize("language", ["es", "en"])
def test_deposit_settlement_itemises_deductions_and_the_amount_returned(language):
    _, text = render(make_context("deposit_settlement"), language)
    assert "1.700,00 €" in text
    assert "Reparación de la puerta del baño" in text and "-120,50 €" in text
    assert "Renta octubre 2026 (días 1-15)" in text and "-425,00 €" in text
    assert "1.154,50 €" in text
    if language == "es":
        assert "15 de noviembre de 2026" in text and "15 de diciembre de 2026" in text
        assert "artículo 36 de la Ley" in text
    else:
        assert "15 November 2026" in text and "15 December 2026" in text
        assert "article 36 of Spanish Law 29/1994" in text


def test_statement_from_a_case_context_lists_outstanding_amounts():
    _, text = render(make_context("statement"))
    assert "Total pendiente" in text and "2.196,62 €" in text
    assert "5 de septiembre de 2026" in text and "R-2026-09" in text
    assert "1.234,56 €" in text


# --- the payment QR codes ----------------------------------------------------------------------


def test_epc_payload_line_layout():
    payload = epc_payload(
        name="Inmuebles Ruiz SL",
        iban="es91 2100 0418 4502 0005 1332",
        amount=Decimal("2196.62"),
        remittance="AMP-12-3",
        bic="caixesbbxxx",
    )
    assert payload == (
        "BCD\n002\n1\nSCT\nCAIXESBBXXX\nInmuebles Ruiz SL\nES9121000418450200051332\n"
        "EUR2196.62\n\n\nAMP-12-3"
    )


def test_epc_payload_without_bic_or_remittance_and_with_long_text():
    payload = epc_payload(name="Ana", iban=IBAN, amount=Decimal("40"))
    assert payload.split("\n") == [
        "BCD", "002", "1", "SCT", "", "Ana", "ES9121000418450200051332", "EUR40.00"
    ]  # fmt: skip
    long = epc_payload(
        name="N" * 80, iban=IBAN, amount=Decimal("0.015"), remittance="línea\nuno " + "r" * 200
    )
    lines = long.split("\n")
    assert lines[5] == "N" * 70
    assert lines[7] == "EUR0.02"
    assert lines[10].startswith("línea uno r") and len(lines[10]) == 140
    assert len(lines) == 11


@pytest.mark.parametrize(
    ("iban", "amount"),
    [
        (None, Decimal("10")),
        ("", Decimal("10")),
        (IBAN, Decimal("999999999.995")),
        (IBAN, Decimal("1000000000")),
        (IBAN, Decimal("0")),
        (IBAN, Decimal("-5")),
    ],
)
def test_no_epc_payload_without_iban_or_outside_the_amount_range(iban, amount):
    assert epc_payload(name="Ana", iban=iban, amount=amount) is None


def test_epc_payload_at_the_largest_amount_and_never_from_a_float():
    payload = epc_payload(name="Ana", iban=IBAN, amount=Decimal("999999999.99"))
    assert payload.split("\n")[7] == "EUR999999999.99"
    with pytest.raises(TypeError):
        epc_payload(name="Ana", iban=IBAN, amount=12.5)


def test_letter_without_iban_has_only_the_portal_code():
    context = make_context("claim_1")
    context["payment"] = {**context["payment"], "iban": None}
    assert payment_codes(context)["epc"] is None
    letter, text = render(context)
    assert letter.html.count('<img class="qr"') == 1
    assert "https://amparo.example/p/tok3n" in text
    assert "transferencia" not in text


def test_huge_total_has_no_transfer_code():
    context = make_context("formal_demand", total=Decimal("1000000000.00"))
    assert payment_codes(context)["epc"] is None
    assert payment_codes(context)["portal"].startswith("data:image/svg+xml")


# --- letterhead: logo and seal -----------------------------------------------------------------

LOGO = (
    "data:image/svg+xml;charset=utf-8,%3Csvg%20xmlns%3D%27http%3A%2F%2Fwww.w3.org%2F2000%2Fsvg"
    "%27%20width%3D%2710%27%20height%3D%2710%27%3E%3Crect%20width%3D%2710%27%20height%3D%2710"
    "%27%20fill%3D%27red%27%2F%3E%3C%2Fsvg%3E"
)


def test_protected_workspace_prints_the_seal_and_its_verify_address(fetchers):
    context = make_context("claim_1")
    context["creditor"] = {
        **context["creditor"],
        "protected": True,
        "verify_url": "https://amparo.example/v/ruiz",
        "logo": LOGO,
    }
    letter, text = render(context)
    assert "Protegido por Amparo" in text
    assert "https://amparo.example/v/ruiz" in text
    assert "Inmuebles Ruiz SL" in text  # named under the logo
    [fetcher] = fetchers
    # The badge's own art (letters/badge_art.py), with the creditor's name and the verify QR.
    [badge] = [url for url in fetcher.served if url.startswith("data:image/svg+xml;base64,")]
    art = base64.b64decode(badge.split(",", 1)[1]).decode()
    assert "Protegido por Amparo" in art and "Inmuebles Ruiz SL" in art
    assert "amparo-asset:seal.svg" not in fetcher.requested
    assert LOGO in fetcher.served
    assert fetcher.refused == []
    _, english = render(context, "en")
    assert "Protected by Amparo" in english

    fetchers.clear()
    _, plain = render(make_context("claim_1"))
    assert "Protegido por Amparo" not in plain
    assert "amparo-asset:seal.svg" not in fetchers[0].requested


# --- safety --------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["formal_demand", "certified_demand"])
def test_hostile_names_are_text_and_nothing_outside_is_fetched(kind, fetchers):
    context = make_context(kind, credit_file={"name": HOSTILE_NAME}, is_copy=True)
    hostile = {"name": HOSTILE_NAME, "nif": HOSTILE_CSS, "address_lines": [HOSTILE_CSS]}
    context["debtor"] = hostile
    context["recipient"] = hostile
    context["charges"] = [{**context["charges"][0], "description": HOSTILE_NAME}]
    context["creditor"] = {**context["creditor"], "name": HOSTILE_CSS, "protected": True}
    context["payment"] = {**context["payment"], "beneficiary": HOSTILE_CSS}

    letter, text = render(context)

    assert HOSTILE_NAME not in letter.html
    assert "&lt;img src=&#34;file:///etc/passwd&#34;&gt;" in letter.html
    assert HOSTILE_NAME in text and HOSTILE_CSS in text
    for marker in PASSWD_MARKERS:
        assert marker not in text
    requested = [url for fetcher in fetchers for url in fetcher.requested]
    assert {url for url in requested if not url.startswith("data:")} == {
        "amparo-asset:letter.css",
        "amparo-asset:seal.svg",
    }
    assert not [url for url in requested if "evil.example" in url or "passwd" in url]
    assert all(fetcher.refused == [] for fetcher in fetchers)
    assert "/etc/passwd" not in _opened


def test_a_logo_that_is_not_a_data_image_is_not_used(fetchers):
    context = make_context("reminder")
    context["creditor"] = {**context["creditor"], "logo": "file:///etc/passwd"}
    letter, text = render(context)
    assert "file:///etc/passwd" not in letter.html
    assert "Inmuebles Ruiz SL" in text
    assert not [url for url in fetchers[0].requested if "passwd" in url]


def test_context_is_not_changed_by_rendering():
    context = make_context("certified_demand")
    before = copy.deepcopy(context)
    render_letter(context, "es")
    assert context == before


def test_each_language_keeps_its_own_dates_whatever_rendered_before():
    """The compiled templates are kept per language; their filters must not leak across."""
    for language, expected in (("es", "23 de noviembre de 2026"), ("en", "23 November 2026")):
        render(make_context("reminder"), "en" if language == "es" else "es")
        _letter, text = render(make_context("reminder"), language)
        assert expected in text


@pytest.mark.parametrize("language", ["es", "en"])
@pytest.mark.parametrize("kind", LADDER)
def test_the_payment_page_is_offered_for_what_it_does(kind, language):
    """The debtor's page shows the debt and the transfer details; it takes no payment plan."""
    _, text = render(make_context(kind), language)

    if language == "es":
        assert "proponga un plan de pagos" not in text and "díganos qué ocurre" not in text
        assert "En su página de pago tiene el detalle de lo que adeuda" in text
    else:
        assert "propose a payment plan" not in text and "tell us what is happening" not in text
        assert "Your payment page shows what you owe and how to pay it" in text
