"""Policy files: read (bounded, regular files only), validated, cached, confined.

Imported only when a policy file is there to read (``_policy.find_policy_file``).
``tomllib`` (~4 ms) is imported only when a file changed since it was last parsed:
parsed files are cached with ``marshal`` under the user's cache directory, and a cache
may only ever make start-up faster, never change what a policy says.
"""

import os

from ._policy import ENV_POLICY, ENV_REPORT_DIR, ENV_REPORT_FILE, KEYS, PRESETS, REPORT_VALUES, PolicyError, \
    _suggest, is_module_name
from ._policycache import cache_path, lookup, stamp_of


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
    try:
        st = os.stat(path)
    except OSError as exc:
        raise PolicyError(f"{path}: cannot read policy file ({exc.strerror}); fix the path or unset {ENV_POLICY}") from None
    problem = _not_a_policy_file(path, st)
    if problem is not None:
        raise problem
    stamp = stamp_of(st)
    cache = cache_path(path)
    found, table = lookup(stamp, cache)
    if found:
        return table
    table = _parse_file(path, kind)
    if cache:
        try:
            import marshal

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


def confined_reports(table: dict, path: str) -> dict:
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
