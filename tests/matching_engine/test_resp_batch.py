"""The compiled per-batch RESP helpers: held equal to the general parser and to Redis."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from matching_engine.protocol import FIELD
from matching_engine.resp import RespConnection, RespError, encode_command
from matching_engine.resp_batch import frame_xadds, read_entries
from tests.matching_engine.servers import RedisServer


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RedisServer]:
    srv = RedisServer(tmp_path / "redis", appendfsync="everysec")
    srv.start()
    yield srv
    srv.kill()


def _entry(entry_id: bytes, fields: list[bytes]) -> bytes:
    """One stream entry as Redis writes it in an XREAD/XRANGE reply."""
    body = b"".join(b"$%d\r\n%s\r\n" % (len(f), f) for f in fields)
    return b"*2\r\n$%d\r\n%s\r\n*%d\r\n%s" % (len(entry_id), entry_id, len(fields), body)


def _random_blob(rng: random.Random) -> bytes:
    return bytes(rng.choice(b"\r\n$*d0123456789abc") for _ in range(rng.randrange(0, 40)))


def test_read_entries_takes_every_usual_entry_and_stops_at_any_other() -> None:
    rng = random.Random(5)
    for _ in range(200):
        # given usual entries (blobs full of CR, LF, $ and digits), then one of another shape
        usual = [(b"%d-%d" % (rng.randrange(10**13), i), _random_blob(rng)) for i in range(20)]
        other = rng.choice(
            [
                _entry(b"9-9", [b"x", b"1", FIELD, b"v"]),  # more fields
                _entry(b"9-9", [b"e", b"v"]),  # a field other than d
                b"*2\r\n$3\r\n9-9\r\n*-1\r\n",  # no fields
            ]
        )
        data = b"".join(_entry(i, [FIELD, b]) for i, b in usual) + other
        start = rng.randrange(0, 5)
        buf = b"?" * start + data

        # when they are split
        out: list[tuple[bytes, bytes | None]] = []
        pos = read_entries(buf, start, 100, out)

        # then every usual one is taken, and the position is where the other one begins
        assert out == usual
        assert buf[pos:] == other


def test_read_entries_leaves_an_entry_that_is_not_whole_and_honours_count() -> None:
    rng = random.Random(6)
    usual = [(b"1-%d" % i, _random_blob(rng)) for i in range(10)]
    ends = []  # where each entry ends in the buffer
    data = b""
    for entry_id, blob in usual:
        data += _entry(entry_id, [FIELD, blob])
        ends.append(len(data))
    for cut in range(len(data) + 1):
        # given a buffer cut anywhere
        out: list[tuple[bytes, bytes | None]] = []
        pos = read_entries(data[:cut], 0, 100, out)

        # then exactly the entries that end before the cut are taken
        whole = sum(1 for end in ends if end <= cut)
        assert out == usual[:whole]
        assert pos == (ends[whole - 1] if whole else 0)

    # and no more than `count`
    out = []
    assert read_entries(data, 0, 3, out) == ends[2]
    assert out == usual[:3]


def test_xread_reply_with_many_entries_equals_xrange(server: RedisServer) -> None:
    # given many entries, some bigger than one socket read, some of another shape
    rng = random.Random(7)
    client = server.client()
    for i in range(3000):
        if i % 500 == 7:
            client.xadd("s", {"x": b"1", FIELD: b"odd"})
        elif i % 700 == 3:
            client.xadd("s", {FIELD: bytes(rng.randrange(256) for _ in range(300_000))})
        else:
            client.xadd("s", {FIELD: _random_blob(rng)})
    conn = RespConnection.from_url(server.url, timeout=5)
    conn.connect()

    # when they are read with the hot-path XREAD parser
    conn.send(encode_command("XREAD", "COUNT", 5000, "STREAMS", "s", "0"))
    entries = conn.read_xread_reply()

    # then they equal what redis-py reads
    expected = [(i, fields.get(FIELD)) for i, fields in client.xrange("s")]
    assert entries == expected
    conn.close()


def test_frame_xadds_is_encode_command_per_output_and_predicts_redis_replies(
    server: RedisServer,
) -> None:
    # given a batch of outputs with explicit IDs
    rng = random.Random(8)
    outputs = [(b"%d-%d" % (1_700_000 + i // 3, i % 3), _random_blob(rng)) for i in range(500)]
    outputs.append((b"1800000-0", b"x" * 5000))  # a length beyond the precomputed heads
    head = b"*5\r\n$4\r\nXADD\r\n$3\r\nout\r\n"  # as the engine writes it for its key
    tail = encode_command("PING")

    # when it is framed
    pipeline, replies = frame_xadds(head, outputs, tail)

    # then the pipeline is one XADD per output, then the tail
    assert pipeline == b"".join(encode_command("XADD", "out", i, "d", b) for i, b in outputs) + tail
    # (ids longer than any Redis writes are framed alike)
    odd = [(b"7" * 70, b"a"), (b"8" * 1100, b"b")]
    assert frame_xadds(head, odd, b"") == (
        b"".join(encode_command("XADD", "out", i, "d", b) for i, b in odd),
        b"".join(b"$%d\r\n%s\r\n" % (len(i), i) for i, _ in odd),
    )

    # and Redis answers exactly the predicted replies
    conn = RespConnection.from_url(server.url, timeout=5)
    conn.connect()
    conn.send(pipeline)
    assert conn.read_expected(replies)
    assert conn.read_reply() == b"PONG"
    assert server.client().xlen("out") == len(outputs)

    # when the same batch is sent again (a replay after a reconnect)
    conn.send(pipeline)

    # then the replies differ at once, nothing is consumed, and the general path reads
    # one refusal per XADD
    assert not conn.read_expected(replies)
    errors = conn.read_xadd_replies(len(outputs))
    assert len(errors) == len(outputs)
    assert all(isinstance(e, RespError) and "equal or smaller" in str(e) for e in errors)
    assert conn.read_reply() == b"PONG"
    conn.close()
