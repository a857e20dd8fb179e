"""The trading pages' security headers: the exact Content-Security-Policy (no CDN, no
inline script, no eval, connections only to this host) and the companion headers,
on the markets, spot and futures pages."""

from __future__ import annotations

import pytest
from django.test import Client

from web.security import CHART_STYLE_HASH

PAGES = ["/", "/trade/BTCUSDT", "/futures/BTCUSDT"]

EXPECTED_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'", CHART_STYLE_HASH],
    "img-src": ["'self'", "data:"],
    "connect-src": ["'self'", "ws://testserver", "wss://testserver"],
    "frame-ancestors": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
    "object-src": ["'none'"],
}


def _policy(header: str) -> dict[str, list[str]]:
    directives = [part.split() for part in header.split(";")]
    return {words[0]: words[1:] for words in directives if words}


@pytest.mark.django_db
@pytest.mark.parametrize("path", PAGES)
def test_page_sends_exact_content_security_policy(client: Client, path: str) -> None:
    response = client.get(path)

    assert response.status_code == 200
    policy = _policy(response["Content-Security-Policy"])
    assert policy == EXPECTED_POLICY
    sources = " ".join(word for words in policy.values() for word in words)
    assert "unsafe-inline" not in sources
    assert "unsafe-eval" not in sources
    assert "http" not in sources  # no CDN or other origin


@pytest.mark.django_db
@pytest.mark.parametrize("path", PAGES)
def test_page_sends_companion_security_headers(client: Client, path: str) -> None:
    response = client.get(path)

    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert "csrftoken" in response.cookies
