"""The platform's client for the matching cluster: commands in, typed events out.

No business rules and no Django: this package only speaks the wire protocol of
docs/matching-protocol.md over Redis Streams, on a single Redis or a Redis Cluster (all
keys of a market share the `{SYMBOL}` hash tag; no operation spans two markets).
"""

from matching_engine.protocol import (
    MARKETS_KEY,
    CommandType,
    DoneReason,
    MarketStatus,
    OrderType,
    ReplaceMode,
    ResultCode,
    SelfTradePrevention,
    Side,
    TimeInForce,
    input_stream,
    input_trimmed_key,
    leader_key,
    output_stream,
    snapshot_key,
    standby_key,
    stats_key,
)
from matching_engine.shards import ShardMapError, parse_shard_map, shard_markets

from .client import (
    EngineStats,
    EventConsumer,
    MatchingClient,
    ReplicaAckTimeout,
    unparsed_stream_client,
)
from .commands import (
    CancelAll,
    CancelOrder,
    Command,
    CreateMarket,
    HaltMarket,
    PlaceOrder,
    ReplaceOrder,
    RequestSnapshot,
    ResumeMarket,
)
from .entry_ids import EntryId, entry_ms, parse_entry_id, stream_entries, stream_fields
from .events import (
    Event,
    LevelChange,
    OrderDone,
    OutputEntry,
    ProtocolError,
    SnapshotTaken,
    StopTriggered,
    Trade,
    decode_output,
)

__all__ = [
    "MARKETS_KEY",
    "CancelAll",
    "CancelOrder",
    "Command",
    "CommandType",
    "CreateMarket",
    "DoneReason",
    "EntryId",
    "EngineStats",
    "Event",
    "EventConsumer",
    "HaltMarket",
    "LevelChange",
    "MarketStatus",
    "MatchingClient",
    "OrderDone",
    "OrderType",
    "OutputEntry",
    "PlaceOrder",
    "ReplaceMode",
    "ReplaceOrder",
    "ProtocolError",
    "ReplicaAckTimeout",
    "RequestSnapshot",
    "ResultCode",
    "ResumeMarket",
    "SelfTradePrevention",
    "ShardMapError",
    "Side",
    "SnapshotTaken",
    "StopTriggered",
    "TimeInForce",
    "Trade",
    "decode_output",
    "entry_ms",
    "input_stream",
    "leader_key",
    "input_trimmed_key",
    "output_stream",
    "parse_shard_map",
    "parse_entry_id",
    "shard_markets",
    "snapshot_key",
    "standby_key",
    "stats_key",
    "stream_entries",
    "stream_fields",
    "unparsed_stream_client",
]
