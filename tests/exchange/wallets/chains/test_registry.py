"""The registry imports an adapter only when a network needs it: web3 stays out of the
web, worker and engine processes until an EVM network is used."""

from __future__ import annotations

import subprocess
import sys

import pytest

from exchange.wallets.chains.registry import adapter_for
from exchange.wallets.chains.simchain import SimChainAdapter
from exchange.wallets.errors import WalletError, WalletErrorCode
from exchange.wallets.models import Network

LOADED = """
import os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "exchange.settings")
import django
django.setup()
import exchange.asgi, exchange.celery, exchange.urls  # the web, worker and beat entry points
import exchange.wallets.deposit_watch, exchange.wallets.payouts, exchange.wallets.tasks
from exchange.wallets.chains.registry import _factory
print("web3" in sys.modules, "eth_account" in sys.modules, end=" ")
_factory("evm")
print("web3" in sys.modules)
"""


def test_web3_is_imported_only_when_an_evm_adapter_is_first_used():
    # when a fresh process loads the web app, the tasks and the wallet services,
    # then asks the registry for the EVM adapter
    done = subprocess.run(
        [sys.executable, "-c", LOADED], capture_output=True, text=True, timeout=120, check=True
    )
    # then web3 arrived only with the adapter
    assert done.stdout.split() == ["False", "False", "True"], done.stderr


def test_a_network_names_its_adapter_or_is_refused(db):
    sim = Network(code="SIM", name="Sim", adapter="sim", hot_address="x")
    assert isinstance(adapter_for(sim), SimChainAdapter)
    with pytest.raises(WalletError) as error:
        adapter_for(Network(code="X", name="X", adapter="nope", hot_address="x"))
    assert error.value.code == WalletErrorCode.UNKNOWN_NETWORK
