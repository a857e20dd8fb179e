"""What it costs to know, on every request, that no cached key or market changed.

    .venv/bin/python bench/cache_tokens.py [--requests 3000] [--rounds 3] [--messages 300]

Compares, per request, in one run (rounds interleaved so load hits each alike):

* ``limiter``: the Binance limiter's one round trip alone (what a request paid for
  its weight before any cache);
* ``limiter + tokens``: the same pipeline also reading the two version tokens (what a
  request pays now, ADR 0056);
* ``limiter, tokens apart``: the tokens in a round trip of their own (what a version
  check costs when it cannot share one).

Then the other design, a pub/sub invalidation listener in each process: a subscriber
process with a listener thread records when each published message reaches it, once
idle and once with its main thread busy in Python (a web worker serving a request),
and the delivery lag is printed. A next request that reaches that process sooner than
the lag would still be served from the old cache.

Uses REDIS_URL (default: the local server, db 11); keys are prefixed ``bench:``.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_REDIS = "redis://127.0.0.1:6379/11"
CHANNEL = "bench:cache-invalidation"


def _setup(redis_url: str) -> None:
    sys.path.insert(0, str(ROOT))  # this checkout's code, not the virtualenv's install
    os.environ["REDIS_URL"] = redis_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "exchange.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


def round_trips(requests: int, rounds: int) -> dict[str, list[tuple[float, float]]]:
    """(wall µs, CPU µs) per request of each variant, one entry per round."""
    from api.compat.binance.ratelimit import _ADMIT
    from exchange.core import cache_versions
    from exchange.core.redis import get_redis

    client = get_redis()
    keys = ("rl:{bench:ip}:ban", "rl:{bench:ip}:window")

    def limiter(tokens: str) -> None:
        pipe = client.pipeline(transaction=False)
        pipe.execute_command("EVAL", _ADMIT, 2, *keys, 1, 61)
        if tokens == "with":
            cache_versions.queue_read(pipe)
        answers = pipe.execute()
        if tokens == "with":
            cache_versions.remember(answers[1:])
        if tokens == "apart":
            pipe = client.pipeline(transaction=False)
            cache_versions.queue_read(pipe)
            pipe.execute()

    variants = {
        "limiter": "without",
        "limiter + tokens": "with",
        "limiter, tokens apart": "apart",
    }
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in variants}
    for _ in range(rounds):
        for name, tokens in variants.items():
            wall0, cpu0 = time.perf_counter(), time.process_time()
            for _ in range(requests):
                limiter(tokens)
            wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
            results[name].append((wall / requests * 1e6, cpu / requests * 1e6))
    client.delete(*keys)
    return results


def _subscriber(redis_url: str, busy: bool, ready: Any, done: Any, lags: Any) -> None:
    """A web process's listener thread; with ``busy`` its main thread computes meanwhile."""
    import threading

    import redis

    client = redis.Redis.from_url(redis_url)
    pubsub = client.pubsub()
    pubsub.subscribe(CHANNEL)
    received: list[float] = []

    def listen() -> None:
        for message in pubsub.listen():
            if message["type"] != "message":
                continue
            if message["data"] == b"stop":
                return
            received.append(time.time() - float(message["data"]))

    thread = threading.Thread(target=listen)
    thread.start()
    ready.set()
    while thread.is_alive():
        if busy:
            sum(i * i for i in range(20_000))  # a request's worth of Python, holding the GIL
        else:
            time.sleep(0.01)
    lags.extend(received)
    done.set()


def pubsub_lag(redis_url: str, messages: int, busy: bool) -> list[float]:
    """Delivery lag (ms) of each published invalidation to a subscribing process."""
    import redis

    manager = multiprocessing.Manager()
    ready, done, lags = manager.Event(), manager.Event(), manager.list()
    process = multiprocessing.Process(target=_subscriber, args=(redis_url, busy, ready, done, lags))
    process.start()
    ready.wait(30)
    time.sleep(0.5)
    client = redis.Redis.from_url(redis_url)
    for _ in range(messages):
        client.publish(CHANNEL, repr(time.time()))
        time.sleep(0.01)
    client.publish(CHANNEL, "stop")
    done.wait(60)
    process.join(60)
    return sorted(lag * 1000 for lag in lags)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--requests", type=int, default=3000)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--messages", type=int, default=300)
    p.add_argument("--redis", default=os.environ.get("REDIS_URL", DEFAULT_REDIS))
    args = p.parse_args()
    _setup(args.redis)
    load = os.getloadavg()[0]
    results = round_trips(args.requests, args.rounds)
    print(f"{args.requests} requests x {args.rounds} rounds, {args.redis}, load {load:.1f}")
    print()
    print("| per request | wall µs (median of rounds) | client CPU µs (median of rounds) |")
    print("|---|---|---|")
    for name, per_round in results.items():
        wall = statistics.median(w for w, _ in per_round)
        cpu = statistics.median(c for _, c in per_round)
        print(f"| {name} | {wall:.0f} | {cpu:.0f} |")
    print()
    print("| pub/sub listener | messages | lag p50 ms | p99 ms | max ms | load |")
    print("|---|---|---|---|---|---|")
    for busy in (False, True):
        lags = pubsub_lag(args.redis, args.messages, busy)
        name = "main thread busy in Python" if busy else "idle process"
        print(
            f"| {name} | {len(lags)} | {lags[len(lags) // 2]:.2f} | "
            f"{lags[int(len(lags) * 0.99)]:.2f} | {lags[-1]:.2f} | {os.getloadavg()[0]:.1f} |"
        )


if __name__ == "__main__":
    main()
