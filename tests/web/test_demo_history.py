"""The demo is what a newcomer sees first: its cases must read as weeks of real history.

Issue 11.10: letters dated on the days the ladder would have sent them, posted after they were
ready and delivered after they were posted, every party with a postal address, and the steps a
late debt skipped shown as skipped, not done. The demo is seeded at a fixed day, far from the
real clock, so a date left on the real clock shows.
"""

from datetime import date, datetime, timedelta

from sqlalchemy import select

from tests.conftest import login

TODAY = date(2025, 11, 20)
PASSWORD = "amparo-demo"
DEMO_USERS = (
    ("demo-landlord", "landlord@demo.amparo.test"),
    ("demo-business", "business@demo.amparo.test"),
)
# Each event a letter goes through, and its rank: no event before one of lower rank.
# Approving a paper letter puts it in the tray in the same act (both at once, in either order).
LETTER_FLOW = {
    "letter_queued": 0,
    "letter_awaiting_approval": 1,
    "letter_approved": 2,
    "letter_to_post": 2,
    "letter_sent": 3,
    "letter_posted": 4,
    "letter_delivered": 5,
}
# What a debtor does that stops the ladder's climb by the days (it holds or counts again).
ANSWERS = ("plan_accepted", "partial_payment", "payment", "promised", "disputed", "paused")
# Events of a case and the event that causes each (it must come first).
CAUSED_BY = {
    "closed": ("payment",),
    "thanked": ("closed",),
    "escalation_proposed": ("letter_queued",),
    "started_late": ("opened",),
}


def seed(app):
    from tenants import db
    from web.demo import seed_demo

    with app.app_context():
        list(seed_demo(PASSWORD, today=TODAY))
        db.session.commit()


def madrid_day(moment: datetime | None) -> date | None:
    from tenants.clock import date_in_spain

    return None if moment is None else date_in_spain(moment)


def demo_books(app):
    """For each demo creditor: its cases, each with its letters and events, and its parties
    (read inside the workspace, as the app reads them)."""
    from tenants import db
    from tenants.db import tenant_context
    from tenants.models import Case, CaseEvent, Letter, Party
    from tenants.services.collections import ladders
    from tenants.services.platform import workspaces as ws_service

    books = {}
    with app.app_context():
        for slug, _email in DEMO_USERS:
            workspace = ws_service.workspace_by_slug(slug)
            with tenant_context(workspace.id):
                session = db.session
                ladder = ladders.workspace_ladder(workspace.kind.value)
                offsets = ladders.offsets(ladder)
                cases = []
                for case in session.scalars(select(Case).order_by(Case.id)):
                    letters = session.scalars(
                        select(Letter).where(Letter.case_id == case.id).order_by(Letter.id)
                    ).all()
                    events = session.scalars(
                        select(CaseEvent)
                        .where(CaseEvent.case_id == case.id)
                        .order_by(CaseEvent.created_at, CaseEvent.id)
                    ).all()
                    cases.append((case, letters, events))
                books[slug] = {
                    "offsets": offsets,
                    "cases": cases,
                    "parties": session.scalars(select(Party)).all(),
                    "step_kinds": {s.position: s.kind for s in ladder.steps},
                }
                session.expunge_all()
    return books


def test_the_demo_s_cases_read_as_weeks_of_real_history(app):
    """One seed, three walks: the timelines, the climb's days, the parties' addresses."""
    seed(app)
    books = demo_books(app)
    check_timelines(books)
    check_the_landlord_s_climb(books["demo-landlord"])
    check_addresses(books)


def check_timelines(books):
    """Every letter and event of every case: none before the one that causes it, none after
    the day the demo was seeded."""
    end_of_today = TODAY + timedelta(days=1)
    checked_letters = 0
    for slug, book in books.items():
        offsets = book["offsets"]
        assert book["cases"], f"{slug}: the demo has no cases"
        for case, letters, events in book["cases"]:
            where = f"{slug} case {case.id} ({case.party.name})"
            assert events and events[0].kind == "opened", where
            opened = events[0].created_at
            assert case.opened_at <= opened, where
            # Nothing in the future of the day the demo was seeded on.
            for event in events:
                assert madrid_day(event.created_at) < end_of_today, (where, event.kind)
            # The case's events: none before what causes it.
            first = {}
            for event in events:
                first.setdefault(event.kind, event.created_at)
            for kind, causes in CAUSED_BY.items():
                for event in (e for e in events if e.kind == kind):
                    for cause in causes:
                        assert cause in first and first[cause] <= event.created_at, (
                            where,
                            kind,
                            cause,
                        )
            # A partial payment (a card payment, an instalment debited) counts the ladder again
            # from its day: the letters before it were due by the anchor the case had then.
            reanchored = max(
                (e.created_at for e in events if e.kind == "partial_payment"), default=None
            )
            for letter in letters:
                what = (where, letter.id, letter.kind, letter.party.name)
                checked_letters += 1
                stamps = [
                    letter.created_at,
                    letter.rendered_at,
                    letter.approved_at,
                    letter.sent_at,
                ]
                present = [s for s in stamps if s is not None]
                assert present == sorted(present), what  # created ≤ rendered ≤ approved ≤ sent
                assert all(madrid_day(s) <= TODAY for s in present), what
                ready = max(s for s in stamps[:3] if s is not None)
                if letter.posted_on is not None:
                    assert madrid_day(ready) <= letter.posted_on <= TODAY, what
                if letter.delivered_on is not None:
                    assert letter.posted_on is not None, what
                    assert letter.posted_on <= letter.delivered_on <= TODAY, what
                counted_from_anchor = reanchored is None or letter.created_at > reanchored
                if (
                    letter.step_position is not None
                    and letter.cycle == case.cycle
                    and counted_from_anchor
                ):
                    due_day = case.anchor_date + timedelta(days=offsets[letter.step_position])
                    assert due_day <= madrid_day(letter.created_at), (what, due_day)
                # The letter's own events, in the order a letter lives them, each after the
                # state it reports was reached.
                own = [e for e in events if e.letter_id == letter.id and e.kind in LETTER_FLOW]
                ranks = [LETTER_FLOW[e.kind] for e in own]
                assert ranks == sorted(ranks), (what, [e.kind for e in own])
                for event in own:
                    assert event.created_at >= letter.created_at, (what, event.kind)
                    if event.kind in ("letter_sent", "letter_to_post", "letter_awaiting_approval"):
                        assert letter.rendered_at and event.created_at >= letter.rendered_at
                    if event.kind in ("letter_sent", "letter_to_post") and letter.approved_at:
                        assert event.created_at >= letter.approved_at, (what, event.kind)
                    if event.kind == "letter_posted":
                        assert madrid_day(event.created_at) >= letter.posted_on, what
                    if event.kind == "letter_delivered":
                        assert madrid_day(event.created_at) >= letter.delivered_on, what
    assert checked_letters > 30


