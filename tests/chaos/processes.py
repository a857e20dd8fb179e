"""OS processes the chaos test kills with SIGKILL and restarts.

Each process gets its own session (process group), so a kill reaches any
child it may have started, and writes its output to one log file per life.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Callable, Collection
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


class ProcessDied(AssertionError):
    """A supervised process exited on its own in a way it should not."""


class Supervised:
    """One restartable process: ``argv_for(life)`` builds its command line for each life.

    ``allowed_exits`` are the exit codes with which the process may end on its
    own (the worker: 0 when its count is done, -SIGKILL when it crashed itself).
    ``ready_line`` is a log line fragment the process writes once it does its work
    (after Django's start-up); ``ready()`` looks for it in the current life's log.
    """

    def __init__(
        self,
        name: str,
        argv_for: Callable[[int], list[str]],
        *,
        env: dict[str, str],
        log_dir: Path,
        allowed_exits: Collection[int] = (),
        ready_line: str | None = None,
        user: int | None = None,
        stop_signal: signal.Signals = signal.SIGTERM,
    ) -> None:
        self.name = name
        self.argv_for = argv_for
        self.env = env
        self.log_dir = log_dir
        self.allowed_exits = allowed_exits
        self.ready_line = ready_line
        self.user = user  # run as this uid (a server that refuses root)
        self.stop_signal = stop_signal
        self.proc: subprocess.Popen[bytes] | None = None
        self.lives = 0
        self.kills = 0

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def ready(self) -> bool:
        """Running, and (with a ready_line) past its start-up in this life."""
        if not self.running:
            return False
        if self.ready_line is None:
            return True
        path = self.log_path(self.lives)
        return path.exists() and self.ready_line in path.read_text(errors="replace")

    def log_path(self, life: int) -> Path:
        return self.log_dir / f"{self.name}-{life}.log"

    def start(self) -> None:
        assert self.proc is None, f"{self.name} was not reaped"
        self.lives += 1
        with open(self.log_path(self.lives), "wb") as log:
            self.proc = subprocess.Popen(
                self.argv_for(self.lives),
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                user=self.user,
            )

    def kill(self) -> None:
        """SIGKILL the whole process group, as a crash or an OOM kill would; down until start()."""
        assert self.running, f"{self.name} is not running"
        self._signal_group(signal.SIGKILL)
        assert self.proc is not None
        self.proc.wait()
        self.proc = None
        self.kills += 1

    def reap(self) -> int | None:
        """The exit code if the process ended on its own (it is then down until start()).

        Raises ProcessDied, with the tail of its log, for an exit not in allowed_exits.
        """
        if self.proc is None or self.proc.poll() is None:
            return None
        code = self.proc.returncode
        if code not in self.allowed_exits:
            raise ProcessDied(f"{self.name} (life {self.lives}) exited {code}:\n{self.tail()}")
        self.proc = None
        return code

    def stop(self, timeout: float = 30.0) -> int | None:
        """``stop_signal``, then SIGKILL after ``timeout``; the exit code (None if it was down)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self._signal_group(self.stop_signal)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self._signal_group(signal.SIGKILL)
                self.proc.wait()
        code, self.proc = self.proc.returncode, None
        return code

    def _signal_group(self, sig: signal.Signals) -> None:
        """Signal the group while its leader is not yet reaped, so the id is still ours."""
        assert self.proc is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, sig)

    def tail(self, lines: int = 40) -> str:
        path = self.log_path(self.lives)
        text = path.read_text(errors="replace") if path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])
