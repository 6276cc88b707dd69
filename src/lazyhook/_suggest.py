"""``lazyhook suggest -- COMMAND...``: a policy from one real run of the program.

Two runs of the command, both in the program's own interpreter (it must have lazyhook
installed, so that its ``.pth`` can activate it):

1. eager, with ``PYTHONPROFILEIMPORTTIME=1``: what each top-level package's import cost;
2. with every third-party package lazy (``LAZYHOOK_PROFILE_ALL=1``) and a report
   directory: which of them the program actually used before it exited.

The suggestion makes lazy the packages imported but never used, costliest first, except
those ``lazyhook check`` finds unsafe and those on lazyhook's built-in never-lazy list.
"""

import os
import subprocess
import sys
import tempfile

ENV_PROFILE_ALL = "LAZYHOOK_PROFILE_ALL"


def import_costs(stderr: str) -> tuple[dict[str, float], dict[str, set[str]]]:
    """From ``-X importtime`` output: each top-level package's import time (ms: the
    cumulative time of every line where it, or a submodule of it, was imported from
    outside the package, at any depth), and for each package the top-level packages
    first imported inside its import."""
    entries = []
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        try:
            _self, cumulative, name = line[len("import time:"):].split("|", 2)
            micros = int(cumulative)
        except ValueError:
            continue  # the header line
        depth = (len(name) - len(name.lstrip())) // 2
        entries.append((depth, name.strip(), micros / 1000))
    costs: dict[str, float] = {}
    inside: dict[str, set[str]] = {}
    # importtime prints a module after its children: walk backwards to see parents first.
    stack: list[tuple[int, str]] = []
    for depth, name, ms in reversed(entries):
        while stack and stack[-1][0] >= depth:
            stack.pop()
        top = name.partition(".")[0]
        if not stack or stack[-1][1] != top:
            # Imported from outside its own package: this line's time is the package's.
            first = top not in costs
            costs[top] = costs.get(top, 0.0) + ms
            if first:
                for _d, parent in stack:
                    if parent != top:
                        inside.setdefault(parent, set()).add(top)
        stack.append((depth, top))
    return costs, inside


def run_profiles(command: list[str], cwd: str | None = None) -> tuple[tuple[dict, dict], list[dict]]:
    """Run the program eagerly (with import times) and with everything lazy (with a report).

    Raises RuntimeError, showing the program's own error, unless both runs exit 0 with the
    same output: a policy drawn from a run that failed, or that behaved differently
    lazily, would be a confident wrong answer."""
    from . import _report

    env = {k: v for k, v in os.environ.items() if not k.startswith("LAZY")}
    eager = subprocess.run(command, env={**env, "PYTHONPROFILEIMPORTTIME": "1", "LAZYHOOK_DISABLE": "1"},
                           capture_output=True, text=True, cwd=cwd)
    if eager.returncode != 0:
        raise RuntimeError(f"the program failed when run as it is (exit {eager.returncode}); fix that first, "
                           f"no policy suggested{_program_error(eager.stderr)}")
    costs = import_costs(eager.stderr)
    with tempfile.TemporaryDirectory() as reports:
        lazy = subprocess.run(command, env={**env, ENV_PROFILE_ALL: "1", "LAZYHOOK_REPORT_DIR": reports},
                              capture_output=True, text=True, cwd=cwd)
        if lazy.returncode != 0:
            raise RuntimeError(
                f"the program ran as it is but failed with every third-party package lazy (exit {lazy.returncode}); "
                f"no policy suggested. Run `lazyhook check PACKAGE` on the packages it uses{_program_error(lazy.stderr)}")
        if lazy.stdout != eager.stdout:
            raise RuntimeError(
                "the program printed something different with every third-party package lazy than as it is "
                f"(first difference: {_first_difference(eager.stdout, lazy.stdout)}); no policy suggested. If its "
                "output changes from run to run (times, random numbers), make it print the same for this run")
        docs, _notes = _report.collect([reports]) if os.listdir(reports) else ([], [])
    return costs, docs


