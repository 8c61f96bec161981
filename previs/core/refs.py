"""Naming a scene object across the layers: what the renderer's picking returns, what the window
selects and drags, what the document edits."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ObjectRef:
    """A scene object by kind (``set_piece``, ``character``, ``light``, ``mark``) and name (a
    shot's floor mark: ``<character>/<mark>``)."""

    kind: str
    name: str
