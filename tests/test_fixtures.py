"""The isolation helper itself: a test that leaks a finder lies about the rest."""

import sys

import lazyhook
from conftest import isolated_imports


def test_isolated_imports_restores_meta_path_modules_and_path(tmp_path):
    before_meta = list(sys.meta_path)
    before_modules = dict(sys.modules)
    before_path = list(sys.path)
    with isolated_imports():
        (tmp_path / "leaky_pkg_for_fixture.py").write_text("X = 1\n")
        sys.path.insert(0, str(tmp_path))
        lazyhook.install(["leaky_pkg_for_fixture"])
        lazyhook.on_load(lambda event: None)
        namespace: dict = {}
        exec(compile("import leaky_pkg_for_fixture", "<module-level>", "exec"), namespace)
        assert lazyhook.is_pending("leaky_pkg_for_fixture")
        assert len(sys.meta_path) == len(before_meta) + 1
    assert sys.meta_path == before_meta
    # lazyhook's own state is back to import time: nothing carries into the next test.
    # (The module is still pending: before, the finder stayed, guarding it, into the next test.)
    state = lazyhook._state
    assert state.finder is None and state.handles == [] and state.rule is None
    assert not (state.entries or state.by_name or state.trees or state.history)
    assert state.callbacks == [] and state.listeners == []
    if hasattr(sys, "get_lazy_imports"):  # 3.15: the interpreter's mode and filter as before
        assert (sys.get_lazy_imports(), sys.get_lazy_imports_filter()) == ("normal", None)
    assert sys.path == before_path
    assert "leaky_pkg_for_fixture" not in sys.modules
    assert {k for k in sys.modules if not k.startswith("lazyhook")} == {
        k for k in before_modules if not k.startswith("lazyhook")}
    assert all(sys.modules[k] is v for k, v in before_modules.items())


def test_the_suite_caches_policies_in_its_own_cache_home(runner, private_cache_home):
    """Parsed policy files are cached under $XDG_CACHE_HOME; the suite's is private."""
    import os

    user_cache = os.path.join(os.path.expanduser("~"), ".cache", "lazyhook")
    before = set(os.listdir(user_cache)) if os.path.isdir(user_cache) else set()
    (runner.root / "lazyhook.toml").write_text('lazy = ["colorsys"]\n')
    runner.run("import lazyhook\nlazyhook.install()\n")
    assert any((private_cache_home / "lazyhook").iterdir())
    after = set(os.listdir(user_cache)) if os.path.isdir(user_cache) else set()
    assert after == before
