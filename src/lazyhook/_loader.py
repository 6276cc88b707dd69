"""The wrapping loader, kept apart because ``importlib.util`` costs ~3 ms to import.

It is imported on the first import the finder decides to defer, never at start-up.
"""

from __future__ import annotations

import importlib.util

from . import _lazymodule


class LazyHookLoader(importlib.util.LazyLoader):
    """Defers ``exec_module`` of the real loader; forwards everything else to it.

    Forwarding keeps ``get_code`` (``python -m``), ``get_source`` (tracebacks) and
    ``get_resource_reader`` (``importlib.resources``) working; after ``exec_module``
    the module's ``__loader__`` and ``__spec__.loader`` are the real loader again.
    """

    def __init__(self, loader, import_site: tuple[str, int, str]) -> None:
        # LazyLoader.__init__ only checks for exec_module, which the finder checked.
        self.loader = loader
        self.import_site = import_site

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module) -> None:
        spec = module.__spec__
        spec.loader = self.loader
        module.__loader__ = self.loader
        if not _lazymodule.defer(module, spec, self.loader, self.import_site):
            self.loader.exec_module(module)

    def __getattr__(self, attr):
        if attr == "loader":
            raise AttributeError(attr)
        return getattr(self.loader, attr)


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
    loader = AdoptLoader(module)
    spec = importlib.util.spec_from_loader(module.__name__, loader)
    module.__spec__ = spec
    return spec
