"""A futures account's figures as the engine computes them, in Decimal, for the read APIs.

The engine decides margin (docs/futures.md, "Margin"); surfaces that show a
wallet, positions and what is available (Binance's ``/fapi/v2/account``,
``balance``, ``positionRisk``) recompute the same formulas here from the cleared
rows and the latest mark price, so every surface shows the same numbers:

* unrealized PnL = size x mark - cost; equity = wallet + sum of unrealized PnL;
* a position's initial margin = |size| x mark / leverage (rounded up to an atom);
* an open order that is not reduce-only reserves remaining notional / leverage
  + remaining notional x taker fee (each rounded up);
* maintenance margin = notional x rate - cum of the notional's bracket;
* the cross wallet = wallet - the isolated positions' margins (isolated wallets);
* available = cross wallet + cross unrealized PnL - cross initial margins - open-order
  margins (Binance's ``availableBalance``: an isolated position's margin and PnL are its
  own), and at most min(cross wallet, available) can be withdrawn, as the engine allows.

A liquidation price is the mark, on the contract's tick, at which the engine liquidates
the position (``matching_engine.futures.contract.Contract.liquidation_price``): an
isolated one when its margin + its PnL falls below its maintenance, the rest of the
account playing no part; a cross one when the cross equity falls below the cross
maintenance, the other cross positions held still at their marks.

Without a mark price yet (no price feed), the entry price stands in for it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

from exchange.futures.bracket_tiers import BracketTier, contract_tiers
from exchange.futures.models import (
    FUTURES_OPEN_STATUSES,
    Contract,
    FuturesOrder,
    FuturesWallet,
    MarginType,
    Position,
)
from exchange.futures.units import atom
from exchange.wallets.models import Asset

# The latest mark price of a contract, or None before the first one (the caller reads the
# price feed's figures: the feed is a layer above this one).
MarkOf = Callable[[Contract], Decimal | None]


@dataclass
class PositionFigures:
    contract: Contract
    size: Decimal
    cost: Decimal
    leverage: int
    mark: Decimal
    entry_price: Decimal
    notional: Decimal
    unrealized_pnl: Decimal
    initial_margin: Decimal
    maintenance_margin: Decimal
    open_order_margin: Decimal
    max_notional: Decimal
    liquidation_price: Decimal
    updated_ms: int
    margin_type: str = "CROSSED"
    isolated_margin: Decimal = Decimal(0)  # the wallet part an isolated position holds


@dataclass
class AssetFigures:
    asset: Asset
    wallet: Decimal
    unrealized_pnl: Decimal = Decimal(0)
    initial_margin: Decimal = Decimal(0)
    maintenance_margin: Decimal = Decimal(0)
    open_order_margin: Decimal = Decimal(0)
    updated_ms: int = 0
    isolated_wallet: Decimal = Decimal(0)  # the isolated positions' margins
    cross_unrealized_pnl: Decimal = Decimal(0)
    cross_initial_margin: Decimal = Decimal(0)
    cross_maintenance_margin: Decimal = Decimal(0)

    @property
    def equity(self) -> Decimal:
        """Margin balance: the whole wallet plus every position's PnL, isolated included."""
        return self.wallet + self.unrealized_pnl

    @property
    def cross_wallet(self) -> Decimal:
        return self.wallet - self.isolated_wallet

    @property
    def available(self) -> Decimal:
        """What the engine lets a new order or a withdrawal use: cross only."""
        return (
            self.cross_wallet
            + self.cross_unrealized_pnl
            - self.cross_initial_margin
            - self.open_order_margin
        )

    @property
    def max_withdraw(self) -> Decimal:
        return max(Decimal(0), min(self.cross_wallet, self.available))


@dataclass
class AccountFigures:
    assets: list[AssetFigures] = field(default_factory=list)
    positions: list[PositionFigures] = field(default_factory=list)


def _up(value: Decimal, contract: Contract) -> Decimal:
    return value.quantize(atom(contract), rounding=ROUND_CEILING)


def tier_for(tiers: list[BracketTier], notional: Decimal) -> BracketTier:
    """The bracket whose notional range holds ``notional`` (the last one past the caps)."""
    for tier in tiers:
        if notional <= tier.notional_cap:
            return tier
    return tiers[-1]


def liquidation_price(
    size: Decimal, cost: Decimal, cushion: Decimal, tiers: list[BracketTier]
) -> Decimal:
    """The mark at which equity meets maintenance, the rest of the account held still.

    ``cushion`` is what stands behind the position: an isolated one's margin, a cross
    one's cross wallet plus the other cross positions' (PnL - maintenance). Per tier,
    ``cushion + size P - cost = |size| P rate - cum`` gives ``P``; the tier whose
    notional range holds ``|size| P`` is the answer. 0 when there is none (no risk).
    """
    for tier in tiers:
        denominator = size - abs(size) * tier.maintenance_rate
        if not denominator:
            continue
        price = (cost - cushion - tier.maintenance_amount) / denominator
        if price <= 0:
            continue
        notional = abs(size) * price
        if tier.notional_floor <= notional <= tier.notional_cap:
            return price
    return Decimal(0)


