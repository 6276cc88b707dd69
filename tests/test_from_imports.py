"""``from pkg import name`` and ``__lazy_modules__``, as CPython 3.15 does them (PEP 810).

Each case mirrors one of CPython 3.15's own lazy-import tests that can be written without
the ``lazy`` keyword.  The same file runs on 3.11-3.14 (lazyhook's emulation) and on
3.15 (the interpreter's lazy imports, driven by lazyhook's filter): where both pass, the
emulation and the interpreter agree.  Every case runs in a fresh interpreter; ``_trace``
records which module bodies ran, in order.
"""

from __future__ import annotations

import json
import sys

import pytest

from lazyhook._cpython import NATIVE

PKG = {
    "pk/__init__.py": """
        import _trace; _trace.hit(__name__)
        VALUE = 41
        def double(x): return 2 * x
        def keep(function): return function
        class Base: pass
        """,
    "pk/sub.py": "import _trace; _trace.hit(__name__)\nSUB = 'sub'\n",
    "pk/deep/__init__.py": "import _trace; _trace.hit(__name__)\n",
    "pk/deep/mod.py": "import _trace; _trace.hit(__name__)\nDEEP = 'deep'\n",
    "bad/__init__.py": "import _trace; _trace.hit(__name__)\nX = 1 / 0\n",
    "listed/__init__.py": "import _trace; _trace.hit(__name__)\nLISTED = 'listed'\n",
    "listed/part.py": "import _trace; _trace.hit(__name__)\nPART = 'part'\n",
    "other/__init__.py": "import _trace; _trace.hit(__name__)\nOTHER = 'other'\n",
    "mid.py": "import _trace; _trace.hit(__name__)\nfrom pk import VALUE\n",
    "swapper.py": """
        import sys, types, _trace
        __lazy_modules__ = ["other"]
        sys.modules[__name__] = types.SimpleNamespace(swapped=True)
        from other import OTHER
        _trace.swapper_saw = list(_trace.events)
        _trace.swapper_value = OTHER
        """,
}


def run(runner, body: str, packages=("pk",)) -> dict:
    """Run ``body`` at module level after installing lazyhook for ``packages``; the last
    line of output is the JSON of ``result`` (a dict the body fills in)."""
    runner.packages(PKG)
    script = (f"import json, sys, _trace, lazyhook\nlazyhook.install({list(packages)!r})\nresult = {{}}\n"
              f"{body}\nprint(json.dumps(result))\n")
    proc = runner.run(script)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_an_unused_from_import_runs_nothing(runner):
    res = run(runner, """
from pk import VALUE, double
from pk.sub import SUB
result["ran"] = list(_trace.events)
""")
    assert res == {"ran": []}


def test_first_use_runs_the_body_once_and_binds_the_real_object(runner):
    res = run(runner, """
from pk import VALUE
result["before"] = list(_trace.events)
y = VALUE
table = {"k": VALUE}
result["after"] = list(_trace.events)
import pk
result["same"] = [y, table["k"], VALUE is pk.VALUE]
""")
    assert res == {"before": [], "after": ["pk"], "same": [41, 41, True]}


def test_no_name_load_ever_sees_the_placeholder(runner):
    res = run(runner, """
from pk import Base, double, VALUE, keep
class C(Base): pass
@keep
def f(): pass
def read():
    return isinstance(C(), Base), double(VALUE)
result["checks"] = [C.__mro__[1].__name__, read()[0], read()[1], type(double).__name__, f.__name__]
""")
    assert res == {"checks": ["Base", True, 82, "function", "f"]}


def test_each_name_of_a_multi_name_import_is_rebound_only_when_used(runner):
    res = run(runner, """
from pk import VALUE, double as twice
VALUE
kinds = {k: type(v).__name__ for k, v in list(globals().items()) if k in ("VALUE", "twice")}
result["kinds"] = kinds
result["twice_is_placeholder"] = "lazy_import" in repr(dict(globals().items())["twice"])
result["ran"] = list(_trace.events)
result["use"] = twice(3)
""")
    assert res["kinds"]["VALUE"] == "int"
    assert res["kinds"]["twice"] != "function" and res["twice_is_placeholder"]
    assert res["ran"] == ["pk"] and res["use"] == 6


