"""The same programs print the same under the 3.11-3.14 emulation as under CPython 3.15's
own lazy imports (PEP 810), program by program.

Each program is one to three module-level imports of a small package tree (a package
whose body imports a submodule, nested subpackages, a submodule that raises, a module
without the name asked for, a submodule importing its own package, a second package
importing the first), then the uses of what they bound, in shuffled order, some twice.
``tests/data/differential-3.15.json`` holds the programs and what CPython 3.15 printed
for each with ``sys.set_lazy_imports("all")`` and a filter naming the two packages
(lazyhook not imported at all): ``python tests/test_differential.py --record`` on 3.15
writes it.  On 3.15 the same test checks that the interpreter still prints that and
that lazyhook's native backend does too, so the file cannot drift from the interpreter.

Compared: every value and error, in order; that nothing ran at the import statements;
that a failing body ran once per use that raised its error (on 3.11-3.14 one of those
runs may come earlier, with its package's pending tree); that no other body ran twice.  Not compared, by
construction (docs/semantics.md, "By version"): which other bodies a first use runs (the
emulation runs the package's whole pending tree) and, on 3.11-3.14, the
``LazyImportError`` around a failed body's own error (the programs print the cause).
"""

from __future__ import annotations

import json
import random
import sys
from collections import Counter
from pathlib import Path

import pytest

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
from conftest import Runner  # noqa: E402

DATA = Path(__file__).parent / "data" / "differential-3.15.json"
NATIVE = hasattr(sys, "set_lazy_imports")

TREE = {
    "pk/__init__.py": 'print("RUN pk")\nVALUE = 1\nfrom . import a\ndef f():\n    return "pk.f"\n',
    "pk/a.py": 'print("RUN pk.a")\nA = "a"\ndef g():\n    return "pk.a.g"\n',
    "pk/b.py": 'print("RUN pk.b")\nB = "b"\nimport pk.sub.c\n',
    "pk/broken.py": 'print("RUN pk.broken")\nraise ValueError("boom")\n',
    "pk/nameless.py": 'print("RUN pk.nameless")\nX = 1\n',
    "pk/selfref.py": 'print("RUN pk.selfref")\nfrom pk.a import A as AA\nfrom pk import b\nSELF = AA + b.B\n',
    "pk/sub/__init__.py": 'print("RUN pk.sub")\nS = "s"\n',
    "pk/sub/c.py": 'print("RUN pk.sub.c")\nC = "c"\n',
    "pk/sub/deep/__init__.py": 'print("RUN pk.sub.deep")\nD = "d"\n',
    "qk/__init__.py": 'print("RUN qk")\nQ = "q"\nimport pk.b\n',
}
FAILING = {"pk.broken"}

# Each import statement with the expressions that use what it binds.
USES = {
    "import pk": ["pk.VALUE", "pk.f()"],
    "import pk.a": ["pk.a.A", "pk.VALUE"],
    "import pk.sub.c": ["pk.sub.c.C", "pk.sub.S"],
    "import pk.sub.c as c": ["c.C"],
    "from pk import a": ["a.A", "a.g()"],
    "from pk import b": ["b.B"],
    "from pk.sub import c": ["c.C"],
    "from pk.a import A": ["A"],
    "from pk import VALUE, f": ["f()", "VALUE"],
    "from pk.sub.deep import D": ["D"],
    "import pk.broken": ["pk.broken"],
    "from pk.nameless import MISSING": ["MISSING"],
    "from pk import selfref": ["selfref.SELF"],
    "import qk": ["qk.Q", "qk.pk.b.B"],
    "from qk import Q": ["Q"],
    "from pk import sub": ["sub.S"],
    "import pk.sub as s": ["s.S"],
    "from pk import broken": ["broken", "broken.X"],
    "import pk.broken as pb": ["pb.X"],
    "from pk.broken import X": ["X"],
    "import pk.nameless": ["pk.nameless.X", "pk.nameless.Y"],
    "from pk import nameless as nl": ["nl.X"],
}

PRELUDE = '''\
import os, sys
ROOT = os.path.dirname(os.path.abspath(__file__))
def show(what, value):
    print(what, "=", repr(value).replace(ROOT, "<root>"))
def fail(what, error):
    while type(error).__name__ == "LazyImportError" and error.__cause__ is not None:
        error = error.__cause__  # 3.11-3.14: lazyhook's wrapper around the body's own error
    print(what, "!", type(error).__name__, str(error).replace(ROOT, "<root>").splitlines()[0][:100])
'''

