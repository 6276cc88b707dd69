"""lazyhook: make ordinary ``import torch`` statements lazy, with no code change.

This module is all that interpreter start-up and ``import lazyhook; lazyhook.install()``
load (each further module would cost ~0.3 ms: docs/how-it-works.md): the ways in, the
policy when plain names say all of it, the finder's fast path, and ``_state``, the one
object that holds all of lazyhook's mutable state.

PYTEST_DONT_REWRITE: pytest marks every module of a distribution with a ``pytest11``
entry point for assertion rewriting and warns when the package was imported first (as
``LAZY_IMPORTS`` does at interpreter start-up); lazyhook holds no test assertions.
"""

import sys
from _thread import RLock
from sys import _getframe

__all__ = [
    "Installation", "LazyImportError", "PolicyError", "attach", "events", "install", "is_pending",
    "lazy_import", "load_all", "on_load", "preload", "report", "status", "uninstall", "write_report",
    "__version__",
]
__version__ = "0.1.0"

# The interpreters whose internals lazyhook knows: each has a row in ``_cpython.TABLE``
# (tests/test_cpython.py checks the two agree).  On any other, install() defers nothing.
_KNOWN_VERSIONS = ((3, 11), (3, 12), (3, 13), (3, 14), (3, 15))
_VERSION = sys.version_info[:2]
_SUPPORTED = _VERSION in _KNOWN_VERSIONS
_NATIVE = _SUPPORTED and hasattr(sys, "set_lazy_imports")  # PEP 810: the interpreter defers


# The rest of the API, defined in ``_api`` and its modules, loaded with its first use
# (PEP 562).  Type checkers read the names from here:
TYPE_CHECKING = False
if TYPE_CHECKING:
    from ._api import attach, events, lazy_import, load_all, on_load, preload, report, status, write_report
    from ._lazymodule import LazyImportError
    from ._policy import PolicyError
_LATER = {"LazyImportError": "_lazymodule", "PolicyError": "_policy", "load_ipython_extension": "_ipython",
          "unload_ipython_extension": "_ipython"}  # %load_ext lazyhook


def __getattr__(name: str):
    module = _LATER.get(name, "_api")
    if module == "_api" and name not in __all__:
        raise AttributeError(f"module 'lazyhook' has no attribute {name!r}")
    __import__(f"lazyhook.{module}")
    value = getattr(sys.modules[f"lazyhook.{module}"], name)
    globals()[name] = value
    return value


def __dir__() -> "list[str]":
    return sorted(set(globals()) | set(__all__))


# --- the policy ------------------------------------------------------------------------
# Reading and validating files, presets and error messages: ``_policy`` (imported only
# when the environment holds more than plain names), which re-exports these names.
_ENV_NAMES = "LAZY_IMPORTS"  # names and @presets, comma-separated
_ENV_POLICY = "LAZYHOOK_POLICY"  # path of a policy file
_ENV_DISABLE = "LAZYHOOK_DISABLE"  # kill switch: 1/true/yes/on
_ENV_REPORT = "LAZYHOOK_REPORT"  # none | summary | json | trace | html
_ENV_REPORT_FILE = "LAZYHOOK_REPORT_FILE"  # where json/trace/html go at exit
_ENV_REPORT_DIR = "LAZYHOOK_REPORT_DIR"  # one report file per process, for `lazyhook report`
_PROJECT_FILES = ("lazyhook.toml", "pyproject.toml")  # found in the current directory, not named

# Modules that break when their body runs later than the import statement.  Applied
# to every policy unless listed under ``force-lazy``.
_NEVER_LAZY = {  # name -> why
    "ddtrace": "instruments libraries as they are imported (ddtrace.auto); deferred, it misses them",
    "opentelemetry": "auto-instrumentation patches libraries at import; deferred, it misses them",
    "setuptools": "replaces the stdlib distutils at import (_distutils_hack)",
    "pkg_resources": "declares namespace packages and fixes sys.path at import",
    "readline": "changes how input() edits lines, as an import side effect",
    "rlcompleter": "installs tab completion in readline, as an import side effect",
    "absl": "absl.logging sets the logging module's logger class and root handler at import",
    "seaborn": "registers its colormaps (rocket, mako, ...) with matplotlib at import; deferred, "
               "matplotlib.colormaps['rocket'] fails until something uses seaborn",
    "sklearn.experimental": "its modules exist for their import side effect (enable_iterative_imputer adds "
                            "IterativeImputer to sklearn.impute); deferred, it never happens",
}

