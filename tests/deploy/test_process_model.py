"""The Procfile, the compose file and the image run the processes the code provides."""

from __future__ import annotations

import importlib
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib

import pytest
from django.core.management import get_commands

from exchange import celery_app
from exchange.settings import CELERY_BEAT_SCHEDULE
from matching_client import parse_shard_map
from matching_engine.service import parse_args as engine_args
from tests.deploy.process_model import (
    ROOT,
    command_line,
    compose,
    compose_command,
    dockerfile_instructions,
    exec_form,
    procfile,
)

PROCESSES = [
    "web",
    "engine",
    "futures-engine",
    "clearing",
    "marketdata",
    "pricefeed",
    "chainwatch",
    "worker",
    "beat",
]
# Compose runs the engine and clearing as shards; every other process is one service of
# its name.
COMPOSE_SERVICES = {
    "web": ["web"],
    "engine": ["engine-0", "engine-1"],
    "futures-engine": ["futures-engine"],
    "clearing": ["clearing-0", "clearing-1"],
    "marketdata": ["marketdata"],
    "pricefeed": ["pricefeed"],
    "chainwatch": ["chainwatch"],
    "worker": ["worker"],
    "beat": ["beat"],
}


def argv(line: str) -> list[str]:
    return shlex.split(line)


def check_entry_point(line: str) -> None:
    """Assert that the program and target of a command line exist in the code."""
    args = argv(line)
    if args[:2] == ["python", "manage.py"]:
        assert args[2] in get_commands(), f"no management command {args[2]!r}"
    elif args[0] == "daphne":
        module, _, attr = args[-1].partition(":")
        assert callable(getattr(importlib.import_module(module), attr))
    elif args[0] == "celery":
        assert args[1:3] == ["-A", "exchange"]
        assert args[3] in ("worker", "beat")
    elif args[:2] == ["python", "-m"]:
        assert importlib.util.find_spec(args[2]) is not None
    else:
        pytest.fail(f"unknown entry point {line!r}")


def test_procfile_names_the_process_model():
    assert list(procfile()) == PROCESSES


@pytest.mark.parametrize("process", PROCESSES)
def test_procfile_commands_are_real_entry_points(process):
    check_entry_point(procfile()[process])


def test_celery_app_is_found_where_celery_minus_a_looks_and_knows_the_beat_tasks():
    # celery -A exchange loads exchange.celery_app
    module = importlib.import_module("exchange")
    assert module.celery_app is celery_app
    celery_app.loader.import_default_modules()
    for entry in CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in celery_app.tasks


@pytest.mark.parametrize("process", PROCESSES)
def test_compose_runs_each_process_with_the_procfile_command(process):
    services = compose()["services"]
    expected = procfile()[process]
    for name in COMPOSE_SERVICES[process]:
        line = compose_command(services[name])
        check_entry_point(line)
        if process in ("engine", "clearing"):
            # a shard: the same command, with its shard (and the engine's snapshot directory)
            assert argv(line)[: len(argv(expected))] == argv(expected)
            assert "--shard" in argv(line)
        else:
            assert line == expected


def test_compose_engine_arguments_are_accepted_by_the_engine():
    for name in COMPOSE_SERVICES["engine"]:
        args = argv(compose_command(compose()["services"][name]))
        passed = args[args.index("--") + 1 :]
        parsed = engine_args(["--redis", "redis://x", "--markets", "BTCUSDT", *passed])
        assert str(parsed.snapshot_dir) == "/var/lib/engine"


def test_compose_has_the_dependencies_the_migration_and_health_checks():
    services = compose()["services"]
    datastores = ("postgres", "redis", "redis-replica", "sentinel")
    app = [s for s in services if s not in datastores]
    assert set(app) == {"migrate"} | {s for names in COMPOSE_SERVICES.values() for s in names}
    assert compose_command(services["migrate"]) == "python manage.py migrate --noinput"
    assert services["migrate"]["restart"] == "no"
    for redis in ("redis", "redis-replica"):
        assert "--appendonly yes --appendfsync always" in command_line(services[redis]["command"])
    assert "--replicaof redis 6379" in command_line(services["redis-replica"]["command"])
    assert "sentinel monitor exchange redis 6379" in compose_command(services["sentinel"])
    assert services["web"]["environment"]["REDIS_SENTINELS"] == "sentinel:26379"
    for name in app:
        if name != "migrate":
            assert services[name]["depends_on"]["migrate"] == {
                "condition": "service_completed_successfully"
            }
    for name in [
        "postgres",
        "redis",
        "web",
        "engine-0",
        "engine-1",
        "clearing-0",
        "clearing-1",
        "marketdata",
        "pricefeed",
        "chainwatch",
        "worker",
    ]:
        assert services[name]["healthcheck"]["test"], name
    assert {v.split(":")[1] for n in ("postgres", "redis") for v in services[n]["volumes"]} == {
        "/var/lib/postgresql/data",
        "/data",
    }
    assert services["engine-0"]["volumes"] == ["engine0:/var/lib/engine"]


