"""Which packages are lazy, and why: environment variables, policy files, presets.

Everything the user can write is parsed here, in one place, into a ``Policy``; the
finder is only ever handed plain names.  Start-up cost matters: ``tomllib`` (~4 ms)
is imported only when a policy file changed since it was last parsed, because parsed
files are cached with ``marshal`` under the user's cache directory.
"""

import os
import sys

ENV_NAMES = "LAZY_IMPORTS"  # names and @presets, comma-separated
ENV_POLICY = "LAZYHOOK_POLICY"  # path of a policy file
ENV_DISABLE = "LAZYHOOK_DISABLE"  # kill switch: 1/true/yes/on
ENV_REPORT = "LAZYHOOK_REPORT"  # none | summary | json | trace | html
ENV_REPORT_FILE = "LAZYHOOK_REPORT_FILE"  # where json/trace/html go at exit
ENV_REPORT_DIR = "LAZYHOOK_REPORT_DIR"  # one report file per process, for `lazyhook report`

PRESETS: dict[str, tuple[str, ...]] = {
    "ml": ("torch", "torchvision", "transformers", "timm", "tensorflow", "sklearn", "ultralytics"),
    # seaborn is not in it: its import registers colormaps with matplotlib (NEVER_LAZY).
    "data": ("numpy", "pandas", "matplotlib", "scipy"),
    "image": ("PIL", "cv2"),
    "utils": ("safetensors", "einops", "sqlalchemy"),
}

# Modules that break when their body runs later than the import statement.  Applied
# to every policy unless listed under ``force-lazy``.
NEVER_LAZY: dict[str, str] = {
    "ddtrace": "instruments libraries as they are imported (ddtrace.auto); deferred, it misses them",
    "opentelemetry": "auto-instrumentation patches libraries at import; deferred, it misses them",
    "setuptools": "replaces the stdlib distutils at import (_distutils_hack)",
    "pkg_resources": "declares namespace packages and fixes sys.path at import",
    "readline": "changes how input() edits lines, as an import side effect",
    "rlcompleter": "installs tab completion in readline, as an import side effect",
    "absl": "absl.logging sets the logging module's logger class and root handler at import",
    "seaborn": "registers its colormaps (rocket, mako, ...) with matplotlib at import; deferred, "
               "matplotlib.colormaps['rocket'] fails until something uses seaborn",
    "sklearn.experimental": "its modules exist for their import side effect (enable_iterative_imputer adds "
                            "IterativeImputer to sklearn.impute); deferred, it never happens",
}

# Modules lazyhook itself imports while it defers, loads, records or reports: deferring
# one would make lazyhook load it from inside its own finder (RecursionError).  Eager
# always, even under ``force-lazy``.
OWN_DEPENDENCIES = frozenset({
    "os", "sys", "time", "threading", "importlib", "json", "marshal", "tomllib", "atexit", "html", "difflib",
    "opcode", "uuid", "socket", "warnings", "lazyhook",
})

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
_FILE_KINDS = ("LAZYHOOK_POLICY", "lazyhook.toml", "pyproject.toml", "environment")


class PolicyError(ValueError):
    """Bad policy input; the message names where it came from and how to fix it."""


