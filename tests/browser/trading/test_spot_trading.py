"""The spot trading page in headless Chromium against a live exchange (issue 21).

A trader signs up, deposits on the simulated chain, places a limit order that shows in
the book and in open orders, is filled by a second trader's signed order (tape, fills and
balances update live), cancels; bad input shows the API's words next to the field; the
book after a dropped socket equals the REST book; an API key is created, used, revoked.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from exchange.futures.models import FuturesOrder, FuturesTrade
from exchange.orders.models import Order
from exchange.wallets.chains.simchain import sim_address
from tests.api.compat.binance_futures.conftest import (
    contract as contract,  # noqa: F401 - the perpetual and its engine, for the markets test
)
from tests.api.compat.binance_futures.conftest import quiet_book as quiet_book  # noqa: F401
from tests.api.compat.binance_futures.conftest import set_mark, transferred
from tests.api.compat.conftest import wait_until
from tests.browser.trading.conftest import new_email, signed
from tests.browser.trading.pages import (
    balance_cells,
    deposit_on_test_chain,
    open_market,
    place_limit,
    sign_up,
    text,
    visible,
    wait,
)


def _open_rows(browser):
    return browser.find_elements(By.CSS_SELECTOR, "#open-orders tbody tr[data-order-id]")


def _open_order_ids(browser) -> list[int]:
    """The open orders' ids, read in one step: the table is redrawn on every user event,
    so an element found first and read after can be gone (stale)."""
    ids = browser.execute_script(
        "return [...document.querySelectorAll('#open-orders tbody tr[data-order-id]')]"
        ".map(r => r.dataset.orderId)"
    )
    return [int(i) for i in ids]


def test_a_new_trader_places_is_filled_live_and_cancels(browser, exchange, screenshot):
    url = exchange.url
    email = new_email()
    # given: a new trader with 1000 USDT from the test chain
    sign_up(browser, url, email)
    screenshot("web-trade-empty")
    deposit_on_test_chain(browser, url, "USDT", "1000")
    assert balance_cells(browser, "USDT")[0] == "1,000.00000000"
    screenshot("web-wallet")
    # when: they bid 0.01 BTC at 20000
    open_market(browser, url, "BTCUSDT")
    place_limit(browser, "BUY", "20000", "0.01")
    # then: the order is open, in the book, and 200 USDT are locked
    wait(browser, lambda b: len(_open_rows(b)) == 1, "the open order")
    wait(
        browser,
        lambda b: b.find_elements(By.CSS_SELECTOR, '#bids .level[data-price="20000"]'),
        "the bid in the book",
    )
    browser.find_element(By.CSS_SELECTOR, '[data-tab="balances"]').click()
    wait(browser, lambda b: balance_cells(b, "USDT") == ("800.00000000", "200.00000000"), "locked")
    [order_id] = _open_order_ids(browser)
    # when: a second trader sells 0.004 BTC into the bid through a signed request
    seller = exchange.trader(BTC="1")
    sold = signed(
        url,
        seller.key,
        seller.secret,
        "POST",
        "/api/v1/orders",
        {
            "symbol": "BTCUSDT",
            "side": "SELL",
            "type": "LIMIT",
            "price": "20000",
            "quantity": "0.004",
            "time_in_force": "IOC",
        },
    )
    assert sold.status_code == 201, sold.text
    # then: without a reload, the tape shows the trade, the fill is listed, balances move
    wait(browser, lambda b: b.find_elements(By.CSS_SELECTOR, "#trades .tick"), "the trade")
    assert text(browser, "#trades .tick .price") == "20,000.00"
    wait(browser, lambda b: balance_cells(b, "BTC")[0] == "0.00399600", "BTC bought, fee paid")
    assert balance_cells(browser, "USDT") == ("800.00000000", "120.00000000")
    browser.find_element(By.CSS_SELECTOR, '[data-tab="fills"]').click()
    wait(browser, lambda b: b.find_elements(By.CSS_SELECTOR, "#fills tbody tr"), "the fill")
    assert "0.00400" in text(browser, "#fills tbody tr")
    browser.find_element(By.CSS_SELECTOR, '[data-tab="open"]').click()
    wait(browser, lambda b: "0.00400" in text(b, "#open-orders tbody tr"), "partly filled")
    browser.set_window_size(1400, 1100)
    browser.execute_script("document.getElementById('toast').hidden = true")
    screenshot("web-trade-filled")  # the README's picture (docs/images/trading-page.png)
    browser.set_window_size(1400, 1000)
    # when: they cancel the rest
    browser.find_element(By.CSS_SELECTOR, f'[aria-label="Cancel order {order_id}"]').click()
    # then: gone from open orders and the book; the funds are back
    wait(browser, lambda b: not _open_rows(b), "no open orders")
    wait(
        browser,
        lambda b: not b.find_elements(By.CSS_SELECTOR, '#bids .level[data-price="20000"]'),
        "the bid gone from the book",
    )
    assert Order.objects.get(pk=order_id).status == "CANCELED"
    browser.find_element(By.CSS_SELECTOR, '[data-tab="balances"]').click()
    wait(browser, lambda b: balance_cells(b, "USDT") == ("920.00000000", "0.00000000"), "unlocked")


def test_bad_input_shows_the_api_message_next_to_the_field(browser, exchange, screenshot):
    url = exchange.url
    sign_up(browser, url, new_email())
    deposit_on_test_chain(browser, url, "USDT", "100")
    open_market(browser, url, "BTCUSDT")
    orders_before = Order.objects.count()
    cases = [
        (("20000.001", "0.001"), "#e-price", "PRICE_TICK"),
        (("20000", "0.000001"), "#e-quantity", "QUANTITY_STEP"),
        (("20000", "1"), "#e-quantity", "INSUFFICIENT_BALANCE"),
    ]
    for (price, quantity), where, code in cases:
        place_limit(browser, "BUY", price, quantity, by_keyboard=True)
        wait(
            browser,
            lambda b, w=where, c=code: (
                b.find_element(By.CSS_SELECTOR, w).get_attribute("data-code") == c
            ),
            f"{code} at {where}",
        )
        # the API's own sentence (its detail), in words, next to the field
        assert len(browser.find_element(By.CSS_SELECTOR, where).text) > 10
        field = browser.find_element(By.CSS_SELECTOR, f"[aria-describedby='{where[1:]}']")
        assert field.get_attribute("aria-invalid") == "true"
        if code == "PRICE_TICK":
            screenshot("web-trade-bad-price")
    assert Order.objects.count() == orders_before
    assert not _open_rows(browser)


def test_the_book_equals_the_rest_book_after_the_socket_is_cut(browser, exchange, screenshot):
    url = exchange.url
    sign_up(browser, url, new_email())
    open_market(browser, url, "ETHUSDT")
    maker = exchange.trader(USDT="100000", ETH="100")
    for i in range(5):
        for side, price in (("BUY", 1000 - i), ("SELL", 1100 + i)):
            response = signed(
                url,
                maker.key,
                maker.secret,
                "POST",
                "/api/v1/orders",
                {
                    "symbol": "ETHUSDT",
                    "side": side,
                    "type": "LIMIT",
                    "price": str(price),
                    "quantity": "0.5",
                },
            )
            assert response.status_code == 201, response.text
    wait(browser, lambda b: len(b.find_elements(By.CSS_SELECTOR, "#bids .level")) == 5, "5 bids")
    # when: the socket drops, and the book changes while the page is away
    browser.execute_script("window.exchangePage.marketStream.drop()")
    for price in (995, 1105):
        side = "BUY" if price < 1050 else "SELL"
        signed(
            url,
            maker.key,
            maker.secret,
            "POST",
            "/api/v1/orders",
            {
                "symbol": "ETHUSDT",
                "side": side,
                "type": "LIMIT",
                "price": str(price),
                "quantity": "1.5",
            },
        )
    wait_until(
        lambda: Order.objects.filter(user=maker.user, accepted_at__isnull=True).count() == 0,
        what="the orders accepted",
    )
    wait(
        browser,
        lambda b: b.execute_script("return window.exchangePage.marketStream.connects") >= 2,
        "the reconnection",
    )
    # then: the page's book equals the REST book
    rest = requests.get(
        f"{url}/api/v1/markets/ETHUSDT/depth", params={"limit": 1000}, timeout=10
    ).json()

    def page_book(b):
        return b.execute_script(
            "const l = window.exchangePage.book.levels(1000); return [l.bids, l.asks];"
        )

    wait(browser, lambda b: page_book(b) == [rest["bids"], rest["asks"]], "the books to agree")
    assert [Decimal(q) for _, q in rest["bids"]][:1] == [Decimal("0.5")]
    assert any(p == "995" for p, _ in rest["bids"])
    screenshot("web-trade-book")


def test_a_fill_while_the_user_stream_is_cut_shows_after_it_is_restored(
    browser, exchange, screenshot
):
    url = exchange.url
    sign_up(browser, url, new_email())
    deposit_on_test_chain(browser, url, "USDT", "100")
    open_market(browser, url, "LTCUSDT")
    place_limit(browser, "BUY", "50", "0.5")
    wait(browser, lambda b: len(_open_rows(b)) == 1, "the open order")
    [order_id] = _open_order_ids(browser)
    # when: the user stream is cut, and a second trader fills the bid meanwhile
    browser.execute_script("window.exchangePage.userStream.cut()")
    seller = exchange.trader(LTC="1")
    sold = signed(
        url,
        seller.key,
        seller.secret,
        "POST",
        "/api/v1/orders",
        {"symbol": "LTCUSDT", "side": "SELL", "type": "LIMIT", "price": "50", "quantity": "0.5"},
    )
    assert sold.status_code == 201, sold.text
    wait_until(lambda: Order.objects.get(pk=order_id).status == "FILLED", what="the fill")
    wait(browser, lambda b: b.find_elements(By.CSS_SELECTOR, "#trades .tick"), "the trade (market)")
    # then: while cut, the page still shows the order open (it heard nothing)
    assert _open_order_ids(browser) == [order_id]
    # when: the connection is back, then the page takes fresh snapshots: filled, balances moved
    browser.execute_script("window.exchangePage.userStream.restore()")
    wait(browser, lambda b: not _open_rows(b), "the filled order gone from open orders")
    assert browser.execute_script("return window.exchangePage.userStream.connects") == 2
    browser.find_element(By.CSS_SELECTOR, '[data-tab="history"]').click()
    wait(
        browser,
        lambda b: "FILLED" in text(b, f'#order-history tr[data-order-id="{order_id}"]'),
        "the order filled in the history",
    )
    browser.find_element(By.CSS_SELECTOR, '[data-tab="balances"]').click()
    wait(browser, lambda b: balance_cells(b, "USDT") == ("75.00000000", "0.00000000"), "paid")
    assert balance_cells(browser, "LTC")[0] == "0.49950000"
    screenshot("web-trade-user-stream-restored", full_page=True)


def test_an_api_key_is_created_used_and_revoked(browser, exchange, screenshot):
    url = exchange.url
    sign_up(browser, url, new_email())
    browser.get(f"{url}/account/api-keys")
    visible(browser, "#k-label").send_keys("my bot")
    browser.find_element(By.CSS_SELECTOR, "input[name=perm][value=trade]").click()
    browser.find_element(By.ID, "k-ips").send_keys("10.0.0.0/8, 127.0.0.1")
    browser.find_element(By.CSS_SELECTOR, "#key-form button[type=submit]").click()
    wait(browser, lambda b: text(b, "#new-secret"), "the secret, shown once")
    key, secret = text(browser, "#new-key"), text(browser, "#new-secret")
    assert len(secret) >= 32
    screenshot("web-api-keys")
    row = browser.find_element(By.CSS_SELECTOR, "#keys tbody tr[data-key-id]")
    assert "read, trade" in row.text and "127.0.0.1" in row.text
    # the key signs a request a bot would make
    answer = signed(url, key, secret, "GET", "/api/v1/balances", {})
    assert answer.status_code == 200, answer.text
    # the secret is not kept anywhere a script could find it later
    browser.find_element(By.ID, "secret-done").click()
    assert (
        browser.execute_script(
            "return JSON.stringify(localStorage) + JSON.stringify(sessionStorage)"
        ).find(secret)
        == -1
    )
    browser.refresh()
    wait(browser, lambda b: b.find_elements(By.CSS_SELECTOR, "#keys tbody tr[data-key-id]"), "keys")
    assert secret not in browser.page_source
    # revoked: gone from the list of live keys, and the key stops working
    browser.find_element(By.CSS_SELECTOR, '[aria-label="Revoke key my bot"]').click()
    browser.switch_to.alert.accept()
    wait(
        browser,
        lambda b: not b.find_elements(By.CSS_SELECTOR, "#keys tbody tr[data-key-id]"),
        "revoked",
    )
    assert signed(url, key, secret, "GET", "/api/v1/balances", {}).status_code == 401
    # a bad whitelist is the API's message next to its field
    browser.find_element(By.ID, "k-label").send_keys("second")
    browser.find_element(By.ID, "k-ips").send_keys("not-an-ip")
    browser.find_element(By.CSS_SELECTOR, "#key-form button[type=submit]").click()
    wait(browser, lambda b: b.find_element(By.ID, "e-ips").text, "the whitelist error")


def _futures_order(url: str, trader, params: dict[str, str]) -> int:
    placed = signed(
        url, trader.key, trader.secret, "POST", "/fapi/v1/order", {"symbol": "BTCUSDT", **params}
    )
    assert placed.status_code == 200, placed.text
    return placed.json()["orderId"]


def _futures_trade(url: str, maker, taker, price: str) -> None:
    """0.001 BTC of the perpetual changes hands at ``price`` (the book is otherwise empty)."""
    _futures_order(
        url,
        maker,
        {
            "side": "SELL",
            "type": "LIMIT",
            "timeInForce": "GTC",
            "quantity": "0.001",
            "price": price,
        },
    )
    bought = _futures_order(
        url,
        taker,
        {"side": "BUY", "type": "LIMIT", "timeInForce": "IOC", "quantity": "0.001", "price": price},
    )
    wait_until(
        lambda: FuturesOrder.objects.get(pk=bought).status == "FILLED", what="the futures trade"
    )


def _futures_ticker(url: str) -> dict[str, str]:
    return requests.get(
        f"{url}/fapi/v1/ticker/24hr", params={"symbol": "BTCUSDT"}, timeout=10
    ).json()


def _percent(value: str) -> str:
    """The page's rendering of a percent change: two decimals, truncated, signed."""
    return f"{'-' if value.startswith('-') else '+'}{abs(Decimal(value)).quantize(Decimal('0.01'), rounding=ROUND_DOWN)}%"


