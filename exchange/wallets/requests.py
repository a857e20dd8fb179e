"""The typed request of a withdrawal: what every surface builds from its own input.

REST, GraphQL and Binance ``/sapi/v1/capital/withdraw/apply`` each turn their
input into one ``WithdrawalRequest`` and hand it to ``do_request_withdrawal``;
the amount grammar (``core.money.parse_decimal``, the asset's precision) and
the address rules live here once (the second factor's code is carried to the
action, which checks it), so every surface refuses the same input
with the same code and nothing is changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from exchange.core.money import MONEY_LIMIT, decimal_places, parse_decimal
from exchange.wallets.errors import WalletError, WalletErrorCode
from exchange.wallets.models import Asset

MAX_ADDRESS, MAX_NETWORK, MAX_MEMO = 128, 32, 64


@dataclass(frozen=True)
class WithdrawalRequest:
    asset: Asset
    amount: Decimal  # positive, within the asset's precision
    network: str
    address: str
    memo: str
    otp_code: str  # the second factor; "" when none was given

    @classmethod
    def parse(
        cls,
        *,
        asset: Asset,
        amount: object,
        network: object,
        address: object,
        memo: object = "",
        otp_code: object = "",
    ) -> WithdrawalRequest:
        """Check a surface's input; raise ``WalletError`` with the field's code if it is bad.

        ``asset`` is resolved by the surface (``actions.get_asset``: an unknown code
        is its own error).
        """
        value = clean_amount(asset, amount)
        address, network, memo = _text(address), _text(network), _text(memo)
        if (
            not address
            or len(address) > MAX_ADDRESS
            or not network
            or len(network) > MAX_NETWORK
            or len(memo) > MAX_MEMO
        ):
            raise WalletError(
                WalletErrorCode.INVALID_ADDRESS,
                f"A network and an address (at most {MAX_ADDRESS} characters) are required.",
                fields={"address": "invalid"},
            )
        return cls(
            asset=asset,
            amount=value,
            network=network,
            address=address,
            memo=memo,
            otp_code=_text(otp_code),
        )


def clean_amount(asset: Asset, value: object, *, allow_negative: bool = False) -> Decimal:
    """Parse an amount of ``asset``: finite, non-zero, within the asset's precision.

    The money grammar has no sign; a debit (``allow_negative``) is ``-`` before it.
    """
    debit = value[1:] if allow_negative and isinstance(value, str) and value[:1] == "-" else None
    amount = parse_decimal(value if debit is None else debit)
    if amount is not None and debit is not None:
        amount = -amount
    if (
        amount is None
        or amount == 0
        or abs(amount) >= MONEY_LIMIT
        or (amount < 0 and not allow_negative)
    ):
        raise WalletError(
            WalletErrorCode.INVALID_AMOUNT,
            "Amount must be a positive decimal number."
            if not allow_negative
            else "Amount must be a non-zero decimal number.",
            fields={"amount": "invalid"},
        )
    if decimal_places(amount) > asset.precision:
        raise WalletError(
            WalletErrorCode.AMOUNT_PRECISION,
            f"{asset.code} amounts have at most {asset.precision} decimal places.",
            fields={"amount": "precision"},
        )
    return amount


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""
