"""Start-up of two lazyhook builds side by side, in one run: ``python -m benchmarks.startup_ab
OLD.whl NEW.whl [--rounds N]`` (wheels from ``pip wheel --no-deps -w DIR <checkout>``).

The before/after of a start-up change, measured as the suite measures (fresh processes,
a shuffled order each round, paired per-round differences to ``python -c pass``).
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import venv

from benchmarks.__main__ import clean_env, interleaved


def venv_with(work: str, name: str, wheel: str | None) -> str:
    path = os.path.join(work, name)
    venv.EnvBuilder(with_pip=False).create(path)
    python = os.path.join(path, "bin", "python")
    if wheel:
        site = subprocess.check_output([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                       text=True).strip()
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", site, wheel], check=True)
    return python


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.startup_ab", description=__doc__.splitlines()[0])
    parser.add_argument("old")
    parser.add_argument("new")
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as work:
        pythons = {"floor": venv_with(work, "bare", None), "old": venv_with(work, "old", args.old),
                   "new": venv_with(work, "new", args.new)}
        env = clean_env()
        cases = {"python -c pass": ("floor", "pass", {})}
        for build in ("old", "new"):
            cases[f"{build}: .pth, nothing configured"] = (build, "pass", {})
            cases[f"{build}: .pth with LAZY_IMPORTS=torch,transformers"] = (build, "pass",
                                                                            {"LAZY_IMPORTS": "torch,transformers"})
            cases[f"{build}: import lazyhook; lazyhook.install()"] = (build, "import lazyhook; lazyhook.install()", {})

        def wall(build: str, code: str, extra: dict) -> float:
            start = time.perf_counter()
            subprocess.run([pythons[build], "-c", code], env={**env, **extra}, cwd=work, check=True)
            return time.perf_counter() - start

        samples = interleaved({name: (lambda c=case: wall(*c)) for name, case in cases.items()}, args.rounds)
    floor = samples["python -c pass"]
    print(f"Python {sys.version.split()[0]}; {args.rounds} rounds; over = median of per-round differences")
    print("| case | median | over `python -c pass` |\n| --- | ---: | ---: |")
    for name, values in samples.items():
        over = statistics.median(v - f for v, f in zip(values, floor)) * 1000
        print(f"| {name} | {statistics.median(values) * 1000:.2f} ms | {over:+.2f} ms |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
