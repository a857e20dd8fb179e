"""``/fapi/v1/batchOrders`` (POST up to 5 orders, DELETE up to 10 by id): every slot of the
answer is that order's JSON or its own ``{"code", "msg"}``, as on Binance.

A placed batch waits, like one order, for clearing to record the engine's decisions, so a
margin refusal is the error in its slot.
"""

from __future__ import annotations

from typing import ClassVar
from urllib.parse import unquote

from rest_framework.request import Request
from rest_framework.response import Response

from api.compat.binance.errors import BinanceError, illegal, mandatory
from api.compat.binance_futures.base import FuturesView
from api.compat.binance_futures.errors import from_domain, from_rejection
from api.compat.binance_futures.orders import _contract, _order_request, _wait_seconds
from api.compat.binance_futures.shapes import order_json
from api.json_input import JsonInputError, loads_bounded
from exchange.core.errors import DomainError
from exchange.core.ids import MAX_ID
from exchange.futures.batch import (
    MAX_BATCH,
    cancel_futures_batch,
    check_futures_batch_size,
    place_futures_batch,
)
from exchange.futures.models import FuturesOrderStatus
from exchange.futures.outcome import accepted, closed, wait_for_futures_orders
from exchange.futures.requests import FuturesOrderRequest

MAX_CANCELS = 10
MAX_JSON = 16 * 1024

Slot = dict[str, object]


def _json_list(query: dict[str, str], name: str, maximum: int) -> list[object]:
    """A JSON list parameter; python-binance sends the id lists in lower case and
    percent-encoded twice (``orderidlist=%5B1%2C2%5D`` once decoded), which Binance takes."""
    raw = query.get(name) or query.get(name.lower())
    if not raw:
        raise mandatory(name)
    if raw.startswith("%5B"):
        raw = unquote(raw)
    try:
        value = loads_bounded(raw, max_bytes=MAX_JSON, max_depth=2)
    except JsonInputError as exc:
        raise illegal(name) from exc
    if not isinstance(value, list) or not value:
        raise illegal(name)
    if len(value) > maximum:
        raise BinanceError(-1130, f"Data sent for parameter '{name}' is not valid.")
    return value


def _parse(item: object) -> FuturesOrderRequest | DomainError | BinanceError:
    """One order of the batch in Binance's terms (all values are strings there)."""
    if not isinstance(item, dict):
        return illegal("batchOrders")
    fields = {str(k): str(v).lower() if isinstance(v, bool) else str(v) for k, v in item.items()}
    try:
        return _order_request(fields)
    except (DomainError, BinanceError) as exc:
        return exc


def _error(exc: DomainError | BinanceError) -> Slot:
    found = exc if isinstance(exc, BinanceError) else from_domain(exc)
    return {"code": found.code, "msg": found.msg}


class BatchOrdersView(FuturesView):
    signed = True
    weights: ClassVar[dict[str, int]] = {"POST": 5, "DELETE": 1}
    key_permissions: ClassVar[dict[str, str]] = {"POST": "trade", "DELETE": "trade"}

    def post(self, request: Request) -> Response:
        items = _json_list(self.params(request), "batchOrders", MAX_BATCH)
        check_futures_batch_size(len(items))
        parsed = [_parse(item) for item in items]
        answers: list[Slot | None] = [
            _error(p) if isinstance(p, BinanceError) else None for p in parsed
        ]
        requests = [p for p in parsed if not isinstance(p, BinanceError)]
        slots = place_futures_batch(user=self.user(request), requests=requests)
        placed = [s.order for s in slots if s.order is not None]
        done = {
            o.pk: o
            for o in wait_for_futures_orders(placed, until=accepted, timeout=_wait_seconds())
        }
        it = iter(slots)
        for index, answer in enumerate(answers):
            if answer is not None:
                continue
            slot = next(it)
            if slot.error is not None:
                answers[index] = _error(slot.error)
                continue
            assert slot.order is not None
            order = done[slot.order.pk]
            if order.status == FuturesOrderStatus.REJECTED:
                rejection = from_rejection(order.reject_reason)
                answers[index] = {"code": rejection.code, "msg": rejection.msg}
            else:
                answers[index] = order_json(order)
        return Response(answers)

    def delete(self, request: Request) -> Response:
        query = self.params(request)
        contract = _contract(query)
        if query.get("orderIdList") or query.get("orderidlist"):
            raw = _json_list(query, "orderIdList", MAX_CANCELS)
            if not all(type(i) is int and 0 < i <= MAX_ID for i in raw):
                raise illegal("orderIdList")
            keys: list[int | str] = [int(i) for i in raw if type(i) is int]
        elif query.get("origClientOrderIdList") or query.get("origclientorderidlist"):
            raw = _json_list(query, "origClientOrderIdList", MAX_CANCELS)
            if not all(isinstance(i, str) for i in raw):
                raise illegal("origClientOrderIdList")
            keys = [str(i) for i in raw]
        else:
            raise mandatory("orderIdList")
        slots = cancel_futures_batch(user=self.user(request), contract=contract, order_ids=keys)
        sent = [s.order for s in slots if s.order is not None]
        done = {
            o.pk: o for o in wait_for_futures_orders(sent, until=closed, timeout=_wait_seconds())
        }
        answers: list[Slot] = []
        for slot in slots:
            if slot.order is not None:
                answers.append(order_json(done[slot.order.pk]))
            else:
                assert slot.error is not None
                found = from_domain(slot.error, cancelling=True)
                answers.append({"code": found.code, "msg": found.msg})
        return Response(answers)
