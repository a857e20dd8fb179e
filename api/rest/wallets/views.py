"""Balances and withdrawals of the caller."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.rest.request_user import request_user
from api.rest.wallets.serializers import BalanceOut, WithdrawalIn, WithdrawalOut
from exchange.wallets.actions import do_cancel_withdrawal, do_request_withdrawal, get_asset
from exchange.wallets.selectors import balance_list, withdrawal_list


class BalanceListView(APIView):
    @extend_schema(responses=BalanceOut(many=True))
    def get(self, request: Request) -> Response:
        return Response(BalanceOut(balance_list(user=request_user(request)), many=True).data)


class WithdrawalListView(APIView):
    key_permissions = {"POST": "withdraw"}

    @extend_schema(responses=WithdrawalOut(many=True))
    def get(self, request: Request) -> Response:
        return Response(WithdrawalOut(withdrawal_list(user=request_user(request)), many=True).data)

    @extend_schema(request=WithdrawalIn, responses={201: WithdrawalOut})
    def post(self, request: Request) -> Response:
        data = WithdrawalIn(data=request.data)
        data.is_valid(raise_exception=True)
        withdrawal = do_request_withdrawal(
            user=request_user(request),
            asset=get_asset(data.validated_data["asset"]),
            amount=data.validated_data["amount"],
            network=data.validated_data["network"],
            address=data.validated_data["address"],
        )
        return Response(WithdrawalOut(withdrawal).data, status=status.HTTP_201_CREATED)


class WithdrawalCancelView(APIView):
    key_permissions = {"POST": "withdraw"}

    @extend_schema(request=None, responses=WithdrawalOut)
    def post(self, request: Request, withdrawal_id: int) -> Response:
        withdrawal = do_cancel_withdrawal(user=request_user(request), withdrawal_id=withdrawal_id)
        return Response(WithdrawalOut(withdrawal).data)
