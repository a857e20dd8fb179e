"""Compile the matching core with mypyc into build/engine_core/ (`make engine-core`).

Only the modules listed in `matching_engine.native.COMPILED` are compiled; the build
folder is written whole and its source digest last, so an interrupted or stale build is
never picked up (the package then runs pure Python). Needs gcc and the Python headers.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["MATCHING_ENGINE_PURE"] = "1"  # this process must not load the build it replaces

from matching_engine import native  # noqa: E402

# Type checking is `make typecheck`'s job (strict there); this config only drives codegen
# and keeps the Django plugins of pyproject.toml out of the compile.
MYPY_CONFIG = "[mypy]\npython_version = 3.11\nignore_missing_imports = True\ncache_dir = {cache}\n"


def build() -> None:
    from mypyc.build import mypycify
    from setuptools import Distribution

    started = time.monotonic()
    digest = native.sources_digest()
    manifest = native.BUILD_DIR / native.MANIFEST
    if manifest.exists() and manifest.read_text().strip() == digest:
        print(f"engine core up to date: {native.BUILD_DIR}")  # noqa: T201 - make output
        return
    native.BUILD_DIR.parent.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(dir=native.BUILD_DIR.parent) as tmp:
        work = Path(tmp)
        config = work / "mypy.ini"
        config.write_text(MYPY_CONFIG.format(cache=work / "mypy_cache"))
        sources = [f"matching_engine/{name}.py" for name in native.COMPILED]
        out = work / "lib"
        extensions = mypycify(
            ["--config-file", str(config), *sources],
            opt_level="3",
            group_name=native.GROUP,
            target_dir=str(work / "c"),
        )
        # A bare Distribution: setup() would read the project's pyproject.toml.
        dist = Distribution({"name": native.GROUP, "ext_modules": extensions})
        command = dist.get_command_obj("build_ext")
        command.build_lib = str(out)  # type: ignore[attr-defined]
        command.build_temp = str(work / "obj")  # type: ignore[attr-defined]
        dist.run_command("build_ext")
        staged = work / "engine_core"
        (staged / "matching_engine").mkdir(parents=True)
        for lib in out.rglob("*.so"):
            (staged / lib.relative_to(out)).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(lib, staged / lib.relative_to(out))
        (staged / native.MANIFEST).write_text(digest + "\n")
        shutil.rmtree(native.BUILD_DIR, ignore_errors=True)
        staged.rename(native.BUILD_DIR)
    print(f"engine core compiled in {time.monotonic() - started:.0f}s")  # noqa: T201 - make output


if __name__ == "__main__":
    os.chdir(ROOT)  # mypyc derives module names from the relative source paths
    build()
