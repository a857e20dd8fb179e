from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "exchange.core"
    label = "core"

    def ready(self) -> None:
        from exchange.core import deploy_checks  # noqa: F401 - registers the --deploy checks