# Modules lazyhook itself imports while it defers, loads, records or reports: deferring
# one would make lazyhook load it from inside its own finder (RecursionError).  Eager
# always, even under ``force-lazy``.
_OWN_DEPENDENCIES = frozenset({
    "os", "sys", "time", "threading", "importlib", "json", "marshal", "tomllib", "atexit", "html", "difflib",
    "opcode", "uuid", "socket", "warnings", "lazyhook",
})


class Policy:
    """The resolved policy: lazy names with the reason for each, and where it came from."""

    def __init__(self) -> None:
        self.enabled = True
        self.disabled_by = ""
        self.lazy: dict[str, str] = {}  # name -> why it is lazy
        self.never_lazy: dict[str, str] = {}  # name -> why it is eager
        self.force_lazy: set[str] = set()
        self.excluded: dict[str, str] = {}  # configured lazy but eager, -> why
        self.report = "none"
        self.report_file: str | None = None
        self.report_dir: str | None = None
        self.priorities: dict[str, int] = {}
        self.sources_found: list[tuple[str, str]] = []  # (kind, path)
        self.file_in_effect: tuple[str, str] | None = None

    def add(self, names, why: str) -> None:
        for name in names:
            self.lazy.setdefault(name, why)

    def finish(self) -> "Policy":
        """Apply the built-in never-lazy list and the policy's own exclusions."""
        self.excluded = {}
        for name in list(self.lazy):
            if name in _OWN_DEPENDENCIES:
                self.excluded[name] = "lazyhook itself imports it while loading and reporting"
                continue
            if name in self.force_lazy:
                continue
            if name in _NEVER_LAZY:
                self.excluded[name] = f"built-in never-lazy list: {_NEVER_LAZY[name]}"
            elif name in self.never_lazy:
                self.excluded[name] = self.never_lazy[name]
        for name in self.excluded:
            del self.lazy[name]
        return self

    def never_lazy_names(self) -> "list[str]":
        """Subtrees the finder must import eagerly (dotted entries included)."""
        names = set(self.never_lazy)
        names.update(n for n in _NEVER_LAZY if "." in n and n not in self.force_lazy)
        return sorted(names)


def _plain_names(names) -> bool:
    """Top-level module names only: no preset, no submodule, nothing to explain."""
    for name in names:
        if type(name) is not str or not name.isidentifier():
            return False
    return True


def _resolve_plain(files: bool = True, project_files: bool = True, environment_policy: "dict | None" = None,
                   environment_origin: str = "") -> "Policy | None":
    """The policy in effect when plain names say all of it (``LAZY_IMPORTS``, an enabled
    environment's ``lazy`` list), exactly as ``_policy.resolve`` would give it; None when
    there is more to read (a policy file, presets, report settings, a kill-switch value,
    bad input), which ``_policy.resolve`` handles and explains."""
    import os

    environ = os.environ
    if environ.get(_ENV_DISABLE, "0") != "0" or environ.get(_ENV_REPORT):
        return None
    policy = Policy()
    if not files:
        return policy
    if environ.get(_ENV_POLICY):
        return None
    if project_files:
        try:
            here = os.getcwd()
        except OSError:
            return None
        for filename in _PROJECT_FILES:
            path = os.path.join(here, filename)
            if os.path.isfile(path):
                if filename != "pyproject.toml":
                    return None
                # Most projects have one, without a lazyhook table: once parsed, the
                # cache says so without the policy parser (``_policycache``).
                from ._policycache import known_without_table

                if not known_without_table(path):
                    return None
    if environment_policy is not None:
        names = environment_policy.get("lazy", ())
        if environment_policy.keys() - {"lazy"} or not isinstance(names, list) or not _plain_names(names):
            return None
        policy.sources_found.append(("environment", environment_origin))
        policy.file_in_effect = ("environment", environment_origin)
        policy.add(names, f"listed in environment policy ({environment_origin})")
    text = environ.get(_ENV_NAMES)
    if text:
        names = text.replace(";", ",").replace(",", " ").split()
        if not _plain_names(names):
            return None
        policy.add(names, _ENV_NAMES)
    policy.report_file = environ.get(_ENV_REPORT_FILE) or None
    policy.report_dir = environ.get(_ENV_REPORT_DIR) or None
    return policy


