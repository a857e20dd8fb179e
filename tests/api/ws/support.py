"""Real processes for the WebSocket tests: daphne, market data, clearing (and the engine)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from websockets.sync.client import ClientConnection, connect

ROOT = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def process_env(**extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextmanager
def running(args: list[str], **env: str) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(args, cwd=ROOT, env=process_env(**env))
    try:
        yield proc
    finally:
        stop(proc)


def manage(*args: str) -> list[str]:
    return [sys.executable, "manage.py", *args]


def start_market_data(symbol: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        manage("runmarketdata", "--markets", symbol), cwd=ROOT, env=process_env()
    )


@contextmanager
def running_daphne(**env: str) -> Iterator[str]:
    """Serve the ASGI app on a free port; yield its ``ws://`` base URL."""
    port = free_port()
    daphne = Path(sys.executable).parent / "daphne"
    args = [str(daphne), "-b", "127.0.0.1", "-p", str(port), "exchange.asgi:application"]
    with running(args, **env):
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(  # noqa: S310 - loopback only
                    f"http://127.0.0.1:{port}/healthz", timeout=2
                ):
                    break
            except OSError:
                assert time.monotonic() < deadline, "daphne did not start"
                time.sleep(0.2)
        yield f"ws://127.0.0.1:{port}"


def ws_connect(url: str, **options: Any) -> ClientConnection:
    return connect(url, open_timeout=10, max_size=None, **options)


def request(ws: ClientConnection, payload: dict[str, Any], *, timeout: float = 10) -> Any:
    """Send a request and return the first reply carrying its id (skipping stream events)."""
    ws.send(json.dumps(payload))
    deadline = time.monotonic() + timeout
    while True:
        message = json.loads(ws.recv(timeout=max(0.01, deadline - time.monotonic())))
        if (
            isinstance(message, dict)
            and "id" in message
            and ("result" in message or "error" in message or "status" in message)
        ):
            return message


def receive_until(ws: ClientConnection, done: Any, *, timeout: float = 20) -> list[Any]:
    """Collect messages until ``done(messages)`` is true."""
    messages: list[Any] = []
    deadline = time.monotonic() + timeout
    while not done(messages):
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"timed out; got {messages[-5:]}"
        messages.append(json.loads(ws.recv(timeout=remaining)))
    return messages


def wait_until(condition: Any, *, timeout: float = 30, every: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(every)
