"""Load-time recording and reports: fields checked against bodies with known costs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lazyhook._cpython import NATIVE

SCHEMA = Path(__file__).resolve().parents[1] / "src" / "lazyhook" / "report-schema.json"

KNOWN = {
    "slow/__init__.py": "import time\ntime.sleep(0.25)\nDONE = True\n",
    "big/__init__.py": "import helper_for_big\nBLOB = bytearray(48 * 1024 * 1024)\nBLOB[::4096] = b'x' * len(BLOB[::4096])\n",
    "helper_for_big.py": "X = 1\n",
    "outer/__init__.py": "import inner\nVALUE = inner.VALUE + 1\n",
    "inner/__init__.py": "VALUE = 1\n",
    "broken/__init__.py": "raise ValueError('nope')\n",
    "unused/__init__.py": "X = 1\n",
}


def run_json(runner, script, **env) -> dict:
    proc = runner.run(script, env=env)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_event_fields_match_bodies_with_known_cost_memory_and_trigger(runner):
    runner.packages(KNOWN)
    res = run_json(runner, """
import json, threading, lazyhook
lazyhook.install(["slow", "big", "outer", "inner", "broken", "unused", "never_imported_pkg"])
import slow, big, outer, broken, unused
def use_slow():
    return slow.DONE
t = threading.Thread(target=use_slow, name="worker-1"); t.start(); t.join()
big.BLOB
outer.VALUE
try:
    broken.x
except (lazyhook.LazyImportError, ValueError):  # 3.15 raises the original exception
    pass
doc = json.loads(lazyhook.report("json"))
print(json.dumps(doc))
""")
    events = {e["module"]: e for e in res["events"]}
    slow = events["slow"]
    assert 0.25 <= slow["duration_s"] < 2.0
    assert slow["thread"] == "worker-1"
    assert slow["trigger"]["line"] == 6 and slow["trigger"]["function"] == "use_slow"
    assert slow["trigger"]["attribute"] == "slow"  # the name the line evaluated (PEP 810)
    assert slow["trigger"]["file"].endswith("main.py")
    assert slow["imported_at"]["line"] == 4
    assert 0 < slow["start_s"] < 30
    big = events["big"]
    assert big["rss_after"] - big["rss_before"] >= 40 * 1024 * 1024
    assert big["imported_modules"] == ["helper_for_big"]
    assert big["trigger"]["line"] == 8 and big["thread"] == "MainThread"
    assert events["inner"]["parent"] == "outer" and events["outer"]["parent"] is None
    assert events["broken"]["status"] == "failed" and events["broken"]["error"] == "ValueError('nope')"
    assert [n["module"] for n in res["never_loaded"]] == ["unused"]
    assert res["never_imported"] == ["never_imported_pkg"]
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(res, json.loads(SCHEMA.read_text()))


def test_modules_a_body_imported_are_recorded_when_it_also_removed_one(runner):
    """The recorded list is what entered ``sys.modules`` during the body, in order, also
    when the body removed a module that was there before (the list then cannot be read
    off the end of ``sys.modules``)."""
    runner.packages({"purger/__init__.py": "import sys\nimport helper_a\ndel sys.modules['colorsys']\n"
                                           "import helper_b\nimport colorsys\n",
                     "helper_a.py": "", "helper_b.py": "", "plain/__init__.py": "import helper_c\n",
                     "helper_c.py": ""})
    res = run_json(runner, """
import colorsys, json, lazyhook
lazyhook.install(["purger", "plain"])
import purger, plain
purger.sys, plain.helper_c
events = {e["module"]: e["imported_modules"] for e in json.loads(lazyhook.report("json"))["events"]}
print(json.dumps(events))
""")
    assert res == {"purger": ["helper_a", "helper_b"], "plain": ["helper_c"]}


def test_callbacks_get_each_event_and_a_raising_one_is_reported_once_then_dropped(runner):
    runner.packages(KNOWN)
    proc = runner.run("""
