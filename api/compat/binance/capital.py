"""``/sapi/v1/capital/*``: coins and networks, deposit address and history, withdrawals.

Binance's wallet endpoints as ccxt's ``fetch_currencies``, ``fetch_deposit_address``,
``fetch_deposits``, ``withdraw`` and ``fetch_withdrawals`` call them. A withdrawal's
``amount`` in the history is what the address receives; ``transactionFee`` is kept by
the exchange; together they are what was debited (``withdraw/apply``'s amount).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import ClassVar

from rest_framework.request import Request
from rest_framework.response import Response

from api.compat.binance import params
from api.compat.binance.base import BinanceView
from api.compat.binance.errors import BinanceError
from api.compat.binance.shapes import dec
from exchange.accounts.models import ApiKey
from exchange.wallets.actions import do_request_withdrawal, get_asset
from exchange.wallets.addresses import access_asset_network, do_get_deposit_address
from exchange.wallets.errors import WalletError, WalletErrorCode
from exchange.wallets.models import (
    Asset,
    AssetNetwork,
    TransferStatus,
    Withdrawal,
    WithdrawalStatus,
)
from exchange.wallets.requests import WithdrawalRequest
from exchange.wallets.selectors import balance_list, withdrawal_list
from exchange.wallets.transfer_history import DepositRecord, deposit_history

# Binance's deposit status: 0 pending, 1 success, 7 wrong deposit (here: reorganised away).
DEPOSIT_STATUS = {
    TransferStatus.SEEN: 0,
    TransferStatus.CREDITED: 1,
    TransferStatus.REORGED: 1,  # still credited until an operator decides
    TransferStatus.ORPHANED: 7,
    TransferStatus.DUST: 7,
}
# 1 cancelled, 2 awaiting approval, 3 rejected, 4 processing, 5 failure, 6 completed.
WITHDRAW_STATUS = {
    WithdrawalStatus.PENDING: 2,
    WithdrawalStatus.APPROVED: 4,
    WithdrawalStatus.SENT: 4,
    WithdrawalStatus.CONFIRMED: 6,
    WithdrawalStatus.REJECTED: 3,
    WithdrawalStatus.CANCELED: 1,
    WithdrawalStatus.FAILED: 5,
}


# Binance's wallet error codes (ccxt maps each to its exception class); our message is kept.
WALLET_ERRORS = {
    WalletErrorCode.UNKNOWN_ASSET: -4018,
    WalletErrorCode.UNKNOWN_NETWORK: -4001,
    WalletErrorCode.INVALID_AMOUNT: -1100,
    WalletErrorCode.AMOUNT_PRECISION: -4021,
    WalletErrorCode.INVALID_ADDRESS: -4033,
    WalletErrorCode.AMOUNT_BELOW_MINIMUM: -4022,
    WalletErrorCode.DAILY_LIMIT_EXCEEDED: -4023,
    WalletErrorCode.ADDRESS_NOT_WHITELISTED: -4035,
    WalletErrorCode.WITHDRAW_DISABLED: -4019,
    WalletErrorCode.DEPOSIT_DISABLED: -4042,
    WalletErrorCode.INSUFFICIENT_BALANCE: -4026,
}


class CapitalView(BinanceView):
    """A signed wallet endpoint: wallet errors answer with Binance's -4xxx codes."""

    signed = True

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, WalletError) and exc.code in WALLET_ERRORS:
            exc = BinanceError(WALLET_ERRORS[WalletErrorCode(exc.code)], exc.message)
        return super().handle_exception(exc)


def _ms(moment: dt.datetime | None) -> int:
    return int(moment.timestamp() * 1000) if moment else 0


def _utc_text(moment: dt.datetime | None) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S") if moment else ""


def _network_json(entry: AssetNetwork, is_default: bool) -> dict[str, object]:
    return {
        "network": entry.network.code,
        "coin": entry.asset.code,
        "name": entry.network.name,
        "isDefault": is_default,
        "depositEnable": entry.deposit_enabled,
        "withdrawEnable": entry.withdraw_enabled,
        "depositDesc": "" if entry.deposit_enabled else "Deposits suspended",
        "withdrawDesc": "" if entry.withdraw_enabled else "Withdrawals suspended",
        "specialTips": "",
        "resetAddressStatus": False,
        "addressRegex": "",
        "memoRegex": "^[0-9]+$" if entry.network.memo_required else "",
        "withdrawFee": dec(entry.withdraw_fee),
        "withdrawMin": dec(max(entry.withdraw_min, entry.withdraw_fee)),
        "withdrawMax": dec(entry.daily_limit) if entry.daily_limit else "9999999999",
        "withdrawIntegerMultiple": dec(Decimal(1).scaleb(-entry.asset.precision)),
        "minConfirm": entry.confirmations,
        "unLockConfirm": entry.confirmations,
        "sameAddress": entry.network.memo_required,
        "estimatedArrivalTime": 5,
        "busy": False,
        "contractAddressUrl": "",
        "contractAddress": entry.contract,
    }


