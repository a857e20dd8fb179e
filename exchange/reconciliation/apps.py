from django.apps import AppConfig


class ReconciliationConfig(AppConfig):
    name = "exchange.reconciliation"
    label = "reconciliation"
