"""``userDataStream``: create (POST), keep alive (PUT) and close (DELETE) a listenKey.

API key header only, no signature, as Binance's USER_STREAM endpoints. The
WebSocket user-data stream is then opened with the key.
"""

from __future__ import annotations

from typing import ClassVar

from rest_framework.request import Request
from rest_framework.response import Response

from api.compat.binance import params
from api.compat.binance.base import BinanceView
from exchange.accounts.listen_keys import (
    close_listen_key,
    create_listen_key,
    keepalive_listen_key,
)
from exchange.accounts.models import ApiKey


class UserDataStreamView(BinanceView):
    key_only = True
    weights: ClassVar[dict[str, int]] = {"POST": 2, "PUT": 2, "DELETE": 2}

    def post(self, request: Request) -> Response:
        assert isinstance(request.auth, ApiKey)
        return Response(
            {"listenKey": create_listen_key(user=self.user(request), api_key=request.auth)}
        )

    def put(self, request: Request) -> Response:
        listen_key = params.required(self.params(request), "listenKey")
        keepalive_listen_key(user=self.user(request), listen_key=listen_key)
        return Response({})

    def delete(self, request: Request) -> Response:
        listen_key = params.required(self.params(request), "listenKey")
        close_listen_key(user=self.user(request), listen_key=listen_key)
        return Response({})
