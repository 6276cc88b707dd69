"""Run the benchmark suite: ``python -m benchmarks [--rounds N] [--only SUBSTR] [--json FILE]``.

Stdlib only.  Every measurement is a whole fresh process (``sys.executable``);
variants of one case run interleaved (a shuffled order each round) so drift hits each alike; the
first round is a discarded warm-up; we report medians and minimums of wall time
and of peak RSS (``wait4``'s ``ru_maxrss``), and ratios within one run.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time

FLOOR = "pass"
INSTALL = "import lazyhook; lazyhook.install({names!r})\n"

# name -> (packages made lazy, the statement(s) measured, what must be importable)
IMPORT_CASES = {
    "import torch": (["torch"], "import torch", "torch"),
    "import torch.nn.functional as F": (["torch"], "import torch.nn.functional as F", "torch"),
    "import scipy.stats": (["scipy"], "import scipy.stats", "scipy"),
    "import sklearn.ensemble": (["sklearn"], "import sklearn.ensemble", "sklearn"),
    "import matplotlib.pyplot as plt": (["matplotlib"], "import matplotlib.pyplot as plt", "matplotlib"),
    "import numpy as np": (["numpy"], "import numpy as np", "numpy"),
    "import pandas as pd": (["pandas"], "import pandas as pd", "pandas"),
}


# The from-imports real programs write, each with the use that follows it:
# name -> (packages made lazy, statement, what must be importable, a use of the name).
FROM_CASES = {
    "from sklearn.ensemble import RandomForestClassifier": (
        ["sklearn"], "from sklearn.ensemble import RandomForestClassifier", "sklearn",
        "RandomForestClassifier(n_estimators=2)"),
    "from transformers import AutoConfig": (
        ["transformers"], "from transformers import AutoConfig", "transformers", "AutoConfig.for_model('bert')"),
    "from torch import nn": (["torch"], "from torch import nn", "torch", "nn.Linear(2, 2)"),
    "from scipy.stats import norm": (["scipy"], "from scipy.stats import norm", "scipy", "norm.cdf(1.0)"),
}


def measure(code: str, env: dict[str, str], phased: bool = False) -> tuple[float, int, int, tuple | None]:
    """Wall seconds, peak RSS (KiB) and minor page faults of one fresh ``python -c code``;
    for ``phased`` code (``with_phases``), also its wall time split into
    start-up, script and exit (seconds).

    The faults are the kernel's share that instruction counts leave out: before CPython
    gh-142183 (3.11, 3.12, and 3.13 releases before its backport) the interpreter maps a
    new frame-stack chunk, and faults its pages in, whenever a call crosses the end of
    one, so the same import faults more or less by call depth alone."""
    began = time.time()
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code], env=env,
                            stdout=subprocess.PIPE if phased else subprocess.DEVNULL)
    written = proc.stdout.read() if phased else b""
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    ended = time.time()
    if phased:
        proc.stdout.close()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark process failed ({proc.returncode}): {code!r}")
    phases = None
    if phased:
        *older, script_began, script_ended = written.split()[-4:]
        script_began, script_ended = float(script_began), float(script_ended)
        phases = (script_began - began, script_ended - script_began, ended - script_ended, *map(int, older))
    return wall, usage.ru_maxrss, usage.ru_minflt, phases


# Where an import-then-use difference lies: a phased process writes the wall-clock times
# (``time.time()``, the clock ``measure`` reads around it) at which its script began and
# ended, so its wall time splits into start-up (interpreter and site), the script
# (lazyhook's import and install included where it has them), and exit.
# It also counts the cyclic collector's runs of the older generations during the script
# (``gc.callbacks``): a generation-1 collection of these programs takes milliseconds, and
# objects lazyhook allocates can move one into the script that eager import would have
# run after it (or never).
PHASE_BEGIN = ("import time as _phase_clock, gc as _phase_gc\n_phase_older = [0, 0]\n"
               "_phase_gc.callbacks.append(lambda phase, info: phase == 'stop' and info['generation'] and "
               "_phase_older.__setitem__(info['generation'] - 1, _phase_older[info['generation'] - 1] + 1))\n"
               "_phase_began = _phase_clock.time()\n")
PHASE_END = ("\n_phase_ended = _phase_clock.time()\nimport os as _phase_os\n"
             "_phase_os.write(1, f'{_phase_older[0]} {_phase_older[1]} {_phase_began!r} {_phase_ended!r}'.encode())\n")


def with_phases(code: str) -> str:
    """``code`` as a process that writes when its script began and ended (``measure``)."""
    return PHASE_BEGIN + code + PHASE_END


def interleaved(runs: dict, rounds: int) -> dict[str, list]:
    """Each run once per round, for ``rounds`` rounds after a discarded warm-up.

    Each round runs in its own shuffled order (seeded: a rerun repeats it), so no run
    keeps a position or a predecessor: alternating forward and backward ran the runs at
    either end twice in a row, with warm caches, which made the middle ones look about
    0.3 ms slower per process.  Drift over time hits every run alike.  ``runs`` maps a
    name to a function that measures once and returns the sample.
    """
    import random

    shuffle = random.Random(rounds).shuffle
    samples: dict[str, list] = {name: [] for name in runs}
    order = list(runs.items())
    for round_index in range(rounds + 1):
        shuffle(order)
        for name, run in order:
            result = run()
            if round_index:  # round 0 is the warm-up
                samples[name].append(result)
    return samples


def run_variants(variants: dict[str, tuple[str, dict]], rounds: int) -> dict[str, dict]:
    """Each variant's medians; a variant whose code is written with ``with_phases`` keeps
    each round's start-up, script and exit too (``phase_deltas``)."""
    samples = interleaved({name: (lambda c=code, e=env: measure(c, e, c.startswith(PHASE_BEGIN)))
                           for name, (code, env) in variants.items()}, rounds)
    out = {}
    for name, values in samples.items():
        walls = [w for w, _, _, _ in values]
        out[name] = {
            "walls_ms": [w * 1000 for w in walls],
            "wall_median_ms": statistics.median(walls) * 1000,
            "wall_min_ms": min(walls) * 1000,
            "rss_median_mib": statistics.median(r for _, r, _, _ in values) / 1024,
            "minor_faults_median": statistics.median(f for _, _, f, _ in values),
        }
        if values[0][3] is not None:
            out[name]["phases_ms"] = [[1000 * t for t in phases[:3]] for _, _, _, phases in values]
            out[name]["older_collections"] = [phases[3:] for _, _, _, phases in values]
    return out


def phase_deltas(samples: dict, name: str, base: str) -> dict[str, float]:
    """Milliseconds ``name`` takes over ``base`` in each phase (the median of each round's
    difference), and the script's ratio (the median of each round's ratio)."""
    pairs = list(zip(samples[name]["phases_ms"], samples[base]["phases_ms"]))
    deltas = {phase: statistics.median(a[i] - b[i] for a, b in pairs)
              for i, phase in enumerate(("start-up", "script", "exit"))}
    deltas["script ratio"] = statistics.median(a[1] / b[1] for a, b in pairs)
    return deltas


