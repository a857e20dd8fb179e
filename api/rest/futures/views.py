"""Native futures endpoints: contracts and their prices, orders, positions, settings,
transfers and income, over the same typed requests and services as ``/fapi``.

The futures engine decides margin at match time (DESIGN.md, "One risk stage"): an
order, a leverage or margin-type change and a transfer are answered once stored and
sent (201/202); the engine's decision is then on the order (``status``,
``reject_reason``, ``accepted``), the position and the transfer (``status``), and in
the user stream. API keys need ``trade`` to change anything.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from api.rest.base import RestView
from api.rest.fields import ms_to_datetime
from api.rest.futures.serializers import (
    ContractOut,
    FundingRateOut,
    FundingRateQuery,
    FuturesAccountOut,
    FuturesOrderIn,
    FuturesOrderOut,
    FuturesOrderQuery,
    FuturesTradeOut,
    FuturesTradeQuery,
    IncomeOut,
    IncomeQuery,
    IsolatedMarginIn,
    IsolatedMarginOut,
    LeverageIn,
    LiquidationOut,
    LiquidationQuery,
    MarginTypeIn,
    PositionOut,
    PremiumOut,
    SettingOut,
    TransferIn,
    TransferOut,
    TransferQuery,
)
from api.rest.markets.views import PublicView
from api.rest.parsing import valid, valid_query
from api.rest.request_user import request_user
from exchange.futures.account_summary import account_figures
from exchange.futures.bracket_tiers import contract_tiers
from exchange.futures.catalog import contract_list
from exchange.futures.errors import FuturesErrorCode
from exchange.futures.history import (
    access_futures_order_by_id,
    fill_of,
    forced_orders,
    futures_fills,
    futures_order_list,
    futures_transfer_list,
    income_history,
)
from exchange.futures.isolated_margin import adjust_isolated_margin
from exchange.futures.marks import mark_of
from exchange.futures.requests import (
    FuturesOrderRequest,
    IsolatedMarginRequest,
    LeverageRequest,
    MarginTypeRequest,
    TransferRequest,
)
from exchange.futures.selectors import get_contract
from exchange.futures.services import (
    cancel_futures_order,
    place_futures_order,
    set_leverage,
    set_margin_type,
    transfer,
)
from exchange.pricefeed.selectors import funding_history, premium_index
from exchange.wallets.errors import WalletErrorCode

UNKNOWN_CONTRACT = [FuturesErrorCode.UNKNOWN_CONTRACT]
PLACE_ERRORS = [
    FuturesErrorCode.UNKNOWN_CONTRACT,
    FuturesErrorCode.CONTRACT_NOT_TRADING,
    FuturesErrorCode.MARK_PRICE_STALE,
    FuturesErrorCode.INVALID_ORDER,
    FuturesErrorCode.INVALID_PRICE,
    FuturesErrorCode.PRICE_TICK,
    FuturesErrorCode.PRICE_ABOVE_BAND,
    FuturesErrorCode.PRICE_BELOW_BAND,
    FuturesErrorCode.INVALID_QUANTITY,
    FuturesErrorCode.QUANTITY_STEP,
]
ENGINE = [FuturesErrorCode.ENGINE_UNAVAILABLE]


class ContractListView(PublicView):
    @extend_schema(tags=["futures"], responses=ContractOut(many=True))
    def get(self, request: Request) -> Response:
        """Every perpetual contract with its leverage brackets."""
        contracts = list(contract_list())
        tiers = contract_tiers(contracts)
        for contract in contracts:
            contract.tiers = tiers[contract.pk]  # type: ignore[attr-defined]
        return Response(ContractOut(contracts, many=True).data)


class ContractDetailView(PublicView):
    error_codes = {"GET": UNKNOWN_CONTRACT}

    @extend_schema(tags=["futures"], responses=ContractOut)
    def get(self, request: Request, symbol: str) -> Response:
        contract = get_contract(symbol)
        contract.tiers = contract_tiers([contract])[contract.pk]  # type: ignore[attr-defined]
        return Response(ContractOut(contract).data)


class PremiumView(PublicView):
    error_codes = {"GET": UNKNOWN_CONTRACT}

    @extend_schema(tags=["futures"], responses=PremiumOut)
    def get(self, request: Request, symbol: str) -> Response:
        """Mark and index price and the funding rate, as the price feed last published them."""
        contract = get_contract(symbol)
        figures = premium_index(contract.symbol) or {
            "symbol": contract.symbol,
            "mark_price": "0",
            "index_price": "0",
            "funding_rate": "0",
            "interest_rate": contract.interest_rate,
            "next_funding_time": 0,
            "time": 0,
        }
        return Response(PremiumOut(figures).data)


class FundingRateView(PublicView):
    error_codes = {"GET": UNKNOWN_CONTRACT}

    @extend_schema(
        tags=["futures"], parameters=[FundingRateQuery], responses=FundingRateOut(many=True)
    )
    def get(self, request: Request, symbol: str) -> Response:
        """Fundings applied, oldest first: from ``start`` on, else the newest ``limit``."""
        query = valid_query(FundingRateQuery, request)
        rows = funding_history(
            symbol=get_contract(symbol).symbol,
            start=query.get("start"),
            end=query.get("end"),
            limit=query["limit"],
        )
        return Response(FundingRateOut(rows, many=True).data)


class FuturesOrderListView(RestView):
    key_permissions = {"POST": "trade"}
    error_codes = {"GET": UNKNOWN_CONTRACT, "POST": PLACE_ERRORS}

    @extend_schema(
        tags=["futures"], parameters=[FuturesOrderQuery], responses=FuturesOrderOut(many=True)
    )
    def get(self, request: Request) -> Response:
        """The caller's newest futures orders, newest first."""
        query = valid_query(FuturesOrderQuery, request)
        orders = futures_order_list(
            user=request_user(request),
            contract=get_contract(query["symbol"]) if "symbol" in query else None,
            open_only=query["open"],
            limit=query["limit"],
        )
        return Response(FuturesOrderOut(orders, many=True).data)

    @extend_schema(tags=["futures"], request=FuturesOrderIn, responses={201: FuturesOrderOut})
    def post(self, request: Request) -> Response:
        """Place a futures order. The engine decides its margin right after: a refusal
        shows as ``status`` REJECTED with ``reject_reason`` (INSUFFICIENT_MARGIN,
        REDUCE_ONLY, POST_ONLY_WOULD_TAKE...). A retried ``client_order_id`` answers the
        first order."""
        order = place_futures_order(
            user=request_user(request),
            request=FuturesOrderRequest.parse(**valid(FuturesOrderIn, request.data)),
        )
        return Response(FuturesOrderOut(order).data, status=status.HTTP_201_CREATED)


