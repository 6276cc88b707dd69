"""The semantic contract (PRODUCT.md), one test per point, each in a fresh interpreter.

Package bodies call ``_trace.hit(__name__)`` so a test sees exactly which bodies ran
and in which order.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from lazyhook._cpython import NATIVE  # 3.15+: the interpreter's own lazy imports

EMULATED_ONLY = pytest.mark.skipif(NATIVE, reason="a pending module object exists only in the emulation; on 3.15+ the bound name is the interpreter's placeholder, resolved when read")

PKG = {
    "pk/__init__.py": """
        import _trace; _trace.hit(__name__)
        VALUE = 41
        def answer():
            return VALUE + 1
    """,
    "pk/sub/__init__.py": """
        import _trace; _trace.hit(__name__)
        SUB = "sub"
    """,
    "pk/sub/leaf.py": """
        import _trace; _trace.hit(__name__)
        LEAF = "leaf"
    """,
    "pk/other.py": """
        import _trace; _trace.hit(__name__)
        OTHER = "other"
    """,
}

PRELUDE = """
import json, sys, _trace
import lazyhook
lazyhook.install(["pk"])
def report(**kw):
    print(json.dumps(kw))
"""


def out(proc) -> dict:
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_plain_import_defers_the_body_until_first_attribute(runner):
    runner.packages(PKG)
    res = out(runner.run(PRELUDE + """
import pk
before = list(_trace.events)
pending = lazyhook.is_pending("pk")
value = pk.answer()
report(before=before, pending=pending, value=value, after=_trace.events, still=lazyhook.is_pending("pk"))
"""))
    assert res == {"before": [], "pending": True, "value": 42, "after": ["pk"], "still": False}


def test_missing_package_fails_at_the_import_statement_exactly_as_eager(runner):
    script = """
import sys
from pathlib import Path
{setup}
try:
    import no_such_package_xyz
except ModuleNotFoundError as exc:
    print(repr(exc), exc.name)
"""
    lazy = runner.run(script.format(setup="import lazyhook; lazyhook.install(['no_such_package_xyz'])")).stdout
    eager = runner.run(script.format(setup="")).stdout
    assert lazy == eager
    assert "No module named 'no_such_package_xyz'" in lazy


def test_missing_submodule_fails_at_the_import_statement(runner):
    runner.packages(PKG)
    script = "import _trace, atexit\n{setup}\natexit.register(lambda: print(_trace.events))\nimport pk.nope\n"
    lazy = runner.run(script.format(setup="import lazyhook; lazyhook.install(['pk'])"), check=False)
    eager = runner.run(script.format(setup=""), check=False)
    assert lazy.returncode == eager.returncode == 1
    assert lazy.stderr.splitlines()[-1] == eager.stderr.splitlines()[-1] == (
        "ModuleNotFoundError: No module named 'pk.nope'")
    assert 'line 4, in <module>' in lazy.stderr  # at the statement itself
    # As eager import: pk's body runs first (it may extend __path__), then the statement
    # fails.  (3.15: the filter refuses what cannot be found, so the import is eager.)
    assert lazy.stdout.strip() == eager.stdout.strip() == "['pk']"


def test_submodule_imports_execute_nothing_until_used(runner):
    runner.packages(PKG)
    res = out(runner.run(PRELUDE + """
import pk.sub.leaf as L
import pk.sub
from pk.sub import leaf
nothing = list(_trace.events)
same = leaf is L and pk.sub.leaf is L
value = L.LEAF
report(nothing=nothing, same=same, value=value, order=_trace.events)
"""))
    assert res["nothing"] == []
    assert res["same"] is True
    assert res["value"] == "leaf"
    assert res["order"] == ["pk", "pk.sub", "pk.sub.leaf"]


def test_first_touch_runs_the_whole_imported_tree_in_eager_order(runner):
    runner.packages(PKG)
    script = """
