"""Adapters that speak other platforms' protocols: Binance spot REST, the FMZ custom protocol."""
