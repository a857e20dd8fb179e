"""``/fapi/v1/listenKey``: create (POST), keep alive (PUT) and close (DELETE).

API key header only; a stray ``signature=`` is ignored (one bot in the references
sends it). Binance's futures key is one per API key: POST again returns the same key
with its life extended, PUT and DELETE act on it without naming it.
"""

from __future__ import annotations

from typing import ClassVar

from rest_framework.request import Request
from rest_framework.response import Response

from api.compat.binance_futures.base import FuturesView
from exchange.accounts.listen_keys import (
    close_listen_key,
    create_listen_key,
    keepalive_listen_key,
)
from exchange.accounts.models import ApiKey


class ListenKeyView(FuturesView):
    key_only = True
    session_allowed = False  # a listen key belongs to an API key; the page has /user-data-stream
    weights: ClassVar[dict[str, int]] = {"POST": 1, "PUT": 1, "DELETE": 1}

    def _key(self, request: Request) -> str:
        assert isinstance(request.auth, ApiKey)
        return self.params(request).get("listenKey") or create_listen_key(
            user=self.user(request), api_key=request.auth
        )

    def post(self, request: Request) -> Response:
        assert isinstance(request.auth, ApiKey)
        return Response(
            {"listenKey": create_listen_key(user=self.user(request), api_key=request.auth)}
        )

    def put(self, request: Request) -> Response:
        listen_key = self._key(request)
        keepalive_listen_key(user=self.user(request), listen_key=listen_key)
        return Response({"listenKey": listen_key})

    def delete(self, request: Request) -> Response:
        close_listen_key(user=self.user(request), listen_key=self._key(request))
        return Response({})
