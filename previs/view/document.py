"""The scene file being edited in the blocking window: edits, undo/redo, save, backup, recovery.

A :class:`SceneDocument` holds the user's scene file twice: as YAML text plus a ruamel.yaml
round-trip tree (so comments, key order, quoting and flow/block layout survive a save), and as the
validated :class:`~previs.core.scene.Scene` built from that text exactly as
:func:`previs.io.scene_file.load_scene` builds it. Every edit works on a copy of the tree, dumps it,
and builds a new Scene from the dumped text: a bad edit raises the same one-line
:class:`~previs.errors.SceneError` (``file:line: field: message``) as loading would, with the line
counted in the text the document would write, and leaves the document unchanged. The state of a
document is its text; undo and redo swap texts (at most :data:`HISTORY` steps are kept) and build
a new Scene each time, so ``doc.scene`` is a new object after every change and ``doc.revision``
counts the changes.

Camera keys (:meth:`SceneDocument.set_camera_key`)
-------------------------------------------------
The values a key may hold are the camera channels of :data:`previs.core.animation.CAMERA_CHANNELS`
(``position_m``, ``pan_deg``, ``tilt_deg``, ``roll_deg``, ``focal_length_mm``, ``focus_m``,
``t_stop``); pass the ones to key. After ``set_camera_key(shot, F, values)`` the shot evaluated at
frame ``F`` has those values: positions within 1e-6 m and angles within 1e-6 deg (pose values are
written rounded to 1e-7, which keeps the file readable), lens values exactly. Channel by channel:

* **Frame 0 is the shot's ``camera:`` block** (the base every key and move starts from) unless
  the channel already has an explicit key at frame 0, which is then updated. Only channels whose
  value really changes are written, so a static shot stays static. If the block aims with
  ``look_at_m`` and the position or an angle changes, the block is converted to the exact
  equivalent ``pan_deg``/``tilt_deg``/``roll_deg`` first (a comment records the old aim point):
  moving a camera that "looks at" a point would otherwise swing it.
* **Any other frame, outside moves**: an explicit key ``[F, value]`` in the shot's ``keys:`` for
  every channel given (changed or not: "set key" pins what the DP sees at F). An existing key at F
  keeps its interpolation. A static shot becomes a keyed one. The start frame of a move is outside
  it (a key there sets where the move starts).
  Explicit keys are the base moves build on (:mod:`previs.core.moves`), so a new key after a move
  would make the camera drift towards it already before the move starts; to keep the camera still
  until the move, every earlier move on that channel gets a key at its start frame holding the
  value it already had there.
* **Inside a move that drives the channel** (``start < F <= end``; only if the value changes):
  - at the move's end frame, when a parameter sets where it ends, that parameter is edited and the
    move stays a move: ``pan``/``tilt``/``dutch`` (``to_deg`` or ``angle_deg``), ``zoom``
    (``to_focal_length_mm`` or ``by_mm``), ``rack_focus`` (becomes ``to_focus_m``), ``path`` (its
    last point), and ``dolly``/``truck``/``pedestal`` when the new position lies on the move's line
    (``distance_m``);
  - otherwise the move is baked: it is replaced by keys at every frame of its range on every
    channel it drives (runs of equal values collapse to their ends; at every whole frame the
    camera does what it did, to the 1e-7 the file is written to), and the keyed channels are offset by
    a smooth bump, zero at the move's start and (when F is before it) its end, full at F: the move
    now passes through the new value and is unchanged elsewhere.
* Lens values on a **prime kit** cannot change within a shot, so a new focal length there changes
  the shot's lens (the ``camera:`` block and every focal-length key), whatever the frame.
* ``handheld`` is added on top of everything; keyed values are corrected for it, so the shake
  stays and the frame still shows the keyed value.

Deleting a key removes the explicit keys at that frame (moves are edited or deleted with
:meth:`SceneDocument.edit`). :meth:`SceneDocument.key_frames` lists the frames worth jumping to
(:func:`previs.core.frame.key_frames`: first, last, explicit keys, starts and ends of moves, walks
and cues); :meth:`SceneDocument.explicit_key_frames` those a delete can remove.

Files
-----
* :meth:`SceneDocument.save` validates the text for the target path first (relative asset paths
  resolve against the file's folder, so "save as" elsewhere may fail), then copies the file on
  disk to ``SCENE.yaml.bak`` and writes the new text (both: temporary file, fsync, rename, fsync
  of the folder). The backup is written whenever the file on disk is not what this document itself
  last saved there: the first save of a session keeps the file as it was opened, and a file
  changed by someone else meanwhile is kept too; later saves of the same session do not overwrite
  that backup (their states live in the undo history). A failed save leaves the file untouched and
  raises a :class:`~previs.errors.PrevisError` that says why.
* :meth:`SceneDocument.autosave` writes ``.SCENE.yaml.recovery`` beside the scene (JSON: format,
  the scene's absolute path, the time, the current YAML text) when there are unsaved edits, and
  removes it when there are none. A clean :meth:`~SceneDocument.save` or
  :meth:`~SceneDocument.discard_recovery` removes it. :meth:`SceneDocument.recovery_for` offers a
  recovery file only if it names this scene file and is not older than it (a file saved after the
  crash wins). Undo history is not recovered.
"""

from __future__ import annotations

import copy
import io
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark, YAMLError
from ruamel.yaml.tokens import CommentToken

from previs.core import presets
from previs.core import scene as sc
from previs.core.animation import CAMERA_CHANNELS
from previs.core.frame import _start_values, camera_track, subjects
from previs.core.frame import key_frames as core_key_frames
from previs.core.transforms import wrap180 as _wrap180
from previs.errors import ExportError, PrevisError, SceneError
from previs.export.atomic import replace_file
from previs.io import scene_file, schema
from previs.io.yaml_lines import format_path, read_text

HISTORY = 200
"""Undo steps kept; the oldest are dropped beyond this."""

RECOVERY_FORMAT = "previs-recovery"
RECOVERY_VERSION = 1

POSE_CHANNELS = ("position_m", "pan_deg", "tilt_deg", "roll_deg")
LENS_CHANNELS = ("focal_length_mm", "focus_m", "t_stop")
ANGLE_CHANNELS = ("pan_deg", "tilt_deg", "roll_deg")

_POSE_DIGITS = 7  # metres and degrees are written to 1e-7: far below anything a lens can see
_POSE_TOL = 5e-7  # what "already there" means for positions (m) and angles (deg)

# (mapping indent, sequence indent, dash offset) tried in turn: the first that writes the file
# back byte for byte is how it is written; else the project's own layout (the first one).
_LAYOUTS = ((2, 4, 2), (2, 2, 0), (4, 4, 2), (4, 6, 4), (4, 4, 0), (3, 3, 0))


# ---------------------------------------------------------------- YAML text <-> Scene
def _scene_from_text(text: str, path: Path) -> sc.Scene:
    """Build the Scene from YAML text as :func:`previs.io.scene_file.load_scene` builds it from
    the file at ``path`` (same checks, same messages; lines count in ``text``)."""
    return scene_file.load_scene_text(text, path)


def _yaml(layout: tuple[int, int, int]) -> YAML:
    y = YAML()  # round-trip
    y.preserve_quotes = True
    y.width = 4096  # never re-wrap a long description
    y.indent(mapping=layout[0], sequence=layout[1], offset=layout[2])
    return y


def _dump(y: YAML, tree) -> str:
    buf = io.StringIO()
    y.dump(tree, buf)
    return buf.getvalue()


def _parse(text: str, path: Path) -> tuple[YAML, Any]:
    """A round-trip tree of ``text`` and the YAML writer that reproduces its layout."""
    try:
        tree = _yaml(_LAYOUTS[0]).load(text)
    except YAMLError as exc:  # the project's loader accepted it; ruamel did not
        raise SceneError(f"cannot edit this file: {str(exc).splitlines()[0]}", file=path) from None
    for layout in _LAYOUTS:
        y = _yaml(layout)
        if _dump(y, tree) == text:
            return y, tree
    return _yaml(_LAYOUTS[0]), tree


