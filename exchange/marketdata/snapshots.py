"""The spot market-data snapshots in Redis, in the project's own names: keys and schemas.

The market-data process (``store.py``) replaces them after each batch; the
selectors read them for every surface, and each surface renders them in its
own dialect (Binance's field names live in ``api/compat/binance/snapshots.py``).
Keys per market, all with the ``{SYMBOL}`` hash tag so one script replaces them:

* ``depth_key``: a ``DepthSnapshot``, the best ``DEPTH_LEVELS`` levels per side;
* ``trades_key``: the most recent trades, oldest first, as a list of ``PublicTrade``;
* ``ticker_key``: the rolling 24-hour ``SpotTicker24h``.

``SNAPSHOT_VERSION`` is part of every key: a release that changes a schema bumps
it, so a reader never takes a snapshot written in an older schema (it sees
none until the market-data process, which rewrites every snapshot when it
starts, has written the new one; docs/adr/0054-market-data-snapshots-in-the-projects-names.md).
"""

from __future__ import annotations

from typing import TypedDict

from exchange.events.market import Level
from exchange.events.market import SpotTicker24h as SpotTicker24h
from exchange.events.market import Ticker24h as Ticker24h

# 1: the unversioned keys (``md:{SYMBOL}:depth``), in Binance's field names.
SNAPSHOT_VERSION = 2


def depth_key(symbol: str) -> str:
    return f"md:{{{symbol}}}:depth:v{SNAPSHOT_VERSION}"


def trades_key(symbol: str) -> str:
    return f"md:{{{symbol}}}:trades:v{SNAPSHOT_VERSION}"


def ticker_key(symbol: str) -> str:
    return f"md:{{{symbol}}}:ticker:v{SNAPSHOT_VERSION}"


class DepthSnapshot(TypedDict):
    """The book's best levels per side, best first, at the engine's ``last_update_id``
    (a client applies the stream's diffs after it)."""

    last_update_id: int
    bids: list[Level]
    asks: list[Level]


class PublicTrade(TypedDict):
    """One trade as every public trade list shows it (``buyer_maker``: the taker sold)."""

    id: int
    price: str
    qty: str
    quote_qty: str
    time: int
    buyer_maker: bool
