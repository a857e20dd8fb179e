"""The perpetual futures screen in headless Chromium against a live exchange (issue 21).

A trader moves collateral from spot to futures, sets 10x, opens a long against a second
trader's signed order, sees entry, mark, unrealized PnL and the liquidation price the
exchange computes (follows the mark stream without a reload), and closes the position
with a resting order another trader fills (the user-data stream updates the page).
Other traders' trades reach the tape by the market stream; bad input shows the API's
message under its field.
"""

from __future__ import annotations

import time
from decimal import ROUND_DOWN, Decimal

import requests
from selenium.webdriver.common.by import By

from api.compat.binance.shapes import dec
from exchange.accounts.models import User
from exchange.futures.account_summary import account_figures
from exchange.futures.marks import mark_of
from exchange.futures.models import Contract, FuturesOrder, Position
from exchange.futures.units import to_ticks
from exchange.pricefeed.pricer import PriceTick
from exchange.pricefeed.publish import publish_mark
from tests.api.compat.binance_futures.conftest import (
    contract as contract,  # noqa: F401 - the perpetual and its engine, for this module
)
from tests.api.compat.binance_futures.conftest import set_mark, transferred
from tests.api.compat.conftest import wait_until
from tests.browser.trading.conftest import new_email, signed
from tests.browser.trading.pages import (
    balance_cells,
    deposit_on_test_chain,
    sign_up,
    text,
    visible,
    wait,
)

SYMBOL = "BTCUSDT"


def _fapi(url, trader, path: str, params: dict[str, str]):
    answer = signed(url, trader.key, trader.secret, "POST", path, params)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _move_mark(contract: Contract, price: Decimal) -> None:
    """What the price feed does each second: the engine's mark, then the mark stream."""
    set_mark(contract, price)
    now = int(time.time() * 1000)
    tick = PriceTick(
        time_ms=now,
        index=price,
        premium=Decimal(0),
        mark=price,
        mark_ticks=to_ticks(contract, price),
        funding_estimate=Decimal("0.0001"),
        next_funding_ms=now + 3_600_000,
    )
    publish_mark(SYMBOL, tick, Decimal("0.0001"))


def _streamed_only(browser) -> bool:
    """Both streams live since the first connection: nothing came from the fallback poll."""
    return browser.execute_script(
        "const p = window.exchangePage;"
        "return p.marketStream.connects === 1 && p.userStream.connects === 1"
        " && document.getElementById('live-status').dataset.state === 'live';"
    )


def _cell(browser, css: str) -> tuple[str, str]:
    """(text, exact value) of a cell in the position row, read in one step (the table is
    redrawn on every poll, so an element found first may be gone when read)."""
    found = browser.execute_script(
        "const c = document.querySelector(arguments[0]);"
        "return c ? [c.textContent, c.dataset.value || ''] : ['', ''];",
        f'#positions tr[data-symbol="{SYMBOL}"] {css}',
    )
    return found[0], found[1]


def _open_futures(browser, url: str) -> None:
    browser.get(f"{url}/futures/{SYMBOL}")
    wait(
        browser,
        lambda b: b.execute_script("return !!(window.exchangePage && window.exchangePage.ready)"),
        "page ready",
    )
    wait(browser, lambda b: text(b, "#live-status") == "live", "both streams")


