"""Flask CLI: migrations, demo data, API tokens, the platform admin, worker and cron."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from jobs.cli import collections_cli, cron_command, worker_command
from tenants import db, migrate
from tenants.db import tenant_context
from tenants.services.errors import ServiceError
from tenants.services.platform import accounts
from tenants.services.platform import workspaces as ws_service

db_cli = AppGroup("db", help="Database migrations.")
demo_cli = AppGroup("demo", help="Demo data for `make run`.")
token_cli = AppGroup("api-token", help="API tokens.")
admin_cli = AppGroup("admin", help="Platform administrators.")


@db_cli.command("upgrade")
@with_appcontext
def db_upgrade() -> None:
    """Apply every migration (run by the Procfile's release step and `make run`)."""
    migrate.upgrade(current_app.config["DATABASE_URL"], current_app.config["DB_APP_ROLE"])
    click.echo("database is up to date")


@demo_cli.command("seed")
@with_appcontext
def demo_seed() -> None:
    """Create the demo workspaces and users (idempotent)."""
    from web.demo import seed_demo

    for line in seed_demo(current_app.config["DEMO_PASSWORD"]):
        click.echo(line)
    db.session.commit()


@token_cli.command("create")
@click.option("--workspace", "slug", required=True, help="The workspace's slug.")
@click.option("--name", default="CLI", show_default=True, help="What the token is for.")
@with_appcontext
def api_token_create(slug: str, name: str) -> None:
    """Print a new API token for a workspace (only its hash is stored)."""
    workspace = ws_service.workspace_by_slug(slug)
    if workspace is None:
        raise click.ClickException(f"no workspace with slug {slug!r}")
    with tenant_context(workspace.id):
        _token, secret = ws_service.create_api_token(None, name)
        db.session.commit()
    click.echo(secret)


@admin_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", default="Platform admin", show_default=True)
@click.password_option()
@with_appcontext
def admin_create(email: str, name: str, password: str) -> None:
    """Create a platform administrator, or make an existing user one."""
    user = accounts.find_user_by_email(email)
    try:
        if user is None:
            accounts.check_password_strength(password, email)
            user = accounts.create_user(name=name, email=email, password=password, verified=True)
    except ServiceError as error:
        raise click.ClickException(f"{error.code} ({error.field})") from error
    user.is_platform_admin = True
    db.session.commit()
    click.echo(f"{user.email} is a platform admin")


def register_cli(app) -> None:
    for command in (
        db_cli,
        demo_cli,
        token_cli,
        admin_cli,
        collections_cli,
        worker_command,
        cron_command,
    ):
        app.cli.add_command(command)
