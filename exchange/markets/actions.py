"""Creating markets, changing their filters, fees and status, and per-user fee overrides.

Each is an operator action: it writes its audit record in the same transaction."""

from __future__ import annotations

import logging
from decimal import Decimal

from django.conf import settings
from django.db import transaction

from exchange.audit.actions import SYSTEM, Operator, snapshot, write_audit_record
from exchange.audit.models import AuditAction
from exchange.core.money import decimal_places, is_multiple_of
from exchange.markets.engine_state import send_market_state
from exchange.markets.errors import MarketError, MarketErrorCode
from exchange.markets.models import FeeOverride, Market, MarketStatus
from exchange.markets.selectors import forget_cached_markets, get_market
from exchange.wallets.models import Asset
from matching_client import ShardMapError, parse_shard_map

logger = logging.getLogger(__name__)


def has_engine(symbol: str) -> bool:
    """Whether an engine will run ``symbol``: any engine when unsharded (``runengine``
    follows the market registry), else only the shard ``ENGINE_SHARDS`` assigns it to
    (a ``runengine --shard`` runs exactly its map's markets, read when it starts)."""
    if not settings.ENGINE_SHARDS:
        return True
    try:
        shards = parse_shard_map(settings.ENGINE_SHARDS)
    except ShardMapError:
        return False
    return any(symbol.upper() in markets for markets in shards.values())


def do_create_market(
    *,
    base: Asset,
    quote: Asset,
    tick_size: Decimal,
    step_size: Decimal,
    min_qty: Decimal,
    max_qty: Decimal,
    min_notional: Decimal = Decimal(0),
    maker_fee: Decimal = Decimal(0),
    taker_fee: Decimal = Decimal(0),
    symbol: str | None = None,
    halt_on_drift: bool = False,
    operator: Operator = SYSTEM,
) -> Market:
    """Create a market whose filters are consistent with each other and its assets.

    On a sharded deployment (``ENGINE_SHARDS`` set) a market no shard lists is
    created HALTED: no engine would match it, so it must not take orders until
    it is added to a shard (and that shard restarted) and resumed.
    """
    problems = []
    if base.pk == quote.pk:
        problems.append("base and quote must differ")
    if tick_size <= 0 or step_size <= 0:
        problems.append("tick_size and step_size must be positive")
    if not (0 < min_qty <= max_qty) or not is_multiple_of(min_qty, step_size):
        problems.append("need 0 < min_qty <= max_qty, min_qty a multiple of step_size")
    if decimal_places(tick_size) > quote.precision:
        problems.append(f"tick_size finer than {quote.code} precision")
    if decimal_places(tick_size) + decimal_places(step_size) > quote.precision:
        problems.append(
            f"tick_size x step_size (one trade's quote unit) finer than {quote.code} precision"
        )
    if decimal_places(step_size) > base.precision:
        problems.append(f"step_size finer than {base.code} precision")
    if problems:
        raise MarketError(MarketErrorCode.INVALID_MARKET, "; ".join(problems) + ".")
    symbol = (symbol or f"{base.code}{quote.code}").upper()
    status = MarketStatus.TRADING
    if not has_engine(symbol):
        status = MarketStatus.HALT
        logger.warning(
            "market %s created HALTED: ENGINE_SHARDS lists it in no shard, so no engine "
            "matches it; add it to a shard, restart that shard, then resume the market",
            symbol,
        )
    with transaction.atomic():
        market = Market.objects.create(
            symbol=symbol,
            status=status,
            base=base,
            quote=quote,
            tick_size=tick_size,
            step_size=step_size,
            min_qty=min_qty,
            max_qty=max_qty,
            min_notional=min_notional,
            maker_fee=maker_fee,
            taker_fee=taker_fee,
            halt_on_drift=halt_on_drift,
        )
        write_audit_record(
            operator=operator,
            action=AuditAction.MARKET_CREATE,
            target=market,
            after=snapshot(market, MARKET_AUDIT_FIELDS),
        )
        forget_cached_markets()
        transaction.on_commit(lambda: send_market_state(market))
    return market


# The fields an audit record of a market shows before and after.
MARKET_AUDIT_FIELDS = (
    "symbol",
    "base",
    "quote",
    "status",
    "tick_size",
    "step_size",
    "min_qty",
    "max_qty",
    "min_notional",
    "max_notional",
    "maker_fee",
    "taker_fee",
    "halt_on_drift",
)
# What an operator may change on a live market: the engine's tick and step stay fixed.
MARKET_CHANGEABLE = (
    "min_qty",
    "max_qty",
    "min_notional",
    "max_notional",
    "maker_fee",
    "taker_fee",
    "halt_on_drift",
)


