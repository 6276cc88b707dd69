"""``lazyhook check``: what a package does at import time that laziness would delay.

The package is imported in fresh interpreters, eagerly and under lazyhook, with a
snapshot of process-wide state before and after the ``import`` statement; what changes
eagerly but not lazily is what deferring the package would postpone (or skip entirely,
if the program never uses it).
"""

import json
import os
import subprocess
import sys

SAFE, UNSAFE, CANNOT_IMPORT = 0, 1, 3

# Effects that change how *other* code behaves: delaying them changes the program.
UNSAFE_KINDS = {
    "meta_path": "adds import finders (sys.meta_path)",
    "path_hooks": "adds path hooks (sys.path_hooks)",
    "signals": "installs signal handlers",
    "codecs": "registers codecs",
    "builtins": "changes builtins",
    "stdlib_patches": "replaces attributes of standard-library modules (monkey-patching)",
    "environ": "sets environment variables",
    "threads": "starts threads",
    "registrations": "registers into other packages (their registries grow only when it is imported)",
}
# Effects worth knowing that are usually fine to delay.
NOTE_KINDS = {
    "atexit": "registers atexit handlers (they run only if the package is loaded)",
    "warnings_filters": "changes warnings filters",
    "other_modules": "imports modules outside its own package",
}

PROBE = r'''
import sys
target, mode = sys.argv[1], sys.argv[2]

def registries(names):
    """Sizes of the module-level containers of these modules (registries: colormaps,
    plugin tables, estimator lists): growth means someone registered into them."""
    sizes = {}
    for name in names:
        mod = sys.modules.get(name)
        if mod is None:
            continue
        try:
            items = list(vars(mod).items())
        except TypeError:
            continue
        for attr, value in items:
            if attr.startswith("__") or isinstance(value, (str, bytes, type, type(sys))):
                continue
            try:
                sizes[f"{name}.{attr}"] = len(value)
            except Exception:
                pass
    return sizes

if mode == "others":  # the other packages the target imported, without the target
    import importlib, json
    names = json.loads(sys.argv[3])
    for name in names:
        try:
            importlib.import_module(name)
        except BaseException:
            pass
    print(json.dumps({"registries": registries(names)}))
    raise SystemExit(0)
import atexit, builtins, codecs, json, os, signal, threading, warnings
registered = []
_codecs_register = codecs.register
def _counting_register(func):
    registered.append(getattr(func, "__qualname__", repr(func)))
    return _codecs_register(func)
codecs.register = _counting_register
started = []
_thread_start = threading.Thread.start
def _counting_start(self):
    started.append(self.name)
    return _thread_start(self)
threading.Thread.start = _counting_start
std = getattr(sys, "stdlib_module_names", ())

def _filter(f):
    action, message, category, module, _lineno = f
    text = getattr(message, "pattern", message) or "*"
    return f"{action}:{text}:{getattr(category, '__name__', category)}" + (f":{getattr(module, 'pattern', module)}" if module else "")

def snapshot():
    sigs = {}
    for s in signal.valid_signals():
        try:
            sigs[int(s)] = id(signal.getsignal(s))
        except (ValueError, OSError):
            pass
    patches = {}
    for name, mod in list(sys.modules.items()):
        if mod is None or name.partition(".")[0] not in std or name in ("__main__", "codecs"):
            continue
        try:
            patches[name] = dict(vars(mod))
        except TypeError:
            pass
    return {
        "meta_path": [type(f).__module__ + "." + type(f).__qualname__ for f in sys.meta_path],
        "path_hooks": [getattr(h, "__qualname__", repr(h)) for h in sys.path_hooks],
        "signals": sigs, "atexit": atexit._ncallbacks(), "warnings": [_filter(f) for f in warnings.filters],
        "modules": set(sys.modules), "environ": dict(os.environ),
        "threads": {t.ident: t.name for t in threading.enumerate()},
        "builtins": {k: id(v) for k, v in vars(builtins).items()}, "patches": patches,
    }

before = snapshot()
if mode == "lazy":
    import lazyhook
    lazyhook.install([target.partition(".")[0]], policy=False)
    before = snapshot()
error = None
try:
    exec(compile("import " + target, "<lazyhook check>", "exec"), {"__name__": "__lazyhook_check__"})
except BaseException as exc:
    error = f"{type(exc).__name__}: {exc}"
after = snapshot()
top = target.partition(".")[0]
pending = False
if mode == "lazy" and error is None:
    pending = lazyhook.is_pending(target)
stdlib_changed = []
for name, attrs in before["patches"].items():
    mod = sys.modules.get(name)
    if mod is None:
        continue
    now = vars(mod)
    for k, old in attrs.items():
        new = now.get(k, old)
        if new is old or isinstance(new, type(sys)) or k.startswith("__"):
            continue
        if type(new) is type(old) and isinstance(new, (str, bytes, int, float, tuple, frozenset)) and new == old:
            continue  # recomputed, same value (time.tzset() rebinding time.tzname)
        stdlib_changed.append(f"{name}.{k}")
new_modules = sorted(after["modules"] - before["modules"])
effects = {
    "meta_path": [f for f in after["meta_path"] if f not in before["meta_path"]],
    "path_hooks": [h for h in after["path_hooks"] if h not in before["path_hooks"]],
    "signals": sorted(signal.Signals(s).name for s, i in after["signals"].items() if before["signals"].get(s) != i),
    "codecs": registered,
    "builtins": sorted(k for k, i in after["builtins"].items() if before["builtins"].get(k) != i),
    "stdlib_patches": sorted(stdlib_changed),
    "environ": sorted(k for k, v in after["environ"].items() if before["environ"].get(k) != v),
    "threads": sorted(set(started) | {n for t, n in after["threads"].items() if t not in before["threads"]}),
    "atexit": after["atexit"] - before["atexit"],
    "warnings_filters": [w for w in after["warnings"] if w not in before["warnings"]],
    "other_modules": [m for m in new_modules if m.partition(".")[0] != top],
    "own_modules": len([m for m in new_modules if m.partition(".")[0] == top]),
}
third_party = [m for m in sorted(after["modules"]) if m.partition(".")[0] not in std
               and m.partition(".")[0] != top and not m.startswith(("__main__", "lazyhook"))]
print(json.dumps({"error": error, "pending": pending, "effects": effects,
                  "third_party": third_party, "registries": registries(third_party)}))
'''