import json, _trace
{setup}
import pk.other
import pk.sub.leaf
import pk
pk.VALUE
print(json.dumps(_trace.events))
"""
    lazy = runner.run(script.format(setup="import lazyhook; lazyhook.install(['pk'])")).stdout
    eager = runner.run(script.format(setup="")).stdout
    assert json.loads(eager) == ["pk", "pk.other", "pk.sub", "pk.sub.leaf"]
    # Emulated, first touch runs the imported tree; 3.15 loads per name (docs/semantics.md).
    assert json.loads(lazy) == (["pk"] if NATIVE else json.loads(eager))


def test_touching_a_submodule_runs_its_parent_first(runner):
    runner.packages(PKG)
    res = out(runner.run(PRELUDE + """
import pk.sub.leaf as L
L.LEAF
report(order=_trace.events)
"""))
    assert res["order"] == ["pk", "pk.sub", "pk.sub.leaf"]


def test_second_import_in_another_module_stays_lazy(runner):
    runner.packages({**PKG, "user2.py": "import pk\nimport pk.sub\n"})
    res = out(runner.run(PRELUDE + """
import pk
import user2
ran = list(_trace.events)
report(ran=ran, pending=lazyhook.is_pending("pk"), same=user2.pk is pk)
"""))
    assert res == {"ran": [], "pending": True, "same": True}


@pytest.mark.parametrize(
    "statement",
    [
        "try:\n    import pk\nexcept ImportError:\n    pass",
        "try:\n    raise ImportError\nexcept ImportError:\n    import pk",
        "try:\n    import contextlib\n    with contextlib.nullcontext():\n        import pk\nexcept ImportError:\n    pass",
        "def f():\n    import pk\nf()",
        "import importlib\nimportlib.import_module('pk')",
        "__import__('pk')",
        "class C:\n    import pk",
    ],
    ids=["try", "except", "with-in-try", "function", "import_module", "__import__", "class-body"],
)
def test_imports_outside_module_level_statements_stay_eager(runner, statement):
    runner.packages(PKG)
    res = out(runner.run(PRELUDE + statement + "\nreport(ran=_trace.events, pending=lazyhook.is_pending('pk'))\n"))
    assert res == {"ran": ["pk"], "pending": False}


@pytest.mark.parametrize(
    "statement",
    [
        "def f():\n    import pk\nf()",
        "try:\n    import pk\nexcept ImportError:\n    pass",
        "import importlib\nimportlib.import_module('pk')",
        "def f():\n    import pk.sub\nf()",
        "def f():\n    from pk import sub\nf()",
    ],
    ids=["function", "try", "import_module", "function-submodule", "function-from"],
)
def test_eager_import_of_a_pending_module_loads_it_there(runner, statement):
    runner.packages(PKG)
    res = out(runner.run(PRELUDE + "import pk\nimport pk.sub\nassert _trace.events == []\n"
                         + statement + "\nreport(ran=_trace.events)\n"))
    # Emulated, loading pk runs its pending tree; 3.15 loads exactly what is imported.
    wanted = ["pk", "pk.sub"] if not NATIVE or "sub" in statement else ["pk"]
    assert res["ran"] == wanted


def test_eager_import_of_an_unimported_submodule_runs_the_pending_parent_first(runner):
    runner.packages({**PKG, "pk/__init__.py": "import _trace; _trace.hit(__name__)\nfrom . import other\n"})
    res = out(runner.run(PRELUDE + """
import pk
def f():
    import pk.other
    import pk.sub
f()
report(ran=_trace.events, same=pk.other is sys.modules['pk.other'])
"""))
    # pk's own body imports pk.other: it must not run twice.
    assert res == {"ran": ["pk", "pk.other", "pk.sub"], "same": True}


@EMULATED_ONLY
def test_own_imports_while_the_tree_is_pending_keep_eager_order_and_skip_the_decision(runner):
    """While a package's body runs with other modules of its tree still pending, its own
    imports load in eager order (a pending parent first), and one with no pending
    ancestor is answered without the deferral decision (``find_configured``'s early
    answer; only ``pk.sub.leaf``, whose parent was pending, is asked about)."""
    runner.packages({**PKG, "pk/__init__.py": "import _trace; _trace.hit(__name__)\nVALUE = 41\n"
                                              "import pk.other\nimport pk.sub.leaf\n"})
    res = out(runner.run(PRELUDE + """