def _perpetual_cells(browser) -> dict[str, str]:
    """The BTCUSDT perpetual's row, read in one step (the stream rewrites its cells)."""
    return browser.execute_script(
        "const r = document.querySelector('#perpetuals tr[data-symbol=BTCUSDT]');"
        "if (!r) return {};"
        "const c = (n) => r.querySelector('.' + n).textContent;"
        "return {last: c('last'), change: c('change'), mark: c('mark'), funding: c('funding'),"
        " volume: c('volume'), href: r.querySelector('th a').getAttribute('href')};"
    )


def test_the_markets_page_lists_markets_with_tickers(
    browser,
    exchange,
    quiet_book,  # noqa: F811
    screenshot,
):
    # given: a trade on BTCUSDT at 25,000 (this test's own: it runs alone or in any order)
    maker, taker = exchange.trader(BTC="1"), exchange.trader(USDT="1000")
    for trader, side, tif in ((maker, "SELL", "GTC"), (taker, "BUY", "IOC")):
        placed = signed(
            exchange.url,
            trader.key,
            trader.secret,
            "POST",
            "/api/v1/orders",
            {
                "symbol": "BTCUSDT",
                "side": side,
                "type": "LIMIT",
                "price": "25000",
                "quantity": "0.001",
                "time_in_force": tif,
            },
        )
        assert placed.status_code == 201, placed.text
    wait_until(
        lambda: Order.objects.filter(user=maker.user, status="FILLED").exists(), what="the trade"
    )
    # given: a trade on the BTCUSDT perpetual at 60,000, its mark at 60,000
    long, short = exchange.trader(USDT="2000"), exchange.trader(USDT="2000")
    for trader in (long, short):
        moved = signed(
            exchange.url,
            trader.key,
            trader.secret,
            "POST",
            "/sapi/v1/asset/transfer",
            {"type": "MAIN_UMFUTURE", "asset": "USDT", "amount": "1000"},
        )
        assert moved.status_code == 200, moved.text
        transfer_id = moved.json()["tranId"]
        wait_until(lambda t=transfer_id: transferred(t), what="a transfer")
    set_mark(quiet_book, Decimal(60_000))
    _futures_trade(exchange.url, short, long, "60000")
    wait_until(
        lambda: Decimal(_futures_ticker(exchange.url)["lastPrice"]) == 60_000,
        what="the perpetual's ticker",
    )

    browser.get(f"{exchange.url}/")
    visible(browser, '#markets tr[data-symbol="BTCUSDT"]')
    row = browser.find_element(By.CSS_SELECTOR, '#markets tr[data-symbol="BTCUSDT"]')
    assert "BTC" in row.text
    wait(
        browser,
        lambda b: (
            b.find_element(By.CSS_SELECTOR, '#markets tr[data-symbol="BTCUSDT"] .last').text
            == "25,000.00"
        ),
        "last price",
    )
    screenshot("web-markets")
    policy = requests.get(f"{exchange.url}/", timeout=10).headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "default-src 'self'" in policy

    # when: the Perpetuals tab is chosen by keyboard (arrow right from Spot)
    browser.find_element(By.ID, "tab-spot").send_keys(Keys.ARROW_RIGHT)
    # then: the contract's row shows its last price by the contract's tick (0.1), its
    # mark and funding rate, and links to its futures screen
    wait(browser, lambda b: _perpetual_cells(b).get("last") == "60,000.0", "the perpetual's row")
    assert not browser.find_element(By.ID, "pane-perpetuals").get_attribute("hidden")
    assert browser.find_element(By.ID, "pane-spot").get_attribute("hidden")
    assert browser.current_url.endswith("/#perpetuals")
    cells = _perpetual_cells(browser)
    assert cells["mark"] == "60,000.0" and cells["funding"] == "+0.0100%", cells
    assert cells["href"] == "/futures/BTCUSDT"

    # when: the contract trades at 61,000 while the page is open
    _futures_trade(exchange.url, short, long, "61000")
    # then: the row follows the futures ticker stream to the exchange's own figures
    wait(browser, lambda b: _perpetual_cells(b)["last"] == "61,000.0", "61,000 by the stream")
    ticker = _futures_ticker(exchange.url)
    # (+1.66 % alone; after other modules' trades the day opened elsewhere)
    assert Decimal(ticker["lastPrice"]) == 61_000
    wait(
        browser,
        lambda b: _perpetual_cells(b)["change"] == _percent(ticker["priceChangePercent"]),
        f"the 24 h change {ticker['priceChangePercent']}",
    )
    direction = "down" if ticker["priceChangePercent"].startswith("-") else "up"
    change = browser.find_element(By.CSS_SELECTOR, "#perpetuals tr[data-symbol=BTCUSDT] .change")
    assert direction in change.get_attribute("class").split()
    # and: the row's 24 h volume is the futures ticker's, by the lot step (3 decimals),
    # and the ticker's volumes are the sums of the contract's cleared fills
    ticker = _futures_ticker(exchange.url)
    volume = Decimal(ticker["volume"]).quantize(Decimal("0.001"), rounding=ROUND_DOWN)
    wait(browser, lambda b: _perpetual_cells(b)["volume"] == f"{volume:,}", f"volume {volume}")
    fills = FuturesTrade.objects.filter(contract=quiet_book).values_list("qty", "quote_qty")
    assert (Decimal(ticker["volume"]), Decimal(ticker["quoteVolume"])) == (
        sum((q for q, _ in fills), Decimal(0)),
        sum((a for _, a in fills), Decimal(0)),
    )
    screenshot("web-markets-perpetuals")

    # then: on a phone, in the light theme, the table fits the screen
    browser.set_window_size(390, 900)
    browser.find_element(By.ID, "theme").click()
    try:
        width = browser.execute_script("return document.documentElement.scrollWidth")
        assert width <= 390
        screenshot("web-markets-phone-light")
    finally:
        browser.find_element(By.ID, "theme").click()
        browser.set_window_size(1400, 1000)


