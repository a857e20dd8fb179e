"""The project's field names as FMZ's error texts word them.

FMZ's own parameters (``price``, ``amount``) carry no field name of the project's;
what its texts quote is kept as strategies have logged it (the Binance-style name).
Only the names an FMZ call can reach: a market BUY spends ``amount`` of the quote.
"""

from __future__ import annotations

PARAMETERS: dict[str, str] = {
    "quote_order_qty": "quoteOrderQty",
}
