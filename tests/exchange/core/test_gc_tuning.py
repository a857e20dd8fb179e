"""The collector settings that WebSocket and clearing processes take once set up."""

from __future__ import annotations

import gc

import pytest

from exchange.core import gc_tuning


@pytest.fixture
def collector(monkeypatch):
    """The process's collector settings, put back after the test."""
    threshold = gc.get_threshold()
    monkeypatch.setattr(gc_tuning, "_tuned", False)
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_tune_freezes_what_is_alive_and_spaces_out_young_collections(collector):
    _, gen1, gen2 = gc.get_threshold()
    gc.unfreeze()
    # when a process tunes the collector
    gc_tuning.tune(100_000)
    # then what was alive is out of its sight, and young collections wait for more
    assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == (100_000, gen1, gen2)


def test_tune_changes_nothing_after_the_first_call(collector):
    gc_tuning.tune(100_000)
    gc_tuning.tune(50_000)
    assert gc.get_threshold()[0] == 100_000
