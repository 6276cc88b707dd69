"""The life of a deferred module: pending -> loading -> loaded (or failed).

A deferred module is the very module object the import system created, with its
``__class__`` swapped to ``_LazyModule`` until first use (the CPython ``LazyLoader``
trick).  Differences from the stdlib, each a bug we guard against:

* the import system's own reads (``__spec__``, ``__path__``, submodule bindings) are
  answered without loading, so ``import a.b.c as x`` and a second ``import a`` stay
  lazy (the stdlib loads on the ``_initializing`` check in ``_find_and_load``);
* first use runs every pending module of the package's tree, ancestors first, in the
  order eager import would have used, each body under the import system's own lock of
  its module, as eager import runs it (re-entrant, with its deadlock detection:
  gh-114763 gave 3.11 no lock at all);
* a failing body leaves ``sys.modules`` as eager import would and every later use
  raises the same chained error (3.12 leaves a half-built module);
* a class the body sets on its own module survives (gh-117182), and a package that
  replaces itself in ``sys.modules`` is followed through the bound name (the stdlib
  raises ValueError).

After loading, the module's class is what eager import gives: no trace, no cost.
"""

import sys
from _thread import RLock, _count as _running_threads, get_ident
from time import time as _now

from . import _cpython, _frames

ModuleType = type(sys)
# A module's own namespace, read past any class attribute: never loads a pending module.
_module_dict = ModuleType.__dict__["__dict__"].__get__

PENDING, LOADING, LOADED, FAILED = "pending", "loading", "loaded", "failed"
IMPORTED_AT = _now()  # fallback origin of report times where the process start is unknown

# Attributes the import system (and tools walking sys.modules) read; a module body that
# has not run yet already has their final values, set by ``_init_module_attrs``.
_ANSWERED = frozenset(
    {"__name__", "__path__", "__file__", "__package__", "__loader__", "__cached__", "__class__"}
)
# The import system's attributes, set before any body runs: tools that walk sys.modules
# and rewrite them (CPython's regrtest absolutises every __file__ and __path__) set them
# on a pending module without loading it (loading would change sys.modules under them).
_SET_WITHOUT_LOADING = frozenset({"__file__", "__path__", "__cached__", "__loader__", "__package__"})
# Probed by tools walking modules; answered "absent" without loading.  Only a body that
# ran can have ``__warningregistry__`` (warnings-registry cleanup); pytest's fixture
# collection probes every name of a test module or conftest for ``_mock_name`` (a mock
# attribute), through ``inspect.unwrap``, ``__wrapped__`` (a function attribute), and,
# through ``issubclass(module, TestCase)``, ``__bases__`` (a class attribute): module
# bodies do not define them.
_NOT_BEFORE_BODY = frozenset({"__warningregistry__", "_mock_name", "__wrapped__", "__bases__"})
# pytest also asks every name ``__test__ is True`` (nose-style tests); a module may define
# ``__test__`` for doctest (a dict, never True), so only pytest's probe is answered absent.
_PYTEST_PROBES = frozenset({"__test__"})

_registry_lock = RLock()
_entries: "dict[int, Entry]" = {}  # id(module) -> entry, for pending/loading/failed modules
_by_name: "dict[str, Entry]" = {}  # pending/loading modules by name
_trees: "dict[str, list[Entry]]" = {}  # top-level name -> pending entries in import order
_substitutes: dict[int, object] = {}  # id(our module) -> what the body put in sys.modules
_history: "list[Entry]" = []  # every entry ever deferred, for status and reports
listeners: list = []  # callables(entry) run after each load, outside every lock
# Set by the installed finder: would it defer an import of ``name`` by this statement frame?
# With no finder installed every import is eager.
would_defer = None
# thread id -> (file, line, function, what) of a load a tool asked for (preload): the
# trigger recorded for loads on that thread instead of the calling frame.
requested_use: dict[int, tuple[str, int, str, str]] = {}
# thread id -> (entry, id of the statement's frame, its offset) of a load that failed in
# an import statement's ``__spec__`` read: the same statement asking again gets the same
# error without a second run (3.11 drops the error of that read and goes on).
_failed_here: dict = {}
# Child modules a parent's body imported while an eager import of that child was
# already under way: the finder hands them back instead of running them again.
adopt_next: dict[str, object] = {}
# In a forked child: the loads its parent had finished (ids of entries), which the
# child's reports leave out (each process reports its own loads once).
inherited_loads: set[int] = set()