# The interpreter's own lazy imports with the policy lazyhook would hand it: the two
# packages, a package's imports of itself eager.
NATIVE_SETUP = '''\
import sys
def _only(importing, imported, fromlist):
    top = imported.partition(".")[0]
    return top in ("pk", "qk") and (importing or "").partition(".")[0] != top
sys.set_lazy_imports_filter(_only)
sys.set_lazy_imports("all")
'''


def generate(count: int = 150, seed: int = 7) -> list[dict]:
    """The programs: statements and the order of their uses (stored, not re-generated,
    so every Python runs the very programs 3.15 ran)."""
    rng = random.Random(seed)
    programs = []
    for _ in range(count):
        statements = rng.sample(sorted(USES), rng.randint(1, 3))
        uses = [use for statement in statements for use in USES[statement]]
        uses += uses[:2]
        rng.shuffle(uses)
        programs.append({"statements": statements, "uses": uses})
    return programs


def source(program: dict, setup: str) -> str:
    lines = [setup, PRELUDE, *program["statements"], 'print("after imports")']
    for use in program["uses"]:
        lines.append(f"try:\n    show({use!r}, {use})\nexcept Exception as error:\n    fail({use!r}, error)")
    return "\n".join(lines) + "\n"


def run_natively(runner: Runner, program: dict) -> list[str]:
    return runner.run(source(program, NATIVE_SETUP), name="program.py").stdout.splitlines()


def run_with_lazyhook(runner: Runner, program: dict) -> list[str]:
    return runner.run(source(program, "import lazyhook; lazyhook.install()"), name="program.py",
                      env={"LAZY_IMPORTS": "pk,qk"}).stdout.splitlines()


def runs(lines: list[str]) -> Counter:
    return Counter(line[4:] for line in lines if line.startswith("RUN "))


def compare(got: list[str], expected: list[str]) -> None:
    """What may not differ between the emulation and the interpreter (module docstring)."""
    split = expected.index("after imports")
    assert got[:got.index("after imports") + 1] == expected[:split + 1], "bodies ran at an import statement"
    assert [line for line in got if not line.startswith("RUN ")] == \
        [line for line in expected if not line.startswith("RUN ")], "a use printed something else"
    got_runs, expected_runs = runs(got), runs(expected)
    for name in FAILING:  # once per attempt (a run with its package's tree is the next use's)
        assert got_runs[name] == expected_runs[name], \
            f"{name}'s failing body ran {got_runs[name]} times, {expected_runs[name]} on 3.15"
    twice = sorted(name for name, count in got_runs.items() if count > 1 and name not in FAILING)
    assert not twice, f"bodies ran twice: {twice}"


def load_expected() -> list[dict]:
    with DATA.open() as fh:
        return json.load(fh)["programs"]


CASES = load_expected() if __name__ != "__main__" else []  # (--record writes the file)


@pytest.mark.parametrize("index", range(len(CASES)))
def test_a_program_prints_what_it_prints_under_python_3_15s_lazy_imports(runner, index):
    case = CASES[index]
    runner.packages(TREE)
    compare(run_with_lazyhook(runner, case), case["expected"])


@pytest.mark.skipif(not NATIVE, reason="the interpreter's own lazy imports are Python 3.15's")
@pytest.mark.parametrize("index", range(0, len(CASES), 10))
def test_the_recorded_output_is_what_this_interpreter_prints(runner, index):
    runner.packages(TREE)
    assert run_natively(runner, CASES[index]) == CASES[index]["expected"]


def record() -> None:
    """Run every program on this interpreter's own lazy imports and store what it printed."""
    import tempfile

    assert NATIVE, "record on Python 3.15, whose own lazy imports are the specification"
    programs = generate()
    with tempfile.TemporaryDirectory() as work:
        runner = Runner(Path(work))
        runner.packages(TREE)
        for program in programs:
            program["expected"] = run_natively(runner, program)
    DATA.parent.mkdir(exist_ok=True)
    with DATA.open("w") as fh:
        json.dump({"python": sys.version.split()[0], "programs": programs}, fh, indent=1)
        fh.write("\n")


if __name__ == "__main__":
    if sys.argv[1:] != ["--record"]:
        sys.exit("usage: python tests/test_differential.py --record  (on Python 3.15)")
    record()
