"""The deferral decision for a configured import, the slow path behind the finder, and
the loaders it hands out.

``lazyhook.LazyFinder.find_spec`` (the start-up module) answers every import that is
not configured itself; it comes here for the configured ones, at the first of which
this module, the frame reader and the lazy-module core are imported.  The loaders live
here too: the first deferral needs both, and every module imported then is a file to
find and read and a module to build before its first line runs.
"""

import sys
from _thread import get_ident

from . import _NEVER_LAZY, LazyFinder, _cpython, _frames, _lazymodule, _state
from . import _find_spec_elsewhere as find_spec_elsewhere  # (the 3.15 filter asks it without the core)

_NOT_DEFERRABLE_ORIGINS = frozenset({"built-in", "frozen"})


def _can_defer(spec) -> bool:
    """Source and bytecode modules only: extensions, namespace packages, built-in and
    frozen modules, and loaders without ``exec_module`` always load eagerly."""
    loader = spec.loader
    if loader is None or spec.origin is None or spec.origin in _NOT_DEFERRABLE_ORIGINS:
        return False
    if not hasattr(loader, "exec_module") or type(loader).__name__ in (
        "ExtensionFileLoader", "NamespaceLoader", "LazyHookLoader", "AdoptLoader",
    ):
        return False
    import _imp

    return not spec.origin.endswith(tuple(_imp.extension_suffixes()))


def adopt_for_profile(finder: LazyFinder, top: str) -> bool:
    """In profile-all mode, treat a third-party top-level package as configured."""
    if top in sys.stdlib_module_names or top in _NEVER_LAZY or top.startswith("_") or top == "lazyhook":
        return False
    finder.roots.add(top)
    finder.watch(top)
    return True


def would_defer(finder: LazyFinder, name: str, statement, offset: int | None = None) -> bool:
    """The one rule: a configured name, or one the importing module lists in
    ``__lazy_modules__``, not never-lazy, imported by a PEP 810 statement (whose
    IMPORT_NAME is at ``offset`` when the frame is past it)."""
    configured = name.partition(".")[0] in finder.roots
    listed = finder.lazy_modules and _frames.is_listed_lazy(statement, name, offset)
    if not configured and not listed:
        return False
    if finder.is_never_lazy(name):
        return False
    # What the importer lists defers even inside its own package, configured or not:
    # the policy never makes a package less lazy than its own declaration (and 3.15).
    return _frames.is_deferrable(statement, name, offset, configured and not listed)


def find_configured(finder: LazyFinder, name, path, target):
    """The spec for a configured (or ``__lazy_modules__``-listed) import: lazily loading
    when the rule defers it, else the ordinary one (its pending ancestors run first).
    Called by ``LazyFinder.find_spec`` itself: the import system's frames are above it."""
    if not _cpython.SUPPORTED:  # an import system without what lazyhook reads: eager, never guessed
        return None
    if _cpython.NATIVE:
        return _find_native(finder, name, path, target, _import_system_caller())
    if name == "importlib.util":
        return _watch_importlib_util(finder, name, path, target)
    adopted = _state.adopt_next.pop(name, None)
    if adopted is not None:
        finder.trees_changed(name.partition(".")[0])  # nothing left to adopt may settle every tree
        return adopt_spec(adopted)
    if _state.failed:
        _raise_unraised(name)
    top = name.partition(".")[0]
    statement = _frames.statement_frame(_import_system_caller())
    if top in finder.roots and _pending_ancestor(name) is None:
        importer = _cpython.importer_name(1)
        if isinstance(importer, str) and importer.partition(".")[0] == top and (
                statement is None or not statement.f_globals.get("__lazy_modules__")):
            # A configured package's own import is eager (see eager_reason) unless the
            # importer lists modules, and with no pending ancestor to run first the other
            # finders answer it directly: the hot path while a body runs, also while
            # other modules of its tree are still pending (scipy's body, scipy.stats pending).
            return None
    deferrable = would_defer(finder, name, statement)
    spec = find_spec_elsewhere(name, path, target) or _look_again_after_parent(finder, name, target)
    if spec is None:
        return None  # the import fails right here, exactly as without lazyhook
    if not deferrable or not _can_defer(spec):
        if name in finder.roots and name not in finder.eager_imports:
            _note_eager(finder, name, statement)
    else:
        finder.watch(top)  # a tree deferred through __lazy_modules__: its later imports come here
        if "importlib.util" not in sys.modules:
            finder.watch("importlib.util")  # register LazyHookLoader when it arrives
        site = _frames.caller_site(statement)
        spec.loader = LazyHookLoader(spec.loader, site, statement.f_globals)
        return spec
    return _eager_spec(name, spec)


