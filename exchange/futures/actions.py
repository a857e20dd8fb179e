"""Operator actions on contracts: create (with its leverage brackets) and halt/resume.

Each writes its audit record in the same transaction and tells the engine after
the commit (``engine_state``), as spot markets do (``exchange.markets.actions``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Max

from exchange.audit.actions import SYSTEM, Operator, snapshot, write_audit_record
from exchange.audit.models import AuditAction
from exchange.futures import units
from exchange.futures.engine_state import send_contract_state
from exchange.futures.errors import FuturesError, FuturesErrorCode
from exchange.futures.models import Contract, ContractStatus, LeverageBracket
from exchange.markets.models import Market
from exchange.wallets.models import Asset


@dataclass(frozen=True, slots=True)
class BracketSpec:
    """One tier as an operator gives it: up to ``notional_cap``, ``max_leverage``, ``mmr``."""

    notional_cap: Decimal
    max_leverage: int
    maintenance_rate: Decimal


CONTRACT_AUDIT_FIELDS = (
    "symbol",
    "base_asset",
    "quote_asset",
    "margin_asset",
    "engine_id",
    "status",
    "tick_size",
    "step_size",
    "min_notional",
    "maker_fee",
    "taker_fee",
    "liquidation_fee",
    "funding_interval_seconds",
    "interest_rate",
    "funding_cap",
    "index_market",
)


def _bracket_problems(brackets: Sequence[BracketSpec]) -> list[str]:
    # The engine's own rules (matching_engine.futures.contract.Contract.build).
    problems = []
    if not brackets:
        problems.append("at least one leverage bracket")
    prev_cap, prev_mmr = Decimal(0), Decimal(0)
    for b in brackets:
        if not (b.notional_cap > prev_cap and 1 <= b.max_leverage <= 125):
            problems.append("bracket caps must ascend and leverage be 1..125")
        if not (prev_mmr <= b.maintenance_rate and 0 < b.maintenance_rate * b.max_leverage < 1):
            problems.append("maintenance rates must not fall and stay below 1/leverage")
        prev_cap, prev_mmr = b.notional_cap, b.maintenance_rate
    return problems


def do_create_contract(
    *,
    base: Asset,
    quote: Asset,
    tick_size: Decimal,
    step_size: Decimal,
    brackets: Sequence[BracketSpec],
    margin: Asset | None = None,
    min_notional: Decimal = Decimal(0),
    maker_fee: Decimal = Decimal("0.0002"),
    taker_fee: Decimal = Decimal("0.0005"),
    liquidation_fee: Decimal = Decimal("0.005"),
    funding_interval_seconds: int = 8 * 3600,
    interest_rate: Decimal = Decimal("0.0001"),
    funding_cap: Decimal = Decimal("0.0075"),
    index_market: Market | None = None,
    symbol: str | None = None,
    operator: Operator = SYSTEM,
) -> Contract:
    """Create a perpetual whose numbers the engine can hold exactly, and announce it."""
    margin = margin or quote
    contract = Contract(
        symbol=(symbol or f"{base.code}{quote.code}").upper(),
        base_asset=base,
        quote_asset=quote,
        margin_asset=margin,
        tick_size=tick_size,
        step_size=step_size,
        min_notional=min_notional,
        maker_fee=maker_fee,
        taker_fee=taker_fee,
        liquidation_fee=liquidation_fee,
        funding_interval_seconds=funding_interval_seconds,
        interest_rate=interest_rate,
        funding_cap=funding_cap,
        index_market=index_market,
    )
    problems = _bracket_problems(brackets)
    if base.pk == quote.pk:
        problems.append("base and quote must differ")
    if tick_size <= 0 or step_size <= 0 or funding_interval_seconds <= 0:
        problems.append("tick_size, step_size and the funding interval must be positive")
    else:
        try:
            units.multiplier(contract)
            units.to_atoms(contract, min_notional)
            for rate in (maker_fee, taker_fee, liquidation_fee, funding_cap, interest_rate):
                units.to_rate(rate)
            for b in brackets:
                units.to_atoms(contract, b.notional_cap)
                units.to_rate(b.maintenance_rate)
        except ValueError as exc:
            problems.append(f"not exact in the engine's units: {exc}")
    if not all(0 <= r < 1 for r in (maker_fee, taker_fee, liquidation_fee, funding_cap)):
        problems.append("fee and cap rates must be at least 0 and below 1")
    if problems:
        raise FuturesError(FuturesErrorCode.INVALID_CONTRACT, "; ".join(problems) + ".")
    with transaction.atomic():
        top = Contract.objects.select_for_update().aggregate(top=Max("engine_id"))["top"]
        contract.engine_id = (top or 0) + 1
        contract.save()
        LeverageBracket.objects.bulk_create(
            LeverageBracket(
                contract=contract,
                tier=tier,
                notional_cap=b.notional_cap,
                max_leverage=b.max_leverage,
                maintenance_rate=b.maintenance_rate,
            )
            for tier, b in enumerate(brackets, start=1)
        )
        write_audit_record(
            operator=operator,
            action=AuditAction.CONTRACT_CREATE,
            target=contract,
            after=snapshot(contract, CONTRACT_AUDIT_FIELDS),
        )
        transaction.on_commit(lambda: send_contract_state(contract))
    return contract


def do_set_contract_status(
    *, symbol: str, status: ContractStatus, operator: Operator = SYSTEM
) -> Contract:
    """Halt or resume new orders on a contract; the engine is told after the commit.

    A halted contract still takes mark prices and funding, and its liquidations
    still trade: halting does not suspend risk (docs/futures.md).
    """
    with transaction.atomic():
        contract = (
            Contract.objects.select_for_update()
            .select_related("margin_asset")
            .filter(symbol=symbol.upper())
            .first()
        )
        if contract is None:
            raise FuturesError(FuturesErrorCode.UNKNOWN_CONTRACT, f"No contract {symbol}.")
        before = contract.status
        contract.status = status
        contract.save(update_fields=["status"])
        write_audit_record(
            operator=operator,
            action=AuditAction.CONTRACT_STATUS,
            target=contract,
            before={"status": before},
            after={"status": str(status)},
        )
        transaction.on_commit(lambda: send_contract_state(contract))
    return contract
