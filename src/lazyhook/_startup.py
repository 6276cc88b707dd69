"""Interpreter start-up activation, called from lazyhook's ``.pth`` files.

``lazyhook.pth`` (shipped in the wheel) calls :func:`activate` only when a lazyhook
variable is set (``LAZYHOOK_DISABLE`` too: on 3.15 the kill switch must also cover
``lazy import`` statements); ``lazyhook-env.pth``, written by ``lazyhook enable``,
calls it through a generated module holding the environment's policy.

Only ``.pth`` import lines, not PEP 829 ``.start`` files: on 3.15 the mere presence of a
``.start`` file makes ``site`` import ``pkgutil`` (and ``re``, ``collections``), measured
at +7.9 ms on every interpreter start with nothing configured (docs/performance.md).
``.pth`` import lines still run on 3.15-3.17 (deprecated, silent unless ``-v``).  Start-up must never be broken by us: any problem becomes
one warning line on stderr and every import stays eager.
"""

import sys

_activated = False
activated_by = ""  # the start-up file that activated lazyhook in this interpreter, if any


def activate(environment_policy: dict | None = None, origin: str = "", via: str = "") -> None:
    """Install the policy in effect; idempotent; never raises."""
    global _activated, activated_by
    if _activated:
        return
    _activated = True
    activated_by = via
    try:
        from . import _policy, install_policy

        # The trust rule: start-up never reads the current directory's policy files.
        policy = _policy.resolve(environment_policy=environment_policy, environment_origin=origin,
                                 project_files=False)
        import os

        # `lazyhook suggest`: every third-party package is lazy, to see which get used.
        profile_all = bool(os.environ.get("LAZYHOOK_PROFILE_ALL")) and policy.enabled
        install_policy(policy.finish(), profile_all=profile_all)
    except Exception as exc:  # noqa: BLE001 - start-up must survive anything we do
        message = " ".join(str(exc).split())
        sys.stderr.write(f"lazyhook: {message} -- imports stay eager\n")
