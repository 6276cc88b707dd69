"""A self-contained HTML waterfall of lazy loads: no network, no external assets.

Made to be read at a glance: every process on one time scale with labelled ticks, each
load's cost and what first used it (file:line and the name) written on its row, a
failed load labelled with its error, and what was saved (imported but never used,
configured but never imported, not installed, imported eagerly and why).
"""

from html import escape

_STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1d2330;background:#fff}
h1{font-size:20px;margin:0 0 4px} h2{font-size:15px;margin:22px 0 6px}
.sub{color:#5a6270}
.totals{margin:6px 0 14px;color:#3a4150}
.row{display:grid;grid-template-columns:230px 1fr 84px 300px;align-items:center;min-height:22px}
.row.load:hover{background:#f1f4f9}
.name{font-family:ui-monospace,monospace;font-size:12px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;padding-right:8px}
.lane{position:relative;height:14px;background:#fafbfc}
.tick{position:absolute;top:0;bottom:0;width:1px;background:#e3e6ea}
.axis{position:relative;height:18px;font-size:11px;color:#5a6270}
.axis span{position:absolute;transform:translateX(-50%);white-space:nowrap}
.axis span.first{transform:none}
.bar{position:absolute;top:0;height:14px;min-width:2px;border-radius:3px;background:#3b7dd8}
.bar.nested{background:#8fb4ea}.bar.failed{background:#d64545}
.ms{text-align:right;font-variant-numeric:tabular-nums;font-size:12px;color:#3a4150;padding-right:10px}
.ms.failed{color:#b3261e;font-weight:600}
.site{font-family:ui-monospace,monospace;font-size:12px;color:#3a4150;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.error{grid-column:1/-1;font-family:ui-monospace,monospace;font-size:12px;color:#b3261e;padding:0 0 4px 16px}
.saved{margin-top:26px} .saved li{margin:2px 0} .saved code{font-size:12px}
.legend{font-size:12px;color:#5a6270;margin-top:4px}
.legend i{display:inline-block;width:12px;height:10px;border-radius:2px;margin:0 4px 0 10px;vertical-align:-1px}
table{border-collapse:collapse;font-size:13px}td,th{padding:2px 10px;text-align:right}td:first-child,th:first-child{text-align:left}
"""


def _mib(value) -> str:
    return f"{value / 1048576:.1f} MiB" if isinstance(value, (int, float)) else "?"


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def _step(span_ms: float) -> float:
    """A round tick step (1, 2 or 5 times a power of ten) giving at most 5 intervals."""
    magnitude = 0.001
    while True:
        for factor in (1, 2, 5):
            if span_ms / (factor * magnitude) <= 5:
                return factor * magnitude
        magnitude *= 10


def _site(place: dict | None, with_name: bool = True) -> str:
    """``app.py:12 (DataFrame)``: the file's name and line, and the name used."""
    if not place or not place.get("file"):
        return ""
    path = str(place["file"]).replace("\\", "/")
    for marker in ("/site-packages/", "/dist-packages/"):
        if marker in path:  # an installed package's file: its path within the package
            file = path.rsplit(marker, 1)[1]
            break
    else:
        parts = path.rsplit("/", 2)
        # A package's __init__.py says little alone: keep its directory (outer/__init__.py).
        file = "/".join(parts[-2:]) if parts[-1] in ("__init__.py", "__main__.py") and len(parts) > 1 else parts[-1]
    text = f"{file}:{place.get('line')}"
    name = place.get("attribute") if with_name else None
    return f"{text} ({name})" if name else text


def _saved_section(reports: list[dict]) -> list[str]:
    """What lazy imports saved and what they could not: across every process."""
    from ._report import saved_across

    saved = saved_across(reports)
    never_used = {m: _site(at, with_name=False) for m, at in saved["never_used"].items()}
    unimported, missing = saved["never_imported"], saved["not_installed"]
    eager = {}
    for module, item in saved["imported_eagerly"].items():
        at = _site(item.get("at"), with_name=False)
        eager[module] = item["why"] + (f" at {at}" if at else "")
    parts = ["<div class=saved><h2>What was saved, and what was not</h2><ul>"]
    if never_used:
        listed = ", ".join(f"<code>{escape(m)}</code>" + (f" <span class=sub>(imported at {escape(at)})</span>"
                                                         if at else "") for m, at in sorted(never_used.items()))
        parts.append(f"<li><b>Imported but never used, never loaded ({len(never_used)}):</b> {listed}: "
                     "their whole import cost was saved.</li>")
    if unimported:
        listed = ", ".join(f"<code>{escape(n)}</code>" + (" <b>(not installed)</b>" if n in missing else "")
                           for n in unimported)
        parts.append(f"<li><b>Configured but never imported ({len(unimported)}):</b> {listed}.</li>")
    if eager:
        listed = ", ".join(f"<code>{escape(m)}</code> <span class=sub>({escape(why)})</span>"
                           for m, why in sorted(eager.items()))
        parts.append(f"<li><b>Configured but imported eagerly ({len(eager)}):</b> {listed}.</li>")
    if len(parts) == 1:
        parts.append("<li>Every deferred import was used: nothing was saved at exit, only moved later.</li>")
    parts.append("</ul></div>")
    return parts


def waterfall(reports: list[dict], summary: list[dict]) -> str:
    # One time scale: milliseconds since the earliest process started.
    origin = min((doc.get("process", {}).get("started_at") or 0.0) for doc in reports) if reports else 0.0
    placed = []  # (doc, offset_s, events sorted by start)
    span = 0.001
    for doc in reports:
        offset = (doc.get("process", {}).get("started_at") or origin) - origin
        events = sorted(doc.get("events", []), key=lambda e: e["start_s"])
        span = max([span] + [offset + e["start_s"] + e["duration_s"] for e in events])
        placed.append((doc, offset, events))
    step_ms = _step(span * 1000)
    ticks = [i * step_ms for i in range(int(span * 1000 // step_ms) + 1)]
    total_loads = sum(len(events) for _doc, _o, events in placed)
    top = sum(e["duration_s"] for _doc, _o, events in placed for e in events if not e.get("parent"))
    failed = sum(e.get("status") == "failed" for _doc, _o, events in placed for e in events)
    grid = "".join(f"<div class=tick style=\"left:{100 * t / (span * 1000):.3f}%\"></div>" for t in ticks)
    axis = "".join(f"<span{' class=first' if t == 0 else ''} style=\"left:{100 * t / (span * 1000):.3f}%\">"
                   + (f"{t / 1000:g} s" if span >= 2 else f"{t:g} ms") + "</span>" for t in ticks)
    parts = ["<!doctype html><html lang=en><head><meta charset=utf-8>",
             "<title>lazyhook: lazy loads</title>", f"<style>{_STYLE}</style></head><body>",
             "<h1>lazyhook: lazy loads</h1>",
             f"<div class=totals>{total_loads} load(s) in {len(reports)} process(es), {_ms(top)} in loads the "
             "programs started" + (f", <b style='color:#b3261e'>{failed} failed</b>" if failed else "") + ". "
             "Times are inclusive: a load that ran inside another (lighter bar) is part of its time.</div>",
             "<div class=legend>bars: when each module's body ran, on one time scale for every process "
             "<i style='background:#3b7dd8'></i>loaded <i style='background:#8fb4ea'></i>inside another load "
             "<i style='background:#d64545'></i>failed</div>",
             f"<div class=row><div></div><div class=axis>{axis}</div><div class=\"ms sub\">cost</div>"
             "<div class=\"site sub\">first used at</div></div>"]
    for doc, offset, events in placed:
        proc = doc.get("process", {})
        argv = " ".join(proc.get("argv", []))
        parts.append(f"<div class=proc><h2>pid {escape(str(proc.get('pid', '?')))} "
                     f"<span class=sub>{escape(argv)}</span></h2>")
        if not events:
            parts.append("<div class=sub>no lazy load ran in this process</div>")
        for e in events:
            left = 100 * (offset + e["start_s"]) / span
            width = max(100 * e["duration_s"] / span, 0.2)
            trig = e.get("trigger") or {}
            imp = e.get("imported_at") or {}
            is_failed = e.get("status") == "failed"
            details = (f"{e['module']}  {_ms(e['duration_s'])} ({e.get('status')})\n"
                       f"started {_ms(offset + e['start_s'])} on the shared scale, thread {e.get('thread')}\n"
                       f"first used: {trig.get('file')}:{trig.get('line')} in {trig.get('function')} "
                       f"(name {trig.get('attribute')!r})\n"
                       f"imported at: {imp.get('file')}:{imp.get('line')}\n"
                       f"modules imported: {len(e.get('imported_modules', []))}\n"
                       f"RSS: {_mib(e.get('rss_before'))} → {_mib(e.get('rss_after'))}"
                       + (f"\ninside the load of {e['parent']}" if e.get("parent") else "")
                       + (f"\nerror: {e['error']}" if e.get("error") else ""))
            cls = "bar failed" if is_failed else "bar nested" if e.get("parent") else "bar"
            site = _site(trig)
            parts.append(
                f"<div class=\"row load\" title=\"{escape(details)}\">"
                f"<div class=name>{escape(e['module'])}</div>"
                f"<div class=lane>{grid}<div class=\"{cls}\" data-module=\"{escape(e['module'])}\" "
                f"style=\"left:{left:.3f}%;width:{width:.3f}%\"></div></div>"
                f"<div class=\"ms{' failed' if is_failed else ''}\">{'FAILED' if is_failed else _ms(e['duration_s'])}</div>"
                f"<div class=site title=\"{escape(str(trig.get('file') or ''))}\">{escape(site)}</div>"
                + (f"<div class=error>{escape(str(e.get('error')))}</div>" if is_failed else "")
                + "</div>")
        parts.append("</div>")
    parts += _saved_section(reports)
    if len(reports) > 1:
        parts.append("<h2>Across processes</h2><table><tr><th>module</th><th>loads</th><th>total</th>"
                     "<th>p50</th><th>p90</th><th>max</th><th>never loaded</th></tr>")
        for r in summary:
            parts.append(f"<tr><td>{escape(r['module'])}</td><td>{r['loads']}</td><td>{_ms(r['total_s'])}</td>"
                         f"<td>{_ms(r['p50_s'])}</td><td>{_ms(r['p90_s'])}</td>"
                         f"<td>{_ms(r['max_s'])}</td><td>{r['never_loaded']}</td></tr>")
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts)
