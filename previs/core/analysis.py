"""What a shot is, worked out once from its FrameStates: pure functions over plain data (no GL,
no images, no files), shared by the shot list, the boards, the plans and the window.

    shot = analyse_shot(scene, "3A")      # ShotAnalysis: frames, shot size, angle, movement, cast
    shot.shot_size                        # "MWS → MCU"
    setups = assign_setups(scene)         # {"1A": 1, "1B": 2, ...}
    motion = camera_motion(state, next_state, 960, 405)   # how the framing changes, in pixels

The rules (the shot list's module notes say them in a first AD's words):

* **Framing** (:func:`framings`): a stand-in is a vertical centre line, feet to the top of its
  head, sampled at 1 % steps and projected into the delivered frame (the largest centred
  rectangle of the delivery aspect in the recorded image). Its ratio is the frame height over
  its stature, measured on the run of the body that stays in frame from the top down; a run
  foreshortened to nothing uses the frame height at the depth of the eyes instead.
* **The subject** is the in-frame stand-in whose eyes are in frame and nearest the lens axis;
  failing that, the in-frame stand-in nearest the lens axis.
* **Shot size** (:func:`shot_size_for_ratio`) by :data:`SHOT_SIZE_BOUNDS`; with nobody in frame
  ``INSERT`` (focus nearer than :data:`INSERT_FOCUS_M`, or a frame at the focus distance shorter
  than the MS bound of a :data:`REFERENCE_STATURE_M` person), ``WS`` or ``EWS``.
* **Angle**: ``overhead`` at a tilt of :data:`OVERHEAD_TILT_DEG` or lower; else the elevation of
  the subject's eyes seen from the lens (the tilt with no subject) beyond ±:data:`EYE_LEVEL_DEG`
  reads ``low`` / ``high``; ``Dutch`` is added beyond ±:data:`DUTCH_DEG` of roll.
* **Movement**: each move by its type and direction; explicit keys on channels no move drives by
  what they change (position > 5 cm, angles > 1°, focal length > 0.5 mm, focus > 0.05 dioptre).
* **Setups**: within a scene number, a shot joins the first earlier setup whose camera is within
  :data:`SETUP_DISTANCE_M` and whose lens axis is within :data:`SETUP_ANGLE_DEG` at frame 0.
* **Who is seen** (:func:`visibility`): each stand-in's body as capsules (:data:`BODY_PARTS`);
  rays through a grid over the frame lines meet the nearest body, so a body hides the ones behind
  it (the set does not). A stand-in is in the cast with its head in frame, or with at least 1 %
  of the frame (:func:`is_seen`); its share of the frame is printed with it.
* **Over the shoulder** (:func:`over_the_shoulder`): a stand-in seen from behind, nearer than
  3/4 of the subject's distance, whose head, neck, shoulder or upper arm covers 2 % of the frame:
  the size reads ``OTS CU``.
* **Support** (:func:`support_of`), **height and tilt** (:func:`height_tilt`), the **arrows** a
  move calls for (:func:`arrow_kinds`) and the **frames a board gets** (:func:`board_frames`:
  first, last, and one per 0.3 frame widths of picture change, placed at equal shares of it).
* **Camera motion** (:func:`camera_motion`): a grid of points in front of the next camera, at the
  depth of what this camera looks at, projected into this camera's image; a similarity fitted to
  that motion field gives the framing's shift, scale and roll; lens axes that meet in front of
  both cameras after a sideways move make an orbit.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from previs.core import transforms as tf
from previs.core.frame import (
    FrameState,
    camera_track,
    evaluate,
    frame_rect_uv,
    key_frames,
    walk_poses,
)
from previs.core.moves import forward
from previs.core.scene import Scene, Shot

__all__ = [
    "SHOT_SIZE_BOUNDS",
    "Framing",
    "FrameAnalysis",
    "ShotAnalysis",
    "CameraMotion",
    "frame_half_extents",
    "framings",
    "subject_of",
    "shot_size_for_ratio",
    "shot_size_at",
    "angle_at",
    "sample_frames",
    "shot_states",
    "analyse_frame",
    "analyse_shot",
    "shot_size",
    "angle",
    "movement",
    "move_label",
    "assign_setups",
    "camera_motion",
    "subject_paths",
    "projector",
    "frame_rect_px",
    "axes_meet",
    "cast_of",
    "cast_shares",
    "Visibility",
    "visibility",
    "over_the_shoulder",
    "seen_in",
    "is_seen",
    "support_of",
    "height_tilt",
    "moves_between",
    "arrow_kinds",
    "ARROWS_BY_MOVE",
    "ARROW_KINDS",
    "picture_change",
    "board_frames",
    "BODY_PARTS",
]

SHOT_SIZE_BOUNDS: tuple[tuple[str, float], ...] = (
    ("ECU", 0.14),
    ("CU", 0.25),
    ("MCU", 0.37),
    ("MS", 0.55),
    ("MWS", 0.9),
    ("FS", 1.4),
    ("WS", 3.0),
)
"""(size, upper bound of the framing ratio): frame height over stature; beyond the last: EWS.
The bounds are the geometric means of the nominal sizes of reference §3.5."""

EYE_FRACTION = 0.935  # eye height over stature, as previs.core.frame.subjects
INSERT_FOCUS_M = 1.5
REFERENCE_STATURE_M = 1.75
EYE_LEVEL_DEG = 5.0
OVERHEAD_TILT_DEG = -60.0
DUTCH_DEG = 5.0
SETUP_DISTANCE_M = 0.3
SETUP_ANGLE_DEG = 10.0
KEY_POSITION_MIN_M = 0.05
KEY_ANGLE_MIN_DEG = 1.0
KEY_FOCAL_MIN_MM = 0.5
KEY_FOCUS_MIN_DIOPTRE = 0.05


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


def _project_ndc(camera_from_world: np.ndarray, pts: np.ndarray, tan_y: float, aspect: float):
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
        x, y, depth = _project_ndc(cfw, pts, tan_y, aspect)
        inside = (depth > state.near_m) & (np.abs(x) <= hx) & (np.abs(y) <= hy)
        ex, ey, ed = (float(a[0]) for a in _project_ndc(cfw, eye[None], tan_y, aspect))
        to_eye = eye - cam
        dist = float(np.linalg.norm(to_eye))
        axis_angle = math.degrees(
            math.acos(max(-1.0, min(1.0, float(np.dot(to_eye, axis)) / max(dist, 1e-9))))
        )
        elevation = math.degrees(math.asin(max(-1.0, min(1.0, to_eye[1] / max(dist, 1e-9)))))
        eyes_in = ed > state.near_m and abs(ex) <= hx and abs(ey) <= hy
        ratio = None
        if inside.any() and stature > 0:
            i0 = int(np.argmax(inside))
            i1 = i0
            while i1 + 1 < samples and inside[i1 + 1]:
                i1 += 1
            v = t[i1] - t[i0]  # visible share of the stature, from the top down
            s = abs(y[i0] - y[i1]) / (2.0 * hy)  # share of the frame height it spans
            if v > 0 and s > 0.05 * v:
                ratio = v / s
            else:  # foreshortened to nothing on screen: frame height at the eyes' depth
                ratio = 2.0 * max(ed, state.near_m) * tan_y * hy / stature
        out.append(
            Framing(
                piece.name,
                stature,
                bool(inside.any()),
                bool(eyes_in),
                ratio,
                axis_angle,
                elevation,
                ed,
            )
        )
    return out


def subject_of(frs: Sequence[Framing]) -> Framing | None:
    """The subject of a frame (see the module notes), or None with nobody in frame."""
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


def shot_size_at(state: FrameState, frs: Sequence[Framing]) -> str:
    """The shot size of one frame: the subject's, else ``INSERT`` / ``WS`` / ``EWS`` from the
    frame at the focus distance."""
    subj = subject_of(frs)
    if subj is not None and subj.ratio is not None:  # (subject_of only picks framed ones)
        return shot_size_for_ratio(subj.ratio)
    if state.focus_m < INSERT_FOCUS_M:
        return "INSERT"
    _, hy = frame_half_extents(state.image_aspect, state.delivery_aspect)
    ratio = 2.0 * state.focus_m * math.tan(state.yfov_rad / 2) * hy / REFERENCE_STATURE_M
    if ratio < dict(SHOT_SIZE_BOUNDS)["MS"]:
        return "INSERT"
    return "EWS" if ratio >= dict(SHOT_SIZE_BOUNDS)["WS"] else "WS"


def angle_at(state: FrameState, frs: Sequence[Framing]) -> str:
    """The camera angle of one frame: ``eye level``, ``high``, ``low`` or ``overhead``, with
    ``, Dutch`` when the camera rolls."""
    _, tilt, roll = tf.pan_tilt_roll_of(state.world_from_camera)
    subj = subject_of(frs)
    if tilt <= OVERHEAD_TILT_DEG:
        parts = ["overhead"]
    else:
        look_up = subj.eye_elevation_deg if subj is not None else tilt
        parts = [
            "low"
            if look_up > EYE_LEVEL_DEG
            else "high"
            if look_up < -EYE_LEVEL_DEG
            else "eye level"
        ]
    if abs(roll) > DUTCH_DEG:
        parts.append("Dutch")
    return ", ".join(parts)


# ---------------------------------------------------------------- a shot's frames
@dataclass(frozen=True)
class FrameAnalysis:
    """One sampled frame of a shot: its state, every stand-in's framing, and what they make."""

    state: FrameState
    framings: tuple[Framing, ...]
    subject: Framing | None
    shot_size: str
    angle: str
    seen: tuple[tuple[str, float], ...] = ()  # stand-ins in the shot and their share of the frame
    ots: str | None = None  # whose shoulder the shot looks over


