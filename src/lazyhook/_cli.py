"""The ``lazyhook`` command (also ``python -m lazyhook``).

Conventions: ``--help`` everywhere, ``--version``, exit code 2 on usage errors,
diagnostics on stderr, results on stdout; lazyhook never colours its output, so
``NO_COLOR`` always holds.
"""

import argparse
import json
import os
import sys

from . import __version__

ENV_PTH = "lazyhook-env.pth"


class CliError(Exception):
    """A refusal with a message for the user (exit code 1)."""


# --- run ------------------------------------------------------------------------------

def cmd_run(args: argparse.Namespace) -> int:
    import runpy

    from . import _policy, install_policy

    # A bad --lazy is this command line's own mistake: a usage error before anything runs.
    names, presets = _policy.parse_names(args.lazy, "--lazy") if args.lazy else ([], [])
    try:
        policy = _policy.resolve()
    except _policy.PolicyError as exc:
        # A broken policy file or variable never stops a program (as at interpreter start-up).
        message = " ".join(str(exc).split())
        print(f"lazyhook: {message} -- imports stay eager", file=sys.stderr)
    else:
        _policy.add_names(policy, names + ["@" + p for p in presets], "--lazy")
        install_policy(policy.finish())
    if args.module:
        target, argv0 = args.module, args.module
    elif args.target:
        target, argv0 = args.target, args.target
    else:
        raise _usage("run needs a script or -m MODULE")
    # Refuse what `python` itself refuses, in one line, before the program's argv is set.
    if args.module:
        from importlib.util import find_spec

        try:
            found = find_spec(target) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            raise CliError(f"No module named {target}")
    elif not os.path.isfile(target):
        raise _usage(f"can't open file {target!r}: no such file")
    sys.argv[:] = [argv0, *args.args]
    try:
        if args.module:
            runpy.run_module(target, run_name="__main__", alter_sys=True)
        else:
            sys.path.insert(0, os.path.dirname(os.path.abspath(target)))
            runpy.run_path(target, run_name="__main__")
    except SystemExit:
        raise
    except BaseException as exc:  # noqa: BLE001 - show the program's own traceback
        tb = exc.__traceback__
        # Drop lazyhook's and runpy's frames: the traceback starts in the program.
        while tb is not None and _is_ours(tb.tb_frame.f_code.co_filename):
            tb = tb.tb_next
        tb = tb or exc.__traceback__
        sys.excepthook(type(exc), exc.with_traceback(tb), tb)
        return 1
    return 0


def _is_ours(filename: str) -> bool:
    import runpy

    here = os.path.dirname(os.path.abspath(__file__))
    return filename.startswith(here) or filename == runpy.__file__ or filename.startswith("<frozen runpy")


# --- environment activation -------------------------------------------------------------

def _environment() -> tuple[str, str]:
    """(environment prefix, site-packages) of this interpreter, or a CliError."""
    import sysconfig

    if sys.prefix == sys.base_prefix:
        raise CliError(
            f"{sys.executable} is not in a virtual environment (sys.prefix is {sys.prefix}); "
            "lazyhook only activates virtual environments. Create one with `python -m venv .venv`, "
            "install lazyhook there, and run its `python -m lazyhook enable`."
        )
    site = sysconfig.get_paths()["purelib"]
    return sys.prefix, site


ENV_MODULE = "_lazyhook_env"  # the environment's policy, as data the .pth hands to activate()


def environment_files(site: str) -> dict[str, str]:
    """Every file ``enable`` writes into site-packages, by role.

    No PEP 829 ``.start`` file: on 3.15 its presence alone costs every interpreter start
    a ``pkgutil`` import (+7.9 ms, docs/performance.md); the ``.pth`` import line runs there still.
    """
    return {"module": os.path.join(site, ENV_MODULE + ".py"), "pth": os.path.join(site, ENV_PTH)}


