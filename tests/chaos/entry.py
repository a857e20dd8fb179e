"""Random order entry for the chaos test: what one worker action does. Import after django.setup()."""

from __future__ import annotations

import os
import random
import signal
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, TextIO

from django.db import transaction

from exchange.accounts.models import User
from exchange.core.errors import DomainError
from exchange.orders.actions import do_cancel_all_orders, do_cancel_order, place_order
from exchange.orders.models import OPEN_STATUSES, Order
from exchange.orders.requests import CancelRequest, OrderRequest
from tests.chaos.world import MARKETS, MarketSpec

STP_MODES = ("NONE", "EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH")
STP_WEIGHTS = (70, 10, 10, 10)
# Order kinds and their weights, resting kinds a little ahead of taking ones so the
# book keeps some depth for cancels and stops; cancels are drawn before (CANCEL_SHARE).
KINDS = {
    "LIMIT_GTC": 40,  # 85% priced to rest
    "LIMIT_MAKER": 12,
    "LIMIT_IOC": 7,
    "LIMIT_FOK": 4,
    "MARKET_QTY": 6,
    "MARKET_QUOTE": 4,
    "MARKET_SELL_QUOTE": 1,  # locks the seller's whole base until done
    "STOP_LOSS": 1,
    "STOP_LOSS_LIMIT": 2,
    "TAKE_PROFIT": 1,
    "TAKE_PROFIT_LIMIT": 2,
    "BAD_TICK": 1,  # fails PRICE_FILTER: entry must change nothing
}
CANCEL_SHARE = 0.25
CANCEL_ALL_SHARE = 0.004
REUSED_CLIENT_ID_SHARE = 0.02


def random_order(rng: random.Random, spec: MarketSpec) -> dict[str, Any]:
    """The keyword arguments of place_order for one random order (without the user)."""
    kind = rng.choices(list(KINDS), weights=list(KINDS.values()))[0]
    side = "SELL" if kind == "MARKET_SELL_QUOTE" else rng.choice(("BUY", "SELL"))
    wide, narrow = spec.price_steps, spec.price_steps // 4

    def limit_price(*, passive: bool) -> str:
        """Mostly resting (passive) or mostly crossing the book (aggressive)."""
        steps = rng.randint(-narrow, wide) if passive else rng.randint(-wide, narrow)
        away = spec.price_step * steps
        return str(spec.mid - away if side == "BUY" else spec.mid + away)

    def any_price(around: Decimal = spec.mid, steps: int = wide) -> Decimal:
        return around + spec.price_step * rng.randint(-steps, steps)

    def quantity() -> str:
        return str(spec.qty_unit * rng.randint(1, spec.qty_units))

    params: dict[str, Any] = {
        "symbol": spec.symbol,
        "side": side,
        "self_trade_prevention": rng.choices(STP_MODES, weights=STP_WEIGHTS)[0],
    }
    if kind == "LIMIT_GTC":
        price = limit_price(passive=rng.random() < 0.85)
        params.update(type="LIMIT", time_in_force="GTC", price=price, quantity=quantity())
    elif kind in ("LIMIT_IOC", "LIMIT_FOK"):
        tif = kind.removeprefix("LIMIT_")
        price = limit_price(passive=False)
        params.update(type="LIMIT", time_in_force=tif, price=price, quantity=quantity())
    elif kind == "LIMIT_MAKER":
        params.update(type="LIMIT_MAKER", price=limit_price(passive=True), quantity=quantity())
    elif kind == "MARKET_QTY":
        params.update(type="MARKET", quantity=quantity())
    elif kind in ("MARKET_QUOTE", "MARKET_SELL_QUOTE"):
        params.update(type="MARKET", quote_order_qty=str(rng.randint(*spec.quote_amount_range)))
    elif kind in ("STOP_LOSS", "TAKE_PROFIT"):
        params.update(type=kind, stop_price=str(any_price()), quantity=quantity())
    elif kind in ("STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"):
        stop = any_price()
        params.update(
            type=kind,
            stop_price=str(stop),
            price=str(any_price(stop, 3)),
            time_in_force=rng.choice(("GTC", "GTC", "IOC")),
            quantity=quantity(),
        )
    else:
        params.update(type="LIMIT", price=str(spec.mid + spec.tick_size / 10), quantity=quantity())
    return params


class Worker:
    """Draws random actions for the given users and performs them through order entry."""

    def __init__(
        self,
        rng: random.Random,
        user_ids: Sequence[int],
        *,
        progress: TextIO,
        crash_share: float = 0.0,
    ) -> None:
        self.rng = rng
        self.progress = progress
        self.crash_share = crash_share
        self.users = list(User.objects.filter(pk__in=user_ids).order_by("pk"))
        if len(self.users) != len(set(user_ids)):
            raise SystemExit(f"expected users {sorted(user_ids)}, found {len(self.users)}")

    def act(self) -> str:
        rng = self.rng
        user = rng.choice(self.users)
        spec = rng.choice(MARKETS)
        roll = rng.random()
        if roll < CANCEL_ALL_SHARE:
            return self.cancel_all(user, spec)
        if roll < CANCEL_SHARE:
            return self.cancel(user, spec)
        return self.place(user, spec)

    def place(self, user: User, spec: MarketSpec) -> str:
        params = random_order(self.rng, spec)
        if self.rng.random() < REUSED_CLIENT_ID_SHARE:
            params["client_order_id"] = f"chaos-{self.rng.randint(1, 5)}"
        place = self.place_then_crash if self.rng.random() < self.crash_share else place_order
        try:
            order = place(user=user, request=OrderRequest.parse(**params))
        except DomainError as exc:
            return f"p {exc.code}"
        return f"P {order.pk} {spec.symbol}"

    def place_then_crash(self, *, user: User, request: OrderRequest) -> Order:
        """place_order, then SIGKILL this process after the commit, before the PLACE append.

        on_commit callbacks run in the order they were registered, so the one
        registered here, before place_order registers its append, runs first.
        """
        placed: list[Order] = []
        with transaction.atomic():
            symbol = request.market.symbol
            transaction.on_commit(lambda: self.crash(f"K {placed[0].pk} {symbol}"))
            placed.append(place_order(user=user, request=request))
        raise AssertionError("unreachable: the commit ran the crash")

    def crash(self, line: str) -> None:
        """Record the action, then die as a crash between commit and append would."""
        self.progress.write(line + "\n")
        os.kill(os.getpid(), signal.SIGKILL)

    def cancel(self, user: User, spec: MarketSpec) -> str:
        mine = Order.objects.filter(user=user, market__symbol=spec.symbol)
        candidates = list(
            mine.filter(status__in=OPEN_STATUSES).order_by("-pk").values_list("pk", flat=True)[:50]
        )
        # Now and then an order that is probably finished: entry must refuse it.
        if not candidates or self.rng.random() < 0.05:
            candidates = list(mine.order_by("-pk").values_list("pk", flat=True)[:50]) or [0]
        order_id = self.rng.choice(candidates)
        try:
            do_cancel_order(
                user=user, request=CancelRequest.parse(symbol=spec.symbol, order_id=order_id)
            )
        except DomainError as exc:
            return f"c {exc.code}"
        return f"C {order_id} {spec.symbol}"

    def cancel_all(self, user: User, spec: MarketSpec) -> str:
        orders = do_cancel_all_orders(user=user, symbol=spec.symbol)
        return f"A {spec.symbol} {len(orders)}"