def analyse_frame(scene: Scene, state: FrameState) -> FrameAnalysis:
    """One frame judged: framings, subject, size (``OTS`` before it when a foreground
    shoulder frames the subject: :func:`over_the_shoulder`), angle, who is seen."""
    frs = tuple(framings(scene, state))
    subject = subject_of(frs)
    vis = visibility(scene, state)
    ots = over_the_shoulder(vis, subject.name if subject is not None else None)
    size = shot_size_at(state, frs)
    seen = tuple(sorted(seen_in(vis).items(), key=lambda kv: -kv[1]))
    return FrameAnalysis(
        state, frs, subject, f"OTS {size}" if ots else size, angle_at(state, frs), seen, ots
    )


def _shot(scene: Scene, shot: Shot | str) -> Shot:
    return scene.shot(shot) if isinstance(shot, str) else shot


def sample_frames(scene: Scene, shot: Shot) -> list[int]:
    """The frames a shot is judged at (and boarded at): frame 0 of a static shot, else its first,
    key and last frames (:func:`previs.core.frame.key_frames`)."""
    return [0] if shot.is_static else key_frames(scene, shot)


def shot_states(scene: Scene, shot: Shot | str) -> list[FrameState]:
    """The FrameStates at :func:`sample_frames`."""
    shot = _shot(scene, shot)
    return [evaluate(scene, shot, f) for f in sample_frames(scene, shot)]


def _stated(shot: Shot, name: str) -> str | None:
    v = getattr(shot, name, None)
    return str(v) if v not in (None, "") else None


def _chain(values: Iterable[str]) -> str:
    out: list[str] = []
    for v in values:
        if not out or out[-1] != v:
            out.append(v)
    return " → ".join(out)


def _frames(
    scene: Scene, shot: Shot, frames: Sequence[FrameAnalysis] | None
) -> Sequence[FrameAnalysis]:
    return frames or [analyse_frame(scene, st) for st in shot_states(scene, shot)]


def shot_size(scene: Scene, shot: Shot | str, frames: Sequence[FrameAnalysis] | None = None) -> str:
    """The shot's own ``shot_size`` when it states one, else the size at each sampled frame,
    repeats collapsed (``FS → MWS``)."""
    shot = _shot(scene, shot)
    return _stated(shot, "shot_size") or _chain(f.shot_size for f in _frames(scene, shot, frames))


def angle(scene: Scene, shot: Shot | str, frames: Sequence[FrameAnalysis] | None = None) -> str:
    """The shot's own ``angle`` when it states one, else the angle at each sampled frame."""
    shot = _shot(scene, shot)
    return _stated(shot, "angle") or _chain(f.angle for f in _frames(scene, shot, frames))


