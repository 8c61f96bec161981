"""Shot lists: one row per shot with the columns a first AD expects, as CSV, JSON, Markdown and PDF.

    rows = shot_rows(scene, overrides={"1B": {"shot_size": "MS"}})
    write_csv(rows, "out/shotlist.csv")
    export_shotlist(scene, "out/paperwork")      # -> [.csv, .json, .md, .pdf]

Columns (:data:`COLUMNS`): scene, shot, setup, description, shot size, angle, movement, lens (focal
length, kit, body and recording mode), T-stop, focus, duration (frames and timecode), cast or
stand-ins, lighting cue, stage checks, notes.

What is derived from the blocking, and how
------------------------------------------
Everything is pure geometry on :class:`~previs.core.frame.FrameState` (no GL). A value the scene
file states wins: ``shot.shot_size`` / ``shot.angle`` / ``shot.movement`` when the shot has such an
attribute, then the ``overrides`` argument of :func:`shot_rows` (``{shot_id: {column: value}}``),
which can replace any column.

**Framing a stand-in** (:func:`framings`). Each ``standin`` set piece is a vertical centre line
from its feet to the top of its head (``height_m`` through its world transform; a walking
stand-in's pose comes from ``FrameState.poses``), sampled at 1 % steps and projected through the
camera into the *delivered* frame: the largest centred rectangle of the delivery aspect inside
the recorded image (the frame lines the renderer draws, ``previs.render.frame_rect_uv``). A
stand-in is *in frame* when some of its centre line is inside the frame lines and in front of the
lens. Its **framing ratio** is the frame height as a fraction of its standing height, measured on
the visible part: walking down from the top of the head (or from where the body enters the frame,
when the head is cut off), the run of the body that stays in frame is a fraction ``v`` of the
stature and spans a fraction ``s`` of the frame height, so ``ratio = v / s`` (a body wholly in
frame gives ``1 / s``). When that run is foreshortened to almost nothing on the screen (a camera
looking straight down on a head), the ratio is the frame height at the depth of the eyes over
the stature instead (reference §3.5: ``FrameHeight = d · h_sensor / f``). Occlusion by the set is
ignored.

**The subject** of a frame is the in-frame stand-in whose eyes (93.5 % of stature) are in frame
and nearest the lens axis; failing that, the in-frame stand-in nearest the lens axis.

**Shot size** (:func:`shot_size_for_ratio`) from the subject's ratio, with boundaries at the
geometric means of the nominal values of reference §3.5 (ECU ≤ 0.1, CU 0.2, MCU 0.3, MS 0.45,
MWS 0.65–0.75, FS 1.1–1.3, WS 1.5–3, EWS ≥ 3):
ECU < 0.14 ≤ CU < 0.25 ≤ MCU < 0.37 ≤ MS < 0.55 ≤ MWS < 0.9 ≤ FS < 1.4 ≤ WS < 3 ≤ EWS.
With **no stand-in in frame**: ``INSERT`` when the focus is nearer than 1.5 m, or when the frame
at the focus distance is less than 0.55 of a 1.75 m person tall (a long lens on an object: the
same boundary as MS/MWS); otherwise ``WS``, or ``EWS`` when that frame is at least 3 × 1.75 m
tall (an empty landscape). A size is worked out at the first frame and at every key frame of a
moving shot (:func:`previs.core.frame.key_frames`); when it changes the column reads
``FS → MWS`` (consecutive repeats collapsed).

**Angle** (:func:`derive_angle`) at the same frames: ``overhead`` when the tilt is −60° or lower;
else, with a subject, the elevation of its eyes seen from the lens: above +5° the camera looks up
(``low``), below −5° it looks down (``high``), otherwise ``eye level``; with no subject the
camera's tilt decides the same way. ``Dutch`` is added when the roll exceeds ±5° (``low, Dutch``).

**Movement** (:func:`derive_movement`), in order of start frame: each named move by its type and
direction (``dolly in``/``out``, ``truck left``/``right``, ``pedestal up``/``down``, ``pan``,
``tilt``, ``dutch``, ``crane up``/``down``/``swing``, ``orbit left``/``right`` (the way the camera
travels), ``push-in``, ``tracking (path)``, ``dolly zoom``, ``zoom in``/``out``, ``rack focus``,
``handheld``). Explicit keys on channels no move drives are read from the built track, from the
key before the channel's first change of value to the key of its last change (which also orders
them): position changes by more than 5 cm along the camera's horizontal forward / right / world up
(and at least a quarter of the largest of the three) read as dolly / truck / pedestal; pan, tilt or roll by more than 1° as pan / tilt / dutch; the focal length by
more than 0.5 mm as a zoom (a dolly and a zoom the opposite way as a dolly zoom); focus by more than
0.05 dioptre as a rack focus. Nothing moving: ``static``.

**Setup** (:func:`assign_setups`): within a scene number, shots in file order; a shot joins the
first earlier setup whose first shot's camera is within 0.3 m and whose lens axis is within 10° at
frame 0, else opens the next setup number (1, 2, ...).

**Cast**: the stand-ins in frame at any of those frames, the subject first. **Lighting cue**: the
shot's light and wall cues in words and frames (``key HMI flicker 24–72; wall: world moves
12 m/s, sun to 8°, 110 nits 0–95``). **Stage checks**: without LED checks, the rig plausibility
warnings of :func:`previs.core.plausibility.check_track`; given the results of ``previs check``
(``checks``: run at export, or read from its ``check.json`` with
:func:`previs.check.read_report`), each shot's verdict in a few words, worst first, with the
numbers (``FAIL moiré: 0.77 photosites/LED pitch at 15.1 m``, ``FAIL shooting off 2.7 % (bare
floor), frames 76–143``, ``FAIL overscan 27 % needed > 20 % set (3 fr latency)``, or ``LED checks
pass``), then its warnings (steep viewing angle, medium moiré, the rig). The Markdown and PDF say
in their heading whether the LED checks ran (:func:`led_checks_note`), so an empty column never
reads as "all clear"; the JSON carries the same line as ``led_checks``.

Files
-----
All writes are atomic (:func:`previs.export.atomic.write_atomic`). CSV is UTF-8 with a byte-order mark
(so spreadsheet programs read the "→", "°" and "–" right; read it back with ``utf-8-sig``), one
header row of the column titles. JSON is ``{"format": "previs-shotlist", "version": 1, ...}`` with
typed values (:func:`read_json` reads it back). The PDF is landscape A4 with a title block, a table
that repeats its header row on every page and wraps its text, and "Page x of y"; it embeds DejaVu
Sans (Condensed) from the system when one is found (or the TTF named by ``PREVIS_PDF_FONT``);
without it the PDF falls back to the core Helvetica font, which cannot show every character, so
"–"/"—" become "-", "→" becomes "->", "…" becomes "...", "≤"/"≥" become "<="/">=" and any other
character outside Latin-1 becomes "?" ("°" and "·" are Latin-1 and stay).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import math
import os
import shutil
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from datetime import date as _date
from pathlib import Path

import numpy as np

from previs.core import transforms as tf
from previs.core.frame import FrameState, camera_track, evaluate, frame_rect_uv, key_frames
from previs.core.moves import forward
from previs.core.scene import Scene, Shot
from previs.core.timecode import format_rate, frames_to_timecode
from previs.errors import ExportError, PrevisError

__all__ = ["ShotRow", "COLUMNS", "Framing", "shot_rows", "write_csv", "write_json", "read_json",
           "write_markdown", "write_pdf", "export_shotlist", "framings", "shot_size_for_ratio",
           "derive_shot_size", "derive_angle", "derive_movement", "assign_setups", "lighting_summary",
           "stage_checks", "frame_half_extents", "SHOT_SIZE_BOUNDS", "FORMATS", "led_checks_note",
           "LED_CHECKS_NOT_RUN"]

FORMAT = "previs-shotlist"
FORMAT_VERSION = 1
FORMATS = ("csv", "json", "md", "pdf")

SHOT_SIZE_BOUNDS: tuple[tuple[str, float], ...] = (
    ("ECU", 0.14), ("CU", 0.25), ("MCU", 0.37), ("MS", 0.55), ("MWS", 0.9), ("FS", 1.4), ("WS", 3.0))
"""(size, upper bound of the framing ratio): frame height over stature; beyond the last: EWS."""

EYE_FRACTION = 0.935  # eye height over stature, as previs.core.frame.subjects
INSERT_FOCUS_M = 1.5
REFERENCE_STATURE_M = 1.75
EYE_LEVEL_DEG = 5.0
OVERHEAD_TILT_DEG = -60.0
DUTCH_DEG = 5.0
SETUP_DISTANCE_M = 0.3
SETUP_ANGLE_DEG = 10.0

COLUMNS: tuple[tuple[str, str], ...] = (
    ("scene", "Scene"), ("shot", "Shot"), ("setup", "Setup"), ("description", "Description"),
    ("shot_size", "Shot size"), ("angle", "Angle"), ("movement", "Movement"), ("lens", "Lens"),
    ("lens_kit", "Lens kit"), ("camera", "Camera"), ("t_stop", "T-stop"), ("focus", "Focus"),
    ("duration_frames", "Frames"), ("duration_tc", "Duration"), ("cast", "Cast / stand-ins"),
    ("lighting_cue", "Lighting cue"), ("stage_checks", "Stage checks"), ("notes", "Notes"))
"""(key, title) of every column, in order: the CSV header is the titles, the JSON uses fields."""


# ---------------------------------------------------------------- the row
@dataclass(frozen=True)
class ShotRow:
    """One shot-list row, typed. Values that change over a moving shot (focal length, T-stop,
    focus) are the distinct values at its key frames, in order (one value when they hold)."""

    scene: str
    shot: str
    setup: int
    description: str
    shot_size: str
    angle: str
    movement: str
    focal_length_mm: tuple[float, ...]
    squeeze: float
    lens_kit: str
    camera_body: str
    camera_mode: str
    t_stop: tuple[float, ...]
    focus_m: tuple[float, ...]
    duration_frames: int
    duration_tc: str
    cast: tuple[str, ...]
    lighting_cue: str
    stage_checks: tuple[str, ...]
    notes: str

    @property
    def lens(self) -> str:
        """``25 mm``; ``40 → 60 mm`` for a zoom in the shot; ``50 mm 2x anamorphic``."""
        text = " → ".join(f"{f:g}" for f in self.focal_length_mm) + " mm"
        return text + (f" {self.squeeze:g}x anamorphic" if self.squeeze != 1 else "")

    @property
    def camera(self) -> str:
        return f"{self.camera_body} {self.camera_mode}".strip()

    @property
    def t_stop_text(self) -> str:
        return " → ".join(f"T{t:g}" for t in self.t_stop)

    @property
    def focus_text(self) -> str:
        return " → ".join("inf" if math.isinf(f) else f"{f:.2f}" for f in self.focus_m) + \
            ("" if all(math.isinf(f) for f in self.focus_m) else " m")

    def cells(self) -> dict[str, str]:
        """Every column as the text a sheet shows, keyed as :data:`COLUMNS`."""
        return {"scene": self.scene, "shot": self.shot, "setup": str(self.setup),
                "description": self.description, "shot_size": self.shot_size, "angle": self.angle,
                "movement": self.movement, "lens": self.lens, "lens_kit": self.lens_kit,
                "camera": self.camera, "t_stop": self.t_stop_text, "focus": self.focus_text,
                "duration_frames": str(self.duration_frames), "duration_tc": self.duration_tc,
                "cast": ", ".join(self.cast), "lighting_cue": self.lighting_cue,
                "stage_checks": "; ".join(self.stage_checks), "notes": self.notes}

    def to_json(self) -> dict:
        d = dataclasses.asdict(self)
        d["focus_m"] = [None if math.isinf(f) else f for f in self.focus_m]  # JSON has no infinity
        return {k: list(v) if isinstance(v, tuple) else v for k, v in d.items()}

    @classmethod
    def from_json(cls, d: Mapping) -> ShotRow:
        kw = {}
        for f in dataclasses.fields(cls):
            if f.name not in d:
                raise ExportError(f"shot-list row lacks '{f.name}'")
            v = d[f.name]
            if f.name == "focus_m":
                v = tuple(math.inf if x is None else float(x) for x in v)
            elif f.name in ("focal_length_mm", "t_stop"):
                v = tuple(float(x) for x in v)
            elif isinstance(v, list):
                v = tuple(v)
            kw[f.name] = v
        return cls(**kw)


# ---------------------------------------------------------------- framing
def frame_half_extents(image_aspect: float, delivery_aspect: float | None) -> tuple[float, float]:
    """Half width and half height of the delivered frame lines in normalised device coordinates
    (the recorded image is [-1, 1]²): the largest centred rectangle of ``delivery_aspect`` inside
    an image of ``image_aspect`` (the maths of ``previs.render.frame_rect_uv``)."""
    x0, y0, x1, y1 = frame_rect_uv(image_aspect, delivery_aspect)
    if x1 < x0:
        return 1.0, 1.0
    return x1 - x0, y1 - y0  # a uv width w spans 2w in NDC: its half is w


@dataclass(frozen=True)
class Framing:
    """How one stand-in sits in one frame. ``ratio`` is the frame height over its stature (None
    when no part of it is in frame); ``axis_angle_deg`` is the angle between the lens axis and
    its eyes; ``eye_elevation_deg`` how far the lens looks up (+) or down (-) to its eyes."""

    name: str
    stature_m: float
    in_frame: bool
    eyes_in_frame: bool
    ratio: float | None
    axis_angle_deg: float
    eye_elevation_deg: float
    eye_depth_m: float


def _project(camera_from_world: np.ndarray, pts: np.ndarray, tan_y: float, aspect: float):
    c = pts @ camera_from_world[:3, :3].T + camera_from_world[:3, 3]
    depth = -c[:, 2]
    with np.errstate(divide="ignore", invalid="ignore"):
        x = c[:, 0] / depth / (tan_y * aspect)
        y = c[:, 1] / depth / tan_y
    return x, y, depth


def framings(scene: Scene, state: FrameState, samples: int = 101) -> list[Framing]:
    """Every stand-in of the scene as framed in ``state`` (see the module notes)."""
    wfc = state.world_from_camera
    cfw = np.linalg.inv(wfc)
    cam = wfc[:3, 3]
    axis = -wfc[:3, 2] / np.linalg.norm(wfc[:3, 2])
    tan_y = math.tan(state.yfov_rad / 2)
    aspect = state.image_aspect
    hx, hy = frame_half_extents(aspect, state.delivery_aspect)
    poses = state.poses or {}
    t = np.linspace(0.0, 1.0, samples)  # 0 = top of the head, 1 = feet
    out = []
    for piece in scene.set_pieces:
        if piece.kind != "standin":
            continue
        pose = np.asarray(poses.get(piece.name, piece.world_from_local), float)
        local = np.c_[np.zeros(samples), piece.height_m * (1.0 - t), np.zeros(samples)]
        pts = local @ pose[:3, :3].T + pose[:3, 3]
        stature = float(np.linalg.norm(pts[0] - pts[-1]))
        eye = tf.transform_points(pose, [(0.0, EYE_FRACTION * piece.height_m, 0.0)])[0]
        x, y, depth = _project(cfw, pts, tan_y, aspect)
        inside = (depth > state.near_m) & (np.abs(x) <= hx) & (np.abs(y) <= hy)
        ex, ey, ed = (float(a[0]) for a in _project(cfw, eye[None], tan_y, aspect))
        to_eye = eye - cam
        dist = float(np.linalg.norm(to_eye))
        axis_angle = math.degrees(math.acos(max(-1.0, min(1.0, float(np.dot(to_eye, axis)) / max(dist, 1e-9)))))
        elevation = math.degrees(math.asin(max(-1.0, min(1.0, to_eye[1] / max(dist, 1e-9)))))
        eyes_in = ed > state.near_m and abs(ex) <= hx and abs(ey) <= hy
        ratio = None
        if inside.any() and stature > 0:
            i0 = int(np.argmax(inside))
            i1 = i0
            while i1 + 1 < samples and inside[i1 + 1]:
                i1 += 1
            v = (t[i1] - t[i0])  # visible share of the stature, from the top down
            s = abs(y[i0] - y[i1]) / (2.0 * hy)  # share of the frame height it spans
            if v > 0 and s > 0.05 * v:
                ratio = v / s
            else:  # foreshortened to nothing on screen: frame height at the eyes' depth
                ratio = 2.0 * max(ed, state.near_m) * tan_y * hy / stature
        out.append(Framing(piece.name, stature, bool(inside.any()), bool(eyes_in), ratio, axis_angle,
                           elevation, ed))
    return out


def _subject(frs: Sequence[Framing]) -> Framing | None:
    seen = [f for f in frs if f.in_frame and f.ratio is not None]
    if not seen:
        return None
    return min(seen, key=lambda f: (not f.eyes_in_frame, f.axis_angle_deg))


def shot_size_for_ratio(ratio: float) -> str:
    """The shot size for a framing ratio (frame height over stature), by :data:`SHOT_SIZE_BOUNDS`."""
    for name, upper in SHOT_SIZE_BOUNDS:
        if ratio < upper:
            return name
    return "EWS"


def _size_at(scene: Scene, state: FrameState, frs: Sequence[Framing]) -> str:
    subj = _subject(frs)
    if subj is not None:
        return shot_size_for_ratio(subj.ratio)
    if state.focus_m < INSERT_FOCUS_M:
        return "INSERT"
    _, hy = frame_half_extents(state.image_aspect, state.delivery_aspect)
    ratio = 2.0 * state.focus_m * math.tan(state.yfov_rad / 2) * hy / REFERENCE_STATURE_M
    if ratio < dict(SHOT_SIZE_BOUNDS)["MS"]:
        return "INSERT"
    return "EWS" if ratio >= dict(SHOT_SIZE_BOUNDS)["WS"] else "WS"


def _angle_at(state: FrameState, frs: Sequence[Framing]) -> str:
    _, tilt, roll = tf.pan_tilt_roll_of(state.world_from_camera)
    subj = _subject(frs)
    if tilt <= OVERHEAD_TILT_DEG:
        parts = ["overhead"]
    else:
        look_up = subj.eye_elevation_deg if subj is not None else tilt
        parts = ["low" if look_up > EYE_LEVEL_DEG else "high" if look_up < -EYE_LEVEL_DEG else "eye level"]
    if abs(roll) > DUTCH_DEG:
        parts.append("Dutch")
    return ", ".join(parts)


def _chain(values: Iterable[str]) -> str:
    out: list[str] = []
    for v in values:
        if not out or out[-1] != v:
            out.append(v)
    return " → ".join(out)


def _shot(scene: Scene, shot: Shot | str) -> Shot:
    return scene.shot(shot) if isinstance(shot, str) else shot


def _sample_frames(scene: Scene, shot: Shot) -> list[int]:
    return [0] if shot.is_static else key_frames(scene, shot)


def _states(scene: Scene, shot: Shot) -> list[tuple[FrameState, list[Framing]]]:
    out = []
    for f in _sample_frames(scene, shot):
        st = evaluate(scene, shot, f)
        out.append((st, framings(scene, st)))
    return out


def _stated(shot: Shot, name: str) -> str | None:
    v = getattr(shot, name, None)
    return str(v) if v not in (None, "") else None


def derive_shot_size(scene: Scene, shot: Shot | str, *, _states_cache=None) -> str:
    """The shot size: the shot's own ``shot_size`` when it has one, else from the framing at
    the first frame and every key frame (``FS → MWS`` when it changes)."""
    shot = _shot(scene, shot)
    stated = _stated(shot, "shot_size")
    if stated:
        return stated
    states = _states_cache or _states(scene, shot)
    return _chain(_size_at(scene, st, frs) for st, frs in states)


def derive_angle(scene: Scene, shot: Shot | str, *, _states_cache=None) -> str:
    """The camera angle: the shot's own ``angle`` when it has one, else from the camera's tilt and
    roll and the subject's eyes (``eye level``, ``high``, ``low``, ``overhead``, ``+ Dutch``)."""
    shot = _shot(scene, shot)
    stated = _stated(shot, "angle")
    if stated:
        return stated
    states = _states_cache or _states(scene, shot)
    return _chain(_angle_at(st, frs) for st, frs in states)


