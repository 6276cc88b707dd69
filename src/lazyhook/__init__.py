"""lazyhook: make ordinary ``import torch`` statements lazy, with no code change.

Importing this package costs next to nothing: policy files, reports and the CLI are
imported only when used.

PYTEST_DONT_REWRITE: pytest marks every module of a distribution with a ``pytest11``
entry point for assertion rewriting and warns when the package was imported first (as
``LAZY_IMPORTS`` does at interpreter start-up); lazyhook holds no test assertions.
"""

import sys
from _thread import RLock

from . import _cpython
from ._finder import LazyFinder

__all__ = [
    "Installation", "LazyImportError", "PolicyError", "attach", "events", "install", "is_pending",
    "lazy_import", "load_all", "on_load", "preload", "report", "status", "uninstall", "write_report",
    "__version__",
]
__version__ = "0.1.0"



def __getattr__(name: str):
    """Re-exports whose modules load on first use (PEP 562): start-up imports neither."""
    if name == "LazyImportError":
        from ._lazymodule import LazyImportError as value
    elif name == "PolicyError":
        from ._policy import PolicyError as value
    elif name in ("load_ipython_extension", "unload_ipython_extension"):  # %load_ext lazyhook
        from . import _ipython

        value = getattr(_ipython, name)
    else:
        raise AttributeError(f"module 'lazyhook' has no attribute {name!r}")
    globals()[name] = value
    return value


_lock = RLock()
_the_finder: LazyFinder | None = None


class Installation:
    """Handle returned by :func:`install`; as a context manager it uninstalls on exit.

    A handle undoes what its own ``install()`` did and nothing else: the names it added
    stay lazy while another active handle also asked for them, and a handle returned
    under the kill switch (which installed nothing) removes nothing.
    """

    def __init__(self, finder: "LazyFinder | None", policy=None, names=frozenset(), never_lazy=frozenset(),
                 disabled: bool = False, profile_all: bool = False) -> None:
        self.finder = finder
        self.policy = policy
        self.names = frozenset(names)  # what this install() made lazy
        self.never_lazy = frozenset(never_lazy)
        self.disabled = disabled  # 3.15+: this install() applied the kill switch to the interpreter
        self.profile_all = profile_all  # `lazyhook suggest`: every third-party package is lazy

    @property
    def packages(self) -> frozenset:
        """Every package lazy right now, through any handle."""
        return frozenset(self.finder.roots) if self.finder is not None else frozenset()

    def uninstall(self) -> None:
        with _lock:
            if any(handle is self for handle in _active):
                _active[:] = [handle for handle in _active if handle is not self]
                _apply()

    def __enter__(self) -> "Installation":
        return self

    def __exit__(self, *exc_info) -> None:
        self.uninstall()

    def __repr__(self) -> str:
        return f"<lazyhook.Installation packages={sorted(self.packages)}>"


_active: "list[Installation]" = []  # handles whose contribution is in effect, oldest first


def install(packages=None, *, never_lazy=(), policy: bool = True) -> Installation:
    """Defer module-level imports of configured packages until their first use.

    With no arguments the policy in effect is used (``LAZYHOOK_POLICY``, ``lazyhook.toml``,
    ``[tool.lazyhook]``, the environment's policy, ``LAZY_IMPORTS``); ``packages`` (top-level
    names or ``@preset``) add to it, ``never_lazy`` names packages or subtrees to keep eager,
    and ``policy=False`` ignores every file and variable but the kill switch.  Bad input
    raises ``PolicyError`` naming the source and the fix.  Idempotent: a second call adds
    names to the one finder at ``sys.meta_path[0]``.
    """
    from . import _policy

    if isinstance(packages, str):
        raise TypeError("lazyhook.install() takes a list of names, e.g. install(['torch'])")
    resolved = _policy.resolve(files=policy)
    _add_names(resolved, packages or (), "install()")
    for name in never_lazy:
        if not isinstance(name, str) or not _policy.is_module_name(name):
            raise _policy.PolicyError(
                f"never_lazy: {name!r} is not a module name; use dotted Python identifiers such as 'torch.distributed'")
        resolved.never_lazy[name] = "never_lazy passed to install()"
    return install_policy(resolved.finish())


