"""The finder and the public API, in process, with the import state restored after."""

from __future__ import annotations

import json
import sys

import pytest

import lazyhook
from lazyhook import LazyFinder, _finder
from lazyhook._cpython import NATIVE


def module_level_import(name: str) -> dict:
    """Run ``import name`` as a module-level statement (test bodies are functions)."""
    namespace: dict = {"__name__": "module_level_test"}
    exec(compile(f"import {name}", "<module-level>", "exec"), namespace)
    return namespace


def use(namespace: dict, name: str):
    """Load ``name`` as module-level code does: on 3.15+ that resolves a lazy import
    (a plain ``namespace[name]`` read hands back the unresolved placeholder)."""
    exec(compile(f"__used__ = {name}", "<module-level>", "exec"), namespace)
    return namespace.pop("__used__")


def finders() -> list:
    return [f for f in sys.meta_path if isinstance(f, LazyFinder)]


def test_install_is_idempotent_and_adds_names_to_one_finder(import_state):
    first = lazyhook.install(["alpha_pkg"])
    second = lazyhook.install(["beta_pkg"])
    assert len(finders()) == 1
    assert sys.meta_path[0] is finders()[0]
    assert first.packages == second.packages == {"alpha_pkg", "beta_pkg"}


def test_install_handle_is_a_context_manager(import_state):
    with lazyhook.install(["alpha_pkg"]) as handle:
        assert handle.packages == {"alpha_pkg"}
        assert len(finders()) == 1
    assert finders() == []


def test_uninstall_removes_only_its_finder_and_tolerates_repeats(import_state):
    class Other:
        def find_spec(self, *args):
            return None

    other = Other()
    lazyhook.install(["alpha_pkg"])
    sys.meta_path.insert(0, other)
    lazyhook.uninstall()
    lazyhook.uninstall()
    assert other in sys.meta_path
    assert finders() == []


def test_uninstall_survives_someone_replacing_meta_path(import_state):
    lazyhook.install(["alpha_pkg"])
    sys.meta_path = [f for f in sys.meta_path if not isinstance(f, LazyFinder)]
    lazyhook.uninstall()
    lazyhook.install(["alpha_pkg"])
    assert len(finders()) == 1


@pytest.mark.parametrize("bad", ["", "3x", "torch,,", "a..b", "has space", 7])
def test_bad_names_are_refused_with_the_fix(import_state, bad):
    with pytest.raises(ValueError, match="not a module name"):
        lazyhook.install([bad])
    assert finders() == []


def test_submodule_names_are_refused_with_the_fix(import_state):
    with pytest.raises(ValueError, match="list its top-level package 'torch'"):
        lazyhook.install(["torch.nn"])


@pytest.fixture
def slow_path_calls(monkeypatch) -> list:
    """The names the finder hands to its slow path (``_finder.find_configured``), in order."""
    calls = []
    original = _finder.find_configured

    def spy(finder, name, path, target):
        calls.append(name)
        return original(finder, name, path, target)

    monkeypatch.setattr(_finder, "find_configured", spy)
    return calls


def test_fast_path_never_delegates_for_unconfigured_modules(import_state, slow_path_calls):
    calls = slow_path_calls
    lazyhook.install(["colorsys"])
    for name in ["csv", "email.mime.text", "xml.dom.minidom", "colorsysx_not_there"]:
        sys.modules.pop(name, None)
    module_level_import("csv")
    module_level_import("email.mime.text")
    module_level_import("xml.dom.minidom")
    with pytest.raises(ModuleNotFoundError):
        module_level_import("colorsysx_not_there")
    assert calls == []
    sys.modules.pop("colorsys", None)
    # Asked at the statement (emulation) or when the interpreter resolves it (3.15+).
    assert use(module_level_import("colorsys"), "colorsys").rgb_to_hsv(0, 0, 0) == (0.0, 0.0, 0.0)
    assert calls == ["colorsys"]


