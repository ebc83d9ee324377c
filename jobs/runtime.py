"""The job wrapper: every job gets the app, its tenant, a fresh session, one commit.

Jobs take ids, never ORM objects (`verb_noun(tenant_id, *ids)`). RQ runs a job at least once,
so a job whose side effect leaves the system checks its idempotency record first.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from flask import Flask
from rq import Retry

from jobs import queues
from tenants import db
from tenants.db import tenant_context

_bound_app: Flask | None = None


def bind_app(app: Flask) -> None:
    """Called by the worker CLI: the app jobs run in (kept across forked work horses)."""
    global _bound_app
    _bound_app = app


def job_app() -> Flask:
    if _bound_app is None:
        raise RuntimeError("no app bound for jobs: start workers with `flask worker`")
    return _bound_app


def job(queue: str, *, tenant: bool = True, timeout: int = 600, retries: int = 3) -> Callable:
    """Declare a job and its queue. With `tenant=True` the first argument is the tenant id."""
    if queue not in queues.ALL:
        raise ValueError(f"unknown queue {queue!r}")

    def decorate(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def run(*args, **kwargs):
            app = job_app()
            with app.app_context():
                db.session.remove()
                try:
                    if tenant:
                        with tenant_context(args[0]):
                            result = fn(*args, **kwargs)
                            db.session.commit()
                    else:
                        result = fn(*args, **kwargs)
                        db.session.commit()
                    return result
                except BaseException:
                    db.session.rollback()
                    raise
                finally:
                    db.session.remove()

        run.queue_name = queue
        run.timeout = timeout
        run.retries = retries
        return run

    return decorate


def retry_policy(app: Flask, retries: int) -> Retry | None:
    """Retries go through RQ's scheduler, waiting JOB_RETRY_INTERVALS seconds between tries."""
    if retries < 1:
        return None
    intervals = [int(x) for x in str(app.config["JOB_RETRY_INTERVALS"]).split(",") if x.strip()]
    return Retry(max=retries, interval=intervals or 0)
