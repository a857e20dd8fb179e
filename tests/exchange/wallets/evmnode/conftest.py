"""The local EVM node (Hardhat) for the whole package, a network ETH on it per test
(reverted to the node's snapshot afterwards), and the chain watcher as a real process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings

from exchange.wallets.chains.evm import derive_account
from exchange.wallets.models import Asset, AssetNetwork, ChainCursor, Network
from tests.exchange.wallets.chains.conftest import MNEMONIC
from tests.exchange.wallets.evmnode.node import (
    CHAIN_ID,
    ROOT,
    HardhatNode,
    install_hardhat,
    missing_tools,
)
from tests.test_processes import database_url

TOKEN_DECIMALS = 6


@pytest.fixture(scope="session")
def hardhat(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HardhatNode]:
    reason = missing_tools()
    if reason:
        pytest.skip(reason)
    install_hardhat()
    node = HardhatNode(tmp_path_factory.mktemp("hardhat") / "node.log")
    try:
        yield node
    finally:
        node.stop()


@dataclass
class EvmNet:
    """Network ETH on the node: ether (3 confirmations) and USDC, our test token
    (6 decimals on chain, 8 places in the ledger, 2 confirmations)."""

    node: HardhatNode
    network: Network
    ether: AssetNetwork
    usdc: AssetNetwork
    first_block: int

    def env(self) -> dict[str, str]:
        """What a process of the exchange needs to reach this network and the test's stores."""
        return {
            **os.environ,
            "DATABASE_URL": database_url(),
            "REDIS_URL": settings.REDIS_URL,
            "EVM_HD_MNEMONIC": MNEMONIC,
            "EVM_RPC_URLS": f"ETH={self.node.url}",
            "EVM_CHAIN_IDS": f"ETH={CHAIN_ID}",
            "PYTHONUNBUFFERED": "1",
        }


@pytest.fixture
def evmnet(hardhat: HardhatNode, settings, assets) -> Iterator[EvmNet]:
    snapshot = hardhat.snapshot()
    settings.EVM_HD_MNEMONIC = MNEMONIC
    settings.EVM_RPC_URLS = {"ETH": hardhat.url}
    settings.EVM_CHAIN_IDS = {"ETH": CHAIN_ID}
    first_block = hardhat.head() + 1
    network = Network.objects.create(
        code="ETH", name="Ethereum", adapter="evm", hot_address=derive_account(0).address
    )
    ether = AssetNetwork.objects.create(
        asset=assets["ETH"],
        network=network,
        confirmations=3,
        withdraw_min=Decimal("0.01"),
        withdraw_fee=Decimal("0.001"),
    )
    usdc = AssetNetwork.objects.create(
        asset=Asset.objects.create(code="USDC", name="USD Coin", precision=8),
        network=network,
        contract=hardhat.deploy_token(symbol="USDC", decimals=TOKEN_DECIMALS, supply=10**15),
        decimals=TOKEN_DECIMALS,
        confirmations=2,
        withdraw_min=Decimal("5"),
        withdraw_fee=Decimal("1"),
    )
    try:
        yield EvmNet(hardhat, network, ether, usdc, first_block)
    finally:
        hardhat.revert(snapshot)


class ChainWatch:
    """``manage.py runchainwatch`` (or ``argv``) as a process of its own, polled by the test."""

    def __init__(self, net: EvmNet, log: Path, argv: list[str] | None = None) -> None:
        self.net = net
        self.log = log
        with open(log, "ab") as out:
            self.proc = subprocess.Popen(
                argv
                or [sys.executable, "manage.py", "runchainwatch", "--networks", "ETH"]
                + ["--interval", "0.2"],
                cwd=ROOT,
                env=net.env(),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def until(self, condition: Callable[[], object], what: str, timeout: float = 60) -> None:
        """Wait for ``condition`` while the process lives (or has just died)."""
        deadline = time.monotonic() + timeout
        while not condition():
            assert time.monotonic() < deadline, f"timed out waiting for {what}:\n{self.output()}"
            time.sleep(0.1)

    def scanned_head(self) -> None:
        """Wait for a whole pass that began at the node's current head or later."""
        head = self.net.node.head()
        cursor = ChainCursor.objects.filter(network=self.net.network)
        self.until(lambda: cursor.filter(last_block__gte=head).exists(), f"a pass at block {head}")
        assert self.proc.poll() is None, self.output()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)


@pytest.fixture
def chainwatch(evmnet: EvmNet, tmp_path: Path) -> Iterator[Callable[..., ChainWatch]]:
    """Start watcher processes (all stopped at the end); they log to one file per test."""
    started: list[ChainWatch] = []

    def start(argv: list[str] | None = None) -> ChainWatch:
        watch = ChainWatch(evmnet, tmp_path / "chainwatch.log", argv)
        started.append(watch)
        return watch

    yield start
    for watch in started:
        watch.stop()