def test_the_fast_path_reads_lazy_modules_of_the_frame_that_imports(import_state, tmp_path, slow_path_calls):
    """An import the policy does not name reaches the slow path exactly when the frame
    whose statement imports (past importlib's frames: a parent's import,
    ``_handle_fromlist``) has a non-empty ``__lazy_modules__``; ``importlib.import_module``
    is no statement of this module's, as on 3.15."""
    import importlib

    package = tmp_path / "lazy_modules_probe_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "sub.py").write_text("VALUE = 1\n")
    sys.path.insert(0, str(tmp_path))
    calls = slow_path_calls
    lazyhook.install([])  # active: __lazy_modules__ counts, nothing is configured
    namespace = {"__name__": "lazy_modules_probe_importer", "__lazy_modules__": ["lazy_modules_probe_missing"]}
    with pytest.raises(ModuleNotFoundError):
        exec("import lazy_modules_probe_missing", namespace)
    with pytest.raises(ModuleNotFoundError):
        exec("def f():\n    return importlib.import_module('lazy_modules_probe_missing')\nf()",
             {**namespace, "importlib": importlib})
    exec("def f():\n    from lazy_modules_probe_pkg import sub\n    return sub\nsub = f()", namespace)
    assert namespace["sub"].VALUE == 1
    assert calls == ["lazy_modules_probe_missing", "lazy_modules_probe_pkg", "lazy_modules_probe_pkg.sub"]
    del calls[:]
    for name in ["lazy_modules_probe_pkg", "lazy_modules_probe_pkg.sub"]:
        sys.modules.pop(name)
    exec("from lazy_modules_probe_pkg import sub", {"__name__": "lazy_modules_probe_plain", "__lazy_modules__": []})
    assert calls == []


@pytest.mark.skipif(NATIVE, reason="3.15+: the interpreter defers; the finder records loads")
def test_a_package_importing_itself_with_nothing_pending_skips_the_slow_path(import_state, tmp_path, slow_path_calls):
    """The finder answers a running body's imports of its own package directly (the hot
    path of a deferred body: scipy.stats imports ~500 of its own modules); an import of
    the same package from outside still gets the deferral decision."""
    package = tmp_path / "selfimporting_pkg"
    package.mkdir()
    (package / "__init__.py").write_text(
        "import selfimporting_pkg.first\nfrom selfimporting_pkg import second\nfrom . import third\n"
        "TOTAL = first.VALUE + second.VALUE + third.VALUE\n")
    for index, name in enumerate(["first", "second", "third", "outside"], 1):
        (package / f"{name}.py").write_text(f"VALUE = {index}\n")
    sys.path.insert(0, str(tmp_path))
    calls = slow_path_calls
    lazyhook.install(["selfimporting_pkg"])
    namespace = module_level_import("selfimporting_pkg")
    assert calls == ["selfimporting_pkg"] and lazyhook.is_pending("selfimporting_pkg")
    assert use(namespace, "selfimporting_pkg").TOTAL == 6
    assert calls == ["selfimporting_pkg"]
    module_level_import("selfimporting_pkg.outside")
    assert calls == ["selfimporting_pkg", "selfimporting_pkg.outside"]
    assert lazyhook.is_pending("selfimporting_pkg.outside")


@pytest.mark.skipif(NATIVE, reason="3.15+: the interpreter defers; the finder records loads")
def test_a_package_importing_itself_reaches_the_slow_path_while_its_tree_is_unsettled(import_state, tmp_path,
                                                                                      slow_path_calls):
    """The fast path answers a package's own imports only while nothing of its tree is
    pending and no failure is held for a next use: with either, the slow path decides
    (it may load a pending parent first, defer, or raise the held failure)."""
    package = tmp_path / "unsettled_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "first.py").write_text("import unsettled_pkg.helper\nVALUE = 1\n")
    (package / "second.py").write_text("VALUE = 2\n")
    (package / "broken.py").write_text("raise RuntimeError('broken on purpose')\n")
    (package / "later.py").write_text("import unsettled_pkg.late_helper\nVALUE = 3\n")
    for helper in ["helper", "late_helper"]:
        (package / f"{helper}.py").write_text("")
    sys.path.insert(0, str(tmp_path))
    calls = slow_path_calls
    lazyhook.install(["unsettled_pkg"])
    first = module_level_import("unsettled_pkg.first")
    module_level_import("unsettled_pkg.second")
    del calls[:]
    # first's body runs while second is still pending: its own import is the slow path's.
    assert use(first, "unsettled_pkg").first.VALUE == 1
    assert "unsettled_pkg.helper" in calls
    assert not lazyhook.is_pending("unsettled_pkg.second")
    with pytest.raises(lazyhook.LazyImportError, match="broken on purpose"):
        use(module_level_import("unsettled_pkg.broken"), "unsettled_pkg").broken.VALUE
    # Nothing pending, a failure held: later's own import is still the slow path's.
    later = module_level_import("unsettled_pkg.later")
    del calls[:]
    assert use(later, "unsettled_pkg").later.VALUE == 3
    assert calls == ["unsettled_pkg.late_helper"]


