"""Chain adapters: how the wallets talk to each blockchain (docs/wallets.md)."""
