"""The Redis pub/sub channel of one user's private events (clearing and wallets publish on it)."""

from __future__ import annotations

from exchange.core.channels import channel


def user_events_channel(user_id: int) -> str:
    return channel(f"user-events:{user_id}")