# ---------------------------------------------------------------- movement
def _wrap180(a: float) -> float:
    return (a + 180.0) % 360.0 - 180.0


def _move_label(m, track) -> str:
    p = m.params
    a, b = track.sample(m.start_frame), track.sample(m.end_frame)
    if m.type == "dolly":
        return "dolly in" if float(p["distance_m"]) >= 0 else "dolly out"
    if m.type == "truck":
        return "truck right" if float(p["distance_m"]) >= 0 else "truck left"
    if m.type == "pedestal":
        return "pedestal up" if float(p["distance_m"]) >= 0 else "pedestal down"
    if m.type == "pan":
        return "pan left" if _wrap180(b.pan_deg - a.pan_deg) >= 0 else "pan right"
    if m.type == "tilt":
        return "tilt up" if b.tilt_deg - a.tilt_deg >= 0 else "tilt down"
    if m.type == "dutch":
        return "dutch"
    if m.type == "crane":
        boom = float(p.get("boom_deg") or 0.0)
        if abs(boom) > 1e-9:
            return "crane up" if boom > 0 else "crane down"
        return "crane swing"
    if m.type == "orbit":
        # + = counter-clockwise seen from above, which carries the camera to its right
        return "orbit right" if float(p["angle_deg"]) >= 0 else "orbit left"
    if m.type == "push_in":
        return "push-in"
    if m.type == "path":
        return "tracking (path)"
    if m.type == "dolly_zoom":
        return "dolly zoom"
    if m.type == "zoom":
        return "zoom in" if b.focal_length_mm >= a.focal_length_mm else "zoom out"
    if m.type == "rack_focus":
        return "rack focus"
    return m.type  # handheld


