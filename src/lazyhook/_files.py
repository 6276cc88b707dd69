"""One way lazyhook writes a file: whole or not at all, and nothing left behind.

Reports, the parsed-policy cache and the files ``lazyhook enable`` writes all go through
``write_atomically``, so a full disk or a read-only directory never leaves a half file
or a stray ``*.tmp`` (and the temporary name never follows a file planted in advance).
"""

import os


def write_atomically(path: str, data) -> None:
    """Write ``data`` (str or bytes) to ``path`` by renaming a new temporary file over it.

    The temporary file is created exclusively (``O_EXCL``, never following a link) beside
    ``path``; on any failure it is removed and the error propagates, ``path`` untouched.
    """
    directory, name = os.path.split(path)
    tmp = os.path.join(directory, f".{name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(tmp, flags, 0o644)
    try:
        binary = isinstance(data, bytes)
        with open(fd, "wb" if binary else "w", encoding=None if binary else "utf-8") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
