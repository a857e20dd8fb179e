"""Perpetual futures: one margin group's state machine (docs/futures.md).

Compiled with the spot core when `select_core` loaded the mypyc build (see `native`).
"""

from matching_engine.native import select_subpackage

select_subpackage(__path__, "futures")
