"""What the lazy loads cost: events, callbacks, and reports in four formats.

Report schema, version 1 (``SCHEMA_VERSION``), documented in docs/reports.md:

* a JSON document ``{"lazyhook_report": 1, "process": {...}, "events": [...],
  "never_loaded": [...], "never_imported": [...]}`` for one process;
* the same content as JSON Lines (``{"kind": "header"|"event"|"never_loaded"|"end", ...}``)
  for files written into a report directory by many processes, so that a truncated
  file can still be read up to its last complete line.
"""

import json
import os
import sys

from . import __version__, _cpython, _lazymodule, _state
from ._files import write_atomically

SCHEMA_VERSION = 1
FORMATS = ("table", "json", "trace", "html")

# --- events ---------------------------------------------------------------------------

def _process_start_epoch() -> float:
    """When this process started (Linux /proc, ~10 ms resolution), else lazyhook's import.

    The process's age is the system uptime minus its start time since boot, both
    relative to boot (``/proc/stat``'s ``btime`` is whole seconds: too coarse).
    """
    import time

    try:
        now = time.time()
        with open("/proc/uptime", "rb") as fh:
            uptime = float(fh.read().split()[0])
        with open("/proc/self/stat", "rb") as fh:
            start_ticks = int(fh.read().rsplit(b")", 1)[1].split()[19])
        age = uptime - start_ticks / os.sysconf("SC_CLK_TCK")
        return min(now - age, _lazymodule.IMPORTED_AT)
    except (OSError, ValueError, IndexError):
        return _lazymodule.IMPORTED_AT


def process_start() -> float:
    if _state.process_start is None:
        _state.process_start = _process_start_epoch()
    return _state.process_start


def display_file(file: str) -> str:
    for label in _state.file_labels:  # the IPython extension names a cell's code "Cell In[5]"
        named = label(file)
        if named:
            return named
    return file


def event_of(entry) -> dict:
    """The report record of one finished lazy load."""
    file, line, func = entry.import_site
    use = entry.first_use
    if _state.file_labels:
        file = display_file(file)
        use = use and (display_file(use[0]), *use[1:])
    return {
        "module": entry.name,
        "status": entry.state,
        "start_s": round(entry.wall_start - process_start(), 6),
        "duration_s": round(entry.duration, 6),
        "imported_modules": list(entry.imported),
        "trigger": {"file": use[0], "line": use[1], "function": use[2], "attribute": use[3]} if use else None,
        "imported_at": {"file": file, "line": line, "function": func},
        "thread": entry.thread_name or str(entry.thread),
        "thread_id": entry.thread,
        "rss_before": entry.rss_before,
        "rss_after": entry.rss_after,
        "parent": entry.parent,
        "error": repr(entry.error) if entry.error is not None else None,
    }


def events() -> list[dict]:
    """Every lazy load this process performed, in the order the loads finished (a forked
    child leaves out its parent's: each process reports its own loads exactly once)."""
    inherited = _state.inherited_loads
    return [event_of(e) for e in list(_state.history)
            if e.state in ("loaded", "failed") and id(e) not in inherited]


def _interpreter_pending() -> dict[str, tuple[str, int, str]]:
    """3.15+: modules the interpreter holds lazily and not loaded, with their import sites.

    (Emulated, pending modules are in the load history from the import statement on.)
    """
    finder = _state.finder
    if not _cpython.NATIVE or finder is None:
        return {}
    from ._native import pending_names

    attempted = {e.name for e in list(_state.history)}  # a failed load stays retryable
    return {name: finder.import_sites[name] for name in pending_names(finder) if name not in attempted}


def deferred_anything() -> bool:
    """Whether this process deferred any import (helper processes deferring none report nothing)."""
    if _state.history:
        return True
    finder = _state.finder
    return bool(_cpython.NATIVE and finder is not None and finder.import_sites)


def never_loaded() -> list[dict]:
    out = []
    for e in list(_state.history):
        if e.state == "pending":
            file, line, func = e.import_site
            out.append({"module": e.name, "imported_at": {"file": display_file(file), "line": line, "function": func}})
    for name, (file, line, func) in _interpreter_pending().items():
        out.append({"module": name, "imported_at": {"file": display_file(file), "line": line, "function": func}})
    return out