class FuturesOrderDetailView(RestView):
    error_codes = {"GET": [FuturesErrorCode.UNKNOWN_ORDER]}

    @extend_schema(tags=["futures"], responses=FuturesOrderOut)
    def get(self, request: Request, order_id: int) -> Response:
        order = access_futures_order_by_id(user=request_user(request), order_id=order_id)
        return Response(FuturesOrderOut(order).data)


class FuturesOrderCancelView(RestView):
    key_permissions = {"POST": "trade"}
    error_codes = {"POST": [FuturesErrorCode.UNKNOWN_ORDER, *ENGINE]}

    @extend_schema(tags=["futures"], request=None, responses={202: FuturesOrderOut})
    def post(self, request: Request, order_id: int) -> Response:
        """Ask the engine to cancel an open order; its status shows the outcome."""
        order = cancel_futures_order(user=request_user(request), order_id=order_id)
        return Response(FuturesOrderOut(order).data, status=status.HTTP_202_ACCEPTED)


class PositionListView(RestView):
    @extend_schema(tags=["futures"], responses=PositionOut(many=True))
    def get(self, request: Request) -> Response:
        """Every contract the caller has held a position or open orders in."""
        figures = account_figures(user=request_user(request), mark_of=mark_of)
        return Response(PositionOut(figures.positions, many=True).data)


