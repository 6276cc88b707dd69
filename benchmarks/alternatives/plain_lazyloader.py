"""The recipe everyone copies: a meta-path finder wrapping each spec's loader in LazyLoader.

Kept deliberately plain (no fixes): it is the baseline the benchmarks compare against.
"""

import importlib.util
import sys


class PlainLazyFinder:
    def __init__(self, names):
        self.names = set(names)

    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] not in self.names:
            return None
        for finder in sys.meta_path:
            if finder is self:
                continue
            spec = finder.find_spec(name, path, target) if hasattr(finder, "find_spec") else None
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    spec.loader = importlib.util.LazyLoader(spec.loader)
                return spec
        return None


def install(names):
    sys.meta_path.insert(0, PlainLazyFinder(names))