# --- the finder's fast path --------------------------------------------------------------
# The frames of the import system, skipped to find the module an import came from.
# CPython internals: ``_cpython`` re-exports them with the rest (they are here because
# the finder's fast path needs them at start-up, and ``_cpython`` is not imported then).
_BOOTSTRAP_FILES = frozenset({"<frozen importlib._bootstrap>", "<frozen importlib._bootstrap_external>"})
_BOOTSTRAP_MODULES = frozenset({"_frozen_importlib", "_frozen_importlib_external",
                                "importlib._bootstrap", "importlib._bootstrap_external"})


# The import system calls a finder's ``find_spec`` from ``_find_spec``, which
# ``_find_and_load_unlocked`` calls, which ``_find_and_load`` calls (3.11-3.15): the code
# that imported is the next frame up, or further past more importlib frames (a parent's
# import, ``_handle_fromlist``, ``importlib.import_module``).  Starting there reads one
# frame instead of four at every import.  (``importlib.util.find_spec`` calls
# ``_find_spec`` itself: what it names as the importer is no import statement either way.)
_IMPORT_SYSTEM_FRAMES = 3


# The module an import system call came from, ``depth`` frames above the caller is the
# finder's ``find_spec``: on 3.12+ read without materialising any frame object
# (``sys._getframemodulename``; the importer is in ``sys.modules`` while its body runs).
if hasattr(sys, "_getframemodulename"):
    def _importer_name(depth: int, _name=sys._getframemodulename) -> "str | None":
        try:
            depth += 2 + _IMPORT_SYSTEM_FRAMES
            name = _name(depth)
            while name in _BOOTSTRAP_MODULES:
                depth += 1
                name = _name(depth)
        except ValueError:
            return None
        return name
else:
    def _importer_name(depth: int) -> "str | None":
        try:
            frame = sys._getframe(depth + 2 + _IMPORT_SYSTEM_FRAMES)
        except ValueError:
            return None
        while frame is not None and frame.f_code.co_filename in _BOOTSTRAP_FILES:
            frame = frame.f_back
        return frame.f_globals.get("__name__") if frame is not None else None


# The globals of the import system's own frames, which the finder's ``__lazy_modules__``
# look steps past (by identity: one comparison per frame, no string read).
_BOOTSTRAP_GLOBALS = sys.modules["_frozen_importlib"].__dict__
_BOOTSTRAP_EXTERNAL_GLOBALS = sys.modules["_frozen_importlib_external"].__dict__
# From the finder's ``find_spec`` frame to the frame whose statement imported.
_FIND_SPEC_TO_IMPORTER = 1 + _IMPORT_SYSTEM_FRAMES
# 3.12+: a frame's module (its function's ``__module__``) without making its frame object.
_frame_module_name = getattr(sys, "_getframemodulename", None)
# A module's own namespace, read past its class (a pending module's never loads it).
_module_namespace = type(sys).__dict__["__dict__"].__get__


# lazyhook._finder (the deferral decision), once the first configured import needed it.
_slow_path = None


