"""lazyhook beside other import hooks: pytest's assertion rewriting, in a real pytest run."""

from __future__ import annotations


def test_pytest_assertion_rewriting_still_applies_inside_a_lazy_package(runner):
    runner.packages({
        "checked/__init__.py": """
            import _trace; _trace.hit(__name__)
            def compare(a, b):
                assert a == b
        """,
        "conftest.py": """
            import pytest
            pytest.register_assert_rewrite("checked")
            import lazyhook
            lazyhook.install(["checked"])
        """,
        # Imported straight into the test module: pytest's collection probes every
        # module-level name (``_mock_name``), which must not load it.
        "test_uses_checked.py": """
            import sys
            import _trace
            import checked
            import lazyhook

            def test_pending_then_rewritten():
                # 3.15 resolves it when collection reads the module's globals (PEP 810).
                if sys.version_info < (3, 15):
                    assert lazyhook.is_pending("checked")
                    assert _trace.events == []
                checked.compare(sum([1, 2]), 4)
        """,
    })
    proc = runner.run_args(["-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
                            "test_uses_checked.py"], check=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    # Rewritten asserts explain operands; plain ones only say "AssertionError".
    assert "assert 3 == 4" in proc.stdout, proc.stdout
    assert "1 failed" in proc.stdout