import pk.sub
from lazyhook import _finder
asked, decide = [], _finder.would_defer
def spy(finder, name, statement, offset=None):
    asked.append(name)
    return decide(finder, name, statement, offset)
_finder.would_defer = spy
value = pk.VALUE
report(ran=_trace.events, asked=asked, value=value, leaf=pk.sub.leaf.LEAF)
"""))
    assert res == {"ran": ["pk", "pk.other", "pk.sub", "pk.sub.leaf"], "asked": ["pk.sub.leaf"],
                   "value": 41, "leaf": "leaf"}


def test_try_import_of_a_broken_package_is_caught_by_its_except(runner):
    runner.packages({"broken/__init__.py": "raise RuntimeError('boom at import')\n"})
    res = out(runner.run("""
import json, lazyhook
lazyhook.install(['broken'])
try:
    import broken
except RuntimeError as exc:
    print(json.dumps({"caught": str(exc)}))
"""))
    assert res == {"caught": "boom at import"}


@pytest.mark.parametrize(
    "statement",
    [
        "import contextlib\nwith contextlib.nullcontext():\n    import pk",
        "import contextlib\nwith contextlib.nullcontext():\n    with contextlib.nullcontext():\n        import pk",
        "try:\n    pass\nexcept ImportError:\n    pass\nelse:\n    import pk",
        "try:\n    pass\nfinally:\n    import pk",
        "import contextlib\nwith contextlib.nullcontext():\n    try:\n        pass\n    except ImportError:\n"
        "        pass\n    import pk",
    ],
    ids=["with", "nested-with", "try-else", "try-finally", "with-after-try"],
)
def test_with_blocks_and_try_else_finally_defer_as_on_3_15(runner, statement):
    """CPython 3.15 defers module-level imports in ``with`` blocks and in a ``try``
    statement's ``else:``/``finally:`` clauses (docs/semantics.md); so does lazyhook."""
    runner.packages(PKG)
    res = out(runner.run(PRELUDE + statement + "\nreport(ran=list(_trace.events), pending=lazyhook.is_pending('pk'), "
                         "value=pk.VALUE, after=_trace.events)\n"))
    assert res == {"ran": [], "pending": True, "value": 41, "after": ["pk"]}


def test_a_warning_silenced_around_a_deferred_import_is_raised_at_first_use(runner):
    """The body runs at first use, outside the ``with`` block that silenced it: on
    3.15 natively as emulated, the warning filter in force then applies."""
    runner.packages({"noisy/__init__.py": "import warnings\nwarnings.warn('noisy import', DeprecationWarning)\n"})
    proc = runner.run("""
import warnings, lazyhook
lazyhook.install(['noisy'])
warnings.simplefilter('error')
with warnings.catch_warnings():
    warnings.simplefilter('ignore')
    import noisy
pending = lazyhook.is_pending('noisy')
try:
    noisy.anything
except Exception as exc:
    chain = [repr(exc), repr(exc.__cause__)]
print(pending, 'noisy import' in ' '.join(chain), 'DeprecationWarning' in ' '.join(chain))
""")
    assert proc.stdout.split() == ["True", "True", "True"]


