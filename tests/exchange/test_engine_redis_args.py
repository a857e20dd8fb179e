"""Every command that starts an engine tells it about Redis the same way (engine_args)."""

from __future__ import annotations

from django.test import override_settings

from exchange.matching.engine_args import engine_redis_args


def test_a_plain_redis_is_only_its_url() -> None:
    with override_settings(
        REDIS_URL="redis://r:6379/2",
        REDIS_CLUSTER=False,
        REDIS_SENTINELS="",
        REDIS_MIN_REPLICAS_ACK=0,
    ):
        assert engine_redis_args() == ["--redis", "redis://r:6379/2"]


def test_sentinel_and_replica_acknowledgement_reach_the_engine() -> None:
    with override_settings(
        REDIS_URL="redis://r:6379/2",
        REDIS_CLUSTER=False,
        REDIS_SENTINELS="s1:26379,s2:26379",
        REDIS_SENTINEL_SERVICE="exchange",
        REDIS_MIN_REPLICAS_ACK=1,
        REDIS_REPLICA_ACK_TIMEOUT_MS=250,
    ):
        assert engine_redis_args() == [
            "--redis",
            "redis://r:6379/2",
            "--sentinels",
            "s1:26379,s2:26379",
            "--sentinel-service",
            "exchange",
            "--min-replicas",
            "1",
            "--replica-timeout-ms",
            "250",
        ]


def test_a_cluster_says_so() -> None:
    with override_settings(
        REDIS_URL="redis://n:7000", REDIS_CLUSTER=True, REDIS_SENTINELS="", REDIS_MIN_REPLICAS_ACK=0
    ):
        assert engine_redis_args() == ["--redis", "redis://n:7000", "--cluster"]


def test_a_cluster_engine_waits_for_the_replicas_of_its_node() -> None:
    with override_settings(
        REDIS_URL="redis://n:7000",
        REDIS_CLUSTER=True,
        REDIS_SENTINELS="",
        REDIS_MIN_REPLICAS_ACK=1,
        REDIS_REPLICA_ACK_TIMEOUT_MS=500,
    ):
        assert engine_redis_args() == [
            "--redis",
            "redis://n:7000",
            "--cluster",
            "--min-replicas",
            "1",
            "--replica-timeout-ms",
            "500",
        ]
