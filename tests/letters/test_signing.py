"""PAdES signatures (docs/law.md#signatures): a signed PDF validates with pyHanko against the
certificate that signed it, and fails once a byte changes; every certified demand the render
job archives is the signed file, still PDF/A with its text readable."""

from __future__ import annotations

import hashlib
import io

import pytest
from pypdf import PdfReader

from tests.collections.conftest import make_case  # noqa: F401 - the fixture
from tests.letters.dossier_fixtures import pdf_text

pytestmark = pytest.mark.filterwarnings(
    r"ignore:unclosed file .*sRGB2014\.icc:ResourceWarning",
)


@pytest.fixture
def a_pdf():
    from letters.render import render_pdf

    return render_pdf("<html><body><h1>Requerimiento</h1><p>Total 1.700,00 €</p></body></html>")


def test_a_signed_pdf_validates_and_any_change_fails_it(a_pdf, tmp_path):
    from letters import signing

    identity = signing.development_identity(tmp_path)
    signed = signing.sign_pdf(a_pdf, identity, reason="Prueba", location="Madrid")

    assert signed.startswith(a_pdf)  # an incremental update: the PDF/A bytes are kept
    checked = signing.validate(signed, identity)
    assert checked.ok
    assert (checked.intact, checked.valid, checked.trusted, checked.entire_file) == (
        True,
        True,
        True,
        True,
    )
    assert "Amparo desarrollo" in checked.signer
    assert "Total 1.700,00 €" in pdf_text(signed)
    # PAdES: the ETSI CAdES sub-filter, the certificate embedded in the signature.
    assert b"/ETSI.CAdES.detached" in signed
    assert b"AmparoSignature" in signed

    tampered = bytearray(signed)
    tampered[len(a_pdf) // 2] ^= 0x01  # a byte of the letter itself
    assert not signing.validate(bytes(tampered), identity).intact
    assert not signing.validate(signed + b"\n% added\n", identity).entire_file


def test_the_development_certificate_is_made_once(tmp_path):
    from letters import signing

    first = signing.development_identity(tmp_path / "signing")
    pem = (tmp_path / "signing" / signing.DEV_FILE).read_bytes()
    again = signing.development_identity(tmp_path / "signing")
    assert first == again
    assert (tmp_path / "signing" / signing.DEV_FILE).read_bytes() == pem
    assert b"BEGIN PRIVATE KEY" in pem and b"BEGIN CERTIFICATE" in pem
    assert list((tmp_path / "signing").iterdir()) == [tmp_path / "signing" / signing.DEV_FILE]


def test_a_configured_certificate_signs_and_production_needs_one(a_pdf, tmp_path):
    """A production certificate is two PEM files, the key encrypted with a password."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    from letters import signing

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Inmuebles Rosa SL")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(7)
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"s3creto"),
        )
    )
    identity = signing.identity_from_settings(
        str(cert_path), str(key_path), "s3creto", development_dir=tmp_path, production=True
    )
    signed = signing.sign_pdf(a_pdf, identity, reason="Prueba")
    checked = signing.validate(signed, cert_path.read_bytes())
    assert checked.ok and "Inmuebles Rosa SL" in checked.signer

    wrong = signing.Identity(str(cert_path), str(key_path), "otra")
    with pytest.raises(signing.SigningNotConfigured):
        signing.sign_pdf(a_pdf, wrong, reason="Prueba")
    with pytest.raises(signing.SigningNotConfigured, match="AMPARO_SIGNING_CERT"):
        signing.identity_from_settings(None, None, None, development_dir=tmp_path, production=True)
    with pytest.raises(signing.SigningNotConfigured, match="together"):
        signing.identity_from_settings(
            str(cert_path), None, None, development_dir=tmp_path, production=False
        )
    assert not list(tmp_path.glob(signing.DEV_FILE))  # no development certificate was made


def _render(app, tenant_id: int, case_id: int, kind: str) -> dict:
    """The case's letter at step `kind`, recorded and rendered by the render job in-process."""
    from flask import current_app

    from jobs.letters import render_letter
    from tenants import db
    from tenants.db import tenant_context
    from tenants.models import Case, Letter
    from tenants.services.collections import letters
    from tenants.storage import DocumentStore

    with app.app_context(), tenant_context(tenant_id):
        case = db.session.get(Case, case_id)
        step = next(s for s in case.ladder.steps if s.kind == kind)
        case.stage = step.position
        [letter, *_copies] = letters.record_step_letters(case, step, [])
        letter_id = letter.id
        db.session.commit()
    render_letter(tenant_id, letter_id)
    with app.app_context(), tenant_context(tenant_id):
        letter = db.session.get(Letter, letter_id)
        pdf = DocumentStore(current_app.config["DOCUMENTS_DIR"]).get(letter.pdf_sha256)
        return {"letter": letter.pdf_sha256, "content": letter.content_sha256, "pdf": pdf}


def test_the_render_job_archives_every_certified_demand_signed(
    app,
    create_workspace,
    make_case,  # noqa: F811
    monkeypatch,
    tmp_path,
):
    from jobs import runtime
    from letters import signing

    monkeypatch.setattr(runtime, "_bound_app", app)
    monkeypatch.setitem(app.config, "SIGNING_DEV_DIR", str(tmp_path / "signing"))
    tenant_id, _slug = create_workspace(name="Pisos Rosa", owner_email="rosa@example.com")
    data = make_case(tenant_id)

    certified = _render(app, tenant_id, data.case_id, "certified_demand")

    pdf = certified["pdf"]
    assert certified["letter"] == hashlib.sha256(pdf).hexdigest()  # the hash of the signed file
    identity = signing.development_identity(tmp_path / "signing")
    assert signing.validate(pdf, identity).ok
    # Still the letter and its content certificate, readable; the certificate's hash is the
    # body's, which the signature (added after) leaves alone.
    text = pdf_text(pdf)
    assert "Requerimiento fehaciente de pago" in text
    assert certified["content"] in text
    # Still PDF/A-3b: its XMP packet and output intent survive the incremental update.
    reader = PdfReader(io.BytesIO(pdf))
    ns = "http://www.aiim.org/pdfa/ns/id/"
    found = {
        attr: node.getAttributeNS(ns, attr)
        for node in reader.xmp_metadata.rdf_root.getElementsByTagNameNS("*", "Description")
        for attr in ("part", "conformance")
        if node.hasAttributeNS(ns, attr)
    }
    assert found == {"part": "3", "conformance": "B"}
    intents = reader.trailer["/Root"]["/OutputIntents"]
    assert [intent.get_object()["/S"] for intent in intents] == ["/GTS_PDFA1"]
    assert len(reader.pages) >= 2

    # Other letters are not signed.
    formal = _render(app, tenant_id, data.case_id, "formal_demand")
    with pytest.raises(ValueError, match="no Amparo signature"):
        signing.validate(formal["pdf"], identity)