def probe(target: str, mode: str, python: str = sys.executable, others: list | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAZY")}
    env["LAZYHOOK_DISABLE"] = "1" if mode != "lazy" else "0"
    env.setdefault("MPLBACKEND", "Agg")
    extra = [json.dumps(others)] if others is not None else []
    proc = subprocess.run([python, "-c", PROBE, target, mode, *extra], capture_output=True, text=True, env=env,
                          timeout=600)
    try:
        return json.loads(proc.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": f"the probe process failed: {tail}", "pending": False, "effects": {}}


def check(target: str) -> dict:
    """Verdict and evidence for one package (or module)."""
    eager = probe(target, "eager")
    if eager["error"]:
        return {"package": target, "verdict": "could not import", "code": CANNOT_IMPORT, "error": eager["error"]}
    lazy = probe(target, "lazy")
    delayed: dict[str, object] = {}
    for kind, value in eager["effects"].items():
        if kind == "own_modules":
            continue
        lazy_value = lazy["effects"].get(kind)
        if isinstance(value, list):
            extra = [v for v in value if v not in (lazy_value or [])]
            if extra:
                delayed[kind] = extra
        elif value and value != lazy_value:
            delayed[kind] = value
    registrations = _registrations(target, eager)
    if registrations:
        delayed["registrations"] = registrations
    unsafe = {k: v for k, v in delayed.items() if k in UNSAFE_KINDS}
    notes = {k: v for k, v in delayed.items() if k in NOTE_KINDS}
    verdict = "unsafe" if unsafe else "safe"
    return {
        "package": target, "verdict": verdict, "code": UNSAFE if unsafe else SAFE,
        "deferred": bool(lazy.get("pending")), "modules_at_import": eager["effects"].get("own_modules", 0),
        "unsafe": unsafe, "notes": notes, "lazy_error": lazy.get("error"),
    }


def _registrations(target: str, eager: dict) -> list[str]:
    """Registries of other packages that grow only when ``target`` is imported too
    (seaborn's colormaps in matplotlib): deferring ``target`` delays or skips that."""
    others = [m for m in eager.get("third_party", []) if "." not in m]
    if not others:
        return []
    alone = probe(target, "others", others=others).get("registries", {})
    found = []
    for key, size in sorted(eager.get("registries", {}).items()):
        if key in alone and size > alone[key]:
            found.append(f"{key} (+{size - alone[key]})")
    return found


def render(result: dict) -> str:
    name = result["package"]
    if result["verdict"] == "could not import":
        return f"{name}: could not import ({result['error']})"
    lines = [f"{name}: {result['verdict'].upper()} to import lazily"
             + ("" if result["deferred"] else " (but lazyhook could not defer it: it is not a source package)")]
    for kind, evidence in result["unsafe"].items():
        lines.append(f"  unsafe: {UNSAFE_KINDS[kind]}: {_short(evidence)}")
    for kind, evidence in result["notes"].items():
        lines.append(f"  note:   {NOTE_KINDS[kind]}: {_short(evidence)}")
    if not result["unsafe"] and not result["notes"]:
        lines.append("  no import-time side effects found")
    return "\n".join(lines)


def _short(evidence) -> str:
    if isinstance(evidence, list):
        shown = ", ".join(map(str, evidence[:8]))
        return shown + (f" ... ({len(evidence)} in all)" if len(evidence) > 8 else "")
    return str(evidence)
