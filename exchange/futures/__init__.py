"""USDⓈ-M perpetual futures: contracts, transfers, orders, and the projection of a
margin group's engine output (docs/futures.md, ADR 0024)."""
