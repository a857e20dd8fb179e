"""One broken invariant, as reconcile reports it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Violation:
    check: str
    account: str
    asset: str
    detail: str
