"""The ``runchainwatch`` loop: per network, a deposit scan then a payout pass.

One process serves every network in turn; each pass is safe to repeat, so a
crash or a second copy costs at most duplicate work, never a duplicate credit
or payout (the database rows decide, see ``deposit_watch`` and ``payouts``).
"""

from __future__ import annotations

import logging
import threading

from exchange.core.heartbeat import beat
from exchange.wallets.deposit_watch import scan_network
from exchange.wallets.models import Network
from exchange.wallets.payouts import pay_network

logger = logging.getLogger("exchange.wallets.chainwatch")


def watch_once(networks: list[str] | None = None) -> None:
    """Scan and pay every network (or those named) once."""
    rows = Network.objects.all()
    if networks:
        rows = rows.filter(code__in=networks)
    for network in rows:
        scanned = scan_network(network)
        paid = pay_network(network)
        if scanned.credited or scanned.orphaned or scanned.reorged or paid.sent or paid.failed:
            logger.info(
                "%s head %d: credited %d, orphaned %d, reorged %d; sent %d, confirmed %d,"
                " failed %d",
                network.code,
                scanned.head,
                len(scanned.credited),
                len(scanned.orphaned),
                len(scanned.reorged),
                len(paid.sent),
                len(paid.confirmed),
                len(paid.failed),
            )


def run_chain_watch(*, stop: threading.Event, interval_s: float, networks: list[str]) -> None:
    """Repeat ``watch_once`` until ``stop``; a failed pass is logged and retried."""
    while not stop.is_set():
        try:
            watch_once(networks or None)
            beat("chainwatch")
        except Exception:
            logger.exception("chain watch pass failed; retrying")
        stop.wait(interval_s)
