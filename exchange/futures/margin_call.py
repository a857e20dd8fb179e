"""Which accounts get a margin call: their margin ratio reached ``MARGIN_CALL_RATIO``.

The one place the warning is decided (futures clearing asks after each batch that
moved a mark, ADR 0044). Margin ratio = maintenance margin / margin balance, per
margin the engine liquidates on (docs/futures.md, "Margin"):

* cross: the cross positions' maintenance over the cross wallet (the wallet less the
  isolated margins) plus their unrealized PnL;
* isolated: the position's maintenance over its margin plus its unrealized PnL.

The engine liquidates at 100 %; Binance warns before, at 80 %. A margin balance of
zero or less counts as called. Maintenance is each position's notional at the mark x
its bracket's rate - the bracket's amount, rounded up to an atom as the engine does;
a contract without a mark of the batch takes the latest published one (the entry
price before the first).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

from exchange.futures.account_summary import MarkOf, tier_for
from exchange.futures.bracket_tiers import contract_tiers
from exchange.futures.models import Contract, FuturesWallet, MarginType, Position
from exchange.futures.units import atom
from exchange.wallets.models import Asset

MARGIN_CALL_RATIO = Decimal("0.8")


@dataclass(frozen=True)
class CalledPosition:
    contract: Contract
    size: Decimal
    margin_type: str
    isolated_margin: Decimal
    mark: Decimal
    unrealized_pnl: Decimal
    maintenance_margin: Decimal


@dataclass(frozen=True)
class MarginCall:
    user_id: int
    wallet: Decimal
    cross_wallet: Decimal
    ratio: Decimal  # the highest ratio of the called margins
    positions: list[CalledPosition]


def _ratio(maintenance: Decimal, balance: Decimal) -> Decimal:
    return maintenance / balance if balance > 0 else Decimal("Infinity")


def margin_calls(
    *, asset: Asset, marks: dict[int, Decimal], mark_of: MarkOf
) -> dict[int, MarginCall]:
    """The margin calls of every account with an open position margined in ``asset``,
    at ``marks`` (contract id -> mark) and ``mark_of`` for the other contracts."""
    positions = list(
        Position.objects.filter(contract__margin_asset=asset)
        .exclude(size=0)
        .select_related("contract")
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
    latest: dict[int, Decimal] = dict(marks)
    by_user: dict[int, list[CalledPosition]] = defaultdict(list)
    for p in positions:
        contract = p.contract
        if contract.pk not in latest:
            latest[contract.pk] = mark_of(contract) or p.entry_price
        mark = latest[contract.pk]
        notional = abs(p.size) * mark
        tier = tier_for(tiers[contract.pk], notional)
        maintenance = (notional * tier.maintenance_rate - tier.maintenance_amount).quantize(
            atom(contract), rounding=ROUND_CEILING
        )
        by_user[p.user_id].append(
            CalledPosition(
                contract=contract,
                size=p.size,
                margin_type=p.margin_type,
                isolated_margin=p.isolated_margin,
                mark=mark,
                unrealized_pnl=p.size * mark - p.cost,
                maintenance_margin=maintenance,
            )
        )
    calls: dict[int, MarginCall] = {}
    for user, held in by_user.items():
        wallet = wallets.get(user, Decimal(0))
        cross = [c for c in held if c.margin_type != MarginType.ISOLATED]
        cross_wallet = wallet - sum(
            (c.isolated_margin for c in held if c.margin_type == MarginType.ISOLATED), Decimal(0)
        )
        called: list[CalledPosition] = []
        ratios: list[Decimal] = []
        if cross:
            ratio = _ratio(
                sum((c.maintenance_margin for c in cross), Decimal(0)),
                cross_wallet + sum((c.unrealized_pnl for c in cross), Decimal(0)),
            )
            if ratio >= MARGIN_CALL_RATIO:
                called.extend(cross)
                ratios.append(ratio)
        for c in held:
            if c.margin_type == MarginType.ISOLATED:
                ratio = _ratio(c.maintenance_margin, c.isolated_margin + c.unrealized_pnl)
                if ratio >= MARGIN_CALL_RATIO:
                    called.append(c)
                    ratios.append(ratio)
        if called:
            calls[user] = MarginCall(user, wallet, cross_wallet, max(ratios), called)
    return calls