def _import_system_caller():
    """The frame that called the import system, or the first importlib frame above it
    (``statement_frame`` skips those), seen from ``find_configured``, whose caller is the finder."""
    try:
        return sys._getframe(3 + _cpython.IMPORT_SYSTEM_FRAMES)
    except ValueError:
        return None


def _raise_unraised(name: str) -> None:
    """An import of a module whose body failed when its package's tree ran, before any use
    asked for it, is that use's attempt: its error is raised without a second run of the
    body, as 3.15 runs the body first at this import (``Entry.unraised``)."""
    from ._lifecycle import take_unraised  # loaded by the load that failed it

    failed = take_unraised(name)
    if failed is not None:
        raise failed.failure()


def _note_eager(finder: LazyFinder, name: str, statement) -> None:
    """Remember why a configured package was imported eagerly (status and reports)."""
    if finder.is_never_lazy(name):
        why = "never-lazy"
    else:  # what the statement's rule says, else its spec could not be deferred
        why = (_frames.eager_reason(statement, name)
               or "a namespace package or an extension module (never deferred)")
    file, line, _func = _frames.caller_site(statement)
    finder.eager_imports[name] = (why, file, line)


def _find_native(finder: LazyFinder, name, path, target, frame):
    """3.15+: the interpreter deferred it; record the load when it happens."""
    if name not in sys.lazy_modules and name not in finder.import_sites:
        if name in finder.roots and name not in finder.eager_imports and name not in sys.modules:
            _note_eager(finder, name, _frames.statement_frame(frame))  # an ordinary eager import
        return None  # an ordinary eager import: not a lazy load
    # (``import a.b.c as x`` lists only ``a.b.c`` as lazy; its parents load with it.)
    spec = find_spec_elsewhere(name, path, target)
    if spec is None or not hasattr(spec.loader, "exec_module"):
        return spec
    site = finder.import_sites.get(name)
    parent = name
    while site is None and parent:
        parent = parent.rpartition(".")[0]
        site = finder.import_sites.get(parent)
    use = _state.requested_use.get(get_ident())
    if use is None:
        statement = _frames.statement_frame(frame)
        file, line, func = _frames.caller_site(statement)
        use = (file, line, func, (statement is not None and _cpython.name_being_loaded(statement)) or "<import>")
    spec.loader = RecordingLoader(spec.loader, site or ("<unknown>", 0, "<unknown>"), use)
    return spec


def _look_again_after_parent(finder: LazyFinder, name, target):
    """Not found on a pending parent's ``__path__`` as it was before the parent's body:
    eager import would have run that body first, and bodies extend ``__path__``
    (``pkgutil.extend_path``, plugin directories).  Run it, then look again; a missing
    submodule then fails after its parent's body, exactly as eager import fails."""
    parent_name = name.rpartition(".")[0]
    entry = _lazymodule.pending_entry(parent_name) if parent_name else None
    if entry is None or entry.state != _lazymodule.PENDING:
        return None
    adopted = _run_pending_ancestor(entry, name)
    if adopted is not None:
        return adopted
    parent = sys.modules.get(parent_name)
    path = getattr(parent, "__path__", None)
    return find_spec_elsewhere(name, path, target) if path is not None else None


def _pending_ancestor(name: str):
    """The entry of ``name``'s nearest pending ancestor, if any."""
    parent = name.rpartition(".")[0]
    while parent:
        entry = _lazymodule.pending_entry(parent)
        if entry is not None and entry.state == _lazymodule.PENDING:
            return entry
        parent = parent.rpartition(".")[0]
    return None


def _eager_spec(name, spec):
    """An eager import inside a lazy tree: its pending ancestors run first."""
    entry = _pending_ancestor(name)
    if entry is not None:
        return _run_pending_ancestor(entry, name) or spec
    return spec


def _run_pending_ancestor(entry, name):
    """Run a pending ancestor of ``name`` (eager import runs it first); if its body
    imported ``name``, a spec that hands that module back unchanged (``_find_spec``
    would return ``existing.__spec__`` for a module that appeared while finders ran)."""
    _lazymodule.load_now(entry.module)
    existing = sys.modules.get(name)
    if existing is None:
        return None
    return adopt_spec(existing)


def _watch_importlib_util(finder: LazyFinder, name, path, target):
    """When ``importlib.util`` is first imported, register LazyHookLoader with LazyLoader."""
    finder.unwatch(name)
    spec = find_spec_elsewhere(name, path, target)
    if spec is not None and hasattr(spec.loader, "exec_module"):
        spec.loader = PostExecLoader(spec.loader, register_with_lazyloader)
    return spec


