"""What a module listed in ``__lazy_modules__`` and used at once costs, per module.

Libraries list modules for 3.15 now (filelock 4.2 lists its own and the stdlib's), and
while lazyhook is active 3.11-3.14 honour the listing as 3.15 does: each listed import
becomes a deferral, a placeholder and a load, where eager import ran one import.  This
measures that charge on many small modules, each used right after its statement (the
case where deferring saves nothing):

    python -m benchmarks.listed [--rounds N] [--drivers D] [--per-driver M]

Variants, each a fresh process per round, interleaved (``benchmarks.__main__.interleaved``),
timed inside the process around one ``import`` of all the drivers:

- plain: the drivers without ``__lazy_modules__``;
- listed: the same drivers, listing what they import (3.11-3.14: eager, as plain; 3.15:
  the interpreter defers);
- listed, lazyhook active: ``install()`` of a package never imported, with lazyhook's core
  imported before the clock starts (its one-off import is in the from-imports section).
"""

import argparse
import os
import platform
import statistics
import sys
import tempfile

from benchmarks.__main__ import ANOTHER_PACKAGE, CORE_UP_FRONT, INSTALL, clean_env, interleaved, median_interval, \
    printed_ms

TIMED = ("import sys, time\nsys.path.insert(0, {work!r})\n{setup}"
         "began = time.perf_counter()\nimport {top}\nprint((time.perf_counter() - began) * 1000)\n")
ACTIVE = INSTALL.format(names=[ANOTHER_PACKAGE]) + CORE_UP_FRONT


def write_drivers(work: str, drivers: int, per_driver: int) -> None:
    """``drivers`` modules importing ``per_driver`` small modules each and using them, twice:
    ``plain_top`` imports the drivers without a listing, ``listed_top`` with one."""
    for index in range(drivers * per_driver):
        with open(os.path.join(work, f"leaf{index}.py"), "w") as fh:
            fh.write(f"VALUE = {index}\n")
    for kind in ("plain", "listed"):
        for driver in range(drivers):
            names = [f"leaf{driver * per_driver + i}" for i in range(per_driver)]
            listing = f"__lazy_modules__ = {names!r}\n" if kind == "listed" else ""
            body = "".join(f"import {name}\n" for name in names) + "total = " + " + ".join(f"{n}.VALUE" for n in names)
            with open(os.path.join(work, f"{kind}_driver{driver}.py"), "w") as fh:
                fh.write(listing + body + "\n")
        with open(os.path.join(work, f"{kind}_top.py"), "w") as fh:
            fh.write("".join(f"import {kind}_driver{d}\n" for d in range(drivers)))


def main(argv: "list[str] | None" = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.listed", description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--drivers", type=int, default=20)
    parser.add_argument("--per-driver", type=int, default=10)
    args = parser.parse_args(argv)
    modules = args.drivers * args.per_driver
    env = clean_env()
    with tempfile.TemporaryDirectory() as work:
        write_drivers(work, args.drivers, args.per_driver)
        codes = {"plain": TIMED.format(work=work, setup="", top="plain_top"),
                 "listed": TIMED.format(work=work, setup="", top="listed_top"),
                 "listed, lazyhook active": TIMED.format(work=work, setup=ACTIVE, top="listed_top")}
        samples = interleaved({name: (lambda code=code: printed_ms(code, env)) for name, code in codes.items()},
                              args.rounds)
    plain = samples["plain"]
    print(f"Python {platform.python_version()}; {modules} modules in {args.drivers} drivers, each used right "
          f"after its import; {args.rounds} rounds of fresh processes; microseconds per module (medians), "
          "and the per-round difference from plain with its 95% interval.")
    print()
    print("| variant | per module | over plain, per module |")
    print("| --- | ---: | ---: |")
    for name, values in samples.items():
        per_module = statistics.median(values) * 1000 / modules
        if name == "plain":
            print(f"| {name} | {per_module:.1f} µs | |")
            continue
        differences = [(a - b) * 1000 / modules for a, b in zip(values, plain)]
        low, high = median_interval(differences)
        print(f"| {name} | {per_module:.1f} µs | {statistics.median(differences):+.1f} µs "
              f"({low:+.1f} to {high:+.1f}) |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
