"""Failure classes found by trying to break the core, one regression test each, every one
in a fresh interpreter and compared with plain eager import where that is the question."""

import json
import os
import sys

import pytest

from lazyhook._cpython import NATIVE

WARNER = {
    "warner/__init__.py": "import warnings\nwarnings.warn('old api', DeprecationWarning, stacklevel=2)\nX = 1\n",
    "shim/__init__.py": """
        import warnings
        NEW = 2
        def __getattr__(name):
            if name == "OLD":
                warnings.warn("shim.OLD is deprecated", DeprecationWarning, stacklevel=2)
                return NEW
            raise AttributeError(name)
    """,
}


def out(proc) -> dict:
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_a_failing_submodule_reached_through_its_parent_raises_its_import_error(runner):
    """``import pkg.sub`` then ``pkg.sub.Y`` with a failing ``pkg.sub``: not a bare
    AttributeError that ``except ImportError`` misses."""
    runner.packages({"pkg/__init__.py": "X = 1\n", "pkg/sub.py": "raise ValueError('sub body failed')\n"})
    res = out(runner.run("""
import json, lazyhook
lazyhook.install(["pkg"])
import pkg.sub
try:
    pkg.sub.Y
except Exception as exc:
    chain = [type(exc).__name__, type(exc.__cause__).__name__, str(exc)]
print(json.dumps({"chain": chain}))
"""))
    kind, cause, message = res["chain"]
    if NATIVE:  # the interpreter's shape: the original, chained from its ImportError
        assert (kind, cause) == ("ValueError", "ImportError") and message == "sub body failed"
    else:
        assert (kind, cause) == ("LazyImportError", "ValueError")
        assert "lazy module 'pkg.sub' failed to load" in message and "main.py:4" in message


def test_lazyhooks_own_dependencies_are_never_deferred(runner):
    """Configured lazy, ``threading`` (which lazyhook reads while recording a load) broke
    the first load of anything else; now it stays eager, with the reason in the policy."""
    runner.packages({"pkg/__init__.py": "X = 1\n"})
    proc = runner.run_args(["-S", "-c", """
import json, lazyhook
handle = lazyhook.install(["threading", "pkg"], policy=False)
import threading
import pkg
print(json.dumps({"x": pkg.X, "thread": threading.current_thread().name,
                  "excluded": handle.policy.excluded.get("threading"), "lazy": sorted(handle.packages)}))
"""])
    assert proc.returncode == 0, proc.stderr
    assert out(proc) == {"x": 1, "thread": "MainThread", "lazy": ["pkg"],
                         "excluded": "lazyhook itself imports it while loading and reporting"}


@pytest.mark.parametrize("package, eager_line, message", [
    ("warner", 1, "old api"),  # the body warns with stacklevel=2
    ("shim", 2, "shim.OLD is deprecated"),  # PEP 562 __getattr__, on the access that loads it
])
def test_a_deprecation_warning_names_the_programs_line_not_lazyhook(runner, package, eager_line, message):
    """``warnings.warn(..., stacklevel=2)`` in a body names the import line eagerly; lazily
    it names the line that used the module, in the program's own file, so the default
    filters show it (they hide DeprecationWarning outside ``__main__``) and module filters
    match.  The same for a module ``__getattr__`` warning on the access that loads it."""
    runner.packages(WARNER)
    use = f"print({package}.X)" if package == "warner" else f"print({package}.OLD)"
    eager = runner.run(f"import {package}\n{use}\n")
    lazy = runner.run(f"import lazyhook\nlazyhook.install(['{package}'])\nimport {package}\n{use}\n")
    assert eager.stderr.splitlines()[0].endswith(f"main.py:{eager_line}: DeprecationWarning: {message}")
    assert lazy.stderr.splitlines()[0].endswith(f"main.py:4: DeprecationWarning: {message}")
    assert lazy.stdout == eager.stdout


def test_a_read_from_c_with_no_python_frame_loads_the_module(runner):
    """An ``atexit`` callback built with ``operator.methodcaller`` runs with no Python
    frame: the first use must load, not fail with "call stack is not deep enough"."""
    runner.packages({"pkg/__init__.py": "X = 'loaded at exit'\n"})
    proc = runner.run("""
import atexit, operator, sys, lazyhook
lazyhook.install(["pkg"])
import pkg
# atexit runs callbacks last in, first out: this check runs after the C-level read.
atexit.register(lambda: print("pending after the C-level read:", lazyhook.is_pending("pkg")))
# The pending module object (evaluating the name ``pkg`` would load it here).
atexit.register(operator.methodcaller("__getattribute__", "X"), sys.modules.get("pkg") or pkg)
""")
    assert proc.stderr == ""
    assert proc.stdout == "pending after the C-level read: False\n"


@pytest.mark.skipif(NATIVE, reason="3.15 binds plain names; there is no lazy key to compare")
def test_a_copied_lazy_name_compared_from_c_with_no_python_frame_does_not_raise(runner):
    """A copy of a namespace (``dict(vars(mod))``) keeps a deferred name's key after the
    module's own name resolved; a lookup in that copy from C with no Python frame (an
    ``atexit`` callback built with ``operator.itemgetter``) compares it: no error."""
    runner.packages({"heavy/__init__.py": "X = 1\n", "mid.py": "from heavy import X\n"})
    proc = runner.run("""
import atexit, operator, lazyhook
lazyhook.install(["heavy"])
import mid
copy = dict(vars(mid))
mid.X  # resolves the name in mid; the copy still holds the key
atexit.register(lambda: print("done"))
atexit.register(operator.itemgetter("X"), copy)
""")
    assert proc.stderr == ""
    assert proc.stdout == "done\n"