class LazyFinder:
    """Hands out lazily loading specs for the configured top-level packages.

    The fast path is one set lookup and one ``startswith`` for every module that is not
    configured: no I/O, no lock, no allocation (while ``__lazy_modules__`` counts, one
    look at the importing frame's globals).  What happens for a configured name is
    ``_finder.find_configured``.
    """

    def __init__(self) -> None:
        self.roots: set[str] = set()  # configured: imports of these may be deferred
        # What find_spec looks at: the configured roots, plus (after uninstall) the roots
        # of trees still pending, whose eager submodule imports must load parents first.
        self.watched: set[str] = set()
        self.subtrees: tuple[str, ...] = ()  # "<name>." for each top-level name watched
        # "<root>." for each tree whose own imports find_spec must not answer itself
        # (something of it is pending), or "" (all of them): ``trees_changed``.
        self.busy_subtrees: tuple[str, ...] = ("",)
        self.busy_roots: dict[str, str] = {}  # root -> "<root>." for each tree with a pending module
        self.never_lazy: frozenset[str] = frozenset()
        self.policy: Policy | None = None  # the resolved policy last installed, for status
        self.profile_all = False  # `lazyhook suggest`: every third-party package is lazy
        # Whether a module's ``__lazy_modules__`` defers what it lists (PEP 810): while
        # lazyhook is active at all, unless the kill switch is on.
        self.lazy_modules = False
        # Python 3.15+: where each module the filter let the interpreter defer was imported.
        self.import_sites: dict[str, tuple[str, int, str]] = {}
        # Configured top-level names first imported eagerly: name -> (why, file, line).
        self.eager_imports: dict[str, tuple[str, str, int]] = {}

    def find_spec(self, name, path=None, target=None):
        # Runs at every import the program makes, between the import system's own work,
        # where each further call or object touched costs more than its instructions
        # (docs/performance.md): hence one function, and the importing frame read once.
        if name in self.watched:
            return (_slow_path or _decision()).find_configured(self, name, path, target)
        own = name.startswith(self.subtrees)
        if own:  # a submodule of a watched package
            if name.startswith(self.busy_subtrees):
                return (_slow_path or _decision()).find_configured(self, name, path, target)
        elif self.profile_all:  # (_apply imported the slow path for it)
            if not _slow_path.adopt_for_profile(self, name.partition(".")[0]):
                return None
            return _slow_path.find_configured(self, name, path, target)
        elif not self.lazy_modules:
            return None
        # The code that imported, past importlib's frames (a parent's import,
        # ``_handle_fromlist``, ``import_module``).
        if own and _frame_module_name is not None:
            # 3.12+: only its module's name is needed, read without making a frame object
            # for it or any frame passed (each object made here also brings the cyclic
            # collector's next run closer: docs/performance.md).
            depth = _FIND_SPEC_TO_IMPORTER
            importer = _frame_module_name(depth)
            while importer in _BOOTSTRAP_MODULES:
                depth += 1
                importer = _frame_module_name(depth)
        elif _frame_module_name is not None:
            # 3.12+: past importlib's frames by their module's name, then one frame object,
            # the importer's (made once per body and kept by it): walking ``f_back`` made
            # one for each importlib frame, at every import (``_handle_fromlist`` and
            # ``import_module`` add three or four).
            depth = _FIND_SPEC_TO_IMPORTER
            try:
                while _frame_module_name(depth) in _BOOTSTRAP_MODULES:
                    depth += 1
                namespace = _getframe(depth).f_globals
            except ValueError:
                return None
            if not namespace.get("__lazy_modules__"):
                return None  # PEP 810 reads the importing frame's globals for __lazy_modules__
            return (_slow_path or _decision()).find_configured(self, name, path, target)
        else:
            try:
                frame = _getframe(_FIND_SPEC_TO_IMPORTER)
            except ValueError:
                namespace = None
            else:
                namespace = frame.f_globals
                while namespace is _BOOTSTRAP_GLOBALS or namespace is _BOOTSTRAP_EXTERNAL_GLOBALS:
                    frame = frame.f_back
                    namespace = frame.f_globals if frame is not None else None
            if not own:
                if namespace is None or not namespace.get("__lazy_modules__"):
                    return None  # PEP 810 reads the importing frame's globals for __lazy_modules__
                return (_slow_path or _decision()).find_configured(self, name, path, target)
            importer = namespace.get("__name__") if namespace is not None else None
        # The package importing its own submodule while nothing of its tree is pending:
        # eager, and the other finders answer it (scipy.stats's body imports ~500 of its
        # own modules); the slow path would answer the same, in four calls.  Unless the
        # importer lists modules in ``__lazy_modules__``: what it lists defers, as on 3.15
        # (the slow path reads the statement's own globals).
        dot = name.index(".")
        if (type(importer) is str and importer.startswith(name[:dot])
                and (len(importer) == dot or importer[dot] == ".")):
            if not self.lazy_modules:
                return None
            if _frame_module_name is not None:
                # 3.12+: the importer's module namespace, not its frame's: the same dict for
                # a body the import system runs.  Anything else asks the slow path.
                try:
                    namespace = _module_namespace(sys.modules[importer])
                except (KeyError, TypeError):  # no module under that name: the slow path reads the frame
                    return (_slow_path or _decision()).find_configured(self, name, path, target)
            if namespace is None or not namespace.get("__lazy_modules__"):
                return None
        return (_slow_path or _decision()).find_configured(self, name, path, target)

    def watch(self, name: str) -> None:
        """Send imports of ``name`` (and, for a top-level name, of its submodules) to ``find_configured``."""
        if name in self.watched:  # each deferral asks again
            return
        with _state.lock:  # new sets and tuples, never changed in place (watch_only)
            if name in self.watched:
                return
            if "." not in name:
                self.subtrees += (f"{name}.",)
            self.watched = self.watched | {name}

    def unwatch(self, name: str) -> None:
        with _state.lock:
            self.watch_only(self.watched - {name})

    def watch_only(self, names: "set[str]") -> None:
        # A new set each time, never changed in place: find_spec reads it without the
        # lock.  ``subtrees`` lets it test a dotted name with one ``str.startswith``, not
        # a slice of every name imported.
        with _state.lock:
            self.subtrees = tuple(f"{name}." for name in names if "." not in name)
            self.watched = set(names)

    def trees_changed(self, root: "str | None" = None) -> None:
        """Recompute ``busy_subtrees`` after anything the own-import answer depends on
        changed: a module of a tree deferred, revived or loading, a failure held for its
        next use, a child to adopt.  Called where the change is made, under the lock, so
        no thread's next import sees the change without it; with the ``root`` of the one
        tree that changed, only that tree is looked at (a program deferring hundreds of
        modules through ``__lazy_modules__`` makes hundreds of trees).  Missing a change
        that settles a tree costs speed only (its own imports take the slow path).

        A tree deferred only because an importer listed it in ``__lazy_modules__`` is
        watched while something of it is unsettled (its submodules' imports must run
        pending parents first); once nothing is, its imports take the fast path again
        (a later import of it from a module that lists nothing is an ordinary import)."""
        state = _state
        with state.lock:
            busy = self.busy_roots
            if root is None:
                busy.clear()
            for name in state.trees if root is None else (root,):
                if any(entry.state is _PENDING for entry in state.trees.get(name, ())):
                    if name not in busy:
                        busy[name] = f"{name}."
                else:
                    busy.pop(name, None)
            if (root is not None and root in self.watched and root not in self.roots and root not in state.trees
                    and not _NATIVE and not any(name == root or name.startswith(f"{root}.")
                                                for name in (*state.failed, *state.adopt_next))):
                self.unwatch(root)
            if _NATIVE or state.adopt_next or state.failed:
                self.busy_subtrees = ("",)  # every name: the slow path looks at those first
            else:
                self.busy_subtrees = tuple(busy.values())

    def is_never_lazy(self, name: str) -> bool:
        for excluded in self.never_lazy:
            if name == excluded or name.startswith(excluded + "."):
                return True
        return False

    def would_defer(self, name: str, statement, offset: "int | None" = None) -> bool:
        """The one rule (``_finder.would_defer``), as the lazy-module core asks it."""
        return (_slow_path or _decision()).would_defer(self, name, statement, offset)

    def invalidate_caches(self) -> None:
        pass


