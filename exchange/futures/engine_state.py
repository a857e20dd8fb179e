"""Tell a margin group's engine about a contract: CONTRACT_CREATE carries its spec and
status; sent again, it changes the status (docs/matching-protocol.md, "Futures")."""

from __future__ import annotations

import logging

import redis

from exchange.core.price_status import expect_price
from exchange.core.redis import get_redis
from exchange.futures import units
from exchange.futures.models import Contract, ContractStatus
from matching_engine.futures.protocol import ContractStatus as EngineStatus
from matching_engine.futures.protocol import encode_contract_create
from matching_engine.protocol import FIELD, input_stream

logger = logging.getLogger(__name__)


def margin_group(contract: Contract) -> str:
    """The engine shard (and stream) that owns ``contract``: its margin asset's code."""
    return contract.margin_asset.code


def append(group: str, payload: bytes) -> str:
    """XADD one command to the margin group's input stream; return its entry ID."""
    entry_id = get_redis().xadd(input_stream(group), {FIELD: payload})
    return entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)


def contract_create_command(contract: Contract) -> bytes:
    return encode_contract_create(
        contract=contract.engine_id,
        symbol=contract.symbol,
        multiplier=units.multiplier(contract),
        min_notional=units.to_atoms(contract, contract.min_notional),
        maker_fee=units.to_rate(contract.maker_fee),
        taker_fee=units.to_rate(contract.taker_fee),
        liquidation_fee=units.to_rate(contract.liquidation_fee),
        funding_cap=units.to_rate(contract.funding_cap),
        brackets=units.engine_brackets(contract),
        status=EngineStatus.TRADING
        if contract.status == ContractStatus.TRADING
        else EngineStatus.HALTED,
    )


def send_contract_state(contract: Contract) -> bool:
    """Append the contract's CONTRACT_CREATE; False (logged) when Redis is unreachable.

    Harmless when the engine knows the contract (only its status changes); the next
    ``runfuturesengine`` start announces every contract again. The contract is listed
    as not priced yet until the price feed reports it (``/healthz``).
    """
    try:
        append(margin_group(contract), contract_create_command(contract))
        expect_price(contract.symbol)
    except (redis.RedisError, OSError):
        logger.warning("could not announce contract %s to the engine", contract, exc_info=True)
        return False
    return True