def test_a_trader_opens_a_10x_long_sees_the_exchanges_liquidation_price_and_closes_it(
    browser,
    exchange,
    contract,  # noqa: F811
    screenshot,
):
    url = exchange.url
    email = new_email()
    set_mark(contract, Decimal(60_000))
    # given: a new trader with 1000 USDT on spot, a maker with an ask at 60,000 and a
    # second trader with futures collateral
    sign_up(browser, url, email)
    deposit_on_test_chain(browser, url, "USDT", "1000")
    user = User.objects.get(email=email)
    maker, other = exchange.trader(USDT="20000"), exchange.trader(USDT="2000")
    for who, amount in ((maker, "10000"), (other, "1000")):
        moved = _fapi(
            url,
            who,
            "/sapi/v1/asset/transfer",
            {"type": "MAIN_UMFUTURE", "asset": "USDT", "amount": amount},
        )
        wait_until(lambda t=moved["tranId"]: transferred(t), what="a transfer")
    ask = _fapi(
        url,
        maker,
        "/fapi/v1/order",
        {
            "symbol": SYMBOL,
            "side": "SELL",
            "type": "LIMIT",
            "timeInForce": "GTC",
            "quantity": "0.06",
            "price": "60000",
        },
    )
    _open_futures(browser, url)
    wait(
        browser,
        lambda b: b.find_elements(By.CSS_SELECTOR, '#asks .level[data-price="60000"]'),
        "the ask",
    )

    # when: the second trader buys 0.01 at market, then the trade reaches the tape and the
    # book by the market stream, without a reload
    bought = _fapi(
        url,
        other,
        "/fapi/v1/order",
        {"symbol": SYMBOL, "side": "BUY", "type": "MARKET", "quantity": "0.01"},
    )
    wait_until(lambda: FuturesOrder.objects.get(pk=bought["orderId"]).status == "FILLED")
    wait(
        browser,
        lambda b: (
            "0.050"
            in b.execute_script(
                "const l = document.querySelector('#asks .level[data-price=\"60000\"]');"
                "return l ? l.textContent : '';"
            )
        ),
        "the ask down to 0.05",
    )
    wait(
        browser,
        lambda b: b.find_elements(By.CSS_SELECTOR, "#trades .tick"),
        "the trade on the tape",
        timeout=5,  # the fallback poll would take 10 s
    )
    assert "60,000.0" in text(browser, "#trades .tick:first-child")
    assert _streamed_only(browser)

    # when: they move 500 USDT to futures
    visible(browser, "#x-amount").send_keys("500")
    browser.find_element(By.ID, "x-submit").click()
    # then: the futures wallet holds it (the transfer's ACCOUNT_UPDATE)
    wait(
        browser,
        lambda b: b.find_element(By.ID, "f-wallet").get_attribute("data-value") == "500",
        "500 in futures",
    )

    # when: leverage 0, then the API's message shows under the field and nothing changes
    browser.find_element(By.ID, "l-leverage").send_keys("0")
    browser.find_element(By.ID, "l-submit").click()
    wait(browser, lambda b: b.find_element(By.ID, "e-leverage").text, "the leverage refusal")
    assert "leverage" in browser.find_element(By.ID, "e-leverage").text.lower()
    assert not Position.objects.filter(user=user, contract=contract, leverage=0).exists()
    browser.find_element(By.ID, "l-leverage").clear()

    # when: isolated margin at 10x is asked for (no position, no orders: taken)
    browser.find_element(By.CSS_SELECTOR, "#l-margin option[value=ISOLATED]").click()
    browser.find_element(By.ID, "l-leverage").send_keys("10")
    browser.find_element(By.ID, "l-submit").click()
    wait_until(
        lambda: Position.objects.filter(
            user=user, contract=contract, leverage=10, margin_type="ISOLATED"
        ).exists(),
        what="isolated at 10x",
    )
    # when: back to cross at 10x
    browser.find_element(By.CSS_SELECTOR, "#l-margin option[value=CROSSED]").click()
    browser.find_element(By.ID, "l-submit").click()
    wait_until(
        lambda: Position.objects.filter(
            user=user, contract=contract, leverage=10, margin_type="CROSSED"
        ).exists(),
        what="cross at 10x",
    )
    assert not browser.find_element(By.ID, "e-marginType").text

    # when: they ask for less than the contract's step, then the message shows under
    # the size and no order is made
    browser.find_element(By.CSS_SELECTOR, "#o-type option[value=MARKET]").click()
    browser.find_element(By.ID, "o-qty").send_keys("0.0001")
    browser.find_element(By.ID, "o-submit").click()
    wait(browser, lambda b: b.find_element(By.ID, "e-quantity").text, "the size refusal")
    assert not FuturesOrder.objects.filter(user=user).exists()
    browser.execute_script("document.getElementById('toast').hidden = true")
    screenshot("web-futures-bad-input")
    browser.execute_script("document.getElementById('toast').hidden = false")

    # when: they buy 0.05 at market (3,000 USDT notional at 10x: 300 margin)
    browser.find_element(By.ID, "o-qty").clear()
    browser.find_element(By.ID, "o-qty").send_keys("0.05")
    browser.find_element(By.ID, "o-submit").click()
    wait_until(
        lambda: FuturesOrder.objects.get(pk=ask["orderId"]).status == "FILLED", what="the fill"
    )

    # then: the position row shows what the exchange computes, to the last digit
    wait(browser, lambda b: _cell(b, ".size")[0] == "0.050", "the long position")
    [figures] = [p for p in account_figures(user=user, mark_of=mark_of).positions if p.size]
    assert _cell(browser, ".entry") == ("60,000.0", "60000")
    assert _cell(browser, ".mark") == ("60,000.0", "60000")
    assert _cell(browser, ".margin")[1] == dec(figures.initial_margin) == "300"
    assert figures.liquidation_price > 0
    shown = f"{figures.liquidation_price.quantize(Decimal('0.1'), rounding=ROUND_DOWN):,}"
    assert _cell(browser, ".liq") == (shown, dec(figures.liquidation_price))
    assert _cell(browser, ".leverage")[0] == "10x"

    # when: the mark moves to 61,000, then PnL and the mark follow without a reload
    _move_mark(contract, Decimal(61_000))
    wait(browser, lambda b: _cell(b, ".pnl")[1] == "50", "+50 unrealized")
    assert _cell(browser, ".mark") == ("61,000.0", "61000")
    assert text(browser, "#f-mark") == "61,000.0"
    browser.execute_script("document.getElementById('toast').hidden = true")
    screenshot("web-futures-position", full_page=True)
    browser.execute_script("document.getElementById('toast').hidden = false")

    browser.set_window_size(390, 1400)
    screenshot("web-futures-phone", full_page=True)
    browser.set_window_size(1400, 1000)

    # when: the trader rests a reduce-only sell at 61,000
    browser.find_element(By.CSS_SELECTOR, "input[name=side][value=SELL]").click()
    browser.find_element(By.CSS_SELECTOR, "#o-type option[value=LIMIT]").click()
    browser.find_element(By.ID, "o-price").send_keys("61000")
    browser.find_element(By.ID, "o-qty").clear()
    browser.find_element(By.ID, "o-qty").send_keys("0.05")
    browser.find_element(By.ID, "o-reduce").click()
    browser.find_element(By.ID, "o-submit").click()
    wait(browser, lambda b: text(b, "#open-count") == "(1)", "the resting sell")
    # and the maker's signed bid fills it
    _fapi(
        url,
        maker,
        "/fapi/v1/order",
        {
            "symbol": SYMBOL,
            "side": "BUY",
            "type": "LIMIT",
            "timeInForce": "GTC",
            "quantity": "0.05",
            "price": "61000",
            "reduceOnly": "true",
        },
    )
    # then: the user-data stream empties the position and the open orders; the fills
    # list both trades, the close with its realized PnL
    wait(
        browser, lambda b: "No open position" in text(b, "#positions tbody"), "the closed position"
    )
    wait(browser, lambda b: text(b, "#open-count") == "", "no open order")
    assert not Position.objects.get(user=user, contract=contract).size
    assert _streamed_only(browser)
    browser.find_element(By.CSS_SELECTOR, '[data-tab="fills"]').click()
    wait(
        browser, lambda b: len(b.find_elements(By.CSS_SELECTOR, "#fills tbody tr")) == 2, "2 fills"
    )
    newest = browser.execute_script(
        "return document.querySelector('#fills tbody tr:first-child').textContent"
    )
    assert "50.00000000" in newest
    # and the order history lists the opening and the closing order, both filled
    browser.find_element(By.CSS_SELECTOR, '[data-tab="history"]').click()
    history = browser.execute_script(
        "return [...document.querySelectorAll('#order-history tbody tr[data-order-id]')]"
        ".map(r => r.textContent)"
    )
    assert len(history) == 2 and all("FILLED" in row for row in history), history
    assert "61,000.0" in history[0]
    screenshot("web-futures-closed")
    set_mark(contract, Decimal(60_000))


