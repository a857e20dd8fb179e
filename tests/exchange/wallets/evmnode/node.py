"""A Hardhat node (contracts/hardhat.config.js, installed from contracts/package-lock.json)
started on a free loopback port, and the JSON-RPC calls the tests make to it.

The node's own funded accounts (the faucet) come from a mnemonic that is not the
exchange's, so the exchange's hot wallet and deposit addresses start empty.
Transactions are mined at once, one per block; ``mine`` adds empty blocks, and
``snapshot``/``revert`` replace blocks to make a reorganisation.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
import urllib.request
from decimal import Decimal
from pathlib import Path
from typing import Any

from web3 import Web3

from exchange.wallets.chains.evm import to_wei
from exchange.wallets.chains.evm_units import to_units
from tests.test_processes import free_port

ROOT = Path(__file__).resolve().parents[4]
CONTRACTS = ROOT / "contracts"
HARDHAT = CONTRACTS / "node_modules" / ".bin" / "hardhat"
CHAIN_ID = 31337
TEST_TOKEN = json.loads(
    (ROOT / "tests" / "exchange" / "wallets" / "chains" / "test_token.json").read_text()
)


def missing_tools() -> str | None:
    """Why the node cannot run here (no Node.js or npm), or None."""
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            return f"{tool} (Node.js) is not installed: the local EVM node (Hardhat) needs it"
    return None


def install_hardhat() -> None:
    """What `make evm-node` does, for a bare `pytest` in a fresh clone."""
    if not HARDHAT.exists():
        subprocess.run(
            ["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=CONTRACTS,
            check=True,
            timeout=600,
        )


class HardhatNode:
    """One ``hardhat node`` process in its own session, stopped with its children."""

    def __init__(self, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        with open(log, "wb") as out:
            self.proc = subprocess.Popen(
                [str(HARDHAT), "node", "--hostname", "127.0.0.1", "--port", str(self.port)],
                cwd=CONTRACTS,
                env={**os.environ, "HARDHAT_DISABLE_TELEMETRY_PROMPT": "true"},
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.w3 = Web3(Web3.HTTPProvider(self.url, request_kwargs={"timeout": 10}))
        self._wait_ready()
        self.faucet = self.w3.eth.accounts[0]

    def _wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"hardhat node exited: {self.log.read_text()[-2000:]}")
            try:
                if self.rpc("eth_chainId") == hex(CHAIN_ID):
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"hardhat node not ready: {self.log.read_text()[-2000:]}")
            time.sleep(0.2)

    def rpc(self, method: str, *params: Any) -> Any:
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)})
        headers = {"Content-Type": "application/json"}
        request = urllib.request.Request(self.url, body.encode(), headers)  # noqa: S310 - loopback
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
            answer = json.loads(response.read())
        if "error" in answer:
            raise RuntimeError(f"{method}: {answer['error']}")
        return answer["result"]

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)

    # chain control

    def head(self) -> int:
        return int(self.w3.eth.block_number)

    def mine(self, blocks: int = 1) -> None:
        for _ in range(blocks):
            self.rpc("evm_mine")

    def snapshot(self) -> str:
        return str(self.rpc("evm_snapshot"))

    def revert(self, snapshot: str) -> None:
        assert self.rpc("evm_revert", snapshot) is True

    # the faucet: the node's first funded account, unlocked

    def send_ether(self, to: str, ether: str) -> str:
        txid = self.w3.eth.send_transaction(
            {"from": self.faucet, "to": to, "value": to_wei(Decimal(ether))}
        )
        self.w3.eth.wait_for_transaction_receipt(txid)
        return txid.to_0x_hex()

    def deploy_token(self, *, symbol: str, decimals: int, supply: int) -> str:
        """Our TestToken (contracts/TestToken.sol), its supply held by the faucet."""
        factory = self.w3.eth.contract(abi=TEST_TOKEN["abi"], bytecode=TEST_TOKEN["bytecode"])
        txid = factory.constructor(symbol, symbol, decimals, supply).transact({"from": self.faucet})
        return str(self.w3.eth.wait_for_transaction_receipt(txid)["contractAddress"])

    def send_tokens(self, contract: str, decimals: int, to: str, amount: str) -> str:
        token = self.w3.eth.contract(
            address=Web3.to_checksum_address(contract), abi=TEST_TOKEN["abi"]
        )
        units = to_units(Decimal(amount), decimals)
        txid = token.functions.transfer(to, units).transact({"from": self.faucet})
        self.w3.eth.wait_for_transaction_receipt(txid)
        return txid.to_0x_hex()

    def transactions_to(self, recipient: str, *, since: int) -> list[dict[str, Any]]:
        """Every transaction of blocks ``since``..head sent to ``recipient`` (a token's
        transfers are sent to its contract)."""
        found = []
        for number in range(since, self.head() + 1):
            block = self.w3.eth.get_block(number, full_transactions=True)
            found += [dict(tx) for tx in block["transactions"] if tx.get("to") == recipient]  # type: ignore[union-attr]
        return found
