from django.apps import AppConfig


class RetentionConfig(AppConfig):
    name = "exchange.retention"
    label = "retention"