def cast_of(frames: Sequence[FrameAnalysis]) -> tuple[str, ...]:
    """The stand-ins seen (:func:`is_seen`) at any sampled frame: in order of first appearance,
    the subject of that frame first, then nearest the lens axis."""
    cast: dict[str, tuple[int, float]] = {}
    for i, fa in enumerate(frames):
        seen = dict(fa.seen)
        for f in fa.framings:
            if f.name in seen and f.name not in cast:
                cast[f.name] = (i, 0.0 if f is fa.subject else 1.0 + f.axis_angle_deg)
    return tuple(sorted(cast, key=lambda n: cast[n]))


def cast_shares(frames: Sequence[FrameAnalysis]) -> dict[str, float]:
    """Each seen stand-in's largest share of the frame over the sampled frames, in
    :func:`cast_of` order."""
    best: dict[str, float] = {}
    for fa in frames:
        for name, share in fa.seen:
            best[name] = max(best.get(name, 0.0), share)
    return {name: best[name] for name in cast_of(frames)}


# ---------------------------------------------------------------- movement
def move_label(m, track) -> str:
    """A move in a word or two: ``dolly in``, ``pan left``, ``orbit right`` (the way the camera
    travels), ``zoom out`` ... (``track``: the shot's built camera track)."""
    p = m.params
    a, b = track.sample(m.start_frame), track.sample(m.end_frame)
    if m.type == "dolly":
        return "dolly in" if float(p["distance_m"]) >= 0 else "dolly out"
    if m.type == "truck":
        return "truck right" if float(p["distance_m"]) >= 0 else "truck left"
    if m.type == "pedestal":
        return "pedestal up" if float(p["distance_m"]) >= 0 else "pedestal down"
    if m.type == "pan":
        return "pan left" if tf.wrap180(b.pan_deg - a.pan_deg) >= 0 else "pan right"
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


def _key_spans(shot: Shot, track, driven: set[str]) -> dict[str, tuple[int, int]]:
    """Per keyed channel no move drives: the key before its first change and its last change."""
    spans = {}
    for name, keys in shot.keys:
        if name in driven or not keys:
            continue
        built = track.channels[name].keys  # the start value at frame 0 and the explicit keys
        changes = [i for i in range(1, len(built)) if built[i].value != built[i - 1].value]
        if changes:
            spans[name] = (built[changes[0] - 1].frame, built[changes[-1]].frame)
    return spans


def _key_moves(shot: Shot, track, driven: set[str]) -> list[tuple[int, str]]:
    """(start frame, label) of what explicit keys on channels no move drives do."""
    return [(f0, label) for f0, _, label in _key_move_spans(shot, track, driven)]


def _key_move_spans(shot: Shot, track, driven: set[str]) -> list[tuple[int, int, str]]:
    """(start frame, end frame, label) of what explicit keys on channels no move drives do."""
    spans = _key_spans(shot, track, driven)
    out: list[tuple[int, int, str]] = []
    if "position_m" in spans:
        f0, f1 = spans["position_m"]
        a, b = track.sample(f0), track.sample(f1)
        d = np.asarray(b.position_m) - np.asarray(a.position_m)
        fwd = forward(a.pan_deg)
        right = np.array([-fwd[2], 0.0, fwd[0]])
        comps = {
            "dolly": float(np.dot(d, fwd)),
            "truck": float(np.dot(d, right)),
            "pedestal": float(d[1]),
        }
        big = max(abs(v) for v in comps.values())
        words = {"dolly": ("in", "out"), "truck": ("right", "left"), "pedestal": ("up", "down")}
        for kind, v in comps.items():
            if abs(v) > KEY_POSITION_MIN_M and abs(v) >= 0.25 * big:
                out.append((f0, f1, f"{kind} {words[kind][0 if v > 0 else 1]}"))
    for name, kind, pos, neg in (
        ("pan_deg", "pan", "left", "right"),
        ("tilt_deg", "tilt", "up", "down"),
        ("roll_deg", "dutch", "", ""),
    ):
        if name in spans:
            f0, f1 = spans[name]
            delta = tf.wrap180(getattr(track.sample(f1), name) - getattr(track.sample(f0), name))
            if abs(delta) > KEY_ANGLE_MIN_DEG:
                out.append((f0, f1, f"{kind} {pos if delta > 0 else neg}".strip()))
    if "focal_length_mm" in spans:
        f0, f1 = spans["focal_length_mm"]
        delta = track.sample(f1).focal_length_mm - track.sample(f0).focal_length_mm
        if abs(delta) > KEY_FOCAL_MIN_MM:
            zoom = "zoom in" if delta > 0 else "zoom out"
            dolly = [i for i, (_, _, lab) in enumerate(out) if lab.startswith("dolly ")]
            opposite = dolly and ((out[dolly[0]][2] == "dolly in") != (delta > 0))
            if opposite:
                d0, d1, _ = out[dolly[0]]
                out[dolly[0]] = (min(d0, f0), max(d1, f1), "dolly zoom")
            else:
                out.append((f0, f1, zoom))
    if "focus_m" in spans:
        f0, f1 = spans["focus_m"]
        a, b = track.sample(f0).focus_m, track.sample(f1).focus_m
        if (
            abs((0.0 if math.isinf(a) else 1 / a) - (0.0 if math.isinf(b) else 1 / b))
            > KEY_FOCUS_MIN_DIOPTRE
        ):
            out.append((f0, f1, "rack focus"))
    return out


def movement(scene: Scene, shot: Shot | str) -> str:
    """The shot's own ``movement`` when it states one, else its moves (and explicit keys) in order
    of start frame, or ``static``."""
    shot = _shot(scene, shot)
    stated = _stated(shot, "movement")
    if stated:
        return stated
    if not (shot.moves or shot.keys):
        return "static"
    track = camera_track(scene, shot)
    items = [(m.start_frame, i, move_label(m, track)) for i, m in enumerate(shot.moves)]
    driven = {ch for m in shot.moves for ch in m.drives()}
    items += [
        (f, len(items) + i, lab) for i, (f, lab) in enumerate(_key_moves(shot, track, driven))
    ]
    labels = [lab for _, _, lab in sorted(items)]
    return ", ".join(dict.fromkeys(labels)) or "static"