def _configured_not_deferred(exactly: bool = False) -> tuple[set, object]:
    """Configured top-level names no import deferred (``exactly``: the top-level module
    itself; a namespace package's portions may be deferred while it is not), and the finder."""
    finder = _state.finder
    roots = set(finder.roots) if finder is not None else set()
    seen = {e.name if exactly else e.root for e in _state.history}
    if _cpython.NATIVE and finder is not None:
        seen.update(name if exactly else name.partition(".")[0] for name in finder.import_sites)
    return roots - seen, finder


def imported_eagerly() -> list[dict]:
    """Configured packages imported, but eagerly, with why and where ("in a try block or
    except clause" at app.py:12; "imported before lazyhook was active")."""
    names, finder = _configured_not_deferred(exactly=True)
    eager = getattr(finder, "eager_imports", {})
    unseen, _finder = _configured_not_deferred()
    out = []
    for name in sorted(names):
        if name not in eager and name not in unseen:
            continue  # a submodule was deferred: the package itself was never imported alone
        if name in eager:
            why, file, line = eager[name]
            out.append({"module": name, "why": why, "at": {"file": display_file(file), "line": line}})
        elif name in sys.modules:
            out.append({"module": name, "why": "imported before lazyhook was active", "at": None})
    return out


def never_imported() -> list[str]:
    """Configured packages the program never imported at all."""
    names, finder = _configured_not_deferred()
    eager = getattr(finder, "eager_imports", {})
    return sorted(name for name in names if name not in eager and name not in sys.modules)


OUTCOME_FIELDS = ("never_imported", "not_installed", "imported_eagerly")


def configured_outcomes() -> dict:
    """What became of the configured packages no import deferred: never imported (and of
    those, not installed), or imported eagerly and why."""
    unimported = never_imported()
    return {"never_imported": unimported, "not_installed": not_installed(unimported),
            "imported_eagerly": imported_eagerly()}


def not_installed(names) -> list[str]:
    """Those of ``names`` no finder can find in this interpreter (``LAZY_IMPORTS=troch``).

    Asks every ``sys.meta_path`` finder but lazyhook's own, as an import would (editable
    installs bring their own finders); a finder that raises counts as not finding it.
    """
    from . import _find_spec_elsewhere  # (not through _finder: a diagnosis loads no deferral core)

    return [name for name in names if name not in sys.modules and name not in sys.builtin_module_names
            and _find_spec_elsewhere(name, None, broken_finders_answer_none=True) is None]


def on_load(callback):
    """Call ``callback(event)`` after each lazy load, outside every lock.

    A callback that raises is reported once on stderr and removed; the import goes on.
    Returns a function that unregisters it.
    """
    if not _state.callbacks:
        _state.listeners.append(_dispatch)
    _state.callbacks.append(callback)

    def remove() -> None:
        if callback in _state.callbacks:
            _state.callbacks.remove(callback)

    return remove


def _dispatch(entry) -> None:
    if not _state.callbacks:
        return
    event = event_of(entry)
    for callback in list(_state.callbacks):
        try:
            callback(event)
        except Exception as exc:  # noqa: BLE001 - a broken callback never breaks an import
            if callback in _state.callbacks:
                _state.callbacks.remove(callback)
            sys.stderr.write(f"lazyhook: load callback {callback!r} raised {exc!r}; it is removed\n")


# --- one process ----------------------------------------------------------------------

def snapshot() -> dict:
    """This process's report document (schema version 1)."""
    return {
        "lazyhook_report": SCHEMA_VERSION,
        "lazyhook_version": __version__,
        "process": _process_record(),
        "events": events(),
        "never_loaded": never_loaded(),
        **configured_outcomes(),
    }


def render(reports: list[dict], fmt: str) -> str:
    if fmt not in FORMATS:
        raise ValueError(f"unknown report format {fmt!r}; use one of {', '.join(FORMATS)}")
    if fmt == "json":
        return json.dumps(reports[0] if len(reports) == 1 else merged_document(reports), indent=2)
    if fmt == "trace":
        return json.dumps(chrome_trace(reports))
    if fmt == "html":
        from ._html import waterfall

        return waterfall(reports, summarize(reports))
    return table(reports)


def report(format: str = "table") -> str:  # noqa: A002 - the public keyword
    """This process's report so far, as ``table``, ``json``, ``trace`` or ``html`` text."""
    return render([snapshot()], format)


def write_report(path: str, format: str | None = None) -> str:  # noqa: A002
    """Write this process's report to ``path`` (format from the suffix unless given)."""
    if format is None:
        format = "html" if path.endswith(".html") else "trace" if path.endswith(".trace.json") else \
            "json" if path.endswith(".json") else "table"
    write_atomically(path, render([snapshot()], format) + ("\n" if format == "table" else ""))
    return path


