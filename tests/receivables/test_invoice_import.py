"""Invoices imported from a CSV file: column guessing, every bad row reported with nothing
imported, re-importing updates by number, and a big file through the real job and worker."""

from __future__ import annotations

import codecs
import io
import re
import time
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from tests.conftest import csrf_token, login, post_form

DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"
HEADER = "Número;Cliente;NIF/CIF;Email;Fecha;Vencimiento;Base;IVA;Total;Moneda;Concepto"


def dni(n: int) -> str:
    number = 10_000_000 + n
    return f"{number}{DNI_LETTERS[number % 23]}"


def invoice_csv(rows: int, *, clients: int = 500, changed: dict | None = None) -> bytes:
    """A Spanish invoicing program's export: cp1252, semicolons, 1.234,56 and dd/mm/yyyy."""
    changed = changed or {}
    lines = [HEADER]
    for i in range(1, rows + 1):
        base = Decimal(100 + i % 900) + Decimal(i % 100) / 100
        vat = (base * Decimal("0.21")).quantize(Decimal("0.01"))
        total = changed.get(i, base + vat)
        client = i % clients
        lines.append(
            f"F2025-{i:06d};Cliente Ñandú {client};{dni(client)};c{client}@example.com;"
            f"{1 + i % 28:02d}/03/2025;{1 + i % 28:02d}/04/2025;"
            f"{str(base).replace('.', ',')};{str(vat).replace('.', ',')};"
            f"{str(total).replace('.', ',')};EUR;Servicios marzo {i}"
        )
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


@pytest.fixture
def business_client(app, create_workspace):
    workspace_id, slug = create_workspace(name="Suministros Ana", kind="business")
    client = app.test_client()
    login(client)
    return workspace_id, slug, client


def _upload(client, slug: str, content: bytes, name: str = "facturas.csv"):
    """POST the file as a browser does. The body is encoded here, in memory: the test client
    would spool a body above 500 kB to a temporary file it never closes."""
    path = f"/w/{slug}/invoices/import"
    fields = MultiDict(
        {"csrf_token": csrf_token(client, path), "file": FileStorage(io.BytesIO(content), name)}
    )
    boundary, body = encode_multipart(fields)
    return client.post(path, data=body, content_type=f'multipart/form-data; boundary="{boundary}"')


def _selected(html: str) -> dict[str, str]:
    """The option each mapping select has chosen, by field name."""
    chosen = {}
    for name, body in re.findall(r'<select[^>]*name="(\w+)"[^>]*>(.*?)</select>', html, re.S):
        match = re.search(
            r'<option selected value="([^"]*)"|<option value="([^"]*)" selected', body
        )
        chosen[name] = (match.group(1) or match.group(2)) if match else ""
    return chosen


def _start(client, slug: str, html: str):
    sha256 = re.search(r'name="sha256"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="sha256"', html
    )
    assert sha256, html[:2000]
    data = {"sha256": sha256.group(1), **_selected(html)}
    return post_form(
        client, f"/w/{slug}/invoices/import/start", data, token_from=f"/w/{slug}/invoices/import"
    )


def _invoice_counts(admin_engine, workspace_id: int) -> tuple[int, int, int]:
    with admin_engine.connect() as conn:
        invoices = conn.scalar(
            text("SELECT count(*) FROM charges WHERE tenant_id = :t AND kind = 'invoice'"),
            {"t": workspace_id},
        )
        lines = conn.scalar(
            text("SELECT count(*) FROM charge_lines WHERE tenant_id = :t"), {"t": workspace_id}
        )
        parties = conn.scalar(
            text("SELECT count(*) FROM parties WHERE tenant_id = :t"), {"t": workspace_id}
        )
    return invoices, lines, parties


def test_columns_are_guessed_from_spanish_and_english_headers():
    from tenants.services.receivables.invoice_import import guess_mapping

    spanish = [
        "Nº factura",
        "Razón social",
        "CIF",
        "Correo electrónico",
        "Fecha de emisión",
        "Fecha de vencimiento",
        "Base imponible",
        "Cuota IVA",
        "Total factura",
        "Divisa",
        "Descripción",
        "Notas",
    ]
    assert guess_mapping(spanish) == {
        "number": 0,
        "client": 1,
        "tax_id": 2,
        "email": 3,
        "issue_date": 4,
        "due_date": 5,
        "base": 6,
        "vat": 7,
        "total": 8,
        "currency": 9,
        "description": 10,
    }
    english = ["Invoice number", "Customer", "Tax ID", "Email", "Issue date", "Due date", "Total"]
    mapping = guess_mapping(english)
    assert [mapping[k] for k in ("number", "client", "tax_id", "issue_date", "due_date")] == [
        0,
        1,
        2,
        4,
        5,
    ]
    assert mapping["total"] == 6 and mapping["vat"] is None and mapping["currency"] is None


