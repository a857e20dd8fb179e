"""Redis pub/sub channel names, one namespace per Redis database.

Redis keeps a single pub/sub namespace per server: a PUBLISH reaches every
subscriber, whatever database each connection selected. Two exchanges sharing a
server by database number (two test runs on one machine, a demo beside staging)
would hear each other's events: another exchange's balances on a trader's page,
its trades on the tape, its depth diffs breaking the local book. So every channel
name carries the database number, unless it is 0 (database 0, the only one a
Redis Cluster has, keeps the plain names deployments already use).
"""

from __future__ import annotations

from functools import cache

from django.conf import settings
from redis.connection import parse_url


def channel(name: str) -> str:
    """``name`` in this exchange's pub/sub namespace (``db13:user-events:7``)."""
    return _prefix(settings.REDIS_URL) + name


@cache
def _prefix(url: str) -> str:
    database = int(parse_url(url).get("db", 0) or 0)
    return f"db{database}:" if database else ""