def available(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LAZY", "PYTHON"))}
    env["MPLBACKEND"] = "Agg"
    env.update(extra)
    return env


# Processes that import nothing heavy (the floor, lazyhook's lazy import, the interpreter's
# own) run this many times more rounds than the eager ones, in their own interleaved run:
# their differences are a millisecond or two, and a process started right after a
# second-long eager one runs slower (measured: +3 to +8 ms when the floor ran apart).
CHEAP_ROUNDS_FACTOR = 4


def paired_over(samples: dict, name: str, floor: str = "floor") -> float:
    """Milliseconds ``name`` takes over the floor: the median of each round's difference
    (drift between rounds cancels; both ran in the same rounds)."""
    return statistics.median(a - b for a, b in zip(samples[name]["walls_ms"], samples[floor]["walls_ms"]))


def round_ratios(samples: dict, name: str, base: str) -> list[float]:
    """``name``'s wall time as a ratio to ``base``'s, round by round (both ran in each)."""
    return [a / b for a, b in zip(samples[name]["walls_ms"], samples[base]["walls_ms"])]


def paired_ratio(samples: dict, name: str, base: str) -> float:
    """``name``'s wall time as a ratio to ``base``'s: the median of each round's ratio."""
    return statistics.median(round_ratios(samples, name, base))


def median_interval(values, confidence: float = 0.95) -> tuple[float, float]:
    """A distribution-free interval that holds the true median of ``values``' population
    with at least ``confidence``: the ``j``-th smallest and ``j``-th largest value, for
    the largest ``j`` whose binomial tail (each value below the median with probability
    1/2) leaves at most ``(1 - confidence) / 2`` on either side.  One whole process of
    the from-import programs can differ from the next by several percent on a shared
    2-CPU machine, so a median ratio near a 1% bar means little without it."""
    ordered = sorted(values)
    n = len(ordered)
    tail, j = 0.0, 0
    while True:  # tail = P(at most j of the n values below the median)
        tail += math.comb(n, j) / 2 ** n
        if tail > (1 - confidence) / 2:
            break
        j += 1
    if j == 0:
        return ordered[0], ordered[-1]  # too few rounds for that confidence: the whole range
    return ordered[j - 1], ordered[n - j]


def paired_ratio_interval(samples: dict, name: str, base: str) -> tuple[float, float]:
    """``median_interval`` of the per-round ratios ``paired_ratio`` takes the median of."""
    return median_interval(round_ratios(samples, name, base))


def measured_cases(cases, rounds: int, only: str | None, extra_variants=None):
    """For each import case wanted, in order: ``(case, results)`` or a skip row.  The
    floor, lazyhook (plus ``extra_variants(names, statement)``, cheap ones) run
    interleaved in one run of ``CHEAP_ROUNDS_FACTOR * rounds`` rounds; eager in its own."""
    for case in cases:
        names, statement, needs = IMPORT_CASES[case]
        if only and only not in case:
            continue
        if not available(needs):
            yield {"case": case, "skipped": f"{needs} is not installed"}
            continue
        cheap = {"floor": (FLOOR, clean_env()), "lazyhook": (INSTALL.format(names=names) + statement, clean_env())}
        cheap.update(extra_variants(names, statement) if extra_variants else {})
        results = run_variants(cheap, rounds * CHEAP_ROUNDS_FACTOR)
        results.update(run_variants({"eager": (statement, clean_env())}, rounds))
        yield case, results


def import_cases(rounds: int, only: str | None) -> list[dict]:
    rows = []
    for item in measured_cases(IMPORT_CASES, rounds, only):
        if isinstance(item, dict):
            rows.append(item)
            continue
        case, res = item
        floor, eager, lazy = res["floor"], res["eager"], res["lazyhook"]
        over_floor = paired_over(res, "lazyhook")
        eager_over = eager["wall_median_ms"] - floor["wall_median_ms"]
        rows.append({
            "case": case, "floor": floor, "eager": eager, "lazyhook": lazy, "lazy_over_floor_ms": over_floor,
            "lazy_over_floor_pct_of_eager": 100 * over_floor / eager_over if eager_over > 0 else None,
            "lazy_rss_over_floor_mib": lazy["rss_median_mib"] - floor["rss_median_mib"],
        })
    return rows


def from_import_cases(rounds: int, only: str | None) -> list[dict]:
    """Each from-import: eager, lazily, and each followed by a use of the name (eager +
    use twice, the second against the first: the spread of the use ratio in this run);
    the floor and the lazy statement in their own run (``measured_cases``)."""
    rows = []
    for case, (names, statement, needs, use) in FROM_CASES.items():
        if only and only not in case:
            continue
        if not available(needs):
            rows.append({"case": case, "skipped": f"{needs} is not installed"})
            continue
        install = INSTALL.format(names=names)
        res = run_variants({"floor": (FLOOR, clean_env()), "lazyhook": (install + statement, clean_env())},
                           rounds * CHEAP_ROUNDS_FACTOR)
        res.update(run_variants({
            "eager": (statement, clean_env()),
            "eager+use": (with_phases(f"{statement}\n{use}"), clean_env()),
            "eager+use again": (with_phases(f"{statement}\n{use}"), clean_env()),
            "lazyhook+use": (with_phases(f"{install}{statement}\n{use}"), clean_env()),
            # lazyhook with another package configured: its import, install and finder, nothing deferred.
            "finder+use": (with_phases(f"{INSTALL.format(names=[ANOTHER_PACKAGE])}{statement}\n{use}"), clean_env()),
            "eager+use deeper": (with_phases(DEEPER.format(depth=LAZY_LOAD_DEPTH, code=f"{statement}\n{use}")), clean_env()),
        }, rounds))
        eager_over = res["eager"]["wall_median_ms"] - res["floor"]["wall_median_ms"]
        lazy_over = paired_over(res, "lazyhook")
        rows.append({"case": case, **res, "lazy_over_floor_ms": lazy_over,
                     "lazy_over_floor_pct_of_eager": 100 * lazy_over / eager_over if eager_over > 0 else None,
                     "use_ratio": paired_ratio(res, "lazyhook+use", "eager+use"),
                     "use_ratio_interval": paired_ratio_interval(res, "lazyhook+use", "eager+use"),
                     "same_ratio_interval": paired_ratio_interval(res, "eager+use again", "eager+use"),
                     "deeper_ratio": paired_ratio(res, "eager+use deeper", "eager+use"),
                     "same_ratio": paired_ratio(res, "eager+use again", "eager+use"),
                     "finder_ratio": paired_ratio(res, "finder+use", "eager+use"),
                     "finder_ratio_interval": paired_ratio_interval(res, "finder+use", "eager+use"),
                     "use_phases": phase_deltas(res, "lazyhook+use", "eager+use")})
    return rows


# The control for import-then-use: the same eager lines run ``LAZY_LOAD_DEPTH`` calls
# deeper, about as deep as a first use runs a deferred body (``LazyName.__eq__`` down to
# ``exec_module``).  Before CPython gh-142183 (3.11, 3.12, and 3.13 releases before its
# backport) a call that crosses the end of one of the interpreter's frame-stack chunks
# maps a new chunk and its return unmaps it; which loops in a body cross one depends on
# how deep the body runs, so the same eager import is slower or faster by depth alone.
LAZY_LOAD_DEPTH = 8
DEEPER = ("def _deeper(n):\n"
          "    if n:\n        return _deeper(n - 1)\n"
          "    exec({code!r}, globals())\n"
          "_deeper({depth})\n")


# Instruction counts (valgrind's callgrind) of the from-import cases: deterministic where
# wall-clock ratios of whole processes carry this machine's run-to-run noise (about ±2%).
# One hash seed and one BLAS thread (OpenBLAS's idle threads spin, and count) make a
# rerun give the same count; the eager program runs twice, and the report shows by how
# much the two differ.
INSTRUCTIONS_ENV = {"PYTHONHASHSEED": "0", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
ANOTHER_PACKAGE = "lazyhook_benchmark_not_installed"  # configured, never imported: the finder alone
# Where lazyhook's count goes, each part the difference of two programs: what any
# ``sys.meta_path`` finder costs (``importlib._bootstrap._find_spec`` calls each finder
# inside ``with _ImportLockContext():``, two Python calls and a lock more per finder and
# import), what importing lazyhook's core costs (the modules the first deferral and the
# first load import, here imported up front), and the exit (the same program ending in
# ``os._exit``).
DO_NOTHING_FINDER = ("import sys as _sys\nclass _DoNothingFinder:\n"
                     "    def find_spec(self, name, path=None, target=None):\n        return None\n"
                     "_sys.meta_path.insert(0, _DoNothingFinder())\n")
CORE_UP_FRONT = "import lazyhook._finder, lazyhook._fromimport, lazyhook._lifecycle\n"
WITHOUT_EXIT = "\nimport os as _os\n_os._exit(0)\n"


def instruction_count(code: str, env: dict[str, str]) -> int:
    """Instructions one fresh ``python -c code`` executes, start-up and exit included."""
    import tempfile

    with tempfile.TemporaryDirectory() as work:
        out = os.path.join(work, "callgrind.out")
        proc = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable,
                               "-c", code], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"benchmark process failed under valgrind ({proc.returncode}): {code!r}\n"
                               + proc.stderr[-2000:])
        with open(out) as fh:
            for line in fh:
                if line.startswith("summary:"):
                    return int(line.split()[1])
    raise RuntimeError(f"callgrind wrote no summary for {code!r}")


# What the cyclic collector sees of the same programs, where instruction counts show
# only the cost of the collections that ran: every object an allocation adds to the
# youngest generation brings its next collection closer, and every tenth of those (on
# 3.14, as on 3.11-3.13: thresholds 2000, 10, 10) collects generation 1, which takes
# milliseconds in these programs.  The objects lazyhook leaves alive (its modules' code,
# functions and state) can move one more of those into the script.
NET_OBJECTS = ("import gc as _collector\n_collector.disable()\n_objects_before = _collector.get_count()[0]\n"
               "{code}\nprint(_collector.get_count()[0] - _objects_before)\n")
OLDER_COLLECTIONS = ("import gc as _collector, time as _clock\n_older = []\n_began = [0.0]\n"
                     "_collector.callbacks.append(lambda phase, info: _began.__setitem__(0, _clock.perf_counter()) "
                     "if phase == 'start' else info['generation'] and _older.append(_clock.perf_counter() - _began[0]))\n"
                     "_kept = [[] for _ in range({extra})]\n{code}\n"
                     "print(sorted(_older)[len(_older) // 2] * 1000 if _older else 0.0, len(_older))\n")
SLACK_STEP, SLACK_LIMIT = 100, 4000


def printed_numbers(code: str, env: dict[str, str]) -> list[float]:
    """The numbers on the last line one fresh ``python -c code`` prints."""
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark process failed ({proc.returncode}): {code!r}\n" + proc.stderr[-2000:])
    return [float(word) for word in proc.stdout.splitlines()[-1].split()]


def collector_row(eager: str, lazy: str, env: dict[str, str]) -> dict:
    """Objects each program leaves to the collector (allocated and not freed, the
    collector off); its collections of generation 1 or 2 with it on, and how long eager's
    took (the median); and eager's slack: the fewest objects kept alive from the start
    (in steps of ``SLACK_STEP``) that bring one more of those collections into eager's
    run (None up to ``SLACK_LIMIT``)."""
    def older(code: str, extra: int = 0) -> tuple[float, int]:
        median_ms, count = printed_numbers(OLDER_COLLECTIONS.format(extra=extra, code=code), env)
        return median_ms, int(count)

    def objects(code: str) -> int:
        return int(printed_numbers(NET_OBJECTS.format(code=code), env)[-1])

    median_ms, eager_older = older(eager)
    slack = next((extra for extra in range(SLACK_STEP, SLACK_LIMIT + 1, SLACK_STEP)
                  if older(eager, extra)[1] > eager_older), None)
    return {"objects eager": objects(eager), "objects lazyhook": objects(lazy), "older eager": eager_older,
            "older lazyhook": older(lazy)[1], "older ms": median_ms, "slack": slack}


