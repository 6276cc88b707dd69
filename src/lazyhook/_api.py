"""lazyhook's API beyond the ways in, served by the package (PEP 562): reports, preload,
status, explicit lazy imports.  Each function imports what it needs on its first call."""


def events() -> list[dict]:
    """Every lazy load recorded so far (see docs/reports.md for the fields)."""
    from ._report import events as _events

    return _events()


def on_load(callback):
    """Call ``callback(event)`` after every lazy load; returns a function that removes it."""
    from ._report import on_load as _on_load

    return _on_load(callback)


def report(format: str = "table") -> str:  # noqa: A002 - matches the CLI's --format
    """This process's load report so far: ``table``, ``json``, ``trace`` or ``html``."""
    from ._report import report as _render

    return _render(format)


def write_report(path: str, format: str | None = None) -> str:  # noqa: A002
    """Write the report to ``path`` (atomically); the format follows the suffix unless given."""
    from ._report import write_report as _write

    return _write(path, format)


def lazy_import(name: str):
    """A lazy module for ``name`` without the global hook (same semantics as the hook)."""
    from ._explicit import lazy_import as _lazy_import

    return _lazy_import(name)


def attach(package_name: str, submodules=(), attributes=None):
    """``__getattr__, __dir__, __all__`` exposing a package's submodules/attributes lazily."""
    from ._explicit import attach as _attach

    return _attach(package_name, submodules, attributes)


def preload(names=None, *, background: bool = False, priorities=None, workers: int = 1):
    """Load pending lazy packages now, or in the background by priority; returns a handle."""
    from ._preload import preload as _preload

    return _preload(names, background=background, priorities=priorities, workers=workers)


def load_all():
    """Load every pending lazy module now (warm-up endpoints, tests); returns the handle."""
    return preload()


def status() -> list[dict]:
    """Every configured package and deferred module: state, load time, trigger, memory growth."""
    from ._preload import status as _status

    return _status()


