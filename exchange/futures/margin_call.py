"""Which accounts get a margin call: their margin ratio reached ``MARGIN_CALL_RATIO``.

The one place the warning is decided (futures clearing asks after each batch that
moved a mark, ADR 0044). Margin ratio = maintenance margin / margin balance, per
margin the engine liquidates on (docs/futures.md, "Margin"):

* cross: the cross positions' maintenance over the cross wallet (the wallet less the
  isolated margins) plus their unrealized PnL;
* isolated: the position's maintenance over its margin plus its unrealized PnL.

The engine liquidates at 100 %; Binance warns before, at 80 %. A margin balance of
zero or less counts as called. Every figure is ``account_summary.figures_of``'s, the
one the read APIs show (``/fapi/v2/account``, ``positionRisk``, GraphQL); a contract
without a mark of the batch takes the latest published one (the entry price before
the first).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from exchange.futures.account_summary import (
    AssetFigures,
    MarkOf,
    PositionFigures,
    figures_of,
)
from exchange.futures.bracket_tiers import contract_tiers
from exchange.futures.models import Contract, FuturesWallet, MarginType, Position
from exchange.wallets.models import Asset

MARGIN_CALL_RATIO = Decimal("0.8")


@dataclass(frozen=True)
class MarginCall:
    user_id: int
    wallet: Decimal
    cross_wallet: Decimal
    ratio: Decimal  # the highest ratio of the called margins
    positions: list[PositionFigures]


def _ratio(maintenance: Decimal, balance: Decimal) -> Decimal:
    return maintenance / balance if balance > 0 else Decimal("Infinity")


def _batch_marks(marks: dict[int, Decimal], mark_of: MarkOf) -> MarkOf:
    """The batch's mark of a contract, else its latest published one (asked once)."""
    latest: dict[int, Decimal | None] = dict(marks)

    def of(contract: Contract) -> Decimal | None:
        if contract.pk not in latest:
            latest[contract.pk] = mark_of(contract)
        return latest[contract.pk]

    return of


def _call(user: int, figures: AssetFigures, held: list[PositionFigures]) -> MarginCall | None:
    open_ = [p for p in held if p.size]
    cross = [p for p in open_ if p.margin_type != MarginType.ISOLATED]
    called: list[PositionFigures] = []
    ratios: list[Decimal] = []
    if cross:
        ratio = _ratio(
            figures.cross_maintenance_margin, figures.cross_wallet + figures.cross_unrealized_pnl
        )
        if ratio >= MARGIN_CALL_RATIO:
            called.extend(cross)
            ratios.append(ratio)
    for p in open_:
        if p.margin_type == MarginType.ISOLATED:
            ratio = _ratio(p.maintenance_margin, p.isolated_margin + p.unrealized_pnl)
            if ratio >= MARGIN_CALL_RATIO:
                called.append(p)
                ratios.append(ratio)
    if not called:
        return None
    return MarginCall(user, figures.wallet, figures.cross_wallet, max(ratios), called)


def margin_calls(
    *, asset: Asset, marks: dict[int, Decimal], mark_of: MarkOf
) -> dict[int, MarginCall]:
    """The margin calls of every account with an open position margined in ``asset``,
    at ``marks`` (contract id -> mark) and ``mark_of`` for the other contracts."""
    holders = (
        Position.objects.filter(contract__margin_asset=asset).exclude(size=0).values("user_id")
    )
    positions = list(
        Position.objects.filter(contract__margin_asset=asset, user_id__in=holders)
        .select_related("contract__margin_asset")
        .order_by("user_id", "contract__symbol")
    )
    if not positions:
        return {}
    users = {p.user_id for p in positions}
    wallets = dict(
        FuturesWallet.objects.filter(asset=asset, user_id__in=users).values_list(
            "user_id", "balance"
        )
    )
    tiers = contract_tiers(list({p.contract_id: p.contract for p in positions}.values()))
    of = _batch_marks(marks, mark_of)
    by_user: dict[int, list[Position]] = defaultdict(list)
    for p in positions:
        by_user[p.user_id].append(p)
    calls: dict[int, MarginCall] = {}
    for user, held in by_user.items():
        figures = figures_of(
            assets=[AssetFigures(asset=asset, wallet=wallets.get(user, Decimal(0)))],
            positions=held,
            open_orders={},  # they reserve available margin, not maintenance
            tiers=tiers,
            mark_of=of,
        )
        call = _call(user, figures.assets[0], figures.positions)
        if call is not None:
            calls[user] = call
    return calls
