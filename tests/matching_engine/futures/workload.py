"""Random command streams for the futures property tests and the benchmark.

Two contracts (BTCUSDT, ETHUSDT) so that cross margin spans contracts, high leverage
and large mark moves so that liquidations, the insurance fund and ADL all happen.
"""

from __future__ import annotations

import random

from matching_engine.futures import protocol as fp
from tests.matching_engine.futures.support import (
    BRACKETS,
    FUNDING_CAP,
    LIQUIDATION_FEE,
    MAKER_FEE,
    TAKER_FEE,
    usdt,
)

ETH = 2
# contract -> (multiplier, first mark in ticks)
CONTRACTS = {1: (100, 600_000), ETH: (10, 300_000)}


def setup_commands() -> list[bytes]:
    out = []
    for cid, (mult, mark) in CONTRACTS.items():
        out.append(
            fp.encode_contract_create(
                contract=cid,
                symbol="BTCUSDT" if cid == 1 else "ETHUSDT",
                multiplier=mult,
                min_notional=usdt(5),
                maker_fee=MAKER_FEE,
                taker_fee=TAKER_FEE,
                liquidation_fee=LIQUIDATION_FEE,
                funding_cap=FUNDING_CAP,
                brackets=BRACKETS,
            )
        )
        out.append(fp.encode_mark_price(contract=cid, price=mark))
    return out


def random_commands(
    rng: random.Random, n: int, users: int = 8, *, trailing: bool = False
) -> list[bytes]:
    """Return setup plus `n` random commands; every id is fresh, some commands fail.

    `trailing` adds TRAILING_STOP_MARKET orders (a different random stream: the seeds
    that pin a scenario keep it without them)."""
    marks = {cid: mark for cid, (_, mark) in CONTRACTS.items()}
    out = setup_commands()
    placed: list[tuple[int, int]] = []
    for next_id in range(1, n + 1):
        user = rng.randrange(1, users + 1)
        cid = rng.choice(list(CONTRACTS))
        roll = rng.random()
        if roll < 0.12:
            out.append(
                fp.encode_deposit(
                    request_id=next_id, user_id=user, amount=usdt(rng.choice((50, 500, 5_000)))
                )
            )
        elif roll < 0.15:
            out.append(
                fp.encode_withdraw(
                    request_id=next_id, user_id=user, amount=usdt(rng.choice((10, 100, 1_000)))
                )
            )
        elif roll < 0.19:
            out.append(
                fp.encode_set_leverage(
                    user_id=user, contract=cid, leverage=rng.choice((1, 5, 20, 50, 100, 125))
                )
            )
        elif roll < 0.30:
            step = rng.choice((-8, -3, -1, 1, 3, 8))
            marks[cid] = max(1, marks[cid] + marks[cid] * step // 100)
            out.append(fp.encode_mark_price(contract=cid, price=marks[cid]))
        elif roll < 0.32:
            rate = rng.randrange(-FUNDING_CAP, FUNDING_CAP + 1)
            out.append(fp.encode_funding(contract=cid, rate=rate))
        elif roll < 0.34:
            out.append(
                fp.encode_set_margin_type(user_id=user, contract=cid, margin_type=rng.randrange(2))
            )
        elif roll < 0.36:
            out.append(
                fp.encode_adjust_isolated_margin(
                    user_id=user,
                    contract=cid,
                    delta=rng.choice((-1, 1)) * usdt(rng.choice((1, 50, 500))),
                )
            )
        elif roll < 0.42:
            otype = rng.randrange(3, 8 if trailing else 7)  # 7: TRAILING_STOP_MARKET
            trail = otype == 7
            close = otype in (4, 6) and rng.random() < 0.3
            offset = rng.randrange(-600, 601)
            stop = max(1, marks[cid] + offset * marks[cid] // 10_000)
            out.append(
                fp.encode_place(
                    order_id=next_id,
                    user_id=user,
                    contract=cid,
                    side=rng.randrange(2),
                    order_type=otype,
                    price=0
                    if otype in (4, 6, 7)
                    else max(1, marks[cid] - offset * marks[cid] // 10_000),
                    quantity=0 if close else rng.choice((1, 10, 100, 500)),
                    stop_price=0 if trail and rng.random() < 0.5 else stop,
                    working_type=rng.randrange(2),
                    close_position=close,
                    callback_rate=rng.randrange(10, 1001) if trail else 0,
                )
            )
            placed.append((next_id, user))
        elif roll < 0.48 and placed:
            oid, owner = rng.choice(placed)
            out.append(fp.encode_cancel(order_id=oid, user_id=owner))
        else:
            otype = rng.choice((0, 0, 0, 1, 2))
            price = (
                0
                if otype == 2
                else max(1, marks[cid] + rng.randrange(-300, 301) * marks[cid] // 10_000)
            )
            out.append(
                fp.encode_place(
                    order_id=next_id,
                    user_id=user,
                    contract=cid,
                    side=rng.randrange(2),
                    order_type=otype,
                    time_in_force=rng.choice((0, 0, 1, 2)) if otype == 0 else 0,
                    price=price,
                    quantity=rng.choice((1, 10, 100, 500, 2_000)),
                    reduce_only=rng.random() < 0.15,
                )
            )
            placed.append((next_id, user))
    return out
