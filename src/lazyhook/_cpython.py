"""Every CPython internal lazyhook relies on, per version, in one place.

Nothing here is public API: opcode numbers, the ``IMPORT_NAME`` oparg encoding, the
exception-table format, the ``importlib._bootstrap`` functions lazyhook recognises and
where the import system asks "is this module still initialising".  Each table row is
checked against the running interpreter's ``opcode``/``dis``/``_bootstrap`` by
``tests/test_cpython.py``.  A version without a row is refused, never guessed:
``SUPPORTED`` is False and lazyhook defers nothing there (one warning line).
"""

import sys

import _frozen_importlib as _bootstrap


# One row per minor version.  Opcodes: IMPORT_NAME, IMPORT_FROM, EXTENDED_ARG,
# PUSH_EXC_INFO, WITH_EXCEPT_START, LOAD_NAME, LOAD_GLOBAL; then IMPORT_NAME's oparg
# shift (3.15 packs the lazy/eager flags below the name index: namei << 2 | flags); the
# function whose ``__spec__`` read is _find_and_load's "still initialising?" check
# (inline in 3.11-3.14, its own helper ``_is_initializing`` in 3.15); and whether the
# interpreter has PEP 810 lazy imports (``sys.set_lazy_imports`` and its filter).
FIELDS = ("import_name", "import_from", "extended_arg", "push_exc_info", "with_except_start",
          "load_name", "load_global", "import_name_shift", "initializing_reader", "native")
TABLE = {
    (3, 11): (108, 109, 144, 35, 49, 101, 116, 0, "_find_and_load", False),
    (3, 12): (108, 109, 144, 35, 49, 101, 116, 0, "_find_and_load", False),
    (3, 13): (75, 74, 71, 33, 44, 92, 91, 0, "_find_and_load", False),
    (3, 14): (73, 72, 69, 32, 43, 93, 92, 0, "_find_and_load", False),
    (3, 15): (72, 71, 67, 30, 41, 92, 91, 2, "_is_initializing", True),
}

VERSION = sys.version_info[:2]
ROW = TABLE.get(VERSION)
SUPPORTED = ROW is not None
(IMPORT_NAME, IMPORT_FROM, EXTENDED_ARG, PUSH_EXC_INFO, WITH_EXCEPT_START, LOAD_NAME, LOAD_GLOBAL,
 IMPORT_NAME_SHIFT, INITIALIZING_READER, NATIVE) = ROW or (-1, -1, -1, -1, -1, -1, -1, 0, "_find_and_load", False)
LOAD_GLOBAL_SHIFT = 1  # LOAD_GLOBAL's low bit says "push NULL" since 3.11
LAZY_FLAG = 1  # IMPORT_NAME's flag bit for a statement written ``lazy import`` (3.15+)


def unsupported_message() -> str:
    version = ".".join(map(str, VERSION))
    known = ", ".join(".".join(map(str, v)) for v in TABLE)
    return (f"Python {version} is not one lazyhook knows ({known}); every import stays eager "
            f"until a lazyhook release supports it")


# --- importlib._bootstrap ---------------------------------------------------------------
BOOTSTRAP_FILES = frozenset({"<frozen importlib._bootstrap>", "<frozen importlib._bootstrap_external>"})
# Read with getattr: a version where one is gone is refused (SUPPORTED False), not a crash.
get_module_lock = getattr(_bootstrap, "_get_module_lock", None)  # per-module import lock (re-entrant)
DeadlockError = getattr(_bootstrap, "_DeadlockError", None)  # acquiring it in a cross-thread cycle
ModuleLockManager = getattr(_bootstrap, "_ModuleLockManager", None)  # ``with``: hold a module's lock
spec_from_loader = _bootstrap.spec_from_loader  # importlib.util's, without importing it (~3 ms)
module_from_spec = _bootstrap.module_from_spec
# Code objects whose reads of a pending module mean something to the import system.
HANDLE_FROMLIST_CODE = getattr(getattr(_bootstrap, "_handle_fromlist", None), "__code__", None)
FIND_AND_LOAD_UNLOCKED_CODE = getattr(getattr(_bootstrap, "_find_and_load_unlocked", None), "__code__", None)
SUPPORTED = SUPPORTED and None not in (get_module_lock, DeadlockError, ModuleLockManager, HANDLE_FROMLIST_CODE,
                                       FIND_AND_LOAD_UNLOCKED_CODE)
NATIVE = NATIVE and SUPPORTED


def as_import_machinery(*functions) -> None:
    """Make ``warnings`` count these functions' frames as import machinery.

    ``warnings.warn(..., stacklevel=2)`` in a module body names the line that imported
    it because ``warnings`` (C and Python alike, 3.11-3.15) skips frames whose filename
    contains both ``importlib`` and ``_bootstrap``.  lazyhook's frames between a body
    and the line that used the module must be skipped the same way, or a
    DeprecationWarning is attributed to lazyhook and hidden by the default filters.
    The filename keeps lazyhook's path first, so tracebacks still say whose frame it is.
    """
    for function in functions:
        code = function.__code__
        if "importlib" not in code.co_filename:
            function.__code__ = code.replace(co_filename=f"{code.co_filename} (importlib._bootstrap: lazy load)")


