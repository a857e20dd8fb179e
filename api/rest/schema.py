"""OpenAPI description of the signed API-key scheme (registered on import)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class SignedApiKeyScheme(OpenApiAuthenticationExtension):  # type: ignore[misc]
    target_class = "api.rest.authentication.SignedApiKeyAuthentication"
    name = "signedApiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "X-MBX-APIKEY",
            "description": (
                "Binance-style signed request: send `timestamp` (ms) and optional `recvWindow` "
                "(default 5000, max 60000) as parameters, and `signature` = hex HMAC-SHA256 of "
                "the query string followed by the form body (Ed25519 keys: base64 signature)."
            ),
        }
