"""Which matching core this process runs: the mypyc-compiled modules or the pure-Python ones.

`make` compiles the modules in `COMPILED` with mypyc into `build/engine_core/` (never
committed). The package's `__init__` calls `select_core()` before any submodule is
imported: when the build exists, matches the current sources and `MATCHING_ENGINE_PURE`
is not set, the build folder goes first on the package path, so `matching_engine.market`
and the others load as extension modules; otherwise everything stays pure Python. The
pure modules remain the reference the compiled ones are tested against. A build made
from other sources than the ones on disk is ignored, so an edit is never shadowed by a
stale compile.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import os
import sys
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
BUILD_DIR = PACKAGE_DIR.parent / "build" / "engine_core"
# The spot and futures cores, listed explicitly: a module added later stays pure until
# listed here. Names are paths below the package ("futures/engine").
COMPILED = (
    "protocol",
    "order",
    "book",
    "book_fast",
    "book_naive",
    "market",
    "resp_batch",
    "futures/protocol",
    "futures/account",
    "futures/contract",
    "futures/conditional",
    "futures/engine",
)
# mypyc puts the compiled code of a multi-module group in one shared library.
GROUP = "matching_engine_core"
SHARED_LIB = f"{GROUP}__mypyc"
MANIFEST = "sources.sha256"
PURE_ENV = "MATCHING_ENGINE_PURE"


def sources_digest() -> str:
    """Hash of the compiled modules' sources, written by the build and checked at import."""
    digest = hashlib.sha256()
    for name in COMPILED:
        digest.update(name.encode())
        digest.update((PACKAGE_DIR / f"{name}.py").read_bytes())
    return digest.hexdigest()


def _extension(folder: Path, name: str) -> Path | None:
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        path = folder / f"{name}{suffix}"
        if path.exists():
            return path
    return None


def _usable_build() -> str | None:
    """Why the compiled build cannot be used, or None when it can."""
    manifest = BUILD_DIR / MANIFEST
    if not manifest.exists():
        return "not built: make engine-core"
    if manifest.read_text().strip() != sources_digest():
        return "stale build, sources changed since: make engine-core"
    missing = [n for n in COMPILED if _extension(BUILD_DIR / "matching_engine", n) is None]
    if missing or _extension(BUILD_DIR, SHARED_LIB) is None:
        return "incomplete build: make engine-core"
    return None


def select_core(package_path: list[str]) -> str:
    """Put the compiled modules first on `package_path` if they may be used; say which core."""
    if os.environ.get(PURE_ENV, "") not in ("", "0"):
        return f"pure (forced by {PURE_ENV})"
    problem = _usable_build()
    if problem is not None:
        return f"pure ({problem})"
    shared = _extension(BUILD_DIR, SHARED_LIB)
    assert shared is not None
    # The per-module shims import the shared library by its top-level name.
    spec = importlib.util.spec_from_file_location(SHARED_LIB, shared)
    assert spec is not None and spec.loader is not None
    try:
        module = importlib.util.module_from_spec(spec)
        sys.modules[SHARED_LIB] = module
        spec.loader.exec_module(module)
    except ImportError as exc:  # built for another interpreter or ABI: run pure, say why
        sys.modules.pop(SHARED_LIB, None)
        return f"pure (unusable build: {exc}; make engine-core)"
    package_path.insert(0, str(BUILD_DIR / "matching_engine"))
    global _SELECTED
    _SELECTED = True
    return "compiled (mypyc: " + ", ".join(COMPILED) + ")"


_SELECTED = False


def select_subpackage(package_path: list[str], name: str) -> None:
    """Put a subpackage's compiled modules first, if `select_core` chose the build."""
    if _SELECTED:
        package_path.insert(0, str(BUILD_DIR / "matching_engine" / name))


def is_compiled(module_name: str) -> bool:
    """Whether an imported engine module is an extension module (for tests and the bench)."""
    module = importlib.import_module(module_name.replace("/", "."))
    return not str(getattr(module, "__file__", "")).endswith(".py")