def test_the_futures_book_equals_the_rest_book_after_the_socket_is_cut(
    browser,
    exchange,
    contract,  # noqa: F811
):
    url = exchange.url
    set_mark(contract, Decimal(60_000))
    maker = exchange.trader(USDT="20000")
    moved = _fapi(
        url,
        maker,
        "/sapi/v1/asset/transfer",
        {"type": "MAIN_UMFUTURE", "asset": "USDT", "amount": "10000"},
    )
    wait_until(lambda: transferred(moved["tranId"]), what="the transfer")

    def rest_on(side: str, price: str, quantity: str) -> None:
        _fapi(
            url,
            maker,
            "/fapi/v1/order",
            {
                "symbol": SYMBOL,
                "side": side,
                "type": "LIMIT",
                "timeInForce": "GTC",
                "quantity": quantity,
                "price": price,
            },
        )

    def rest_book() -> list[list[list[str]]]:
        depth = requests.get(
            f"{url}/fapi/v1/depth", params={"symbol": SYMBOL, "limit": 1000}, timeout=10
        ).json()
        return [depth["bids"], depth["asks"]]

    # given: a signed-out visitor's page following a book of 3 bids and 3 asks
    for i in range(3):
        rest_on("BUY", str(59_000 - i), "0.01")
        rest_on("SELL", str(61_000 + i), "0.01")
    _open_futures(browser, url)
    wait(browser, lambda b: len(b.find_elements(By.CSS_SELECTOR, "#bids .level")) == 3, "3 bids")

    # when: the socket is cut and the book changes while the page is away
    browser.execute_script("window.exchangePage.marketStream.cut()")
    rest_on("BUY", "58990", "0.02")
    rest_on("SELL", "61010", "0.02")
    wait_until(lambda: len(rest_book()[0]) == 4 and len(rest_book()[1]) == 4, what="the orders")
    assert len(browser.find_elements(By.CSS_SELECTOR, "#bids .level")) == 3
    browser.execute_script("window.exchangePage.marketStream.restore()")

    # then: after the reconnection the page's book equals the REST book
    def page_book(b):
        return b.execute_script(
            "const l = window.exchangePage.book.levels(1000); return [l.bids, l.asks];"
        )

    wait(browser, lambda b: page_book(b) == rest_book(), "the books to agree")
    assert any(p == "58990" for p, _ in rest_book()[0])
    assert browser.execute_script("return window.exchangePage.marketStream.connects") == 2


