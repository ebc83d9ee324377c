"""Tenant scoping fails closed: the ORM wall (every backend) and PostgreSQL's RLS wall."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import delete, func, insert, literal, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from tenants import db
from tenants.db import (
    TenantMismatch,
    TenantNotSet,
    UnscopableStatement,
    across_tenants,
    tenant_context,
)
from tenants.models import (
    ApiToken,
    Charge,
    ChargeLine,
    Email,
    Invitation,
    JobRun,
    Lease,
    Member,
    User,
)
from tenants.services.platform.mail import record_email
from tests.tenants.conftest import tenant_tables


@pytest.fixture
def ab(app, two_tenants, make_objects):
    """Workspaces A and B, each with its owner and one object of every kind; then an app
    context (no tenant set) for using the session directly."""
    a, b = two_tenants
    found = a, make_objects(a, tag="ana"), b, make_objects(b, tag="bea")
    with app.app_context():
        yield found
        db.session.rollback()


def _count(admin_engine, table: str, tenant_id: int) -> int:
    with admin_engine.connect() as conn:
        return conn.scalar(
            text(f"SELECT count(*) FROM {table} WHERE tenant_id = :t"), {"t": tenant_id}
        )


# --- the ORM wall ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        select(Member),
        select(Member.id),
        select(func.count(Member.id)),
        select(func.count()).select_from(ApiToken),
        select(User).join(Member, Member.user_id == User.id),
        select(User).where(User.id.in_(select(Member.user_id))),
        update(JobRun).values(status="done"),
        delete(ApiToken),
    ],
    ids=["entity", "column", "count", "select_from", "joined", "subquery", "update", "delete"],
)
def test_query_with_no_tenant_raises(ab, statement):
    with pytest.raises(TenantNotSet):
        db.session.execute(statement)


def test_writing_with_no_tenant_raises(ab):
    db.session.add(JobRun(kind="orphan"))
    with pytest.raises(TenantNotSet):
        db.session.flush()


def test_select_sees_only_the_current_tenant(ab, admin_engine):
    a, a_ids, b, b_ids = ab
    assert _count(admin_engine, "members", b.id) == 2  # B's rows exist
    with tenant_context(a.id):
        members = db.session.scalars(select(Member)).all()
        assert {m.tenant_id for m in members} == {a.id}
        assert len(members) == 2
        assert db.session.scalar(select(Member).where(Member.id == b_ids["member_id"])) is None
        assert db.session.scalars(select(Member).where(Member.tenant_id == b.id)).all() == []
        assert db.session.get(Invitation, b_ids["invitation_id"]) is None
        assert db.session.get(ApiToken, b_ids["token_id"]) is None
        assert db.session.scalar(select(func.count(JobRun.id))) == 1
        assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 1
        emails = db.session.scalars(
            select(User.email).join(Member, Member.user_id == User.id).order_by(User.email)
        ).all()
        assert emails == ["ana-member@example.com", "ana@example.com"]
        in_subquery = db.session.scalars(
            select(User.email).where(User.id.in_(select(Member.user_id)))
        ).all()
        assert sorted(in_subquery) == ["ana-member@example.com", "ana@example.com"]


def test_the_filter_follows_the_tenant_of_each_execution(ab):
    """The criteria are a bound parameter, not baked into a cached statement."""
    a, a_ids, b, b_ids = ab
    query = select(Member.id).order_by(Member.id)
    for tenant, ids in ((a, a_ids), (b, b_ids), (a, a_ids)):
        with tenant_context(tenant.id):
            found = db.session.scalars(query).all()
        assert ids["member_id"] in found
        assert len(found) == 2


def test_bulk_update_and_delete_cannot_reach_another_tenant(ab, admin_engine):
    a, _a_ids, b, b_ids = ab
    with tenant_context(a.id):
        changed = db.session.execute(
            update(JobRun).where(JobRun.id == b_ids["run_id"]).values(status="failed")
        )
        assert changed.rowcount == 0
        removed = db.session.execute(delete(ApiToken).where(ApiToken.id == b_ids["token_id"]))
        assert removed.rowcount == 0
        db.session.commit()
    assert _count(admin_engine, "api_tokens", b.id) == 1
    with admin_engine.connect() as conn:
        status = conn.scalar(
            text("SELECT status FROM job_runs WHERE id = :i"), {"i": b_ids["run_id"]}
        )
    assert status == "queued"


# --- Core statements on a model's Table, and INSERT … SELECT ---------------------------------
# Run as the owner role, which RLS does not apply to: these show the statement rewrite alone.


@pytest.fixture
def owner_session(admin_engine):
    """A session of the app's kind (the same scoping events) on the owner's connection."""
    with Session(admin_engine) as owner:
        yield owner
        owner.rollback()


def _copy_charges_as_lines(charges, tenant_id: int, description: str):
    """INSERT INTO charge_lines … SELECT one line per charge, as the bulk import writes them."""
    lines = ChargeLine.__table__
    return insert(lines).from_select(
        ["tenant_id", "charge_id", "kind", "description", "amount"],
        select(
            literal(tenant_id),
            charges.c.id,
            literal("other"),
            literal(description),
            charges.c.amount,
        ),
    )


def test_core_update_and_delete_on_the_table_touch_only_the_current_tenant(
    ab, owner_session, admin_engine
):
    a, a_ids, b, b_ids = ab
    runs, tokens = JobRun.__table__, ApiToken.__table__
    with tenant_context(a.id):
        changed = owner_session.execute(update(runs).values(message="touched"))
        named = owner_session.execute(
            update(runs).where(runs.c.id == b_ids["run_id"]).values(status="failed")
        )
        removed = owner_session.execute(delete(tokens))
        assert (changed.rowcount, named.rowcount, removed.rowcount) == (1, 0, 1)
        owner_session.commit()
    with admin_engine.connect() as conn:
        messages = dict(conn.execute(select(runs.c.id, runs.c.message)).all())
    assert messages == {a_ids["run_id"]: "touched", b_ids["run_id"]: "bea-run"}
    assert _count(admin_engine, "api_tokens", a.id) == 0
    assert _count(admin_engine, "api_tokens", b.id) == 1


def test_a_select_on_the_table_sees_only_the_current_tenant(ab, owner_session, admin_engine):
    a, _a_ids, b, b_ids = ab
    members, charges, lines = Member.__table__, Charge.__table__, ChargeLine.__table__
    with tenant_context(a.id):
        assert owner_session.scalars(select(members.c.tenant_id)).all() == [a.id, a.id]
        count = owner_session.scalar(select(func.count()).select_from(charges))
        assert count == _count(admin_engine, "charges", a.id)
        joined = owner_session.execute(
            select(charges.c.tenant_id, lines.c.tenant_id).join(lines)
        ).all()
        assert set(joined) == {(a.id, a.id)}
        # A LEFT JOIN stays one: A's charges with B's line ids in the ON find no line.
        for outer in (
            select(charges.c.id, lines.c.id)
            .select_from(charges)
            .outerjoin(lines, (lines.c.charge_id == charges.c.id) & (lines.c.tenant_id == b.id)),
            select(charges.c.id, lines.c.id).select_from(
                charges.outerjoin(
                    lines, (lines.c.charge_id == charges.c.id) & (lines.c.tenant_id == b.id)
                )
            ),
        ):
            found = owner_session.execute(outer).all()
            assert len(found) == count and {line for _charge, line in found} == {None}
        # A bare Table inside an ORM query: the ORM's own filter does not reach it.
        emails = owner_session.scalars(
            select(User.email).where(User.id.in_(select(members.c.user_id))).order_by(User.email)
        ).all()
        assert emails == ["ana-member@example.com", "ana@example.com"]
        found = owner_session.scalar(
            select(func.count()).select_from(charges).where(charges.c.id == b_ids["charge_id"])
        )
        assert found == 0


@pytest.mark.parametrize("source", ["table", "subquery"])
def test_insert_select_copies_only_the_current_tenants_rows(
    ab, owner_session, admin_engine, source
):
    """The SELECT of an INSERT … SELECT is scoped, from the Table or from a subquery of the
    mapped entity (the ORM's own filter reaches neither)."""
    a, *_ = ab
    charges = Charge.__table__
    if source == "subquery":
        charges = select(Charge.id, Charge.amount).subquery()
    with tenant_context(a.id):
        owner_session.execute(_copy_charges_as_lines(charges, a.id, "copied"))
        owner_session.commit()
    with admin_engine.connect() as conn:
        copied = conn.execute(
            text(
                "SELECT c.tenant_id, count(*) FROM charge_lines l JOIN charges c"
                " ON c.id = l.charge_id WHERE l.description = 'copied' GROUP BY c.tenant_id"
            )
        ).all()
    assert copied == [(a.id, _count(admin_engine, "charges", a.id))]


def test_insert_select_with_mapped_entities_copies_only_the_current_tenants_rows(
    ab, owner_session, admin_engine
):
    """As the rent-charge generation writes it: mapped columns in the SELECT, a join too."""
    _a, _a_ids, b, _b_ids = ab
    lines = ChargeLine.__table__
    with tenant_context(b.id):
        statement = insert(lines).from_select(
            ["tenant_id", "charge_id", "kind", "description", "amount"],
            select(
                Charge.tenant_id, Charge.id, literal("other"), literal("again"), Lease.rent
            ).join(Lease, Lease.id == Charge.lease_id),
        )
        owner_session.execute(statement)
        owner_session.commit()
    with admin_engine.connect() as conn:
        tenants = conn.scalars(
            text("SELECT DISTINCT tenant_id FROM charge_lines WHERE description = 'again'")
        ).all()
    assert tenants == [b.id]


@pytest.mark.parametrize(
    "statement",
    [
        update(JobRun.__table__).values(status="done"),
        delete(ApiToken.__table__),
        select(Member.__table__.c.id),
        select(User.id).where(User.id.in_(select(Member.__table__.c.user_id))),
        _copy_charges_as_lines(Charge.__table__, 1, "orphan"),
    ],
    ids=["update", "delete", "select", "subquery", "insert-select"],
)
def test_core_statements_with_no_tenant_raise(ab, statement):
    with pytest.raises(TenantNotSet):
        db.session.execute(statement)


def test_what_cannot_be_scoped_is_refused(ab):
    a, *_ = ab
    charges, lines = Charge.__table__, ChargeLine.__table__
    with tenant_context(a.id), pytest.raises(UnscopableStatement, match="ON clause"):
        db.session.execute(select(charges.c.id).outerjoin(lines))  # its ON is guessed later
    with tenant_context(a.id), pytest.raises(UnscopableStatement, match="FULL JOIN"):
        db.session.execute(
            select(charges.c.id).select_from(
                charges.join(lines, lines.c.charge_id == charges.c.id, full=True)
            )
        )
    lines_of_lines = select(
        ChargeLine.tenant_id, Charge.id, literal("other"), literal("x"), Charge.amount
    ).join(Charge.lines)  # a relationship's ON, which only the ORM's own filter could scope
    with tenant_context(a.id), pytest.raises(UnscopableStatement, match="INSERT"):
        db.session.execute(
            insert(lines).from_select(
                ["tenant_id", "charge_id", "kind", "description", "amount"], lines_of_lines
            )
        )
    with across_tenants("test: the named opt-out runs it unscoped"):
        assert len(db.session.execute(select(charges.c.id).outerjoin(lines)).all()) > 0


# --- emails: a workspace's own; account email the platform's ----------------------------------


def test_one_tenant_cannot_read_anothers_emails(ab, owner_session):
    a, a_ids, b, b_ids = ab
    platform = record_email(key="verify:test", to="new@example.com", subject="Hola", text="Hola.")
    db.session.commit()
    with tenant_context(a.id):
        assert owner_session.scalars(select(Email.id)).all() == [a_ids["email_id"]]
        assert owner_session.get(Email, b_ids["email_id"]) is None
        assert owner_session.get(Email, platform.id) is None
    # No tenant: the platform's email only, none of a workspace's.
    assert owner_session.scalars(select(Email.id)).all() == [platform.id]
    assert owner_session.scalars(select(Email.__table__.c.id)).all() == [platform.id]
    with across_tenants("test: the development mailbox sees all"):
        assert len(owner_session.scalars(select(Email.id)).all()) == 3


def test_an_email_recorded_in_a_workspace_is_that_workspaces(ab, admin_engine):
    a, *_ = ab
    with tenant_context(a.id):
        record_email(key="letter:test", to="debtor@example.com", subject="Hola", text="Hola.")
        db.session.commit()
    with admin_engine.connect() as conn:
        owner = conn.scalar(
            text("SELECT tenant_id FROM emails WHERE idempotency_key = 'letter:test'")
        )
    assert owner == a.id


def test_writing_another_tenants_object_raises(ab, admin_engine):
    a, _a_ids, b, b_ids = ab

    def load(model, key):
        with tenant_context(b.id):
            return db.session.get(model, b_ids[key])

    run = load(JobRun, "run_id")
    with tenant_context(a.id):
        run.status = "failed"
        with pytest.raises(TenantMismatch):
            db.session.flush()
    db.session.rollback()
    token = load(ApiToken, "token_id")
    with tenant_context(a.id):
        db.session.delete(token)
        with pytest.raises(TenantMismatch):
            db.session.flush()
    db.session.rollback()
    with tenant_context(a.id):
        db.session.add(JobRun(kind="smuggled", tenant_id=b.id))
        with pytest.raises(TenantMismatch):
            db.session.flush()
    db.session.rollback()
    assert _count(admin_engine, "job_runs", b.id) == 1
    assert _count(admin_engine, "api_tokens", b.id) == 1


def test_new_objects_are_stamped_with_the_current_tenant(ab):
    a, _a_ids, _b, _b_ids = ab
    with tenant_context(a.id):
        run = JobRun(kind="stamped")
        db.session.add(run)
        db.session.flush()
        assert run.tenant_id == a.id


def test_across_tenants_sees_both(ab):
    a, a_ids, b, b_ids = ab
    with across_tenants("test: both tenants"):
        tenant_ids = set(db.session.scalars(select(Member.tenant_id)))
        runs = set(db.session.scalars(select(JobRun.id)))
    assert tenant_ids == {a.id, b.id}
    assert runs == {a_ids["run_id"], b_ids["run_id"]}
    with pytest.raises(TenantNotSet):  # the block ends, the wall is back
        db.session.scalars(select(Member)).all()


def test_every_table_with_a_tenant_id_is_tenant_owned():
    """A new table with a tenant_id but without the TenantOwned mixin would be scoped by
    nothing: none may do that (emails included, whose platform rows have no tenant_id)."""
    from tenants.db import Base

    with_tenant_id = {t.name for t in Base.metadata.tables.values() if "tenant_id" in t.c}
    assert with_tenant_id == set(tenant_tables())
    assert set(tenant_tables()) >= {"members", "invitations", "api_tokens", "job_runs", "emails"}


# --- the RLS wall (PostgreSQL) ----------------------------------------------------------------


@pytest.fixture
def app_engine(app):
    """The app's own engine: every connection has switched to the role amparo_app."""
    return db.SessionFactory.kw["bind"]


def _as_tenant(conn, tenant_id: int | None) -> None:
    conn.execute(
        text("SELECT set_config('amparo.tenant_id', :t, true)"),
        {"t": "" if tenant_id is None else str(tenant_id)},
    )


def test_the_app_connects_as_a_role_subject_to_rls(ab, app_engine, admin_engine):
    with app_engine.connect() as conn:
        assert conn.scalar(text("SELECT current_user")) == "amparo_app"
    with admin_engine.connect() as conn:
        row = conn.execute(
            text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = 'amparo_app'")
        ).one()
    assert tuple(row) == (False, False)


def test_raw_sql_with_no_tenant_sees_no_rows(ab, app_engine, admin_engine):
    a, _a_ids, b, _b_ids = ab
    for table in tenant_tables():
        assert _count(admin_engine, table, a.id) + _count(admin_engine, table, b.id) > 0, table
        with app_engine.connect() as conn:
            count = conn.scalar(text(f"SELECT count(*) FROM {table}"))
        assert count == 0, f"{table}: {count} rows visible with no tenant set"
        with app_engine.begin() as conn:
            _as_tenant(conn, None)
            assert conn.scalar(text(f"SELECT count(*) FROM {table}")) == 0, table
    # The same through the app's session, outside any tenant context.
    assert db.session.scalar(text("SELECT count(*) FROM members")) == 0


def test_raw_sql_with_a_tenant_set_sees_only_its_rows(ab, app_engine):
    a, a_ids, b, b_ids = ab
    with app_engine.begin() as conn:
        _as_tenant(conn, a.id)
        assert conn.scalars(text("SELECT DISTINCT tenant_id FROM members")).all() == [a.id]
        assert conn.scalar(text("SELECT count(*) FROM members")) == 2
        assert (
            conn.scalar(
                text("SELECT count(*) FROM api_tokens WHERE id = :i"), {"i": b_ids["token_id"]}
            )
            == 0
        )
    with tenant_context(b.id):  # the session carries the tenant context into the setting
        assert db.session.scalars(text("SELECT DISTINCT tenant_id FROM job_runs")).all() == [b.id]
    db.session.rollback()
    with across_tenants("test: the named opt-out lifts RLS too"):
        assert db.session.scalar(text("SELECT count(DISTINCT tenant_id) FROM members")) == 2


def test_rls_rejects_writing_another_tenants_rows(ab, app_engine, admin_engine):
    a, a_ids, b, b_ids = ab
    b_members = _count(admin_engine, "members", b.id)
    with app_engine.connect() as conn, admin_engine.connect() as admin:
        user_id = admin.scalar(
            text("SELECT user_id FROM members WHERE id = :i"), {"i": b_ids["member_id"]}
        )
        with conn.begin():
            _as_tenant(conn, a.id)
            with pytest.raises(DBAPIError) as refused:
                conn.execute(
                    text(
                        "INSERT INTO members (tenant_id, user_id, role, created_at)"
                        " VALUES (:t, :u, 'owner', now())"
                    ),
                    {"t": b.id, "u": user_id},
                )
        assert isinstance(refused.value.orig, psycopg.errors.InsufficientPrivilege)
        assert "row-level security" in str(refused.value.orig)
        with conn.begin():
            _as_tenant(conn, a.id)
            with pytest.raises(DBAPIError) as moved:  # moving A's own row into B
                conn.execute(
                    text("UPDATE job_runs SET tenant_id = :t WHERE id = :i"),
                    {"t": b.id, "i": a_ids["run_id"]},
                )
        assert isinstance(moved.value.orig, psycopg.errors.InsufficientPrivilege)
        with conn.begin():
            _as_tenant(conn, a.id)
            updated = conn.execute(
                text("UPDATE members SET role = 'viewer' WHERE id = :i"),
                {"i": b_ids["member_id"]},
            )
            deleted = conn.execute(
                text("DELETE FROM api_tokens WHERE id = :i"), {"i": b_ids["token_id"]}
            )
            assert (updated.rowcount, deleted.rowcount) == (0, 0)
    assert _count(admin_engine, "members", b.id) == b_members
    assert _count(admin_engine, "api_tokens", b.id) == 1
    assert _count(admin_engine, "job_runs", b.id) == 1


def test_every_tenant_table_forces_row_level_security(app_engine, admin_engine):
    with admin_engine.connect() as conn:
        for table in tenant_tables():
            row = conn.execute(
                text(
                    "SELECT relrowsecurity, relforcerowsecurity FROM pg_class"
                    " WHERE oid = CAST(:t AS regclass)"
                ),
                {"t": table},
            ).one()
            assert tuple(row) == (True, True), f"{table}: RLS enabled/forced = {tuple(row)}"
            policies = conn.scalars(
                text("SELECT policyname FROM pg_policies WHERE tablename = :t"), {"t": table}
            ).all()
            assert policies == ["tenant_isolation"], f"{table}: policies {policies}"


def test_rls_hides_another_tenants_emails(ab, app_engine):
    a, a_ids, b, b_ids = ab
    platform = record_email(key="verify:rls", to="new@example.com", subject="Hola", text="Hola.")
    db.session.commit()
    with app_engine.begin() as conn:
        _as_tenant(conn, a.id)
        assert conn.scalars(text("SELECT id FROM emails")).all() == [a_ids["email_id"]]
        changed = conn.execute(
            text("UPDATE emails SET status = 'sent' WHERE id IN (:b, :p)"),
            {"b": b_ids["email_id"], "p": platform.id},
        )
        assert changed.rowcount == 0
    with app_engine.begin() as conn:  # no tenant: the platform's email, no workspace's
        _as_tenant(conn, None)
        assert conn.scalars(text("SELECT id FROM emails")).all() == [platform.id]
    with app_engine.connect() as conn, conn.begin():
        _as_tenant(conn, a.id)
        with pytest.raises(DBAPIError) as refused:
            conn.execute(
                text(
                    'INSERT INTO emails (tenant_id, idempotency_key, "to", subject, text,'
                    " html, status, attempts, error, created_at)"
                    " VALUES (:t, 'smuggled', 'x@example.com', 'x', 'x', '', 'queued', 0, '',"
                    " now())"
                ),
                {"t": b.id},
            )
    assert isinstance(refused.value.orig, psycopg.errors.InsufficientPrivilege)
