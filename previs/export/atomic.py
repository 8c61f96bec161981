"""Folders that one previs run writes at a time, files written whole, and the leftovers of runs
that were killed.

    with FolderLock("out/animatic", "previs animatic"):       # or a one-line PrevisError
        remove_stale_temporaries(folder, ["1A.mp4", "sequence.mp4"])
        write_atomic(folder / "1A.mp4", data)

* :class:`FolderLock` is an OS lock (``fcntl.flock``) on ``<folder>/.previs.lock``. The kernel
  drops it when its process ends, however it ends (SIGKILL included), so a killed run never
  leaves a folder locked. A second run that finds the folder locked refuses at once with one
  line naming the holder's pid; it never waits. Within one process the lock is re-entrant (the
  CLI takes it before it starts the renderer and :func:`render_animatic` takes it again). The
  lock file is removed when the lock is let go, so a finished run leaves no trace.
* :func:`write_atomic` writes ``.<name>.previs-<pid>-<random>.tmp`` beside the target, fsyncs it
  and renames it into place: the target is either the old file or the whole new one.
* :func:`remove_stale_temporaries` removes the temporaries of the named targets that a killed
  run left: ours (when the pid in the name is not a live process, or is this one) and those of
  :func:`tempfile.mkstemp` in earlier versions (``.<name>.<8 random>.tmp``, which
  carry no pid: call it only while holding the folder's lock, so no other previs run can be
  writing them).
"""

from __future__ import annotations

import errno
import os
import re
import secrets
import stat
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from previs.errors import ExportError, PrevisError

__all__ = [
    "FolderLock",
    "FolderBusyError",
    "write_atomic",
    "replace_file",
    "write_png",
    "make_folder",
    "temporary_path",
    "remove_stale_temporaries",
    "LOCK_NAME",
]

LOCK_NAME = ".previs.lock"

_held: dict[str, list] = {}  # realpath of the folder -> [fd, depth]
_held_guard = threading.Lock()


class FolderBusyError(PrevisError):
    """Another previs process is writing the folder."""


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    except OSError:
        return False
    return True


def make_folder(folder) -> Path:
    """``folder`` and its parents made where missing; one ExportError line when a file stands
    where a folder must (not the OS's "File exists"), or the folder cannot be made."""
    folder = Path(folder)
    for p in (folder, *folder.parents):
        if p.exists() or p.is_symlink():
            if not p.is_dir():
                into = "" if p == folder else f" {folder}"
                raise ExportError(f"{p}: not a folder, so previs cannot write into it{into}")
            break
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(f"{folder}: cannot make the folder ({exc.strerror or exc})") from None
    return folder


class FolderLock:
    """An exclusive, non-blocking, re-entrant (per process) lock on a folder; see the module
    docstring. ``what`` names the kind of run in the refusal."""

    def __init__(
        self, folder, what: str = "previs", hint: str = "wait for it or choose another -o"
    ):
        self.folder = Path(folder)
        self.what = what
        self.hint = hint
        self._key: str | None = None

    @property
    def path(self) -> Path:
        return self.folder / LOCK_NAME

    def acquire(self) -> FolderLock:
        import fcntl

        make_folder(self.folder)
        key = os.path.realpath(self.folder)
        with _held_guard:
            if key in _held:
                _held[key][1] += 1
                self._key = key
                return self
            while True:
                try:
                    fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
                except OSError as exc:
                    raise ExportError(
                        f"{self.path}: cannot write ({exc.strerror or exc})"
                    ) from None
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError as exc:
                    holder, holder_what = _read_holder(fd)
                    os.close(fd)
                    if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                        raise ExportError(
                            f"{self.path}: cannot lock ({exc.strerror or exc})"
                        ) from None
                    who = f" (pid {holder})" if holder else ""
                    raise FolderBusyError(
                        f"{self.folder} is being written by another "
                        f"{holder_what or self.what}{who}; "
                        f"{self.hint}"
                    ) from None
                # The holder before us may have removed the file after we opened it: then we
                # hold a lock on a file nobody else will find. Start again on the new one.
                try:
                    same = os.path.samestat(os.fstat(fd), os.stat(self.path))
                except FileNotFoundError:
                    same = False
                if same:
                    break
                os.close(fd)
            os.ftruncate(fd, 0)
            os.pwrite(
                fd, f"{os.getpid()} {self.what}\n".encode(), 0
            )  # who holds it, for the refusal
            _held[key] = [fd, 1]
            self._key = key
        return self

    def release(self) -> None:
        key, self._key = self._key, None
        if key is None:
            return
        with _held_guard:
            entry = _held.get(key)
            if entry is None:
                return
            entry[1] -= 1
            if entry[1] > 0:
                return
            del _held[key]
            fd = entry[0]
            try:
                os.unlink(self.path)  # while still holding it: see acquire's check
            except OSError:
                pass
            os.close(fd)  # lets the lock go

    def __enter__(self) -> FolderLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