# ---------------------------------------------------------------- comments that trail a node
def _is_block(node) -> bool:
    return (
        isinstance(node, CommentedMap | CommentedSeq) and len(node) > 0 and not node.fa.flow_style()
    )


def _tail_chain(node):
    """The block nodes along the last line of ``node`` (outermost first) and the (owner, key,
    slot) of the comment token on that line, or None for a node that is not a block."""
    chain = []
    while _is_block(node):
        chain.append(node)
        if isinstance(node, CommentedMap):
            k, pos = list(node)[-1], 2
        else:
            k, pos = len(node) - 1, 0
        if not _is_block(node[k]):
            return chain, (node, k, pos)
        node = node[k]
    return chain, None


def _token_text(tok) -> str:
    """A comment token as the lines it writes (``ca.end`` tokens keep their column apart)."""
    v = tok.value
    if v.startswith("#") and getattr(tok, "column", 0):
        v = " " * tok.column + v
    return v


def _slot_get(owner, k, pos) -> str:
    entry = owner.ca.items.get(k)
    tok = entry[pos] if entry is not None and len(entry) > pos else None
    if tok is None:
        return ""
    i = tok.value.find("\n")
    return "" if i < 0 else tok.value[i + 1 :]


def _slot_set(owner, k, pos, tail: str) -> None:
    entry = owner.ca.items.get(k)
    tok = entry[pos] if entry is not None and len(entry) > pos else None
    if tok is None:
        if tail:
            entry = owner.ca.items.setdefault(k, [None, None, None, None])
            entry[pos] = CommentToken("\n" + tail, CommentMark(0), None)
        return
    i = tok.value.find("\n")
    head = tok.value + "\n" if i < 0 else tok.value[: i + 1]
    if not head.strip() and not tail:
        entry[pos] = None  # nothing left to write after the line
    else:
        tok.value = head + tail


def _get_tail(node, *, own_end: bool = True) -> str:
    """The blank lines and comment lines after a block node's last line (``own_end``: including
    those ruamel keeps at the node's own end, which stay last wherever the node grows)."""
    chain, slot = _tail_chain(node)
    if slot is None:
        return ""
    text = _slot_get(*slot)
    for n in reversed(chain if own_end else chain[1:]):
        text += "".join(_token_text(t) for t in (n.ca.end or []) if t is not None)
    return text


def _set_tail(node, tail: str, *, own_end: bool = True) -> None:
    chain, slot = _tail_chain(node)
    if slot is None:
        return
    for n in chain if own_end else chain[1:]:
        if n.ca.end:
            n.ca.end = []
    _slot_set(*slot, tail)


def _item_tail(seq: CommentedSeq, i: int) -> str:
    return _get_tail(seq[i]) if _is_block(seq[i]) else _slot_get(seq, i, 0)


def _set_item_tail(seq: CommentedSeq, i: int, tail: str) -> None:
    if _is_block(seq[i]):
        _set_tail(seq[i], tail)
    else:
        _slot_set(seq, i, 0, tail)


def _leading_blanks(tail: str) -> str:
    out = ""
    for line in tail.splitlines(keepends=True):
        if line.strip():
            break
        out += line
    return out


def _merge_tails(a: str, b: str) -> str:
    """Comments of two tails, one blank line if either had one."""
    lines = a.splitlines(keepends=True) + b.splitlines(keepends=True)
    comments = [ln if ln.endswith("\n") else ln + "\n" for ln in lines if ln.strip()]
    blank = any(not ln.strip() for ln in lines)
    return ("\n" if blank else "") + "".join(comments)


def _insert_item(seq: CommentedSeq, idx: int, item, *, separate: bool) -> None:
    """Insert ``item`` at ``idx``; what trailed the item before it now trails the new one
    (``separate``: the blank lines between items stay between them too)."""
    seq.insert(idx, item)
    if idx > 0:
        tail = _item_tail(seq, idx - 1)
        gap = _leading_blanks(tail)
        if separate and not gap and idx >= 2 and _leading_blanks(_item_tail(seq, idx - 2)):
            gap = "\n"  # the last item had no blank line after it; its neighbours do
            tail = gap + tail
        _set_item_tail(seq, idx - 1, gap if separate else "")
        _set_item_tail(seq, idx, tail)


def _delete_item(seq: CommentedSeq, idx: int) -> None:
    tail = _item_tail(seq, idx)
    if idx > 0:
        merged = _merge_tails(_item_tail(seq, idx - 1), tail)
        del seq[idx]
        _set_item_tail(seq, idx - 1, merged)
    else:
        del seq[idx]


def _put_key(
    cm: CommentedMap, key: str, value, *, after: tuple[str, ...] = (), before: tuple[str, ...] = ()
) -> None:
    """Set ``cm[key]``; a new key goes after the last of ``after`` present, else before the first
    of ``before`` present, else at the end (taking over the mapping's trailing comments)."""
    if key in cm:
        cm[key] = value
        return
    keys = list(cm)
    pos = None
    present = [keys.index(k) for k in after if k in cm]
    if present:
        pos = max(present) + 1
    else:
        present = [keys.index(k) for k in before if k in cm]
        if present:
            pos = min(present)
    if pos is None or pos >= len(keys):
        tail = _get_tail(cm, own_end=False)
        _set_tail(cm, "", own_end=False)
        cm[key] = value
        _set_tail(cm, tail, own_end=False)
    else:
        cm.insert(pos, key, value)


def _del_key(cm: CommentedMap, key: str) -> None:
    if key not in cm:
        return
    if list(cm)[-1] == key and len(cm) > 1:
        tail = _get_tail(cm, own_end=False)
        del cm[key]
        _set_tail(cm, tail, own_end=False)
    else:
        del cm[key]


def _flow(values) -> CommentedSeq:
    s = CommentedSeq(values)
    s.fa.set_flow_style()
    return s


def _block_map(items) -> CommentedMap:
    m = CommentedMap(items)
    m.fa.set_block_style()
    return m


def _block_seq(items=()) -> CommentedSeq:
    s = CommentedSeq(items)
    s.fa.set_block_style()
    return s


# ---------------------------------------------------------------- numbers as written
def _num(x: float, digits: int | None = None):
    """A number as it goes into the file: rounded (pose values), whole numbers as integers."""
    x = float(x)
    if digits is not None and math.isfinite(x):
        x = round(x, digits)
    if x == 0:
        return 0
    if math.isfinite(x) and x.is_integer() and abs(x) < 1e15:
        return int(x)
    return x


def _written(channel: str, value):
    """A channel value for the file: [x, y, z] or a number."""
    if channel == "position_m":
        return _flow([_num(v, _POSE_DIGITS) for v in np.asarray(value, dtype=float)])
    return _num(value, _POSE_DIGITS if channel in ANGLE_CHANNELS else None)


def _diff(channel: str, want, got):
    """want - got (angles the short way round)."""
    if channel == "position_m":
        return np.asarray(want, float) - np.asarray(got, float)
    if channel in ANGLE_CHANNELS:
        return _wrap180(float(want) - float(got))
    return float(want) - float(got)


def _close(channel: str, want, got) -> bool:
    if channel in LENS_CHANNELS:
        return float(want) == float(got)
    return float(np.max(np.abs(_diff(channel, want, got)))) <= _POSE_TOL


def _clean_values(values: dict) -> dict:
    out = {}
    for name, v in values.items():
        if name not in CAMERA_CHANNELS:
            raise SceneError(
                f"a camera key has no channel '{name}'{schema.suggest(name, CAMERA_CHANNELS)}"
            )
        if name == "position_m":
            a = np.asarray(v, dtype=float).reshape(-1)
            if a.shape != (3,) or not np.all(np.isfinite(a)):
                raise SceneError(f"position_m must be [x, y, z] in metres, got {v!r}")
            out[name] = a
        else:
            try:
                x = float(v)
            except (TypeError, ValueError):
                raise SceneError(f"{name} must be a number, got {v!r}") from None
            if math.isnan(x) or (math.isinf(x) and name != "focus_m"):
                raise SceneError(f"{name} must be a finite number, got {v!r}")
            out[name] = x
    return out