# --- the loaders it hands out ---------------------------------------------------------
# ``LazyHookLoader`` is registered as a (virtual) subclass of ``importlib.util.LazyLoader``
# rather than inheriting from it: importing ``importlib.util`` costs about 4 ms
# (``contextlib``, ``collections``, ``functools``), more than lazyhook may add to a lazy
# ``import numpy``.  The registration happens as soon as ``importlib.util`` is imported by
# anyone (the finder watches for it), so ``isinstance(loader, importlib.util.LazyLoader)``
# holds whenever someone can ask.


class _WrappingLoader:
    """Forwards every loader method but ``exec_module`` to the loader it wraps."""

    loader: object

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def _unwrap(self, module):
        """From here on the module's ``__loader__`` and ``__spec__.loader`` are the real
        loader, as without lazyhook; returns the spec."""
        spec = module.__spec__
        spec.loader = self.loader
        module.__loader__ = self.loader
        return spec

    def __getattr__(self, attr):
        if attr == "loader":
            raise AttributeError(attr)
        return getattr(self.loader, attr)


class LazyHookLoader(_WrappingLoader):
    """Defers ``exec_module`` of the real loader; forwards everything else to it.

    Forwarding keeps ``get_code`` (``python -m``), ``get_source`` (tracebacks) and
    ``get_resource_reader`` (``importlib.resources``) working; after ``exec_module``
    the module's ``__loader__`` and ``__spec__.loader`` are the real loader again.
    """

    def __init__(self, loader, import_site: tuple[str, int, str], importer_namespace: dict | None = None) -> None:
        self.loader = loader
        self.import_site = import_site
        self.importer_namespace = importer_namespace  # where the statement binds the module

    def exec_module(self, module) -> None:
        spec = self._unwrap(module)
        if not _lazymodule.defer(module, spec, self.loader, self.import_site, self.importer_namespace):
            self.loader.exec_module(module)
            return
        statement = _frames.statement_frame(sys._getframe(1))
        if statement is not None and _frames.is_import_statement(statement):
            _lazymodule.bind_module(module, statement)


def register_with_lazyloader(util_module) -> None:
    """Make ``LazyHookLoader`` a subclass of ``importlib.util.LazyLoader`` (ABC register)."""
    util_module.LazyLoader.register(LazyHookLoader)


class PostExecLoader(_WrappingLoader):
    """Runs the real loader, then a callback with the module (a post-import hook)."""

    def __init__(self, loader, callback) -> None:
        self.loader = loader
        self.callback = callback

    def exec_module(self, module) -> None:
        self._unwrap(module)
        self.loader.exec_module(module)
        self.callback(module)


if _cpython.NATIVE:  # 3.15+ only: elsewhere its code loads, but no class is built
    class RecordingLoader(_WrappingLoader):
        """Python 3.15+: runs the real loader for a lazy import the interpreter resolves,
        recorded as the emulation records its loads (module, site, first use, cost)."""

        def __init__(self, loader, import_site: tuple[str, int, str], first_use: tuple[str, int, str, str]) -> None:
            self.loader = loader
            self.import_site = import_site
            self.first_use = first_use

        def exec_module(self, module) -> None:
            spec = self._unwrap(module)
            entry = _lazymodule.Entry(module, spec, self.loader, self.import_site, type(module))
            entry.first_use = self.first_use
            from ._lifecycle import run_recorded

            run_recorded(entry, self.loader.exec_module)

    _cpython.as_import_machinery(RecordingLoader.exec_module)


if "importlib.util" in sys.modules:
    register_with_lazyloader(sys.modules["importlib.util"])


class AdoptLoader:
    """Hands the import system a module that a package body already imported.

    An eager import of a submodule of a pending package loads the package first
    (a body never runs before its parent's); if that body imported the submodule
    itself, the import system must get that module, not run it a second time.
    """

    def __init__(self, module) -> None:
        self.module = module
        self.original_spec = module.__spec__

    def create_module(self, spec):
        return self.module

    def exec_module(self, module) -> None:
        module.__spec__ = self.original_spec


def adopt_spec(module):
    """A spec whose loading hands back ``module`` unchanged.

    ``_find_spec`` in ``importlib._bootstrap`` prefers ``module.__spec__`` of a module
    that appeared in ``sys.modules`` while finders ran, so the adopting spec is put
    there too until ``exec_module`` restores the original.
    """
    spec = _cpython.spec_from_loader(module.__name__, AdoptLoader(module))
    module.__spec__ = spec
    return spec