def test_submodules_defer_and_load_parents_first(runner):
    res = run(runner, """
from pk import sub
from pk.deep import mod
from pk.deep.mod import DEEP
result["before"] = list(_trace.events)
result["deep"] = DEEP
result["after_deep"] = list(_trace.events)
result["sub"] = sub.SUB
result["mod"] = mod.DEEP
""")
    assert res["before"] == []
    assert res["after_deep"][:3] == ["pk", "pk.deep", "pk.deep.mod"]
    assert res["deep"] == res["mod"] == "deep" and res["sub"] == "sub"


def test_a_missing_name_fails_at_its_first_use_and_every_later_one(runner):
    res = run(runner, """
from pk import NOPE
result["ran"] = list(_trace.events)
errors = []
for attempt in range(2):
    try:
        NOPE
    except ImportError as exc:
        errors.append([type(exc).__name__, "NOPE" in str(exc)])
result["errors"] = errors
""")
    assert res["ran"] == []
    assert res["errors"] == [["ImportError", True], ["ImportError", True]]


SHAPES = {
    "shapes/__init__.py": "import _trace; _trace.hit(__name__)\n",
    "shapes/same.py": "import _trace; _trace.hit(__name__)\nsame = 'same in same'\n",
    "shapes/inner/__init__.py": "import _trace; _trace.hit(__name__)\n",
    "shapes/inner/leaf.py": "import _trace; _trace.hit(__name__)\nLEAF = 'leaf'\n",
    "shapes/inner/user.py": """
        import _trace
        __lazy_modules__ = ["shapes", "shapes.same", "shapes.inner", "shapes.inner.leaf"]
        from .. import same as same_module
        from ..same import same as renamed
        from . import leaf
        from shapes.same import same
        from ..same import NOPE
        _trace.deferred = list(_trace.events)
        def values():
            return [same_module.__name__, renamed, leaf.LEAF, same]
        def missing():
            return NOPE
        """,
}


def test_every_shape_of_from_import_binds_what_eager_import_binds(runner):
    """Relative levels with and without a module after the dots, ``as``, a name equal to
    its module's, a name the module lacks: each deferred, each bound at first use to what
    the statement binds eagerly (the statement that runs is made once per shape and given
    each deferred one's names)."""
    runner.packages(SHAPES)
    res = run(runner, """
import shapes.inner.user as user
result["deferred"] = _trace.deferred
result["values"] = user.values()
result["ran"] = list(_trace.events)
try:
    user.missing()
except ImportError as exc:
    result["missing"] = [type(exc).__name__, "NOPE" in str(exc)]
""", packages=())
    assert res == {"deferred": ["shapes", "shapes.inner"], "values": ["shapes.same", "same in same", "leaf", "same in same"],
                   "ran": ["shapes", "shapes.inner", "shapes.same", "shapes.inner.leaf"],
                   "missing": ["ImportError", True]}


def test_a_name_a_loaded_module_lacks_fails_at_the_statement_before_315(runner):
    """A known difference (docs/semantics.md, By version): 3.15 binds a placeholder for a
    name a loaded module lacks and raises at its first use; on 3.11-3.14 nothing hooks a
    loaded module's ``IMPORT_FROM``, so the statement raises as eager import does."""
    runner.packages({"lacks.py": """
        import pk.sub
        __lazy_modules__ = ["pk.sub"]
        from pk.sub import NOPE
        def use():
            return NOPE
        """})
    res = run(runner, """
try:
    import lacks
    result["at_statement"] = None
except ImportError as exc:
    result["at_statement"] = "NOPE" in str(exc)
if result["at_statement"] is None:
    try:
        lacks.use()
    except ImportError as exc:
        result["at_use"] = "NOPE" in str(exc)
""", packages=())
    assert res == ({"at_statement": None, "at_use": True} if NATIVE else {"at_statement": True})


def test_a_failing_body_raises_at_the_use_with_the_original_error_chained(runner):
    res = run(runner, """
from bad import X
result["ran"] = list(_trace.events)
chains = []
for attempt in range(2):
    try:
        X
    except Exception as exc:
        chain, seen = [], exc
        while seen is not None:
            chain.append(type(seen).__name__)
            seen = seen.__cause__ or seen.__context__
        chains.append(chain)
result["chains"] = chains
result["retried"] = _trace.events.count("bad")
""", packages=("bad",))
    assert res["ran"] == []
    for chain in res["chains"]:
        assert "ZeroDivisionError" in chain and any("ImportError" in name for name in chain), chain
    assert res["retried"] == 2  # every later use imports it again


