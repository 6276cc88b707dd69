"""The IPython / Jupyter extension: ``%load_ext lazyhook`` and the ``%lazyhook`` magic.

IPython runs a cell as module-level code (``exec`` of a ``<module>`` code object in the
user namespace), so the rule that defers a module's top-level ``import torch`` defers a
cell's too, and imports in functions, ``try`` bodies and ``except`` clauses stay eager.
Loads are reported with the cell that triggered them, named as IPython's tracebacks
name it ("Cell In[5]", line 3), not by the kernel's temporary file for the cell.
"""

from __future__ import annotations

from html import escape

import lazyhook

_USAGE = ("usage: %lazyhook [status | report [table|html|json] | on NAMES | off]; "
          "NAMES: comma-separated packages or @presets, e.g. %lazyhook on torch,@data")


def load_ipython_extension(ipython) -> None:
    """``%load_ext lazyhook``: activate the policy in effect and register ``%lazyhook``."""
    lazyhook._state.shell = ipython
    ipython.register_magic_function(lazyhook_magic, "line", "lazyhook")
    if _cell_label not in lazyhook._state.file_labels:
        lazyhook._state.file_labels.append(_cell_label)
    _keep_numpy_printer_deferred(ipython)
    _activate([], "%load_ext lazyhook")


def _keep_numpy_printer_deferred(ipython) -> None:
    """IPython's plain-text formatter builds its printers at the first output, and then
    runs ``import numpy`` if ``"numpy" in sys.modules``: true for a deferred numpy (a
    pending module is in ``sys.modules``; on 3.15 it is not), so the first ``Out[]``
    after ``import numpy`` would load it.  Build them now, before any cell imported
    numpy, and register numpy's float printer by type name (IPython's own
    ``deferred_printers``), which imports nothing and formats the same."""
    import sys

    formatter = getattr(getattr(ipython, "display_formatter", None), "formatters", {}).get("text/plain")
    if formatter is None or "numpy" in sys.modules:
        return
    try:
        formatter.type_printers  # the traitlets default runs now, numpy absent
        formatter.deferred_printers.setdefault(
            ("numpy", "float64"), lambda obj, printer, cycle: printer.text(formatter.float_format % obj))
    except Exception:  # noqa: BLE001 - another IPython: its formatter is left as it is
        pass


def unload_ipython_extension(ipython) -> None:
    """``%unload_ext lazyhook``: later cells import eagerly; loaded modules stay usable."""
    lazyhook.uninstall()
    if _cell_label in lazyhook._state.file_labels:
        lazyhook._state.file_labels.remove(_cell_label)
    lazyhook._state.shell = None


def _cell_label(file: str) -> str | None:
    """"Cell In[5]" for a cell's code name, as IPython's own tracebacks say it."""
    shell = lazyhook._state.shell
    compiler = getattr(shell, "compile", None)
    format_code_name = getattr(compiler, "format_code_name", None)  # IPython 8+
    if format_code_name is None:
        return None
    try:
        named = format_code_name(file)
    except Exception:  # noqa: BLE001 - a label is a nicety; the file name stays
        return None
    return f"{named[0]} {named[1]}" if named else None


def _activate(names: list[str], why: str) -> None:
    from ._policy import PolicyError

    try:
        handle = lazyhook.install(names)
    except PolicyError as exc:
        _usage_error(f"lazyhook: {exc}")
        return
    if handle.policy is not None and not handle.policy.enabled:
        print(f"lazyhook: the kill switch is on ({handle.policy.disabled_by}): every import stays eager")
    elif not handle.packages:
        print("lazyhook: no package is configured lazy; name some with %lazyhook on torch,@data "
              "(or in lazyhook.toml / LAZY_IMPORTS)")
    else:
        print(f"lazyhook: module-level imports of {', '.join(sorted(handle.packages))} in cells are "
              f"deferred until first use ({why}); %lazyhook report shows what each load cost")


def _usage_error(message: str) -> None:
    from IPython.core.error import UsageError

    raise UsageError(message)


def lazyhook_magic(line: str = "") -> None:
    """%lazyhook [status | report [table|html|json] | on NAMES | off]"""
    command, _, rest = line.strip().partition(" ")
    rest = rest.strip()
    if command in ("", "status") and not rest:
        _display(Rendered(_status_text(), _status_html()))
    elif command == "report" and rest in ("", "table", "html", "json"):
        if rest in ("json", "table"):
            print(lazyhook.report(rest))
        else:  # the waterfall in a rich front end, the table in a terminal
            _display(Rendered(lazyhook.report("table"), _framed(lazyhook.report("html"))))
    elif command == "on" and rest:
        from ._policy import PolicyError, parse_names

        try:
            plain, presets = parse_names(rest, "%lazyhook on", example="%lazyhook on torch,@data")
        except PolicyError as exc:
            _usage_error(str(exc))
        _activate(plain + ["@" + preset for preset in presets], "%lazyhook on")
    elif command == "off" and not rest:
        lazyhook.uninstall()
        print("lazyhook: off; later imports are eager (modules already deferred load on first use)")
    else:
        _usage_error(_USAGE)


def _display(obj) -> None:
    from IPython.display import display

    display(obj)


class Rendered:
    """Plain text for a terminal, HTML for a notebook: IPython picks by front end."""

    def __init__(self, text: str, html: str) -> None:
        self.text = text
        self.html = html

    def _repr_pretty_(self, printer, cycle: bool) -> None:
        printer.text(self.text)

    def _repr_html_(self) -> str:
        return self.html


def _framed(document: str) -> str:
    """The waterfall in an iframe: its page styles must not restyle the notebook."""
    rows = document.count("<div class=row>")
    height = min(200 + 22 * rows, 900)
    return (f'<iframe srcdoc="{escape(document, quote=True)}" title="lazyhook: lazy loads" '
            f'style="width:100%;height:{height}px;border:1px solid #ddd;border-radius:4px"></iframe>')


_COLUMNS = ("module", "state", "load", "trigger", "memory")


def _status_rows() -> list[tuple[str, ...]]:
    rows = []
    for row in lazyhook.status():
        load = f"{row['load_s'] * 1000:.1f} ms" if row["load_s"] is not None else ""
        grew = f"{row['rss_growth'] / 1048576:+.1f} MiB" if row["rss_growth"] is not None else ""
        rows.append((row["module"], row["state"], load, row.get("why") or row["trigger"] or "", grew))
    return rows


def _status_text() -> str:
    rows = _status_rows()
    if not rows:
        return "lazyhook: nothing configured lazy and nothing deferred"
    widths = [max(len(column), *(len(row[i]) for row in rows)) for i, column in enumerate(_COLUMNS)]
    lines = ["  ".join(column.ljust(width) for column, width in zip(_COLUMNS, widths)).rstrip()]
    lines += ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]
    return "\n".join(lines)


def _status_html() -> str:
    rows = _status_rows()
    if not rows:
        return "<p>lazyhook: nothing configured lazy and nothing deferred</p>"
    head = "".join(f"<th style='text-align:left'>{column}</th>" for column in _COLUMNS)
    body = "".join("<tr>" + "".join(f"<td style='text-align:left'>{escape(cell)}</td>" for cell in row) + "</tr>"
                   for row in rows)
    return f"<table class=lazyhook-status><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