class _DirectoryReport:
    """This process's JSON Lines file in a report directory, written as loads happen.

    The header goes out with the first load (or at exit), each load's event line as it
    finishes, the never-loaded lines and the end record at exit: a process killed by
    SIGKILL leaves every line it wrote before, which ``lazyhook report`` reads.  A forked
    child starts a file of its own.
    """

    def __init__(self, directory: str) -> None:
        self.directory = directory
        self.fd: int | None = None
        self.path = ""
        self.pid = os.getpid()

    def _write(self, records: list[dict]) -> None:
        if self.fd is None or self.pid != os.getpid():
            import socket
            import uuid

            os.makedirs(self.directory, exist_ok=True)
            self.pid = os.getpid()
            name = f"lazyhook-{socket.gethostname()}-{self.pid}-{uuid.uuid4().hex[:8]}.jsonl"
            self.path = os.path.join(self.directory, name)
            # O_EXCL|O_NOFOLLOW: a new file of our own, never one planted under this name.
            self.fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND
                              | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0), 0o644)
            records = [{"kind": "header", "lazyhook_report": SCHEMA_VERSION, "lazyhook_version": __version__,
                        "process": _process_record()}, *records]
        data = "".join(json.dumps(record) + "\n" for record in records).encode()
        while data:  # one write per call: lines of two threads never interleave
            written = os.write(self.fd, data)
            data = data[written:]

    def event(self, entry) -> None:
        if entry.state in ("loaded", "failed") and id(entry) not in _state.inherited_loads:
            self._write([{"kind": "event", **event_of(entry)}])

    def finish(self) -> str:
        self._write([*({"kind": "never_loaded", **n} for n in never_loaded()),
                     {"kind": "end", "events": len(events()), **configured_outcomes()}])
        os.close(self.fd)
        self.fd = None
        return self.path

    def forget_parents_file(self) -> None:
        """In a forked child: the parent's descriptor is the parent's; start anew."""
        if self.fd is not None:
            try:
                os.close(self.fd)
            except OSError:
                pass
        self.fd = None


def _process_record() -> dict:
    import socket
    import time

    return {"pid": os.getpid(), "host": socket.gethostname(), "argv": list(sys.argv),
            "python": sys.version.split()[0], "started_at": process_start(), "written_at": time.time()}


def at_exit(kind: str, target: str | None = None) -> None:
    """Register one report to produce when the process ends (idempotent per kind): at
    interpreter exit, and at the end of a multiprocessing child started by fork or
    forkserver (which leaves through ``os._exit``, past ``atexit``).

    No signal handler: a Python-level SIGTERM handler keeps a process blocked in C code
    (a lock wait, a long computation) from ending when told to; 3.15's
    multiprocessing workers then never end at ``Pool.terminate()``.  A report directory
    gets each load's line as it happens instead, which any ending keeps."""
    if not _state.atexit_registered:
        import atexit

        atexit.register(_run_exit_actions)
        _state.atexit_registered = True
    if kind == "dir":
        if _state.directory_report is None:
            _state.listeners.append(_stream_to_directory)
        _state.directory_report = _DirectoryReport(target)
    _state.exit_actions[kind] = target


_DEFAULT_REPORT_FILES = {"json": "lazyhook-report.json", "trace": "lazyhook-report.trace.json",
                         "html": "lazyhook-report.html"}


def arrange_at_exit(resolved) -> None:
    """The reports a policy asks for (``report``, ``report-file``, ``report-dir``), at exit."""
    if resolved.report_dir:
        at_exit("dir", resolved.report_dir)
    if resolved.report == "summary":
        at_exit("summary")
    elif resolved.report in _DEFAULT_REPORT_FILES or resolved.report_file:
        target = resolved.report_file or _DEFAULT_REPORT_FILES[resolved.report]
        # A format asked for explicitly wins over the file's suffix.
        explicit = resolved.report if resolved.report in _DEFAULT_REPORT_FILES else None
        at_exit("file", (os.path.abspath(target), explicit))


def _stream_to_directory(entry) -> None:
    report = _state.directory_report
    if report is not None:
        try:
            report.event(entry)
        except OSError as exc:
            _state.listeners.remove(_stream_to_directory)
            sys.stderr.write(f"lazyhook: could not write the dir report: {exc}\n")