def environment_module_source(table: dict, origin: str) -> str:
    """The generated module: the policy as a literal (no TOML at start-up) and ``start``.

    ``start`` catches everything so that an environment where lazyhook was uninstalled
    without ``disable`` still starts, with one warning line that names what to delete.
    """
    return (
        '"""Written by `lazyhook enable`; `lazyhook disable` removes it with '
        f'{ENV_PTH}."""\n\n'
        f"POLICY = {table!r}\n"
        f"ORIGIN = {origin!r}\n"
        "_started = False\n\n\n"
        f"def start(via={ENV_PTH!r}):\n"
        "    global _started\n"
        "    if _started:  # site reads a venv's .pth files twice on some versions\n"
        "        return\n"
        "    _started = True\n"
        "    try:\n"
        "        import lazyhook\n"
        "    except Exception as exc:\n"
        "        import os, sys\n"
        "        here = os.path.dirname(os.path.abspath(__file__))\n"
        "        sys.stderr.write(f'lazyhook: environment activation failed: {exc!r} -- imports stay eager; '\n"
        f"                         f'run `lazyhook disable` or delete {ENV_PTH} and {ENV_MODULE}.py '\n"
        "                         f'in {here}\\n')\n"
        "    else:\n"
        "        lazyhook._activate(POLICY, ORIGIN, via)\n"
    )


def _read_environment_policy(path: str) -> tuple[dict, str] | None:
    """The policy embedded by ``enable`` in the generated module (None when not enabled)."""
    import ast

    try:
        with open(path, encoding="utf-8") as fh:
            tree = ast.parse(fh.read())
    except FileNotFoundError:
        return None
    values = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            values[node.targets[0].id] = ast.literal_eval(node.value)
    if isinstance(values.get("POLICY"), dict) and isinstance(values.get("ORIGIN"), str):
        return values["POLICY"], values["ORIGIN"]
    return None


def _write_atomically(path: str, text: str) -> None:
    from ._files import write_atomically

    try:
        write_atomically(path, text)
    except OSError as exc:
        raise CliError(f"cannot write {path}: {exc.strerror}; nothing was changed") from None


def cmd_enable(args: argparse.Namespace) -> int:
    from . import _policy

    prefix, site = _environment()
    table: dict = {}
    origin = "lazyhook enable"
    if args.policy:
        path = os.path.abspath(args.policy)
        from ._policyfile import _parse_file

        table = _parse_file(path, "LAZYHOOK_POLICY") or {}
        origin = path
    if args.lazy:
        names, presets = _policy.parse_names(args.lazy, "--lazy")
        table = dict(table)
        table["lazy"] = list(table.get("lazy", [])) + names + ["@" + p for p in presets]
    if args.never_lazy:
        bad = [n for n in args.never_lazy.split(",") if not _policy.is_module_name(n.strip())]
        if bad:
            raise _usage(f"--never-lazy: {', '.join(map(repr, bad))} are not module names")
        table["never-lazy"] = list(table.get("never-lazy", [])) + [n.strip() for n in args.never_lazy.split(",")]
    if not table.get("lazy") and not table.get("presets"):
        raise _usage("enable needs --lazy NAMES or --policy FILE naming at least one lazy package")
    if not os.access(site, os.W_OK):
        raise CliError(f"cannot write to {site} (read-only site-packages); nothing was changed")
    files = environment_files(site)
    # The module first: the .pth file names it, and an interpreter may start while this runs.
    _write_atomically(files["module"], environment_module_source(table, origin))
    _write_atomically(files["pth"], f"import {ENV_MODULE}; {ENV_MODULE}.start({ENV_PTH!r})\n")
    print(f"lazyhook enabled for {prefix}")
    for path in files.values():
        print(f"  wrote {path}")
    print("  `python -m lazyhook status` shows what is lazy; `python -m lazyhook disable` undoes this")
    return 0


