"""Layout a person notices at a common laptop width (1366 px), in Spanish, the longer language:
the navigation on one row, the ladder's choices readable in full (issue 11.14)."""

from __future__ import annotations

import re

import pytest

from tests.conftest import PASSWORD
from tests.web.conftest import browser, live_server  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser

LONG_NAME = "Inmuebles y Alquileres Hermanos Fernández de la Peña"

# How much of each select's selected text fits in its box (1.0: all of it).
SELECT_FIT = """() => [...document.querySelectorAll('#steps select')].map((s) => {
  const style = getComputedStyle(s);
  const ctx = document.createElement('canvas').getContext('2d');
  ctx.font = style.font;
  const text = s.options[s.selectedIndex].text;
  const room = s.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  return [s.id, text, room / ctx.measureText(text).width];
})"""
# The vertical middle of every item of the navigation bar, and the bar's height.
NAV_ROWS = """() => ({
  middles: [...document.querySelectorAll('#nav > ul > li, #nav > form')].map((el) => {
    const box = el.getBoundingClientRect();
    return Math.round((box.top + box.bottom) / 2);
  }),
  height: document.querySelector('nav.navbar').getBoundingClientRect().height,
})"""


def logged_in_page(browser, live_server, email):  # noqa: F811
    context = browser.new_context(
        base_url=live_server.url, locale="es-ES", viewport={"width": 1366, "height": 768}
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto("/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/w/[a-z0-9-]+/$"))
    return context, page


@pytest.mark.parametrize("kind", ["landlord", "business"])
def test_at_1366_px_the_navigation_is_one_row_and_the_ladder_choices_read_in_full(
    live_server,  # noqa: F811
    browser,  # noqa: F811
    create_user,
    create_workspace,
    kind,
):
    create_user(email="rosa@example.com", name="María del Rosario Fernández de la Peña")
    _id, slug = create_workspace(name=LONG_NAME, kind=kind, owner_email="rosa@example.com")
    context, page = logged_in_page(browser, live_server, "rosa@example.com")

    for path in ("/", "/cases", "/settings/ladder"):
        page.goto(f"/w/{slug}{path}")
        rows = page.evaluate(NAV_ROWS)
        middles = rows["middles"]
        assert max(middles) - min(middles) <= 4, f"{path}: the navigation wraps: {rows}"
        assert rows["height"] < 80, rows

    page.goto(f"/w/{slug}/settings/ladder")
    fits = page.evaluate(SELECT_FIT)
    assert fits, "no select on the ladder page"
    for select_id, text, fit in fits:
        assert fit >= 1, f"{select_id} shows only {fit:.0%} of «{text}»"
    context.close()
