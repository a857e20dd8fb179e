"""The dashboards: trading activity per market, pipeline health, last reconciliation."""

from __future__ import annotations

import json
import threading
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from exchange.accounts.models import User
from exchange.clearing.models import DeadLetter
from exchange.core.redis import get_redis
from exchange.dashboards.activity import WINDOWS, market_activity
from exchange.dashboards.futures import futures_overview
from exchange.dashboards.lag_history import (
    HISTORY_KEY,
    HISTORY_SAMPLES,
    lag_history,
    record_lag_sample,
)
from exchange.dashboards.pipeline import Lag, MarketPipeline, market_pipeline
from exchange.dashboards.tasks import sample_pipeline_lag
from exchange.marketdata.futures_feed import FuturesMarketData, futures_published_up_to
from exchange.marketdata.store import published_key
from exchange.orders.models import Trade
from exchange.reconciliation.actions import do_record_reconciliation
from exchange.reconciliation.selectors import reconciliation_latest_per_asset
from matching_client import output_stream
from tests.admin_ui.burst import perpetual_fill, trading_burst
from tests.exchange.futures.support import btc_perpetual

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def operator_client(db) -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser(email="ops@example.com", password="x"))
    return client


@pytest.fixture
def burst(redis_client, make_user, assets, fund, btcusdt):
    seller, buyer = make_user(), make_user()
    fund(seller, assets["BTC"], "1")
    fund(buyer, assets["USDT"], "10000")
    return trading_burst(seller, buyer, fills=3)


def test_activity_sums_the_window_s_trades_per_market(burst):
    # given three fills of 0.01 BTC at 60000, 60001, 60002 (maker 0.1% in USDT, taker 0.2% in BTC)
    # when the last hour is summed by minute
    [btcusdt] = market_activity(window=WINDOWS["1h"])
    # then every minute of the hour is a point and the totals are the trades' exact sums
    assert len(btcusdt.volume) == len(btcusdt.trades) == 60
    assert btcusdt.total_trades == 3 == Trade.objects.count()
    assert btcusdt.total_volume == Decimal("1800.03")
    assert btcusdt.total_fees == {"BTC": Decimal("0.00006"), "USDT": Decimal("1.80003")}
    assert sum(n for _, n in btcusdt.trades) == 3
    times = [t for t, _ in btcusdt.volume]
    assert times == sorted(times) and times[1] - times[0] == 60