def test_upload_shows_the_guessed_mapping_and_a_preview(business_client):
    _workspace_id, slug, client = business_client
    response = _upload(client, slug, invoice_csv(30))
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    html = response.get_data(as_text=True)
    assert _selected(html) == {
        "number": "0",
        "client": "1",
        "tax_id": "2",
        "email": "3",
        "issue_date": "4",
        "due_date": "5",
        "base": "6",
        "vat": "7",
        "total": "8",
        "currency": "9",
        "description": "10",
    }
    assert "F2025-000001" in html and "F2025-000020" in html
    assert "F2025-000021" not in html  # the preview shows the first 20 rows only
    assert "Cliente Ñandú 1" in html  # cp1252 read right


def test_a_file_with_bad_rows_lists_every_problem_and_imports_nothing(
    business_client, run_worker, admin_engine
):
    workspace_id, slug, client = business_client
    lines = invoice_csv(5).decode("cp1252").splitlines()
    lines[2] = lines[2].replace("10000002", "10000099")  # row 3: a NIF whose letter is wrong
    cells = lines[4].split(";")
    cells[5], cells[8] = "31/02/2025", "mil"  # row 5: no such date, no amount
    lines[4] = ";".join(cells)
    lines.append(lines[1])  # row 7: the invoice number of row 2 again
    response = _upload(client, slug, "\n".join(lines).encode("utf-8-sig"))
    assert response.status_code == 200
    started = _start(client, slug, response.get_data(as_text=True))
    assert started.status_code == 302
    run_worker()

    page = client.get(started.location).get_data(as_text=True)
    assert "4 problem(s)" in page or "4 problema" in page
    problems = re.findall(r"<tr><td>(\d+)</td><td>([^<]*)</td><td>([^<]+)</td></tr>", page)
    assert [(row, column) for row, column, _msg in problems] == [
        ("3", "NIF/CIF"),
        ("5", "Vencimiento"),
        ("5", "Total"),
        ("7", "Número"),
    ]
    assert "31/02/2025" in problems[1][2] and "mil" in problems[2][2]
    assert "F2025-000001" in problems[3][2]
    assert _invoice_counts(admin_engine, workspace_id) == (0, 0, 0)


def test_importing_the_same_file_again_updates_and_never_duplicates(business):
    from tenants import db
    from tenants.models import Charge, ChargeLine, Party
    from tenants.services.receivables import invoice_import, invoices

    def run(content: bytes, seen: list):
        table = invoice_import.read_table(content)
        mapping = invoice_import.guess_mapping(table.headers)
        result = invoice_import.import_invoices(table, mapping, lambda d, t: seen.append((d, t)))
        db.session.commit()
        return result

    seen: list = []
    first = run(invoice_csv(2500, clients=40), seen)
    assert (first.created, first.updated, first.clients_created) == (2500, 0, 40)
    assert seen[-1] == (2500, 2500) and len(seen) >= 3  # progress between the batches

    paid = invoices.find_invoice("F2025-000007")
    invoices.record_invoice_payment(paid.id, received_on=paid.issue_date, amount=paid.amount)
    db.session.commit()

    again = run(invoice_csv(2500, clients=40, changed={3: Decimal("999.99"), 7: Decimal("5")}), [])
    assert (again.created, again.updated, again.skipped_paid, again.clients_created) == (
        0,
        2499,
        1,
        0,
    )
    assert db.session.scalar(select(func.count()).select_from(Charge)) == 2500
    assert db.session.scalar(select(func.count()).select_from(ChargeLine)) == 2500
    assert db.session.scalar(select(func.count()).select_from(Party)) == 40
    changed = invoices.find_invoice("F2025-000003")
    db.session.refresh(changed)
    assert changed.amount == Decimal("999.99")
    assert [line.amount for line in changed.lines] == [Decimal("999.99")]
    assert invoices.find_invoice("F2025-000007").amount != Decimal("5")  # paid: left alone
    party = db.session.scalar(select(Party).where(Party.tax_id == dni(3)))
    assert party.name == "Cliente Ñandú 3" and party.email == "c3@example.com"


ROWS = 100_000


