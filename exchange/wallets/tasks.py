"""Celery tasks of wallets."""

from __future__ import annotations

from celery import shared_task

from exchange.wallets.models import Network
from exchange.wallets.sweeps import sweep_network


@shared_task(ignore_result=True)
def sweep_deposit_addresses() -> int:
    """Beat's scheduled sweep (``SWEEP_EVERY_SECONDS``) of every EVM network's deposit
    addresses into its hot wallet; returns the transactions it sent."""
    sent = 0
    for network in Network.objects.filter(adapter="evm"):
        result = sweep_network(network)
        sent += len(result.topped_up) + len(result.sent)
    return sent
