"""``python -m exchange.supervise``: a killed process comes back, the others keep running."""

from __future__ import annotations

import configparser
import os
import signal
import subprocess
import sys
import time
import xmlrpc.client
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import redis
from django.conf import settings
from supervisor.xmlrpc import SupervisorTransport

from exchange.embedded_redis import embedded_url, socket_path
from exchange.orders.actions import place_order
from exchange.orders.models import Order, OrderStatus
from exchange.orders.requests import OrderRequest
from exchange.reconciliation.checks import reconcile
from exchange.supervise import ROOT, listen_on_inherited_socket, read_procfile, supervisor_config
from tests.test_processes import database_url, free_port, wait_for

RUNNING = "RUNNING"


def test_config_runs_every_procfile_line_under_a_shell_with_restart_and_logs(tmp_path):
    # given the Procfile and a var dir
    processes = read_procfile()

    # when the config is generated with the embedded Redis
    text = supervisor_config(processes, var_dir=tmp_path, redis_dir=tmp_path / "redis")

    # then supervisord reads one program per Procfile line plus Redis, started first
    config = configparser.RawConfigParser()
    config.read_string(text)
    programs = {s.removeprefix("program:"): config[s] for s in config if s.startswith("program:")}
    assert list(programs) == ["redis", *processes]
    assert int(programs["redis"]["priority"]) < int(programs["engine"]["priority"])
    for name, command in processes.items():
        program = programs[name]
        # %% is supervisord's escape for a literal % in its own interpolation
        assert program["command"].replace("%%", "%") == f"/bin/sh -c 'exec {command}'"
        assert program["autorestart"] == "true"
        assert program["killasgroup"] == "true"
        assert program["stdout_logfile"] == str(tmp_path / "log" / f"{name}.log")
    assert "--daemonize" not in programs["redis"]["command"]


def test_web_processes_share_one_socket_that_supervisord_opens(tmp_path, monkeypatch):
    # given a listen address and the Procfile's web line
    monkeypatch.setenv("WEB_HOST", "127.0.0.2")
    monkeypatch.setenv("WEB_PORT", "8123")
    web = read_procfile()["web"]

    # when the config is generated for three web processes
    text = supervisor_config({"web": web}, var_dir=tmp_path, web_processes=3)

    # then supervisord binds the address once and starts three daphnes on it as fd 0
    config = configparser.RawConfigParser()
    config.read_string(text)
    program = config["fcgi-program:web"]
    assert program["socket"] == "tcp://127.0.0.2:8123"
    assert program["numprocs"] == "3"
    assert program["command"] == "/bin/sh -c 'exec daphne --fd 0 exchange.asgi:application'"
    assert program["stdout_logfile"] == f"{tmp_path / 'log' / 'web'}-%(process_num)s.log"
    assert "program:web" not in config


def test_only_a_daphne_line_with_an_address_can_share_a_socket():
    assert (
        listen_on_inherited_socket("daphne -b ${WEB_HOST:-127.0.0.1} -p 8000 --proxy-headers a:b")
        == "daphne --fd 0 --proxy-headers a:b"
    )
    for line in ("uvicorn -b h -p 1 a:b", "daphne a:b"):
        with pytest.raises(ValueError):
            listen_on_inherited_socket(line)


def test_config_without_embedded_redis_runs_only_the_named_processes(tmp_path):
    text = supervisor_config({"web": "daphne x:y"}, var_dir=tmp_path)
    config = configparser.RawConfigParser()
    config.read_string(text)
    assert [s for s in config if s.startswith("program:")] == ["program:web"]


def rpc(var_dir: Path) -> Any:
    """supervisord's XML-RPC interface over its unix socket (what supervisorctl uses)."""
    url = f"unix://{socket_path(var_dir, 'supervisor.sock')}"
    proxy = xmlrpc.client.ServerProxy(
        "http://127.0.0.1", transport=SupervisorTransport(None, None, url)
    )
    return proxy.supervisor


def processes(var_dir: Path) -> dict[str, dict[str, Any]]:
    return {info["name"]: info for info in rpc(var_dir).getAllProcessInfo()}


def wait_until(predicate, what: str, timeout: float = 60) -> float:
    """Poll ``predicate``; return the seconds it took (for the measured numbers)."""
    start = time.monotonic()
    while not predicate():
        assert time.monotonic() - start < timeout, f"timed out waiting for {what}"
        time.sleep(0.05)
    return time.monotonic() - start


def all_running(var_dir: Path, names: list[str]) -> bool:
    try:
        infos = processes(var_dir)
    except OSError:
        return False  # supervisord not listening yet
    return all(infos.get(name, {}).get("statename") == RUNNING for name in names)