def check_the_landlord_s_climb(book):
    """A debt 60 days late today had its reminder 57 days ago (due + 3), its first claim 50
    days ago (due + 10), and so on: the landlord's renters in arrears climbed day by day, until
    the debtor answered (a plan accepted, a payment, a promise: the ladder holds or counts
    again from that day)."""
    offsets, kinds = book["offsets"], book["step_kinds"]
    climbed = 0
    for case, letters, events in book["cases"]:
        if any(e.kind == "started_late" for e in events):
            continue
        held = min((e.created_at for e in events if e.kind in ANSWERS), default=None)
        debtor_letters = {
            x.step_position: x
            for x in letters
            if x.copy_of_id is None and (held is None or x.created_at < held)
        }
        due = madrid_day(debtor_letters[1].created_at) - timedelta(days=offsets[1])
        assert (TODAY - due).days >= 60, case.party.name  # months behind
        days_late = ((madrid_day(held) if held else TODAY) - due).days
        for position, offset in offsets.items():
            if position == 0 or kinds[position] == "escalation" or offset > days_late:
                continue
            letter = debtor_letters.get(position)
            assert letter is not None, (case.party.name, kinds[position])
            assert madrid_day(letter.created_at) == due + timedelta(days=offset), (
                case.party.name,
                kinds[position],
            )
            if letter.sent_at is not None:
                assert madrid_day(letter.sent_at) == madrid_day(letter.created_at)
        if days_late >= 60:
            climbed += 1
            escalation = next(e for e in events if e.kind == "escalation_proposed")
            assert madrid_day(escalation.created_at) == due + timedelta(days=60)
    assert climbed >= 1  # a renter climbed the whole ladder before answering
    posted = [x for _c, letters, _e in book["cases"] for x in letters if x.posted_on]
    assert posted, "the demo landlord has no letter posted"
    for letter in posted:  # posted the day after it was ready, delivered two days later
        assert letter.posted_on == madrid_day(letter.approved_at) + timedelta(days=1)
        assert letter.delivered_on == letter.posted_on + timedelta(days=2)


def check_addresses(books):
    for slug, book in books.items():
        assert book["parties"], slug
        for party in book["parties"]:
            address = (party.street, party.postal_code, party.city, party.province)
            assert all(address), (slug, party.name, address)
            assert len(party.postal_code) == 5 and party.postal_code.isdigit(), party.name


def test_the_demo_case_pages_show_a_late_debt_s_skipped_steps_as_skipped(app, make_client):
    import re

    seed(app)
    books = demo_books(app)
    skipped_seen = 0
    for slug, email in DEMO_USERS:
        client = make_client()
        login(client, email=email, password=PASSWORD)
        kinds = books[slug]["step_kinds"]
        assert client.get(f"/w/{slug}/cases").status_code == 200
        for case, letters, events in books[slug]["cases"]:
            response = client.get(f"/w/{slug}/cases/{case.id}")
            assert response.status_code == 200, (slug, case.id)
            html = response.get_data(as_text=True)
            ladder = html[html.index('id="ladder"') : html.index('id="charges"')]
            badges = [
                (state, text.strip())
                for state, text in re.findall(
                    r'class="stepper-step step-(\w+)"[^>]*>.*?<span class="badge[^"]*">'
                    r"(.*?)</span>",
                    ladder,
                    flags=re.S,
                )
            ]
            assert len(badges) == len(kinds), (slug, case.id)
            started = next((e.detail["step"] for e in events if e.kind == "started_late"), 1)
            taken = {x.step_position for x in letters if x.copy_of_id is None}
            for position, (state, text) in enumerate(badges, start=1):
                where = (slug, case.party.name, kinds[position], text)
                if position < started and position <= case.stage:
                    skipped_seen += 1
                    assert position not in taken, where
                    assert (state, text) == ("skipped", "Omitido"), where
                elif position <= case.stage:
                    assert (state, text) == ("done", "Hecho"), where
                else:
                    assert text in ("Siguiente", "Después"), where
    assert skipped_seen >= 10  # the business's old debts, started at the certified demand
