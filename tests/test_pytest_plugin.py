"""The pytest plugin, driven as a user drives it: pytest in a fresh subprocess on a
generated suite whose conftest and test modules import a package at module level.

The package's body appends its name to a file, so each test sees exactly when (and how
many times) it ran; without the plugin every run below loads it during collection.
"""

from __future__ import annotations

import pytest

from conftest import LOGGED_PACKAGE, Runner

HEAVY = {
    "heavy/__init__.py": LOGGED_PACKAGE,
    "other/__init__.py": "raise RuntimeError('other is configured lazy and never used')\n",
}

SUITE = {
    "conftest.py": """
        import heavy
        import other
        import pytest

        @pytest.fixture
        def answer():
            return heavy.answer()
    """,
    "test_mod.py": """
        import heavy
        from heavy import answer as heavy_answer
        import lazyhook

        def test_nothing_loaded_at_collection():
            assert lazyhook.is_pending("heavy")

        def test_uses():
            assert heavy_answer() == 42
    """,
}


@pytest.fixture
def suite(tmp_path):
    runner = Runner(tmp_path)
    runner.packages({**HEAVY, **SUITE})
    runner.loads = tmp_path / "loads.txt"
    return runner


def pytest_run(runner: Runner, *args: str, env: dict | None = None, check: bool = True):
    return runner.run_args(["-m", "pytest", "-p", "no:cacheprovider", "-q", *args],
                           env={"LOADS": str(runner.loads), **(env or {})}, check=check)


def loads(runner: Runner) -> list[str]:
    return runner.loads.read_text().split() if runner.loads.exists() else []


@pytest.mark.parametrize("import_mode", ["prepend", "importlib"])
def test_module_level_imports_wait_for_the_test_that_uses_them(suite, import_mode):
    proc = pytest_run(suite, "--lazy-imports=heavy,other", "--lazy-report", f"--import-mode={import_mode}")
    assert "2 passed" in proc.stdout
    assert loads(suite) == ["heavy"]  # once, by the test: never by collection
    assert "lazyhook: lazy imports paid by each test" in proc.stdout
    assert "test_mod.py::test_uses (call): heavy" in proc.stdout
    assert "configured lazy but never loaded (no test paid for them): other" in proc.stdout


def test_without_configuration_the_plugin_is_inert(suite):
    proc = pytest_run(suite, check=False)
    assert "RuntimeError: other is configured lazy and never used" in proc.stderr  # conftest
    suite.packages({"other/__init__.py": ""})
    proc = pytest_run(suite, check=False)
    assert "1 failed, 1 passed" in proc.stdout  # is_pending: collection loaded heavy
    assert "lazyhook" not in proc.stdout.replace("import lazyhook", "").replace("lazyhook.is_pending", "")


def test_ini_option_and_report_switch(suite):
    suite.packages({"pyproject.toml": '[tool.pytest.ini_options]\nlazy_imports = "heavy, other"\nlazy_report = true\n'})
    proc = pytest_run(suite)
    assert "2 passed" in proc.stdout and "test_mod.py::test_uses (call): heavy" in proc.stdout
    suite.packages({"other/__init__.py": ""})
    off = pytest_run(suite, "--lazy-imports=off", check=False)  # the command line wins
    assert "1 failed, 1 passed" in off.stdout
    killed = pytest_run(suite, env={"LAZYHOOK_DISABLE": "1"}, check=False)
    assert "1 failed, 1 passed" in killed.stdout
    suite.packages({"pyproject.toml": '[tool.pytest.ini_options]\nlazy_imports = ["heavy", "@utils"]\n'})
    assert "2 passed" in pytest_run(suite).stdout  # a TOML array works too


def test_off_also_undoes_an_activation_by_the_environment(suite):
    suite.packages({"other/__init__.py": ""})
    proc = pytest_run(suite, "--lazy-imports=off", env={"LAZY_IMPORTS": "heavy"}, check=False)
    assert "1 failed, 1 passed" in proc.stdout
    assert pytest_run(suite, env={"LAZY_IMPORTS": "heavy,other"}).returncode == 0  # no rewrite warning


def test_the_policy_in_effect_applies(suite):
    suite.packages({"lazyhook.toml": 'lazy = ["heavy", "other"]\n'})
    assert "2 passed" in pytest_run(suite, "--lazy-imports=policy").stdout
    suite.packages({"lazyhook.toml": 'lazy = ["heavy"]\nnever-lazy = ["heavy"]\n', "other/__init__.py": ""})
    assert "1 failed, 1 passed" in pytest_run(suite, "--lazy-imports=heavy", check=False).stdout


@pytest.mark.parametrize("args, files, needle", [
    (["--lazy-imports=hea-vy"], {}, "--lazy-imports='hea-vy': 'hea-vy' is not a module name"),
    ([], {"pytest.ini": "[pytest]\nlazy_imports = @mll\n"},
     "lazy_imports (pytest configuration)='@mll': unknown preset '@mll' (did you mean 'ml'?)"),
    (["--lazy-imports=heavy"], {"lazyhook.toml": "lazy = 3\n"}, "lazyhook.toml"),
])
def test_bad_configuration_is_one_usage_error(suite, args, files, needle):
    suite.packages(files)
    proc = pytest_run(suite, *args, check=False)
    assert proc.returncode == 4  # pytest's usage error
    errors = [line for line in proc.stderr.splitlines() if line.startswith("ERROR:")]
    assert len(errors) == 1 and needle in errors[0], proc.stderr
    assert loads(suite) == []