def cmd_disable(args: argparse.Namespace) -> int:
    prefix, site = _environment()
    # The .pth file first: without it nothing imports the module.
    present = [path for role, path in sorted(environment_files(site).items(), key=lambda kv: kv[0] == "module")
               if os.path.exists(path)]
    if not present:
        print(f"lazyhook was not enabled for {prefix}; nothing to do")
        return 0
    for path in present:
        try:
            os.unlink(path)
        except OSError as exc:
            raise CliError(f"cannot remove {path}: {exc.strerror}") from None
    print(f"lazyhook disabled for {prefix}")
    for path in present:
        print(f"  removed {path}")
    return 0


def status_data() -> dict:
    from . import _policy

    data: dict = {"version": __version__, "python": sys.version.split()[0], "executable": sys.executable}
    env_policy = None
    try:
        prefix, site = _environment()
        files = environment_files(site)
        found = _read_environment_policy(files["module"])
        data["environment"] = {"prefix": prefix, "enabled": found is not None,
                               "pth": files["pth"] if found else None,
                               "files": sorted(files.values()) if found else []}
        if found:
            env_policy = found
    except CliError as exc:
        data["environment"] = {"prefix": sys.prefix, "enabled": False, "note": str(exc)}
    # What this very interpreter's start-up did: the file that activated lazyhook, if any.
    data["activated_by"] = sys.modules["lazyhook"]._state.activated_by or None
    data["variables"] = {k: os.environ[k] for k in (
        _policy.ENV_NAMES, _policy.ENV_POLICY, _policy.ENV_DISABLE, _policy.ENV_REPORT) if k in os.environ}
    try:
        policy = _policy.resolve(environment_policy=env_policy[0] if env_policy else None,
                                 environment_origin=env_policy[1] if env_policy else "").finish()
    except _policy.PolicyError as exc:
        data["error"] = str(exc)
        return data
    data["kill_switch"] = policy.disabled_by or None
    # What interpreter start-up reads (the trust rule: not the current directory's files).
    startup = _policy.resolve(environment_policy=env_policy[0] if env_policy else None,
                              environment_origin=env_policy[1] if env_policy else "", project_files=False).finish()
    data["startup_in_effect"] = ({"kind": startup.file_in_effect[0], "path": startup.file_in_effect[1]}
                                 if startup.file_in_effect else None)
    data["plain_python"] = _plain_python(data, startup)
    data["sources_found"] = [{"kind": k, "path": p} for k, p in policy.sources_found]
    data["in_effect"] = {"kind": policy.file_in_effect[0], "path": policy.file_in_effect[1]} if policy.file_in_effect else None
    data["lazy"] = dict(sorted(policy.lazy.items()))
    data["not_installed"] = _not_installed_with_hints(list(data["lazy"]))
    data["eager_although_configured"] = dict(sorted(policy.excluded.items()))
    data["never_lazy"] = policy.never_lazy_names()
    data["report"] = policy.report
    return data


def _plain_python(data: dict, policy) -> dict:
    """What a plain ``python`` started here does, and why: only a lazyhook variable or an
    enabled environment activates lazyhook at start-up (``lazyhook.pth``); a policy file
    alone is read by ``install()``, ``lazyhook run`` and the pytest and IPython ways in."""
    from ._policy import ENV_DISABLE, ENV_NAMES, ENV_POLICY

    variables = [name for name in (ENV_NAMES, ENV_POLICY, "LAZYHOOK_PROFILE_ALL", ENV_DISABLE)
                 if os.environ.get(name)]
    enabled = bool(data["environment"].get("enabled"))
    if not variables and not enabled:
        return {"lazy": [], "why": "nothing activates lazyhook at start-up: no LAZY_IMPORTS, LAZYHOOK_POLICY or "
                                   "LAZYHOOK_PROFILE_ALL is set and `lazyhook enable` was not run for this "
                                   "environment; the policy above applies to install(), `lazyhook run`, "
                                   "`pytest --lazy-imports` and `%load_ext lazyhook`"}
    by = f"{', '.join(variables)} set" if variables else "`lazyhook enable`"
    if not enabled and not _pth_installed():
        return {"lazy": [], "why": f"{by}, but no lazyhook.pth is in this interpreter's site-packages (a source "
                                   "checkout on PYTHONPATH?): nothing activates lazyhook at start-up"}
    if policy.disabled_by:
        return {"lazy": [], "why": f"activated at start-up ({by}), and the kill switch makes every import eager"}
    lazy = sorted(policy.lazy)
    why = f"activated at start-up through lazyhook.pth ({by})"
    return {"lazy": lazy, "why": why if lazy else why + ", but no package is configured lazy"}


