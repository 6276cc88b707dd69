"""Real heavy packages, lazily and eagerly, in fresh interpreters: same results, real deferral.

Needs the ``integration`` extra (numpy, scipy, matplotlib) and, on Python 3.11,
``pip install torch==2.13.0`` (the CPU build; never another version).
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.integration

SRC = os.path.join(os.path.dirname(__file__), "..", "..", "src")


def run(imports: str, work: str, setup: str) -> dict:
    script = "\n".join([
        "import json, sys",
        setup,
        "before = set(sys.modules)",
        textwrap.dedent(imports),
        "import lazyhook",
        # status() lists pending modules on every version (3.15 keeps them out of sys.modules).
        "deferred = sorted(r['module'] for r in lazyhook.status() if r['state'] == 'pending')",
        "executed = sorted(n for n in set(sys.modules) - before if not lazyhook.is_pending(n))",
        textwrap.dedent(work),
        'print(json.dumps({"deferred": deferred, "executed": executed, "result": result}))',
    ])
    env = dict(os.environ, PYTHONPATH=os.path.abspath(SRC), MPLBACKEND="Agg")
    env.pop("LAZY_IMPORTS", None)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def compare(imports: str, work: str, packages: list[str]) -> tuple[dict, dict]:
    for package in packages:
        if importlib.util.find_spec(package) is None:
            pytest.skip(f"{package} is not installed here")
    lazy = run(imports, work, f"import lazyhook; lazyhook.install({packages!r})")
    eager = run(imports, work, "")
    assert lazy["result"] == eager["result"]
    return lazy, eager


def test_scipy_stats_stays_lazy_then_computes_the_same():
    lazy, eager = compare(
        "import scipy.stats",
        "result = [round(float(scipy.stats.norm.cdf(1.0)), 12), float(scipy.stats.ttest_1samp([1, 2, 3, 4], 2).statistic)]",
        ["scipy", "numpy"],
    )
    assert {"scipy", "scipy.stats"} <= set(lazy["deferred"])
    assert not any(n.startswith("scipy") for n in lazy["executed"])
    assert "scipy.stats._distn_infrastructure" in eager["executed"]


def test_numpy_stays_lazy_then_computes_the_same():
    lazy, _ = compare("import numpy as np", "result = int(np.arange(10).sum()) + float(np.linalg.norm([3, 4]))", ["numpy"])
    assert lazy["deferred"] == ["numpy"]
    assert not any(n.startswith("numpy") for n in lazy["executed"])


def test_matplotlib_pyplot_stays_lazy_then_renders_the_same_pixels():
    lazy, _ = compare(
        "import matplotlib.pyplot as plt",
        """
        import numpy as np
        fig, ax = plt.subplots(figsize=(2, 2), dpi=50)
        ax.plot([0, 1, 2], [2, 0, 1])
        fig.canvas.draw()
        pixels = np.asarray(fig.canvas.buffer_rgba())
        result = [list(pixels.shape), int(pixels.astype('int64').sum()), plt.get_backend().lower()]
        """,
        ["matplotlib", "numpy"],
    )
    assert {"matplotlib", "matplotlib.pyplot"} <= set(lazy["deferred"])
    assert not any(n.startswith("matplotlib") for n in lazy["executed"])


def test_torch_nn_functional_stays_lazy_then_computes_the_same():
    lazy, eager = compare(
        "import torch\nimport torch.nn.functional as F\nfrom torch import nn",
        """
        torch.manual_seed(0)
        layer = nn.Linear(3, 2)
        out = F.relu(layer(torch.tensor([[1.0, -2.0, 3.0]])))
        result = [round(v, 6) for v in out.flatten().tolist()] + [str(type(F))]
        """,
        ["torch"],
    )
    assert {"torch", "torch.nn", "torch.nn.functional"} <= set(lazy["deferred"])
    assert not any(n.startswith("torch") for n in lazy["executed"])
    assert "torch._C" in eager["executed"]


def test_sklearn_ensemble_from_import_loads_what_it_needs_and_matches():
    compare(
        "from sklearn.ensemble import RandomForestClassifier",
        """
        from sklearn.datasets import load_iris
        X, y = load_iris(return_X_y=True)
        clf = RandomForestClassifier(n_estimators=5, random_state=0).fit(X, y)
        result = clf.predict(X[:10]).tolist()
        """,
        ["sklearn"],
    )


# The from-imports real programs write (PEP 810 defers them on 3.15; lazyhook on 3.11-3.14):
# (statement, packages made lazy, modules eager import runs that must stay unrun, work).
FROM_IMPORTS = {
    "sklearn": ("from sklearn.ensemble import RandomForestClassifier", ["sklearn"], "sklearn.ensemble._forest", """
        from sklearn.datasets import load_iris
        X, y = load_iris(return_X_y=True)
        result = RandomForestClassifier(n_estimators=5, random_state=0).fit(X, y).predict(X[:10]).tolist()
        """),
    "transformers": ("from transformers import AutoConfig", ["transformers"], "transformers.configuration_utils", """
        result = sorted(AutoConfig.for_model("bert", hidden_size=32).to_dict().items())[:5]
        result = [[k, str(v)] for k, v in result]
        """),
    "torch": ("from torch import nn", ["torch"], "torch._C", """
        import torch
        torch.manual_seed(0)
        result = [round(v, 6) for v in nn.Linear(3, 2)(torch.tensor([[1.0, -2.0, 3.0]])).flatten().tolist()]
        """),
    "scipy": ("from scipy.stats import norm", ["scipy"], "scipy.stats._distn_infrastructure", """
        result = [round(float(norm.cdf(1.0)), 12), round(float(norm.ppf(0.975)), 12)]
        """),
}


@pytest.mark.parametrize("case", list(FROM_IMPORTS))
def test_a_from_import_stays_deferred_then_computes_the_same(case):
    statement, packages, heavy_module, work = FROM_IMPORTS[case]
    top = statement.split()[1].partition(".")[0]
    lazy, eager = compare(statement, work, packages)
    assert heavy_module in eager["executed"]
    # Nothing of the package ran at the statement: neither the module eager import needs
    # for the name nor the package itself.
    assert not any(n == top or n.startswith(top + ".") for n in lazy["executed"]), lazy["executed"]


def test_a_package_s_own_lazy_modules_listing_defers_what_it_lists():
    """wcwidth lists its own submodules in ``__lazy_modules__`` (PEP 810).  With lazyhook
    active and nothing configured, ``import wcwidth`` leaves the ones its import does not
    need unrun, on 3.11-3.14 as 3.15 does, and computes what eager import computes."""
    if importlib.util.find_spec("wcwidth") is None:
        pytest.skip("wcwidth is not installed here")
    work = """
        result = [wcwidth.wcswidth("h\\u00e9llo w\\u00f6rld \\u2713"), wcwidth.wcwidth("\\u4e2d"),
                  sorted(set(getattr(wcwidth, "__lazy_modules__", ())))]
        """
    lazy = run("import wcwidth", work, "import lazyhook; lazyhook.install([])")
    # (3.15 honours __lazy_modules__ by itself: a filter refusing everything is eager there.)
    eager = run("import wcwidth", work, "getattr(sys, 'set_lazy_imports_filter', lambda f: None)(lambda *a: False)")
    assert lazy["result"] == eager["result"]
    listed = set(eager["result"][2])
    if not listed:
        pytest.skip("this wcwidth lists nothing in __lazy_modules__")
    ran_lazily, ran_eagerly = ({n for n in run["executed"] if n.partition(".")[0] == "wcwidth"}
                               for run in (lazy, eager))
    assert ran_lazily < ran_eagerly
    assert listed & (ran_eagerly - ran_lazily)
    # Configuring wcwidth defers its import, and its first use then runs what it runs
    # unconfigured: the policy never makes a package less lazy than its own declaration.
    used = "import wcwidth\nwidth = wcwidth.wcswidth('ab')"
    ran = [{n for n in run(used, work, setup)["executed"] if n.partition(".")[0] == "wcwidth"}
           for setup in ("import lazyhook; lazyhook.install([])", "import lazyhook; lazyhook.install(['wcwidth'])")]
    assert ran[0] == ran[1] < ran_eagerly