import json, lazyhook
lazyhook.install(["slow", "inner", "unused"])
seen = []
remove = lazyhook.on_load(lambda e: seen.append((e["module"], round(e["duration_s"], 1))))
def bad(event):
    raise RuntimeError("callback bug")
lazyhook.on_load(bad)
import slow, inner, unused
slow.DONE
inner.VALUE
remove()
unused.X
print(json.dumps({"seen": seen, "events": [e["module"] for e in lazyhook.events()]}))
""")
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    assert [module for module, _ in res["seen"]] == ["slow", "inner"]  # removed before unused loaded
    assert res["seen"][0][1] >= 0.2
    assert res["events"] == ["slow", "inner", "unused"]
    lines = [line for line in proc.stderr.splitlines() if line]
    assert len(lines) == 1 and "callback bug" in lines[0] and "removed" in lines[0]


def test_trace_is_valid_chrome_trace_with_one_track_per_thread(runner):
    runner.packages(KNOWN)
    res = run_json(runner, """
import json, threading, lazyhook
lazyhook.install(["slow", "inner"])
import slow, inner
t = threading.Thread(target=lambda: slow.DONE, name="loader-thread"); t.start(); t.join()
inner.VALUE
print(lazyhook.report("trace"))
""")
    events = res["traceEvents"]
    complete = [e for e in events if e["ph"] == "X"]
    assert {e["name"] for e in complete} == {"slow", "inner"}
    for e in complete:
        assert isinstance(e["ts"], (int, float)) and isinstance(e["dur"], (int, float)) and e["dur"] > 0
        assert {"pid", "tid", "cat", "args"} <= set(e)
    assert len({e["tid"] for e in complete}) == 2
    names = {e["args"]["name"] for e in events if e["ph"] == "M" and e["name"] == "thread_name"}
    assert names == {"loader-thread", "MainThread"}


def test_reports_from_several_real_processes_merge(runner, tmp_path):
    runner.packages(KNOWN)
    report_dir = tmp_path / "reports"
    runner.run("""
import multiprocessing, lazyhook
lazyhook.install(["slow", "inner", "unused"])
import slow, inner, unused

def work(i):
    if i % 2:
        inner.VALUE
    assert slow.DONE

if __name__ == "__main__":
    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=work, args=(i,)) for i in range(3)]
    for w in workers: w.start()
    for w in workers: w.join()
    assert all(w.exitcode == 0 for w in workers)