class FuturesAccountView(RestView):
    @extend_schema(tags=["futures"], responses=FuturesAccountOut)
    def get(self, request: Request) -> Response:
        """Wallet, margin and what is available per margin asset, and the positions."""
        figures = account_figures(user=request_user(request), mark_of=mark_of)
        return Response(FuturesAccountOut(figures).data)


class LeverageView(RestView):
    key_permissions = {"POST": "trade"}
    error_codes = {
        "POST": [FuturesErrorCode.UNKNOWN_CONTRACT, FuturesErrorCode.INVALID_LEVERAGE, *ENGINE]
    }

    @extend_schema(tags=["futures"], request=LeverageIn, responses={202: SettingOut})
    def post(self, request: Request) -> Response:
        """Set the leverage of the caller's position in a contract. The engine refuses one
        whose margin would not fit or above the position's bracket: the position keeps
        its leverage then."""
        data = valid(LeverageIn, request.data)
        change = LeverageRequest.parse(symbol=data["symbol"], leverage=data["leverage"])
        set_leverage(user=request_user(request), request=change)
        body = {"symbol": change.contract.symbol, "leverage": change.leverage}
        return Response(SettingOut(body).data, status=status.HTTP_202_ACCEPTED)


class MarginTypeView(RestView):
    key_permissions = {"POST": "trade"}
    error_codes = {
        "POST": [
            FuturesErrorCode.UNKNOWN_CONTRACT,
            FuturesErrorCode.INVALID_ORDER,
            FuturesErrorCode.MARGIN_TYPE_UNCHANGED,
            FuturesErrorCode.MARGIN_TYPE_HAS_POSITION,
            FuturesErrorCode.MARGIN_TYPE_HAS_ORDERS,
            *ENGINE,
        ]
    }

    @extend_schema(tags=["futures"], request=MarginTypeIn, responses={202: SettingOut})
    def post(self, request: Request) -> Response:
        """CROSSED or ISOLATED; refused while the caller has a position or open orders in
        the contract (the engine checks again), or when it is already so."""
        data = valid(MarginTypeIn, request.data)
        change = MarginTypeRequest.parse(symbol=data["symbol"], margin_type=data["margin_type"])
        set_margin_type(user=request_user(request), request=change)
        body = {"symbol": change.contract.symbol, "margin_type": change.margin_type}
        return Response(SettingOut(body).data, status=status.HTTP_202_ACCEPTED)


class TransferListView(RestView):
    key_permissions = {"POST": "trade"}
    error_codes = {
        "POST": [
            FuturesErrorCode.INVALID_AMOUNT,
            FuturesErrorCode.INVALID_ORDER,
            WalletErrorCode.INSUFFICIENT_BALANCE,
        ]
    }

    @extend_schema(tags=["futures"], parameters=[TransferQuery], responses=TransferOut(many=True))
    def get(self, request: Request) -> Response:
        query = valid_query(TransferQuery, request)
        rows = futures_transfer_list(user=request_user(request), limit=query["limit"])
        return Response(TransferOut(rows, many=True).data)

    @extend_schema(tags=["futures"], request=TransferIn, responses={202: TransferOut})
    def post(self, request: Request) -> Response:
        """Move collateral: IN (spot -> futures) takes it from spot available now; OUT is
        credited to spot once the engine has checked the futures account can spare it
        (``status`` DONE, or REFUSED with nothing moved)."""
        data = valid(TransferIn, request.data)
        moved = transfer(user=request_user(request), request=TransferRequest.parse(**data))
        return Response(TransferOut(moved).data, status=status.HTTP_202_ACCEPTED)