class CapitalConfigView(CapitalView):
    """Every listed coin, as Binance lists all of its coins; ``networkList`` is empty for a
    coin with no network (it trades but cannot be deposited or withdrawn)."""

    weights: ClassVar[dict[str, int]] = {"GET": 10}

    def get(self, request: Request) -> Response:
        balances = {b.asset.code: b for b in balance_list(user=self.user(request))}
        entries = AssetNetwork.objects.select_related("asset", "network").order_by("pk")
        by_asset: dict[str, list[AssetNetwork]] = {}
        for entry in entries:
            by_asset.setdefault(entry.asset.code, []).append(entry)
        coins = []
        for asset in Asset.objects.order_by("code"):
            networks = by_asset.get(asset.code, [])
            balance = balances.get(asset.code)
            coins.append(
                {
                    "coin": asset.code,
                    "name": asset.name,
                    "depositAllEnable": any(n.deposit_enabled for n in networks),
                    "withdrawAllEnable": any(n.withdraw_enabled for n in networks),
                    "free": dec(balance.available if balance else None),
                    "locked": dec(balance.locked if balance else None),
                    "freeze": "0",
                    "withdrawing": "0",
                    "ipoing": "0",
                    "ipoable": "0",
                    "storage": "0",
                    "isLegalMoney": False,
                    "trading": True,
                    "networkList": [_network_json(n, i == 0) for i, n in enumerate(networks)],
                }
            )
        return Response(coins)


class DepositAddressView(CapitalView):
    weights: ClassVar[dict[str, int]] = {"GET": 10}

    def get(self, request: Request) -> Response:
        query = self.params(request)
        asset = get_asset(params.required(query, "coin"))
        address = do_get_deposit_address(
            user=self.user(request), asset=asset, network=query.get("network") or None
        )
        return Response(
            {"address": address.address, "coin": asset.code, "tag": address.memo, "url": ""}
        )


def _deposit_json(record: DepositRecord) -> dict[str, object]:
    return {
        "id": str(record.id),
        "amount": dec(record.amount),
        "coin": record.asset,
        "network": record.network,
        "status": DEPOSIT_STATUS[TransferStatus(record.status)],
        "address": record.address,
        "addressTag": record.memo,
        "txId": record.txid,
        "insertTime": _ms(record.time),
        "transferType": 0,
        "confirmTimes": f"{record.confirmations}/{record.required}",
        "unlockConfirm": record.required,
        "walletType": 0,
    }


def _page(rows: list, query: dict[str, str]) -> list:
    offset = params.optional_int(query, "offset") or 0
    return rows[offset : offset + params.limit(query, default=1000, maximum=1000)]


class DepositHistoryView(CapitalView):
    weights: ClassVar[dict[str, int]] = {"GET": 1}

    def get(self, request: Request) -> Response:
        query = self.params(request)
        coin = query.get("coin")
        records = deposit_history(
            user=self.user(request),
            asset=get_asset(coin) if coin else None,
            start=params.moment(params.optional_int(query, "startTime")),
            end=params.moment(params.optional_int(query, "endTime")),
        )
        rows = [_deposit_json(r) for r in records]
        status = params.optional_int(query, "status")
        if status is not None:
            rows = [r for r in rows if r["status"] == status]
        if query.get("txId"):
            rows = [r for r in rows if r["txId"] == query["txId"]]
        return Response(_page(rows, query))


class WithdrawApplyView(CapitalView):
    key_permissions: ClassVar[dict[str, str]] = {"POST": "withdraw"}
    weights: ClassVar[dict[str, int]] = {"POST": 10}

    def post(self, request: Request) -> Response:
        query = self.params(request)
        asset = get_asset(params.required(query, "coin"))
        network = query.get("network") or access_asset_network(asset=asset, network=None).network
        withdrawal = do_request_withdrawal(
            user=self.user(request),
            request=WithdrawalRequest.parse(
                asset=asset,
                amount=params.required(query, "amount"),
                network=str(network),
                address=params.required(query, "address"),
                memo=query.get("addressTag", ""),
            ),
            signed_by=request.auth if isinstance(request.auth, ApiKey) else None,
        )
        return Response({"id": str(withdrawal.pk)})


def _withdrawal_json(w: Withdrawal) -> dict[str, object]:
    return {
        "id": str(w.pk),
        "amount": dec(w.amount - w.fee),
        "transactionFee": dec(w.fee),
        "coin": w.asset.code,
        "status": WITHDRAW_STATUS[WithdrawalStatus(w.status)],
        "address": w.address,
        "addressTag": w.memo,
        "txId": w.txid,
        "applyTime": _utc_text(w.created_at),
        "network": w.network,
        "transferType": 0,
        "info": w.note,
        "confirmNo": w.confirmations,
        "walletType": 0,
        "txKey": "",
        "completeTime": _utc_text(w.completed_at),
    }


class WithdrawHistoryView(CapitalView):
    weights: ClassVar[dict[str, int]] = {"GET": 10}

    def get(self, request: Request) -> Response:
        query = self.params(request)
        coin = query.get("coin")
        rows = withdrawal_list(
            user=self.user(request),
            asset=get_asset(coin) if coin else None,
            start=params.moment(params.optional_int(query, "startTime")),
            end=params.moment(params.optional_int(query, "endTime")),
        )
        out = [_withdrawal_json(w) for w in rows]
        status = params.optional_int(query, "status")
        if status is not None:
            out = [r for r in out if r["status"] == status]
        if query.get("idList"):
            wanted = set(query["idList"].split(","))
            out = [r for r in out if r["id"] in wanted]
        return Response(_page(out, query))
