"""Binance USDⓈ-M futures (``/fapi``) over ``exchange.futures``: shapes, codes, weights."""
