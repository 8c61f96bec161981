"""Open a user's file safely: regular files only, size-capped, errors in our own words.

A path from a scene file or from inside a mesh (a glTF buffer, an OBJ material library, a texture)
may name anything: a FIFO that blocks forever, ``/dev/zero`` that never ends, a folder, a path too
long for the file system. These helpers refuse everything but a regular file, before reading a
byte, and say what the path is. Their messages never quote a file's contents; names that reach a
message pass through :func:`printable` so control characters and terminal escapes are shown
escaped, never acted on.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from previs.errors import printable  # noqa: F401  (re-exported: the readers' escaping)


def describe_mode(mode: int) -> str:
    """What a non-regular file is, in words a user recognises."""
    if stat.S_ISDIR(mode):
        return "a directory, not a file"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe), not a regular file"
    if stat.S_ISCHR(mode):
        return "a character device, not a regular file"
    if stat.S_ISBLK(mode):
        return "a block device, not a regular file"
    if stat.S_ISSOCK(mode):
        return "a socket, not a regular file"
    return "not a regular file"


def describe_os_error(exc: OSError) -> str:
    """An OSError in our words, without the path (the caller names it)."""
    code = exc.errno
    if code == errno.ENOENT:
        return "not found"
    if code == errno.ENAMETOOLONG:
        return "the path is longer than the file system allows"
    if code == errno.ELOOP:
        return "the path has a loop of symbolic links"
    if code in (errno.EACCES, errno.EPERM):
        return "not readable (permission denied)"
    if code == errno.ENOTDIR:
        return "a part of the path is a file, not a folder"
    if code == errno.EISDIR:
        return "a directory, not a file"
    if code is not None:
        return f"cannot be read ({os.strerror(code).lower()})"
    return "cannot be read"


class UnsafeFile(Exception):
    """A path that is not a readable regular file of an acceptable size; ``reason`` says why."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _size_words(n: int) -> str:
    if n >= 1 << 30:
        return f"{n / (1 << 30):.1f} GiB"
    if n >= 1 << 20:
        return f"{n / (1 << 20):.1f} MiB"
    return f"{n} bytes"


def stat_regular(path: str | os.PathLike, limit: int) -> os.stat_result:
    """``os.stat`` of a regular file no bigger than ``limit`` bytes, or :class:`UnsafeFile`.

    Follows symbolic links (a link to a mesh is fine; a link to ``/dev/zero`` is a character
    device). Nothing is opened or read.
    """
    try:
        st = os.stat(path)
    except OSError as exc:
        raise UnsafeFile(describe_os_error(exc)) from None
    except ValueError:  # an embedded NUL byte
        raise UnsafeFile("the path contains a NUL character") from None
    if not stat.S_ISREG(st.st_mode):
        raise UnsafeFile(describe_mode(st.st_mode))
    if st.st_size > limit:
        raise UnsafeFile(
            f"the file is {_size_words(st.st_size)}; previs reads at most {_size_words(limit)}"
        )
    return st


def read_regular(path: str | os.PathLike, limit: int) -> bytes:
    """The bytes of a regular file no bigger than ``limit``, or :class:`UnsafeFile`.

    Opened non-blocking and checked again on the open descriptor, so a file swapped for a FIFO or
    a device between a check and the read is still refused without blocking or reading it.
    """
    stat_regular(path, limit)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise UnsafeFile(describe_os_error(exc)) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise UnsafeFile(describe_mode(st.st_mode))
        if st.st_size > limit:
            raise UnsafeFile(
                f"the file is {_size_words(st.st_size)}; previs reads at most {_size_words(limit)}"
            )
        chunks, got = [], 0
        while True:  # a file that grows while we read stops at the limit, never past it
            # ask for what fstat promised, plus one byte to see the end (or growth)
            chunk = os.read(fd, min(limit + 1 - got, max(st.st_size - got, 0) + 1))
            if not chunk:
                break
            chunks.append(chunk)
            got += len(chunk)
            if got > limit:
                raise UnsafeFile(f"the file grew past {_size_words(limit)} while it was read")
        return b"".join(chunks)
    except OSError as exc:
        raise UnsafeFile(describe_os_error(exc)) from None
    finally:
        os.close(fd)


def inside(folder: Path, name: str) -> Path:
    """``folder / name`` resolved, if it stays inside ``folder``; else :class:`UnsafeFile`.

    ``name`` is a relative reference from inside a file (a glTF URI, an OBJ ``mtllib``): absolute
    paths, URL schemes and ``..`` that climb out of the file's folder are refused.
    """
    if "\x00" in name:
        raise UnsafeFile("the reference contains a NUL character")
    if "://" in name or name.startswith(("data:", "file:")):
        raise UnsafeFile("only relative file names and base64 data: URIs are read")
    if os.path.isabs(name):
        raise UnsafeFile("an absolute path; references inside a mesh must be relative to it")
    base = Path(os.path.abspath(folder))
    full = Path(os.path.normpath(base / name))
    # Checked on the written name, not through symbolic links: a link inside the folder to a shared
    # texture library is a studio's ordinary layout; what it points at is still checked on read.
    if not full.is_relative_to(base):
        raise UnsafeFile("it points outside the mesh file's folder")
    return full