def test_other_finders_are_asked_for_the_real_spec(import_state, tmp_path):
    """An import hook that serves modules from memory keeps working under lazyhook."""
    import importlib.abc
    import importlib.util

    class MemoryLoader(importlib.abc.Loader):
        def create_module(self, spec):
            return None

        def exec_module(self, module):
            module.SOURCE = "memory"

    class MemoryFinder:
        def find_spec(self, name, path=None, target=None):
            if name == "memory_only_pkg":
                return importlib.util.spec_from_loader(name, MemoryLoader(), origin="memory://")
            return None

    sys.meta_path.append(MemoryFinder())
    lazyhook.install(["memory_only_pkg"])
    ns = module_level_import("memory_only_pkg")
    assert lazyhook.is_pending("memory_only_pkg")
    module = use(ns, "memory_only_pkg")
    assert module.SOURCE == "memory"
    assert not lazyhook.is_pending("memory_only_pkg")
    assert isinstance(sys.modules["memory_only_pkg"].__loader__, MemoryLoader)


def test_is_pending_accepts_names_and_objects(import_state, tmp_path):
    (tmp_path / "pending_by_name.py").write_text("X = 1\n")
    sys.path.insert(0, str(tmp_path))
    lazyhook.install(["pending_by_name"])
    namespace = module_level_import("pending_by_name")
    assert lazyhook.is_pending("pending_by_name")
    # The object answers too: on 3.15+ the placeholder (a namespace read does not resolve
    # it), before that the pending module (reading the bound name would load it).
    bound = namespace["pending_by_name"] if NATIVE else sys.modules["pending_by_name"]
    assert lazyhook.is_pending(bound)
    module = use(namespace, "pending_by_name")
    assert module.X == 1
    assert not lazyhook.is_pending("pending_by_name")
    assert not lazyhook.is_pending("never_imported_name")
    assert not lazyhook.is_pending(sys)


