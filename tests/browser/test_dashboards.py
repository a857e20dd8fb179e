"""The operator dashboards in a browser: charts drawn from local files after a burst."""

from __future__ import annotations

import time

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from exchange.accounts.models import User
from exchange.dashboards.tasks import sample_pipeline_lag
from exchange.reconciliation.actions import do_record_reconciliation
from tests.admin_ui.burst import perpetual_fill, trading_burst
from tests.exchange.futures.support import btc_perpetual

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "operator pass phrase"


def admin_login(browser, live_server, email: str, password: str = PASSWORD) -> None:
    browser.get(f"{live_server.url}/admin/login/")
    browser.find_element(By.NAME, "username").send_keys(email)
    browser.find_element(By.NAME, "password").send_keys(password)
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()


@pytest.fixture
def burst(redis_client, make_user, assets, fund, btcusdt):
    seller, buyer = make_user(), make_user()
    fund(seller, assets["BTC"], "1")
    fund(buyer, assets["USDT"], "10000")
    return trading_burst(seller, buyer, fills=4)


def test_trading_dashboard_draws_non_empty_charts(
    browser, live_server, screenshot, burst, assets, make_user, fund
):
    btc_perpetual(assets)
    maker, taker = make_user(), make_user()
    for user in (maker, taker):
        fund(user, assets["USDT"], "10000")
    perpetual_fill(maker, taker)
    User.objects.create_superuser(email="ops@example.com", password=PASSWORD)
    admin_login(browser, live_server, "ops@example.com")
    browser.find_element(By.LINK_TEXT, "Trading activity").click()
    browser.get(browser.current_url + "?window=1h")
    WebDriverWait(browser, 30).until(
        lambda b: b.find_element(By.TAG_NAME, "body").get_attribute("data-charts-drawn") == "2"
    )
    shot = screenshot("dashboard-trading", full_page=True)
    section = browser.find_element(By.CSS_SELECTOR, 'section[data-key="spot:BTCUSDT"]')
    # lightweight-charts draws into canvases: each chart has a plot area wider than its axes
    for name in ("volume", "trades", "fees"):
        canvases = section.find_elements(By.CSS_SELECTOR, f'[data-chart="{name}"] canvas')
        assert max(c.size["width"] for c in canvases) > 200, name
    total = browser.find_element(By.CSS_SELECTOR, "#market-totals tbody tr").text
    assert "BTCUSDT 4 2,400.06000000 USDT" in total
    contract = browser.find_element(By.CSS_SELECTOR, "#contract-totals tbody tr").text
    assert contract.startswith("BTCUSDT TRADING 1 6,000.00000000 USDT 4.20000000 USDT 0.1 BTC")
    perpetual = browser.find_element(By.CSS_SELECTOR, 'section[data-key="perp:BTCUSDT"] canvas')
    assert perpetual.size["width"] > 0
    assert shot.stat().st_size > 0


def test_pipeline_dashboard_shows_the_streams_and_reconciliation(
    browser, live_server, screenshot, burst
):
    do_record_reconciliation()
    for _ in range(2):  # two lag samples, as beat takes them
        sample_pipeline_lag()
        time.sleep(1.1)  # one sample per second at most: the chart's times must rise
    User.objects.create_superuser(email="ops@example.com", password=PASSWORD)
    admin_login(browser, live_server, "ops@example.com")
    browser.find_element(By.LINK_TEXT, "Pipeline health").click()
    row = WebDriverWait(browser, 30).until(
        ec.visibility_of_element_located((By.CSS_SELECTOR, '#pipeline tr[data-market="BTCUSDT"]'))
    )
    assert "BTCUSDT" in row.text and "TRADING" in row.text
    recon = browser.find_elements(By.CSS_SELECTOR, "#reconciliation tbody tr")
    assert [r.text.split()[:2] for r in recon] == [["BTC", "OK"], ["ETH", "OK"], ["USDT", "OK"]]
    WebDriverWait(browser, 30).until(
        lambda b: b.find_element(By.TAG_NAME, "body").get_attribute("data-lag-charts-drawn") == "1"
    )
    section = browser.find_element(By.CSS_SELECTOR, 'section[data-lag="BTCUSDT"]')
    for name in ("seconds", "engine"):
        canvases = section.find_elements(By.CSS_SELECTOR, f'[data-chart="{name}"] canvas')
        assert max(c.size["width"] for c in canvases) > 200, name
    assert screenshot("dashboard-pipeline", full_page=True).stat().st_size > 0
