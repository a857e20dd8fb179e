"""Tell the matching engine a market's state: created, then trading or halted.

Markets own this message; ``exchange.matching.gateway`` below only carries it.
"""

from __future__ import annotations

import logging

import redis

from exchange.markets.models import Market, MarketStatus
from exchange.matching.gateway import engine_client, send_commands
from matching_client import Command, CreateMarket, HaltMarket, ResumeMarket

logger = logging.getLogger(__name__)


def send_market_state(market: Market) -> bool:
    """MARKET_CREATE (harmless if it exists) and the halt state, then list the market.

    Listed, a market is started by a running ``runengine`` (``--follow``) within
    seconds: a new market needs no engine restart. If Redis fails here, the
    next ``runengine`` start (or the next halt/resume) announces it again.
    """
    state: Command = (
        ResumeMarket(market.symbol)
        if market.status == MarketStatus.TRADING
        else HaltMarket(market.symbol)
    )
    if not send_commands([CreateMarket(market.symbol), state], f"state of {market.symbol}"):
        return False
    try:
        engine_client().register_markets([market.symbol])
    except (redis.RedisError, OSError):
        logger.warning("could not list %s for the engine", market.symbol, exc_info=True)
        return False
    return True