def _key_moves(shot: Shot, track, driven: set[str]) -> list[tuple[int, str]]:
    """(start frame, label) of what explicit keys on channels no move drives do."""
    spans = {}
    for name, keys in shot.keys:
        if name in driven or not keys:
            continue
        built = track.channels[name].keys  # the start value at frame 0 and the explicit keys
        changes = [i for i in range(1, len(built)) if built[i].value != built[i - 1].value]
        if changes:
            spans[name] = (built[changes[0] - 1].frame, built[changes[-1]].frame)
    out: list[tuple[int, str]] = []
    if "position_m" in spans:
        f0, f1 = spans["position_m"]
        a, b = track.sample(f0), track.sample(f1)
        d = np.asarray(b.position_m) - np.asarray(a.position_m)
        fwd = forward(a.pan_deg)
        right = np.array([-fwd[2], 0.0, fwd[0]])
        comps = {"dolly": float(np.dot(d, fwd)), "truck": float(np.dot(d, right)), "pedestal": float(d[1])}
        big = max(abs(v) for v in comps.values())
        words = {"dolly": ("in", "out"), "truck": ("right", "left"), "pedestal": ("up", "down")}
        for kind, v in comps.items():
            if abs(v) > 0.05 and abs(v) >= 0.25 * big:
                out.append((f0, f"{kind} {words[kind][0 if v > 0 else 1]}"))
    for name, kind, pos, neg in (("pan_deg", "pan", "left", "right"), ("tilt_deg", "tilt", "up", "down"),
                                 ("roll_deg", "dutch", "", "")):
        if name in spans:
            f0, f1 = spans[name]
            delta = _wrap180(getattr(track.sample(f1), name) - getattr(track.sample(f0), name))
            if abs(delta) > 1.0:
                out.append((f0, f"{kind} {pos if delta > 0 else neg}".strip()))
    if "focal_length_mm" in spans:
        f0, f1 = spans["focal_length_mm"]
        delta = track.sample(f1).focal_length_mm - track.sample(f0).focal_length_mm
        if abs(delta) > 0.5:
            zoom = "zoom in" if delta > 0 else "zoom out"
            dolly = [i for i, (_, lab) in enumerate(out) if lab.startswith("dolly ")]
            opposite = dolly and ((out[dolly[0]][1] == "dolly in") != (delta > 0))
            if opposite:
                out[dolly[0]] = (min(out[dolly[0]][0], f0), "dolly zoom")
            else:
                out.append((f0, zoom))
    if "focus_m" in spans:
        f0, f1 = spans["focus_m"]
        a, b = track.sample(f0).focus_m, track.sample(f1).focus_m
        if abs((0.0 if math.isinf(a) else 1 / a) - (0.0 if math.isinf(b) else 1 / b)) > 0.05:
            out.append((f0, "rack focus"))
    return out