def test_trading_dashboard_shows_totals_and_chart_data(burst, operator_client):
    response = operator_client.get(reverse("admin:dashboard_trading"), {"window": "1h"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "1,800.03000000 USDT" in html  # USDT's precision, grouped
    assert "0.00006000 BTC" in html and "1.80003000 USDT" in html
    assert "charts/lightweight-charts.standalone.production.js" in html
    [chart] = json.loads(json.dumps(response.context["charts"]))
    assert chart["symbol"] == "BTCUSDT"
    assert sum(n for _, n in chart["trades"]) == 3
    assert "futures-slot" in html


def test_pipeline_reports_positions_lags_and_dead_letters(burst, redis_client):
    # given the burst cleared (the engine has stopped) and one dead letter parked
    DeadLetter.objects.create(symbol="BTCUSDT", entry_id="1-0", payload_hex="00", error="boom")
    # when the pipeline is read
    [row] = market_pipeline()
    # then clearing is caught up with the engine, and the dead letter is a problem to act on
    assert row.engine_position is not None
    assert row.input_length == row.output_length >= 6  # the six orders and the market's setup
    assert row.clearing is not None and row.clearing.entries == 0
    newest = redis_client.xrevrange(output_stream("BTCUSDT"), count=1)[0][0].decode()
    assert row.clearing.position == newest
    # market data is not running: behind by every entry, from the oldest to the newest
    assert row.marketdata is not None and row.marketdata.entries == row.output_length
    assert 0 <= row.marketdata.seconds < 60
    assert row.dead_letters == 1
    assert "1 dead letter(s) to resolve" in row.problems
    assert row.leader is None and row.standbys == []


def test_pipeline_dashboard_shows_each_market_and_the_last_reconciliation(burst, operator_client):
    do_record_reconciliation()
    latest = reconciliation_latest_per_asset()
    assert [r.asset.code for r in latest] == ["BTC", "ETH", "USDT"]
    assert all(r.ok for r in latest)
    response = operator_client.get(reverse("admin:dashboard_pipeline"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-market="BTCUSDT"' in html
    assert html.count('<span class="badge ok">OK</span>') >= 3


def test_the_latest_reconciliation_per_asset_is_the_newest(assets):
    first = do_record_reconciliation()
    second = do_record_reconciliation()
    latest = {r.asset.code: r.pk for r in reconciliation_latest_per_asset()}
    assert latest == {r.asset.code: r.pk for r in second}
    assert not set(latest.values()) & {r.pk for r in first}


def test_the_admin_index_links_the_dashboards(operator_client):
    html = operator_client.get(reverse("admin:index")).content.decode()
    assert reverse("admin:dashboard_trading") in html
    assert reverse("admin:dashboard_pipeline") in html


def test_dashboards_need_a_staff_login(db):
    response = Client().get(reverse("admin:dashboard_pipeline"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_futures_show_per_contract_activity_open_interest_and_the_insurance_fund(
    assets, redis_client, make_user, fund, operator_client
):
    # given one perpetual fill of 0.1 BTC at 60,000 through the margin group's state machine
    btc_perpetual(assets)
    maker, taker = make_user(), make_user()
    for user in (maker, taker):
        fund(user, assets["USDT"], "10000")
    perpetual_fill(maker, taker)
    # when the overview is read
    overview = futures_overview(window=WINDOWS["1h"])
    # then one trade of 6,000 USDT, fees 0.02 % + 0.05 % of it, 0.1 BTC open each way
    assert overview is not None
    [contract] = overview.contracts
    assert (contract.symbol, contract.open_interest) == ("BTCUSDT", Decimal("0.1"))
    [activity] = overview.activity
    assert (activity.total_trades, activity.total_volume) == (1, Decimal("6000"))
    assert activity.total_fees == {"USDT": Decimal("4.2")}
    assert set(overview.insurance_fund) <= {"USDT"}
    # and the page shows them beside the spot markets
    html = operator_client.get(reverse("admin:dashboard_trading"), {"window": "1h"}).content
    assert b'data-key="perp:BTCUSDT"' in html
    assert b"0.1 BTC" in html and b"6,000.00000000 USDT" in html


def test_without_contracts_the_futures_slot_says_so(operator_client, btcusdt):
    assert futures_overview(window=WINDOWS["24h"]) is None
    html = operator_client.get(reverse("admin:dashboard_trading")).content.decode()
    assert "once a perpetual contract is listed" in html


def test_a_futures_margin_group_is_a_pipeline_row_of_its_own(
    assets, redis_client, make_user, fund, btcusdt
):
    btc_perpetual(assets)
    maker, taker = make_user(), make_user()
    for user in (maker, taker):
        fund(user, assets["USDT"], "10000")
    perpetual_fill(maker, taker)
    rows = {row.symbol: row for row in market_pipeline()}
    group = rows["USDT"]
    assert (group.status, rows["BTCUSDT"].status) == ("MARGIN GROUP", "TRADING")
    assert group.input_length == group.output_length > 0
    assert group.clearing is not None and group.clearing.entries == 0
    # futures market data is not running: behind by every entry of the group's stream
    assert group.marketdata is not None and group.marketdata.entries == group.output_length
    assert group.dead_letters == 0
    # when it runs one step, it publishes where it is, and the lag is nothing
    FuturesMarketData("USDT", stop=threading.Event()).step()
    caught_up = {row.symbol: row for row in market_pipeline()}["USDT"].marketdata
    assert caught_up is not None and (caught_up.entries, caught_up.seconds) == (0, 0)
    assert caught_up.position == futures_published_up_to("USDT")


def test_lag_samples_become_per_stream_series_and_charts(burst, operator_client):
    # given two samples, the second after market data caught up (as if it ran)
    rows = market_pipeline()
    record_lag_sample(rows, at_s=1_000)
    newest = get_redis().xrevrange(output_stream("BTCUSDT"), count=1)[0][0]
    get_redis().set(published_key("BTCUSDT"), newest)
    problems = sample_pipeline_lag()
    # then each reader of the stream is a series, oldest first, with only known values
    history = lag_history()
    series = history["BTCUSDT"]
    assert [t for t, _ in series["clearing"]][0] == 1_000
    assert len(series["clearing"]) == len(series["market data"]) == 2
    assert series["clearing"][0][1] == 0  # the burst was cleared before the first sample
    assert series["market data"][0][1] >= 0 and series["market data"][1][1] == 0
    assert problems == 0  # every stream healthy: the beat run logs nothing
    # and the pipeline page carries them for the chart, one section per stream
    html = operator_client.get(reverse("admin:dashboard_pipeline")).content.decode()
    assert 'data-lag="BTCUSDT"' in html and 'id="lag-history"' in html
    assert "admin_ui/pipeline_charts.js" in html


def test_the_history_keeps_only_the_latest_samples(redis_client):
    rows = [MarketPipeline(symbol="BTCUSDT", status="TRADING", clearing=Lag("1-0", 0, 0.5))]
    for t in range(HISTORY_SAMPLES + 5):
        record_lag_sample(rows, at_s=t)
    assert redis_client.llen(HISTORY_KEY) == HISTORY_SAMPLES
    times = [t for t, _ in lag_history()["BTCUSDT"]["clearing"]]
    assert times[0] == 5 and times[-1] == HISTORY_SAMPLES + 4