def test_a_failing_submodule_named_by_a_from_import_runs_once_per_use(runner):
    """``from pk import sub, broken`` with a failing ``broken``: its first use ran the body
    twice on 3.11-3.14 (once with the package's other from-imported submodules, once for
    the use itself); each use now runs it once and raises its error, as on 3.15."""
    runner.packages({"pk/broken.py": "import _trace; _trace.hit(__name__)\nraise ValueError('broken body')\n"})
    res = run(runner, """
from pk import sub
from pk import broken
runs = []
for attempt in range(2):
    before = len(_trace.events)
    try:
        broken
    except Exception as exc:
        original = _trace.original(exc)
        runs.append([type(original).__name__, str(original), _trace.events[before:].count("pk.broken")])
result["runs"] = runs
result["sub"] = sub.SUB
""")
    assert res["runs"] == [["ValueError", "broken body", 1]] * 2
    assert res["sub"] == "sub"


def test_a_from_import_of_a_pending_submodule_resolves_on_use_and_never_binds_a_failed_module(runner):
    """``import pk.broken`` then ``from pk import broken``: the from-import bound the pending
    module object itself, so after its body failed, evaluating ``broken`` gave that failed,
    half-run module.  It is now bound as every deferred from-import is: each evaluation
    runs the import until it succeeds, and raises its error meanwhile, as on 3.15."""
    runner.packages({"pk/broken.py": "import _trace; _trace.hit(__name__)\nraise ValueError('broken body')\n"})
    res = run(runner, """
import pk.broken
from pk import broken
outcomes = []
for use in ("broken.anything", "broken", "broken"):
    try:
        value = eval(use)
        outcomes.append(["bound", type(value).__name__])
    except Exception as exc:
        original = _trace.original(exc)
        outcomes.append([type(original).__name__, str(original)])
result["outcomes"] = outcomes
result["runs"] = _trace.events.count("pk.broken")
""")
    assert res["outcomes"] == [["ValueError", "broken body"]] * 3
    assert res["runs"] >= 3  # every use tries again


def test_a_module_already_loaded_binds_the_real_object_at_once(runner):
    res = run(runner, """
import importlib
importlib.import_module("pk")  # never lazy
from pk import VALUE
result["bound"] = [type(v).__name__ for k, v in list(globals().items()) if k == "VALUE"]
""")
    assert res == {"bound": ["int"]}


def test_globals_vars_dir_and_the_module_dict_never_load(runner):
    res = run(runner, """
from pk import VALUE
import types
names = dir()
listed = "VALUE" in names and "VALUE" in globals() and "VALUE" in vars()
this = sys.modules[__name__]
in_dict = "VALUE" in this.__dict__
keys = [k for k in this.__dict__ if k == "VALUE"]
result["seen"] = [listed, in_dict, len(keys)]
result["ran"] = list(_trace.events)
""")
    assert res == {"seen": [True, True, 1], "ran": []}


def test_a_name_reexported_through_another_module_loads_where_it_is_used(runner):
    res = run(runner, """
import mid  # not lazy itself: its body runs, its own from-import of pk stays deferred
result["after_mid"] = list(_trace.events)
from mid import VALUE
result["value"] = VALUE
result["after"] = list(_trace.events)
""")
    assert res == {"after_mid": ["mid"], "value": 41, "after": ["mid", "pk"]}


def test_rebinding_or_deleting_the_name_loads_nothing(runner):
    res = run(runner, """
from pk import VALUE, double
VALUE = 5
del double
def rebind():
    global VALUE
    VALUE = 6
rebind()
result["value"] = VALUE
result["has_double"] = "double" in globals()
result["ran"] = list(_trace.events)
""")
    assert res == {"value": 6, "has_double": False, "ran": []}


def test_imports_in_try_blocks_functions_and_class_bodies_stay_eager(runner):
    res = run(runner, """
try:
    from pk import VALUE
except ImportError:
    pass
result["after_try"] = list(_trace.events)
""")
    assert res == {"after_try": ["pk"]}
    res = run(runner, """
def load():
    from pk.sub import SUB
    return SUB
class Holder:
    from pk.deep import mod
result["ran"] = list(_trace.events)
""")
    assert res["ran"] == ["pk", "pk.deep", "pk.deep.mod"]


def test_a_star_import_stays_eager(runner):
    res = run(runner, """
from pk.sub import *
result["ran"] = list(_trace.events)
result["sub"] = SUB
""")
    assert res == {"ran": ["pk", "pk.sub"], "sub": "sub"}