def derive_movement(scene: Scene, shot: Shot | str) -> str:
    """The camera movement: the shot's own ``movement`` when it has one, else its moves (and
    explicit keys) in order of start frame, or ``static``."""
    shot = _shot(scene, shot)
    stated = _stated(shot, "movement")
    if stated:
        return stated
    if not (shot.moves or shot.keys):
        return "static"
    track = camera_track(scene, shot)
    items = [(m.start_frame, i, _move_label(m, track)) for i, m in enumerate(shot.moves)]
    driven = {ch for m in shot.moves for ch in m.drives()}
    items += [(f, len(items) + i, lab) for i, (f, lab) in enumerate(_key_moves(shot, track, driven))]
    labels = [lab for _, _, lab in sorted(items)]
    return ", ".join(dict.fromkeys(labels)) or "static"


# ---------------------------------------------------------------- setups
def assign_setups(scene: Scene) -> dict[str, int]:
    """Setup numbers by shot id: within each scene number, shots sharing a camera position (within
    0.3 m) and lens direction (within 10°) at frame 0 share a setup; numbered in file order."""
    out: dict[str, int] = {}
    reps: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
    cos_tol = math.cos(math.radians(SETUP_ANGLE_DEG))
    for shot in scene.shots:
        wfc = evaluate(scene, shot, 0).world_from_camera
        pos, axis = wfc[:3, 3], -wfc[:3, 2] / np.linalg.norm(wfc[:3, 2])
        setups = reps.setdefault(shot.scene_number, [])
        for i, (p, a) in enumerate(setups):
            if np.linalg.norm(pos - p) <= SETUP_DISTANCE_M and float(np.dot(axis, a)) >= cos_tol - 1e-12:
                out[shot.id] = i + 1
                break
        else:
            setups.append((pos, axis))
            out[shot.id] = len(setups)
    return out


