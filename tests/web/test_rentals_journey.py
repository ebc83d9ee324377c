"""A landlord's rent book, clicked through in a real browser against a real server and worker:
a building and a flat, a renter and a guarantor, a lease two months old, its charges, a partial
payment, the arrears on the dashboard, the end of the lease and the settlement of the deposit.

The owner is put in the database directly (signing up is the foundation's journey); everything
after the login is done through the pages. The UI is switched to English first, so the
assertions do not depend on the Spanish catalogue, which is being filled in meanwhile.
"""

from __future__ import annotations

import calendar
import re
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest
from babel.dates import format_date
from babel.numbers import format_currency
from playwright.sync_api import expect

from tenants.clock import today_in_spain
from tests.conftest import PASSWORD
from tests.web.test_journey import watch

pytestmark = pytest.mark.browser

OWNER = {"email": "rosa@example.com", "name": "Rosa Vidal", "workspace": "Pisos Rosa"}
BUILDING = "Calle Mayor 12"
FLAT = "2º B"
RENTER = ("Javier Martín Ruiz", "12345678Z")
GUARANTOR = ("Anna Schmidt", "X1234567L")
IBAN = "ES9121000418450200051332"
RENT = Decimal("850")
PAID = Decimal("500")
LEASE_SCREENSHOT = "/tmp/amparo-lease.png"  # noqa: S108 - a fixed place to look at it afterwards
DASHBOARD_SCREENSHOT = "/tmp/amparo-rent-dashboard.png"  # noqa: S108


def eur(amount: Decimal) -> str:
    """An amount as the English UI writes it: €1,234.56."""
    return format_currency(amount, "EUR", locale="en")


def medium(day: date) -> str:
    return format_date(day, "medium", locale="en")


def months_before(day: date, months: int) -> date:
    """The first day of the month `months` before `day`'s."""
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def month_after(day: date) -> date:
    """The same day a month later, or the last day of that month (31 Jan → 28/29 Feb)."""
    following = months_before(day, -1)
    days_there = calendar.monthrange(following.year, following.month)[1]
    return following.replace(day=min(day.day, days_there))


def cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def test_landlord_lets_a_flat_records_rent_and_settles_the_deposit(
    live_server, browser, create_user, create_workspace
):
    create_user(email=OWNER["email"], name=OWNER["name"])
    create_workspace(name=OWNER["workspace"], owner_email=OWNER["email"])
    today = today_in_spain()
    start = months_before(today, 2)
    due_dates = [start, months_before(today, 1), months_before(today, 0)]

    problems: list[str] = []
    context = browser.new_context(base_url=live_server.url, locale="es-ES")
    context.set_default_timeout(10_000)
    page = context.new_page()
    watch(page, problems)

    # Log in (Spanish by default), then switch the UI to English with the navbar button.
    page.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    page.locator("#email").fill(OWNER["email"])
    page.locator("#password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/w/[a-z0-9-]+/$"))
    slug = page.url.rstrip("/").rsplit("/", 1)[1]
    page.get_by_role("button", name="English").click()
    page.wait_for_url(f"**/w/{slug}/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#first-steps")).to_have_text("Your rent book is empty")
    expect(page.get_by_role("heading", level=1)).to_have_text(OWNER["workspace"])
    expect(page.locator("#user-menu")).to_have_text(OWNER["name"].split()[0])

    # 1. A building and a flat in it.
    page.get_by_role("link", name="Properties", exact=True).click()
    page.wait_for_url(f"**/w/{slug}/properties")
    page.locator("#name").fill(BUILDING)
    page.locator("#street").fill("Calle Mayor 12")
    page.locator("#postal_code").fill("28013")
    page.locator("#city").fill("Madrid")
    page.locator("#province").select_option("Madrid")
    page.get_by_role("button", name="Add property").click()
    page.wait_for_url(re.compile(rf"/w/{slug}/properties/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(BUILDING)
    expect(page.locator("main")).to_contain_text("28013 Madrid (Madrid)")
    page.locator("#label").fill(FLAT)
    page.get_by_role("button", name="Add unit").click()
    expect(page.locator(".alert-success")).to_contain_text(f"Unit {FLAT} added.")
    unit_row = page.locator("tr[id^=unit-]")
    expect(unit_row).to_have_count(1)
    expect(unit_row).to_contain_text(FLAT)
    expect(unit_row).to_contain_text("Housing")
    expect(unit_row).to_contain_text("vacant")
    unit_id = (unit_row.get_attribute("id") or "").removeprefix("unit-")

    # 2. The renter and the guarantor, with a valid DNI and NIE.
    for name, tax_id in (RENTER, GUARANTOR):
        page.get_by_role("link", name="People", exact=True).click()
        page.wait_for_url(f"**/w/{slug}/parties")
        page.get_by_role("link", name="Add a person or company").click()
        page.wait_for_url(f"**/w/{slug}/parties/new")
        page.locator("#name").fill(name)
        page.locator("#tax_id").fill(tax_id)
        page.locator("main form button[type=submit]").click()
        page.wait_for_url(re.compile(rf"/w/{slug}/parties/\d+$"))
        expect(page.locator(".alert-success")).to_contain_text(f"{name} has been added.")
        expect(page.locator("#tax_id")).to_have_value(tax_id)

    # 3. The lease, from the flat's "New lease" link: the deposit follows the rent.
    page.get_by_role("link", name="Properties", exact=True).click()
    page.get_by_role("link", name=BUILDING).click()
    page.locator(f"#unit-{unit_id}").get_by_role("link", name="New lease").click()
    page.wait_for_url(f"**/w/{slug}/leases/new?unit_id={unit_id}")
    expect(page.locator("#unit_id")).to_have_value(unit_id)
    page.locator("#renter_ids").select_option(label=RENTER[0])
    page.locator("#guarantor_ids").select_option(label=GUARANTOR[0])
    page.locator("#start_date").fill(start.isoformat())
    page.locator("#rent").fill("850")
    expect(page.locator("#deposit_amount")).to_have_value(re.compile(r"^850[.,]00$"))
    page.locator("#payment_method").select_option("transfer")
    page.locator("#iban").fill(IBAN)
    page.get_by_role("button", name="Save the lease").click()
    page.wait_for_url(re.compile(rf"/w/{slug}/leases/\d+$"))
    lease_url = page.url
    lease_id = lease_url.rsplit("/", 1)[1]
    expect(page.locator(".alert-success")).to_contain_text("The lease has been saved.")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{BUILDING}, {FLAT}")
    terms = page.locator("section[aria-labelledby=lease-terms]")
    expect(terms).to_contain_text(RENTER[0])
    expect(terms).to_contain_text(GUARANTOR[0])
    expect(terms).to_contain_text(f"{medium(start)} – open term")
    expect(terms).to_contain_text(f"Rent: {eur(RENT)}")
    expect(terms).to_contain_text(f"Bank transfer · {IBAN}")
    expect(page.locator("#deposit-held")).to_have_text(eur(RENT))
    expect(page.locator("#charges-table")).to_have_count(0)
    expect(page.locator("#balance-today")).to_have_text("Nothing owed")

    # 4. Generate the charges: one per month since the start, this month's included.
    page.get_by_role("button", name="Generate charges up to today").click()
    page.wait_for_url(lease_url)
    expect(page.locator(".alert-success")).to_contain_text("3 new charges up to today.")
    rows = page.locator("#charges-table tbody tr")
    expect(rows).to_have_count(3)
    for row, due in zip(rows.all(), due_dates, strict=True):
        expect(row.locator("td").nth(1)).to_have_text(medium(due))
        expect(row.locator("td").nth(3)).to_have_text(eur(RENT))
        expect(row.locator("td").nth(4)).to_have_text(eur(Decimal("0")))
    expect(rows.first.locator("td").nth(5)).to_have_text("Unpaid")
    expect(page.locator("#balance-today")).to_have_text(f"Owed: {eur(3 * RENT)}")

    # 5. A partial payment of 500,00 pays the oldest charge in part.
    page.locator("#payment-amount").fill("500,00")
    expect(page.locator("#payment-received_on")).to_have_value(today.isoformat())
    page.locator("#payment-method").select_option("cash")
    page.locator("section[aria-labelledby=record-payment] button[type=submit]").click()
    page.wait_for_url(lease_url)
    expect(page.locator(".alert-success")).to_contain_text("The payment has been recorded.")
    expect(rows.nth(0).locator("td").nth(4)).to_have_text(eur(PAID))
    expect(rows.nth(0).locator("td").nth(5)).to_have_text("Partly paid")
    expect(rows.nth(1).locator("td").nth(4)).to_have_text(eur(Decimal("0")))
    expect(rows.nth(1).locator("td").nth(5)).to_have_text("Unpaid")
    owed = 3 * RENT - PAID
    expect(page.locator("#balance-today")).to_have_text(f"Owed: {eur(owed)}")
    ledger = page.locator("#ledger-table tbody tr")
    expect(ledger).to_have_count(4)
    expect(ledger.last.locator("td").last).to_have_text(eur(owed))
    expect(page.locator("#ledger-table")).to_contain_text(eur(PAID))

    # 6. The dashboard: the lease is in arrears, by what was due before today, since the start.
    page.get_by_role("link", name="Dashboard", exact=True).click()
    page.wait_for_url(f"**/w/{slug}/")
    late = sum(RENT for due in due_dates if due < today) - PAID
    arrears = page.locator("#arrears tbody tr")
    expect(arrears).to_have_count(1)
    cells = arrears.first.locator("td")
    expect(cells.nth(0).locator("a")).to_have_attribute("href", f"/w/{slug}/leases/{lease_id}")
    expect(cells.nth(0)).to_have_text(f"{BUILDING}, {FLAT}")
    expect(cells.nth(1)).to_have_text(RENTER[0])
    expect(cells.nth(2)).to_have_text(eur(late))
    expect(cells.nth(3)).to_have_text(str((today - start).days))
    expect(cells.nth(4)).to_have_text(medium(start))
    expect(page.locator("#card-arrears")).to_have_text(eur(late))
    expect(page.locator("#card-leases-in-arrears")).to_have_text("1")
    expect(page.locator("#card-rent-roll")).to_have_text(eur(RENT))
    expect(page.locator("#card-occupancy")).to_have_text("100 %")
    expect(page.locator("#collected-vs-due")).to_be_visible()
    page.screenshot(path=DASHBOARD_SCREENSHOT, full_page=True)

    # 7. End the lease today with the keys back today; the last month is charged to today.
    cells.nth(0).locator("a").click()
    page.wait_for_url(lease_url)
    page.locator("#end-ended_on").fill(today.isoformat())
    page.locator("#end-keys_returned_on").fill(today.isoformat())
    page.locator("section[aria-labelledby=end-lease] button[type=submit]").click()
    expect(page.locator("#owed-after")).to_be_visible()  # which charges go, what stays owed
    page.locator("#confirm-end button[type=submit]").click()
    page.wait_for_url(lease_url)
    expect(page.locator(".alert-success")).to_contain_text("The lease has ended.")
    expect(page.locator("h1 + .badge")).to_have_text("Ended")
    expect(page.locator("#end-lease")).to_have_count(0)
    days_in_month = calendar.monthrange(today.year, today.month)[1]
    last_month = cents(RENT * today.day / days_in_month)
    expect(rows.nth(2).locator("td").nth(3)).to_have_text(eur(last_month))
    owed = 2 * RENT + last_month - PAID
    expect(page.locator("#balance-today")).to_have_text(f"Owed: {eur(owed)}")

    # ...and the unpaid rent is taken from the deposit: all of it, the rest is still owed.
    page.get_by_role("button", name="Take unpaid rent from the ledger").click()
    page.wait_for_url(f"{lease_url}#deposit")
    expect(page.locator(".alert-success")).to_contain_text(
        "The unpaid rent has been taken from the deposit."
    )
    expect(page.locator("#deductions tbody tr")).to_have_count(1)
    expect(page.locator("#deductions tbody tr")).to_contain_text("Unpaid rent")
    expect(page.locator("#deductions tbody tr")).to_contain_text(eur(RENT))
    settlement = page.locator("#settlement")
    expect(settlement).to_contain_text(re.compile(rf"Deductions\s*{re.escape(eur(RENT))}"))
    expect(page.locator("#to-return")).to_have_text(eur(Decimal("0")))
    expect(settlement).to_contain_text(
        re.compile(rf"Keys returned on\s*{re.escape(medium(today))}")
    )
    expect(page.locator("#return-deadline")).to_contain_text(medium(month_after(today)))
    expect(page.locator("#days-late")).to_have_count(0)
    # Nothing is left of the deposit to take a second time.
    expect(page.get_by_role("button", name="Take unpaid rent from the ledger")).to_have_count(0)
    expect(page.locator("#balance-today")).to_have_text(f"Owed: {eur(owed - RENT)}")
    expect(page.locator("#ledger-table tbody tr").last).to_contain_text("Fianza")
    page.screenshot(path=LEASE_SCREENSHOT, full_page=True)

    context.close()
    csp = [p for p in problems if "Content Security Policy" in p]
    assert not csp, "\n".join(csp)
    # Chromium asks for /favicon.ico on its own; that 404 is harmless.
    errors = [
        p
        for p in problems
        if p.startswith(("pageerror", "console.error")) and "/favicon.ico" not in p
    ]
    assert not errors, "\n".join(errors)
    assert not live_server.errors(), live_server.log_tail()
