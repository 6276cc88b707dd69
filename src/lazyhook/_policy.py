"""Which packages are lazy, and why: environment variables, policy files, presets.

Everything the user can write ends up here as a ``Policy``; the finder is only ever
handed plain names.  Start-up cost matters: reading, validating and caching policy files
lives in ``_policyfile``, imported only when a file is there to read, and ``tomllib``
(~4 ms) only when that file changed since it was last parsed.
"""

import os

# The variables' names, the project files, the built-in never-lazy list, lazyhook's own
# dependencies and the Policy class live in the start-up module: applying them is all a
# plain ``LAZY_IMPORTS`` needs.
from . import (  # noqa: F401 - re-exported
    _ENV_DISABLE as ENV_DISABLE, _ENV_NAMES as ENV_NAMES, _ENV_POLICY as ENV_POLICY, _ENV_REPORT as ENV_REPORT,
    _ENV_REPORT_DIR as ENV_REPORT_DIR, _ENV_REPORT_FILE as ENV_REPORT_FILE, _NEVER_LAZY as NEVER_LAZY,
    _OWN_DEPENDENCIES as OWN_DEPENDENCIES, _PROJECT_FILES as PROJECT_FILES, Policy,
)

PRESETS: dict[str, tuple[str, ...]] = {
    "ml": ("torch", "torchvision", "transformers", "timm", "tensorflow", "sklearn", "ultralytics"),
    # seaborn is not in it: its import registers colormaps with matplotlib (NEVER_LAZY).
    "data": ("numpy", "pandas", "matplotlib", "scipy"),
    "image": ("PIL", "cv2"),
    "utils": ("safetensors", "einops", "sqlalchemy"),
}

REPORT_VALUES = ("none", "summary", "json", "trace", "html")

KEYS = {
    "lazy": "list of top-level package names (or @preset) to import lazily",
    "presets": f"list of preset names: {', '.join(PRESETS)}",
    "never-lazy": "list of packages or subtrees (e.g. torch.distributed) always imported eagerly",
    "force-lazy": "list of packages to keep lazy although lazyhook's built-in list makes them eager",
    "report": f"one of {', '.join(repr(v) for v in REPORT_VALUES)}: what to produce about loads at exit",
    "report-file": "path the json/trace/html report is written to at exit",
    "report-dir": "directory where every process writes its own report file at exit",
    "priorities": "table of package = integer: preload order, higher first (e.g. priorities = {torch = 10})",
}
_FILE_KINDS = ("LAZYHOOK_POLICY", *PROJECT_FILES, "environment")


class PolicyError(ValueError):
    """Bad policy input; the message names where it came from and how to fix it."""


def is_module_name(name: str) -> bool:
    return bool(name) and all(part.isidentifier() for part in name.split("."))


