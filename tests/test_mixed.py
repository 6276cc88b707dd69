"""Mixed cases real programs hit, with throw-away packages, each in a fresh interpreter."""

from __future__ import annotations

import json

import pytest

PKG = {
    "_trace.py": "events = []\ndef hit(name):\n    events.append(name)\n",
    "mx/__init__.py": """
import _trace, os
_trace.hit(__name__)
LOADED_IN = os.getpid()
class Thing:
    def __init__(self, value):
        self.value = value
    def __eq__(self, other):
        return isinstance(other, Thing) and other.value == self.value
def double(x):
    return 2 * x
def explode():
    raise ArithmeticError("exploded inside mx")
""",
    "mx/sub.py": "def func():\n    return 'real'\n",
}


def last_json(proc):
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("method", ["fork", "spawn", "forkserver"])
def test_multiprocessing_with_a_pending_package_in_the_parent(runner, method):
    runner.packages(PKG)
    res = last_json(runner.run(f"""
import json, multiprocessing, os, sys, _trace, lazyhook
lazyhook.install(["mx"])
import mx

def work(x):
    import lazyhook
    return [mx.double(x), mx.LOADED_IN == os.getpid(), _trace.events.count("mx")]

if __name__ == "__main__":
    ctx = multiprocessing.get_context({method!r})
    with ctx.Pool(2) as pool:
        results = pool.map(work, [1, 2, 3])
    print(json.dumps({{"results": results, "parent_pending": lazyhook.is_pending("mx"), "parent_runs": _trace.events}}))
"""))
    assert [r[0] for r in res["results"]] == [2, 4, 6]
    assert all(r[1] and r[2] == 1 for r in res["results"])  # each child ran the body itself, once
    assert res["parent_pending"] is True and res["parent_runs"] == []


def test_thread_pool_workers_first_touching_the_same_package(runner):
    runner.packages({**PKG, "mx/__init__.py": "import time, _trace\n_trace.hit(__name__)\ntime.sleep(0.05)\ndef double(x):\n    return 2 * x\n"})
    res = last_json(runner.run("""
import json, _trace, lazyhook
from concurrent.futures import ThreadPoolExecutor
lazyhook.install(["mx"])
import mx
with ThreadPoolExecutor(8) as pool:
    out = list(pool.map(lambda x: mx.double(x), range(16)))
print(json.dumps({"out": out, "runs": _trace.events}))
"""))
    assert res == {"out": [2 * i for i in range(16)], "runs": ["mx"]}


def test_pickle_round_trip_into_a_process_where_the_package_is_pending(runner):
    runner.packages(PKG)
    data = runner.run("import pickle, sys, mx\nsys.stdout.write(pickle.dumps(mx.Thing(7)).hex())\n").stdout
    res = last_json(runner.run(f"""
import json, pickle, _trace, lazyhook
lazyhook.install(["mx"])
import mx
pending_before = lazyhook.is_pending("mx")
thing = pickle.loads(bytes.fromhex({data!r}))
print(json.dumps({{"before": pending_before, "value": thing.value, "same_class": type(thing) is mx.Thing,
                   "runs": _trace.events}}))
"""))
    assert res == {"before": True, "value": 7, "same_class": True, "runs": ["mx"]}


def test_mock_patch_inspect_and_tracebacks_through_lazily_loaded_code(runner):
    runner.packages(PKG)
    proc = runner.run("""
import inspect, json, traceback
from unittest import mock
import lazyhook
lazyhook.install(["mx"])
import mx.sub
with mock.patch("mx.sub.func", return_value="patched"):
    patched = mx.sub.func()
source = inspect.getsource(mx.double)
try:
    mx.explode()
except ArithmeticError:
    tb = traceback.format_exc()
print(json.dumps({"patched": patched, "after": mx.sub.func(), "source": source, "tb": tb}))
""")
    res = last_json(proc)
    assert res["patched"] == "patched" and res["after"] == "real"
    assert res["source"] == "def double(x):\n    return 2 * x\n"
    assert 'raise ArithmeticError("exploded inside mx")' in res["tb"] and "mx/__init__.py" in res["tb"]


def test_typing_get_type_hints_over_annotations_naming_lazy_modules(runner):
    runner.packages({**PKG, "annotated.py": """
from __future__ import annotations
import mx
import mx.sub
def f(thing: mx.Thing, n: int) -> list[mx.Thing]:
    return [thing] * n
"""})
    script = """
import json, typing, {setup}
import annotated
hints = typing.get_type_hints(annotated.f)
print(json.dumps({{k: repr(v) for k, v in hints.items()}}))
"""
    lazy = runner.run(script.format(setup="lazyhook; lazyhook.install(['mx'])")).stdout
    eager = runner.run(script.format(setup="sys")).stdout
    assert lazy == eager
    assert "mx.Thing" in lazy


def test_pytest_collects_a_suite_whose_conftest_imports_lazy_packages(runner):
    runner.packages({**PKG, "suite/conftest.py": """
import lazyhook
lazyhook.install(["mx"])
import mx
import pytest

@pytest.fixture
def doubler():
    return mx.double
""", "suite/test_uses.py": """
import sys
import _trace
import lazyhook

# On 3.15 pytest's fixture collection reads every conftest global from outside the
# module, which resolves a lazy import there (PEP 810); emulated, it stays pending.
COLLECTED_LOADS = ["mx"] if sys.version_info >= (3, 15) else []

def test_pending_through_collection():
    assert _trace.events == COLLECTED_LOADS
    assert lazyhook.is_pending("mx") is (not COLLECTED_LOADS)

def test_uses_it(doubler):
    assert doubler(21) == 42
    assert _trace.events == ["mx"]
"""})
    proc = runner.run_args(["-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", "suite"], check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 passed" in proc.stdout
