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


# Enum members by wire value: a dict lookup is ~10x faster than calling the enum,
# and clearing decodes every entry of every market.
_SIDES = {int(m): m for m in Side}
_DONE_REASONS = {int(m): m for m in DoneReason}
_COMMANDS = {int(m): m for m in CommandType}
_RESULTS = {int(m): m for m in ResultCode}
_TRADE, _DONE, _STOP, _SNAPSHOT = (
    int(EventType.TRADE),
    int(EventType.DONE),
    int(EventType.STOP_TRIGGERED),
    int(EventType.SNAPSHOT),
)
# The types a list of n integers (not bools) maps to: comparing lists is one C call.
_INT_TYPES = {n: [int] * n for n in (3, 4, 6, 7, 10)}


def _ints(values: Any, n: int) -> list[int]:
    """``values`` if it is a list of ``n`` ints (not bools)."""
    if type(values) is not list or [*map(type, values)] != _INT_TYPES[n]:
        raise ProtocolError(f"expected {n} integers, got {values!r}")
    return values


def _event(raw: Any) -> Event:
    if type(raw) is not list or not raw:
        raise ProtocolError(f"bad event {raw!r}")
    kind = raw[0]
    if kind == _TRADE and type(kind) is int:
        _, trade_id, price, qty, quote, side, taker, taker_user, maker, maker_user = _ints(raw, 10)
        return Trade(
            trade_id, price, qty, quote, _SIDES[side], taker, taker_user, maker, maker_user
        )
    if kind == _DONE and type(kind) is int:
        _, order_id, user_id, reason, qty, quote, unused = _ints(raw, 7)
        return OrderDone(order_id, user_id, _DONE_REASONS[reason], qty, quote, unused)
    if kind == _STOP and type(kind) is int:
        f = _ints(raw, 4)
        return StopTriggered(f[1], f[2], f[3])
    if kind == _SNAPSHOT and type(kind) is int and len(raw) == 2 and isinstance(raw[1], str):
        return SnapshotTaken(raw[1])
    raise ProtocolError(f"unknown event {raw!r}")


def _level(raw: Any) -> LevelChange:
    f = _ints(raw, 3)
    return LevelChange(_SIDES[f[0]], f[1], f[2])


def _check_level(raw: Any) -> None:
    """Raise what ``_level`` raises for ``raw``, without building the LevelChange."""
    _SIDES[_ints(raw, 3)[0]]


def decode_output(symbol: str, entry_id: str, blob: bytes, *, levels: bool = True) -> OutputEntry:
    """Decode one output entry; raise ProtocolError if it is not a v1 entry.

    With ``levels=False`` the level changes are checked but not kept (``levels`` is
    empty): for readers that do not follow the book (clearing), an entry decodes or
    fails exactly as with them, for less.
    """
    try:
        raw = msgpack.unpackb(blob)
    except Exception as exc:  # msgpack raises several unrelated types
        raise ProtocolError(f"{entry_id}: not msgpack") from exc
    if type(raw) is not list or len(raw) != 9:
        raise ProtocolError(f"{entry_id}: not an output entry")
    version, command, result, order_id, user_id, events, changes, first, last = raw
    if version != VERSION:
        raise ProtocolError(f"{entry_id}: unsupported version {version!r}")
    if type(events) is not list or type(changes) is not list:
        raise ProtocolError(f"{entry_id}: malformed entry")
    try:
        _ints([command, result, order_id, user_id, first, last], 6)
        decoded = tuple(map(_event, events)) if events else ()
        if levels:
            level_changes = tuple(map(_level, changes))
        else:
            level_changes = ()
            for change in changes:
                _check_level(change)
        return OutputEntry(
            symbol,
            entry_id,
            _COMMANDS[command] if command else None,
            _RESULTS[result],
            order_id,
            user_id,
            decoded,
            level_changes,
            first,
            last,
        )
    except KeyError as exc:  # an unknown enum value
        raise ProtocolError(f"{entry_id}: unknown value {exc}") from exc