def test_failing_body_raises_chained_error_naming_module_and_both_sites(runner):
    runner.packages({
        "bad/__init__.py": "import _trace; _trace.hit(__name__)\nVALUE = 1\nraise ValueError('bad body')\n",
    })
    res = out(runner.run("""
import json, sys, _trace, lazyhook
lazyhook.install(['bad'])
import bad
errors = []
for _ in range(2):
    try:
        bad.VALUE
    except Exception as exc:
        errors.append({"msg": str(exc), "name": getattr(exc, "name", None), "cause": repr(exc.__cause__),
                       "type": type(exc).__name__, "is_import_error": isinstance(exc, ImportError)})
event = lazyhook.events()[0]
print(json.dumps({"errors": errors, "runs": _trace.events, "in_modules": "bad" in sys.modules,
                  "event": [event["status"], event["imported_at"]["line"], event["trigger"]["line"]]}))
"""))
    assert res["in_modules"] is False  # as a failed eager import leaves sys.modules
    assert res["event"] == ["failed", 4, 8]  # recorded with both sites on every version
    first, second = res["errors"]
    # Every use retries the import, as eager re-import and 3.15 do: a deterministic
    # failure fails the same way each time.
    assert res["runs"] == ["bad", "bad"]
    if NATIVE:
        # 3.15 raises the original exception, chained from its ImportError (PEP 810).
        assert first == second
        assert first["type"] == "ValueError" and first["msg"] == "bad body"
        assert "lazy import of 'bad' raised an exception" in first["cause"]
        return
    assert first["type"] == "LazyImportError"
    assert first == second
    assert first["name"] == "bad"
    assert first["cause"] == "ValueError('bad body')"
    assert first["is_import_error"] is True
    assert "main.py:4" in first["msg"]  # imported at
    # First used where the line evaluated the name, as PEP 810 resolves it on 3.15.
    assert "main.py:8 (reading 'bad')" in first["msg"]


def test_failing_submodule_is_removed_from_parent_and_sys_modules(runner):
    runner.packages({**PKG, "pk/sub/leaf.py": "raise KeyError('leaf')\n"})
    res = out(runner.run(PRELUDE + """
import pk.sub.leaf as L
try:
    L.anything
except lazyhook.LazyImportError as exc:
    err = repr(exc.__cause__)
except KeyError as exc:  # 3.15: the original exception itself
    err = repr(exc)
sub = sys.modules['pk.sub']
report(err=err, leaf_in_modules='pk.sub.leaf' in sys.modules, attr='leaf' in vars(sub),
       parent_ok=sub.SUB, ran=_trace.events)
"""))
    assert res == {"err": "KeyError('leaf')", "leaf_in_modules": False, "attr": False,
                   "parent_ok": "sub", "ran": ["pk", "pk.sub"]}


def test_keyboard_interrupt_in_a_body_propagates_unwrapped(runner):
    runner.packages({"intr/__init__.py": "raise KeyboardInterrupt\n"})
    res = out(runner.run("""
import json, lazyhook
lazyhook.install(['intr'])
import intr
try:
    intr.x
except KeyboardInterrupt:
    print(json.dumps({"ok": True}))
"""))
    assert res == {"ok": True}


def test_loaded_module_is_an_ordinary_module_with_no_proxy(runner):
    runner.packages(PKG)
    res = out(runner.run(PRELUDE + """
import types
import pk
pk.VALUE
report(type=type(pk) is types.ModuleType, getattr_slot=type(pk).__getattribute__ is types.ModuleType.__getattribute__,
       dict_has_value='VALUE' in pk.__dict__, pending=lazyhook.is_pending(pk))
"""))
    assert res == {"type": True, "getattr_slot": True, "dict_has_value": True, "pending": False}


def test_class_set_by_the_body_survives_loading(runner):
    runner.packages({"selfclass/__init__.py": """
        import sys, types
        class Special(types.ModuleType):
            @property
            def computed(self):
                return "property works"
        sys.modules[__name__].__class__ = Special
        DURING = sys.modules[__name__].computed
    """})
    res = out(runner.run("""
import json, lazyhook
lazyhook.install(['selfclass'])
import selfclass
print(json.dumps({"during": selfclass.DURING, "cls": type(selfclass).__name__, "prop": selfclass.computed}))
"""))
    assert res == {"during": "property works", "cls": "Special", "prop": "property works"}


