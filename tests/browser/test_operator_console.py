"""An operator's day in a browser: enrol TOTP, log in with it, read the dashboard after
a trading burst, halt a market, approve a withdrawal, find both in the audit log."""

from __future__ import annotations

from base64 import b32decode

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait

from exchange.accounts.models import User
from exchange.markets.models import Market, MarketStatus
from exchange.wallets.actions import do_request_withdrawal
from exchange.wallets.models import Withdrawal, WithdrawalStatus
from exchange.wallets.requests import WithdrawalRequest
from tests.admin_ui.burst import trading_burst
from tests.two_factor import enrol, totp_code

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "operator pass phrase"


def visible(browser, css: str):
    return WebDriverWait(browser, 30).until(
        ec.visibility_of_element_located((By.CSS_SELECTOR, css)), message=css
    )


def log_in(browser, live_server, code: str) -> None:
    browser.get(f"{live_server.url}/admin/login/")
    browser.find_element(By.NAME, "username").send_keys("ops@example.com")
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.NAME, "otp_token").send_keys(code)
    browser.find_element(By.CSS_SELECTOR, "#login-form input[type=submit]").click()


def run_action(browser, live_server, changelist: str, label: str, action: str) -> str:
    browser.get(f"{live_server.url}/admin/{changelist}/")
    row = browser.find_element(By.XPATH, f"//tr[contains(., '{label}')]")
    row.find_element(By.CSS_SELECTOR, "input.action-select").click()
    Select(browser.find_element(By.NAME, "action")).select_by_value(action)
    browser.find_element(By.CSS_SELECTOR, "button[name=index]").click()
    return visible(browser, "ul.messagelist").text


def test_an_operator_enrols_with_the_qr_page(browser, live_server, screenshot):
    User.objects.create_superuser(email="ops@example.com", password=PASSWORD)
    log_in(browser, live_server, "")
    # the admin index after the login's redirect (a loaded machine is slow to load it)
    WebDriverWait(browser, 30).until(
        ec.element_to_be_clickable((By.LINK_TEXT, "TWO-FACTOR"))
    ).click()
    qr = visible(browser, "#totp-qr svg")
    assert qr.size["width"] > 100
    screenshot("two-factor-enrol")
    # the operator's app reads the key from the page
    secret = browser.find_element(By.ID, "totp-secret").text
    device = TOTPDevice.objects.get(user__email="ops@example.com")
    assert b32decode(secret) == device.bin_key
    code = f"{TOTP(device.bin_key).token():06d}"
    browser.find_element(By.NAME, "code").send_keys(code)
    browser.find_element(By.CSS_SELECTOR, "input[value='Turn on']").click()
    codes = visible(browser, "#recovery-codes").find_elements(By.TAG_NAME, "li")
    assert len(codes) == 10
    screenshot("two-factor-recovery-codes")


def test_login_with_totp_dashboard_halt_approve_and_audit(
    browser, live_server, screenshot, redis_client, make_user, assets, fund, btcusdt
):
    operator = User.objects.create_superuser(email="ops@example.com", password=PASSWORD)
    device, _ = enrol(operator)
    seller, buyer = make_user(), make_user()
    fund(seller, assets["BTC"], "1")
    fund(buyer, assets["USDT"], "10000")
    trading_burst(seller, buyer, fills=5)
    withdrawal = do_request_withdrawal(
        user=seller,
        request=WithdrawalRequest.parse(
            asset=assets["BTC"], amount="0.1", network="BTC", address="bc1qseller"
        ),
    )

    # a wrong code is refused on the login page itself
    log_in(browser, live_server, "000000" if totp_code(device) != "000000" else "000001")
    assert "That code is not valid." in visible(browser, ".errornote").text
    screenshot("admin-login-wrong-code")
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_timestamp=None)

    # the app's code lets the operator in
    log_in(browser, live_server, totp_code(device))
    visible(browser, "#dashboards-module")
    screenshot("admin-index")

    # the dashboard shows the burst
    browser.get(f"{live_server.url}/admin/dashboards/trading/?window=1h")
    WebDriverWait(browser, 30).until(
        lambda b: b.find_element(By.TAG_NAME, "body").get_attribute("data-charts-drawn") == "1"
    )
    assert "BTCUSDT 5" in browser.find_element(By.CSS_SELECTOR, "#market-totals tbody").text
    screenshot("operator-dashboard")

    # halt the market, approve the withdrawal
    assert "set to HALT" in run_action(browser, live_server, "markets/market", "BTCUSDT", "halt")
    assert Market.objects.get(symbol="BTCUSDT").status == MarketStatus.HALT
    message = run_action(browser, live_server, "wallets/withdrawal", "bc1qseller", "approve")
    assert "1 withdrawal(s) processed" in message
    assert Withdrawal.objects.get(pk=withdrawal.pk).status == WithdrawalStatus.APPROVED

    # both are in the audit log, by this operator
    browser.get(f"{live_server.url}/admin/audit/auditrecord/")
    rows = [r.text for r in browser.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")]
    assert any("Market Status" in r and "ops@example.com" in r for r in rows), rows
    assert any("Withdrawal Approve" in r and "ops@example.com" in r for r in rows), rows
    screenshot("audit-log")
