from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "exchange.orders"
    label = "orders"