def test_a_handle_undoes_what_its_own_install_did(runner):
    res = out(runner.run("""
import json, os, lazyhook
a = lazyhook.install(["alpha"], policy=False)
b = lazyhook.install(["beta", "alpha"], policy=False)
a.uninstall()
after_a = sorted(b.packages)
a.uninstall()  # twice: nothing more
b.uninstall()
after_b = lazyhook._state.finder is None
c = lazyhook.install(["gamma"], policy=False)
os.environ["LAZYHOOK_DISABLE"] = "1"
with lazyhook.install(["delta"]) as killed:  # the kill switch: installs nothing
    inside = sorted(killed.packages)
after_killed = sorted(c.packages)
lazyhook.uninstall()  # the module-level call removes everything
print(json.dumps({"after_a": after_a, "after_b": after_b, "inside": inside, "after_killed": after_killed,
                  "all_gone": lazyhook._state.finder is None}))
"""))
    assert res == {"after_a": ["alpha", "beta"], "after_b": True, "inside": ["gamma"],
                   "after_killed": ["gamma"], "all_gone": True}


FLAKY = {
    "_trace.py": "events = []\ndef hit(name):\n    events.append(name)\n",
    # Interrupted on its first run (Ctrl-C, a timeout), fine on the next.
    "flaky/__init__.py": "import _trace\n_trace.hit(__name__)\nPARTIAL = 1\n"
                         "if len(_trace.events) == 1:\n    raise KeyboardInterrupt\nVALUE = 'ok'\n",
}


def test_a_transient_failure_is_retried_at_the_next_use_as_eager_reimport_does(runner):
    runner.packages(FLAKY)
    script = """
import json, sys, _trace
{setup}
{first}
outcomes = []
for _ in range(2):
    try:
        {use}
        outcomes.append(flaky.VALUE)
    except KeyboardInterrupt:
        outcomes.append("interrupted")
print(json.dumps({{"outcomes": outcomes, "runs": _trace.events, "partial_kept": "PARTIAL" in vars(flaky)}}))
"""
    eager = out(runner.run(script.format(setup="", first="flaky = None", use="import flaky")))
    lazy = out(runner.run(script.format(setup="import lazyhook\nlazyhook.install(['flaky'])",
                                        first="import flaky", use="flaky.VALUE")))
    assert eager == lazy == {"outcomes": ["interrupted", "ok"], "runs": ["flaky", "flaky"], "partial_kept": True}


def test_a_loaded_module_removed_from_sys_modules_can_be_freed(runner):
    """The load history records loads, not modules: test isolation and plugin reloads
    that drop modules must get their memory back, as without lazyhook."""
    runner.packages({"pkg/__init__.py": "X = 1\n"})
    script = """
import gc, json, sys, weakref
{setup}
import pkg
pkg.X
ref = weakref.ref(sys.modules["pkg"])
del sys.modules["pkg"], pkg
gc.collect()
print(json.dumps({{"freed": ref() is None}}))
"""
    eager = out(runner.run(script.format(setup="")))
    lazy = out(runner.run(script.format(setup="import lazyhook\nlazyhook.install(['pkg'])")))
    assert eager == lazy == {"freed": True}


@pytest.mark.parametrize("statement, use", [("import subst", "subst.X"), ("from subst import X", "X"),
                                            ("import subst\nfrom subst import X", "X")])
def test_a_package_that_replaced_itself_in_sys_modules_can_be_freed(runner, statement, use):
    """transformers puts its own module object in ``sys.modules``; lazyhook's forwarder for
    the module it created must not keep that object alive (held from the fork hooks, a
    root until the interpreter's last collection, it kept the whole package graph alive
    through shutdown's first collection and made every exit slower)."""
    runner.packages({"subst/__init__.py": "import sys, types\nclass Replacement(types.ModuleType):\n    X = 1\n"
                                          "sys.modules[__name__] = Replacement(__name__)\n"})
    script = f"""
import gc, json, sys, weakref
{{setup}}
{statement}
{use}
ref = weakref.ref(sys.modules["subst"])
del sys.modules["subst"]
globals().pop("subst", None)
gc.collect()
print(json.dumps({{{{"freed": ref() is None, "type": type(ref()).__name__}}}}))
"""
    eager = out(runner.run(script.format(setup="")))
    lazy = out(runner.run(script.format(setup="import lazyhook\nlazyhook.install(['subst'])")))
    assert eager == lazy == {"freed": True, "type": "NoneType"}


PURGE = {
    "_trace.py": "events = []\ndef hit(name):\n    events.append(name)\n",
    "pkg/__init__.py": "import _trace\n_trace.hit(__name__)\nX = 1\n",
    "tree/__init__.py": "import _trace\n_trace.hit(__name__)\nfrom . import sub\nX = sub.Y\n",
    "tree/sub/__init__.py": "import _trace\n_trace.hit(__name__)\nimport sys\nY = id(sys.modules['tree'])\n",
}


