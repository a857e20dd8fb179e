"""The trading page's HTML shells. No data and no rules here: each page's script reads
and writes through the public REST, GraphQL and WebSocket surfaces, as any client does.

Pages set the CSRF cookie, which the scripts send back as ``X-CSRFToken`` on session
requests; the session cookie itself stays HttpOnly, so no script can read a secret.
"""

from __future__ import annotations

import re

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie

from web.security import with_csp

SYMBOL = re.compile(r"[A-Z0-9]{2,20}")


def _page(request: HttpRequest, template: str, page: str, **context: object) -> HttpResponse:
    return render(request, f"web/{template}", {"page": page, **context})


@with_csp
@ensure_csrf_cookie
def markets(request: HttpRequest) -> HttpResponse:
    return _page(request, "markets.html", "markets")


@with_csp
@ensure_csrf_cookie
def trade(request: HttpRequest, symbol: str = "") -> HttpResponse:
    symbol = symbol.upper()
    if symbol and not SYMBOL.fullmatch(symbol):
        raise Http404
    return _page(request, "trade.html", "trade", symbol=symbol)


@with_csp
@ensure_csrf_cookie
def futures(request: HttpRequest, symbol: str = "") -> HttpResponse:
    symbol = symbol.upper()
    if symbol and not SYMBOL.fullmatch(symbol):
        raise Http404
    return _page(request, "futures.html", "futures", symbol=symbol)


@with_csp
@ensure_csrf_cookie
def wallet(request: HttpRequest) -> HttpResponse:
    return _page(request, "wallet.html", "wallet")


@with_csp
@ensure_csrf_cookie
def api_keys(request: HttpRequest) -> HttpResponse:
    return _page(request, "api_keys.html", "api-keys")


@with_csp
@ensure_csrf_cookie
def security(request: HttpRequest) -> HttpResponse:
    return _page(request, "security.html", "security")


@with_csp
@ensure_csrf_cookie
def sign_in(request: HttpRequest) -> HttpResponse:
    return _page(request, "auth.html", "login", mode="login")


@with_csp
@ensure_csrf_cookie
def sign_up(request: HttpRequest) -> HttpResponse:
    return _page(request, "auth.html", "signup", mode="signup")