def _read_holder(fd: int) -> tuple[int | None, str | None]:
    """The pid and the kind of run ("previs export") written in a lock file, where readable."""
    try:
        pid, _, what = os.pread(fd, 128, 0).decode("ascii", "replace").strip().partition(" ")
        return (int(pid) if pid.isdigit() else None), (what if what.startswith("previs") else None)
    except (OSError, ValueError):
        return None, None


def temporary_path(path) -> Path:
    """A fresh temporary name beside ``path`` for it: ``.<name>.previs-<pid>-<random>.tmp``."""
    path = Path(path)
    return path.with_name(f".{path.name}.previs-{os.getpid()}-{secrets.token_hex(4)}.tmp")


def write_atomic(path, data: bytes, *, fsync: bool = True, sync_folder: bool = False) -> None:
    """``data`` into ``path`` (its folder made) through a temporary beside it that carries this
    process's pid, renamed into place with the mode the old file had (else the user's usual
    mode): the target is the old file or the whole new one, never half of either. A failure is
    one ExportError line and leaves the old file and no temporary. ``sync_folder`` also fsyncs
    the folder so the rename itself survives a crash (the scene file; not worth it for each
    frame of an image sequence)."""
    path = Path(path)
    make_folder(path.parent)
    try:
        replace_file(path, data, fsync=fsync, sync_folder=sync_folder)
    except OSError as exc:
        raise ExportError(f"{path}: cannot write ({exc.strerror or exc})") from None


def replace_file(path: Path, data: bytes, *, fsync: bool = True, sync_folder: bool = False) -> None:
    """The atomic write itself, in an existing folder (raises OSError); see :func:`write_atomic`."""
    path = Path(path)
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        mode = 0o666 & ~file_umask()
    tmp = temporary_path(path)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            if fsync:
                os.fsync(f.fileno())  # the bytes are on disk before the name points at them
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if sync_folder:
        try:
            dfd = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)
        except OSError:
            pass  # some file systems cannot sync a folder; the rename is still atomic


def file_umask() -> int:
    """The process's umask (read by setting it, so set it straight back)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_png(image, path) -> None:
    """A PIL image as a PNG, written atomically."""
    import io

    buf = io.BytesIO()
    image.save(buf, format="PNG")
    write_atomic(path, buf.getvalue())


_OURS = re.compile(r"\.(?P<name>.+)\.previs-(?P<pid>\d+)-[0-9a-f]+\.tmp")
_MKSTEMP = re.compile(r"\.(?P<name>.+)\.[a-z0-9_]{8}\.tmp")


def remove_stale_temporaries(
    folder, targets: Iterable[str] | Callable[[str], bool] | None = None
) -> list[Path]:
    """Remove the temporaries that killed runs left in ``folder`` for the files named in
    ``targets`` (names, or a test of a name; all names when None); returns what was removed.
    Call it holding the folder's :class:`FolderLock`."""
    folder = Path(folder)
    if targets is None or callable(targets):
        wanted = targets or (lambda _name: True)
    else:
        names = set(targets)
        wanted = names.__contains__
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        if not (entry.name.startswith(".") and entry.name.endswith(".tmp")):
            continue
        m = _OURS.fullmatch(entry.name)
        if m is not None:
            pid = int(m["pid"])
            if pid != os.getpid() and _pid_alive(pid):
                continue  # a live run's work in progress
        else:
            m = _MKSTEMP.fullmatch(entry.name)
            if m is None:
                continue
        if not wanted(m["name"]):
            continue
        try:
            if entry.is_file(follow_symlinks=False):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:
            pass
    return removed
