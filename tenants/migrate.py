"""Alembic, driven from code (no alembic.ini): `flask db upgrade` and the tests call this."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(database_url: str, app_role: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["database_url"] = database_url
    config.attributes["app_role"] = app_role or ""
    return config


def upgrade(database_url: str, app_role: str | None = None, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url, app_role), revision)