def camera_values(scene: sc.Scene, shot: sc.Shot, frame: int) -> dict:
    """The seven camera channels of ``shot`` at ``frame``, as its track evaluates them."""
    if shot.is_static:
        v = _start_values(scene, shot)
        return {
            k: (np.asarray(v[k], float) if k == "position_m" else float(v[k]))
            for k in CAMERA_CHANNELS
        }
    s = camera_track(scene, shot).sample(frame)
    return {
        k: (np.asarray(getattr(s, k), float) if k == "position_m" else float(getattr(s, k)))
        for k in CAMERA_CHANNELS
    }


def _base_track(scene: sc.Scene, shot: sc.Shot):
    """The shot's track before handheld shake is added (what baked keys must hold)."""
    from previs.core.moves import build_camera_track

    if not any(m.type == "handheld" for m in shot.moves):
        return camera_track(scene, shot)
    return build_camera_track(
        _start_values(scene, shot),
        [m for m in shot.moves if m.type != "handheld"],
        shot.length_frames,
        subjects=subjects(scene),
        extra_keys={n: list(k) for n, k in shot.keys},
        seed=scene.seed,
        frame_rate=float(scene.frame_rate),
    )


def _ease(t: float) -> float:
    return t * t * (3.0 - 2.0 * t)


# ---------------------------------------------------------------- atomic files
def _live_camera(entry, scene: sc.Scene) -> dict | None:
    """A recovery file's unkeyed camera, if it is well formed and its shot still exists:
    {"shot": id, "frame": n, "values": camera channels}; else None (a damaged entry loses only
    the camera, never the recovered edits)."""
    if (
        not isinstance(entry, dict)
        or not isinstance(entry.get("shot"), str)
        or not isinstance(entry.get("frame"), int)
        or not isinstance(entry.get("values"), dict)
    ):
        return None
    values = entry["values"]
    try:
        shot = scene.shot(entry["shot"])
        pos = [float(v) for v in values["position_m"]]
        clean = {c: float(values[c]) for c in CAMERA_CHANNELS if c != "position_m"}
    except (PrevisError, KeyError, TypeError, ValueError):
        return None
    if (
        len(pos) != 3
        or not 0 <= entry["frame"] < shot.length_frames
        or not all(math.isfinite(v) for v in [*pos, *clean.values()])
    ):
        return None
    return {"shot": shot.id, "frame": entry["frame"], "values": {"position_m": pos, **clean}}


def backup_path(path: str | Path) -> Path:
    """Where :meth:`SceneDocument.save` keeps the previous file: ``SCENE.yaml.bak``."""
    path = Path(path)
    return path.with_name(path.name + ".bak")


def recovery_path(path: str | Path) -> Path:
    """Where :meth:`SceneDocument.autosave` writes: ``.SCENE.yaml.recovery`` beside the scene."""
    path = Path(path).absolute()
    return path.with_name(f".{path.name}.recovery")


# ---------------------------------------------------------------- the document
@dataclass
class _Step:
    label: str
    before: str
    after: str