def test_the_trading_screen_fits_a_phone_in_the_light_theme(browser, exchange, screenshot):
    browser.set_window_size(390, 1400)
    try:
        open_market(browser, exchange.url, "BTCUSDT")
        browser.find_element(By.ID, "theme").click()
        assert browser.execute_script("return document.documentElement.dataset.theme") == "light"
        # one column: nothing wider than the screen
        width = browser.execute_script("return document.documentElement.scrollWidth")
        assert width <= 390
        screenshot("web-trade-phone-light")
    finally:
        browser.find_element(By.ID, "theme").click()
        browser.set_window_size(1400, 1000)


def test_a_withdrawal_is_requested_and_cancelled_on_the_wallet_page(browser, exchange, screenshot):
    url = exchange.url
    sign_up(browser, url, new_email())
    deposit_on_test_chain(browser, url, "USDT", "100")
    # a bad address is the API's message next to the address field
    browser.find_element(By.CSS_SELECTOR, "#w-asset option[value=USDT]").click()
    browser.find_element(By.ID, "w-address").send_keys("not-an-address")
    browser.find_element(By.ID, "w-amount").send_keys("20")
    browser.find_element(By.CSS_SELECTOR, "#withdraw-form button[type=submit]").click()
    wait(browser, lambda b: b.find_element(By.ID, "e-w-address").text, "the address error")
    # a good one locks the amount until an operator decides
    address = browser.find_element(By.ID, "w-address")
    address.clear()
    address.send_keys(sim_address("web-withdrawal-test"))
    browser.find_element(By.CSS_SELECTOR, "#withdraw-form button[type=submit]").click()
    wait(browser, lambda b: "PENDING" in text(b, "#withdrawals tbody"), "the pending withdrawal")
    wait(browser, lambda b: balance_cells(b, "USDT") == ("80.00000000", "20.00000000"), "locked")
    screenshot("web-wallet-withdrawal")
    browser.find_element(By.CSS_SELECTOR, "#withdrawals [aria-label^='Cancel withdrawal']").click()
    wait(browser, lambda b: "CANCELED" in text(b, "#withdrawals tbody"), "the cancelled withdrawal")
    wait(browser, lambda b: balance_cells(b, "USDT") == ("100.00000000", "0.00000000"), "unlocked")


