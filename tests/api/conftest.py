"""Fixtures shared by the API surfaces' tests."""

from __future__ import annotations

import time

import pytest

# The limiter's windows are fixed (aligned to multiples of their length): a test
# that spends a budget must not straddle two windows, or the count starts over.
RATE_WINDOW_SECONDS = 60
SAFE_MARGIN_SECONDS = 15


@pytest.fixture
def fresh_rate_window() -> None:
    """Start the test early in a rate-limit window (waits at most SAFE_MARGIN_SECONDS)."""
    left = RATE_WINDOW_SECONDS - time.time() % RATE_WINDOW_SECONDS
    if left < SAFE_MARGIN_SECONDS:
        time.sleep(left + 0.05)
