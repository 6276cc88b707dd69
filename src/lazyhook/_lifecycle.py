"""A deferred module's first use: its body runs, is recorded, and fails or finishes.

Imported with the first load, not with the first deferral: deferring a module needs
only the lazy class (``_lazymodule``) and the registry (``lazyhook._state``), so a
program that imports a heavy package and never uses it never loads this code.  This
module changes the registry under ``lazyhook._state.lock``.
"""

import sys
from _thread import _count as _running_threads, get_ident

from . import _cpython, _frames, _trees_changed
from ._lazymodule import (
    FAILED, LOADED, LOADING, PENDING, Entry, ModuleType, _caller, _LazyModule, _state, _thread_name,
    lazy_class_for, run_for_name, substitute,
)


def _forget(entry: Entry) -> None:
    with _state.lock:
        if _state.by_name.get(entry.name) is entry:
            del _state.by_name[entry.name]
        tree = _state.trees.get(entry.root)
        if tree is not None and entry in tree:
            tree.remove(entry)
            if not tree:
                del _state.trees[entry.root]
        if entry.state == LOADED:
            _state.entries.pop(id(entry.module), None)
        _trees_changed(entry.root)


def _is_within(name: str, ancestor: str) -> bool:
    return name == ancestor or name.startswith(ancestor + ".")


def _fail(entry: Entry, error: BaseException) -> None:
    """Leave sys.modules and the parent as a failed eager import leaves them."""
    entry.state = FAILED
    entry.error = error
    with _state.lock:
        _state.failed[entry.name] = entry
        _trees_changed(entry.root)
    module = entry.module
    if sys.modules.get(entry.name) is module:
        del sys.modules[entry.name]
    parent_name, _, child = entry.name.rpartition(".")
    parent = sys.modules.get(parent_name) if parent_name else None
    if parent is not None:
        parent_dict = object.__getattribute__(parent, "__dict__")
        if parent_dict.get(child) is module:
            del parent_dict[child]
        _answer_for_failed_submodules(parent)
    _forget(entry)
    # Eager import never reaches a submodule whose package failed.
    for other in list(_state.trees.get(entry.root, ())):
        if other.state == PENDING and other.name.startswith(entry.name + "."):
            other.first_use = other.first_use or entry.first_use
            _fail(other, error)


class _WithFailedSubmodules(ModuleType):
    """The class of a loaded package one of whose lazily imported submodules failed.

    On 3.15 a submodule that ``import pkg.sub`` left unimported is resolved by the read
    of ``pkg.sub`` (the module's attribute lookup consults ``sys.lazy_modules``), so after
    a failure every read imports it again and raises its error.  A plain module has no
    such hook: the failure unbinds ``sub`` and the read would be a bare AttributeError.
    ``__getattr__`` runs only for attributes the package does not have, so every other
    read costs what it costs without lazyhook; the package goes back to ``ModuleType``
    once no failed submodule is left.
    """

    def __getattr__(self, attr: str):
        name = object.__getattribute__(self, "__dict__").get("__name__")
        failed = _state.failed.get(f"{name}.{attr}") if type(attr) is str else None
        if failed is not None and failed.state == FAILED and failed.name not in sys.modules:
            run_for_name(failed, attr, _caller())  # raises its error, or loads it
        # Loaded now, or not ours: what the package answers without lazyhook, its own
        # error included (a module-level ``__getattr__`` is asked once more).
        return ModuleType.__getattribute__(self, attr)


def _answer_for_failed_submodules(parent) -> None:
    """Give ``parent`` the class whose reads of a failed submodule import it again."""
    if type(parent) is ModuleType:
        object.__setattr__(parent, "__class__", _WithFailedSubmodules)
        return
    entry = _state.entries.get(id(parent))  # a parent still loading: the class it finishes with
    if entry is not None and entry.module is parent and entry.final_class is ModuleType:
        entry.final_class = _WithFailedSubmodules


def _done_with_failed_submodules(parent, parent_name: str) -> None:
    """``parent`` goes back to a plain module once no failed submodule of it is left."""
    if type(parent) is _WithFailedSubmodules:
        prefix = parent_name + "."
        with _state.lock:
            if not any(name.startswith(prefix) and "." not in name[len(prefix):] for name in _state.failed):
                object.__setattr__(parent, "__class__", ModuleType)


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
    with _state.lock:
        if _state.failed.get(failed.name) is failed:
            del _state.failed[failed.name]
        _state.entries[id(module)] = fresh
        _state.by_name[fresh.name] = fresh
        _state.trees.setdefault(fresh.root, []).append(fresh)
        _state.history.append(fresh)
        _trees_changed(fresh.root)
    sys.modules.setdefault(fresh.name, module)
    parent_name, _, child = fresh.name.rpartition(".")
    parent = sys.modules.get(parent_name) if parent_name else None
    if parent is not None:
        object.__getattribute__(parent, "__dict__").setdefault(child, module)
        _done_with_failed_submodules(parent, parent_name)
    return fresh