def test_package_replacing_itself_in_sys_modules_is_followed(runner):
    runner.packages({"replacer/__init__.py": """
        import sys, types
        class Replacement(types.ModuleType):
            def __getattr__(self, name):
                if name == "dynamic":
                    value = "computed " + name
                    setattr(self, name, value)
                    return value
                raise AttributeError(name)
        new = Replacement(__name__)
        new.__dict__.update({k: v for k, v in globals().items() if k != "__class__"})
        new.STATIC = 7
        sys.modules[__name__] = new
    """, "replacer/sub.py": "X = 1\n"})
    res = out(runner.run("""
import json, sys, lazyhook
lazyhook.install(['replacer'])
import replacer
dynamic = replacer.dynamic
replacer.user_set = 3
print(json.dumps({"static": replacer.STATIC, "dynamic": dynamic,
                  "shared": sys.modules['replacer'].user_set,
                  "type": type(sys.modules['replacer']).__name__}))
"""))
    assert res == {"static": 7, "dynamic": "computed dynamic", "shared": 3, "type": "Replacement"}


def test_from_import_of_a_name_binds_a_placeholder_until_the_name_is_used(runner):
    runner.packages(PKG)
    res = out(runner.run(PRELUDE + "from pk import VALUE\nran = list(_trace.events)\n"
                                   "report(before=ran, value=VALUE, ran=_trace.events)\n"))
    assert res == {"before": [], "value": 41, "ran": ["pk"]}


def test_from_import_of_an_already_lazy_submodule_does_not_load(runner):
    runner.packages(PKG)
    res = out(runner.run(PRELUDE + """
import pk.sub
from pk import sub
ran = list(_trace.events)  # before anything reads a name
report(ran=ran, same=sub is pk.sub, sub=sub.SUB)
"""))
    # `sub` was already lazily imported, so the from-import binds it without loading.
    assert res == {"ran": [], "same": True, "sub": "sub"}


def test_from_import_of_lazy_submodule_keeps_everything_pending(runner):
    runner.packages(PKG)
    res = out(runner.run(PRELUDE + """
import pk.sub
from pk import sub
report(ran=_trace.events, pending=[lazyhook.is_pending(m) for m in ('pk', 'pk.sub')])
"""))
    assert res == {"ran": [], "pending": [True, True]}


@EMULATED_ONLY
def test_answered_without_loading(runner):
    runner.packages({**PKG, "pk/data.txt": "resource text"})
    res = out(runner.run(PRELUDE + """
import importlib.resources, importlib.util, inspect, os
import pk.sub
pk = sys.modules["pk"]  # the module object as tools see it (evaluating the bound name loads it)
seen = {
    "name": pk.__name__, "package": pk.__package__, "spec": pk.__spec__.name,
    "path": [os.path.basename(p) for p in pk.__path__], "file": os.path.basename(pk.__file__),
    "loader": type(pk.__loader__).__name__, "repr": repr(pk).startswith("<module 'pk' from"),
    "registry": hasattr(pk, "__warningregistry__"), "isinstance": isinstance(pk, str),
    "find_spec": importlib.util.find_spec("pk") is pk.__spec__,
    "resource": importlib.resources.files(pk).joinpath("data.txt").read_text(),
    "getmodule": inspect.getmodule(json.dumps).__name__,
}
report(seen=seen, ran=_trace.events)
"""))
    assert res["ran"] == []
    assert res["seen"] == {
        "name": "pk", "package": "pk", "spec": "pk", "path": ["pk"], "file": "__init__.py",
        "loader": "SourceFileLoader", "repr": True, "registry": False, "isinstance": False,
        "find_spec": True, "resource": "resource text", "getmodule": "json",
    }


