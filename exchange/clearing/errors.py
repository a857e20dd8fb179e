"""Clearing's own error: what makes an entry poison, whatever the product."""

from __future__ import annotations


class ClearingError(Exception):
    """An entry that cannot be applied (unknown order, amounts that disagree): a poison entry."""
