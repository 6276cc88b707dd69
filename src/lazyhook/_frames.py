"""Which import statements may be deferred: PEP 810's rule, read from the importing frame.

PEP 810 defers import *statements* at module level (inside ``with`` blocks too);
imports inside ``try`` bodies and ``except`` clauses, inside functions or class bodies,
and ``importlib.import_module()`` / ``__import__()`` calls stay eager.  From inside ``find_spec`` (or a ``__spec__`` read
by ``import_ensure_initialized``) the frame executing the statement is the first one
below the frozen importlib frames.  Only configured names ever get here, so the cost
of looking is paid by nothing else.
"""

from . import _cpython

BOOTSTRAP_FILES = _cpython.BOOTSTRAP_FILES


def statement_frame(frame):
    """The first frame below the importlib bootstrap frames: the code doing the import."""
    while frame is not None and frame.f_code.co_filename in BOOTSTRAP_FILES:
        frame = frame.f_back
    return frame


def is_import_statement(frame) -> bool:
    return frame is not None and _cpython.opcode_at(frame) == _cpython.IMPORT_NAME


def is_import_from(frame) -> bool:
    return frame is not None and _cpython.opcode_at(frame) == _cpython.IMPORT_FROM


def statement_offset(frame, offset: int | None = None) -> int | None:
    """The IMPORT_NAME offset of the statement ``frame`` executes: ``offset`` when given
    (a from-import's ``IMPORT_FROM`` is further on), else the current instruction if it is
    an IMPORT_NAME; None when it is not an import statement."""
    if offset is not None:
        return offset
    return frame.f_lasti if is_import_statement(frame) else None


def top_of(name: str) -> str:
    return name.partition(".")[0]


def is_deferrable(frame, name: str, offset: int | None = None, configured: bool = True) -> bool:
    """PEP 810's rule for the import of ``name`` executed by ``frame``.

    Deferred only when the frame is executing an ``import`` statement at module level,
    outside every ``try`` body and ``except`` clause (``with`` blocks and a ``try``
    statement's ``else:``/``finally:`` defer, as on 3.15), for this very package (a C
    extension's own ``PyImport_Import`` during a statement for another package must stay eager), and,
    for a ``configured`` package (the policy's), not from inside the same package: once
    its body runs, its imports are eager (the 3.15 filter refuses them too).  What the
    importer lists in ``__lazy_modules__`` is not ``configured`` here, whatever the
    policy says: a package's imports of itself that it lists defer, as on 3.15.
    ``offset`` is the statement's IMPORT_NAME when the frame is further on (a from-import's
    ``IMPORT_FROM``).
    """
    return eager_reason(frame, name, offset, configured) is None


def is_listed_lazy(frame, name: str, offset: int | None = None) -> bool:
    """Whether the importing module lists the statement's target in ``__lazy_modules__``
    (PEP 810: fully qualified names; for ``from X import ...`` the name ``X``), and
    ``name`` is that target, one of its parents (``import a.b`` imports ``a`` first), or
    a submodule ``X.sub`` that ``from X import sub`` imports (3.15 defers it too)."""
    if frame is None:
        return False
    listed = frame.f_globals.get("__lazy_modules__")
    if not listed:
        return False
    offset = statement_offset(frame, offset)
    statement = _cpython.statement_module(frame, offset) if offset is not None else None
    absolute = statement[2] if statement is not None else None
    if absolute is None:
        return False
    try:
        if absolute not in listed:
            return False
    except TypeError:  # not a container: nothing is listed
        return False
    if name == absolute or absolute.startswith(name + "."):
        return True
    # ``from X import sub`` with X listed: the submodule the statement imports defers too.
    parent, _dot, attr = name.rpartition(".")
    return parent == absolute and attr in _cpython.import_fromlist(frame.f_code, offset)


def eager_reason(frame, name: str, offset: int | None = None, configured: bool = True) -> str | None:
    """Why PEP 810's rule keeps this import of ``name`` eager, in a user's words (status
    and reports: "in a try block or except clause"); None when the rule defers it.
    ``configured``: ``name``'s package is the policy's and the importer does not list
    ``name``: its own imports stay eager."""
    if frame is None:
        return "not from Python code"
    offset = statement_offset(frame, offset)
    if offset is None:
        return "not an import statement (importlib.import_module or __import__)"
    if frame.f_code.co_name != "<module>":
        return f"inside {frame.f_code.co_name}()"
    if not _cpython.outside_try_and_except(frame.f_code, offset):
        return "in a try block or except clause"
    top = top_of(name)
    importer = frame.f_globals.get("__name__")
    if configured and isinstance(importer, str) and top_of(importer) == top:
        return "by its own package"
    # The absolute name: ``from .sub import x``, ``from . import sub`` import the module
    # the dots name (as written when the level cannot be read).
    statement = _cpython.statement_module(frame, offset)
    target = statement[2] if statement is not None else _cpython.import_name_target(frame, offset)
    if not target:
        return "an import statement PEP 810 keeps eager"
    return None if top_of(target) == top else f"by the import of {target}"


def caller_site(frame) -> tuple[str, int, str]:
    """(file, line, function) of the first frame outside importlib and lazyhook."""
    here = __file__.rpartition("/")[0] or __file__.rpartition("\\")[0]
    while frame is not None:
        filename = frame.f_code.co_filename
        if filename not in BOOTSTRAP_FILES and not filename.startswith(here):
            return filename, frame.f_lineno or 0, frame.f_code.co_name
        frame = frame.f_back
    return "<unknown>", 0, "<unknown>"

