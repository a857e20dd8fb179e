"""``python manage.py simchain``: drive the simulated test chain (deposit, mine, reorg).

Examples (network SIM, as seed_demo creates it)::

    python manage.py simchain deposit --user alice@example.com --asset USDT --amount 250
    python manage.py simchain mine --blocks 6
    python manage.py simchain reorg --depth 2
    python manage.py simchain status
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from exchange.accounts.models import User
from exchange.wallets.addresses import do_get_deposit_address
from exchange.wallets.chains.simchain import SimChainAdapter, sim_deposit, sim_mine, sim_reorg
from exchange.wallets.models import AssetNetwork, Network


class Command(BaseCommand):
    help = "Deposit to, mine and reorganise the simulated chain (a network with adapter 'sim')."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--network", default="SIM")
        sub = parser.add_subparsers(dest="action", required=True)
        deposit = sub.add_parser("deposit", help="Send from the faucet (to mempool).")
        target = deposit.add_mutually_exclusive_group(required=True)
        target.add_argument("--user", help="E-mail of the user whose deposit address receives.")
        target.add_argument("--to", help="Any address (the hot wallet, to fund payouts).")
        deposit.add_argument("--memo", default="")
        deposit.add_argument("--asset", required=True)
        deposit.add_argument("--amount", required=True)
        deposit.add_argument("--mine", type=int, default=0, help="Then mine this many blocks.")
        mine = sub.add_parser("mine", help="Mine blocks; the first takes the mempool.")
        mine.add_argument("--blocks", type=int, default=1)
        reorg = sub.add_parser("reorg", help="Replace the newest blocks.")
        reorg.add_argument("--depth", type=int, required=True)
        reorg.add_argument(
            "--keep-txs", action="store_true", help="Return their transactions to the mempool."
        )
        sub.add_parser("status", help="Head and hot-wallet balances.")

    def handle(self, *args: Any, **options: Any) -> None:
        network = Network.objects.filter(code=options["network"].upper(), adapter="sim").first()
        if network is None:
            raise CommandError(f"no simulated network {options['network']!r} (run seed_demo)")
        action = options["action"]
        if action == "deposit":
            self._deposit(network, options)
        elif action == "mine":
            blocks = sim_mine(network.code, options["blocks"])
            self.stdout.write(f"mined to block {blocks[-1].number}" if blocks else "mined nothing")
        elif action == "reorg":
            new = sim_reorg(network.code, depth=options["depth"], drop=not options["keep_txs"])
            self.stdout.write(f"replaced {len(new)} blocks")
        adapter = SimChainAdapter(network)
        self.stdout.write(f"{network.code} head {adapter.head()}")
        if action == "status":
            for entry in AssetNetwork.objects.filter(network=network).select_related("asset"):
                balance = adapter.hot_balance(contract=entry.contract)
                self.stdout.write(f"  hot wallet {entry.asset.code}: {balance}")

    def _deposit(self, network: Network, options: dict[str, Any]) -> None:
        entry = (
            AssetNetwork.objects.filter(network=network, asset__code=options["asset"].upper())
            .select_related("asset")
            .first()
        )
        if entry is None:
            raise CommandError(f"{options['asset']} is not on {network.code}")
        try:
            amount = Decimal(options["amount"])
        except InvalidOperation as exc:
            raise CommandError("amount must be a decimal number") from exc
        to, memo = options["to"], options["memo"]
        if options["user"]:
            user = User.objects.filter(email=options["user"]).first()
            if user is None:
                raise CommandError(f"no user {options['user']}")
            address = do_get_deposit_address(user=user, asset=entry.asset, network=network.code)
            to, memo = address.address, address.memo
        txid = sim_deposit(network.code, to=to, amount=amount, contract=entry.contract, memo=memo)
        self.stdout.write(f"txid {txid} → {to}{' memo ' + memo if memo else ''}")
        if options["mine"]:
            sim_mine(network.code, options["mine"])
