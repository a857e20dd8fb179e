from __future__ import annotations

from django.apps import AppConfig


class RestApiConfig(AppConfig):
    """The REST surface as an app only so that its token receiver is connected at start-up."""

    name = "api.rest"
    label = "rest_api"

    def ready(self) -> None:
        from api.rest.accounts.tokens import revoke_on_deactivation
        from exchange.accounts.signals import credentials_rotated, user_deactivated

        user_deactivated.connect(revoke_on_deactivation, dispatch_uid="rest-token-revoke")
        credentials_rotated.connect(revoke_on_deactivation, dispatch_uid="rest-token-rotate")
