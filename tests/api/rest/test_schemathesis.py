"""schemathesis against /api/schema/: every operation, valid and invalid input, with a token.

At least 1,000 generated requests in-process through the WSGI app; each must be
no 5xx, a documented status and content type, and a body that conforms to the
schema (errors included: their ``code`` must be one the operation documents).
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.rest.accounts.tokens import issue_token
from exchange.orders.actions import place_order
from exchange.orders.requests import OrderRequest
from exchange.wallets.actions import do_request_withdrawal
from exchange.wallets.requests import WithdrawalRequest

EXAMPLES = {GenerationMode.POSITIVE: 40, GenerationMode.NEGATIVE: 20}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
MIN_REQUESTS = 1000


@pytest.fixture
def trader(make_user, assets, fund, btcusdt):
    """A funded user with an order and a withdrawal, so lookups can find something."""
    user = make_user()
    fund(user, assets["USDT"], "100000")
    fund(user, assets["BTC"], "10")
    place_order(
        user=user,
        request=OrderRequest.parse(
            symbol="BTCUSDT", side="BUY", type="LIMIT", price="100", quantity="1"
        ),
    )
    do_request_withdrawal(
        user=user,
        request=WithdrawalRequest.parse(
            asset=assets["BTC"], amount="0.1", network="BTC", address="bc1q"
        ),
    )
    return user


@pytest.fixture
def wsgi_app():
    """The WSGI app, keeping the test's database connection open between requests
    (as Django's test client does)."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        for signal in (request_started, request_finished):
            signal.connect(close_old_connections)


def fuzz(operation, mode: GenerationMode, headers) -> int:
    """Send ``EXAMPLES[mode]`` generated requests to one operation; return how many were sent."""
    checks = CHECKS + ([negative_data_rejection] if mode == GenerationMode.NEGATIVE else [])
    sent = 0

    @given(case=operation.as_strategy(generation_mode=mode))
    @hypothesis_settings(
        max_examples=EXAMPLES[mode],
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    def call(case: schemathesis.Case) -> None:
        nonlocal sent
        sent += 1
        case.call_and_validate(headers=headers(), checks=checks)

    try:
        call()
    except Unsatisfiable:
        # An operation without parameters or body has no invalid request to make.
        assert mode == GenerationMode.NEGATIVE and sent == 0, operation.label
    return sent


def test_generated_requests_conform(settings, redis_client, trader, wsgi_app):
    # given generous limits (this test sends far more than a minute's default budget)
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "ip": 10**9, "user": 10**9, "login": 10**9}
    schema = schemathesis.openapi.from_wsgi("/api/schema/", wsgi_app)

    def headers() -> dict[str, str]:
        # Re-issued per request: a generated logout must not end the run's authentication.
        return {"Authorization": f"Token {issue_token(user=trader)}"}

    # when every operation gets valid and invalid generated requests
    sent = sum(
        fuzz(result.ok(), mode, headers)
        for result in schema.get_all_operations()
        for mode in EXAMPLES
    )
    # then all conformed (call_and_validate raised otherwise), and enough were sent
    print(f"schemathesis: {sent} requests")  # noqa: T201 - the count, for the record
    assert sent >= MIN_REQUESTS, sent
