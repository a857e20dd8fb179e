"""Client and engine on a three-master Redis Cluster: markets on different nodes."""

from __future__ import annotations

import time
from pathlib import Path

from redis.cluster import RedisCluster

from matching_client import (
    CreateMarket,
    EventConsumer,
    MatchingClient,
    OrderType,
    PlaceOrder,
    ResultCode,
    Side,
    Trade,
    snapshot_key,
)
from tests.matching_engine.servers import EngineProcess, RedisServer

MARKETS = ("BTCUSDT", "ETHUSDT")  # slots 8473 and 5282: on different masters


def test_engine_and_client_work_across_cluster_nodes(
    cluster: list[RedisServer], tmp_path: Path
) -> None:
    # given two markets whose keys live on different nodes
    url = f"redis://127.0.0.1:{cluster[0].port}"
    rc = RedisCluster.from_url(url)
    owners = {rc.get_node_from_key(f"me:{{{m}}}:in").port for m in MARKETS}
    assert len(owners) == 2
    client = MatchingClient(rc)
    consumer = EventConsumer(rc, group="clearing", consumer="c1")
    sent: dict[str, list[str]] = {}
    for market in MARKETS:
        consumer.ensure_group(market)
        sent[market] = client.send_many(
            [
                CreateMarket(market),
                PlaceOrder(
                    market,
                    order_id=1,
                    user_id=1,
                    side=Side.SELL,
                    order_type=OrderType.LIMIT,
                    price=50,
                    quantity=2,
                    lock=2,
                ),
                PlaceOrder(
                    market,
                    order_id=2,
                    user_id=2,
                    side=Side.BUY,
                    order_type=OrderType.LIMIT,
                    price=50,
                    quantity=2,
                    lock=100,
                ),
            ]
        )

    # when one engine process in cluster mode serves both markets
    engine = EngineProcess(url, tmp_path / "engine.log", "--cluster", markets=",".join(MARKETS))
    engine.start()
    received: dict[str, list[str]] = {m: [] for m in MARKETS}
    trades: dict[str, list[Trade]] = {m: [] for m in MARKETS}
    deadline = time.monotonic() + 30
    while any(len(received[m]) < 3 for m in MARKETS):
        assert time.monotonic() < deadline, engine.log.read_text()
        for market in MARKETS:
            for entry in consumer.read(market, count=10, block_ms=50):
                assert entry.result == ResultCode.OK
                received[market].append(entry.entry_id)
                trades[market] += [e for e in entry.events if isinstance(e, Trade)]
            consumer.ack(market, received[market])
    assert engine.terminate() == 0

    # then each market got its outputs under its input IDs, and its snapshot on its node
    for market in MARKETS:
        assert received[market] == sent[market]
        assert [(t.price, t.qty, t.maker_order_id) for t in trades[market]] == [(50, 2, 1)]
        assert rc.exists(snapshot_key(market))
        assert client.stats(market) is not None
