"""Nonces of the accounts we sign for on an EVM chain, allocated in the database.

A nonce is taken under the ``AccountNonce`` row lock inside the transaction that
also records the signed transaction, so two payouts signed at once (two workers,
or a payout and a sweep's gas top-up) get consecutive nonces, and a crash before
that commit gives the nonce back with the signature that used it: never reused,
never skipped. The node's pending count only raises the floor, for transactions
sent from the account outside this database (an operator's wallet).
"""

from __future__ import annotations

from django.db import transaction

from exchange.wallets.models import AccountNonce, Network


def allocate_nonce(*, network: Network, address: str, chain_next: int) -> int:
    """The next nonce of ``address``; call inside the transaction that records the
    transaction signed with it (the row lock is held until that commits)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("allocate a nonce inside the transaction that records its use")
    AccountNonce.objects.get_or_create(network=network, address=address.lower())
    row = AccountNonce.objects.select_for_update().get(network=network, address=address.lower())
    nonce = max(row.next_nonce, chain_next)
    row.next_nonce = nonce + 1
    row.save(update_fields=["next_nonce"])
    return nonce
