"""Compatibility suite: every case computes the same lazily as eagerly, and really deferred."""

from __future__ import annotations

import pytest

from lazyhook._cpython import NATIVE
from lazyhook._policy import NEVER_LAZY

from .compat_cases import CASES, installed, run

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("case", list(CASES))
def test_same_results_lazily_and_the_imports_were_deferred(case):
    if installed(case) is None:
        pytest.skip(f"{CASES[case][0]} is not installed here")
    eager = run(case, lazy=False)
    lazy = run(case, lazy=True)
    assert lazy["result"] == eager["result"]
    top = CASES[case][1][0]
    if top in NEVER_LAZY:
        # Kept eager by the built-in list (seaborn registers colormaps with matplotlib).
        assert top not in lazy["pending"]
    elif loads_at_import(CASES[case][2], top) and not NATIVE:
        # Emulated, `from pkg import name` needs `name`: the package loads at the statement
        # (contract 6). 3.15 defers from-imports too (PEP 810).
        assert top not in lazy["pending"]
    else:
        assert top in lazy["pending"], lazy["pending"]
    assert eager["pending"] == []


def loads_at_import(imports: str, top: str) -> bool:
    """Whether a `from top... import names` line needs a name that is not a lazy submodule yet."""
    seen: set[str] = set()
    for line in imports.splitlines():
        words = line.replace(",", " ").split()
        if words[:1] == ["import"]:
            parts = words[1].split(".")
            seen.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
        elif words[:1] == ["from"] and words[1].partition(".")[0] == top:
            names = [w for w in words[3:] if w != "as"]
            if any(f"{words[1]}.{n}" not in seen for n in names):
                return True
    return False