""", env={"LAZYHOOK_REPORT_DIR": str(report_dir), "LAZY_IMPORTS": "slow,inner,unused"})
    files = sorted(report_dir.iterdir())
    assert len(files) == 4  # the parent and three workers
    assert not [f for f in files if f.suffix == ".tmp"]
    merged = subprocess.run([sys.executable, "-m", "lazyhook", "report", str(report_dir), "--format", "json"],
                            capture_output=True, text=True, env=runner.env(), check=True)
    doc = json.loads(merged.stdout)
    assert doc["processes"] == 4
    rows = {r["module"]: r for r in doc["modules"]}
    assert rows["slow"]["loads"] == 3  # each worker loads slow once; the parent never used it
    assert rows["inner"]["loads"] == 1 and rows["inner"]["never_loaded"] == 3
    assert rows["slow"]["p50_s"] >= 0.25 and rows["slow"]["max_s"] >= rows["slow"]["p50_s"]
    assert rows["unused"]["never_loaded"] == 4
    table = subprocess.run([sys.executable, "-m", "lazyhook", "report", str(report_dir)],
                           capture_output=True, text=True, env=runner.env(), check=True).stdout
    assert "across 4 processes" in table and "slow" in table
    # inner was never loaded by three processes but loaded by one: not "never used" across them.
    assert "imported but never used, never loaded (1): unused\n" in table + "\n"
    one = subprocess.run([sys.executable, "-m", "lazyhook", "report", str(files[0]), "--format", "json"],
                         capture_output=True, text=True, env=runner.env(), check=True).stdout
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(json.loads(one), json.loads(SCHEMA.read_text()))  # JSON Lines read back whole


def test_report_command_rejects_foreign_and_newer_files_and_reads_truncated_ones(runner, tmp_path):
    runner.packages(KNOWN)
    report_dir = tmp_path / "r"
    runner.run("import lazyhook\nlazyhook.install(['slow', 'inner'])\nimport slow, inner\nslow.DONE\ninner.VALUE\n",
               env={"LAZYHOOK_REPORT_DIR": str(report_dir)})
    (good,) = report_dir.iterdir()

    def report(*paths):
        return subprocess.run([sys.executable, "-m", "lazyhook", "report", *map(str, paths)],
                              capture_output=True, text=True, env=runner.env())

    foreign = tmp_path / "foreign.json"
    foreign.write_text('{"hello": "world"}')
    proc = report(foreign)
    assert proc.returncode == 1 and "not a lazyhook report (no lazyhook_report version field)" in proc.stderr
    newer = tmp_path / "newer.json"
    newer.write_text(json.dumps({"lazyhook_report": 99, "events": []}))
    proc = report(newer)
    assert proc.returncode == 1 and "newer than this lazyhook's (1); upgrade lazyhook" in proc.stderr
    text = good.read_text()
    truncated = tmp_path / "cut.jsonl"
    cut_at = text.index('"kind": "event"', text.index('"kind": "event"') + 1) + 20  # inside the 2nd event
    truncated.write_text(text[:cut_at])
    proc = report(truncated)
    assert proc.returncode == 0, proc.stderr
    assert "line 3 is cut off (truncated file); skipped it" in proc.stderr
    assert "no end record" in proc.stderr and "read its 1 loads" in proc.stderr
    assert "slow" in proc.stdout or "inner" in proc.stdout
    # One incomplete event (no duration) in a directory of good reports: that line is
    # skipped and named, every good file is reported (it used to die with a KeyError).
    broken = report_dir / "broken.jsonl"
    lines = text.splitlines()
    event_line = next(i for i, line in enumerate(lines) if '"kind": "event"' in line)
    record = json.loads(lines[event_line])
    del record["duration_s"]
    lines[event_line] = json.dumps(record)
    broken.write_text("\n".join(lines) + "\n")
    proc = report(report_dir)
    assert proc.returncode == 0, proc.stderr
    assert f"broken.jsonl:{event_line + 1}: skipped (event for {record['module']!r} has no duration_s)" in proc.stderr
    assert "across 2 processes" in proc.stdout and "Traceback" not in proc.stderr


def test_policy_selects_outputs_at_exit(runner, tmp_path):
    runner.packages({**KNOWN, "lazyhook.toml": 'lazy = ["inner"]\nreport = "html"\nreport-file = "out/r.html"\n'})
    (runner.root / "out").mkdir()
    runner.run("import lazyhook\nlazyhook.install()\nimport inner\ninner.VALUE\n")
    html = (runner.root / "out" / "r.html").read_text()
    assert html.startswith("<!doctype html>") and html.count('class="bar') == 1
    proc = runner.run("import lazyhook\nlazyhook.install(['inner'])\nimport inner\ninner.VALUE\n",
                      env={"LAZYHOOK_REPORT": "summary"})
    assert proc.stderr.startswith("lazyhook: lazy loads (slowest first)") and "inner" in proc.stderr


def test_an_explicit_report_format_wins_over_the_file_suffix(runner):
    """LAZYHOOK_REPORT=trace with report-file=run.json writes a trace, not lazyhook JSON."""
    runner.packages({**KNOWN, "lazyhook.toml": 'lazy = ["inner"]\nreport-file = "run.json"\n'})
    script = "import lazyhook\nlazyhook.install()\nimport inner\ninner.VALUE\n"
    runner.run(script, env={"LAZYHOOK_REPORT": "trace"})
    trace = json.loads((runner.root / "run.json").read_text())
    assert "traceEvents" in trace and "lazyhook_report" not in trace
    runner.run(script)  # no format asked for: the suffix decides
    assert "lazyhook_report" in json.loads((runner.root / "run.json").read_text())


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.mark.skipif(chromium() is None, reason="headless Chromium is not installed (apt-get install chromium)")
def test_html_waterfall_answers_at_a_glance_in_headless_chromium(runner, tmp_path):
    """Two real processes on one time scale with labelled ticks; each row shows its cost
    and what first used it (file:line and name) without hovering; a failed load says
    FAILED and its error; what was saved is listed; no network.  Checked on the page
    Chromium rendered (the text it lays out), and screenshotted."""
    runner.packages(KNOWN)
    report_dir = tmp_path / "reports"
    script = """
