"""A deferred import's name resolves when it is loaded, as PEP 810 resolves it on 3.15.

A deferred module-level ``import a.b.c``, ``import a.b.c as d`` or ``from pkg import a as
b`` (``_fromimport``) binds its name under a key that is a ``LazyName``: a ``str``
subclass equal to the name.  Every lookup of the name in that namespace (``LOAD_NAME``,
``LOAD_GLOBAL``, ``mod.b``, ``from mod import b``, ``globals()["b"]``) finds the slot by
hash, sees a key that is not the interned ``"b"`` and asks ``LazyName.__eq__``, which runs
what the statement deferred (the pending module's body, or the from-import), puts the
value back under a plain ``str`` key, and answers True; the dict sees it was changed
during the comparison and looks again (``Objects/dictobject.c``, "The dict was mutated,
restart"), finding the value.  So evaluating the name loads what it names, as on 3.15:
``inspect.getattr_static(pkg, ...)``, ``x = pkg`` and ``isinstance(obj, a)`` see the
loaded module or the real object, and after it the module's globals are an ordinary
all-``str`` dict again, with ``LOAD_GLOBAL`` specialised as without lazyhook.

Iterating the namespace (``globals()``, ``vars()``, ``dir()``) shows the bound value and
loads nothing, as on 3.15, and neither do comparisons of those names (``COMPARE_OP``,
``CONTAINS_OP``: ``k == "b"``, ``"b" in globals()``).  A ``STORE_NAME``/``DELETE_NAME``
of the name by the module itself replaces it without loading anything, as on 3.15.
"""

import sys
from _thread import get_ident

from . import _cpython, _frames, _lazymodule, _state


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
    """The namespace key of a deferred name; see the module docstring.

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
            release(self, state["resolve"](self, caller))
            _rebind_copies(self, caller)
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


def _rebind_copies(key: LazyName, frame) -> None:
    """A name load from a namespace that copied the key (``from mod import *`` of a module
    without ``__all__`` copies its keys as they are): give that namespace the value too."""
    if frame is None:
        return
    op = _cpython.opcode_at(frame)
    if op != _cpython.LOAD_NAME and op != _cpython.LOAD_GLOBAL:
        return
    state = key.__dict__
    plain = sys.intern(str.__str__(key))
    with _REARRANGING:
        for namespace in (frame.f_locals, frame.f_globals) if op == _cpython.LOAD_NAME else (frame.f_globals,):
            if type(namespace) is dict:
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
    if entry is not None and entry.module is bound and entry.state != _lazymodule.LOADED:
        _lazymodule.run_for_name(entry, str.__str__(key), frame)
    return value_under(state["namespace"], key)  # a body that replaced its module had its binding rebound


_cpython.as_import_machinery(LazyName.__eq__, release, _load_module)