def _add_names(resolved, names, why: str) -> None:
    from ._policy import PRESETS, PolicyError, is_module_name

    for name in names:
        if isinstance(name, str) and name.startswith("@") and name[1:] in PRESETS:
            resolved.add(PRESETS[name[1:]], f"preset {name} ({why})")
        elif not isinstance(name, str) or not is_module_name(name):
            raise PolicyError(f"{why}: {name!r} is not a module name; use top-level package names such as "
                              f"'torch' or a preset such as '@ml'")
        elif "." in name:
            raise PolicyError(f"{why}: {name!r} is a submodule; list its top-level package "
                              f"{name.partition('.')[0]!r} (submodules of a lazy package are lazy too)")
        else:
            resolved.add([name], why)


def install_policy(resolved, profile_all: bool = False) -> Installation:
    """Install a resolved policy (the one code path behind every way in)."""
    with _lock:
        if not _cpython.SUPPORTED:
            _warn_once(_cpython.unsupported_message())
            return Installation(None, resolved)
        if not resolved.enabled:
            if not _cpython.NATIVE:
                return Installation(_the_finder, resolved)  # installed nothing: undoes nothing
            # 3.15+: the kill switch covers `lazy import` statements too.
            handle = Installation(_the_finder, resolved, disabled=True)
        else:
            handle = Installation(_the_finder, resolved, resolved.lazy, resolved.never_lazy_names(),
                                  profile_all=profile_all)
        _active.append(handle)
        _apply()
        handle.finder = _the_finder
        if _the_finder is not None:
            _the_finder.policy = resolved
        _arrange_reports(resolved)
        return handle


def _apply() -> None:
    """Make the finder and the interpreter match the union of the active handles.

    With no name lazy the finder defers nothing; it stays in ``sys.meta_path`` while
    modules it deferred are pending (an eager import of their submodules must run the
    pending parent first) and leaves once nothing is (3.15+: the interpreter loads what
    is pending without lazyhook's help).
    """
    global _the_finder
    names = set().union(*(handle.names for handle in _active))
    profile_all = any(handle.profile_all for handle in _active)
    lazy_modules = bool(_active) and not any(handle.disabled for handle in _active)
    active = bool(names) or profile_all or lazy_modules
    core = sys.modules.get("lazyhook._lazymodule")  # else the finder sets would_defer on first use
    pending = core.pending_roots() if core is not None and not _cpython.NATIVE else set()
    finder = _the_finder
    if finder is None and active:
        finder = _the_finder = LazyFinder()
    if finder is not None:
        finder.profile_all = profile_all
        finder.lazy_modules = lazy_modules
        if not profile_all:  # profiling adds every third-party package it meets to roots
            finder.roots.clear()  # in place: 3.15's filter holds this very set
        finder.roots.update(names)
        finder.never_lazy = frozenset().union(*(handle.never_lazy for handle in _active))
        finder.watched = names | pending
        if core is not None and not _cpython.NATIVE:
            core.would_defer = finder.would_defer if active else None
        if active or finder.watched:
            if not any(entry is finder for entry in sys.meta_path):
                sys.meta_path.insert(0, finder)
        else:
            _the_finder = None
            sys.meta_path[:] = [entry for entry in sys.meta_path if entry is not finder]
    if _cpython.NATIVE:
        from . import _native

        if any(handle.disabled for handle in _active):
            _native.disable()
        elif active:
            _native.enable(_the_finder)
        else:
            _native.restore()  # the mode and filter in effect before install()


_warned: set[str] = set()


def _warn_once(message: str) -> None:
    if message not in _warned:
        _warned.add(message)
        sys.stderr.write(f"lazyhook: {message}\n")


_DEFAULT_REPORT_FILES = {"json": "lazyhook-report.json", "trace": "lazyhook-report.trace.json",
                         "html": "lazyhook-report.html"}


