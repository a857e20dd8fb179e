"""The shapes of the events one process sends another, in the project's own names.

Producers (clearing, the wallet actions, market data) and consumers (the
WebSocket streams in ``api/ws``, ``orders.outcome``) import the same
``TypedDict`` schemas; ``schema.check`` holds an event to its schema in the
tests (Zulip's ``event_schema``). Dialects (Binance's one-letter keys) are the
adapters' business, never these.
"""
