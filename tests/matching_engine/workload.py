"""A seeded generator of command streams that exercises every rule of the engine."""

from __future__ import annotations

import random
from collections.abc import Iterator

import msgpack

from matching_engine.protocol import (
    OrderType,
    TimeInForce,
    encode_cancel,
    encode_cancel_all,
    encode_halt,
    encode_market_create,
    encode_place,
    encode_resume,
    encode_snapshot_request,
)
from tests.matching_engine.support import BUY, SELL, SYMBOL

_STOP_TYPES = (
    OrderType.STOP_LOSS,
    OrderType.STOP_LOSS_LIMIT,
    OrderType.TAKE_PROFIT,
    OrderType.TAKE_PROFIT_LIMIT,
)


def _garbage(rng: random.Random) -> bytes:
    choice = rng.randrange(6)
    if choice == 0:
        return rng.randbytes(rng.randrange(0, 20))
    if choice == 1:
        return msgpack.packb([1, 1, "x", 2, 0, 0, 0, 1, 1, 0, 0, 1, 0])
    if choice == 2:
        return msgpack.packb([2, 1])
    if choice == 3:
        return msgpack.packb([1, 99, 1, 2])
    if choice == 4:
        return msgpack.packb({"v": 1, "c": 1})
    return msgpack.packb([1, 1, 5, 1, 0, 0, 0, 1.5, 1, 0, 0, 1, 0])


def generate(seed: int, count: int, *, users: int = 40) -> Iterator[bytes]:
    """Yield a MARKET_CREATE and then `count` commands, the same ones for the same seed."""
    rng = random.Random(seed)
    yield encode_market_create(symbol=SYMBOL, dedupe_window=20_000)
    mid = 1_000
    next_id = 1
    placed: list[tuple[int, int]] = []
    halted = False
    emitted = 0
    while emitted < count:
        emitted += 1
        if rng.random() < 0.05:
            mid = min(5_000, max(200, mid + rng.choice((-1, 1)) * rng.randint(1, 4)))
        if halted and rng.random() < 0.2:
            halted = False
            yield encode_resume()
            continue
        user = rng.randint(1, users)
        side = rng.choice((BUY, SELL))
        stp = rng.choices((0, 1, 2, 3), weights=(70, 10, 10, 10))[0]
        r = rng.random()
        if r < 0.50:
            offset = rng.randint(-3, 15)
            price = mid - offset if side == BUY else mid + offset
            qty = rng.randint(1, 20)
            maker_only = rng.random() < 0.1
            tif = TimeInForce.GTC if maker_only else rng.choices((0, 1, 2), weights=(70, 20, 10))[0]
            lock = price * qty if side == BUY else qty
            if rng.random() < 0.2:
                lock += rng.randint(0, 50)
            if rng.random() < 0.01:
                lock -= 1  # rejected: lock below notional
            command = encode_place(
                order_id=next_id,
                user_id=user,
                side=side,
                order_type=OrderType.LIMIT_MAKER if maker_only else OrderType.LIMIT,
                time_in_force=tif,
                price=price,
                quantity=qty,
                lock=lock,
                stp=stp,
            )
        elif r < 0.58:
            by_quote = rng.random() < 0.4
            qty = 0 if by_quote else rng.randint(1, 40)
            quote = rng.randint(1, 40 * mid) if by_quote else 0
            if side == BUY:
                lock = quote if by_quote else rng.randint(qty * mid // 3, qty * mid * 2 + 1)
            else:
                lock = rng.randint(1, 40) if by_quote else qty
            command = encode_place(
                order_id=next_id,
                user_id=user,
                side=side,
                order_type=OrderType.MARKET,
                quantity=qty,
                quote_amount=quote,
                lock=lock,
                stp=stp,
            )
        elif r < 0.65:
            order_type = rng.choice(_STOP_TYPES)
            rising = (order_type in (OrderType.STOP_LOSS, OrderType.STOP_LOSS_LIMIT)) == (
                side == BUY
            )
            distance = rng.randint(-3, 25)  # mostly away from the price, sometimes at once
            stop = max(1, mid + distance if rising else mid - distance)
            limit_priced = order_type in (OrderType.STOP_LOSS_LIMIT, OrderType.TAKE_PROFIT_LIMIT)
            price = max(1, stop + rng.randint(-5, 5)) if limit_priced else 0
            by_quote = not limit_priced and rng.random() < 0.3
            qty = 0 if by_quote else rng.randint(1, 20)
            quote = rng.randint(1, 20 * mid) if by_quote else 0
            if side == BUY:
                lock = price * qty if limit_priced else (quote or qty * stop * 2)
            else:
                lock = rng.randint(1, 20) if by_quote else qty
            # A third are trailing stops (BIPS), half of them trailing at once.
            trail = rng.randint(1, 800) if rng.random() < 0.33 else 0
            command = encode_place(
                order_id=next_id,
                user_id=user,
                side=side,
                order_type=order_type,
                time_in_force=rng.choice((0, 1, 2)) if limit_priced else 0,
                price=price,
                quantity=qty,
                quote_amount=quote,
                stop_price=0 if trail and rng.random() < 0.5 else stop,
                lock=lock,
                stp=stp,
                trailing_delta=trail,
            )
        elif r < 0.90:
            if not placed:
                yield encode_cancel_all(user_id=user)
                continue
            oid, owner = placed[-rng.randint(1, min(len(placed), 3_000))]
            if rng.random() < 0.03:
                owner += 1
            yield encode_cancel(order_id=oid, user_id=owner)
            continue
        elif r < 0.92:
            yield encode_cancel_all(user_id=user)
            continue
        elif r < 0.93:
            if not placed:
                yield encode_cancel_all(user_id=user)
                continue
            oid, owner = placed[-rng.randint(1, len(placed))]
            yield encode_place(
                order_id=oid,
                user_id=owner,
                side=side,
                order_type=OrderType.LIMIT,
                price=mid,
                quantity=1,
                lock=mid,
            )
            continue
        elif r < 0.932:
            halted = True
            yield encode_halt()
            continue
        elif r < 0.937:
            yield _garbage(rng)
            continue
        elif r < 0.938:
            yield encode_snapshot_request()
            continue
        else:
            yield encode_cancel_all(user_id=user)
            continue
        placed.append((next_id, user))
        next_id += 1
        yield command
