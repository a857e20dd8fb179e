"""WebSocket fan-out: engine output → client receive latency with N connected clients.

    .venv/bin/python bench/ws_fanout.py [--clients 10,100,500,1000] [--seconds 20]
        [--rate 40] [--probes 10] [--web 1]

Everything real and private: a redis-server on a free loopback port, a SQLite
database in a temporary directory, the matching engine, the market-data
process (``runmarketdata``) and ``--web`` daphne processes (clients are
spread over them round-robin). N clients connect to
``/stream?streams=btcusdt@depth/btcusdt@trade``. ``--probes`` of them are
``websockets`` clients that parse every message and stamp its arrival; the
others are minimal raw-socket clients that complete the handshake and read
bytes (so 1,000 clients do not need the CPU of 1,000 parsers on the same
machine). A load thread sends ``--rate`` limit orders per second straight to
the engine's input stream (prices around a fixed mid, so about half trade);
an observer blocks on the engine's output stream and stamps when each entry
appeared. Latency = probe arrival − output appearance, matched by trade id
(``@trade``) and by the diff's last update id (``@depth``).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import multiprocessing as mp
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.matching_engine.servers import EngineProcess, RedisServer  # noqa: E402

SYMBOL = "BTCUSDT"
PATH = "/stream?streams=btcusdt@depth/btcusdt@trade"
MID = 100_000  # ticks (1000.00)
SINK_POLL_S = 0.2


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def setup(db_url: str, redis_url: str) -> None:
    os.environ["DATABASE_URL"] = db_url
    os.environ["REDIS_URL"] = redis_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "exchange.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    from exchange.markets.actions import do_create_market
    from exchange.wallets.models import Asset

    call_command("migrate", verbosity=0)
    btc = Asset.objects.create(code="BTC", name="Bitcoin", precision=8)
    usdt = Asset.objects.create(code="USDT", name="Tether", precision=8)
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


class Load(threading.Thread):
    """``rate`` limit orders per second into the engine's input stream while ``on`` is set."""

    def __init__(self, redis_url: str, rate: int) -> None:
        super().__init__(daemon=True)
        import redis

        from matching_client import MatchingClient

        self.client = MatchingClient(redis.Redis.from_url(redis_url))
        self.rate = rate
        self.on = threading.Event()
        self.next_id = 1
        self.rng = random.Random(1)

    def run(self) -> None:
        from matching_client import OrderType, PlaceOrder, Side

        period = 1 / self.rate
        while True:
            self.on.wait()
            started = time.perf_counter()
            side = self.rng.choice([Side.BUY, Side.SELL])
            price = MID + self.rng.randint(-5, 5)
            qty = self.rng.randint(1, 20)
            self.client.send(
                PlaceOrder(
                    symbol=SYMBOL,
                    order_id=self.next_id,
                    user_id=self.rng.randint(1, 20),
                    side=side,
                    order_type=OrderType.LIMIT,
                    lock=price * qty if side == Side.BUY else qty,
                    quantity=qty,
                    price=price,
                )
            )
            self.next_id += 1
            time.sleep(max(0.0, period - (time.perf_counter() - started)))


async def observe(
    redis_url: str, seen_trade: dict[int, float], seen_update: dict[int, float]
) -> None:
    """Stamp each engine output entry when it appears (by its trade ids and last update id)."""
    import redis.asyncio as aioredis

    from matching_client import Trade, decode_output, output_stream

    client = aioredis.Redis.from_url(redis_url)
    last = "$"
    while True:
        reply = await client.xread({output_stream(SYMBOL): last}, block=0, count=1000)
        now = time.time()
        for _, entries in reply:
            for entry_id, fields in entries:
                last = entry_id.decode()
                entry = decode_output(SYMBOL, last, fields[b"d"])
                if entry.last_update_id:
                    seen_update[entry.last_update_id] = now
                for event in entry.events:
                    if isinstance(event, Trade):
                        seen_trade[event.trade_id] = now


