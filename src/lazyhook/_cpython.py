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

# The import system's frames, and the probes that skip them to find the importing
# module (``importer_name(depth)``; the finder's fast path skips them by their globals
# in its ``__lazy_modules__`` look): defined in the start-up module,
# ``lazyhook/__init__.py``, whose finder fast path needs them before anything else of
# lazyhook is imported; every other use goes through these names.
from . import _BOOTSTRAP_EXTERNAL_GLOBALS as BOOTSTRAP_EXTERNAL_GLOBALS, _BOOTSTRAP_FILES as BOOTSTRAP_FILES, \
    _BOOTSTRAP_GLOBALS as BOOTSTRAP_GLOBALS, _BOOTSTRAP_MODULES as BOOTSTRAP_MODULES, \
    _FIND_SPEC_TO_IMPORTER as FIND_SPEC_TO_IMPORTER, _IMPORT_SYSTEM_FRAMES as IMPORT_SYSTEM_FRAMES, \
    _importer_name as importer_name, _SUPPORTED as _package_supported


# One row per minor version.  Opcodes: IMPORT_NAME, IMPORT_FROM, EXTENDED_ARG,
# PUSH_EXC_INFO, WITH_EXCEPT_START, LOAD_NAME, LOAD_GLOBAL, STORE_NAME, STORE_GLOBAL,
# DELETE_NAME, DELETE_GLOBAL, LOAD_CONST, LOAD_SMALL_INT (3.14+), COMPARE_OP, CONTAINS_OP, SWAP,
# POP_TOP; then IMPORT_NAME's oparg
# shift (3.15 packs the lazy/eager flags below the name index: namei << 2 | flags); the
# function whose ``__spec__`` read is _find_and_load's "still initialising?" check
# (inline in 3.11-3.14, its own helper ``_is_initializing`` in 3.15); and whether the
# interpreter has PEP 810 lazy imports (``sys.set_lazy_imports`` and its filter).
FIELDS = ("import_name", "import_from", "extended_arg", "push_exc_info", "with_except_start",
          "load_name", "load_global", "store_name", "store_global", "delete_name", "delete_global",
          "load_const", "load_small_int", "compare_op", "contains_op", "swap", "pop_top",
          "import_name_shift", "initializing_reader", "native")
OPCODE_FIELDS = 17
TABLE = {
    (3, 11): (108, 109, 144, 35, 49, 101, 116, 90, 97, 91, 98, 100, -1, 107, 118, 99, 1, 0, "_find_and_load", False),
    (3, 12): (108, 109, 144, 35, 49, 101, 116, 90, 97, 91, 98, 100, -1, 107, 118, 99, 1, 0, "_find_and_load", False),
    (3, 13): (75, 74, 71, 33, 44, 92, 91, 114, 113, 67, 66, 83, -1, 58, 59, 115, 32, 0, "_find_and_load", False),
    (3, 14): (73, 72, 69, 32, 43, 93, 92, 116, 115, 65, 64, 82, 94, 56, 57, 117, 31, 0, "_find_and_load", False),
    (3, 15): (72, 71, 67, 30, 41, 92, 91, 115, 114, 63, 62, 81, 93, 54, 55, 116, 29, 2, "_is_initializing", True),
}

VERSION = sys.version_info[:2]
ROW = TABLE.get(VERSION)
SUPPORTED = ROW is not None
(IMPORT_NAME, IMPORT_FROM, EXTENDED_ARG, PUSH_EXC_INFO, WITH_EXCEPT_START, LOAD_NAME, LOAD_GLOBAL,
 STORE_NAME, STORE_GLOBAL, DELETE_NAME, DELETE_GLOBAL, LOAD_CONST, LOAD_SMALL_INT, COMPARE_OP, CONTAINS_OP,
 SWAP, POP_TOP, IMPORT_NAME_SHIFT, INITIALIZING_READER, NATIVE) = ROW or (-1,) * OPCODE_FIELDS + (0, "_find_and_load", False)
LOAD_GLOBAL_SHIFT = 1  # LOAD_GLOBAL's low bit says "push NULL" since 3.11
LAZY_FLAG = 1  # IMPORT_NAME's flag bit for a statement written ``lazy import`` (3.15+)


