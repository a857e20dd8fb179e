"""Commands from the platform to the matching engine, above markets and orders.

``gateway`` sends commands and owns the market-level ones (markets import
it); ``order_commands`` converts orders (orders import it). Markets never
import orders: the import-linter contract in pyproject.toml holds that.
"""
