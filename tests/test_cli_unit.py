"""CLI refusals that cannot be staged with a real environment here (root can write anywhere)."""

from __future__ import annotations

import os
import subprocess
import sys

from lazyhook import _cli


def test_enable_refuses_a_read_only_site_packages_and_changes_nothing(tmp_path, monkeypatch, capsys):
    site = tmp_path / "site-packages"
    site.mkdir()
    monkeypatch.setattr(_cli, "_environment", lambda: (str(tmp_path), str(site)))
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda path, mode: False if str(path) == str(site) else real_access(path, mode))
    assert _cli.main(["enable", "--lazy", "torch"]) == 1
    err = capsys.readouterr().err
    assert f"cannot write to {site} (read-only site-packages); nothing was changed" in err
    assert list(site.iterdir()) == []


def test_enable_reports_a_failed_write_and_leaves_no_temporary_file(tmp_path, monkeypatch, capsys):
    site = tmp_path / "site-packages"
    site.mkdir()
    monkeypatch.setattr(_cli, "_environment", lambda: (str(tmp_path), str(site)))

    def failing_replace(src, dst):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", failing_replace)
    assert _cli.main(["enable", "--lazy", "torch"]) == 1
    assert "cannot write" in capsys.readouterr().err
    assert list(site.iterdir()) == []


def test_disable_when_not_enabled_is_a_no_op(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(_cli, "_environment", lambda: (str(tmp_path), str(tmp_path)))
    assert _cli.main(["disable"]) == 0
    assert "was not enabled" in capsys.readouterr().out


def cli(runner, *args, **kwargs):
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "lazyhook", *args], capture_output=True, text=True,
                          cwd=runner.root, env=runner.env(), **kwargs)


def test_what_python_refuses_run_refuses_in_one_line(runner):
    missing = cli(runner, "run", "missing.py")
    assert (missing.returncode, missing.stderr) == (2, "lazyhook run: error: can't open file 'missing.py': no such file\n")
    module = cli(runner, "run", "-m", "missing_module_xyz")
    assert (module.returncode, module.stderr) == (1, "lazyhook run: No module named missing_module_xyz\n")
    # The program's own errors still show its own traceback.
    (runner.root / "raises.py").write_text("raise FileNotFoundError('the program said so')\n")
    own = cli(runner, "run", "raises.py")
    assert own.returncode == 1 and own.stderr.startswith("Traceback") and "the program said so" in own.stderr


def test_run_with_a_broken_policy_warns_once_and_runs_the_program_eagerly(runner):
    """As at interpreter start-up: a bad policy file or variable is one line, never a
    program that does not run; a bad --lazy is the command line's own usage error."""
    runner.packages({"lazyhook.toml": 'lazzy = ["pk"]\n', "pk/__init__.py": "print('pk ran')\nX = 1\n",
                     "prog.py": "import pk\nprint('program ran')\n"})
    proc = cli(runner, "run", "prog.py")
    assert (proc.returncode, proc.stdout) == (0, "pk ran\nprogram ran\n")  # eager: pk before the program's print
    assert proc.stderr.startswith("lazyhook: ") and proc.stderr.endswith(" -- imports stay eager\n")
    assert "key 'lazzy': unknown key (did you mean 'lazy'?)" in proc.stderr and proc.stderr.count("\n") == 1
    (runner.root / "lazyhook.toml").unlink()
    variable = subprocess.run([sys.executable, "-m", "lazyhook", "run", "prog.py"], capture_output=True, text=True,
                              cwd=runner.root, env=runner.env({"LAZY_IMPORTS": "p-k"}))
    assert variable.returncode == 0 and "program ran" in variable.stdout and "LAZY_IMPORTS='p-k'" in variable.stderr
    typo = cli(runner, "run", "--lazy", "p-k", "prog.py")
    assert typo.returncode == 1 and typo.stdout == "" and typo.stderr.startswith("lazyhook run: --lazy='p-k'")


def test_an_unknown_option_gets_the_subcommands_usage_and_a_closed_pipe_is_quiet(runner):
    import subprocess
    import sys

    typo = cli(runner, "status", "--jsn")
    assert typo.returncode == 2
    assert typo.stderr.splitlines() == ["usage: lazyhook status [-h] [--json]",
                                        "lazyhook status: error: unrecognized arguments: --jsn"]
    reader = subprocess.Popen([sys.executable, "-m", "lazyhook", "status", "--json"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, cwd=runner.root, env=runner.env())
    reader.stdout.close()  # `| head -1` gone before anything was written
    with reader.stderr:
        err = reader.stderr.read()
    assert err == b"" and reader.wait() == 1
