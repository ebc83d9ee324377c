"""The fixed words of the letter templates, per language (Spanish first, English second).

Deliberately tiny: a letter's variable text arrives already written in the context; only the
headings and labels the templates print themselves live here. An unknown language falls back to
Spanish.
"""

from __future__ import annotations

import datetime as dt

DEFAULT_LANGUAGE = "es"

WORDS: dict[str, dict[str, str]] = {
    "es": {
        "statement_title": "Extracto de cuenta",
        "date": "Fecha",
        "concept": "Concepto",
        "amount": "Importe",
        "total": "Total pendiente",
        "nif": "NIF",
        "to": "Destinatario",
        "closing": "Atentamente,",
    },
    "en": {
        "statement_title": "Statement of account",
        "date": "Date",
        "concept": "Description",
        "amount": "Amount",
        "total": "Total outstanding",
        "nif": "Tax ID",
        "to": "To",
        "closing": "Yours faithfully,",
    },
}

_MONTHS = {
    "es": (
        "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre"
    ).split(),
    "en": (
        "January February March April May June July August September October November December"
    ).split(),
}


def words(language: str) -> dict[str, str]:
    """The fixed words for ``language`` (Spanish when the language is unknown)."""
    return WORDS.get(language, WORDS[DEFAULT_LANGUAGE])


def long_date(value: dt.date, language: str) -> str:
    """``23 de noviembre de 2026`` / ``23 November 2026``."""
    lang = language if language in _MONTHS else DEFAULT_LANGUAGE
    month = _MONTHS[lang][value.month - 1]
    if lang == "es":
        return f"{value.day} de {month} de {value.year}"
    return f"{value.day} {month} {value.year}"
