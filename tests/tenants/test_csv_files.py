"""The one CSV reader of the importers: the same file reads the same whatever encoding and
delimiter a spreadsheet or a bank saved it with, headers match in Spanish and English, and
files that cannot be read get a message of the importer that read them."""

from __future__ import annotations

import codecs
import csv
import io
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tenants.services import csv_files
from tenants.services.csv_files import Headers, decode, read_table
from tenants.services.errors import ServiceError

ROWS = [
    ["Fecha de operación", "Concepto", "Importe"],
    ["02/01/2025", "Alquiler Peñalara 2ºB", "1.234,56"],
    ["03/01/2025", "Transferencia José Gómez Núñez", "-45,00"],
]
ENCODINGS = {
    "UTF-8": lambda text: text.encode("utf-8"),
    "UTF-8 with BOM": lambda text: text.encode("utf-8-sig"),
    "UTF-16 LE": lambda text: codecs.BOM_UTF16_LE + text.encode("utf-16-le"),
    "UTF-16 BE": lambda text: codecs.BOM_UTF16_BE + text.encode("utf-16-be"),
    "Latin-1": lambda text: text.encode("latin-1"),
    "cp1252": lambda text: text.encode("cp1252"),
}
# Letters a Spanish file holds. Alone or side by side, their Latin-1 bytes are never valid
# UTF-8, so a Latin-1 file cannot be mistaken for UTF-8.
SPANISH = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .-/áéíóúüñÁÉÍÓÚÜÑ"
HEADERS = Headers(
    {
        "date": ("fecha", "fecha operacion", "date", "booking date"),
        "concept": ("concepto", "descripcion", "concept", "description"),
        "amount": ("importe", "amount"),
    }
)


def csv_text(rows: list[list[str]], delimiter: str = ";") -> str:
    return "".join(delimiter.join(row) + "\r\n" for row in rows)


def cells(table: csv_files.Table) -> list[list[str]]:
    return [table.headers] + [row.cells for row in table.rows]


# --- encodings ------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_the_same_file_reads_the_same_in_every_encoding_spreadsheets_save(encoding):
    content = ENCODINGS[encoding](csv_text(ROWS))

    table = read_table(decode(content, "test"), "test")

    assert cells(table) == ROWS
    assert "Peñalara" in table.rows[0].cells[1] and "Gómez" in table.rows[1].cells[1]


@given(st.lists(st.text(SPANISH, min_size=1, max_size=20), min_size=1, max_size=6))
def test_any_spanish_text_survives_every_encoding(words):
    text = "\r\n".join(["Concepto", *words])

    for encoding, encode in ENCODINGS.items():
        assert decode(encode(text), "test") == text, encoding


def test_cp1252_letters_latin1_lacks_are_read():
    assert decode("Importe 12 €; “Peñalara”".encode("cp1252"), "test") == "Importe 12 €; “Peñalara”"


# --- delimiters and headers -----------------------------------------------------------------


@pytest.mark.parametrize("delimiter", [";", ",", "\t", "|"])
def test_every_delimiter_gives_the_same_table(delimiter):
    rows = [*ROWS, ["04/01/2025", "Renta enero, febrero; marzo", "900,00"]]
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter).writerows(rows)  # quotes what holds the delimiter

    table = read_table(out.getvalue(), "test")

    assert table.delimiter == delimiter
    assert cells(table) == rows


def test_an_excel_sep_line_names_the_delimiter_and_counts_as_a_row():
    table = read_table("sep=,\r\nFecha;Concepto,Importe\r\n02/01/2025;x,9\r\n", "test")

    assert table.headers == ["Fecha;Concepto", "Importe"]
    assert (table.header_row, table.rows[0].number) == (2, 3)


@pytest.mark.parametrize(
    "header",
    [
        ["FECHA DE OPERACIÓN", " Descripción ", "Importe"],
        ["Fecha Operacion", "CONCEPTO", "importe"],
        ["fecha  de la operación", "concepto:", "Importe"],
        ["Booking date", "Description", "Amount"],
        ["Date", "concept", "AMOUNT"],
    ],
)
def test_headers_match_in_spanish_with_accents_and_in_english(header):
    assert HEADERS.find(header) == {"date": 0, "concept": 1, "amount": 2}


