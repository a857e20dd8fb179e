"""Input refused at the boundary, counted per surface and reason (Prometheus, ``/metrics``).

A probe or a broken client shows as a rising ``exchange_input_refused_total``
for one surface and reason long before anyone reads a log. Counted: a field
the typed request refused (reason: the domain's code, e.g. ``INVALID_PRICE``),
a body the bounded JSON loader refused (``JSON_TOO_DEEP``, ...), a NUL in the
request (``NUL``), a GraphQL document over its limits or invalid, a malformed
WebSocket request, and the surfaces' own parameter errors. Business refusals
(insufficient funds, an order not found) are not input and are not counted.
Reasons come from closed sets (error enums, fixed names), so the label stays
small.
"""

from __future__ import annotations

from prometheus_client import Counter

from exchange.core.errors import DomainError

INPUT_REFUSED = Counter(
    "exchange_input_refused",
    "Requests refused for their input, per surface and reason.",
    ["surface", "reason"],
)
REST, BINANCE, GRAPHQL, FMZ, WEBSOCKET = "rest", "binance", "graphql", "fmz", "websocket"


def surface_of(path: str) -> str:
    """The surface a request path addresses (the Binance paths: ``/api/v3``, ``/sapi``)."""
    if path.startswith(("/api/v3/", "/sapi/")):
        return BINANCE
    if path.startswith("/graphql"):
        return GRAPHQL
    if path.startswith("/fmz/"):
        return FMZ
    return REST


def count_refusal(surface: str, reason: str) -> None:
    INPUT_REFUSED.labels(surface=surface, reason=reason).inc()


def count_field_error(surface: str, exc: DomainError) -> None:
    """Count a domain error if it names the client's fields (a parse refusal)."""
    if exc.fields:
        count_refusal(surface, exc.code.value)
