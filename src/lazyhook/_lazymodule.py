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

This module holds what a deferral needs (the lazy class, its answers to the import
system's probes, and the ``LazyName`` key a deferred statement binds its name under; the
registry is ``lazyhook._state``); what a first use runs (the life cycle, recording,
retries, fork safety) is ``_lifecycle``, imported with the first load.
"""

import sys
from _thread import get_ident
from time import time as _now

from . import _PENDING, _cpython, _frames, _trees_changed

ModuleType = type(sys)
# A module's own namespace, read past any class attribute: never loads a pending module.
_module_dict = ModuleType.__dict__["__dict__"].__get__

PENDING, LOADING, LOADED, FAILED = _PENDING, "loading", "loaded", "failed"  # (the finder's fast path reads PENDING)
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

# The registry of deferred modules and every other piece of mutable state: ``lazyhook._state``.
_state = sys.modules["lazyhook"]._state


class LazyImportError(ImportError):
    """A deferred module's body failed; raised at first use and at every later use."""

    __module__ = "lazyhook"


class Entry:
    """Bookkeeping for one deferred module."""

    __slots__ = (
        "name", "root", "module", "spec", "loader", "state", "thread", "final_class",
        "import_site", "first_use", "error", "start", "duration", "thread_name",
        "wall_start", "rss_before", "rss_after", "imported", "parent", "initial", "importer_namespace",
        "unraised",
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
        # Failed in a load for another module's use (its package's tree ran) and not yet
        # raised to anybody: the next use of it raises this error without running the
        # body again, so a body runs as often as on 3.15, which runs it only at that use.
        self.unraised = False

    def failure(self) -> LazyImportError:
        file, line, _func = self.import_site
        use = self.first_use
        used = f"{use[0]}:{use[1]} (reading {use[3]!r})" if use else "unknown"
        err = self.error
        exc = LazyImportError(
            f"lazy module {self.name!r} failed to load: {type(err).__name__}: {err}\n"
            f"  imported at {file}:{line}\n  first used at {used}",
            name=self.name,
        )
        exc.__cause__ = err
        return exc


def pending_entry(name: str) -> Entry | None:
    return _state.by_name.get(name)


_lazy_classes: dict[type, type] = {}  # a cache: module subclass -> its lazy class


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
    with _state.lock:
        try:
            object.__setattr__(module, "__class__", lazy_cls)
        except TypeError:
            return False
        _state.entries[id(module)] = entry
        _state.by_name[entry.name] = entry
        _state.trees.setdefault(entry.root, []).append(entry)
        _state.history.append(entry)
        _trees_changed(entry.root)
    return True


def _caller(depth: int = 2):
    """The calling frame, or a stand-in when there is none: an attribute read from C
    with no Python frame at all (an ``atexit`` callback built with
    ``operator.methodcaller``, a builtin thread target, an embedding application)."""
    try:
        return sys._getframe(depth)
    except ValueError:
        return _NO_FRAME


# (``types.SimpleNamespace``, reached through ``sys.implementation``: the core imports no
# stdlib module, and a class of its own costs about as much to build as ten functions.)
_NO_FRAME = type(sys.implementation)(
    f_code=(lambda: None).__code__,  # lazyhook's own file: caller_site reports "<unknown>"
    f_lasti=-1, f_lineno=0, f_back=None, f_globals={}, f_locals={},
)


def _thread_name() -> str:
    threading = sys.modules.get("threading")
    if threading is not None:
        return threading.current_thread().name
    return "MainThread"  # no thread can have been started through threading yet


def _load(entry: Entry, attr: str, frame, site: tuple[str, int, str] | None = None) -> bool:
    """Run ``entry`` and the rest of its tree (``_lifecycle.load``, imported with the
    first load); False when the caller must read the module as it stands."""
    from ._lifecycle import load

    return load(entry, attr, frame, site)


def load_now(module, reason: str = "<import>") -> None:
    """Load a pending module (eager imports of pending modules, preloading, tools)."""
    entry = _state.entries.get(id(module))
    if entry is not None and entry.state in (PENDING, FAILED):
        site = ("<lazyhook.preload>", 0, _thread_name()) if reason == "<preload>" else None
        _load(entry, reason, _caller(), site)


def run_for_name(entry: Entry, name: str, frame) -> None:
    """Load a pending module because a name bound to it was evaluated (``LazyName``) or
    read as a submodule (``_lifecycle``): the line that did it is the first use, recorded
    with the name (as on 3.15)."""
    _load(entry, name, frame if frame is not None else _NO_FRAME)


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
    decide = _state.rule
    if decide is None or not decide(entry.name, frame):
        return True
    bind_module(entry.module, frame)  # a deferred statement for a module already pending
    return False


def _bound_submodule(module, entry: Entry, attr: str):
    """A submodule the import system bound on a pending package (asked by an import)."""
    value = object.__getattribute__(module, "__dict__").get(attr)
    if value is None or sys.modules.get(f"{entry.name}.{attr}") is not value:
        return None
    return value


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
    decide = _state.rule
    is_package = "__path__" in object.__getattribute__(entry.module, "__dict__")
    # A lazy child of a package stays lazy; a module that is no package yet may become
    # one in its body (six sets ``__path__`` and installs a finder for ``six.moves``).
    if is_package and decide is not None and decide(child, _frames.statement_frame(frame)):
        return
    _load(entry, "__path__", frame)
    existing = sys.modules.get(child)
    if existing is not None:
        with _state.lock:
            _state.adopt_next[child] = existing
            _trees_changed(child.partition(".")[0])


_HANDLE_FROMLIST = _cpython.HANDLE_FROMLIST_CODE
_FIND_AND_LOAD_UNLOCKED = _cpython.FIND_AND_LOAD_UNLOCKED_CODE


def _own_doc(self):
    """``__doc__`` as a data descriptor: pydoc (``help()``) reads it with
    ``object.__getattribute__``, past ``__getattribute__``; before the body it is
    None, so a pending module's help had no docstring.  Reading it loads, as
    reading ``__doc__`` any other way does."""
    entry = _state.entries.get(id(self))
    if entry is not None and not (entry.state is LOADING and entry.thread == get_ident()):
        _load(entry, "__doc__", _caller())
    return _module_dict(self).get("__doc__")


def _set_own_doc(self, value):
    _module_dict(self)["__doc__"] = value  # reached only through ModuleType.__setattr__


class _LazyModule(ModuleType):
    """The class of a pending module; see the module docstring."""

    def __getattribute__(self, attr, _get=_state.entries.get, _ident=get_ident, _raw=ModuleType.__getattribute__):
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
                # A deferred ``from module import attr``: nothing loads until the name is
                # used (``_fromimport`` is imported by the first such statement only).  A
                # pending submodule is bound the same way: evaluating the name loads it
                # (and raises while its body fails), as on 3.15.
                decide = _state.rule
                if frame.f_code is _HANDLE_FROMLIST:
                    value = _bound_submodule(self, entry, attr)
                    if value is not None:
                        return value
                    if decide is not None:
                        from ._fromimport import defers_fromlist

                        if defers_fromlist(entry.name, frame, decide):
                            return True  # hasattr(): present; the statement binds a placeholder
                elif _frames.is_import_from(frame):
                    if decide is not None:
                        from ._fromimport import bind

                        placeholder = bind(entry.name, attr, frame, decide)
                        if placeholder is not None:
                            return placeholder
                    value = _bound_submodule(self, entry, attr)
                    if value is not None:
                        return value
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
        target = replacement_of(self)
        if isinstance(target, _LazyModule):  # its own body calling it while it runs
            raise TypeError(f"{type(target).__mro__[-2].__name__!r} object is not callable")
        return target(*args, **kwargs)

    def __setattr__(self, attr, value):
        entry = _state.entries.get(id(self))
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
        entry = _state.entries.get(id(self))
        if entry is not None and not (entry.state == LOADING and entry.thread == get_ident()):
            if _load(entry, attr, _caller()):
                return delattr(self, attr)
        return super().__delattr__(attr)


def substitute(module, replacement) -> None:
    """Make ``module`` a forwarder to ``replacement``, what its body put in ``sys.modules``.

    The replacement is held by the forwarder's own class, made for it, so the forwarder
    alone keeps it alive.  A registry entry would not do: ``lazyhook._state`` is reachable
    from the fork hooks, which the interpreter holds until its last collection, so the
    replacement's whole package graph stayed alive through shutdown's first collection
    (every exit did that work twice) and after the program had dropped it.
    """
    base = _SubstitutedCallable if callable(replacement) else _Substituted
    forwarder = type(base.__name__, (base,), {"__slots__": (), "_lazyhook_replacement": replacement,
                                              "__module__": base.__module__, "__qualname__": base.__qualname__})
    object.__setattr__(module, "__class__", forwarder)


def replacement_of(module):
    """What a forwarder follows; the module itself for any other module."""
    return getattr(type(module), "_lazyhook_replacement", module)


class _Substituted(ModuleType):
    """The bound name of a package that replaced itself in ``sys.modules``: follows it
    (``substitute`` gives each forwarder its own subclass, which holds the replacement)."""

    __slots__ = ()

    def __getattribute__(self, attr):
        return getattr(type(self)._lazyhook_replacement, attr)

    def __setattr__(self, attr, value):
        setattr(type(self)._lazyhook_replacement, attr, value)

    def __delattr__(self, attr):
        delattr(type(self)._lazyhook_replacement, attr)

    def __dir__(self):
        return dir(type(self)._lazyhook_replacement)

    def __repr__(self):
        return repr(type(self)._lazyhook_replacement)


class _SubstitutedCallable(_Substituted):
    """A forwarder to a callable replacement (a "callable module"): calls it."""

    __slots__ = ()

    def __call__(self, *args, **kwargs):
        return type(self)._lazyhook_replacement(*args, **kwargs)


# Frames between a module body and the line that used the module (docstring of
# _cpython.as_import_machinery): a body's stacklevel=2 warning names that line.
_cpython.as_import_machinery(_load, load_now, run_for_name, _prepare_child_import,
                             _own_doc, _LazyModule.__getattribute__, _LazyModule.__setattr__, _LazyModule.__delattr__)


# --- the name a deferred statement binds -----------------------------------------------
# A deferred import's name resolves when it is loaded, as PEP 810 resolves it on 3.15.
#
# A deferred module-level ``import a.b.c``, ``import a.b.c as d`` or ``from pkg import a as
# b`` (``_fromimport``) binds its name under a key that is a ``LazyName``: a ``str``
# subclass equal to the name.  Every lookup of the name in that namespace (``LOAD_NAME``,
# ``LOAD_GLOBAL``, ``mod.b``, ``from mod import b``, ``globals()["b"]``) finds the slot by
# hash, sees a key that is not the interned ``"b"`` and asks ``LazyName.__eq__``, which runs
# what the statement deferred (the pending module's body, or the from-import), puts the
# value back under a plain ``str`` key, and answers True; the dict sees it was changed
# during the comparison and looks again (``Objects/dictobject.c``, "The dict was mutated,
# restart"), finding the value.  So evaluating the name loads what it names, as on 3.15:
# ``inspect.getattr_static(pkg, ...)``, ``x = pkg`` and ``isinstance(obj, a)`` see the
# loaded module or the real object, and after it the module's globals are an ordinary
# all-``str`` dict again, with ``LOAD_GLOBAL`` specialised as without lazyhook.
#
# Iterating the namespace (``globals()``, ``vars()``, ``dir()``) shows the bound value and
# loads nothing, as on 3.15, and neither do comparisons of those names (``COMPARE_OP``,
# ``CONTAINS_OP``: ``k == "b"``, ``"b" in globals()``).  A ``STORE_NAME``/``DELETE_NAME``
# of the name by the module itself replaces it without loading anything, as on 3.15.


class _Rearranging:
    """``with _REARRANGING:`` a namespace's keys are swapped under ``_state.lock`` (never
    held while a module body runs), and for this thread meanwhile lazy names compare as
    plain strings (``_state.quiet``)."""

    def __enter__(self) -> None:
        _state.lock.acquire()
        _state.quiet.add(get_ident())

    def __exit__(self, *exc_info) -> None:
        _state.quiet.discard(get_ident())
        _state.lock.release()


_REARRANGING = _Rearranging()


class LazyName(str):
    """The namespace key of a deferred name; see the comment above.

    Its ``__dict__`` holds ``namespace``, ``resolve`` (the function that runs what the
    statement deferred and returns the value), ``resolved``, ``binder`` (the thread whose
    statement is about to store the name) and what ``resolve`` needs.
    """

    __hash__ = str.__hash__

    def __eq__(self, other):
        if type(other) is not str or not str.__eq__(self, other):
            return str.__eq__(self, other)
        ident = get_ident()
        state = self.__dict__
        if ident in _state.quiet:
            return True
        try:
            caller = sys._getframe(1)
        except ValueError:  # compared from C with no Python frame at all
            caller = None
        if state["resolved"]:  # a namespace that copied the key before it resolved
            _rebind_copies(self, caller)
            return True
        if state["binder"] == ident:
            state["binder"] = 0  # the statement's own STORE_NAME of the placeholder
            return True
        op = _cpython.opcode_at(caller) if caller is not None else -1
        if op == _cpython.COMPARE_OP or op == _cpython.CONTAINS_OP:
            return True  # ``name == "b"``, ``"b" in globals()``: a comparison, not a use
        if caller is not None and _is_rebinding(state, op, caller):
            release(self, value_under(state["namespace"], self))  # the store or delete then goes ahead
        else:
            namespace = state["namespace"]
            release(self, state["resolve"](self, caller))
            _rebind_copies(self, caller, namespace)
        return True

    def __reduce__(self):
        return str, (str(self),)  # a copy or pickle of the namespace holds a plain name


def _is_rebinding(state: dict, op: int, frame) -> bool:
    """Whether the comparison comes from the module itself storing or deleting the name
    (``b = 1``, ``del b``, ``global b`` in a function): 3.15 loads nothing then."""
    if op == _cpython.STORE_NAME or op == _cpython.DELETE_NAME:
        return frame.f_locals is state["namespace"]
    if op == _cpython.STORE_GLOBAL or op == _cpython.DELETE_GLOBAL:
        return frame.f_globals is state["namespace"]
    return False


def value_under(namespace: dict | None, key: LazyName):
    """What ``namespace`` holds under this very key object (found by identity: no lookup
    that would compare it); None when it is gone."""
    if namespace is None:
        return None
    for name, value in list(namespace.items()):
        if name is key:
            return value
    return None


def release(key: LazyName, value) -> None:
    """Put ``value`` under the plain name where ``key`` is, once (threads may race here)."""
    state = key.__dict__
    with _REARRANGING:
        if state["resolved"]:
            return
        _cpython.replace_key(state["namespace"], key, sys.intern(str.__str__(key)), value)
        state["resolved"] = True
        state["value"] = value  # for namespaces that copied the key (``from mod import *``)
        state["namespace"] = state["placeholder"] = None


def _rebind_copies(key: LazyName, frame, released: "dict | None" = None) -> None:
    """A name load from a namespace that copied the key (``from mod import *`` of a module
    without ``__all__`` copies its keys as they are): give that namespace the value too.
    ``released`` is the namespace ``release`` has just rebuilt: looking through it again
    for the key would only cost a pass over its names."""
    if frame is None:
        return
    op = _cpython.opcode_at(frame)
    if op != _cpython.LOAD_NAME and op != _cpython.LOAD_GLOBAL:
        return
    state = key.__dict__
    plain = sys.intern(str.__str__(key))
    with _REARRANGING:
        for namespace in (frame.f_locals, frame.f_globals) if op == _cpython.LOAD_NAME else (frame.f_globals,):
            if type(namespace) is dict and namespace is not released:
                _cpython.replace_key(namespace, key, plain, state.get("value"))


def bind(namespace: dict, store: str, placeholder, resolve, **details) -> "LazyName":
    """Put ``store`` into ``namespace`` as a lazy name holding ``placeholder`` (keeping the
    name's place if it is bound already, as ``STORE_NAME`` would); the statement's own
    ``STORE_NAME`` of it, next in this thread, stores without resolving anything."""
    key = LazyName(store)
    key.__dict__.update(namespace=namespace, placeholder=placeholder, resolve=resolve,
                        resolved=False, binder=0, **details)
    with _REARRANGING:
        existing = next((k for k in namespace if k == store), None) if store in namespace else None
        if existing is None:
            namespace[key] = placeholder
        else:  # a rebinding: keep the name's place, as STORE_NAME would
            _cpython.replace_key(namespace, existing, key, placeholder)
            if type(existing) is LazyName:
                existing.__dict__["resolved"] = True
        key.__dict__["binder"] = get_ident()
    return key


def bind_module(module, frame) -> None:
    """A deferred ``import a.b.c [as d]`` statement, executing in ``frame``, is about to
    bind its name while ``module`` (its target) is pending: bind it as a lazy name, so
    evaluating the name loads the module, as on 3.15 (an attribute read of the module
    object loads it anyway)."""
    if frame.f_locals is not frame.f_globals:
        return  # ``exec`` with separate locals: the module object is bound as it is
    code = frame.f_code
    offset = frame.f_lasti
    store = _cpython.import_store(code, offset)
    if store is None:
        return
    name, binds_target = store
    target = _cpython.import_name_target(frame, offset)
    if target != module.__name__:
        return  # a parent of the statement's target: the target binds, once
    bound = module if binds_target else sys.modules.get(_frames.top_of(target))
    if bound is None:
        return
    bind(frame.f_globals, name, bound, _load_module)


def _load_module(key: LazyName, frame):
    """Resolve an ``import`` statement's name: run the pending module it binds (its tree,
    as any first use does), the line that evaluated the name being its first use.

    ``import pkg.sub`` binds ``pkg``: the name resolves to the package whatever ``sub``
    does, as on 3.15, where loading the name runs only ``pkg/__init__`` (PEP 810) and
    ``sub`` is imported by the read of ``pkg.sub``; a ``sub`` that failed in the tree's
    run raises at that read (``_lifecycle._WithFailedSubmodules``).
    """
    state = key.__dict__
    bound = value_under(state["namespace"], key)
    entry = _state.entries.get(id(bound))
    if entry is not None and entry.module is bound and entry.state != LOADED:
        run_for_name(entry, str.__str__(key), frame)
    return value_under(state["namespace"], key)  # a body that replaced its module had its binding rebound


_cpython.as_import_machinery(LazyName.__eq__, release, _load_module)
