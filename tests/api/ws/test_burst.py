"""A burst's writes: straight to the socket when nothing is queued, in order, frames
joined once (even when a listener's frames are short-lived objects).

A real socket pair stands for the client connection; the transport is the
part of Twisted's TCP transport the burst reads (its socket, its write buffer)
and records what is handed to ``write`` (the queued path).
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator

import pytest

from api.ws.frames import Frame
from api.ws.outlet import Burst, Outlet


class Transport:
    def __init__(self, sock: socket.socket) -> None:
        self.socket = sock
        self.disconnecting = False
        self.dataBuffer = b""
        self.offset = 0
        self._tempDataLen = 0
        self.written: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.written.append(data)


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    server, client = socket.socketpair()
    server.setblocking(False)
    client.settimeout(5)
    yield server, client
    server.close()
    client.close()


def wire(*texts: str) -> bytes:
    return b"".join(Frame(text).prepared.payloadHybi for text in texts)


def receive(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        data += sock.recv(size - len(data))
    return data


def test_writes_to_one_connection_in_a_burst_arrive_in_order(pair):
    server, client = pair
    transport = Transport(server)
    burst = Burst()
    # given frames made and dropped one at a time (their ids may be reused)
    for text in ['{"e":"a"}', '{"e":"b"}', '{"e":"c"}']:
        burst.write(transport, burst.join([Frame(text)]))
    # then the client gets every frame, in order, and nothing went through write()
    expected = wire('{"e":"a"}', '{"e":"b"}', '{"e":"c"}')
    assert receive(client, len(expected)) == expected
    assert transport.written == []


def test_equal_frame_lists_are_joined_once_and_sent_to_every_connection(pair):
    server, client = pair
    other_server, other_client = socket.socketpair()
    other_server.setblocking(False)
    other_client.settimeout(5)
    frames = [Frame('{"e":"depth"}'), Frame('{"e":"trade"}')]
    burst = Burst()
    first = burst.join(frames)
    second = burst.join(frames)
    burst.write(Transport(server), first)
    burst.write(Transport(other_server), second)
    expected = wire('{"e":"depth"}', '{"e":"trade"}')
    assert first is second
    assert receive(client, len(expected)) == expected
    assert receive(other_client, len(expected)) == expected
    other_server.close()
    other_client.close()


def test_a_connection_with_queued_bytes_is_written_behind_them(pair):
    server, client = pair
    transport = Transport(server)
    transport.dataBuffer = b"queued"
    burst = Burst()
    burst.write(transport, b"next")
    assert transport.written == [b"next"]
    server.send(b"x")
    assert client.recv(10) == b"x"  # nothing else reached the socket


def test_frames_pushed_before_the_handshake_are_sent_after_it_in_order():
    # given an outlet (outside daphne: it sends ASGI messages) that is not open yet
    sent: list[dict[str, object]] = []

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    async def scenario() -> None:
        outlet = Outlet(send, on_overflow=lambda: None)
        # when frames arrive before the handshake is done, then after it
        outlet.push(Frame("one"))
        outlet.push(Frame("two"))
        await asyncio.sleep(0)
        assert sent == []
        outlet.open()
        outlet.push(Frame("three"))
        await asyncio.sleep(0.01)
        outlet.close()

    asyncio.run(scenario())
    # then all are sent, in order, none before the handshake
    assert [m["text"] for m in sent] == ["one", "two", "three"]