@pytest.mark.skipif(NATIVE, reason="3.15 hands deferral to the interpreter: no pending trees of lazyhook's")
def test_busy_subtrees_follow_each_tree_as_its_modules_defer_and_load(import_state, tmp_path):
    # Each change recomputes only the tree it touched; the answer must stay what a full
    # recomputation gives, or a pending package's own imports would skip running it first.
    for name in ("busy_a", "busy_b", "busy_c"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text("VALUE = 1\n")
        (tmp_path / name / "sub.py").write_text("VALUE = 2\n")
    sys.path.insert(0, str(tmp_path))
    lazyhook.install(["busy_a", "busy_b", "busy_c"])
    finder = finders()[0]

    def busy() -> set[str]:
        incremental = set(finder.busy_subtrees)
        finder.trees_changed()  # the full recomputation
        assert set(finder.busy_subtrees) == incremental
        return incremental

    namespace = module_level_import("busy_a")
    namespace.update(module_level_import("busy_b.sub"))
    namespace.update(module_level_import("busy_c"))
    assert busy() == {"busy_a.", "busy_b.", "busy_c."}
    assert use(namespace, "busy_b").sub.VALUE == 2
    assert busy() == {"busy_a.", "busy_c."}
    assert use(namespace, "busy_a").VALUE == 1
    assert busy() == {"busy_c."}
    namespace.update(module_level_import("busy_a.sub"))  # its package is loaded: the submodule alone defers
    assert busy() == {"busy_a.", "busy_c."}
    assert use(namespace, "busy_c").VALUE == 1
    assert sys.modules["busy_a.sub"].VALUE == 2
    assert busy() == set()


def test_a_tree_deferred_only_through_lazy_modules_leaves_the_slow_path_once_loaded(runner):
    # Pillow and filelock list their own modules: while lazyhook is active each such tree
    # is deferred and watched; once it has loaded, imports of it from modules that list
    # nothing are ordinary imports again, not a trip through the deferral decision each.
    runner.packages({"listedpk/__init__.py": "X = 1\n", "listedpk/sub.py": "Y = 2\n",
                     "lister.py": "__lazy_modules__ = ['listedpk']\nimport listedpk\n"})
    proc = runner.run("""
        import json, sys
        import lazyhook
        lazyhook.install(["configured_elsewhere"])
        import lister
        finder = lazyhook._state.finder
        during = "listedpk" in finder.watched
        used = lister.listedpk.X
        import lazyhook._finder as decision
        asked, find_configured = [], decision.find_configured
        def counting(finder, name, *rest):
            asked.append(name)
            return find_configured(finder, name, *rest)
        decision.find_configured = counting
        import listedpk.sub
        print(json.dumps({"during": during, "after": "listedpk" in finder.watched, "asked": asked,
                          "values": [used, listedpk.sub.Y]}))
    """)
    result = json.loads(proc.stdout)
    # (3.15: the interpreter defers what modules list; lazyhook watches nothing for it.)
    assert result == {"during": not NATIVE, "after": False, "asked": [], "values": [1, 2]}


def test_is_pending_first_asked_in_a_loop_over_sys_modules(runner):
    # What a user writes to list what is still pending: the first call of is_pending
    # comes inside the loop, so it must import nothing ("dictionary changed size during
    # iteration" otherwise), on every version, by name and by module object.
    runner.packages({"pk/__init__.py": "X = 1\n", "pk/sub.py": "Y = 2\n", "other.py": "Z = 3\n"})
    proc = runner.run("""
        import json, sys
        import lazyhook
        lazyhook.install(["pk"])
        import pk.sub
        import other
        by_name = [name for name in sys.modules if lazyhook.is_pending(name)]
        by_object = [name for name, module in sys.modules.items() if lazyhook.is_pending(module)]
        asked = {name: lazyhook.is_pending(name) for name in ("pk", "pk.sub", "other")}
        loaded = pk.sub.Y
        print(json.dumps({"by_name": by_name, "by_object": by_object, "asked": asked,
                          "after": [name for name in sys.modules if lazyhook.is_pending(name)]}))
    """)
    result = json.loads(proc.stdout)
    # 3.15 keeps pending modules out of sys.modules (PEP 810); 3.11-3.14 hold them there.
    in_sys_modules = [] if NATIVE else ["pk", "pk.sub"]
    assert sorted(result["by_name"]) == in_sys_modules
    assert sorted(result["by_object"]) == in_sys_modules
    assert result["asked"] == {"pk": True, "pk.sub": True, "other": False}
    assert result["after"] == []


@pytest.mark.parametrize("util_first", [True, False], ids=["importlib.util-first", "importlib.util-later"])
def test_the_loader_is_a_lazyloader_without_importing_importlib_util(runner, util_first):
    runner.packages({"lazy_pkg_x/__init__.py": "X = 1\n"})
    proc = runner.run_args(["-S", "-c", (
        ("import importlib.util\n" if util_first else "")
        + "import sys, lazyhook\nlazyhook.install(['lazy_pkg_x'])\nimport lazy_pkg_x\n"
        "util_loaded = 'importlib.util' in sys.modules\n"
        "import importlib.util\nfrom lazyhook._finder import LazyHookLoader\n"
        "print(util_loaded, issubclass(LazyHookLoader, importlib.util.LazyLoader), lazyhook.is_pending('lazy_pkg_x'))"
    )])
    assert proc.stdout.split() == [str(util_first), "True", "True"]
