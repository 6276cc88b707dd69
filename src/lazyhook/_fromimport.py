"""``from pkg import name`` deferred on 3.11-3.14 as PEP 810 defers it on 3.15.

A deferred module-level ``from pkg import a as b`` binds ``b`` to a ``LazyImport``
placeholder under a key that is a ``LazyName``: a ``str`` subclass equal to ``"b"``.
Every lookup of ``b`` in that namespace (``LOAD_NAME``, ``LOAD_GLOBAL``, ``mod.b``,
``from mod import b``, ``globals()["b"]``) finds the slot by hash, sees a key that is
not the interned ``"b"`` and asks ``LazyName.__eq__``, which imports the name as the
statement would have, puts the real object back under a plain ``str`` key, and answers
True; the dict sees it was changed during the comparison and looks again
(``Objects/dictobject.c``, "The dict was mutated, restart"), finding the real object.
So a name load never yields the placeholder, and after it the module's globals are an
ordinary all-``str`` dict again, with ``LOAD_GLOBAL`` specialised as without lazyhook.

Iterating the namespace (``globals()``, ``vars()``, ``dir()``) shows the placeholder and
loads nothing, as on 3.15, and neither do comparisons of those names (``COMPARE_OP``,
``CONTAINS_OP``: ``k == "b"``, ``"b" in globals()``).  A ``STORE_NAME``/``DELETE_NAME`` of the name by the module
itself replaces it without loading anything, as on 3.15.
"""

import sys
from _thread import get_ident

from . import _cpython, _frames, _state
from ._finder import find_spec_elsewhere

# The rebinds run under ``_state.lock`` (never held while a module body runs); threads
# doing one are in ``_state.quiet``: for them lazy names compare as plain strings.
_code_cache: dict = {}  # a cache: (level, target, attr) -> code of the eager from-import
_HERE = __file__.rpartition("/")[0] or __file__.rpartition("\\")[0]
# A filename that starts with lazyhook's directory (load sites skip it) and names the
# import machinery (warnings skip it); no such file, so tracebacks print no source line.
_SYNTHETIC_FILE = f"{_HERE}/<lazy from-import> (importlib._bootstrap)"


class LazyImport:
    """What a deferred from-import binds: only iterating the namespace ever shows it.

    Like ``types.LazyImportType`` on 3.15: ``resolve()`` returns the object without
    rebinding, and any other attribute is an AttributeError.
    """

    __slots__ = ("_key",)

    def __init__(self, key: "LazyName") -> None:
        self._key = key

    def resolve(self):
        return _import_value(self._key)

    def __repr__(self) -> str:
        key = self._key.__dict__
        return f"<lazy_import '{key['module']}.{key['attr']}'>"


class LazyName(str):
    """The namespace key of a deferred name; see the module docstring."""

    __hash__ = str.__hash__

    def __eq__(self, other):
        if type(other) is not str or not str.__eq__(self, other):
            return str.__eq__(self, other)
        ident = get_ident()
        state = self.__dict__
        if ident in _state.quiet or state["resolved"]:
            return True
        if state["binder"] == ident:
            state["binder"] = 0  # the statement's own STORE_NAME of the placeholder
            return True
        try:
            caller = sys._getframe(1)
        except ValueError:  # compared from C with no Python frame at all
            caller = None
        op = _cpython.opcode_at(caller) if caller is not None else -1
        if op == _cpython.COMPARE_OP or op == _cpython.CONTAINS_OP:
            return True  # ``name == "b"``, ``"b" in globals()``: a comparison, not a use
        if caller is not None and _is_rebinding(state, op, caller):
            _release(self, state["placeholder"])  # the store or delete then goes ahead
        else:
            _release(self, _import_value(self))
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


def _release(key: LazyName, value) -> None:
    """Put ``value`` under the plain name where ``key`` is, once (threads may race here)."""
    state = key.__dict__
    ident = get_ident()
    with _state.lock:
        if state["resolved"]:
            return
        _state.quiet.add(ident)
        try:
            _cpython.replace_key(state["namespace"], key, sys.intern(str.__str__(key)), value)
        finally:
            _state.quiet.discard(ident)
        state["resolved"] = True
        state["namespace"] = state["placeholder"] = None


def _import_value(key: LazyName):
    """Run the import the statement stood for, as a function-level (eager) import in the
    importing module's namespace: the same resolution, loads and errors as eager import."""
    state = key.__dict__
    namespace = state["namespace"]
    if namespace is None:  # rebound meanwhile: ask the namespace the module has now
        raise ImportError(f"lazy from-import of {state['attr']!r} was replaced before its first use")
    shape = (state["level"], state["target"], state["attr"])
    code = _code_cache.get(shape)
    if code is None:
        level, target, attr = shape
        source = f"def _lazy_from_import():\n from {'.' * level}{target} import {attr} as value\n return value\n"
        module_code = compile(source, _SYNTHETIC_FILE, "exec", dont_inherit=True)
        code = _code_cache[shape] = next(c for c in module_code.co_consts if hasattr(c, "co_code"))
    file, line = state["site"]
    # Numbered so that a traceback through it shows the statement's own line (linecache
    # reads the importing module's source through its ``__loader__``).
    code = code.replace(co_firstlineno=max(line - 1, 1))
    statement = f"from {'.' * state['level']}{state['target']} import {state['attr']}"
    try:
        return type(_import_value)(code, namespace)()
    except ImportError as error:
        note = f"lazily imported by `{statement}` at {file}:{line}"
        if note not in (getattr(error, "__notes__", None) or ()):
            error.add_note(note)
        raise
    except Exception as error:
        # A body that failed before and is run again by this retry, as eager import runs
        # it: the same kind of error as the first failure, naming both sites.
        from ._lazymodule import LazyImportError

        use_file, use_line, _function = _frames.caller_site(sys._getframe(1))
        raise LazyImportError(
            f"lazy from-import of {state['attr']!r} from {state['module']!r} failed: "
            f"{type(error).__name__}: {error}\n  imported at {file}:{line} (`{statement}`)\n"
            f"  first used at {use_file}:{use_line}", name=state["module"]) from error


