"""Stream entry ids: ordering them, and the time they carry (the engine's only clock)."""

from __future__ import annotations

from typing import Any

EntryId = tuple[int, int]


def parse_entry_id(entry_id: str) -> EntryId:
    """``"1700000000000-3"`` -> ``(1700000000000, 3)``, which compares in stream order."""
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


def entry_ms(entry_id: str) -> int:
    """The entry's time in ms since the epoch: when Redis accepted the command."""
    return parse_entry_id(entry_id)[0]


def stream_entries(reply: Any) -> list[tuple[bytes, dict[bytes, bytes]]]:
    """The entries of a one-stream XREAD/XREADGROUP reply (RESP2 or RESP3 shape)."""
    if not reply:
        return []
    if isinstance(reply, dict):
        entries = next(iter(reply.values()))
        if entries and isinstance(entries[0], list):
            entries = entries[0]
        return list(entries)
    return list(reply[0][1])