@pytest.mark.skipif(NATIVE, reason="3.15 keeps pending modules out of sys.modules: there is none to delete")
def test_a_pending_module_deleted_from_sys_modules_then_imported_again_stays_independent(runner):
    """``del sys.modules["pkg"]`` then ``import pkg``: two independent modules, as eager
    import gives; the old one never turns into a forwarder of the new one."""
    runner.packages(PURGE)
    script = """
import json, sys, _trace
{setup}
import pkg as old
del sys.modules["pkg"]
import pkg as new
old.X, new.X
print(json.dumps({{"same": old is new, "types": [type(old).__name__, type(new).__name__],
                   "current": sys.modules["pkg"] is new, "runs": _trace.events}}))
"""
    eager = out(runner.run(script.format(setup="")))
    lazy = out(runner.run(script.format(setup="import lazyhook\nlazyhook.install(['pkg'])")))
    assert eager == lazy == {"same": False, "types": ["module", "module"], "current": True, "runs": ["pkg", "pkg"]}


def test_a_purged_pending_tree_never_runs_inside_its_reimport(runner):
    """numpy's own ``test_full_reimport``: purge ``numpy*`` from ``sys.modules`` and import
    again; the stale pending modules must not run inside the new import."""
    runner.packages(PURGE)
    res = out(runner.run("""
import json, sys, _trace, lazyhook
lazyhook.install(["tree"])
import tree.sub
stale = sys.modules.get("tree")  # (evaluating the name ``tree`` would load it)
for name in [n for n in sys.modules if n == "tree" or n.startswith("tree.")]:
    del sys.modules[name]
import tree as fresh
ok = fresh.X == id(fresh)
print(json.dumps({"ok": ok, "runs": list(_trace.events), "stale_pending": lazyhook.is_pending(stale)}))
"""))
    # 3.15 never put the pending modules in sys.modules: nothing stale to purge.
    assert res == {"ok": True, "runs": ["tree", "tree.sub"], "stale_pending": not NATIVE}


def test_a_fork_while_another_thread_runs_a_lazy_body_does_not_hang_the_child(runner):
    """``preload(background=True)`` then a fork-based pool (a torch DataLoader's workers):
    the child must not wait forever on a lock held by a thread it does not have."""
    runner.packages({"slowpkg/__init__.py": "import time\ntime.sleep(0.5)\nX = 'ready'\n"})
    proc = runner.run("""
import json, multiprocessing, time, lazyhook
lazyhook.install(["slowpkg"])
import slowpkg

def use(_):
    return slowpkg.X

if __name__ == "__main__":
    handle = lazyhook.preload(background=True)
    time.sleep(0.1)  # the preload thread is inside slowpkg's body now
    with multiprocessing.get_context("fork").Pool(2) as pool:
        in_children = pool.map(use, range(4))
    handle.wait()
    print(json.dumps({"children": in_children, "parent": slowpkg.X}))
""", timeout=60)
    assert out(proc) == {"children": ["ready"] * 4, "parent": "ready"}


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
def test_a_background_preload_handle_in_a_forked_child_is_finished_not_waited_on_forever(runner):
    """The child has none of the preload's threads: its ``wait()`` must not block for a
    worker that will never finish (a DataLoader worker calling ``handle.wait()``), and what
    the preload had not loaded loads at the child's first use."""
    runner.packages({"slowpkg/__init__.py": "import time\ntime.sleep(0.5)\nX = 'slow'\n",
                     "laterpkg/__init__.py": "Y = 'later'\n"})
    proc = runner.run("""
import json, os, time, lazyhook
lazyhook.install(["slowpkg", "laterpkg"])
import slowpkg, laterpkg
handle = lazyhook.preload(["slowpkg", "laterpkg"], background=True)
time.sleep(0.1)  # the preload thread is inside slowpkg's body now
read, write = os.pipe()
pid = os.fork()
if pid == 0:
    started = time.monotonic()
    finished = handle.wait(timeout=5)
    waited = time.monotonic() - started
    result = {"finished": finished, "prompt": waited < 1, "flag": handle.finished,
              "values": [slowpkg.X, laterpkg.Y], "again": lazyhook.preload(background=True).wait(5)}
    os.write(write, json.dumps(result).encode())
    os._exit(0)
os.close(write)
_, status = os.waitpid(pid, 0)
child = json.loads(os.read(read, 65536))
print(json.dumps({"child": child, "status": status, "parent": [handle.wait(5), slowpkg.X, laterpkg.Y]}))
""", timeout=60)
    assert out(proc) == {"child": {"finished": True, "prompt": True, "flag": True, "values": ["slow", "later"],
                                   "again": True},
                         "status": 0, "parent": [True, "slow", "later"]}


