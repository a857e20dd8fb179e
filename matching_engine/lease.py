"""The leader lease of a market: which of its engines writes the output stream.

A hot standby (``--standby``) follows the input and keeps the same state as the
leader, but writes only while it holds ``me:{SYMBOL}:leader``: a key set with
``SET NX PX`` to a token unique to the process and renewed by the holder before it
expires. When the leader dies the key lapses within ``TTL_MS`` and the standby
takes it at its next look, then writes the outputs the leader had not.

Fencing is the output-ID rule, not the token: output ID = input ID, and XADD
refuses an ID not above the stream's last one, so a paused old leader that wakes
up and writes cannot append an entry twice, and (the engine being deterministic)
what it writes is byte for byte what the new leader writes. The token only keeps
the two from doing the same work at once, and lets a leader see it has been
replaced and step down to standby.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import time
from typing import Any

import redis
from redis.cluster import RedisCluster

from .protocol import leader_key, standby_key

log = logging.getLogger("matching_engine")

Client = redis.Redis | RedisCluster

TTL_MS = 500
# Renew (or try to take) the lease this often: a leader keeps it with four tries to
# spare, a standby takes a lapsed one within RENEW_S of the lapse.
RENEW_S = 0.1

# Renew only our own lease; never extend one another process has taken meanwhile.
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
# Release only our own lease (on a graceful stop) so the standby need not wait.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


def new_token() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


class Lease:
    """One process's view of one market's leader lease."""

    def __init__(self, client: Client, symbol: str, token: str) -> None:
        self.client = client
        self.key = leader_key(symbol)
        self.standby_key = standby_key(symbol)
        self.token = token
        self.leading = False
        self._checked_at = float("-inf")
        self._reported_at = float("-inf")

    def held(self) -> bool:
        """Whether this process leads now; renews or tries to take the lease when due."""
        now = time.monotonic()
        if now - self._checked_at < RENEW_S:
            return self.leading
        was = self.leading
        if was:
            renewed: Any = self.client.eval(_RENEW, 1, self.key, self.token, TTL_MS)
            self.leading = bool(renewed)
        else:
            taken: Any = self.client.set(self.key, self.token, nx=True, px=TTL_MS)
            self.leading = bool(taken)
        self._checked_at = now
        if self.leading != was:
            log.warning("%s: %s", self.key, "leading" if self.leading else "lost the lease")
            if self.leading:
                self.client.hdel(self.standby_key, self.token)
        return self.leading

    def report_position(self, last_id: bytes) -> None:
        """As a standby, say how far it has read, so the trimmer keeps the input after it."""
        now = time.monotonic()
        if now - self._reported_at < RENEW_S:
            return
        position = b"%s|%d" % (last_id, int(time.time() * 1000))
        self.client.hset(self.standby_key, self.token, position)
        self._reported_at = now

    def release(self) -> None:
        self.client.hdel(self.standby_key, self.token)
        if self.leading:
            self.client.eval(_RELEASE, 1, self.key, self.token)
            self.leading = False
