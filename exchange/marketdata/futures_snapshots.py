"""The perpetual contracts' market-data snapshots in Redis, in the project's own names.

``futures_feed.py`` replaces them after each batch of its margin group's output;
``futures_selectors.py`` reads them, and the surfaces render them (Binance's
USDⓈ-M names: ``api/compat/binance_futures/snapshots.py``). Keys per contract,
with the ``fmd:`` prefix that keeps a contract apart from the spot market of the
same symbol (``md:``), versioned as spot's (``snapshots.SNAPSHOT_VERSION``):

* ``depth_key``: a ``FuturesDepthSnapshot`` (best 1000 levels a side);
* ``trades_key``: the latest fills, oldest first, as a list of ``PublicTrade``;
* ``ticker_key``: the rolling 24-hour ``Ticker24h``;
* ``klines_key``: a hash, interval -> ``KlineRow``s oldest first.
"""

from __future__ import annotations

from exchange.marketdata.snapshots import SNAPSHOT_VERSION, DepthSnapshot


def depth_key(symbol: str) -> str:
    return f"fmd:{{{symbol}}}:depth:v{SNAPSHOT_VERSION}"


def trades_key(symbol: str) -> str:
    return f"fmd:{{{symbol}}}:trades:v{SNAPSHOT_VERSION}"


def ticker_key(symbol: str) -> str:
    return f"fmd:{{{symbol}}}:ticker:v{SNAPSHOT_VERSION}"


def klines_key(symbol: str) -> str:
    return f"fmd:{{{symbol}}}:klines:v{SNAPSHOT_VERSION}"


class FuturesDepthSnapshot(DepthSnapshot):
    """The book with the time of the last output entry applied to it."""

    time: int


# One bar: open time, open, high, low, close, volume, close time, quote volume,
# trades, taker buy volume, taker buy quote volume (decimal strings, ms times).
KlineRow = tuple[int, str, str, str, str, str, int, str, int, str, str]
