"""Python 3.15+: lazyhook's policy carried by the interpreter's own lazy imports.

Each test runs in a fresh interpreter; ``_trace`` records which bodies ran.
"""

from __future__ import annotations

import json

import pytest

from lazyhook._cpython import NATIVE

pytestmark = pytest.mark.skipif(not NATIVE, reason="PEP 810 lazy imports are in the interpreter from 3.15 on")

PKG = {
    "pk/__init__.py": "import _trace; _trace.hit(__name__)\nVALUE = 41\n",
    "pk/sub.py": "import _trace; _trace.hit(__name__)\nSUB = 'sub'\n",
    "own/__init__.py": "import _trace; _trace.hit(__name__)\nOWN = 1\n",
    "listed/__init__.py": "import _trace; _trace.hit(__name__)\nLISTED = 1\n",
    "blocked/__init__.py": "import _trace; _trace.hit(__name__)\nB = 1\n",
}


def out(proc) -> dict:
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_policy_packages_and_lazy_modules_defer_everything_else_stays_eager(runner):
    runner.packages(PKG)
    res = out(runner.run("""
import json, sys, _trace, lazyhook
lazyhook.install(["pk"])
__lazy_modules__ = ["listed"]
import pk.sub
import listed
import own
ran = list(_trace.events)
print(json.dumps({"ran": ran, "mode": sys.get_lazy_imports(), "value": pk.VALUE, "sub": pk.sub.SUB,
                  "after": _trace.events}))
"""))
    assert res == {"ran": ["own"], "mode": "all", "value": 41, "sub": "sub", "after": ["own", "pk", "pk.sub"]}


def test_a_filter_already_set_is_chained_and_restored_with_the_mode(runner):
    runner.packages(PKG)
    res = out(runner.run("""
import json, sys, _trace, lazyhook
asked = []
def theirs(importing, imported, fromlist):
    asked.append(imported)
    return imported != "blocked"
sys.set_lazy_imports_filter(theirs)
handle = lazyhook.install(["pk", "blocked"])
import pk
import blocked
ran = list(_trace.events)
handle.uninstall()
print(json.dumps({"ran": ran, "asked": asked, "restored": [sys.get_lazy_imports(),
                  sys.get_lazy_imports_filter() is theirs]}))
"""))
    # Both must allow: theirs refused "blocked", so it ran at its statement.
    assert res == {"ran": ["blocked"], "asked": ["pk", "blocked"], "restored": ["normal", True]}


def test_kill_switch_makes_lazy_import_statements_eager_too(runner):
    runner.packages(PKG)
    script = """
import json, _trace, lazyhook
lazyhook.install(["pk"])
lazy import own
import pk
print(json.dumps({"ran": list(_trace.events)}))
"""
    assert out(runner.run(script)) == {"ran": []}
    assert out(runner.run(script, env={"LAZYHOOK_DISABLE": "1"})) == {"ran": ["own", "pk"]}
    # The variable alone is enough through lazyhook.start, for a program that never
    # imports lazyhook: covered with the wheel in tests/test_activation.py.


def test_a_missing_package_fails_at_its_import_statement(runner):
    runner.packages(PKG)
    proc = runner.run("""
import lazyhook
lazyhook.install(["pk", "no_such_pkg_xyz"])
import pk
import no_such_pkg_xyz
""", check=False)
    assert proc.returncode == 1
    assert "line 5, in <module>" in proc.stderr
    assert proc.stderr.rstrip().endswith("ModuleNotFoundError: No module named 'no_such_pkg_xyz'")


def test_loads_are_recorded_including_the_programs_own_lazy_import(runner):
    runner.packages(PKG)
    res = out(runner.run("""
import json, threading, lazyhook
lazyhook.install(["pk", "own"])
lazy import own
import pk.sub as S
def worker():
    return own.OWN
t = threading.Thread(target=worker, name="w1"); t.start(); t.join()
S.SUB
events = {e["module"]: e for e in lazyhook.events()}
print(json.dumps({m: [e["imported_at"]["line"], e["trigger"]["line"], e["trigger"]["attribute"],
                      e["thread"], e["status"]] for m, e in events.items()}))
"""))
    assert res == {
        "own": [4, 7, "own", "w1", "loaded"],
        "pk": [5, 9, "S", "MainThread", "loaded"],
        "pk.sub": [5, 9, "S", "MainThread", "loaded"],
    }


def test_lazyhooks_own_imports_are_never_deferred(runner):
    res = out(runner.run("""
import json, sys, lazyhook
lazyhook.install(["email"])
f = sys.get_lazy_imports_filter()
print(json.dumps([f("lazyhook._report", "email", None), f("lazyhook", "lazyhook._native", None),
                  f("__main__", "email", None), f("email.mime", "email.charset", None), f("email", "email", ("x",))]))
"""))
    # ...and neither are a policy package's imports of itself (numpy's C core needs its
    # internal imports in order), as emulated on 3.11-3.14.
    assert res == [False, False, True, False, False]