def _after_fork_in_child() -> None:
    """A forked child reports its own loads: a file of its own, its own start time, and
    (a multiprocessing child, which ends in ``os._exit``) a finalizer that writes it."""
    _state.process_start = None
    _state.exit_done_in = None
    if _state.directory_report is not None:
        _state.directory_report.forget_parents_file()
    mp_util = sys.modules.get("multiprocessing.util")
    if _state.exit_actions and mp_util is not None:
        # Process._bootstrap clears the finalizers, then runs the after-fork callbacks.
        mp_util.register_after_fork(_FINALIZER_OWNER, _finalize_in_multiprocessing_child)


class _FinalizerOwner:
    """What multiprocessing's after-fork registry keeps a weak reference to."""


_FINALIZER_OWNER = _FinalizerOwner()


def _finalize_in_multiprocessing_child(_owner) -> None:
    mp_util = sys.modules.get("multiprocessing.util")
    if mp_util is not None:
        mp_util.Finalize(None, _run_exit_actions, exitpriority=-100)


try:
    from os import register_at_fork as _register_at_fork
except ImportError:  # pragma: no cover - no fork on this platform
    pass
else:
    _register_at_fork(after_in_child=_after_fork_in_child)


def _run_exit_actions() -> None:
    if _state.exit_done_in == os.getpid():
        return  # a multiprocessing finalizer, then atexit: one report per process
    _state.exit_done_in = os.getpid()
    for kind, target in list(_state.exit_actions.items()):
        try:
            if kind == "dir":
                # Helper processes (resource trackers...) add nothing, except to `lazyhook
                # suggest`, whose profiling run must tell "nothing deferred" from "not active".
                report = _state.directory_report
                if report is not None and (report.fd is not None or deferred_anything()
                                           or os.environ.get("LAZYHOOK_PROFILE_ALL")):
                    report.finish()
            elif kind == "file":
                path, format = target  # noqa: A001 - the format asked for, or None: by suffix
                write_report(path, format)
            elif kind == "summary":
                doc = snapshot()
                if deferred_anything() or doc["not_installed"] or doc["imported_eagerly"]:
                    sys.stderr.write(table([doc]) + "\n")
        except Exception as exc:  # noqa: BLE001 - exit must not fail because of a report
            sys.stderr.write(f"lazyhook: could not write the {kind} report: {exc}\n")


# --- many processes -------------------------------------------------------------------

class ReportError(ValueError):
    """A file that is not a lazyhook report, or one from a newer schema."""


def _problem(record, kind: str) -> str | None:
    """Why a load event or never-loaded record cannot be merged (None: it can)."""
    if not isinstance(record, dict) or not isinstance(record.get("module"), str):
        return "no module name"
    if kind == "event" and not isinstance(record.get("duration_s"), (int, float)):
        return f"event for {record['module']!r} has no duration_s"
    return None


def _keep_valid(doc: dict, path: str, notes: list) -> dict:
    """Drop the records of a whole-JSON report that cannot be merged, naming each."""
    for field, kind in (("events", "event"), ("never_loaded", "never_loaded")):
        kept = []
        for index, record in enumerate(doc.get(field) or []):
            problem = _problem(record, kind)
            if problem:
                notes.append(f"{path}: {field}[{index}] skipped ({problem})")
            else:
                kept.append(record)
        doc[field] = kept
    return doc


def read_report(path: str) -> tuple[dict, list[str]]:
    """A report document from a JSON or JSON Lines file, and notes on what was skipped."""
    notes: list[str] = []
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise ReportError(f"{path}: cannot read ({exc})") from None
    stripped = text.lstrip()
    if stripped.startswith("{") and '"kind"' not in stripped[:40]:
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ReportError(f"{path}: not a lazyhook report (invalid JSON: {exc})") from None
        _check_version(doc, path)
        return _keep_valid(doc, path, notes), notes
    doc: dict | None = None
    complete = False
    lines = text.splitlines()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            if doc is not None and number == len(lines):
                notes.append(f"{path}: line {number} is cut off (truncated file); skipped it")
                continue
            raise ReportError(f"{path}:{number}: not a lazyhook report (not JSON)") from None
        kind = record.pop("kind", None) if isinstance(record, dict) else None
        if doc is None:
            if kind != "header":
                raise ReportError(f"{path}: not a lazyhook report (no lazyhook header line)")
            _check_version(record, path)
            doc = {"lazyhook_report": record["lazyhook_report"],
                   "lazyhook_version": record.get("lazyhook_version", "?"), "process": record.get("process", {}),
                   "events": [], "never_loaded": [], "never_imported": record.get("never_imported", []),
                   "not_installed": record.get("not_installed", []),
                   "imported_eagerly": record.get("imported_eagerly", [])}
        elif kind in ("event", "never_loaded"):
            problem = _problem(record, kind)
            if problem:
                notes.append(f"{path}:{number}: skipped ({problem})")
            else:
                doc["events" if kind == "event" else "never_loaded"].append(record)
        elif kind == "end":
            complete = True
            for field in OUTCOME_FIELDS:
                if field in record:  # known only at exit: the end record carries them
                    doc[field] = record[field]
    if doc is None:
        raise ReportError(f"{path}: not a lazyhook report (empty)")
    if not complete:
        notes.append(f"{path}: no end record (the process ended by a signal, or was cut off); "
                     f"read its {len(doc['events'])} loads, without its never-loaded modules")
    return doc, notes


