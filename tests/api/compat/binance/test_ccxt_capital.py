"""ccxt's binance class, only its base URLs changed, moves money through ``/sapi/v1/capital``.

A real ``runchainwatch`` process watches the simulated chain (network SIM) beside the
live exchange: deposits show as pending, then are credited after their confirmations;
an approved withdrawal is paid with a txid and confirmed. ccxt's ``load_markets`` runs
with its DEFAULT options (currencies, margin pairs, USDⓈ-M and COIN-M markets).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal

import ccxt
import pytest
from django.conf import settings

from exchange.accounts.models import User
from exchange.wallets.actions import do_approve_withdrawal
from exchange.wallets.chains.simchain import SimChainAdapter, sim_address, sim_deposit, sim_mine
from exchange.wallets.models import AssetNetwork, Network, SimTx, Withdrawal
from tests.api.compat.conftest import ROOT, LiveExchange, Trader, balance, wait_until
from tests.test_processes import database_url

PAYEE = sim_address("ccxt-payee")


def ccxt_default(live: LiveExchange, trader: Trader) -> ccxt.binance:
    """ccxt with its default options; every base URL's host replaced by the live exchange."""
    exchange = ccxt.binance({"apiKey": trader.key, "secret": trader.secret})
    exchange.enableRateLimit = False
    for name, url in exchange.urls["api"].items():
        exchange.urls["api"][name] = re.sub(r"^https://[^/]+", live.url, url)
    return exchange


@pytest.fixture(scope="module")
def chain(live: LiveExchange, django_db_blocker) -> Iterator[SimChainAdapter]:  # noqa: ANN001
    """Network SIM with BTC (coin) and USDT (token), a funded hot wallet and its watcher."""
    with django_db_blocker.unblock():
        network = Network.objects.create(
            code="SIM", name="Simulated", adapter="sim", hot_address=sim_address("ccxt-hot")
        )
        for code, contract, minimum, fee in (
            ("BTC", "", "0.001", "0.0005"),
            ("USDT", "t", "5", "1"),
        ):
            AssetNetwork.objects.create(
                asset=live.assets[code],
                network=network,
                contract=contract,
                confirmations=2,
                withdraw_min=Decimal(minimum),
                withdraw_fee=Decimal(fee),
            )
        sim_deposit("SIM", to=network.hot_address, amount=Decimal("1000"), contract="t")
        sim_mine("SIM")
        env = {**os.environ, "DATABASE_URL": database_url(), "REDIS_URL": settings.REDIS_URL}
        watcher = subprocess.Popen(
            [sys.executable, "manage.py", "runchainwatch", "--interval", "0.2"],
            cwd=ROOT,
            env=env,
            start_new_session=True,
        )
        try:
            yield SimChainAdapter(network)
        finally:
            os.killpg(watcher.pid, signal.SIGTERM)
            watcher.wait(timeout=20)


def test_load_markets_with_default_options_reads_the_coins_and_their_networks(live, chain):
    # given ccxt with its default options (fetchCurrencies, fetchMargins, spot+linear+inverse)
    trader = live.trader()
    ex = ccxt_default(live, trader)
    # when it loads markets
    markets = ex.load_markets()
    # then spot markets load and the currencies carry the SIM network's rules
    assert "BTC/USDT" in markets
    usdt = ex.currencies["USDT"]
    sim = usdt["networks"]["SIM"]
    assert sim["withdraw"] is True and sim["deposit"] is True
    assert sim["fee"] == 1 and sim["limits"]["withdraw"]["min"] == 5


