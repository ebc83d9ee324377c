"""Flask CLI: migrations, demo data, API tokens, the platform admin, worker and cron."""

from __future__ import annotations

import functools

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from jobs.cli import collections_cli, cron_command, worker_command
from tenants import db, migrate
from tenants.db import tenant_context
from tenants.services.errors import ServiceError
from tenants.services.platform import accounts
from tenants.services.platform import workspaces as ws_service
from web.demo_two_factor import DEMO_LAWYER

db_cli = AppGroup("db", help="Database migrations.")
demo_cli = AppGroup("demo", help="Demo data for `make run`.")
token_cli = AppGroup("api-token", help="API tokens.")
admin_cli = AppGroup("admin", help="Platform administrators.")
firms_cli = AppGroup("firms", help="Partner law firms (the platform's directory).")


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


@demo_cli.command("totp")
@click.option("--email", default=DEMO_LAWYER, show_default=True, help="A demo member's email.")
@with_appcontext
def demo_totp(email: str) -> None:
    """Print the code the demo lawyer's authenticator app would show now."""
    from tenants.services.platform import two_factor

    user = accounts.find_user_by_email(email)
    if user is None or not two_factor.is_enabled(user):
        raise click.ClickException(f"{email} has no two-factor sign-in: run `flask demo seed`")
    click.echo(f"{user.name} ({user.email}): {two_factor.current_code(user)}")


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


def _terms_options(fn, *, required: bool):
    """The options of a firm's coverage, capacity and fees (`firms add` needs them all)."""
    for option in reversed(
        (
            click.option("--provinces", required=required, help='e.g. "Madrid,Toledo"'),
            click.option("--case-types", required=required, help="monitorio,eviction,ordinary"),
            click.option("--capacity", required=required, help="Open escalations at once."),
            click.option("--min-amount", default=None, help="Smallest claim taken, in euros."),
            click.option("--flat-fee", default=None, help="Per case, in euros, VAT excluded."),
            click.option("--success-percent", default=None, help="Of what is recovered."),
        )
    ):
        fn = option(fn)
    return fn


def _firm_error(error: ServiceError) -> click.ClickException:
    """The service's message in English (the CLI's language), with the field it is about."""
    from flask_babel import force_locale

    from web.messages import message_for

    with current_app.test_request_context(), force_locale("en"):
        text = message_for(error)
    return click.ClickException(f"{error.field}: {text}" if error.field else text)


@firms_cli.command("add")
@click.option("--name", required=True)
@click.option("--partner-email", required=True, help="Joins now, or is invited by email.")
@click.option("--partner-name", default="")
@functools.partial(_terms_options, required=True)
@with_appcontext
def firms_add(name, partner_email, partner_name, **terms) -> None:
    """Add a law firm: its workspace, coverage, capacity, fees and first partner."""
    from tenants.services.escalations import firms

    try:
        workspace = firms.create_firm(
            name, partner_email=partner_email, partner_name=partner_name, **terms
        )
    except ServiceError as error:
        db.session.rollback()
        raise _firm_error(error) from error
    db.session.commit()
    click.echo(f"{workspace.slug}: {workspace.name} added (partner {partner_email})")


@firms_cli.command("update")
@click.argument("slug")
@click.option("--name", default=None)
@functools.partial(_terms_options, required=False)
@with_appcontext
def firms_update(slug, name, **given) -> None:
    """Change a firm's coverage, capacity, minimum or fees (what is not given stays)."""
    from tenants.services.errors import NotFound
    from tenants.services.escalations import firms

    try:
        workspace, firm = firms.firm_by_slug(slug)
    except NotFound:
        raise click.ClickException(f"no law firm with slug {slug!r}") from None
    current = {
        "provinces": firm.provinces,
        "case_types": firm.case_types,
        "capacity": firm.capacity,
        "min_amount": firm.min_amount,
        "flat_fee": firm.flat_fee,
        "success_percent": firm.success_percent,
    }
    terms = {key: value if given.get(key) is None else given[key] for key, value in current.items()}
    try:
        firms.update_firm(workspace.id, name=name, **terms)
    except ServiceError as error:
        db.session.rollback()
        raise _firm_error(error) from error
    db.session.commit()
    click.echo(f"{slug}: terms saved")


@firms_cli.command("list")
@with_appcontext
def firms_list() -> None:
    """Every law firm: slug, provinces, case types, load, minimum, fees, agreement, active."""
    from tenants.services.escalations import firms

    for row in firms.list_firms():
        firm = row.firm
        fees = " + ".join(
            part
            for part in (
                f"{firm.flat_fee} EUR" if firm.flat_fee is not None else "",
                f"{firm.success_percent} %" if firm.success_percent is not None else "",
            )
            if part
        )
        dpa = f"DPA {firm.dpa_version}" if row.dpa_current else "DPA not accepted"
        click.echo(
            f"{row.workspace.slug}\t{row.workspace.name}\t{','.join(firm.provinces)}\t"
            f"{','.join(firm.case_types)}\t{row.open_count}/{firm.capacity}\t"
            f"min {firm.min_amount} EUR\t{fees}\t{dpa}\t"
            f"{'active' if firm.active else 'inactive'}"
        )


def register_cli(app) -> None:
    for command in (
        db_cli,
        demo_cli,
        token_cli,
        admin_cli,
        firms_cli,
        collections_cli,
        worker_command,
        cron_command,
    ):
        app.cli.add_command(command)
