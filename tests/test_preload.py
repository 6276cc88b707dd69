"""preload(), lazy_import(), attach(), status() and load_all(), in fresh interpreters."""

from __future__ import annotations

import json

from lazyhook._cpython import NATIVE

SLOW = "import _trace, time\n_trace.hit(__name__)\ntime.sleep({delay})\nVALUE = {value!r}\n"


def packages(**delays) -> dict:
    return {f"{name}/__init__.py": SLOW.format(delay=delay, value=name) for name, delay in delays.items()}


def last_json(proc) -> dict:
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_background_preload_racing_the_main_thread_loads_each_package_once(runner):
    runner.packages(packages(**{f"p{i}": 0.003 for i in range(40)}))
    res = last_json(runner.run("""
import json, sys, _trace, lazyhook
names = [f"p{i}" for i in range(40)]
lazyhook.install(names)
problems = []
for round_ in range(5):
    for name in names:
        sys.modules.pop(name, None)
    del _trace.events[:]
    for name in names:
        exec(f"import {name}")
    handle = lazyhook.preload(background=True, workers=2)
    # The main thread needs the packages in the opposite order, right now (a name load:
    # on 3.15 that resolves the interpreter's placeholder).
    values = [eval(name).VALUE for name in reversed(names)]
    assert handle.wait(30)
    if values != names[::-1]:
        problems.append(("values", round_))
    twice = [n for n in names if _trace.events.count(n) != 1]
    if twice or handle.errors or handle.progress[:2] != (40, 40):
        problems.append((round_, twice, handle.errors, handle.progress))
print(json.dumps({"problems": problems}))
""", timeout=300))
    assert res == {"problems": []}


def test_main_thread_waits_only_for_the_package_it_needs(runner):
    runner.packages({**packages(slow_a=1.5, quick_b=0.0), "trace2.py": ""})
    res = last_json(runner.run("""
import json, time, lazyhook
lazyhook.install(["slow_a", "quick_b"])
import slow_a, quick_b
handle = lazyhook.preload(["slow_a", "quick_b"], background=True)
time.sleep(0.2)  # the background thread is inside slow_a now
start = time.perf_counter()
b = quick_b.VALUE  # loads quick_b in this thread; must not wait for slow_a
waited = time.perf_counter() - start
current = handle.progress[2]
handle.wait(10)
print(json.dumps({"b": b, "waited_lt_1s": waited < 1.0, "current": current, "a": slow_a.VALUE}))
"""))
    assert res == {"b": "quick_b", "waited_lt_1s": True, "current": ["slow_a"], "a": "slow_a"}


def test_priorities_from_policy_and_argument_order_the_queue(runner):
    runner.packages({**packages(first=0, second=0, third=0, fourth=0),
                     "lazyhook.toml": "lazy = ['first', 'second', 'third', 'fourth']\npriorities = {third = 5, fourth = 1}\n"})
    res = last_json(runner.run("""
import json, _trace, lazyhook
lazyhook.install()
import first, second, third, fourth
lazyhook.preload(priorities={"second": 9})
print(json.dumps(_trace.events))
"""))
    assert res == ["second", "third", "fourth", "first"]


def test_wait_timeout_and_cancel_stop_after_the_current_module(runner):
    runner.packages(packages(c1=0.6, c2=0.6, c3=0.6))
    res = last_json(runner.run("""
import json, time, _trace, lazyhook
lazyhook.install(["c1", "c2", "c3"])
import c1, c2, c3
handle = lazyhook.preload(background=True)
timed_out = handle.wait(0.1) is False
time.sleep(0.2)
handle.cancel()
finished = handle.wait(5)
print(json.dumps({"timed_out": timed_out, "finished": finished, "ran": list(_trace.events),
                  "pending": [lazyhook.is_pending(m) for m in ("c1", "c2", "c3")], "done": handle.progress[0]}))
"""))
    assert res == {"timed_out": True, "finished": True, "ran": ["c1"], "pending": [False, True, True], "done": 1}


def test_a_failing_package_does_not_stop_the_queue_and_fails_again_at_first_use(runner):
    runner.packages({**packages(ok1=0, ok2=0), "bad/__init__.py": "raise RuntimeError('broken at load')\n"})
    res = last_json(runner.run("""
import json, lazyhook
lazyhook.install(["ok1", "bad", "ok2"])
import ok1, bad, ok2
handle = lazyhook.preload(["ok1", "bad", "ok2", "not_installed_pkg"], background=True)
handle.wait(10)
try:
    bad.anything
except lazyhook.LazyImportError as exc:
    use_error = repr(exc.__cause__)
except RuntimeError as exc:  # 3.15: the original exception, chained from ImportError
    use_error = repr(exc)
print(json.dumps({"errors": {k: type(v).__name__ for k, v in handle.errors.items()},
                  "use_error": use_error, "ok": [ok1.VALUE, ok2.VALUE],
                  "states": {r["module"]: r["state"] for r in lazyhook.status()}}))
"""))
    assert res["errors"] == {"bad": "RuntimeError" if NATIVE else "LazyImportError",
                             "not_installed_pkg": "ModuleNotFoundError"}
    assert res["use_error"] == "RuntimeError('broken at load')"
    assert res["ok"] == ["ok1", "ok2"]
    assert res["states"] == {"bad": "failed", "ok1": "loaded", "ok2": "loaded"}


