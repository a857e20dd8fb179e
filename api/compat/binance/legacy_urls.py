"""``/api/v1/...``: the Binance spot v1 paths old bots still call, where they do not collide
with the native ``/api/v1`` (which has no bare ``depth``). Mounted before ``api/``."""

from django.urls import path

from api.compat.binance import market

urlpatterns = [
    path("depth", market.DepthView.as_view()),
]
