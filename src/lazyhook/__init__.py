"""lazyhook: make ordinary ``import torch`` statements lazy, with no code change.

Importing this package costs next to nothing: policy files, reports and the CLI are
imported only when used.
"""

from __future__ import annotations

import sys
from _thread import RLock

from . import _lazymodule
from ._lazymodule import LazyImportError
from ._finder import LazyFinder

__all__ = ["Installation", "LazyImportError", "install", "is_pending", "uninstall", "__version__"]
__version__ = "0.1.0"

_lock = RLock()
_the_finder: LazyFinder | None = None


class Installation:
    """Handle returned by :func:`install`; as a context manager it uninstalls on exit."""

    def __init__(self, finder: LazyFinder) -> None:
        self.finder = finder

    @property
    def packages(self) -> frozenset[str]:
        return frozenset(self.finder.roots)

    def uninstall(self) -> None:
        uninstall()

    def __enter__(self) -> Installation:
        return self

    def __exit__(self, *exc_info) -> None:
        uninstall()

    def __repr__(self) -> str:
        return f"<lazyhook.Installation packages={sorted(self.finder.roots)}>"


def _check_name(name: object) -> str:
    if not isinstance(name, str) or not all(part.isidentifier() for part in name.split(".")):
        raise ValueError(
            f"lazyhook: {name!r} is not a module name; use dotted Python identifiers such as 'torch'"
        )
    return name


def install(packages=None, *, never_lazy=()) -> Installation:
    """Defer module-level imports of ``packages`` (top-level names) until first use.

    Idempotent: a second call adds names to the one finder at ``sys.meta_path[0]``.
    """
    global _the_finder
    names = [_check_name(name) for name in (packages or ())]
    excluded = [_check_name(name) for name in never_lazy]
    for name in names:
        if "." in name:
            raise ValueError(
                f"lazyhook: {name!r} is a submodule; list its top-level package "
                f"{name.partition('.')[0]!r} (submodules of a lazy package are lazy too)"
            )
    with _lock:
        finder = _the_finder
        if finder is None:
            finder = _the_finder = LazyFinder()
        if not any(entry is finder for entry in sys.meta_path):
            sys.meta_path.insert(0, finder)
        _lazymodule.would_defer = finder.would_defer
        finder.never_lazy = finder.never_lazy.union(excluded)
        finder.roots.update(names)
        finder.watched.update(names)
        return Installation(finder)


def uninstall() -> None:
    """Stop deferring imports; modules already bound (pending or not) stay usable.

    While modules it deferred are still pending, the finder stays in ``sys.meta_path``
    deferring nothing: an eager import of their submodules must still run the pending
    parent first (a body never runs before its parent's).
    """
    global _the_finder
    with _lock:
        finder = _the_finder
        if finder is None:
            return
        finder.roots.clear()
        _lazymodule.would_defer = None
        finder.never_lazy = frozenset()
        finder.watched = _lazymodule.pending_roots()
        if not finder.watched:
            _the_finder = None
            sys.meta_path[:] = [entry for entry in sys.meta_path if entry is not finder]


def is_pending(module) -> bool:
    """True while ``module`` (or the module named so) is imported but not yet loaded."""
    from ._lazymodule import is_pending as _is_pending

    if isinstance(module, str):
        module = sys.modules.get(module)
    return _is_pending(module)
