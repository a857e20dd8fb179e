"""The base of every native REST view: rate limited per IP, user and API key.

Set here rather than in DRF's global defaults so the other DRF surfaces
(Binance-compatible views) keep their own limits and error formats.
"""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.views import APIView

from api.rest.throttling import DEFAULT_THROTTLES, IpRateThrottle


class RestView(APIView):
    throttle_classes: list[Any] = list(DEFAULT_THROTTLES)

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        # Per IP before authentication, so requests with bad credentials count too.
        per_ip = IpRateThrottle()
        if not per_ip.allow_request(request, self):
            self.throttled(request, per_ip.wait())
        super().initial(request, *args, **kwargs)