def _pth_installed() -> bool:
    import site

    directories = [*site.getsitepackages(), site.getusersitepackages()]
    return any(os.path.isfile(os.path.join(directory, "lazyhook.pth")) for directory in directories)


def _not_installed_with_hints(names: list[str]) -> dict[str, str]:
    """Configured names this interpreter cannot import, each with the closest name it can."""
    from difflib import get_close_matches

    from ._report import not_installed

    missing = not_installed(names)
    if not missing:
        return {}
    import pkgutil

    known = {module.name for module in pkgutil.iter_modules()} | set(sys.builtin_module_names)
    hints = {}
    for name in missing:
        close = get_close_matches(name, sorted(known), n=1)
        hints[name] = f"did you mean {close[0]!r}?" if close else ""
    return hints


def cmd_status(args: argparse.Namespace) -> int:
    data = status_data()
    if args.json:
        print(json.dumps(data, indent=2))
        return 1 if "error" in data else 0
    env = data["environment"]
    print(f"lazyhook {data['version']} on Python {data['python']} ({data['executable']})")
    if env.get("enabled"):
        print(f"environment: enabled for {env['prefix']} ({env['pth']})")
    else:
        print(f"environment: not enabled for {env['prefix']}" + (" (not a virtual environment)" if env.get("note") else ""))
    if data["activated_by"]:
        print(f"this interpreter was activated at start-up by {data['activated_by']}")
    for key, value in data["variables"].items():
        print(f"variable: {key}={value}")
    if "error" in data:
        print(f"policy error: {data['error']}", file=sys.stderr)
        return 1
    if data["kill_switch"]:
        print(f"kill switch: ON ({data['kill_switch']}): every import is eager")
    print("policy sources found:" if data["sources_found"] else "policy sources found: none")
    for src in data["sources_found"]:
        at_startup = data["startup_in_effect"] == src
        if data["in_effect"] == src:
            mark = "  <- in effect" if at_startup else "  <- in effect for install(), lazyhook run, pytest, IPython"
        else:
            mark = "  <- in effect at interpreter start-up" if at_startup else ""
        print(f"  {src['kind']:<16} {src['path']}{mark}")
    print("lazy packages:" if data["lazy"] else "lazy packages: none")
    for name, why in data["lazy"].items():
        if name in data["not_installed"]:
            hint = data["not_installed"][name]
            why += f" -- NOT INSTALLED in this interpreter{'; ' + hint if hint else ''}"
        print(f"  {name:<16} {why}")
    if data["eager_although_configured"]:
        print("eager although configured:")
        for name, why in data["eager_although_configured"].items():
            print(f"  {name:<16} {why}")
    if data["never_lazy"]:
        print("never lazy: " + ", ".join(data["never_lazy"]))
    print(f"report at exit: {data['report']}")
    plain = data["plain_python"]
    what = f"lazy for {', '.join(plain['lazy'])}" if plain["lazy"] else "every import eager"
    print(f"a plain `python` started here: {what} ({plain['why']})")
    return 0


# --- report -----------------------------------------------------------------------------

def cmd_report(args: argparse.Namespace) -> int:
    from . import _report

    try:
        reports, notes = _report.collect(args.paths)
    except _report.ReportError as exc:
        raise CliError(str(exc)) from None
    for note in notes:
        print(f"lazyhook report: {note}", file=sys.stderr)
    if not reports:
        raise CliError("no lazyhook reports found in " + ", ".join(args.paths))
    text = _report.render(reports, args.format)
    if args.output:
        _write_atomically(args.output, text + "\n")
        print(f"wrote {args.output} ({len(reports)} process report(s))", file=sys.stderr)
    else:
        print(text)
    return 0


