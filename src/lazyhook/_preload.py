"""Warm lazy packages now or in the background, by priority, with progress."""

import sys
from _thread import get_ident

from . import _cpython, _lazymodule, _state


class Preload:
    """Handle of a preload: progress, ``wait(timeout)`` and ``cancel()``.

    Errors are recorded in ``errors`` (name -> exception) and surface at the program's
    first use of that package exactly as without preloading.
    """

    def __init__(self, names: list[str], workers: int) -> None:
        import threading

        self.names = names
        self.total = len(names)
        self.done = 0
        self.current: list[str] = []
        self.errors: dict[str, BaseException] = {}
        self._queue = list(names)
        self._lock = threading.Lock()
        self._finished = threading.Event()
        self._cancelled = False
        self._active = workers
        self._threads: list = []

    @property
    def progress(self) -> tuple[int, int, list[str]]:
        """(done, total, modules being loaded right now)."""
        with self._lock:
            return self.done, self.total, list(self.current)

    @property
    def finished(self) -> bool:
        return self._finished.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until every package is loaded (or cancelled); False on timeout."""
        return self._finished.wait(timeout)

    def cancel(self) -> None:
        """Stop after the module(s) being loaded now; the rest stay pending."""
        with self._lock:
            self._cancelled = True
            self._queue.clear()
        if not self._threads:
            self._finish()

    def _finish(self) -> None:
        self._finished.set()
        with _state.lock:
            if self in _state.preloads:
                _state.preloads.remove(self)

    def _stop_in_forked_child(self) -> None:
        """Its threads do not exist in a forked child, and a lock or event one of them
        held at the fork never frees: the child's handle is finished, as after
        ``cancel()``; what it had not loaded loads at its first use there."""
        import threading

        self._lock = threading.Lock()
        self._finished = threading.Event()
        self._finished.set()
        self._cancelled = True
        self._queue.clear()
        self.current = []
        self._threads = []
        self._active = 0

    def __repr__(self) -> str:
        done, total, current = self.progress
        return f"<lazyhook.Preload {done}/{total} loading={current} errors={sorted(self.errors)}>"

    def _run(self) -> None:
        import importlib

        while True:
            with self._lock:
                if self._cancelled or not self._queue:
                    self._active -= 1
                    if self._active == 0:
                        self._finish()
                    return
                name = self._queue.pop(0)
                self.current.append(name)
            tid = get_ident()
            _state.requested_use[tid] = ("<lazyhook.preload>", 0, _lazymodule._thread_name(), "<preload>")
            try:
                module = sys.modules.get(name)
                if module is not None:
                    _lazymodule.load_now(module, "<preload>")
                else:
                    # Configured but not imported yet, or (3.15+) pending in the interpreter.
                    importlib.import_module(name)
            except BaseException as exc:  # noqa: BLE001 - recorded; first use raises it again
                self.errors[name] = exc
            finally:
                _state.requested_use.pop(tid, None)
                with self._lock:
                    self.current.remove(name)
                    self.done += 1


def pending_roots_and_modules() -> list[str]:
    names = {e.name for e in list(_state.history) if e.state == _lazymodule.PENDING}
    finder = _state.finder
    if _cpython.NATIVE and finder is not None:
        from ._native import pending_names

        names.update(pending_names(finder))
    return sorted(names)


def preload(names=None, *, background: bool = False, priorities: dict | None = None,
            workers: int = 1) -> Preload:
    """Load lazy packages now (or in ``workers`` background threads), higher priority first.

    ``names`` defaults to every pending lazy module; a configured package not imported
    yet is imported.  A package is never loaded twice, and a thread that needs a package
    right now waits only for that package's load, never for the queue.  More than one
    worker was measured slower under the GIL (docs/migration.md), hence the default.
    """
    if names is None:
        names = pending_roots_and_modules()
    elif isinstance(names, str):
        names = [names]
    names = list(dict.fromkeys(names))
    order = dict(_default_priorities())
    order.update(priorities or {})
    # Stable: equal priorities keep the given (import) order.
    names.sort(key=lambda n: -_priority(n, order))
    if workers < 1:
        raise ValueError("preload(workers=...) must be at least 1")
    handle = Preload(names, workers if background else 1)
    if not background:
        handle._run()
        return handle
    import threading

    for index in range(workers):
        thread = threading.Thread(target=handle._run, name=f"lazyhook-preload-{index}", daemon=True)
        handle._threads.append(thread)
    with _state.lock:
        _state.preloads.append(handle)
    for thread in handle._threads:
        thread.start()
    return handle


def _after_fork_in_child() -> None:
    for handle in _state.preloads:
        handle._stop_in_forked_child()
    _state.preloads.clear()


try:
    from os import register_at_fork as _register_at_fork
except ImportError:  # pragma: no cover - no fork on this platform
    pass
else:
    _register_at_fork(after_in_child=_after_fork_in_child)


def _priority(name: str, order: dict) -> int:
    while name:
        if name in order:
            return order[name]
        name = name.rpartition(".")[0]
    return 0


def _default_priorities() -> dict:
    finder = _state.finder
    policy = getattr(finder, "policy", None)
    return dict(getattr(policy, "priorities", None) or {})


def _row(module: str, state: str, **known) -> dict:
    """One ``status()`` row: what is not known about the module is None."""
    return {"module": module, "state": state, "load_s": None, "trigger": None, "rss_growth": None, "error": None,
            **known}


def status() -> list[dict]:
    """Every configured package and deferred module: state, load time, trigger, memory growth."""
    from ._report import display_file, eager_text, imported_eagerly, not_installed

    rows: dict[str, dict] = {}
    for e in list(_state.history):
        use = e.first_use
        grew = (e.rss_after - e.rss_before) if (e.rss_after is not None and e.rss_before is not None) else None
        rows[e.name] = _row(
            e.name, e.state, load_s=e.duration if e.state in ("loaded", "failed") else None,
            trigger=f"{display_file(use[0])}:{use[1]} ({use[3]})" if use else None, rss_growth=grew,
            error=repr(e.error) if e.error is not None else None)
    finder = _state.finder
    if _cpython.NATIVE and finder is not None:
        from ._native import pending_names

        for name in pending_names(finder):
            rows.setdefault(name, _row(name, "pending"))
    for item in imported_eagerly():  # a namespace package: eager, while its portions may be deferred
        rows[item["module"]] = _row(item["module"], "imported eagerly", why=eager_text(item))
    unimported = [root for root in sorted(getattr(finder, "roots", ()) or ()) if root not in rows]
    missing = set(not_installed(unimported))
    for root in unimported:
        rows[root] = _row(root, "not installed" if root in missing else "never imported")
    return sorted(rows.values(), key=lambda r: r["module"])
