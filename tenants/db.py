"""Database engine, the one session, and tenant scoping that fails closed.

Every model that mixes in `TenantOwned` belongs to one workspace. Queries on such models are
filtered to the current tenant automatically (the SQLAlchemy "global WHERE criteria" recipe);
a query with no tenant set raises `TenantNotSet`. Reading across tenants needs the explicit
`across_tenants(reason)` block, meant only for platform code (cron fan-out, membership lists).

Row-level security is a second wall: the app connects through a role that is
not a superuser (superusers bypass RLS), and every transaction carries the current tenant in
the `amparo.tenant_id` setting the policies read. See tenants/migrations/rls.py.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from datetime import UTC, datetime

from sqlalchemy import DateTime, ForeignKey, MetaData, Table, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    ORMExecuteState,
    Session,
    declared_attr,
    mapped_column,
    scoped_session,
    sessionmaker,
    with_loader_criteria,
)
from sqlalchemy.sql import visitors
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class TenantNotSet(RuntimeError):
    """A tenant-owned table was queried or written with no tenant in context."""


class TenantMismatch(RuntimeError):
    """An object of one tenant was about to be written while another tenant is current."""


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes; a naive datetime is refused rather than guessed at."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime given; use datetime.now(UTC)")
            value = value.astimezone(UTC)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}


class TenantOwned:
    """Mixin for every table a workspace owns. Scoped by `tenant_id` automatically."""

    @declared_attr
    def tenant_id(cls) -> Mapped[int]:  # noqa: N805 - SQLAlchemy declared_attr signature
        return mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)


# --- the tenant context --------------------------------------------------------------------

_current_tenant: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "amparo_tenant", default=None
)
_across_tenants: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "amparo_across_tenants", default=None
)


def current_tenant_id() -> int:
    """The current tenant's id; raises `TenantNotSet` when there is none."""
    tenant_id = _current_tenant.get()
    if tenant_id is None:
        raise TenantNotSet("no tenant in context: use tenant_context(workspace_id)")
    return tenant_id


def peek_tenant_id() -> int | None:
    return _current_tenant.get()


def set_tenant(tenant_id: int | None) -> contextvars.Token:
    return _current_tenant.set(tenant_id)


def reset_tenant(token: contextvars.Token) -> None:
    _current_tenant.reset(token)


@contextlib.contextmanager
def tenant_context(tenant_id: int) -> Iterator[None]:
    token = _current_tenant.set(tenant_id)
    try:
        yield
    finally:
        _current_tenant.reset(token)


@contextlib.contextmanager
def across_tenants(reason: str) -> Iterator[None]:
    """Lift tenant scoping for platform code. `reason` names the caller, for reviewers."""
    token = _across_tenants.set(reason)
    try:
        yield
    finally:
        _across_tenants.reset(token)


# --- engine and session ---------------------------------------------------------------------

SessionFactory = sessionmaker(expire_on_commit=False)
# One session per thread: a request or a job. Flask's teardown and the job wrapper remove it.
session = scoped_session(SessionFactory)


def init_engine(url: str, *, app_role: str | None = None, echo: bool = False) -> Engine:
    """Create the engine and bind the session factory to it.

    `app_role`: the role every connection switches to so that row-level security applies (a
    superuser, like the default `postgres`, would bypass it).
    """
    if not url.startswith("postgresql"):
        raise ValueError(f"Amparo runs on PostgreSQL only; DATABASE_URL is {url.split(':')[0]}:…")
    engine = create_engine(url, echo=echo, pool_pre_ping=True)
    if app_role:
        event.listen(engine, "connect", _set_role(app_role))
    session.remove()
    previous = SessionFactory.kw.get("bind")
    if previous is not None:
        previous.dispose()
    SessionFactory.configure(bind=engine)
    return engine


def _set_role(role: str):
    def on_connect(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        # The role name comes from configuration, never from a user; quote it as an identifier.
        quoted = role.replace('"', '""')
        cursor.execute(f'SET ROLE "{quoted}"')
        cursor.close()
        dbapi_connection.commit()

    return on_connect


_tenant_tables: tuple[int, frozenset[str]] = (0, frozenset())


def _tenant_table_names() -> frozenset[str]:
    """Names of the TenantOwned tables, recomputed only when models are added."""
    global _tenant_tables
    mappers = Base.registry.mappers
    if _tenant_tables[0] != len(mappers):
        names = frozenset(m.local_table.name for m in mappers if issubclass(m.class_, TenantOwned))
        _tenant_tables = (len(mappers), names)
    return _tenant_tables[1]


def _touches_tenant_table(statement) -> bool:
    """Whether a tenant table appears anywhere in the statement: as an entity, in a join, in
    select_from() or in a subquery (`state.all_mappers` sees only the top-level entities)."""
    names = _tenant_table_names()
    return any(
        isinstance(element, Table) and element.name in names
        for element in visitors.iterate(statement)
    )


@event.listens_for(Session, "do_orm_execute")
def _scope_to_tenant(state: ORMExecuteState) -> None:
    _sync_rls_settings(state.session)
    if state.is_column_load or state.is_relationship_load:
        return  # the criteria added to the parent query propagate to these loads
    if _across_tenants.get() or not _touches_tenant_table(state.statement):
        return
    tenant_id = current_tenant_id()
    if state.is_insert:
        return  # a bulk insert can't be filtered; RLS checks its rows on PostgreSQL
    state.statement = state.statement.options(
        with_loader_criteria(
            TenantOwned, lambda cls: cls.tenant_id == tenant_id, include_aliases=True
        )
    )


@event.listens_for(Session, "before_flush")
def _stamp_tenant(sess: Session, _flush_context, _instances) -> None:
    _sync_rls_settings(sess)
    if _across_tenants.get():
        return
    for obj in list(sess.new) + list(sess.dirty) + list(sess.deleted):
        if not isinstance(obj, TenantOwned):
            continue
        tenant_id = current_tenant_id()
        if obj.tenant_id is None:
            obj.tenant_id = tenant_id
        elif obj.tenant_id != tenant_id:
            raise TenantMismatch(
                f"{type(obj).__name__} of tenant {obj.tenant_id} written as tenant {tenant_id}"
            )


@event.listens_for(Session, "after_begin")
def _forget_rls_settings(sess: Session, _transaction, _connection) -> None:
    # set_config(..., true) is transaction-local: a new transaction starts with none applied.
    sess.info.pop("rls_applied", None)


def _sync_rls_settings(sess: Session) -> None:
    """Carry the tenant context into PostgreSQL's transaction-local settings for RLS."""
    tenant_id = _current_tenant.get()
    wanted = ("" if tenant_id is None else str(tenant_id), "on" if _across_tenants.get() else "")
    # Begin the transaction first: after a commit, "rls_applied" still describes the previous
    # transaction until after_begin clears it, and trusting it would run this statement with
    # no tenant settings (RLS then hides every row).
    connection = sess.connection()
    if sess.info.get("rls_applied") == wanted:
        return
    sess.info["rls_applied"] = wanted
    connection.exec_driver_sql(
        "SELECT set_config('amparo.tenant_id', %(t)s, true),"
        " set_config('amparo.across_tenants', %(a)s, true)",
        {"t": wanted[0], "a": wanted[1]},
    )