# ---------------------------------------------------------------- the whole shot
@dataclass(frozen=True)
class ShotAnalysis:
    """A shot judged once: its sampled frames and what they make (stated values win)."""

    shot: Shot
    frames: tuple[FrameAnalysis, ...]
    shot_size: str
    angle: str
    movement: str
    cast: tuple[str, ...]
    cast_share: tuple[tuple[str, float], ...] = ()  # (name, largest share of the frame)
    support: str = "sticks"
    height_m: tuple[float, ...] = ()  # lens height above the floor at the sampled frames
    tilt_deg: tuple[float, ...] = ()
    ots: str | None = None  # whose shoulder it looks over (at any sampled frame)

    @property
    def states(self) -> list[FrameState]:
        return [f.state for f in self.frames]


def analyse_shot(scene: Scene, shot: Shot | str) -> ShotAnalysis:
    shot = _shot(scene, shot)
    frames = tuple(analyse_frame(scene, st) for st in shot_states(scene, shot))
    heights, tilts = height_tilt([f.state for f in frames])
    ots = next((f.ots for f in frames if f.ots), None)
    return ShotAnalysis(
        shot,
        frames,
        shot_size(scene, shot, frames),
        angle(scene, shot, frames),
        movement(scene, shot),
        cast_of(frames),
        tuple(cast_shares(frames).items()),
        support_of(scene, shot),
        heights,
        tilts,
        ots,
    )


# ---------------------------------------------------------------- setups
def assign_setups(scene: Scene) -> dict[str, int]:
    """Setup numbers by shot id: within each scene number, shots sharing a camera position (within
    :data:`SETUP_DISTANCE_M`) and lens direction (within :data:`SETUP_ANGLE_DEG`) at frame 0
    share a setup; numbered in file order."""
    out: dict[str, int] = {}
    reps: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
    cos_tol = math.cos(math.radians(SETUP_ANGLE_DEG))
    for shot in scene.shots:
        wfc = evaluate(scene, shot, 0).world_from_camera
        pos, axis = wfc[:3, 3], -wfc[:3, 2] / np.linalg.norm(wfc[:3, 2])
        setups = reps.setdefault(shot.scene_number, [])
        for i, (p, a) in enumerate(setups):
            if (
                np.linalg.norm(pos - p) <= SETUP_DISTANCE_M
                and float(np.dot(axis, a)) >= cos_tol - 1e-12
            ):
                out[shot.id] = i + 1
                break
        else:
            setups.append((pos, axis))
            out[shot.id] = len(setups)
    return out


# ---------------------------------------------------------------- camera and subject motion
def projector(state: FrameState, width: int, height: int):
    """A function from world points (N, 3) to (pixels (N, 2) x right y down, depth in front of
    the camera (N,), > 0 visible) for an image of ``width`` x ``height``."""
    clip_from_world = tf.perspective(
        state.yfov_rad, width / height, state.near_m, state.far_m
    ) @ np.linalg.inv(state.world_from_camera)

    def project(pts):
        pts = np.atleast_2d(np.asarray(pts, float))
        h = np.c_[pts, np.ones(len(pts))] @ clip_from_world.T
        w = h[:, 3]
        xy = tf.project_to_pixels(clip_from_world, pts, width, height)
        return xy, w

    return project


def frame_rect_px(state: FrameState, width: int, height: int) -> tuple[float, float, float, float]:
    """The delivery frame lines (x0, y0, x1, y1) in pixels of an image of this size."""
    u0, v0, u1, v1 = frame_rect_uv(width / height, state.delivery_aspect)
    return u0 * width, v0 * height, u1 * width, v1 * height


def _rays_camera(state: FrameState, uv: np.ndarray, aspect: float) -> np.ndarray:
    """Camera-space directions (z = -1) through image points given in uv (v down)."""
    t = math.tan(state.yfov_rad / 2)
    x = (2 * uv[:, 0] - 1) * t * aspect
    y = (1 - 2 * uv[:, 1]) * t
    return np.c_[x, y, -np.ones(len(uv))]


def axes_meet(a: FrameState, b: FrameState) -> float | None:
    """Depth (along a's axis) where the two lens axes pass closest, if they nearly meet in front of
    both cameras and the camera moved sideways enough to call it an orbit; else None."""
    pa, pb = a.position_m, b.position_m
    da, db = -a.world_from_camera[:3, 2], -b.world_from_camera[:3, 2]
    w0 = pa - pb
    bb = float(da @ db)
    denom = 1 - bb * bb
    if denom < math.sin(math.radians(2.0)) ** 2:  # (nearly) parallel axes: no orbit
        return None
    d, e = float(da @ w0), float(db @ w0)
    sa = (bb * e - d) / denom
    sb = (e - bb * d) / denom
    if sa <= 0.3 or sb <= 0.3:
        return None
    gap = np.linalg.norm((pa + sa * da) - (pb + sb * db))
    if gap > 0.1 * sa:
        return None
    base = pb - pa
    lateral = np.linalg.norm(base - (base @ da) * da)
    if lateral < 0.05 * sa:
        return None
    return sa


def _fit_similarity(p: np.ndarray, q: np.ndarray, c: np.ndarray):
    """q - c ≈ a·(p - c) + t with a = s·e^{iθ} (complex, image coordinates, y down)."""
    zp = (p[:, 0] - c[0]) + 1j * (p[:, 1] - c[1])
    zq = (q[:, 0] - c[0]) + 1j * (q[:, 1] - c[1])
    m = np.c_[zp, np.ones_like(zp)]
    (a, t), *_ = np.linalg.lstsq(m, zq, rcond=None)
    return abs(a), math.degrees(np.angle(a)), np.array([t.real, t.imag])


@dataclass(frozen=True)
class CameraMotion:
    """How the framing changes from one panel's camera to the next, in this panel's pixels."""

    shift_px: np.ndarray  # where the next framing's centre lands, relative to this one's
    scale: float  # the next framing's size in this image (< 1: moving in)
    zoom_scale: float  # the part of ``scale`` that the focal length explains
    roll_deg: float  # the next framing's rotation (+ = clockwise as seen)
    orbit: np.ndarray | None  # unit image direction the camera travels round the subject, or None
    frame_px: tuple[float, float, float, float]
    move_scale: float = 1.0  # the camera's distance to the subject point, next over now (< 1: in)


