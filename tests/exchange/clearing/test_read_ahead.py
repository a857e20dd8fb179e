"""The clearer reads the next batch while one applies, and publishes user events on a thread.

Real Redis and database; the engine's output entries are written by hand
(one per order: the engine's "accepted" answer) so each batch is known.
"""

from __future__ import annotations

import json
import threading

import msgpack
import pytest
import redis
from django.db import connection
from django.db.utils import OperationalError

from exchange.clearing import publisher, runner, user_events
from exchange.clearing.models import Checkpoint
from exchange.core.channels import channel
from exchange.core.redis import get_redis
from exchange.core.user_channel import user_events_channel
from exchange.orders.actions import place_order
from exchange.orders.models import Order
from exchange.orders.requests import OrderRequest
from matching_client import output_stream

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def accepted(redis_client, btcusdt, make_user, assets, fund):
    """Three resting buys of one user, and the engine's acceptance of each on the stream."""
    user = make_user()
    fund(user, assets["USDT"], "1000")
    orders = [
        place_order(
            user=user,
            request=OrderRequest.parse(
                symbol="BTCUSDT", side="BUY", type="LIMIT", price="100", quantity="1"
            ),
        )
        for _ in range(3)
    ]
    for i, order in enumerate(orders, start=1):
        blob = msgpack.packb([1, 1, 0, order.pk, user.pk, [], [], 0, 0])
        redis_client.xadd(output_stream("BTCUSDT"), {"d": blob}, id=f"1000-{i}")
    return user, orders


def test_a_failed_batch_drops_the_prefetched_one_and_reads_again_from_the_checkpoint(
    accepted, btcusdt, monkeypatch
):
    user, orders = accepted
    real_apply, applied = runner.apply_entries, []

    def fails_once(market, entries):
        applied.append([e.entry_id for e in entries])
        if len(applied) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real_apply(market, entries)

    monkeypatch.setattr(runner, "apply_entries", fails_once)
    clearer = runner.MarketClearer(btcusdt, batch_size=1, block_ms=10)
    try:
        # given the first batch fails while the second one is being read ahead
        with pytest.raises(OperationalError):
            clearer.step()
        # when clearing carries on
        while clearer.step():
            pass
    finally:
        clearer.close()
    # then it started again at the checkpoint: the first entry, not the prefetched second
    assert applied == [["1000-1"], ["1000-1"], ["1000-2"], ["1000-3"]]
    assert all(o.accepted_at for o in Order.objects.filter(pk__in=[o.pk for o in orders]))
    assert Checkpoint.objects.get(symbol="BTCUSDT").last_entry_id == "1000-3"


def test_user_events_are_published_in_batch_order_and_drained_on_close(accepted, btcusdt):
    user, orders = accepted
    listener = get_redis().pubsub()
    listener.subscribe(user_events_channel(user.pk))
    listener.get_message(timeout=1)  # the subscribe confirmation
    clearer = runner.MarketClearer(btcusdt, batch_size=1, block_ms=10)
    # when three one-entry batches are cleared and the clearer is closed
    while clearer.step():
        pass
    clearer.close()
    # then the user got one message per batch, in stream order, each with its order accepted
    messages = []
    while (message := listener.get_message(timeout=1)) is not None:
        messages.append(json.loads(message["data"]))
    assert [[x["order_id"] for x in m["executions"]] for m in messages] == [[o.pk] for o in orders]
    assert [m["executions"][0]["execution"] for m in messages] == ["NEW"] * 3


@pytest.mark.skipif(connection.vendor != "postgresql", reason="ends a PostgreSQL backend")
def test_a_publisher_whose_idle_connection_died_still_publishes_the_batch(accepted, btcusdt):
    user, orders = accepted
    listener = get_redis().pubsub()
    listener.subscribe(user_events_channel(user.pk))
    listener.get_message(timeout=1)  # the subscribe confirmation
    clearer = runner.MarketClearer(btcusdt, batch_size=1, block_ms=10)
    clearer.step()
    clearer.publisher.wait()
    # given the publisher's idle connection ended by the server (a restart, a timeout)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    # when the next batches are cleared
    while clearer.step():
        pass
    clearer.close()
    # then every batch's events were published
    messages = []
    while (message := listener.get_message(timeout=1)) is not None:
        messages.append(json.loads(message["data"]))
    assert [[x["order_id"] for x in m["executions"]] for m in messages] == [[o.pk] for o in orders]


def test_the_publisher_keeps_order_waits_when_full_and_drains_on_close():
    published: list[int] = []
    started, release = threading.Event(), threading.Event()

    def slow_publish(market, entries, result):
        started.set()
        release.wait()
        published.append(result)

    events = publisher.EventPublisher("test-events", slow_publish, depth=2)
    # given the thread busy with batch 0 and batches 1 and 2 queued
    events.submit(None, [], 0)
    started.wait()
    events.submit(None, [], 1)
    events.submit(None, [], 2)
    # when a fourth batch is submitted
    blocked = threading.Thread(target=events.submit, args=(None, [], 3))
    blocked.start()
    blocked.join(0.3)
    # then the clearer waits (back-pressure) until the publisher catches up
    assert blocked.is_alive()
    assert published == []
    release.set()
    blocked.join()
    events.submit(None, [], 4)
    events.close()
    # and every batch was published, in order, before close returned
    assert published == [0, 1, 2, 3, 4]


def test_user_events_go_only_to_users_whose_channel_has_a_subscriber(
    redis_client, btcusdt, make_user, assets, fund
):
    listening, silent = make_user(), make_user()
    for user in (listening, silent):
        fund(user, assets["USDT"], "1000")
    orders = [
        place_order(
            user=u,
            request=OrderRequest.parse(
                symbol="BTCUSDT", side="BUY", type="LIMIT", price="100", quantity="1"
            ),
        )
        for u in (listening, silent)
    ]
    for i, order in enumerate(orders, start=1):
        blob = msgpack.packb([1, 1, 0, order.pk, order.user_id, [], [], 0, 0])
        redis_client.xadd(output_stream("BTCUSDT"), {"d": blob}, id=f"1000-{i}")
    # given one user's channel has a subscriber, and a pattern subscriber sees every
    # user channel without counting as one
    subscriber, observer = get_redis().pubsub(), get_redis().pubsub()
    subscriber.subscribe(user_events_channel(listening.pk))
    observer.psubscribe(channel("user-events:*"))
    subscriber.get_message(timeout=1)
    observer.get_message(timeout=1)
    # when both orders' acceptance is cleared in one batch
    clearer = runner.MarketClearer(btcusdt, batch_size=10, block_ms=10)
    while clearer.step():
        pass
    clearer.close()
    # then only the subscribed user's channel carried a message, with their order
    seen = []
    while (message := observer.get_message(timeout=1)) is not None:
        seen.append((message["channel"].decode(), json.loads(message["data"])))
    assert [(channel, [x["order_id"] for x in m["executions"]]) for channel, m in seen] == [
        (user_events_channel(listening.pk), [orders[0].pk])
    ]
    assert Order.objects.get(pk=orders[1].pk).accepted_at is not None


def test_a_server_that_refuses_pubsub_numsub_counts_every_user_as_listening():
    class RefusesPubsub(redis.Redis):
        def pubsub_numsub(self, *channels):
            raise redis.ResponseError("NOPERM this user has no permissions to run 'pubsub'")

    # given a Redis that refuses PUBSUB (an ACL, a proxy)
    client = RefusesPubsub()  # connects on its first command, which never goes out
    # then every touched user still gets their events
    assert user_events.listening(client, {1, 2}) == {1, 2}