def test_a_big_file_is_imported_by_the_worker_with_progress(
    business_client, run_worker, admin_engine
):
    workspace_id, slug, client = business_client
    content = invoice_csv(ROWS, clients=5000)
    response = _upload(client, slug, content)
    assert response.status_code == 200
    started = _start(client, slug, response.get_data(as_text=True))
    assert started.status_code == 302
    assert "En curso" in client.get(started.location).get_data(as_text=True)

    begin = time.perf_counter()
    run_worker(timeout=300)
    seconds = time.perf_counter() - begin
    print(f"\n{ROWS} invoices through the worker in {seconds:.1f} s: {ROWS / seconds:.0f} rows/s")

    with admin_engine.connect() as conn:
        run = conn.execute(
            text(
                "SELECT status, done, total,"
                " EXTRACT(EPOCH FROM finished_at - created_at) AS seconds"
                " FROM job_runs WHERE tenant_id = :t"
            ),
            {"t": workspace_id},
        ).one()
    print(f"the job itself (queued to done): {run.seconds:.1f} s: {ROWS / run.seconds:.0f} rows/s")
    assert (run.status, run.done, run.total) == ("done", ROWS, ROWS)
    assert _invoice_counts(admin_engine, workspace_id) == (ROWS, ROWS, 5000)
    page = client.get(started.location).get_data(as_text=True)
    assert str(ROWS) in page.replace(".", "").replace("\u00a0", "")
    assert "hx-get" not in page  # finished: the page stops polling


def test_a_required_column_left_out_or_a_forged_file_is_refused_and_starts_nothing(
    app, business_client, admin_engine
):
    workspace_id, slug, client = business_client
    html = _upload(client, slug, invoice_csv(3)).get_data(as_text=True)
    mapping = _selected(html)
    sha256 = re.search(r'name="sha256"[^>]*value="([^"]+)"', html).group(1)  # signed
    start, token_from = f"/w/{slug}/invoices/import/start", f"/w/{slug}/invoices/import"

    no_total = post_form(
        client, start, {**mapping, "sha256": sha256, "total": ""}, token_from=token_from
    )
    assert no_total.status_code == 422
    assert 'id="total-error"' in no_total.get_data(as_text=True)  # next to the field
    twice = post_form(
        client, start, {**mapping, "sha256": sha256, "vat": mapping["total"]}, token_from=token_from
    )
    assert twice.status_code == 422
    error = re.search(r'id="total-error"[^>]*>([^<]+)<', twice.get_data(as_text=True))
    assert error and "Total" in error.group(1)  # the column already used, by its header
    # The bare hash of the stored file (the store is shared by every workspace), a path, an
    # unknown hash, or a damaged signature.
    (stored,) = [p.name for p in Path(app.config["DOCUMENTS_DIR"]).glob("*/*")]
    for forged in ("../../etc/passwd", "0" * 64, stored, sha256.upper(), sha256[:-2]):
        response = post_form(client, start, {**mapping, "sha256": forged}, token_from=token_from)
        assert response.status_code == 422
    with admin_engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM job_runs")) == 0
    assert _invoice_counts(admin_engine, workspace_id) == (0, 0, 0)


def test_a_file_that_is_not_a_csv_is_refused_at_upload(business_client):
    _workspace_id, slug, client = business_client
    response = _upload(client, slug, b"%PDF-1.7\x00\x01\x02 binary", "facturas.pdf")
    assert response.status_code == 422
    assert "CSV" in response.get_data(as_text=True)


def test_a_utf16_file_with_tabs_is_read_like_the_spanish_export(business_client):
    _workspace_id, slug, client = business_client
    text = invoice_csv(3).decode("cp1252").replace(";", "\t")

    response = _upload(client, slug, codecs.BOM_UTF16_BE + text.encode("utf-16-be"))

    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    html = response.get_data(as_text=True)
    assert _selected(html)["tax_id"] == "2" and _selected(html)["total"] == "8"
    assert "Cliente Ñandú 1" in html


def test_a_file_that_cannot_be_read_gets_the_invoice_import_words_in_spanish(
    business_client, message, run_worker
):
    _workspace_id, slug, client = business_client
    for content, code in (
        (b"PK\x03\x04\x14\x00\x06\x00 a workbook", "invoice_import_not_csv"),
        (HEADER.encode("cp1252") + b"\r\n", "invoice_import_no_rows"),
    ):
        response = _upload(client, slug, content)
        html = response.get_data(as_text=True)
        assert response.status_code == 422
        assert message(code) in html, code
        assert message("bank_not_csv") not in html

    lines = invoice_csv(2).decode("cp1252").splitlines()
    lines[2] += ";sobra"  # row 3: a cell the header does not name
    started = _start(client, slug, _upload(client, slug, "\n".join(lines).encode()).get_data(True))
    run_worker()
    page = client.get(started.location).get_data(as_text=True)
    assert (
        f"<tr><td>3</td><td></td><td>{message('invoice_import_too_many_cells')}</td></tr>" in page
    )
