"""What lazyhook costs a process at start-up, pinned as the set of modules it loads.

Timings belong to the benchmark suite; a new import on the start-up path shows up here
first, as a failing test rather than a slower number.
"""

import json
import sys


def loaded_by(runner, code: str, **env: str) -> list[str]:
    probe = ("import sys\nbefore = set(sys.modules)\n" + code +
             "\nadded = sorted(set(sys.modules) - before)\nimport json\nprint(json.dumps(added))\n")
    return json.loads(runner.run(probe, env=env).stdout)


def test_import_and_install_load_only_what_the_way_in_needs(runner):
    """One module: each further one imported at start-up costs 0.15-0.35 ms (docs/how-it-works.md)."""
    expected = ["lazyhook"]
    if sys.version_info >= (3, 15):  # the interpreter's lazy imports carry the policy (1 ms budget)
        expected += ["lazyhook._cpython", "lazyhook._native"]
    assert loaded_by(runner, "import lazyhook\nlazyhook.install(['numpy'])") == expected
    # LAZY_IMPORTS: through the .pth at interpreter start-up where lazyhook is installed.
    ours = "import lazyhook, sys\nlazyhook.install()\nprint(sorted(m for m in sys.modules if 'lazyhook' in m))"
    assert json.loads(runner.run(ours, env={"LAZY_IMPORTS": "numpy, scipy"}).stdout.replace("'", '"')) == expected
    # An import the policy does not name passes the fast path without loading anything.
    assert loaded_by(runner, "import lazyhook\nlazyhook.install(['numpy'])\nimport colorsys") == sorted(
        expected + ["colorsys"])
    assert loaded_by(runner, "import lazyhook") == ["lazyhook"]


def test_the_first_deferral_loads_the_core_and_nothing_else(runner):
    runner.packages({"pk/__init__.py": "X = 1\n"})
    loaded = loaded_by(runner, "import lazyhook\nlazyhook.install(['pk'])\nimport pk")
    # (``_lazymodule`` holds the name the statement binds, so that evaluating it loads, PEP 810.)
    core = {"lazyhook._frames", "lazyhook._lazymodule", "lazyhook._finder"}
    # (lazyhook._fromimport waits for the first deferred `from` import.)
    if sys.version_info >= (3, 15):
        assert "pk" not in loaded  # pending in the interpreter, not in sys.modules
        # The filter answers at the statement with the frame reader alone; the core
        # (the deferral decision, the lazy module) waits for the load it records.
        assert sorted(m for m in loaded if m.startswith("lazyhook.")) == [
            "lazyhook._cpython", "lazyhook._frames", "lazyhook._native"]
    else:
        assert core <= set(loaded) and "pk" in loaded
    assert not [m for m in loaded if m.startswith("lazyhook.") and m not in core | {
        "lazyhook._cpython", "lazyhook._native"}]
    assert not [m for m in loaded if not m.startswith(("lazyhook", "pk"))]  # no stdlib module


def test_the_life_cycle_loads_with_the_first_use_not_the_first_deferral(runner):
    """A program that imports a heavy package and never uses it never loads the code
    that runs, records and retries bodies (``_lifecycle``)."""
    runner.packages({"pk/__init__.py": "X = 1\n"})
    deferred = loaded_by(runner, "import lazyhook\nlazyhook.install(['pk'])\nimport pk")
    used = loaded_by(runner, "import lazyhook\nlazyhook.install(['pk'])\nimport pk\npk.X")
    assert "lazyhook._lifecycle" not in deferred
    assert "lazyhook._lifecycle" in used  # 3.15: the interpreter loads, lazyhook records it
    # An attribute read is no from-import: the from-import machinery stays unloaded.
    assert "lazyhook._fromimport" not in used
    # Nor does a first use import a stdlib module the program may never need (only
    # modules built into the interpreter, which cost no file to find and read).
    builtin = set(runner.run("import sys; print(' '.join(sys.builtin_module_names))").stdout.split())
    for program in (used, loaded_by(runner, "import lazyhook\nlazyhook.install(['pk'])\nfrom pk import X\nX")):
        assert not [m for m in program if not m.startswith(("lazyhook", "pk")) and m not in builtin]


def test_the_core_follows_the_installed_rule_whichever_is_imported_first(runner):
    """The lazy-module core is imported after install() (with the first deferral), or
    while it runs (profiling imports the decision first): it asks the installed rule
    either way (it reads the one state object), and no rule once nothing is installed."""
    probe = """
import json, lazyhook
handle = {install}
from lazyhook import _lazymodule
rule = _lazymodule._state.rule
asks = _lazymodule._state is lazyhook._state and rule is not None and rule == lazyhook._state.finder.would_defer
handle.uninstall()
print(json.dumps([asks, _lazymodule._state.rule is None]))
"""
    expected = [not hasattr(sys, "set_lazy_imports"), True]  # 3.15: the interpreter decides, no rule
    for install in ("lazyhook.install(['pk'])", "lazyhook.install_policy(lazyhook.Policy().finish(), profile_all=True)"):
        assert json.loads(runner.run(probe.format(install=install)).stdout) == expected, install
