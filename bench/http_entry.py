"""Signed HTTP order entry as bots send it, through a real server: requests/s, tail, web CPU.

    .venv/bin/python bench/http_entry.py [--models daphne,uvicorn] [--clients 1,16]
        [--seconds 8] [--workers 2] [--url http://127.0.0.1:8000 --keys keys.json]

Each request is what a bot sends: HMAC-SHA256 over the query string and body with the
key's secret, ``X-MBX-APIKEY``, over keep-alive connections (aiohttp, one connection per
client; each client has its own user and key, as bots do). Measured per server model and
number of concurrent clients:

* ``v3 ACK`` / ``v3 RESULT``: ``POST /api/v3/order``, a resting LIMIT order, with
  ``newOrderRespType`` ACK and RESULT;
* ``v1``: ``POST /api/v1/orders`` (the native API);
* ``graphql``: the ``placeOrder`` mutation on ``POST /graphql``;
* ``depth``: the public ``GET /api/v3/depth?symbol=BTCUSDT``.

Web CPU per request is the CPU time (``/proc``, user + system) of the web program and all
its descendants (the server's workers) over the phase, divided by the requests answered;
the rest of the stack (engine, clearing, market data) is printed beside it.

Models: ``daphne`` (one process, the Procfile's server), ``uvicorn`` and ``granian``
(neither is in the lock: ``pip install uvicorn[standard]`` or ``granian`` to measure
them; moving ``make run`` to uvicorn workers was measured and not adopted, see
bench/RESULTS.md). ``@0`` after a model sets ``DATABASE_CONN_MAX_AGE=0``, which only a
build that reads that setting honours. Without ``--url``
the bench starts the stack the way ``make run`` does: ``python -m
exchange.supervise`` on a Procfile holding the ``web`` line of the server model under
test and the engine, clearing and market data lines of ``deploy/Procfile``, on
PostgreSQL (``DATABASE_URL``, default database ``exchange_bench_entry``, dropped and
re-created) and Redis (``REDIS_URL``, default db 9, flushed). The rate limits are raised
through their settings' environment variables (``RATE_LIMIT_PER_*``,
``GRAPHQL_RATE_LIMIT_PER_*``, ``BINANCE_WEIGHT_LIMIT_1M``). With ``--url`` it targets a
running server; ``--keys`` then names a JSON list of ``{"key", "secret"}`` with trade
permission and a funded ``USDT`` balance on a ``BTCUSDT`` market.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/exchange_bench_entry"
DEFAULT_REDIS = "redis://127.0.0.1:6379/9"
HOST = "127.0.0.1"
RAISED_LIMITS = {
    name: str(10**9)
    for name in (
        "RATE_LIMIT_PER_IP",
        "RATE_LIMIT_PER_USER",
        "RATE_LIMIT_PER_API_KEY",
        "GRAPHQL_RATE_LIMIT_PER_IP",
        "GRAPHQL_RATE_LIMIT_PER_USER",
        "GRAPHQL_RATE_LIMIT_PER_API_KEY",
        "BINANCE_WEIGHT_LIMIT_1M",
    )
}
# The web line of each server model; {workers} is the worker count (cores by default).
MODELS = {
    "daphne": "daphne -b {host} -p {port} exchange.asgi:application",
    "uvicorn": (
        "uvicorn --host {host} --port {port} --workers {workers} --no-access-log "
        "--lifespan off exchange.asgi:application"
    ),
    "granian": (
        "granian --interface asgi --host {host} --port {port} --workers {workers} "
        "--loop uvloop exchange.asgi:application"
    ),
}
PLACE_ORDER = (
    'mutation($price: Decimal!) { placeOrder(symbol: "BTCUSDT", side: BUY, type: LIMIT, '
    'timeInForce: GTC, quantity: "0.001", price: $price) { order { id } errors { message } } }'
)


@dataclass
class Key:
    key: str
    secret: bytes

    def sign(self, payload: str) -> str:
        return hmac.new(self.secret, payload.encode(), hashlib.sha256).hexdigest()


def now_ms() -> int:
    return int(time.time() * 1000)


def price(i: int) -> str:
    # Resting bids spread over 50 levels well below any ask: nothing trades.
    return f"{100 + (i % 50) / 100:.2f}"


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def v3_order(resp_type: str) -> Callable[[Key, int], tuple[str, str, dict[str, str], str]]:
    def build(key: Key, i: int) -> tuple[str, str, dict[str, str], str]:
        body = urlencode(
            {
                "symbol": "BTCUSDT",
                "side": "BUY",
                "type": "LIMIT",
                "timeInForce": "GTC",
                "quantity": "0.001",
                "price": price(i),
                "newOrderRespType": resp_type,
                "timestamp": now_ms(),
            }
        )
        body += "&signature=" + key.sign(body)
        return "POST", "/api/v3/order", {**FORM, "X-MBX-APIKEY": key.key}, body

    return build


def v1_order(key: Key, i: int) -> tuple[str, str, dict[str, str], str]:
    body = urlencode(
        {
            "symbol": "BTCUSDT",
            "side": "BUY",
            "type": "LIMIT",
            "quantity": "0.001",
            "price": price(i),
            "timestamp": now_ms(),
        }
    )
    body += "&signature=" + key.sign(body)
    return "POST", "/api/v1/orders", {**FORM, "X-MBX-APIKEY": key.key}, body


def graphql_order(key: Key, i: int) -> tuple[str, str, dict[str, str], str]:
    body = json.dumps({"query": PLACE_ORDER, "variables": {"price": price(i)}})
    query = f"timestamp={now_ms()}"
    path = f"/graphql?{query}&signature={key.sign(query + body)}"
    return "POST", path, {"Content-Type": "application/json", "X-MBX-APIKEY": key.key}, body


def depth(key: Key, i: int) -> tuple[str, str, dict[str, str], str]:
    return "GET", "/api/v3/depth?symbol=BTCUSDT&limit=100", {}, ""


def graphql_ok(status: int, data: bytes) -> bool:
    if status != 200:
        return False
    answer = json.loads(data)
    return not answer.get("errors") and not answer["data"]["placeOrder"]["errors"]


PHASES: dict[str, tuple[Callable[[Key, int], tuple[str, str, dict[str, str], str]], Any]] = {
    "v3 ACK": (v3_order("ACK"), None),
    "v3 RESULT": (v3_order("RESULT"), None),
    "v1": (v1_order, None),
    "graphql": (graphql_order, graphql_ok),
    "depth": (depth, None),
}


# --- the server's processes and their CPU -------------------------------------------------

TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds) of a live process."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / TICKS


def tree_cpu(root: int) -> tuple[float, int]:
    """CPU seconds of ``root`` and its descendants, and how many processes that is."""
    stats = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (stat := _stat(int(entry))) is not None:
            stats[int(entry)] = stat
    members, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        for pid, (ppid, _) in stats.items():
            if ppid == parent and pid not in members:
                members.add(pid)
                frontier.append(pid)
    return sum(stats[pid][1] for pid in members if pid in stats), len(members & stats.keys())


def trees_cpu(roots: list[int]) -> tuple[float, int]:
    """``tree_cpu`` summed over several roots (the web processes of one shared socket)."""
    trees = [tree_cpu(root) for root in roots]
    return sum(cpu for cpu, _ in trees), sum(n for _, n in trees)


# --- the load -----------------------------------------------------------------------------


async def client(
    session: aiohttp.ClientSession,
    url: str,
    key: Key,
    build: Callable[[Key, int], tuple[str, str, dict[str, str], str]],
    ok: Any,
    until: float,
    latencies: list[float],
    failures: list[str],
    rate: float,
) -> None:
    i = 0
    start = time.perf_counter()
    while (t0 := time.perf_counter()) < until:
        if rate:
            # Open loop at a fixed rate: sent when due, latency counted from then (a late
            # answer delays the next send, and that wait counts too).
            due = start + i / rate
            if due > t0:
                await asyncio.sleep(due - t0)
            t0 = due
        method, path, headers, body = build(key, i)
        async with session.request(method, url + path, headers=headers, data=body) as response:
            data = await response.read()
            good = ok(response.status, data) if ok else 200 <= response.status < 300
        latencies.append(time.perf_counter() - t0)
        if not good and len(failures) < 5:
            failures.append(f"{response.status} {data[:200]!r}")
        i += 1


async def run_phase(
    url: str,
    keys: list[Key],
    phase: str,
    clients: int,
    seconds: float,
    web_pids: list[int],
    rate: float = 0.0,
) -> dict[str, Any]:
    build, ok = PHASES[phase]
    latencies: list[float] = []
    failures: list[str] = []
    sessions = [
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1)) for _ in range(clients)
    ]
    try:
        # Warm-up: one connection and a few requests per client.
        warm = time.perf_counter() + 1.0
        await asyncio.gather(
            *(
                client(s, url, keys[n % len(keys)], build, ok, warm, [], [], 0)
                for n, s in enumerate(sessions)
            )
        )
        cpu0 = trees_cpu(web_pids)[0]
        t0 = time.perf_counter()
        until = t0 + seconds
        await asyncio.gather(
            *(
                client(
                    s,
                    url,
                    keys[n % len(keys)],
                    build,
                    ok,
                    until,
                    latencies,
                    failures,
                    rate / clients,
                )
                for n, s in enumerate(sessions)
            )
        )
        wall = time.perf_counter() - t0
        cpu = (trees_cpu(web_pids)[0] - cpu0) if web_pids else float("nan")
    finally:
        await asyncio.gather(*(s.close() for s in sessions))
    latencies.sort()
    count = len(latencies)

    def pct(q: float) -> float:
        return latencies[min(count - 1, int(count * q))] * 1000

    return {
        "phase": phase,
        "clients": clients,
        "requests": count,
        "per_s": count / wall,
        "p50": pct(0.5),
        "p99": pct(0.99),
        "p999": pct(0.999),
        "cpu_ms": cpu / count * 1000 if count else float("nan"),
        "failures": failures,
        "load": os.getloadavg()[0],
    }


# --- the stack ----------------------------------------------------------------------------


def setup_database(db: str, redis_url: str, users: int) -> list[dict[str, str]]:
    """Fresh database and Redis db; a market and ``users`` funded users with trading keys."""
    out = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--setup", str(users)],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": db, "REDIS_URL": redis_url, "LOG_LEVEL": "WARNING"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    keys: list[dict[str, str]] = json.loads(out.splitlines()[-1])
    return keys


def setup_child(users: int) -> None:
    """Runs in its own process (``--setup``) with Django set up on the bench's database."""
    from decimal import Decimal

    import psycopg2

    db = os.environ["DATABASE_URL"]
    base, _, name = db.rpartition("/")
    conn = psycopg2.connect(f"{base}/postgres")
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    conn.close()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "exchange.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from exchange.accounts.actions import do_create_api_key
    from exchange.accounts.models import User
    from exchange.accounts.requests import ApiKeyRequest
    from exchange.core.redis import get_redis
    from exchange.markets.actions import do_create_market
    from exchange.wallets.actions import do_credit_deposit
    from exchange.wallets.models import Asset

    get_redis().flushdb()
    call_command("migrate", verbosity=0)
    usdt = Asset.objects.create(code="USDT", name="Tether", precision=8)
    btc = Asset.objects.create(code="BTC", name="Bitcoin", precision=8)
    do_create_market(
        base=btc,
        quote=usdt,
        tick_size=Decimal("0.01"),
        step_size=Decimal("0.00001"),
        min_qty=Decimal("0.00001"),
        max_qty=Decimal("1000"),
        min_notional=Decimal("0"),
        maker_fee=Decimal("0.001"),
        taker_fee=Decimal("0.002"),
    )
    keys = []
    for n in range(users):
        user = User.objects.create_user(email=f"bench-entry-{n}@example.com", password=None)
        do_credit_deposit(user=user, asset=usdt, amount="1000000000", network="bench", txid=str(n))
        created = do_create_api_key(
            user=user, request=ApiKeyRequest.parse(label="bench", permissions=["read", "trade"])
        )
        assert created.secret is not None
        keys.append({"key": created.api_key.key, "secret": created.secret})
    print(json.dumps(keys))


