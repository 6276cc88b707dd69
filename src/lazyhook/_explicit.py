"""Lazy modules without the global hook: ``lazy_import`` and a module ``__getattr__`` helper."""

import sys

from . import _cpython, _frames, _lazymodule


def lazy_import(name: str):
    """Return module ``name`` (``"torch.nn.functional"``) without running it yet.

    The same life cycle as the hook: ancestors first at first use, one run across
    threads, errors chained at first use and after.  A missing module raises
    ``ModuleNotFoundError`` here and now; C extensions, namespace packages and other
    modules that cannot be deferred are imported eagerly (their pending ancestors first).
    """
    if not isinstance(name, str) or not all(part.isidentifier() for part in name.split(".")):
        raise ValueError(f"lazy_import: {name!r} is not an absolute module name such as 'torch.nn'")
    module = sys.modules.get(name)
    if module is not None:
        return module
    if not _cpython.SUPPORTED:  # an interpreter lazyhook does not know: eager, never guessed
        import importlib

        return importlib.import_module(name)
    site = _frames.caller_site(sys._getframe(1))
    parts = name.split(".")
    for depth in range(1, len(parts) + 1):
        prefix = ".".join(parts[:depth])
        if prefix in sys.modules:
            continue
        with _cpython.ModuleLockManager(prefix):
            if prefix not in sys.modules:
                _create_pending(prefix, site)
    return sys.modules[name]


def _create_pending(name: str, site) -> None:
    from ._finder import _can_defer, find_spec_elsewhere

    parent_name, _, child = name.rpartition(".")
    path = None
    parent = None
    if parent_name:
        parent = sys.modules[parent_name]
        path = parent.__path__  # answered without loading when the parent is pending
    spec = find_spec_elsewhere(name, path)
    if spec is None:
        raise ModuleNotFoundError(f"No module named {name!r}", name=name)
    if not _can_defer(spec):
        import importlib

        if parent is not None:
            _lazymodule.load_now(parent)  # a body never runs before its parent's
        importlib.import_module(name)
        return
    module = _cpython.module_from_spec(spec)
    sys.modules[name] = module
    if not _lazymodule.defer(module, spec, spec.loader, site):
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[name]
            raise
    if parent is not None:
        setattr(parent, child, module)  # as the import system binds a submodule


def attach(package_name: str, submodules=(), attributes=None):
    """Lazily expose submodules and attributes from a package's ``__init__``.

        __getattr__, __dir__, __all__ = lazyhook.attach(__name__, ["linalg"], {"fft": ["fft", "ifft"]})

    ``pkg.linalg`` imports ``pkg.linalg`` on first access, ``pkg.fft`` gives
    ``pkg.fft.fft``; ``dir(pkg)`` and ``__all__`` list them all.  Returns the three
    module-level names to assign.
    """
    import importlib

    submodules = set(submodules)
    origin = {attr: sub for sub, attrs in (attributes or {}).items() for attr in attrs}
    names = sorted(submodules | set(origin))

    def __getattr__(attr: str):
        package = sys.modules[package_name]
        if attr in submodules:
            value = importlib.import_module(f"{package_name}.{attr}")
        elif attr in origin:
            value = getattr(importlib.import_module(f"{package_name}.{origin[attr]}"), attr)
        else:
            raise AttributeError(f"module {package_name!r} has no attribute {attr!r}")
        setattr(package, attr, value)  # cached: the next access costs nothing
        return value

    def __dir__():
        return sorted(set(sys.modules[package_name].__dict__) | set(names))

    return __getattr__, __dir__, list(names)