class LazyImportError(ImportError):
    """A deferred module's body failed; raised at first use and at every later use."""

    __module__ = "lazyhook"


class Entry:
    """Bookkeeping for one deferred module."""

    __slots__ = (
        "name", "root", "module", "spec", "loader", "state", "thread", "final_class",
        "import_site", "first_use", "error", "start", "duration", "thread_name",
        "wall_start", "rss_before", "rss_after", "imported", "parent", "initial", "importer_namespace",
    )

    def __init__(self, module, spec, loader, import_site, final_class) -> None:
        self.name: str = spec.name
        self.root: str = spec.name.partition(".")[0]
        self.module = module
        self.spec = spec
        self.loader = loader
        self.state = PENDING
        self.thread = 0
        self.final_class = final_class
        self.import_site: tuple[str, int, str] = import_site
        self.first_use: tuple[str, int, str, str] | None = None
        self.error: BaseException | None = None
        self.start = 0.0  # perf_counter() when the body started
        self.duration = 0.0  # seconds, inclusive of everything the body imported
        self.thread_name = ""
        self.wall_start = 0.0  # time.time() when the body started
        self.rss_before: int | None = None
        self.rss_after: int | None = None
        self.imported: list[str] = []  # modules that entered sys.modules during the body
        self.parent: str | None = None  # the lazy load this one ran inside, if any
        self.initial: dict = {}  # the module's attributes before its body ran, for a retry
        # The namespace the deferring statement bound the module in: a body that replaces
        # its module in sys.modules has that binding rebound to the replacement.
        self.importer_namespace: dict | None = None

    def failure(self) -> LazyImportError:
        file, line, _func = self.import_site
        use = self.first_use
        used = f"{use[0]}:{use[1]} (attribute {use[3]!r})" if use else "unknown"
        err = self.error
        exc = LazyImportError(
            f"lazy module {self.name!r} failed to load: {type(err).__name__}: {err}\n"
            f"  imported at {file}:{line}\n  first used at {used}",
            name=self.name,
        )
        exc.__cause__ = err
        return exc


def is_pending(module) -> bool:
    entry = _entries.get(id(module))
    return entry is not None and entry.module is module and entry.state == PENDING


def pending_entry(name: str) -> Entry | None:
    return _by_name.get(name)


def has_pending(root: str) -> bool:
    """Whether any module of this top-level package's tree is still pending."""
    tree = _trees.get(root)
    return tree is not None and any(e.state is PENDING for e in tree)


def pending_roots() -> set[str]:
    return set(_trees)


_lazy_classes: dict[type, type] = {}


def lazy_class_for(cls: type) -> type | None:
    """``_LazyModule`` for plain modules; a combined class for a module subclass."""
    if cls is ModuleType:
        return _LazyModule
    if not isinstance(cls, type) or not issubclass(cls, ModuleType):
        return None
    combined = _lazy_classes.get(cls)
    if combined is None:
        try:
            combined = type(f"_Lazy[{cls.__qualname__}]", (_LazyModule, cls), {})
        except TypeError:
            return None
        _lazy_classes[cls] = combined
    return combined


def defer(module, spec, loader, import_site, importer_namespace: dict | None = None) -> bool:
    """Make ``module`` pending instead of executing it; False when it cannot be."""
    lazy_cls = lazy_class_for(type(module))
    if lazy_cls is None:
        return False
    entry = Entry(module, spec, loader, import_site, type(module))
    entry.importer_namespace = importer_namespace
    entry.initial = dict(module.__dict__)  # what the import system set: __name__, __spec__...
    with _registry_lock:
        try:
            object.__setattr__(module, "__class__", lazy_cls)
        except TypeError:
            return False
        _entries[id(module)] = entry
        _by_name[entry.name] = entry
        _trees.setdefault(entry.root, []).append(entry)
        _history.append(entry)
    return True


def _forget(entry: Entry) -> None:
    with _registry_lock:
        if _by_name.get(entry.name) is entry:
            del _by_name[entry.name]
        tree = _trees.get(entry.root)
        if tree is not None and entry in tree:
            tree.remove(entry)
            if not tree:
                del _trees[entry.root]
        if entry.state == LOADED:
            _entries.pop(id(entry.module), None)


def _is_within(name: str, ancestor: str) -> bool:
    return name == ancestor or name.startswith(ancestor + ".")


