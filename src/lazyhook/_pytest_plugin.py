"""The pytest plugin (entry point ``pytest11: lazyhook``): lazy imports for a test run.

Inert unless configured: with neither ``--lazy-imports`` nor the ``lazy_imports`` ini
option, pytest loading this module registers two options and installs nothing.

Activation happens in ``pytest_load_initial_conftests`` (first), so the module-level
imports of conftests and test modules are deferred: collection stops paying for
packages a test may never use.  The report attributes each lazy load to the test, the
phase and the collector that paid it; under pytest-xdist each worker sends its loads
to the controller in ``workeroutput``, which merges them into one summary.
"""

from __future__ import annotations

import pytest

_REPORT_KEY = "lazyhook"
_OFF = "off"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("lazyhook", "lazy imports (lazyhook)")
    group.addoption(
        "--lazy-imports", dest="lazy_imports", metavar="NAMES", default=None,
        help="defer module-level imports of these packages (comma-separated names or @presets, "
             "added to the lazyhook policy in effect); 'policy' for the policy alone; 'off' for none")
    group.addoption(
        "--lazy-report", dest="lazy_report", action="store_true", default=None,
        help="show in the terminal summary which test paid for which lazy load")
    parser.addini("lazy_imports", "packages whose module-level imports are deferred (as --lazy-imports)",
                  default="")
    parser.addini("lazy_report", "show the lazy-import report in the terminal summary (as --lazy-report)",
                  type="bool", default=False)


def _setting(config: pytest.Config) -> tuple[str, str]:
    """The configured value and where it came from (the command line wins)."""
    value = getattr(config.known_args_namespace, "lazy_imports", None)
    if value is not None:
        return value.strip(), "--lazy-imports"
    value = config.getini("lazy_imports") or ""
    if isinstance(value, list):  # a TOML array in [tool.pytest.ini_options]
        value = ",".join(str(item) for item in value)
    return str(value).strip(), "lazy_imports (pytest configuration)"


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config) -> None:
    value, where = _setting(early_config)
    if getattr(early_config.known_args_namespace, "lazy_report", None) or early_config.getini("lazy_report"):
        early_config.pluginmanager.register(_Recorder(early_config), "lazyhook-report")
    if not value:
        _native_activation_by_the_environment(early_config)
        return  # not configured: inert
    import lazyhook

    if value.lower() == _OFF:
        lazyhook.uninstall()  # also an activation by LAZY_IMPORTS or an environment's .pth
        return
    from lazyhook import _policy

    names: list[str] = []
    if value.lower() != "policy":
        try:
            example = "--lazy-imports=torch,@data" if where.startswith("--") else "lazy_imports = torch, @data"
            plain, presets = _policy.parse_names(value, where, example)
        except _policy.PolicyError as exc:
            raise pytest.UsageError(str(exc)) from None
        names = plain + ["@" + preset for preset in presets]
    try:
        handle = lazyhook.install(names)
    except _policy.PolicyError as exc:
        raise pytest.UsageError(f"lazyhook: {exc}") from None
    early_config.add_cleanup(handle.uninstall)  # an in-process pytest.main() leaks no finder
    early_config.pluginmanager.register(_FixtureHint(), "lazyhook-fixture-hint")
    from lazyhook import _cpython

    if _cpython.NATIVE:
        early_config.add_cleanup(_fixture_scan_sees_placeholders())


class _FixtureHint:
    """A requested fixture that pytest cannot find, bound in the test's module or a
    conftest by a deferred ``from pkg import name``: pytest's fixture scan saw the
    placeholder, not the fixture.  The failure says so, and how to fix it."""

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call):
        outcome = yield
        error = call.excinfo.value if call.excinfo is not None else None
        argname = getattr(error, "argname", None)
        if call.when != "setup" or type(error).__name__ != "FixtureLookupError" or not argname:
            return
        for holder in _holders(item):
            source = _deferred_source(getattr(holder, "__dict__", {}), argname)
            if source is not None:
                where = getattr(holder, "__file__", None) or getattr(holder, "__name__", "?")
                package = source.partition(".")[0]
                outcome.get_result().sections.append(("lazyhook", (
                    f"fixture {argname!r} is bound in {where} by a deferred `from ... import {argname}` "
                    f"({source}): pytest looks for fixtures before first use, so it saw a placeholder. "
                    f"Keep the package eager (never-lazy = [\"{package}\"] in the lazyhook policy) or "
                    f"load its fixtures as a plugin (pytest_plugins = [...]).")))
                return


def _holders(item: pytest.Item) -> list:
    """The test's module, then the conftests of its directories."""
    holders = [getattr(item, "module", None)]
    path = str(getattr(item, "path", ""))
    for plugin in item.config.pluginmanager.get_plugins():
        file = getattr(plugin, "__file__", None) or ""
        if file.endswith("conftest.py") and path.startswith(file[:-len("conftest.py")]):
            holders.append(plugin)
    return [holder for holder in holders if holder is not None]


def _deferred_source(namespace: dict, name: str) -> str | None:
    """``pkg.attr`` when ``name`` in ``namespace`` is a deferred from-import not yet
    resolved; found without resolving it (iteration and ``str`` comparison load nothing)."""
    import sys

    from lazyhook import _cpython

    if _cpython.NATIVE:
        return _cpython.placeholder_name(namespace.get(name))  # dict reads do not resolve
    lazymodule = sys.modules.get("lazyhook._lazymodule")
    if lazymodule is None:
        return None  # no import was ever deferred
    for key in list(namespace):
        state = key.__dict__ if type(key) is lazymodule.LazyName else None
        if state and "attr" in state and str.__eq__(key, name) and not state["resolved"]:
            return f"{state['module']}.{state['attr']}"
    return None


