"""The perpetual-futures state machine: one margin group matched, margined and liquidated in one process."""
