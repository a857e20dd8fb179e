"""Futures margin-group commands of the price feed, and the book view of a group's output.

A margin group's streams are named by its margin asset (`me:{USDT}:in`), so a command's
`symbol` is the group, and the contract travels inside the command. Layouts:
docs/matching-protocol.md, "Futures margin groups".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgpack

from matching_engine.futures.protocol import (
    RATE_SCALE,
    FuturesEvent,
    encode_funding,
    encode_mark_price,
)
from matching_engine.protocol import VERSION

from .events import ProtocolError

__all__ = [
    "RATE_SCALE",
    "ApplyFunding",
    "FuturesCommand",
    "GroupBookChanges",
    "SetMarkPrice",
    "decode_book_changes",
]


@dataclass(frozen=True, slots=True)
class SetMarkPrice:
    """MARK_PRICE: the contract's mark in ticks; the engine liquidates against it at once."""

    symbol: str  # the margin group, e.g. "USDT"
    contract: int
    price: int

    def encode(self) -> bytes:
        return encode_mark_price(contract=self.contract, price=self.price)


@dataclass(frozen=True, slots=True)
class ApplyFunding:
    """FUNDING: every position of the contract pays or receives notional at mark x rate / 10^8."""

    symbol: str
    contract: int
    rate: int

    def encode(self) -> bytes:
        return encode_funding(contract=self.contract, rate=self.rate)


FuturesCommand = SetMarkPrice | ApplyFunding


@dataclass(frozen=True, slots=True)
class GroupBookChanges:
    """What one output entry of a margin group did to its books and last prices.

    `levels`: (contract, side, price ticks, new total lots); `trades`: (contract, price ticks).
    """

    levels: list[tuple[int, int, int, int]]
    trades: list[tuple[int, int]]


def decode_book_changes(blob: bytes) -> GroupBookChanges:
    """Read the level changes and trade prices of one margin-group output entry."""
    try:
        out: Any = msgpack.unpackb(blob)
        version, events, levels = out[0], out[5], out[6]
        changes = GroupBookChanges(
            levels=[(int(c), int(s), int(p), int(t)) for c, s, p, t in levels],
            trades=[(int(e[1]), int(e[3])) for e in events if e[0] == FuturesEvent.TRADE],
        )
    except (ValueError, TypeError, IndexError, KeyError, msgpack.UnpackException) as exc:
        raise ProtocolError(f"malformed margin-group output: {exc}") from exc
    if version != VERSION:
        raise ProtocolError(f"unsupported output version {version!r}")
    return changes
