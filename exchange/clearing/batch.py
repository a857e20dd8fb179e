"""One batch of a market's engine output, applied in ONE transaction with its checkpoint.

Entries at or below the checkpoint are skipped, so re-delivery is harmless;
the product's settlement (``settlement.py``) applies the rest, and the
checkpoint moves to the last of them before the commit. All or nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction

from exchange.clearing.checkpoint import locked_checkpoint, move_checkpoint
from exchange.clearing.settlement import Settled, product_of, settlement_for
from exchange.markets.models import Market
from matching_client import OutputEntry, parse_entry_id


@dataclass(frozen=True, slots=True)
class Applied:
    """A batch's outcome: how many entries it applied and skipped, and what they settled."""

    applied: int = 0
    skipped: int = 0
    settled: Settled | None = None  # None when every entry was cleared before


def apply_entries(market: Market, entries: Sequence[OutputEntry]) -> Applied:
    """Apply the entries not yet applied, and advance the checkpoint, in one transaction."""
    with transaction.atomic():
        checkpoint = locked_checkpoint(market.symbol)
        done_up_to = parse_entry_id(checkpoint.last_entry_id)
        fresh = [e for e in entries if parse_entry_id(e.entry_id) > done_up_to]
        if not fresh:
            return Applied(skipped=len(entries))
        settled = settlement_for(product_of(market)).settle(market, fresh)
        move_checkpoint(checkpoint, fresh[-1].entry_id)
    return Applied(applied=len(fresh), skipped=len(entries) - len(fresh), settled=settled)
