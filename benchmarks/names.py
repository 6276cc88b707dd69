"""What the first use of a lazily from-imported name costs, per name, in a module with many.

Each first use of a deferred ``from pkg import name`` runs the import the statement
stood for and puts the real object under the plain name in the importing module's
namespace, a rebuild of that namespace (docs/how-it-works.md): the cost per name grows
with the number of names the module holds.  This measures it on one module that
from-imports ``--names`` functions of one package and calls each once:

    python -m benchmarks.names [--rounds N] [--names M]

Variants, each a fresh process per round, interleaved (``benchmarks.__main__.interleaved``),
timed inside the process around the module's import and the first call of every name:

- eager: the package imported at the statements;
- lazyhook: the package configured, its core imported before the clock starts (its
  one-off import is in the from-imports section).
"""

import argparse
import os
import platform
import statistics
import sys
import tempfile

from benchmarks.__main__ import CORE_UP_FRONT, INSTALL, clean_env, interleaved, median_interval, printed_ms

TIMED = ("import sys, time\nsys.path.insert(0, {work!r})\n{setup}"
         "began = time.perf_counter()\nimport names_user\nnames_user.use()\n"
         "print((time.perf_counter() - began) * 1000)\n")
ACTIVE = INSTALL.format(names=["names_pkg"]) + CORE_UP_FRONT


def write_module(work: str, names: int) -> None:
    """``names_pkg`` defining ``names`` functions, and ``names_user`` from-importing each
    (one statement per name, as code written by hand has them) and calling each once."""
    os.makedirs(os.path.join(work, "names_pkg"))
    with open(os.path.join(work, "names_pkg", "__init__.py"), "w") as fh:
        fh.write("".join(f"def f{i}():\n    return {i}\n" for i in range(names)))
    with open(os.path.join(work, "names_user.py"), "w") as fh:
        fh.write("".join(f"from names_pkg import f{i}\n" for i in range(names)))
        fh.write("def use():\n    return " + " + ".join(f"f{i}()" for i in range(names)) + "\n")


def main(argv: "list[str] | None" = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.names", description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--names", type=int, default=300)
    args = parser.parse_args(argv)
    env = clean_env()
    with tempfile.TemporaryDirectory() as work:
        write_module(work, args.names)
        codes = {"eager": TIMED.format(work=work, setup=""),
                 "lazyhook": TIMED.format(work=work, setup=ACTIVE)}
        samples = interleaved({name: (lambda code=code: printed_ms(code, env)) for name, code in codes.items()},
                              args.rounds)
    eager = samples["eager"]
    differences = [(a - b) * 1000 / args.names for a, b in zip(samples["lazyhook"], eager)]
    low, high = median_interval(differences)
    print(f"Python {platform.python_version()}; one module from-importing {args.names} names of one package "
          f"and calling each once; {args.rounds} rounds of fresh processes, the clock around the module's "
          f"import and the calls: eager {statistics.median(eager):.2f} ms, lazyhook "
          f"{statistics.median(samples['lazyhook']):.2f} ms; lazyhook over eager per name "
          f"{statistics.median(differences):+.1f} µs ({low:+.1f} to {high:+.1f}, 95%).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
