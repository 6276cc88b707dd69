"""A self-contained HTML waterfall of lazy loads: no network, no external assets."""


from html import escape

_STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1d2330;background:#fff}
h1{font-size:20px;margin:0 0 4px} h2{font-size:15px;margin:24px 0 6px}
.sub{color:#5a6270;margin-bottom:12px}
.proc{margin-bottom:28px}
.row{display:grid;grid-template-columns:240px 1fr 90px 190px;align-items:center;height:22px}
.site{font-family:ui-monospace,monospace;font-size:12px;color:#5a6270;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;padding-left:12px}
.row:hover{background:#f1f4f9}
.name{font-family:ui-monospace,monospace;font-size:12px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;padding-right:8px}
.lane{position:relative;height:14px;background:repeating-linear-gradient(90deg,#fafbfc 0 49px,#eef0f3 49px 50px)}
.bar{position:absolute;top:0;height:14px;min-width:2px;border-radius:3px;background:#3b7dd8}
.bar.nested{background:#8fb4ea}.bar.failed{background:#d64545}
.ms{text-align:right;font-variant-numeric:tabular-nums;font-size:12px;color:#3a4150}
#details{position:fixed;right:16px;bottom:16px;max-width:520px;background:#1d2330;color:#fff;padding:10px 12px;
 border-radius:6px;font:12px/1.5 ui-monospace,monospace;white-space:pre-wrap;display:none}
table{border-collapse:collapse;font-size:13px}td,th{padding:2px 10px;text-align:right}td:first-child,th:first-child{text-align:left}
.never{color:#5a6270}
"""

_SCRIPT = """
const box=document.getElementById('details');
document.querySelectorAll('.bar').forEach(b=>{
 b.addEventListener('mouseenter',()=>{box.textContent=b.dataset.details;box.style.display='block'});
 b.addEventListener('mouseleave',()=>{box.style.display='none'});
});
"""


def _mib(value) -> str:
    return f"{value / 1048576:.1f} MiB" if isinstance(value, (int, float)) else "?"


def _site_cell(trigger: dict) -> str:
    """Where a load was triggered, short (file name and line; a notebook's "Cell In[5]"),
    with the full path on hover."""
    file = str(trigger.get("file") or "")
    if not file:
        return "<div class=site></div>"
    where = f"{file}:{trigger.get('line')}"
    short = f"{file.replace(chr(92), '/').rsplit('/', 1)[-1]}:{trigger.get('line')}"
    return f"<div class=site title=\"{escape(where)}\">{escape(short)}</div>"


def waterfall(reports: list[dict], summary: list[dict]) -> str:
    parts = ["<!doctype html><html lang=en><head><meta charset=utf-8>",
             "<title>lazyhook: lazy loads</title>", f"<style>{_STYLE}</style></head><body>",
             "<h1>lazyhook: lazy loads</h1>"]
    total_loads = sum(len(d.get("events", [])) for d in reports)
    parts.append(f"<div class=sub>{total_loads} loads in {len(reports)} process(es). "
                 "Bars: when each module's body ran, relative to process start; lighter bars ran "
                 "inside another lazy load; hover a bar for details.</div>")
    for doc in reports:
        proc = doc.get("process", {})
        events = sorted(doc.get("events", []), key=lambda e: e["start_s"])
        span = max([e["start_s"] + e["duration_s"] for e in events] + [0.001])
        argv = " ".join(proc.get("argv", []))
        parts.append(f"<div class=proc><h2>pid {escape(str(proc.get('pid', '?')))} "
                     f"<span class=sub>{escape(argv)}</span></h2>")
        parts.append(f"<div class=row><div class=name></div><div class=sub>0 ms → {span * 1000:.0f} ms</div><div></div>"
                     "<div class=\"site sub\">first used at</div></div>")
        for e in events:
            left = 100 * e["start_s"] / span
            width = max(100 * e["duration_s"] / span, 0.2)
            trig = e.get("trigger") or {}
            imp = e.get("imported_at") or {}
            details = (f"{e['module']}  {e['duration_s'] * 1000:.1f} ms ({e.get('status')})\n"
                       f"started {e['start_s'] * 1000:.1f} ms after process start, thread {e.get('thread')}\n"
                       f"first used: {trig.get('file')}:{trig.get('line')} in {trig.get('function')} "
                       f"(attribute {trig.get('attribute')!r})\n"
                       f"imported at: {imp.get('file')}:{imp.get('line')}\n"
                       f"modules imported: {len(e.get('imported_modules', []))}\n"
                       f"RSS: {_mib(e.get('rss_before'))} → {_mib(e.get('rss_after'))}"
                       + (f"\ninside the load of {e['parent']}" if e.get("parent") else "")
                       + (f"\nerror: {e['error']}" if e.get("error") else ""))
            cls = "bar failed" if e.get("status") == "failed" else "bar nested" if e.get("parent") else "bar"
            parts.append(
                f"<div class=row><div class=name title=\"{escape(e['module'])}\">{escape(e['module'])}</div>"
                f"<div class=lane><div class=\"{cls}\" data-module=\"{escape(e['module'])}\" "
                f"style=\"left:{left:.3f}%;width:{width:.3f}%\" title=\"{escape(details)}\" "
                f"data-details=\"{escape(details)}\"></div></div>"
                f"<div class=ms>{e['duration_s'] * 1000:.1f} ms</div>{_site_cell(trig)}</div>")
        never = [n["module"] for n in doc.get("never_loaded", [])]
        if never:
            parts.append(f"<div class=never>imported but never used: {escape(', '.join(never))}</div>")
        parts.append("</div>")
    if len(reports) > 1:
        parts.append("<h2>Across processes</h2><table><tr><th>module</th><th>loads</th><th>total</th>"
                     "<th>p50</th><th>p90</th><th>max</th><th>never loaded</th></tr>")
        for r in summary:
            parts.append(f"<tr><td>{escape(r['module'])}</td><td>{r['loads']}</td><td>{r['total_s'] * 1000:.1f} ms</td>"
                         f"<td>{r['p50_s'] * 1000:.1f} ms</td><td>{r['p90_s'] * 1000:.1f} ms</td>"
                         f"<td>{r['max_s'] * 1000:.1f} ms</td><td>{r['never_loaded']}</td></tr>")
        parts.append("</table>")
    parts.append(f"<div id=details></div><script>{_SCRIPT}</script></body></html>")
    return "\n".join(parts)