def do_set_market_status(
    *, symbol: str, status: MarketStatus, operator: Operator = SYSTEM
) -> Market:
    """Halt, break or resume trading: order entry checks the status, the engine is told too.

    HALT and BREAK both halt the engine (no matching; cancels still work).
    """
    market = get_market(symbol)
    with transaction.atomic():
        before = (
            Market.objects.select_for_update().values_list("status", flat=True).get(pk=market.pk)
        )
        Market.objects.filter(pk=market.pk).update(status=status)
        market.status = status
        write_audit_record(
            operator=operator,
            action=AuditAction.MARKET_STATUS,
            target=market,
            before={"status": before},
            after={"status": str(status)},
        )
        forget_cached_markets()
        transaction.on_commit(lambda: send_market_state(market))
    return market


def do_change_market(
    *, symbol: str, operator: Operator, **changes: Decimal | bool | None
) -> Market:
    """Change a market's quantity and notional limits or its fees.

    Tick and step size, assets and status change only by their own paths: the
    engine's integers are read with them.
    """
    unknown = set(changes) - set(MARKET_CHANGEABLE)
    if unknown:
        raise MarketError(
            MarketErrorCode.INVALID_MARKET, f"Cannot change {', '.join(sorted(unknown))}."
        )
    with transaction.atomic():
        market = (
            Market.objects.select_for_update()
            .select_related("base", "quote")
            .get(pk=get_market(symbol).pk)
        )
        before = snapshot(market, MARKET_AUDIT_FIELDS)
        for name, value in changes.items():
            setattr(market, name, value)
        problems = []
        if not (0 < market.min_qty <= market.max_qty) or not is_multiple_of(
            market.min_qty, market.step_size
        ):
            problems.append("need 0 < min_qty <= max_qty, min_qty a multiple of step_size")
        if not (0 <= market.maker_fee < 1 and 0 <= market.taker_fee < 1):
            problems.append("fees must be at least 0 and below 1")
        if market.min_notional < 0:
            problems.append("min_notional must not be negative")
        if problems:
            raise MarketError(MarketErrorCode.INVALID_MARKET, "; ".join(problems) + ".")
        market.save(update_fields=list(changes))
        write_audit_record(
            operator=operator,
            action=AuditAction.MARKET_CHANGE,
            target=market,
            before=before,
            after=snapshot(market, MARKET_AUDIT_FIELDS),
        )
        forget_cached_markets()
        transaction.on_commit(lambda: send_market_state(market))
    return market


FEE_OVERRIDE_AUDIT_FIELDS = ("user", "market", "maker_fee", "taker_fee")


def do_set_fee_override(
    *,
    user_id: int,
    market: Market | None,
    maker_fee: Decimal,
    taker_fee: Decimal,
    operator: Operator,
) -> FeeOverride:
    """Give a user their own fee rates on one market, or (``market`` None) on all."""
    if not (0 <= maker_fee < 1 and 0 <= taker_fee < 1):
        raise MarketError(MarketErrorCode.INVALID_MARKET, "Fees must be at least 0 and below 1.")
    with transaction.atomic():
        existing = (
            FeeOverride.objects.select_for_update().filter(user_id=user_id, market=market).first()
        )
        before = snapshot(existing, FEE_OVERRIDE_AUDIT_FIELDS)
        override = existing or FeeOverride(user_id=user_id, market=market)
        override.maker_fee = maker_fee
        override.taker_fee = taker_fee
        override.save()
        write_audit_record(
            operator=operator,
            action=AuditAction.FEE_OVERRIDE_SET,
            target=override,
            before=before,
            after=snapshot(override, FEE_OVERRIDE_AUDIT_FIELDS),
        )
    return override


def do_remove_fee_override(*, fee_override_id: int, operator: Operator) -> None:
    """The user pays the market's fees again."""
    with transaction.atomic():
        override = FeeOverride.objects.select_for_update().get(pk=fee_override_id)
        write_audit_record(
            operator=operator,
            action=AuditAction.FEE_OVERRIDE_REMOVE,
            target=override,
            before=snapshot(override, FEE_OVERRIDE_AUDIT_FIELDS),
        )
        override.delete()
