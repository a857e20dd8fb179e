"""The web process's share of the fan-out, alone: CPU per burst in ``Hub.dispatch``.

    .venv/bin/python bench/ws_fanout_hub.py [--clients 1000] [--bursts 2000]
        [--before /tmp/tree-before] [--rounds 3]

``bench/ws_fanout.py`` measures engine-to-client latency end to end, which on a
shared machine is dominated by Redis pub/sub and scheduling noise. This times
only what a web process does per market-data burst: route each message, render
it (since ADR 0029: the typed event into Binance's frame, once per message),
frame it once, and join each client's frames into wire bytes
(``outlet.Burst.join``). ``--clients`` listeners are registered on
``btcusdt@depth`` and ``btcusdt@trade`` in the combined form, as in
``ws_fanout.py``; a burst is one depth diff (10 levels a side) and 3 trades.

With ``--before <dir>`` (a ``git archive`` of an earlier commit) each round runs
the earlier tree's hub and then this tree's, each in its own process, and the
ratio after/before of the median CPU µs per burst is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEPTH = {
    "kind": "depth_update",
    "symbol": "BTCUSDT",
    "time": 1_700_000_000_000,
    "first_update_id": 1001,
    "last_update_id": 1004,
    "bids": [[f"{1000 - i}.5", f"0.{i + 1}"] for i in range(10)],
    "asks": [[f"{1001 + i}.5", f"0.{i + 1}"] for i in range(10)],
}


def trade(trade_id: int) -> dict[str, Any]:
    return {
        "kind": "trade",
        "symbol": "BTCUSDT",
        "time": 1_700_000_000_000,
        "trade_id": trade_id,
        "price": "1000.5",
        "qty": "0.25",
        "trade_time": 1_700_000_000_000,
        "buyer_is_maker": trade_id % 2 == 0,
    }


class Client:
    """A listener that does what a connection does with its frames: join them once."""

    combined = True

    def deliver(self, frames: list[Any], burst: Any) -> None:
        burst.join(frames)


def binance_burst() -> list[tuple[str, str]]:
    """The earlier tree's burst: what its market data published (rendered by this tree's
    Binance renderers, so both trees send the same bytes)."""
    from api.compat.binance import streams as render

    return [
        ("md-stream:btcusdt@depth", render.depth_update(DEPTH)),
        *(("md-stream:btcusdt@trade", render.trade(trade(i))) for i in (1, 2, 3)),
    ]


def run_tree(tree: Path, clients: int, bursts: int, burst_file: Path) -> float:
    code = (
        "import sys, json; sys.path.insert(0, sys.argv[1]);"
        f"import runpy; m = runpy.run_path({str(Path(__file__))!r}, run_name='bench');"
        "print(m['child'](sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(tree), str(clients), str(bursts), str(burst_file)],
        cwd=tree,
        capture_output=True,
        text=True,
        check=True,
        env={k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")},
    )
    return float(done.stdout.strip().splitlines()[-1])


def child(tree: str, clients: int, bursts: int, burst_file: str) -> float:
    """Entry point of one measuring process (``sys.path`` starts at ``tree``)."""
    global binance_burst_in
    binance_burst_in = json.loads(Path(burst_file).read_text())
    return _measure(clients, bursts)


binance_burst_in: list[tuple[str, str]] = []


def _measure(clients: int, bursts: int) -> float:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "exchange.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from api.ws import hub as hub_module

    hub = hub_module.Hub("redis://unused")
    typed = hasattr(hub_module, "Render")
    listeners = [Client() for _ in range(clients)]
    if typed:
        from api.ws.stream_names import parse_shape

        burst: list[tuple[str, str]] = []
        for name, events in (
            ("btcusdt@depth", [DEPTH]),
            ("btcusdt@trade", [trade(i) for i in (1, 2, 3)]),
        ):
            source = parse_shape(name)
            assert source is not None
            hub.routes.setdefault(source[0], {})[(name, source[1])] = set(listeners)
            burst += [(source[0], json.dumps(e, separators=(",", ":"))) for e in events]
    else:
        burst = [tuple(item) for item in binance_burst_in]  # type: ignore[misc]
        for name in ("btcusdt@depth", "btcusdt@trade"):
            hub.routes.setdefault(f"md-stream:{name}", {})[name] = set(listeners)
    samples = []
    for _ in range(bursts):
        started = time.process_time()
        hub.dispatch(burst)
        samples.append(time.process_time() - started)
    return statistics.median(samples) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--bursts", type=int, default=2000)
    parser.add_argument("--before", type=Path, help="an earlier tree (git archive) to compare")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    burst_file = Path("/tmp") / f"ws_fanout_hub_burst_{os.getpid()}.json"
    burst_file.write_text(json.dumps(binance_burst()))
    trees = [("before", args.before), ("after", ROOT)] if args.before else [("after", ROOT)]
    results: dict[str, list[float]] = {name: [] for name, _ in trees}
    print(
        f"{args.clients} combined clients on depth+trade, {args.bursts} bursts, median CPU µs/burst"
    )
    for round_ in range(1, args.rounds + 1):
        for name, tree in trees:
            us = run_tree(tree, args.clients, args.bursts, burst_file)
            results[name].append(us)
            print(f"round {round_} {name}: {us:,.0f} µs", flush=True)
    burst_file.unlink()
    if args.before:
        before, after = statistics.median(results["before"]), statistics.median(results["after"])
        print(f"median before {before:,.0f} µs, after {after:,.0f} µs, ratio {after / before:.3f}")


if __name__ == "__main__":
    main()