async def tap(redis_url: str, records: list[tuple[float, str, int]]) -> None:
    """Stamp each stream message when Redis pub/sub delivers it, as the hub gets it: the
    part of the latency spent before the web process."""
    import redis.asyncio as aioredis

    pubsub = aioredis.Redis.from_url(redis_url).pubsub()
    await pubsub.subscribe(f"md-stream:{SYMBOL}:trade", f"md-stream:{SYMBOL}:depth")
    while True:
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=None)
        if message is None or message["type"] != "message":
            continue
        now = time.time()
        data = json.loads(message["data"])  # exchange.events.market: TradeEvent, DepthUpdate
        if message["channel"].endswith(b":trade"):
            records.append((now, "trade", data["trade_id"]))
        else:
            records.append((now, "depth", data["last_update_id"]))


async def probe(url: str, records: list[tuple[float, str, int]], ready: asyncio.Event) -> None:
    from websockets.asyncio.client import connect

    async with connect(url, max_size=None, ping_interval=None) as ws:
        ready.set()
        async for raw in ws:
            now = time.time()
            message = json.loads(raw)
            data = message["data"]
            if message["stream"].endswith("@trade"):
                records.append((now, "trade", data["t"]))
            else:
                records.append((now, "depth", data["u"]))


def sink_process(ports: list[int], n: int, conn: Any) -> None:
    """``n`` raw clients: handshake, then drain every socket every ``SINK_POLL_S`` and count bytes.

    Non-blocking sockets polled in one loop cost one ``recv`` per client per
    poll (a second only when the buffer came back full), instead of an
    event-loop callback per frame per client: the sinks take as little as
    possible of the CPU the server needs. Their receive buffers hold well
    over a poll's worth of bytes, so the server never sees them as slow.
    """
    socks = []
    for i in range(n):
        port = ports[i % len(ports)]
        sock = socket.create_connection(("127.0.0.1", port))
        key = base64.b64encode(os.urandom(16)).decode()
        sock.sendall(
            (
                f"GET {PATH} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                "Sec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        head = b""
        while b"\r\n\r\n" not in head:
            head += sock.recv(4096)
        assert b" 101 " in head.split(b"\r\n")[0], head
        sock.setblocking(False)
        socks.append(sock)
    conn.send(("connected", len(socks)))
    received = 0
    size = 1 << 18
    while not conn.poll():
        for sock in socks:
            while True:
                try:
                    data = sock.recv(size)
                except BlockingIOError:
                    break
                received += len(data)
                if len(data) < size:
                    break
        time.sleep(SINK_POLL_S)
    conn.recv()
    conn.send(("bytes", received, time.process_time()))
    for sock in socks:
        sock.close()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def run_level(
    args: argparse.Namespace, ports: list[int], n: int, load: Load, redis_url: str, web: list[int]
) -> dict[str, Any]:
    probes = min(args.probes, n)
    parent, child = mp.Pipe()
    sinks = mp.get_context("spawn").Process(target=sink_process, args=(ports, n - probes, child))
    sinks.start()
    assert parent.recv()[0] == "connected"
    seen_trade: dict[int, float] = {}
    seen_update: dict[int, float] = {}
    observer = asyncio.create_task(observe(redis_url, seen_trade, seen_update))
    tapped: list[tuple[float, str, int]] = []
    tapper = asyncio.create_task(tap(redis_url, tapped))
    records: list[list[tuple[float, str, int]]] = [[] for _ in range(probes)]
    readies = [asyncio.Event() for _ in range(probes)]
    tasks = [
        asyncio.create_task(
            probe(f"ws://127.0.0.1:{ports[i % len(ports)]}{PATH}", records[i], readies[i])
        )
        for i in range(probes)
    ]
    for ready in readies:
        await ready.wait()
    await asyncio.sleep(1.0)  # the hub subscribes the new connections' streams
    load.on.set()
    started = time.time()
    web_cpu = sum(map(cpu_seconds, web))
    await asyncio.sleep(args.seconds)
    load.on.clear()
    elapsed = time.time() - started
    web_cpu = sum(map(cpu_seconds, web)) - web_cpu
    await asyncio.sleep(1.0)  # let the last messages arrive
    for task in [*tasks, observer, tapper]:
        task.cancel()
    parent.send("stop")
    _, sink_bytes, sink_cpu = parent.recv()
    sinks.join()

    def delays(stamped: list[tuple[float, str, int]]) -> list[float]:
        found = []
        for when, kind, key in stamped:
            origin = (seen_trade if kind == "trade" else seen_update).get(key)
            if origin is not None:
                found.append((when - origin) * 1000)
        return found

    latencies = [ms for per_probe in records for ms in delays(per_probe)]
    received = sum(map(len, records))
    published = delays(tapped)
    per_client = received / probes / elapsed
    return {
        "clients": n,
        "p50": pct(latencies, 0.5),
        "p99": pct(latencies, 0.99),
        "max": max(latencies, default=float("nan")),
        "samples": len(latencies),
        "per_client": per_client,
        "total": per_client * n,
        "sink_kb_per_client": sink_bytes / max(1, n - probes) / 1024,
        "sink_cpu": sink_cpu,
        "pubsub_p50": pct(published, 0.5),
        "pubsub_p99": pct(published, 0.99),
        "web_cpu": web_cpu / elapsed * 100,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", default="10,100,500,1000")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--rate", type=int, default=40, help="orders per second")
    parser.add_argument("--probes", type=int, default=10)
    parser.add_argument("--web", type=int, default=1, help="daphne processes (clients split)")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="ws-fanout-"))
    server = RedisServer(tmp / "redis", appendfsync="everysec")
    server.start()
    db_url = f"sqlite:///{tmp / 'db.sqlite3'}"
    setup(db_url, server.url)
    env = {**os.environ, "DATABASE_URL": db_url, "REDIS_URL": server.url, "LOG_LEVEL": "WARNING"}
    engine = EngineProcess(server.url, tmp / "engine.log", "--block-ms", "5")
    engine.start()
    ports = [free_port() for _ in range(args.web)]
    procs = [
        subprocess.Popen(
            [sys.executable, "manage.py", "runmarketdata", "--markets", SYMBOL],
            cwd=ROOT,
            env=env,
        )
    ]
    for port in ports:
        procs.append(
            subprocess.Popen(
                [
                    str(Path(sys.executable).parent / "daphne"),
                    "-p",
                    str(port),
                    "--ping-interval",
                    "3600",
                    "--ping-timeout",
                    "3600",
                    "exchange.asgi:application",
                ],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
    try:
        deadline = time.monotonic() + 60
        for port in ports:
            while True:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)  # noqa: S310
                    break
                except OSError:
                    assert time.monotonic() < deadline
                    time.sleep(0.2)
        load = Load(server.url, args.rate)
        load.start()
        print(
            f"rate {args.rate} orders/s, {args.seconds:.0f} s per level, {args.probes} probes, "
            f"{args.web} daphne process(es), streams depth+trade of {SYMBOL}"
        )
        print(
            "| clients | p50 ms | p99 ms | max ms | samples | msgs/s per client | msgs/s total "
            "| daphne CPU % | pub/sub p50/p99 ms |"
        )
        print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for n in [int(x) for x in args.clients.split(",")]:
            web = [proc.pid for proc in procs[1:]]
            r = asyncio.run(run_level(args, ports, n, load, server.url, web))
            print(
                f"| {r['clients']} | {r['p50']:.1f} | {r['p99']:.1f} | {r['max']:.1f} | "
                f"{r['samples']} | {r['per_client']:.1f} | {r['total']:,.0f} | {r['web_cpu']:.0f} "
                f"| {r['pubsub_p50']:.1f}/{r['pubsub_p99']:.1f} |",
                flush=True,
            )
            print(f"  (sink process CPU {r['sink_cpu']:.1f} s)", file=sys.stderr, flush=True)
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=30)
        engine.process.terminate()  # type: ignore[union-attr]
        server.stop()


if __name__ == "__main__":
    main()