# ---------------------------------------------------------------- cues and checks
def _frames_text(a: int, b: int) -> str:
    return f"at {a}" if a == b else f"{a}–{b}"


def _light_cue_text(c) -> str:
    parts = []
    if c.to_intensity_scale is not None:
        parts.append("off" if c.to_intensity_scale == 0 else f"to {c.to_intensity_scale * 100:.0f} %")
    if c.to_kelvin is not None:
        parts.append(f"to {c.to_kelvin:g} K")
    if c.to_color_linear is not None:
        parts.append("colour change")
    if c.effect:
        parts.append(c.effect)
    return f"{c.light} {', '.join(parts)} {_frames_text(c.start_frame, c.end_frame)}"


def _wall_cue_parts(c) -> list[str]:
    parts = []
    if c.velocity_mps is not None:
        parts.append(f"world moves {float(np.linalg.norm(c.velocity_mps)):.3g} m/s")
    if c.to_translation_m is not None:
        parts.append("world shifts")
    if c.to_rotation_deg is not None:
        parts.append("world turns")
    el, az = c.to_sun_elevation_deg, c.to_sun_azimuth_deg
    if el is not None and az is not None:
        parts.append(f"sun to {el:g}°, azimuth {az:g}°")
    elif el is not None:
        parts.append(f"sun to {el:g}°")
    elif az is not None:
        parts.append(f"sun to azimuth {az:g}°")
    if c.to_time_of_day_h is not None:
        parts.append(f"time of day to {c.to_time_of_day_h:g} h")
    if c.to_turbidity is not None:
        parts.append(f"haze to {c.to_turbidity:g}")
    if c.to_brightness_nits is not None:
        parts.append(f"{c.to_brightness_nits:g} nits")
    if c.to_cdl is not None:
        parts.append("grade change")
    return parts


def lighting_summary(shot: Shot) -> str:
    """The shot's light and wall cues in a line (empty when it has none)."""
    items = [_light_cue_text(c) for c in sorted(shot.light_cues, key=lambda c: c.start_frame)]
    groups: dict[tuple[int, int], list[str]] = {}
    for c in sorted(shot.wall_cues, key=lambda c: c.start_frame):
        groups.setdefault((c.start_frame, c.end_frame), []).extend(_wall_cue_parts(c))
    if groups:
        items.append("wall: " + "; ".join(f"{', '.join(p)} {_frames_text(*span)}" for span, p in groups.items()))
    return "; ".join(items)


def stage_checks(scene: Scene, shot: Shot | str) -> list[str]:
    """The rig plausibility warnings of a shot's camera track: the Stage checks column when the
    LED checks (which need renders: :func:`previs.check.run_checks`) were not run."""
    from previs.check import plausibility_warnings

    return plausibility_warnings(scene, _shot(scene, shot))


LED_CHECKS_NOT_RUN = ("LED stage checks not run: only the rig's plausibility is flagged "
                      "(previs export --checks, or previs check)")


def _stage_column(scene: Scene, shot: Shot, checks: Mapping | None) -> tuple[str, ...]:
    if checks is None:
        return tuple(stage_checks(scene, shot))
    if shot.id not in checks:
        return ("LED checks not run", *stage_checks(scene, shot))
    return tuple(checks[shot.id].summary)


