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


class Row:
    """What one CPython minor version looks like from inside."""

    __slots__ = ("import_name", "import_from", "extended_arg", "push_exc_info", "with_except_start",
                 "load_name", "load_global", "import_name_shift", "load_global_shift", "initializing_reader",
                 "native")

    def __init__(self, import_name, import_from, extended_arg, push_exc_info, with_except_start, load_name,
                 load_global, *, import_name_shift=0, initializing_reader="_find_and_load", native=False):
        self.import_name = import_name
        self.import_from = import_from
        self.extended_arg = extended_arg
        self.push_exc_info = push_exc_info
        self.with_except_start = with_except_start
        self.load_name = load_name
        self.load_global = load_global
        # 3.15 packs the lazy/eager flags below the name index: oparg = namei << 2 | flags.
        self.import_name_shift = import_name_shift
        self.load_global_shift = 1  # LOAD_GLOBAL's low bit says "push NULL" since 3.11
        # The function whose ``__spec__`` read is _find_and_load's "still initialising?"
        # check: inline in 3.11-3.14, its own helper ``_is_initializing`` in 3.15.
        self.initializing_reader = initializing_reader
        # PEP 810 lazy imports in the interpreter (sys.set_lazy_imports and its filter).
        self.native = native


TABLE = {
    (3, 11): Row(108, 109, 144, 35, 49, 101, 116),
    (3, 12): Row(108, 109, 144, 35, 49, 101, 116),
    (3, 13): Row(75, 74, 71, 33, 44, 92, 91),
    (3, 14): Row(73, 72, 69, 32, 43, 93, 92),
    (3, 15): Row(72, 71, 67, 30, 41, 92, 91, import_name_shift=2, initializing_reader="_is_initializing",
                 native=True),
}

VERSION = sys.version_info[:2]
ROW = TABLE.get(VERSION)
SUPPORTED = ROW is not None
NATIVE = SUPPORTED and ROW.native
# IMPORT_NAME's flag bit for a statement written ``lazy import`` (3.15+).
LAZY_FLAG = 1


def unsupported_message() -> str:
    version = ".".join(map(str, VERSION))
    known = ", ".join(".".join(map(str, v)) for v in TABLE)
    return (f"Python {version} is not one lazyhook knows ({known}); every import stays eager "
            f"until a lazyhook release supports it")


# --- importlib._bootstrap ---------------------------------------------------------------
BOOTSTRAP_FILES = frozenset({"<frozen importlib._bootstrap>", "<frozen importlib._bootstrap_external>"})
get_module_lock = _bootstrap._get_module_lock  # the per-module import lock (re-entrant)
DeadlockError = _bootstrap._DeadlockError  # what acquiring it raises for a cross-thread cycle
ModuleLockManager = _bootstrap._ModuleLockManager  # ``with``: hold a module's import lock
spec_from_loader = _bootstrap.spec_from_loader  # importlib.util's, without importing it (~3 ms)
module_from_spec = _bootstrap.module_from_spec
# Code objects whose reads of a pending module mean something to the import system.
HANDLE_FROMLIST_CODE = _bootstrap._handle_fromlist.__code__  # ``from pkg import sub`` binding
FIND_AND_LOAD_UNLOCKED_CODE = _bootstrap._find_and_load_unlocked.__code__  # reads parent.__path__
INITIALIZING_READER = ROW.initializing_reader if SUPPORTED else "_find_and_load"


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
    extended = ROW.extended_arg
    while i >= 0 and raw[i] == extended:
        arg |= raw[i + 1] << shift
        shift += 8
        i -= 2
    return arg


def import_name_target(frame) -> str:
    """The module name written in the executing IMPORT_NAME (``a.b`` for ``import a.b``)."""
    code = frame.f_code
    return code.co_names[oparg_at(code, frame.f_lasti) >> ROW.import_name_shift]


def is_explicit_lazy(frame) -> bool:
    """Whether the executing IMPORT_NAME was written ``lazy import`` (3.15+)."""
    return bool(frame.f_code.co_code[frame.f_lasti + 1] & LAZY_FLAG)


def name_being_loaded(frame) -> str | None:
    """The global a frame is reading right now (``LOAD_NAME``/``LOAD_GLOBAL``), if any."""
    op = opcode_at(frame)
    code = frame.f_code
    if op == ROW.load_name:
        return code.co_names[oparg_at(code, frame.f_lasti)]
    if op == ROW.load_global:
        return code.co_names[oparg_at(code, frame.f_lasti) >> ROW.load_global_shift]
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
    push_exc_info, with_except_start = ROW.push_exc_info, ROW.with_except_start
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

    names = ("IMPORT_NAME", "IMPORT_FROM", "EXTENDED_ARG", "PUSH_EXC_INFO", "WITH_EXCEPT_START",
             "LOAD_NAME", "LOAD_GLOBAL")
    return {name.lower(): opcode.opmap[name] for name in names}