def _fail(entry: Entry, error: BaseException) -> None:
    """Leave sys.modules and the parent as a failed eager import leaves them."""
    entry.state = FAILED
    entry.error = error
    _failed[entry.name] = entry
    module = entry.module
    if sys.modules.get(entry.name) is module:
        del sys.modules[entry.name]
    parent_name, _, child = entry.name.rpartition(".")
    parent = sys.modules.get(parent_name) if parent_name else None
    if parent is not None:
        parent_dict = object.__getattribute__(parent, "__dict__")
        if parent_dict.get(child) is module:
            del parent_dict[child]
    _forget(entry)
    # Eager import never reaches a submodule whose package failed.
    for other in list(_trees.get(entry.root, ())):
        if other.state == PENDING and _is_within(other.name, entry.name + "."):
            other.first_use = other.first_use or entry.first_use
            _fail(other, error)


_failed: "dict[str, Entry]" = {}  # name -> the failed entry its next use retries


def _revive(failed: Entry) -> Entry:
    """Give a failed module another run at its next use, as eager re-import and CPython
    3.15 do: a deterministic failure fails the same way again, a transient one (Ctrl-C, a
    timeout, a file not there yet) can succeed.  The module object is the one the program
    holds, so its attributes go back to what the import system set before the body ran,
    and it goes back into ``sys.modules`` and onto its parent.  A new entry records the
    new attempt.
    """
    module = failed.module
    fresh = Entry(module, failed.spec, failed.loader, failed.import_site, failed.final_class)
    fresh.initial = failed.initial
    _back_to_before_body(module, failed.initial)
    with _registry_lock:
        if _failed.get(failed.name) is failed:
            del _failed[failed.name]
        _entries[id(module)] = fresh
        _by_name[fresh.name] = fresh
        _trees.setdefault(fresh.root, []).append(fresh)
        _history.append(fresh)
    sys.modules.setdefault(fresh.name, module)
    parent_name, _, child = fresh.name.rpartition(".")
    parent = sys.modules.get(parent_name) if parent_name else None
    if parent is not None:
        object.__getattribute__(parent, "__dict__").setdefault(child, module)
    return fresh


def _back_to_before_body(module, initial: dict) -> None:
    """The module's attributes as the import system set them, before its body ran."""
    namespace = object.__getattribute__(module, "__dict__")
    namespace.clear()
    namespace.update(initial)


def _revive_with_ancestors(entry: Entry) -> Entry:
    """Revive ``entry`` and every failed ancestor, outermost first (a body never runs
    before its parent's)."""
    name = entry.name
    prefixes = [name[:i] for i, char in enumerate(name) if char == "."] + [name]
    for prefix in prefixes:
        failed = _failed.get(prefix)
        if failed is not None and failed.state == FAILED:
            _revive(failed)
    return _entries[id(entry.module)]


def _finish(entry: Entry) -> None:
    module = entry.module
    replacement = sys.modules.get(entry.name, module)
    if replacement is not module:
        # transformers/diffusers put their own module object in sys.modules: eager
        # import would have returned (and bound on the parent) that object instead.
        _substitutes[id(module)] = replacement
        object.__setattr__(module, "__class__", _SubstitutedCallable if callable(replacement) else _Substituted)
        parent_name, _, child = entry.name.rpartition(".")
        parent = sys.modules.get(parent_name) if parent_name else None
        if parent is not None:
            parent_dict = object.__getattribute__(parent, "__dict__")
            if parent_dict.get(child) is module:
                parent_dict[child] = replacement
        # The importing module's own names for it (``import pkg``, ``import pkg as p``)
        # now name what eager import would have bound; copies made before stay forwarders.
        namespace = entry.importer_namespace
        if namespace is not None:
            for key, value in list(namespace.items()):
                if value is module:
                    namespace[key] = replacement
    else:
        object.__setattr__(module, "__class__", entry.final_class)
    entry.state = LOADED
    _forget(entry)
    _release(entry)


def _release(entry: Entry) -> None:
    """A loaded module is the program's: the load history keeps what it measured and no
    reference to the module, so one removed from ``sys.modules`` can be freed."""
    entry.module = None
    entry.initial = {}
    entry.importer_namespace = None


def _rss() -> int | None:
    """Resident set size in bytes (Linux), read cheaply from /proc."""
    try:
        with open("/proc/self/statm", "rb") as fh:
            return int(fh.read().split()[1]) * _PAGE_SIZE
    except (OSError, ValueError, IndexError):
        return None


