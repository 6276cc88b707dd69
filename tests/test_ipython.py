"""The IPython extension in a fresh interpreter: a real ``InteractiveShell`` runs the
cells a notebook user types (``tests/integration/test_jupyter_kernel.py`` drives a real
kernel).  The package's body appends its name to a file, so a test sees when it ran."""

from __future__ import annotations

import json
import textwrap

import pytest

from conftest import LOGGED_PACKAGE, Runner

pytest.importorskip("IPython", reason="the IPython extension's tests need the `test` extra")

HEAVY = {
    "heavy/__init__.py": LOGGED_PACKAGE,
}

SHELL = """
import json, sys
from IPython.core.interactiveshell import InteractiveShell

shell = InteractiveShell.instance()
shown = []  # every rich display: {mime type: data}
shell.display_pub.publish = lambda data, metadata=None, **kw: shown.append(data)

def cell(source):
    result = shell.run_cell(source, store_history=True)
    return None if result.error_in_exec is None else type(result.error_in_exec).__name__

def loads():
    import os
    path = os.environ["LOADS"]
    return open(path).read().split() if os.path.exists(path) else []

shell.user_ns["loads"] = loads
"""


@pytest.fixture
def shell(tmp_path):
    runner = Runner(tmp_path)
    runner.packages(HEAVY)
    return runner


def run_cells(runner: Runner, script: str, env: dict | None = None) -> tuple[dict, str]:
    proc = runner.run(SHELL + textwrap.dedent(script), env={"LOADS": str(runner.root / "loads.txt"), **(env or {})})
    *_, last = proc.stdout.strip().splitlines()
    return json.loads(last), proc.stdout + proc.stderr


def test_a_cell_import_waits_for_first_use_and_the_report_names_the_cells(shell):
    out, printed = run_cells(shell, """
        cell("%load_ext lazyhook")                             # In[1]
        cell("%lazyhook on heavy")                             # In[2]
        cell("import heavy\\nfrom heavy import answer")        # In[3]
        cell("import lazyhook\\npending = lazyhook.is_pending('heavy')\\nloaded = loads()")  # In[4]
        cell("x = 1\\ny = answer() + heavy.value")             # In[5]
        event, = shell.user_ns["lazyhook"].events()
        print(json.dumps({"pending": shell.user_ns["pending"], "loaded_before_use": shell.user_ns["loaded"],
                          "y": shell.user_ns["y"], "loads": loads(),
                          "trigger": event["trigger"], "imported_at": event["imported_at"]}))
    """)
    assert "module-level imports of heavy in cells are deferred until first use" in printed
    assert out["pending"] is True and out["loaded_before_use"] == []
    assert out["y"] == 83 and out["loads"] == ["heavy"]
    assert (out["trigger"]["file"], out["trigger"]["line"]) == ("Cell In[5]", 2)
    assert (out["imported_at"]["file"], out["imported_at"]["line"]) == ("Cell In[3]", 1)


def test_imports_a_module_would_run_eagerly_stay_eager_in_cells(shell):
    out, _ = run_cells(shell, """
        cell("%load_ext lazyhook")
        cell("%lazyhook on heavy")
        cell("try:\\n    import heavy\\nexcept ImportError:\\n    heavy = None")
        in_try = loads()
        cell("del heavy\\nimport sys\\ndel sys.modules['heavy']")
        cell("def f():\\n    import heavy\\n    return heavy.value\\n")
        before_call = loads()
        cell("v = f()")
        print(json.dumps({"in_try": in_try, "before_call": before_call, "after_call": loads(),
                          "v": shell.user_ns["v"]}))
    """)
    assert out["in_try"] == ["heavy"]  # a try body is eager (PEP 810)
    assert out["before_call"] == ["heavy"] and out["after_call"] == ["heavy", "heavy"] and out["v"] == 41


def test_status_and_report_render_as_text_and_as_html(shell):
    out, _ = run_cells(shell, """
        cell("%load_ext lazyhook")
        cell("%lazyhook on heavy")
        cell("import heavy")
        cell("heavy.value")
        cell("%lazyhook status")
        cell("%lazyhook report")
        print(json.dumps(shown))
    """)
    status, report = out[-2], out[-1]
    assert status["text/plain"].splitlines()[0].split() == ["module", "state", "load", "trigger", "memory"]
    row = next(line for line in status["text/plain"].splitlines() if line.startswith("heavy "))
    assert " loaded " in row and "Cell In[4]:1 (" in row  # the attribute: 3.15 records the name
    assert "<table" in status["text/html"] and "Cell In[4]:1 (" in status["text/html"]
    assert "lazy loads (slowest first)" in report["text/plain"] and "Cell In[4]:1" in report["text/plain"]
    html = report["text/html"]
    assert html.startswith("<iframe srcdoc=") and "&lt;!doctype html&gt;" in html
    assert "first used: Cell In[4]:1" in html  # the waterfall's details, escaped into srcdoc


@pytest.mark.parametrize("line, needle", [
    ("%lazyhook on hea-vy", "UsageError: %lazyhook on='hea-vy': 'hea-vy' is not a module name"),
    ("%lazyhook on @dat", "UsageError: %lazyhook on='@dat': unknown preset '@dat' (did you mean 'data'?)"),
    ("%lazyhook sideways", "UsageError: usage: %lazyhook [status | report [table|html|json] | on NAMES | off]"),
])
def test_bad_arguments_are_one_usage_line(shell, line, needle):
    out, printed = run_cells(shell, f"""
        cell("%load_ext lazyhook")
        cell({line!r})
        cell("%lazyhook on heavy")
        cell("import heavy")
        print(json.dumps({{"loads": loads()}}))
    """)
    assert needle in printed and "Traceback" not in printed
    assert out["loads"] == []  # nothing lost: the extension goes on working


def test_the_policy_in_effect_and_the_kill_switch_apply(shell):
    shell.packages({"lazyhook.toml": 'lazy = ["heavy"]\n'})
    script = """
        cell("%load_ext lazyhook")
        cell("import heavy")
        print(json.dumps({"loads": loads()}))
    """
    out, printed = run_cells(shell, script)
    assert out["loads"] == [] and "module-level imports of heavy in cells are deferred" in printed
    out, printed = run_cells(shell, script, env={"LAZYHOOK_DISABLE": "1"})
    assert out["loads"] == ["heavy"] and "the kill switch is on" in printed


def test_off_and_unload_make_later_imports_eager(shell):
    shell.packages({"heavy2/__init__.py": LOGGED_PACKAGE})
    out, _ = run_cells(shell, """
        cell("%load_ext lazyhook")
        cell("%lazyhook on heavy,heavy2")
        cell("import heavy")
        cell("%lazyhook off")
        cell("import heavy2")
        after_off = loads()
        cell("heavy.value")
        cell("%unload_ext lazyhook")
        import lazyhook, sys
        print(json.dumps({"after_off": after_off, "loads": loads(), "finder": lazyhook._state.finder is None,
                          "labels": len(lazyhook._state.file_labels)}))
    """)
    assert out["after_off"] == ["heavy2"]
    assert out["loads"] == ["heavy2", "heavy"]  # the pending one still loads on use
    assert out["finder"] is True and out["labels"] == 0