def test_threads_racing_for_a_name_run_the_body_once_and_all_get_the_real_object(runner):
    runner.packages({"slowpk/__init__.py": "import _trace, time; _trace.hit(__name__); time.sleep(0.2)\n"
                                           "class Thing: pass\n"})
    for _ in range(3):
        res = run(runner, """
import threading
from slowpk import Thing
barrier = threading.Barrier(8)
seen = []
def worker():
    barrier.wait()
    seen.append(Thing)
threads = [threading.Thread(target=worker) for _ in range(8)]
for t in threads: t.start()
for t in threads: t.join()
import slowpk
result["all_real"] = all(s is slowpk.Thing for s in seen) and len(seen) == 8
result["ran"] = list(_trace.events)
result["plain_keys"] = all(type(k) is str for k in globals())
""", packages=("slowpk",))
        assert res == {"all_real": True, "ran": ["slowpk"], "plain_keys": True}


def test_lazy_modules_defers_what_it_lists_even_outside_the_policy(runner):
    res = run(runner, """
__lazy_modules__ = ["listed", "listed.part"]
import listed
from listed.part import PART
import other
result["before"] = list(_trace.events)
result["values"] = [listed.LISTED, PART]
result["after"] = list(_trace.events)
""", packages=())
    assert res == {"before": ["other"], "values": ["listed", "part"], "after": ["other", "listed", "listed.part"]}


OWN_LISTING = {
    "ownlist/__init__.py": """
        import _trace
        __lazy_modules__ = ["ownlist", "ownlist.a", "ownlist.b", "ownlist.c", "ownlist.d"]
        import ownlist.a as a_module
        from ownlist.b import B
        from . import c
        from .d import D
        _trace.at_end = list(_trace.events)
        """,
    **{f"ownlist/{name}.py": f"import _trace; _trace.hit(__name__)\n{name.upper()} = {name!r}\n"
       for name in "abcde"},
    "ownlist/late.py": """
        import _trace; _trace.hit(__name__)
        __lazy_modules__ = ["ownlist.e"]
        import ownlist.e as e_module
        """,
    "loadedpkg/__init__.py": "import _trace; _trace.hit(__name__)\n",
    "loadedpkg/sub.py": "import _trace; _trace.hit(__name__)\nSUB = 'sub'\n",
}


# filelock 4.2's shape: the package lists two of its modules, then imports a third eagerly,
# whose body uses one of the listed two while the package and that third module are
# still running; the other listed module imports names the third defines further down.
SELF_USE = {
    "selfuse/__init__.py": """
        import _trace; _trace.hit(__name__)
        __lazy_modules__ = ["selfuse._api", "selfuse._descriptor"]
        from ._api import Base
        from ._descriptor import helper
        from ._unix import Lock
        """,
    "selfuse/_api.py": "import _trace; _trace.hit(__name__)\nclass Base: pass\n",
    "selfuse/_descriptor.py": "import _trace; _trace.hit(__name__)\nfrom ._unix import lock_fn\nhelper = lock_fn\n",
    "selfuse/_unix.py": """
        import _trace; _trace.hit(__name__)
        from ._api import Base
        class Lock(Base): pass
        def lock_fn(): return 'locked'
        """,
}


def test_a_use_inside_a_running_body_of_its_package_runs_only_what_it_needs(runner):
    """The use of ``_api`` inside ``_unix``'s body (the package's body still running)
    runs ``_api`` alone, as eager import and 3.15 do: running the package's other pending
    module there too ran ``_descriptor`` against a half-initialised ``_unix`` and failed
    it, an error no eager run has (it was held for ``_descriptor``'s first use)."""
    runner.packages(SELF_USE)
    res = run(runner, """
import selfuse
result["after_import"] = list(_trace.events)
import selfuse._descriptor as descriptor
result["values"] = [descriptor.helper(), selfuse.helper(), selfuse.Lock.__mro__[1].__name__]
result["ran"] = list(_trace.events)
""", packages=())
    assert res == {"after_import": ["selfuse", "selfuse._unix", "selfuse._api"],
                   "values": ["locked", "locked", "Base"],
                   "ran": ["selfuse", "selfuse._unix", "selfuse._api", "selfuse._descriptor"]}


