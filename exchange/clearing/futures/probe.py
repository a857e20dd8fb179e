"""Engine probe: is the database exactly the engine's state at clearing's checkpoint?

The margin group is a pure function of its input stream, so its state at the
checkpoint can be rebuilt here: the engine's snapshot (if it is not past the
checkpoint) or an empty group, plus the input entries after it up to the
checkpoint, applied with the engine's own code. Every wallet, position (size,
cost, leverage) and the insurance fund must then equal the database's rows, to
the atom. Needs the input stream from the snapshot (or its start) on: the stream
trimmer keeps it above the last snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection, transaction

from exchange.clearing.checkpoint import checkpoint_of
from exchange.clearing.futures.runner import checkpoint_key
from exchange.core.redis import get_redis
from exchange.futures import units
from exchange.futures.models import (
    Contract,
    FuturesWallet,
    InsuranceFund,
    MarginType,
    Position,
)
from exchange.wallets.models import Asset
from matching_client import parse_entry_id
from matching_engine.futures.engine import MarginGroup
from matching_engine.protocol import FIELD, input_stream, snapshot_key
from matching_engine.snapshot import Snapshot

CHUNK = 1000


@dataclass(frozen=True)
class ProbeResult:
    checkpoint: str
    replayed: int
    differences: list[str]


def _engine_at(group: str, checkpoint: str) -> tuple[MarginGroup, int]:
    client = get_redis()
    blob: Any = client.get(snapshot_key(group))
    state, after = MarginGroup(group), "0-0"
    if blob:
        snapshot = Snapshot.decode(blob)
        if isinstance(snapshot.market, MarginGroup) and parse_entry_id(
            snapshot.last_id
        ) <= parse_entry_id(checkpoint):
            state, after = snapshot.market, snapshot.last_id
    replayed = 0
    while parse_entry_id(after) < parse_entry_id(checkpoint):
        rows: Any = client.xrange(input_stream(group), f"({after}", checkpoint, count=CHUNK)
        if not rows:
            break
        for entry_id, fields in rows:
            state.apply(fields[FIELD])
            after = entry_id.decode()
            replayed += 1
    return state, replayed


def probe_group(group: str) -> ProbeResult:
    """Compare the database with the engine's state at the database's checkpoint."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        checkpoint = checkpoint_of(checkpoint_key(group))
        asset = Asset.objects.get(code=group)
        contracts = {
            c.engine_id: c
            for c in Contract.objects.filter(margin_asset=asset).select_related("margin_asset")
        }
        wallets = dict(FuturesWallet.objects.filter(asset=asset).values_list("user_id", "balance"))
        positions = {
            (p.user_id, p.contract_id): p
            for p in Position.objects.filter(contract__margin_asset=asset)
        }
        fund = InsuranceFund.objects.filter(asset=asset).values_list("balance", flat=True).first()
    state, replayed = _engine_at(group, checkpoint)
    diffs: list[str] = []
    seen_positions: set[tuple[int, int]] = set()
    for user, account in sorted(state.accounts.items()):
        db_wallet = units.to_atoms_of(asset, wallets.pop(user, Decimal(0)))
        if db_wallet != account.wallet:
            diffs.append(f"user {user}: wallet {db_wallet} != engine {account.wallet} atoms")
        for cid, pos in sorted(account.positions.items()):
            contract = contracts[cid]
            row = positions.get((user, contract.pk))
            seen_positions.add((user, contract.pk))
            ours = (
                (units.to_lots(contract, row.size), units.to_atoms(contract, row.cost))
                if row
                else (0, 0)
            )
            if ours != (pos.size, pos.cost):
                diffs.append(
                    f"user {user} {contract.symbol}: (size, cost) {ours} != engine "
                    f"{(pos.size, pos.cost)}"
                )
            if row is not None:
                engine_margin = (
                    MarginType.ISOLATED if pos.isolated else MarginType.CROSSED,
                    pos.margin,
                )
                ours_margin = (row.margin_type, units.to_atoms(contract, row.isolated_margin))
                if ours_margin != engine_margin:
                    diffs.append(
                        f"user {user} {contract.symbol}: margin {ours_margin} != engine "
                        f"{engine_margin}"
                    )
            if row is not None and row.leverage != pos.leverage:
                diffs.append(
                    f"user {user} {contract.symbol}: leverage {row.leverage} != {pos.leverage}"
                )
    diffs += [f"user {u}: wallet {w} in the database only" for u, w in wallets.items() if w]
    diffs += [
        f"user {u}: position in contract {c} in the database only"
        for (u, c), p in positions.items()
        if (u, c) not in seen_positions and p.size
    ]
    db_fund = units.to_atoms_of(asset, fund if fund is not None else Decimal(0))
    if db_fund != state.insurance:
        diffs.append(f"insurance fund {db_fund} != engine {state.insurance} atoms")
    return ProbeResult(checkpoint, replayed, diffs)
