"""QR codes on letters: the EPC (SEPA credit transfer) payload and SVG ``data:`` URIs.

The payload follows the European Payments Council's "Quick Response Code: guidelines to enable
data capture for the initiation of a SEPA credit transfer" (EPC069-12), version 002: one field
per line, UTF-8 (character set 1), BIC optional, amount as ``EUR123.45``, then purpose,
structured reference and unstructured remittance. Trailing empty fields are left out; the whole
payload is at most 331 bytes and the code uses error correction level M.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import segno

EPC_MAX_AMOUNT = Decimal("999999999.99")
EPC_MAX_BYTES = 331
_NAME_MAX = 70
_REMITTANCE_MAX = 140
_CENT = Decimal("0.01")


def epc_payload(
    *,
    name: str,
    iban: str,
    amount: Decimal,
    remittance: str = "",
    bic: str = "",
) -> str | None:
    """The EPC QR text for a transfer of ``amount`` to ``iban``; None when it cannot be one.

    None when there is no IBAN, or the amount is not between 0.01 and 999,999,999.99 EUR
    (the standard's range): no code is better than a code the bank app rejects.
    """
    iban = "".join((iban or "").split()).upper()
    if isinstance(amount, float):
        raise TypeError("money is Decimal, never float")
    amount = Decimal(amount).quantize(_CENT, rounding=ROUND_HALF_UP)
    if not iban or not (_CENT <= amount <= EPC_MAX_AMOUNT):
        return None
    lines = [
        "BCD",  # service tag
        "002",  # version
        "1",  # character set: UTF-8
        "SCT",  # SEPA credit transfer
        "".join((bic or "").split()).upper(),
        _one_line(name)[:_NAME_MAX],
        iban,
        f"EUR{amount}",
        "",  # purpose code
        "",  # structured creditor reference (we use the unstructured remittance instead)
        _one_line(remittance)[:_REMITTANCE_MAX],
    ]
    while lines[-1] == "":
        lines.pop()
    payload = "\n".join(lines)
    if len(payload.encode("utf-8")) > EPC_MAX_BYTES:
        return None
    return payload


def _one_line(text: str) -> str:
    """A field may not span lines: newlines and runs of spaces become one space."""
    return " ".join((text or "").split())


def svg_data_uri(data: str, error: str = "m") -> str:
    """``data`` as a QR code, an SVG ``data:`` URI for an ``<img src>``.

    Bytes go in as UTF-8 in byte mode without an ECI header, which is what EPC readers expect
    for character set 1 and what every phone camera reads for a URL.
    """
    code = segno.make(data.encode("utf-8"), error=error, boost_error=False, micro=False)
    return code.svg_data_uri(scale=4, border=2)


def payment_codes(context: dict) -> dict[str, str | None]:
    """The two codes of a ladder letter's payment block: ``epc`` (transfer) and ``portal``."""
    payment = context.get("payment") or {}
    payload = None
    if payment.get("iban") and context.get("total") is not None:
        payload = epc_payload(
            name=payment.get("beneficiary") or context["creditor"]["name"],
            iban=payment["iban"],
            amount=context["total"],
            remittance=payment.get("remittance") or context.get("reference", ""),
            bic=payment.get("bic") or "",
        )
    portal_url = payment.get("portal_url")
    return {
        "epc": svg_data_uri(payload) if payload else None,
        "portal": svg_data_uri(portal_url) if portal_url else None,
    }
