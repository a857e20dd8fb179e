from django.apps import AppConfig


class WalletsConfig(AppConfig):
    name = "exchange.wallets"
    label = "wallets"
