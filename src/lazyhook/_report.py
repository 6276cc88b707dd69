"""What the lazy loads cost: a summary table at exit (``report = "summary"``)."""

from __future__ import annotations

import sys

from . import _lazymodule

_registered = False


def loads() -> list[dict]:
    """One record per module lazyhook deferred, in the order they were imported."""
    records = []
    for entry in list(_lazymodule._history):
        file, line, _func = entry.import_site
        use = entry.first_use
        records.append({
            "module": entry.name,
            "state": entry.state,
            "duration_s": entry.duration,
            "imported_at": f"{file}:{line}",
            "first_used_at": f"{use[0]}:{use[1]}" if use else None,
            "attribute": use[3] if use else None,
            "thread": entry.thread_name or None,
        })
    return records


def summary_table(records: list[dict]) -> str:
    loaded = sorted((r for r in records if r["state"] == "loaded"), key=lambda r: -r["duration_s"])
    never = [r for r in records if r["state"] == "pending"]
    failed = [r for r in records if r["state"] == "failed"]
    lines = ["lazyhook: lazy loads (slowest first)"]
    width = max([len(r["module"]) for r in records] + [6])
    lines.append(f"  {'module':<{width}}  {'load':>9}  first used at")
    for r in loaded:
        where = f"{r['first_used_at']} ({r['attribute']})" if r["first_used_at"] else "-"
        lines.append(f"  {r['module']:<{width}}  {r['duration_s'] * 1000:>7.1f}ms  {where}")
    for r in failed:
        lines.append(f"  {r['module']:<{width}}  {'FAILED':>9}  {r['first_used_at']}")
    total = sum(r["duration_s"] for r in loaded)
    lines.append(f"  {len(loaded)} loaded in {total * 1000:.1f} ms (inclusive times; nested loads count in their parents)")
    if never:
        lines.append(f"  never used, never loaded ({len(never)}): " + ", ".join(r["module"] for r in never))
    return "\n".join(lines)


def _print_summary() -> None:
    records = loads()
    if records:
        sys.stderr.write(summary_table(records) + "\n")


def enable_summary_at_exit() -> None:
    global _registered
    if not _registered:
        import atexit

        atexit.register(_print_summary)
        _registered = True
