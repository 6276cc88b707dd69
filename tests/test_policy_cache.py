"""The parsed-policy cache may only make start-up faster, never change what a policy says."""

import json
import marshal
import os


def packages(runner, cwd_env: dict) -> list:
    proc = runner.run("import json, lazyhook\nprint(json.dumps(sorted(lazyhook.install().packages)))\n", env=cwd_env)
    return json.loads(proc.stdout)


def test_projects_with_the_same_relative_policy_path_never_share_a_cache_entry(runner, tmp_path):
    """``LAZYHOOK_POLICY=policy.toml`` in two projects whose files have equal size and
    modification time: each gets its own policy."""
    cache = tmp_path / "cache"
    results = []
    for project, name in (("one", "pka"), ("two", "pkb")):
        (runner.root / project).mkdir()
        policy = runner.root / project / "policy.toml"
        policy.write_text(f'lazy = ["{name}"]\n')
        os.utime(policy, ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_000))
        proc = runner.run_args(["-c", "import json, lazyhook\nprint(json.dumps(sorted(lazyhook.install().packages)))"],
                               env={"LAZYHOOK_POLICY": "policy.toml", "XDG_CACHE_HOME": str(cache)}, cwd=project)
        results.append(json.loads(proc.stdout))
    assert results == [["pka"], ["pkb"]]


def test_a_relative_cache_home_never_writes_into_the_current_directory(runner, tmp_path):
    (runner.root / "lazyhook.toml").write_text('lazy = ["pka"]\n')
    home = tmp_path / "home"
    home.mkdir()
    assert packages(runner, {"XDG_CACHE_HOME": "relative-cache", "HOME": str(home)}) == ["pka"]
    assert not (runner.root / "relative-cache").exists()
    assert list((home / ".cache" / "lazyhook").iterdir())  # the default place instead


def test_a_cache_entry_others_can_write_is_ignored(runner, tmp_path):
    (runner.root / "lazyhook.toml").write_text('lazy = ["pka"]\n')
    cache = tmp_path / "cache"
    env = {"XDG_CACHE_HOME": str(cache)}
    assert packages(runner, env) == ["pka"]
    (entry,) = (cache / "lazyhook").iterdir()
    stamp, _table = marshal.loads(entry.read_bytes())
    entry.write_bytes(marshal.dumps((stamp, {"lazy": ["planted"]})))
    # The entry is this user's own and private: it is what the cache is for (start-up
    # reads it instead of parsing TOML), which shows the check below is not vacuous.
    assert packages(runner, env) == ["planted"]
    entry.chmod(0o666)  # anyone could have written it now: never trusted
    assert packages(runner, env) == ["pka"]


PYPROJECT_WITHOUT_TABLE = '[project]\nname = "app"\ndependencies = ["lazyhook"]\n'
INSTALL_AND_SHOW = (
    "import json, sys, lazyhook\n"
    "before = set(sys.modules)\n"
    "handle = lazyhook.install(['pka'])\n"
    "policy = dict(vars(handle.policy), packages=sorted(handle.packages))\n"
    "print(json.dumps({'policy': policy, 'loaded': sorted(set(sys.modules) - before)}, default=repr))\n"
)


def install_in_project(runner, env: dict) -> dict:
    return json.loads(runner.run(INSTALL_AND_SHOW, env=env).stdout)


def test_a_pyproject_without_a_lazyhook_table_once_parsed_needs_no_policy_parser(runner, tmp_path):
    """Most projects have a ``pyproject.toml`` and no ``[tool.lazyhook]``: after the first
    parse, ``install()`` there learns it from the cache, without the policy modules, and
    ends with the same policy in every field."""
    (runner.root / "pyproject.toml").write_text(PYPROJECT_WITHOUT_TABLE)
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache"), "LAZY_IMPORTS": "pkb"}
    first = install_in_project(runner, env)
    assert "lazyhook._policy" in first["loaded"]  # parsed: nothing cached yet
    second = install_in_project(runner, env)
    assert not [m for m in second["loaded"] if m.startswith("lazyhook.") and m != "lazyhook._policycache"
                and m not in ("lazyhook._cpython", "lazyhook._native")]  # (3.15: the native backend)
    assert second["policy"] == first["policy"]
    assert second["policy"]["packages"] == ["pka", "pkb"]


def test_a_pyproject_that_gains_a_table_is_read_again(runner, tmp_path):
    project = runner.root / "pyproject.toml"
    project.write_text(PYPROJECT_WITHOUT_TABLE)
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    assert install_in_project(runner, env)["policy"]["packages"] == ["pka"]
    assert install_in_project(runner, env)["policy"]["packages"] == ["pka"]  # from the cache
    table = '[tool.lazyhook]\nlazy = ["t"]\n'
    mtime = project.stat().st_mtime_ns
    project.write_text(table + "#" * (len(PYPROJECT_WITHOUT_TABLE) - len(table) - 1) + "\n")  # same size
    assert project.stat().st_size == len(PYPROJECT_WITHOUT_TABLE)
    os.utime(project, ns=(mtime + 10**9, mtime + 10**9))
    result = install_in_project(runner, env)
    assert result["policy"]["packages"] == ["pka", "t"]
    assert "lazyhook._policy" in result["loaded"]


def test_an_untrusted_cache_entry_never_stands_for_a_pyproject(runner, tmp_path):
    (runner.root / "pyproject.toml").write_text(PYPROJECT_WITHOUT_TABLE)
    cache = tmp_path / "cache"
    env = {"XDG_CACHE_HOME": str(cache)}
    install_in_project(runner, env)
    (entry,) = (cache / "lazyhook").iterdir()
    entry.chmod(0o666)
    assert "lazyhook._policy" in install_in_project(runner, env)["loaded"]
