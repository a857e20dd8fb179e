"""The base of every native REST view: rate limited per IP, user and API key.

Set here rather than in DRF's global defaults so the other DRF surfaces
(Binance-compatible views) keep their own limits and error formats.
"""

from __future__ import annotations

from typing import Any

from rest_framework.views import APIView

from api.rest.throttling import DEFAULT_THROTTLES


class RestView(APIView):
    throttle_classes: list[Any] = list(DEFAULT_THROTTLES)