import lazyhook, threading, sys
lazyhook.install(["slow", "outer", "inner", "unused", "broken", "absent_pkg"])
import slow, outer, unused, broken
t = threading.Thread(target=lambda: slow.DONE, name="t1"); t.start(); t.join()
outer.VALUE
if sys.argv[1] == "fails":
    try:
        broken.X
    except ImportError:
        pass
"""
    runner.run(script, "fails", env={"LAZYHOOK_REPORT_DIR": str(report_dir)})
    runner.run(script, "ok", env={"LAZYHOOK_REPORT_DIR": str(report_dir)})
    html_path = tmp_path / "waterfall.html"
    subprocess.run([sys.executable, "-m", "lazyhook", "report", str(report_dir), "--format", "html", "-o",
                    str(html_path)], env=runner.env(), check=True, capture_output=True)
    html = html_path.read_text()
    assert "src=" not in html and "href=" not in html and "url(" not in html  # no network, no assets
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
             f"--user-data-dir={tmp_path / 'profile'}"]
    # What a reader sees: the laid-out text of the page (innerText skips what is hidden).
    probe = tmp_path / "probe.html"
    probe.write_text(html.replace("</body>", "<script>document.body.dataset.seen = document.body.innerText;"
                                             "document.body.dataset.bars = document.querySelectorAll('.bar').length;"
                                             "</script></body>"))
    dom = subprocess.run([chromium(), *flags, "--dump-dom", probe.as_uri()], capture_output=True, text=True,
                         timeout=120).stdout
    import html as html_module
    seen = html_module.unescape(dom.split('data-seen="', 1)[1].split('"', 1)[0])
    assert 'data-bars="7"' in dom  # slow, outer, inner (nested) twice; broken once
    assert "2 process(es)" in seen and "1 failed" in seen
    assert "0 ms" in seen and "first used at" in seen  # the shared axis is labelled
    assert "main.py:5 (DONE)" in seen or "main.py:5 (slow)" in seen  # 3.15 records the name read
    assert "FAILED" in seen and "ValueError('nope')" in seen  # the error, on the page
    assert "Imported but never used, never loaded (1): unused (imported at main.py:4)" in seen
    assert "Configured but never imported (1): absent_pkg (not installed)" in seen
    shot = tmp_path / "waterfall.png"
    subprocess.run([chromium(), *flags, "--window-size=1200,700", f"--screenshot={shot}", html_path.as_uri()],
                   capture_output=True, timeout=120)
    assert shot.stat().st_size > 5000
    keep = os.environ.get("LAZYHOOK_WATERFALL_SCREENSHOT")  # to look at it: a path for a PNG copy
    if keep:
        shutil.copy(shot, keep)


def test_a_report_that_cannot_be_written_leaves_nothing_behind_and_says_so(runner, tmp_path):
    """A write that fails at exit (a full disk): one line on stderr, no half file and no
    stray *.tmp; the CLI's -o to a missing directory is one error line, not a traceback."""
    runner.packages(KNOWN)
    full = tmp_path / "full"
    full.mkdir()
    (full / "r.json").mkdir()  # the final rename over it fails, as a write to a full disk would
    proc = runner.run("import lazyhook\nlazyhook.install(['inner'])\nimport inner\ninner.VALUE\n",
                      env={"LAZYHOOK_REPORT": "json", "LAZYHOOK_REPORT_FILE": str(full / "r.json")})
    assert proc.returncode == 0
    assert proc.stderr.startswith("lazyhook: could not write the file report:")
    assert [p.name for p in full.iterdir()] == ["r.json"]  # no *.tmp left behind
    report_dir = tmp_path / "reports"
    runner.run("import lazyhook\nlazyhook.install(['inner'])\nimport inner\ninner.VALUE\n",
               env={"LAZYHOOK_REPORT_DIR": str(report_dir)})
    cli = subprocess.run([sys.executable, "-m", "lazyhook", "report", str(report_dir), "-o",
                          str(tmp_path / "missing" / "x.html")], capture_output=True, text=True, env=runner.env())
    assert cli.returncode == 1 and "Traceback" not in cli.stderr
    assert cli.stderr.strip().endswith("nothing was changed") and "cannot write" in cli.stderr


