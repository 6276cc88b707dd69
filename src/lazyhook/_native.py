"""Python 3.15+: the interpreter's own lazy imports (PEP 810) carry lazyhook's policy.

``sys.set_lazy_imports("all")`` makes every eligible import statement ask the filter
below, at the statement; the filter allows exactly the policy's packages, the names
the importing module lists in ``__lazy_modules__`` and statements written ``lazy
import``, and refuses never-lazy entries, lazyhook's own modules and what cannot be
found (so a missing package still fails at its ``import`` line).  A filter that was
already set is chained: both must allow.  The finder stays in ``sys.meta_path`` only
to record loads: resolving a lazy import runs the ordinary import, and the finder sees
the name still listed in ``sys.lazy_modules``.  ``restore()`` puts back the mode and
filter that were in effect before.
"""

import sys

from . import _cpython, _find_spec_elsewhere, _state


def _save() -> tuple:
    """The (mode, filter) in effect before lazyhook changed them, kept once."""
    if _state.native_saved is None:
        _state.native_saved = (sys.get_lazy_imports(), sys.get_lazy_imports_filter())
    return _state.native_saved


def refuse_everything(importing, imported, fromlist) -> bool:
    """The kill switch: every import eager, ``lazy import`` statements included.

    (``PYTHON_LAZY_IMPORTS=none`` is no longer a mode: on 3.15 it is a fatal start-up
    error, so a filter that always says no is the one global off switch.)
    """
    return False


def disable() -> None:
    _save()
    sys.set_lazy_imports_filter(refuse_everything)


def enable(finder) -> None:
    """Hand the finder's policy to the interpreter (idempotent)."""
    previous_mode, previous_filter = _save()
    sys.set_lazy_imports_filter(make_filter(finder, previous_filter, previous_mode == "all"))
    sys.set_lazy_imports("all")


def restore() -> None:
    if _state.native_saved is not None:
        mode, previous_filter = _state.native_saved
        _state.native_saved = None
        sys.set_lazy_imports_filter(previous_filter)
        sys.set_lazy_imports(mode)


def make_filter(finder, previous_filter, previous_all: bool):
    """The filter for ``finder``'s live policy (names added later count at once)."""
    roots = finder.roots
    sites = finder.import_sites
    getframe = sys._getframe
    is_explicit_lazy = _cpython.is_explicit_lazy

    def lazyhook_filter(importing, imported, fromlist):
        dot = imported.find(".")
        top = imported if dot < 0 else imported[:dot]
        if top in roots:
            if importing is not None and importing.startswith(top) and (
                    len(importing) == len(top) or importing[len(top)] == "."):
                # A package's imports of itself stay eager, as emulated (numpy needs it),
                # but for what it declares lazy itself (``lazy import``, ``__lazy_modules__``).
                frame = getframe(1)
                if not (is_explicit_lazy(frame) or _listed(frame, imported)):
                    return False
            checked = True
        else:
            frame = getframe(1)
            if is_explicit_lazy(frame):
                checked = False  # written `lazy import`: the program's own choice
            else:
                checked = _listed(frame, imported)
                if not checked and finder.profile_all:  # `lazyhook suggest`'s lazy run
                    from ._finder import adopt_for_profile  # (imported when profiling began)

                    checked = adopt_for_profile(finder, top)
                if not checked and not previous_all:
                    return False
        if top == "lazyhook" or (importing is not None and importing.startswith("lazyhook")
                                 and (importing == "lazyhook" or importing[8] == ".")):
            return False  # lazyhook's own imports: a lazy one would recurse into the finder
        if finder.is_never_lazy(imported):
            return False
        if previous_filter is not None and not previous_filter(importing, imported, fromlist):
            return False
        if checked:
            if not findable(imported):
                return False  # the eager import raises ModuleNotFoundError at this line
            if top in roots and imported not in sites:
                from ._frames import caller_site

                site = caller_site(getframe(1))
                while imported and imported not in sites:
                    sites[imported] = site
                    imported = imported.rpartition(".")[0]
        return True

    return lazyhook_filter


def _listed(frame, imported: str) -> bool:
    """Whether the importing module lists ``imported`` in ``__lazy_modules__`` (lazy on
    3.15 without lazyhook, so lazy with it too)."""
    listed = frame.f_globals.get("__lazy_modules__")
    try:
        return bool(listed) and imported in listed
    except TypeError:  # not a container: nothing is listed
        return False


def findable(name: str) -> bool:
    """Whether importing ``name`` would find it, without running any module body."""
    path = None
    prefix = ""
    for part in name.split("."):
        prefix = f"{prefix}.{part}" if prefix else part
        module = sys.modules.get(prefix)
        if module is not None:
            path = getattr(module, "__path__", None)
            continue
        if prefix != part and path is None:
            return False  # the parent is not a package
        spec = _find_spec_elsewhere(prefix, path)
        if spec is None:
            return False
        path = spec.submodule_search_locations
    return True


def pending_names(finder) -> list[str]:
    """Modules of the finder's packages imported lazily and not loaded yet.

    ``sys.lazy_modules`` also lists from-imported attribute names: only names an
    import statement named (and their parents) are modules for sure.
    """
    return sorted(name for name in finder.import_sites if is_pending_name(name))


def interpreter_pending(module) -> "bool | None":
    """``lazyhook.is_pending`` where the interpreter's lazy imports answer: a placeholder
    (loaded once its module is in ``sys.modules``), or a name ``is_pending_name`` holds
    pending.  None otherwise: lazyhook's own pending modules answer then."""
    placeholder = _cpython.placeholder_name(module)
    if placeholder is not None:
        return placeholder not in sys.modules
    if isinstance(module, str) and is_pending_name(module):
        return True
    return None


def is_pending_name(name: str) -> bool:
    """Imported lazily and not loaded: listed in ``sys.lazy_modules``, or the parent of a
    name listed there (``import a.b`` lists only ``a.b``; loading it loads ``a`` too)."""
    if name in sys.modules:
        return False
    lazy = getattr(sys, "lazy_modules", ())
    prefix = name + "."
    return name in lazy or any(other.startswith(prefix) for other in lazy)
