"""Run the Procfile's processes under supervisord: ``python -m exchange.supervise``.

``make run`` used honcho, which stops every process when one dies. supervisord
(the well-kept supervisor from PyPI) restarts the one that died and leaves the
others running: a process that exits after it has been up ``startsecs`` is
restarted at once; one that keeps dying sooner is retried with a linearly
growing back-off (1 s, 2 s, ...) up to ``startretries`` before it is marked
FATAL. Each process logs to ``var/log/<name>.log``; supervisord's own log (the
state changes) goes to the terminal and to ``var/log/supervisord.log``.

With no ``REDIS_URL`` the embedded ``redis-server`` is one of the supervised
programs, started first and stopped last, so stopping ``make run`` stops it too
(a daemonized one left by ``manage.py`` is shut down and taken over).

``supervisorctl -c var/supervisord.conf status`` shows and controls the processes.
This module imports nothing from Django: it is the parent of the Django processes.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shlex
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import redis

from exchange.embedded_redis import embedded_url, is_up, server_argv, socket_path

ROOT = Path(__file__).resolve().parent.parent
PROCFILE = ROOT / "deploy" / "Procfile"
EMBEDDED_REDIS = "redis"
# Restart policy: up for STARTSECS counts as started (Django needs ~2 s to boot and
# fail on a bad setting); a quicker death backs off instead of looping.
STARTSECS = 3
STARTRETRIES = 20
# Seconds between the stop signal and SIGKILL when stopping (Celery finishes its task).
STOPWAITSECS = 15
# The web program runs as WEB_PROCESSES daphne processes (default: one per core) sharing
# one listening socket that supervisord opens and hands each as fd 0 (an fcgi-program, as
# Channels' deployment guide does; ADR 0054). Its Procfile line's ``-b``/``-p`` name it.
SHARED_SOCKET_PROGRAM = "web"
_LISTEN_OPTIONS = re.compile(r"\s(?:-b|-p)\s+\S+")


def read_procfile(path: Path = PROCFILE) -> dict[str, str]:
    """{process: shell command line} in file order."""
    entries: dict[str, str] = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, command = line.partition(":")
            entries[name.strip()] = command.strip()
    return entries


def _escape(value: str) -> str:
    # supervisord expands %(name)s in its config; a literal % is written %%.
    return value.replace("%", "%%")


def _program(
    name: str, command: str, *, var_dir: Path, priority: int, startsecs: int = STARTSECS
) -> list[str]:
    return [
        f"[program:{name}]",
        *_common(name, command, var_dir=var_dir, priority=priority, startsecs=startsecs),
        f"stdout_logfile={_escape(str(var_dir / 'log' / f'{name}.log'))}",
        "",
    ]


def _shared_socket_program(name: str, command: str, *, var_dir: Path, processes: int) -> list[str]:
    """``processes`` copies of a daphne line, all accepting on one socket supervisord binds."""
    host = os.environ.get("WEB_HOST", "127.0.0.1")
    port = os.environ.get("WEB_PORT", "8000")
    on_fd = listen_on_inherited_socket(command)
    return [
        f"[fcgi-program:{name}]",
        f"socket=tcp://{_escape(host)}:{_escape(port)}",
        f"numprocs={processes}",
        "process_name=%(program_name)s-%(process_num)s",
        *_common(name, _in_shell(on_fd), var_dir=var_dir, priority=100, startsecs=STARTSECS),
        f"stdout_logfile={_escape(str(var_dir / 'log' / name))}-%(process_num)s.log",
        "",
    ]


def listen_on_inherited_socket(command: str) -> str:
    """The daphne line with its ``-b HOST -p PORT`` replaced by ``--fd 0``."""
    if not command.startswith("daphne ") or not _LISTEN_OPTIONS.search(command):
        raise ValueError(f"not a daphne line with -b/-p: {command!r}")
    return "daphne --fd 0" + _LISTEN_OPTIONS.sub("", command).removeprefix("daphne")


def _in_shell(command: str) -> str:
    return shlex.join(["/bin/sh", "-c", f"exec {command}"])


def _common(name: str, command: str, *, var_dir: Path, priority: int, startsecs: int) -> list[str]:
    return [
        f"command={_escape(command)}",
        f"directory={_escape(str(ROOT))}",
        f"priority={priority}",
        "autostart=true",
        "autorestart=true",
        f"startsecs={startsecs}",
        f"startretries={STARTRETRIES}",
        # Celery's worker forks a pool: signal the whole group, not only the parent.
        "stopasgroup=true",
        "killasgroup=true",
        f"stopwaitsecs={STOPWAITSECS}",
        "redirect_stderr=true",
        "stdout_logfile_maxbytes=10MB",
        "stdout_logfile_backups=3",
    ]


def supervisor_config(
    processes: dict[str, str],
    *,
    var_dir: Path,
    redis_dir: Path | None = None,
    web_processes: int = 1,
) -> str:
    """The supervisord config that runs ``processes`` (and the embedded Redis if given).

    Procfile lines use shell syntax (``${WEB_PORT:-8000}``), so each runs under
    ``sh -c "exec ..."``: the shell expands, then becomes the process supervisord watches.
    With ``web_processes`` > 1 the web line runs that many times on one shared socket.
    """
    sock = socket_path(var_dir, "supervisor.sock")
    lines = [
        "[supervisord]",
        "nodaemon=true",
        f"logfile={_escape(str(var_dir / 'log' / 'supervisord.log'))}",
        "logfile_maxbytes=10MB",
        f"pidfile={_escape(str(var_dir / 'supervisord.pid'))}",
        f"childlogdir={_escape(str(var_dir / 'log'))}",
        "",
        "[unix_http_server]",
        f"file={_escape(str(sock))}",
        "chmod=0700",
        "",
        "[rpcinterface:supervisor]",
        "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface",
        "",
        "[supervisorctl]",
        f"serverurl=unix://{_escape(str(sock))}",
        "",
    ]
    if redis_dir is not None:
        # Started first (lowest priority number) and stopped last.
        lines += _program(
            EMBEDDED_REDIS,
            shlex.join(server_argv(redis_dir)),
            var_dir=var_dir,
            priority=10,
            startsecs=1,
        )
    for name, command in processes.items():
        if name == SHARED_SOCKET_PROGRAM and web_processes > 1:
            lines += _shared_socket_program(name, command, var_dir=var_dir, processes=web_processes)
        else:
            lines += _program(name, _in_shell(command), var_dir=var_dir, priority=100)
    return "\n".join(lines)


def _take_over_embedded_redis(redis_dir: Path) -> None:
    """Shut down a daemonized embedded server so the supervised one owns its files."""
    url = embedded_url(redis_dir)
    if not is_up(url):
        return
    # With AOF on, SHUTDOWN fsyncs it first; the server closes the connection as it exits.
    with contextlib.suppress(redis.ConnectionError):
        redis.Redis.from_url(url).shutdown()
    deadline = time.monotonic() + 10
    while is_up(url):
        if time.monotonic() > deadline:
            raise RuntimeError(f"embedded redis at {url} did not shut down")
        time.sleep(0.05)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="Procfile processes to run (default: all)")
    parser.add_argument("--var", type=Path, default=ROOT / "var", help="state and log directory")
    parser.add_argument("--procfile", type=Path, default=PROCFILE)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    """Write ``var/supervisord.conf`` and run supervisord in the foreground."""
    args = parse_args(argv)
    processes = read_procfile(args.procfile)
    unknown = set(args.names) - set(processes)
    if unknown:
        raise SystemExit(f"not in {args.procfile}: {', '.join(sorted(unknown))}")
    if args.names:
        processes = {name: processes[name] for name in args.names}
    var_dir = args.var.resolve()
    (var_dir / "log").mkdir(parents=True, exist_ok=True)
    redis_dir = None
    if not os.environ.get("REDIS_URL"):
        redis_dir = var_dir / "redis"
        redis_dir.mkdir(parents=True, exist_ok=True)
        _take_over_embedded_redis(redis_dir)
        os.environ["REDIS_URL"] = embedded_url(redis_dir)
    # The children find the venv's daphne and celery, and log lines as they happen.
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    os.environ["PYTHONUNBUFFERED"] = "1"
    config = var_dir / "supervisord.conf"
    # The cores this process may run on (a container's CPU set), not the host's.
    web_processes = int(os.environ.get("WEB_PROCESSES") or len(os.sched_getaffinity(0)))
    config.write_text(
        supervisor_config(
            processes, var_dir=var_dir, redis_dir=redis_dir, web_processes=web_processes
        )
    )
    sys.stdout.write(
        f"supervising {', '.join(([EMBEDDED_REDIS] if redis_dir else []) + list(processes))}; "
        f"logs in {var_dir / 'log'}; status: supervisorctl -c {config} status\n"
    )
    sys.stdout.flush()
    from supervisor import supervisord

    supervisord.main(args=["-c", str(config)])


if __name__ == "__main__":
    main()
