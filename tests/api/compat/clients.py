"""The real clients, pointed at the live exchange with only their URLs changed."""

from __future__ import annotations

import re

import ccxt
from binance.client import Client

from tests.api.compat.conftest import LiveExchange, Trader


def with_host(exchange: ccxt.Exchange, live: LiveExchange) -> ccxt.Exchange:
    """Every REST base URL's host replaced by the live exchange's; paths kept as Binance's."""
    for name, url in exchange.urls["api"].items():
        if isinstance(url, str):
            exchange.urls["api"][name] = re.sub(r"^https://[^/]+", live.url, url)
    return exchange


def ccxt_binance(
    live: LiveExchange, trader: Trader | None = None, **options: object
) -> ccxt.binance:
    """ccxt's binance class with its DEFAULT options (``options`` adds usage ones only)."""
    exchange = ccxt.binance(
        {
            "apiKey": trader.key if trader else None,
            "secret": trader.secret if trader else None,
            "enableRateLimit": False,
            "options": options,
        }
    )
    return with_host(exchange, live)


def binance_client(live: LiveExchange, trader: Trader | None = None) -> Client:
    class LocalClient(Client):
        API_URL = f"{live.url}/api"

    return LocalClient(trader.key if trader else None, trader.secret if trader else None)
