"""The pytest plugin on a generated, realistic test suite (``--suite pytest``).

200 test modules import pandas, scikit-learn, transformers and torch (where installed)
at module level, as ML test suites do; each has two tests, and one test in ten uses one
of the packages.  Measured: ``pytest --collect-only`` and the whole run, with and
without ``--lazy-imports``, at ``-n 0`` and ``-n 2``, and one module whose tests use
none of the packages (the edit-and-rerun loop); fresh processes, interleaved.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time

MODULES = 200
# What a tenth of the tests do with the package its module imported.
USES = {
    "torch": ("import torch", "assert torch.arange(4).sum().item() == 6"),
    "transformers": ("from transformers import BertConfig", "assert BertConfig(num_hidden_layers=2).num_hidden_layers == 2"),
    "sklearn": ("from sklearn.linear_model import LinearRegression",
                "assert round(LinearRegression().fit([[0], [1]], [0, 2]).coef_[0], 6) == 2.0"),
    "pandas": ("import pandas as pd", "assert pd.DataFrame({'a': [1, 2]})['a'].sum() == 3"),
}


def packages() -> list[str]:
    import importlib.util

    return [name for name in USES if importlib.util.find_spec(name) is not None]


def generate(root: str, names: list[str]) -> None:
    imports = "\n".join(USES[name][0] for name in names)
    for index in range(MODULES):
        name = names[(index // 5) % len(names)]
        uses = f"    {USES[name][1]}\n" if index % 5 == 0 else f"    assert {index} * 2 == {index * 2}\n"
        with open(os.path.join(root, f"test_m{index:03d}.py"), "w") as fh:
            fh.write(f"{imports}\n\n\ndef test_plain():\n    assert str({index}) == '{index}'\n\n\n"
                     f"def test_maybe_uses():\n{uses}")


def run_pytest(root: str, args: list[str]) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LAZY", "PYTEST", "PYTHON"))}
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args], cwd=root,
                          env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"pytest {' '.join(args)} failed:\n{proc.stdout[-2000:]}")
    return elapsed


def pytest_cases(rounds: int) -> dict:
    from benchmarks.__main__ import interleaved

    names = packages()
    if not names:
        return {"skipped": "none of pandas, sklearn, transformers, torch is installed"}
    lazy = "--lazy-imports=" + ",".join(names)
    rows = []
    with tempfile.TemporaryDirectory() as root:
        generate(root, names)
        cells = [(workers, phase, extra) for workers in ("0", "2")
                 for phase, extra in (("collection", ["--collect-only"]), ("whole run", []))]
        # The edit-test loop: one module whose tests use none of the packages.
        cells.append(("0", "one module (its tests use none)", ["test_m001.py"]))
        for workers, phase, extra in cells:
            args = ["-n", workers, *extra]
            samples = interleaved({
                "eager": lambda a=args: run_pytest(root, a),
                "plugin": lambda a=args: run_pytest(root, [*a, lazy]),
            }, rounds)
            eager, plugin = (statistics.median(samples[k]) * 1000 for k in ("eager", "plugin"))
            rows.append({"workers": workers, "phase": phase, "eager_ms": eager, "plugin_ms": plugin,
                         "ratio": plugin / eager})
    return {"packages": names, "modules": MODULES, "tests": MODULES * 2, "rows": rows}


def pytest_markdown(result: dict, rounds: int) -> str:
    if "skipped" in result:
        return f"pytest suite: skipped ({result['skipped']})"
    lines = [f"{result['modules']} test modules importing {', '.join(result['packages'])} at module level, "
             f"{result['tests']} tests, one in ten using a package; median wall time of {rounds} interleaved "
             "fresh `pytest` runs per cell.", "",
             "| `-n` | what | eager | `--lazy-imports` | ratio |", "| --- | --- | ---: | ---: | ---: |"]
    for row in result["rows"]:
        lines.append(f"| {row['workers']} | {row['phase']} | {row['eager_ms']:.0f} ms | {row['plugin_ms']:.0f} ms "
                     f"| ×{row['ratio']:.2f} |")
    return "\n".join(lines)