try:
    from os import sysconf as _sysconf

    _PAGE_SIZE = _sysconf("SC_PAGE_SIZE")
except (ImportError, ValueError, OSError):  # pragma: no cover - non-POSIX
    _PAGE_SIZE = 4096

_loading_stack: dict[int, list[str]] = {}  # thread id -> names of lazy loads under way


def _record_before(entry: Entry) -> tuple[set, list]:
    entry.state = LOADING
    tid = entry.thread = get_ident()
    stack = _loading_stack.setdefault(tid, [])
    entry.parent = stack[-1] if stack else None
    stack.append(entry.name)
    entry.rss_before = _rss()
    return set(sys.modules), stack


def _exec(entry: Entry) -> None:
    """Run one body; a module purged from ``sys.modules`` while pending runs with itself
    there for the length of its body (as the import system runs every body), then
    ``sys.modules`` holds again what it held: the newer module, or nothing."""
    displaced = sys.modules.get(entry.name, _ABSENT)
    if displaced is entry.module:
        return _exec_in_place(entry)
    sys.modules[entry.name] = entry.module
    try:
        _exec_in_place(entry)
    finally:
        if displaced is _ABSENT:
            sys.modules.pop(entry.name, None)
        else:
            sys.modules[entry.name] = displaced


_ABSENT = object()


def _exec_in_place(entry: Entry) -> None:
    from time import perf_counter, time  # builtin module: free

    spec = entry.spec
    # With no other thread alive, nobody else holds this module: let the body run at
    # eager speed on its real class (threads the body starts see what eager import shows).
    unguarded = _running_threads() == 0
    before, stack = _record_before(entry)
    _cpython.mark_initializing(spec, True)  # eager imports from other threads now wait
    if unguarded:
        object.__setattr__(entry.module, "__class__", entry.final_class)
    entry.wall_start = time()
    entry.start = perf_counter()
    try:
        entry.loader.exec_module(entry.module)
    except BaseException as error:
        entry.duration = perf_counter() - entry.start
        _record_after(entry, before, stack)
        if unguarded:  # later uses of the bound name must raise the failure again
            object.__setattr__(entry.module, "__class__", lazy_class_for(type(entry.module)) or _LazyModule)
        _fail(entry, error)
        return
    finally:
        _cpython.mark_initializing(spec, False)
    entry.duration = perf_counter() - entry.start
    _record_after(entry, before, stack)
    if unguarded:
        entry.final_class = type(entry.module)  # a class the body set on itself stays
    _finish(entry)


def _record_after(entry: Entry, before: set, stack: list) -> None:
    entry.rss_after = _rss()
    entry.imported = [name for name in list(sys.modules) if name not in before]
    stack.pop()
    if not stack:
        _loading_stack.pop(entry.thread, None)


def run_recorded(entry: Entry, execute) -> None:
    """Run a body the import system itself is loading, recorded as a lazy load.

    Python 3.15's own lazy imports resolve through the ordinary import, so there the
    finder wraps the loader and this times the body exactly as ``_exec`` does for the
    emulation; a failure propagates unchanged (the interpreter chains it).
    """
    from time import perf_counter, time

    entry.thread_name = _thread_name()
    with _registry_lock:
        _history.append(entry)
    before, stack = _record_before(entry)
    entry.wall_start = time()
    entry.start = perf_counter()
    try:
        execute(entry.module)
    except BaseException as error:
        entry.duration = perf_counter() - entry.start
        _record_after(entry, before, stack)
        entry.state = FAILED
        entry.error = error
        _notify(entry)
        raise
    entry.duration = perf_counter() - entry.start
    _record_after(entry, before, stack)
    entry.state = LOADED
    _release(entry)
    _notify(entry)