def camera_motion(
    state: FrameState, next_state: FrameState, width: int, height: int
) -> CameraMotion:
    """Project a grid of points in front of the next camera into this camera's image of
    ``width`` x ``height`` and fit a similarity to the motion field (see the module notes)."""
    aspect_b = next_state.image_aspect
    project = projector(state, width, height)
    rect = frame_rect_px(state, width, height)
    u0, v0, u1, v1 = frame_rect_uv(aspect_b, next_state.delivery_aspect)
    g = np.linspace(0.1, 0.9, 5)
    uu, vv = np.meshgrid(u0 + (u1 - u0) * g, v0 + (v1 - v0) * g)
    uv_b = np.c_[uu.ravel(), vv.ravel()]
    meet = axes_meet(state, next_state)
    depth_a = meet if meet is not None else float(np.clip(state.focus_m, 0.5, 100.0))
    subject = state.position_m - state.world_from_camera[:3, 2] * depth_a
    depth_b = -(np.linalg.inv(next_state.world_from_camera) @ np.r_[subject, 1.0])[2]
    depth_b = max(float(depth_b), 0.3)
    pts_b = (
        next_state.world_from_camera
        @ np.c_[_rays_camera(next_state, uv_b, aspect_b) * depth_b, np.ones(len(uv_b))].T
    )
    q, w = project(pts_b[:3].T)
    # the same grid in this image (where the framing is now)
    fx0, fy0, fx1, fy1 = rect
    pu, pv = np.meshgrid(fx0 + (fx1 - fx0) * g, fy0 + (fy1 - fy0) * g)
    p = np.c_[pu.ravel(), pv.ravel()]
    c = np.array([(fx0 + fx1) / 2, (fy0 + fy1) / 2])
    ok = w > 1e-3
    if ok.sum() < 4:  # the next framing is behind this camera: call it a whip
        fwd_b = state.world_from_camera[:3, :3].T @ (-next_state.world_from_camera[:3, 2])
        d = np.array([fwd_b[0], -fwd_b[1]])
        d = d / max(np.linalg.norm(d), 1e-9)
        return CameraMotion(d * (fx1 - fx0), 1.0, 1.0, 0.0, None, rect, 1.0)
    scale, roll, shift = _fit_similarity(p[ok], q[ok], c)
    # The size change splits into the focal length's part (the image is sized by height: vertical
    # FOV) and the camera's distance to what it looks at; the fitted scale also holds the
    # foreshortening of an orbit, so the distances say what the camera did.
    zoom_scale = math.tan(next_state.yfov_rad / 2) / math.tan(state.yfov_rad / 2)
    move_scale = float(np.linalg.norm(subject - next_state.position_m) / max(depth_a, 1e-9))
    orbit = None
    if meet is not None:
        base = np.linalg.inv(state.world_from_camera) @ np.r_[next_state.position_m, 1.0]
        d = np.array([base[0], -base[1]])
        if np.linalg.norm(d) > 1e-9:
            orbit = d / np.linalg.norm(d)
    return CameraMotion(
        shift, float(scale), float(zoom_scale), float(roll), orbit, rect, move_scale
    )