def _last_candle(browser) -> dict[str, str]:
    """What the chart's series holds as its last candle (chart.js mirrors it on #chart)."""
    return browser.execute_script("return {...document.getElementById('chart').dataset}")


def _close(browser) -> Decimal | None:
    close = _last_candle(browser).get("lastClose")
    return Decimal(close) if close is not None else None


def _trade(url: str, buyer, seller, price: str, quantity: str) -> None:
    """The seller's resting ask taken by the buyer's IOC bid, both signed requests."""
    for trader, side, tif in ((seller, "SELL", "GTC"), (buyer, "BUY", "IOC")):
        placed = signed(
            url,
            trader.key,
            trader.secret,
            "POST",
            "/api/v1/orders",
            {
                "symbol": "BTCUSDT",
                "side": side,
                "type": "LIMIT",
                "price": price,
                "quantity": quantity,
                "time_in_force": tif,
            },
        )
        assert placed.status_code == 201, placed.text


def _inside_spread(url: str, wanted: Decimal, below: Decimal | None = None) -> Decimal:
    """``wanted`` if no resting order (another test's) would take part in a trade there;
    else a price in the spread (and under ``below``) on the 0.01 tick."""
    book = requests.get(f"{url}/api/v1/markets/BTCUSDT/depth", timeout=10).json()
    low = Decimal(book["bids"][0][0]) if book["bids"] else Decimal(0)
    high = Decimal(book["asks"][0][0]) if book["asks"] else Decimal("1e9")
    if below is not None:
        high = min(high, below)
    if low < wanted < high:
        return wanted
    middle = ((low + high) / 2).quantize(Decimal("0.01"))
    assert low < middle < high, f"no room between {low} and {high}"
    return middle


