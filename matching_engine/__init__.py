"""Matching cluster: a deterministic in-memory matching engine fed by Redis Streams.

Pure Python: no Django and nothing from the platform. See docs/matching-protocol.md.
The spot core also runs compiled with mypyc when `make` has built it (see `native`);
`CORE` says which one this process loaded.
"""

from matching_engine.native import select_core

CORE: str = select_core(__path__)