def instruction_cases(only: str | None) -> list[dict]:
    """Each from-import case followed by its use: eager (twice), lazyhook with another
    package configured (its start-up and its finder at every import), and lazyhook."""
    import shutil
    from concurrent.futures import ThreadPoolExecutor

    if shutil.which("valgrind") is None:
        raise SystemExit("the instructions suite needs valgrind (apt-get install valgrind)")
    env = clean_env(**INSTRUCTIONS_ENV)
    jobs = {}
    for case, (names, statement, needs, use) in FROM_CASES.items():
        if only and only not in case:
            continue
        if not available(needs):
            jobs[case] = None
            continue
        program = f"{statement}\n{use}"
        another, install = INSTALL.format(names=[ANOTHER_PACKAGE]), INSTALL.format(names=names)
        jobs[case] = {"eager": program, "eager again": program,
                      "another package configured": another + program,
                      "lazyhook": install + program,
                      "a do-nothing finder": DO_NOTHING_FINDER + program,
                      "core up front": another + CORE_UP_FRONT + program,
                      "eager without exit": program + WITHOUT_EXIT,
                      "lazyhook without exit": install + program + WITHOUT_EXIT}
    # A warm-up run of each program, as the timed suites discard their first round: the
    # first ``install()`` in a directory with a ``pyproject.toml`` parses it and writes
    # the policy cache, which every later process reads.  Counted cold, on a fresh
    # machine, the parser's import and run added tens of millions of instructions to
    # whichever lazyhook rows started first.
    for variants in jobs.values():
        for code in (variants or {}).values():
            subprocess.run([sys.executable, "-c", code], env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, check=False)
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        counts = {(case, variant): pool.submit(instruction_count, code, env)
                  for case, variants in jobs.items() if variants for variant, code in variants.items()}
        floor = pool.submit(instruction_count, FLOOR, env)
        start_up = pool.submit(instruction_count, INSTALL.format(names=[ANOTHER_PACKAGE]), env)
        rows = []
        for case, variants in jobs.items():
            if variants is None:
                rows.append({"case": case, "skipped": f"{FROM_CASES[case][2]} is not installed"})
                continue
            rows.append({"case": case, **{variant: counts[(case, variant)].result() for variant in variants}})
        floor_count, start_up_count = floor.result(), start_up.result()
    for row in rows:  # after valgrind's runs: these are counts, not times, but each is a whole process
        if "skipped" not in row:
            variants = jobs[row["case"]]
            row["collector"] = collector_row(variants["eager"], variants["lazyhook"], env)
    for row in rows:
        row["floor"], row["start-up"] = floor_count, start_up_count
    return rows


def count_parts(row: dict) -> dict[str, int]:
    """lazyhook's count over eager, split by the programs ``instruction_cases`` counts:
    its import and install (over ``python -c pass``), its finder at each import the
    program makes (and what a do-nothing finder in its place costs), importing its core,
    and the deferral and the first use's load; the exit's share of the whole apart."""
    start_up = row["start-up"] - row["floor"]
    return {"whole": row["lazyhook"] - row["eager"], "start-up": start_up,
            "finder": row["another package configured"] - row["eager"] - start_up,
            "any finder": row["a do-nothing finder"] - row["eager"],
            "core": row["core up front"] - row["another package configured"],
            "deferral and load": row["lazyhook"] - row["core up front"],
            "exit": (row["lazyhook"] - row["lazyhook without exit"]) - (row["eager"] - row["eager without exit"])}


def skipped_row(label: str, reason: str, columns: int) -> str:
    """A markdown table row for a case not run: its label, the reason, blank cells to the end."""
    return f"| {label} | skipped: {reason} |" + " |" * (columns - 2)