@pytest.mark.parametrize("probe", ["dir(pk)", "pk.__dict__", "vars(pk)", "pk.__doc__", "pk.__all__"])
def test_everything_else_loads_first(runner, probe):
    """Asked of the pending module object itself (as a tool holding it would; evaluating
    the name an import statement bound loads it anyway, as PEP 810 resolves it)."""
    runner.packages(PKG)
    res = out(runner.run(PRELUDE + f"""
import pk
pk = sys.modules.get("pk") or pk  # 3.15: pending imports stay out of sys.modules
try:
    value = {probe}
except AttributeError:
    pass
report(ran=_trace.events)
"""))
    assert res["ran"] == ["pk"]


def test_setattr_before_load_is_applied_after_the_body(runner):
    runner.packages(PKG)
    res = out(runner.run(PRELUDE + """
import pk
pk.VALUE = 100
report(value=pk.VALUE, answer=pk.answer(), ran=_trace.events)
"""))
    # Eager: the body ran at import, then the assignment replaced VALUE.
    assert res == {"value": 100, "answer": 101, "ran": ["pk"]}


def test_extension_module_in_a_pending_package_loads_after_its_parent(runner, tmp_path):
    import _json

    ext = getattr(_json, "__file__", None)
    if not ext:
        pytest.skip("this interpreter builds _json in")  # pragma: no cover
    runner.packages(PKG)
    # A real C extension inside the package: PyInit__json matches the last name part.
    (tmp_path / "pk" / ("_json" + ext.rsplit("_json", 1)[1])).write_bytes(Path(ext).read_bytes())
    res = out(runner.run(PRELUDE + """
import pk
import pk._json
report(ran=_trace.events, ext_pending=lazyhook.is_pending('pk._json'),
       has_scanner=hasattr(pk._json, 'make_scanner'))
"""))
    assert res == {"ran": ["pk"], "ext_pending": False, "has_scanner": True}


def test_namespace_packages_are_never_deferred(runner):
    runner.packages({"nsp/mod.py": "import _trace; _trace.hit(__name__)\nX = 1\n"})
    res = out(runner.run("""
import json, _trace, lazyhook
lazyhook.install(['nsp'])
import nsp
import nsp.mod
state = {"ns_pending": lazyhook.is_pending("nsp"), "mod_pending": lazyhook.is_pending("nsp.mod"),
         "ran": list(_trace.events)}
print(json.dumps({**state, "x": nsp.mod.X}))
"""))
    # 3.15 defers the namespace package itself too; its module stays lazy everywhere.
    assert res == {"ns_pending": NATIVE, "mod_pending": True, "ran": [], "x": 1}


def test_never_lazy_subtree_is_imported_eagerly_after_its_pending_parent(runner):
    runner.packages(PKG)
    res = out(runner.run("""
import json, _trace, lazyhook
lazyhook.install(['pk'], never_lazy=['pk.sub'])
import pk
import pk.sub
import pk.other
print(json.dumps({"ran": _trace.events, "other_pending": lazyhook.is_pending('pk.other')}))
"""))
    assert res == {"ran": ["pk", "pk.sub"], "other_pending": True}


def test_prefix_match_is_by_dotted_name_only(runner):
    runner.packages({**PKG, "pkx/__init__.py": "import _trace; _trace.hit(__name__)\n"})
    res = out(runner.run(PRELUDE + "import pkx\nreport(ran=_trace.events)\n"))
    assert res == {"ran": ["pkx"]}


def test_the_bodys_own_imports_are_eager_and_c_level_imports_for_others_too(runner):
    runner.packages({
        **PKG,
        "pk/__init__.py": "import _trace; _trace.hit(__name__)\nimport pk.other\nimport other_lazy\n",
        "other_lazy.py": "import _trace; _trace.hit(__name__)\nY = 2\n",
    })
    res = out(runner.run("""
import json, _trace, lazyhook
lazyhook.install(['pk', 'other_lazy'])
import pk
pk.other
print(json.dumps({"ran": _trace.events, "other_lazy_pending": lazyhook.is_pending('other_lazy')}))
"""))
    # pk.other is pk's own import: eager. other_lazy is a module-level import of another
    # configured package inside pk's body: PEP 810 defers it.
    assert res == {"ran": ["pk", "pk.other"], "other_lazy_pending": True}


