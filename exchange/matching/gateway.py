"""Send commands to the matching engine; market-level commands.

Appends happen after the database commit. A failed append is logged, not
raised: the change is already durable, and its sender has a way to repeat it
(the order sweeper, ``runengine``'s announcement, the operator).
"""

from __future__ import annotations

import logging

import redis

from exchange.core.redis import get_redis
from exchange.markets.models import Market, MarketStatus
from matching_client import Command, CreateMarket, HaltMarket, MatchingClient, ResumeMarket

logger = logging.getLogger(__name__)


def engine_client() -> MatchingClient:
    return MatchingClient(get_redis())


def send_commands(commands: list[Command], what: str) -> bool:
    """Append ``commands`` in one round trip; False (logged) when Redis is unreachable."""
    try:
        engine_client().send_many(commands)
    except (redis.RedisError, OSError):
        logger.warning(
            "could not append %s to the engine stream; the sweeper will retry", what, exc_info=True
        )
        return False
    return True


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
