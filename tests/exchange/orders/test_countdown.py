"""Dead-man's switch: the countdown fires once, from stored state, and renewing it postpones it."""

from __future__ import annotations

import datetime as dt

import msgpack
import pytest
from django.utils import timezone

from exchange.core.errors import DomainError
from exchange.orders.actions import place_order
from exchange.orders.countdown import do_fire_expired_countdowns, do_set_cancel_countdown
from exchange.orders.models import CancelCountdown, Order
from exchange.orders.requests import OrderRequest

BUY = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "price": "50000", "quantity": "0.001"}


@pytest.fixture
def trader(make_user, assets, fund, btcusdt):
    user = make_user()
    fund(user, assets["USDT"], "1000")
    return user


def test_an_expired_countdown_cancels_all_open_orders_once(
    trader, redis_client, django_capture_on_commit_callbacks
):
    # given two open orders and a 5 s countdown
    orders = [place_order(user=trader, request=OrderRequest.parse(**BUY)) for _ in range(2)]
    now = timezone.now()
    do_set_cancel_countdown(user=trader, symbol="BTCUSDT", countdown_ms=5000, now=now)
    # when the check runs before and after the deadline, twice
    assert do_fire_expired_countdowns(now=now + dt.timedelta(seconds=4.9)) == 0
    with django_capture_on_commit_callbacks(execute=True):
        fired = do_fire_expired_countdowns(now=now + dt.timedelta(seconds=5))
    again = do_fire_expired_countdowns(now=now + dt.timedelta(seconds=60))
    # then it fired exactly once: cancels requested, CANCEL_ALL appended, no countdown left
    assert (fired, again) == (1, 0)
    assert all(Order.objects.get(pk=o.pk).cancel_requested_at for o in orders)
    assert not CancelCountdown.objects.exists()
    commands = [msgpack.unpackb(f[b"d"]) for _, f in redis_client.xrange("me:{BTCUSDT}:in")]
    # the unanswered PLACEs go first (as for any cancel), then one CANCEL_ALL
    assert [c[1] for c in commands] == [1, 1, 3] and commands[-1][2] == trader.pk


def test_renewing_postpones_and_zero_stops(trader):
    now = timezone.now()
    do_set_cancel_countdown(user=trader, symbol="BTCUSDT", countdown_ms=1000, now=now)
    do_set_cancel_countdown(
        user=trader, symbol="BTCUSDT", countdown_ms=1000, now=now + dt.timedelta(seconds=0.9)
    )
    assert do_fire_expired_countdowns(now=now + dt.timedelta(seconds=1.5)) == 0
    assert do_fire_expired_countdowns(now=now + dt.timedelta(seconds=1.9)) == 1
    do_set_cancel_countdown(user=trader, symbol="BTCUSDT", countdown_ms=1000, now=now)
    do_set_cancel_countdown(user=trader, symbol="BTCUSDT", countdown_ms=0)
    assert do_fire_expired_countdowns(now=now + dt.timedelta(days=1)) == 0


@pytest.mark.parametrize(("symbol", "ms", "code"), [
    ("BTCUSDT", -1, "INVALID_COUNTDOWN"),
    ("BTCUSDT", 86_400_001, "INVALID_COUNTDOWN"),
    ("NOPEUSDT", 1000, "UNKNOWN_SYMBOL"),
])  # fmt: skip
def test_bad_countdown_is_refused(trader, symbol, ms, code):
    with pytest.raises(DomainError) as excinfo:
        do_set_cancel_countdown(user=trader, symbol=symbol, countdown_ms=ms)
    assert excinfo.value.code == code
    assert not CancelCountdown.objects.exists()
