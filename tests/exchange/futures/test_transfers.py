"""Transfers between spot and futures: exactly once by request id, spot credited only
after the engine has decided, and a refused transfer undone (issue 16, item 6)."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import msgpack
import pytest

from exchange.clearing.futures.runner import GroupClearer
from exchange.core.redis import get_redis
from exchange.futures.models import FuturesTransfer, FuturesWallet, TransferStatus
from exchange.futures.requests import TransferRequest
from exchange.futures.services import resend_pending, transfer
from exchange.reconciliation.checks import reconcile
from exchange.wallets.errors import WalletError
from exchange.wallets.models import AccountKind, Balance
from matching_engine.futures.protocol import FuturesCommand
from matching_engine.protocol import FIELD, input_stream
from tests.exchange.futures.support import GROUP, InProcessEngine, btc_perpetual

D = Decimal
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def setup(assets, redis_client, make_user, fund):
    btc_perpetual(assets)
    user = make_user()
    fund(user, assets["USDT"], "1000")
    return user, assets["USDT"]


def request(amount: str, direction: str, client_id: str) -> TransferRequest:
    return TransferRequest.parse(
        asset="USDT", amount=amount, direction=direction, client_request_id=client_id
    )


def spot(user, usdt) -> Decimal:
    return Balance.objects.get(account__user=user, asset=usdt).available


def collateral(usdt) -> Decimal:
    return Balance.objects.get(account__kind=AccountKind.FUTURES_COLLATERAL, asset=usdt).available


def clear() -> None:
    GroupClearer(GROUP, block_ms=1, stop=threading.Event()).step()


def transfers_sent() -> list[list[int]]:
    commands = [msgpack.unpackb(f[FIELD]) for _, f in get_redis().xrange(input_stream(GROUP))]
    return [c[2:] for c in commands if c[1] in (FuturesCommand.DEPOSIT, FuturesCommand.WITHDRAW)]


def test_in_then_out_moves_the_ledger_once_each_way(setup):
    user, usdt = setup
    engine = InProcessEngine()
    # when: 400 USDT go in, and the same request is retried
    first = transfer(user=user, request=request("400", "IN", "t-1"))
    again = transfer(user=user, request=request("400", "IN", "t-1"))
    # then: one transfer, one DEPOSIT of 400 * 10^8 atoms, spot debited at once
    assert again.pk == first.pk
    assert transfers_sent() == [[first.pk, user.pk, 400 * 10**8]]
    assert (spot(user, usdt), collateral(usdt)) == (D("600"), D("400"))
    engine.run()
    clear()
    assert FuturesTransfer.objects.get(pk=first.pk).status == TransferStatus.DONE
    assert FuturesWallet.objects.get(user=user).balance == D("400")
    # when: 150 go out
    out = transfer(user=user, request=request("150", "OUT", "t-2"))
    # then: spot is not credited before the engine decides ...
    assert spot(user, usdt) == D("600")
    engine.run()
    clear()
    # ... and once after
    assert FuturesTransfer.objects.get(pk=out.pk).status == TransferStatus.DONE
    assert (spot(user, usdt), collateral(usdt)) == (D("750"), D("250"))
    assert FuturesWallet.objects.get(user=user).balance == D("250")
    assert reconcile().violations == []


def test_a_resent_transfer_is_applied_once(setup):
    # given: a transfer whose DEPOSIT is appended twice (the sweeper after a lost answer)
    user, usdt = setup
    engine = InProcessEngine()
    moved = transfer(user=user, request=request("100", "IN", "t-1"))
    assert resend_pending(older_than=timedelta(0)) == 1
    engine.run()
    clear()
    # then: the engine answered DUPLICATE to the second, and the wallet holds 100
    assert FuturesTransfer.objects.get(pk=moved.pk).status == TransferStatus.DONE
    assert FuturesWallet.objects.get(user=user).balance == D("100")
    assert reconcile().violations == []


def test_an_out_beyond_the_futures_wallet_is_refused_and_spot_untouched(setup):
    user, usdt = setup
    engine = InProcessEngine()
    transfer(user=user, request=request("100", "IN", "t-1"))
    out = transfer(user=user, request=request("100.00000001", "OUT", "t-2"))
    engine.run()
    clear()
    refused = FuturesTransfer.objects.get(pk=out.pk)
    assert (refused.status, refused.refusal) == (TransferStatus.REFUSED, "INSUFFICIENT_MARGIN")
    assert spot(user, usdt) == D("900")
    assert reconcile().violations == []


def test_an_in_beyond_the_spot_wallet_changes_nothing(setup):
    user, usdt = setup
    with pytest.raises(WalletError):
        transfer(user=user, request=request("1000.00000001", "IN", "t-1"))
    assert not FuturesTransfer.objects.exists()
    assert spot(user, usdt) == D("1000")
    assert transfers_sent() == []
