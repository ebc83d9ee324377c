"""The models and the Alembic migrations agree, and the migrations run both ways."""

from __future__ import annotations

import os

import psycopg
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

import tenants.models  # noqa: F401 - every table on the metadata
from tenants.db import Base
from tenants.migrate import alembic_config
from tests.conftest import admin_url
from tests.tenants.conftest import tenant_tables


def _differences(engine) -> list:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)


def test_there_is_one_head():
    heads = ScriptDirectory.from_config(alembic_config("postgresql+psycopg://")).get_heads()
    assert len(heads) == 1, f"several migration heads, merge them: {heads}"


def test_models_and_migrations_agree(admin_engine):
    differences = _differences(admin_engine)
    assert differences == [], (
        f"the models differ from the migrated database; write a migration for: {differences}"
    )


def _up_down_up(url: str, app_role: str | None) -> None:
    config = alembic_config(url, app_role)
    engine = create_engine(url)
    try:
        command.upgrade(config, "head")
        tables = set(inspect(engine).get_table_names())
        assert set(Base.metadata.tables) <= tables
        assert _differences(engine) == []

        command.downgrade(config, "base")
        engine.dispose()  # forget cached reflection and connections
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}

        command.upgrade(config, "head")  # a downgrade leaves nothing in the way
        engine.dispose()
        assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


@pytest.fixture
def fresh_pg_url(pg_admin):
    name = f"amparo_test_fresh_{os.getpid()}"
    with psycopg.connect(f"{pg_admin} dbname=postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    yield admin_url(pg_admin, name)
    with psycopg.connect(f"{pg_admin} dbname=postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_fresh_postgresql_database_migrates_up_and_down(fresh_pg_url):
    _up_down_up(fresh_pg_url, "amparo_app")
    engine = create_engine(fresh_pg_url)
    try:
        with engine.connect() as conn:
            forced = conn.scalars(
                text(
                    "SELECT relname FROM pg_class WHERE relrowsecurity AND relforcerowsecurity"
                    " AND relname = ANY(:names)"
                ),
                {"names": tenant_tables()},
            ).all()
        assert sorted(forced) == tenant_tables()
    finally:
        engine.dispose()