_PENDING = "pending"  # a deferred module's state before its body runs (``_lazymodule.PENDING``)


def _trees_changed(root: "str | None" = None) -> None:
    """``LazyFinder.trees_changed`` of the finder in place, if any (the lazy-module core
    calls it wherever an entry's state, a held failure or a child to adopt changes)."""
    finder = _state.finder
    if finder is not None:
        finder.trees_changed(root)


def _find_spec_elsewhere(name, path, target=None, broken_finders_answer_none: bool = False):
    """The spec every finder but lazyhook's would give (``_bootstrap._find_spec``'s loop):
    editable installs and other hooks keep working.  A finder that raises propagates, as
    in an import, unless asked (a diagnosis such as ``status``: "not here").  Here, not in
    ``_finder``: the 3.15 filter asks it at import statements without loading the core."""
    for finder in sys.meta_path:
        if isinstance(finder, LazyFinder):
            continue
        find = getattr(finder, "find_spec", None)
        if find is None:
            continue
        try:
            spec = find(name, path, target)
        except Exception:
            if broken_finders_answer_none:
                continue
            raise
        if spec is not None:
            return spec
    return None


def _decision():
    global _slow_path
    from . import _finder

    _slow_path = _finder
    return _finder


# --- lazyhook's state ---------------------------------------------------------------------
class _State:
    """All of lazyhook's mutable state: one object, one lock, one ``reset()``.

    The ways in, the lazy-module core (``_lazymodule``, ``_lifecycle``), deferred
    from-imports, reports, the 3.15 backend and the IPython extension keep what they
    know here and nowhere else (CPython keeps per-module import state on the spec;
    pytest's rewrite hook on the hook object).  ``lock`` guards every change; it is
    re-entrant, held only for bookkeeping, never while a module body runs (bodies run
    under the import system's own per-module locks), and re-created in a forked child.
    Containers are cleared in place, never replaced: the lazy class binds
    ``entries.get`` once, for its per-attribute fast path.
    """

    # What reset() empties (in place).
    _CONTAINERS = ("handles", "warned", "entries", "by_name", "trees", "history", "listeners",
                   "requested_use", "failed_here", "adopt_next", "inherited_loads", "failed", "loading_stack",
                   "deferred_from", "quiet", "preloads", "callbacks", "exit_actions", "file_labels")

    def __init__(self) -> None:
        self.lock = RLock()
        self.finder: LazyFinder | None = None  # the one finder, in sys.meta_path while it has work
        self.handles: list[Installation] = []  # handles whose contribution is in effect, oldest first
        # The installed finder's rule (would it defer this import?), or None: every import eager.
        self.rule = None
        self.activated_by: str | None = None  # the start-up file that activated lazyhook here, if any
        self.warned: set[str] = set()  # messages written to stderr once
        # -- the lazy-module core: entries of deferred modules (``_lazymodule.Entry``)
        self.entries: dict = {}  # id(module) -> entry, for pending/loading/failed modules
        self.by_name: dict = {}  # pending/loading modules by name
        self.trees: dict = {}  # top-level name -> pending entries in import order
        self.history: list = []  # every entry ever deferred, for status and reports
        self.listeners: list = []  # callables(entry) run after each load, outside every lock
        # thread id -> (file, line, function, what) of a load a tool asked for (preload):
        # the trigger recorded for loads on that thread instead of the calling frame.
        self.requested_use: dict = {}
        # thread id -> (entry, id of the statement's frame, its offset) of a load that
        # failed in an import statement's ``__spec__`` read: the same statement asking
        # again gets the same error without a second run (3.11 drops that read's error).
        self.failed_here: dict = {}
        # Child modules a parent's body imported while an eager import of that child
        # was already under way: the finder hands them back instead of running them again.
        self.adopt_next: dict = {}
        # In a forked child: the loads its parent had finished (ids of entries), which
        # the child's reports leave out (each process reports its own loads once).
        self.inherited_loads: set[int] = set()
        self.failed: dict = {}  # name -> the failed entry its next use retries
        self.loading_stack: dict = {}  # thread id -> names of lazy loads under way
        # -- deferred from-imports: pending module name -> the keys of deferred
        # ``from <it> import ...``, in statement order; threads rearranging a namespace
        # (lazy names compare as plain strings for them).
        self.deferred_from: dict = {}
        self.quiet: set[int] = set()
        # -- background preloads not finished yet (``_preload.Preload``)
        self.preloads: list = []
        # -- reports
        self.callbacks: list = []  # on_load() callbacks
        self.exit_actions: dict = {}  # kind -> target of each report produced at exit
        self.file_labels: list = []  # file -> display name or None (the IPython extension's cells)
        self.directory_report = None  # ``_report._DirectoryReport`` of a report directory
        self.atexit_registered = False  # once per process: atexit cannot forget a callable
        self.exit_done_in: int | None = None  # the pid whose exit reports were produced
        self.process_start: float | None = None  # epoch seconds, read once per process
        self.native_saved: tuple | None = None
        self.shell = None

    def reset(self) -> None:
        """Back to what ``import lazyhook`` gives: no finder, no handles, no deferred
        modules or load records, no callbacks or exit reports, the interpreter's
        lazy-import mode and filter as before (3.15).  For test isolation
        (tests/conftest.py); it leaves ``sys.modules`` and the program's modules alone."""
        with self.lock:
            self.handles.clear()
            _apply()
            finder, self.finder = self.finder, None
            if finder is not None:
                sys.meta_path[:] = [entry for entry in sys.meta_path if entry is not finder]
            if self.directory_report is not None:
                self.directory_report.forget_parents_file()
            for name in self._CONTAINERS:
                getattr(self, name).clear()
            self.rule = self.activated_by = self.directory_report = None
            self.exit_done_in = self.process_start = self.native_saved = self.shell = None

    def after_fork_in_child(self) -> None:
        """The lock may have been held at the fork by a thread the child does not have."""
        self.lock = RLock()
        self.quiet.clear()


