"""PostgreSQL instructions per order of the order-entry statement, counted, tree against tree.

    .venv/bin/python bench/entry_instructions.py --tree pre=/tmp/pre --tree after=. \
        [--prefill 200000] [--orders 500]

CPU seconds per order on this shared 2-core machine vary ±30 % from run to run;
instruction counts do not. For each tree (a checkout, e.g. ``git archive C | tar
-x -C DIR``) a private PostgreSQL 15 cluster (``initdb`` in a temporary folder,
fsync off) gets a database migrated and seeded by that tree's own code
(``bench/pipeline.py``'s ``seed``), with ``--prefill`` journal entries of this
month and two lines each, analysed (0: the bench's fresh, unanalysed tables).
Then a single-user backend (``postgres --single``) runs the tree's PREPAREd
statement for 50 orders, and again for 50 + ``--orders``, under valgrind's
callgrind: the difference divided by ``--orders`` is the backend's
instructions per order, commit and deferred key checks included. Needs
valgrind and the PostgreSQL server binaries (``PG_BIN``); run as root, the
cluster runs as the ``postgres`` user.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.matching_engine.servers import free_port  # noqa: E402

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
WARM = 50
EXECUTE = (
    "EXECUTE {name} (1, 1, 1, 'i-{run}-{n}', 'BUY', 'LIMIT', 'GTC', 'NONE', 'NEW',"
    " 10000, NULL, NULL, 0.00001, NULL, 0.1, now());\n\n"
)
PREFILL = [
    "INSERT INTO wallets_journalentry (reason, reference, memo, created_at)"
    " SELECT 'ORDER_LOCK', 'prefill:' || i, '', date_trunc('month', now()) + i * interval '1 ms'"
    " FROM generate_series(1, %s) i",
    "INSERT INTO wallets_ledgerline (entry_id, account_id, asset_id, bucket, amount{time})"
    " SELECT e.id, 1, 1, v.b, CASE WHEN v.b = 'locked' THEN 1 ELSE -1 END{entry_time}"
    " FROM wallets_journalentry e, (VALUES ('available'), ('locked')) v(b)"
    " WHERE e.reference LIKE 'prefill:%%'",
]


def _as_postgres(command: list[str], **kwargs: object) -> subprocess.CompletedProcess[bytes]:
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    return subprocess.run(command, check=True, **kwargs)  # type: ignore[call-overload, no-any-return]


def seed_tree(tree: Path, url: str, prefill: int, out: Path) -> None:
    """In this process: migrate and seed ``url`` with ``tree``'s code; write its PREPARE."""
    sys.path[:0] = [str(tree), str(tree / "bench")]
    os.chdir(tree)
    import pipeline  # the tree's own bench/pipeline.py

    from tests.matching_engine.servers import RedisServer

    pipeline.recreate_database(url)
    with tempfile.TemporaryDirectory() as tmp:
        redis = RedisServer(Path(tmp) / "redis", appendfsync="everysec")
        redis.start()
        try:
            pipeline.setup_django(url, redis.url)
            pipeline.seed(2)
            from django.db import connection

            from exchange.orders.place_statement import _prepared
            from exchange.wallets.models import LedgerLine

            out.write_text(_prepared().prepare)
            timed = any(f.name == "created_at" for f in LedgerLine._meta.concrete_fields)
            with connection.cursor() as cursor:
                if prefill:
                    cursor.execute(PREFILL[0], [prefill])
                    cursor.execute(
                        PREFILL[1].format(
                            time=", created_at" if timed else "",
                            entry_time=", e.created_at" if timed else "",
                        )
                    )
                    cursor.execute("VACUUM ANALYZE")
        finally:
            assert redis.process is not None
            redis.process.terminate()
            redis.process.wait()


def count(data: Path, db: str, prepare: str, orders: int, work: Path) -> int:
    """Instructions the single-user backend ran for ``orders`` orders past the first WARM."""
    name = prepare.split()[1]
    totals = []
    for run, n in enumerate((WARM, WARM + orders)):
        script = work / f"{db}.{n}.sql"
        text = prepare.strip() + ";\n\n"
        text += "".join(EXECUTE.format(name=name, run=run, n=i) for i in range(n))
        script.write_text(text)
        log = work / f"{db}.{n}.log"
        with script.open("rb") as stdin, log.open("wb") as stderr:
            _as_postgres(
                [
                    "valgrind",
                    "--tool=callgrind",
                    f"--callgrind-out-file={work / f'{db}.{n}.out'}",
                    str(PG_BIN / "postgres"),
                    "--single",
                    "-j",
                    "-D",
                    str(data),
                    db,
                ],
                stdin=stdin,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
            )
        found = re.search(r"Collected : (\d+)", log.read_text())
        assert found, f"no callgrind total in {log}"
        totals.append(int(found.group(1)))
    return (totals[1] - totals[0]) // orders


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tree", action="append", default=[], help="NAME=PATH, in order")
    parser.add_argument("--prefill", type=int, default=200_000, help="entries (0: fresh)")
    parser.add_argument("--orders", type=int, default=500)
    parser.add_argument("--seed", nargs=4, help=argparse.SUPPRESS)  # tree url prefill out
    args = parser.parse_args()
    if args.seed:
        tree, url, prefill, out = args.seed
        seed_tree(Path(tree).resolve(), url, int(prefill), Path(out))
        return
    trees = [tuple(spec.split("=", 1)) for spec in args.tree or ["this=."]]
    work = Path(tempfile.mkdtemp(prefix="entry_instructions_"))
    if os.geteuid() == 0:
        shutil.chown(work, "postgres")
    data, port = work / "data", str(free_port())
    _as_postgres(
        [str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"],
        stdout=subprocess.DEVNULL,
    )
    ctl = [str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(work / "server.log")]
    _as_postgres(
        [*ctl, "-o", f"-p {port} -k {work} -c fsync=off -c jit=off", "start"],
        stdout=subprocess.DEVNULL,
    )
    try:
        for name, path in trees:
            url = f"postgres://postgres@127.0.0.1:{port}/entry_{name}"
            subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--seed",
                    path,
                    url,
                    str(args.prefill),
                    str(work / f"entry_{name}.prepare"),
                ],
                check=True,
            )
    finally:
        _as_postgres([*ctl, "stop"], stdout=subprocess.DEVNULL)
    results = []
    for name, _ in trees:
        started = time.perf_counter()
        prepare = (work / f"entry_{name}.prepare").read_text()
        per_order = count(data, f"entry_{name}", prepare, args.orders, work)
        results.append((name, per_order, time.perf_counter() - started))
    first = results[0][1]
    print(f"prefill {args.prefill} entries, {args.orders} orders; files in {work}")
    print(f"{'tree':>10} {'instructions/order':>20} {'ratio':>7}")
    for name, per_order, _ in results:
        print(f"{name:>10} {per_order:>20,} {per_order / first:>7.3f}")


if __name__ == "__main__":
    main()
