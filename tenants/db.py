"""Database engine, the one session, and tenant scoping that fails closed.

Every model that mixes in `TenantOwned` belongs to one workspace. Queries on such models are
filtered to the current tenant automatically (the SQLAlchemy "global WHERE criteria" recipe);
a query with no tenant set raises `TenantNotSet`. Reading across tenants needs the explicit
`across_tenants(reason)` block, meant only for platform code (cron fan-out, membership lists).

The ORM's loader criteria only reach mapped entities, so Core statements on a model's Table
(`update(Charge.__table__)`, `select(t.c.id)`, the SELECT inside an INSERT … SELECT) get the
same WHERE added by rewriting them before they run; what cannot be rewritten safely is refused
with `UnscopableStatement`. Raw `text()` SQL is left to row-level security.

Row-level security is a second wall: the app connects through a role that is
not a superuser (superusers bypass RLS), and every transaction carries the current tenant in
the `amparo.tenant_id` setting the policies read. See tenants/migrations/rls.py.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import NamedTuple

from sqlalchemy import DateTime, ForeignKey, MetaData, and_, create_engine, event, literal_column
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
from sqlalchemy.sql.dml import Delete, Update
from sqlalchemy.sql.expression import (
    Alias,
    ColumnClause,
    ColumnElement,
    FromClause,
    Join,
    Select,
    TableClause,
)
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


class UnscopableStatement(RuntimeError):
    """A statement on a tenant table that the automatic filter cannot scope safely."""


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


class TenantOrPlatformOwned(TenantOwned):
    """Mixin for a table whose rows belong to one workspace or, with a NULL `tenant_id`, to the
    platform (account email: verification, password reset, sent before any workspace exists).

    Scoped like TenantOwned, except that with no tenant set a query sees the platform's rows
    instead of raising: no workspace's rows are ever visible without its tenant set.
    """

    @declared_attr
    def tenant_id(cls) -> Mapped[int | None]:  # noqa: N805 - SQLAlchemy declared_attr signature
        return mapped_column(
            ForeignKey("workspaces.id", ondelete="CASCADE"), index=True, nullable=True
        )


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


_tenant_tables: tuple[int, frozenset[str], frozenset[str]] = (0, frozenset(), frozenset())


def _tenant_table_names() -> tuple[frozenset[str], frozenset[str]]:
    """(every TenantOwned table, the ones of them that also hold platform rows), recomputed
    only when models are added."""
    global _tenant_tables
    mappers = Base.registry.mappers
    if _tenant_tables[0] != len(mappers):
        owned = [m for m in mappers if issubclass(m.class_, TenantOwned)]
        _tenant_tables = (
            len(mappers),
            frozenset(m.local_table.name for m in owned),
            frozenset(
                m.local_table.name for m in owned if issubclass(m.class_, TenantOrPlatformOwned)
            ),
        )
    return _tenant_tables[1], _tenant_tables[2]


class _References(NamedTuple):
    tables: frozenset[str]  # the tenant tables it touches
    bare: bool  # one of them is a bare Table the loader criteria cannot see
    has_select: bool  # a SELECT is inside (an INSERT … SELECT)
    untouched: set  # the parts with no SELECT, UPDATE, DELETE or JOIN, for _scoped


def _tenant_references(statement) -> _References:
    """What a statement touches anywhere in it: as an entity, in a join, in select_from() or
    in a subquery (`state.all_mappers` sees only the top-level entities). A table is bare when
    it is there as `__table__` or one of its columns, not through a mapped entity."""
    names, _platform = _tenant_table_names()
    touched: set[str] = set()
    untouched: set = set()
    found = {"bare": False, "select": False}

    # visitors.iterate, noting what the ORM put there. A mapped column's FROM (its plain
    # Table, or the Alias of an aliased() entity) is listed under the SELECT, not the column:
    # a FROM a SELECT did not name in select_from() comes from its columns, which the column
    # check judges. Returns whether the rewrite has work inside `element`.
    def visit(element, via_entity: bool) -> bool:
        via_entity = via_entity or "parententity" in element._annotations
        if isinstance(element, TableClause):
            if element.name in names:
                touched.add(element.name)
                found["bare"] = found["bare"] or not via_entity
        elif isinstance(element, ColumnClause) and not via_entity:
            table = element.table.element if isinstance(element.table, Alias) else element.table
            if isinstance(table, TableClause) and table.name in names:
                found["bare"] = True
        if isinstance(element, Select):
            found["select"] = True
            named = {id(f) for f in (*element._from_obj, *(j[0] for j in element._setup_joins))}
            inside = [
                visit(child, isinstance(child, FromClause) and id(child) not in named)
                for child in element.get_children()
            ]
        else:
            inside = [visit(child, via_entity) for child in element.get_children()]
        work = any(inside) or isinstance(element, (Select, Update, Delete, Join))
        # A column of a subquery is copied with it, or it would name the unscoped original.
        work = work or (isinstance(element, ColumnClause) and _derived(element.table))
        if not work:
            untouched.add(element)
        return work

    visit(statement, False)
    return _References(frozenset(touched), found["bare"], found["select"], untouched)


def _derived(from_) -> bool:
    """Whether `from_` is built on a SELECT (a subquery, a CTE), not a table."""
    return from_ is not None and not isinstance(from_, TableClause)


def _leading_froms(select: Select) -> list:
    """The FROMs of `select` whose condition goes in its WHERE: every one but those joined to
    another (they get theirs in the ON). What get_final_froms() finds, without building the
    ORM's compile state for each SELECT (a few milliseconds, on the set-based hot paths).
    Compared without their ORM annotations: `Lease.rent` and `.join(Lease)` name one FROM."""

    def key(from_) -> int:
        return id(from_._deannotate())

    # A .join() target may be a relationship (`.join(Unit.property)`): the ORM's to scope.
    targets = [j[0] for j in select._setup_joins if isinstance(j[0], FromClause)]
    lefts = [j[2] for j in select._setup_joins if isinstance(j[2], FromClause)]
    joined: set[int] = {key(target) for target in targets}
    froms = {key(f): f for f in (*select._iterate_from_elements(), *lefts)}

    def mark(join: Join) -> None:
        for side in (join.left, join.right):
            if isinstance(side, Join):
                mark(side)
            else:
                joined.add(key(side))

    for from_ in froms.values():
        if isinstance(from_, Join):
            mark(from_)
    return [f for k, f in froms.items() if isinstance(f, Join) or k not in joined]


def _scoped(statement, references: _References, tenant_id: int | None, *, loader_criteria: bool):
    """A copy of `statement` with the tenant condition on every tenant table in a FROM: in the
    WHERE of each SELECT, UPDATE and DELETE, nested ones included, and in the ON of each join
    (where a LEFT JOIN keeps its meaning). With no tenant (only platform tables get here) the
    condition is `IS NULL`. Mapped entities may get it twice, which is harmless, except those
    joined with .join(), left to the `loader_criteria` when they apply (the ON may be a
    relationship's)."""
    names, _platform = _tenant_table_names()

    def condition(from_, *, joined: bool = False):
        while isinstance(from_, Join):
            from_ = from_.left  # the rest of a join gets its condition in the ON
        table = from_.element if isinstance(from_, Alias) else from_
        if not (isinstance(table, TableClause) and table.name in names):
            return None
        if "tenant_id" not in from_.c:
            raise UnscopableStatement(f"{table.name} without its tenant_id column: use the Table")
        if tenant_id is None:
            return from_.c.tenant_id.is_(None)
        if joined:
            # "+ 0" makes it a filter, never an access path: a table reached through a join
            # is found through the join. Indexable, it led PostgreSQL to drive the rent-charge
            # lines from the leases' tenant index instead of the charges' ids (4x slower). A
            # leading table keeps the plain form, whose statistics the planner needs (all of
            # a big workspace's lines match: estimated at 0.5 %, an UPDATE … FROM VALUES of
            # them became a nested loop of minutes).
            return from_.c.tenant_id + literal_column("0") == tenant_id
        return from_.c.tenant_id == tenant_id

    def add_where(element, froms) -> None:
        found = [c for c in map(condition, dict.fromkeys(froms)) if c is not None]
        # In place is safe: cloned_traverse hands each visitor a fresh copy.
        element._where_criteria += tuple(found)

    def visit_join(join: Join) -> None:
        on_right = condition(join.right, joined=True)
        if join.full and (on_right is not None or condition(join.left) is not None):
            raise UnscopableStatement("a FULL JOIN on a tenant table cannot be scoped")
        if on_right is not None:
            join.onclause = and_(join.onclause, on_right)

    def visit_select(select: Select) -> None:
        joins = []  # those of .join(), kept apart from the FROMs until compiled
        for target, onclause, left, flags in select._setup_joins:
            on_target = None
            if not isinstance(target, FromClause):  # .join(Charge.lines): the ORM's to scope
                if not loader_criteria:
                    raise UnscopableStatement(
                        f"join {target} by its entity and ON clause in an INSERT … SELECT"
                    )
            elif not (loader_criteria and "parententity" in target._annotations):
                on_target = condition(target, joined=True)  # else the loader criteria do it
            if on_target is not None:
                if flags["full"] or (flags["isouter"] and not isinstance(onclause, ColumnElement)):
                    raise UnscopableStatement(
                        f"an outer join to {target} needs its ON clause written out to be scoped"
                    )
                if isinstance(onclause, ColumnElement):
                    onclause = and_(onclause, on_target)
                else:  # an inner join: the WHERE does the same
                    select._where_criteria += (on_target,)
            joins.append((target, onclause, left, flags))
        select._setup_joins = tuple(joins)
        add_where(select, _leading_froms(select))

    def visit_dml(dml: Update | Delete) -> None:
        # The target, and the tables of UPDATE … FROM / DELETE … USING.
        froms = [dml.table, *getattr(dml, "_extra_froms", ())]
        froms += [f for criterion in dml._where_criteria for f in criterion._from_objects]
        add_where(dml, froms)

    visit = {"join": visit_join, "select": visit_select, "update": visit_dml, "delete": visit_dml}
    # Only SELECTs, DMLs, joins and what holds them are copied: the rest (a CASE of 31 due
    # dates, a list of 500 ids) would cost more to copy than the rest of the statement.
    return visitors.cloned_traverse(statement, {"stop_on": references.untouched}, visit)


@event.listens_for(Session, "do_orm_execute")
def _scope_to_tenant(state: ORMExecuteState) -> None:
    _sync_rls_settings(state.session)
    if state.is_column_load or state.is_relationship_load:
        return  # the criteria added to the parent query propagate to these loads
    if _across_tenants.get():
        return
    references = _tenant_references(state.statement)
    if not references.tables:
        return
    tenant_id = _current_tenant.get()
    if tenant_id is None and not references.tables <= _tenant_table_names()[1]:
        current_tenant_id()  # raises TenantNotSet
    if state.is_insert:
        # Its VALUES are checked by RLS; the loader criteria never reach the SELECT of an
        # INSERT … SELECT, even one written with mapped entities, so that SELECT is rewritten.
        if references.has_select:
            state.statement = _scoped(state.statement, references, tenant_id, loader_criteria=False)
        return
    if not state.is_orm_statement:  # Core on Tables only: the rewrite is all the scoping
        state.statement = _scoped(state.statement, references, tenant_id, loader_criteria=False)
        return
    # Loader criteria reach mapped entities only; a bare Table inside (a subquery on
    # `__table__`) needs the rewrite too.
    if references.bare:
        statement = _scoped(state.statement, references, tenant_id, loader_criteria=True)
    else:
        statement = state.statement
    if tenant_id is None:
        criteria = with_loader_criteria(
            TenantOrPlatformOwned, lambda cls: cls.tenant_id.is_(None), include_aliases=True
        )
    else:
        criteria = with_loader_criteria(
            TenantOwned, lambda cls: cls.tenant_id == tenant_id, include_aliases=True
        )
    state.statement = statement.options(criteria)


@event.listens_for(Session, "before_flush")
def _stamp_tenant(sess: Session, _flush_context, _instances) -> None:
    _sync_rls_settings(sess)
    if _across_tenants.get():
        return
    for obj in list(sess.new) + list(sess.dirty) + list(sess.deleted):
        if not isinstance(obj, TenantOwned):
            continue
        if (
            isinstance(obj, TenantOrPlatformOwned)
            and obj.tenant_id is None
            and _current_tenant.get() is None
        ):
            continue  # a platform row written by platform code
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