THREADED = {
    "pool/__init__.py": "import importlib\nfrom concurrent.futures import ThreadPoolExecutor\n"
                        "with ThreadPoolExecutor(2) as ex:\n"
                        "    mods = list(ex.map(importlib.import_module, ['pool.a', 'pool.b']))\n"
                        "X = [m.__name__ for m in mods]\n",
    "pool/a.py": "A = 1\n",
    "pool/b.py": "B = 2\n",
    "selfthread/__init__.py": "",
    "selfthread/sub.py": "import threading, time\nseen = []\ndef worker():\n    from selfthread.sub import LATE\n"
                         "    seen.append(LATE)\nt = threading.Thread(target=worker)\nt.start()\ntime.sleep(0.2)\n"
                         "LATE = 'complete'\n",
}


@pytest.mark.skipif(sys.version_info >= (3, 14), reason="eager import deadlocks on this program itself from "
                    "3.14 on: a submodule import waits for its parent package to finish initialising")
def test_a_body_waiting_on_its_own_worker_threads_does_not_deadlock(runner):
    """``ThreadPoolExecutor.map(importlib.import_module, submodules)`` in a body, first
    used while an unrelated thread is alive: the workers import beside the running body,
    as with eager import, instead of waiting for the load that waits for them."""
    runner.packages(THREADED)
    script = """
import json, threading
{setup}
stop = threading.Event()
unrelated = threading.Thread(target=stop.wait)
unrelated.start()
import pool
value = pool.X
stop.set()
print(json.dumps({{"x": value}}))
"""
    eager = out(runner.run(script.format(setup=""), timeout=60))
    lazy = out(runner.run(script.format(setup="import lazyhook\nlazyhook.install(['pool'])"), timeout=60))
    assert eager == lazy == {"x": ["pool.a", "pool.b"]}


def test_a_thread_started_by_a_body_waits_for_that_body_at_its_import(runner):
    """A submodule's body starts a thread that does ``from pkg.sub import LATE`` before
    LATE exists: eager import makes that thread wait for the body (the module's own
    lock); lazily it must wait too, not fail on a half-built module."""
    runner.packages(THREADED)
    script = """
import json, time
{setup}
import selfthread.sub as sub
sub.LATE
sub.t.join(10)
print(json.dumps({{"seen": sub.seen}}))
"""
    eager = out(runner.run(script.format(setup=""), timeout=60))
    lazy = out(runner.run(script.format(setup="import lazyhook\nlazyhook.install(['selfthread'])"), timeout=60))
    assert eager == lazy == {"seen": ["complete"]}


SIBLINGS = {
    "sib/__init__.py": "",
    # A body that waits on a worker which eagerly imports a sibling the program deferred.
    "sib/a.py": "import threading\nfound = []\n"
                "def worker():\n    import sib.b\n    found.append(sib.b.B)\n"
                "t = threading.Thread(target=worker)\nt.start()\nt.join(15)\n"
                "A = found[0] if found else 'the worker never finished'\n",
    "sib/b.py": "B = 'b, imported by the worker'\n",
}


def test_a_body_waiting_on_a_worker_that_imports_a_pending_sibling_does_not_deadlock(runner):
    """``sib.a``'s body joins a thread that does ``import sib.b``, with ``sib.b`` deferred
    too: eager import locks per module, so the worker runs ``sib.b`` beside ``sib.a``'s
    body.  Lazily it waited for the lock of the whole tree, held by the thread that joins
    it (the worker's join times out, so a deadlock shows as a wrong value, not a hang)."""
    runner.packages(SIBLINGS)
    script = """
import json
{setup}
import sib.a, sib.b
print(json.dumps({{"a": sib.a.A, "b": sib.b.B}}))
"""
    eager = out(runner.run(script.format(setup=""), timeout=60))
    lazy = out(runner.run(script.format(setup="import lazyhook\nlazyhook.install(['sib'])"), timeout=60))
    assert eager == lazy == {"a": "b, imported by the worker", "b": "b, imported by the worker"}


GROWING = {
    # The body adds a directory to the package's __path__ (pkgutil.extend_path, plugins).
    "ext/__init__.py": "import os\n__path__.append(os.path.join(os.path.dirname(__file__), '..', 'portions', 'ext'))\n",
    "portions/ext/portion.py": "P = 'portion'\n",
    # The body makes the module a package and installs a finder for it, as six does.
    "sixlike.py": """
        import sys, types
        __path__ = []
        class _Importer:
            def find_spec(self, name, path=None, target=None):
                if name == __name__ + ".moves":
                    from importlib.machinery import ModuleSpec
                    return ModuleSpec(name, self)
            def create_module(self, spec):
                module = types.ModuleType(spec.name)
                module.MOVED = "moved"
                return module
            def exec_module(self, module):
                pass
        sys.meta_path.append(_Importer())
    """,
}


def test_packages_whose_body_extends_their_path_or_becomes_a_package(runner):
    """``import ext.portion`` where ``ext``'s body adds the directory holding ``portion``;
    ``import sixlike.moves`` where ``sixlike``'s body makes it a package with its own
    finder (the real six's ``six.moves``): both import as eagerly."""
    runner.packages(GROWING)
    script = "{setup}\nimport ext.portion\nimport sixlike.moves\nprint(ext.portion.P, sixlike.moves.MOVED)\n"
    eager = runner.run(script.format(setup=""))
    lazy = runner.run(script.format(setup="import lazyhook\nlazyhook.install(['ext', 'sixlike'])"))
    assert lazy.stdout == eager.stdout == "portion moved\n"


