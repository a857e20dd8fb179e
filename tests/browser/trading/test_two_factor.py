"""Two-factor on the web page: a trader turns it on from the security page (QR code,
code, recovery codes), then the wallet asks for a code before a withdrawal and shows
the API's refusal next to the code field, with nothing locked; and signing in asks for
the code after the password."""

from __future__ import annotations

from django_otp.plugins.otp_totp.models import TOTPDevice
from selenium.webdriver.common.by import By

from exchange.accounts.models import User
from exchange.wallets.chains.simchain import sim_address
from tests.browser.trading.conftest import new_email
from tests.browser.trading.pages import (
    PASSWORD,
    balance_cells,
    deposit_on_test_chain,
    sign_up,
    text,
    visible,
    wait,
)
from tests.two_factor import enrol, totp_code, unthrottle, wrong_code


def test_a_trader_turns_on_two_factor_and_withdraws_with_a_code(browser, exchange, screenshot):
    url = exchange.url
    email = new_email()
    sign_up(browser, url, email)
    deposit_on_test_chain(browser, url, "USDT", "100")
    # given: the security page, two-factor off
    browser.get(f"{url}/account/security")
    wait(browser, lambda b: text(b, "#tf-status") == "Two-factor is off.", "the status")
    # when: they turn it on, the page shows the QR code and the key
    browser.find_element(By.ID, "tf-begin").click()
    wait(browser, lambda b: b.find_element(By.ID, "tf-secret").text, "the key")
    qr = browser.find_element(By.ID, "tf-qr")
    assert qr.get_attribute("src").startswith("data:image/svg+xml")
    wait(browser, lambda b: b.execute_script("return arguments[0].naturalWidth > 0", qr), "QR")
    screenshot("web-two-factor-enrol")
    device = TOTPDevice.objects.get(user__email=email, confirmed=False)
    # a wrong code is the API's words under the code field
    browser.find_element(By.ID, "tf-code").send_keys(wrong_code(device))
    browser.find_element(By.CSS_SELECTOR, "#tf-enrol button[type=submit]").click()
    wait(browser, lambda b: text(b, "#e-tf-code") == "That code is not valid.", "the code error")
    unthrottle(device)
    field = browser.find_element(By.ID, "tf-code")
    field.clear()
    field.send_keys(totp_code(device, steps_ago=1))
    browser.find_element(By.CSS_SELECTOR, "#tf-enrol button[type=submit]").click()
    # then: it is on and the ten recovery codes are shown once
    wait(
        browser,
        lambda b: len(b.find_elements(By.CSS_SELECTOR, "#tf-recovery-codes li")) == 10,
        "codes",
    )
    wait(
        browser,
        lambda b: text(b, "#tf-status") == "Two-factor is on. Recovery codes left: 10.",
        "the status",
    )
    screenshot("web-two-factor-recovery-codes")
    browser.find_element(By.ID, "tf-recovery-done").click()
    # when: a withdrawal is asked for without a code
    browser.get(f"{url}/wallet")
    visible(browser, "#w-asset option[value=USDT]").click()
    wait(browser, lambda b: b.find_element(By.ID, "w-otp").is_displayed(), "the code field")
    browser.find_element(By.ID, "w-address").send_keys(sim_address("web-two-factor"))
    browser.find_element(By.ID, "w-amount").send_keys("20")
    browser.find_element(By.CSS_SELECTOR, "#withdraw-form button[type=submit]").click()
    # then: refused next to the code field, nothing locked
    wait(browser, lambda b: text(b, "#e-w-otp") == "Enter your authentication code.", "refusal")
    assert browser.find_element(By.ID, "w-otp").get_attribute("aria-invalid") == "true"
    wait(browser, lambda b: balance_cells(b, "USDT") == ("100.00000000", "0.00000000"), "free")
    screenshot("web-two-factor-withdrawal-refused")
    # when: with the app's current code, the withdrawal is requested
    browser.find_element(By.ID, "w-otp").send_keys(totp_code(device))
    browser.find_element(By.CSS_SELECTOR, "#withdraw-form button[type=submit]").click()
    wait(browser, lambda b: "PENDING" in text(b, "#withdrawals tbody"), "the pending withdrawal")
    wait(browser, lambda b: balance_cells(b, "USDT") == ("80.00000000", "20.00000000"), "locked")
    screenshot("web-two-factor-withdrawal")
    # and a new API key asks for a code too: refused without, created with the next one
    browser.get(f"{url}/account/api-keys")
    wait(browser, lambda b: b.find_element(By.ID, "k-otp").is_displayed(), "the key code field")
    browser.find_element(By.ID, "k-label").send_keys("bot")
    browser.find_element(By.CSS_SELECTOR, "#key-form button[type=submit]").click()
    wait(browser, lambda b: text(b, "#e-k-otp") == "Enter your authentication code.", "refusal")
    browser.find_element(By.ID, "k-otp").send_keys(totp_code(device, steps_ago=-1))
    browser.find_element(By.CSS_SELECTOR, "#key-form button[type=submit]").click()
    wait(browser, lambda b: b.find_element(By.ID, "new-secret").text, "the new key's secret")


def test_signing_in_with_two_factor_on_asks_for_the_code(browser, exchange, screenshot):
    url = exchange.url
    email = new_email()
    sign_up(browser, url, email)
    device, _ = enrol(User.objects.get(email=email))
    browser.delete_all_cookies()
    browser.get(f"{url}/login")
    # when: the password alone
    visible(browser, "#email").send_keys(email)
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    submit = browser.find_element(By.CSS_SELECTOR, "#auth-form button[type=submit]")
    submit.click()
    # then: refused, and the form asks for the code next to its field
    wait(browser, lambda b: b.find_element(By.ID, "otp-code").is_displayed(), "the code field")
    wait(browser, lambda b: text(b, "#otp-code-error") == "Enter your authentication code.", "ask")
    assert browser.switch_to.active_element == browser.find_element(By.ID, "otp-code")
    screenshot("web-login-two-factor-asked")
    # when: a wrong code, refused in words under the field, still signed out
    browser.find_element(By.ID, "otp-code").send_keys(wrong_code(device))
    submit.click()
    wait(browser, lambda b: text(b, "#otp-code-error") == "That code is not valid.", "refusal")
    assert browser.current_url.endswith("/login") and browser.get_cookie("sessionid") is None
    screenshot("web-login-two-factor-wrong-code")
    # when: the app's current code, signed in
    unthrottle(device)
    field = browser.find_element(By.ID, "otp-code")
    field.clear()
    field.send_keys(totp_code(device))
    submit.click()
    wait(browser, lambda b: "/trade/" in b.current_url, "the trading screen after sign-in")
    assert browser.get_cookie("sessionid") is not None
    screenshot("web-login-two-factor-signed-in")
