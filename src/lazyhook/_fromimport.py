"""``from pkg import name`` deferred on 3.11-3.14 as PEP 810 defers it on 3.15.

A deferred module-level ``from pkg import a as b`` binds ``b`` as a lazy name
(``_lazymodule.LazyName``) holding a ``LazyImport`` placeholder; the first evaluation of ``b``
runs the from-import as the statement would have, and only iterating the namespace
ever shows the placeholder.
"""

import sys
from _thread import get_ident

from . import _cpython, _frames, _state
from ._lazymodule import LazyName, bind as bind_name, release
from ._finder import find_spec_elsewhere

# The eager from-import a deferred one runs, compiled once per shape (relative level, and
# whether it names a module after the dots) with stand-in names; each statement's names
# go in with ``code.replace`` (~0.1 µs), where a ``compile`` per name cost ~10 µs, and a
# program may use hundreds of lazily from-imported names.
_TARGET, _ATTR = "_lazyhook_target_", "_lazyhook_attr_"
_templates: dict = {}  # a cache: (level, bool(target)) -> code with the stand-in names
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

    def __init__(self, key: LazyName | None = None) -> None:
        self._key = key  # set by ``bind`` once the key exists

    def resolve(self):
        return _import_value(self._key)

    def __repr__(self) -> str:
        key = self._key.__dict__
        return f"<lazy_import '{key['module']}.{key['attr']}'>"


def _import_value(key: LazyName, _frame=None):
    """Run the import the statement stood for, as a function-level (eager) import in the
    importing module's namespace: the same resolution, loads and errors as eager import."""
    state = key.__dict__
    namespace = state["namespace"]
    if namespace is None:  # rebound meanwhile: ask the namespace the module has now
        raise ImportError(f"lazy from-import of {state['attr']!r} was replaced before its first use")
    level, target, attr = state["level"], state["target"], state["attr"]
    template = _templates.get((level, bool(target)))
    if template is None:
        source = (f"def _lazy_from_import():\n from {'.' * level}{_TARGET if target else ''} import {_ATTR} "
                  "as value\n return value\n")
        module_code = compile(source, _SYNTHETIC_FILE, "exec", dont_inherit=True)
        template = _templates[(level, bool(target))] = next(c for c in module_code.co_consts if hasattr(c, "co_code"))
    file, line = state["site"]
    # Numbered so that a traceback through it shows the statement's own line (linecache
    # reads the importing module's source through its ``__loader__``).
    names = {_TARGET: target, _ATTR: attr}
    code = template.replace(co_firstlineno=max(line - 1, 1),
                            co_names=tuple(names.get(name, name) for name in template.co_names),
                            co_consts=tuple((attr,) if const == (_ATTR,) else const for const in template.co_consts))
    statement = f"from {'.' * state['level']}{state['target']} import {state['attr']}"
    resolving = state.setdefault("resolving", [])  # threads running this import now
    resolving.append(get_ident())
    try:
        _raise_unraised(state)
        return _cpython.on_fresh_frame_stack(type(_import_value)(code, namespace))
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
    finally:
        resolving.remove(get_ident())


def _raise_unraised(state: dict) -> None:
    """The submodule this from-import names failed when it was imported right after its
    package (``import_deferred_submodules``), before any use asked for it: that run was
    this use's attempt, so its error is raised now without running the body again; on
    3.15 the body first runs at this use."""
    error = state.pop("unraised", None)
    if error is not None:
        raise error


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
    placeholder = LazyImport()
    key = bind_name(namespace, store, placeholder, _import_value, module=module_name, attr=attr,
                    level=level, target=target, site=(code.co_filename, frame.f_lineno or 0))
    placeholder._key = key
    with _state.lock:
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
        if state["resolved"] or attr in namespace or get_ident() in state.get("resolving", ()):
            continue  # (the name being resolved right now: its own import runs it next, once)
        if find_spec_elsewhere(f"{module_name}.{attr}", path) is None:
            continue
        try:
            value = _import_value(key)
        except Exception as error:  # noqa: BLE001 - raised at the name's first use
            state["unraised"] = error
            continue
        release(key, value)


# The comparison runs imports on behalf of the line that used the name: its frames are
# import machinery for warnings' stacklevel (see _cpython.as_import_machinery).
_cpython.as_import_machinery(_import_value)