def _check_version(doc: object, path: str) -> None:
    version = doc.get("lazyhook_report") if isinstance(doc, dict) else None
    if not isinstance(version, int):
        raise ReportError(f"{path}: not a lazyhook report (no lazyhook_report version field)")
    if version > SCHEMA_VERSION:
        raise ReportError(f"{path}: written with report schema {version}, newer than this lazyhook's "
                          f"({SCHEMA_VERSION}); upgrade lazyhook to read it")


def collect(paths: list[str]) -> tuple[list[dict], list[str]]:
    """Reports from files and directories (``*.json``, ``*.jsonl`` inside them)."""
    reports, notes = [], []
    for path in paths:
        if os.path.isdir(path):
            names = sorted(n for n in os.listdir(path) if n.endswith((".json", ".jsonl")) and not n.endswith(".trace.json"))
            if not names:
                notes.append(f"{path}: no report files (*.json, *.jsonl)")
            for name in names:
                try:
                    doc, more = read_report(os.path.join(path, name))
                except ReportError as exc:
                    notes.append(f"skipped {exc}")
                    continue
                reports.append(doc)
                notes.extend(more)
        else:
            doc, more = read_report(path)
            reports.append(doc)
            notes.extend(more)
    return reports, notes


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    index = (len(ordered) - 1) * q
    low = int(index)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (index - low)


def summarize(reports: list[dict]) -> list[dict]:
    """Per module, across processes: loads, failures, total, p50/p90/max, never-loaded counts."""
    per: dict[str, dict] = {}
    for doc in reports:
        for e in doc.get("events", []):
            row = per.setdefault(e["module"], {"module": e["module"], "durations": [], "failed": 0, "never_loaded": 0})
            row["durations"].append(e["duration_s"])
            row["failed"] += e.get("status") == "failed"
        for n in doc.get("never_loaded", []):
            row = per.setdefault(n["module"], {"module": n["module"], "durations": [], "failed": 0, "never_loaded": 0})
            row["never_loaded"] += 1
    out = []
    for row in per.values():
        d = row.pop("durations")
        row.update(loads=len(d), total_s=sum(d), p50_s=_percentile(d, 0.5), p90_s=_percentile(d, 0.9),
                   max_s=max(d) if d else 0.0)
        out.append(row)
    return sorted(out, key=lambda r: (-r["total_s"], r["module"]))


def merged_document(reports: list[dict]) -> dict:
    return {"lazyhook_report": SCHEMA_VERSION, "lazyhook_version": __version__, "processes": len(reports),
            "modules": summarize(reports), "reports": reports}


