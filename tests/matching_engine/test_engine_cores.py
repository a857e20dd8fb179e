"""The compiled core (mypyc) against the pure-Python reference: same outputs, same states.

Each core runs in its own interpreter (the choice is made once, at import). Without a
build (`make engine-core`) the cross-core tests skip, unless MATCHING_ENGINE_REQUIRE_COMPILED
is set, as `make test` does: there a missing or stale build is a failure.
"""

from __future__ import annotations

import importlib.machinery
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from matching_engine import native

ROOT = Path(__file__).resolve().parents[2]
COMMANDS = int(os.environ.get("ME_CORES_COMMANDS", "100000"))


def _replay(*, pure: bool) -> dict[str, Any]:
    env = {**os.environ, native.PURE_ENV: "1" if pure else ""}
    out = subprocess.run(
        [sys.executable, "-m", "tests.matching_engine.core_replay", "--commands", str(COMMANDS)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    ).stdout
    result: dict[str, Any] = json.loads(out)
    return result


@pytest.fixture(scope="module")
def compiled_run() -> dict[str, Any]:
    run = _replay(pure=False)
    if not run["core"].startswith("compiled"):
        if os.environ.get("MATCHING_ENGINE_REQUIRE_COMPILED"):
            pytest.fail(f"compiled core required, got {run['core']}")
        pytest.skip(f"no compiled core: {run['core']}")
    return run


def test_compiled_core_loads_every_listed_module_as_an_extension(
    compiled_run: dict[str, Any],
) -> None:
    assert compiled_run["compiled"] == list(native.COMPILED)


def test_compiled_and_pure_cores_agree_on_a_long_generated_stream(
    compiled_run: dict[str, Any],
) -> None:
    # given the same generated stream replayed by the pure core in its own interpreter
    pure_run = _replay(pure=True)
    assert pure_run["core"].startswith("pure (forced")
    assert pure_run["compiled"] == []

    # then every state hash along the way, every output and the final snapshot agree
    assert len(compiled_run["state_hashes"]) == len(pure_run["state_hashes"]) > 50
    for i, (compiled, pure) in enumerate(
        zip(compiled_run["state_hashes"], pure_run["state_hashes"], strict=True)
    ):
        assert compiled == pure, f"state diverged at check {i}"
    assert compiled_run["outputs"] == pure_run["outputs"]
    assert compiled_run["snapshots"] == pure_run["snapshots"]
    assert compiled_run["futures_outputs"] == pure_run["futures_outputs"]
    assert compiled_run["futures_states"] == pure_run["futures_states"]
    assert len(set(compiled_run["futures_outputs"])) == 1
    # and the fast and naive books agree inside each core too
    assert len(set(compiled_run["outputs"])) == 1


def _copy_with_build(tmp_path: Path) -> Path:
    """A copy of the package beside a build folder whose digest matches its sources."""
    shutil.copytree(ROOT / "matching_engine", tmp_path / "matching_engine")
    build = tmp_path / "build" / "engine_core"
    (build / "matching_engine" / "futures").mkdir(parents=True)
    (build / native.MANIFEST).write_text(native.sources_digest() + "\n")
    return build


def _import_copy(tmp_path: Path) -> list[str]:
    probe = (
        "import matching_engine, matching_engine.market as m; "
        "print(matching_engine.CORE, m.__file__, sep=chr(10))"
    )
    return subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(tmp_path), native.PURE_ENV: ""},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()


def test_a_build_of_other_sources_is_ignored(tmp_path: Path) -> None:
    # given a copy of the package whose build no longer matches an edited source
    _copy_with_build(tmp_path)
    market = tmp_path / "matching_engine" / "market.py"
    market.write_text(market.read_text() + "\n# edited\n")

    # when the copy is imported
    out = _import_copy(tmp_path)

    # then it runs the pure modules and says why
    assert out[0] == "pure (stale build, sources changed since: make engine-core)"
    assert out[1] == str(market)


def test_a_build_that_cannot_load_is_ignored(tmp_path: Path) -> None:
    # given a build of the right sources whose libraries this interpreter cannot load
    build = _copy_with_build(tmp_path)
    suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
    (build / f"{native.SHARED_LIB}{suffix}").write_bytes(b"not a shared library")
    for name in native.COMPILED:
        (build / "matching_engine" / f"{name}{suffix}").write_bytes(b"not a shared library")

    # when the copy is imported
    out = _import_copy(tmp_path)

    # then it runs the pure modules and says why
    assert out[0].startswith("pure (unusable build: ")
    assert out[1] == str(tmp_path / "matching_engine" / "market.py")