def test_a_tool_rewriting_file_and_path_across_sys_modules_loads_nothing(runner):
    """CPython's regrtest absolutises ``__file__`` and every ``__path__`` entry of every
    module in ``sys.modules`` before it runs tests: pending modules must not load under
    that walk (a body importing anything would change ``sys.modules`` mid-iteration)."""
    runner.packages({"grows/__init__.py": "import colorsys\nG = 1\n", "grows/sub.py": "S = 2\n"})
    res = out(runner.run("""
import json, os, sys, lazyhook
lazyhook.install(["grows"])
import grows.sub
for module in sys.modules.values():  # libregrtest's setup_tests
    if hasattr(module, "__path__"):
        for index, path in enumerate(module.__path__):
            module.__path__[index] = os.path.abspath(path)
    if getattr(module, "__file__", None):
        module.__file__ = os.path.abspath(module.__file__)
pending = [lazyhook.is_pending(n) for n in ("grows", "grows.sub")]
print(json.dumps({"pending": pending, "values": [grows.G, grows.sub.S],
                  "file": os.path.isabs(sys.modules["grows"].__file__)}))
"""))
    # 3.15 keeps pending modules out of sys.modules: the walk never meets them.
    assert res == {"pending": [True, True], "values": [1, 2], "file": True}