# --- importlib._bootstrap ---------------------------------------------------------------
# Read with getattr: a version where one is gone is refused (SUPPORTED False), not a crash.
get_module_lock = getattr(_bootstrap, "_get_module_lock", None)  # per-module import lock (re-entrant)
DeadlockError = getattr(_bootstrap, "_DeadlockError", None)  # acquiring it in a cross-thread cycle
ModuleLockManager = getattr(_bootstrap, "_ModuleLockManager", None)  # ``with``: hold a module's lock
spec_from_loader = _bootstrap.spec_from_loader  # importlib.util's, without importing it (~3 ms)
module_from_spec = _bootstrap.module_from_spec
# Code objects whose reads of a pending module mean something to the import system.
HANDLE_FROMLIST_CODE = getattr(getattr(_bootstrap, "_handle_fromlist", None), "__code__", None)
FIND_AND_LOAD_UNLOCKED_CODE = getattr(getattr(_bootstrap, "_find_and_load_unlocked", None), "__code__", None)
SUPPORTED = SUPPORTED and _package_supported and None not in (
    get_module_lock, DeadlockError, ModuleLockManager, HANDLE_FROMLIST_CODE, FIND_AND_LOAD_UNLOCKED_CODE)
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


# --- the frame stack --------------------------------------------------------------------
# A function's frame takes ``co_nlocalsplus + co_stacksize`` slots (and a few of the
# frame's own) on its thread's frame stack, which CPython allocates in chunks (16 KiB,
# or the next power of two that fits a frame and 1,000 more slots).  A call whose
# frame does not fit in the current chunk gets a new one, freed again when that frame
# returns: before gh-142183 (3.11, 3.12, 3.13.0) each such call maps and unmaps a chunk,
# and everywhere a call across a chunk's end keeps the interpreter from specialising
# it.  Where in a chunk each frame of a module body lands depends on the depth it runs
# at, and a deferred body runs deeper than the same import run eagerly, so a loop that
# ran inside one chunk eagerly may call across an end lazily and pay that at every
# iteration (measured on 3.11: ~6,000 munmap calls against ~760 for scipy).
# ``on_fresh_frame_stack`` gives a body its own room instead: its frame is too big for
# any chunk but a new one (FRESH_STACK_SLOTS is more than half of the 64 Ki-slot chunk
# that frame gets), so the body starts at the same place of a fresh chunk every time,
# with ~25 Ki slots (~200 KiB) above it, deeper than any import goes; a nested call
# gets a fresh chunk of its own.  Only the frame's first slots are written (the stack
# part of a frame is used from its bottom up), so the rest of the mapping is never touched.
FRESH_STACK_SLOTS = 40_000


def on_fresh_frame_stack(function, *args):
    """``function(*args)``, run above a frame that starts a chunk of the frame stack of its own."""
    return function(*args)


on_fresh_frame_stack.__code__ = on_fresh_frame_stack.__code__.replace(
    co_stacksize=on_fresh_frame_stack.__code__.co_stacksize + FRESH_STACK_SLOTS)
as_import_machinery(on_fresh_frame_stack)


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


def import_name_target(frame, offset: int | None = None) -> str:
    """The module name written in the IMPORT_NAME at ``offset`` (the executing one by
    default): ``a.b`` for ``import a.b``, ``x`` for ``from ..x import y``."""
    code = frame.f_code
    return code.co_names[oparg_at(code, frame.f_lasti if offset is None else offset) >> IMPORT_NAME_SHIFT]


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


