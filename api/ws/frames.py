"""A text frame sent to many connections: encoded and framed once, not once per client."""

from __future__ import annotations

from functools import cached_property
from typing import Any


class Frame:
    __slots__ = ("__dict__", "text")

    def __init__(self, text: str) -> None:
        self.text = text

    @cached_property
    def message(self) -> dict[str, Any]:
        """The ASGI send message (shared: servers do not mutate it)."""
        return {"type": "websocket.send", "text": self.text}

    @cached_property
    def prepared(self) -> Any:
        """Autobahn's pre-framed message, for daphne connections (see outlet.py)."""
        from autobahn.websocket.protocol import PreparedMessage

        return PreparedMessage(self.text.encode(), False, False, False)

    def wrapped(self, stream: str) -> Frame:
        """The combined-stream form ``{"stream": ..., "data": ...}`` of this frame."""
        return Frame(f'{{"stream":"{stream}","data":{self.text}}}')