def _back_to_before_body(module, initial: dict) -> None:
    """The module's attributes as the import system set them, before its body ran."""
    namespace = object.__getattribute__(module, "__dict__")
    namespace.clear()
    namespace.update(initial)


def _failed_outermost_first(name: str):
    """The failed entries of ``name`` and its ancestors, outermost first (the order eager
    import meets them: a body never runs before its parent's)."""
    for index, char in enumerate(name + "."):
        if char == ".":
            failed = _state.failed.get(name[:index])
            if failed is not None and failed.state == FAILED:
                yield failed


def _revive_with_ancestors(entry: Entry) -> Entry:
    """Revive ``entry`` and every failed ancestor, outermost first (a body never runs
    before its parent's)."""
    for failed in _failed_outermost_first(entry.name):  # (each looked up after the one before revived)
        _revive(failed)
    return _state.entries[id(entry.module)]


def _finish(entry: Entry) -> None:
    module = entry.module
    replacement = sys.modules.get(entry.name, module)
    if replacement is not module:
        # transformers/diffusers put their own module object in sys.modules: eager
        # import would have returned (and bound on the parent) that object instead.
        substitute(module, replacement)
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


def _record_before(entry: Entry) -> tuple[list, list]:
    entry.state = LOADING
    _trees_changed(entry.root)  # its package's own imports while the body runs: the fast path's again
    tid = entry.thread = get_ident()
    stack = _state.loading_stack.setdefault(tid, [])
    entry.parent = stack[-1] if stack else None
    stack.append(entry.name)
    entry.rss_before = _rss()
    return list(sys.modules), stack


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


def _record_after(entry: Entry, before: list, stack: list) -> None:
    entry.rss_after = _rss()
    entry.imported = _added(before, list(sys.modules))
    stack.pop()
    if not stack:
        _state.loading_stack.pop(entry.thread, None)


def _added(before: list, after: list) -> list:
    """The names in ``after`` that ``before`` lacks, in ``sys.modules`` order.  A dict
    keeps insertion order, so while no name was removed (nearly always) the old names are
    ``after``'s first ones and the new ones its tail: two C-level list operations instead
    of a loop over every module of the process."""
    count = len(before)
    if after[:count] == before:
        return after[count:]
    known = set(before)
    return [name for name in after if name not in known]


def run_recorded(entry: Entry, execute) -> None:
    """Run a body the import system itself is loading, recorded as a lazy load.

    Python 3.15's own lazy imports resolve through the ordinary import, so there the
    finder wraps the loader and this times the body exactly as ``_exec`` does for the
    emulation; a failure propagates unchanged (the interpreter chains it).
    """
    from time import perf_counter, time

    entry.thread_name = _thread_name()
    with _state.lock:
        _state.history.append(entry)
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


def load(entry: Entry, attr: str, frame, site: tuple[str, int, str] | None = None) -> bool:
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
    if (_state.failed_here and entry.state == FAILED
            and _same_statement(_state.failed_here.pop(get_ident(), None), here, statement)):
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
                credited = take_unraised(entry.name)  # a run with its tree was this use's attempt
                if credited is not None:
                    raise credited.failure()
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
                    _cpython.on_fresh_frame_stack(_exec, other)
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
    from_imports = sys.modules.get("lazyhook._fromimport")  # loaded by the first deferred from-import
    if from_imports is not None and done:
        from_imports.import_deferred_submodules([e.name for e in done if e.state == LOADED])
    failed = entry if entry.state == FAILED else _failed_need(done, entry, attr)
    for other in done:
        if other.state == FAILED and other is not failed:
            other.unraised = True
    if failed is not None:
        if failed is entry and attr == "__spec__":
            _state.failed_here[get_ident()] = here  # read once more by this statement (3.11)
        error = failed.error
        if done and done[-1] is failed and not isinstance(error, Exception):
            raise error  # KeyboardInterrupt and friends propagate as they are
        raise failed.failure()
    return True


