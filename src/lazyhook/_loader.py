"""The wrapping loader and the adopting loader.

``LazyHookLoader`` is registered as a (virtual) subclass of ``importlib.util.LazyLoader``
rather than inheriting from it: importing ``importlib.util`` costs about 4 ms
(``contextlib``, ``collections``, ``functools``), more than lazyhook may add to a lazy
``import numpy``.  The registration happens as soon as ``importlib.util`` is imported by
anyone (the finder watches for it), so ``isinstance(loader, importlib.util.LazyLoader)``
holds whenever someone can ask.
"""

import sys

from . import _cpython, _frames, _lazymodule


class _WrappingLoader:
    """Forwards every loader method but ``exec_module`` to the loader it wraps."""

    loader: object

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def _unwrap(self, module):
        """From here on the module's ``__loader__`` and ``__spec__.loader`` are the real
        loader, as without lazyhook; returns the spec."""
        spec = module.__spec__
        spec.loader = self.loader
        module.__loader__ = self.loader
        return spec

    def __getattr__(self, attr):
        if attr == "loader":
            raise AttributeError(attr)
        return getattr(self.loader, attr)


class LazyHookLoader(_WrappingLoader):
    """Defers ``exec_module`` of the real loader; forwards everything else to it.

    Forwarding keeps ``get_code`` (``python -m``), ``get_source`` (tracebacks) and
    ``get_resource_reader`` (``importlib.resources``) working; after ``exec_module``
    the module's ``__loader__`` and ``__spec__.loader`` are the real loader again.
    """

    def __init__(self, loader, import_site: tuple[str, int, str], importer_namespace: dict | None = None) -> None:
        self.loader = loader
        self.import_site = import_site
        self.importer_namespace = importer_namespace  # where the statement binds the module

    def exec_module(self, module) -> None:
        spec = self._unwrap(module)
        if not _lazymodule.defer(module, spec, self.loader, self.import_site, self.importer_namespace):
            self.loader.exec_module(module)
            return
        statement = _frames.statement_frame(sys._getframe(1))
        if statement is not None and _frames.is_import_statement(statement):
            _lazymodule.bind_statement_name(module, statement)


def register_with_lazyloader(util_module) -> None:
    """Make ``LazyHookLoader`` a subclass of ``importlib.util.LazyLoader`` (ABC register)."""
    util_module.LazyLoader.register(LazyHookLoader)


class PostExecLoader(_WrappingLoader):
    """Runs the real loader, then a callback with the module (a post-import hook)."""

    def __init__(self, loader, callback) -> None:
        self.loader = loader
        self.callback = callback

    def exec_module(self, module) -> None:
        self._unwrap(module)
        self.loader.exec_module(module)
        self.callback(module)


class RecordingLoader(_WrappingLoader):
    """Python 3.15+: runs the real loader for a lazy import the interpreter resolves,
    recorded as the emulation records its loads (module, site, first use, cost)."""

    def __init__(self, loader, import_site: tuple[str, int, str], first_use: tuple[str, int, str, str]) -> None:
        self.loader = loader
        self.import_site = import_site
        self.first_use = first_use

    def exec_module(self, module) -> None:
        spec = self._unwrap(module)
        entry = _lazymodule.Entry(module, spec, self.loader, self.import_site, type(module))
        entry.first_use = self.first_use
        from ._lifecycle import run_recorded

        run_recorded(entry, self.loader.exec_module)


if "importlib.util" in sys.modules:
    register_with_lazyloader(sys.modules["importlib.util"])


class AdoptLoader:
    """Hands the import system a module that a package body already imported.

    An eager import of a submodule of a pending package loads the package first
    (a body never runs before its parent's); if that body imported the submodule
    itself, the import system must get that module, not run it a second time.
    """

    def __init__(self, module) -> None:
        self.module = module
        self.original_spec = module.__spec__

    def create_module(self, spec):
        return self.module

    def exec_module(self, module) -> None:
        module.__spec__ = self.original_spec


def adopt_spec(module):
    """A spec whose loading hands back ``module`` unchanged.

    ``_find_spec`` in ``importlib._bootstrap`` prefers ``module.__spec__`` of a module
    that appeared in ``sys.modules`` while finders ran, so the adopting spec is put
    there too until ``exec_module`` restores the original.
    """
    spec = _cpython.spec_from_loader(module.__name__, AdoptLoader(module))
    module.__spec__ = spec
    return spec


_cpython.as_import_machinery(RecordingLoader.exec_module)
