"""PAdES signatures (pyHanko) on the PDFs Amparo issues as evidence: every certified demand
and every escalation dossier with its draft monitorio petition (docs/law.md#signatures).

A signature is PAdES baseline B-B (ETSI EN 319 142-1): a CAdES detached signature in the PDF
(``/SubFilter /ETSI.CAdES.detached``), SHA-256, the signer's certificate embedded with the
signing-certificate-v2 attribute, added as an incremental update after the PDF/A bytes, so the
signed file is still the PDF/A it was and any reader shows whether a byte changed since.

The certificate is the operator's: ``AMPARO_SIGNING_CERT`` and ``AMPARO_SIGNING_KEY`` (PEM
paths, the key optionally encrypted with ``AMPARO_SIGNING_KEY_PASSWORD``). Without them, outside
production, a self-signed development certificate ("Amparo desarrollo") is made once, at first
use, under the instance folder (:func:`development_identity`): it proves integrity to whoever
trusts it, and nothing about who signed. Nothing here imports Flask: the jobs pass the paths.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

with warnings.catch_warnings():
    # pyHanko imports cryptography's DSA module, which warns on import; we sign with RSA.
    warnings.simplefilter("ignore")
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign import fields, signers
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext
    from pyhanko_certvalidator.registry import SimpleCertificateStore

FIELD_NAME = "AmparoSignature"
DEV_COMMON_NAME = "Amparo desarrollo"
DEV_FILE = "amparo-dev-signing.pem"  # the key and its certificate, in one file


class SigningNotConfigured(RuntimeError):
    """Production without AMPARO_SIGNING_CERT / AMPARO_SIGNING_KEY: nothing is signed with a
    development certificate there."""


@dataclass(frozen=True)
class Identity:
    """What signs: the key and certificate PEM paths (one file may hold both)."""

    cert_path: str
    key_path: str
    password: str | None = None
    development: bool = False


@dataclass(frozen=True)
class Validation:
    intact: bool  # the signed bytes hash to what the signature says
    valid: bool  # the signature verifies with the embedded certificate
    trusted: bool  # the certificate chains to a certificate we trust
    entire_file: bool  # the signature covers the whole file (nothing appended since)
    signer: str  # the certificate's subject, as text
    count: int  # the signatures in the file

    @property
    def ok(self) -> bool:
        return self.intact and self.valid and self.trusted and self.entire_file


def identity_from_settings(
    cert_path: str | None,
    key_path: str | None,
    password: str | None,
    *,
    development_dir: str | os.PathLike,
    production: bool,
) -> Identity:
    """The configured certificate, else (not in production) the development one."""
    if cert_path or key_path:
        if not (cert_path and key_path):
            raise SigningNotConfigured(
                "AMPARO_SIGNING_CERT and AMPARO_SIGNING_KEY go together: both PEM paths, or none"
            )
        return Identity(str(cert_path), str(key_path), password or None)
    if production:
        raise SigningNotConfigured(
            "no signing certificate: set AMPARO_SIGNING_CERT and AMPARO_SIGNING_KEY (PEM paths)"
        )
    return development_identity(development_dir)


def development_identity(directory: str | os.PathLike) -> Identity:
    """The self-signed development certificate under `directory`, made the first time.

    Key and certificate live in one file written whole and linked into place, so two workers
    starting at once both end up signing with the first one made."""
    folder = Path(directory)
    path = folder / DEV_FILE
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, delete=False, prefix=".dev-cert-") as tmp:
            tmp.write(_self_signed_pem(DEV_COMMON_NAME))
        try:
            os.link(tmp.name, path)  # fails if another process made it first: keep theirs
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp.name)
    return Identity(str(path), str(path), None, development=True)


def _self_signed_pem(common_name: str, *, days: int = 3650) -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "ES"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Amparo"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return key_pem + cert.public_bytes(serialization.Encoding.PEM)


def self_signed_identity(directory: str | os.PathLike, common_name: str) -> Identity:
    """A fresh self-signed certificate in its own file (tests: "another signer")."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{common_name.replace(' ', '-').lower()}.pem"
    path.write_bytes(_self_signed_pem(common_name))
    return Identity(str(path), str(path), None, development=True)


def certificate_pem(identity: Identity) -> bytes:
    """The certificate alone, PEM (what a reader is told to trust)."""
    return _certificate(identity).public_bytes(serialization.Encoding.PEM)


def _certificate(identity: Identity) -> x509.Certificate:
    return x509.load_pem_x509_certificate(Path(identity.cert_path).read_bytes())


def _signer(identity: Identity) -> signers.SimpleSigner:
    password = identity.password.encode() if identity.password else None
    signer = signers.SimpleSigner.load(
        identity.key_path, identity.cert_path, key_passphrase=password
    )
    if signer is None:  # pyHanko logs the reason and returns None
        raise SigningNotConfigured(
            f"cannot load the signing key {identity.key_path} with certificate "
            f"{identity.cert_path} (wrong path, format or password)"
        )
    return signer


def sign_pdf(
    pdf: bytes,
    identity: Identity,
    *,
    reason: str,
    location: str = "",
    name: str | None = None,
) -> bytes:
    """`pdf` with a PAdES B-B signature over the whole file, as an incremental update."""
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
        location=location or None,
        name=name,
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    out = io.BytesIO()
    signers.PdfSigner(meta, signer=_signer(identity)).sign_pdf(writer, output=out)
    return out.getvalue()


def validate(pdf: bytes, trusted: Identity | bytes | list) -> Validation:
    """The file's Amparo signature checked against `trusted` (an identity, a certificate PEM or
    a list of either): intact, valid, trusted, covering the entire file.

    A file without our signature field raises ValueError."""
    roots = [
        _certificate(one) if isinstance(one, Identity) else x509.load_pem_x509_certificate(one)
        for one in (trusted if isinstance(trusted, list) else [trusted])
    ]
    from asn1crypto import x509 as asn1_x509

    trust = [asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER)) for c in roots]
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    signatures = reader.embedded_signatures
    ours = [s for s in signatures if s.field_name == FIELD_NAME]
    if not ours:
        raise ValueError("the PDF carries no Amparo signature")
    context = ValidationContext(
        trust_roots=trust,
        other_certs=SimpleCertificateStore(),
        allow_fetching=False,
        revocation_mode="soft-fail",
    )
    status = validate_pdf_signature(ours[0], context)
    return Validation(
        intact=bool(status.intact),
        valid=bool(status.valid),
        trusted=bool(status.trusted),
        entire_file=status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
        signer=status.signing_cert.subject.human_friendly,
        count=len(signatures),
    )