def _program_error(stderr: str, lines: int = 15) -> str:
    """The end of the program's stderr, without import-time lines, indented under ours."""
    kept = [line for line in stderr.splitlines() if not line.startswith("import time:")][-lines:]
    return (". The program said:\n" + "\n".join("    " + line for line in kept)) if kept else ""


def _first_difference(expected: str, got: str) -> str:
    for number, (a, b) in enumerate(zip(expected.splitlines(), got.splitlines()), 1):
        if a != b:
            return f"line {number}: {a!r} as it is, {b!r} lazily"
    return f"{len(expected.splitlines())} lines as it is, {len(got.splitlines())} lazily"


def suggest(command: list[str], *, min_ms: float = 2.0, run_check: bool = True, cwd: str | None = None) -> dict:
    from . import _check, _policy

    (costs, inside), docs = run_profiles(command, cwd)
    if not docs:  # every process of a profiling run writes a report, even one that deferred nothing
        raise RuntimeError(
            "the lazy run wrote no report: is lazyhook installed in the program's interpreter "
            f"(its lazyhook.pth reads {ENV_PROFILE_ALL})? Install it there and run again")
    used = {e["module"].partition(".")[0] for doc in docs for e in doc.get("events", [])}
    imported = {n["module"].partition(".")[0] for doc in docs for n in doc.get("never_loaded", [])} | used
    unused = sorted(imported - used, key=lambda n: -costs.get(n, 0.0))
    chosen, unsafe, cheap = [], {}, []
    for name in unused:
        if name in _policy.NEVER_LAZY:
            unsafe[name] = f"built-in never-lazy list: {_policy.NEVER_LAZY[name]}"
            continue
        if costs.get(name, 0.0) < min_ms:
            cheap.append(name)
            continue
        if run_check:
            result = _check.check(name)
            if result["verdict"] != "safe":
                unsafe[name] = "; ".join(_check.UNSAFE_KINDS[k] for k in result.get("unsafe", {})) or result["verdict"]
                continue
        chosen.append(name)
    root = program_root(command, cwd)
    return {
        "command": command, "exit_code": 0, "lazy": chosen,
        "lazy_modules": lazy_modules_declarations(chosen, root, skip=imported),
        "costs_ms": {n: round(costs.get(n, 0.0), 1) for n in sorted(imported, key=lambda n: -costs.get(n, 0.0))},
        "used": sorted(used), "unsafe": unsafe, "below_threshold": cheap,
        # A used package first imported inside a chosen one is still paid for, later.
        "saved_ms": round(sum(costs.get(n, 0.0) for n in chosen)
                          - sum(costs.get(u, 0.0) for u in used if any(u in inside.get(c, ()) for c in chosen)), 1),
    }


def as_toml(result: dict) -> str:
    import shlex

    costs = result["costs_ms"]
    lines = [f"# Suggested by `lazyhook suggest -- {shlex.join(result['command'])}`.",
             "# Imported but never used in that run (eager import cost measured in the same command):"]
    lines += [f"#   {name:<24} {costs.get(name, 0.0):8.1f} ms" for name in result["lazy"]]
    lines.append(f"# Estimated start-up time saved: {result['saved_ms']:.1f} ms.")
    if result["used"]:
        lines.append("# Used by the program, so left eager: " + ", ".join(
            f"{n} ({costs.get(n, 0.0):.1f} ms)" for n in result["used"]))
    for name, why in result["unsafe"].items():
        lines.append(f"# Not suggested, unsafe to defer: {name}: {why}")
    if result["below_threshold"]:
        lines.append("# Not worth it (below the threshold): " + ", ".join(result["below_threshold"]))
    lines.append("lazy = [" + ", ".join(f'"{n}"' for n in result["lazy"]) + "]")
    return "\n".join(lines) + "\n"


def stdlib_names() -> frozenset[str]:
    return frozenset(getattr(sys, "stdlib_module_names", ()))