def test_configured_packages_imported_eagerly_say_why_and_where(runner, tmp_path):
    """A configured package that PEP 810's rule kept eager is not "never imported": status,
    the exit table and the JSON report say what happened, and where."""
    runner.packages({f"{name}/__init__.py": "X = 1\n" for name in ("tryme", "fnme", "early", "never", "used")})
    runner.packages({"spacey/portion.py": "X = 1\n"})  # a namespace package: never deferred
    report = tmp_path / "r.json"
    proc = runner.run(f"""
import json
import early
import lazyhook
lazyhook.install(["tryme", "fnme", "early", "never", "used", "spacey"])
try:
    import tryme
except ImportError:
    pass
def load():
    import fnme
load()
import spacey.portion
import used
used.X
print(json.dumps({{r["module"]: [r["state"], r.get("why")] for r in lazyhook.status()}}))
lazyhook.write_report({str(report)!r})
""", env={"LAZYHOOK_REPORT": "summary"})
    states = json.loads(proc.stdout.strip().splitlines()[-1])
    main = str(runner.root / "main.py")
    assert states == {
        "early": ["imported eagerly", "imported before lazyhook was active"],
        "fnme": ["imported eagerly", f"inside load() at {main}:11"],
        "tryme": ["imported eagerly", f"in a try block or except clause at {main}:7"],
        # Emulated, a namespace package is never deferred (its portion is); 3.15 defers both.
        "spacey": ["pending", None] if NATIVE else
        ["imported eagerly", f"a namespace package or an extension module (never deferred) at {main}:13"],
        "spacey.portion": ["pending", None],
        "never": ["never imported", None],
        "used": ["loaded", None],
    }
    assert "configured but never imported (1): never\n" in proc.stderr
    eager = ["early", "fnme", "tryme"] if NATIVE else ["early", "fnme", "spacey", "tryme"]
    assert (f"configured but imported eagerly ({len(eager)}): early (imported before lazyhook was active), "
            f"fnme (inside load() at {main}:11)") in proc.stderr
    document = json.loads(report.read_text())
    assert document["never_imported"] == ["never"]
    assert [item["module"] for item in document["imported_eagerly"]] == eager
    assert document["imported_eagerly"][-1] == {"module": "tryme", "why": "in a try block or except clause",
                                                "at": {"file": main, "line": 7}}


