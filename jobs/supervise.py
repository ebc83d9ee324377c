"""Keep one long-running process up: `python -m jobs.supervise NAME -- COMMAND...`.

The Procfile runs the worker and cron through this, because honcho (`make run`) stops the whole
stack as soon as one process exits. A child that dies without being asked to (SIGKILLed, out of
memory, a crash) is started again after a logged wait, doubling from 1 s to 30 s; a child that
dies MAX_CRASHES times within WINDOW seconds is not: the supervisor then exits with status 1
and says so, and honcho stops the stack, loudly, instead of restarting a broken process forever.

SIGTERM or SIGINT stop the child (SIGTERM: RQ's warm shutdown, the job under way finishes) and
then the supervisor, with the child's status. The child runs in its own process group, so
honcho's signal to the group reaches the child once, through here; whatever the child leaves
behind in that group (an RQ work horse or scheduler outliving a SIGKILLed worker) is stopped
before the next start. If the supervisor itself is killed, the child gets SIGTERM (Linux's
parent-death signal), so it never runs unsupervised.

Standard library only: it must run even when the app does not import.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import threading
import time

FIRST_WAIT = 1.0
LONGEST_WAIT = 30.0
MAX_CRASHES = 5
WINDOW = 120.0  # seconds
LEFTOVER_GRACE = 5.0  # seconds the child's leftovers get after SIGTERM, before SIGKILL
PR_SET_PDEATHSIG = 1


def say(name: str, text: str) -> None:
    print(f"supervise[{name}]: {text}", file=sys.stderr, flush=True)


def _die_with_parent() -> None:
    """In the child, before exec: SIGTERM when the supervisor dies (Linux only)."""
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _how(returncode: int) -> str:
    if returncode < 0:
        return f"was killed by {signal.Signals(-returncode).name}"
    return f"exited with status {returncode}"


def _stop_leftovers(name: str, group: int) -> None:
    """SIGTERM to what remains of the child's process group, then SIGKILL after a grace."""
    try:
        os.killpg(group, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + LEFTOVER_GRACE
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    say(name, f"processes left by the child (group {group}) did not stop; killing them")
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGKILL)


class Supervisor:
    def __init__(self, name: str, command: list[str], max_crashes: int, window: float):
        self.name = name
        self.command = command
        self.max_crashes = max_crashes
        self.window = window
        self.child: subprocess.Popen | None = None
        self.stopping = threading.Event()

    def ask_stop(self, signum, frame) -> None:
        first = not self.stopping.is_set()
        self.stopping.set()
        child = self.child
        if child is not None and child.poll() is None:
            if first:
                say(self.name, f"{signal.Signals(signum).name}: stopping pid {child.pid}")
            with contextlib.suppress(ProcessLookupError):
                os.kill(child.pid, signal.SIGTERM)  # twice: RQ's cold shutdown, as asked

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self.ask_stop)
        signal.signal(signal.SIGINT, self.ask_stop)
        crashes: list[float] = []
        wait = FIRST_WAIT
        while not self.stopping.is_set():
            started = time.monotonic()
            self.child = subprocess.Popen(  # noqa: S603 - the command line we were given
                self.command, process_group=0, preexec_fn=_die_with_parent
            )
            say(self.name, f"started pid {self.child.pid}: {' '.join(self.command)}")
            if self.stopping.is_set():  # asked between the start and the line above
                os.kill(self.child.pid, signal.SIGTERM)
            returncode = self.child.wait()
            _stop_leftovers(self.name, self.child.pid)
            if self.stopping.is_set():
                say(self.name, f"pid {self.child.pid} {_how(returncode)}; stopped")
                return 0 if returncode in (0, -signal.SIGTERM) else 1
            now = time.monotonic()
            if now - started > self.window:
                wait = FIRST_WAIT  # it had run well: a new problem, not the same one
            crashes = [t for t in crashes if now - t < self.window] + [now]
            if len(crashes) >= self.max_crashes:
                say(
                    self.name,
                    f"GIVING UP: pid {self.child.pid} {_how(returncode)}, exit "
                    f"{len(crashes)} of {self.max_crashes} allowed in {self.window:.0f} s; not "
                    "starting it again. Its output above says why.",
                )
                return 1
            say(
                self.name,
                f"pid {self.child.pid} {_how(returncode)} without being asked to; starting it "
                f"again in {wait:.0f} s ({len(crashes)} of {self.max_crashes} exits allowed in "
                f"{self.window:.0f} s)",
            )
            self.stopping.wait(wait)
            wait = min(LONGEST_WAIT, wait * 2)
        return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jobs.supervise", description=__doc__)
    parser.add_argument("name", help="what the log lines call the process (worker, cron)")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- the command to keep up")
    parser.add_argument("--max-crashes", type=int, default=MAX_CRASHES)
    parser.add_argument("--window", type=float, default=WINDOW, help="seconds")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command given (after --)")
    return Supervisor(args.name, command, args.max_crashes, args.window).run()


if __name__ == "__main__":
    sys.exit(main())
