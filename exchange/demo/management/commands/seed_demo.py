"""``python manage.py seed_demo``: an operator, three markets, two perpetuals, two traders, a chain.

Idempotent: re-running keeps existing rows and credits nothing twice. The
operator's password is generated once, kept in ``var/demo-credentials.txt``
and printed on every run.
"""

from __future__ import annotations

import secrets
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from exchange.accounts.models import User
from exchange.demo.simnet import seed_sim_network
from exchange.futures.actions import BracketSpec, do_create_contract
from exchange.futures.models import Contract
from exchange.markets.actions import do_create_market
from exchange.markets.models import Market
from exchange.orders.actions import place_order
from exchange.orders.models import Order
from exchange.orders.requests import OrderRequest
from exchange.wallets.actions import do_credit_deposit
from exchange.wallets.models import Asset

ADMIN_EMAIL = "admin@example.com"
ASSETS = [("BTC", "Bitcoin", 8), ("ETH", "Ether", 8), ("USDT", "Tether USD", 8)]
MARKETS = [
    # base, quote, tick, step, min_qty, max_qty, min_notional
    ("BTC", "USDT", "0.01", "0.00001", "0.00001", "9000", "5"),
    ("ETH", "USDT", "0.01", "0.0001", "0.0001", "90000", "5"),
    ("ETH", "BTC", "0.00001", "0.001", "0.001", "100000", "0.0001"),
]
# Perpetuals (symbol, base, tick, step, min_notional) with Binance's USDⓈ-M brackets,
# abridged: (notional cap in USDT, max leverage, maintenance rate).
CONTRACTS = [("BTC", "0.1", "0.001", "100"), ("ETH", "0.01", "0.001", "20")]
BRACKETS = {
    "BTC": [
        ("50000", 125, "0.004"),
        ("600000", 100, "0.005"),
        ("3000000", 75, "0.0065"),
        ("12000000", 50, "0.01"),
        ("70000000", 25, "0.02"),
        ("100000000", 20, "0.025"),
        ("1000000000", 10, "0.05"),
    ],
    "ETH": [
        ("50000", 125, "0.004"),
        ("600000", 100, "0.005"),
        ("3000000", 75, "0.0065"),
        ("12000000", 50, "0.01"),
        ("50000000", 25, "0.02"),
        ("1000000000", 10, "0.05"),
    ],
}
TRADERS = {
    "alice@example.com": {"USDT": "100000", "BTC": "2", "ETH": "20"},
    "bob@example.com": {"USDT": "100000", "BTC": "2", "ETH": "20"},
}
TRADER_PASSWORD = "demo-trader-pass"  # noqa: S105 - public demo credential, documented
# Resting orders so the books are not empty: (symbol, trader, side, price, quantity).
RESTING_ORDERS = [
    ("BTCUSDT", "alice@example.com", "SELL", "65100.00", "0.05"),
    ("BTCUSDT", "alice@example.com", "SELL", "65050.00", "0.02"),
    ("BTCUSDT", "bob@example.com", "BUY", "64950.00", "0.03"),
    ("BTCUSDT", "bob@example.com", "BUY", "64900.00", "0.05"),
    ("ETHUSDT", "alice@example.com", "SELL", "3210.00", "1"),
    ("ETHUSDT", "bob@example.com", "BUY", "3190.00", "1"),
    ("ETHBTC", "alice@example.com", "SELL", "0.04950", "0.5"),
    ("ETHBTC", "bob@example.com", "BUY", "0.04900", "0.5"),
]


class Command(BaseCommand):
    help = (
        "Seed a demo: operator, assets, markets BTCUSDT/ETHUSDT/ETHBTC, BTCUSDT and ETHUSDT "
        "perpetuals, funded traders."
    )

    def _admin_password(self) -> str:
        path = settings.VAR_DIR / "demo-credentials.txt"
        if path.exists():
            return path.read_text().split()[-1]
        password = secrets.token_urlsafe(12)
        path.write_text(f"{ADMIN_EMAIL} {password}\n")
        path.chmod(0o600)
        return password

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        password = self._admin_password()
        admin = User.objects.filter(email=ADMIN_EMAIL).first()
        if admin is None:
            User.objects.create_superuser(email=ADMIN_EMAIL, password=password)
        assets = {
            code: Asset.objects.get_or_create(
                code=code, defaults={"name": name, "precision": prec}
            )[0]
            for code, name, prec in ASSETS
        }
        for base, quote, tick, step, min_qty, max_qty, min_notional in MARKETS:
            if not Market.objects.filter(symbol=base + quote).exists():
                do_create_market(
                    base=assets[base],
                    quote=assets[quote],
                    tick_size=Decimal(tick),
                    step_size=Decimal(step),
                    min_qty=Decimal(min_qty),
                    max_qty=Decimal(max_qty),
                    min_notional=Decimal(min_notional),
                    maker_fee=Decimal("0.001"),
                    taker_fee=Decimal("0.001"),
                )
        for base, tick, step, min_notional in CONTRACTS:
            if not Contract.objects.filter(symbol=f"{base}USDT").exists():
                do_create_contract(
                    base=assets[base],
                    quote=assets["USDT"],
                    tick_size=Decimal(tick),
                    step_size=Decimal(step),
                    min_notional=Decimal(min_notional),
                    brackets=[
                        BracketSpec(Decimal(cap), lev, Decimal(mmr))
                        for cap, lev, mmr in BRACKETS[base]
                    ],
                    index_market=Market.objects.get(symbol=f"{base}USDT"),
                )
        for email, funds in TRADERS.items():
            user = User.objects.filter(email=email).first() or User.objects.create_user(
                email=email, password=TRADER_PASSWORD
            )
            for code, amount in funds.items():
                do_credit_deposit(
                    user=user,
                    asset=assets[code],
                    amount=amount,
                    network="demo",
                    txid=f"seed-{email}-{code}",
                )
        seed_sim_network(assets)
        traded = set(Order.objects.values_list("market__symbol", flat=True).distinct())
        for symbol, email, side, price, quantity in RESTING_ORDERS:
            if symbol not in traded:
                place_order(
                    user=User.objects.get(email=email),
                    request=OrderRequest.parse(
                        symbol=symbol,
                        side=side,
                        type="LIMIT",
                        price=price,
                        quantity=quantity,
                        time_in_force="GTC",
                    ),
                )
        self.stdout.write(self.style.SUCCESS("Demo seeded."))
        self.stdout.write(f"  admin:   {ADMIN_EMAIL} / {password}  (http://127.0.0.1:8000/admin/)")
        self.stdout.write(f"  traders: {', '.join(TRADERS)} / {TRADER_PASSWORD}")
        self.stdout.write(
            "  chain:   network SIM; deposit with `python manage.py simchain deposit --user"
            " alice@example.com --asset USDT --amount 100 --mine 3` (docs/wallets.md)"
        )