def _handler_covering(table: bytes, unit: int) -> int | None:
    """The handler of the ``co_exceptiontable`` entry covering code unit ``unit``, if any.

    The varint format of ``Objects/exception_handling_notes.txt``: start, length, target,
    depth<<1|lasti, each in 6-bit chunks, bit 6 = more.  Entries are sorted by start and
    never overlap (the interpreter's own lookup relies on it), so the scan stops at the
    first entry past ``unit``; it decodes as it goes, one byte per step, because it runs
    at every deferral decision.
    """
    pos, size = 0, len(table)
    field = value = start = end = 0
    while pos < size:
        byte = table[pos]
        pos += 1
        value = (value << 6) | (byte & 63)
        if byte & 64:
            continue
        if field == 0:
            if value > unit:
                return None
            start = value
        elif field == 1:
            end = start + value
        elif field == 2 and start <= unit < end:
            return value
        field = (field + 1) & 3
        value = 0
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
    raw = code.co_code
    push_exc_info, with_except_start = PUSH_EXC_INFO, WITH_EXCEPT_START
    target = _handler_covering(table, lasti // 2)
    for _ in range(64):  # nesting depth; a real table ends long before
        if target is None:
            return True
        at = target * 2
        if raw[at] != push_exc_info or raw[at + 2] != with_except_start:
            return False
        cleanup = _handler_covering(table, target)  # the with statement's own cleanup
        if cleanup is None:
            return True
        target = _handler_covering(table, cleanup)  # what encloses the with statement
    return False


def is_placeholder(obj) -> bool:
    """Whether ``obj`` is a 3.15 lazy-import placeholder (``types.LazyImportType``)."""
    return NATIVE and type(obj).__name__ == "lazy_import"


def placeholder_name(obj) -> str | None:
    """The module name of a 3.15 lazy-import placeholder (``<lazy_import 'pkg.mod'>``).

    ``types.LazyImportType`` exposes no name attribute; its repr is the only public
    trace of it.  None for anything that is not a placeholder.
    """
    if not is_placeholder(obj):
        return None
    text = repr(obj)
    start = text.find("'")
    return text[start + 1:text.rfind("'")] if start >= 0 else None


def opcodes_of_this_interpreter() -> dict:
    """The running interpreter's own numbers for what a row records (for tests)."""
    import opcode

    return {name: opcode.opmap.get(name.upper(), -1) for name in FIELDS[:OPCODE_FIELDS]}


# --- from-imports (3.11-3.14 emulation of PEP 810) ----------------------------------------
def _decode(raw: bytes, offset: int) -> tuple[int, int, int]:
    """(opcode, full oparg, offset of the next instruction) at ``offset``, prefixes folded."""
    op, arg = raw[offset], raw[offset + 1]
    while op == EXTENDED_ARG:
        offset += 2
        op, arg = raw[offset], (arg << 8) | raw[offset + 1]
    return op, arg, offset + 2


def _previous(raw: bytes, offset: int) -> int:
    """The offset of the opcode before the one at ``offset`` (whose prefixes are skipped);
    -1 at the start.  The loads and imports read here have no inline caches."""
    offset -= 2
    while offset >= 0 and raw[offset] == EXTENDED_ARG:
        offset -= 2
    return offset


def from_import_store(code, lasti: int) -> str | None:
    """At the IMPORT_FROM at ``lasti``: the name the next instruction binds, when it is a
    ``STORE_NAME`` (a module-level ``from x import a as b`` stores ``b``; ``STORE_GLOBAL``
    when a function of the module declares ``global b``), else None."""
    raw = code.co_code
    op, _arg, following = _decode(raw, lasti)
    if op != IMPORT_FROM or following >= len(raw):
        return None
    op, arg, _next = _decode(raw, following)
    return code.co_names[arg] if op == STORE_NAME or op == STORE_GLOBAL else None


def import_store(code, offset: int) -> tuple[str, bool] | None:
    """For the IMPORT_NAME at ``offset`` of an ``import a.b.c`` statement: ``(name it
    binds, whether that is the target)``: ``("a", False)``, or ``("d", True)`` for
    ``import a.b.c as d`` (``IMPORT_NAME (IMPORT_FROM SWAP POP_TOP)* IMPORT_FROM
    STORE_NAME``, 3.11-3.15).  None for from-imports (their fromlist is not None)."""
    raw = code.co_code
    fromlist_load = _previous(raw, offset)
    if fromlist_load < 0 or raw[fromlist_load] != LOAD_CONST:
        return None
    if code.co_consts[oparg_at(code, fromlist_load)] is not None:
        return None
    following = _decode(raw, offset)[2]
    binds_target = False
    while following < len(raw):
        op, arg, following = _decode(raw, following)
        if op == STORE_NAME or op == STORE_GLOBAL:
            return code.co_names[arg], binds_target
        if op != IMPORT_FROM:
            return None
        binds_target = True
        if following < len(raw) and _decode(raw, following)[0] == SWAP:
            following = _decode(raw, _decode(raw, following)[2])[2]  # SWAP 2, POP_TOP: the parent
    return None


def import_fromlist(code, offset: int) -> tuple:
    """The names ``from x import a, b`` lists, for the IMPORT_NAME at ``offset``: the
    constant loaded just before it (``()`` for ``import x`` and what cannot be read)."""
    fromlist_load = _previous(code.co_code, offset)
    if fromlist_load < 0 or code.co_code[fromlist_load] != LOAD_CONST:
        return ()
    fromlist = code.co_consts[oparg_at(code, fromlist_load)]
    return fromlist if type(fromlist) is tuple else ()


def from_statement_start(code, lasti: int) -> int | None:
    """The IMPORT_NAME offset of the ``from ... import`` whose IMPORT_FROM is at ``lasti``:
    the statement is ``IMPORT_NAME (IMPORT_FROM STORE_NAME)+ POP_TOP`` on 3.11-3.15."""
    raw = code.co_code
    offset = lasti - 2
    while offset >= 0:
        op = raw[offset]
        if op == IMPORT_NAME:
            return offset
        if op not in (IMPORT_FROM, STORE_NAME, STORE_GLOBAL, EXTENDED_ARG):
            return None
        offset -= 2
    return None


def imports_names_next(code, offset: int) -> bool:
    """Whether the IMPORT_NAME at ``offset`` is followed by IMPORT_FROM + STORE_NAME (a
    ``from x import a`` statement or ``import a.b as c``; never ``from x import *``)."""
    raw = code.co_code
    following = _decode(raw, offset)[2]
    return following < len(raw) and from_import_store(code, following) is not None


def import_level(code, offset: int) -> int | None:
    """The ``level`` operand (dots of a relative import) of the IMPORT_NAME at ``offset``:
    the constant loaded two instructions before it (``LOAD_SMALL_INT`` from 3.14)."""
    raw = code.co_code
    fromlist_load = _previous(raw, offset)
    level_load = _previous(raw, fromlist_load) if fromlist_load >= 0 else -1
    if level_load < 0:
        return None
    op, arg = raw[level_load], oparg_at(code, level_load)
    if op == LOAD_CONST:
        value = code.co_consts[arg]
        return value if type(value) is int else None
    return arg if op == LOAD_SMALL_INT else None


def statement_module(frame, offset: int) -> tuple[int, str, str | None] | None:
    """``(level, target, absolute name)`` of the import statement whose IMPORT_NAME is at
    ``offset`` in ``frame`` (the absolute name None when it cannot be resolved); None when
    the level cannot be read."""
    level = import_level(frame.f_code, offset)
    if level is None:
        return None
    target = import_name_target(frame, offset)
    return level, target, resolve_import(target, frame.f_globals, level)


def resolve_import(target: str, namespace: dict, level: int) -> str | None:
    """The absolute name ``from <level dots><target> import ...`` imports in ``namespace``
    (``importlib._bootstrap``'s own resolution), or None when it cannot be resolved."""
    if level == 0:
        return target
    try:
        package = _bootstrap._calc___package__(namespace)
        return _bootstrap._resolve_name(target, package, level) if package else None
    except Exception:
        return None


def replace_key(namespace: dict, old_key, new_key, value) -> bool:
    """Put ``new_key: value`` where ``old_key`` (found by identity) is, keeping the order,
    in one step no other thread can see halfway; False if ``old_key`` is not there.

    Why a rebuild: a dict holding a key that is not an exact ``str`` switches to the
    general key layout, and ``LOAD_GLOBAL`` only specialises on the all-``str`` layout
    (``DK_IS_UNICODE``, 3.11-3.14); ``dict.clear()`` then ``update()`` is the only way back.
    Why this shape: every step is a C call chained by ``map`` and run by ``any`` (each
    returns None; no bytecode runs between them, so with the GIL no other thread can
    run, 3.11-3.14; ``partial`` and ``call`` come from the built-in modules behind
    ``functools`` and ``operator``, which a first use then never imports), reading the namespace
    inside the chain; a size change since the iterators were made raises RuntimeError
    before anything changed, and the rebuild starts again.
    Why ``old_key`` is deleted before the clear: this runs inside a lookup of the same
    dict (``LazyName.__eq__``), and after the comparison the lookup checks "same keys
    table, same key in this entry?" (``compare_generic``, ``Objects/dictobject.c``): the
    clear frees that table, the new one may be allocated at its address, and an entry
    slot the new table does not cover would still hold ``old_key``: the lookup then
    reads a value from the wrong layout (a crash seen on 3.12).  Deleting first leaves
    NULL in that slot, so the lookup always starts again.
    """
    from _functools import partial
    from _operator import call

    key_id = id(old_key)
    # Each key looked up in a dict of ``old_key`` alone: only ``old_key`` itself is found
    # (no other key of a dict equals one of its keys), by identity, before any ``__eq__``;
    # one C call per name, where mapping ``id`` first took two (a first use in a module
    # with hundreds of lazy names rebuilds it once per name).
    renaming, revaluing = {old_key: new_key}.get, {old_key: value}.get
    for _attempt in range(100):
        if key_id not in map(id, namespace):
            return False
        renamed = map(renaming, namespace, namespace)
        values = map(revaluing, namespace, namespace.values())
        staged: dict = {}
        try:
            any(map(call, (partial(staged.update, zip(renamed, values)), partial(namespace.__delitem__, old_key),
                           namespace.clear, partial(namespace.update, staged))))
        except RuntimeError:
            continue  # another thread added or removed a name meanwhile
        return True
    raise RuntimeError("lazyhook: a module namespace kept changing size during a rebind")
