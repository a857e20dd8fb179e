"""The senders' engine client is made once, and still follows the replica settings."""

from __future__ import annotations

import pytest
import redis
from django.conf import settings
from django.test import override_settings

from exchange.matching.gateway import send_commands
from matching_client import RequestSnapshot
from matching_engine.protocol import input_stream

pytestmark = pytest.mark.skipif(
    settings.REDIS_CLUSTER, reason="a cluster client does not wait for replicas"
)


def test_a_replica_setting_changed_reaches_the_next_send(redis_client: redis.Redis) -> None:
    command = RequestSnapshot("BTCUSDT")
    assert send_commands([command], "a snapshot request")  # the client is made here
    with override_settings(REDIS_MIN_REPLICAS_ACK=1, REDIS_REPLICA_ACK_TIMEOUT_MS=20):
        # Appended, but this server has no replica to confirm it: reported as not sent.
        assert not send_commands([command], "a snapshot request")
    assert send_commands([command], "a snapshot request")
    assert redis_client.xlen(input_stream("BTCUSDT")) == 3