def procfile_lines(model: str, port: int, workers: int) -> str:
    """The Procfile the bench supervises: this model's web line, engine, clearing, market data."""
    lines = [f"web: {MODELS[model].format(host=HOST, port=port, workers=workers)}"]
    for raw in (ROOT / "deploy" / "Procfile").read_text().splitlines():
        name = raw.partition(":")[0].strip()
        if name in ("engine", "clearing", "marketdata"):
            lines.append(raw)
    return "\n".join(lines) + "\n"


class Stack:
    """``python -m exchange.supervise`` on a Procfile of the model under test."""

    def __init__(self, model: str, port: int, workers: int, env: dict[str, str]) -> None:
        self.var = Path(tempfile.mkdtemp(prefix="bench-entry-"))
        procfile = self.var / "Procfile"
        procfile.write_text(procfile_lines(model, port, workers))
        self.conf = self.var / "supervisord.conf"
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "exchange.supervise",
                "--var",
                str(self.var),
                "--procfile",
                str(procfile),
            ],
            cwd=ROOT,
            env={
                **os.environ,
                **env,
                "WEB_HOST": HOST,
                "WEB_PORT": str(port),
                "WEB_PROCESSES": str(workers if model == "daphne" else 1),
            },
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.url = f"http://{HOST}:{port}"
        try:
            self._wait_healthy(model)
        except BaseException:
            self.stop()
            raise

    def _wait_healthy(self, model: str) -> None:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2):  # noqa: S310
                    return
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError(f"{model} did not start") from None
                time.sleep(0.3)

    def pids(self, name: str) -> list[int]:
        """The pids of program ``name``: one, or each of a shared-socket group (web-0, ...)."""
        out = subprocess.run(
            [str(Path(sys.executable).parent / "supervisorctl"), "-c", str(self.conf), "status"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        found = []
        for line in out.splitlines():
            process, _, rest = line.partition(" ")
            if process in (name, f"{name}:{name}") or process.startswith(f"{name}:{name}-"):
                found.append(int(rest.split("pid ")[1].split(",")[0]))
        assert found, f"{name} not running: {out}"
        return found

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.var, ignore_errors=True)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def row(model: str, r: dict[str, Any], other_cpu: str = "") -> str:
    return (
        f"| {model} | {r['phase']} | {r['clients']} | {r['per_s']:,.0f} | {r['p50']:.1f} | "
        f"{r['p99']:.1f} | {r['p999']:.1f} | {r['cpu_ms']:.2f} | {other_cpu} | "
        f"{r['load']:.1f} | {len(r['failures'])} |"
    )


HEADER = (
    "| server | request | clients | req/s | p50 ms | p99 ms | p99.9 ms | web CPU ms/req | "
    "engine+clearing+md CPU ms/req | load | failed |\n"
    "|---|---|---|---|---|---|---|---|---|---|---|"
)


def measure(
    model: str,
    url: str,
    keys: list[Key],
    args: argparse.Namespace,
    stack: Stack | None,
) -> list[str]:
    out = []
    web_pids = stack.pids("web") if stack else ([args.web_pid] if args.web_pid else [])
    if web_pids:
        # What the server burns with no request (threads, pub/sub, timers): at a few
        # requests a second it is a large part of the CPU per request.
        cpu0, processes = trees_cpu(web_pids)
        time.sleep(args.idle)
        idle = (trees_cpu(web_pids)[0] - cpu0) / args.idle * 1000
        print(
            f"# {model}: web pids {web_pids}, {processes} processes, idle CPU {idle:.1f} ms/s",
            flush=True,
        )
    others = (
        [p for n in ("engine", "clearing", "marketdata") for p in stack.pids(n)] if stack else []
    )
    for clients in args.clients:
        for phase in args.phases:
            before = sum(tree_cpu(p)[0] for p in others)
            r = asyncio.run(run_phase(url, keys, phase, clients, args.seconds, web_pids))
            after = sum(tree_cpu(p)[0] for p in others)
            other = f"{(after - before) / r['requests'] * 1000:.2f}" if others else ""
            line = row(model, r, other)
            print(line, flush=True)
            if r["failures"]:
                print(f"#   failures: {r['failures']}", file=sys.stderr, flush=True)
            out.append(line)
    if args.rate:
        r = asyncio.run(run_phase(url, keys, "v3 ACK", 16, args.seconds, web_pids, rate=args.rate))
        line = row(model, {**r, "phase": f"v3 ACK at {args.rate:.0f}/s"})
        print(line, flush=True)
        out.append(line)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--models",
        default="daphne",
        help=f"of {', '.join(MODELS)}; MODEL:N runs N workers",
    )
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    p.add_argument("--clients", default="1,16")
    p.add_argument("--phases", default=",".join(PHASES))
    p.add_argument("--seconds", type=float, default=8.0)
    p.add_argument("--idle", type=float, default=5.0, help="seconds of idle CPU measured")
    p.add_argument("--rate", type=float, default=200.0, help="open-loop v3 ACK rate (0: off)")
    p.add_argument("--url", default="", help="a running server instead of starting the stack")
    p.add_argument("--keys", type=Path, help="with --url: JSON list of {key, secret}")
    p.add_argument("--web-pid", type=int, default=0, help="with --url: the server's parent pid")
    p.add_argument("--db", default=os.environ.get("DATABASE_URL", DEFAULT_DB))
    p.add_argument("--redis", default=os.environ.get("REDIS_URL", DEFAULT_REDIS))
    p.add_argument("--setup", type=int, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.setup:
        setup_child(args.setup)
        return
    args.clients = [int(c) for c in args.clients.split(",")]
    args.phases = args.phases.split(",")
    unknown = set(args.phases) - set(PHASES)
    if unknown:
        raise SystemExit(f"unknown phases {unknown}; of {list(PHASES)}")
    users = max(args.clients)
    print(
        f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} CPUs, "
        f"load {os.getloadavg()}, {args.seconds:.0f} s a phase",
        flush=True,
    )
    print(HEADER, flush=True)
    if args.url:
        assert args.keys, "--url needs --keys"
        raw = json.loads(args.keys.read_text())
        keys = [Key(k["key"], k["secret"].encode()) for k in raw]
        measure("running", args.url, keys, args, None)
        return
    assert args.db.startswith("postgres"), "the bench runs on PostgreSQL"
    env = {
        **RAISED_LIMITS,
        "DATABASE_URL": args.db,
        "REDIS_URL": args.redis,
        "LOG_LEVEL": "WARNING",
    }
    for spec in args.models.split(","):
        # "uvicorn:1": a model with its own worker count; "@0": DATABASE_CONN_MAX_AGE=0
        # (a database connection per request, as before ADR 0050).
        spec, _, max_age = spec.partition("@")
        model, _, count = spec.partition(":")
        workers = int(count or args.workers)
        model_env = {**env, "DATABASE_CONN_MAX_AGE": max_age} if max_age else env
        # A fresh database and Redis for each model: the same book size for each.
        raw = setup_database(args.db, args.redis, users)
        keys = [Key(k["key"], k["secret"].encode()) for k in raw]
        stack = Stack(model, free_port(), workers, model_env)
        try:
            label = f"{model} ({workers} proc)"
            label += f", conn max age {max_age or 'default'}"
            measure(label, stack.url, keys, args, stack)
        finally:
            stack.stop()
    print(f"# done, load {os.getloadavg()}", flush=True)


if __name__ == "__main__":
    main()
