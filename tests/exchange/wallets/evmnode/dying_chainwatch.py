"""``runchainwatch`` that SIGKILLs itself right after one step of a payout, for the crash tests.

    python -m tests.exchange.wallets.evmnode.dying_chainwatch --after sign|broadcast

``sign``: the EVM adapter has signed the payout, inside the transaction that would
record it (and its nonce); the kill lands before that commit. ``broadcast``: the
node has accepted the recorded transaction; the kill lands before the withdrawal
is marked SENT. Everything else is the real command: the same settings from the
environment, the same watcher and payout passes.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Callable, Sequence
from typing import Any

import django

STEPS = {"sign": "sign_payout", "broadcast": "broadcast"}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--after", choices=sorted(STEPS), required=True)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "exchange.settings")
    django.setup()
    from django.core.management import call_command

    from exchange.wallets.chains.evm import EvmAdapter

    method = STEPS[args.after]
    step: Callable[..., Any] = getattr(EvmAdapter, method)

    def then_die(self: EvmAdapter, *a: Any, **kw: Any) -> Any:
        step(self, *a, **kw)
        sys.stdout.write(f"killed after {method}\n")
        sys.stdout.flush()
        os.kill(os.getpid(), signal.SIGKILL)

    setattr(EvmAdapter, method, then_die)
    call_command("runchainwatch", "--networks", "ETH", "--interval", "0.2")


if __name__ == "__main__":
    main(sys.argv[1:])
