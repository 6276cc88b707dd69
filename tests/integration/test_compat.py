"""Compatibility suite: every case computes the same lazily as eagerly, and really deferred."""

from __future__ import annotations

import pytest

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
    else:  # `from pkg import name` too: PEP 810 on 3.15, lazyhook's emulation before
        assert top in lazy["pending"], lazy["pending"]
    assert eager["pending"] == []