# --- suggest --pep810: the same effect as __lazy_modules__ declarations -------------------
_SKIPPED_DIRS = frozenset({"site-packages", "dist-packages", "node_modules", "__pycache__", "build", "dist"})
_MAX_FILES = 5000


def program_root(command: list[str], cwd: str | None = None) -> str:
    """The directory holding the program's own modules: the script's, else the working one."""
    base = cwd or os.getcwd()
    for arg in command[1:]:
        if arg == "-m":
            break
        if arg.endswith(".py"):
            return os.path.dirname(os.path.abspath(os.path.join(base, arg)))
    return os.path.abspath(base)


def module_level_targets(source: str) -> list[str]:
    """The modules a file's PEP 810-deferrable import statements name: module level (also
    inside ``if``/``with``/``for``/``while``/``match`` and a ``try``'s ``else``/``finally``),
    never in a ``try`` body or handler, a function or a class; ``from x import *`` excluded.
    For ``from X import ...`` the name is ``X`` (what ``__lazy_modules__`` lists)."""
    import ast

    targets: list[str] = []

    def visit(body) -> None:
        for node in body:
            if isinstance(node, ast.Import):
                targets.extend(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level == 0 and node.module and node.module != "__future__" and \
                        not any(alias.name == "*" for alias in node.names):
                    targets.append(node.module)
            elif isinstance(node, (ast.If, ast.For, ast.While, ast.With, ast.AsyncFor, ast.AsyncWith)):
                visit(node.body)
                visit(getattr(node, "orelse", []))
            elif isinstance(node, ast.Try) or type(node).__name__ == "TryStar":
                visit(node.orelse)
                visit(node.finalbody)
            elif type(node).__name__ == "Match":
                for case in node.cases:
                    visit(case.body)

    try:
        visit(ast.parse(source).body)
    except (SyntaxError, ValueError):
        return []
    return targets


def lazy_modules_declarations(lazy: list[str], root: str, skip: set[str] = frozenset()) -> dict[str, list[str]]:
    """For each of the program's own files under ``root`` that imports a package in
    ``lazy`` at module level: the sorted names for its ``__lazy_modules__``.  Virtual
    environments, installed packages, hidden directories and the directories of the
    packages in ``skip`` (imported packages that live beside the program) are not the
    program's own."""
    wanted = set(lazy)
    found: dict[str, list[str]] = {}
    seen = 0
    for directory, subdirs, files in os.walk(root):
        subdirs[:] = sorted(d for d in subdirs if not d.startswith(".") and d not in _SKIPPED_DIRS
                            and d not in skip and not os.path.exists(os.path.join(directory, d, "pyvenv.cfg")))
        for name in sorted(files):
            if not name.endswith(".py"):
                continue
            seen += 1
            if seen > _MAX_FILES:
                return found
            path = os.path.join(directory, name)
            try:
                with open(path, encoding="utf-8") as fh:
                    source = fh.read()
            except (OSError, UnicodeDecodeError):
                continue
            names = sorted({t for t in module_level_targets(source) if t.partition(".")[0] in wanted})
            if names:
                found[os.path.relpath(path, root)] = names
    return found


def as_pep810(result: dict) -> str:
    """The suggestion as ``__lazy_modules__`` declarations, one per module of the program."""
    lines = ["# PEP 810 declarations with the effect of the suggested policy: Python 3.15 defers these",
             "# imports without lazyhook (3.11-3.14 with lazyhook active). Put each line at the top of",
             "# the module named above it, before its imports."]
    declarations = result.get("lazy_modules", {})
    if not result["lazy"]:
        lines.append("# Nothing to declare: no package was suggested.")
    elif not declarations:
        lines.append("# None of the program's own modules imports " + ", ".join(result["lazy"]) +
                     " at module level: nothing to declare there.")
    for path, names in declarations.items():
        lines += ["", f"# {path}", "__lazy_modules__ = [" + ", ".join(f'"{n}"' for n in names) + "]"]
    return "\n".join(lines) + "\n"