def _load(entry: Entry, attr: str, frame, site: tuple[str, int, str] | None = None) -> bool:
    """Run ``entry`` (and the rest of its tree); False when the caller must read raw.

    Each body runs under its own module's import lock, as eager import runs it (re-entrant,
    with the import system's deadlock detection), never under a lock of the whole tree: a
    body may wait on a worker thread that imports a pending sibling.  A thread that finds
    a body running in another thread waits for it; if that attempt failed, it tries
    again itself, as a waiting eager import does.  Raw reads happen only where eager
    import shows a partially initialised module: re-entrance from the body itself, or a
    cross-thread cycle the module lock detects.
    """
    statement = _frames.statement_frame(frame)
    here = (entry, id(statement), getattr(statement, "f_lasti", -1))
    if _failed_here and entry.state == FAILED and _failed_here.pop(get_ident(), None) == here:
        # 3.11's import_ensure_initialized drops the error of its ``__spec__`` read and the
        # same statement reads the module again: one statement, one run of the body.
        raise entry.failure()
    done: list[Entry] = []
    try:
        while not done:
            if entry.state == LOADING:
                if entry.thread == get_ident():
                    return False  # re-entrance from its own body
                if not _wait_for_body(entry):
                    return False
            if entry.state == FAILED:
                retried = _retry(entry)
                if retried is None:
                    return True
                entry = retried
                here = (entry, id(statement), here[2])
                if entry.state == FAILED:
                    break  # a cycle of threads on its lock: this use sees the failure
                if entry.state != PENDING:
                    continue
            if entry.state != PENDING:
                break
            if entry.first_use is None:
                file, line, func = site or _frames.caller_site(frame)
                entry.first_use = (file, line, func, attr)
            for other in _chain(entry):
                lock = _cpython.get_module_lock(other.name)
                try:
                    lock.acquire()
                except _cpython.DeadlockError:
                    if other is entry:
                        return False  # a concurrent circular import: eager import accepts it half-built
                    continue  # an ancestor or sibling another thread runs in a cycle with us
                try:
                    if other.state != PENDING:
                        continue  # another thread ran it while we waited for its lock
                    other.thread_name = _thread_name()
                    if other.first_use is None:
                        other.first_use = entry.first_use
                    _exec(other)
                    done.append(other)
                finally:
                    lock.release()
                if other.state == FAILED and _is_within(entry.name, other.name):
                    break
            if entry.state != FAILED:
                break  # else another thread's attempt failed while we waited: ours now
    finally:
        for finished in done:
            _notify(finished)
    from_imports = sys.modules.get("lazyhook._fromimport")
    if from_imports is not None and from_imports._deferred_from:
        from ._finder import find_spec_elsewhere

        for finished in done:
            if finished.state == LOADED:
                from_imports.import_deferred_submodules(finished.name, find_spec_elsewhere)
    failed = entry if entry.state == FAILED else _failed_child(done, entry, attr)
    if failed is not None:
        if failed is entry and attr == "__spec__":
            _failed_here[get_ident()] = here  # read once more by this statement (3.11)
        error = failed.error
        if done and done[-1] is failed and not isinstance(error, Exception):
            raise error  # KeyboardInterrupt and friends propagate as they are
        raise failed.failure()
    return True


def _wait_for_body(entry: Entry) -> bool:
    """Wait until another thread's run of ``entry``'s body ends (its module lock); False
    when waiting would close a cycle of threads (eager import then goes on half-built)."""
    lock = _cpython.get_module_lock(entry.name)
    try:
        lock.acquire()
    except _cpython.DeadlockError:
        return False
    lock.release()
    return entry.state != LOADING


def _chain(entry: Entry) -> list[Entry]:
    """The pending modules a first use of ``entry`` runs, in the order eager import ran
    their import statements (ancestors first)."""
    tree = _trees.get(entry.root, [])
    if not _is_live(entry):
        # Purged from sys.modules while pending (test isolation, a full re-import): no
        # longer part of the package's tree; it loads alone, with its own stale ancestors
        # first, and nothing of the live tree.
        return [e for e in tree if e.state == PENDING and not _is_live(e) and _is_within(entry.name, e.name)]
    if any(e.state == LOADING for e in tree):
        # Inside a body of this tree: just what is needed, ancestors first.
        return [e for e in tree if e.state == PENDING and _is_within(entry.name, e.name)]
    return [e for e in tree if e.state == PENDING and _is_live(e)]


def _retry(entry: Entry) -> Entry | None:
    """The entry a use of a failed module runs next: revived (with its failed ancestors)
    under its module lock, or the one another thread revived meanwhile (itself revived
    if that attempt failed too); None once another thread's attempt has loaded it."""
    lock = _cpython.get_module_lock(entry.name)
    try:
        lock.acquire()
    except _cpython.DeadlockError:
        return entry
    try:
        current = _entries.get(id(entry.module))
        if current is None:
            return None  # loaded by another thread's attempt
        return _revive_with_ancestors(current) if current.state == FAILED else current
    finally:
        lock.release()


