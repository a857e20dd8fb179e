"""What the operator dashboards show, computed here so ``admin_ui`` only renders it.

Read-only selectors over the other domains (trades, checkpoints, the engine's
stats in Redis, reconciliation results): this package sits at the top of the
layers and nothing imports it but the adapters. Its one write is the lag
history (``lag_history``), a capped Redis list beat's sampler appends to.
"""
