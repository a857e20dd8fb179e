from django.apps import AppConfig


class FuturesConfig(AppConfig):
    name = "exchange.futures"
    label = "futures"
    verbose_name = "Perpetual futures"