class IncomeView(RestView):
    error_codes = {"GET": [FuturesErrorCode.UNKNOWN_CONTRACT, FuturesErrorCode.INVALID_ORDER]}

    @extend_schema(tags=["futures"], parameters=[IncomeQuery], responses=IncomeOut(many=True))
    def get(self, request: Request) -> Response:
        """Every change of the futures wallet (realized PnL, commission, funding fee,
        transfer, liquidation fee, insurance clear), oldest first; without ``start`` the
        newest ``limit``."""
        query = valid_query(IncomeQuery, request)
        contract = get_contract(query["symbol"]) if "symbol" in query else None
        rows = income_history(
            user=request_user(request),
            income_type=(query.get("income_type") or "").upper() or None,
            contract=contract,
            start=ms_to_datetime(query.get("start")),
            end=ms_to_datetime(query.get("end")),
            limit=query["limit"],
        )
        symbols = {c.pk: c.symbol for c in contract_list()}
        body = [
            {
                "time": r.time,
                "symbol": symbols.get(r.contract_id) if r.contract_id else None,
                "asset": r.asset,
                "income_type": r.income_type,
                "amount": r.amount,
                "info": r.info,
            }
            for r in rows
        ]
        return Response(IncomeOut(body, many=True).data)


class FuturesTradeListView(RestView):
    error_codes = {"GET": UNKNOWN_CONTRACT}

    @extend_schema(
        tags=["futures"], parameters=[FuturesTradeQuery], responses=FuturesTradeOut(many=True)
    )
    def get(self, request: Request) -> Response:
        """The caller's fills in a contract with fee and realized PnL, oldest first: from
        ``from_id`` on, else the newest ``limit``. A liquidation's fills are marked."""
        query = valid_query(FuturesTradeQuery, request)
        user = request_user(request)
        trades = futures_fills(
            user=user,
            contract=get_contract(query["symbol"]),
            order_id=query.get("order_id"),
            from_seq=query.get("from_id"),
            start=ms_to_datetime(query.get("start")),
            end=ms_to_datetime(query.get("end")),
            limit=query["limit"],
        )
        return Response(FuturesTradeOut([fill_of(t, user.pk) for t in trades], many=True).data)


class IsolatedMarginView(RestView):
    key_permissions = {"POST": "trade"}
    error_codes = {
        "POST": [
            FuturesErrorCode.UNKNOWN_CONTRACT,
            FuturesErrorCode.INVALID_AMOUNT,
            FuturesErrorCode.NOT_ISOLATED,
            FuturesErrorCode.NO_POSITION,
            FuturesErrorCode.MARGIN_CHANGE_PENDING,
            *ENGINE,
        ]
    }

    @extend_schema(tags=["futures"], request=IsolatedMarginIn, responses={202: IsolatedMarginOut})
    def post(self, request: Request) -> Response:
        """Add margin to the caller's open isolated position from the cross wallet, or take
        some back. The engine bounds both (adding: the cross available balance; taking
        back: the initial margin at the mark must stay covered); ``result`` shows its
        answer once cleared. One change per position is in flight at a time."""
        data = valid(IsolatedMarginIn, request.data)
        change = adjust_isolated_margin(
            user=request_user(request),
            request=IsolatedMarginRequest.parse(
                symbol=data["symbol"], amount=data["amount"], add=data["direction"] == "ADD"
            ),
        )
        return Response(IsolatedMarginOut(change).data, status=status.HTTP_202_ACCEPTED)


class LiquidationListView(RestView):
    error_codes = {"GET": [FuturesErrorCode.UNKNOWN_CONTRACT, FuturesErrorCode.INVALID_ORDER]}

    @extend_schema(
        tags=["futures"], parameters=[LiquidationQuery], responses=LiquidationOut(many=True)
    )
    def get(self, request: Request) -> Response:
        """The caller's liquidations and ADL closes, oldest first: from ``start`` on, else
        the newest ``limit`` of the seven days before ``end`` (or now)."""
        query = valid_query(LiquidationQuery, request)
        rows = forced_orders(
            user=request_user(request),
            contract=get_contract(query["symbol"]) if "symbol" in query else None,
            kind=(query.get("auto_close_type") or "").upper() or None,
            start=ms_to_datetime(query.get("start")),
            end=ms_to_datetime(query.get("end")),
            limit=query["limit"],
        )
        return Response(LiquidationOut(rows, many=True).data)