def _native_activation_by_the_environment(config: pytest.Config) -> None:
    """``LAZY_IMPORTS`` or an environment's ``.pth`` activated lazyhook at start-up."""
    import sys

    active = sys.modules.get("lazyhook")
    if active is not None and active._state.finder is not None and active._NATIVE:
        config.add_cleanup(_fixture_scan_sees_placeholders())


def _fixture_scan_sees_placeholders():
    """3.15: pytest looks for fixtures by ``getattr`` of every global of every conftest
    and test module, and PEP 810 resolves a lazy import on attribute access: collection
    would load every deferred package.  The scan only asks whether each value is a
    fixture; it is handed the placeholder unresolved (read from ``__dict__``, which PEP
    810 leaves alone), as the emulation on 3.11-3.14 hands it the pending module.
    Returns the undo."""
    from types import ModuleType

    from _pytest import fixtures
    from lazyhook._cpython import is_placeholder

    original = fixtures.safe_getattr

    def safe_getattr(obj, name, default):
        if isinstance(obj, ModuleType):
            raw = obj.__dict__.get(name)
            if is_placeholder(raw):
                return raw
        return original(obj, name, default)

    fixtures.safe_getattr = safe_getattr

    def undo() -> None:
        if fixtures.safe_getattr is safe_getattr:
            fixtures.safe_getattr = original

    return undo


class _Recorder:
    """Attributes each lazy load to the collector or test phase under way when it ran.

    A load's duration includes the lazy loads it ran inside it (its ``parent``): only
    outermost loads are summed per test, so nothing is counted twice.
    """

    def __init__(self, config: pytest.Config) -> None:
        import lazyhook

        self.config = config
        self.where = ("<start-up>", "")  # (node id, phase) paying for loads right now
        self.loads: list[dict] = []
        self.from_workers: list[dict] = []
        config.add_cleanup(lazyhook.on_load(self._on_load))

    def _on_load(self, event: dict) -> None:
        node, phase = self.where
        self.loads.append({"node": node, "phase": phase, "module": event["module"],
                           "duration_s": event["duration_s"], "outermost": event["parent"] is None,
                           "failed": event["status"] == "failed"})

    def _paying(self, node: str, phase: str):
        previous, self.where = self.where, (node, phase)
        try:
            yield
        finally:
            self.where = previous

    @pytest.hookimpl(hookwrapper=True)
    def pytest_make_collect_report(self, collector: pytest.Collector):
        yield from self._paying(collector.nodeid or "<session>", "collection")

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_setup(self, item: pytest.Item):
        yield from self._paying(item.nodeid, "setup")

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(self, item: pytest.Item):
        yield from self._paying(item.nodeid, "call")

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_teardown(self, item: pytest.Item):
        yield from self._paying(item.nodeid, "teardown")

    def _own_part(self) -> dict:
        loaded = {load["module"].partition(".")[0] for load in self.loads if not load["failed"]}
        never = sorted(set(_configured()) - loaded)
        worker = getattr(self.config, "workerinput", {}).get("workerid", "")  # pytest-xdist
        return {"loads": list(self.loads), "never_loaded": never, "worker": worker}

    def pytest_sessionfinish(self) -> None:
        if hasattr(self.config, "workeroutput"):  # an xdist worker: the controller reports
            self.config.workeroutput[_REPORT_KEY] = self._own_part()

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node, error) -> None:
        part = getattr(node, "workeroutput", {}).get(_REPORT_KEY)
        if part is not None:
            self.from_workers.append(part)

    def pytest_terminal_summary(self, terminalreporter) -> None:
        if hasattr(self.config, "workeroutput"):
            return
        parts = [self._own_part(), *self.from_workers]
        for line in summary_lines(parts):
            if line.startswith("="):
                terminalreporter.write_sep("=", line.strip("= "))
            else:
                terminalreporter.write_line(line)


def _configured() -> list[str]:
    import lazyhook

    finder = lazyhook._state.finder
    return sorted(finder.roots) if finder is not None else []


def summary_lines(parts: list[dict]) -> list[str]:
    """The terminal summary for the loads of one process or of every xdist worker."""
    lines = ["= lazyhook: lazy imports paid by each test ="]
    paid: dict[tuple[str, str, str], list[dict]] = {}
    for part in parts:
        for load in part["loads"]:
            if load["outermost"]:
                paid.setdefault((part["worker"], load["node"], load["phase"]), []).append(load)
    if not paid:
        lines.append("no lazy load ran in this session")
    rows = sorted(paid.items(), key=lambda item: -sum(load["duration_s"] for load in item[1]))
    for (worker, node, phase), loads in rows:
        total = sum(load["duration_s"] for load in loads)
        what = ", ".join(f"{load['module']} {load['duration_s'] * 1000:.1f} ms"
                         + (" (failed)" if load["failed"] else "") for load in loads)
        where = f"[{worker}] " if worker else ""
        lines.append(f"{total * 1000:9.1f} ms  {where}{node} ({phase}): {what}")
    count = sum(len(loads) for loads in paid.values())
    total = sum(load["duration_s"] for loads in paid.values() for load in loads)
    workers = [part for part in parts if part["worker"]]
    if count:
        lines.append(f"{count} lazy load(s), {total * 1000:.1f} ms in all"
                     + (f", over {len(workers)} worker(s)" if workers else ""))
    never = set.intersection(*(set(part["never_loaded"]) for part in workers or parts))
    if never:
        lines.append("configured lazy but never loaded (no test paid for them): " + ", ".join(sorted(never)))
    return lines