def test_a_trade_moves_the_last_candle_without_a_reload(browser, exchange, screenshot):
    url = exchange.url
    sign_up(browser, url, new_email())
    open_market(browser, url, "BTCUSDT")
    browser.execute_script("window.sameDocument = true")  # gone if the page reloads
    before = _last_candle(browser)
    volume_before = Decimal(before.get("lastVolume", "0"))
    buyer, seller = exchange.trader(USDT="1000"), exchange.trader(BTC="1")
    # when two traders trade (at a price no other order reaches)
    price = _inside_spread(url, Decimal(90000))
    _trade(url, buyer, seller, str(price), "0.002")
    # then the series' last candle closes at it and its volume grows, live
    wait(browser, lambda b: _close(b) == price, "the candle's close")
    first = _last_candle(browser)
    assert Decimal(first["lastVolume"]) >= volume_before + Decimal("0.002")
    assert Decimal(first["lastHigh"]) >= price
    # when they trade again, lower
    lower = _inside_spread(url, price - 1000, below=price)
    _trade(url, buyer, seller, str(lower), "0.001")
    # then the last candle moves: its close and volume; in the same hour, the high is kept
    wait(browser, lambda b: _close(b) == lower, "the candle moved")
    second = _last_candle(browser)
    if second["lastTime"] == first["lastTime"]:
        assert second["lastHigh"] == first["lastHigh"]
        assert Decimal(second["lastVolume"]) == Decimal(first["lastVolume"]) + Decimal("0.001")
    label = browser.find_element(By.ID, "chart").get_attribute("aria-label")
    assert f"close {_close(browser)}" in label
    assert browser.execute_script("return window.sameDocument === true")
    screenshot("web-candle-live")