def liquidation_tick(exact: Decimal, size: Decimal, tick: Decimal) -> Decimal:
    """The first mark on the tick grid past ``exact`` (where equity = maintenance), as
    the engine liquidates only below maintenance: a long at the highest tick under it, a
    short at the lowest tick over it. 0 for no price (none, or a long's at or below 0)."""
    if not exact:
        return Decimal(0)
    ticks = exact / tick
    if size > 0:
        below = ticks.to_integral_value(rounding=ROUND_CEILING) - 1
        return below * tick if below > 0 else Decimal(0)
    return (ticks.to_integral_value(rounding=ROUND_FLOOR) + 1) * tick


def account_figures(*, user: Any, mark_of: MarkOf) -> AccountFigures:
    """Every margin asset's figures for ``user`` and every position it has held."""
    positions = list(
        Position.objects.filter(user=user)
        .select_related("contract__base_asset", "contract__quote_asset", "contract__margin_asset")
        .order_by("contract__symbol")
    )
    wallets = {
        w.asset_id: w for w in FuturesWallet.objects.filter(user=user).select_related("asset")
    }
    margin_assets = Asset.objects.filter(pk__in=Contract.objects.values("margin_asset")).order_by(
        "code"
    )
    assets: list[AssetFigures] = []
    for asset in margin_assets:
        wallet = wallets.get(asset.pk)
        assets.append(
            AssetFigures(
                asset=asset,
                wallet=wallet.balance if wallet else Decimal(0),
                # Never funded: 0 since the account exists (Binance's 0 means "not
                # initialised", which clients skip; our zero is a real balance).
                updated_ms=int(
                    (wallet.updated_at if wallet else user.date_joined).timestamp() * 1000
                ),
            )
        )
    open_orders: dict[int, list[FuturesOrder]] = {}
    for order in FuturesOrder.objects.filter(
        user=user, status__in=FUTURES_OPEN_STATUSES, reduce_only=False, accepted=True
    ).select_related("contract__base_asset", "contract__quote_asset", "contract__margin_asset"):
        open_orders.setdefault(order.contract_id, []).append(order)
    held = {p.contract_id for p in positions}
    for contract_id, orders in open_orders.items():
        if contract_id not in held:  # orders only: the engine's default leverage applies
            positions.append(Position(user=user, contract=orders[0].contract))
    return figures_of(
        assets=assets,
        positions=positions,
        open_orders=open_orders,
        tiers=contract_tiers([p.contract for p in positions]),
        mark_of=mark_of,
    )


def figures_of(
    *,
    assets: list[AssetFigures],
    positions: list[Position],
    open_orders: dict[int, list[FuturesOrder]],
    tiers: dict[int, list[BracketTier]],
    mark_of: MarkOf,
) -> AccountFigures:
    """One account's figures from its rows: ``assets`` (each with its wallet) are
    completed from ``positions`` and the open orders that are not reduce-only (by
    contract id). The one implementation of the formulas above: the read APIs and the
    margin calls (``margin_call.py``) both come here."""
    by_asset = {a.asset.pk: a for a in assets}
    rows: list[PositionFigures] = []
    for position in positions:
        contract = position.contract
        entry = position.entry_price
        mark = mark_of(contract) or entry
        notional = abs(position.size) * mark
        tier = tier_for(tiers[contract.pk], notional) if tiers[contract.pk] else None
        reserved = Decimal(0)
        for order in open_orders.get(contract.pk, []):
            left = (order.quantity - order.executed_qty) * (order.price or mark)
            reserved += _up(left / position.leverage, contract) + _up(
                left * contract.taker_fee, contract
            )
        rows.append(
            PositionFigures(
                contract=contract,
                size=position.size,
                cost=position.cost,
                leverage=position.leverage,
                mark=mark,
                entry_price=entry,
                notional=position.size * mark,
                unrealized_pnl=position.size * mark - position.cost,
                initial_margin=_up(notional / position.leverage, contract),
                maintenance_margin=(
                    notional * tier.maintenance_rate - tier.maintenance_amount
                    if tier
                    else Decimal(0)
                ),
                open_order_margin=reserved,
                max_notional=max(
                    (
                        t.notional_cap
                        for t in tiers[contract.pk]
                        if t.max_leverage >= position.leverage
                    ),
                    default=Decimal(0),
                ),
                liquidation_price=Decimal(0),
                updated_ms=int(position.updated_at.timestamp() * 1000) if position.pk else 0,
                margin_type=position.margin_type,
                isolated_margin=position.isolated_margin,
            )
        )
    for row in rows:
        totals = by_asset[row.contract.margin_asset_id]
        totals.unrealized_pnl += row.unrealized_pnl
        totals.initial_margin += row.initial_margin
        totals.maintenance_margin += row.maintenance_margin
        totals.open_order_margin += row.open_order_margin
        if row.margin_type == MarginType.ISOLATED:
            totals.isolated_wallet += row.isolated_margin
        else:
            totals.cross_unrealized_pnl += row.unrealized_pnl
            totals.cross_initial_margin += row.initial_margin
            totals.cross_maintenance_margin += row.maintenance_margin
    for row in rows:
        if not row.size:
            continue
        if row.margin_type == MarginType.ISOLATED:
            cushion = row.isolated_margin
        else:
            totals = by_asset[row.contract.margin_asset_id]
            cushion = (
                totals.cross_wallet
                + (totals.cross_unrealized_pnl - row.unrealized_pnl)
                - (totals.cross_maintenance_margin - row.maintenance_margin)
            )
        row.liquidation_price = liquidation_tick(
            liquidation_price(row.size, row.cost, cushion, tiers[row.contract.pk]),
            row.size,
            row.contract.tick_size,
        )
    return AccountFigures(assets=list(assets), positions=rows)
