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
