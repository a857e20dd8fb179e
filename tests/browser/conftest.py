"""Headless Chromium (Debian's chromium + chromium-driver) driven by Selenium.

The browser resolves no host but the test server's, so a page that still reached for
a CDN would render blank here, as it would on a machine without internet.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"


def _binary(*names: str) -> str | None:
    return next((path for name in names if (path := shutil.which(name))), None)


@pytest.fixture(scope="session")
def browser() -> Iterator[webdriver.Chrome]:
    chromium = _binary("chromium", "chromium-browser")
    driver_path = _binary("chromedriver")
    if chromium is None or driver_path is None:
        message = "needs Debian's chromium and chromium-driver (.ci/run installs them)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    # The page's console (errors, CSP reports) for a failing test's message.
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1400,1000",
        # Every name but the test server's fails to resolve: no CDN, no internet.
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def screenshot(browser: webdriver.Chrome):
    """Saves the page as var/screenshots/<name>.png (gitignored) for a person to look at."""

    def save(name: str, *, full_page: bool = False) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        size = browser.get_window_size()
        if full_page:  # the window as tall as the page, for one picture of all of it
            for _ in range(2):  # a resize can reflow the page to another height
                height = browser.execute_script("return document.documentElement.scrollHeight")
                browser.set_window_size(size["width"], max(size["height"], height + 120))
        browser.save_screenshot(str(path))
        if full_page:
            browser.set_window_size(size["width"], size["height"])
        return path

    return save