def _same_statement(failed_at: tuple | None, here: tuple, statement) -> bool:
    """Whether a read at ``here`` belongs to the statement whose ``__spec__`` read failed
    at ``failed_at``: the same instruction, or an ``IMPORT_FROM`` of that ``from``
    statement (``from pkg.sub import X`` reads ``X`` after the dropped error)."""
    if failed_at is None or failed_at[:2] != here[:2]:
        return False
    return failed_at[2] == here[2] or _cpython.from_statement_start(statement.f_code, here[2]) == failed_at[2]


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
    tree = _state.trees.get(entry.root, [])
    if not _is_live(entry):
        # Purged from sys.modules while pending (test isolation, a full re-import): no
        # longer part of the package's tree; it loads alone, with its own stale ancestors
        # first, and nothing of the live tree.
        return [e for e in tree if e.state == PENDING and not _is_live(e) and _is_within(entry.name, e.name)]
    if any(e.state == LOADING for e in tree) or _body_of_tree_running(entry.root):
        # Inside a body of this tree, deferred or eager: just what is needed, ancestors
        # first.  A sibling run there could meet a module of the tree half-initialised
        # (filelock 4.2: its package lists ``_api`` and ``_descriptor``, then imports
        # ``_unix`` eagerly, whose body uses ``_api``; ``_descriptor`` imports from
        # ``_unix``) and fail where eager import and 3.15 succeed.
        return [e for e in tree if e.state == PENDING and _is_within(entry.name, e.name)]
    return [e for e in tree if e.state == PENDING and _is_live(e)]


def _body_of_tree_running(root: str) -> bool:
    """Whether this thread is running the body of a module of ``root``'s tree (a module
    body is a ``<module>`` frame; only asked at a first use)."""
    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_code.co_name == "<module>":
            name = frame.f_globals.get("__name__")
            if isinstance(name, str) and _is_within(name, root):
                return True
        frame = frame.f_back
    return False


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
        current = _state.entries.get(id(entry.module))
        if current is None:
            return None  # loaded by another thread's attempt
        return _revive_with_ancestors(current) if current.state == FAILED else current
    finally:
        lock.release()


def take_unraised(name: str) -> Entry | None:
    """The failure an import of ``name`` would meet first (a failed ancestor's, outermost
    first, or its own), if it was never raised to a use (``Entry.unraised``): claimed once,
    so the caller raises it instead of running the body again."""
    with _state.lock:
        for failed in _failed_outermost_first(name):
            if failed.unraised:
                failed.unraised = False
                return failed
    return None


def _failed_need(done: list, entry: Entry, attr: str):
    """The submodule this use reads, if its body failed in this very load: the use sees
    that error, not a bare AttributeError for the submodule the failure unbound, and no
    second run of the body (``import pkg.sub`` then ``pkg.sub.Y``: the load of ``pkg`` runs
    ``pkg.sub`` too, and the use reads ``pkg.sub``)."""
    child = f"{entry.name}.{attr}"
    for other in done:
        if other.state == FAILED and other.name == child:
            return other
    return None


def _after_fork_in_child() -> None:
    """A body another thread was running when this process forked cannot finish here:
    that thread does not exist in the child, and the lock it held never frees.  Each such
    module goes back to pending (its attributes as before its body, a fresh import lock),
    so the child's first use runs it, as the parent's will have.  Loads of the thread
    that forked are its own and go on.
    """
    me = get_ident()
    _state.inherited_loads.update(id(e) for e in _state.history if e.state in (LOADED, FAILED))
    for entry in [e for e in _state.history if e.state == LOADING and e.thread != me]:
        _cpython.mark_initializing(entry.spec, False)
        _cpython.forget_module_lock(entry.root)
        _cpython.forget_module_lock(entry.name)
        if _state.entries.get(id(entry.module)) is not entry:
            # 3.15: the interpreter's own load of a lazy import, recorded: as after a
            # failed import, the half-built module leaves sys.modules and the next use
            # imports it afresh; the attempt was the parent's, not this process's.
            if _is_live(entry):
                del sys.modules[entry.name]
            _state.history.remove(entry)
            continue
        _back_to_before_body(entry.module, entry.initial)
        object.__setattr__(entry.module, "__class__", lazy_class_for(entry.final_class) or _LazyModule)
        entry.state = PENDING
        entry.thread = 0
        entry.first_use = None
    for thread in [t for t in _state.loading_stack if t != me]:
        del _state.loading_stack[thread]
    _trees_changed()


try:
    from os import register_at_fork as _register_at_fork
except ImportError:  # pragma: no cover - no fork on this platform
    pass
else:
    _register_at_fork(after_in_child=_after_fork_in_child)


def _is_live(entry: Entry) -> bool:
    """Whether ``entry``'s module is still the one ``sys.modules`` holds for its name."""
    return sys.modules.get(entry.name) is entry.module


def _notify(entry: Entry) -> None:
    for listener in list(_state.listeners):
        try:
            listener(entry)
        except Exception as exc:  # a broken callback never breaks an import
            try:
                _state.listeners.remove(listener)
            except ValueError:
                pass
            sys.stderr.write(f"lazyhook: load listener {listener!r} raised {exc!r}; removed\n")


# Frames between a module body and the line that used the module (docstring of
# _cpython.as_import_machinery): a body's stacklevel=2 warning names that line.
_cpython.as_import_machinery(_exec, _exec_in_place, load, run_recorded, _WithFailedSubmodules.__getattr__)
