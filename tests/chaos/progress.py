"""The worker's progress files, counted as they grow."""

from __future__ import annotations

from pathlib import Path


class Progress:
    """Counts the lines of every ``progress-*.log`` in a directory, reading only what is new."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.offsets: dict[Path, int] = {}
        self.lines = 0

    def path(self, life: int) -> Path:
        return self.directory / f"progress-{life}.log"

    def count(self) -> int:
        """Actions the worker completed so far, over all its lives."""
        for path in sorted(self.directory.glob("progress-*.log")):
            with open(path, "rb") as f:
                f.seek(self.offsets.get(path, 0))
                chunk = f.read()
            # A line cut by a kill has no newline yet and is never completed: ignore it.
            complete = chunk[: chunk.rfind(b"\n") + 1]
            self.offsets[path] = self.offsets.get(path, 0) + len(complete)
            self.lines += complete.count(b"\n")
        return self.lines

    def records(self) -> list[list[str]]:
        """Every complete line, split into words."""
        rows: list[list[str]] = []
        for path in sorted(self.directory.glob("progress-*.log")):
            text = path.read_text()
            rows.extend(line.split() for line in text[: text.rfind("\n") + 1].splitlines())
        return rows
