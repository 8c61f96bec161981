"""One exception family for everything a user can get wrong.

The CLI catches :class:`PrevisError` and prints ``str(err)`` as one line; anything else is a bug
and keeps its traceback.
"""

from __future__ import annotations

from pathlib import Path


class PrevisError(Exception):
    """Base of every error previs raises for bad input or an impossible request."""


class SceneError(PrevisError):
    """A scene file is wrong: names the file, the field path and (where known) the line."""

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        field: str | None = None,
        line: int | None = None,
    ):
        self.message = message
        self.file = str(file) if file is not None else None
        self.field = field
        self.line = line
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = printable(self.file, 4096) if self.file else "<scene>"
        if self.line is not None:
            where += f":{self.line}"
        if self.field:
            where += f": {self.field}"
        return f"{where}: {self.message}"


class PresetError(PrevisError):
    """An unknown camera body, recording mode or lens, or an impossible optical value."""


class AssetError(PrevisError):
    """A mesh or texture that is missing, unreadable or empty. ``path`` and ``reason`` keep the
    message's parts for a caller (the scene loader) that names the file its own way."""

    path: str | None = None
    reason: str | None = None


class RenderError(PrevisError):
    """No OpenGL context could be made, or the GPU refused a resource."""


class ExportError(PrevisError):
    """An output could not be written."""


# Shown instead of the middle of very long names (a path the file system refuses as too long is
# still named, but one line of a terminal should not hold 4,000 characters of it).
_NAME_LIMIT = 160


def printable(text: object, limit: int = _NAME_LIMIT) -> str:
    """``text`` with control characters, terminal escapes and other unprintables escaped
    (``\\x1b``, ``\\n``, ``\\u202e``), never sent raw to a terminal, and cut in the middle to
    about ``limit`` characters."""
    s = str(text)
    if not s.isprintable():
        s = "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in s)
    if len(s) > limit:
        keep = max(limit // 2 - 2, 8)
        s = f"{s[:keep]}...{s[-keep:]}"
    return s


def show(value, limit: int | None = None) -> str:
    """A value as a message may quote it: text in quotes with non-printable characters escaped
    (a name must never drive the user's terminal), anything else as Python writes it, cut to
    ``limit`` characters (:data:`previs.core.limits.MAX_ECHO_CHARS`) with an ellipsis."""
    from previs.core.limits import MAX_ECHO_CHARS

    limit = MAX_ECHO_CHARS if limit is None else limit
    text = value if isinstance(value, str) else repr(value)
    cut = len(text) > limit
    text = printable(text[:limit], limit) + ("…" if cut else "")
    return f"'{text}'" if isinstance(value, str) else text
