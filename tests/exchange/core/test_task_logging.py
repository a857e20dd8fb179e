"""Celery's lines for the sweeper's idle runs are dropped; its busy runs and other tasks log."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from celery.app.trace import LOG_SUCCESS
from django.utils import timezone

from exchange.celery import app
from exchange.orders.actions import place_order
from exchange.orders.models import Order
from exchange.orders.requests import OrderRequest
from exchange.orders.tasks import resend_unacknowledged_orders

SWEEPER = "exchange.orders.tasks.resend_unacknowledged_orders"
RECONCILE = "exchange.reconciliation.tasks.reconcile_ledger"


def messages(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records]


@pytest.mark.django_db(transaction=True)
def test_sweeper_logs_only_when_it_resends(caplog, redis_client, btcusdt, make_user, assets, fund):
    caplog.set_level(logging.INFO)
    # an idle run: Celery's success line is dropped and the sweeper says nothing
    assert resend_unacknowledged_orders.apply().get() == 0
    assert not [m for m in messages(caplog) if "resend_unacknowledged_orders" in m]
    assert not [m for m in messages(caplog) if "sweeper" in m]
    # a run that re-sends: both lines are there
    user = make_user()
    fund(user, assets["USDT"], "1000")
    place_order(
        user=user,
        request=OrderRequest.parse(
            symbol="BTCUSDT", side="BUY", type="LIMIT", price="100", quantity="1"
        ),
    )
    Order.objects.update(created_at=timezone.now() - dt.timedelta(minutes=1))
    assert resend_unacknowledged_orders.apply().get() == 1
    lines = messages(caplog)
    assert "sweeper: re-sending 1 unacknowledged orders and 0 cancels" in lines
    assert any(SWEEPER in m and "succeeded" in m and m.endswith(": 1") for m in lines)


def test_beat_and_other_tasks_still_log(caplog):
    caplog.set_level(logging.INFO)
    beat = logging.getLogger("celery.beat")
    beat.info("Scheduler: Sending due task %s (%s)", "order-sweeper", SWEEPER)
    beat.info("Scheduler: Sending due task %s (%s)", "reconcile", RECONCILE)
    trace = logging.getLogger("celery.app.trace")
    trace.info(LOG_SUCCESS, {"id": "1", "name": RECONCILE, "return_value": "0", "runtime": 0.1})
    assert messages(caplog) == [
        f"Scheduler: Sending due task reconcile ({RECONCILE})",
        f"Task {RECONCILE}[1] succeeded in 0.1s: 0",
    ]
    assert SWEEPER in app.conf.quiet_tasks


def test_beat_logs_a_send_that_failed_with_its_stack(caplog):
    # given the broker down: beat logs the error with the stack as a list
    caplog.set_level(logging.INFO)
    beat = logging.getLogger("celery.beat")
    # when it logs the failed send
    beat.error("Message Error: %s\n%s", "Error 111 connecting", ["  File ...\n"])
    # then the line is there, and the filter did not raise (which ended beat)
    assert messages(caplog) == ["Message Error: Error 111 connecting\n['  File ...\\n']"]
