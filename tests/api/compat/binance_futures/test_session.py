"""``/fapi`` with a signed-in browser's session (the web page's futures screen, ADR 0035):
reads need the session, writes also the CSRF token; the listen key stays API-key only."""

from __future__ import annotations

from decimal import Decimal

import requests

from exchange.accounts.models import User
from exchange.futures.models import FuturesWallet, Position
from exchange.wallets.actions import do_credit_deposit
from exchange.wallets.models import Asset
from tests.api.compat.binance_futures.conftest import SYMBOL, transferred
from tests.api.compat.conftest import wait_until

PASSWORD = "a long test passphrase"


def signed_in(url: str, email: str, usdt: str = "0") -> requests.Session:
    user = User.objects.create_user(email=email, password=PASSWORD)
    if Decimal(usdt):
        do_credit_deposit(
            user=user,
            asset=Asset.objects.get(code="USDT"),
            amount=usdt,
            network="test",
            txid=f"session-{email}",
        )
    browser = requests.Session()
    browser.get(f"{url}/login", timeout=10)  # sets the csrftoken cookie
    answer = browser.post(
        f"{url}/api/v1/auth/session",
        json={"email": email, "password": PASSWORD},
        headers={"X-CSRFToken": browser.cookies["csrftoken"]},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return browser


def test_a_session_reads_and_with_its_csrf_token_writes(live, contract):
    browser = signed_in(live.url, "fapi-session@example.com", usdt="100")
    user = User.objects.get(email="fapi-session@example.com")
    csrf = {"X-CSRFToken": browser.cookies["csrftoken"]}
    # reads: the session alone
    balances = browser.get(f"{live.url}/fapi/v2/balance", timeout=10)
    assert balances.status_code == 200, balances.text
    # a write without the CSRF token is refused and changes nothing
    refused = browser.post(
        f"{live.url}/sapi/v1/asset/transfer",
        data={"type": "MAIN_UMFUTURE", "asset": "USDT", "amount": "40"},
        timeout=10,
    )
    assert (refused.status_code, refused.json()["code"]) == (403, -1000)
    assert "CSRF" in refused.json()["msg"]
    assert not FuturesWallet.objects.filter(user=user).exists()
    # with it, the change is made for the session's user
    moved = browser.post(
        f"{live.url}/sapi/v1/asset/transfer",
        data={"type": "MAIN_UMFUTURE", "asset": "USDT", "amount": "40"},
        headers=csrf,
        timeout=10,
    )
    assert moved.status_code == 200, moved.text
    wait_until(lambda: transferred(moved.json()["tranId"]), what="the transfer")
    assert FuturesWallet.objects.get(user=user).balance == Decimal(40)
    changed = browser.post(
        f"{live.url}/fapi/v1/leverage",
        data={"symbol": SYMBOL, "leverage": "7"},
        headers=csrf,
        timeout=10,
    )
    assert changed.status_code == 200, changed.text
    assert Position.objects.get(user=user, contract=contract).leverage == 7
    # a transfer the spot wallet cannot cover: Binance's refusal, nothing moved
    transfer = browser.post(
        f"{live.url}/sapi/v1/asset/transfer",
        data={"type": "MAIN_UMFUTURE", "asset": "USDT", "amount": "61"},
        headers=csrf,
        timeout=10,
    )
    assert transfer.json()["code"] == -5013
    assert FuturesWallet.objects.get(user=user).balance == Decimal(40)


def test_the_listen_key_and_a_signed_out_browser_still_need_a_key(live, contract):
    browser = signed_in(live.url, "fapi-listen@example.com")
    listen = browser.post(
        f"{live.url}/fapi/v1/listenKey",
        headers={"X-CSRFToken": browser.cookies["csrftoken"]},
        timeout=10,
    )
    assert (listen.status_code, listen.json()["code"]) == (401, -2014)
    anonymous = requests.get(f"{live.url}/fapi/v2/balance", timeout=10)
    assert (anonymous.status_code, anonymous.json()["code"]) == (401, -2014)