def _failed_child(done: list, entry: Entry, attr: str):
    """The submodule ``attr`` of ``entry`` if it failed in this very load.

    ``import pkg.sub`` then ``pkg.sub.Y``: the load of ``pkg`` runs ``pkg.sub`` too; when
    that body fails, the use must see its error (an ImportError naming both sites), not
    a bare AttributeError for the submodule the failure unbound.
    """
    child = f"{entry.name}.{attr}"
    for other in done:
        if other.name == child and other.state == FAILED:
            return other
    return None


def _caller(depth: int = 2):
    """The calling frame, or a stand-in when there is none: an attribute read from C
    with no Python frame at all (an ``atexit`` callback built with
    ``operator.methodcaller``, a builtin thread target, an embedding application)."""
    try:
        return sys._getframe(depth)
    except ValueError:
        return _NO_FRAME


class _NoFrame:
    f_code = (lambda: None).__code__  # lazyhook's own file: caller_site reports "<unknown>"
    f_lasti = -1
    f_lineno = 0
    f_back = None
    f_globals: dict = {}
    f_locals: dict = {}


_NO_FRAME = _NoFrame()


def _reset() -> None:
    """Forget every deferred module and load record (``lazyhook._reset_state``, for test
    isolation: a pending module from one test must not take part in the next)."""
    global would_defer
    with _registry_lock:
        for registry in (_entries, _by_name, _trees, _substitutes, _failed, _loading_stack, adopt_next,
                         requested_use, _failed_here, inherited_loads):
            registry.clear()
        del _history[:]
        del listeners[:]
        would_defer = None


def _after_fork_in_child() -> None:
    """A body another thread was running when this process forked cannot finish here:
    that thread does not exist in the child, and the lock it held never frees.  Each such
    module goes back to pending (its attributes as before its body, a fresh import lock),
    so the child's first use runs it, as the parent's will have.  Loads of the thread
    that forked are its own and go on.
    """
    global _registry_lock
    _registry_lock = RLock()  # held at the fork by a thread that is gone, perhaps
    me = get_ident()
    inherited_loads.update(id(e) for e in _history if e.state in (LOADED, FAILED))
    for entry in [e for e in _history if e.state == LOADING and e.thread != me]:
        _cpython.mark_initializing(entry.spec, False)
        _cpython.forget_module_lock(entry.root)
        _cpython.forget_module_lock(entry.name)
        if _entries.get(id(entry.module)) is not entry:
            # 3.15: the interpreter's own load of a lazy import, recorded: as after a
            # failed import, the half-built module leaves sys.modules and the next use
            # imports it afresh; the attempt was the parent's, not this process's.
            if _is_live(entry):
                del sys.modules[entry.name]
            _history.remove(entry)
            continue
        _back_to_before_body(entry.module, entry.initial)
        object.__setattr__(entry.module, "__class__", lazy_class_for(entry.final_class) or _LazyModule)
        entry.state = PENDING
        entry.thread = 0
        entry.first_use = None
    for thread in [t for t in _loading_stack if t != me]:
        del _loading_stack[thread]


try:
    from os import register_at_fork as _register_at_fork
except ImportError:  # pragma: no cover - no fork on this platform
    pass
else:
    _register_at_fork(after_in_child=_after_fork_in_child)


def _is_live(entry: Entry) -> bool:
    """Whether ``entry``'s module is still the one ``sys.modules`` holds for its name."""
    return sys.modules.get(entry.name) is entry.module


def _thread_name() -> str:
    threading = sys.modules.get("threading")
    if threading is not None:
        return threading.current_thread().name
    return "MainThread"  # no thread can have been started through threading yet


def _notify(entry: Entry) -> None:
    for listener in list(listeners):
        try:
            listener(entry)
        except Exception as exc:  # a broken callback never breaks an import
            try:
                listeners.remove(listener)
            except ValueError:
                pass
            sys.stderr.write(f"lazyhook: load listener {listener!r} raised {exc!r}; removed\n")


def load_now(module, reason: str = "<import>") -> None:
    """Load a pending module (eager imports of pending modules, preloading, tools)."""
    entry = _entries.get(id(module))
    if entry is not None and entry.state in (PENDING, FAILED):
        site = ("<lazyhook.preload>", 0, _thread_name()) if reason == "<preload>" else None
        _load(entry, reason, _caller(), site)