def forget_module_lock(name: str) -> None:
    """Drop the import system's lock for ``name`` (``_bootstrap._module_locks``, a dict of
    weak references, the same in 3.11-3.15); the next import of it makes a fresh one.

    For a forked child only: a lock the parent's other threads held stays held there
    forever, by a thread that does not exist.
    """
    locks = getattr(_bootstrap, "_module_locks", None)
    if locks is not None:
        locks.pop(name, None)


def mark_initializing(spec, value: bool) -> None:
    """``spec._initializing``: while True, eager imports in other threads wait on the
    module's lock instead of taking the module as it is (``_find_and_load``)."""
    spec._initializing = value


# --- bytecode -----------------------------------------------------------------------------
def opcode_at(frame) -> int:
    """The opcode of the instruction ``frame`` is executing (-1 when there is none)."""
    code = frame.f_code.co_code
    lasti = frame.f_lasti
    return code[lasti] if 0 <= lasti < len(code) else -1


def oparg_at(code, lasti: int) -> int:
    """The full oparg of the instruction at ``lasti``, EXTENDED_ARG prefixes included."""
    raw = code.co_code
    arg, shift, i = raw[lasti + 1], 8, lasti - 2
    extended = EXTENDED_ARG
    while i >= 0 and raw[i] == extended:
        arg |= raw[i + 1] << shift
        shift += 8
        i -= 2
    return arg


def import_name_target(frame) -> str:
    """The module name written in the executing IMPORT_NAME (``a.b`` for ``import a.b``)."""
    code = frame.f_code
    return code.co_names[oparg_at(code, frame.f_lasti) >> IMPORT_NAME_SHIFT]


def is_explicit_lazy(frame) -> bool:
    """Whether ``frame`` is executing an IMPORT_NAME written ``lazy import`` (3.15+: the
    flag sits in the low bits of the oparg's last byte)."""
    code = frame.f_code.co_code
    lasti = frame.f_lasti
    return code[lasti] == IMPORT_NAME and bool(code[lasti + 1] & LAZY_FLAG)


def name_being_loaded(frame) -> str | None:
    """The global a frame is reading right now (``LOAD_NAME``/``LOAD_GLOBAL``), if any."""
    op = opcode_at(frame)
    code = frame.f_code
    if op == LOAD_NAME:
        return code.co_names[oparg_at(code, frame.f_lasti)]
    if op == LOAD_GLOBAL:
        return code.co_names[oparg_at(code, frame.f_lasti) >> LOAD_GLOBAL_SHIFT]
    return None


def exception_entries(table: bytes):
    """(start, end, target) in code units, from a code object's ``co_exceptiontable``.

    The varint format of ``Objects/exception_handling_notes.txt``: start, length, target,
    depth<<1|lasti, each in 6-bit chunks, bit 6 = more, bit 7 = first of an entry.
    """
    pos, size = 0, len(table)

    def varint() -> int:
        nonlocal pos
        byte = table[pos]
        pos += 1
        value = byte & 63
        while byte & 64:
            byte = table[pos]
            pos += 1
            value = (value << 6) | (byte & 63)
        return value

    while pos < size:
        start = varint()
        end = start + varint()
        target = varint()
        varint()  # depth and lasti
        yield start, end, target


def _handler_covering(entries, unit: int):
    for start, end, target in entries:
        if start <= unit < end:
            return target
    return None


def outside_try_and_except(code, lasti: int) -> bool:
    """Whether the instruction at byte offset ``lasti`` is outside every ``try`` body and
    ``except`` clause, ``with`` blocks not counting: PEP 810's rule, as 3.15 applies it.

    The table is flat (each offset names its innermost handler).  A ``with`` body's
    handler starts ``PUSH_EXC_INFO; WITH_EXCEPT_START``; its own code is covered by the
    with statement's cleanup entry, whose code in turn is covered by whatever encloses
    the ``with`` statement.  Any other handler means a ``try`` body (its handler) or an
    ``except`` clause (a cleanup that pops the exception).  ``else:`` and the normal path
    of ``finally:`` are covered by nothing, as 3.15 defers them too.
    """
    table = code.co_exceptiontable
    if not table:
        return True
    entries = list(exception_entries(table))
    raw = code.co_code
    push_exc_info, with_except_start = PUSH_EXC_INFO, WITH_EXCEPT_START
    target = _handler_covering(entries, lasti // 2)
    for _ in range(64):  # nesting depth; a real table ends long before
        if target is None:
            return True
        at = target * 2
        if raw[at] != push_exc_info or raw[at + 2] != with_except_start:
            return False
        cleanup = _handler_covering(entries, target)  # the with statement's own cleanup
        if cleanup is None:
            return True
        target = _handler_covering(entries, cleanup)  # what encloses the with statement
    return False


def placeholder_name(obj) -> str | None:
    """The module name of a 3.15 lazy-import placeholder (``<lazy_import 'pkg.mod'>``).

    ``types.LazyImportType`` exposes no name attribute; its repr is the only public
    trace of it.  None for anything that is not a placeholder.
    """
    if not NATIVE or type(obj).__name__ != "lazy_import":
        return None
    text = repr(obj)
    start = text.find("'")
    return text[start + 1:text.rfind("'")] if start >= 0 else None


def opcodes_of_this_interpreter() -> dict:
    """The running interpreter's own numbers for what a row records (for tests)."""
    import opcode

    return {name: opcode.opmap[name.upper()] for name in FIELDS[:7]}
