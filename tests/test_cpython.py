"""The table of CPython internals against the running interpreter, and what happens on
a version the table does not know."""

from __future__ import annotations

import dis
import json
import sys

import pytest

from lazyhook import _cpython


def test_this_interpreter_has_a_row_and_its_opcodes_match():
    assert _cpython.SUPPORTED, f"{sys.version_info[:2]} has no row in lazyhook._cpython.TABLE"
    recorded = dict(zip(_cpython.FIELDS, _cpython.ROW))
    assert {name: recorded[name] for name in _cpython.FIELDS[:_cpython.OPCODE_FIELDS]} == _cpython.opcodes_of_this_interpreter()
    assert recorded["native"] is _cpython.NATIVE
    assert _cpython.NATIVE is hasattr(sys, "set_lazy_imports")


def test_the_start_up_module_knows_the_versions_the_table_has():
    """``lazyhook/__init__.py`` decides support before ``_cpython`` is imported."""
    import lazyhook

    assert lazyhook._KNOWN_VERSIONS == tuple(_cpython.TABLE)
    assert (lazyhook._SUPPORTED, lazyhook._NATIVE) == (_cpython.SUPPORTED, _cpython.NATIVE)


def test_the_importer_probe_skips_exactly_the_import_systems_frames():
    """The start-up module's probe finds the module whose statement is importing, through
    every importlib frame, on every version; the frames it skips without looking are
    importlib's own (were one not, the probe would name a module further up), and the
    globals the finder's ``__lazy_modules__`` look steps past are theirs."""
    import importlib
    import lazyhook

    seen = []
    bootstrap_globals = (_cpython.BOOTSTRAP_GLOBALS, _cpython.BOOTSTRAP_EXTERNAL_GLOBALS)

    class Probe:
        def find_spec(self, name, path=None, target=None):
            if name == "lazyhook_probe_target":
                skipped = []
                for depth in range(1, 1 + _cpython.IMPORT_SYSTEM_FRAMES):  # (3.11: a comprehension is a frame)
                    frame = sys._getframe(depth)
                    skipped.append((frame.f_code.co_filename in _cpython.BOOTSTRAP_FILES,
                                    any(frame.f_globals is each for each in bootstrap_globals)))
                seen.append((skipped == [(True, True)] * _cpython.IMPORT_SYSTEM_FRAMES, _cpython.importer_name(0)))
            return None

    sys.meta_path.insert(0, Probe())
    try:
        with pytest.raises(ModuleNotFoundError):
            import lazyhook_probe_target  # noqa: F401
        with pytest.raises(ModuleNotFoundError):
            __import__("lazyhook_probe_target")
        with pytest.raises(ModuleNotFoundError):
            importlib.import_module("lazyhook_probe_target")
    finally:
        del sys.meta_path[0]
    assert seen == [(True, __name__), (True, __name__), (True, "importlib")]
    assert _cpython.importer_name is lazyhook._importer_name
    assert _cpython.FIND_SPEC_TO_IMPORTER == 1 + _cpython.IMPORT_SYSTEM_FRAMES


def test_the_bootstrap_functions_it_recognises_exist_here():
    import _frozen_importlib as bootstrap

    assert callable(getattr(bootstrap, _cpython.INITIALIZING_READER))
    assert _cpython.HANDLE_FROMLIST_CODE is bootstrap._handle_fromlist.__code__
    assert _cpython.FIND_AND_LOAD_UNLOCKED_CODE is bootstrap._find_and_load_unlocked.__code__
    # The "still initialising?" read is where the table says it is.
    code = bootstrap._find_and_load.__code__
    if _cpython.INITIALIZING_READER == "_find_and_load":
        assert "_initializing" in code.co_consts  # getattr(spec, "_initializing", False)
    else:
        assert _cpython.INITIALIZING_READER in code.co_names


def _frame_like(code, offset):
    class Frame:
        f_code = code
        f_lasti = offset
    return Frame()


@pytest.mark.parametrize("source, target", [
    ("import a.b.c", "a.b.c"),
    ("from pkg.sub import x", "pkg.sub"),
    # More than 256 names: the name index needs EXTENDED_ARG.
    ("".join(f"v{i} = 0\n" for i in range(300)) + "import far.away", "far.away"),
])
def test_import_name_target_decodes_the_oparg(source, target):
    code = compile(source, "<t>", "exec")
    offset = next(i.offset for i in dis.get_instructions(code) if i.opname == "IMPORT_NAME")
    assert _cpython.import_name_target(_frame_like(code, offset)) == target