class Policy:
    """The resolved policy: lazy names with the reason for each, and where it came from."""

    __slots__ = ("enabled", "disabled_by", "lazy", "never_lazy", "force_lazy", "excluded",
                 "report", "report_file", "report_dir", "priorities", "sources_found", "file_in_effect")

    def __init__(self) -> None:
        self.enabled = True
        self.disabled_by = ""
        self.lazy: dict[str, str] = {}  # name -> why it is lazy
        self.never_lazy: dict[str, str] = {}  # name -> why it is eager
        self.force_lazy: set[str] = set()
        self.excluded: dict[str, str] = {}  # configured lazy but eager, -> why
        self.report = "none"
        self.report_file: str | None = None
        self.report_dir: str | None = None
        self.priorities: dict[str, int] = {}
        self.sources_found: list[tuple[str, str]] = []  # (kind, path)
        self.file_in_effect: tuple[str, str] | None = None

    def add(self, names, why: str) -> None:
        for name in names:
            self.lazy.setdefault(name, why)

    def finish(self) -> "Policy":
        """Apply the built-in never-lazy list and the policy's own exclusions."""
        self.excluded = {}
        for name in list(self.lazy):
            if name in OWN_DEPENDENCIES:
                self.excluded[name] = "lazyhook itself imports it while loading and reporting"
                continue
            if name in self.force_lazy:
                continue
            if name in NEVER_LAZY:
                self.excluded[name] = f"built-in never-lazy list: {NEVER_LAZY[name]}"
            elif name in self.never_lazy:
                self.excluded[name] = self.never_lazy[name]
        for name in self.excluded:
            del self.lazy[name]
        return self

    def never_lazy_names(self) -> list[str]:
        """Subtrees the finder must import eagerly (dotted entries included)."""
        names = set(self.never_lazy)
        names.update(n for n in NEVER_LAZY if "." in n and n not in self.force_lazy)
        return sorted(names)


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


def truthy(name: str, environ) -> bool:
    value = environ.get(name, "").strip().lower()
    if value in ("", "0", "false", "no", "off"):
        return False
    if value in ("1", "true", "yes", "on"):
        return True
    raise PolicyError(f"{name}={environ.get(name)!r}: expected 1/true/yes/on or 0/false/no/off")


# --- policy files -------------------------------------------------------------------

