"""Clearing's progress per market, and the entries it could not apply."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils import timezone


class Checkpoint(models.Model):
    """The last output entry applied for a market, written in the same transaction."""

    symbol = models.CharField(max_length=32, unique=True)
    last_entry_id = models.CharField(max_length=32, default="0-0")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.symbol} @ {self.last_entry_id}"


class DeadLetter(models.Model):
    """An output entry clearing parked instead of applying: an operator must look at it."""

    symbol = models.CharField(max_length=32)
    entry_id = models.CharField(max_length=32)
    payload_hex = models.TextField(help_text="The raw entry, hex encoded.")
    error = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.TextField(blank=True, default="")

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["symbol", "entry_id"], name="dead_letter_unique_entry"),
        ]

    def __str__(self) -> str:
        return f"{self.symbol} {self.entry_id}: {self.error[:60]}"
