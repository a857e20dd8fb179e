"""Matching cluster: a deterministic in-memory matching engine fed by Redis Streams.

Pure Python: no Django and nothing from the platform. See docs/matching-protocol.md.
"""
