"""``POST /sapi/v1/asset/transfer``: Binance's universal transfer, for the two types a
USDⓈ-M bot uses (``MAIN_UMFUTURE`` spot -> futures, ``UMFUTURE_MAIN`` back).

The answer waits for the engine's decision like an order does: a transfer out that
the futures account cannot cover is refused with -2019 (nothing moved), one in
that spot cannot cover with -5013 as Binance words it.
"""

from __future__ import annotations

import time
from typing import ClassVar

from django.conf import settings
from rest_framework.request import Request
from rest_framework.response import Response

from api.compat.binance import params
from api.compat.binance.errors import BinanceError
from api.compat.binance_futures.base import FuturesView
from api.compat.binance_futures.errors import INSUFFICIENT_MARGIN
from exchange.futures.models import FuturesTransfer, TransferDirection, TransferStatus
from exchange.futures.requests import TransferRequest
from exchange.futures.services import transfer
from exchange.wallets.errors import WalletError, WalletErrorCode

DIRECTIONS = {"MAIN_UMFUTURE": TransferDirection.IN, "UMFUTURE_MAIN": TransferDirection.OUT}
POLL_S = 0.05
INSUFFICIENT_SPOT = BinanceError(-5013, "Asset transfer failed: insufficient balance")


def _decided(moved: FuturesTransfer, timeout: float) -> FuturesTransfer:
    deadline = time.monotonic() + timeout
    while moved.status == TransferStatus.PENDING and time.monotonic() < deadline:
        time.sleep(POLL_S)
        moved.refresh_from_db()
    return moved


class AssetTransferView(FuturesView):
    signed = True
    # Binance counts 900 against the account (UID) limit, not the IP's request weight.
    weights: ClassVar[dict[str, int]] = {"POST": 1}
    key_permissions: ClassVar[dict[str, str]] = {"POST": "trade"}

    def post(self, request: Request) -> Response:
        query = self.params(request)
        kind = params.required(query, "type").upper()
        if kind not in DIRECTIONS:
            raise BinanceError(-1130, "Data sent for parameter 'type' is not valid.")
        change = TransferRequest.parse(
            asset=params.required(query, "asset"),
            amount=params.required(query, "amount"),
            direction=DIRECTIONS[kind],
        )
        try:
            moved = transfer(user=self.user(request), request=change)
        except WalletError as exc:
            if exc.code == WalletErrorCode.INSUFFICIENT_BALANCE:
                raise INSUFFICIENT_SPOT from None
            raise
        moved = _decided(moved, float(settings.BINANCE_ORDER_WAIT_SECONDS))
        if moved.status == TransferStatus.REFUSED:
            raise (
                INSUFFICIENT_MARGIN
                if moved.direction == TransferDirection.OUT
                else INSUFFICIENT_SPOT
            )
        return Response({"tranId": moved.pk})