def test_compose_engine_shards_cover_disjoint_markets():
    services = compose()["services"]
    shard_map = services["engine-0"]["environment"]["ENGINE_SHARDS"]
    shards = parse_shard_map(shard_map)
    assert sorted(shards) == ["engine-0", "engine-1"]
    for name in ("engine-0", "engine-1"):
        assert services[name]["environment"]["ENGINE_SHARD"] == name


def test_compose_clears_each_engine_shard_in_a_process_of_its_own():
    # given the engine shards of the compose file's shard map
    services = compose()["services"]
    shards = parse_shard_map(services["engine-0"]["environment"]["ENGINE_SHARDS"])
    # then each clearing service clears one shard, with the map the engines read
    cleared = {}
    for name in COMPOSE_SERVICES["clearing"]:
        args = argv(compose_command(services[name]))
        shard = args[args.index("--shard") + 1]
        assert shard in shards, f"{name} clears {shard!r}, which the shard map lacks"
        assert (
            services[name]["environment"]["ENGINE_SHARDS"]
            == (services["engine-0"]["environment"]["ENGINE_SHARDS"])
        )
        cleared[shard] = name
    assert sorted(cleared) == sorted(shards), "every shard's markets are cleared, each once"


def test_dockerfile_is_multi_stage_non_root_and_collects_static_files():
    instructions = dockerfile_instructions()
    froms = [args for kw, args in instructions if kw == "FROM"]
    assert len(froms) >= 2 and all(" AS " in f for f in froms)
    args = {a.split("=", 1)[0]: a.split("=", 1)[1] for kw, a in instructions if kw == "ARG"}
    assert re.fullmatch(r"python:3\.11-slim(-\w+)?", args["PYTHON_IMAGE"])
    runtime = instructions[max(i for i, (kw, _) in enumerate(instructions) if kw == "FROM") :]
    users = [a for kw, a in runtime if kw == "USER"]
    assert users and users[-1].split(":")[0] not in ("0", "root")
    runs = " ".join(a for kw, a in instructions if kw == "RUN")
    assert "manage.py collectstatic --noinput" in runs
    assert "-c requirements.lock" in runs
    # no compiler in the runtime stage, only what the build stage produced
    assert not any("apt-get install" in a for kw, a in runtime if kw == "RUN")
    assert "--from=build /opt/venv /opt/venv" in [a for kw, a in runtime if kw == "COPY"]


def test_dockerfile_copies_only_what_exists_and_runs_the_web_process_by_default():
    instructions = dockerfile_instructions()
    for kw, args in instructions:
        if kw == "COPY" and not args.startswith("--from"):
            for source in args.split()[:-1]:
                assert (ROOT / source).exists(), source
    cmd = exec_form([a for kw, a in instructions if kw == "CMD"][-1])
    assert command_line(cmd) == procfile()["web"]


def test_every_runtime_dependency_is_pinned_in_the_lock_the_image_installs_from():
    # the image installs pyproject's dependencies constrained by requirements.lock
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lock = {
        line.split("==")[0].lower().replace("_", "-"): line.split("==")[1]
        for line in (ROOT / "requirements.lock").read_text().splitlines()
        if "==" in line
    }
    for requirement in project["dependencies"]:
        name, _, version = requirement.partition("==")
        assert version, f"{requirement} is not pinned"
        assert lock[name.lower().replace("_", "-")] == version, requirement


def test_dockerfile_collectstatic_step_runs_without_redis_or_a_database(tmp_path):
    # given the sources the static stage copies, and the step's own environment
    instructions = dockerfile_instructions()
    (step,) = [a for kw, a in instructions if kw == "RUN" and "collectstatic" in a]
    command = step.split("&&")[0]
    words = shlex.split(command)
    env = dict(w.split("=", 1) for w in words if re.fullmatch(r"[A-Z_]+=.*", w))
    argv = [w for w in words if not re.fullmatch(r"[A-Z_]+=.*", w)]
    copied = [
        a.split()[0] for kw, a in instructions if kw == "COPY" and a.split()[-1].startswith("./")
    ]
    for source in copied:
        if (ROOT / source).is_dir():
            shutil.copytree(
                ROOT / source, tmp_path / source, ignore=shutil.ignore_patterns("__pycache__")
            )
        elif (ROOT / source).exists():
            (tmp_path / source).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(ROOT / source, tmp_path / source)
    assert (tmp_path / "manage.py").exists() and (tmp_path / "exchange").is_dir()
    # when it runs (python from this venv; nothing else from this environment)
    result = subprocess.run(
        [sys.executable, *argv[1:]],
        cwd=tmp_path,
        env={**env, "PATH": os.environ["PATH"], "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        check=False,
    )
    # then the admin's files are collected into STATIC_ROOT
    assert result.returncode == 0, result.stderr[-2000:]
    assert (tmp_path / "var" / "static" / "admin" / "css" / "base.css").exists()
