"""Demo: the same CLI run eagerly and with lazyhook, with lazyhook's load report.

    python examples/demo.py

Needs numpy, pandas, scipy, matplotlib (and optionally torch) in the running interpreter.
"""

import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
APP = os.path.join(HERE, "app.py")
ARGS = ["table", "1.5", "2", "3.5", "4"]


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, check=True)
    return time.perf_counter() - start, proc


def main() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAZY")}
    env["MPLBACKEND"] = "Agg"
    eager_cmd = [sys.executable, APP, *ARGS]
    lazy_cmd = [sys.executable, "-m", "lazyhook", "run", "--lazy", "@data,torch", APP, *ARGS]
    eager_times, lazy_times = [], []
    for _ in range(5):  # interleaved, so drift hits both alike
        seconds, eager = timed(eager_cmd, env)
        eager_times.append(seconds)
        seconds, lazy = timed(lazy_cmd, env)
        lazy_times.append(seconds)
    assert eager.stdout == lazy.stdout, "lazy and eager runs must print the same"
    print(f"$ python examples/app.py {' '.join(ARGS)}")
    print(eager.stdout.rstrip())
    print(f"\neager:    median {statistics.median(eager_times) * 1000:7.1f} ms over 5 runs")
    print(f"lazyhook: median {statistics.median(lazy_times) * 1000:7.1f} ms over 5 runs (same output)")
    print("\nlazyhook's report for the lazy run (LAZYHOOK_REPORT=summary):")
    _seconds, report = timed(lazy_cmd, {**env, "LAZYHOOK_REPORT": "summary"})
    print(report.stderr.rstrip())


if __name__ == "__main__":
    main()