_state = _State()
try:
    from os import register_at_fork as _register_at_fork
except ImportError:  # pragma: no cover - no fork on this platform
    pass
else:
    _register_at_fork(after_in_child=_state.after_fork_in_child)


# --- the ways in ------------------------------------------------------------------------
class Installation:
    """Handle returned by :func:`install`; as a context manager it uninstalls on exit.

    A handle undoes what its own ``install()`` did and nothing else: the names it added
    stay lazy while another active handle also asked for them, and a handle returned
    under the kill switch (which installed nothing) removes nothing.
    """

    def __init__(self, finder: "LazyFinder | None", policy: "Policy | None" = None, names=frozenset(),
                 never_lazy=frozenset(), disabled: bool = False, profile_all: bool = False) -> None:
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
        with _state.lock:
            if self in _state.handles:
                _state.handles.remove(self)
                _apply()

    def __enter__(self) -> "Installation":
        return self

    def __exit__(self, *exc_info) -> None:
        self.uninstall()

    def __repr__(self) -> str:
        return f"<lazyhook.Installation packages={sorted(self.packages)}>"


def install(packages=None, *, never_lazy=(), policy: bool = True) -> Installation:
    """Defer module-level imports of configured packages until their first use.

    With no arguments the policy in effect is used (``LAZYHOOK_POLICY``, ``lazyhook.toml``,
    ``[tool.lazyhook]``, the environment's policy, ``LAZY_IMPORTS``); ``packages`` (top-level
    names or ``@preset``) add to it, ``never_lazy`` names packages or subtrees to keep eager,
    and ``policy=False`` ignores every file and variable but the kill switch.  Bad input
    raises ``PolicyError`` naming the source and the fix.  Idempotent: a second call adds
    names to the one finder at ``sys.meta_path[0]``.
    """
    if isinstance(packages, str):
        raise TypeError("lazyhook.install() takes a list of names, e.g. install(['torch'])")
    names = packages or ()
    resolved = _resolve_plain(files=policy) if not never_lazy and _plain_names(names) else None
    if resolved is None:
        from . import _policy

        resolved = _policy.resolve(files=policy)
        _policy.add_names(resolved, names, "install()")
        _policy.add_never_lazy(resolved, never_lazy)
    else:
        resolved.add(names, "install()")
    return install_policy(resolved.finish())


