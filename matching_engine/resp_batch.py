"""A batch's RESP work in the compiled core: split an XREAD reply, frame the XADDs.

The engine reads and writes one stream entry per command, so per-entry work outside
the state machine shows up in every command's cost. Here it is done in plain loops
over bytes that mypyc compiles (ADR 0055): `read_entries` takes the entries of the
usual shape (one field `d`) out of a reply buffer, `frame_xadds` builds the XADD
pipeline of a batch's outputs together with the exact replies Redis sends when every
XADD succeeds, so that they are checked with one comparison. `RespConnection` keeps
the general parser, which handles everything else and which the tests hold these
equal to.
"""

from __future__ import annotations

from typing import Final

# An entry whose only field is `d`:
#   *2 CRLF $<n> CRLF <id> CRLF *2 CRLF $1 CRLF d CRLF $<m> CRLF <blob> CRLF
_ENTRY_HEAD: Final = b"*2\r\n$"
_FIELD_HEAD: Final = b"\r\n*2\r\n$1\r\nd\r\n$"
_FIELD_HEAD_LEN: Final = len(_FIELD_HEAD)
_CR: Final = 13
_LF: Final = 10
_ZERO: Final = 48
_NINE: Final = 57
_MAX_DIGITS: Final = 12

# XADD <key> <id> d <blob>: per output the id's length and the id, the field and the
# blob's length, the blob; each entry's closing CRLF goes out with the next one's head.
_CRLF: Final = b"\r\n"
_SHORT: Final = 1024  # lengths below this have their RESP heads precomputed
_BULK_HEADS: Final = [b"$%d\r\n" % n for n in range(_SHORT)]
_NEXT_BULK_HEADS: Final = [_CRLF + h for h in _BULK_HEADS]
_FIELD_BLOB_HEADS: Final = [b"\r\n$1\r\nd" + _NEXT_BULK_HEADS[n] for n in range(_SHORT)]
# Per stream key: the XADD head (command and key) with each id length, without and
# with the CRLF that closes the entry before.
_XADD_HEADS: Final[dict[bytes, tuple[list[bytes], list[bytes]]]] = {}


def _length(buf: bytes, i: int, end: int) -> tuple[int, int]:
    """Parse `<digits> CRLF` at `i`: (value, index after the CRLF), or (-1, i) if the
    buffer does not hold it whole or it is malformed."""
    n = 0
    j = i
    while j < end:
        c = buf[j]
        if _ZERO <= c <= _NINE:
            n = n * 10 + c - _ZERO
            j += 1
            if j - i > _MAX_DIGITS:
                return -1, i
            continue
        if j == i or c != _CR or j + 1 >= end or buf[j + 1] != _LF:
            return -1, i
        return n, j + 2
    return -1, i


def read_entries(buf: bytes, pos: int, count: int, out: list[tuple[bytes, bytes | None]]) -> int:
    """Append to `out` up to `count` entries of the usual shape that `buf` holds whole
    from `pos` on; return the position after the last one taken.

    Stops at the first entry that is incomplete or shaped otherwise (more fields, a
    field other than `d`): the caller reads that one with the general parser.
    """
    end = len(buf)
    while count > 0:
        if buf[pos : pos + 5] != _ENTRY_HEAD:
            break
        id_len, i = _length(buf, pos + 5, end)
        if id_len < 0:
            break
        j = i + id_len
        if buf[j : j + _FIELD_HEAD_LEN] != _FIELD_HEAD:
            break
        blob_len, k = _length(buf, j + _FIELD_HEAD_LEN, end)
        if blob_len < 0:
            break
        stop = k + blob_len
        if stop + 2 > end or buf[stop] != _CR or buf[stop + 1] != _LF:
            break
        out.append((buf[i:j], buf[k:stop]))
        pos = stop + 2
        count -= 1
    return pos


def _bulk_head(heads: list[bytes], n: int, before: bytes) -> bytes:
    """`heads[n]`, or the same head built for a length beyond the table."""
    return heads[n] if n < len(heads) else before + b"$%d\r\n" % n


def _xadd_heads(head: bytes) -> tuple[list[bytes], list[bytes]]:
    heads = _XADD_HEADS.get(head)
    if heads is None:
        first = [head + h for h in _BULK_HEADS[:64]]
        heads = _XADD_HEADS[head] = (first, [_CRLF + h for h in first])
    return heads


def frame_xadds(
    head: bytes, outputs: list[tuple[bytes, bytes]], tail: bytes
) -> tuple[bytes, bytes]:
    """Return the pipeline `head <id> d <blob>` per output followed by `tail`, and the
    replies it gets when every XADD succeeds: each entry's own id as a bulk string.

    `head` is `*5 $4 XADD $<len> <key>` with its CRLFs, as `encode_command` writes it.
    """
    first, following = _xadd_heads(head)
    parts: list[bytes] = []
    replies: list[bytes] = []
    xadd, xadd_before, reply, reply_before = first, head, _BULK_HEADS, b""
    following_before = _CRLF + head
    for entry_id, blob in outputs:
        n = len(entry_id)
        parts.append(_bulk_head(xadd, n, xadd_before))
        parts.append(entry_id)
        parts.append(_bulk_head(_FIELD_BLOB_HEADS, len(blob), b"\r\n$1\r\nd\r\n"))
        parts.append(blob)
        replies.append(_bulk_head(reply, n, reply_before))
        replies.append(entry_id)
        xadd, xadd_before = following, following_before
        reply, reply_before = _NEXT_BULK_HEADS, _CRLF
    if outputs:
        parts.append(_CRLF)
        replies.append(_CRLF)
    parts.append(tail)
    return b"".join(parts), b"".join(replies)