def _spec_read_is_eager_import(entry: Entry, frame) -> bool:
    """Whether this ``__spec__`` read is an eager import of the pending module.

    ``import_ensure_initialized`` (C) reads ``__spec__`` with the importing frame as
    caller; ``_find_and_load`` reads it for ``importlib.import_module`` (through
    ``_is_initializing`` since 3.15).  Parent
    queries (``_find_and_load_unlocked``), ``repr`` and ``importlib.util.find_spec``
    only look.
    """
    code = frame.f_code
    if code.co_filename in _frames.BOOTSTRAP_FILES:
        if code.co_name != _cpython.INITIALIZING_READER:
            return False
        if code.co_name != "_find_and_load":  # 3.15's helper: look at who asked
            frame = frame.f_back
            if frame is None or frame.f_code.co_name != "_find_and_load":
                return False
        frame = _frames.statement_frame(frame)
        if not _frames.is_import_statement(frame):
            return True
    elif not _frames.is_import_statement(frame):
        return False
    decide = would_defer
    return decide is None or not decide(entry.name, frame)


def _bound_submodule(module, entry: Entry, attr: str, frame):
    """A submodule the import system bound on a pending package, when it asks for it."""
    value = object.__getattribute__(module, "__dict__").get(attr)
    if value is None or sys.modules.get(f"{entry.name}.{attr}") is not value:
        return None
    code = frame.f_code
    if code is _HANDLE_FROMLIST or _frames.is_import_from(frame):
        return value
    return None


def _prepare_child_import(entry: Entry, frame) -> None:
    """``_find_and_load_unlocked`` reads a pending parent's ``__path__`` to import a child.

    An eager child import must not run before its parent's body, so the parent's tree
    loads here.  If that body imported the child itself, ``_find_spec`` will hand the
    import system whatever the first finder returns (ours, kept in ``sys.meta_path``
    while modules it deferred are pending): it returns a spec that hands the module
    back as it is, instead of running the child a second time.
    """
    child = frame.f_locals.get("name")
    if not isinstance(child, str):
        return
    decide = would_defer
    is_package = "__path__" in object.__getattribute__(entry.module, "__dict__")
    # A lazy child of a package stays lazy; a module that is no package yet may become
    # one in its body (six sets ``__path__`` and installs a finder for ``six.moves``).
    if is_package and decide is not None and decide(child, _frames.statement_frame(frame)):
        return
    _load(entry, "__path__", frame)
    existing = sys.modules.get(child)
    if existing is not None:
        adopt_next[child] = existing


_HANDLE_FROMLIST = _cpython.HANDLE_FROMLIST_CODE
_FIND_AND_LOAD_UNLOCKED = _cpython.FIND_AND_LOAD_UNLOCKED_CODE


def _own_doc(self):
    """``__doc__`` as a data descriptor: pydoc (``help()``) reads it with
    ``object.__getattribute__``, past ``__getattribute__``; before the body it is
    None, so a pending module's help had no docstring.  Reading it loads, as
    reading ``__doc__`` any other way does."""
    entry = _entries.get(id(self))
    if entry is not None and not (entry.state is LOADING and entry.thread == get_ident()):
        _load(entry, "__doc__", _caller())
    return _module_dict(self).get("__doc__")


def _set_own_doc(self, value):
    _module_dict(self)["__doc__"] = value  # reached only through ModuleType.__setattr__


