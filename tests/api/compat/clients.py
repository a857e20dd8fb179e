"""The real clients, pointed at the live exchange with only their URLs changed."""

from __future__ import annotations

import ccxt
from binance.client import Client

from tests.api.compat.conftest import LiveExchange, Trader


def ccxt_binance(
    live: LiveExchange, trader: Trader | None = None, **options: object
) -> ccxt.binance:
    exchange = ccxt.binance(
        {
            "apiKey": trader.key if trader else None,
            "secret": trader.secret if trader else None,
            "enableRateLimit": False,
            "options": {
                "fetchMarkets": {"types": ["spot"]},
                "fetchCurrencies": False,
                "fetchMargins": False,
                "warnOnFetchOpenOrdersWithoutSymbol": False,
                **options,
            },
        }
    )
    for name in exchange.urls["api"]:
        exchange.urls["api"][name] = f"{live.url}/api/v3"
    return exchange


def binance_client(live: LiveExchange, trader: Trader | None = None) -> Client:
    class LocalClient(Client):
        API_URL = f"{live.url}/api"

    return LocalClient(trader.key if trader else None, trader.secret if trader else None)
