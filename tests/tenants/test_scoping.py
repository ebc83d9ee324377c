"""Tenant scoping fails closed: the ORM wall (every backend) and PostgreSQL's RLS wall."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import DBAPIError

from tenants import db
from tenants.db import TenantMismatch, TenantNotSet, across_tenants, tenant_context
from tenants.models import ApiToken, Invitation, JobRun, Member, User
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
    nothing. Only tables listed here, with the reason, may do that."""
    from tenants.db import Base

    exempt = {"emails": "account emails (verification, reset) belong to no workspace"}
    with_tenant_id = {t.name for t in Base.metadata.tables.values() if "tenant_id" in t.c}
    assert with_tenant_id - set(exempt) == set(tenant_tables())
    assert set(tenant_tables()) >= {"members", "invitations", "api_tokens", "job_runs"}


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