def _cache_path(path: str) -> str | None:
    """Where the parsed form of ``path`` is cached, keyed on its real absolute path (two
    projects' ``policy.toml`` never share an entry).  A relative ``XDG_CACHE_HOME`` is
    ignored, as the XDG spec says: it would write into whatever the current directory is."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):
        base = os.path.join(os.path.expanduser("~"), ".cache")
        if not os.path.isabs(base):
            return None
    key = os.path.realpath(path)
    return os.path.join(base, "lazyhook", "policy-" + key.replace(os.sep, "%").replace(":", "%") + ".marshal")


def _trusted_cache(fh) -> bool:
    """A cache entry is used only if this user wrote it and nobody else can: a cache may
    make start-up faster, never change what a policy says."""
    st = os.fstat(fh.fileno())
    return st.st_uid == getattr(os, "getuid", lambda: st.st_uid)() and not st.st_mode & 0o022


# A policy file is a few lines; anything bigger is not one (and start-up reads it).
MAX_POLICY_BYTES = 1 << 20


def _not_a_policy_file(path: str, st) -> PolicyError | None:
    """Start-up reads regular files only, bounded: a FIFO would block it forever and
    /dev/zero would read until memory runs out."""
    import stat

    if not stat.S_ISREG(st.st_mode):
        return PolicyError(f"{path}: cannot read policy file (not a regular file); point {ENV_POLICY} at a TOML file")
    if st.st_size > MAX_POLICY_BYTES:
        return PolicyError(f"{path}: cannot read policy file ({st.st_size} bytes, more than the "
                           f"{MAX_POLICY_BYTES} a policy file may have); point {ENV_POLICY} at the right file")
    return None


def read_table(path: str, kind: str) -> dict | None:
    """The lazyhook table of a TOML file (None: pyproject.toml without one), cached."""
    import marshal

    try:
        st = os.stat(path)
    except OSError as exc:
        raise PolicyError(f"{path}: cannot read policy file ({exc.strerror}); fix the path or unset {ENV_POLICY}") from None
    problem = _not_a_policy_file(path, st)
    if problem is not None:
        raise problem
    stamp = (st.st_mtime_ns, st.st_size, st.st_ino, st.st_dev)
    cache = _cache_path(path)
    if cache:
        try:
            with open(cache, "rb") as fh:
                if _trusted_cache(fh):
                    cached_stamp, table = marshal.load(fh)
                    if tuple(cached_stamp) == stamp and (table is None or isinstance(table, dict)):
                        return table
        except (OSError, ValueError, EOFError, TypeError):
            pass
    table = _parse_file(path, kind)
    if cache:
        try:
            from ._files import write_atomically

            os.makedirs(os.path.dirname(cache), mode=0o700, exist_ok=True)
            write_atomically(cache, marshal.dumps((stamp, table)))
        except OSError:
            pass  # a cache that cannot be written costs only the re-parse
    return table


def _parse_file(path: str, kind: str) -> dict | None:
    import tomllib

    try:
        # Non-blocking open and a check of what was opened: the path may have become a
        # FIFO since it was looked at.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with open(fd, "rb") as fh:
            problem = _not_a_policy_file(path, os.fstat(fd))
            if problem is not None:
                raise problem
            raw = fh.read(MAX_POLICY_BYTES + 1)
    except OSError as exc:
        raise PolicyError(f"{path}: cannot read policy file ({exc.strerror})") from None
    if len(raw) > MAX_POLICY_BYTES:
        raise PolicyError(f"{path}: cannot read policy file (more than {MAX_POLICY_BYTES} bytes)")
    try:
        text = raw.decode("utf-8-sig")  # an editor's byte-order mark is not a syntax error
        data = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise PolicyError(f"{path}: not valid TOML: {exc}. Fix the syntax (see docs/configuration.md)") from None
    except RecursionError:
        raise PolicyError(f"{path}: not valid TOML here: arrays or tables nested too deeply; "
                          "a policy needs lists of names (see docs/configuration.md)") from None
    tool = data.get("tool", {})
    if not isinstance(tool, dict):
        if kind == "pyproject.toml" or path.endswith("pyproject.toml"):
            return None  # `tool = "x"`: no [tool] table, so no [tool.lazyhook] either
        tool = {}
    if kind == "pyproject.toml" or path.endswith("pyproject.toml"):
        table = tool.get("lazyhook")
        if table is None:
            return None
        section = "tool.lazyhook"
    else:
        table = tool.get("lazyhook", data) if set(data) == {"tool"} else data
        section = ""
    if not isinstance(table, dict):
        raise PolicyError(f"{path}: [tool.lazyhook] must be a table, e.g. [tool.lazyhook] then lazy = [\"torch\"] "
                          f"on the next line; got {type(table).__name__} {table!r}")
    validate(table, path, text, section)
    return table


def _line_of(text: str, key: str, section: str) -> int:
    lines = text.splitlines()
    start = 0
    if section:
        for number, line in enumerate(lines):
            if line.strip().replace(" ", "") == f"[{section}]":
                start = number + 1
                break
    for number in range(start, len(lines)):
        stripped = lines[number].lstrip()
        if stripped.startswith((key, f'"{key}"', f"'{key}'")) and "=" in stripped:
            if stripped[len(key):].lstrip().startswith(("=", '"', "'")) or stripped.startswith(('"', "'")):
                return number + 1
    return start or 1


def validate(table: dict, path: str, text: str, section: str) -> None:
    """Unknown keys and wrong types name the file, line, key and the fix; every problem
    in the file is reported at once, one per line after the first."""
    problems = []
    for key, value in table.items():
        problem = _key_problem(key, value)
        if problem is not None:
            problems.append(f"{path}:{_line_of(text, key, section)}: key {key!r}: {problem}")
    if problems:
        extra = len(problems) - 1
        raise PolicyError("\n".join(problems) + (f"\n({extra + 1} problems in {path})" if extra else ""))


def _key_problem(key: str, value) -> str | None:
    """What is wrong with one key of a policy table, and how to fix it (None: nothing)."""
    if key not in KEYS:
        return f"unknown key{_suggest(key, KEYS)}; known keys: {', '.join(KEYS)}"
    if key == "report":
        return None if value in REPORT_VALUES else f"must be {KEYS[key]}, not {value!r}"
    if key == "priorities":
        if not isinstance(value, dict) or not all(
                isinstance(k, str) and is_module_name(k) and isinstance(v, int) and not isinstance(v, bool)
                for k, v in value.items()):
            return f"must be a {KEYS[key]}; got {value!r}"
        return None
    if key in ("report-file", "report-dir"):
        if not isinstance(value, str) or not value:
            return f"must be a path string, e.g. {key} = \"lazyhook-reports\"; got {value!r}"
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        example = [value] if isinstance(value, str) else ["ml"] if key == "presets" else ["torch"]
        shown = "[" + ", ".join(f'"{v}"' for v in example) + "]"
        return f"must be a {KEYS[key]}, e.g. {key} = {shown}; got {value!r}"
    for item in value:
        if key == "presets":
            if item.lstrip("@") not in PRESETS:
                return f"unknown preset {item!r}{_suggest(item, PRESETS)}; presets: {', '.join(PRESETS)}"
        elif key == "lazy" and item.startswith("@"):
            if item[1:] not in PRESETS:
                return f"unknown preset {item!r}{_suggest(item[1:], PRESETS)}"
        elif not is_module_name(item):
            return f"{item!r} is not a module name (dotted Python identifiers)"
        elif key in ("lazy", "force-lazy") and "." in item:
            return f"{item!r} is a submodule; list its top-level package {item.split('.')[0]!r}"
    return None


def _confined_reports(table: dict, path: str) -> dict:
    """A project file's report paths, made absolute inside the file's own directory.

    A file found in the current directory must not make an interpreter write outside
    that project: an absolute path, ``..`` or a symlink leading out is refused."""
    keys = [key for key in ("report-file", "report-dir") if key in table]
    if not keys:
        return table
    project = os.path.realpath(os.path.dirname(os.path.abspath(path)))
    table = dict(table)
    for key in keys:
        target = os.path.realpath(os.path.join(project, table[key]))
        if os.path.commonpath([project, target]) != project:
            raise PolicyError(
                f"{path}: key {key!r}: {table[key]!r} is outside the project directory {project}; a policy file found "
                f"in the current directory writes reports only inside its project: use a relative path such as "
                f"{key} = \"lazyhook-reports\", or set {ENV_REPORT_FILE if key == 'report-file' else ENV_REPORT_DIR}")
        table[key] = target
    return table


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


PROJECT_FILES = ("lazyhook.toml", "pyproject.toml")  # found in the current directory, not named


def find_policy_file(environ, cwd: str, project_files: bool = True
                     ) -> tuple[list[tuple[str, str]], tuple[str, str, dict] | None]:
    """Every policy file present, and the one in effect (the first in precedence order).
    ``project_files=False`` (interpreter start-up) looks only at ``LAZYHOOK_POLICY``."""
    found: list[tuple[str, str]] = []
    chosen = None
    explicit = environ.get(ENV_POLICY)
    if explicit:
        found.append(("LAZYHOOK_POLICY", explicit))
        chosen = ("LAZYHOOK_POLICY", explicit, read_table(explicit, "LAZYHOOK_POLICY"))
    if not project_files:
        return found, chosen
    local = os.path.join(cwd, "lazyhook.toml")
    if os.path.isfile(local):
        found.append(("lazyhook.toml", local))
        if chosen is None:
            chosen = ("lazyhook.toml", local, read_table(local, "lazyhook.toml"))
    project = os.path.join(cwd, "pyproject.toml")
    if os.path.isfile(project):
        table = read_table(project, "pyproject.toml") if chosen is None else None
        if table is not None or chosen is not None:
            found.append(("pyproject.toml", project))
        if chosen is None and table is not None:
            chosen = ("pyproject.toml", project, table)
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
            table = _confined_reports(table, path)
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
