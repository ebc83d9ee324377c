"""The job wrapper: every job gets the app, its tenant, a fresh session, one commit.

Jobs take ids, never ORM objects (`verb_noun(tenant_id, *ids)`). RQ runs a job at least once,
so a job whose side effect leaves the system checks its idempotency record first.

No job that has a JobRun fails silently: when it raises, the wrapper records why on the run,
as a message code the page translates. An error worth another try leaves the run `retrying`
while RQ has tries left and `failed` when they run out; a ServiceError (the input is wrong,
the same input would fail the same way) fails the run at once and is not retried.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
from collections.abc import Callable

from flask import Flask
from rq import Retry, get_current_job
from rq.timeouts import JobTimeoutException
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from jobs import queues
from jobs.progress import report_failure
from tenants import db, outbox
from tenants.db import SessionFactory, tenant_context
from tenants.services.errors import ServiceError

log = logging.getLogger("amparo.jobs")

_bound_app: Flask | None = None


def bind_app(app: Flask) -> None:
    """Called by the worker CLI: the app jobs run in (kept across forked work horses)."""
    global _bound_app
    _bound_app = app


def job_app() -> Flask:
    if _bound_app is None:
        raise RuntimeError("no app bound for jobs: start workers with `flask worker`")
    return _bound_app


class TryAgain(Exception):
    """A failure worth another try. `code` and `params` are what the user reads if the tries
    run out (a message code of web/job_runs.py)."""

    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code = code
        self.params = params


def classify(exc: BaseException) -> tuple[str, dict, bool]:
    """(message code, its parameters, worth another try) for an error that ended a try."""
    if isinstance(exc, ServiceError):  # worth another try only when it says so (Stripe down)
        return exc.code, exc.params, getattr(exc, "retryable", False)
    if isinstance(exc, TryAgain):
        return exc.code, exc.params, True
    if isinstance(exc, JobTimeoutException):
        return "job_timeout", {}, True
    if isinstance(exc, OperationalError | InterfaceError) or (
        isinstance(exc, DBAPIError) and exc.connection_invalidated
    ):
        return "job_database_unavailable", {}, True
    return "job_failed", {}, True


def last_try() -> bool:
    """True when RQ will not run the current job again (no tries left, or not under RQ)."""
    current = get_current_job()
    return current is None or not current.should_retry


def _discard(session) -> None:
    try:
        session.rollback()
    except Exception:  # noqa: S110 - a dead connection cannot roll back; closing drops it
        pass
    session.remove()


def _fail_run(run_id: int, exc: BaseException) -> bool:
    """Record why the try failed on the run; True when RQ should run the job again."""
    code, params, retryable = classify(exc)
    final = not retryable or last_try()
    # Parameters go into a JSON column: dates and amounts as the text they print as.
    params = json.loads(json.dumps(params, default=str))
    try:
        report_failure(run_id, code, params, final=final)
    except Exception:
        log.exception("could not record the failure of job run %s (%s)", run_id, code)
    return retryable


def job(
    queue: str,
    *,
    tenant: bool = True,
    timeout: int = 600,
    retries: int = 3,
    with_run: bool = False,
) -> Callable:
    """Declare a job and its queue. With `tenant=True` the first argument is the tenant id;
    with `with_run=True` the second is the id of the JobRun that reports on it."""
    if queue not in queues.ALL:
        raise ValueError(f"unknown queue {queue!r}")
    if with_run and not tenant:
        raise ValueError("a JobRun belongs to a tenant: with_run needs tenant=True")

    def decorate(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def run(*args, **kwargs):
            app = job_app()
            with app.app_context():
                db.session.remove()
                try:
                    with tenant_context(args[0]) if tenant else contextlib.nullcontext():
                        try:
                            result = fn(*args, **kwargs)
                            _mark_outbox_done()
                            db.session.commit()
                        except BaseException as exc:
                            _discard(db.session)
                            if with_run and not _fail_run(args[1], exc):
                                log.warning("job run %s failed for good: %r", args[1], exc)
                                _mark_outbox_done()  # the run says what to do; no re-drive
                                db.session.commit()
                                return None  # recorded on the run; another try would fail too
                            raise
                    return result
                finally:
                    db.session.remove()

        run.queue_name = queue
        run.timeout = timeout
        run.retries = retries
        run.with_run = with_run
        return run

    return decorate


OUTBOX_JOB_PREFIX = "outbox-"


def outbox_job_id(item_id: int) -> str:
    """The RQ id of the job doing outbox row `item_id` (jobs/enqueue.py)."""
    return f"{OUTBOX_JOB_PREFIX}{item_id}"


def outbox_item_id(job_id: str | None) -> int | None:
    """The outbox row an RQ job id stands for, None for a job enqueued directly."""
    suffix = (job_id or "").removeprefix(OUTBOX_JOB_PREFIX)
    if suffix == job_id or not suffix.isdigit():
        return None
    return int(suffix)


def _mark_outbox_done() -> None:
    """An outbox job marks its row done in its own commit: the cron re-drive asks no more."""
    current = get_current_job()
    item_id = outbox_item_id(current.id) if current is not None else None
    if item_id is not None:
        outbox.mark_done(item_id)


def fail_killed_run(app: Flask, rq_job) -> None:
    """The work horse running `rq_job` died (killed, out of memory) before the wrapper could
    record anything: the worker process says so on the job's run, if it has one."""
    fn = rq_job.func
    if not getattr(fn, "with_run", False):
        return
    tenant_id, run_id = rq_job.args[:2]
    with app.app_context(), tenant_context(tenant_id):
        try:
            report_failure(run_id, "job_interrupted", {}, final=not rq_job.should_retry)
        except Exception:
            log.exception("could not record the failure of job run %s", run_id)
        finally:
            # Work horses are forked from this process: leave them no pooled connection to
            # share with it (one socket used by two processes garbles both).
            SessionFactory.kw["bind"].dispose()


def retry_policy(app: Flask, retries: int) -> Retry | None:
    """Retries go through RQ's scheduler, waiting JOB_RETRY_INTERVALS seconds between tries."""
    if retries < 1:
        return None
    intervals = [int(x) for x in str(app.config["JOB_RETRY_INTERVALS"]).split(",") if x.strip()]
    return Retry(max=retries, interval=intervals or 0)
