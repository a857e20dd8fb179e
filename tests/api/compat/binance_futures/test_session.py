"""``/fapi`` with a signed-in browser's session (the web page's futures screen, ADR 0035):
reads need the session, writes also the CSRF token; the listen key stays API-key only."""

from __future__ import annotations

from decimal import Decimal

import requests

from exchange.accounts.models import User
from exchange.futures.models import Position
from tests.api.compat.binance_futures.conftest import SYMBOL

PASSWORD = "a long test passphrase"


def signed_in(url: str, email: str) -> requests.Session:
    User.objects.create_user(email=email, password=PASSWORD)
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
    browser = signed_in(live.url, "fapi-session@example.com")
    user = User.objects.get(email="fapi-session@example.com")
    # reads: the session alone
    balances = browser.get(f"{live.url}/fapi/v2/balance", timeout=10)
    assert balances.status_code == 200, balances.text
    assert [b["balance"] for b in balances.json() if b["asset"] == "USDT"] in ([], ["0"])
    # a write without the CSRF token is refused and changes nothing
    refused = browser.post(
        f"{live.url}/fapi/v1/leverage", data={"symbol": SYMBOL, "leverage": "7"}, timeout=10
    )
    assert (refused.status_code, refused.json()["code"]) == (403, -1000)
    assert "CSRF" in refused.json()["msg"]
    assert not Position.objects.filter(user=user, leverage=7).exists()
    # with it, the change is made for the session's user
    changed = browser.post(
        f"{live.url}/fapi/v1/leverage",
        data={"symbol": SYMBOL, "leverage": "7"},
        headers={"X-CSRFToken": browser.cookies["csrftoken"]},
        timeout=10,
    )
    assert changed.status_code == 200, changed.text
    assert Position.objects.get(user=user, contract=contract).leverage == 7
    # a transfer the spot wallet cannot cover: Binance's refusal, nothing moved
    transfer = browser.post(
        f"{live.url}/sapi/v1/asset/transfer",
        data={"type": "MAIN_UMFUTURE", "asset": "USDT", "amount": str(Decimal(5))},
        headers={"X-CSRFToken": browser.cookies["csrftoken"]},
        timeout=10,
    )
    assert transfer.json()["code"] == -5013


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
