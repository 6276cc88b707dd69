"""``lazyhook.start``'s entry point (PEP 829, Python 3.15+): as cheap as ``lazyhook.pth``.

A top-level module of its own so that an interpreter start with nothing configured
imports nothing of lazyhook; ``LAZYHOOK_DISABLE`` alone activates too, because on 3.15
the kill switch must also cover ``lazy import`` statements.
"""

import os


def start() -> None:
    environ = os.environ
    if (environ.get("LAZY_IMPORTS") or environ.get("LAZYHOOK_POLICY") or environ.get("LAZYHOOK_PROFILE_ALL")
            or environ.get("LAZYHOOK_DISABLE")):
        from lazyhook._startup import activate

        activate(via="lazyhook.start")
