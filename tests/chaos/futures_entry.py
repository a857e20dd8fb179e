"""Random futures actions for the chaos run: orders, cancels and transfers through
exchange.futures.services, as every surface calls them. Import after django.setup()."""

from __future__ import annotations

import random
from collections.abc import Sequence
from decimal import Decimal

from exchange.accounts.models import User
from exchange.core.errors import DomainError
from exchange.futures.models import FUTURES_OPEN_STATUSES, FuturesOrder
from exchange.futures.requests import FuturesOrderRequest, TransferRequest
from exchange.futures.services import cancel_futures_order, place_futures_order, transfer

SYMBOL = "BTCUSDT"  # the BTC perpetual of tests/chaos/world.py's CONTRACT
MID = Decimal("60000")
PRICE_STEP = Decimal("7.3")
PRICE_STEPS = 40
LOT = Decimal("0.003")
CANCEL_SHARE = 0.15
TRANSFER_SHARE = 0.08


class FuturesWorker:
    """Draws one futures action per call for the given users; returns its progress line.

    F <order_id>   order accepted by entry      f <code>  order refused by entry
    X <order_id>   cancel sent                  x <code>  cancel refused
    T <transfer>   transfer recorded            t <code>  transfer refused
    """

    def __init__(self, rng: random.Random, user_ids: Sequence[int]) -> None:
        self.rng = rng
        self.users = list(User.objects.filter(pk__in=user_ids).order_by("pk"))

    def act(self) -> str:
        user = self.rng.choice(self.users)
        roll = self.rng.random()
        if roll < TRANSFER_SHARE:
            return self.transfer(user)
        if roll < TRANSFER_SHARE + CANCEL_SHARE:
            return self.cancel(user)
        return self.place(user)

    def place(self, user: User) -> str:
        rng = self.rng
        side = rng.choice(("BUY", "SELL"))
        quantity = str(LOT * rng.randint(1, 20))
        away = PRICE_STEP * rng.randint(-PRICE_STEPS // 4, PRICE_STEPS)  # mostly resting
        price = MID - away if side == "BUY" else MID + away
        kind = rng.choices(("GTC", "IOC", "MARKET"), weights=(70, 20, 10))[0]
        params: dict[str, object] = {"symbol": SYMBOL, "side": side, "quantity": quantity}
        if kind == "MARKET":
            params.update(type="MARKET")
        else:
            params.update(type="LIMIT", price=str(price), time_in_force=kind)
        params["reduce_only"] = rng.random() < 0.05
        try:
            order = place_futures_order(user=user, request=FuturesOrderRequest.parse(**params))
        except DomainError as exc:
            return f"f {exc.code}"
        return f"F {order.pk}"

    def cancel(self, user: User) -> str:
        open_ids = list(
            FuturesOrder.objects.filter(user=user, status__in=FUTURES_OPEN_STATUSES)
            .order_by("-pk")
            .values_list("pk", flat=True)[:30]
        )
        try:
            order = cancel_futures_order(user=user, order_id=self.rng.choice(open_ids or [0]))
        except DomainError as exc:
            return f"x {exc.code}"
        return f"X {order.pk}"

    def transfer(self, user: User) -> str:
        direction = self.rng.choice(("IN", "OUT"))
        amount = str(self.rng.randint(10, 2000))
        request = TransferRequest.parse(asset="USDT", amount=amount, direction=direction)
        try:
            moved = transfer(user=user, request=request)
        except DomainError as exc:
            return f"t {exc.code}"
        return f"T {moved.pk}"