def led_checks_note(checks: Mapping | None, source: str | None = None) -> str:
    """The heading line that says whether and where the LED checks ran: ``LED stage checks (run
    at export): 8 of 11 shots pass; failing 1A, 2B, 3B``, or :data:`LED_CHECKS_NOT_RUN`."""
    if checks is None:
        return LED_CHECKS_NOT_RUN
    failed = [sid for sid, r in checks.items() if r.failed]
    return (f"LED stage checks ({source or 'run at export'}): {len(checks) - len(failed)} of {len(checks)} "
            f"shots pass" + (f"; failing {', '.join(failed)}" if failed else ""))


# ---------------------------------------------------------------- rows
def _distinct(values: Iterable[float], digits: int) -> tuple[float, ...]:
    out: list[float] = []
    for v in values:
        v = float(v) if math.isinf(v) else round(float(v), digits)
        if not out or out[-1] != v:
            out.append(v)
    return tuple(out)


_FIELDS = {f.name: f for f in dataclasses.fields(ShotRow)}
_TUPLE_FIELDS = {"focal_length_mm", "t_stop", "focus_m", "cast", "stage_checks"}


def _override(row: ShotRow, values: Mapping) -> ShotRow:
    changes = {}
    for name, v in values.items():
        if name not in _FIELDS:
            raise PrevisError(f"shot {row.shot}: no shot-list column '{name}' to override "
                              f"(use: {', '.join(_FIELDS)})")
        if name in _TUPLE_FIELDS:
            v = tuple(v) if isinstance(v, list | tuple) else (v,)
            if name in ("focal_length_mm", "t_stop", "focus_m"):
                v = tuple(float(x) for x in v)
        elif name in ("setup", "duration_frames"):
            v = int(v)
        elif name == "squeeze":
            v = float(v)
        else:
            v = "" if v is None else str(v)
        changes[name] = v
    return dataclasses.replace(row, **changes)


def shot_rows(scene: Scene, overrides: Mapping[str, Mapping] | None = None, *,
              checks: Mapping | None = None) -> list[ShotRow]:
    """One :class:`ShotRow` per shot, in the file's order. ``overrides`` maps a shot id to
    ``{column: value}`` (column = a :class:`ShotRow` field) and wins over what is derived.
    ``checks`` maps a shot id to its :class:`previs.check.ShotCheck`: its ``summary`` fills the
    Stage checks column (a shot it lacks says the LED checks were not run for it)."""
    overrides = dict(overrides or {})
    unknown = [k for k in overrides if k not in {s.id for s in scene.shots}]
    if unknown:
        raise PrevisError(f"shot-list overrides name unknown shot(s) {', '.join(map(str, unknown))} "
                          f"(shots: {', '.join(s.id for s in scene.shots)})")
    setups = assign_setups(scene)
    rows = []
    for shot in scene.shots:
        states = _states(scene, shot)
        first = states[0][0]
        cast: dict[str, tuple[int, float]] = {}
        for i, (_, frs) in enumerate(states):
            subj = _subject(frs)
            for f in frs:
                if f.in_frame and f.name not in cast:
                    cast[f.name] = (i, 0.0 if f is subj else 1.0 + f.axis_angle_deg)
        row = ShotRow(
            scene=str(shot.scene_number),
            shot=shot.id,
            setup=setups[shot.id],
            description=shot.description,
            shot_size=derive_shot_size(scene, shot, _states_cache=states),
            angle=derive_angle(scene, shot, _states_cache=states),
            movement=derive_movement(scene, shot),
            focal_length_mm=_distinct((st.focal_length_mm for st, _ in states), 2),
            squeeze=float(first.squeeze),
            lens_kit=first.lens.kit_name,
            camera_body=first.mode.body_name,
            camera_mode=first.mode.mode_name,
            t_stop=_distinct((st.t_stop for st, _ in states), 2),
            focus_m=_distinct((st.focus_m for st, _ in states), 2),
            duration_frames=int(shot.length_frames),
            duration_tc=frames_to_timecode(int(shot.length_frames), scene.frame_rate),
            cast=tuple(sorted(cast, key=lambda n: cast[n])),
            lighting_cue=lighting_summary(shot),
            stage_checks=_stage_column(scene, shot, checks),
            notes=shot.notes,
        )
        if shot.id in overrides:
            row = _override(row, overrides[shot.id])
        rows.append(row)
    return rows


# ---------------------------------------------------------------- CSV, JSON, Markdown
def _titles() -> list[str]:
    return [title for _, title in COLUMNS]