def _suggest(word: str, options) -> str:
    from difflib import get_close_matches

    close = get_close_matches(word, list(options), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def parse_names(text: str, where: str, example: str | None = None) -> tuple[list[str], list[str]]:
    """``torch, transformers @data`` -> (names, preset names).  Raises PolicyError whose
    message shows ``example`` (default ``{where}=torch,@data``) as the fix."""
    problems = []
    names: list[str] = []
    presets: list[str] = []
    items = [item.strip() for item in text.replace(";", ",").split(",")]
    if len(items) == 1 and not items[0]:
        return names, presets
    for index, item in enumerate(items, 1):
        for word in item.split():  # an empty item (a trailing comma) names nothing
            if word.startswith("@"):
                if word[1:] in PRESETS:
                    presets.append(word[1:])
                else:
                    problems.append(f"unknown preset {word!r}{_suggest(word[1:], PRESETS)}")
            elif not is_module_name(word):
                problems.append(f"{word!r} is not a module name")
            elif "." in word:
                problems.append(f"{word!r} is a submodule; name its top-level package {word.split('.')[0]!r}")
            else:
                names.append(word)
    if problems:
        raise PolicyError(
            f"{where}={text!r}: {'; '.join(problems)}. Use comma-separated top-level package "
            f"names or @presets ({', '.join('@' + p for p in PRESETS)}), e.g. {example or where + '=torch,@data'}"
        )
    return names, presets


def add_names(resolved: Policy, names, why: str) -> None:
    """Names or ``@preset`` given to ``install()`` or ``--lazy``; anything else is a PolicyError."""
    for name in names:
        if isinstance(name, str) and name.startswith("@") and name[1:] in PRESETS:
            resolved.add(PRESETS[name[1:]], f"preset {name} ({why})")
        elif not isinstance(name, str) or not is_module_name(name):
            raise PolicyError(f"{why}: {name!r} is not a module name; use top-level package names such as "
                              f"'torch' or a preset such as '@ml'")
        elif "." in name:
            raise PolicyError(f"{why}: {name!r} is a submodule; list its top-level package "
                              f"{name.partition('.')[0]!r} (submodules of a lazy package are lazy too)")
        else:
            resolved.add([name], why)


def add_never_lazy(resolved: Policy, names) -> None:
    """``install(never_lazy=...)``: packages or subtrees kept eager."""
    for name in names:
        if not isinstance(name, str) or not is_module_name(name):
            raise PolicyError(
                f"never_lazy: {name!r} is not a module name; use dotted Python identifiers such as 'torch.distributed'")
        resolved.never_lazy[name] = "never_lazy passed to install()"


def truthy(name: str, environ) -> bool:
    value = environ.get(name, "").strip().lower()
    if value in ("", "0", "false", "no", "off"):
        return False
    if value in ("1", "true", "yes", "on"):
        return True
    raise PolicyError(f"{name}={environ.get(name)!r}: expected 1/true/yes/on or 0/false/no/off")


def apply_table(policy: Policy, table: dict, origin: str) -> None:
    for item in table.get("lazy", ()):
        if item.startswith("@"):
            policy.add(PRESETS[item[1:]], f"preset @{item[1:]} ({origin})")
        else:
            policy.add([item], f"listed in {origin}")
    for preset in table.get("presets", ()):
        preset = preset.lstrip("@")
        policy.add(PRESETS[preset], f"preset @{preset} ({origin})")
    for name in table.get("never-lazy", ()):
        policy.never_lazy.setdefault(name, f"never-lazy in {origin}")
    policy.force_lazy.update(table.get("force-lazy", ()))
    if "report" in table:
        policy.report = table["report"]
    if "report-file" in table:
        policy.report_file = table["report-file"]
    if "report-dir" in table:
        policy.report_dir = table["report-dir"]
    policy.priorities.update(table.get("priorities", {}))


def find_policy_file(environ, cwd: str, project_files: bool = True
                     ) -> tuple[list[tuple[str, str]], tuple[str, str, dict] | None]:
    """Every policy file present, and the one in effect (the first in precedence order).
    ``project_files=False`` (interpreter start-up) looks only at ``LAZYHOOK_POLICY``."""
    found: list[tuple[str, str]] = []
    chosen = None
    explicit = environ.get(ENV_POLICY)
    if explicit:
        from ._policyfile import read_table

        found.append(("LAZYHOOK_POLICY", explicit))
        chosen = ("LAZYHOOK_POLICY", explicit, read_table(explicit, "LAZYHOOK_POLICY"))
    if not project_files:
        return found, chosen
    local_name, project_name = PROJECT_FILES  # each file's kind is its name
    local = os.path.join(cwd, local_name)
    project = os.path.join(cwd, project_name)
    if not os.path.isfile(local) and not os.path.isfile(project):
        return found, chosen  # the common case: no file here, nothing more to import
    from ._policyfile import read_table

    if os.path.isfile(local):
        found.append((local_name, local))
        if chosen is None:
            chosen = (local_name, local, read_table(local, local_name))
    if os.path.isfile(project):
        table = read_table(project, project_name) if chosen is None else None
        if table is not None or chosen is not None:
            found.append((project_name, project))
        if chosen is None and table is not None:
            chosen = (project_name, project, table)
    return found, chosen


def resolve(environ=None, cwd: str | None = None, environment_policy: dict | None = None,
            environment_origin: str = "", files: bool = True, project_files: bool = True) -> Policy:
    """The policy in effect.  Precedence (first wins for files; names add up):

    1. ``LAZYHOOK_DISABLE`` set true: nothing is lazy.
    2. One policy file: ``$LAZYHOOK_POLICY``, else ``./lazyhook.toml``, else
       ``[tool.lazyhook]`` in ``./pyproject.toml``, else the environment's policy
       written by ``lazyhook enable``.
    3. ``LAZY_IMPORTS`` names and presets are added to that file's.
    4. Names passed to ``install()`` are added last.

    ``files=False`` ignores every file and variable but the kill switch.  The trust rule
    (docs/configuration.md): ``project_files=False``, at interpreter start-up, skips the
    files found in the current directory (an interpreter started there, ``pip`` or
    another project's tool, was not necessarily started for that project), and a
    project file's ``report-file``/``report-dir`` must lie inside its own directory.
    """
    environ = os.environ if environ is None else environ
    policy = Policy()
    if truthy(ENV_DISABLE, environ):
        policy.enabled = False
        policy.disabled_by = f"{ENV_DISABLE}={environ.get(ENV_DISABLE)}"
    if not files:
        return policy
    found, chosen = find_policy_file(environ, os.getcwd() if cwd is None else cwd, project_files)
    if environment_policy is not None:
        found.append(("environment", environment_origin))
        if chosen is None:
            chosen = ("environment", environment_origin, environment_policy)
    policy.sources_found = found
    if chosen is not None:
        kind, path, table = chosen
        policy.file_in_effect = (kind, path)
        if table and kind in PROJECT_FILES:
            from ._policyfile import confined_reports

            table = confined_reports(table, path)
        if table:
            apply_table(policy, table, path if kind != "environment" else f"environment policy ({path})")
    names_text = environ.get(ENV_NAMES)
    if names_text:
        names, presets = parse_names(names_text, ENV_NAMES)
        policy.add(names, f"{ENV_NAMES}")
        for preset in presets:
            policy.add(PRESETS[preset], f"preset @{preset} ({ENV_NAMES})")
    report = environ.get(ENV_REPORT)
    if report:
        if report not in REPORT_VALUES:
            raise PolicyError(f"{ENV_REPORT}={report!r}: expected one of {', '.join(REPORT_VALUES)}")
        policy.report = report
    policy.report_file = environ.get(ENV_REPORT_FILE) or policy.report_file
    policy.report_dir = environ.get(ENV_REPORT_DIR) or policy.report_dir
    return policy