def test_cpythons_own_regrtest_passes_with_stdlib_packages_lazy(runner):
    """``python -m test`` walks and rewrites every module in ``sys.modules`` before it runs
    anything; with stdlib packages lazy it must start and pass as it does eagerly."""
    probe = runner.run_args(["-c", "import test.libregrtest, test.test_csv, test.test_decimal, test.test_json"],
                            check=False)
    if probe.returncode != 0:
        pytest.skip("this interpreter ships without CPython's test modules (Debian splits them out)")
    proc = runner.run_args(["-m", "lazyhook", "run", "--lazy", "email,csv,decimal,logging", "-m", "test",
                            "test_csv", "test_decimal", "test_json"], check=False, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "Result: SUCCESS" in proc.stdout and "run=3/3" in proc.stdout


def test_a_pending_module_answers_its_own_class(runner):
    """``pkg.__class__`` is the module's class, as eager import shows, not lazyhook's."""
    runner.packages({"pkg/__init__.py": "X = 1\n"})
    res = out(runner.run("""
import json, sys, types, lazyhook
lazyhook.install(["pkg"])
import pkg
pending = sys.modules.get("pkg")  # the module object as tools see it (evaluating ``pkg`` loads it)
cls = pending.__class__ if pending is not None else pkg.__class__  # 3.15: not in sys.modules
print(json.dumps({"module_type": cls is types.ModuleType, "still_pending": lazyhook.is_pending("pkg"),
                  "x": pkg.X, "after": pkg.__class__ is types.ModuleType}))
"""))
    if NATIVE:  # no module object before the name resolves: the interpreter's own, loaded
        assert res == {"module_type": True, "still_pending": False, "x": 1, "after": True}
    else:
        assert res == {"module_type": True, "still_pending": True, "x": 1, "after": True}


@pytest.mark.skipif(NATIVE, reason="3.15 resolves a lazy import through sys.modules at first use (PEP 810): "
                                    "a patched entry is what the name gets; docs/semantics.md, By version")
def test_first_use_while_a_test_patches_sys_modules_leaves_the_real_module_alone(runner):
    """``mock.patch.dict(sys.modules, {"pkg": fake})`` (or ``None``) around the first use:
    the program's ``pkg`` is the real module, during and after, as with eager import."""
    runner.packages({"pkg/__init__.py": "X = 'real'\n"})
    script = """
import json, sys
from unittest import mock
{setup}
import pkg
fake = type(sys)("pkg")
fake.X = "fake"
seen = []
for patch in (fake, None):
    with mock.patch.dict(sys.modules, {{"pkg": patch}}):
        seen.append(pkg.X)
print(json.dumps({{"seen": seen, "after": pkg.X, "type": type(pkg).__name__,
                   "current": sys.modules["pkg"] is pkg}}))
"""
    eager = out(runner.run(script.format(setup="")))
    lazy = out(runner.run(script.format(setup="import lazyhook\nlazyhook.install(['pkg'])")))
    assert eager == lazy == {"seen": ["real", "real"], "after": "real", "type": "module", "current": True}


CALLABLE_MODULE = {
    "callme/__init__.py": """
import sys

class Replacement:
    VALUE = 5

    def __call__(self, x):
        return x + 1

sys.modules[__name__] = Replacement()
""",
    "other_importer.py": "import callme\n",
}


@pytest.mark.parametrize("lazy", [False, True])
def test_a_package_that_replaces_itself_with_a_callable_is_bound_as_eager_binds_it(runner, lazy):
    """Class 17: `import callme` binds what the body put in sys.modules; the importing
    module's names for it are that object (3.15: the placeholder resolves to it); another
    module that imported it while pending holds a forwarder that calls and reads it."""
    runner.packages(CALLABLE_MODULE)
    res = out(runner.run(("import lazyhook\nlazyhook.install(['callme'])\n" if lazy else "") + """
import json, sys
import callme
import other_importer
alias = callme
result = callme(1)
print(json.dumps({"call": result, "value": callme.VALUE, "same": callme is sys.modules["callme"],
                  "alias": alias is sys.modules["callme"], "other_call": other_importer.callme(2),
                  "other_value": other_importer.callme.VALUE, "callable": callable(other_importer.callme)}))
"""))
    assert res["call"] == 2 and res["value"] == 5 and res["other_call"] == 3 and res["other_value"] == 5
    assert res["same"] is True and res["alias"] is True and res["callable"] is True


@pytest.mark.parametrize("lazy", [False, True])
def test_calling_a_module_whose_body_makes_it_callable_works_as_eager(runner, lazy):
    """Class 16: a body that sets its module's class to a callable subclass; the first use
    is a call.  A plain module called is the same TypeError as eager."""
    runner.packages({
        "callsub/__init__.py": "import sys, types\nclass M(types.ModuleType):\n"
                               "    def __call__(self, x):\n        return x * 3\nsys.modules[__name__].__class__ = M\n",
        "plain/__init__.py": "X = 1\n",
    })
    res = out(runner.run(("import lazyhook\nlazyhook.install(['callsub', 'plain'])\n" if lazy else "") + """
import json
import callsub, plain
try:
    plain(1)
    error = None
except TypeError as exc:
    error = str(exc)
print(json.dumps({"call": callsub(2), "error": error, "x": plain.X}))
"""))
    assert res == {"call": 6, "error": "'module' object is not callable", "x": 1}


def test_first_use_inside_mock_patch_dict_of_sys_modules_behaves_as_pep_810(runner):
    """Class 6: the block restores sys.modules, so what the body imported inside it leaves
    at block exit, on 3.15 natively as emulated; the emulated package itself stays (it was
    in sys.modules before the block), so its submodule runs again on re-import."""
    runner.packages({"mp6/__init__.py": "from . import sub\nfrom .sub import Thing\n",
                     "mp6/sub.py": "class Thing:\n    pass\n"})
    res = out(runner.run("""
import json, sys
from unittest import mock
import lazyhook
lazyhook.install(["mp6"])
import mp6
with mock.patch.dict(sys.modules):
    thing = mp6.Thing()
after = {"pkg": "mp6" in sys.modules, "sub": "mp6.sub" in sys.modules}
import mp6.sub
print(json.dumps({**after, "isinstance": isinstance(thing, mp6.sub.Thing),
                  "same_class": mp6.Thing is mp6.sub.Thing}))
"""))
    assert res["sub"] is False and res["isinstance"] is False  # as the interpreter's own lazy import
    assert (res["pkg"], res["same_class"]) == ((False, True) if NATIVE else (True, False))


SIDE_EFFECT_SUBMODULE = {
    # fontTools in miniature: ``subset``'s body imports ``ttlib``, which binds it on the package.
    "fonts/__init__.py": "",
    "fonts/ttlib.py": "class TTFont:\n    KIND = 'ttf'\n",
    "fonts/subset.py": "from fonts.ttlib import TTFont\nSUBSET = True\n",
    "fonts/unused.py": "import _trace\n_trace.hit(__name__)\n",
}


def test_a_submodule_bound_as_a_side_effect_of_a_from_imported_sibling_is_there(runner):
    """matplotlib's PS backend: ``import fontTools`` and ``from fontTools import subset``,
    then ``fontTools.ttLib.TTFont``, which exists only because ``subset``'s body imported
    it.  On 3.11-3.14 a first use of the package now runs the submodules its deferred
    from-imports name, as eager import ran them at the statement; a name the package
    defines itself, or a from-import nobody made, still runs nothing.  CPython 3.15
    resolves per name (PEP 810): there the attribute is missing, as the interpreter has it."""
    runner.packages(SIDE_EFFECT_SUBMODULE)
    script = """
import json, _trace
{setup}
import fonts
from fonts import subset
try:
    kind = fonts.ttlib.TTFont.KIND
except AttributeError as exc:
    kind = type(exc).__name__
print(json.dumps({{"kind": kind, "subset": subset.SUBSET, "unused_ran": _trace.events}}))
"""
    eager = out(runner.run(script.format(setup="")))
    lazy = out(runner.run(script.format(setup="import lazyhook\nlazyhook.install(['fonts'])")))
    assert eager == {"kind": "ttf", "subset": True, "unused_ran": []}
    if NATIVE:
        assert lazy == {"kind": "AttributeError", "subset": True, "unused_ran": []}
    else:
        assert lazy == eager


def test_help_and_pydoc_of_a_pending_module_show_what_eager_import_shows(runner):
    """pydoc reads a module's docstring with ``object.__getattribute__``, past the lazy
    class's ``__getattribute__``: ``help(pkg)`` of a pending module had no docstring.
    ``inspect.getattr_static`` runs no code by definition; it sees the loaded module
    because evaluating the name ``documented`` to pass it loads it, as PEP 810 resolves a
    lazy import on 3.15 (3.11-3.14: the name is bound under a key that resolves)."""
    runner.packages({"documented/__init__.py": '"""What documented does."""\nVALUE = 42\n'
                                               'def helper():\n    """Helps."""\n'})
    script = """
import inspect, json, pydoc
{setup}
import documented
try:
    static = inspect.getattr_static(documented, "VALUE")
except AttributeError as exc:
    static = "AttributeError"
text = pydoc.render_doc(documented, renderer=pydoc.plaintext)
print(json.dumps({{"static": static, "help": text.split("FILE")[0]}}))
"""
    eager = out(runner.run(script.format(setup="")))
    lazy = out(runner.run(script.format(setup="import lazyhook\nlazyhook.install(['documented'])")))
    assert "What documented does." in eager["help"] and "VALUE = 42" in eager["help"]
    assert lazy["help"] == eager["help"]
    assert eager["static"] == 42
    assert lazy["static"] == 42


FAILING_SUBMODULE = {
    "pkg/__init__.py": "import _trace; _trace.hit(__name__)\nX = 1\n",
    "pkg/sub.py": "import _trace; _trace.hit(__name__)\nraise ValueError('sub body failed')\n",
    "pkg/other.py": "import _trace; _trace.hit(__name__)\nY = 2\n",
}


@pytest.mark.parametrize("first_use", ["pkg.sub", "X"])
def test_a_failing_submodule_runs_once_per_use_and_every_use_raises_its_error(runner, first_use):
    """``import pkg.sub`` binds ``pkg``; evaluating it imports ``pkg.sub``, as on 3.15.
    The body ran twice in one first use, and a later use got a bare AttributeError
    (``pkg`` had been rebound to the loaded package); so did the first use of ``pkg``
    after another name's use had run the package's tree.  Now each use raises its error
    and the body runs once per use, as eager re-import and 3.15 do."""
    runner.packages(FAILING_SUBMODULE)
    res = out(runner.run(f"""
import json, _trace, lazyhook
lazyhook.install(["pkg"])
import pkg.sub
from pkg import X
outcomes = []
for use in ({first_use!r}, "pkg.sub", "pkg.sub"):
    runs = len(_trace.events)
    try:
        eval(compile(use, "main.py", "eval"), globals())
        outcomes.append([use, "ok"])
    except Exception as exc:
        original = _trace.original(exc)
        outcomes.append([use, type(original).__name__, str(original), isinstance(exc, ImportError) or
                         isinstance(exc.__cause__, ImportError)])
    outcomes[-1].append(_trace.events[runs:])
print(json.dumps({{"outcomes": outcomes}}))
"""))
    failure = ["ValueError", "sub body failed", True]
    if first_use == "X":
        assert res["outcomes"][0][:2] == ["X", "ok"]
        first_runs = res["outcomes"][0][2]
        assert first_runs in (["pkg"], ["pkg", "pkg.sub"])  # 3.15: only what X needs
        # 3.11-3.14 run the package's tree at this use, the failing submodule with it:
        # that run is the next use's attempt, raised there without a second run.
        expected_runs = [[], ["pkg.sub"]] if "pkg.sub" in first_runs else [["pkg.sub"]] * 2
    else:
        assert res["outcomes"][0] == ["pkg.sub", *failure, ["pkg", "pkg.sub"]]
        expected_runs = [["pkg.sub"]] * 2
    assert res["outcomes"][1:] == [["pkg.sub", *failure, runs] for runs in expected_runs]


# A submodule that fails until a flag file exists (a transient failure: a file not there yet).
FLAKY_SUBMODULE = {
    "pkg/__init__.py": "import _trace; _trace.hit(__name__)\nX = 1\n",
    "pkg/sub.py": ("import _trace, os; _trace.hit(__name__)\n"
                   "if not os.path.exists(os.environ['SUB_FLAG']):\n    raise ValueError('sub body failed')\n"
                   "Z = 3\n"),
    "pkg/other.py": "import _trace; _trace.hit(__name__)\nY = 2\n",
}


def test_the_package_a_failing_import_pkg_sub_binds_is_usable_and_reading_the_submodule_raises(runner, tmp_path):
    """``import pkg.sub`` binds ``pkg``; on 3.15 the name resolves to the package whatever
    ``sub`` does, and each read of ``pkg.sub`` imports ``sub`` again (raising its error),
    also after a later ``import pkg.other`` rebound the name.  The emulation failed the
    name ``pkg`` itself and then answered ``pkg.sub`` with a bare AttributeError.  Every
    other missing attribute is the package's own AttributeError; once ``sub`` loads, the
    package is a plain module again."""
    runner.packages(FLAKY_SUBMODULE)
    flag = tmp_path / "flag"
    res = out(runner.run(f"""
import json, os, types, _trace, lazyhook
lazyhook.install(["pkg"])
import pkg.sub
import pkg.other
outcomes = []
def use(expression):
    runs = len(_trace.events)
    try:
        outcomes.append([expression, repr(eval(compile(expression, "main.py", "eval"), globals()))])
    except Exception as exc:
        original = _trace.original(exc)
        outcomes.append([expression, type(original).__name__, str(original)])
    outcomes[-1].append(_trace.events[runs:])
for expression in ("pkg.X", "pkg.other.Y", "pkg.sub", "hasattr(pkg, 'sub')", "pkg.nope",
                   "getattr(pkg, 'nope', 'default')", "type(pkg) is types.ModuleType"):
    use(expression)
open({str(flag)!r}, "w").close()
for expression in ("pkg.sub.Z", "pkg.sub.Z", "type(pkg) is types.ModuleType"):
    use(expression)
print(json.dumps({{"outcomes": outcomes}}))
""", env={"SUB_FLAG": str(flag)}))
    outcomes = res["outcomes"]
    # The first use runs the package (3.11-3.14: with its whole pending tree; that failed
    # run of sub is the first read's attempt, raised there without running sub again).
    assert outcomes[0][:2] == ["pkg.X", "1"]
    tree_ran_sub = "pkg.sub" in outcomes[0][2]
    assert outcomes[0][2] in (["pkg"], ["pkg", "pkg.sub", "pkg.other"])
    assert outcomes[1][:2] == ["pkg.other.Y", "2"]
    failure = ["ValueError", "sub body failed"]
    assert outcomes[2] == ["pkg.sub", *failure, [] if tree_ran_sub else ["pkg.sub"]]
    assert outcomes[3] == ["hasattr(pkg, 'sub')", *failure, ["pkg.sub"]]  # as on 3.15: not False
    assert outcomes[4] == ["pkg.nope", "AttributeError", "module 'pkg' has no attribute 'nope'", []]
    assert outcomes[5] == ["getattr(pkg, 'nope', 'default')", "'default'", []]
    assert outcomes[7:] == [["pkg.sub.Z", "3", ["pkg.sub"]], ["pkg.sub.Z", "3", []],
                            ["type(pkg) is types.ModuleType", "True", []]]


def test_a_failed_ancestor_run_with_its_tree_counts_as_the_next_uses_attempt(runner):
    """``import pkg.bad.leaf as leaf`` with a failing ``pkg.bad``: 3.11-3.14 run the
    package's whole pending tree at the first use of anything in it, ``pkg.bad`` with it.
    That failed run is the attempt of the next use that needs ``pkg.bad`` (``leaf.Z``
    raises its error without running it again), so ``pkg.bad`` runs as many times as
    on 3.15, which first runs it at that use."""
    runner.packages({
        "pkg/__init__.py": "import _trace; _trace.hit(__name__)\n",
        "pkg/bad/__init__.py": "import _trace; _trace.hit(__name__)\nraise ValueError('bad body failed')\n",
        "pkg/bad/leaf.py": "import _trace; _trace.hit(__name__)\nZ = 1\n",
        "pkg/other.py": "import _trace; _trace.hit(__name__)\nY = 2\n",
    })
    res = out(runner.run("""
import json, _trace, lazyhook
lazyhook.install(["pkg"])
import pkg.bad.leaf as leaf
import pkg.other
outcomes = []
for use in ("pkg.other.Y", "leaf.Z", "leaf.Z"):
    runs = len(_trace.events)
    try:
        outcomes.append([use, eval(use)])
    except Exception as exc:
        outcomes.append([use, str(_trace.original(exc))])
print(json.dumps({"outcomes": outcomes, "bad_runs": _trace.events.count("pkg.bad"),
                  "leaf_runs": _trace.events.count("pkg.bad.leaf")}))
"""))
    assert res == {"outcomes": [["pkg.other.Y", 2], ["leaf.Z", "bad body failed"], ["leaf.Z", "bad body failed"]],
                   "bad_runs": 2, "leaf_runs": 0}


# A body that calls a small function in a loop at every depth from 0 to 299: somewhere in
# that range the loop's calls cross the end of a chunk of the frame stack, wherever the
# body starts (a 16 KiB chunk holds fewer than 300 of these frames).
FRAME_STACK_SCAN = """
import resource
def leaf():
    return None
def at_depth(depth):
    if depth:
        return at_depth(depth - 1)
    for _ in range(500):
        leaf()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for depth in range(300):
    at_depth(depth)
FAULTS = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
"""


@pytest.mark.skipif(NATIVE, reason="3.15's interpreter runs deferred bodies itself")
@pytest.mark.skipif(sys.platform != "linux", reason="counts minor page faults (getrusage)")
@pytest.mark.parametrize("statement, use", [
    ("import scan", "scan.FAULTS"),
    ("from scan import FAULTS", "FAULTS"),
])
@pytest.mark.parametrize("use_depth", [0, 7, 40])
def test_a_deferred_body_runs_on_a_frame_stack_chunk_of_its_own(runner, statement, use, use_depth):
    """Before CPython gh-142183 (3.11, 3.12, 3.13.0) a call that crosses the end of a
    frame-stack chunk maps a new chunk, faults its first page in and unmaps it on return,
    at every iteration of a loop that sits there; a deferred body runs deeper than eager,
    so which of its loops sit there changed with the depth of the first use (about 6,000
    unmaps against 760 for scipy).  A deferred body starts a fresh chunk with room above
    it, so the scan never crosses an end: a handful of faults whatever the depth of the
    use, where an end crossed in the scan costs one fault per call (500 or more)."""
    runner.packages({"scan.py": FRAME_STACK_SCAN})
    res = out(runner.run(f"""
import json, lazyhook
lazyhook.install(["scan"])
{statement}
def use_at(depth):
    return use_at(depth - 1) if depth else {use}
print(json.dumps({{"faults": use_at({use_depth})}}))
"""))
    assert res["faults"] < 250, res
