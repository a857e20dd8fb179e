"""Balances, ledger history, deposits and withdrawals of the caller.

API keys need ``withdraw`` to request or cancel a withdrawal.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from api.rest.base import RestView
from api.rest.fields import ms_to_datetime
from api.rest.parsing import valid, valid_query
from api.rest.request_user import request_user
from api.rest.wallets.serializers import (
    BalanceOut,
    ChainDepositOut,
    ChainDepositPage,
    DepositAddressOut,
    DepositAddressQuery,
    DepositOut,
    DepositPage,
    HistoryQuery,
    LedgerLineOut,
    LedgerPage,
    TestDepositIn,
    TestDepositOut,
    WithdrawalIn,
    WithdrawalOut,
    WithdrawalPage,
    WithdrawalQuery,
)
from exchange.accounts.errors import SECOND_FACTOR_CODES
from exchange.accounts.models import ApiKey
from exchange.core.pagination import PageErrorCode, paginate
from exchange.wallets.actions import do_cancel_withdrawal, do_request_withdrawal, get_asset
from exchange.wallets.addresses import do_get_deposit_address
from exchange.wallets.errors import WalletErrorCode
from exchange.wallets.faucet import do_test_deposit
from exchange.wallets.requests import WithdrawalRequest
from exchange.wallets.selectors import (
    balance_list,
    chain_deposit_list,
    deposit_list,
    ledger_lines_for_user,
    withdrawal_list,
)
from exchange.wallets.transfer_history import chain_deposit_progress

HISTORY_ERRORS = [WalletErrorCode.UNKNOWN_ASSET, *PageErrorCode]


def _history(query: dict[str, Any]) -> dict[str, Any]:
    """The selector filters of a history query (asset, time range)."""
    return {
        "asset": get_asset(query["asset"]) if "asset" in query else None,
        "start": ms_to_datetime(query.get("start")),
        "end": ms_to_datetime(query.get("end")),
    }


class BalanceListView(RestView):
    @extend_schema(tags=["wallet"], responses=BalanceOut(many=True))
    def get(self, request: Request) -> Response:
        return Response(BalanceOut(balance_list(user=request_user(request)), many=True).data)


class LedgerView(RestView):
    error_codes = {"GET": HISTORY_ERRORS}

    @extend_schema(tags=["wallet"], parameters=[HistoryQuery], responses=LedgerPage)
    def get(self, request: Request) -> Response:
        """Every change of the caller's balances, newest first."""
        query = valid_query(HistoryQuery, request)
        page = ledger_lines_for_user(
            user=request_user(request),
            **_history(query),
            cursor=query.get("cursor"),
            limit=query["limit"],
        )
        return Response(
            {"results": LedgerLineOut(page.items, many=True).data, "next_cursor": page.next_cursor}
        )


class DepositListView(RestView):
    error_codes = {"GET": HISTORY_ERRORS}

    @extend_schema(tags=["wallet"], parameters=[HistoryQuery], responses=DepositPage)
    def get(self, request: Request) -> Response:
        query = valid_query(HistoryQuery, request)
        page = paginate(
            deposit_list(user=request_user(request), **_history(query)),
            cursor=query.get("cursor"),
            limit=query["limit"],
        )
        return Response(
            {"results": DepositOut(page.items, many=True).data, "next_cursor": page.next_cursor}
        )


class ChainDepositListView(RestView):
    error_codes = {"GET": HISTORY_ERRORS}

    @extend_schema(tags=["wallet"], parameters=[HistoryQuery], responses=ChainDepositPage)
    def get(self, request: Request) -> Response:
        """Transfers to the caller's deposit addresses as the chain watcher saw them, newest
        first: confirming ones with their confirmations, credited and reorganised ones."""
        query = valid_query(HistoryQuery, request)
        page = paginate(
            chain_deposit_list(user=request_user(request), **_history(query)),
            cursor=query.get("cursor"),
            limit=query["limit"],
        )
        out = ChainDepositOut(
            page.items, many=True, context={"progress": chain_deposit_progress(page.items)}
        )
        return Response({"results": out.data, "next_cursor": page.next_cursor})