def instructions_markdown(rows: list[dict]) -> str:
    lines = [f"Python {platform.python_version()}; instructions of one fresh process per program (valgrind "
             f"{valgrind_version()}, `callgrind`), start-up and exit included, with "
             + ", ".join(f"`{k}={v}`" for k, v in INSTRUCTIONS_ENV.items())
             + "; 'finder' is lazyhook installed with another package configured, 'lazyhook' with the "
             "statement's package configured; both over eager.", "",
             "| import-then-use | eager | eager, rerun | finder | lazyhook | finder over eager | lazyhook over eager |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for row in rows:
        if "skipped" in row:
            lines.append(skipped_row(f"`{row['case']}`", row["skipped"], 7))
            continue
        eager = row["eager"]

        def over(count: int) -> str:
            return f"{(count - eager) / 1e6:+.1f} M ({100 * (count - eager) / eager:+.2f}%)"

        lines.append(f"| `{row['case']}` | {eager / 1e6:,.1f} M | {row['eager again'] / 1e6:,.1f} M "
                     f"| {row['another package configured'] / 1e6:,.1f} M | {row['lazyhook'] / 1e6:,.1f} M "
                     f"| {over(row['another package configured'])} | {over(row['lazyhook'])} |")
    lines += ["", "Where lazyhook's count over eager goes (same environment; millions of instructions, each "
              "the difference of two of these programs): its import and install (`python -c` of those alone, "
              "over `python -c pass`); its finder's answer at every import the program makes (lazyhook with "
              "another package configured, less its start-up), beside a do-nothing finder at the same place "
              "in `sys.meta_path` (what any finder costs there, over eager); importing its core (those "
              "modules imported up front, over the finder's program); and the deferred statement and the "
              "first use's load (the rest). The exit's share of the whole is the same programs ending in "
              "`os._exit(0)`, eager's exit subtracted.", "",
              "| import-then-use | lazyhook over eager | start-up | finder | a do-nothing finder | core's import "
              "| deferral and load | of the whole, at exit |",
              "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for row in rows:
        if "skipped" in row:
            continue
        part = count_parts(row)
        lines.append(f"| `{row['case']}` | " + " | ".join(
            f"{part[key] / 1e6:+.1f} M" for key in ("whole", "start-up", "finder", "any finder", "core",
                                                  "deferral and load", "exit")) + " |")
    lines += ["", "What the cyclic collector sees of the same programs (same environment): the objects each "
              "leaves alive, counted with the collector off (`gc.get_count()`); its collections of generation "
              "1 or 2 with it on (`gc.callbacks`), and the median time one of eager's took; and eager's slack, "
              f"the fewest objects kept alive from the start (in steps of {SLACK_STEP}) that bring one more of "
              "those into eager's run.", "",
              "| import-then-use | objects, eager | objects, lazyhook | lazyhook's | older collections, eager "
              "| older collections, lazyhook | one of eager's | eager's slack |",
              "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for row in rows:
        if "skipped" in row:
            continue
        gc_row = row["collector"]
        slack = f"{gc_row['slack']:,}" if gc_row["slack"] is not None else f"over {SLACK_LIMIT:,}"
        lines.append(f"| `{row['case']}` | {gc_row['objects eager']:,} | {gc_row['objects lazyhook']:,} "
                     f"| {gc_row['objects lazyhook'] - gc_row['objects eager']:+,} | {gc_row['older eager']} "
                     f"| {gc_row['older lazyhook']} | {gc_row['older ms']:.1f} ms | {slack} |")
    return "\n".join(lines)


def valgrind_version() -> str:
    proc = subprocess.run(["valgrind", "--version"], capture_output=True, text=True)
    return proc.stdout.strip().removeprefix("valgrind-")


def instructions_section(results: dict, args: argparse.Namespace) -> str:
    version = minor_version(results["python"])
    begin, end = suite_markers("instructions", version)
    command = (f"bash tools/run-benchmarks {version} --suite instructions --write-docs" if version != "3.11"
               else "python -m benchmarks --suite instructions --write-docs")
    where = (" (the sid root's venv, without torch, with valgrind from sid's archive)" if version != "3.11"
             else " in the demo environment of the README")
    parts = [begin, f"## From-imports counted in instructions (Python {results['python']})", "",
             f"Generated by `{command}`{where}.", "", instructions_markdown(results["instructions"]), "",
             "The same bar as the wall-clock table, counted: lazyhook's own work within 1% of eager "
             "import-then-use. The 'finder' column is lazyhook's start-up and its finder's answer at every "
             "import the program makes; the rest of the lazyhook column is the deferred statement and the "
             "first use's load. Counts leave out what wall time adds on top: the kernel's share (on 3.11, "
             "the frame-stack `munmap` calls of the from-imports notes) and cache effects. A collection that "
             "lazyhook's objects bring into the script is counted (they are deterministic here), but takes more "
             "wall time than its instructions: it walks every young object, and misses the cache on most. Where "
             "lazyhook's objects come near eager's slack, its run can hold one more older collection than "
             "eager's; where they are far below it, it holds the same ones.", ""]
    for row in results["instructions"]:
        if "skipped" in row:
            continue
        pct = 100 * (row["lazyhook"] - row["eager"]) / row["eager"]
        parts.append(f"- `{row['case']}`: {pct:+.2f}%: {'met' if pct <= 1.0 else 'missed'}")
    parts.append(end)
    return "\n".join(parts)


GLOBAL_READ = r"""
import json, os, statistics, sys, tempfile, time
work = tempfile.mkdtemp()
for kind in ("lazy", "eager"):
    os.makedirs(os.path.join(work, f"bench_{kind}_pk"))
    with open(os.path.join(work, f"bench_{kind}_pk", "__init__.py"), "w") as fh:
        fh.write("def target():\n    return 1\n")
    with open(os.path.join(work, f"user_{kind}.py"), "w") as fh:
        fh.write(f"from bench_{kind}_pk import target\nOTHER = 1\n"
                 "def loop(n):\n    for _ in range(n):\n        target\n")
sys.path.insert(0, work)
import lazyhook
lazyhook.install(["bench_lazy_pk"])
import user_lazy, user_eager
user_lazy.loop(1)  # the first use loads the package and rebinds the name
assert all(type(k) is str for k in vars(user_lazy)), "a lazy key is left"
times = {"lazy": [], "eager": []}
for index in range(ROUNDS):
    pairs = (("lazy", user_lazy), ("eager", user_eager))
    for kind, module in (pairs if index % 2 else pairs[::-1]):
        start = time.perf_counter()
        module.loop(10 ** 6)
        times[kind].append(time.perf_counter() - start)
ratio = statistics.median(a / b for a, b in zip(times["lazy"], times["eager"]))
print(json.dumps({"ratio": ratio, **{k: statistics.median(v) * 10 for k, v in times.items()}}))
"""


def global_read(rounds: int) -> dict:
    """In one process, paired: reads of a from-imported global bound eagerly, and of one
    bound lazily and used once (the namespace back to plain ``str`` keys); ``10 * rounds``
    rounds of 10**6 reads each, alternating which goes first; the ratio is the median of
    the per-round ratios (one round's two loops run a few ms apart, so drift cancels)."""
    proc = subprocess.run([sys.executable, "-c", GLOBAL_READ.replace("ROUNDS", str(10 * rounds))], env=clean_env(),
                          capture_output=True, text=True, check=True)
    medians = json.loads(proc.stdout)
    return {"lazy_s": medians["lazy"], "eager_s": medians["eager"], "ratio": medians["ratio"]}


def faults(row: dict, variant: str) -> str:
    """A variant's median minor page faults, and its difference from eager + use's."""
    count, base = row[variant]["minor_faults_median"], row["eager+use"]["minor_faults_median"]
    return f"{count:,.0f}" if variant == "eager+use" else f"{count:,.0f} ({count - base:+,.0f})"


def older_collections(row: dict, variant: str) -> str:
    """The cyclic collector's generation-1 and generation-2 runs during a variant's
    script, as the rounds saw them: ``4 + 0``, or ``4-5 + 0`` where rounds differed."""
    def seen(counts) -> str:
        low, high = min(counts), max(counts)
        return f"{low}" if low == high else f"{low}-{high}"
    runs = row[variant]["older_collections"]
    return f"{seen([r[0] for r in runs])} + {seen([r[1] for r in runs])}"


def interval(bounds: tuple[float, float]) -> str:
    return f"×{bounds[0]:.3f}-×{bounds[1]:.3f}"


def from_import_markdown(rows: list[dict], read: dict, rounds: int) -> str:
    lines = [f"Python {platform.python_version()}; medians of {rounds} fresh processes per eager variant, interleaved; "
             f"the floor and the lazy statement ran interleaved in their own run of {rounds * CHEAP_ROUNDS_FACTOR} "
             "rounds, and 'lazy over floor' is the median of each round's difference; the use ratio is the median "
             "of per-round ratios.", "",
             "| statement | floor | eager | lazyhook | lazy over floor | % of eager's | eager + use | lazyhook + use | ratio |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for row in rows:
        if "skipped" in row:
            lines.append(skipped_row(f"`{row['case']}`", row["skipped"], 9))
            continue
        ms = lambda v: f"{v['wall_median_ms']:.1f} ms"  # noqa: E731
        lines.append(f"| `{row['case']}` | {ms(row['floor'])} | {ms(row['eager'])} | {ms(row['lazyhook'])} | "
                     f"{row['lazy_over_floor_ms']:+.2f} ms | {row['lazy_over_floor_pct_of_eager']:.2f}% | "
                     f"{ms(row['eager+use'])} | {ms(row['lazyhook+use'])} | ×{row['use_ratio']:.3f} |")
    lines += ["", "The spread: eager + use run a second time in each round, against itself (median of per-round "
                  "ratios; an identical program, so any distance from ×1.000 is this run's noise in the use ratio): "
                  + ", ".join(f"`{row['case']}` ×{row['same_ratio']:.3f}" for row in rows if "same_ratio" in row)
                  + ".", "", "Where the true medians lie (95% distribution-free intervals from the ranks of the "
                  "per-round ratios, `median_interval`), lazyhook + use against eager + use, and eager + use against "
                  "itself: "
                  + ", ".join(f"`{row['case']}` {interval(row['use_ratio_interval'])} and "
                              f"{interval(row['same_ratio_interval'])}"
                              for row in rows if "use_ratio_interval" in row)
                  + ". An interval that spans ×1.010 means this run cannot tell whether that case meets the 1% bar.",
              "", "Of that, what lazyhook costs with nothing deferred: lazyhook installed with another package "
                  "configured, + use, against eager + use (its import, its install and its finder's answer at every "
                  "import the program makes; median of per-round ratios and its 95% interval): "
                  + ", ".join(f"`{row['case']}` ×{row['finder_ratio']:.3f} ({interval(row['finder_ratio_interval'])})"
                              for row in rows if "finder_ratio" in row) + "."]
    lines += ["", f"The control: eager + use run {LAZY_LOAD_DEPTH} calls deeper, about as deep as a first use runs a "
                  "deferred body, against eager + use at module level (median of per-round ratios): "
                  + ", ".join(f"`{row['case']}` ×{row['deeper_ratio']:.3f}" for row in rows if "deeper_ratio" in row)
                  + ". Where it is far from ×1.000, the interpreter itself runs the same import at a different speed "
                  "by call depth (CPython gh-142183, fixed in 2026 and backported to 3.14 and 3.13); lazyhook runs a "
                  "deferred body on a frame-stack chunk of its own (docs/how-it-works.md), so the lazy ratio does not "
                  "carry that effect, while eager + use carries whatever its own depth gives it.", "",
              "Minor page faults (medians), which instruction counts leave out: "
              + "; ".join(f"`{row['case']}` eager + use {faults(row, 'eager+use')}, lazyhook + use "
                          f"{faults(row, 'lazyhook+use')}, eager + use deeper {faults(row, 'eager+use deeper')}"
                          for row in rows if "deeper_ratio" in row)
              + ". Where the deeper control faults thousands of pages more than eager + use, that is the frame-stack "
                "chunks of gh-142183 being mapped again and again; a deferred body starts a chunk of its own.", "",
              "Where the import-then-use difference lies (each process writes when its script began and ended; "
              "lazyhook + use minus eager + use, medians of per-round differences; lazyhook's import and install "
              "are in the script): "
              + "; ".join(f"`{row['case']}` start-up {p['start-up']:+.2f} ms, script {p['script']:+.2f} ms "
                          f"(×{p['script ratio']:.3f}), exit {p['exit']:+.2f} ms"
                          for row in rows if "use_phases" in row for p in (row["use_phases"],))
              + ".", "",
              "The cyclic collector's runs of its older generations during the script (generation 1 + "
              "generation 2, as the rounds saw them; `gc.callbacks`): "
              + "; ".join(f"`{row['case']}` eager + use {older_collections(row, 'eager+use')}, lazyhook + use "
                          f"{older_collections(row, 'lazyhook+use')}"
                          for row in rows if "use_phases" in row)
              + ". A generation-1 collection of these programs takes milliseconds; the objects lazyhook "
                "allocates (its modules' code and functions; from 3.14 each annotated function also carries an "
                "`__annotate__` function) advance the collector's schedule, so a run "
                "that eager import makes after the script, or never, can fall inside it."]
    lines += ["", f"Reading a from-imported global in a function (one process; {10 * rounds} rounds of 10^6 reads of "
                  f"each, alternating which goes first; times per 10^7 reads): bound eagerly {read['eager_s'] * 1000:.1f} ms, "
                  f"bound lazily and used once {read['lazy_s'] * 1000:.1f} ms: ×{read['ratio']:.3f} (median of the "
                  "per-round ratios)."]
    return "\n".join(lines)


# The interpreter's own lazy imports (3.15+) with a filter equivalent to lazyhook's: the
# same packages, a package's imports of itself eager.
NATIVE_SETUP = (
    "import sys\n"
    "def _only(importing, imported, fromlist, _names={names!r}):\n"
    "    top = imported.partition('.')[0]\n"
    "    return top in _names and (importing or '').partition('.')[0] != top\n"
    "sys.set_lazy_imports_filter(_only)\n"
    "sys.set_lazy_imports('all')\n"
)
NATIVE_CASES = ("import pandas as pd", "import scipy.stats", "import sklearn.ensemble",
                "import numpy as np", "import matplotlib.pyplot as plt")


def native_cases(rounds: int, only: str | None) -> list[dict]:
    """3.15+: eager, lazyhook, and the interpreter's own lazy imports, side by side."""
    if not hasattr(sys, "set_lazy_imports"):
        return [{"case": "native", "skipped": f"Python {platform.python_version()} has no PEP 810 lazy imports"}]
    rows = []
    for item in measured_cases(NATIVE_CASES, rounds, only, lambda names, statement: {
            "native": (NATIVE_SETUP.format(names=names) + statement, clean_env())}):
        if isinstance(item, dict):
            rows.append(item)
            continue
        case, res = item
        native_over = paired_over(res, "native")
        rows.append({"case": case, **res,
                     "lazy_vs_native_pct": 100 * (paired_ratio(res, "lazyhook", "native") - 1),
                     "native_over_floor_ms": native_over})
    return rows


def native_markdown(rows: list[dict], rounds: int) -> str:
    lines = [f"Python {platform.python_version()}; medians of fresh processes (wall ms / peak RSS MiB): {rounds} "
             f"per eager import; the floor, lazyhook and the interpreter interleaved in their own run of "
             f"{rounds * CHEAP_ROUNDS_FACTOR} rounds ('lazyhook vs interpreter' is the median of per-round ratios).", "",
             "| statement | floor | eager | lazyhook | interpreter (`all` + equivalent filter) | lazyhook vs interpreter |",
             "| --- | --- | --- | --- | --- | --- |"]
    for row in rows:
        if "skipped" in row:
            lines.append(skipped_row(f"`{row['case']}`", row["skipped"], 6))
            continue
        cell = lambda v: f"{v['wall_median_ms']:.1f} / {v['rss_median_mib']:.1f}"  # noqa: E731
        lines.append(f"| `{row['case']}` | {cell(row['floor'])} | {cell(row['eager'])} | {cell(row['lazyhook'])} | "
                     f"{cell(row['native'])} | {row['lazy_vs_native_pct']:+.1f}% |")
    return "\n".join(lines)


def build_startup_venvs(work: str) -> tuple[str, str]:
    """A bare venv and one with lazyhook installed from its wheel (the .pth included)."""
    import glob
    import venv

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    pythons = []
    for name in ("bare", "installed"):
        path = os.path.join(work, name)
        venv.EnvBuilder(with_pip=False).create(path)
        pythons.append(os.path.join(path, "bin", "python"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", work, root], check=True)
    wheel = glob.glob(os.path.join(work, "lazyhook-*.whl"))[0]
    site = subprocess.check_output(
        [pythons[1], "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True).strip()
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", site, wheel], check=True)
    return pythons[0], pythons[1]


def with_start_file(work: str) -> str:
    """A venv without lazyhook whose site-packages holds one no-op ``.start`` file."""
    import venv

    path = os.path.join(work, "with-start")
    venv.EnvBuilder(with_pip=False).create(path)
    python = os.path.join(path, "bin", "python")
    site = subprocess.check_output([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                   text=True).strip()
    with open(os.path.join(site, "_noop_start.py"), "w") as fh:
        fh.write("def start():\n    pass\n")
    with open(os.path.join(site, "noop.start"), "w") as fh:
        fh.write("_noop_start:start\n")
    return python


def with_site_files(work: str, name: str, files: dict[str, str]) -> str:
    """A venv without lazyhook whose site-packages holds ``files`` (the reference rows)."""
    import venv

    path = os.path.join(work, name)
    venv.EnvBuilder(with_pip=False).create(path)
    python = os.path.join(path, "bin", "python")
    site = subprocess.check_output([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                   text=True).strip()
    for relative, text in files.items():
        os.makedirs(os.path.dirname(os.path.join(site, relative)), exist_ok=True)
        with open(os.path.join(site, relative), "w") as fh:
            fh.write(text)
    # Bytecode written as pip writes lazyhook's (PYTHONDONTWRITEBYTECODE would skip a first import's).
    subprocess.run([python, "-m", "compileall", "-q", site], check=True)
    return python


# What any package and any .pth import line cost, beside lazyhook's rows: the floors
# lazyhook's own rows stand on.
REFERENCE_EMPTY_PACKAGE = "reference: import an empty package (no lazyhook)"
REFERENCE_PTH = "reference: a .pth holding only `import os` (no lazyhook)"


def startup_cases(rounds: int) -> list[dict]:
    import tempfile

    with tempfile.TemporaryDirectory() as work:
        bare, installed = build_startup_venvs(work)
        empty = with_site_files(work, "empty-package", {"emptypkg/__init__.py": ""})
        plain_pth = with_site_files(work, "plain-pth", {"plain.pth": "import os\n"})
        project = os.path.join(work, "project")
        os.makedirs(project)
        policy = os.path.join(project, "lazyhook.toml")
        with open(policy, "w") as fh:
            fh.write('lazy = ["torch", "transformers"]\npresets = ["data"]\n')
        pyproject_only = os.path.join(work, "pyproject-only")  # most projects: no lazyhook table
        os.makedirs(pyproject_only)
        with open(os.path.join(pyproject_only, "pyproject.toml"), "w") as fh:
            fh.write('[project]\nname = "app"\nversion = "1"\ndependencies = ["lazyhook"]\n')
        cache = os.path.join(work, "cache")
        base = clean_env(XDG_CACHE_HOME=cache)
        variants = {
            "python -c pass (no lazyhook installed)": ([bare, "-c", "pass"], base, work),
            ".pth installed, nothing configured": ([installed, "-c", "pass"], base, work),
            ".pth with LAZY_IMPORTS=torch,transformers": ([installed, "-c", "pass"],
                                                         {**base, "LAZY_IMPORTS": "torch,transformers"}, work),
            "import lazyhook; lazyhook.install()": ([installed, "-c", "import lazyhook; lazyhook.install()"], base, work),
            "install() with ./lazyhook.toml (parsed once, then cached)": (
                [installed, "-c", "import lazyhook; lazyhook.install()"], base, project),
            "install() with ./pyproject.toml, no [tool.lazyhook] (parsed once, then cached)": (
                [installed, "-c", "import lazyhook; lazyhook.install()"], base, pyproject_only),
            ".pth with LAZYHOOK_POLICY=lazyhook.toml": ([installed, "-c", "pass"], {**base, "LAZYHOOK_POLICY": policy}, work),
            REFERENCE_EMPTY_PACKAGE: ([empty, "-c", "import emptypkg"], base, work),
            REFERENCE_PTH: ([plain_pth, "-c", "pass"], base, work),
        }
        if sys.version_info >= (3, 15):
            # Why lazyhook ships no PEP 829 .start file: what one no-op .start costs a start.
            variants["no lazyhook, one no-op .start file (PEP 829)"] = ([with_start_file(work), "-c", "pass"],
                                                                        base, work)
        def wall(argv, env, cwd) -> float:
            start = time.perf_counter()
            subprocess.run(argv, env=env, cwd=cwd, check=True)
            return time.perf_counter() - start

        samples = interleaved({name: (lambda a=a, e=e, c=c: wall(a, e, c)) for name, (a, e, c) in variants.items()},
                              rounds)
        floor = samples["python -c pass (no lazyhook installed)"]
        rows = []
        for name, values in samples.items():
            # Paired: each round's difference to that round's floor, then their median
            # (drift between rounds cancels; the noise of single processes stays).
            paired = [value - base for value, base in zip(values, floor)]
            rows.append({"case": name, "median_ms": statistics.median(values) * 1000, "min_ms": min(values) * 1000,
                         "over_floor_ms": statistics.median(paired) * 1000})
        return rows


def startup_markdown(rows: list[dict], rounds: int) -> str:
    lines = [
        *machine_lines(),
        f"Start-up, medians of {rounds} fresh processes (interleaved, warm-up discarded); 'over' is the median "
        "of each round's difference to that round's `python -c pass`.",
        "",
        "| case | median | min | over `python -c pass` |",
        "| --- | ---: | ---: | ---: |",
    ]
    for row in rows:
        lines.append(f"| {row['case']} | {row['median_ms']:.2f} ms | {row['min_ms']:.2f} ms | {row['over_floor_ms']:+.2f} ms |")
    return "\n".join(lines)


# --- lazyhook side by side with the alternatives ---------------------------------------

# case -> (package, statement, how lazy_loader spells it, bound name, marker module that only
#          a real load imports, real use)
ALT_CASES = {
    "torch": ("torch", "import torch", "torch = lazy.load('torch')", "torch._C",
              "x = torch.ones(3).sum().item()"),
    "torch.nn.functional": ("torch", "import torch.nn.functional as F", "F = lazy.load('torch.nn.functional')",
                            "torch._C", "import torch\nx = F.relu(torch.ones(3)).sum().item()"),
    "from torch import nn": ("torch", "from torch import nn", "nn = lazy.load('torch.nn')", "torch._C",
                             "x = nn.Linear(2, 2).out_features"),
    "scipy.stats": ("scipy", "import scipy.stats", "scipy = lazy.load('scipy'); scipy.stats = lazy.load('scipy.stats')",
                    "scipy.stats._distn_infrastructure", "x = float(scipy.stats.norm.cdf(1.0))"),
    "sklearn.ensemble": ("sklearn", "import sklearn.ensemble", "ensemble = lazy.load('sklearn.ensemble')",
                         "sklearn.ensemble._forest",
                         "import sklearn.ensemble\nx = sklearn.ensemble.RandomForestClassifier(n_estimators=2).n_estimators"),
    "matplotlib.pyplot": ("matplotlib", "import matplotlib.pyplot as plt", "plt = lazy.load('matplotlib.pyplot')",
                          "matplotlib.backend_bases", "fig = plt.figure(); x = len(fig.axes)"),
    "numpy": ("numpy", "import numpy as np", "np = lazy.load('numpy')", "numpy._core.multiarray",
              "x = int(np.arange(10).sum())"),
    "pandas": ("pandas", "import pandas as pd", "pd = lazy.load('pandas')", "pandas.core.frame",
               "x = len(pd.DataFrame({'a': [1, 2]}))"),
    "transformers": ("transformers", "import transformers", "transformers = lazy.load('transformers')",
                     "transformers.utils.import_utils", "x = transformers.__version__"),
}

VARIANT_SETUP = {
    "eager": "",
    "lazyhook": "import lazyhook; lazyhook.install([{pkg!r}])\n",
    "plain LazyLoader recipe": "import sys; sys.path.insert(0, {here!r})\n"
                               "from benchmarks.alternatives import plain_lazyloader; plain_lazyloader.install([{pkg!r}])\n",
    "lazy_loader.load": "import lazy_loader as lazy\n",
    "demandimport": "import demandimport; demandimport.enable()\n",
}


def variant_code(variant: str, case: str, use: bool) -> str:
    pkg, statement, lazy_form, marker, work = ALT_CASES[case]
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    body = VARIANT_SETUP[variant].format(pkg=pkg, here=here)
    body += (lazy_form if variant == "lazy_loader.load" else statement) + "\n"
    body += f"import sys\n_deferred = {marker!r} not in sys.modules\n"
    if use:
        body += work + "\n"
    body += "sys.stdout.write('DEFERRED' if _deferred else 'LOADED')\n"
    return body


def probe(code: str, env: dict) -> tuple[str, str]:
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["?"])[-1]
        return "fails", last[:120]
    return ("deferred" if proc.stdout.endswith("DEFERRED") else "eager in effect"), ""


def alternatives(rounds: int, only: str | None) -> list[dict]:
    rows = []
    env = clean_env()
    variants = [v for v in VARIANT_SETUP if v == "eager" or v == "lazyhook" or v == "plain LazyLoader recipe"
                or available(v.split(".")[0].replace("lazy_loader", "lazy_loader"))]
    for case, (pkg, *_rest) in ALT_CASES.items():
        if only and only not in case:
            continue
        if not available(pkg):
            rows.append({"case": case, "skipped": f"{pkg} is not installed"})
            continue
        row = {"case": case, "variants": {}}
        runnable = {}
        for variant in variants:
            status, error = probe(variant_code(variant, case, use=True), env)
            if status == "fails":
                row["variants"][variant] = {"status": "fails", "error": error}
                continue
            import_status, _ = probe(variant_code(variant, case, use=False), env)
            row["variants"][variant] = {"status": import_status}
            runnable[variant] = variant
        for use in (False, True):
            measured = run_variants({v: (variant_code(v, case, use), env) for v in runnable}, rounds)
            for variant, numbers in measured.items():
                key = "use" if use else "import"
                row["variants"][variant][key] = numbers
        eager_walls = row["variants"]["eager"]["use"]["walls_ms"]
        for variant, data in row["variants"].items():
            if "use" in data:  # paired: round by round against eager, then the median
                data["use_vs_eager"] = statistics.median(
                    v / e for v, e in zip(data["use"]["walls_ms"], eager_walls))
        rows.append(row)
    return rows


# The stdlib import set the finder's cost is measured on (micro-benchmark and --suite finder).
STDLIB_SET = ["json", "csv", "decimal", "fractions", "statistics", "string", "textwrap", "difflib", "pprint",
              "dataclasses", "enum", "heapq", "bisect", "copy", "datetime", "calendar", "uuid", "hashlib", "hmac",
              "secrets", "base64", "binascii", "zlib", "gzip", "bz2", "lzma", "tarfile", "zipfile", "configparser",
              "logging", "argparse", "getopt", "shlex", "tempfile", "glob", "fnmatch", "shutil", "pathlib", "email",
              "html"]
MICRO = {
    "finder cost on 40 stdlib imports": (
        "import time\n{setup}t = time.perf_counter()\n"
        "import " + ", ".join(STDLIB_SET) + "\n"
        "print((time.perf_counter() - t) * 1000)",
        "import lazyhook; lazyhook.install(['torch', 'numpy'])\n"),
    "attribute access after load (numpy.float64, 2e6 reads)": (
        "import time\n{setup}import numpy as np\nnp.float64\nt = time.perf_counter()\n"
        "for _ in range(2_000_000):\n    np.float64\nprint((time.perf_counter() - t) * 1000)",
        "import lazyhook; lazyhook.install(['numpy'])\n"),
    "first-use latency: numpy (lazy first touch vs import)": (
        "import time\n{setup}",
        "import lazyhook; lazyhook.install(['numpy'])\n"),
}


def printed_ms(code: str, env: dict) -> float:
    """Run ``code`` in a fresh process; it prints the milliseconds it measured itself."""
    return printed_numbers(code, env)[-1]


FINDER_COST = r"""
import json, statistics, sys, time
import lazyhook
lazyhook.install(["torch", "numpy"])  # active: every import asks the finder, __lazy_modules__ counts
ours = lazyhook._state.finder
sys.meta_path.remove(ours)


class Trivial:
    def find_spec(self, name, path=None, target=None):
        return None


variants = {"none": None, "trivial": Trivial(), "lazyhook": ours}
loaded = dict(sys.modules)


def once(finder):
    for name in [name for name in sys.modules if name not in loaded]:
        del sys.modules[name]
    if finder is not None:
        sys.meta_path.insert(0, finder)
    try:
        start = time.perf_counter()
        for name in NAMES:
            __import__(name)
        return time.perf_counter() - start
    finally:
        if finder is not None:
            sys.meta_path.remove(finder)


times = {name: [] for name in variants}
order = list(variants)
for index in range(ROUNDS + 1):
    order = order[1:] + order[:1]  # each variant first, second and third in turn
    for name in order:
        elapsed = once(variants[name])
        if index:
            times[name].append(elapsed)
print(json.dumps({
    "ms": {name: statistics.median(values) * 1000 for name, values in times.items()},
    "vs_none": statistics.median(a / b for a, b in zip(times["lazyhook"], times["none"])),
    "vs_trivial": statistics.median(a / b for a, b in zip(times["lazyhook"], times["trivial"])),
    "trivial_vs_none": statistics.median(a / b for a, b in zip(times["trivial"], times["none"])),
}))
"""


def finder_cost(rounds: int) -> dict:
    """The finder's cost on the 40-module stdlib set, in one process, paired: the set is
    imported afresh (its modules removed from ``sys.modules``) with no finder of ours, with
    a Python finder that answers None (what the interpreter charges for any), and with
    lazyhook's, installed and active; ``10 * rounds`` rounds, ratios of the same round."""
    code = FINDER_COST.replace("NAMES", repr(STDLIB_SET)).replace("ROUNDS", str(10 * rounds))
    proc = subprocess.run([sys.executable, "-c", code], env=clean_env(), capture_output=True, text=True, check=True)
    return json.loads(proc.stdout)


def finder_markdown(result: dict, rounds: int) -> str:
    ms = result["ms"]
    return "\n".join([
        f"Python {platform.python_version()}; one process, {10 * rounds} rounds, each importing the 40 modules "
        "afresh with each variant in turn; medians, and ratios of the same round.", "",
        "| variant | import the set | ratio |", "| --- | ---: | ---: |",
        f"| no finder of lazyhook's | {ms['none']:.2f} ms | |",
        f"| a Python finder that answers None | {ms['trivial']:.2f} ms | ×{result['trivial_vs_none']:.3f} of none |",
        f"| lazyhook, installed | {ms['lazyhook']:.2f} ms | ×{result['vs_none']:.3f} of none, "
        f"×{result['vs_trivial']:.3f} of the trivial finder |",
    ])


def micro(rounds: int) -> list[dict]:
    env = clean_env()
    rows = []
    for name, (template, setup) in MICRO.items():
        if "numpy" in name and not available("numpy"):
            rows.append({"case": name, "skipped": "numpy is not installed"})
            continue
        if name.startswith("first-use"):
            eager_code = "import time\nt = time.perf_counter()\nimport numpy as np\nprint((time.perf_counter() - t) * 1000)"
            lazy_code = (setup + "import numpy as np\nimport time\nt = time.perf_counter()\nnp.float64\n"
                         "print((time.perf_counter() - t) * 1000)")
        else:
            eager_code, lazy_code = template.format(setup=""), template.format(setup=setup)
        samples = interleaved({variant: (lambda c=code: printed_ms(c, env))
                               for variant, code in (("eager", eager_code), ("lazyhook", lazy_code))}, rounds)
        eager, lazy = statistics.median(samples["eager"]), statistics.median(samples["lazyhook"])
        # Paired: each round's two processes ran back to back, so their ratio cancels drift.
        paired = statistics.median(z / e for e, z in zip(samples["eager"], samples["lazyhook"]))
        rows.append({"case": name, "eager_ms": eager, "lazyhook_ms": lazy, "ratio": paired})
    return rows


def alternatives_markdown(rows: list[dict], micro_rows: list[dict], rounds: int) -> str:
    names = list(VARIANT_SETUP)
    lines = [*machine_lines(), f"Medians of {rounds} fresh processes per cell (interleaved, warm-up discarded). Each cell: "
             "import-only wall time / peak RSS; then import-and-use wall time as a ratio to eager "
             "(the median of per-round paired ratios). "
             "'eager in effect' means the variant ran the package body at the import statement anyway; "
             "'fails' gives the error.", "",
             "| case | " + " | ".join(names) + " |", "| --- |" + " --- |" * len(names)]
    for row in rows:
        if "skipped" in row:
            lines.append(skipped_row(row["case"], row["skipped"], len(names) + 1))
            continue
        cells = []
        for variant in names:
            data = row["variants"].get(variant)
            if data is None:
                cells.append("not installed")
            elif data["status"] == "fails":
                cells.append(f"fails: `{data['error']}`")
            else:
                imp = data["import"]
                note = "" if variant == "eager" or data["status"] == "deferred" else " (**eager in effect**)"
                cells.append(f"{imp['wall_median_ms']:.0f} ms / {imp['rss_median_mib']:.0f} MiB; "
                             f"use ×{data['use_vs_eager']:.3f}{note}")
        lines.append(f"| `{row['case']}` | " + " | ".join(cells) + " |")
    lines += ["", "Micro-benchmarks time only the named operation inside each process (medians; the ratio is the "
              "median of per-round paired ratios).", "",
              "| micro-benchmark | eager | lazyhook | ratio |", "| --- | ---: | ---: | ---: |"]
    for row in micro_rows:
        if "skipped" in row:
            lines.append(skipped_row(row["case"], row["skipped"], 4))
        else:
            lines.append(f"| {row['case']} | {row['eager_ms']:.2f} ms | {row['lazyhook_ms']:.2f} ms | {row['ratio']:.3f} |")
    return "\n".join(lines)


PRELOAD_SET = ["torch", "scipy", "pandas", "matplotlib", "sklearn"]


def preload_workers(rounds: int) -> list[dict]:
    """Does preloading independent packages from several threads help under the GIL?"""
    names = [n for n in PRELOAD_SET if available(n)]
    code = ("import time, lazyhook\nlazyhook.install({names!r})\n" + "".join(f"import {n}\n" for n in names)
            + "t = time.perf_counter()\nh = lazyhook.preload(background=True, workers={workers})\nh.wait()\n"
            "assert not h.errors, h.errors\nprint((time.perf_counter() - t) * 1000)")
    env = clean_env()
    samples = interleaved({w: (lambda w=w: printed_ms(code.format(names=names, workers=w), env)) for w in (1, 2, 4)},
                          rounds)
    base = statistics.median(samples[1])
    return [{"workers": w, "median_ms": statistics.median(v), "min_ms": min(v),
             "vs_one": statistics.median(v) / base, "packages": names} for w, v in samples.items()]


def preload_markdown(rows: list[dict], rounds: int) -> str:
    lines = [*machine_lines(), f"`preload(background=True, workers=N)` of {', '.join(rows[0]['packages'])} "
             f"(pending, never used), until `wait()` returns; medians of {rounds} fresh processes.", "",
             "| workers | median | min | vs 1 worker |", "| ---: | ---: | ---: | ---: |"]
    for row in rows:
        lines.append(f"| {row['workers']} | {row['median_ms']:.0f} ms | {row['min_ms']:.0f} ms | ×{row['vs_one']:.2f} |")
    return "\n".join(lines)


def versions() -> dict[str, str]:
    from importlib import metadata

    found = {}
    for dist in ["lazyhook", "torch", "transformers", "numpy", "scipy", "scikit-learn", "matplotlib", "pandas",
                 "lazy_loader", "demandimport"]:
        try:
            found[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    return found


def machine_lines() -> list[str]:
    """The machine, Python and package versions, printed beside every table."""
    return [
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()} ({sys.executable}).",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in versions().items()),
    ]


def markdown(rows: list[dict], rounds: int) -> str:
    lines = [
        *machine_lines(),
        f"Medians (minimums in brackets) of fresh processes after a warm-up: {rounds} per eager import; the floor "
        f"and the lazy import interleaved in their own run of {rounds * CHEAP_ROUNDS_FACTOR} rounds ('lazy over "
        "floor' is the median of each round's difference).",
        "",
        "| case | eager wall | lazyhook wall | floor (`-c pass`) | lazy over floor, % of eager's | eager RSS | lazyhook RSS | floor RSS |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in rows:
        if "skipped" in row:
            lines.append(skipped_row(f"`{row['case']}`", row["skipped"], 8))
            continue
        e, z, f = row["eager"], row["lazyhook"], row["floor"]
        pct = row["lazy_over_floor_pct_of_eager"]
        lines.append(
            f"| `{row['case']}` | {e['wall_median_ms']:.1f} ms ({e['wall_min_ms']:.1f}) | "
            f"{z['wall_median_ms']:.1f} ms ({z['wall_min_ms']:.1f}) | "
            f"{f['wall_median_ms']:.1f} ms ({f['wall_min_ms']:.1f}) | {pct:.1f}% | {e['rss_median_mib']:.1f} MiB | "
            f"{z['rss_median_mib']:.1f} MiB | {f['rss_median_mib']:.1f} MiB |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="measured rounds per variant (default 7)")
    parser.add_argument("--only", help="run only cases whose name contains this text")
    parser.add_argument("--json", help="also write the raw results to this file")
    parser.add_argument("--write-docs", action="store_true", help="regenerate docs/performance.md")
    parser.add_argument("--suite", choices=["imports", "startup", "alternatives", "preload", "native", "fromimports",
                                            "instructions", "finder", "pytest", "all"],
                        default="all",
                        help="which group of cases to run (default all)")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    results: dict = {"python": platform.python_version(), "versions": versions()}
    if args.suite in ("startup", "all"):
        startup_rounds = max(args.rounds * 4, 20)  # sub-millisecond differences need more samples
        results["startup"] = startup_cases(startup_rounds)
        print(startup_markdown(results["startup"], startup_rounds))
        print()
    if args.suite in ("imports", "all"):
        results["imports"] = import_cases(args.rounds, args.only)
        print(markdown(results["imports"], args.rounds))
        print()
    if args.suite in ("alternatives", "all"):
        results["alternatives"] = alternatives(args.rounds, args.only)
        results["micro"] = micro(max(args.rounds * 6, 30))
        print(alternatives_markdown(results["alternatives"], results["micro"], args.rounds))
    if args.suite == "native":  # 3.15+: lazyhook beside the interpreter's own lazy imports
        startup_rounds = max(args.rounds * 4, 20)
        results["startup"] = startup_cases(startup_rounds)
        print(startup_markdown(results["startup"], startup_rounds))
        print()
        results["native"] = native_cases(args.rounds, args.only)
        print(native_markdown(results["native"], args.rounds))
    if args.suite in ("fromimports", "all"):
        results["fromimports"] = from_import_cases(args.rounds, args.only)
        results["global_read"] = global_read(args.rounds)
        print(from_import_markdown(results["fromimports"], results["global_read"], args.rounds))
        print()
    if args.suite in ("finder", "all"):
        results["finder"] = finder_cost(args.rounds)
        print(finder_markdown(results["finder"], args.rounds))
        print()
    if args.suite == "pytest":  # not part of "all": minutes of whole pytest runs
        from benchmarks.pytest_suite import pytest_cases, pytest_markdown

        results["pytest"] = pytest_cases(args.rounds)
        print(pytest_markdown(results["pytest"], args.rounds))
    if args.suite == "instructions":  # not part of "all": it needs valgrind, and minutes per case
        results["instructions"] = instruction_cases(args.only)
        print(instructions_markdown(results["instructions"]))
        print()
    if args.suite == "preload":  # not part of "all": it answers a design question, not a bar
        results["preload"] = preload_workers(args.rounds)
        print(preload_markdown(results["preload"], args.rounds))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=2)
    if args.write_docs:
        write_docs(results, args)
    return 0


NATIVE_BEGIN, NATIVE_END = "<!-- native suite: begin -->", "<!-- native suite: end -->"


def write_native_docs(results: dict, args: argparse.Namespace, path: str) -> None:
    """Replace only the 3.15 section of docs/performance.md (the rest comes from 3.11)."""
    rounds = args.rounds
    startup = {r["case"]: r for r in results["startup"]}
    install = startup["import lazyhook; lazyhook.install()"]["over_floor_ms"]
    parts = [NATIVE_BEGIN, "## Python 3.15: beside the interpreter's own lazy imports", "",
             f"Generated by `python -m benchmarks --suite native --write-docs"
             f"{f' --rounds {rounds}' if rounds != 7 else ''}` on Python {results['python']} "
             "(`bash tools/run-benchmarks 3.15` runs it in the sid root with the real packages).", "",
             "### Start-up", "", startup_markdown(results["startup"], max(rounds * 4, 20)), "",
             f"Bar on 3.15: `import lazyhook; lazyhook.install()` within 1 ms of `python -c pass`: "
             f"{install:+.2f} ms, {'met' if install <= 1.0 else 'missed'}.", "",
             "### Lazy imports", "", native_markdown(results["native"], rounds), "",
             "Bar: lazyhook's lazy import within 1% of the interpreter's own (same filter) in wall time.", ""]
    for row in results["native"]:
        if "skipped" not in row:
            pct = row["lazy_vs_native_pct"]
            parts.append(f"- `{row['case']}`: {pct:+.2f}% against the interpreter's own: "
                         f"{'met' if pct <= 1.0 else 'missed'}")
    parts += ["", "What separates lazyhook from the interpreter here is lazyhook's own import and `install()` "
              "(the start-up table; `python -X importtime -c \"import lazyhook; lazyhook.install(['numpy'])\"` "
              "shows the modules), paid once per process: against a 12-18 ms process, 1% is under 0.2 ms. "
              "The filter itself costs one call per import statement, and for each package it lets the interpreter defer, one search of the other finders (a missing package must fail at its import line; the interpreter's own lazy import does not look) and the frame reader (`lazyhook._frames`, imported with the first). Also counted in every `installed` row: on "
              "3.15 the presence of any `.pth` file makes `site` import `encodings.utf_8_sig` (BOM support), "
              "a cost every environment with a `.pth` file already pays (setuptools ships one). Run-to-run "
              "noise on this 2-CPU machine is ±1-2 ms per process here: read single rows with care.", "", NATIVE_END]
    replace_section(path, NATIVE_BEGIN, NATIVE_END, "\n".join(parts))


def replace_section(path: str, begin: str, end: str, section: str) -> None:
    """Replace the marked section of ``path`` (appended when it has none), nothing else."""
    try:
        with open(path) as fh:
            text = fh.read()
    except FileNotFoundError:
        text = ""
    if begin in text and end in text:
        text = text[:text.index(begin)] + section + text[text.index(end) + len(end):]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    with open(path, "w") as fh:
        fh.write(text)


FROM_BEGIN, FROM_END = "<!-- from-imports suite: begin -->", "<!-- from-imports suite: end -->"
# Measurements by hand that explain the generated tables (kept when the file is rewritten).
FROM_NOTES_BEGIN, FROM_NOTES_END = "<!-- from-imports notes: begin -->", "<!-- from-imports notes: end -->"


def minor_version(python: str) -> str:
    """``"3.14"`` of ``"3.14.10"``: each Python's generated sections are keyed on it."""
    return ".".join(python.split(".")[:2])


def from_import_markers(python: str) -> tuple[str, str]:
    """3.11's section keeps the unversioned markers; other Pythons get their own."""
    version = minor_version(python)
    if version == "3.11":
        return FROM_BEGIN, FROM_END
    return f"<!-- from-imports suite {version}: begin -->", f"<!-- from-imports suite {version}: end -->"


def write_from_import_docs(results: dict, args: argparse.Namespace, path: str) -> None:
    """The from-imports section of docs/performance.md, with its bars, from this run."""
    rounds = args.rounds
    begin, end = from_import_markers(results["python"])
    version = minor_version(results["python"])
    in_sid = version != "3.11"
    command = (f"bash tools/run-benchmarks {version} --suite fromimports --write-docs"
               if in_sid else "python -m benchmarks --suite fromimports --write-docs")
    parts = [begin, f"## From-imports (Python {results['python']})", "",
             f"Generated by `{command}{f' --rounds {rounds}' if rounds != 7 else ''}`"
             + (" (the sid root's venv, without torch)." if in_sid else " in the demo environment of the README."), "",
             from_import_markdown(results["fromimports"], results["global_read"], rounds), "",
             "Bars: each statement lazily within 4 ms of `python -c pass` and under 1% of its eager wall time "
             "over the floor; import-then-use within 1% of eager; the global read within 1% of eager.", ""]
    for row in results["fromimports"]:
        if "skipped" in row:
            continue
        over, pct, ratio = row["lazy_over_floor_ms"], row["lazy_over_floor_pct_of_eager"], row["use_ratio"]
        verdict = "met" if over <= 4.0 and pct <= 1.0 and ratio <= 1.01 else "missed"
        parts.append(f"- `{row['case']}`: {over:+.2f} ms over the floor ({pct:.2f}% of eager's), "
                     f"import-then-use ×{ratio:.3f} (95% interval {interval(row['use_ratio_interval'])}; "
                     f"eager against itself ×{row['same_ratio']:.3f}): {verdict}")
    ratio = results["global_read"]["ratio"]
    parts += [f"- global read after first use: ×{ratio:.3f}: {'met' if ratio <= 1.01 else 'missed'}", "", end]
    replace_section(path, begin, end, "\n".join(parts))


FINDER_BEGIN, FINDER_END = "<!-- finder suite: begin -->", "<!-- finder suite: end -->"


def write_finder_docs(results: dict, args: argparse.Namespace, path: str) -> None:
    """The finder-cost section of docs/performance.md, with its bar, from this run."""
    replace_section(path, FINDER_BEGIN, FINDER_END, finder_section(results, args))


def finder_section(results: dict, args: argparse.Namespace) -> str:
    result = results["finder"]
    verdict = "met" if result["vs_none"] <= 1.01 else "missed"
    parts = [FINDER_BEGIN, f"## The finder's cost on unhandled imports (Python {results['python']})", "",
             f"Generated by `python -m benchmarks --suite finder --write-docs"
             f"{f' --rounds {args.rounds}' if args.rounds != 7 else ''}`.", "",
             finder_markdown(result, args.rounds), "",
             "Bar: the 40-module stdlib set within 1% with lazyhook installed (`install(['torch', 'numpy'])`: "
             "every import asks the finder, and it looks for `__lazy_modules__` in the importing module).", "",
             f"- ×{result['vs_none']:.3f}: {verdict} (×{result['vs_trivial']:.3f} of a finder that does nothing, "
             "which is the interpreter's charge for any Python finder in `sys.meta_path`)", "", FINDER_END]
    return "\n".join(parts)


PYTEST_BEGIN, PYTEST_END = "<!-- pytest suite: begin -->", "<!-- pytest suite: end -->"


def write_pytest_docs(results: dict, args: argparse.Namespace, path: str) -> None:
    """The pytest-plugin section of docs/performance.md, from this run."""
    from benchmarks.pytest_suite import pytest_markdown

    parts = [PYTEST_BEGIN, f"## The pytest plugin (Python {results['python']})", "",
             f"Generated by `python -m benchmarks --suite pytest --write-docs"
             f"{f' --rounds {args.rounds}' if args.rounds != 7 else ''}` in the demo environment of the README "
             "with the `test` extra (`pip install -e '.[test]'`).", "",
             pytest_markdown(results["pytest"], args.rounds), "",
             "Reading it: collection and a run of one module no longer pay for the packages. A whole run still "
             "loads every package (some test uses each), once per process, so it is not expected to be faster: "
             "its ratio is the same work plus lazyhook's bookkeeping, measured against a run-to-run noise "
             "between whole pytest processes on this 2-CPU machine of several percent.", "", PYTEST_END]
    replace_section(path, PYTEST_BEGIN, PYTEST_END, "\n".join(parts))


def suite_markers(suite: str, version: str) -> tuple[str, str]:
    """The markers around one suite's generated section for one Python."""
    return f"<!-- {suite} suite {version}: begin -->", f"<!-- {suite} suite {version}: end -->"


STARTUP_MARKERS = {version: suite_markers("startup", version) for version in ("3.11", "3.14")}
INSTRUCTIONS_MARKERS = {version: suite_markers("instructions", version) for version in ("3.11", "3.14")}


def startup_section(results: dict, args: argparse.Namespace) -> str:
    """The start-up table of this Python and its bars."""
    version = minor_version(results["python"])
    begin, end = suite_markers("startup", version)
    rows = {r["case"]: r for r in results["startup"]}
    rounds = f" --rounds {args.rounds}" if args.rounds != 7 else ""
    parts = [begin, f"## Start-up (Python {results['python']})", "",
             f"Generated by `python -m benchmarks --suite startup --write-docs{rounds}`"
             + (" (`bash tools/run-benchmarks 3.14 --suite startup --write-docs` in the sid root)"
                if version != "3.11" else "") + ".", "",
             startup_markdown(results["startup"], max(args.rounds * 4, 20)), "",
             "Bars: `.pth` with nothing configured within 0.05 ms of `python -c pass`; `import lazyhook; "
             "lazyhook.install()` and `LAZY_IMPORTS` through the `.pth` each within 0.5 ms.", ""]
    for case, bar in ((".pth installed, nothing configured", 0.05),
                      (".pth with LAZY_IMPORTS=torch,transformers", 0.5),
                      ("import lazyhook; lazyhook.install()", 0.5)):
        over = rows[case]["over_floor_ms"]
        parts.append(f"- {case}: {over:+.2f} ms, bar {bar} ms: "
                     f"{'met' if over <= bar else f'missed by {over - bar:.2f} ms'}")
    empty = rows[REFERENCE_EMPTY_PACKAGE]["over_floor_ms"]
    pth = rows[REFERENCE_PTH]["over_floor_ms"]
    parts += ["", f"The reference rows are the floors under those bars, with no lazyhook at all: importing an "
              f"empty package from site-packages costs {empty:+.2f} ms here (finding it on `sys.path`, the first "
              f"directory listings, one module's import), and a `.pth` file whose only line is `import os` costs "
              f"{pth:+.2f} ms (`site` reads it and compiles the line"
              + ("; on 3.11 a virtual environment's site-packages is processed twice" if version == "3.11" else "")
              + "). Start-up imports one module of lazyhook's "
              "(`tests/test_startup.py`); files, presets, the deferral decision and the rest of the API load "
              "when first needed (docs/how-it-works.md). Read single rows against the run-to-run noise of whole "
              "processes on this 2-CPU machine, about ±0.3 ms.", end]
    return "\n".join(parts)


ALTERNATIVES_HEADING = "## Side by side with the alternatives"


def marked_section(text: str, begin: str, end: str) -> str:
    """The part of ``text`` from ``begin`` to ``end``, markers included; empty without them."""
    return text[text.index(begin):text.index(end) + len(end)] if begin in text and end in text else ""


def write_docs(results: dict, args: argparse.Namespace) -> None:
    """docs/performance.md, generated: tables, the bars, and the command to reproduce them."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    path = os.path.join(root, "docs", "performance.md")
    if args.suite == "startup":
        replace_section(path, *suite_markers("startup", minor_version(results["python"])),
                        startup_section(results, args))
        return
    if "native" in results:
        write_native_docs(results, args, path)
        return
    if args.suite == "fromimports":
        write_from_import_docs(results, args, path)
        return
    if args.suite == "pytest":
        write_pytest_docs(results, args, path)
        return
    if args.suite == "finder":
        write_finder_docs(results, args, path)
        return
    if args.suite == "instructions":
        replace_section(path, *suite_markers("instructions", minor_version(results["python"])),
                        instructions_section(results, args))
        return
    try:  # the 3.15 and from-import sections are generated by their own runs: keep them
        with open(path) as fh:
            text = fh.read()
    except FileNotFoundError:
        text = ""
    kept = marked_section(text, NATIVE_BEGIN, NATIVE_END)
    kept_from = marked_section(text, FROM_BEGIN, FROM_END)
    kept_from_314 = marked_section(text, *from_import_markers("3.14"))
    kept_from_notes = marked_section(text, FROM_NOTES_BEGIN, FROM_NOTES_END)
    kept_pytest = marked_section(text, PYTEST_BEGIN, PYTEST_END)
    kept_finder = marked_section(text, FINDER_BEGIN, FINDER_END)
    kept_alternatives = ""  # `--suite imports` alone keeps the alternatives section of an earlier run
    if ALTERNATIVES_HEADING in text:
        start = text.index(ALTERNATIVES_HEADING)
        stop = min([text.index(marker, start) for marker in (NATIVE_BEGIN, FROM_BEGIN, FINDER_BEGIN, PYTEST_BEGIN)
                    if marker in text[start:]] or [len(text)])
        kept_alternatives = text[start:stop].rstrip("\n")
    command = "python -m benchmarks --write-docs" + (f" --rounds {args.rounds}" if args.rounds != 7 else "")
    parts = [
        "# Performance",
        "",
        f"Generated by `{command}` (in the demo environment of the README, which has the real",
        "packages); do not edit by hand. Each number is a median over fresh processes, variants",
        "interleaved in a shuffled order each round, after a discarded warm-up round; ratios come from one run.",
        "",
    ]
    current = minor_version(results["python"])
    for version, (begin, end) in STARTUP_MARKERS.items():  # each Python's own run writes its section
        if "startup" in results and version == current:
            parts += [startup_section(results, args), ""]
        elif section := marked_section(text, begin, end):
            parts += [section, ""]
    if "imports" in results:
        parts += ["## Lazy imports of real packages", "",
                  f"Generated by `python -m benchmarks --suite {args.suite} --write-docs"
                  + (f" --rounds {args.rounds}`." if args.rounds != 7 else "`."), "",
                  markdown(results["imports"], args.rounds), "",
                  "Bar: lazy import within 1% of the eager import's wall time over the floor, and peak RSS "
                  "within 2 MiB of the floor.", ""]
        for row in results["imports"]:
            if "skipped" in row:
                continue
            pct = row["lazy_over_floor_pct_of_eager"]
            rss = row["lazy_rss_over_floor_mib"]
            verdict = "met" if pct <= 1.0 and rss <= 2.0 else "missed"
            parts.append(f"- `{row['case']}`: {pct:.2f}% of eager, RSS {rss:+.1f} MiB over the floor: {verdict}")
        missed = [r["case"] for r in results["imports"] if "skipped" not in r
                  and (r["lazy_over_floor_pct_of_eager"] > 1.0 or r["lazy_rss_over_floor_mib"] > 2.0)]
        if missed:
            parts += ["", f"Missed: {', '.join(f'`{m}`' for m in missed)}. The cause is the fixed cost of importing",
                      "and installing lazyhook (the start-up table) plus its first deferral, paid once per",
                      "process: 1% of an eager import of about 80 ms (numpy's) is 0.8 ms.", ""]
    if "alternatives" not in results and kept_alternatives:
        parts += [kept_alternatives, ""]
    if "alternatives" in results:
        parts += [ALTERNATIVES_HEADING, "",
                  "Variants: eager; lazyhook; the plain `importlib.util.LazyLoader` finder recipe "
                  "([benchmarks/alternatives/plain_lazyloader.py](../benchmarks/alternatives/plain_lazyloader.py)); "
                  "scientific-python `lazy_loader.load`; Mercurial-derived `demandimport`. The import-only "
                  "statement is run, then (in separate processes) the same import followed by real use.", "",
                  alternatives_markdown(results["alternatives"], results["micro"], args.rounds), "",
                  "The from-imports section (`--suite fromimports`) measures `from` statements as lazyhook "
                  "defers them now (PEP 810's behaviour). Bars: finder cost "
                  "on unhandled imports within 1%; attribute access after load identical (1.00); lazy "
                  "import-then-use within 1% of eager. Read the import-then-use ratios against the run-to-run "
                  "noise of whole processes on this 2-CPU machine, about ±2% (the plain recipe and lazy_loader, "
                  "which add almost nothing once loaded, land between ×0.97 and ×1.05 too); for short imports "
                  "such as numpy's the ratio also carries lazyhook's fixed start-up (the start-up section). "
                  "The in-process micro-benchmarks, which exclude process start-up, are the sharper measure.", ""]
    if kept_from and "fromimports" not in results:
        parts += [kept_from, ""]
    if kept_from_notes:
        parts += [kept_from_notes, ""]
    if kept_from_314:
        parts += [kept_from_314, ""]
    for begin, end in INSTRUCTIONS_MARKERS.values():  # each written by its own run
        if section := marked_section(text, begin, end):
            parts += [section, ""]
    if "finder" in results:
        parts += [finder_section(results, args), ""]
    elif kept_finder:
        parts += [kept_finder, ""]
    if kept_pytest:
        parts += [kept_pytest, ""]
    if kept:
        parts += [kept]
    with open(path, "w") as fh:
        fh.write("\n".join(parts) + "\n")
    if "fromimports" in results:
        write_from_import_docs(results, args, path)


if __name__ == "__main__":
    raise SystemExit(main())
