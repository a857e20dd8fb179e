"""The pipe to the matching engine, below every domain (ADR 0018).

``gateway`` appends commands and knows no domain model: markets build their
state commands (``markets.engine_state``), orders their PLACE and CANCEL
(``orders.engine_commands``), and both send through it.
"""
