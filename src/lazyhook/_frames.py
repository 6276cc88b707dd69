"""Which import statements may be deferred: PEP 810's rule, read from the importing frame.

PEP 810 defers import *statements* at module level; imports inside ``try``/``with``
blocks, inside functions or class bodies, and ``importlib.import_module()`` /
``__import__()`` calls stay eager.  From inside ``find_spec`` (or a ``__spec__`` read
by ``import_ensure_initialized``) the frame executing the statement is the first one
below the frozen importlib frames.  Only configured names ever get here, so the cost
of looking is paid by nothing else.
"""

from __future__ import annotations

import sys

BOOTSTRAP_FILES = frozenset({"<frozen importlib._bootstrap>", "<frozen importlib._bootstrap_external>"})

# IMPORT_NAME, IMPORT_FROM, EXTENDED_ARG for the versions tested here (tests check them
# against ``opcode.opmap``); other versions read ``opcode`` on first use (~0.5 ms).
_KNOWN_OPCODES = {(3, 11): (108, 109, 144), (3, 12): (108, 109, 144), (3, 13): (75, 74, 71)}
_IMPORT_NAME, _IMPORT_FROM, _EXTENDED_ARG = _KNOWN_OPCODES.get(sys.version_info[:2], (-1, -1, -1))


def _load_opcodes() -> None:
    global _IMPORT_NAME, _IMPORT_FROM, _EXTENDED_ARG
    import opcode

    _IMPORT_FROM = opcode.opmap["IMPORT_FROM"]
    _EXTENDED_ARG = opcode.opmap["EXTENDED_ARG"]
    _IMPORT_NAME = opcode.opmap["IMPORT_NAME"]


def statement_frame(frame):
    """The first frame below the importlib bootstrap frames: the code doing the import."""
    while frame is not None and frame.f_code.co_filename in BOOTSTRAP_FILES:
        frame = frame.f_back
    return frame


def _opcode_at(frame) -> int:
    if _IMPORT_NAME < 0:
        _load_opcodes()
    code = frame.f_code.co_code
    lasti = frame.f_lasti
    return code[lasti] if 0 <= lasti < len(code) else -1


def is_import_statement(frame) -> bool:
    return frame is not None and _opcode_at(frame) == _IMPORT_NAME


def is_import_from(frame) -> bool:
    return frame is not None and _opcode_at(frame) == _IMPORT_FROM


def _in_exception_table(table: bytes, offset: int) -> bool:
    """Whether code unit ``offset`` is covered by a handler (``try``/``except``/``with``).

    The table is the varint format of ``Objects/exception_handling_notes.txt``:
    start, length, target, depth<<1|lasti, each in 6-bit chunks, bit 6 = more.
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
        length = varint()
        varint()  # target
        varint()  # depth and lasti
        if start <= offset < start + length:
            return True
    return False


def statement_target(frame) -> str:
    """The module name written in the executing IMPORT_NAME (``a.b`` for ``import a.b``)."""
    code = frame.f_code
    raw = code.co_code
    lasti = frame.f_lasti
    arg, shift, i = raw[lasti + 1], 8, lasti - 2
    while i >= 0 and raw[i] == _EXTENDED_ARG:
        arg |= raw[i + 1] << shift
        shift += 8
        i -= 2
    return code.co_names[arg]


def top_of(name: str) -> str:
    return name.partition(".")[0]


def is_deferrable(frame, name: str) -> bool:
    """PEP 810's rule for the import of ``name`` executed by ``frame``.

    Deferred only when the frame is executing an ``import`` statement at module level,
    outside every ``try``/``with`` block, for this very package (a C extension's own
    ``PyImport_Import`` during a statement for another package must stay eager), and
    not from inside the same package: once a package's body runs, its imports are eager.
    """
    if frame is None or frame.f_code.co_name != "<module>" or not is_import_statement(frame):
        return False
    code = frame.f_code
    if code.co_exceptiontable and _in_exception_table(code.co_exceptiontable, frame.f_lasti // 2):
        return False
    top = top_of(name)
    importer = frame.f_globals.get("__name__")
    if isinstance(importer, str) and top_of(importer) == top:
        return False
    target = statement_target(frame)
    return top_of(target) == top if target else False


def caller_site(frame) -> tuple[str, int, str]:
    """(file, line, function) of the first frame outside importlib and lazyhook."""
    here = __file__.rpartition("/")[0] or __file__.rpartition("\\")[0]
    while frame is not None:
        filename = frame.f_code.co_filename
        if filename not in BOOTSTRAP_FILES and not filename.startswith(here):
            return filename, frame.f_lineno or 0, frame.f_code.co_name
        frame = frame.f_back
    return "<unknown>", 0, "<unknown>"


def current_frame(depth: int = 1):
    return sys._getframe(depth + 1)
