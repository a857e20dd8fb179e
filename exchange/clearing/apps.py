from django.apps import AppConfig


class ClearingConfig(AppConfig):
    name = "exchange.clearing"
    label = "clearing"
