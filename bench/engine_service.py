"""End-to-end benchmark: engine processes on a durable Redis (AOF, appendfsync always).

    .venv/bin/python bench/engine_service.py [--commands 400000] [--seconds 10]

Starts its own redis-server on a free loopback port (never the shared one), then:

1. Throughput: a backlog of --commands per market is appended first; the time from
   engine start until the last output entry exists gives commands/s per market, with
   1 engine process (1 market) and 2 engine processes (one market each).
2. Latency append -> event readable, at offered loads of 10k/s, 50k/s and flat out:
   a producer process appends paced batches and notes when each XADD pipeline returned
   (durable); a consumer process XREADs the output stream and notes when each entry
   became readable. Both use the monotonic clock, which is shared on one host.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from anywhere

from bench.engine_core import generate  # noqa: E402
from matching_engine.protocol import input_stream, output_stream  # noqa: E402
from matching_engine.resp import RespConnection, encode_command  # noqa: E402
from tests.matching_engine.servers import EngineProcess, RedisServer  # noqa: E402

SYMBOLS = ("BENCHA", "BENCHB")


def workload(symbol: str, count: int) -> list[bytes]:
    blobs, _ = generate(
        count, users=10_000, book_orders=20_000, seed=SYMBOLS.index(symbol), symbol=symbol
    )
    return blobs


def xadds(key: str, blobs: list[bytes]) -> bytes:
    return b"".join(encode_command("XADD", key, "*", "d", blob) for blob in blobs)


def append_all(url: str, symbol: str, blobs: list[bytes]) -> None:
    conn = RespConnection.from_url(url, timeout=60)
    conn.connect()
    key = input_stream(symbol)
    for i in range(0, len(blobs), 2_000):
        chunk = blobs[i : i + 2_000]
        conn.send(xadds(key, chunk))
        for _ in chunk:
            conn.read_reply()
    conn.close()


def wait_output(url: str, symbol: str, n: int, timeout: float) -> float:
    conn = RespConnection.from_url(url, timeout=10)
    conn.connect()
    deadline = time.monotonic() + timeout
    while conn.call("XLEN", output_stream(symbol)) < n:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{symbol}: output incomplete after {timeout}s")
        time.sleep(0.005)
    done = time.monotonic()
    conn.close()
    return done


def throughput(url: str, tmp: Path, count: int, markets: int) -> list[float]:
    client = RespConnection.from_url(url, timeout=60)
    client.connect()
    client.call("FLUSHALL")
    client.close()
    sizes = {}
    for symbol in SYMBOLS[:markets]:
        blobs = workload(symbol, count)
        sizes[symbol] = len(blobs)
        append_all(url, symbol, blobs)
    engines = [
        EngineProcess(url, tmp / f"tp-{symbol}.log", markets=symbol) for symbol in SYMBOLS[:markets]
    ]
    for engine in engines:
        engine.start()
    # Time from the first output entry to the last: process start-up is not throughput.
    first = {symbol: wait_output(url, symbol, 1, 60) for symbol in SYMBOLS[:markets]}
    rates = []
    for symbol in SYMBOLS[:markets]:
        n = sizes[symbol]
        rates.append((n - 1) / (wait_output(url, symbol, n, 600) - first[symbol]))
    for engine in engines:
        engine.terminate()
    return rates


def producer(url: str, symbol: str, blobs: list[bytes], rate: float, sent: mp.Queue) -> None:
    """Append `blobs` at `rate` per second (0: flat out); report (entry id, time) pairs.

    Entry IDs are chosen here (explicit XADD IDs after the stream's last one) and every
    batch is encoded before the clock starts, so the producer costs little CPU: on two
    cores it shares the machine with Redis, the engine and the consumer.
    """
    conn = RespConnection.from_url(url, timeout=60)
    conn.connect()
    key = input_stream(symbol)
    last = conn.call("XREVRANGE", key, "+", "-", "COUNT", 1)[0][0]
    base_ms = int(last.split(b"-")[0]) + 1
    ids = [b"%d-%d" % (base_ms + i // 1_000_000, i % 1_000_000) for i in range(len(blobs))]
    commands = [
        encode_command("XADD", key, entry_id, "d", blob)
        for entry_id, blob in zip(ids, blobs, strict=True)
    ]
    times: list[tuple[bytes, int]] = []
    done = 0
    started = time.monotonic()
    while done < len(commands):
        if rate:
            # Send what is due (at least 1 ms worth, so batches are not tiny); sleep rather
            # than spin: on 2 cores a spinning producer would starve the engine.
            due = int((time.monotonic() - started) * rate)
            if due <= done:
                time.sleep((done + max(1, rate // 1000) - due) / rate)
                continue
            upto = min(len(commands), due)
        else:
            upto = min(len(commands), done + 500)
        conn.send(b"".join(commands[done:upto]))
        errors = conn.read_xadd_replies(upto - done)
        if errors:
            raise errors[0]
        now = time.monotonic_ns()
        times.extend((entry_id, now) for entry_id in ids[done:upto])
        done = upto
    sent.put((times, time.monotonic() - started))
    conn.close()


def consumer(url: str, symbol: str, n: int, seen: mp.Queue, ready: Any) -> None:
    conn = RespConnection.from_url(url, timeout=60)
    conn.connect()
    key = output_stream(symbol)
    newest = conn.call("XREVRANGE", key, "+", "-", "COUNT", 1)
    last = newest[0][0] if newest else b"0-0"  # only entries after the warm-up
    ready.set()
    times: list[tuple[bytes, int]] = []
    while len(times) < n:
        conn.send(encode_command("XREAD", "COUNT", 10_000, "BLOCK", 1000, "STREAMS", key, last))
        entries = conn.read_xread_reply()
        now = time.monotonic_ns()
        times.extend((entry_id, now) for entry_id, _ in entries)
        if entries:
            last = entries[-1][0]
    seen.put(times)
    conn.close()


def latency(
    url: str, tmp: Path, rate: float, seconds: float, timeline: bool = False
) -> dict[str, float]:
    symbol = SYMBOLS[0]
    client = RespConnection.from_url(url, timeout=60)
    client.connect()
    client.call("FLUSHALL")
    client.close()
    count = int(rate * seconds) if rate else 600_000
    blobs = workload(symbol, count)
    # The engine must find the market created and a warm book: pre-fill untimed.
    warm = 40_000
    append_all(url, symbol, blobs[:warm])
    engine = EngineProcess(url, tmp / f"lat-{rate}.log", markets=symbol)
    engine.start()
    wait_output(url, symbol, warm, 120)
    measured = blobs[warm:]
    sent: mp.Queue = mp.Queue()
    seen: mp.Queue = mp.Queue()
    ready = mp.Event()
    cons = mp.Process(target=consumer, args=(url, symbol, len(measured), seen, ready))
    prod = mp.Process(target=producer, args=(url, symbol, measured, rate, sent))
    cons.start()
    ready.wait()
    prod.start()
    sent_pairs, offered_elapsed = sent.get()
    sent_times = dict(sent_pairs)
    seen_times = dict(seen.get())
    prod.join()
    cons.join()
    engine.terminate()
    series = [(t, seen_times[i] - t) for i, t in sent_times.items()]
    if timeline:  # worst latency per 200 ms of the run: shows where spikes happen
        t0 = min(t for t, _ in series)
        buckets: dict[int, float] = {}
        for t, d in series:
            b = int((t - t0) / 2e8)
            buckets[b] = max(buckets.get(b, 0.0), d / 1e6)
        print({k / 5: round(v, 1) for k, v in sorted(buckets.items())})
    lat = sorted(d for _, d in series)
    last_seen = max(seen_times[i] for i in sent_times)
    first_sent = min(sent_times.values())

    def pct(q: float) -> float:
        return lat[min(len(lat) - 1, int(q * len(lat)))] / 1e6

    return {
        "offered": len(measured) / offered_elapsed,
        "achieved": len(measured) / ((last_seen - first_sent) / 1e9),
        "p50": pct(0.50),
        "p99": pct(0.99),
        "p999": pct(0.999),
        "max": lat[-1] / 1e6,
    }


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--commands", type=int, default=400_000, help="per market, throughput run")
    p.add_argument("--seconds", type=float, default=10, help="per latency run")
    p.add_argument("--timeline", action="store_true", help="print worst latency per 200 ms")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        server = RedisServer(tmp / "redis", appendfsync="always")
        server.start()
        try:
            print(f"redis-server with appendonly yes, appendfsync always, at {server.url}")
            print()
            print("| engines | markets | commands per market | commands/s per market |")
            print("|---|---|---|---|")
            for markets in (1, 2):
                rates = throughput(server.url, tmp, args.commands, markets)
                shown = " / ".join(f"{r:,.0f}" for r in rates)
                print(f"| {markets} | {markets} | {args.commands:,} | {shown} |")
            print()
            print("| offered load | achieved | p50 | p99 | p99.9 | max |")
            print("|---|---|---|---|---|---|")
            for rate in (10_000, 50_000, 0):
                r = latency(server.url, tmp, rate, args.seconds, args.timeline)
                label = f"{rate:,}/s" if rate else f"flat out ({r['offered']:,.0f}/s)"
                print(
                    f"| {label} | {r['achieved']:,.0f}/s | {r['p50']:.2f} ms | "
                    f"{r['p99']:.2f} ms | {r['p999']:.2f} ms | {r['max']:.1f} ms |"
                )
        finally:
            server.stop()


if __name__ == "__main__":
    main()