def _activate(environment_policy: "dict | None" = None, origin: str = "", via: str = "") -> None:
    """Interpreter start-up (``lazyhook.pth``, an enabled environment's module): install
    the policy in effect; once; never raises.

    The trust rule: start-up never reads the current directory's policy files.  Any
    problem becomes one warning line on stderr and every import stays eager.
    """
    if _state.activated_by is not None:
        return
    _state.activated_by = via
    try:
        resolved = _resolve_plain(environment_policy=environment_policy, environment_origin=origin,
                                  project_files=False)
        if resolved is None:
            from . import _policy

            resolved = _policy.resolve(environment_policy=environment_policy, environment_origin=origin,
                                       project_files=False)
        import os

        # `lazyhook suggest`: every third-party package is lazy, to see which get used.
        profile_all = bool(os.environ.get("LAZYHOOK_PROFILE_ALL")) and resolved.enabled
        install_policy(resolved.finish(), profile_all=profile_all)
    except Exception as exc:  # noqa: BLE001 - start-up must survive anything we do
        message = " ".join(str(exc).split())
        sys.stderr.write(f"lazyhook: {message} -- imports stay eager\n")


def _pth() -> None:
    """``lazyhook.pth``: its line only asks whether a setting's name is in the environment
    (kept short: ``site`` compiles it at every start, twice in a 3.11 venv); here the
    values are read, and set-but-empty activates nothing."""
    from os import environ

    if any(map(environ.get, (_ENV_NAMES, _ENV_POLICY, "LAZYHOOK_PROFILE_ALL", _ENV_DISABLE))):
        _activate(via="lazyhook.pth")


