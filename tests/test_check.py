"""`lazyhook check`: side effects found with evidence, and the exit code says the verdict."""

from __future__ import annotations

import json
import subprocess
import sys

PATCHER = """
import atexit, codecs, json, os, signal, sys, threading, warnings
_dumps = json.dumps
json.dumps = lambda *a, **k: _dumps(*a, **k)
class Finder:
    def find_spec(self, *args):
        return None
sys.meta_path.append(Finder())
signal.signal(signal.SIGUSR1, lambda *a: None)
threading.Thread(target=lambda: None, name="patcher-thread").start()
os.environ["PATCHER_WAS_HERE"] = "1"
atexit.register(lambda: None)
warnings.filterwarnings("ignore", message="patcher says")
codecs.register(lambda name: None)
import builtins
builtins.patched_by_patcher = True
"""


def check(runner, *packages, json_out=True):
    args = ["-m", "lazyhook", "check", *packages] + (["--json"] if json_out else [])
    return runner.run_args(args, check=False)


def test_a_package_without_side_effects_is_safe(runner):
    runner.packages({"quiet_pkg/__init__.py": "import csv\nX = 1\n", "quiet_pkg/sub.py": "Y = 2\n"})
    proc = check(runner, "quiet_pkg")
    assert proc.returncode == 0, proc.stderr
    (result,) = json.loads(proc.stdout)
    assert result["verdict"] == "safe" and result["deferred"] is True and result["unsafe"] == {}
    assert "csv" in result["notes"]["other_modules"]


def test_every_kind_of_side_effect_is_found_with_evidence(runner):
    runner.packages({"patcher/__init__.py": PATCHER})
    proc = check(runner, "patcher")
    assert proc.returncode == 1, proc.stderr
    (result,) = json.loads(proc.stdout)
    unsafe = result["unsafe"]
    assert unsafe["meta_path"] == ["patcher.Finder"]
    assert unsafe["signals"] == ["SIGUSR1"]
    assert unsafe["stdlib_patches"] == ["json.dumps"]
    assert unsafe["environ"] == ["PATCHER_WAS_HERE"]
    assert unsafe["threads"] == ["patcher-thread"]
    assert unsafe["builtins"] == ["patched_by_patcher"]
    assert len(unsafe["codecs"]) == 1
    assert result["notes"]["atexit"] == 1
    assert any("patcher says" in w for w in result["notes"]["warnings_filters"])
    text = check(runner, "patcher", json_out=False).stdout
    assert text.startswith("patcher: UNSAFE to import lazily")
    assert "unsafe: replaces attributes of standard-library modules (monkey-patching): json.dumps" in text


def test_exit_code_three_when_a_package_cannot_be_imported(runner):
    runner.packages({"quiet_pkg/__init__.py": "X = 1\n", "raising_pkg/__init__.py": "raise RuntimeError('no')\n"})
    proc = check(runner, "quiet_pkg", "raising_pkg", "no_such_pkg_here", json_out=False)
    assert proc.returncode == 3
    assert "raising_pkg: could not import (RuntimeError: no)" in proc.stdout
    assert "no_such_pkg_here: could not import (ModuleNotFoundError: No module named 'no_such_pkg_here')" in proc.stdout
    assert proc.stdout.startswith("quiet_pkg: SAFE")


def test_check_usage_errors_exit_two(runner):
    proc = runner.run_args(["-m", "lazyhook", "check"], check=False)
    assert proc.returncode == 2
    proc = runner.run_args(["-m", "lazyhook", "check", "3bad"], check=False)
    assert proc.returncode == 2 and "'3bad' is not a module name" in proc.stderr


def test_import_costs_attribute_nested_packages_and_submodule_lines():
    from lazyhook._suggest import import_costs

    stderr = "\n".join([
        "import time: self [us] | cumulative | imported package",
        "import time:       100 |        100 |     numpy.core",
        "import time:       200 |        300 |   numpy",
        "import time:       500 |        800 | matplotlib",
        "import time:        50 |         50 |   scipy._lib",
        "import time:        10 |         60 | scipy",
        "import time:       900 |        900 | scipy.stats",
        "some program output on stderr",
    ])
    costs, inside = import_costs(stderr)
    assert costs == {"numpy": 0.3, "matplotlib": 0.8, "scipy": 0.96}
    assert inside == {"matplotlib": {"numpy"}}


def test_registration_into_another_package_is_unsafe_with_evidence(runner):
    """seaborn registers its colormaps with matplotlib when imported: deferred, a program
    asking matplotlib for "rocket" fails. Found by importing the other package alone."""
    runner.packages({
        "registry_host/__init__.py": "REGISTRY = {'builtin': 1}\nNAMES = ['builtin']\n",
        "registrant/__init__.py": "import registry_host\nregistry_host.REGISTRY['extra'] = 2\n"
                                  "registry_host.NAMES.append('extra')\n",
        "polite/__init__.py": "import registry_host\nVALUE = len(registry_host.REGISTRY)\n",
    })
    proc = check(runner, "registrant", "polite")
    assert proc.returncode == 1, proc.stderr
    registrant, polite = json.loads(proc.stdout)
    assert registrant["verdict"] == "unsafe"
    assert registrant["unsafe"]["registrations"] == ["registry_host.NAMES (+1)", "registry_host.REGISTRY (+1)"]
    assert polite["verdict"] == "safe" and "registrations" not in polite["unsafe"]
