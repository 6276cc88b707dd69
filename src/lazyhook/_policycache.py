"""Where parsed policy files are cached, and when a cache entry may be believed.

Its own module so that ``install()`` in a project whose ``pyproject.toml`` has no
``[tool.lazyhook]`` table can learn that from the cache without importing the policy
parser (``_policy``, ``_policyfile``): on 3.11 such a start costs +1.16 ms instead of the
+1.61 of reading a parsed policy file from its cache (docs/performance.md, start-up).
"""

import os

_REGULAR_FILE = 0o100000  # stat.S_IFREG, without importing stat
_FILE_TYPE = 0o170000


def cache_path(path: str) -> "str | None":
    """Where the parsed form of ``path`` is cached, keyed on its real absolute path (two
    projects' ``policy.toml`` never share an entry).  A relative ``XDG_CACHE_HOME`` is
    ignored, as the XDG spec says: it would write into whatever the current directory is."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):
        base = os.path.join(os.path.expanduser("~"), ".cache")
        if not os.path.isabs(base):
            return None
    key = os.path.realpath(path)
    return os.path.join(base, "lazyhook", "policy-" + key.replace(os.sep, "%").replace(":", "%") + ".marshal")


def trusted(fh) -> bool:
    """A cache entry is used only if this user wrote it and nobody else can: a cache may
    make start-up faster, never change what a policy says."""
    st = os.fstat(fh.fileno())
    return st.st_uid == getattr(os, "getuid", lambda: st.st_uid)() and not st.st_mode & 0o022


def stamp_of(st) -> tuple:
    """What must be unchanged for a cached parse to stand for the file."""
    return (st.st_mtime_ns, st.st_size, st.st_ino, st.st_dev)


def lookup(stamp: tuple, cache: "str | None") -> "tuple[bool, dict | None]":
    """``(True, table)`` when ``cache`` holds a trusted parse of the file as ``stamp`` says it is now
    (``table`` None: a ``pyproject.toml`` without a lazyhook table); ``(False, None)``
    otherwise, and the caller parses."""
    if cache:
        import marshal

        try:
            with open(cache, "rb") as fh:
                if trusted(fh):
                    cached_stamp, table = marshal.load(fh)
                    if tuple(cached_stamp) == stamp and (table is None or isinstance(table, dict)):
                        return True, table
        except (OSError, ValueError, EOFError, TypeError):
            pass
    return False, None


def known_without_table(path: str) -> bool:
    """Whether ``path`` (a ``pyproject.toml``) was parsed before, as it is now, and has
    no lazyhook table: then the policy is what the environment says, without the parser.
    Anything else (never parsed, changed, not a regular file, an untrusted cache) is
    False, and the policy module reads and explains it."""
    try:
        st = os.stat(path)
    except OSError:
        return False
    if st.st_mode & _FILE_TYPE != _REGULAR_FILE:
        return False
    found, table = lookup(stamp_of(st), cache_path(path))
    return found and table is None