class WithdrawalListView(RestView):
    key_permissions = {"POST": "withdraw"}
    error_codes = {
        "GET": [*HISTORY_ERRORS, WalletErrorCode.INVALID_FILTER],
        "POST": [
            WalletErrorCode.UNKNOWN_ASSET,
            WalletErrorCode.INVALID_AMOUNT,
            WalletErrorCode.AMOUNT_PRECISION,
            WalletErrorCode.INVALID_ADDRESS,
            WalletErrorCode.INSUFFICIENT_BALANCE,
            WalletErrorCode.WITHDRAW_DISABLED,
            WalletErrorCode.AMOUNT_BELOW_MINIMUM,
            WalletErrorCode.DAILY_LIMIT_EXCEEDED,
            WalletErrorCode.ADDRESS_NOT_WHITELISTED,
            *SECOND_FACTOR_CODES,
        ],
    }

    @extend_schema(tags=["wallet"], parameters=[WithdrawalQuery], responses=WithdrawalPage)
    def get(self, request: Request) -> Response:
        query = valid_query(WithdrawalQuery, request)
        page = paginate(
            withdrawal_list(
                user=request_user(request), status=query.get("status"), **_history(query)
            ),
            cursor=query.get("cursor"),
            limit=query["limit"],
        )
        return Response(
            {"results": WithdrawalOut(page.items, many=True).data, "next_cursor": page.next_cursor}
        )

    @extend_schema(tags=["wallet"], request=WithdrawalIn, responses={201: WithdrawalOut})
    def post(self, request: Request) -> Response:
        """Request a withdrawal: the amount is locked until an operator decides; once
        approved the chain watcher pays it out and records its txid."""
        data = valid(WithdrawalIn, request.data)
        withdrawal = do_request_withdrawal(
            user=request_user(request),
            request=WithdrawalRequest.parse(
                asset=get_asset(data["asset"]),
                amount=data["amount"],
                network=data["network"],
                address=data["address"],
                memo=data.get("memo", ""),
                otp_code=data.get("otp_code", ""),
            ),
            signed_by=request.auth if isinstance(request.auth, ApiKey) else None,
        )
        return Response(WithdrawalOut(withdrawal).data, status=status.HTTP_201_CREATED)


class WithdrawalCancelView(RestView):
    key_permissions = {"POST": "withdraw"}
    error_codes = {
        "POST": [WalletErrorCode.WITHDRAWAL_NOT_FOUND, WalletErrorCode.WITHDRAWAL_NOT_PENDING]
    }

    @extend_schema(tags=["wallet"], request=None, responses=WithdrawalOut)
    def post(self, request: Request, withdrawal_id: int) -> Response:
        """Cancel a pending withdrawal: its amount is available again."""
        withdrawal = do_cancel_withdrawal(user=request_user(request), withdrawal_id=withdrawal_id)
        return Response(WithdrawalOut(withdrawal).data)


class DepositAddressView(RestView):
    error_codes = {
        "GET": [
            WalletErrorCode.UNKNOWN_ASSET,
            WalletErrorCode.UNKNOWN_NETWORK,
            WalletErrorCode.DEPOSIT_DISABLED,
        ]
    }

    @extend_schema(tags=["wallet"], parameters=[DepositAddressQuery], responses=DepositAddressOut)
    def get(self, request: Request) -> Response:
        """The caller's deposit address for an asset (on its first network unless named)."""
        query = valid_query(DepositAddressQuery, request)
        asset = get_asset(query["asset"])
        address = do_get_deposit_address(
            user=request_user(request), asset=asset, network=query.get("network") or None
        )
        return Response(
            {
                "asset": asset.code,
                "network": address.network.code,
                "address": address.address,
                "memo": address.memo,
            }
        )


class TestDepositView(RestView):
    key_permissions = {"POST": "trade"}
    error_codes = {
        "POST": [
            WalletErrorCode.UNKNOWN_ASSET,
            WalletErrorCode.UNKNOWN_NETWORK,
            WalletErrorCode.DEPOSIT_DISABLED,
            WalletErrorCode.INVALID_AMOUNT,
            WalletErrorCode.AMOUNT_PRECISION,
            WalletErrorCode.TEST_DEPOSIT_UNAVAILABLE,
            WalletErrorCode.TEST_DEPOSIT_TOO_LARGE,
        ]
    }

    @extend_schema(tags=["wallet"], request=TestDepositIn, responses={201: TestDepositOut})
    def post(self, request: Request) -> Response:
        """Send coins from the simulated chain's faucet to the caller (demo networks only)."""
        data = valid(TestDepositIn, request.data)
        deposit = do_test_deposit(
            user=request_user(request),
            asset=get_asset(data["asset"]),
            amount=data["amount"],
            network=data.get("network") or None,
        )
        return Response(TestDepositOut(deposit).data, status=status.HTTP_201_CREATED)
