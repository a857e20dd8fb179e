"""The one place where a contract's Decimals become the engine's integers and back.

Prices are ticks, quantities lots, money atoms of the margin asset (10^-precision),
rates are scaled by RATE_SCALE (10^8 = 100 %). ``multiplier`` is the atoms in one
tick x lot, so a fill of ``q`` lots at ``p`` ticks has the notional ``p*q*multiplier``
atoms exactly (docs/futures.md). Every conversion into integers is exact or raises
ValueError: nothing is rounded on the way into the engine.
"""

from __future__ import annotations

from decimal import Decimal

from exchange.core.money import MONEY_CONTEXT, exact_units
from exchange.futures.models import Contract
from exchange.wallets.models import Asset
from matching_engine.futures.protocol import RATE_SCALE

_RATE_UNIT = Decimal(1) / RATE_SCALE


def atom(contract: Contract) -> Decimal:
    """One atom of the contract's margin asset."""
    return Decimal(1).scaleb(-contract.margin_asset.precision)


def multiplier(contract: Contract) -> int:
    """Atoms in one tick x lot; ValueError if tick x step is finer than an atom."""
    return exact_units(contract.tick_size * contract.step_size, atom(contract))


def to_ticks(contract: Contract, price: Decimal) -> int:
    return exact_units(price, contract.tick_size)


def to_lots(contract: Contract, quantity: Decimal) -> int:
    return exact_units(quantity, contract.step_size)


def to_atoms(contract: Contract, amount: Decimal) -> int:
    return exact_units(amount, atom(contract))


def to_rate(rate: Decimal) -> int:
    return exact_units(rate, _RATE_UNIT)


def price_of(contract: Contract, ticks: int) -> Decimal:
    return MONEY_CONTEXT.multiply(Decimal(ticks), contract.tick_size)


def quantity_of(contract: Contract, lots: int) -> Decimal:
    return MONEY_CONTEXT.multiply(Decimal(lots), contract.step_size)


def amount_of(contract: Contract, atoms: int) -> Decimal:
    return Decimal(atoms).scaleb(-contract.margin_asset.precision)


def rate_of(scaled: int) -> Decimal:
    return Decimal(scaled).scaleb(-8)


def engine_brackets(contract: Contract) -> list[tuple[int, int, int]]:
    """The contract's leverage brackets as the engine takes them: (cap atoms, leverage, mmr)."""
    return [
        (to_atoms(contract, b.notional_cap), b.max_leverage, to_rate(b.maintenance_rate))
        for b in contract.brackets.order_by("tier")
    ]


def to_atoms_of(asset: Asset, amount: Decimal) -> int:
    """``amount`` of a margin asset in atoms (for transfers, which name no contract)."""
    return exact_units(amount, Decimal(1).scaleb(-asset.precision))


def amount_of_asset(asset: Asset, atoms: int) -> Decimal:
    return Decimal(atoms).scaleb(-asset.precision)
