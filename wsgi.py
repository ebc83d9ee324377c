"""Entry point for gunicorn and the Flask CLI: `gunicorn wsgi:app`, `flask --app wsgi ...`."""

from web import create_app

app = create_app()