# --- check and suggest ----------------------------------------------------------------------

def cmd_check(args: argparse.Namespace) -> int:
    from . import _check

    results = []
    for target in args.packages:
        if not all(part.isidentifier() for part in target.split(".")):
            raise _usage(f"{target!r} is not a module name")
        result = _check.check(target)
        results.append(result)
        if not args.json:
            print(_check.render(result))
    if args.json:
        print(json.dumps(results, indent=2))
    codes = {r["code"] for r in results}
    return _check.CANNOT_IMPORT if _check.CANNOT_IMPORT in codes else max(codes)


def cmd_suggest(args: argparse.Namespace) -> int:
    from . import _suggest

    command = args.command_line
    if command[:1] == ["--"]:
        command = command[1:]
    if not command:
        raise _usage("give the program to run after --, e.g. lazyhook suggest -- python app.py")
    print(f"lazyhook suggest: running {' '.join(command)} twice (eager, then everything lazy)...", file=sys.stderr)
    try:
        result = _suggest.suggest(command, min_ms=args.min_ms, run_check=not args.no_check)
    except (OSError, RuntimeError) as exc:
        raise CliError(str(exc)) from None
    if args.json:
        text = json.dumps(result, indent=2)
    else:
        text = _suggest.as_pep810(result) if args.pep810 else _suggest.as_toml(result)
    if args.output:
        _write_atomically(args.output, text if text.endswith("\n") else text + "\n")
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        print(text, end="" if text.endswith("\n") else "\n")
    return 0


# --- parser -----------------------------------------------------------------------------

class _UsageError(Exception):
    pass


