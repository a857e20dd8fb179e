"""Read the deploy files: the Procfile, the compose file and the Dockerfile, as data."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def procfile() -> dict[str, str]:
    """{process: command line} from deploy/Procfile."""
    entries = {}
    for line in (DEPLOY / "Procfile").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, command = line.partition(":")
            entries[name.strip()] = command.strip()
    return entries


def compose() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())


def command_line(command: list[str] | str) -> str:
    """One shell line for a container command; ``sh -c "exec ..."`` yields the inner line."""
    argv = shlex.split(command) if isinstance(command, str) else list(command)
    if argv[:2] == ["sh", "-c"]:
        return argv[2].removeprefix("exec ")
    return shlex.join(argv)


def compose_command(service: dict[str, Any]) -> str:
    """The service's command as the container's shell sees it (compose turns $$ into $)."""
    return command_line(service["command"]).replace("$$", "$")


def dockerfile_instructions(path: Path = DEPLOY / "Dockerfile") -> list[tuple[str, str]]:
    """[(INSTRUCTION, arguments)] with continuation lines joined and comments dropped."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = pending + line
        pending = ""
        keyword, _, rest = line.partition(" ")
        instructions.append((keyword.upper(), rest.strip()))
    return instructions


def exec_form(arguments: str) -> list[str]:
    """The argv of an exec-form CMD/ENTRYPOINT (a JSON array)."""
    argv: list[str] = json.loads(arguments)
    return argv