def table(reports: list[dict]) -> str:
    rows = summarize(reports)
    many = len(reports) > 1
    width = max([len(r["module"]) for r in rows] + [6])
    title = f"lazyhook: lazy loads across {len(reports)} processes" if many else "lazyhook: lazy loads (slowest first)"
    lines = [title]
    if many:
        lines.append(f"  {'module':<{width}}  {'loads':>5}  {'total':>9}  {'p50':>8}  {'p90':>8}  {'max':>8}  never loaded")
    else:
        lines.append(f"  {'module':<{width}}  {'load':>9}  first used at")
    triggers = {}
    if not many and reports:
        triggers = {e["module"]: e for e in reports[0].get("events", [])}
    total = 0.0
    for r in rows:
        if not r["loads"]:
            continue
        if many:
            lines.append(f"  {r['module']:<{width}}  {r['loads']:>5}  {r['total_s'] * 1000:>7.1f}ms  "
                         f"{r['p50_s'] * 1000:>6.1f}ms  {r['p90_s'] * 1000:>6.1f}ms  {r['max_s'] * 1000:>6.1f}ms  "
                         f"{r['never_loaded']}")
        else:
            e = triggers[r["module"]]
            t = e.get("trigger") or {}
            where = f"{t.get('file')}:{t.get('line')} ({t.get('attribute')})" if t else "-"
            state = "FAILED" if e.get("status") == "failed" else f"{r['total_s'] * 1000:>7.1f}ms"
            lines.append(f"  {r['module']:<{width}}  {state:>9}  {where}")
        total += r["total_s"]
    top = sum(e["duration_s"] for doc in reports for e in doc.get("events", []) if not e.get("parent"))
    lines.append(f"  {sum(r['loads'] for r in rows)} loads; {top * 1000:.1f} ms in loads started by the program "
                 "(times are inclusive: a load that triggered another contains it)")
    saved = saved_across(reports)
    if saved["never_used"]:
        never = sorted(saved["never_used"])
        lines.append(f"  imported but never used, never loaded ({len(never)}): {', '.join(never)}")
    if saved["never_imported"]:
        unimported = saved["never_imported"]
        lines.append(f"  configured but never imported ({len(unimported)}): "
                     + ", ".join(f"{n} (not installed)" if n in saved["not_installed"] else n for n in unimported))
    if saved["imported_eagerly"]:
        eager = saved["imported_eagerly"]
        lines.append(f"  configured but imported eagerly ({len(eager)}): "
                     + ", ".join(f"{name} ({eager_text(item)})" for name, item in sorted(eager.items())))
    return "\n".join(lines)


def saved_across(reports: list[dict]) -> dict:
    """What lazy imports saved, and what they could not, across processes: a process that
    loaded (or tried to load) a module, or imported a package, answers for the others.

    ``never_used``: module -> where it was first imported; ``never_imported``: sorted
    names; ``not_installed``: a set; ``imported_eagerly``: module -> its first record."""
    used = {e["module"] for doc in reports for e in doc.get("events", [])}
    never_used: dict[str, dict | None] = {}
    for doc in reports:
        for record in doc.get("never_loaded", []):
            if record["module"] not in used:
                never_used.setdefault(record["module"], record.get("imported_at"))
    imported = {record["module"].partition(".")[0] for doc in reports
                for record in (*doc.get("events", []), *doc.get("never_loaded", []), *doc.get("imported_eagerly", []))}
    eager: dict[str, dict] = {}
    for doc in reports:
        for item in doc.get("imported_eagerly", []):
            eager.setdefault(item["module"], item)
    return {"never_used": never_used,
            "never_imported": sorted({n for doc in reports for n in doc.get("never_imported", [])} - imported),
            "not_installed": {n for doc in reports for n in doc.get("not_installed", [])},
            "imported_eagerly": eager}


def eager_text(item: dict) -> str:
    """"in a try block or except clause at app.py:12": why and where a configured package was eager."""
    at = item.get("at") or {}
    return f"{item['why']} at {at.get('file')}:{at.get('line')}" if at else item["why"]


def chrome_trace(reports: list[dict]) -> dict:
    """Chrome trace event format (Perfetto, chrome://tracing): one track per thread."""
    trace = []
    for index, doc in enumerate(reports):
        proc = doc.get("process", {})
        pid = proc.get("pid", index)
        trace.append({"ph": "M", "name": "process_name", "pid": pid, "tid": 0,
                      "args": {"name": f"{' '.join(proc.get('argv', [])) or 'python'} (pid {pid})"}})
        threads = {}
        for e in doc.get("events", []):
            tid = e.get("thread_id") or 0
            threads[tid] = e.get("thread") or str(tid)
            args = {k: e.get(k) for k in ("trigger", "imported_at", "rss_before", "rss_after", "parent", "error")}
            args["imported_modules"] = len(e.get("imported_modules", []))
            trace.append({"ph": "X", "name": e["module"], "cat": "lazy-load", "pid": pid, "tid": tid,
                          "ts": round(e["start_s"] * 1e6, 1), "dur": round(e["duration_s"] * 1e6, 1), "args": args})
        for tid, name in threads.items():
            trace.append({"ph": "M", "name": "thread_name", "pid": pid, "tid": tid, "args": {"name": name}})
    return {"traceEvents": trace, "displayTimeUnit": "ms"}
