"""Typed output entries and events, decoded from the market's output stream."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgpack

from matching_engine.protocol import (
    VERSION,
    CommandType,
    DoneReason,
    EventType,
    ResultCode,
    Side,
)


class ProtocolError(ValueError):
    """An output entry this client cannot decode (malformed, or a newer version)."""


@dataclass(frozen=True, slots=True)
class Trade:
    """One fill. `quote` = price * qty in quote units; `trade_id` counts per market."""

    trade_id: int
    price: int
    qty: int
    quote: int
    taker_side: Side
    taker_order_id: int
    taker_user_id: int
    maker_order_id: int
    maker_user_id: int


@dataclass(frozen=True, slots=True)
class OrderDone:
    """The order left the engine; `unused_lock` goes back to the user's available funds."""

    order_id: int
    user_id: int
    reason: DoneReason
    remaining_qty: int
    remaining_quote: int
    unused_lock: int


@dataclass(frozen=True, slots=True)
class StopTriggered:
    """A pending stop order became a live order at this last trade price."""

    order_id: int
    user_id: int
    last_price: int


@dataclass(frozen=True, slots=True)
class SnapshotTaken:
    state_hash: str


Event = Trade | OrderDone | StopTriggered | SnapshotTaken


@dataclass(frozen=True, slots=True)
class LevelChange:
    """The new total quantity at one price level (0: the level is gone)."""

    side: Side
    price: int
    qty: int


@dataclass(frozen=True, slots=True)
class OutputEntry:
    """The engine's answer to one input entry (same stream ID)."""

    symbol: str
    entry_id: str
    command: CommandType | None  # None when the input could not be decoded
    result: ResultCode
    order_id: int
    user_id: int
    events: tuple[Event, ...]
    levels: tuple[LevelChange, ...]
    first_update_id: int  # Binance's U: 0 when the entry changed no level
    last_update_id: int  # Binance's u

    @property
    def timestamp_ms(self) -> int:
        """The input entry's time (its ID's ms part): the time of every event in it."""
        return int(self.entry_id.partition("-")[0])

    @property
    def accepted(self) -> bool:
        return self.result == ResultCode.OK


def _ints(values: Any, n: int) -> list[int]:
    if not isinstance(values, list) or len(values) != n:
        raise ProtocolError(f"expected {n} fields, got {values!r}")
    for v in values:
        if type(v) is not int:
            raise ProtocolError(f"expected integers, got {values!r}")
    return values


def _event(raw: Any) -> Event:
    if not isinstance(raw, list) or not raw:
        raise ProtocolError(f"bad event {raw!r}")
    kind = raw[0]
    if kind == EventType.TRADE:
        f = _ints(raw, 10)
        return Trade(f[1], f[2], f[3], f[4], Side(f[5]), f[6], f[7], f[8], f[9])
    if kind == EventType.DONE:
        f = _ints(raw, 7)
        return OrderDone(f[1], f[2], DoneReason(f[3]), f[4], f[5], f[6])
    if kind == EventType.STOP_TRIGGERED:
        f = _ints(raw, 4)
        return StopTriggered(f[1], f[2], f[3])
    if kind == EventType.SNAPSHOT and len(raw) == 2 and isinstance(raw[1], str):
        return SnapshotTaken(raw[1])
    raise ProtocolError(f"unknown event {raw!r}")


def decode_output(symbol: str, entry_id: str, blob: bytes) -> OutputEntry:
    """Decode one output entry; raise ProtocolError if it is not a v1 entry."""
    try:
        raw = msgpack.unpackb(blob)
    except Exception as exc:  # msgpack raises several unrelated types
        raise ProtocolError(f"{entry_id}: not msgpack") from exc
    if not isinstance(raw, list) or len(raw) != 9:
        raise ProtocolError(f"{entry_id}: not an output entry")
    version, command, result, order_id, user_id, events, levels, first, last = raw
    if version != VERSION:
        raise ProtocolError(f"{entry_id}: unsupported version {version!r}")
    if not isinstance(events, list) or not isinstance(levels, list):
        raise ProtocolError(f"{entry_id}: malformed entry")
    try:
        _ints([command, result, order_id, user_id, first, last], 6)
        return OutputEntry(
            symbol=symbol,
            entry_id=entry_id,
            command=CommandType(command) if command else None,
            result=ResultCode(result),
            order_id=order_id,
            user_id=user_id,
            events=tuple(_event(e) for e in events),
            levels=tuple(
                LevelChange(Side(f[0]), f[1], f[2]) for f in (_ints(lv, 3) for lv in levels)
            ),
            first_update_id=first,
            last_update_id=last,
        )
    except ValueError as exc:  # an unknown enum value
        if isinstance(exc, ProtocolError):
            raise
        raise ProtocolError(f"{entry_id}: {exc}") from exc
