"""The RQ worker of `flask worker`, made to ride out a Redis restart and a dead scheduler.

RQ 3's worker retries Redis only while it waits for a job; an error anywhere else (a heartbeat
while a job runs, registering itself, its maintenance) ends `work()`, and RQ's scheduler
subprocess, which runs the delayed retries, dies on the first Redis error and is looked at
again only every ten minutes. So:
- heartbeats are best-effort: a missed one is logged and the job under way goes on; so are
  the worker's other writes between jobs (its state, the suspension check, maintenance), and
  Redis gone when a job ends loses that job's outcome in Redis, not the worker;
- a worker that Redis forgot (restarted empty) registers itself again;
- the worker checks its scheduler process whenever it beats, and starts it again if it died
  (or starts one, if another worker's lock kept it from having one);
- `run_worker` starts a new worker, after a logged backoff, whenever one stops without being
  asked to (SIGTERM or SIGINT: RQ's warm shutdown, which finishes the job under way).
"""

from __future__ import annotations

import contextlib
import logging
import signal
import time

from flask import Flask
from rq import Worker, worker_registration

from jobs import queues
from jobs.backoff import REDIS_DOWN, Backoff
from jobs.runtime import fail_killed_run

log = logging.getLogger("amparo.worker")

# RQ's own wait between tries while it waits for a job: its default (60 s) would leave the
# queues untouched for up to a minute after Redis is back.
LONGEST_DEQUEUE_WAIT = 10.0
# The worker's hash in Redis lives this much longer than its idle wait (RQ's rule is 15 s).
TTL_MARGIN = 15
# A worker that ran this long before it stopped met a new outage: the waits start short again.
RAN_WELL_SECONDS = 30


class AmparoWorker(Worker):
    max_connection_wait_time = LONGEST_DEQUEUE_WAIT

    def __init__(self, *args, app: Flask, **kwargs):
        super().__init__(*args, **kwargs)
        self.app = app

    def handle_work_horse_killed(self, job, retpid, ret_val, rusage):
        """Tell a job's run when its work horse died under it."""
        super().handle_work_horse_killed(job, retpid, ret_val, rusage)
        fail_killed_run(self.app, job)

    def heartbeat(self, timeout=None, pipeline=None):
        if pipeline is not None:  # part of maintain_heartbeats' pipeline, which handles errors
            return super().heartbeat(timeout, pipeline=pipeline)
        self.keep_scheduler_alive()
        try:
            super().heartbeat(timeout)
            self._register_again_if_forgotten()
        except REDIS_DOWN as error:
            log.warning("worker %s: heartbeat missed, Redis unreachable (%s)", self.name, error)

    def maintain_heartbeats(self, job, execution):
        try:
            super().maintain_heartbeats(job, execution)
        except REDIS_DOWN as error:
            log.warning(
                "worker %s: Redis unreachable while job %s runs (%s); the job goes on",
                self.name,
                job.id,
                error,
            )

    def set_state(self, state, pipeline=None):
        if pipeline is not None:
            return super().set_state(state, pipeline=pipeline)
        try:
            super().set_state(state)
        except REDIS_DOWN as error:  # only shown by `rq info`: best-effort, as heartbeats
            log.warning(
                "worker %s: state %s not recorded, Redis unreachable (%s)", self.name, state, error
            )

    def check_for_suspension(self, burst: bool):
        """`rq suspend` honoured; Redis unreachable is left to the wait for the next job,
        which retries it with a backoff (RQ's own check would end `work()`)."""
        try:
            super().check_for_suspension(burst)
        except REDIS_DOWN as error:
            log.warning(
                "worker %s: suspension not checked, Redis unreachable (%s)", self.name, error
            )

    def run_maintenance_tasks(self):
        try:
            super().run_maintenance_tasks()
        except REDIS_DOWN as error:
            log.warning("worker %s: maintenance skipped, Redis unreachable (%s)", self.name, error)

    def execute_job(self, job, queue):
        """Run one job; Redis going away under it does not stop the worker. RQ asks Redis how
        the job ended once its work horse exits (and the horse, unable to record the outcome,
        exits with an error): that question, unanswered, used to end `work()` mid-job."""
        try:
            super().execute_job(job, queue)
        except REDIS_DOWN as error:
            if self._horse_pid:  # the error came before the horse ended: let it finish
                self.wait_for_horse()
                self._horse_pid = 0
            log.warning(
                "worker %s: Redis unreachable when job %s ended (%s); its outcome is not "
                "recorded in Redis (outbox work is re-driven by cron)",
                self.name,
                job.id,
                error,
            )

    def _register_again_if_forgotten(self) -> None:
        if self.is_horse or self.birth_date is None:
            return
        if self.connection.hexists(self.key, "birth"):
            return
        with self.connection.pipeline() as pipeline:
            pipeline.hset(self.key, mapping=self.serialize())
            worker_registration.register(self, pipeline)
            pipeline.expire(self.key, self.worker_ttl + 60)
            pipeline.execute()
        log.warning("worker %s: Redis had forgotten this worker; registered again", self.name)

    def _start_scheduler(self, burst=False, *args, **kwargs):
        self._keeps_scheduler = not burst  # a burst worker enqueues what is due, no process
        super()._start_scheduler(burst, *args, **kwargs)

    def keep_scheduler_alive(self) -> None:
        """Start the scheduler process again if it died (killed, or on a Redis error), and
        start one if this worker has none because another held the lock when it started (a
        worker that was SIGKILLed, say): delayed retries would otherwise wait up to RQ's ten
        minutes between two looks."""
        scheduler = self.scheduler
        if self.is_horse or scheduler is None or not getattr(self, "_keeps_scheduler", False):
            return
        process = scheduler._process
        if process is not None and process.is_alive():
            return
        if process is not None and process.pid != getattr(self, "_dead_scheduler_pid", None):
            self._dead_scheduler_pid = process.pid  # said once per dead process
            log.error(
                "worker %s: its RQ scheduler process (pid %s) died with exit code %s; starting "
                "it again",
                self.name,
                process.pid,
                process.exitcode,
            )
        try:
            # The lock holds the scheduler's name, which the new process keeps: refreshed.
            # Held by another worker's scheduler: nothing starts, this worker looks again later.
            scheduler.acquire_locks(auto_start=True)
        except REDIS_DOWN as error:
            log.warning("worker %s: scheduler not started yet (%s)", self.name, error)
            return
        if scheduler._process is not None and scheduler._process is not process:
            log.warning("worker %s: scheduler started (pid %s)", self.name, scheduler._process.pid)


