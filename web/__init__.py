"""The Flask app factory."""

from __future__ import annotations

import logging

from flask import Flask

from tenants import db


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=False)
    from web.config import load_config

    load_config(app, overrides)
    logging.basicConfig(level=app.config["LOG_LEVEL"])
    logging.getLogger("alembic").setLevel(logging.WARNING)  # its INFO lines drown the CLI
    logging.getLogger("weasyprint").setLevel(logging.WARNING)  # seven INFO lines per page

    db.init_engine(app.config["DATABASE_URL"], app_role=app.config["DB_APP_ROLE"] or None)
    from tenants.services.billing import stripe_api

    stripe_api.configure(
        app.config["STRIPE_SECRET_KEY"],
        app.config["STRIPE_API_BASE"],
        webhook_secret=app.config["STRIPE_WEBHOOK_SECRET"],
        connect_webhook_secret=app.config["STRIPE_CONNECT_WEBHOOK_SECRET"],
        platform_fee_percent=app.config["STRIPE_PLATFORM_FEE_PERCENT"],
    )
    import jobs.enqueue  # noqa: F401 - the after-commit hook
    import tenants.models  # noqa: F401 - every table on the metadata
    from web import errors, i18n, security, text_input, transaction
    from web.extensions import csrf, limiter, login_manager

    csrf.init_app(app)
    limiter.init_app(app)
    i18n.init_app(app)
    security.init_app(app)
    login_manager.init_app(app)
    errors.init_app(app)
    text_input.init_app(app)
    transaction.init_app(app)  # after the other hooks: its commit runs before theirs
    from tenants.text import one_line

    # An email's subject is its template's first line: a name with a line break in it would
    # cut the subject short and start the body.
    app.jinja_env.filters["one_line"] = one_line

    from web.admin import bp as admin_bp
    from web.api import bp as api_bp
    from web.auth import bp as auth_bp
    from web.badge import bp as badge_bp
    from web.home import bp as home_bp
    from web.portal import bp as portal_bp
    from web.stripe_webhook import bp as stripe_webhook_bp
    from web.workspaces import bp as workspaces_bp

    app.register_blueprint(home_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(workspaces_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(portal_bp)
    app.register_blueprint(stripe_webhook_bp)
    app.register_blueprint(badge_bp)
    csrf.exempt(api_bp)
    csrf.exempt(stripe_webhook_bp)
    from web.stripe_webhook import Sessions

    app.session_interface = Sessions()
    if app.config["DEV_MAILBOX"]:
        from web.devmail import bp as devmail_bp

        app.register_blueprint(devmail_bp)

    @app.teardown_appcontext
    def _end_session(exc):
        db.session.remove()

    from web.cli import register_cli

    register_cli(app)
    return app