def install_policy(resolved: Policy, profile_all: bool = False) -> Installation:
    """Install a resolved policy (the one code path behind every way in)."""
    with _state.lock:
        if not _SUPPORTED:
            known = ", ".join(f"{major}.{minor}" for major, minor in _KNOWN_VERSIONS)
            _warn_once(f"Python {_VERSION[0]}.{_VERSION[1]} is not one lazyhook knows ({known}); every import "
                       f"stays eager until a lazyhook release supports it")
            return Installation(None, resolved)
        if not resolved.enabled:
            if not _NATIVE:
                return Installation(_state.finder, resolved)  # installed nothing: undoes nothing
            # 3.15+: the kill switch covers `lazy import` statements too.
            handle = Installation(_state.finder, resolved, disabled=True)
        else:
            handle = Installation(_state.finder, resolved, resolved.lazy, resolved.never_lazy_names(),
                                  profile_all=profile_all)
        _state.handles.append(handle)
        _apply()
        handle.finder = _state.finder
        if _state.finder is not None:
            _state.finder.policy = resolved
        if resolved.report != "none" or resolved.report_dir or resolved.report_file:
            from ._report import arrange_at_exit  # the report module loads only when asked for

            arrange_at_exit(resolved)
        return handle


def _apply() -> None:
    """Make the finder and the interpreter match the union of the active handles.

    With no name lazy the finder defers nothing; it stays in ``sys.meta_path`` while
    modules it deferred are pending (an eager import of their submodules must run the
    pending parent first) and leaves once nothing is (3.15+: the interpreter loads what
    is pending without lazyhook's help).
    """
    state = _state
    names, never_lazy = set(), set()
    profile_all = disabled = False
    for handle in state.handles:
        names |= handle.names
        never_lazy |= handle.never_lazy
        profile_all = profile_all or handle.profile_all
        disabled = disabled or handle.disabled
    lazy_modules = bool(state.handles) and not disabled
    active = bool(names) or profile_all or lazy_modules
    if profile_all and _slow_path is None:
        _decision()  # profiling asks it about every import: import it before the finder is in place
    pending = set(state.trees) if not _NATIVE else set()
    finder = state.finder
    if finder is None and active:
        finder = state.finder = LazyFinder()
    if finder is not None:
        finder.profile_all = profile_all
        finder.lazy_modules = lazy_modules
        if not profile_all:  # profiling adds every third-party package it meets to roots
            finder.roots.clear()  # in place: 3.15's filter holds this very set
        finder.roots.update(names)
        finder.never_lazy = frozenset(never_lazy)
        finder.watch_only(names | pending)
        finder.trees_changed()
        state.rule = finder.would_defer if active and not _NATIVE else None
        if active or finder.watched:
            if not any(entry is finder for entry in sys.meta_path):  # identity: others' __eq__ may raise
                sys.meta_path.insert(0, finder)
        else:
            state.finder = None
            sys.meta_path[:] = [entry for entry in sys.meta_path if entry is not finder]
    if _NATIVE:
        from . import _native

        if disabled:
            _native.disable()
        elif active:
            _native.enable(finder)
        else:
            _native.restore()  # the mode and filter in effect before install()


def _warn_once(message: str) -> None:
    if message not in _state.warned:
        _state.warned.add(message)
        sys.stderr.write(f"lazyhook: {message}\n")


def uninstall() -> None:
    """Stop deferring imports, whoever installed them; bound modules stay usable.

    While modules it deferred are still pending, the finder stays in ``sys.meta_path``
    deferring nothing: an eager import of their submodules must still run the pending
    parent first (a body never runs before its parent's).  To undo one ``install()``
    alone, use the handle it returned.
    """
    with _state.lock:
        _state.handles.clear()
        _apply()


def is_pending(module) -> bool:
    """True while ``module`` (or the module named so) is imported but not yet loaded.

    Pass the name: evaluating a lazily imported global to pass it loads it (PEP 810
    resolves a lazy import when its name is loaded; 3.11-3.14 emulate that).  Defined
    here, it imports nothing (on 3.15, nothing once lazyhook is installed), so a loop
    over ``sys.modules`` may call it: an import inside such a loop changes the dict it
    walks ("dictionary changed size during iteration").
    """
    if _NATIVE:
        from ._native import interpreter_pending  # imported by install() on 3.15

        answer = interpreter_pending(module)
        if answer is not None:
            return answer
    if isinstance(module, str):
        module = sys.modules.get(module)
    entry = _state.entries.get(id(module))  # a module the lazy-module core deferred
    return entry is not None and entry.module is module and entry.state == _PENDING