def subject_paths(scene: Scene, shot: Shot, frame: int) -> dict[str, np.ndarray]:
    """World points (N, 3) of each walking stand-in from ``frame`` to the end of its walk, at half
    its height (the path a subject arrow follows); walks already over are left out."""
    pieces = {p.name: p for p in scene.set_pieces}
    out = {}
    for w in shot.walks:
        f0 = max(frame, w.start_frame)
        if f0 >= w.end_frame:
            continue
        n = max(2, min(64, (w.end_frame - f0) // 2 + 1))
        frames = np.unique(np.round(np.linspace(f0, w.end_frame, n)).astype(int))
        local = np.array([0.0, 0.5 * pieces[w.standin].height_m, 0.0, 1.0])
        pts = [(walk_poses(scene, shot, int(f))[w.standin] @ local)[:3] for f in frames]
        out[w.standin] = np.asarray(pts)
    return out


# ---------------------------------------------------------------- who is seen, and how much
# A stand-in's body as capsules (stature fractions of previs.io.meshes.standin_meshes, Drillis &
# Contini): (part, (x, y, z) end, (x, y, z) end, radius), x to the figure's left, z its front.
BODY_PARTS: tuple[
    tuple[str, tuple[float, float, float], tuple[float, float, float], float], ...
] = (
    ("head", (0.0, 0.935, 0.0), (0.0, 0.935, 0.0), 0.062),
    ("neck", (0.0, 0.788, 0.0), (0.0, 0.858, 0.0), 0.045),
    ("torso", (0.0, 0.61, 0.0), (0.0, 0.768, 0.0), 0.085),
    ("shoulders", (-0.13, 0.798, 0.0), (0.13, 0.798, 0.0), 0.03),
    ("arm", (-0.13, 0.788, 0.0), (-0.15, 0.63, 0.01), 0.028),
    ("arm", (0.13, 0.788, 0.0), (0.15, 0.63, 0.01), 0.028),
    ("arm", (-0.15, 0.63, 0.01), (-0.155, 0.47, 0.04), 0.024),
    ("arm", (0.15, 0.63, 0.01), (0.155, 0.47, 0.04), 0.024),
    ("leg", (-0.055, 0.53, 0.0), (-0.055, 0.04, 0.0), 0.04),
    ("leg", (0.055, 0.53, 0.0), (0.055, 0.04, 0.0), 0.04),
)
VISIBLE_SHARE_MIN = 0.002  # a stand-in covering less of the frame than this is not "in" the shot
OTS_DEPTH_RATIO = 0.75  # a foreground shoulder is nearer than this share of the subject's distance
OTS_SHARE_MIN = 0.02  # ... and covers at least this share of the frame
CAST_SHARE_NO_HEAD = 0.01
SHOULDER_LINE = frozenset({"head", "neck", "shoulders", "arm"})  # what frames an over-the-shoulder
GRID_COLUMNS = 160  # rays across the delivered frame for the silhouettes


@dataclass(frozen=True)
class Visibility:
    """How much of the delivered frame a stand-in covers, nearer stand-ins hiding farther ones
    (the set is not counted), and which of its parts show."""

    name: str
    share: float  # of the frame's area, 0..1
    parts: frozenset[str]  # the body parts that win some of the frame
    eye_depth_m: float
    faces_away: bool  # the camera sees its back (its front points away from the lens)


def _ray_capsule(origin, dirs, p0, p1, r):
    """Distance along each ray (unit ``dirs`` from ``origin``) to the capsule p0-p1 of radius r,
    inf where it misses (closest approach of the ray and the segment; a silhouette's accuracy)."""
    u = p1 - p0
    w0 = origin - p0
    b = dirs @ u
    c = float(u @ u)
    d = dirs @ w0
    e = float(u @ w0)
    if c < 1e-12:  # a sphere
        t = np.zeros_like(b)
        s = np.maximum(-d, 0.0)
    else:  # minimise |w0 + s·dir - t·u|: t from the two normal equations, clamped, then s
        t = np.clip((e - b * d) / np.maximum(c - b * b, 1e-12), 0.0, 1.0)
        s = t * b - d
        behind = s < 0  # the closest point is behind the camera: the ray's start is nearest
        t = np.where(behind, np.clip(e / c, 0.0, 1.0), t)
        s = np.maximum(s, 0.0)
    gap = w0 + s[:, None] * dirs - t[:, None] * u
    hit = np.einsum("ij,ij->i", gap, gap) <= r * r
    return np.where(hit, s, np.inf)


def frame_rays(
    state: FrameState, columns: int = GRID_COLUMNS
) -> tuple[np.ndarray, tuple[int, int]]:
    """Unit world directions through a grid over the delivered frame (columns across, rows
    keeping the cells square), row-major from the top left, and the grid's (rows, columns)."""
    hx, hy = frame_half_extents(state.image_aspect, state.delivery_aspect)
    tan_y = math.tan(state.yfov_rad / 2)
    aspect = state.image_aspect
    rows = max(4, round(columns * hy / (hx * aspect)))
    x = (np.arange(columns) + 0.5) / columns * 2 * hx - hx
    y = hy - (np.arange(rows) + 0.5) / rows * 2 * hy
    xx, yy = np.meshgrid(x * tan_y * aspect, y * tan_y)
    cam = np.c_[xx.ravel(), yy.ravel(), -np.ones(xx.size)]
    world = cam @ state.world_from_camera[:3, :3].T
    return world / np.linalg.norm(world, axis=1, keepdims=True), (rows, columns)


def visibility(
    scene: Scene, state: FrameState, columns: int = GRID_COLUMNS
) -> dict[str, Visibility]:
    """Every stand-in's :class:`Visibility` in ``state``: rays through a grid over the frame
    lines meet the bodies' capsules; the nearest body wins each ray."""
    dirs, _ = frame_rays(state, columns)
    origin = state.world_from_camera[:3, 3]
    poses = state.poses or {}
    names: list[str] = []
    best, part_of = np.full(len(dirs), np.inf), np.full(len(dirs), -1)
    part_names: list[tuple[int, str]] = []
    info: dict[str, tuple[float, bool]] = {}
    for piece in scene.set_pieces:
        if piece.kind != "standin":
            continue
        pose = np.asarray(poses.get(piece.name, piece.world_from_local), float)
        h = piece.height_m
        k = len(names)
        names.append(piece.name)
        for part, a, b, r in BODY_PARTS:
            p0 = tf.transform_points(pose, [np.asarray(a) * h])[0]
            p1 = tf.transform_points(pose, [np.asarray(b) * h])[0]
            dist = _ray_capsule(origin, dirs, p0, p1, r * h)
            win = dist < best
            best = np.where(win, dist, best)
            part_of = np.where(win, len(part_names), part_of)
            part_names.append((k, part))
        eye = tf.transform_points(pose, [(0.0, EYE_FRACTION * h, 0.0)])[0]
        eye_depth = float(-(np.linalg.inv(state.world_from_camera) @ np.r_[eye, 1.0])[2])
        front = pose[:3, :3] @ np.array([0.0, 0.0, 1.0])
        info[piece.name] = (eye_depth, float(np.dot(front, eye - origin)) > 0.0)
    out = {}
    total = len(dirs)
    for k, name in enumerate(names):
        ids = [i for i, (kk, _) in enumerate(part_names) if kk == k]
        mask = np.isin(part_of, ids)
        shown = frozenset(part_names[i][1] for i in np.unique(part_of[mask]))
        out[name] = Visibility(name, float(mask.sum()) / total, shown, *info[name])
    return out


def over_the_shoulder(vis: dict[str, Visibility], subject: str | None) -> str | None:
    """The stand-in whose shoulder frames ``subject`` (an over-the-shoulder): seen from behind,
    nearer than :data:`OTS_DEPTH_RATIO` of the subject's distance, covering at least
    :data:`OTS_SHARE_MIN` of the frame with the back of its head, neck, shoulders or upper arm
    (:data:`SHOULDER_LINE`); None when there is none."""
    if subject is None or subject not in vis:
        return None
    s = vis[subject]
    for v in sorted(vis.values(), key=lambda v: v.eye_depth_m):
        if v.name == subject or v.share < VISIBLE_SHARE_MIN or not v.faces_away:
            continue
        if v.share < OTS_SHARE_MIN:
            continue
        if 0 < v.eye_depth_m < OTS_DEPTH_RATIO * s.eye_depth_m and v.parts & SHOULDER_LINE:
            return v.name
    return None


def seen_in(vis: dict[str, Visibility]) -> dict[str, float]:
    """The stand-ins a frame shows (see :func:`is_seen`) with their share of the frame."""
    return {v.name: v.share for v in vis.values() if is_seen(v)}


def is_seen(v: Visibility) -> bool:
    """In the shot: at least :data:`VISIBLE_SHARE_MIN` of the frame, and its head or at least
    :data:`CAST_SHARE_NO_HEAD` of the frame (a sliver of shoulder at the edge is no performance)."""
    return v.share >= VISIBLE_SHARE_MIN and ("head" in v.parts or v.share >= CAST_SHARE_NO_HEAD)


# ---------------------------------------------------------------- height, tilt, support
HI_HAT_HEIGHT_M = 0.6  # a locked-off lens lower than this sits on a hi-hat, not on sticks
CRANE_RISE_M = 0.9  # a pedestal move rising more than this needs a crane arm
SUPPORT_NAMES = {"steadicam": "Steadicam", "car-mount": "car mount"}
# what a move needs under the camera, strongest first (a crane move on a dolly is a crane shot)
_SUPPORT_RANK = ("crane", "steadicam", "handheld", "gimbal", "dolly", "slider", "hi-hat", "sticks")
_SUPPORT_BY_MOVE = {
    "crane": "crane",
    "handheld": "handheld",
    "dolly": "dolly",
    "truck": "dolly",
    "push_in": "dolly",
    "dolly_zoom": "dolly",
    "orbit": "dolly",
    "path": "dolly",
    "pedestal": "dolly",
}


def support_of(scene: Scene, shot: Shot | str) -> str:
    """What the camera stands on: the shot's own ``support`` when stated, else from its moves
    (crane; handheld; dolly for dolly, truck, push-in, orbit, path moves and keyed position
    changes, a crane for a pedestal rise over :data:`CRANE_RISE_M`; sticks for pans, tilts,
    zooms and racks) and, on sticks, a hi-hat below :data:`HI_HAT_HEIGHT_M`."""
    shot = _shot(scene, shot)
    if shot.support:
        return SUPPORT_NAMES.get(shot.support, shot.support)
    needs = set()
    for m in shot.moves:
        kind = _SUPPORT_BY_MOVE.get(m.type, "sticks")
        if m.type == "pedestal" and abs(float(m.params.get("distance_m", 0.0))) > CRANE_RISE_M:
            kind = "crane"
        needs.add(kind)
    if shot.keys:
        track = camera_track(scene, shot)
        driven = {ch for m in shot.moves for ch in m.drives()}
        for _, _, label in _key_move_spans(shot, track, driven):
            needs.add("dolly" if label.split()[0] in ("dolly", "truck", "pedestal") else "sticks")
    if not needs - {"sticks"}:
        height = evaluate(scene, shot, 0).position_m[1]
        return "hi-hat" if height < HI_HAT_HEIGHT_M else "sticks"
    return SUPPORT_NAMES.get(best := min(needs, key=_SUPPORT_RANK.index), best)


def height_tilt(states: Sequence[FrameState]) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """The lens height above the floor (m, to the centimetre) and the tilt (degrees, + up, to
    the degree) at each state, repeats collapsed."""
    heights: list[float] = []
    tilts: list[float] = []
    for st in states:
        h = round(float(st.position_m[1]), 2)
        t = round(tf.pan_tilt_roll_of(st.world_from_camera)[1]) + 0.0
        if not heights or heights[-1] != h:
            heights.append(h)
        if not tilts or tilts[-1] != t:
            tilts.append(t)
    return tuple(heights), tuple(tilts)


# ---------------------------------------------------------------- what moves between two panels
def moves_between(scene: Scene, shot: Shot | str, frame: int, next_frame: int) -> list[str]:
    """The move labels (:func:`move_label`, and what explicit keys do) of the moves under way
    between two frames of a shot, in order of start frame."""
    shot = _shot(scene, shot)
    if not (shot.moves or shot.keys) or next_frame <= frame:
        return []
    track = camera_track(scene, shot)
    items = [
        (m.start_frame, move_label(m, track))
        for m in shot.moves
        if m.start_frame < next_frame and m.end_frame > frame
    ]
    driven = {ch for m in shot.moves for ch in m.drives()}
    items += [
        (f0, label)
        for f0, f1, label in _key_move_spans(shot, track, driven)
        if f0 < next_frame and f1 > frame
    ]
    return list(dict.fromkeys(label for _, label in sorted(items, key=lambda i: i[0])))


# The storyboard arrow each move calls for: push-in/pull-out arrows at the frame's corners (in
# or out), pans, trucks and crane swings along the bottom edge, tilts at the right side,
# pedestal and crane rises at the left side, an arc for an orbit, a curl for a Dutch roll.
ARROWS_BY_MOVE = {
    "dolly in": ("push_in",),
    "push-in": ("push_in",),
    "dolly out": ("pull_out",),
    "zoom in": ("zoom_in",),
    "zoom out": ("zoom_out",),
    "dolly zoom": ("push_in", "zoom_out"),
    "pan left": ("pan_left",),
    "pan right": ("pan_right",),
    "truck left": ("truck_left",),
    "truck right": ("truck_right",),
    "tilt up": ("tilt_up",),
    "tilt down": ("tilt_down",),
    "pedestal up": ("pedestal_up",),
    "pedestal down": ("pedestal_down",),
    "crane up": ("crane_up",),
    "crane down": ("crane_down",),
    "orbit left": ("orbit_left",),
    "orbit right": ("orbit_right",),
    "dutch": ("roll",),
    "rack focus": (),
    "handheld": (),
}
ARROW_KINDS = (
    "push_in",
    "pull_out",
    "zoom_in",
    "zoom_out",
    "pan_left",
    "pan_right",
    "truck_left",
    "truck_right",
    "tilt_up",
    "tilt_down",
    "pedestal_up",
    "pedestal_down",
    "crane_up",
    "crane_down",
    "orbit_left",
    "orbit_right",
    "roll",
    "swing_left",
    "swing_right",
)


def arrow_kinds(labels: Iterable[str], motion: CameraMotion | None = None) -> tuple[str, ...]:
    """The camera arrows a panel gets for the moves under way until the next panel (labels of
    :func:`moves_between`), by the storyboard conventions of :data:`ARROWS_BY_MOVE`. Moves that
    name no direction (a crane swing, a path) take it from ``motion`` (:func:`camera_motion`):
    sideways as a truck (a swing as a swing), nearer or farther as a push-in or pull-out, up or
    down as a pedestal."""
    out: list[str] = []
    for label in labels:
        if label in ARROWS_BY_MOVE:
            out += ARROWS_BY_MOVE[label]
        elif motion is not None and label in ("crane swing", "tracking (path)"):
            x0, _, x1, _ = motion.frame_px
            fw = max(x1 - x0, 1.0)
            dx, dy = float(motion.shift_px[0]) / fw, float(motion.shift_px[1]) / fw
            side = "swing" if label == "crane swing" else "truck"
            if abs(dx) > 0.03 and abs(dx) >= 0.5 * abs(dy):
                out.append(f"{side}_{'right' if dx > 0 else 'left'}")
            if label != "crane swing" and abs(math.log(max(motion.move_scale, 1e-6))) > 0.025:
                out.append("push_in" if motion.move_scale < 1 else "pull_out")
            if label != "crane swing" and abs(dy) > 0.03 and abs(dy) > 0.5 * abs(dx):
                out.append("pedestal_up" if dy < 0 else "pedestal_down")
    return tuple(dict.fromkeys(out))


# ---------------------------------------------------------------- which frames get a panel
PANEL_CHANGE_STEP = 0.3  # a panel for each this much picture change (frame widths, see below)
PANEL_CHANGE_MIN = 0.06  # less change than this over the whole shot: one panel
MAX_PANELS = 6
CHANGE_SAMPLES = 48
FOCUS_CHANGE_WEIGHT = 0.5  # picture change per dioptre of focus pulled
ORBIT_CHANGE_WEIGHT = 0.5  # per horizontal field of view an orbit turns the lens axis
_CHANGE_W = 240


def picture_change(scene: Scene, shot: Shot, a: FrameState, b: FrameState) -> float:
    """How much the picture changes from ``a`` to ``b``, in frame widths: the framing's shift,
    its size change (|log scale|), its roll (per 45°), an orbit's turn of the lens axis
    (:data:`ORBIT_CHANGE_WEIGHT` per field of view), the biggest move in the image of a
    stand-in that walks in the shot, and :data:`FOCUS_CHANGE_WEIGHT` per dioptre of focus."""
    h = max(8, round(_CHANGE_W / a.image_aspect))
    x0, y0, x1, y1 = frame_rect_px(a, _CHANGE_W, h)
    fw = max(x1 - x0, 1.0)
    change = 0.0
    if (
        not np.allclose(a.world_from_camera, b.world_from_camera, atol=1e-9)
        or a.yfov_rad != b.yfov_rad
    ):
        m = camera_motion(a, b, _CHANGE_W, h)
        change += float(np.linalg.norm(m.shift_px)) / fw + abs(math.log(max(m.scale, 1e-6)))
        change += abs(m.roll_deg) / 45.0
        orbiting = any(
            mv.type in ("orbit", "crane") and mv.start_frame < b.frame and mv.end_frame > a.frame
            for mv in shot.moves
        )
        if orbiting:  # round the subject: the background swings past, the subject barely moves
            axes = float(np.dot(a.world_from_camera[:3, 2], b.world_from_camera[:3, 2]))
            change += (
                ORBIT_CHANGE_WEIGHT
                * math.degrees(math.acos(min(1.0, max(-1.0, axes))))
                / a.hfov_deg
            )
    walkers = {w.standin for w in shot.walks}
    if walkers and (a.poses or b.poses):
        pieces = {p.name: p for p in scene.set_pieces}
        pa, pb = projector(a, _CHANGE_W, h), projector(b, _CHANGE_W, h)
        best = 0.0
        for name in walkers:
            piece = pieces[name]
            mid = np.array([0.0, 0.55 * piece.height_m, 0.0, 1.0])
            wa = (np.asarray((a.poses or {}).get(name, piece.world_from_local)) @ mid)[:3]
            wb = (np.asarray((b.poses or {}).get(name, piece.world_from_local)) @ mid)[:3]
            (xa, da), (xb, db) = pa(wa), pb(wb)
            if da[0] <= 0 or db[0] <= 0:
                continue
            inside = [x0 <= p[0] <= x1 and y0 <= p[1] <= y1 for p in (xa[0], xb[0])]
            if any(inside):
                best = max(best, float(np.linalg.norm(xb[0] - xa[0])) / fw)
        change += best

    def dioptre(f):
        return 0.0 if math.isinf(f) else 1.0 / max(f, 1e-3)

    return change + FOCUS_CHANGE_WEIGHT * abs(dioptre(b.focus_m) - dioptre(a.focus_m))


def board_frames(scene: Scene, shot: Shot | str, max_panels: int = MAX_PANELS) -> list[int]:
    """The frames a shot is boarded at: frame 0 of a shot whose picture hardly changes
    (:data:`PANEL_CHANGE_MIN`); else its first and last frames and, between them, a panel for
    each :data:`PANEL_CHANGE_STEP` of picture change (:func:`picture_change` summed over
    :data:`CHANGE_SAMPLES` steps), at most ``max_panels`` in all, placed at equal shares of the
    change: they crowd where the picture changes fastest and none repeats its neighbour."""
    shot = _shot(scene, shot)
    n = shot.length_frames
    if shot.is_static or n < 2:
        return [0]
    frames = np.unique(np.round(np.linspace(0, n - 1, min(n, CHANGE_SAMPLES + 1))).astype(int))
    states = [evaluate(scene, shot, int(f)) for f in frames]
    steps = [picture_change(scene, shot, a, b) for a, b in zip(states, states[1:], strict=False)]
    total_change = np.concatenate([[0.0], np.cumsum(steps)])
    total = float(total_change[-1])
    if total < PANEL_CHANGE_MIN:
        return [0]
    count = int(min(max_panels, max(2, 1 + math.ceil(total / PANEL_CHANGE_STEP - 1e-9))))
    picks = [0]
    for target in np.linspace(0.0, total, count)[1:-1]:
        i = int(np.searchsorted(total_change, target))
        # the sampled frame nearest the target share, interpolated between samples
        lo = max(i - 1, 0)
        span = total_change[i] - total_change[lo]
        t = 0.0 if span <= 0 else (target - total_change[lo]) / span
        picks.append(int(round(frames[lo] + t * (frames[i] - frames[lo]))))
    picks.append(n - 1)
    return sorted(set(picks))
