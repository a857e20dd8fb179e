"""Binance-compatible spot REST under ``/api/v3/``: a bot changes only its base URL."""