def defers_fromlist(module_name: str, frame, would_defer) -> bool:
    """``_handle_fromlist`` asks ``hasattr(module, name)`` for a from-import: whether that
    statement is one we defer (then the answer is yes, and nothing loads)."""
    statement = _frames.statement_frame(frame.f_back)
    if statement is None or not _frames.is_import_statement(statement):
        return False
    offset = statement.f_lasti
    return (_cpython.imports_names_next(statement.f_code, offset)
            and _imported_module(statement, offset, module_name) is not None
            and would_defer(module_name, statement, offset))


def _imported_module(frame, offset: int, module_name: str) -> tuple[int, str, str] | None:
    """``(level, target, module_name)`` when the statement at ``offset`` is ``from
    <module_name> import ...``; None otherwise (``import a.b as c`` reads ``b`` from ``a``
    the same way, but its target is ``a.b``)."""
    statement = _cpython.statement_module(frame, offset)
    return statement if statement is not None and statement[2] == module_name else None


def bind(module_name: str, attr: str, frame, would_defer) -> LazyImport | None:
    """At a deferred statement's ``IMPORT_FROM``: put the lazy name in the namespace the
    next ``STORE_NAME`` writes and return the placeholder it stores; None when the
    statement is not one we defer (the caller then loads, as eager import does)."""
    code = frame.f_code
    lasti = frame.f_lasti
    store = _cpython.from_import_store(code, lasti)
    start = _cpython.from_statement_start(code, lasti) if store is not None else None
    if start is None:
        return None
    namespace = frame.f_globals
    statement = _imported_module(frame, start, module_name) if frame.f_locals is namespace else None
    if statement is None or not would_defer(module_name, frame, start):
        return None
    level, target, _name = statement
    key = LazyName(store)
    placeholder = LazyImport(key)
    key.__dict__.update(namespace=namespace, placeholder=placeholder, module=module_name, attr=attr,
                        level=level, target=target, site=(code.co_filename, frame.f_lineno or 0),
                        resolved=False, binder=0)
    ident = get_ident()
    with _state.lock:
        _state.quiet.add(ident)
        try:
            existing = next((k for k in namespace if k == store), None) if store in namespace else None
            if existing is None:
                namespace[key] = placeholder
            else:  # a rebinding: keep the name's place, as STORE_NAME would
                _cpython.replace_key(namespace, existing, key, placeholder)
                if type(existing) is LazyName:
                    existing.__dict__["resolved"] = True
        finally:
            _state.quiet.discard(ident)
        key.__dict__["binder"] = ident
        _state.deferred_from.setdefault(module_name, []).append(key)
    return placeholder


def import_deferred_submodules(loaded_names) -> None:
    """Right after these modules' bodies ran: import the submodules their deferred ``from
    package import sub`` statements name, in statement order (3.11-3.14).

    Eager import ran ``sub``'s body at the statement, and what that body imported
    became visible on the package: matplotlib reads ``fontTools.ttLib`` that only
    ``from fontTools import subset`` imported.  A first use of a package runs its whole
    pending tree; submodules named by from-imports are part of it.  A name the package
    itself defines stays deferred until used, and an import that fails here is left for
    the name's first use to raise, where the emulation reports errors.
    """
    if not _state.deferred_from:
        return
    for module_name in loaded_names:
        with _state.lock:
            keys = _state.deferred_from.pop(module_name, None)
        if keys:
            _import_submodules(module_name, keys)


def _import_submodules(module_name: str, keys: list) -> None:
    module = sys.modules.get(module_name)
    if module is None:
        return
    try:
        namespace = object.__getattribute__(module, "__dict__")
    except AttributeError:
        return
    path = namespace.get("__path__")
    if path is None:
        return
    for key in keys:
        state = key.__dict__
        attr = state["attr"]
        if state["resolved"] or attr in namespace or find_spec_elsewhere(f"{module_name}.{attr}", path) is None:
            continue
        try:
            value = _import_value(key)
        except Exception:  # noqa: BLE001 - raised again at the name's first use
            continue
        _release(key, value)


# The comparison runs imports on behalf of the line that used the name: its frames are
# import machinery for warnings' stacklevel (see _cpython.as_import_machinery).
_cpython.as_import_machinery(LazyName.__eq__, _release, _import_value)