@contextmanager
def supervised(var_dir: Path, args: list[str], env: dict[str, str]) -> Iterator[subprocess.Popen]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "exchange.supervise", "--var", str(var_dir), *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def kill_and_measure(var_dir: Path, name: str) -> tuple[float, float]:
    """SIGKILL ``name``; return (seconds to a new pid, seconds to RUNNING again)."""
    old = processes(var_dir)[name]["pid"]
    os.kill(old, signal.SIGKILL)
    spawned = wait_until(lambda: processes(var_dir)[name]["pid"] not in (0, old), f"{name} respawn")
    running = wait_until(
        lambda: processes(var_dir)[name]["statename"] == RUNNING, f"{name} RUNNING"
    )
    return spawned, spawned + running


def trade(make_user, fund, assets) -> Order:
    seller, buyer = make_user(), make_user()
    fund(seller, assets["BTC"], "1")
    fund(buyer, assets["USDT"], "1000")
    place_order(
        user=seller,
        request=OrderRequest.parse(
            symbol="BTCUSDT", side="SELL", type="LIMIT", price="60000", quantity="0.01"
        ),
    )
    return place_order(
        user=buyer,
        request=OrderRequest.parse(
            symbol="BTCUSDT", side="BUY", type="LIMIT", price="60000", quantity="0.01"
        ),
    )


@pytest.mark.django_db(transaction=True)
def test_a_killed_process_is_restarted_while_the_others_keep_running(
    tmp_path, redis_client, btcusdt, make_user, assets, fund
):
    # given two web processes on one socket, engine and clearing under the supervisor
    var_dir = tmp_path / "var"
    port = free_port()
    env = {
        **os.environ,
        "WEB_PORT": str(port),
        "WEB_PROCESSES": "2",
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
    }
    names = ["web-0", "web-1", "engine", "clearing"]
    with supervised(var_dir, ["web", "engine", "clearing"], env) as supervisor:
        wait_until(lambda: all_running(var_dir, names), "all RUNNING", timeout=120)
        assert wait_for(f"http://127.0.0.1:{port}/healthz")[0] == 200
        measured = {}
        for victim in ["engine", "web-0", "clearing"]:
            before = processes(var_dir)

            # when one process is SIGKILLed
            measured[victim] = kill_and_measure(var_dir, victim)

            # then it has a new pid and the others kept theirs and never stopped (the
            # other web process answered on the shared port meanwhile)
            assert wait_for(f"http://127.0.0.1:{port}/healthz")[0] == 200
            after = processes(var_dir)
            assert after[victim]["pid"] != before[victim]["pid"]
            for other in set(names) - {victim}:
                assert after[other]["pid"] == before[other]["pid"]
                assert after[other]["statename"] == RUNNING
            assert supervisor.poll() is None

        # and the restarted processes serve: the web answers; an order placed right after
        # the engine is killed again is matched by its successor and settled by clearing
        assert wait_for(f"http://127.0.0.1:{port}/healthz")[0] == 200
        os.kill(processes(var_dir)["engine"]["pid"], signal.SIGKILL)
        killed = time.monotonic()
        bid = trade(make_user, fund, assets)
        wait_until(
            lambda: Order.objects.get(pk=bid.pk).status == OrderStatus.FILLED, "fill", timeout=60
        )
        filled = time.monotonic() - killed
        assert reconcile().ok
        sys.stdout.write(
            "restart (s to new pid, s to RUNNING): "
            + ", ".join(f"{k} {a:.2f}/{b:.2f}" for k, (a, b) in measured.items())
            + f"; engine kill to next fill {filled:.2f} s\n"
        )
        children = [info["pid"] for info in processes(var_dir).values()]

    # and stopping the supervisor stops every process it started
    assert supervisor.returncode == 0
    assert not [pid for pid in children if pid_alive(pid)]


def test_embedded_redis_is_supervised_keeps_its_data_and_stops_with_the_rest(tmp_path):
    # given a Procfile of one process and no REDIS_URL: the supervisor runs the embedded Redis
    var_dir = tmp_path / "var"
    procfile = tmp_path / "Procfile"
    procfile.write_text("sleeper: sleep 600\n")
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    with supervised(var_dir, ["--procfile", str(procfile)], env) as supervisor:
        wait_until(lambda: all_running(var_dir, ["redis", "sleeper"]), "all RUNNING")
        client = redis.Redis.from_url(embedded_url(var_dir / "redis"))
        client.set("kept", "1")
        client.bgrewriteaof()  # on disk now, not within the next everysec fsync
        wait_until(lambda: client.info("persistence")["aof_rewrite_in_progress"] == 0, "rewrite")
        sleeper = processes(var_dir)["sleeper"]["pid"]

        # when Redis is SIGKILLed
        kill_and_measure(var_dir, "redis")

        # then it is back with its data, and the other process never stopped
        assert client.get("kept") == b"1"
        assert processes(var_dir)["sleeper"]["pid"] == sleeper
        children = [info["pid"] for info in processes(var_dir).values()]
        client.close()
    # and stopping the supervisor stops Redis too
    assert supervisor.returncode == 0
    assert not [pid for pid in children if pid_alive(pid)]