@pytest.mark.parametrize("configured", [False, True], ids=["listed", "configured-and-listed"])
def test_a_package_s_own_submodules_it_lists_in_lazy_modules_defer(runner, configured):
    """A package listing its own submodules (``import pkg.a as m``, ``from pkg.b import B``,
    ``from . import c``, ``from .d import D``) defers them at its own import, as 3.15 does;
    they run at first use.  lazyhook keeps a configured package's own imports eager,
    but never what the package declares lazy itself: configuring it never makes it less
    lazy than 3.15 alone."""
    runner.packages(OWN_LISTING)
    res = run(runner, """
import ownlist
result["after_import"] = list(_trace.events)
result["values"] = [ownlist.a_module.A, ownlist.B]
result["at_end"] = _trace.at_end
result["after_two"] = list(_trace.events)
result["more"] = [ownlist.c.C, ownlist.D]
result["ran"] = list(_trace.events)
import ownlist.late  # imported by the package's own module once nothing of it is pending
result["late"] = [_trace.events[4:], ownlist.late.e_module.E, _trace.events[4:]]
""", packages=("ownlist",) if configured else ())
    everything = ["ownlist.a", "ownlist.b", "ownlist.c", "ownlist.d"]
    # (A first use runs the package's whole pending tree on 3.11-3.14: docs/semantics.md.)
    assert res == {"at_end": [], "after_import": [], "values": ["a", "b"],
                   "after_two": everything[:2] if NATIVE else everything, "more": ["c", "d"],
                   "ran": everything,
                   # (configured, the script's own import of ownlist.late is deferred too)
                   "late": [[] if configured else ["ownlist.late"], "e", ["ownlist.late", "ownlist.e"]]}


def test_lazy_modules_defers_a_submodule_of_a_loaded_package_it_lists(runner):
    """``from pkg import sub`` with ``pkg`` listed and already loaded: ``sub`` is a
    submodule not loaded yet, and it waits for its first use (3.15)."""
    runner.packages(OWN_LISTING)
    res = run(runner, """
import loadedpkg
__lazy_modules__ = ["loadedpkg"]
from loadedpkg import sub
result["before"] = list(_trace.events)
result["value"] = sub.SUB
result["after"] = list(_trace.events)
""", packages=())
    assert res == {"before": ["loadedpkg"], "value": "sub", "after": ["loadedpkg", "loadedpkg.sub"]}


def test_lazy_modules_is_read_from_the_importing_code_s_own_globals(runner):
    """Code run by ``exec()`` with globals of its own, and a module that replaced itself in
    ``sys.modules`` with another object, list what they defer in the globals their code
    runs in: 3.15 reads those, whatever ``sys.modules`` holds under the module's name."""
    res = run(runner, """
code = "import _trace\\n__lazy_modules__ = ['listed']\\nfrom listed import LISTED\\nbefore = list(_trace.events)\\nvalue = LISTED\\n"
namespace = {"__name__": "lazyhook_exec_namespace"}
exec(code, namespace)
result["exec"] = [namespace["before"], namespace["value"]]
import swapper
result["swapper"] = [_trace.swapper_saw, _trace.swapper_value, swapper.swapped]
result["ran"] = list(_trace.events)
""", packages=())
    assert res == {"exec": [[], "listed"], "swapper": [["listed"], "other", True], "ran": ["listed", "other"]}


def test_lazy_modules_names_the_target_module_exactly(runner):
    res = run(runner, """
__lazy_modules__ = ["listed"]
from listed.part import PART  # target "listed.part" is not listed: eager
result["ran"] = list(_trace.events)
""", packages=())
    assert res == {"ran": ["listed", "listed.part"]}


def test_never_lazy_and_the_kill_switch_win_over_lazy_modules(runner):
    runner.packages(PKG)
    proc = runner.run("""
import json, _trace, lazyhook
lazyhook.install([], never_lazy=["listed"])
__lazy_modules__ = ["listed", "other"]
from listed import LISTED
from other import OTHER
print(json.dumps(list(_trace.events)))
""")
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == ["listed"]
    proc = runner.run("""
import json, _trace, lazyhook
lazyhook.install(["pk"])
__lazy_modules__ = ["listed"]
from listed import LISTED
from pk import VALUE
print(json.dumps(list(_trace.events)))
""", env={"LAZYHOOK_DISABLE": "1"})
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == ["listed", "pk"]


def test_without_lazyhook_lazy_modules_does_nothing_before_315(runner):
    runner.packages(PKG)
    proc = runner.run("""
import json, _trace
__lazy_modules__ = ["listed"]
from listed import LISTED
print(json.dumps(list(_trace.events)))
""")
    ran = json.loads(proc.stdout.strip().splitlines()[-1])
    assert ran == ([] if NATIVE else ["listed"])