def test_each_load_is_paid_by_the_phase_that_ran_it(suite):
    suite.packages({
        "conftest.py": SUITE["conftest.py"],
        "test_mod.py": "def test_fixture(answer):\n    assert answer == 42\n",
        "test_collect.py": """
            import pytest
            import heavy
            @pytest.mark.skipif(heavy.value != 41, reason="collection reads heavy")
            def test_x():
                pass
        """,
    })
    proc = pytest_run(suite, "--lazy-imports=heavy,other", "--lazy-report", "test_mod.py")
    assert "test_mod.py::test_fixture (setup): heavy" in proc.stdout
    proc = pytest_run(suite, "--lazy-imports=heavy,other", "--lazy-report", "test_collect.py")
    assert "test_collect.py (collection): heavy" in proc.stdout


def test_coexists_with_rewriting_importorskip_monkeypatch_and_doctests(suite):
    suite.packages({
        "conftest.py": "import heavy\n",
        "test_mod.py": """
            import heavy
            import pytest

            def test_rewritten_assert_explains():
                assert heavy.value == 40

            def test_importorskip_gives_the_deferred_module():
                assert pytest.importorskip("heavy") is heavy and heavy.value == 41

            def test_importorskip_skips_what_is_missing():
                pytest.importorskip("not_installed_anywhere")

            def test_monkeypatch(monkeypatch):
                monkeypatch.setattr(heavy, "value", 1)
                assert heavy.answer() == 2
                monkeypatch.setattr("heavy.value", 2)
                assert heavy.answer() == 3

            def test_monkeypatch_undone():
                assert heavy.answer() == 42
        """,
        "mod_doc.py": '''
            import heavy

            def plus(n):
                """
                >>> plus(1)
                43
                """
                return heavy.answer() + n
        ''',
    })
    proc = pytest_run(suite, "--lazy-imports=heavy", "--lazy-report", "--doctest-modules", "-rs",
                      "test_mod.py", "mod_doc.py", check=False)
    assert "1 failed, 4 passed, 1 skipped" in proc.stdout, proc.stdout
    assert "assert 41 == 40" in proc.stdout  # the rewritten assert read the loaded module
    assert "where 41 = heavy.value" in proc.stdout  # as an eager run explains it
    assert "could not import 'not_installed_anywhere'" in proc.stdout
    assert loads(suite) == ["heavy"]
    assert " (collection)" not in proc.stdout  # doctest collection does not load it


def test_xdist_workers_report_to_the_controller(suite):
    suite.packages({"test_two.py": "import heavy\n\ndef test_two():\n    assert heavy.value == 41\n"})
    proc = pytest_run(suite, "-n", "2", "--dist=loadfile", "--lazy-imports=heavy,other", "--lazy-report")
    assert "3 passed" in proc.stdout
    assert loads(suite) == ["heavy", "heavy"]  # each worker loads it once, in a test
    summary = proc.stdout.split("lazyhook: lazy imports paid by each test")[1]
    assert summary.count("lazyhook: lazy imports") == 0  # one summary, the controller's
    assert "test_mod.py::test_uses (call): heavy" in summary and "test_two.py::test_two (call): heavy" in summary
    assert "[gw0] " in summary and "[gw1] " in summary
    assert "2 lazy load(s)" in summary and "over 2 worker(s)" in summary
    assert "configured lazy but never loaded (no test paid for them): other" in summary


def test_a_fixture_from_a_deferred_from_import_fails_with_a_hint(suite):
    """The one case the plugin cannot make exact (docs/integrations.md): pytest looks for
    fixtures before first use.  The failure is pytest's own, plus what happened and the fix."""
    suite.packages({
        "fixturepkg/__init__.py": "import pytest\n\n@pytest.fixture\ndef shared_db():\n    return 'db'\n",
        "conftest.py": "",
        "test_mod.py": "from fixturepkg import shared_db\n\ndef test_uses(shared_db):\n    assert shared_db == 'db'\n",
    })
    assert "1 passed" in pytest_run(suite).stdout  # eager: the imported fixture is found
    lazy = pytest_run(suite, "--lazy-imports=fixturepkg", check=False)
    assert "fixture 'shared_db' not found" in lazy.stdout
    assert "fixture 'shared_db' is bound in" in lazy.stdout and "fixturepkg.shared_db" in lazy.stdout
    assert 'never-lazy = ["fixturepkg"]' in lazy.stdout
    (suite.root / "lazyhook.toml").write_text('never-lazy = ["fixturepkg"]\n')
    assert "1 passed" in pytest_run(suite, "--lazy-imports=fixturepkg").stdout  # the fix works