class SceneDocument:
    """An editable scene file; see the module docstring for what each edit does."""

    path: Path
    scene: sc.Scene
    revision: int

    def __init__(self, path: Path, text: str, scene: sc.Scene, saved_text: str | None):
        self.path = path
        self.scene = scene
        self.revision = 0
        self._text = text
        self._yaml: YAML | None = None
        self._tree = None  # parsed on the first edit (opening only to look is cheaper)
        self._saved_text = saved_text
        self._wrote: bytes | None = None  # what this document last saved at self.path
        self._undo: list[_Step] = []
        self._redo: list[_Step] = []
        # From a recovery file: the camera the window had moved but not keyed (see autosave).
        self.recovered_camera: dict | None = None

    # ------------------------------------------------------------ opening
    @classmethod
    def open(cls, path: str | Path) -> SceneDocument:
        """Open a scene file; raises :class:`SceneError` as :func:`load_scene` does."""
        path = Path(path).absolute()
        text = read_text(path)
        return cls(path, text, _scene_from_text(text, path), text)

    @property
    def text(self) -> str:
        """The YAML the document would write."""
        return self._text

    @property
    def dirty(self) -> bool:
        return self._text != self._saved_text

    # ------------------------------------------------------------ edits and history
    def _attempt(self, fn: Callable[[Any], None]) -> tuple[str, Any, sc.Scene]:
        # ``fn`` edits the document's own tree, which is given up here: only a commit takes it
        # back, else the next edit parses the text again. Cheaper than copying a tree per edit.
        tree, self._tree = self._current_tree(), None
        fn(tree)
        try:
            text = _dump(self._yaml, tree)
        except YAMLError as exc:
            raise SceneError(
                f"cannot write this edit as YAML: {str(exc).splitlines()[0]}", file=self.path
            ) from None
        return text, tree, _scene_from_text(text, self.path)

    def _current_tree(self):
        if self._tree is None or self._yaml is None:
            self._yaml, self._tree = _parse(self._text, self.path)
        return self._tree

    def _commit(self, label: str, text: str, tree, scene: sc.Scene) -> None:
        if text == self._text:
            self._tree = tree
            return  # nothing changed: no undo step
        self._undo.append(_Step(label, self._text, text))
        del self._undo[:-HISTORY]
        self._redo.clear()
        self._set(text, tree, scene)

    def _set(self, text: str, tree, scene: sc.Scene) -> None:
        self._text, self._tree, self.scene = text, tree, scene
        self.revision += 1

    def edit(self, label: str, fn: Callable[[Any], None]) -> None:
        """Apply ``fn`` to the round-trip tree; keep the result if the scene still validates (one
        undo step), else raise the :class:`SceneError` and change nothing."""
        self._commit(label, *self._attempt(fn))

    def undo(self) -> str | None:
        if not self._undo:
            return None
        step = self._undo[-1]
        scene = _scene_from_text(step.before, self.path)
        self._undo.pop()
        self._redo.append(step)
        self._set(step.before, None, scene)
        return step.label

    def redo(self) -> str | None:
        if not self._redo:
            return None
        step = self._redo[-1]
        scene = _scene_from_text(step.after, self.path)
        self._redo.pop()
        self._undo.append(step)
        self._set(step.after, None, scene)
        return step.label

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    @property
    def undo_label(self) -> str | None:
        return self._undo[-1].label if self._undo else None

    @property
    def redo_label(self) -> str | None:
        return self._redo[-1].label if self._redo else None

    # ------------------------------------------------------------ shots
    def _index(self, shot_id: str) -> tuple[int, sc.Shot]:
        for i, s in enumerate(self.scene.shots):
            if s.id == str(shot_id):
                return i, s
        known = [s.id for s in self.scene.shots] or ["(none)"]
        raise SceneError(
            f"no shot '{shot_id}'{schema.suggest(str(shot_id), known)}",
            file=self.path,
            field="shots",
        )

    def _frame(self, i: int, shot: sc.Shot, frame) -> int:
        if (
            isinstance(frame, bool)
            or not isinstance(frame, int | np.integer)
            or not 0 <= frame < shot.length_frames
        ):
            raise SceneError(
                f"shot {shot.id} has frames 0..{shot.length_frames - 1}; frame {frame!r} "
                "is outside it",
                file=self.path,
                field=format_path(("shots", i)),
            )
        return int(frame)

    def shot_ids(self) -> list[str]:
        return [s.id for s in self.scene.shots]

    def camera_at(self, shot_id: str, frame: int) -> dict:
        """The camera channels of a shot at a frame (what a key there would hold)."""
        i, shot = self._index(shot_id)
        return camera_values(self.scene, shot, self._frame(i, shot, frame))

    def key_frames(self, shot_id: str) -> list[int]:
        """Frames worth jumping to: first, last, keys, and where moves, walks and cues start and
        end (:func:`previs.core.frame.key_frames`)."""
        _, shot = self._index(shot_id)
        return core_key_frames(self.scene, shot)

    def explicit_key_frames(self, shot_id: str) -> list[int]:
        """Frames holding explicit camera keys (what :meth:`delete_camera_key` removes)."""
        _, shot = self._index(shot_id)
        return sorted({k.frame for _, keys in shot.keys for k in keys})

    def set_shot_fields(self, shot_id: str, **fields) -> None:
        """Set a shot's own fields (``description``, ``notes``, ``scene``, ``length_frames`` or
        ``duration_s``, ``shot_size``, ``angle``, ``movement``); ``None`` removes an optional one.
        Giving ``length_frames`` drops ``duration_s`` and the other way round."""
        i, _ = self._index(shot_id)
        for bad in ("id", "camera", "moves", "keys"):
            if bad in fields:
                raise SceneError(
                    f"'{bad}' is not a shot field set_shot_fields edits",
                    file=self.path,
                    field=format_path(("shots", i, bad)),
                )

        def fn(tree):
            node = tree["shots"][i]
            for key, value in fields.items():
                if value is None:
                    _del_key(node, key)
                    continue
                if key in ("length_frames", "duration_s"):
                    other = "duration_s" if key == "length_frames" else "length_frames"
                    if other in node:
                        node.insert(list(node).index(other), key, value)
                        _del_key(node, other)
                        continue
                if isinstance(value, float):
                    value = _num(value)
                _put_key(
                    node, key, value, before=("notes", "camera") if key != "notes" else ("camera",)
                )

        self.edit(f"Edit shot {shot_id}", fn)

    def add_shot(
        self,
        shot_id: str,
        *,
        camera: dict,
        scene_label: str,
        length_frames: int,
        description: str = "",
        after: str | None = None,
    ) -> None:
        """A new static shot; ``camera`` holds the ``camera:`` block's keys (position_m, look_at_m
        or pan_deg/tilt_deg/roll_deg, focal_length_mm, focus_m, t_stop). It goes after the shot
        ``after``, else at the end."""
        pos = self._index(after)[0] + 1 if after is not None else len(self.scene.shots)
        cam = _block_map([])
        for key, value in camera.items():
            if value is None:
                continue
            if key in ("position_m", "look_at_m"):
                cam[key] = _flow(
                    [_num(v, _POSE_DIGITS) for v in np.asarray(value, dtype=float).reshape(-1)]
                )
            elif isinstance(value, int | float | np.floating | np.integer) and not isinstance(
                value, bool
            ):
                cam[key] = _num(value, _POSE_DIGITS if key in ANGLE_CHANNELS else None)
            else:
                cam[key] = value
        label = str(scene_label)
        items = [
            ("id", str(shot_id)),
            ("scene", int(label) if label.isdigit() and str(int(label)) == label else label),
        ]
        if description:
            items.append(("description", description))
        items += [("length_frames", length_frames), ("camera", cam)]
        node = _block_map(items)

        self._insert_shot(f"Add shot {shot_id}", pos, node)

    def add_keyed_shot(
        self,
        shot_id: str,
        *,
        camera: dict,
        scene_label: str,
        length_frames: int,
        keys: dict,
        description: str = "",
        take: dict | None = None,
        after: str | None = None,
    ) -> None:
        """A new shot as :meth:`add_shot` makes it, with explicit camera keys (``{channel:
        [(frame, value, interp), ...]}``, values written as :meth:`set_camera_key` writes them)
        and a ``take:`` record (source, timecode, frame_rate), in one edit (a recorded take)."""
        pos = self._index(after)[0] + 1 if after is not None else len(self.scene.shots)
        cam = _block_map(
            [
                (k, _written(k, v) if k in CAMERA_CHANNELS else v)
                for k, v in camera.items()
                if v is not None
            ]
        )
        label = str(scene_label)
        items = [
            ("id", str(shot_id)),
            ("scene", int(label) if label.isdigit() and str(int(label)) == label else label),
        ]
        if description:
            items.append(("description", description))
        items.append(("length_frames", length_frames))
        if take:
            items.append(("take", _block_map(list(take.items()))))
        items.append(("camera", cam))
        if keys:
            items.append(
                (
                    "keys",
                    _block_map(
                        [
                            (
                                c,
                                _block_seq(
                                    [
                                        _flow([int(f), _written(c, v), interp])
                                        for f, v, interp in keys[c]
                                    ]
                                ),
                            )
                            for c in CAMERA_CHANNELS
                            if c in keys
                        ]
                    ),
                )
            )
        node = _block_map(items)

        self._insert_shot(f"Add take {shot_id}", pos, node)

    def _insert_shot(self, label: str, pos: int, node) -> None:
        """One edit: ``node`` into the shots list at ``pos`` (the list made, in block style)."""

        def fn(tree):
            if tree.get("shots") is None:
                _put_key(tree, "shots", _block_seq())
            shots = tree["shots"]
            if shots.fa.flow_style():
                shots.fa.set_block_style()
            _insert_item(shots, pos, node, separate=True)

        self.edit(label, fn)

    def duplicate_shot(self, shot_id: str, new_id: str) -> None:
        """A copy of the shot (comments, moves, keys and all) right after it, with a new id."""
        i, _ = self._index(shot_id)

        def fn(tree):
            shots = tree["shots"]
            twin = copy.deepcopy(shots[i])
            twin["id"] = str(new_id)
            _insert_item(shots, i + 1, twin, separate=True)

        self.edit(f"Duplicate shot {shot_id} as {new_id}", fn)

    def rename_shot(self, old_id: str, new_id: str) -> None:
        i, _ = self._index(old_id)

        def fn(tree):
            tree["shots"][i]["id"] = str(new_id)

        self.edit(f"Rename shot {old_id} to {new_id}", fn)

    def delete_shot(self, shot_id: str) -> None:
        i, _ = self._index(shot_id)
        self.edit(f"Delete shot {shot_id}", lambda tree: _delete_item(tree["shots"], i))

    # ------------------------------------------------------------ camera keys
    def delete_camera_key(self, shot_id: str, frame: int) -> None:
        """Remove the shot's explicit camera keys at ``frame`` (every channel)."""
        i, shot = self._index(shot_id)
        frame = self._frame(i, shot, frame)
        if frame not in self.explicit_key_frames(shot_id):
            raise SceneError(
                f"shot {shot_id} has no camera key at frame {frame}",
                file=self.path,
                field=format_path(("shots", i, "keys")),
            )

        def fn(tree):
            node = tree["shots"][i]
            keys = node["keys"]
            for channel in list(keys):
                rows = keys[channel]
                for j in reversed(range(len(rows))):
                    if rows[j][0] == frame:
                        _delete_item(rows, j)
                if not rows:
                    _del_key(keys, channel)
            if not keys:
                _del_key(node, "keys")

        self.edit(f"Delete key {shot_id} @ {frame}", fn)

    def set_camera_key(self, shot_id: str, frame: int, values: dict) -> None:
        """Key the camera of a shot at a frame (see the module docstring for what is written)."""
        i, shot = self._index(shot_id)
        frame = self._frame(i, shot, frame)
        want = _clean_values(values)
        if not want:
            return
        plan = _KeyPlan(self.scene, shot, i, frame, want)
        targets = dict(want)
        label = f"Key {shot_id} @ {frame}"
        for _ in range(5):
            text, tree, scene = self._attempt(lambda tree: plan.write(tree, targets))
            got = camera_values(scene, scene.shots[i], frame)
            bad = [c for c in want if not _close(c, want[c], got[c])]
            if not bad:
                self._commit(label, text, tree, scene)
                return
            for c in bad:
                if c in LENS_CHANNELS and plan.mode.get(c, ("",))[0] == "param":
                    plan.bake_instead(c)  # the move's maths does not land exactly on the value
                elif c in LENS_CHANNELS and plan.mode.get(c, ("",))[0] == "bake":
                    raise SceneError(
                        f"cannot key {c} {want[c]:g} exactly at frame {frame}",
                        file=self.path,
                        field=format_path(("shots", i, "keys", c)),
                    )
                else:  # a shake or an offset in the maths: aim the written value so it lands
                    targets[c] = targets[c] + _diff(c, want[c], got[c])
        raise SceneError(
            f"cannot key shot {shot_id} exactly at frame {frame} "
            f"({', '.join(bad)} will not settle)",
            file=self.path,
            field=format_path(("shots", i)),
        )

    # ------------------------------------------------------------ set pieces, characters, lights, marks
    # Blocking edits from the window (previs.view.editing): each one undo step, written into the
    # round-trip tree so the user's comments and layout stay. Pieces are found by name among
    # ``set:`` and ``characters:``; a piece without a name is "<type> <n>" as the loader names it.
    def _node(self, tree, name: str, lists: tuple[str, ...] = ("set", "characters")):
        """(list key, index, node) of the piece, character or light called ``name``."""
        for key in lists:
            for i, node in enumerate(tree.get(key) or ()):
                if not isinstance(node, CommentedMap):
                    continue
                own = node.get("name") or f"{node.get('type')} {i + 1}"
                if str(own) == str(name):
                    return key, i, node
        what = "light" if lists == ("lights",) else "set piece or character"
        known = [
            str(n.get("name") or f"{n.get('type')} {i + 1}")
            for key in lists
            for i, n in enumerate(tree.get(key) or ())
            if isinstance(n, CommentedMap)
        ]
        raise SceneError(
            f"no {what} '{name}'{schema.suggest(str(name), known)}", file=self.path, field=lists[0]
        )

    @staticmethod
    def _put_vector(node: CommentedMap, key: str, values, *, after=()) -> None:
        """``node[key] = [values]``, numbers changed in place when the key has a list of that
        length (its flow style and comments stay), else a new flow list."""
        vals = [_num(v, _POSE_DIGITS) for v in values]
        old = node.get(key)
        if isinstance(old, CommentedSeq) and len(old) == len(vals):
            for k, v in enumerate(vals):
                old[k] = v
        else:
            _put_key(node, key, _flow(vals), after=after)

    def _names_in(self, tree) -> set[str]:
        return {
            str(n.get("name") or f"{n.get('type')} {i + 1}")
            for key in ("set", "characters", "lights")
            for i, n in enumerate(tree.get(key) or ())
            if isinstance(n, CommentedMap)
        }

    def move_piece(self, name: str, position_m) -> None:
        """Put a set piece's origin (``translation_m``) or a character's feet (``position_m``) at
        ``position_m`` [x, y, z]."""
        pos = _vector3(position_m, "position_m")

        def fn(tree):
            key, _, node = self._node(tree, name)
            field = (
                (
                    "position_m"
                    if "position_m" in node or "translation_m" not in node
                    else "translation_m"
                )
                if key == "characters"
                else "translation_m"
            )
            self._put_vector(
                node,
                field,
                pos,
                after=("name", "type", "path", "units", "size_m", "radius_m", "height_m"),
            )

        self.edit(f"Move {name}", fn)

    def rotate_piece(self, name: str, yaw_deg: float) -> None:
        """Turn a set piece (``rotation_deg``'s y) or a character (``facing_deg``) to ``yaw_deg``."""
        yaw = _num(_wrap180(float(yaw_deg)), _POSE_DIGITS)

        def fn(tree):
            key, _, node = self._node(tree, name)
            if key == "characters" and "rotation_deg" not in node:
                _put_key(node, "facing_deg", yaw, after=("position_m", "translation_m"))
            elif (
                isinstance(node.get("rotation_deg"), CommentedSeq)
                and len(node["rotation_deg"]) == 3
            ):
                node["rotation_deg"][1] = yaw
            else:
                _put_key(
                    node, "rotation_deg", _flow([0, yaw, 0]), after=("translation_m", "position_m")
                )

        self.edit(f"Turn {name}", fn)

    def scale_piece(self, name: str, factor: float) -> None:
        """Scale a set piece by ``factor`` (its ``scale``: one number or [x, y, z], multiplied)."""
        f = float(factor)
        if not (math.isfinite(f) and f > 0):
            raise SceneError(
                f"a scale factor must be a positive number, got {factor!r}", file=self.path
            )

        def fn(tree):
            key, i, node = self._node(tree, name, ("set",))
            old = node.get("scale", 1)
            if isinstance(old, CommentedSeq):
                for k in range(len(old)):
                    old[k] = _num(float(old[k]) * f, _POSE_DIGITS)
            else:
                _put_key(
                    node,
                    "scale",
                    _num(float(old) * f, _POSE_DIGITS),
                    after=("rotation_deg", "translation_m"),
                )

        self.edit(f"Scale {name}", fn)

    def duplicate_piece(
        self, name: str, new_name: str | None = None, offset_m=(0.5, 0.0, 0.5)
    ) -> str:
        """A copy of a set piece, character or light beside it (``offset_m``), named ``new_name``
        (default: "<name> 2", ...). Returns the new name."""
        from previs.view.editing import free_name

        tree = self._current_tree()
        key, _, _ = self._node(tree, name, ("set", "characters", "lights"))
        new = new_name or free_name(self._names_in(tree), name)

        def fn(tree):
            key, i, node = self._node(tree, name, ("set", "characters", "lights"))
            twin = copy.deepcopy(node)
            _put_key(twin, "name", new, before=tuple(twin))
            field = next((f for f in ("translation_m", "position_m") if f in twin), None)
            if field is not None:
                self._put_vector(
                    twin, field, np.asarray(twin[field], float) + np.asarray(offset_m, float)
                )
            elif key != "lights":
                self._put_vector(twin, "translation_m" if key == "set" else "position_m", offset_m)
            _set_tail(twin, "", own_end=False)  # the original keeps what trailed it
            _insert_item(tree[key], i + 1, twin, separate=False)

        self.edit(f"Duplicate {name}", fn)
        return new

    def delete_piece(self, name: str) -> None:
        """Remove a set piece, character or light (refused, with the loader's line, while a shot
        still names it)."""

        def fn(tree):
            key, i, _ = self._node(tree, name, ("set", "characters", "lights"))
            _delete_item(tree[key], i)

        self.edit(f"Delete {name}", fn)

    def add_piece(
        self,
        kind: str,
        position_m,
        *,
        name: str | None = None,
        yaw_deg: float = 0.0,
        size_m=None,
        radius_m: float = 0.3,
        height_m: float | None = None,
        color: str | None = None,
        path: str | None = None,
    ) -> str:
        """A new ``mesh`` (the file ``path``, relative to the scene file's folder), ``box`` (``size_m`` [x, y, z], default 1 m), ``cylinder`` (``radius_m``,
        ``height_m``), ``plane`` (``size_m`` [x, z]) or ``character`` (``height_m``, default
        1.75) at ``position_m``, turned ``yaw_deg``. Returns its name."""
        from previs.view.editing import free_name

        kinds = ("box", "cylinder", "plane", "character", "mesh")
        if kind not in kinds:
            raise SceneError(f"cannot add a '{kind}'{schema.suggest(kind, kinds)}", file=self.path)
        pos = [_num(v, _POSE_DIGITS) for v in _vector3(position_m, "position_m")]
        base = Path(str(path)).stem if kind == "mesh" and path else kind
        new = name or free_name(self._names_in(self._current_tree()), base)
        if kind == "character":
            items = [
                ("name", new),
                ("height_m", _num(height_m or 1.75)),
                ("position_m", _flow(pos)),
                ("facing_deg", _num(yaw_deg, _POSE_DIGITS)),
            ]
            key = "characters"
        else:
            items = [("name", new), ("type", kind)]
            if kind == "mesh":
                if not path:
                    raise SceneError("a mesh set piece needs a file path", file=self.path)
                items.append(("path", str(path)))
            elif kind == "box":
                items.append(("size_m", _flow([_num(v) for v in (size_m or (1.0, 1.0, 1.0))])))
            elif kind == "plane":
                items.append(("size_m", _flow([_num(v) for v in (size_m or (2.0, 2.0))])))
            else:
                items += [("radius_m", _num(radius_m)), ("height_m", _num(height_m or 1.0))]
            items.append(("translation_m", _flow(pos)))
            if yaw_deg:
                items.append(("rotation_deg", _flow([0, _num(yaw_deg, _POSE_DIGITS), 0])))
            key = "set"
        if color is not None:
            items.append(("color", color))

        def fn(tree):
            if tree.get(key) is None:
                _put_key(tree, key, _block_seq(), before=("lights", "camera", "shots"))
            _insert_item(tree[key], len(tree[key]), _block_map(items), separate=False)

        self.edit(f"Add {new}", fn)
        return new

    def move_light(self, name: str, position_m) -> None:
        """Move a point or spot light (a spot with ``target_m`` keeps aiming at it)."""
        pos = _vector3(position_m, "position_m")

        def fn(tree):
            _, i, node = self._node(tree, name, ("lights",))
            if node.get("type") == "directional":
                raise SceneError(
                    f"light '{name}' is directional: it has no position to move",
                    file=self.path,
                    field=format_path(("lights", i)),
                )
            self._put_vector(node, "position_m", pos, after=("type", "name"))

        self.edit(f"Move {name}", fn)

    def aim_light(self, name: str, target_m) -> None:
        """Aim a spot light at ``target_m`` (its ``target_m``; a ``direction`` it had goes)."""
        target = _vector3(target_m, "target_m")

        def fn(tree):
            _, i, node = self._node(tree, name, ("lights",))
            if node.get("type") != "spot":
                raise SceneError(
                    f"light '{name}' is not a spot: only a spot aims at a point",
                    file=self.path,
                    field=format_path(("lights", i)),
                )
            self._put_vector(node, "target_m", target, after=("position_m",))
            _del_key(node, "direction")

        self.edit(f"Aim {name}", fn)

    def add_light(
        self,
        position_m,
        target_m,
        *,
        name: str | None = None,
        intensity_cd: float = 2000.0,
        kelvin: float = 5600.0,
        beam_angle_deg: float = 30.0,
        field_angle_deg: float = 45.0,
    ) -> str:
        """A new spot light at ``position_m`` aimed at ``target_m``. Returns its name."""
        from previs.view.editing import free_name

        pos, tgt = _vector3(position_m, "position_m"), _vector3(target_m, "target_m")
        new = name or free_name(self._names_in(self._current_tree()), "spot")
        items = [
            ("name", new),
            ("type", "spot"),
            ("position_m", _flow([_num(v, _POSE_DIGITS) for v in pos])),
            ("target_m", _flow([_num(v, _POSE_DIGITS) for v in tgt])),
            ("intensity_cd", _num(intensity_cd)),
            ("beam_angle_deg", _num(beam_angle_deg)),
            ("field_angle_deg", _num(field_angle_deg)),
            ("kelvin", _num(kelvin)),
        ]

        def fn(tree):
            if tree.get("lights") is None:
                _put_key(tree, "lights", _block_seq(), before=("camera", "shots"))
            _insert_item(tree["lights"], len(tree["lights"]), _block_map(items), separate=False)

        self.edit(f"Add {new}", fn)
        return new

    def add_fixture(
        self,
        fixture: str,
        position_m,
        target_m,
        *,
        setting: str | float | None = None,
        name: str | None = None,
    ) -> str:
        """A library fixture (``fixture:``, ``setting:``) at ``position_m`` aimed at ``target_m``
        (the loader checks the fixture and setting, with a did-you-mean). Returns its name."""
        from previs.view.editing import free_name

        pos, tgt = _vector3(position_m, "position_m"), _vector3(target_m, "target_m")
        new = name or free_name(self._names_in(self._current_tree()), str(fixture))
        items = [("name", new), ("type", "spot"), ("fixture", str(fixture))]  # (aim_light: a spot)
        if setting is not None:
            items.append(("setting", setting if isinstance(setting, str) else _num(setting)))
        items += [
            ("position_m", _flow([_num(v, _POSE_DIGITS) for v in pos])),
            ("target_m", _flow([_num(v, _POSE_DIGITS) for v in tgt])),
        ]

        def fn(tree):
            if tree.get("lights") is None:
                _put_key(tree, "lights", _block_seq(), before=("camera", "shots"))
            _insert_item(tree["lights"], len(tree["lights"]), _block_map(items), separate=False)

        self.edit(f"Add {new}", fn)
        return new

    LIGHT_FIELDS = ("setting", "dimmer_pct", "kelvin", "gel", "intensity_cd")

    def set_light_fields(self, name: str, **fields) -> None:
        """Set a light's ``setting`` (spot/flood), ``dimmer_pct``, ``kelvin``, ``gel`` or
        ``intensity_cd``; None removes the field (no gel, the fixture's own CCT)."""
        bad = sorted(set(fields) - set(self.LIGHT_FIELDS))
        if bad:
            raise SceneError(
                f"a light has no field '{bad[0]}'{schema.suggest(bad[0], self.LIGHT_FIELDS)}",
                file=self.path,
            )

        def fn(tree):
            _, _, node = self._node(tree, name, ("lights",))
            for k, v in fields.items():
                if v is None:
                    _del_key(node, k)
                else:
                    value = v if isinstance(v, str) else _num(float(v))
                    _put_key(node, k, value, after=("fixture", "setting", "name", "type"))

        self.edit(f"Set {name} " + ", ".join(fields), fn)

    def move_mark(self, shot_id: str, character: str, mark, point_m) -> None:
        """Move a shot's floor mark to the floor point ``point_m`` ([x, y, z] or [x, z])."""
        p = np.asarray(point_m, dtype=float).reshape(-1)
        xz = (p[0], p[2]) if len(p) == 3 else (p[0], p[1])
        i, _ = self._index(shot_id)

        def fn(tree):
            marks = (tree["shots"][i].get("marks") or {}).get(character)
            key = None if marks is None else next((k for k in marks if str(k) == str(mark)), None)
            if key is None:
                raise SceneError(
                    f"shot {shot_id} has no mark {mark} for {character}",
                    file=self.path,
                    field=format_path(("shots", i, "marks")),
                )
            self._put_vector(marks, key, xz)

        self.edit(f"Move mark {character} {mark}", fn)

    def add_mark(self, shot_id: str, character: str, name, point_xz) -> None:
        """A new floor mark ``name`` for ``character`` in shot ``shot_id`` at the floor point
        ``point_xz`` ([x, z], or [x, y, z]); a mark of that name already there is refused."""
        p = np.asarray(point_xz, dtype=float).reshape(-1)
        xz = [_num(v, _POSE_DIGITS) for v in ((p[0], p[2]) if len(p) == 3 else (p[0], p[1]))]
        i, _ = self._index(shot_id)
        key = int(name) if str(name).isdigit() else str(name)

        def fn(tree):
            self._node(tree, character, ("characters",))
            shot = tree["shots"][i]
            own = CommentedMap([(key, _flow(xz))])
            own.fa.set_flow_style()
            if shot.get("marks") is None:  # (built whole: what trailed the shot trails it)
                _put_key(shot, "marks", _block_map([(character, own)]))
                return
            marks = shot["marks"]
            if marks.get(character) is None:
                _put_key(marks, character, own)
                return
            if any(str(k) == str(name) for k in marks[character]):
                raise SceneError(
                    f"shot {shot_id} already has mark {name} for {character}",
                    file=self.path,
                    field=format_path(("shots", i, "marks", character)),
                )
            _put_key(marks[character], key, _flow(xz))

        self.edit(f"Add mark {character} {name}", fn)

    def add_walk(
        self,
        shot_id: str,
        character: str,
        marks,
        start_frame: int,
        speed_mps: float = 1.3,
    ) -> None:
        """A walk for ``character`` in shot ``shot_id`` through its ``marks`` (names), from
        ``start_frame`` at ``speed_mps`` (the loader checks the marks and the timing)."""
        i, _ = self._index(shot_id)
        names = [int(m) if str(m).isdigit() else str(m) for m in marks]
        walk = CommentedMap(
            [
                ("character", character),
                ("marks", _flow(names)),
                ("start_frame", int(start_frame)),
                ("speed_mps", _num(speed_mps)),
            ]
        )
        walk.fa.set_flow_style()

        def fn(tree):
            shot = tree["shots"][i]
            if shot.get("walks") is None:  # (built whole, as marks)
                _put_key(shot, "walks", _block_seq([walk]))
                return
            _insert_item(shot["walks"], len(shot["walks"]), walk, separate=False)

        self.edit(f"Add walk {character}", fn)

    PIECE_FIELDS = ("translation_m", "position_m", "rotation_deg", "scale", "color", "height_m")

    def set_piece_fields(self, name: str, **fields) -> None:
        """Set a set piece's or character's fields (``translation_m``/``position_m`` [x, y, z],
        ``rotation_deg`` [x, y, z], ``scale``, ``color``, ``height_m``); None removes one."""
        bad = sorted(set(fields) - set(self.PIECE_FIELDS))
        if bad:
            raise SceneError(
                f"a set piece has no field '{bad[0]}'{schema.suggest(bad[0], self.PIECE_FIELDS)}",
                file=self.path,
            )

        def fn(tree):
            _, _, node = self._node(tree, name)
            for k, v in fields.items():
                if v is None:
                    _del_key(node, k)
                elif isinstance(v, str):
                    _put_key(node, k, v)
                elif np.ndim(v) == 0:
                    _put_key(node, k, _num(float(v), _POSE_DIGITS), after=("name", "type"))
                else:
                    self._put_vector(node, k, v, after=("name", "type", "size_m", "height_m"))

        self.edit(f"Set {name} " + ", ".join(fields), fn)

    def move_object(self, kind: str, name: str, position_m, *, shot_id: str | None = None) -> None:
        """Move what a selection names (``set_piece``, ``character``, ``light``, or ``mark``
        named ``<character>/<mark>`` in ``shot_id``)."""
        if kind == "light":
            self.move_light(name, position_m)
        elif kind == "mark":
            who, _, mark = name.rpartition("/")
            self.move_mark(shot_id, who, mark, position_m)
        else:
            self.move_piece(name, position_m)

    # ------------------------------------------------------------ files
    def save(self, path: str | Path | None = None) -> Path:
        """Write the scene (see the module docstring: validation, backup, atomic write). Returns
        the path written."""
        target = self.path if path is None else Path(path).absolute()
        scene = _scene_from_text(self._text, target)  # relative assets, and files gone since
        data = self._text.encode("utf-8")
        try:
            on_disk = target.read_bytes() if target.exists() else None
        except OSError as exc:
            raise ExportError(
                f"{target}: cannot read the file to back it up ({exc.strerror or exc}); "
                "nothing was saved"
            ) from None
        keep = on_disk is not None and not (target == self.path and on_disk == self._wrote)
        try:
            if keep:
                replace_file(backup_path(target), on_disk, sync_folder=True)
            replace_file(target, data, sync_folder=True)
        except OSError as exc:
            raise ExportError(
                f"{target}: cannot save ({exc.strerror or exc}); the file on disk is unchanged"
            ) from None
        old = self.path
        self.path = target
        self._saved_text = self._text
        self._wrote = data
        if target != old:
            self.scene = scene
            self.revision += 1
        for p in {recovery_path(old), recovery_path(target)}:
            p.unlink(missing_ok=True)
        return target

    def autosave(self, live_camera: dict | None = None) -> Path | None:
        """Write the recovery file when there are unsaved edits or an unkeyed camera
        (``live_camera``: {"shot", "frame", "values"} as the window holds it; returns the file);
        with neither, remove any recovery file and return None."""
        rec = recovery_path(self.path)
        if not self.dirty and live_camera is None:
            rec.unlink(missing_ok=True)
            return None
        doc = {
            "format": RECOVERY_FORMAT,
            "version": RECOVERY_VERSION,
            "scene_path": str(self.path),
            "written_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "last_edit": self.undo_label,
            "text": self._text,
        }
        if live_camera is not None:
            doc["live_camera"] = live_camera
        try:
            replace_file(
                rec, json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8"), sync_folder=True
            )
        except OSError as exc:
            raise ExportError(
                f"{rec}: cannot write the recovery file ({exc.strerror or exc})"
            ) from None
        return rec

    @staticmethod
    def _read_recovery(path: Path) -> dict | None:
        rec = recovery_path(path)
        try:
            doc = json.loads(rec.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if (
            not isinstance(doc, dict)
            or doc.get("format") != RECOVERY_FORMAT
            or not isinstance(doc.get("text"), str)
            or not isinstance(doc.get("scene_path"), str)
        ):
            return None
        if Path(doc["scene_path"]) != Path(path).absolute():
            return None  # written for another file (copied or renamed): not ours to offer
        try:
            if path.exists() and path.stat().st_mtime_ns > rec.stat().st_mtime_ns:
                return None  # the scene was saved after the recovery was written
        except OSError:
            return None
        return doc

    @staticmethod
    def recovery_for(path: str | Path) -> Path | None:
        """The recovery file a session that did not quit cleanly left for this scene, if it is
        for this file and not older than it; else None."""
        path = Path(path).absolute()
        return recovery_path(path) if SceneDocument._read_recovery(path) is not None else None

    @classmethod
    def open_recovery(cls, path: str | Path) -> SceneDocument:
        """The scene with the recovered edits (unsaved: ``dirty``; ``path`` is the scene file)."""
        path = Path(path).absolute()
        doc = cls._read_recovery(path)
        if doc is None:
            raise SceneError("no recovery file to restore", file=path)
        text = doc["text"]
        try:
            saved = read_text(path)
        except SceneError:
            saved = None
        out = cls(path, text, _scene_from_text(text, path), saved)
        out.recovered_camera = _live_camera(doc.get("live_camera"), out.scene)
        return out

    def discard_recovery(self) -> None:
        recovery_path(self.path).unlink(missing_ok=True)


# ---------------------------------------------------------------- how a key is written
_CAMERA_ORDER = (
    "position_m",
    "look_at_m",
    "pan_deg",
    "tilt_deg",
    "roll_deg",
    "focal_length_mm",
    "focus_m",
    "t_stop",
)
_PARAM_CHANNEL = {
    "pan": "pan_deg",
    "tilt": "tilt_deg",
    "dutch": "roll_deg",
    "zoom": "focal_length_mm",
    "rack_focus": "focus_m",
}


class _KeyPlan:
    """Decides, channel by channel, where a key goes (``mode[c]``), and writes it into a tree."""

    def __init__(self, scene: sc.Scene, shot: sc.Shot, index: int, frame: int, want: dict):
        from previs.core.moves import _right, forward

        self.scene, self.shot, self.i, self.frame = scene, shot, index, frame
        self.cur = camera_values(scene, shot, frame)
        self.base = _base_track(scene, shot)
        self.explicit = {name: {k.frame for k in keys} for name, keys in shot.keys}
        prime = presets.get_lens_kit(scene.camera.lens_kit).kind != "zoom"
        self.mode: dict[str, tuple] = {}
        self.baked: set[int] = set()
        changed = {c for c, v in want.items() if not _close(c, v, self.cur[c])}
        for c in want:
            if c == "focal_length_mm" and prime:
                if c in changed:
                    self.mode[c] = ("prime",)
            elif frame == 0 and 0 not in self.explicit.get(c, ()):
                if c in changed:
                    self.mode[c] = ("base",)
            else:
                j = self._move_at(c)
                if j is None:
                    self.mode[c] = ("key",)
                elif c in changed:
                    self.mode[c] = ("move", j)
        # A move edited through a parameter only if every changed channel it drives allows it.
        for j in {m[1] for m in self.mode.values() if m[0] == "move"}:
            mv = shot.moves[j]
            chans = [c for c, m in self.mode.items() if m == ("move", j)]
            ok = frame == mv.end_frame and all(
                self._param_ok(mv, c, want[c], forward, _right) for c in chans
            )
            for c in chans:
                self.mode[c] = ("param", j) if ok else ("bake", j)
            if not ok:
                self.baked.add(j)

    def bake_instead(self, channel: str) -> None:
        j = self.mode[channel][1]
        self.baked.add(j)
        for c, m in list(self.mode.items()):
            if m == ("param", j):
                self.mode[c] = ("bake", j)

    def _move_at(self, channel: str) -> int | None:
        """The move (not handheld) driving ``channel`` whose range holds this frame (start excluded)."""
        for j, mv in enumerate(self.shot.moves):
            if (
                mv.type != "handheld"
                and channel in mv.drives()
                and mv.start_frame < self.frame <= mv.end_frame
            ):
                return j
        return None

    def _base_at(self, channel: str, frame: int):
        v = self.base.channels[channel].evaluate(frame)
        return np.asarray(v, float) if channel == "position_m" else float(v)

    def _param_ok(self, mv, channel: str, value, forward, right) -> bool:
        if _PARAM_CHANNEL.get(mv.type) == channel:
            return True
        if mv.type == "path" and channel == "position_m":
            return True
        if mv.type in ("dolly", "truck", "pedestal") and channel == "position_m":
            d = self._line(mv, forward, right)
            delta = np.asarray(value, float) - self._base_at("position_m", mv.end_frame)
            return float(np.linalg.norm(delta - np.dot(delta, d) * d)) <= 1e-7
        return False

    def _line(self, mv, forward, right) -> np.ndarray:
        pan = self._base_at("pan_deg", mv.start_frame)
        if mv.type == "dolly":
            return forward(pan)
        if mv.type == "truck":
            return right(pan)
        return np.array([0.0, 1.0, 0.0])

    # ---- writing
    def write(self, tree, targets: dict) -> None:
        from previs.core.moves import _right, forward

        node = tree["shots"][self.i]
        cam = node["camera"]
        base = {c: targets[c] for c, m in self.mode.items() if m[0] == "base"}
        if base:
            self._write_base(cam, base)
        for c, m in self.mode.items():
            if m[0] == "prime":
                cam["focal_length_mm"] = _written(c, targets[c])
                for row in node.get("keys", {}).get(c, []):
                    row[1] = _written(c, targets[c])
            elif m[0] == "key":
                self._anchor(node, c, self.frame)
                self._row(node, c, self.frame, targets[c])
            elif m[0] == "param":
                self._write_param(
                    node["moves"][m[1]], self.shot.moves[m[1]], c, targets[c], forward, _right
                )
        for j in sorted(self.baked, reverse=True):
            self._bake(node, j, targets)

    def _write_base(self, cam, values: dict) -> None:
        pose = [c for c in values if c in POSE_CHANNELS]
        if pose and "look_at_m" in cam:
            start = _start_values(self.scene, self.shot)
            aim = list(cam["look_at_m"])
            keys = list(cam)
            pos = keys.index("look_at_m")
            _del_key(cam, "look_at_m")
            for k, name in enumerate(ANGLE_CHANNELS):
                cam.insert(pos + k, name, _written(name, start[name]))
            cam.yaml_add_eol_comment(
                f"# was look_at_m: [{', '.join(f'{float(a):g}' for a in aim)}]", "pan_deg"
            )
        for c, v in values.items():
            if c == "position_m" and isinstance(cam.get(c), CommentedSeq) and len(cam[c]) == 3:
                for k, x in enumerate(_written(c, v)):
                    cam[c][k] = x
            else:
                k = _CAMERA_ORDER.index(c)
                _put_key(
                    cam, c, _written(c, v), after=_CAMERA_ORDER[:k], before=_CAMERA_ORDER[k + 1 :]
                )

    def _row(self, node, channel: str, frame: int, value) -> None:
        """Set the explicit key of ``channel`` at ``frame`` (keeping an existing key's interp)."""
        row = _flow([frame, _written(channel, value)])
        if "keys" not in node:  # built whole before it goes in, so trailing comments stay last
            _put_key(
                node, "keys", _block_map([(channel, _block_seq([row]))]), after=("moves", "camera")
            )
            return
        keys = node["keys"]
        if channel not in keys:
            order = tuple(CAMERA_CHANNELS)
            k = order.index(channel)
            _put_key(keys, channel, _block_seq([row]), after=order[:k], before=order[k + 1 :])
            return
        rows = keys[channel]
        for old in rows:
            if old[0] == frame:
                old[1] = row[1]
                return
        _insert_item(rows, sum(1 for r in rows if r[0] < frame), row, separate=False)

    def _anchor(self, node, channel: str, upto: int) -> None:
        """Keys at the start of earlier moves on ``channel`` (their current values), so a key after
        them does not set the camera drifting before they start."""
        for mv in self.shot.moves:
            s = mv.start_frame
            if mv.type == "handheld" or channel not in mv.drives() or not 0 < s < upto:
                continue
            if s in self.explicit.get(channel, ()) or any(
                o.type != "handheld" and channel in o.drives() and o.start_frame < s <= o.end_frame
                for o in self.shot.moves
            ):
                continue
            self._row(node, channel, s, self._base_at(channel, s))

    def _write_param(self, mnode, mv, channel: str, value, forward, right) -> None:
        end_now = self._base_at(channel, mv.end_frame)
        if mv.type in ("pan", "tilt", "dutch"):
            if mnode.get("to_deg") is not None:
                mnode["to_deg"] = _num(value, _POSE_DIGITS)
            else:
                mnode["angle_deg"] = _num(
                    float(mnode["angle_deg"]) + _wrap180(float(value) - end_now), _POSE_DIGITS
                )
        elif mv.type == "zoom":
            if mnode.get("to_focal_length_mm") is not None:
                mnode["to_focal_length_mm"] = _num(value)
            else:
                mnode["by_mm"] = _num(float(value) - (end_now - float(mnode["by_mm"])))
        elif mv.type == "rack_focus":
            for k in ("to_subject", "to_subject_m"):
                _del_key(mnode, k)
            _put_key(mnode, "to_focus_m", _num(value))
        elif mv.type == "path":
            mnode["points_m"][-1] = _written("position_m", value)
        else:  # dolly, truck, pedestal along their line
            d = self._line(mv, forward, right)
            extra = float(np.dot(np.asarray(value, float) - end_now, d))
            mnode["distance_m"] = _num(float(mnode["distance_m"]) + extra, _POSE_DIGITS)

    def _bake(self, node, j: int, targets: dict) -> None:
        """Replace move ``j`` by keys at every frame of its range; keyed channels get a smooth
        offset that is full at the keyed frame."""
        mv = self.shot.moves[j]
        s, e, f0 = mv.start_frame, mv.end_frame, self.frame
        for c in mv.drives():
            self._anchor(node, c, s)
            ch = self.base.channels[c]
            frames = np.arange(s, e + 1)
            vals = ch.evaluate_many(frames)
            if ch.angular:  # continuous, so neighbouring keys never differ by half a turn
                vals[:, 0] = vals[0, 0] + np.concatenate(
                    [[0.0], np.cumsum((np.diff(vals[:, 0]) + 180.0) % 360.0 - 180.0)]
                )
            if self.mode.get(c) == ("bake", j):
                here = vals[f0 - s].copy()
                delta = np.atleast_1d(_diff(c, targets[c], here if c == "position_m" else here[0]))
                for k, f in enumerate(frames):
                    w = _ease((f - s) / (f0 - s)) if f <= f0 else _ease((e - f) / (e - f0))
                    vals[k] = vals[k] + delta * w
                vals[f0 - s] = here + delta
                if c in LENS_CHANNELS:
                    vals[f0 - s] = targets[c]  # exactly, not base + (target - base)
            end_interp = next((k.interp for k in ch.keys if k.frame == e), "ease")
            touching = any(
                o is not mv and o.type != "handheld" and c in o.drives() and o.end_frame == s
                for o in self.shot.moves
            )
            rows = [
                (int(f), vals[k] if c == "position_m" else vals[k, 0])
                for k, f in enumerate(frames)
                if not (f == s and (s == 0 or touching))
            ]  # else the camera block / the move before
            written = [_written(c, v) for _, v in rows]
            for k, (f, v) in enumerate(rows):
                # inside a run of equal values a key says nothing the keys around it do not
                if (
                    0 < k < len(rows) - 1
                    and f != f0
                    and written[k - 1] == written[k] == written[k + 1]
                ):
                    continue
                self._row(node, c, f, v)
                if f == e and end_interp != "smooth":
                    row = next(r for r in node["keys"][c] if r[0] == f)
                    if len(row) == 3:
                        row[2] = end_interp
                    else:
                        row.append(end_interp)
        _delete_item(node["moves"], j)
        if not node["moves"]:
            _del_key(node, "moves")


def _vector3(v, what: str) -> np.ndarray:
    a = np.asarray(v, dtype=float).reshape(-1)
    if a.shape != (3,) or not np.all(np.isfinite(a)):
        raise SceneError(f"{what} must be [x, y, z] in metres, got {v!r}")
    return a