class _StopAsked(Exception):
    """SIGTERM or SIGINT between two workers."""


def _stop_asked(signum, frame):
    raise _StopAsked(signum)


def run_worker(app: Flask, queue_names: tuple[str, ...], *, burst: bool = False) -> None:
    """Work the queues until asked to stop, starting a new RQ worker whenever one stops on
    its own (Redis restarted, unreachable, or an error RQ does not handle)."""
    backoff = Backoff(log, "worker")
    try:
        while True:
            started = time.monotonic()
            worker, error = _work_once(app, queue_names, burst=burst)
            if burst and error is not None:
                raise error
            if burst or (worker is not None and worker._shutdown_requested_date is not None):
                return
            if time.monotonic() - started > RAN_WELL_SECONDS:
                backoff.reset()  # a new outage, not the same one: start with short waits
            # Between two workers, SIGTERM and SIGINT stop at once (there is no job under way).
            signal.signal(signal.SIGTERM, _stop_asked)
            signal.signal(signal.SIGINT, _stop_asked)
            backoff.wait(error or RuntimeError("the RQ worker stopped on its own (RQ logged why)"))
    except _StopAsked:
        return


def _work_once(app: Flask, queue_names, *, burst: bool):
    """Run one RQ worker until it stops; (the worker, the Redis error that stopped it)."""
    worker = None
    try:
        worker = AmparoWorker(
            [queues.get_queue(name, app) for name in queue_names],
            connection=queues.redis_connection(app),
            app=app,
            worker_ttl=int(app.config["WORKER_CHECK_SECONDS"]) + TTL_MARGIN,
        )
        worker.work(burst=burst, with_scheduler=True, logging_level=app.config["LOG_LEVEL"])
    except REDIS_DOWN as error:  # registering itself, or its last words: RQ lets these through
        _stop_listening(worker)
        return worker, error
    return worker, None


def _stop_listening(worker: AmparoWorker | None) -> None:
    """The thread RQ listens for commands on, which its teardown could not stop."""
    thread = getattr(worker, "pubsub_thread", None)
    if thread is None:
        return
    thread.stop()
    with contextlib.suppress(Exception):
        worker.pubsub.close()
