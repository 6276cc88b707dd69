"""The ways in, end to end, in a fresh virtual environment built from the wheel.

The ``.pth`` file must come from the wheel (an editable install would not ship it),
so a session fixture builds the wheel and a virtual environment once per worker.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest

from conftest import TRACE_MODULE, write_tree

ROOT = Path(__file__).resolve().parents[1]

PKG = {
    "_trace.py": TRACE_MODULE,
    "pk/__init__.py": "import _trace; _trace.hit(__name__)\nVALUE = 41\n",
    "pk2/__init__.py": "import _trace; _trace.hit(__name__)\nVALUE = 42\n",
    "main.py": """
        import json, sys
        import pk, pk2
        lazyhook = sys.modules.get("lazyhook")
        state = {n: bool(lazyhook and lazyhook.is_pending(n)) for n in ("pk", "pk2")}
        print(json.dumps({"pending": state, "argv": sys.argv[1:]}))
    """,
}


class Venv:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.python = str(path / "bin" / "python")
        self.site = Path(subprocess.check_output(
            [self.python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True).strip())

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("LAZY", "PYTHON", "VIRTUAL_ENV", "PYTEST"))}
        env["XDG_CACHE_HOME"] = extra.pop("XDG_CACHE_HOME", str(self.path / "cache"))
        env.update(extra)
        return env

    def run(self, args: list[str], cwd: Path, check: bool = True, **env: str) -> subprocess.CompletedProcess:
        proc = subprocess.run([self.python, *args], cwd=cwd, env=self.env(**env), capture_output=True,
                              text=True, timeout=120)
        if check and proc.returncode != 0:
            raise AssertionError(f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
        return proc

    def listing(self) -> dict[str, str]:
        """Every file of site-packages with a hash of its bytes."""
        out = {}
        for path in sorted(self.site.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                out[str(path.relative_to(self.site))] = hashlib.sha256(path.read_bytes()).hexdigest()
        return out


@pytest.fixture(scope="session")
def venv(tmp_path_factory) -> Venv:
    base = tmp_path_factory.mktemp("wheel-venv")
    wheel_dir = base / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheel_dir), str(ROOT)],
                   check=True, capture_output=True)
    wheel = next(wheel_dir.glob("lazyhook-*.whl"))
    python = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([python, "-m", "venv", str(base / "venv")], check=True)
    env = Venv(base / "venv")
    subprocess.run([env.python, "-m", "pip", "install", "-q", "--no-deps", str(wheel)], check=True,
                   capture_output=True)
    assert (env.site / "lazyhook.pth").is_file()
    return env


@pytest.fixture
def project(tmp_path) -> Path:
    write_tree(tmp_path, PKG)
    return tmp_path


def pending(proc) -> dict:
    return json.loads(proc.stdout.strip().splitlines()[-1])["pending"]


def test_pth_does_nothing_without_a_setting(venv, project):
    proc = venv.run(["main.py"], project, PYTHONPATH=str(project))
    assert pending(proc) == {"pk": False, "pk2": False}
    assert proc.stderr == ""
    assert "lazyhook" not in venv.run(["-c", "import sys; print(sorted(sys.modules))"], project).stdout
    # No PEP 829 .start file: on 3.15 its mere presence costs every start a pkgutil import.
    assert not [p for p in venv.site.iterdir() if p.suffix == ".start"]
    # Set but empty (an exported placeholder): the line sees the name, lazyhook activates nothing.
    empty = {name: "" for name in ("LAZY_IMPORTS", "LAZYHOOK_POLICY", "LAZYHOOK_PROFILE_ALL", "LAZYHOOK_DISABLE")}
    probe = "import sys; print('lazyhook' in sys.modules, [type(f).__name__ for f in sys.meta_path])"
    out = venv.run(["-c", probe], project, **empty)
    assert out.stderr == "" and "LazyFinder" not in out.stdout


def test_lazy_imports_variable_alone_is_enough(venv, project):
    proc = venv.run(["main.py"], project, PYTHONPATH=str(project), LAZY_IMPORTS="pk")
    assert pending(proc) == {"pk": True, "pk2": False}


def test_install_with_no_arguments_reads_the_policy_in_effect(venv, project):
    (project / "lazyhook.toml").write_text('lazy = ["pk2"]\n')
    (project / "app.py").write_text("import lazyhook; lazyhook.install()\nimport main\n")
    proc = venv.run(["app.py"], project, PYTHONPATH=str(project))
    assert pending(proc) == {"pk": False, "pk2": True}
    (project / "app.py").write_text("import lazyhook; lazyhook.install(['pk'])\nimport main\n")
    assert pending(venv.run(["app.py"], project, PYTHONPATH=str(project))) == {"pk": True, "pk2": True}


def test_precedence_between_policy_sources(venv, project, tmp_path_factory):
    explicit = tmp_path_factory.mktemp("policy") / "explicit.toml"
    explicit.write_text('[tool.lazyhook]\nlazy = ["pk"]\n')
    (project / "pyproject.toml").write_text('[project]\nname = "x"\n[tool.lazyhook]\nlazy = ["pk2"]\n')

    def status(**env):
        return json.loads(venv.run(["-m", "lazyhook", "status", "--json"], project, **env).stdout)

    only_pyproject = status()
    assert only_pyproject["in_effect"]["kind"] == "pyproject.toml" and list(only_pyproject["lazy"]) == ["pk2"]
    (project / "lazyhook.toml").write_text('lazy = ["pk", "pk2"]\nnever-lazy = ["pk2"]\n')
    local = status()
    assert local["in_effect"]["kind"] == "lazyhook.toml"
    assert list(local["lazy"]) == ["pk"] and "pk2" in local["eager_although_configured"]
    chosen = status(LAZYHOOK_POLICY=str(explicit))
    assert chosen["in_effect"] == {"kind": "LAZYHOOK_POLICY", "path": str(explicit)}
    assert [s["kind"] for s in chosen["sources_found"]] == ["LAZYHOOK_POLICY", "lazyhook.toml", "pyproject.toml"]
    added = status(LAZYHOOK_POLICY=str(explicit), LAZY_IMPORTS="pk2,@image")
    assert added["lazy"] == {"PIL": "preset @image (LAZY_IMPORTS)", "cv2": "preset @image (LAZY_IMPORTS)",
                             "pk": f"listed in {explicit}", "pk2": "LAZY_IMPORTS"}
    # The same policy drives the .pth: pk from the file, pk2 from the variable.
    proc = venv.run(["main.py"], project, PYTHONPATH=str(project), LAZYHOOK_POLICY=str(explicit))
    assert pending(proc) == {"pk": True, "pk2": False}


def test_builtin_never_lazy_list_applies_unless_forced(venv, project):
    (project / "lazyhook.toml").write_text('lazy = ["setuptools", "pk"]\n')
    data = json.loads(venv.run(["-m", "lazyhook", "status", "--json"], project).stdout)
    assert "setuptools" in data["eager_although_configured"]
    assert "built-in never-lazy list" in data["eager_although_configured"]["setuptools"]
    (project / "lazyhook.toml").write_text('lazy = ["setuptools", "pk"]\nforce-lazy = ["setuptools"]\n')
    data = json.loads(venv.run(["-m", "lazyhook", "status", "--json"], project).stdout)
    assert "setuptools" in data["lazy"]


@pytest.mark.parametrize("case", [
    "malformed-toml", "unknown-key", "wrong-type", "bad-names", "unknown-preset", "unreadable-file",
    "missing-file", "bad-kill-switch", "fifo", "endless-device", "huge-file", "tool-not-a-table",
    "deeply-nested", "presets-string", "several-problems",
])
def test_bad_input_warns_once_and_the_program_runs_eagerly(venv, project, case):
    env = {"PYTHONPATH": str(project)}
    policy = project / "policy.toml"
    if case == "malformed-toml":
        policy.write_text('lazy = ["pk"\n')
        env["LAZYHOOK_POLICY"] = str(policy)
        expect = f"{policy}: not valid TOML"
    elif case == "unknown-key":
        policy.write_text('\n\nlazzy = ["pk"]\n')
        env["LAZYHOOK_POLICY"] = str(policy)
        expect = f"{policy}:3: key 'lazzy': unknown key (did you mean 'lazy'?)"
    elif case == "wrong-type":
        policy.write_text('lazy = "pk"\n')
        env["LAZYHOOK_POLICY"] = str(policy)
        expect = f"{policy}:1: key 'lazy': must be a list"
    elif case == "bad-names":
        env["LAZY_IMPORTS"] = "torch,,3x,nn.x"  # the empty item is no problem: it names nothing
        expect = "LAZY_IMPORTS='torch,,3x,nn.x': '3x' is not a module name; 'nn.x' is a submodule; name its"
    elif case == "unknown-preset":
        env["LAZY_IMPORTS"] = "@dta"
        expect = "unknown preset '@dta' (did you mean 'data'?)"
    elif case == "unreadable-file":
        policy.mkdir()
        env["LAZYHOOK_POLICY"] = str(policy)
        expect = f"{policy}: cannot read policy file"
    elif case == "fifo":  # used to block interpreter start-up forever
        os.mkfifo(project / "policy.fifo")
        env["LAZYHOOK_POLICY"] = str(project / "policy.fifo")
        expect = "policy.fifo: cannot read policy file (not a regular file)"
    elif case == "endless-device":  # used to read until memory ran out
        env["LAZYHOOK_POLICY"] = "/dev/zero"
        expect = "/dev/zero: cannot read policy file (not a regular file)"
    elif case == "huge-file":
        policy.write_text("# " + "x" * (2 << 20) + "\nlazy = ['pk']\n")
        env["LAZYHOOK_POLICY"] = str(policy)
        expect = f"{policy}: cannot read policy file ("
    elif case == "tool-not-a-table":  # used to be an AttributeError traceback
        (project / "pyproject.toml").write_text('[tool]\nlazyhook = "pk"\n')
        env["LAZYHOOK_POLICY"] = str(project / "pyproject.toml")
        expect = "pyproject.toml: [tool.lazyhook] must be a table, e.g. [tool.lazyhook] then lazy = [\"torch\"]"
    elif case == "deeply-nested":  # used to be a RecursionError traceback
        policy.write_text("lazy = " + "[" * 3000 + "]" * 3000 + "\n")
        env["LAZYHOOK_POLICY"] = str(policy)
        expect = "policy.toml: not valid TOML here: arrays or tables nested too deeply"
    elif case == "presets-string":  # its suggested fix used to be rejected in turn
        policy.write_text('presets = "data"\n')
        env["LAZYHOOK_POLICY"] = str(policy)
        expect = "policy.toml:1: key 'presets': must be a list of preset names: ml, data, image, utils, " \
                 "e.g. presets = [\"data\"]; got 'data'"
    elif case == "several-problems":  # every problem, not the first alone
        policy.write_text('lazzy = ["pk"]\nreport = 3\n')
        env["LAZYHOOK_POLICY"] = str(policy)
        expect = "policy.toml:1: key 'lazzy': unknown key (did you mean 'lazy'?)"
        expect2 = "policy.toml:2: key 'report': must be one of"
    elif case == "missing-file":
        env["LAZYHOOK_POLICY"] = str(project / "nope.toml")
        expect = "nope.toml: cannot read policy file (No such file or directory)"
    else:
        env["LAZYHOOK_DISABLE"] = "maybe"
        env["LAZY_IMPORTS"] = "pk"
        expect = "LAZYHOOK_DISABLE='maybe': expected 1/true/yes/on or 0/false/no/off"
    proc = venv.run(["main.py", "arg"], project, **env)
    assert proc.returncode == 0
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("lazyhook: ") and lines[0].endswith("-- imports stay eager")
    assert expect in lines[0]
    if case == "several-problems":
        assert expect2 in lines[0] and "(2 problems in" in lines[0]
    assert pending(proc) == {"pk": False, "pk2": False}
    # install() raises the same error instead of warning.
    raised = venv.run(["-c", "import lazyhook\ntry:\n    lazyhook.install()\nexcept lazyhook.PolicyError as e:\n    print(e)"],
                      project, **env)
    assert expect in raised.stdout


def test_kill_switch_makes_everything_eager(venv, project):
    proc = venv.run(["main.py"], project, PYTHONPATH=str(project), LAZY_IMPORTS="pk,pk2", LAZYHOOK_DISABLE="1")
    assert pending(proc) == {"pk": False, "pk2": False}
    assert proc.stderr == ""


def test_enable_disable_status_leave_the_environment_as_it_was(venv, project):
    venv.run(["-m", "lazyhook", "status"], project)  # warm any byte-code caches first
    before = venv.listing()
    out = venv.run(["-m", "lazyhook", "enable", "--lazy", "pk,@utils", "--never-lazy", "pk.sub"], project).stdout
    assert "lazyhook enabled" in out
    try:
        proc = venv.run(["main.py"], project, PYTHONPATH=str(project))
        assert pending(proc) == {"pk": True, "pk2": False}
        status = venv.run(["-m", "lazyhook", "status"], project).stdout
        assert f"environment: enabled for {venv.path}" in status
        assert "this interpreter was activated at start-up by lazyhook-env.pth" in status
        assert "environment" in status and "<- in effect" in status
        assert "pk               listed in environment policy (lazyhook enable)" in status
        assert "sqlalchemy" in status and "never lazy: pk.sub" in status
        killed = venv.run(["main.py"], project, PYTHONPATH=str(project), LAZYHOOK_DISABLE="1")
        assert pending(killed) == {"pk": False, "pk2": False}
        # The trust rule: a policy file in the current directory does not change start-up
        # (the environment's policy stays in effect); named with LAZYHOOK_POLICY it wins.
        (project / "lazyhook.toml").write_text('lazy = ["pk2"]\n')
        assert pending(venv.run(["main.py"], project, PYTHONPATH=str(project))) == {"pk": True, "pk2": False}
        named = venv.run(["main.py"], project, PYTHONPATH=str(project), LAZYHOOK_POLICY="lazyhook.toml")
        assert pending(named) == {"pk": False, "pk2": True}
    finally:
        out = venv.run(["-m", "lazyhook", "disable"], project).stdout
    assert "lazyhook disabled" in out
    assert sorted(line.split()[-1] for line in out.splitlines() if "removed" in line) == sorted(
        str(venv.site / name) for name in ("lazyhook-env.pth", "_lazyhook_env.py"))
    assert venv.listing() == before
    (project / "lazyhook.toml").unlink()
    assert pending(venv.run(["main.py"], project, PYTHONPATH=str(project))) == {"pk": False, "pk2": False}
    assert "not enabled" in venv.run(["-m", "lazyhook", "status"], project).stdout


@pytest.mark.skipif(sys.version_info < (3, 15), reason="`lazy import` statements exist from 3.15 on")
def test_kill_switch_alone_makes_lazy_import_statements_eager_through_the_pth(venv, project):
    (project / "lazy_main.py").write_text("import _trace\nlazy import pk\nprint(_trace.events)\n")
    assert venv.run(["lazy_main.py"], project, PYTHONPATH=str(project)).stdout.strip() == "[]"
    killed = venv.run(["lazy_main.py"], project, PYTHONPATH=str(project), LAZYHOOK_DISABLE="1")
    assert killed.stdout.strip() == "['pk']" and killed.stderr == ""


def test_enable_with_a_policy_file_and_a_broken_uninstall_still_starts(venv, project, tmp_path):
    policy = project / "env-policy.toml"
    policy.write_text('[tool.lazyhook]\nlazy = ["pk2"]\n')
    venv.run(["-m", "lazyhook", "enable", "--policy", str(policy)], project)
    try:
        assert pending(venv.run(["main.py"], project, PYTHONPATH=str(project))) == {"pk": False, "pk2": True}
        # Hide the package as an uninstall without `disable` would: start-up survives.
        hidden = venv.site / "lazyhook"
        hidden.rename(venv.site / "lazyhook-hidden")
        try:
            proc = venv.run(["-c", "print('started')"], project, PYTHONPATH=str(tmp_path / "empty"),
                            **{"PYTHONNOUSERSITE": "1"})
        finally:
            (venv.site / "lazyhook-hidden").rename(hidden)
        assert proc.stdout.strip() == "started"
        assert len(proc.stderr.splitlines()) == 1, proc.stderr
        warning = proc.stderr.strip()
        assert warning.startswith("lazyhook: environment activation failed: ModuleNotFoundError")
        assert warning.endswith(f"run `lazyhook disable` or delete lazyhook-env.pth and _lazyhook_env.py in {venv.site}")
    finally:
        venv.run(["-m", "lazyhook", "disable"], project)


def test_enable_refuses_outside_a_virtual_environment_and_without_names(venv, project):
    base = getattr(sys, "_base_executable", None) or sys.executable
    src = str(ROOT / "src")
    proc = subprocess.run([base, "-m", "lazyhook", "enable", "--lazy", "pk"], cwd=project,
                          env={**venv.env(), "PYTHONPATH": src}, capture_output=True, text=True)
    if proc.returncode == 0:  # pragma: no cover - the base interpreter is itself a venv here
        subprocess.run([base, "-m", "lazyhook", "disable"], env={**venv.env(), "PYTHONPATH": src})
        pytest.skip("the base interpreter is a virtual environment on this machine")
    assert proc.returncode == 1
    assert "is not in a virtual environment" in proc.stderr and proc.stdout == ""
    usage = venv.run(["-m", "lazyhook", "enable"], project, check=False)
    assert usage.returncode == 2 and "enable needs --lazy NAMES or --policy FILE" in usage.stderr


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
@pytest.mark.parametrize("way", ["variable", "enable"])
def test_multiprocessing_children_inherit_the_activation(venv, project, method, way):
    (project / "mp_main.py").write_text(textwrap.dedent(f"""
        import json, multiprocessing, sys
        import pk

        def child_state(_):
            lazyhook = sys.modules.get("lazyhook")
            return bool(lazyhook and lazyhook.is_pending("pk"))

        if __name__ == "__main__":
            ctx = multiprocessing.get_context({method!r})
            with ctx.Pool(2) as pool:
                print(json.dumps(pool.map(child_state, range(2))))
    """))
    env = {"PYTHONPATH": str(project)}
    if way == "variable":
        env["LAZY_IMPORTS"] = "pk"
    else:
        venv.run(["-m", "lazyhook", "enable", "--lazy", "pk"], project)
    try:
        proc = venv.run(["mp_main.py"], project, **env)
    finally:
        if way == "enable":
            venv.run(["-m", "lazyhook", "disable"], project)
    assert json.loads(proc.stdout) == [True, True]


def test_run_command_gives_the_program_its_own_argv_exit_code_main_and_traceback(venv, project):
    (project / "prog.py").write_text(textwrap.dedent("""
        import sys
        import pk
        import lazyhook
        print(__name__, sys.argv, lazyhook.is_pending('pk'))
        if "--fail" in sys.argv:
            raise RuntimeError("program failed")
        sys.exit(int(sys.argv[-1]))
    """))
    ok = venv.run(["-m", "lazyhook", "run", "--lazy", "pk", "prog.py", "a", "7"], project, check=False,
                  PYTHONPATH=str(project))
    assert ok.returncode == 7
    assert ok.stdout.strip() == "__main__ ['prog.py', 'a', '7'] True"
    failed = venv.run(["-m", "lazyhook", "run", "prog.py", "--fail"], project, check=False, PYTHONPATH=str(project))
    assert failed.returncode == 1
    assert failed.stderr.startswith("Traceback (most recent call last):\n  File ")
    assert "prog.py\", line 7, in <module>" in failed.stderr
    assert "runpy" not in failed.stderr and "lazyhook" not in failed.stderr
    assert failed.stderr.strip().endswith("RuntimeError: program failed")
    as_module = venv.run(["-m", "lazyhook", "run", "--lazy=pk", "-m", "prog", "x", "0"], project, check=False,
                         PYTHONPATH=str(project))
    assert as_module.returncode == 0
    assert as_module.stdout.strip().startswith("__main__ [") and as_module.stdout.strip().endswith("'x', '0'] True")


def test_cli_conventions(venv, project):
    for command in ([], ["run"], ["enable"], ["disable"], ["status"]):
        proc = venv.run(["-m", "lazyhook", *command, "--help"], project)
        assert proc.stdout.startswith("usage: lazyhook") and proc.stderr == ""
    assert venv.run(["-m", "lazyhook", "--version"], project).stdout.startswith("lazyhook ")
    for bad in (["frobnicate"], ["run"], ["run", "--bogus", "x.py"], ["status", "--nope"], []):
        proc = venv.run(["-m", "lazyhook", *bad], project, check=False)
        assert proc.returncode == 2, (bad, proc.stderr)
        assert proc.stdout == "" and proc.stderr
    console = venv.path / "bin" / "lazyhook"
    assert subprocess.run([str(console), "--version"], capture_output=True, text=True).stdout.startswith("lazyhook ")


def test_suggest_makes_lazy_the_expensive_packages_the_run_did_not_use(venv, project):
    write_tree(project, {
        "costly_unused/__init__.py": "import sys, time\nprint('costly_unused ran', file=sys.stderr)\ntime.sleep(0.2)\n",
        "costly_used/__init__.py": "import time\ntime.sleep(0.1)\ndef run():\n    return 'ran'\n",
        "cheap_unused/__init__.py": "X = 1\n",
        "unsafe_unused/__init__.py": "import json\njson.loads = lambda *a, **k: None\nimport time\ntime.sleep(0.05)\n",
        "app.py": """
            import sys
            import costly_unused, costly_used, cheap_unused, unsafe_unused
            print(costly_used.run())
            sys.exit(0)
        """,
    })
    out = project / "suggested.toml"
    # --min-ms 20: cheap_unused (X = 1) stays under it even on a loaded machine, where -X importtime
    # has measured it above the default 2 ms; the packages that sleep 50-200 ms stay over it.
    proc = venv.run(["-m", "lazyhook", "suggest", "--min-ms", "20", "-o", str(out), "--", venv.python, "app.py"],
                    project, PYTHONPATH=str(project))
    assert "running" in proc.stderr
    text = out.read_text()
    assert text.rstrip().endswith('lazy = ["costly_unused"]')
    assert "Used by the program, so left eager: costly_used" in text
    assert "Not suggested, unsafe to defer: unsafe_unused: replaces attributes of standard-library modules" in text
    assert "Not worth it (below the threshold): cheap_unused" in text
    saved = float(text.split("Estimated start-up time saved: ")[1].split(" ms")[0])
    assert 200 <= saved < 2000
    # The suggestion is a valid policy that makes the program lazy where it should be.
    (project / "lazyhook.toml").write_text(text)
    status = json.loads(venv.run(["-m", "lazyhook", "status", "--json"], project).stdout)
    assert list(status["lazy"]) == ["costly_unused"]
    (project / "lazyhook.toml").unlink()
    # --pep810: the same effect as __lazy_modules__ declarations in the program's own modules.
    proc = venv.run(["-m", "lazyhook", "suggest", "--pep810", "--min-ms", "20", "--", venv.python, "app.py"],
                    project, PYTHONPATH=str(project))
    assert "# app.py\n__lazy_modules__ = [\"costly_unused\"]" in proc.stdout, proc.stdout
    assert "costly_unused/" not in proc.stdout  # an imported package beside the program is not its own
    declared = "__lazy_modules__ = [\"costly_unused\"]\n" + (project / "app.py").read_text()
    (project / "declared.py").write_text(declared)
    active = venv.run(["declared.py"], project, PYTHONPATH=str(project), LAZY_IMPORTS="not_imported_anywhere")
    assert active.stdout.strip() == "ran" and "costly_unused ran" not in active.stderr
    plain = venv.run(["declared.py"], project, PYTHONPATH=str(project))
    # Without lazyhook: 3.15 defers what __lazy_modules__ lists by itself; earlier Pythons ignore it.
    assert ("costly_unused ran" in plain.stderr) is (sys.version_info < (3, 15))


def test_suggest_explains_when_lazyhook_is_missing_from_the_programs_interpreter(venv, project, tmp_path):
    base = getattr(sys, "_base_executable", sys.executable)
    write_tree(project, {"costly_unused/__init__.py": "X = 1\n", "app.py": "import costly_unused\nprint('hi')\n"})
    proc = venv.run(["-m", "lazyhook", "suggest", "--", base, "-S", "app.py"], project, check=False)
    assert proc.returncode == 1
    assert "is lazyhook installed in the program's interpreter" in proc.stderr
    usage = venv.run(["-m", "lazyhook", "suggest"], project, check=False)
    assert usage.returncode == 2


@pytest.mark.parametrize("app, refusal, shown", [
    ("import sys\nimport costly_unused\nraise SystemExit('boom: the config file is missing')\n",
     "the program failed when run as it is (exit 1); fix that first, no policy suggested",
     "boom: the config file is missing"),
    ("import costly_unused, os\nif os.environ.get('LAZYHOOK_PROFILE_ALL'):\n    raise RuntimeError('lazily broken')\n",
     "failed with every third-party package lazy (exit 1); no policy suggested", "RuntimeError: lazily broken"),
    ("import costly_unused, random\nprint(random.random())\n",
     "printed something different with every third-party package lazy", "first difference: line 1:"),
])
def test_suggest_refuses_a_run_that_failed_or_changed(venv, project, app, refusal, shown):
    write_tree(project, {"costly_unused/__init__.py": "import time\ntime.sleep(0.05)\n", "app.py": app})
    out = project / "suggested.toml"
    proc = venv.run(["-m", "lazyhook", "suggest", "-o", str(out), "--", venv.python, "app.py"], project,
                    check=False, PYTHONPATH=str(project))
    assert proc.returncode == 1
    assert refusal in proc.stderr and shown in proc.stderr, proc.stderr
    assert "is lazyhook installed" not in proc.stderr
    assert not out.exists()


def test_suggest_for_a_program_with_no_third_party_import_suggests_nothing(venv, project):
    write_tree(project, {"app.py": "import json\nprint(json.dumps([1]))\n"})
    proc = venv.run(["-m", "lazyhook", "suggest", "--", venv.python, "app.py"], project)
    assert proc.stdout.rstrip().endswith("lazy = []")


def test_a_name_that_is_not_installed_is_said_so_and_an_empty_item_is_no_error(venv, project):
    """LAZY_IMPORTS=troch: accepted (start-up does no I/O to check it), but status() and
    `lazyhook status` say it is not installed (with the closest installed name), and so
    does the exit report; a trailing comma names nothing."""
    write_tree(project, {"pk/__init__.py": "X = 1\n"})
    script = ("import lazyhook, json\nimport pk\n"
              "print(json.dumps({r['module']: r['state'] for r in lazyhook.status()}))\n")
    proc = venv.run(["-c", script], project, PYTHONPATH=str(project), LAZY_IMPORTS="troch,pk,",
                    LAZYHOOK_REPORT="summary")
    assert json.loads(proc.stdout) == {"pk": "pending", "troch": "not installed"}
    assert "configured but never imported (1): troch (not installed)" in proc.stderr
    assert "lazyhook: LAZY_IMPORTS" not in proc.stderr  # no error for the trailing comma
    status = venv.run(["-m", "lazyhook", "status"], project, LAZY_IMPORTS="lazyhoo,pk,")
    line = next(line for line in status.stdout.splitlines() if line.strip().startswith("lazyhoo "))
    assert "NOT INSTALLED in this interpreter; did you mean 'lazyhook'?" in line
    assert json.loads(venv.run(["-m", "lazyhook", "status", "--json"], project,
                               LAZY_IMPORTS="lazyhoo,pk").stdout)["not_installed"] == {
        "lazyhoo": "did you mean 'lazyhook'?"}
    report = project / "r.json"
    venv.run(["-c", "import pk"], project, PYTHONPATH=str(project), LAZY_IMPORTS="troch,pk",
             LAZYHOOK_REPORT="json", LAZYHOOK_REPORT_FILE=str(report))
    assert json.loads(report.read_text())["not_installed"] == ["troch"]


def test_a_byte_order_mark_and_a_tool_key_that_is_not_a_table_are_no_problem(venv, project):
    (project / "lazyhook.toml").write_bytes(b'\xef\xbb\xbflazy = ["pk"]\n')  # saved by an editor with a BOM
    proc = venv.run(["main.py"], project, PYTHONPATH=str(project), LAZYHOOK_POLICY=str(project / "lazyhook.toml"))
    assert proc.stderr == "" and pending(proc) == {"pk": True, "pk2": False}
    (project / "lazyhook.toml").unlink()
    (project / "pyproject.toml").write_text('tool = "unrelated"\n')  # no [tool.lazyhook]: nothing to read
    proc = venv.run(["main.py"], project, PYTHONPATH=str(project), LAZY_IMPORTS="pk2")
    assert proc.stderr == "" and pending(proc) == {"pk": False, "pk2": True}


def test_status_says_what_a_plain_python_started_here_does(venv, project):
    """A lazyhook.toml alone is read by install() and `lazyhook run`, not by a plain
    `python`: status says so, and the program confirms it."""
    (project / "lazyhook.toml").write_text('lazy = ["pk"]\n')

    def plain(**env):
        return json.loads(venv.run(["-m", "lazyhook", "status", "--json"], project, **env).stdout)["plain_python"]

    alone = plain()
    assert alone["lazy"] == [] and alone["why"].startswith("nothing activates lazyhook at start-up")
    assert pending(venv.run(["main.py"], project, PYTHONPATH=str(project))) == {"pk": False, "pk2": False}
    text = venv.run(["-m", "lazyhook", "status"], project).stdout
    assert "a plain `python` started here: every import eager (nothing activates lazyhook" in text
    named = plain(LAZY_IMPORTS="pk2")  # start-up does not read the current directory's file
    assert named["lazy"] == ["pk2"] and "LAZY_IMPORTS set" in named["why"]
    assert pending(venv.run(["main.py"], project, PYTHONPATH=str(project), LAZY_IMPORTS="pk2")) == {
        "pk": False, "pk2": True}
    assert "lazyhook.toml" in text and "<- in effect for install(), lazyhook run, pytest, IPython" in text
    killed = plain(LAZY_IMPORTS="pk2", LAZYHOOK_DISABLE="1")
    assert killed["lazy"] == [] and "kill switch" in killed["why"]


def test_a_policy_file_in_the_current_directory_is_trusted_only_for_its_project(venv, project, tmp_path_factory):
    """The trust rule (docs/configuration.md): interpreter start-up never reads the current
    directory's policy files, and a project file read by install() or `lazyhook run` writes
    reports only inside its own directory (no absolute path, `..` or symlink out)."""
    outside = tmp_path_factory.mktemp("outside")  # not under the project directory
    victim = outside / "victim.txt"
    victim.write_text("precious\n")
    (project / "lazyhook.toml").write_text(f'lazy = ["pk"]\nreport = "json"\nreport-file = "{victim}"\n')
    # An interpreter started here with lazyhook active (pip, another project's tool): untouched.
    started = venv.run(["main.py"], project, PYTHONPATH=str(project), LAZY_IMPORTS="pk2")
    assert started.stderr == "" and pending(started) == {"pk": False, "pk2": True}
    assert victim.read_text() == "precious\n"
    # Code that asks for the policy in effect gets one clear error, and nothing is written.
    code = "import lazyhook\ntry:\n    lazyhook.install()\nexcept lazyhook.PolicyError as e:\n    print(e)\n"
    refused = venv.run(["-c", code], project)
    assert f"lazyhook.toml: key 'report-file': '{victim}' is outside the project directory" in refused.stdout
    assert "use a relative path such as report-file" in refused.stdout and victim.read_text() == "precious\n"
    run = venv.run(["-m", "lazyhook", "run", "main.py"], project, PYTHONPATH=str(project))
    assert "is outside the project directory" in run.stderr and run.stderr.endswith("-- imports stay eager\n")
    assert victim.read_text() == "precious\n"
    for escape in (f'report-dir = "../{outside.name}"', 'report-dir = "reports"'):
        if "reports" in escape:
            (project / "reports").symlink_to(outside)  # a symlink leading out is refused too
        (project / "lazyhook.toml").write_text(f'lazy = ["pk"]\n{escape}\n')
        assert "is outside the project directory" in venv.run(["-c", code], project).stdout
        assert sorted(p.name for p in outside.iterdir()) == ["victim.txt"]
    # Inside the project it works, relative to the file's own directory.
    (project / "reports").unlink()
    (project / "lazyhook.toml").write_text('lazy = ["pk"]\nreport = "json"\nreport-file = "out/r.json"\n')
    (project / "out").mkdir()
    venv.run(["-c", "import lazyhook\nlazyhook.install()\nimport pk\npk.VALUE"], project, PYTHONPATH=str(project))
    assert json.loads((project / "out" / "r.json").read_text())["events"][0]["module"] == "pk"