def _arrange_reports(resolved) -> None:
    """Reports chosen by the policy, produced at exit (the report module loads only then)."""
    if resolved.report == "none" and not resolved.report_dir and not resolved.report_file:
        return
    from . import _report

    if resolved.report_dir:
        _report.at_exit("dir", resolved.report_dir)
    if resolved.report == "summary":
        _report.at_exit("summary")
    elif resolved.report in _DEFAULT_REPORT_FILES or resolved.report_file:
        import os

        target = resolved.report_file or _DEFAULT_REPORT_FILES[resolved.report]
        # A format asked for explicitly wins over the file's suffix.
        explicit = resolved.report if resolved.report in _DEFAULT_REPORT_FILES else None
        _report.at_exit("file", (os.path.abspath(target), explicit))


def uninstall() -> None:
    """Stop deferring imports, whoever installed them; bound modules stay usable.

    While modules it deferred are still pending, the finder stays in ``sys.meta_path``
    deferring nothing: an eager import of their submodules must still run the pending
    parent first (a body never runs before its parent's).  To undo one ``install()``
    alone, use the handle it returned.
    """
    with _lock:
        _active.clear()
        _apply()


def _reset_state() -> None:
    """Put all of lazyhook's state back to what ``import lazyhook`` gives: no finder, no
    handles, no deferred modules or load records, no callbacks or exit reports, the
    interpreter's lazy-import mode and filter as before (3.15).  For test isolation
    (``tests/conftest.py``); it does not touch ``sys.modules`` or the program's modules."""
    global _the_finder
    with _lock:
        uninstall()
        finder, _the_finder = _the_finder, None
        if finder is not None:
            sys.meta_path[:] = [entry for entry in sys.meta_path if entry is not finder]
        _warned.clear()
        for name in ("_lazymodule", "_fromimport", "_report"):
            module = sys.modules.get(f"lazyhook.{name}")
            if module is not None:
                module._reset()
        startup = sys.modules.get("lazyhook._startup")
        if startup is not None:
            startup._activated = False
            startup.activated_by = ""


def events() -> list[dict]:
    """Every lazy load recorded so far (see docs/reports.md for the fields)."""
    from ._report import events as _events

    return _events()


def on_load(callback):
    """Call ``callback(event)`` after every lazy load; returns a function that removes it."""
    from ._report import on_load as _on_load

    return _on_load(callback)


def report(format: str = "table") -> str:  # noqa: A002 - matches the CLI's --format
    """This process's load report so far: ``table``, ``json``, ``trace`` or ``html``."""
    from ._report import report as _render

    return _render(format)


def write_report(path: str, format: str | None = None) -> str:  # noqa: A002
    """Write the report to ``path`` (atomically); the format follows the suffix unless given."""
    from ._report import write_report as _write

    return _write(path, format)


def lazy_import(name: str):
    """A lazy module for ``name`` without the global hook (same semantics as the hook)."""
    from ._explicit import lazy_import as _lazy_import

    return _lazy_import(name)


def attach(package_name: str, submodules=(), attributes=None):
    """``__getattr__, __dir__, __all__`` exposing a package's submodules/attributes lazily."""
    from ._explicit import attach as _attach

    return _attach(package_name, submodules, attributes)


def preload(names=None, *, background: bool = False, priorities=None, workers: int = 1):
    """Load pending lazy packages now, or in the background by priority; returns a handle."""
    from ._preload import preload as _preload

    return _preload(names, background=background, priorities=priorities, workers=workers)


def load_all():
    """Load every pending lazy module now (warm-up endpoints, tests); returns the handle."""
    return preload()


def status() -> list[dict]:
    """Every configured package and deferred module: state, load time, trigger, memory growth."""
    from ._preload import status as _status

    return _status()


def is_pending(module) -> bool:
    """True while ``module`` (or the module named so) is imported but not yet loaded.

    On Python 3.15+ pass the name: reading a lazily imported global to pass it loads it
    (PEP 810 resolves a lazy import when its name is loaded).
    """
    from ._lazymodule import is_pending as _is_pending

    placeholder = _cpython.placeholder_name(module)
    if placeholder is not None:
        return placeholder not in sys.modules
    if isinstance(module, str):
        if _cpython.NATIVE:
            from ._native import is_pending_name

            if is_pending_name(module):
                return True
        module = sys.modules.get(module)
    return _is_pending(module)