MULTIPROCESSING_APP = """
import multiprocessing as mp, os, signal, sys, time
import costly

def work(i):
    return costly.VALUE + i

def load_then_say_so(started):
    costly.VALUE
    started.put(os.getpid())

def wait_for_term(ready):
    costly.VALUE
    ready.set()
    time.sleep(60)

if __name__ == "__main__":
    how = sys.argv[1]
    if how in ("fork", "forkserver", "spawn"):
        process = mp.get_context(how).Process(target=work, args=(1,))
        process.start()
        process.join()
    elif how == "pool":  # Pool.__exit__ terminates its workers (SIGTERM)
        ctx = mp.get_context("spawn")
        started = ctx.Queue()
        with ctx.Pool(2, initializer=load_then_say_so, initargs=(started,)) as pool:
            started.get(timeout=60), started.get(timeout=60)  # both workers have loaded costly
    elif how == "sigterm" or how == "sigkill":
        ready = mp.get_context("spawn").Event()
        process = mp.get_context("spawn").Process(target=wait_for_term, args=(ready,))
        process.start()
        ready.wait(60)
        time.sleep(0.5)
        os.kill(process.pid, signal.SIGTERM if how == "sigterm" else signal.SIGKILL)
        process.join()
    elif how == "os.fork":  # the parent loads, then forks a child that exits normally
        costly.VALUE
        pid = os.fork()
        if pid == 0:
            sys.exit(0)
        os.waitpid(pid, 0)
"""


@pytest.mark.parametrize("how, processes, loads", [
    ("fork", 2, 1), ("forkserver", 2, 1), ("spawn", 2, 1), ("pool", 3, 2), ("sigterm", 2, 1),
    ("sigkill", 2, 1), ("os.fork", 2, 1),
])
def test_every_process_reports_its_own_loads_exactly_once(runner, tmp_path, how, processes, loads):
    """LAZYHOOK_REPORT_DIR whatever the start method and however a process ends
    (fork/forkserver children leave through os._exit, Pool workers are terminated by
    SIGTERM, SIGKILL): each load's line is written as it finishes; a forked child does
    not re-report its parent's loads."""
    runner.packages({"costly/__init__.py": "import time\ntime.sleep(0.05)\nVALUE = 1\n"})
    report_dir = tmp_path / "reports"
    runner.run(MULTIPROCESSING_APP, how, env={"LAZY_IMPORTS": "costly", "LAZYHOOK_REPORT_DIR": str(report_dir)},
               timeout=180)
    files = sorted(report_dir.iterdir())
    # (3.14+: the forkserver also imports the main module, deferring costly: one more file.)
    assert len(files) == processes + (how == "forkserver" and sys.version_info >= (3, 14)), [f.name for f in files]
    merged = subprocess.run([sys.executable, "-m", "lazyhook", "report", str(report_dir), "--format", "json"],
                            capture_output=True, text=True, env=runner.env(), check=True)
    rows = {row["module"]: row for row in json.loads(merged.stdout)["modules"]}
    assert rows["costly"]["loads"] == loads
    # Ended by a signal, a process keeps its loads but not its end record (lazyhook
    # installs no signal handler); Pool workers end by SIGTERM unless they exited first.
    cut_off = [line for line in merged.stderr.splitlines() if "no end record" in line]
    if how == "pool":
        assert len(cut_off) <= 2, merged.stderr
    else:
        assert len(cut_off) == (1 if how in ("sigterm", "sigkill") else 0), merged.stderr


def test_a_finder_that_raises_does_not_make_an_installed_package_not_installed(runner):
    """status() asks every finder but lazyhook's whether a configured name exists; one
    that raises (a broken plugin's import hook) answers "not here" and the others are
    still asked, where an import would propagate its error."""
    runner.packages({"pk/__init__.py": "X = 1\n"})
    script = """
import json, sys
import lazyhook
lazyhook.install(["pk", "troch"])
lazyhook.status()  # the status machinery is imported before the broken finder arrives

class BrokenFinder:
    def find_spec(self, name, path=None, target=None):
        raise RuntimeError("a broken import hook")

sys.meta_path.insert(1, BrokenFinder())
print(json.dumps({row["module"]: row["state"] for row in lazyhook.status()}))
"""
    assert json.loads(runner.run(script).stdout) == {"pk": "never imported", "troch": "not installed"}