def test_the_best_named_column_wins_and_each_column_serves_one_field():
    headers = Headers({"date": ("fecha operacion", "fecha valor"), "valued": ("fecha valor",)})

    assert headers.find(["Fecha valor", "Fecha operación"]) == {"date": 1, "valued": 0}
    assert Headers({"date": ("fecha",)}).find(["Fecha emisión"], starts=True) == {"date": 0}
    assert Headers({"date": ("fecha",)}).find(["Fecha emisión"]) == {"date": None}


def test_a_header_under_a_bank_preamble_is_found_with_the_delimiter_that_names_it():
    text = "Cuenta: ES91 2100, titular Ana\r\n\r\nFecha|Concepto|Importe\r\n02/01/2025|x|9\r\n"

    table = read_table(
        text, "test", headers=HEADERS, required=("date", "concept", "amount"), search_rows=5
    )

    assert (table.delimiter, table.header_row, table.rows[0].number) == ("|", 3, 4)


# --- files that cannot be read --------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "test_empty"),
        (b" \r\n\t\r\n", "test_empty"),
        (codecs.BOM_UTF16_LE, "test_empty"),
        (b"PK\x03\x04\x14\x00\x06\x00", "test_not_csv"),  # an Excel workbook
        (b"%PDF-1.7\n%\xe2\xe3", "test_not_csv"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "test_not_csv"),
        (bytes(range(256)) * 4, "test_not_csv"),
        (codecs.BOM_UTF16_LE + b"F\x00e\x00c", "test_not_csv"),  # cut in half a character
    ],
)
def test_an_empty_or_binary_file_gets_the_importers_code(content, code):
    with pytest.raises(ServiceError) as error:
        decode(content, "test")

    assert (error.value.code, error.value.field) == (code, "file")


def test_a_file_with_only_blank_cells_or_no_header_says_so():
    with pytest.raises(ServiceError) as empty:
        read_table(";;;\r\n;;\r\n", "test")
    with pytest.raises(ServiceError) as no_header:
        read_table("Hola;que;tal\r\n1;2;3\r\n", "test", headers=HEADERS, required=("date",))

    assert empty.value.code == "test_empty"
    assert no_header.value.code == "test_header_missing"


def test_a_field_of_megabytes_is_not_a_csv():
    with pytest.raises(ServiceError) as error:
        read_table('Fecha;Concepto\r\n1;"' + "x" * 200_000 + '"\r\n', "test")

    assert error.value.code == "test_not_csv"


def test_only_headers_gives_no_rows_and_a_long_row_overflows_on_its_spreadsheet_row():
    only_header = read_table("\r\nFecha;Concepto;Importe\r\n\r\n", "test")
    table = read_table(csv_text([*ROWS[:2], [], ["04/01/2025", "Renta", "900", "00"]]), "test")

    assert (only_header.header_row, only_header.rows) == (2, [])
    assert [(row.number, table.overflows(row)) for row in table.rows] == [(2, False), (4, True)]


# --- each importer its own codes, each with its words -------------------------------------

IMPORTERS = {
    "tenants/services/rentals/bank_import.py": "bank",
    "tenants/services/rentals/rent_book_import.py": "import",
    "tenants/services/receivables/invoice_import.py": "invoice_import",
}
READER_CODES = ("not_csv", "empty")


@pytest.mark.parametrize("path", IMPORTERS)
def test_every_importer_code_has_its_prefix_and_words_in_spanish_and_english(app, path):
    from flask_babel import force_locale

    from web.messages import MESSAGES, WARNINGS

    prefix = IMPORTERS[path]
    source = (Path(__file__).parents[2] / path).read_text()
    codes = set(re.findall(r'"((?:bank|import|invoice_import)_[a-z_]+)"', source))
    codes |= {f"{prefix}_{suffix}" for suffix in READER_CODES}
    if re.search(r"read_table\([^)]*required=", source):  # a header that names these
        codes.add(f"{prefix}_header_missing")

    assert codes == {c for c in codes if c.startswith(f"{prefix}_")}, "another importer's codes"
    words = {**MESSAGES, **WARNINGS}
    for code in sorted(codes):
        assert code in words, code
        with app.test_request_context(), force_locale("en"):
            english = str(words[code])
        with app.test_request_context(), force_locale("es"):
            spanish = str(words[code])
        assert english and spanish != english, code
