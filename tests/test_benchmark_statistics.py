"""The interval the benchmark suite prints next to each import-then-use ratio: the docs
read a 1% bar against it, so it must hold the median as often as it claims."""

import math
import random
import runpy
from pathlib import Path

import pytest

SUITE = runpy.run_path(str(Path(__file__).parent.parent / "benchmarks" / "__main__.py"), run_name="suite")
median_interval = SUITE["median_interval"]


def _coverage(n: int, low_rank: int) -> float:
    """P(the population median lies between the ``low_rank``-th smallest and largest of n)."""
    below = sum(math.comb(n, k) for k in range(low_rank)) / 2 ** n
    return 1 - 2 * below


@pytest.mark.parametrize("n", [6, 20, 80, 81, 240])
def test_the_interval_is_the_narrowest_rank_pair_with_95_percent_coverage(n):
    values = list(range(1, n + 1))  # the k-th smallest value is k
    low, high = median_interval(random.Random(n).sample(values, n))
    assert high == n + 1 - low  # symmetric ranks, whatever order the rounds came in
    assert _coverage(n, low) >= 0.95
    assert _coverage(n, low + 1) < 0.95  # one rank narrower would claim too much


def test_too_few_rounds_give_the_whole_range():
    assert median_interval([3.0, 1.0, 2.0, 5.0, 4.0]) == (1.0, 5.0)


def test_the_interval_holds_a_known_median_about_as_often_as_it_claims():
    rng = random.Random(810)
    trials = 2000
    held = sum(low <= 1.0 <= high for low, high in
               (median_interval([rng.lognormvariate(0, 0.05) for _ in range(80)]) for _ in range(trials)))
    assert 0.94 <= held / trials <= 0.99  # exact coverage for 80 values: 0.967
