"""The API explorers render in a browser that cannot reach the internet (issue 20)."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

pytestmark = pytest.mark.django_db(transaction=True)


def _wait_for(browser, css: str):
    return WebDriverWait(browser, 30).until(
        ec.visibility_of_element_located((By.CSS_SELECTOR, css)), message=css
    )


def test_swagger_ui_lists_the_operations(browser, live_server, screenshot):
    browser.get(f"{live_server.url}/api/docs/")
    _wait_for(browser, ".opblock")
    paths = {e.text for e in browser.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")}
    assert "/api/v1/orders" in paths
    assert screenshot("api-docs").stat().st_size > 0


def test_redoc_lists_the_operations(browser, live_server, screenshot):
    browser.get(f"{live_server.url}/api/redoc/")
    heading = _wait_for(browser, ".api-info h1")
    assert heading.text.startswith("Open Exchange API")
    menu = browser.find_elements(By.CSS_SELECTOR, "li[data-item-id] label")
    assert any("orders" in item.get_attribute("textContent").lower() for item in menu)
    assert screenshot("api-redoc").stat().st_size > 0


def test_graphiql_opens_its_editor_and_runs_a_query(browser, live_server, screenshot):
    browser.get(f"{live_server.url}/graphql")
    _wait_for(browser, ".graphiql-container .graphiql-query-editor .CodeMirror")
    browser.execute_script(
        "document.querySelector('.graphiql-query-editor .CodeMirror')"
        ".CodeMirror.setValue('{ __typename }')"
    )
    browser.find_element(By.CSS_SELECTOR, ".graphiql-execute-button").click()
    WebDriverWait(browser, 30).until(
        lambda b: "Query" in b.find_element(By.CSS_SELECTOR, ".graphiql-response").text
    )
    assert screenshot("graphiql").stat().st_size > 0
