"""A margin group's output entries, decoded (docs/matching-protocol.md, "Futures")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgpack

from matching_engine.protocol import VERSION


class FuturesProtocolError(ValueError):
    """An output entry that is not a futures output of our version."""


@dataclass(frozen=True, slots=True)
class FuturesEntry:
    entry_id: str
    command: int
    result: int
    id: int  # order id, request id or contract id of the command
    user_id: int
    events: list[list[Any]]


def decode_entry(entry_id: str, blob: bytes) -> FuturesEntry:
    try:
        raw = msgpack.unpackb(blob)
    except Exception as exc:  # any undecodable blob is parked, whatever the library raised
        raise FuturesProtocolError(f"not msgpack: {exc}") from None
    if type(raw) is not list or len(raw) != 9 or raw[0] != VERSION:
        raise FuturesProtocolError("not a futures output of this version")
    _, command, result, oid, user, events, _levels, _, _ = raw
    if not all(type(v) is int for v in (command, result, oid, user)) or type(events) is not list:
        raise FuturesProtocolError("malformed header")
    if not all(type(e) is list and e and all(type(v) is int for v in e) for e in events):
        raise FuturesProtocolError("malformed event")
    return FuturesEntry(entry_id, command, result, oid, user, events)