def _usage(message: str) -> _UsageError:
    return _UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lazyhook", description="Make ordinary imports of heavy packages lazy, with no code change.")
    parser.add_argument("--version", action="version", version=f"lazyhook {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    run = sub.add_parser("run", help="run a script or module with lazyhook on",
                         description="Run a program with lazyhook on: its exit code, argv, __main__ and tracebacks are its own.")
    run.add_argument("--lazy", metavar="NAMES", help="extra lazy packages or @presets, comma-separated")
    run.add_argument("-m", dest="module", metavar="MODULE", help="run a library module as a script")
    run.add_argument("target", nargs="?", help="the script to run")
    run.add_argument("args", nargs=argparse.REMAINDER, help="arguments for the program")
    run.set_defaults(func=cmd_run)
    enable = sub.add_parser("enable", help="turn lazyhook on for every start of this virtual environment",
                            description="Write lazyhook-env.pth into this virtual environment's site-packages so every "
                                        "interpreter start uses the given policy.")
    enable.add_argument("--lazy", metavar="NAMES", help="lazy packages or @presets, comma-separated")
    enable.add_argument("--policy", metavar="FILE", help="a lazyhook TOML policy file to embed")
    enable.add_argument("--never-lazy", metavar="NAMES", help="packages or subtrees to keep eager, comma-separated")
    enable.set_defaults(func=cmd_enable)
    disable = sub.add_parser("disable", help="turn whole-environment activation off again",
                             description="Remove lazyhook-env.pth; nothing of lazyhook's activation is left behind.")
    disable.set_defaults(func=cmd_disable)
    status = sub.add_parser("status", help="say what is in effect and where each setting came from",
                            description="Whether lazyhook is on, which policy sources exist, which is in effect, "
                                        "and which packages are lazy and why.")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.set_defaults(func=cmd_status)
    rep = sub.add_parser("report", help="merge load reports from one or many processes",
                         description="Read report files (JSON or JSON Lines) and directories of them, merge them, "
                                     "and print or write a table, JSON, a Chrome/Perfetto trace or an HTML waterfall.")
    rep.add_argument("paths", nargs="+", metavar="DIR_OR_FILE", help="report files or directories of them")
    rep.add_argument("--format", choices=["table", "json", "trace", "html"], default="table",
                     help="output format (default table)")
    rep.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    rep.set_defaults(func=cmd_report)
    chk = sub.add_parser("check", help="find import-time side effects that make laziness unsafe",
                         description="Import each package eagerly and lazily in fresh processes and report what its "
                                     "import does that laziness would delay. Exit code: 0 safe, 1 unsafe, "
                                     "3 could not import.")
    chk.add_argument("packages", nargs="+", metavar="PACKAGE")
    chk.add_argument("--json", action="store_true", help="machine-readable output")
    chk.set_defaults(func=cmd_check)
    sug = sub.add_parser("suggest", help="suggest a policy from a real run of your program",
                         description="Run COMMAND (a Python program whose interpreter has lazyhook installed) once "
                                     "eagerly and once with everything lazy, and print a policy that makes lazy the "
                                     "packages it imported but never used, with the start-up time saved.")
    sug.add_argument("--min-ms", type=float, default=2.0, help="ignore packages cheaper than this (default 2 ms)")
    sug.add_argument("--no-check", action="store_true", help="do not run `lazyhook check` on the candidates")
    sug.add_argument("--json", action="store_true", help="print the analysis as JSON instead of a policy")
    sug.add_argument("--pep810", action="store_true",
                     help="print __lazy_modules__ declarations for the program's own modules instead of a policy "
                          "(the same effect on Python 3.15 without lazyhook)")
    sug.add_argument("-o", "--output", metavar="FILE", help="write the policy to FILE")
    sug.add_argument("command_line", nargs=argparse.REMAINDER, metavar="-- COMMAND...")
    sug.set_defaults(func=cmd_suggest)
    parser.set_defaults(subparsers=sub.choices)  # so a subcommand reports its own usage errors
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else argv
    # `run` passes everything after the script or -m MODULE to the program untouched.
    if argv[:1] == ["run"]:
        args = _parse_run(parser, argv[1:])
    else:
        args, unknown = parser.parse_known_args(argv)
        if unknown:  # `status --jsn`: the subcommand's usage, not the top-level one
            (args.subparsers.get(args.command) or parser).error(f"unrecognized arguments: {' '.join(unknown)}")
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    from ._policy import PolicyError

    try:
        code = args.func(args)
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        # `lazyhook status --json | head -1`: the reader went away; nothing to say.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except _UsageError as exc:
        parser.exit(2, f"lazyhook {args.command}: error: {exc}\n")
    except (CliError, PolicyError) as exc:
        print(f"lazyhook {args.command}: {exc}", file=sys.stderr)
        return 1


def _parse_run(parser: argparse.ArgumentParser, rest: list[str]) -> argparse.Namespace:
    args = argparse.Namespace(command="run", func=cmd_run, lazy=None, module=None, target=None, args=[])
    i = 0
    while i < len(rest):
        word = rest[i]
        if word in ("-h", "--help"):
            parser.parse_args(["run", "--help"])
        elif word == "--lazy" or word.startswith("--lazy="):
            if "=" in word:
                args.lazy = word.split("=", 1)[1]
            elif i + 1 < len(rest):
                i += 1
                args.lazy = rest[i]
            else:
                parser.exit(2, "lazyhook run: error: --lazy needs NAMES\n")
        elif word == "-m":
            if i + 1 >= len(rest):
                parser.exit(2, "lazyhook run: error: -m needs a MODULE\n")
            args.module, args.args = rest[i + 1], rest[i + 2:]
            return args
        elif word.startswith("-") and word != "-":
            parser.exit(2, f"lazyhook run: error: unknown option {word!r}; see `lazyhook run --help`\n")
        else:
            args.target, args.args = word, rest[i + 1:]
            return args
        i += 1
    parser.exit(2, "lazyhook run: error: give a script or -m MODULE; see `lazyhook run --help`\n")
