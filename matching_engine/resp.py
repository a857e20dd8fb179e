"""A minimal RESP2 connection for the engine's hot path: pipelined XADDs and XREAD.

redis-py spends ~20 us per stream entry packing and parsing in pure Python; here a
batch of XADDs plus the next XREAD go out as one buffer, the entries of an XREAD reply
are split by `resp_batch.read_entries` (compiled with the core) and a batch's XADD
replies are checked against the replies expected in one comparison. Everything else
(recovery, snapshots, stats, cluster topology) still goes through redis-py.
"""

from __future__ import annotations

import re
import socket
import ssl
from typing import Any
from urllib.parse import unquote, urlparse

from .resp_batch import read_entries

CRLF = b"\r\n"
_RECV = 1 << 20

_XADD_OK = re.compile(rb"\$\d+\r\n\d+-\d+\r\n")


class RespError(Exception):
    """The server answered with an error reply."""


def encode_command(*args: bytes | str | int) -> bytes:
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        if isinstance(arg, str):
            arg = arg.encode()
        elif isinstance(arg, int):
            arg = b"%d" % arg
        parts.append(b"$%d\r\n%s\r\n" % (len(arg), arg))
    return b"".join(parts)


class RespConnection:
    """One blocking socket to one Redis node. Not thread-safe."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 6379,
        unix_path: str | None = None,
        username: str | None = None,
        password: str | None = None,
        db: int = 0,
        tls: bool = False,
        timeout: float | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.unix_path = unix_path
        self.username = username
        self.password = password
        self.db = db
        self.tls = tls
        self.timeout = timeout
        self._sock: socket.socket | None = None
        self._buf = b""
        self._pos = 0

    @classmethod
    def from_url(cls, url: str, *, timeout: float | None = None) -> RespConnection:
        u = urlparse(url)
        query = dict(p.split("=", 1) for p in u.query.split("&") if "=" in p)
        username = unquote(u.username) if u.username else None
        password = unquote(u.password) if u.password else None
        if u.scheme == "unix":
            return cls(
                unix_path=u.path,
                username=username,
                password=password,
                db=int(query.get("db", "0")),
                timeout=timeout,
            )
        if u.scheme not in ("redis", "rediss"):
            raise ValueError(f"unsupported Redis URL scheme {u.scheme!r}")
        path_db = u.path.lstrip("/")
        return cls(
            host=u.hostname or "127.0.0.1",
            port=u.port or 6379,
            username=username,
            password=password,
            db=int(path_db or query.get("db", "0")),
            tls=u.scheme == "rediss",
            timeout=timeout,
        )

    def connect(self) -> None:
        self.close()
        sock: socket.socket
        if self.unix_path:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(self.timeout)
            sock.connect(self.unix_path)
        else:
            sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.tls:
                sock = ssl.create_default_context().wrap_socket(sock, server_hostname=self.host)
        self._sock = sock
        self._buf = b""
        self._pos = 0
        if self.password is not None:
            if self.username:
                self.call("AUTH", self.username, self.password)
            else:
                self.call("AUTH", self.password)
        if self.db:
            self.call("SELECT", self.db)

    def close(self) -> None:
        if self._sock is not None:
            try:
                self._sock.close()
            finally:
                self._sock = None

    def call(self, *args: bytes | str | int) -> Any:
        self.send(encode_command(*args))
        reply = self.read_reply()
        if isinstance(reply, RespError):
            raise reply
        return reply

    def send(self, data: bytes) -> None:
        if self._sock is None:
            raise ConnectionError("not connected")
        self._sock.sendall(data)

    # --- reading ---------------------------------------------------------------------

    def _fill(self) -> None:
        if self._sock is None:
            raise ConnectionError("not connected")
        chunk = self._sock.recv(_RECV)
        if not chunk:
            raise ConnectionError("connection closed by server")
        self._buf = self._buf[self._pos :] + chunk
        self._pos = 0

    def _line(self) -> bytes:
        end = self._buf.find(CRLF, self._pos)
        while end < 0:
            self._fill()
            end = self._buf.find(CRLF, self._pos)
        start = self._pos
        self._pos = end + 2
        return self._buf[start:end]

    def _bulk(self, n: int) -> bytes:
        while len(self._buf) - self._pos < n + 2:
            self._fill()
        start = self._pos
        self._pos = start + n + 2
        return self._buf[start : start + n]

    def read_reply(self) -> Any:
        """Read one reply of any shape; an error reply is returned as a RespError."""
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"$":
            n = int(rest)
            return None if n < 0 else self._bulk(n)
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self.read_reply() for _ in range(n)]
        if kind == b":":
            return int(rest)
        if kind == b"+":
            return rest
        if kind == b"-":
            return RespError(rest.decode(errors="replace"))
        raise ConnectionError(f"protocol error: {line[:50]!r}")

    def read_expected(self, expected: bytes) -> bool:
        """Consume the next replies if they are exactly `expected`; otherwise consume
        nothing and return False (the caller then reads them one by one).

        Reads on only while what arrived is a prefix of `expected`: a reply that differs
        shows at its first byte, so a shorter answer (errors) never makes this wait.
        """
        n = len(expected)
        while True:
            have = len(self._buf) - self._pos
            if have >= n:
                if not self._buf.startswith(expected, self._pos):
                    return False
                self._pos += n
                return True
            if self._buf[self._pos :] != expected[:have]:
                return False
            self._fill()

    def read_xadd_replies(self, n: int) -> list[RespError]:
        """Read `n` XADD replies; return the error replies (normally none)."""
        errors: list[RespError] = []
        match = _XADD_OK.match
        for _ in range(n):
            m = match(self._buf, self._pos)
            if m is not None:
                self._pos = m.end()
                continue
            reply = self.read_reply()
            if isinstance(reply, RespError):
                errors.append(reply)
        return errors

    def read_xread_reply(self) -> list[tuple[bytes, bytes | None]]:
        """Read the reply to a single-stream XREAD: [(entry id, `d` field or None)]."""
        head = self._line()
        if head == b"*-1":
            return []  # BLOCK timed out
        if head.startswith(b"-"):
            raise RespError(head[1:].decode(errors="replace"))
        if head != b"*1":
            raise ConnectionError(f"unexpected XREAD reply {head[:50]!r}")
        self._line()  # *2
        self._bulk(int(self._line()[1:]))  # stream name
        count = int(self._line()[1:])
        entries: list[tuple[bytes, bytes | None]] = []
        while len(entries) < count:
            # As many whole entries of the usual shape as the buffer holds, at once.
            self._pos = read_entries(self._buf, self._pos, count - len(entries), entries)
            if len(entries) == count:
                break
            # Split across reads, or other fields: take the general path.
            entry = self.read_reply()
            if not isinstance(entry, list) or len(entry) != 2:
                raise ConnectionError("malformed stream entry")
            entry_id, fields = entry
            value = None
            if isinstance(fields, list):
                for i in range(0, len(fields) - 1, 2):
                    if fields[i] == b"d":
                        value = fields[i + 1]
                        break
            entries.append((entry_id, value))
        return entries