def csv_text(rows: Sequence[ShotRow]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(_titles())
    for r in rows:
        cells = r.cells()
        w.writerow([cells[k] for k, _ in COLUMNS])
    return buf.getvalue()


def write_csv(rows: Sequence[ShotRow], path) -> Path:
    """The shot list as CSV: a header row of the column titles, one row per shot (UTF-8 with BOM)."""
    path = Path(path)
    from previs.export.atomic import write_atomic

    write_atomic(path, csv_text(rows).encode("utf-8-sig"))
    return path


def _scene_info(scene: Scene) -> dict:
    return {"scene": scene.name,
            "source": scene.source_path.name if scene.source_path else None,
            "frame_rate": format_rate(scene.frame_rate),
            "frame_rate_fraction": f"{scene.frame_rate.numerator}/{scene.frame_rate.denominator}",
            "delivery_aspect": scene.camera.delivery_aspect}


def write_json(rows: Sequence[ShotRow], path, scene: Scene, *, led_note: str = LED_CHECKS_NOT_RUN) -> Path:
    """The shot list as JSON with typed values (``format``, ``version``, scene name, frame rate,
    ``led_checks`` = :func:`led_checks_note`, ``columns`` = the titles by field, ``shots``)."""
    from previs import __version__
    from previs.export.atomic import write_atomic

    doc = {"format": FORMAT, "version": FORMAT_VERSION, **_scene_info(scene), "generator": f"previs {__version__}",
           "led_checks": led_note, "columns": dict(COLUMNS), "shots": [r.to_json() for r in rows]}
    path = Path(path)
    write_atomic(path, (json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8"))
    return path


def read_json(path) -> list[ShotRow]:
    """The rows of a shot list :func:`write_json` wrote."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ExportError(f"{path}: cannot read a shot list ({exc})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ExportError(f"{path}: not a previs shot list")
    if doc.get("version", 0) > FORMAT_VERSION:
        raise ExportError(f"{path}: shot-list version {doc['version']} is newer than this previs reads "
                          f"({FORMAT_VERSION})")
    return [ShotRow.from_json(d) for d in doc.get("shots", [])]


def _md_cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\r", "").replace("\n", "<br>")


def markdown_text(rows: Sequence[ShotRow], scene: Scene | None = None, *,
                  led_note: str = LED_CHECKS_NOT_RUN) -> str:
    lines = []
    if scene is not None:
        info = _scene_info(scene)
        lines += [f"# Shot list: {_md_cell(scene.name)}", "",
                  f"{info['frame_rate']} fps · delivery {info['delivery_aspect']} · {len(rows)} shots", ""]
    lines += [f"**{_md_cell(led_note)}**", ""]
    lines.append("| " + " | ".join(_titles()) + " |")
    lines.append("|" + "|".join(" --- " for _ in COLUMNS) + "|")
    for r in rows:
        cells = r.cells()
        lines.append("| " + " | ".join(_md_cell(cells[k]) for k, _ in COLUMNS) + " |")
    return "\n".join(lines) + "\n"


def write_markdown(rows: Sequence[ShotRow], path, scene: Scene | None = None, *,
                   led_note: str = LED_CHECKS_NOT_RUN) -> Path:
    """The shot list as a Markdown (GitHub) table, one row per shot; a title when given the
    scene; the line that says whether the LED checks ran above the table."""
    from previs.export.atomic import write_atomic

    path = Path(path)
    write_atomic(path, markdown_text(rows, scene, led_note=led_note).encode("utf-8"))
    return path


# ---------------------------------------------------------------- PDF
_FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu", "/usr/share/fonts/TTF",
              "/usr/share/fonts/truetype", "/usr/local/share/fonts", "/opt/homebrew/share/fonts",
              "~/Library/Fonts", "/Library/Fonts", "~/.local/share/fonts", "~/.fonts")
_FONT_FILES = (("DejaVuSansCondensed.ttf", "DejaVuSansCondensed-Bold.ttf"), ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"))


def find_pdf_fonts() -> tuple[Path, Path] | None:
    """(regular, bold) TTF files for the PDF: ``PREVIS_PDF_FONT`` (and ``PREVIS_PDF_FONT_BOLD``)
    when set, else DejaVu Sans Condensed / Sans from the usual font folders or ``fc-match``;
    None when there is none (the PDF then uses core Helvetica, see the module notes)."""
    env = os.environ.get("PREVIS_PDF_FONT")
    if env:
        regular = Path(env).expanduser()
        if not regular.is_file():
            raise ExportError(f"PREVIS_PDF_FONT: no font file {regular}")
        bold = Path(os.environ.get("PREVIS_PDF_FONT_BOLD", "") or regular).expanduser()
        return regular, bold if bold.is_file() else regular
    for reg, bold in _FONT_FILES:
        for d in _FONT_DIRS:
            r = Path(d).expanduser() / reg
            if r.is_file():
                b = r.with_name(bold)
                return r, b if b.is_file() else r
    if shutil.which("fc-match"):
        for family in ("DejaVu Sans Condensed", "DejaVu Sans"):
            try:
                res = subprocess.run(["fc-match", "-f", "%{file}", family], capture_output=True, text=True,
                                     timeout=10, check=False)
            except (OSError, subprocess.SubprocessError):
                break
            r = Path(res.stdout.strip())
            if res.returncode == 0 and "dejavu" in r.name.lower() and r.suffix.lower() == ".ttf" and r.is_file():
                b = r.with_name(r.stem + "-Bold.ttf")
                return r, b if b.is_file() else r
    return None


_ASCII = {"–": "-", "—": "-", "→": "->", "…": "...", "≤": "<=", "≥": ">=", "’": "'", "‘": "'", "“": '"',
          "”": '"', "−": "-"}


def _latin1(text: str) -> str:
    for a, b in _ASCII.items():
        text = text.replace(a, b)
    return text.encode("latin-1", errors="replace").decode("latin-1")


# PDF column layout: (title, relative width, how to build the cell from a row)
_PDF_COLUMNS = (
    ("Sc", 6, lambda r: r.scene),
    ("Shot", 8, lambda r: r.shot),
    ("Setup", 10, lambda r: str(r.setup)),
    ("Description", 35, lambda r: r.description),
    ("Size", 11, lambda r: r.shot_size),
    ("Angle", 12, lambda r: r.angle),
    ("Movement", 21, lambda r: r.movement),
    ("Lens · kit · camera", 32, lambda r: f"{r.lens}\n{r.lens_kit}\n{r.camera}"),
    ("T-stop", 10, lambda r: r.t_stop_text),
    ("Focus", 14, lambda r: r.focus_text),
    ("Duration", 16, lambda r: f"{r.duration_tc}\n{r.duration_frames} fr"),
    ("Cast", 17, lambda r: ", ".join(r.cast)),
    ("Lighting cue", 24, lambda r: r.lighting_cue),
    ("Stage checks", 35, lambda r: "\n".join(r.stage_checks)),
    ("Notes", 26, lambda r: r.notes),
)


def _pdf_date(when) -> _date:
    if when is None:
        epoch = os.environ.get("SOURCE_DATE_EPOCH")
        if epoch and epoch.strip().isdigit():
            return datetime.fromtimestamp(int(epoch), UTC).date()
        return _date.today()
    return when.date() if isinstance(when, datetime) else when


def pdf_bytes(rows: Sequence[ShotRow], scene: Scene, *, when=None, paper: str = "A4",
              fonts: tuple[Path, Path] | None | bool = True, led_note: str = LED_CHECKS_NOT_RUN) -> bytes:
    """The PDF as bytes (see :func:`write_pdf`). ``fonts``: True = find them, None/False = core
    Helvetica, or a (regular, bold) pair of TTF paths."""
    from fpdf import FPDF, FontFace
    from fpdf.enums import TableCellFillMode

    from previs import __version__

    if fonts is True:
        fonts = find_pdf_fonts()
    day = _pdf_date(when)
    info = _scene_info(scene)
    ttf = bool(fonts)
    fix = (lambda s: s) if ttf else _latin1

    class _Sheet(FPDF):
        def footer(self):
            self.set_y(-9)
            self.set_font(family, "", 7)
            self.set_text_color(90)
            self.cell(0, 5, fix(f"{scene.name}  ·  shot list  ·  {day.isoformat()}"), align="L")
            self.set_x(self.l_margin)
            self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align="R")

    pdf = _Sheet(orientation="L", unit="mm", format=paper)
    pdf.set_creation_date(datetime(day.year, day.month, day.day, tzinfo=UTC))
    pdf.set_title(fix(f"Shot list: {scene.name}"))
    pdf.set_creator(f"previs {__version__}")
    pdf.set_margins(10, 10, 10)
    pdf.set_auto_page_break(True, margin=12)
    if ttf:
        family = "previs-sans"
        pdf.add_font(family, "", str(fonts[0]))
        pdf.add_font(family, "B", str(fonts[1]))
    else:
        family = "helvetica"
    pdf.add_page()
    # title block
    pdf.set_font(family, "B", 15)
    pdf.cell(0, 8, fix(scene.name), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, "", 9)
    cams = sorted({r.camera for r in rows})
    kits = sorted({r.lens_kit for r in rows})
    lines = [f"Shot list  ·  {len(rows)} shots  ·  {info['frame_rate']} fps  ·  delivery {info['delivery_aspect']}"
             f"  ·  {', '.join(cams)}  ·  {', '.join(kits)}",
             f"Date {day.isoformat()}  ·  source {info['source'] or '-'}  ·  previs {__version__}"]
    for line in lines:
        pdf.cell(0, 4.6, fix(line), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, "B", 9)
    pdf.multi_cell(0, 4.6, fix(led_note), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font(family, "", 6.5)
    grey = (225, 225, 225)
    fail_style = FontFace(color=(170, 0, 0))  # a failing shot's checks stand out on a grey printout too
    with pdf.table(col_widths=tuple(w for _, w, _ in _PDF_COLUMNS), text_align="LEFT", v_align="TOP",
                   line_height=2.9, padding=0.8, repeat_headings=1,
                   headings_style=FontFace(emphasis="BOLD", fill_color=grey),
                   cell_fill_color=(246, 246, 246), cell_fill_mode=TableCellFillMode.ROWS) as table:
        head = table.row()
        for title, _, _ in _PDF_COLUMNS:
            head.cell(fix(title))
        for r in rows:
            row = table.row()
            for title, _, get in _PDF_COLUMNS:
                failing = title == "Stage checks" and any(c.startswith("FAIL") for c in r.stage_checks)
                row.cell(fix(get(r)), style=fail_style if failing else None)
    return bytes(pdf.output())


def write_pdf(rows: Sequence[ShotRow], path, scene: Scene, *, when=None, paper: str = "A4",
              led_note: str = LED_CHECKS_NOT_RUN) -> Path:
    """A printable shot list: landscape ``paper`` (A4 or Letter), a title block (production,
    rate, camera, date), the table with wrapped text and its header row repeated on every page,
    and "Page x of y". ``when`` (a date; default ``SOURCE_DATE_EPOCH`` or today) is printed and
    stamped as the creation date, so the same rows and date give the same bytes."""
    from previs.export.atomic import write_atomic

    if paper.lower() not in ("a4", "letter"):
        raise PrevisError(f"shot-list paper must be A4 or Letter, got {paper!r}")
    path = Path(path)
    write_atomic(path, pdf_bytes(rows, scene, when=when, paper=paper, led_note=led_note))
    return path


# ---------------------------------------------------------------- all of it
def _stem(scene: Scene) -> str:
    s = scene.source_path.stem if scene.source_path else scene.name
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in s)


def export_shotlist(scene: Scene, out_dir, formats: Sequence[str] = FORMATS, *,
                    overrides: Mapping[str, Mapping] | None = None, when=None, paper: str = "A4",
                    shot_ids: Sequence[str] | None = None, checks: Mapping | None = None,
                    checks_source: str | None = None) -> list[Path]:
    """Write the shot list in each of ``formats`` (``csv``, ``json``, ``md``, ``pdf``) to
    ``out_dir/<scene stem>_shotlist.<ext>``; returns the paths in the order asked. ``shot_ids``:
    only those rows (setups still numbered over the whole scene). ``checks``: shot id ->
    :class:`previs.check.ShotCheck` for the Stage checks column; ``checks_source`` says where
    they came from in the heading (default: run at export)."""
    formats = list(dict.fromkeys(str(f).lower().lstrip(".") for f in formats))
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise PrevisError(f"unknown shot-list format(s) {', '.join(bad) or '(none)'} (use: {', '.join(FORMATS)})")
    rows = shot_rows(scene, overrides, checks=checks)
    if shot_ids is not None:
        keep = {scene.shot(s).id for s in shot_ids}
        rows = [r for r in rows if r.shot in keep]
        if checks is not None:
            checks = {sid: c for sid, c in checks.items() if sid in keep}
    note = led_checks_note(checks, checks_source)
    out_dir = Path(out_dir)
    written = []
    for f in formats:
        path = out_dir / f"{_stem(scene)}_shotlist.{f}"
        if f == "csv":
            write_csv(rows, path)
        elif f == "json":
            write_json(rows, path, scene, led_note=note)
        elif f == "md":
            write_markdown(rows, path, scene, led_note=note)
        else:
            write_pdf(rows, path, scene, when=when, paper=paper, led_note=note)
        written.append(path)
    return written