def test_deposit_address_and_deposits_pending_then_credited(live, chain):
    # given a trader's deposit address from ccxt
    trader = live.trader()
    ex = ccxt_default(live, trader)
    address = ex.fetch_deposit_address("BTC", {"network": "SIM"})
    assert address["address"].startswith("sim") and address["currency"] == "BTC"
    assert ex.fetch_deposit_address("BTC", {"network": "SIM"})["address"] == address["address"]
    # when BTC arrives in a block (1 of 2 confirmations)
    txid = sim_deposit("SIM", to=address["address"], amount=Decimal("0.25"))
    sim_mine("SIM")

    def listed(status: str) -> bool:
        deposits = ex.fetch_deposits("BTC")
        return bool(deposits) and deposits[0]["status"] == status

    # then ccxt lists it as pending, nothing credited
    wait_until(lambda: listed("pending"), what="the deposit seen by the watcher")
    (pending,) = ex.fetch_deposits("BTC")
    assert pending["txid"] == txid and pending["amount"] == 0.25
    assert pending["info"]["confirmTimes"] == "1/2"
    assert balance(trader, "BTC") == (Decimal(0), Decimal(0))
    # when the second block comes, then it is credited once
    sim_mine("SIM")
    wait_until(lambda: listed("ok"), what="the deposit credited")
    assert balance(trader, "BTC") == (Decimal("0.25"), Decimal(0))
    assert len(ex.fetch_deposits("BTC")) == 1


def test_withdraw_is_paid_with_a_txid_and_confirmed(live, chain):
    # given a trader with 100 USDT and a key allowed to withdraw
    trader = live.trader(("read", "trade", "withdraw"), USDT="100")
    ex = ccxt_default(live, trader)
    operator = User.objects.create_user(email="ccxt-operator@example.com", password="x" * 12)
    # when it withdraws 30 USDT on SIM
    sent = ex.withdraw("USDT", 30, PAYEE, {"network": "SIM"})
    assert balance(trader, "USDT") == (Decimal("70"), Decimal("30"))
    (listed,) = ex.fetch_withdrawals("USDT")
    assert listed["id"] == sent["id"] and listed["status"] == "pending"
    # and an operator approves it
    do_approve_withdrawal(withdrawal_id=int(sent["id"]), approved_by=operator)

    def sent_with_txid() -> bool:
        return bool(Withdrawal.objects.get(pk=int(sent["id"])).txid)

    wait_until(sent_with_txid, what="the payout broadcast")
    sim_mine("SIM", 2)

    def completed() -> bool:
        return ex.fetch_withdrawals("USDT")[0]["status"] == "ok"

    wait_until(completed, what="the payout confirmed")
    # then ccxt shows the txid the chain holds, 29 received and a fee of 1
    (done,) = ex.fetch_withdrawals("USDT")
    (tx,) = SimTx.objects.filter(recipient=PAYEE)
    assert done["txid"] == tx.txid and done["amount"] == 29 and done["fee"]["cost"] == 1
    assert tx.amount == Decimal("29") and balance(trader, "USDT") == (Decimal("70"), Decimal(0))


def test_bad_withdrawals_are_refused_with_nothing_moved(live, chain):
    trader = live.trader(("read", "trade", "withdraw"), USDT="100")
    ex = ccxt_default(live, trader)
    typo = PAYEE[:-1] + ("0" if PAYEE[-1] != "0" else "1")
    with pytest.raises(ccxt.BadRequest, match="-4033.*not a valid SIM address"):
        ex.withdraw("USDT", 30, typo, {"network": "SIM"})
    with pytest.raises(ccxt.BadRequest, match="-4022.*minimum USDT withdrawal"):
        ex.withdraw("USDT", 2, PAYEE, {"network": "SIM"})
    with pytest.raises(ccxt.ExchangeError, match="-4026.*Insufficient USDT"):
        ex.withdraw("USDT", 500, PAYEE, {"network": "SIM"})
    with pytest.raises(ccxt.BadRequest, match="-4001.*BTC has no network 'NOPE'"):
        ex.fetch_deposit_address("BTC", {"network": "NOPE"})
    reader = ccxt_default(live, live.trader(USDT="100"))
    with pytest.raises(ccxt.AuthenticationError, match="-2015"):
        reader.withdraw("USDT", 30, PAYEE, {"network": "SIM"})
    assert balance(trader, "USDT") == (Decimal("100"), Decimal(0))
    assert ex.fetch_withdrawals("USDT") == []