def test_status_and_load_all(runner):
    runner.packages(packages(s1=0.05, s2=0, s3=0))
    res = last_json(runner.run("""
import json, lazyhook
lazyhook.install(["s1", "s2", "s3", "never_imported_one"])
import s1, s2
s1.VALUE
before = {r["module"]: r["state"] for r in lazyhook.status()}
row = next(r for r in lazyhook.status() if r["module"] == "s1")
lazyhook.load_all()
after = {r["module"]: r["state"] for r in lazyhook.status()}
print(json.dumps({"before": before, "after": after, "s1_load": row["load_s"] >= 0.05,
                  "s1_trigger": row["trigger"]}))
"""))
    # s3 is installed and never imported; never_imported_one is not installed at all.
    assert res["before"] == {"never_imported_one": "not installed", "s1": "loaded", "s2": "pending",
                             "s3": "never imported"}
    assert res["after"]["s2"] == "loaded"
    assert res["s1_load"] is True
    # Evaluating the name ``s1`` loads it (PEP 810; emulated the same way before 3.15).
    assert res["s1_trigger"].endswith("main.py:5 (s1)")


LAZY_IMPORT_PKG = {
    "_trace.py": "events = []\ndef hit(name):\n    events.append(name)\n",
    "lp/__init__.py": "import _trace; _trace.hit(__name__)\nX = 1\n",
    "lp/sub/__init__.py": "import _trace; _trace.hit(__name__)\nY = 2\n",
    "lp/sub/leaf.py": "import _trace; _trace.hit(__name__)\nZ = 3\n",
    "lbad/__init__.py": "raise ValueError('bad lazy_import body')\n",
    "lrep/__init__.py": "import sys, types\nnew = types.ModuleType(__name__)\nnew.R = 'replacement'\nsys.modules[__name__] = new\n",
}


def test_lazy_import_without_the_hook_keeps_the_contract(runner):
    runner.packages(LAZY_IMPORT_PKG)
    res = last_json(runner.run("""
import json, sys, threading, _trace, lazyhook
leaf = lazyhook.lazy_import("lp.sub.leaf")
hooked = any(type(f).__name__ == "LazyFinder" for f in sys.meta_path)
nothing = list(_trace.events)
pending = [lazyhook.is_pending(n) for n in ("lp", "lp.sub", "lp.sub.leaf")]
same = leaf is sys.modules["lp.sub.leaf"] and sys.modules["lp"].sub.leaf is leaf
values = []
ts = [threading.Thread(target=lambda: values.append(leaf.Z)) for _ in range(8)]
for t in ts: t.start()
for t in ts: t.join()
try:
    lazyhook.lazy_import("lp.missing")
except ModuleNotFoundError as exc:
    missing = str(exc)
bad = lazyhook.lazy_import("lbad")
try:
    bad.x
except lazyhook.LazyImportError as exc:
    bad_error = repr(exc.__cause__)
rep = lazyhook.lazy_import("lrep")
print(json.dumps({"hooked": hooked, "nothing": nothing, "pending": pending, "same": same,
                  "order": _trace.events, "values": values, "missing": missing, "bad": bad_error,
                  "bad_in_modules": "lbad" in sys.modules, "rep": rep.R, "type": type(leaf).__name__,
                  "json_again": lazyhook.lazy_import("json") is sys.modules["json"]}))
"""))
    assert res == {
        "hooked": False, "nothing": [], "pending": [True, True, True], "same": True,
        "order": ["lp", "lp.sub", "lp.sub.leaf"], "values": [3] * 8, "missing": "No module named 'lp.missing'",
        "bad": "ValueError('bad lazy_import body')", "bad_in_modules": False, "rep": "replacement",
        "type": "module", "json_again": True,
    }


def test_attach_exposes_submodules_and_attributes_lazily_with_dir(runner):
    runner.packages({
        "_trace.py": LAZY_IMPORT_PKG["_trace.py"],
        "att/__init__.py": "import lazyhook\n__getattr__, __dir__, __all__ = lazyhook.attach(__name__, ['linalg'], {'fft': ['fft', 'ifft']})\n",
        "att/linalg.py": "import _trace; _trace.hit(__name__)\ndef solve():\n    return 'solved'\n",
        "att/fft.py": "import _trace; _trace.hit(__name__)\ndef fft():\n    return 'fft'\ndef ifft():\n    return 'ifft'\n",
    })
    res = last_json(runner.run("""
import json, _trace, att
listed = [n for n in dir(att) if n in ("linalg", "fft", "ifft")]
nothing = list(_trace.events)
out = [att.fft(), att.ifft(), att.linalg.solve()]
try:
    att.nope
except AttributeError as exc:
    err = str(exc)
print(json.dumps({"listed": listed, "all": att.__all__, "nothing": nothing, "out": out,
                  "ran": _trace.events, "err": err}))
"""))
    assert res == {"listed": ["fft", "ifft", "linalg"], "all": ["fft", "ifft", "linalg"], "nothing": [],
                   "out": ["fft", "ifft", "solved"], "ran": ["att.fft", "att.linalg"],
                   "err": "module 'att' has no attribute 'nope'"}
