"""Calendar months as partition ranges: names, bounds in either key unit, arithmetic."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

_UTC = dt.UTC


@dataclass(frozen=True, order=True)
class Month:
    """One UTC calendar month: a partition's range ``[start, next.start)``."""

    year: int
    month: int

    @classmethod
    def of(cls, when: dt.datetime) -> Month:
        utc = when.astimezone(_UTC)
        return cls(utc.year, utc.month)

    @classmethod
    def of_ms(cls, ms: int) -> Month:
        return cls.of(dt.datetime.fromtimestamp(ms / 1000, tz=_UTC))

    @classmethod
    def parse(cls, text: str) -> Month:
        """Read ``YYYY-MM`` (as ``archive --before 2026-01`` takes it)."""
        year, _, month = text.partition("-")
        if not (year.isdigit() and month.isdigit() and 1 <= int(month) <= 12):
            raise ValueError(f"not a month (YYYY-MM): {text!r}")
        return cls(int(year), int(month))

    def plus(self, months: int) -> Month:
        index = self.year * 12 + self.month - 1 + months
        return Month(index // 12, index % 12 + 1)

    @property
    def start(self) -> dt.datetime:
        return dt.datetime(self.year, self.month, 1, tzinfo=_UTC)

    @property
    def start_ms(self) -> int:
        return int(self.start.timestamp()) * 1000

    @property
    def suffix(self) -> str:
        """The partition name's suffix: ``p2026_12``."""
        return f"p{self.year:04d}_{self.month:02d}"

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def months_between(first: Month, last: Month) -> list[Month]:
    """Every month from ``first`` to ``last``, both included."""
    months = []
    month = first
    while month <= last:
        months.append(month)
        month = month.plus(1)
    return months