def test_python_dash_m_on_a_lazy_package_and_traceback_source_lines(runner):
    runner.packages({
        **PKG,
        "pk/tool.py": "import pk\nprint('tool ran', pk.VALUE)\n",
        "sitecustomize.py": "import lazyhook\nlazyhook.install(['pk'])\n",
        "fails/__init__.py": "import _trace\nx = 1\nraise_here = 1 / 0  # the failing source line\n",
    })
    proc = runner.run_args(["-m", "pk.tool"])
    assert proc.stdout.strip() == "tool ran 41"
    proc = runner.run("import lazyhook\nlazyhook.install(['fails'])\nimport fails\nfails.x\n", check=False)
    assert proc.returncode == 1
    assert "raise_here = 1 / 0  # the failing source line" in proc.stderr
    if NATIVE:
        assert "ImportError: lazy import of 'fails' raised an exception during resolution" in proc.stderr
        assert proc.stderr.rstrip().endswith("ZeroDivisionError: division by zero")
    else:
        assert "lazyhook.LazyImportError: lazy module 'fails' failed to load: ZeroDivisionError" in proc.stderr


def test_tools_walking_sys_modules_do_not_load_pending_modules(runner):
    runner.packages(PKG)
    res = out(runner.run(PRELUDE + """
import inspect, warnings
import pk.sub.leaf
for name, mod in list(sys.modules.items()):
    getattr(mod, '__warningregistry__', None)
    getattr(mod, '__file__', None)
    isinstance(mod, type)
inspect.getmodule(report)
report(ran=_trace.events)
"""))
    assert res == {"ran": []}


def test_reload_of_a_loaded_lazy_module_reruns_the_body(runner):
    runner.packages(PKG)
    res = out(runner.run(PRELUDE + """
import importlib
import pk
pk.VALUE
importlib.reload(pk)
report(ran=_trace.events, value=pk.VALUE)
"""))
    assert res == {"ran": ["pk", "pk"], "value": 41}


def test_pickle_and_mock_patch_through_pending_modules(runner):
    runner.packages({**PKG, "pk/sub/leaf.py": "class Thing:\n    def __init__(self, v):\n        self.v = v\ndef func():\n    return 'real'\n"})
    res = out(runner.run(PRELUDE + """
import pickle
from unittest import mock
import pk.sub.leaf
with mock.patch("pk.sub.leaf.func", return_value="patched"):
    patched = pk.sub.leaf.func()
data = pickle.dumps(pk.sub.leaf.Thing(5))
report(patched=patched, real=pk.sub.leaf.func(), v=pickle.loads(data).v)
"""))
    assert res == {"patched": "patched", "real": "real", "v": 5}


def test_uninstall_keeps_bound_modules_usable_and_restores_eager_imports(runner):
    runner.packages({**PKG, "other_pk.py": "import _trace; _trace.hit(__name__)\n"})
    res = out(runner.run(PRELUDE + """
lazyhook.install(["other_pk"])
import pk
import other_pk
lazyhook.uninstall()
count = lambda: [type(f).__name__ for f in sys.meta_path].count('LazyFinder')
guarding = count()  # pk is still pending: its eager submodule imports need the guard
import pk.sub
import pk.other
still_pending = lazyhook.is_pending("other_pk")
other_pk.__doc__
lazyhook.uninstall()
report(ran=list(_trace.events), guarding=guarding, meta=count(), value=pk.VALUE,
       still_pending=still_pending)
"""))
    # 3.15 resolves what is pending on its own: the finder leaves at once.
    assert res == {"ran": ["pk", "pk.sub", "pk.other", "other_pk"], "guarding": 0 if NATIVE else 1, "meta": 0,
                   "value": 41, "still_pending": True}
