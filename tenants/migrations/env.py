"""Alembic environment. Migrations run as the connecting (owner) role, never the app role."""

from alembic import context
from sqlalchemy import create_engine

import tenants.models  # noqa: F401 - every table on the metadata
from tenants.db import Base

config = context.config
url = config.attributes["database_url"]
engine = create_engine(url)

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations(app_role=config.attributes.get("app_role", ""))
engine.dispose()
