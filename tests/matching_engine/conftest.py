from __future__ import annotations

from collections.abc import Iterator

import pytest

from matching_engine.book import OrderBook
from matching_engine.book_fast import FastOrderBook
from matching_engine.book_naive import NaiveOrderBook
from tests.matching_engine.servers import kill_leftover_engines
from tests.matching_engine.support import Driver

BOOKS: list[type[OrderBook]] = [NaiveOrderBook, FastOrderBook]


@pytest.fixture(params=BOOKS, ids=lambda cls: cls.__name__)
def book_cls(request: pytest.FixtureRequest) -> type[OrderBook]:
    cls: type[OrderBook] = request.param
    return cls


@pytest.fixture
def d(book_cls: type[OrderBook]) -> Driver:
    """A created, trading market on the parametrized book implementation."""
    return Driver(book_cls())


@pytest.fixture(autouse=True)
def _no_engine_left_behind() -> Iterator[None]:
    yield
    kill_leftover_engines()