def _refused(browser, field: str, what: str) -> str:
    """Submit the order form and wait for the API's message under ``field``."""
    browser.find_element(By.ID, "o-submit").click()
    wait(browser, lambda b: b.find_element(By.ID, f"e-{field}").text, what)
    return browser.find_element(By.ID, f"e-{field}").text


def _trader_with_collateral(browser, url: str, email: str, amount: str) -> User:
    """A new trader who deposited ``amount`` USDT and moved it all to futures on the page."""
    sign_up(browser, url, email)
    deposit_on_test_chain(browser, url, "USDT", amount)
    _open_futures(browser, url)
    visible(browser, "#x-amount").send_keys(amount)
    browser.find_element(By.ID, "x-submit").click()
    wait(
        browser,
        lambda b: b.find_element(By.ID, "f-wallet").get_attribute("data-value") == amount,
        f"{amount} in futures",
    )
    return User.objects.get(email=email)


def test_bad_futures_orders_show_the_apis_message_by_the_field_and_change_nothing(
    browser,
    exchange,
    contract,  # noqa: F811
    screenshot,
):
    url = exchange.url
    email = new_email()
    set_mark(contract, Decimal(60_000))
    # given: a trader with 100 USDT of futures collateral and the limit form
    user = _trader_with_collateral(browser, url, email, "100")
    browser.find_element(By.CSS_SELECTOR, "#o-type option[value=LIMIT]").click()
    price, qty = browser.find_element(By.ID, "o-price"), browser.find_element(By.ID, "o-qty")

    # when: the price is off the 0.1 tick, then the API's message shows under the price
    price.send_keys("59000.05")
    qty.send_keys("0.001")
    message = _refused(browser, "price", "the tick refusal")
    assert "tick" in message.lower(), message
    assert not browser.find_element(By.ID, "e-quantity").text

    # when: the size is below the 0.001 step, then the message shows under the size
    price.clear()
    price.send_keys("59000")
    qty.clear()
    qty.send_keys("0.0001")
    message = _refused(browser, "quantity", "the step refusal")
    assert not browser.find_element(By.ID, "e-price").text
    browser.execute_script("document.getElementById('toast').hidden = true")
    screenshot("web-futures-bad-step")
    browser.execute_script("document.getElementById('toast').hidden = false")

    # when: 1 BTC at 59,000 needs far more margin than 100 USDT, then the message shows
    qty.clear()
    qty.send_keys("1")
    message = _refused(browser, "quantity", "the margin refusal")
    assert "margin" in message.lower(), message
    browser.execute_script("document.getElementById('toast').hidden = true")
    screenshot("web-futures-bad-margin")
    browser.execute_script("document.getElementById('toast').hidden = false")

    # then: the first two never reached the engine, the third it rejected (its record
    # stays, as Binance's does); none is open and the futures wallet still holds 100
    assert [o.status for o in FuturesOrder.objects.filter(user=user)] == ["REJECTED"]
    assert text(browser, "#open-count") == ""
    assert browser.find_element(By.ID, "f-wallet").get_attribute("data-value") == "100"
    [usdt] = account_figures(user=user, mark_of=mark_of).assets
    assert usdt.wallet == Decimal(100)


def _transfer_on_wallet_page(browser, direction: str, amount: str) -> None:
    browser.find_element(By.CSS_SELECTOR, f"#x-type option[value={direction}]").click()
    visible(browser, "#x-amount").send_keys(amount)
    browser.find_element(By.ID, "x-submit").click()


