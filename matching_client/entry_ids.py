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


def stream_fields(reply: Any, field: bytes) -> list[tuple[bytes, bytes]]:
    """(ID, value of ``field`` or b"") of each entry with fields of a one-stream XREAD reply.

    Takes a reply as redis-py parses it (entries as (ID, dict)) or as the server
    sends it (entries as [ID, [field, value, ...]], see
    `client.unparsed_stream_client`), in RESP2 or RESP3 shape.
    """
    if not reply:
        return []
    entries = next(iter(reply.values())) if isinstance(reply, dict) else reply[0][1]
    if entries and isinstance(entries[0], list) and entries[0] and type(entries[0][0]) is tuple:
        entries = entries[0]  # parsed RESP3: the stream's entries come wrapped in a list
    out: list[tuple[bytes, bytes]] = []
    for entry in entries:
        if not entry:
            continue
        entry_id, fields = entry
        if not fields:
            continue
        if type(fields) is dict:
            out.append((entry_id, fields.get(field, b"")))
        elif len(fields) == 2 and fields[0] == field:
            out.append((entry_id, fields[1]))
        else:
            it = iter(fields)
            out.append((entry_id, dict(zip(it, it, strict=False)).get(field, b"")))
    return out