CASES = {
    "plain": ("import x", True),
    "with": ("with cm:\n    import x", True),
    "nested-with": ("with a:\n    with b:\n        import x", True),
    "try-else": ("try:\n    pass\nexcept E:\n    pass\nelse:\n    import x", True),
    "try-finally": ("try:\n    pass\nfinally:\n    import x", True),
    "with-in-else": ("try:\n    pass\nexcept E:\n    pass\nelse:\n    with cm:\n        import x", True),
    "with-after-try": ("with a:\n    try:\n        pass\n    except E:\n        pass\n    import x", True),
    "try": ("try:\n    import x\nexcept E:\n    pass", False),
    "except": ("try:\n    pass\nexcept E:\n    import x", False),
    "except-as": ("try:\n    pass\nexcept E as e:\n    import x", False),
    "except-star": ("try:\n    pass\nexcept* E:\n    import x", False),
    "with-in-try": ("try:\n    with cm:\n        import x\nexcept E:\n    pass", False),
    "with-in-except": ("try:\n    pass\nexcept E:\n    with cm:\n        import x", False),
    "try-in-with": ("with a:\n    try:\n        import x\n    except E:\n        pass", False),
}


@pytest.mark.parametrize("case", CASES)
def test_the_exception_table_rule_matches_pep_810(case):
    """Which module-level imports 3.15 defers, read from bytecode on every version."""
    source, deferred = CASES[case]
    code = compile(source, "<t>", "exec")
    offsets = [i.offset for i in dis.get_instructions(code) if i.opname == "IMPORT_NAME"]
    # A ``finally:`` body is compiled twice; the copy run while an exception propagates
    # sits in a handler and stays eager (docs/semantics.md): check the normal path.
    assert offsets and _cpython.outside_try_and_except(code, offsets[0]) is deferred
    if case != "try-finally":
        assert all(_cpython.outside_try_and_except(code, o) is deferred for o in offsets)


def _code_objects(code):
    yield code
    for const in code.co_consts:
        if hasattr(const, "co_exceptiontable"):
            yield from _code_objects(const)


def test_the_exception_table_reader_agrees_with_dis_on_real_code():
    """The handler covering each instruction, decoded as the deferral decision decodes it,
    against ``dis``'s own reader, over stdlib modules full of try, with and except."""
    import contextlib
    import subprocess
    import threading

    checked = 0
    for module in (contextlib, subprocess, threading):
        with open(module.__file__, encoding="utf-8") as fh:
            top = compile(fh.read(), module.__file__, "exec")
        for code in _code_objects(top):
            entries = dis._parse_exception_table(code)
            for unit in range(len(code.co_code) // 2 + 1):
                expected = next((e.target // 2 for e in entries if e.start // 2 <= unit < e.end // 2), None)
                assert _cpython._handler_covering(code.co_exceptiontable, unit) == expected, (code, unit)
                checked += expected is not None
    assert checked > 1000


UNKNOWN = """
import json, sys
sys.path.insert(0, {root!r})
real = sys.version_info
sys.version_info = (3, 99, 0, "final", 0)  # a version the table does not know
import lazyhook
sys.version_info = real
handle = lazyhook.install(["pk"])
again = lazyhook.install(["pk"])
import pk
import _trace
before = list(_trace.events)
print(json.dumps({{"before": before, "finder": handle.finder is not None,
                   "meta": [type(f).__name__ for f in sys.meta_path].count("LazyFinder"),
                   "explicit": lazyhook.lazy_import("pk") is sys.modules["pk"]}}))
"""


def test_an_unknown_version_defers_nothing_with_one_warning_line(runner):
    runner.packages({"pk/__init__.py": "import _trace; _trace.hit(__name__)\n"})
    proc = runner.run(UNKNOWN.format(root=str(runner.root)))
    assert json.loads(proc.stdout) == {"before": ["pk"], "finder": False, "meta": 0, "explicit": True}
    lines = proc.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("lazyhook: Python 3.99 is not one lazyhook knows (3.11, ")
    assert lines[0].endswith("every import stays eager until a lazyhook release supports it")
