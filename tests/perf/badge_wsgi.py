"""The app as gunicorn serves it (wsgi.py), plus one route that serves a static file the way
Flask's own static view does (send_from_directory), for the badge benchmark's baseline.
Bench-only: the folder is AMPARO_BENCH_STATIC_DIR."""

import os

from flask import send_from_directory

from web import create_app

app = create_app()
STATIC_DIR = os.environ["AMPARO_BENCH_STATIC_DIR"]


@app.get("/bench-static/<path:filename>")
def bench_static(filename: str):
    return send_from_directory(STATIC_DIR, filename)
