"""The ``sys.meta_path`` finder: decides from the name alone, then asks the others.

The fast path is one set lookup for every module that is not configured: no I/O, no
lock, no allocation (a submodule of an unconfigured package costs one slice).
"""

import sys
from _thread import get_ident

from . import _cpython
from ._cpython import importer_namespace

# The lazy-module life cycle and the frame reader, imported at the first configured
# import rather than at install() (start-up cost: docs/performance.md).
_frames = _lazymodule = None


def _load_core(finder) -> None:
    global _frames, _lazymodule
    from . import _frames as frames, _lazymodule as lazymodule

    _frames, _lazymodule = frames, lazymodule
    if (finder.roots or finder.lazy_modules) and not _cpython.NATIVE:
        lazymodule.would_defer = finder.would_defer

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


class LazyFinder:
    """Hands out lazily loading specs for the configured top-level packages."""

    def __init__(self) -> None:
        self.roots: set[str] = set()  # configured: imports of these may be deferred
        # What find_spec looks at: the configured roots, plus (after uninstall) the roots
        # of trees still pending, whose eager submodule imports must load parents first.
        self.watched: set[str] = set()
        self.never_lazy: frozenset[str] = frozenset()
        self.policy = None  # the resolved policy last installed, for status
        self.profile_all = False  # `lazyhook suggest`: every third-party package is lazy
        # Whether a module's ``__lazy_modules__`` defers what it lists (PEP 810): while
        # lazyhook is active at all, unless the kill switch is on.
        self.lazy_modules = False
        # Python 3.15+: where each module the filter let the interpreter defer was imported.
        self.import_sites: dict[str, tuple[str, int, str]] = {}
        # Configured top-level names first imported eagerly: name -> (why, file, line).
        self.eager_imports: dict[str, tuple[str, str, int]] = {}

    def find_spec(self, name, path=None, target=None):
        watched = self.watched
        if name not in watched:
            dot = name.find(".")
            if dot < 0 or name[:dot] not in watched:
                if self.profile_all:
                    if not self.adopt_for_profile(name if dot < 0 else name[:dot]):
                        return None
                elif not self.lazy_modules:
                    return None
                else:
                    namespace = importer_namespace(1)
                    if namespace is None or not namespace.get("__lazy_modules__"):
                        return None
        if _lazymodule is None:
            _load_core(self)
        return self._find_configured(name, path, target, sys._getframe(1))

    def adopt_for_profile(self, top: str) -> bool:
        """In profile-all mode, treat a third-party top-level package as configured."""
        from ._policy import NEVER_LAZY

        if top in sys.stdlib_module_names or top in NEVER_LAZY or top.startswith("_") or top == "lazyhook":
            return False
        self.roots.add(top)
        self.watched.add(top)
        return True

    def is_never_lazy(self, name: str) -> bool:
        for excluded in self.never_lazy:
            if name == excluded or name.startswith(excluded + "."):
                return True
        return False

    def would_defer(self, name: str, statement, offset: int | None = None) -> bool:
        """The one rule: a configured name, or one the importing module lists in
        ``__lazy_modules__``, not never-lazy, imported by a PEP 810 statement (whose
        IMPORT_NAME is at ``offset`` when the frame is past it)."""
        if name.partition(".")[0] not in self.roots:
            if not self.lazy_modules or not _frames.is_listed_lazy(statement, name, offset):
                return False
        if self.is_never_lazy(name):
            return False
        return _frames.is_deferrable(statement, name, offset)

    def _find_configured(self, name, path, target, frame):
        if _cpython.NATIVE:
            return self._find_native(name, path, target, frame)
        if name == "importlib.util":
            return self._watch_importlib_util(name, path, target)
        adopted = _lazymodule.adopt_next.pop(name, None)
        if adopted is not None:
            from ._loader import adopt_spec

            return adopt_spec(adopted)
        statement = _frames.statement_frame(frame)
        top = name.partition(".")[0]
        if statement is not None and not _lazymodule.has_pending(top):
            importer = statement.f_globals.get("__name__")
            if isinstance(importer, str) and importer.partition(".")[0] == top:
                # A package's own import with nothing of its tree pending: eager, and the
                # other finders answer it directly (the hot path while a body runs).
                return None
        deferrable = self.would_defer(name, statement)
        spec = self._delegate(name, path, target) or self._look_again_after_parent(name, target)
        if spec is None:
            return None  # the import fails right here, exactly as without lazyhook
        if not deferrable or not _can_defer(spec):
            if name in self.roots and name not in self.eager_imports:
                self._note_eager(name, statement)
        else:
            from ._loader import LazyHookLoader

            self.watched.add(top)  # a tree deferred through __lazy_modules__: its later imports come here
            if "importlib.util" not in sys.modules:
                self.watched.add("importlib.util")  # register LazyHookLoader when it arrives
            site = _frames.caller_site(statement)
            spec.loader = LazyHookLoader(spec.loader, site, statement.f_globals)
            return spec
        return self._eager_spec(name, spec)

    def _note_eager(self, name: str, statement) -> None:
        """Remember why a configured package was imported eagerly (status and reports)."""
        if self.is_never_lazy(name):
            why = "never-lazy"
        else:  # what the statement's rule says, else its spec could not be deferred
            why = (_frames.eager_reason(statement, name)
                   or "a namespace package or an extension module (never deferred)")
        file, line, _func = _frames.caller_site(statement)
        self.eager_imports[name] = (why, file, line)

    def _find_native(self, name, path, target, frame):
        """3.15+: the interpreter deferred it; record the load when it happens."""
        if name not in sys.lazy_modules and name not in self.import_sites:
            if name in self.roots and name not in self.eager_imports and name not in sys.modules:
                self._note_eager(name, _frames.statement_frame(frame))  # an ordinary eager import
            return None  # an ordinary eager import: not a lazy load
        # (``import a.b.c as x`` lists only ``a.b.c`` as lazy; its parents load with it.)
        spec = self._delegate(name, path, target)
        if spec is None or not hasattr(spec.loader, "exec_module"):
            return spec
        from ._loader import RecordingLoader

        site = self.import_sites.get(name)
        parent = name
        while site is None and parent:
            parent = parent.rpartition(".")[0]
            site = self.import_sites.get(parent)
        use = _lazymodule.requested_use.get(get_ident())
        if use is None:
            statement = _frames.statement_frame(frame)
            file, line, func = _frames.caller_site(statement)
            use = (file, line, func, (statement is not None and _cpython.name_being_loaded(statement)) or "<import>")
        spec.loader = RecordingLoader(spec.loader, site or ("<unknown>", 0, "<unknown>"), use)
        return spec

    def _look_again_after_parent(self, name, target):
        """Not found on a pending parent's ``__path__`` as it was before the parent's body:
        eager import would have run that body first, and bodies extend ``__path__``
        (``pkgutil.extend_path``, plugin directories).  Run it, then look again; a missing
        submodule then fails after its parent's body, exactly as eager import fails."""
        parent_name = name.rpartition(".")[0]
        entry = _lazymodule.pending_entry(parent_name) if parent_name else None
        if entry is None or entry.state != _lazymodule.PENDING:
            return None
        _lazymodule.load_now(entry.module)
        existing = sys.modules.get(name)
        if existing is not None:  # the parent's body imported it
            from ._loader import adopt_spec

            return adopt_spec(existing)
        parent = sys.modules.get(parent_name)
        path = getattr(parent, "__path__", None)
        return self._delegate(name, path, target) if path is not None else None

    def _eager_spec(self, name, spec):
        """An eager import inside a lazy tree: its pending ancestors run first."""
        parent = name.rpartition(".")[0]
        while parent:
            entry = _lazymodule.pending_entry(parent)
            if entry is not None and entry.state == _lazymodule.PENDING:
                _lazymodule.load_now(entry.module)
                existing = sys.modules.get(name)
                if existing is not None:
                    # _find_spec returns existing.__spec__ for a module that appeared
                    # while finders ran: make that a spec that hands it back unchanged.
                    from ._loader import adopt_spec

                    return adopt_spec(existing)
                break
            parent = parent.rpartition(".")[0]
        return spec

    def _watch_importlib_util(self, name, path, target):
        """When ``importlib.util`` is first imported, register LazyHookLoader with LazyLoader."""
        self.watched.discard(name)
        spec = self._delegate(name, path, target)
        if spec is not None and hasattr(spec.loader, "exec_module"):
            from ._loader import PostExecLoader, register_with_lazyloader

            spec.loader = PostExecLoader(spec.loader, register_with_lazyloader)
        return spec

    def _delegate(self, name, path, target):
        """Ask every other finder, so editable installs and other hooks keep working.

        Reached through the class so tests can prove the fast path never calls it.
        """
        return find_spec_elsewhere(name, path, target)

    def invalidate_caches(self) -> None:
        pass


def find_spec_elsewhere(name, path, target=None):
    """The spec every finder but lazyhook's would give (``_bootstrap._find_spec``'s loop)."""
    for finder in sys.meta_path:
        if isinstance(finder, LazyFinder):
            continue
        find = getattr(finder, "find_spec", None)
        if find is None:
            continue
        spec = find(name, path, target)
        if spec is not None:
            return spec
    return None
