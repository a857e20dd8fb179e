"""WebSocket URL routes (``exchange/asgi.py`` loads ``websocket_application`` by dotted path)."""

from __future__ import annotations

from channels.routing import URLRouter
from django.urls import re_path

from api.ws.consumers import FuturesStreamConsumer, StreamConsumer
from api.ws.graphql_ws import GraphQLTransportConsumer
from api.ws.ws_api import WsApiConsumer

websocket_urlpatterns = [
    re_path(r"^ws/?$", StreamConsumer.as_asgi()),
    re_path(r"^ws/(?P<name>[^/]+)/?$", StreamConsumer.as_asgi()),
    re_path(r"^stream/?$", StreamConsumer.as_asgi(), kwargs={"combined": True}),
    re_path(r"^stream/(?P<name>\d+)/?$", StreamConsumer.as_asgi(), kwargs={"combined": True}),
    re_path(r"^ws-api/v3/?$", WsApiConsumer.as_asgi()),
    # Binance USDⓈ-M (fstream.binance.com): ``/fstream/ws``, and the routed bases ccxt
    # derives from it (``/fstream/public/ws``, ``/market/ws``, ``/private/ws?listenKey=``).
    re_path(r"^fstream/(?:(?:public|market|private)/)?ws/?$", FuturesStreamConsumer.as_asgi()),
    re_path(
        r"^fstream/(?:(?:public|market|private)/)?ws/(?P<name>[^/]+)/?$",
        FuturesStreamConsumer.as_asgi(),
    ),
    re_path(
        r"^fstream/(?:(?:public|market|private)/)?stream/?$",
        FuturesStreamConsumer.as_asgi(),
        kwargs={"combined": True},
    ),
    re_path(
        r"^fstream/(?:(?:public|market|private)/)?stream/(?P<name>\d+)/?$",
        FuturesStreamConsumer.as_asgi(),
        kwargs={"combined": True},
    ),
    re_path(r"^graphql/?$", GraphQLTransportConsumer.as_asgi()),
]

websocket_application = URLRouter(websocket_urlpatterns)