def test_the_wallet_page_moves_collateral_between_spot_and_futures(
    browser,
    exchange,
    contract,  # noqa: F811 - the futures engine and clearing settle the transfer
    screenshot,
):
    url = exchange.url
    email = new_email()
    # given: a trader with 100 USDT on spot, on the wallet page
    sign_up(browser, url, email)
    deposit_on_test_chain(browser, url, "USDT", "100")
    user = User.objects.get(email=email)
    wait(browser, lambda b: text(b, "#x-asset option:checked") == "USDT", "the margin asset")
    assert browser.find_element(By.ID, "fw-balance").get_attribute("data-value") == "0"

    # when: 40 go to futures, then both balances show it
    _transfer_on_wallet_page(browser, "MAIN_UMFUTURE", "40")
    wait(
        browser,
        lambda b: b.find_element(By.ID, "fw-balance").get_attribute("data-value") == "40",
        "40 in futures",
    )
    wait(browser, lambda b: balance_cells(b, "USDT")[0] == "60.00000000", "60 on spot")

    # when: 15 come back, then both balances show it
    _transfer_on_wallet_page(browser, "UMFUTURE_MAIN", "15")
    wait(
        browser,
        lambda b: b.find_element(By.ID, "fw-balance").get_attribute("data-value") == "25",
        "25 in futures",
    )
    wait(browser, lambda b: balance_cells(b, "USDT")[0] == "75.00000000", "75 on spot")
    [usdt] = account_figures(user=user, mark_of=mark_of).assets
    assert usdt.wallet == Decimal(25)
    browser.execute_script("document.getElementById('toast').hidden = true")
    screenshot("web-wallet-transfer")


def test_a_stop_limit_and_a_take_profit_limit_rest_as_conditional_orders(
    browser,
    exchange,
    contract,  # noqa: F811
    screenshot,
):
    url = exchange.url
    set_mark(contract, Decimal(60_000))
    # given: a trader with 100 USDT of futures collateral; the mark at 60,000 and the
    # last trade (the contract price the triggers watch) at most 61,000
    user = _trader_with_collateral(browser, url, new_email(), "100")

    def place(type_: str, side: str, stop: str, price: str) -> None:
        browser.find_element(By.CSS_SELECTOR, f"input[name=side][value={side}]").click()
        browser.find_element(By.CSS_SELECTOR, f"#o-type option[value={type_}]").click()
        for field, value in (("o-stop", stop), ("o-price", price), ("o-qty", "0.001")):
            visible(browser, f"#{field}").clear()
            browser.find_element(By.ID, field).send_keys(value)
        browser.find_element(By.ID, "o-submit").click()

    # when: a buy stop-limit triggered at 65,000 with a limit of 65,100, and a sell
    # take-profit limit triggered at 66,000 with a limit of 65,900 (for the long it opens)
    place("STOP", "BUY", "65000", "65100")
    wait(browser, lambda b: text(b, "#open-count") == "(1)", "the resting stop")
    place("TAKE_PROFIT", "SELL", "66000", "65900")
    wait(browser, lambda b: text(b, "#open-count") == "(2)", "the resting take-profit")

    # then: both rest untriggered, with their limit and trigger prices, in open orders
    orders = {o.type: o for o in FuturesOrder.objects.filter(user=user)}
    assert sorted(orders) == ["STOP", "TAKE_PROFIT"]
    assert all(
        o.status == "NEW" and not o.triggered and not o.executed_qty for o in orders.values()
    )
    assert (orders["STOP"].price, orders["STOP"].stop_price) == (Decimal(65_100), Decimal(65_000))
    browser.find_element(By.CSS_SELECTOR, '[data-tab="open"]').click()
    rows = browser.execute_script(
        "return [...document.querySelectorAll('#open-orders tbody tr[data-order-id]')]"
        ".map(r => [...r.cells].map(c => c.textContent))"
    )
    shown = {row[2]: row[3:6] for row in rows}
    assert shown == {
        "Stop": ["65,100.0", "65,000.0", "0.001"],
        "Take profit": ["65,900.0", "66,000.0", "0.001"],
    }, rows
    assert not browser.find_element(By.ID, "e-stopPrice").text
    browser.execute_script("document.getElementById('toast').hidden = true")
    screenshot("web-futures-stop-limit", full_page=True)
    browser.find_element(By.ID, "cancel-all").click()
    wait(browser, lambda b: text(b, "#open-count") == "", "no open order")
