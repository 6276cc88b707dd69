"""Shared fixtures: throw-away packages and fresh interpreters.

Everything that touches the import system either runs in a fresh subprocess
(``run_python``) or inside ``import_state``, which restores ``sys.modules``,
``sys.meta_path``, ``sys.path`` and the path importer cache exactly.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"


def write_tree(root: Path, files: dict[str, str]) -> None:
    """Write ``{"pkg/__init__.py": "source", ...}`` under ``root``."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


TRACE_MODULE = """
events = []
def hit(name):
    events.append(name)
def original(exc):
    # A failed lazy load's own error: 3.11-3.14 raise LazyImportError from it, 3.15 raises
    # it from its own ImportError.
    cause = exc.__cause__
    return cause if isinstance(exc, ImportError) and not isinstance(cause, ImportError) else exc
def race(target, count):
    # ``count`` threads run ``target`` at once (it waits on a barrier); True if one hangs.
    import threading
    threads = [threading.Thread(target=target) for _ in range(count)]
    for t in threads: t.start()
    for t in threads: t.join(30)
    return any(t.is_alive() for t in threads)
"""


# A package whose body appends its name to the file named by $LOADS: a test sees when,
# and how many times, the body ran (the pytest plugin's and the IPython extension's tests).
LOGGED_PACKAGE = """
import os
with open(os.environ["LOADS"], "a") as log:
    log.write(__name__ + "\\n")
value = 41
def answer():
    return value + 1
"""


class Runner:
    """Writes packages and runs scripts in a fresh interpreter with them on sys.path."""

    def __init__(self, root: Path) -> None:
        self.root = root
        write_tree(root, {"_trace.py": TRACE_MODULE})

    def packages(self, files: dict[str, str]) -> None:
        write_tree(self.root, files)

    def env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("LAZY", "PYTEST_XDIST", "PYTHON"))}
        env["PYTHONPATH"] = os.pathsep.join([str(self.root), str(SRC)])
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env.update(extra or {})
        return env

    def run(self, script: str, *args: str, env: dict[str, str] | None = None, check: bool = True,
            name: str = "main.py", timeout: float = 120) -> subprocess.CompletedProcess:
        path = self.root / name
        path.write_text(textwrap.dedent(script))
        return self.run_args([str(path), *args], env=env, check=check, timeout=timeout)

    def run_args(self, args: list[str], *, env: dict[str, str] | None = None, check: bool = True,
                 timeout: float = 120, cwd: str | None = None) -> subprocess.CompletedProcess:
        proc = subprocess.run(
            [sys.executable, *args], cwd=self.root if cwd is None else self.root / cwd, env=self.env(env),
            capture_output=True, text=True, timeout=timeout,
        )
        if check and proc.returncode != 0:
            raise AssertionError(f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
        return proc


@pytest.fixture(autouse=True, scope="session")
def private_cache_home(tmp_path_factory):
    """lazyhook caches parsed policy files under ``$XDG_CACHE_HOME``: the suite keeps its
    own, so it never writes into the user's ``~/.cache`` (subprocesses inherit it)."""
    previous = os.environ.get("XDG_CACHE_HOME")
    home = tmp_path_factory.mktemp("xdg-cache")
    os.environ["XDG_CACHE_HOME"] = str(home)
    yield home
    if previous is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = previous


@pytest.fixture
def runner(tmp_path: Path) -> Runner:
    return Runner(tmp_path)


@contextlib.contextmanager
def isolated_imports():
    """Snapshot and restore the import system around in-process import tests."""
    modules = dict(sys.modules)
    meta_path = list(sys.meta_path)
    path = list(sys.path)
    cache = dict(sys.path_importer_cache)
    try:
        yield
    finally:
        import lazyhook

        lazyhook._state.reset()  # lazyhook's own state too: no finder or pending entry survives
        # lazyhook's own modules imported on demand during the test stay: dropping them
        # would give the next import a second copy with its own state (a filter or
        # finder the first copy installed could then never be removed).
        own = {name: module for name, module in sys.modules.items()
               if name == "lazyhook" or name.startswith("lazyhook.")}
        sys.modules.clear()
        sys.modules.update(modules)
        sys.modules.update(own)
        sys.meta_path[:] = meta_path
        sys.path[:] = path
        sys.path_importer_cache.clear()
        sys.path_importer_cache.update(cache)


@pytest.fixture
def import_state():
    with isolated_imports():
        yield
