"""A market's clearing checkpoint: the last output entry whose effects are in the database.

The row lock orders everything: a batch or a parked entry takes it first, so
two clearers of one market (a restart, a mistake) apply each entry once.
"""

from __future__ import annotations

from exchange.clearing.models import Checkpoint
from exchange.markets.models import Market
from matching_client import parse_entry_id


def checkpoint_of(symbol: str) -> str:
    """The market's checkpoint as committed ("0-0" before the first batch)."""
    row = Checkpoint.objects.filter(symbol=symbol).values_list("last_entry_id", flat=True).first()
    return row or "0-0"


def locked_checkpoint(symbol: str) -> Checkpoint:
    """The market's checkpoint row, locked until the transaction ends. Call inside one."""
    checkpoint, _ = Checkpoint.objects.select_for_update().get_or_create(symbol=symbol)
    return checkpoint


def move_checkpoint(checkpoint: Checkpoint, entry_id: str) -> None:
    """Set the locked checkpoint to ``entry_id``."""
    checkpoint.last_entry_id = entry_id
    checkpoint.save(update_fields=["last_entry_id", "updated_at"])


def advance_checkpoint(market: Market, entry_id: str) -> None:
    """Move the checkpoint past a parked entry (call inside the parking transaction)."""
    checkpoint = locked_checkpoint(market.symbol)
    if parse_entry_id(entry_id) > parse_entry_id(checkpoint.last_entry_id):
        move_checkpoint(checkpoint, entry_id)
