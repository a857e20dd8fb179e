"""WebSocket figures on the web process's ``/metrics``: open connections and slow
clients dropped for a full send queue (docs/deploy.md lists the alerts)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

CONNECTIONS = Gauge(
    "exchange_websocket_connections",
    "Open WebSocket connections on this web process, per endpoint (streams, graphql).",
    ["endpoint"],
)
DROPPED = Counter(
    "exchange_websocket_dropped",
    "Clients dropped because their send queue outgrew WS_SEND_BUFFER_BYTES.",
)
STREAMS, GRAPHQL = "streams", "graphql"
