"""Follow the Redis primary that Sentinel names, for the engine and the platform alike.

After a failover the old primary's address refuses or drops connections; whoever
reconnects asks the sentinels again and reaches the promoted replica.
"""

from __future__ import annotations

from typing import Any

import redis
from redis.sentinel import Sentinel


def parse_sentinels(csv: str) -> list[tuple[str, int]]:
    """``"10.0.0.1:26379,sentinel-1:26379"`` -> ``[("10.0.0.1", 26379), ("sentinel-1", 26379)]``."""
    sentinels: list[tuple[str, int]] = []
    for item in csv.split(","):
        host, sep, port = item.strip().rpartition(":")
        if not sep or not host or not port.isdigit():
            raise ValueError(f"a sentinel is host:port, not {item.strip()!r}")
        sentinels.append((host, int(port)))
    return sentinels


class SentinelPrimary:
    """The primary of ``service`` as the sentinels in ``sentinels_csv`` see it.

    ``url`` is the usual Redis URL; only its database number and password are used.
    """

    def __init__(self, sentinels_csv: str, service: str, url: str) -> None:
        self._watchers = Sentinel(parse_sentinels(sentinels_csv), socket_timeout=2)  # type: ignore[no-untyped-call]
        self._service = service
        self._options: dict[str, Any] = redis.connection.parse_url(url)  # type: ignore[no-untyped-call]

    def address(self) -> tuple[str, int]:
        """Ask the sentinels where the primary is now."""
        host, port = self._watchers.discover_master(self._service)  # type: ignore[no-untyped-call]
        return str(host), int(port)

    def client(self, *, socket_timeout: float) -> redis.Redis:
        """A client whose connections go to the current primary, found again on reconnect."""
        primary: redis.Redis = self._watchers.master_for(  # type: ignore[no-untyped-call]
            self._service,
            socket_timeout=socket_timeout,
            socket_connect_timeout=2,
            db=self._options.get("db", 0),
            password=self._options.get("password"),
        )
        return primary
