"""Steps a trader takes on the page, shared by the browser tests."""

from __future__ import annotations

from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.trading.conftest import PASSWORD


def wait(browser: WebDriver, predicate, what: str, timeout: float = 30):  # noqa: ANN001
    try:
        return WebDriverWait(browser, timeout, poll_frequency=0.1).until(predicate)
    except TimeoutException as exc:
        console = "\n".join(entry["message"] for entry in browser.get_log("browser"))
        raise AssertionError(
            f"timed out waiting for {what}; the page's console:\n{console}"
        ) from exc


def visible(browser: WebDriver, css: str, timeout: float = 30):
    return WebDriverWait(browser, timeout).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, css)), message=css
    )


def text(browser: WebDriver, css: str) -> str:
    return browser.find_element(By.CSS_SELECTOR, css).text


def sign_up(browser: WebDriver, url: str, email: str) -> None:
    browser.delete_all_cookies()
    browser.get(f"{url}/signup")
    visible(browser, "#email").send_keys(email)
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "#auth-form button[type=submit]").click()
    wait(browser, lambda b: "/trade/" in b.current_url, "the trading screen after sign-up")


def deposit_on_test_chain(browser: WebDriver, url: str, asset: str, amount: str) -> None:
    browser.get(f"{url}/wallet")
    visible(browser, f"#d-asset option[value={asset}]").click()
    wait(browser, lambda b: b.find_element(By.ID, "d-address").text.startswith("sim"), "address")
    field = browser.find_element(By.ID, "d-amount")
    field.clear()
    field.send_keys(amount)
    browser.find_element(By.CSS_SELECTOR, "#deposit-form button[type=submit]").click()
    wait(
        browser,
        lambda b: b.find_elements(By.CSS_SELECTOR, f"#balances tr[data-asset={asset}]"),
        f"the {asset} balance",
    )


def open_market(browser: WebDriver, url: str, symbol: str) -> None:
    browser.get(f"{url}/trade/{symbol}")
    wait(
        browser,
        lambda b: b.execute_script("return !!(window.exchangePage && window.exchangePage.ready)"),
        "page ready",
    )
    wait(browser, lambda b: text(b, "#live-status") == "live", "the market stream")


def place_limit(
    browser: WebDriver, side: str, price: str, quantity: str, *, by_keyboard: bool = False
) -> None:
    """Fill the order form; submit with the button, or with Enter in the amount field."""
    browser.find_element(By.CSS_SELECTOR, f".side-tabs input[value={side}]").click()
    browser.find_element(By.CSS_SELECTOR, "#o-type option[value=LIMIT]").click()
    for field, value in (("o-price", price), ("o-qty", quantity)):
        element = browser.find_element(By.ID, field)
        element.clear()
        element.send_keys(value)
    if by_keyboard:
        browser.find_element(By.ID, "o-qty").send_keys(Keys.ENTER)
    else:
        browser.find_element(By.ID, "o-submit").click()


def balance_cells(browser: WebDriver, asset: str) -> tuple[str, str]:
    """(available, locked) as the balances table shows them, read in one step (the
    table is redrawn on every balance event)."""
    cells = browser.execute_script(
        "return [...document.querySelectorAll(`#balances tr[data-asset=${arguments[0]}] td`)]"
        ".map((td) => td.textContent)",
        asset,
    )
    return (cells[1], cells[2]) if len(cells) >= 3 else ("", "")