class _LazyModule(ModuleType):
    """The class of a pending module; see the module docstring."""

    def __getattribute__(self, attr, _get=_entries.get, _ident=get_ident, _raw=ModuleType.__getattribute__):
        entry = _get(id(self))
        # Hot while a body runs: its own reads of its module come straight through.
        if entry is None or (entry.thread == _ident() and entry.state is LOADING):
            return _raw(self, attr)
        if attr in _ANSWERED:
            if attr == "__class__":
                return entry.final_class  # the module's own class, not lazyhook's
            if attr == "__path__" and entry.state == PENDING:
                frame = _caller()
                if frame.f_code is _FIND_AND_LOAD_UNLOCKED:
                    _prepare_child_import(entry, frame)
                    if entry.state == LOADED:
                        return getattr(self, attr)
            return _raw(self, attr)
        state = entry.state
        frame = _caller()
        if state == PENDING:
            if attr == "__spec__":
                if not _spec_read_is_eager_import(entry, frame):
                    return _raw(self, attr)
            elif attr in _NOT_BEFORE_BODY or (
                    attr in _PYTEST_PROBES and "_pytest" in frame.f_code.co_filename):
                raise AttributeError(attr)
            else:
                value = _bound_submodule(self, entry, attr, frame)
                if value is not None:
                    return value
                decide = would_defer
                if decide is not None:
                    # A deferred ``from module import attr``: nothing loads until the name is used.
                    from . import _fromimport

                    if frame.f_code is _HANDLE_FROMLIST:
                        if _fromimport.defers_fromlist(entry.name, frame, decide):
                            return True  # hasattr(): present; the statement binds a placeholder
                    elif _frames.is_import_from(frame):
                        placeholder = _fromimport.bind(entry.name, attr, frame, decide)
                        if placeholder is not None:
                            return placeholder
        elif attr == "__spec__":
            # Failed, or its body running in another thread: the import system waits by
            # itself where it must (``__spec__._initializing`` and the module's lock);
            # a worker importing a submodule beside the body reads it without waiting.
            return _raw(self, attr)
        if not _load(entry, attr, frame):
            return _raw(self, attr)
        return getattr(self, attr)

    __doc__ = property(_own_doc, _set_own_doc)  # (replaces this class's own docstring)

    def __call__(self, *args, **kwargs):
        """Calling a pending module loads it, then calls what eager import would have
        bound: a module whose body set ``__class__`` to a callable subclass, or put a
        callable in ``sys.modules`` (3.15: the placeholder resolves to it first).  So
        ``callable()`` of a pending module answers True: before its body runs, nothing
        can tell."""
        load_now(self, "__call__")
        target = _substitutes.get(id(self), self)
        if isinstance(target, _LazyModule):  # its own body calling it while it runs
            raise TypeError(f"{type(target).__mro__[-2].__name__!r} object is not callable")
        return target(*args, **kwargs)

    def __setattr__(self, attr, value):
        entry = _entries.get(id(self))
        if entry is not None and entry.state == PENDING and attr in _SET_WITHOUT_LOADING:
            entry.initial[attr] = value  # a retry after a failure starts from it too
            return super().__setattr__(attr, value)
        if entry is not None and entry.state in (PENDING, LOADING) and entry.thread != get_ident():
            if isinstance(value, ModuleType) and sys.modules.get(f"{entry.name}.{attr}") is value:
                # The import system binding a submodule on its parent, pending or with its
                # body running in another thread (a worker the body waits for imports a
                # submodule): eager import binds it without waiting, and so do we.
                return super().__setattr__(attr, value)
        if entry is not None and entry.state == LOADING and entry.thread == get_ident():
            if attr == "__class__":
                # The body sets its own class (gh-117182): keep it, stay guarded.
                lazy_cls = lazy_class_for(value)
                if lazy_cls is None:
                    raise TypeError(f"__class__ assignment: {value!r} is not a module type")
                entry.final_class = value
                return object.__setattr__(self, "__class__", lazy_cls)
            return super().__setattr__(attr, value)
        if entry is None or _load(entry, attr, _caller()):
            return setattr(self, attr, value)
        return super().__setattr__(attr, value)

    def __delattr__(self, attr):
        entry = _entries.get(id(self))
        if entry is not None and not (entry.state == LOADING and entry.thread == get_ident()):
            if _load(entry, attr, _caller()):
                return delattr(self, attr)
        return super().__delattr__(attr)


class _Substituted(ModuleType):
    """The bound name of a package that replaced itself in ``sys.modules``: follows it."""

    def __getattribute__(self, attr):
        return getattr(_substitutes[id(self)], attr)

    def __setattr__(self, attr, value):
        setattr(_substitutes[id(self)], attr, value)

    def __delattr__(self, attr):
        delattr(_substitutes[id(self)], attr)

    def __dir__(self):
        return dir(_substitutes[id(self)])

    def __repr__(self):
        return repr(_substitutes[id(self)])


class _SubstitutedCallable(_Substituted):
    """A forwarder to a callable replacement (a "callable module"): calls it."""

    def __call__(self, *args, **kwargs):
        return _substitutes[id(self)](*args, **kwargs)


# Frames between a module body and the line that used the module (docstring of
# _cpython.as_import_machinery): a body's stacklevel=2 warning names that line.
_cpython.as_import_machinery(_exec, _exec_in_place, _load, load_now, run_recorded, _prepare_child_import,
                             _own_doc, _LazyModule.__getattribute__, _LazyModule.__setattr__, _LazyModule.__delattr__)
