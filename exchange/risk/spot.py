"""Spot's risk rules: funds are held in the database before the engine hears of an order.

Fees are charged in the asset each side receives (the buyer pays in base, the
seller in quote), so a hold never needs room for a fee:

* SELL with a quantity holds that quantity of base.
* SELL market by quote amount holds the seller's whole available base (at
  most the market's max quantity); the engine sells until the quote amount is
  reached and the rest is released.
* BUY with a limit price holds price × quantity of quote.
* BUY market by quote amount holds exactly that amount.
* BUY market by quantity (MARKET, STOP_LOSS, TAKE_PROFIT) cannot know its
  price. It holds quantity × reference × (1 + MARKET_BUY_HEADROOM), where the
  reference is the larger of the last trade price and the stop price, capped
  by the available balance; with no reference, the available balance. The
  engine stops buying when the hold runs out and expires the remainder.
* An order list (OCO) holds once, for the leg that needs most: at most one
  leg ever spends (the first to act cancels the other). A SELL's legs share
  one quantity, so it holds that quantity; a BUY holds the larger quote.
* Whatever an order still holds when it ends (filled, canceled, expired,
  rejected) returns to available.

Engine units: base in lots (quantity / step size); quote in tick·lot units
(quote / (tick size × step size)), so notional = price_ticks × lots.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import ROUND_DOWN, Decimal, localcontext

from exchange.core.money import MONEY_CONTEXT
from exchange.markets.filters import qty_to_lots, quote_to_units, quote_unit
from exchange.markets.models import Market
from exchange.risk.stage import BUY, SELL, Hold, OrderTerms
from exchange.wallets.models import Asset, Balance

MARKET_BUY_HEADROOM = Decimal("0.10")


def floor_to(value: Decimal, unit: Decimal) -> Decimal:
    with localcontext(MONEY_CONTEXT):
        return (value / unit).to_integral_value(rounding=ROUND_DOWN) * unit


def market_buy_hold(
    market: Market, *, quantity: Decimal, available: Decimal, reference: Decimal | None
) -> Decimal:
    """The hold of a market buy by quantity: see the module docstring."""
    cap = available
    if reference is not None:
        cap = min(available, quantity * reference * (1 + MARKET_BUY_HEADROOM))
    return floor_to(cap, quote_unit(market))


def _available(user_id: int, asset: Asset) -> Decimal:
    row = Balance.objects.filter(account__user_id=user_id, asset=asset).values_list(
        "available", flat=True
    )
    return row.first() or Decimal(0)


class SpotRisk:
    """The spot ``RiskStage``: the rules of the module docstring."""

    def hold_for(
        self,
        *,
        user_id: int,
        order: OrderTerms,
        last_price: Callable[[], Decimal | None],
    ) -> Hold:
        market = order.market
        if order.side == SELL:
            if order.quantity is not None:
                return Hold(market.base, order.quantity)
            whole = min(_available(user_id, market.base), market.max_qty)
            return Hold(market.base, floor_to(whole, market.step_size))
        if order.quote_order_qty is not None:
            return Hold(market.quote, order.quote_order_qty)
        assert order.quantity is not None
        if order.price is not None:
            return Hold(market.quote, order.price * order.quantity)
        references = [p for p in (last_price(), order.stop_price) if p is not None]
        return Hold(
            market.quote,
            market_buy_hold(
                market,
                quantity=order.quantity,
                available=_available(user_id, market.quote),
                reference=max(references) if references else None,
            ),
        )

    def hold_for_list(
        self,
        *,
        user_id: int,
        orders: Sequence[OrderTerms],
        last_price: Callable[[], Decimal | None],
    ) -> Hold:
        holds = [self.hold_for(user_id=user_id, order=o, last_price=last_price) for o in orders]
        assert len({h.asset.pk for h in holds}) == 1, "the legs of a list share a side"
        return max(holds, key=lambda h: h.amount)

    def engine_lock(self, *, market: Market, side: str, amount: Decimal) -> int:
        return quote_to_units(market, amount) if side == BUY else qty_to_lots(market, amount)


SPOT = SpotRisk()
