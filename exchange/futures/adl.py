"""Where a position stands in the auto-deleveraging queue (Binance's ``adlQuantile``).

The engine closes what a liquidation could not sell against the opposite positions
ranked by profit ratio times effective leverage (docs/futures.md, "Insurance fund and
auto-deleveraging"): ``adl_score`` is that rule, in the engine's integers (ticks, lots,
atoms, ``RATE_SCALE``) so the order is the engine's to the unit, ties to the lower user
id. A position's quantile is its place among the positions on its side of the contract:
the first fifth of the queue is 4, the last 0, as Binance's 0..4.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from exchange.futures import units
from exchange.futures.models import Contract, FuturesWallet, Position
from matching_engine.futures.protocol import RATE_SCALE

MarkOf = Callable[[Contract], Decimal | None]
QUANTILES = 5


def adl_score(*, size: int, cost: int, mark: int, multiplier: int, equity: int) -> int:
    """The engine's ranking key (``MarginGroup._adl_rank``): unrealized PnL x notional x
    RATE_SCALE // (|cost| x equity), every figure in the engine's units; higher goes first."""
    upnl = size * mark * multiplier - cost
    return upnl * abs(size) * mark * multiplier * RATE_SCALE // (max(abs(cost), 1) * max(equity, 1))


def quantile(place: int, count: int) -> int:
    """4 for the first fifth of a queue of ``count`` (place 0 is deleveraged first), 0 for the last."""
    return QUANTILES - 1 - place * QUANTILES // count


@dataclass(frozen=True, slots=True)
class AdlQuantile:
    contract: Contract
    quantile: int  # of the user's one-way position


def _mark_ticks(contract: Contract, position: Position, mark_of: MarkOf) -> int:
    mark = mark_of(contract)
    if mark is None:  # no mark yet: the entry price, as the account figures do
        mark = position.entry_price
    return int((mark / contract.tick_size).to_integral_value(ROUND_FLOOR))


def adl_quantiles(
    *, user: Any, mark_of: MarkOf, contract: Contract | None = None
) -> list[AdlQuantile]:
    """The user's open positions (in ``contract`` only, if given) with their quantiles."""
    mine = (
        Position.objects.filter(user=user).exclude(size=0).select_related("contract__margin_asset")
    )
    if contract is not None:
        mine = mine.filter(contract=contract)
    answers: list[AdlQuantile] = []
    for own in mine.order_by("contract__symbol"):
        c = own.contract
        long = own.size > 0
        side = Position.objects.filter(contract=c, **({"size__gt": 0} if long else {"size__lt": 0}))
        holders = list(side.values_list("user_id", flat=True))
        equity = _equities(holders, c.margin_asset_id, mark_of)
        m, mark = units.multiplier(c), _mark_ticks(c, own, mark_of)
        ranked = sorted(
            (
                -adl_score(
                    size=units.to_lots(c, p.size),
                    cost=units.to_atoms(c, p.cost),
                    mark=mark,
                    multiplier=m,
                    equity=equity[p.user_id],
                ),
                p.user_id,
            )
            for p in side
        )
        place = [u for _, u in ranked].index(own.user_id)
        answers.append(AdlQuantile(contract=c, quantile=quantile(place, len(ranked))))
    return answers


def _equities(users: list[int], asset_id: int, mark_of: MarkOf) -> dict[int, int]:
    """Each user's wallet plus the unrealized PnL of all their positions, in atoms."""
    equity: dict[int, int] = defaultdict(int)
    positions = (
        Position.objects.filter(user_id__in=users, contract__margin_asset_id=asset_id)
        .exclude(size=0)
        .select_related("contract__margin_asset")
    )
    marks: dict[int, int] = {}
    for p in positions:
        c = p.contract
        if c.pk not in marks:
            marks[c.pk] = _mark_ticks(c, p, mark_of)
        lots, cost = units.to_lots(c, p.size), units.to_atoms(c, p.cost)
        equity[p.user_id] += lots * marks[c.pk] * units.multiplier(c) - cost
    for w in FuturesWallet.objects.filter(user_id__in=users, asset_id=asset_id).select_related(
        "asset"
    ):
        equity[w.user_id] += units.to_atoms_of(w.asset, w.balance)
    return equity
