from django.apps import AppConfig


class PriceFeedConfig(AppConfig):
    name = "exchange.pricefeed"
    label = "pricefeed"
