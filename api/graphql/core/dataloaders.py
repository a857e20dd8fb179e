"""Per-request batch loaders: one query for a field across every item of a list.

graphql-core runs synchronous resolvers depth first: it finishes the first
order (and its ``trades``) before it starts the second, so a loader cannot wait
for its siblings' keys. A list resolver therefore announces its items' keys
with ``expect``; the first ``load`` fetches all expected keys in one query and
the rest are answered from the cache. A key nobody announced still loads, alone.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Any, Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
L = TypeVar("L", bound="BatchLoader[Any, Any]")

_LOADERS = "_graphql_loaders"


class BatchLoader(Generic[K, V]):
    """Subclasses implement ``batch_load``; get one with ``for_request(info.context)``."""

    def __init__(self, context: Any) -> None:
        self.context = context
        self._cache: dict[K, V] = {}
        self._expected: dict[K, None] = {}

    @classmethod
    def for_request(cls: type[L], context: Any) -> L:
        loaders: dict[type, Any] = context.__dict__.setdefault(_LOADERS, {})
        if cls not in loaders:
            loaders[cls] = cls(context)
        loader: L = loaders[cls]
        return loader

    def expect(self, keys: Iterable[K]) -> None:
        for key in keys:
            if key not in self._cache:
                self._expected[key] = None

    def prime(self, key: K, value: V) -> None:
        """Remember a value another query already fetched."""
        self._cache.setdefault(key, value)
        self._expected.pop(key, None)

    def load(self, key: K) -> V:
        if key not in self._cache:
            self._expected[key] = None
            keys = list(self._expected)
            self._expected.clear()
            found = self.batch_load(keys)
            for k in keys:
                self._cache[k] = found[k] if k in found else self.missing(k)
        return self._cache[key]

    def batch_load(self, keys: list[K]) -> dict[K, V]:
        """The value of each key; keys left out get ``missing(key)``."""
        raise NotImplementedError

    def missing(self, key: K) -> V:
        raise KeyError(key)
