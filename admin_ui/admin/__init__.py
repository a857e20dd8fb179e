"""Operator back office: every model, with searches, filters and thin actions.

One module per domain; importing them registers their pages (Django imports
``admin_ui.admin`` at start-up).
"""

from admin_ui.admin import (  # noqa: F401
    accounts,
    audit,
    chains,
    clearing,
    futures,
    markets,
    orders,
    pricefeed,
    reconciliation,
    two_factor,
    wallets,
)