def test_the_load_is_recorded_with_the_line_that_used_the_name(runner):
    res = run(runner, """
from pk import VALUE

def use():
    return VALUE
use()
result["events"] = [(e["module"], e["trigger"]["line"], e["trigger"]["function"], e["imported_at"]["line"])
                    for e in lazyhook.events()]
""")
    assert res["events"] == [["pk", 8, "use", 5]]


@pytest.mark.skipif(NATIVE, reason="the interpreter keeps its own dict layout on 3.15")
def test_after_first_use_the_namespace_holds_only_plain_str_keys(runner):
    res = run(runner, """
from pk import VALUE, double
first = [type(k).__name__ for k in globals() if k in ("VALUE", "double")]
VALUE
double
second = [type(k).__name__ for k in globals() if k in ("VALUE", "double")]
result["keys"] = [first, second, list(globals()).index("VALUE") < list(globals()).index("double")]
""")
    assert res["keys"][0] == ["LazyName", "LazyName"]
    assert res["keys"][1] == ["str", "str"] and res["keys"][2]  # same order as an eager import


@pytest.mark.parametrize("method", ["fork", "spawn", "forkserver"])
def test_children_use_a_deferred_name_the_parent_never_used(runner, method):
    if method != "spawn" and sys.platform == "win32":
        pytest.skip("no fork here")
    runner.packages(PKG)
    runner.packages({"work.py": "from pk import double\n\ndef task(x):\n    return double(x)\n"})
    proc = runner.run(f"""
import json, multiprocessing, _trace, lazyhook
lazyhook.install(["pk"])
import work
if __name__ == "__main__":
    with multiprocessing.get_context({method!r}).Pool(2) as pool:
        results = pool.map(work.task, [1, 2, 3])
    print(json.dumps({{"results": results, "parent_ran": list(_trace.events)}}))
""")
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == {"results": [2, 4, 6], "parent_ran": []}


def test_many_names_raced_by_many_threads_each_body_once_every_reader_real(runner):
    count = 40
    runner.packages({f"race{i}/__init__.py": "import _trace; _trace.hit(__name__)\nclass Thing: pass\n"
                     for i in range(count)})
    imports = "\n".join(f"from race{i} import Thing as T{i}" for i in range(count))
    res = run(runner, f"""
import random, threading
{imports}
NAMES = [f"T{{i}}" for i in range({count})]
barrier = threading.Barrier(8)
bad = []
def worker(seed):
    order = NAMES[:]
    random.Random(seed).shuffle(order)
    barrier.wait()
    for name in order:
        value = eval(name)  # a LOAD_NAME in this module's namespace
        if not isinstance(value, type) or value.__module__ != "race" + name[1:]:
            bad.append((name, repr(value)))
threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(8)]
for t in threads: t.start()
for t in threads: t.join()
result["bad"] = bad
result["runs"] = sorted(set(_trace.events)) == sorted(f"race{{i}}" for i in range({count})) and len(_trace.events) == {count}
result["plain_keys"] = all(type(k) is str for k in globals())
""", packages=tuple(f"race{i}" for i in range(count)))
    assert res == {"bad": [], "runs": True, "plain_keys": True}


def test_evaluating_an_imported_name_loads_the_module(runner):
    """PEP 810 resolves a lazy ``import pk`` when the name ``pk`` is loaded, not only at an
    attribute read: ``alias = pk`` hands over the loaded module, and ``getattr_static``
    (which runs no code) sees what the body defined (3.11-3.14: the name's key loads)."""
    res = run(runner, """
import inspect
import pk
import pk.sub as sub_alias
result["before"] = list(_trace.events)
alias = pk
result["at_name"] = list(_trace.events)[:1]
result["static"] = inspect.getattr_static(alias, "VALUE")
result["pending"] = lazyhook.is_pending("pk")
result["sub"] = sub_alias.SUB
""")
    assert res == {"before": [], "at_name": ["pk"], "static": 41, "pending": False, "sub": "sub"}


def test_a_star_import_of_a_module_with_deferred_names_hands_over_real_objects(runner):
    """``from mid import *`` of a module without ``__all__`` copies its namespace's keys
    as they are; a name load of a copied deferred name still gets the real object, never
    the placeholder (3.15 resolves it at the star import)."""
    res = run(runner, """
import mid
from mid import *
value = VALUE
result["value"] = [value, type(value).__name__]
result["ran"] = sorted(_trace.events)
""")
    assert res == {"value": [41, "int"], "ran": ["mid", "pk"]}
