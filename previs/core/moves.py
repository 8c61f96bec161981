"""Camera moves by name, expanded into channel keys.

A scene file stores a shot's moves with their parameters (``type: dolly, distance_m: 2, ...``);
:func:`build_camera_track` expands them into keys on the camera's channels
(:data:`previs.core.animation.CAMERA_CHANNELS`) when the scene is loaded, so the file stays
editable and the track is always rebuilt from it.

How moves combine
-----------------
* Moves apply in order of ``start_frame`` (ties keep their order in the list). Each starts from the
  camera's state at its start frame as built so far (a pan after a dolly pans from the dollied
  position) and writes keys only on the channels it drives over ``[start_frame, end_frame]``;
  every other channel is untouched.
* Two moves may not drive the same channel over overlapping frames (touching at one frame is fine):
  :class:`MoveError` names both. ``handheld`` is the exception: it is added on top of whatever the
  other moves do over its range.
* ``rack_focus`` is resolved after every move that places the camera, so a rack to a subject ends
  at the subject's distance from where the camera really is at the rack's end frame. ``handheld``
  is applied last of all.
* Explicit keys (``extra_keys``) are the base the moves build on. A key at a move's start frame
  sets the state the move starts from; a key strictly inside a move's range on a channel the move
  drives is an error (it would be silently overwritten).

Timing (``interp``) of a move, ``t`` = the move's elapsed fraction:

* ``linear``: ``u = t``, constant speed, starting and stopping at once;
* ``ease`` (default): ``u = 3t² − 2t³``, zero speed at both ends (as a channel's ``ease`` key);
* ``smooth``: ``u = 6t⁵ − 15t⁴ + 10t³``, zero speed *and* acceleration at both ends, so the move
  leaves and joins a still camera without a jolt (a one-segment move has no neighbouring keys, so
  the channel's Fritsch–Carlson ``smooth`` would say nothing useful here);
* ``hold``: nothing happens until the end frame, then the camera is at the move's end (a cut).

Keys written: a move whose values are exactly a channel interpolation between its two end values
(dolly, truck, pedestal, pan, tilt, dutch, zoom, a push-in or dolly zoom along the line of sight,
with ``linear`` or ``ease``) writes two keys; anything else (orbits, cranes, paths,
aimed moves whose aim changes, ``smooth`` timing, turns of 180° or more) writes a key at every
frame of its range, ``linear`` between frames. Use :func:`move_key_frames` for the frames a
storyboard should show as key panels; ``CameraTrack.key_frames()`` of a built track includes every
per-frame key.

Directions: the camera's horizontal forward at pan ``p`` is ``(−sin p, 0, −cos p)`` (pan 0 looks
down −Z, pan + turns left, i.e. counter-clockwise seen from above), its horizontal right
``(cos p, 0, −sin p)``, world up is +Y. "Aimed" means pan and tilt put the point on the lens axis
(roll is left alone). Distances to a subject for focus and magnification are *depths*: measured
from the film plane along the lens axis (the same as the straight-line distance when the camera
is aimed at it).

Parameters (the scene-file names)
---------------------------------
``dolly``       ``distance_m``: along the lens's horizontal forward direction at the start, + = in.
``truck``       ``distance_m``: along the camera's horizontal right, + = camera right.
``pedestal``    ``distance_m``: vertical, + = up.
``pan``         ``angle_deg`` (+ = left) or ``to_deg`` (an absolute pan, reached the short way).
``tilt``        ``angle_deg`` (+ = up) or ``to_deg``; the tilt must stay within ±90°.
``dutch``       ``angle_deg`` (roll, + = clockwise as the operator sees it) or ``to_deg``.
``crane``       ``arm_length_m``; ``pivot_m`` [x, y, z] (the top of the column; default: a pivot
                ``arm_length_m`` behind the camera at its height; if both are given they must
                agree within 1 cm); ``swing_deg`` (the arm about the vertical through the pivot,
                + = counter-clockwise seen from above, default 0); ``boom_deg`` (change of the
                arm's elevation, + = up, default 0). The camera keeps its tilt and its heading
                relative to the arm (its pan turns with the swing) unless ``keep_aim_m`` [x, y, z]
                (or ``subject``, a name) is given, then it is aimed there throughout.
``orbit``       ``subject_m`` [x, y, z] or ``subject`` (a name); ``angle_deg`` (+ = counter-
                clockwise seen from above); ``radius_m`` (the horizontal radius at the end,
                default: the current horizontal distance, a circular arc; a different value
                spirals in or out). The camera keeps its height and is aimed at the subject.
``push_in``     ``subject_m``/``subject``; ``distance_m`` (> 0): dolly horizontally towards the
                subject, aimed at it throughout.
``path``        ``points_m`` [[x, y, z], ...]: a centripetal Catmull–Rom spline through the
                current position and the points; ``constant_speed`` (default true: timing by arc
                length, so with ``linear`` timing the speed is constant); ``aim_m`` [x, y, z] or
                ``subject`` to stay aimed, else the camera keeps its orientation.
``dolly_zoom``  ``subject_m``/``subject``; ``distance_m`` (+ = in, the focal length is solved) or
                ``to_focal_length_mm`` (the distance is solved). The camera moves along the line
                from the subject through the camera, and the thin-lens magnification
                ``m = f/(d − f)`` of the subject (d its depth) is held at its starting value
                (reference §3.4): ``f = m·d/(1 + m)``.
``zoom``        ``to_focal_length_mm`` or ``by_mm``.
``rack_focus``  ``to_subject`` (a name), ``to_subject_m`` [x, y, z] (focus ends at the point's
                depth from the camera at the end frame) or ``to_focus_m``. The pull is timed in
                dioptres (1/focus_m, how a focus ring's scale runs), so it writes a key a frame.
``handheld``    ``amplitude_m`` (per axis, default 0.01), ``amplitude_deg`` (pan, tilt and roll,
                default 0.3), ``frequency_hz`` (centre of the band, default 1.0), ``seed``
                (default 0; combined with the scene's seed). A sum of sines with seeded
                frequencies (0.5–2× ``frequency_hz``) and phases, normalised so each component
                stays within its amplitude, faded in and out over a quarter second (or a quarter
                of the range) so it is zero at both ends and outside its range.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from previs.core.animation import CAMERA_CHANNELS, CameraTrack, Channel, Key, key
from previs.core.limits import MAX_COORD_M, MAX_PATH_POINTS
from previs.core.transforms import wrap180 as _wrap180
from previs.errors import PrevisError, show

MOVE_TYPES = (
    "dolly",
    "truck",
    "pedestal",
    "pan",
    "tilt",
    "dutch",
    "crane",
    "orbit",
    "push_in",
    "path",
    "dolly_zoom",
    "zoom",
    "rack_focus",
    "handheld",
)
MOVE_INTERPS = ("linear", "smooth", "ease", "hold")

MOVE_PARAMS: dict[str, tuple[str, ...]] = {
    "dolly": ("distance_m",),
    "truck": ("distance_m",),
    "pedestal": ("distance_m",),
    "pan": ("angle_deg", "to_deg"),
    "tilt": ("angle_deg", "to_deg"),
    "dutch": ("angle_deg", "to_deg"),
    "crane": ("arm_length_m", "swing_deg", "boom_deg", "pivot_m", "keep_aim_m", "subject"),
    "orbit": ("subject", "subject_m", "angle_deg", "radius_m"),
    "push_in": ("subject", "subject_m", "distance_m"),
    "path": ("points_m", "constant_speed", "aim_m", "subject"),
    "dolly_zoom": ("subject", "subject_m", "distance_m", "to_focal_length_mm"),
    "zoom": ("to_focal_length_mm", "by_mm"),
    "rack_focus": ("to_subject", "to_subject_m", "to_focus_m"),
    "handheld": ("amplitude_m", "amplitude_deg", "frequency_hz", "seed"),
}
"""Every parameter each move type accepts (the scene-file names)."""

# Exactly one of each group is required ("required" groups) or allowed ("optional").
_ONE_OF_REQUIRED: dict[str, tuple[tuple[str, ...], ...]] = {
    "dolly": (("distance_m",),),
    "truck": (("distance_m",),),
    "pedestal": (("distance_m",),),
    "pan": (("angle_deg", "to_deg"),),
    "tilt": (("angle_deg", "to_deg"),),
    "dutch": (("angle_deg", "to_deg"),),
    "orbit": (("subject", "subject_m"), ("angle_deg",)),
    "push_in": (("subject", "subject_m"), ("distance_m",)),
    "path": (("points_m",),),
    "dolly_zoom": (("subject", "subject_m"), ("distance_m", "to_focal_length_mm")),
    "zoom": (("to_focal_length_mm", "by_mm"),),
    "rack_focus": (("to_subject", "to_subject_m", "to_focus_m"),),
}
_ONE_OF_OPTIONAL: dict[str, tuple[tuple[str, ...], ...]] = {
    "crane": (("keep_aim_m", "subject"),),
    "path": (("aim_m", "subject"),),
}

HANDHELD_DEFAULTS = {"amplitude_m": 0.01, "amplitude_deg": 0.3, "frequency_hz": 1.0, "seed": 0}
"""Judgement, not measurement: a gentle shoulder-rig sway."""

_POSITION_CHANNELS = ("position_m", "pan_deg", "tilt_deg", "roll_deg")


class MoveError(PrevisError):
    """A move with bad parameters, or moves that cannot be combined; names the move type and the
    parameter (``orbit: radius_m must be positive``). ``move`` is the :class:`Move` that failed
    (set by :func:`build_camera_track`), so a loader can point at its place in the file; ``None``
    when the fault lies in the explicit keys or the start."""

    move: Move | None = None


@dataclass(frozen=True)
class Move:
    """A named camera move over ``[start_frame, end_frame]`` of a shot (frames within the shot)."""

    type: str
    start_frame: int
    end_frame: int
    params: dict
    interp: str = "ease"

    def __post_init__(self):
        if self.type not in MOVE_TYPES:
            raise MoveError(
                f"unknown move type '{self.type}' (use one of: {', '.join(MOVE_TYPES)})"
            )
        if self.interp not in MOVE_INTERPS:
            raise MoveError(
                f"{self.type}: unknown interp '{self.interp}' (use one of: {', '.join(MOVE_INTERPS)})"
            )
        for name in ("start_frame", "end_frame"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int | np.integer):
                raise MoveError(f"{self.type}: {name} must be a whole frame number, got {show(v)}")
        if self.start_frame < 0:
            raise MoveError(
                f"{self.type}: start_frame must not be negative, got {self.start_frame}"
            )
        if self.end_frame <= self.start_frame:
            raise MoveError(
                f"{self.type}: end_frame {self.end_frame} must come after start_frame {self.start_frame}"
            )
        if not isinstance(self.params, Mapping):
            raise MoveError(
                f"{self.type}: params must be a mapping, got {type(self.params).__name__}"
            )
        allowed = MOVE_PARAMS[self.type]
        for k in self.params:
            if k not in allowed:
                raise MoveError(f"{self.type}: unknown parameter '{k}' (use: {', '.join(allowed)})")
        for group in _ONE_OF_REQUIRED.get(self.type, ()):
            given = [k for k in group if self.params.get(k) is not None]
            if not given:
                raise MoveError(f"{self.type}: needs {' or '.join(group)}")
            if len(given) > 1:
                raise MoveError(f"{self.type}: give only one of {', '.join(given)}")
        for group in _ONE_OF_OPTIONAL.get(self.type, ()):
            given = [k for k in group if self.params.get(k) is not None]
            if len(given) > 1:
                raise MoveError(f"{self.type}: give only one of {', '.join(given)}")
        if (
            self.type == "crane"
            and self.params.get("arm_length_m") is None
            and self.params.get("pivot_m") is None
        ):
            raise MoveError("crane: needs arm_length_m or pivot_m")

    @property
    def label(self) -> str:
        return f"{self.type} (frames {self.start_frame}–{self.end_frame})"

    def drives(self) -> tuple[str, ...]:
        """The camera channels this move writes."""
        t, p = self.type, self.params
        if t in ("dolly", "truck", "pedestal"):
            return ("position_m",)
        if t == "pan":
            return ("pan_deg",)
        if t == "tilt":
            return ("tilt_deg",)
        if t == "dutch":
            return ("roll_deg",)
        if t in ("crane", "orbit", "push_in"):
            return ("position_m", "pan_deg", "tilt_deg")
        if t == "path":
            aimed = p.get("aim_m") is not None or p.get("subject") is not None
            return ("position_m", "pan_deg", "tilt_deg") if aimed else ("position_m",)
        if t == "dolly_zoom":
            return ("position_m", "focal_length_mm")
        if t == "zoom":
            return ("focal_length_mm",)
        if t == "rack_focus":
            return ("focus_m",)
        return _POSITION_CHANNELS  # handheld


def move_key_frames(moves) -> list[int]:
    """Start and end frames of the moves (handheld left out): the frames worth a key panel."""
    return sorted({f for m in moves if m.type != "handheld" for f in (m.start_frame, m.end_frame)})


# ---------------------------------------------------------------- small maths
def timing(interp: str, t) -> np.ndarray:
    """Progress ``u`` in [0, 1] of a move with this timing at elapsed fraction ``t``."""
    t = np.clip(np.asarray(t, dtype=np.float64), 0.0, 1.0)
    if interp == "linear":
        return t
    if interp == "ease":
        return t * t * (3.0 - 2.0 * t)
    if interp == "smooth":
        return t * t * t * (t * (6.0 * t - 15.0) + 10.0)
    if interp == "hold":
        return np.where(t < 1.0, 0.0, 1.0)
    raise MoveError(f"unknown interp '{interp}' (use one of: {', '.join(MOVE_INTERPS)})")


def forward(pan_deg: float, tilt_deg: float = 0.0) -> np.ndarray:
    """The lens axis (unit vector) of a camera head at this pan and tilt."""
    p, t = math.radians(pan_deg), math.radians(tilt_deg)
    return np.array([-math.sin(p) * math.cos(t), math.sin(t), -math.cos(p) * math.cos(t)])


def _right(pan_deg: float) -> np.ndarray:
    p = math.radians(pan_deg)
    return np.array([math.cos(p), 0.0, -math.sin(p)])


def aim_angles(eye, target) -> tuple[float, float]:
    """Pan and tilt (degrees) that put ``target`` on the lens axis of a camera at ``eye``."""
    d = np.asarray(target, dtype=np.float64) - np.asarray(eye, dtype=np.float64)
    n = float(np.linalg.norm(d))
    if n < 1e-9:
        raise MoveError("the camera reaches the point it is aimed at")
    d /= n
    if math.hypot(d[0], d[2]) < 1e-9:
        raise MoveError("the aim point is straight above or below the camera: its pan is undefined")
    return math.degrees(math.atan2(-d[0], -d[2])), math.degrees(
        math.asin(max(-1.0, min(1.0, d[1])))
    )


def _rot_y(v: np.ndarray, deg: float) -> np.ndarray:
    c, s = math.cos(math.radians(deg)), math.sin(math.radians(deg))
    return np.array([c * v[0] + s * v[2], v[1], -s * v[0] + c * v[2]])


def _number(move: Move, name: str, *, positive: bool = False, default=None) -> float:
    v = move.params.get(name, default)
    if v is None:
        raise MoveError(f"{move.type}: needs {name}")
    if isinstance(v, bool):
        raise MoveError(f"{move.type}: {name} must be a number, got {show(v)}")
    try:
        x = float(v)
    except (TypeError, ValueError):
        raise MoveError(f"{move.type}: {name} must be a number, got {show(v)}") from None
    if not math.isfinite(x):
        raise MoveError(f"{move.type}: {name} must be finite, got {show(v)}")
    if positive and x <= 0:
        raise MoveError(f"{move.type}: {name} must be positive, got {show(v)}")
    return x


def _vec3(move_type: str, name: str, v) -> np.ndarray:
    try:
        a = np.asarray(v, dtype=np.float64)
    except (TypeError, ValueError):
        a = None
    if a is None or a.shape != (3,) or not np.all(np.isfinite(a)):
        raise MoveError(f"{move_type}: {name} must be [x, y, z] in metres, got {show(v)}")
    return a


def _point(move: Move, subjects, name_key: str, point_key: str) -> np.ndarray | None:
    p = move.params
    if p.get(point_key) is not None:
        return _vec3(move.type, point_key, p[point_key])
    name = p.get(name_key)
    if name is None:
        return None
    subjects = subjects or {}
    if name not in subjects:
        known = ", ".join(sorted(subjects)) or "none"
        raise MoveError(f"{move.type}: unknown {name_key} '{name}' (known: {known})")
    return _vec3(move.type, f"{name_key} '{name}'", subjects[name])


def _seed(move_type: str, name: str, v) -> int:
    if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < 0:
        raise MoveError(f"{move_type}: {name} must be a whole number ≥ 0, got {show(v)}")
    return int(v)


# ---------------------------------------------------------------- the track under construction
class _Builder:
    def __init__(self, start, length_frames: int, extra_keys):
        self.length = length_frames
        values = _start_values(start)
        self.keys: dict[str, list[Key]] = {
            name: [key(0, values[name], "smooth")] for name in CAMERA_CHANNELS
        }
        self.explicit: dict[str, set[int]] = {name: set() for name in CAMERA_CHANNELS}
        for name, ks in (extra_keys or {}).items():
            if name not in CAMERA_CHANNELS:
                raise MoveError(
                    f"keys on unknown camera channel '{name}' (use one of: {', '.join(CAMERA_CHANNELS)})"
                )
            dims = CAMERA_CHANNELS[name][0]
            merged = {k.frame: k for k in self.keys[name]}
            for k in ks:
                if len(k.value) != dims:
                    raise MoveError(
                        f"a key on {name} at frame {k.frame} has {len(k.value)} values, not {dims}"
                    )
                merged[k.frame] = k
                self.explicit[name].add(k.frame)
            self.keys[name] = [merged[f] for f in sorted(merged)]
            Channel(name, tuple(self.keys[name]), angular=CAMERA_CHANNELS[name][1])  # validates
        self.driven: dict[str, list[Move]] = {name: [] for name in CAMERA_CHANNELS}

    def channel(self, name: str) -> Channel:
        return Channel(name, tuple(self.keys[name]), angular=CAMERA_CHANNELS[name][1])

    def values(self, name: str, frames) -> np.ndarray:
        return self.channel(name).evaluate_many(frames)

    def state(self, frame: int) -> dict[str, np.ndarray | float]:
        out: dict[str, np.ndarray | float] = {}
        for name, (dims, _) in CAMERA_CHANNELS.items():
            v = self.values(name, [frame])[0]
            out[name] = v.copy() if dims > 1 else float(v[0])
        return out

    def claim(self, move: Move, names) -> None:
        for name in names:
            for other in self.driven[name]:
                if move.start_frame < other.end_frame and other.start_frame < move.end_frame:
                    raise MoveError(
                        f"{other.label} and {move.label} both drive {name}; "
                        "moves on one channel must not overlap"
                    )
            inside = sorted(
                f for f in self.explicit[name] if move.start_frame < f <= move.end_frame
            )
            if inside:
                raise MoveError(
                    f"{move.label}: the key on {name} at frame {inside[0]} lies inside the move; "
                    "move the key or the move"
                )
            self.driven[name].append(move)

    def write(self, name: str, start: int, values: np.ndarray, interp: str, who: str) -> None:
        """Replace the keys of ``name`` over ``[start, start + len(values) - 1]`` with keys that
        reproduce ``values`` (one row per frame) at every frame."""
        values = np.asarray(values, dtype=np.float64).reshape(len(values), -1)
        angular = CAMERA_CHANNELS[name][1]
        end = start + len(values) - 1
        v0, v1 = values[0], values[-1]
        t = np.linspace(0.0, 1.0, len(values))[:, None]
        end_interp = interp if interp in ("linear", "ease") else "ease"
        new: list[Key] | None = None
        if interp == "hold" and np.all(values[:-1] == v0):
            new = [key(start, v0, "hold"), key(end, v1, "ease")]
        elif interp in ("linear", "ease") and not (
            angular and abs(float(v1[0] - v0[0])) >= 179.999
        ):
            predicted = v0 + (v1 - v0) * timing(interp, t)
            scale = max(1.0, float(np.max(np.abs(values))))
            if float(np.max(np.abs(predicted - values))) <= 1e-10 * scale:
                new = [key(start, v0, interp), key(end, v1, end_interp)]
        if new is None:
            if (
                angular
                and len(values) > 1
                and float(np.max(np.abs(np.diff(values[:, 0])))) >= 179.999
            ):
                raise MoveError(f"{who}: turns 180° or more between two frames; make it longer")
            new = [key(start + i, v, "linear") for i, v in enumerate(values)]
            new[-1] = key(end, v1, end_interp)
        old = self.keys[name]
        before = [k for k in old if k.frame < start]
        after = [k for k in old if k.frame > end]
        crosses = any(k.frame > start for k in old)
        if before and crosses and before[-1].interp in ("ease", "smooth"):
            # The segment that used to run through `start` would change shape once it ends there:
            # keep the old values at every frame up to the move.
            b = before[-1].frame
            frames = np.arange(b, start)
            old_vals = self.channel(name).evaluate_many(frames)
            before = before[:-1] + [
                key(int(f), v, "linear") for f, v in zip(frames, old_vals, strict=True)
            ]
        self.keys[name] = before + new + after

    def track(self) -> CameraTrack:
        return CameraTrack({name: self.channel(name) for name in CAMERA_CHANNELS})


def _start_values(start) -> dict:
    out = {}
    for name, (dims, _) in CAMERA_CHANNELS.items():
        if isinstance(start, Mapping):
            if name not in start:
                raise MoveError(f"the camera's start lacks {name}")
            v = start[name]
        else:
            if not hasattr(start, name):
                raise MoveError(f"the camera's start lacks {name}")
            v = getattr(start, name)
        a = np.atleast_1d(np.asarray(v, dtype=np.float64))
        if a.shape != (dims,) or not np.all(np.isfinite(a) | (name == "focus_m")):
            raise MoveError(f"the camera's start {name} must be {dims} number(s), got {show(v)}")
        out[name] = a
    return out


# ---------------------------------------------------------------- building a track
def build_camera_track(
    start,
    moves,
    length_frames: int,
    *,
    subjects: Mapping[str, np.ndarray] | None = None,
    extra_keys: Mapping[str, list[Key]] | None = None,
    seed: int = 0,
    frame_rate: float = 24.0,
) -> CameraTrack:
    """Expand ``moves`` (see the module docstring) into a :class:`CameraTrack`.

    ``start`` holds the camera's values at frame 0: a ``CameraSample``, or any object or mapping
    with ``position_m, pan_deg, tilt_deg, roll_deg, focal_length_mm, focus_m, t_stop``.
    ``subjects`` names points moves can refer to; ``extra_keys`` are explicit keys per channel;
    ``seed`` is the scene's seed (for handheld); ``frame_rate`` in frames per second.
    """
    length_frames = int(length_frames)
    if length_frames < 1:
        raise MoveError(f"a shot needs at least one frame, got {length_frames}")
    fps = float(frame_rate)
    if not fps > 0:
        raise MoveError(f"frame_rate must be positive, got {show(frame_rate)}")
    scene_seed = _seed("scene", "seed", seed)
    moves = list(moves)
    for m in moves:
        if not isinstance(m, Move):
            raise MoveError(f"expected a Move, got {type(m).__name__}")
        if m.end_frame > length_frames - 1:
            raise MoveError(
                f"{m.label}: end_frame {m.end_frame} is beyond the shot's last frame {length_frames - 1}"
            )
    b = _Builder(start, length_frames, extra_keys)
    ordered = sorted(moves, key=lambda m: m.start_frame)  # stable: ties keep the list's order
    places = [m for m in ordered if m.type not in ("rack_focus", "handheld")]
    racks = [m for m in ordered if m.type == "rack_focus"]
    shakes = [m for m in ordered if m.type == "handheld"]
    for m in places + racks + shakes:
        try:
            if m.type == "handheld":
                _handheld(b, m, scene_seed, fps)
            else:
                b.claim(m, m.drives())
                _EXPAND[m.type](b, m, subjects)
        except MoveError as exc:
            if exc.move is None:
                exc.move = m
            raise
    return b.track()


def _frames(m: Move) -> tuple[np.ndarray, np.ndarray]:
    f = np.arange(m.start_frame, m.end_frame + 1)
    return f, timing(m.interp, (f - m.start_frame) / (m.end_frame - m.start_frame))


def _linear_move(b: _Builder, m: Move, name: str, delta) -> None:
    f, u = _frames(m)
    v0 = b.values(name, [m.start_frame])[0]
    b.write(name, m.start_frame, v0 + np.outer(u, np.atleast_1d(delta)), m.interp, m.label)


def _dolly(b, m, subjects):
    s = b.state(m.start_frame)
    d = _number(m, "distance_m")
    _linear_move(b, m, "position_m", d * forward(s["pan_deg"]))


def _truck(b, m, subjects):
    s = b.state(m.start_frame)
    _linear_move(b, m, "position_m", _number(m, "distance_m") * _right(s["pan_deg"]))


def _pedestal(b, m, subjects):
    _linear_move(b, m, "position_m", np.array([0.0, _number(m, "distance_m"), 0.0]))


def _angle_move(name: str):
    def expand(b, m, subjects):
        v0 = float(b.values(name, [m.start_frame])[0, 0])
        if m.params.get("to_deg") is not None:
            delta = float(_wrap180(_number(m, "to_deg") - v0))
        else:
            delta = _number(m, "angle_deg")
        if name == "tilt_deg" and abs(v0 + delta) > 90.0 + 1e-9:
            raise MoveError(f"tilt: ends at {v0 + delta:g}°, beyond straight up or down (±90°)")
        _linear_move(b, m, name, delta)

    return expand


def _aimed(
    positions: np.ndarray, target: np.ndarray, pan0: float, tilt0: float, u: np.ndarray, who: str
) -> tuple[np.ndarray, np.ndarray]:
    """Pan and tilt aiming at ``target`` from each position; an aim off at the start is brought
    onto the target over the move (the offset fades with the move's progress)."""
    try:
        angles = np.array([aim_angles(p, target) for p in positions])
    except MoveError as e:
        raise MoveError(f"{who}: {e}") from None
    pan = angles[0, 0] + np.concatenate([[0.0], np.cumsum(_wrap180(np.diff(angles[:, 0])))])
    off_pan = float(_wrap180(pan0 - pan[0]))
    off_tilt = tilt0 - angles[0, 1]
    pan = pan + off_pan * (1.0 - u)
    pan = pan - pan[0] + pan0  # start exactly at pan0, not pan0 ± 360
    tilt = angles[:, 1] + off_tilt * (1.0 - u)
    return pan, tilt


def _write_aim(b, m, positions, target, u):
    s = b.state(m.start_frame)
    pan, tilt = _aimed(positions, target, s["pan_deg"], s["tilt_deg"], u, m.label)
    b.write("pan_deg", m.start_frame, pan, m.interp, m.label)
    b.write("tilt_deg", m.start_frame, tilt, m.interp, m.label)


def _crane(b, m, subjects):
    s = b.state(m.start_frame)
    p0 = s["position_m"]
    swing = _number(m, "swing_deg", default=0.0)
    boom = _number(m, "boom_deg", default=0.0)
    if m.params.get("pivot_m") is not None:
        pivot = _vec3("crane", "pivot_m", m.params["pivot_m"])
        arm = p0 - pivot
        length = float(np.linalg.norm(arm))
        if length < 1e-6:
            raise MoveError("crane: pivot_m is where the camera is")
        if m.params.get("arm_length_m") is not None:
            given = _number(m, "arm_length_m", positive=True)
            if abs(given - length) > 0.01:
                raise MoveError(
                    f"crane: arm_length_m {given:g} does not match the {length:.3f} m "
                    "from pivot_m to the camera"
                )
    else:
        length = _number(m, "arm_length_m", positive=True)
        arm = length * forward(
            s["pan_deg"]
        )  # the camera is at the arm's tip, in front of the pivot
        pivot = p0 - arm
    horiz = np.array([arm[0], 0.0, arm[2]])
    h = float(np.linalg.norm(horiz))
    if h < 1e-9:
        raise MoveError("crane: the arm points straight up or down; its swing is undefined")
    el0 = math.degrees(math.atan2(arm[1], h))
    el1 = el0 + boom
    if abs(el1) >= 90.0:
        raise MoveError(
            f"crane: boom_deg {boom:g} takes the arm to {el1:g}° elevation, past vertical"
        )
    f, u = _frames(m)
    hdir = horiz / h
    pos = np.empty((len(f), 3))
    for i, ui in enumerate(u):
        el = math.radians(el0 + boom * ui)
        d = _rot_y(hdir, swing * ui)
        pos[i] = pivot + length * (math.cos(el) * d + np.array([0.0, math.sin(el), 0.0]))
    pos[0] = p0
    b.write("position_m", m.start_frame, pos, m.interp, m.label)
    target = _point(m, subjects, "subject", "keep_aim_m")
    if target is not None:
        _write_aim(b, m, pos, target, u)
    else:
        b.write("pan_deg", m.start_frame, s["pan_deg"] + swing * u, m.interp, m.label)
        b.write("tilt_deg", m.start_frame, np.full(len(f), s["tilt_deg"]), m.interp, m.label)


def _orbit(b, m, subjects):
    s = b.state(m.start_frame)
    p0 = s["position_m"]
    c = _point(m, subjects, "subject", "subject_m")
    angle = _number(m, "angle_deg")
    rel = p0 - c
    horiz = np.array([rel[0], 0.0, rel[2]])
    r0 = float(np.linalg.norm(horiz))
    if r0 < 1e-9:
        raise MoveError(
            "orbit: the camera is straight above or below the subject; its radius is zero"
        )
    r1 = _number(m, "radius_m", positive=True) if m.params.get("radius_m") is not None else r0
    f, u = _frames(m)
    pos = np.empty((len(f), 3))
    for i, ui in enumerate(u):
        r = r0 + (r1 - r0) * ui
        pos[i] = c + _rot_y(horiz / r0, angle * ui) * r + np.array([0.0, rel[1], 0.0])
    pos[0] = p0
    b.write("position_m", m.start_frame, pos, m.interp, m.label)
    _write_aim(b, m, pos, c, u)


def _push_in(b, m, subjects):
    s = b.state(m.start_frame)
    p0 = s["position_m"]
    c = _point(m, subjects, "subject", "subject_m")
    dist = _number(m, "distance_m", positive=True)
    horiz = np.array([c[0] - p0[0], 0.0, c[2] - p0[2]])
    h = float(np.linalg.norm(horiz))
    if dist >= h:
        raise MoveError(
            f"push_in: distance_m {dist:g} reaches or passes the subject ({h:.3f} m away horizontally)"
        )
    f, u = _frames(m)
    pos = p0 + np.outer(u, horiz / h * dist)
    b.write("position_m", m.start_frame, pos, m.interp, m.label)
    _write_aim(b, m, pos, c, u)


def _dolly_zoom(b, m, subjects):
    s = b.state(m.start_frame)
    p0 = s["position_m"]
    c = _point(m, subjects, "subject", "subject_m")
    f0 = s["focal_length_mm"]
    axis = forward(s["pan_deg"], s["tilt_deg"])
    z0 = float(np.dot(c - p0, axis))  # depth of the subject from the film plane
    if z0 * 1000.0 <= f0 * 1.001:
        raise MoveError(
            f"dolly_zoom: the subject is {z0:.3f} m in front of the film plane, "
            f"not beyond the focal length {f0:g} mm"
        )
    m0 = f0 / (z0 * 1000.0 - f0)
    f, u = _frames(m)
    if m.params.get("distance_m") is not None:
        dist = _number(m, "distance_m")
        z1 = z0 - dist * z0 / float(
            np.linalg.norm(c - p0)
        )  # the dolly runs along the line of sight
        zs = z0 + (z1 - z0) * u
        focal = m0 * zs * 1000.0 / (1.0 + m0)
    else:
        f1 = _number(m, "to_focal_length_mm", positive=True)
        focal = f0 + (f1 - f0) * u
        zs = focal * (1.0 + m0) / m0 / 1000.0
        z1 = float(zs[-1])
    if z1 <= 0 or z1 * 1000.0 <= focal[-1] * 1.001:
        which = "distance_m" if m.params.get("distance_m") is not None else "to_focal_length_mm"
        raise MoveError(
            f"dolly_zoom: {which} {m.params[which]} takes the camera to {z1:.3f} m from "
            "the subject, at or past it"
        )
    pos = c + np.outer(zs / z0, p0 - c)
    b.write("position_m", m.start_frame, pos, m.interp, m.label)
    b.write("focal_length_mm", m.start_frame, focal, m.interp, m.label)


def _zoom(b, m, subjects):
    f0 = float(b.values("focal_length_mm", [m.start_frame])[0, 0])
    if m.params.get("to_focal_length_mm") is not None:
        f1 = _number(m, "to_focal_length_mm", positive=True)
    else:
        f1 = f0 + _number(m, "by_mm")
        if f1 <= 0:
            raise MoveError(f"zoom: by_mm {m.params['by_mm']} takes the focal length to {f1:g} mm")
    _linear_move(b, m, "focal_length_mm", f1 - f0)


def _rack_focus(b, m, subjects):
    if m.params.get("to_focus_m") is not None:
        target = _number(m, "to_focus_m", positive=True)
    else:
        c = _point(m, subjects, "to_subject", "to_subject_m")
        s = b.state(m.end_frame)
        target = float(np.dot(c - s["position_m"], forward(s["pan_deg"], s["tilt_deg"])))
        if target <= 0:
            raise MoveError(f"rack_focus: the subject is behind the camera at frame {m.end_frame}")
    s0 = float(b.values("focus_m", [m.start_frame])[0, 0])
    if not math.isfinite(s0):
        raise MoveError(
            f"rack_focus: cannot pull from infinity at frame {m.start_frame}; key a finite focus_m"
        )
    # The ring turns with the move's timing, and a focus scale is close to even in dioptres:
    # interpolate 1/focus, so the pull is as fast at the near end as at the far end.
    f, u = _frames(m)
    dioptres = 1.0 / s0 + (1.0 / target - 1.0 / s0) * u
    b.write("focus_m", m.start_frame, 1.0 / dioptres, m.interp, m.label)


# ---------------------------------------------------------------- paths
def _catmull_rom(points: np.ndarray):
    """A centripetal Catmull–Rom spline through ``points``: returns ``p(tau)`` for tau in
    ``[0, n_points - 1]`` (one unit per segment), vectorised over tau."""
    pts = np.asarray(points, dtype=np.float64)
    ext = np.vstack([2 * pts[0] - pts[1], pts, 2 * pts[-1] - pts[-2]])
    nseg = len(pts) - 1

    # Knot spacing of every segment once: sqrt of each chord (centripetal), at least 1e-6.
    dt = np.maximum(np.linalg.norm(np.diff(ext, axis=0), axis=1), 1e-12) ** 0.5

    def at(tau):
        """Vectorised over tau: a path of 10,000 points costs no more per sample than one of 3."""
        tau = np.clip(np.atleast_1d(np.asarray(tau, dtype=np.float64)), 0.0, nseg)
        seg = np.minimum(np.floor(tau).astype(np.int64), nseg - 1)
        local = (tau - seg)[:, None]
        p0, p1, p2, p3 = ext[seg], ext[seg + 1], ext[seg + 2], ext[seg + 3]
        t0 = np.zeros_like(local)
        t1 = t0 + dt[seg][:, None]
        t2 = t1 + dt[seg + 1][:, None]
        t3 = t2 + dt[seg + 2][:, None]
        t = t1 + (t2 - t1) * local
        a1 = (t1 - t) / (t1 - t0) * p0 + (t - t0) / (t1 - t0) * p1
        a2 = (t2 - t) / (t2 - t1) * p1 + (t - t1) / (t2 - t1) * p2
        a3 = (t3 - t) / (t3 - t2) * p2 + (t - t2) / (t3 - t2) * p3
        b1 = (t2 - t) / (t2 - t0) * a1 + (t - t0) / (t2 - t0) * a2
        b2 = (t3 - t) / (t3 - t1) * a2 + (t - t1) / (t3 - t1) * a3
        return (t2 - t) / (t2 - t1) * b1 + (t - t1) / (t2 - t1) * b2

    return at, nseg


def _path_samples(points: np.ndarray, u: np.ndarray, constant_speed: bool):
    """Positions and unit tangents at progress ``u`` along the spline through ``points``."""
    at, nseg = _catmull_rom(points)
    if constant_speed:
        # 400 samples a segment measure the arc length to well under a millimetre; long paths
        # take fewer a segment so the table stays at most ~1.2 M samples (tens of MB).
        per = max(4, min(400, 1_200_000 // nseg))
        dense = np.linspace(0.0, nseg, per * nseg + 1)
        p = at(dense)
        s = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(p, axis=0), axis=1))])
        tau = np.interp(u * s[-1], s, dense)
    else:
        tau = u * nseg
    pos = at(tau)
    eps = 1e-5
    tan = at(np.clip(tau + eps, 0, nseg)) - at(np.clip(tau - eps, 0, nseg))
    tan /= np.maximum(np.linalg.norm(tan, axis=1, keepdims=True), 1e-12)
    pos[0], pos[-1] = points[0], points[-1]
    return pos, tan


def _path_points(who: str, start_point, points_m) -> np.ndarray:
    try:
        pts = [np.asarray(p, dtype=np.float64) for p in points_m]
    except (TypeError, ValueError):
        raise MoveError(f"{who}: points_m must be a list of [x, y, z] points in metres") from None
    if len(pts) > MAX_PATH_POINTS:
        raise MoveError(f"{who}: points_m has {len(pts):,} points; at most {MAX_PATH_POINTS:,}")
    for i, p in enumerate(pts):
        if p.shape != (3,) or not np.all(np.isfinite(p)) or np.max(np.abs(p)) > MAX_COORD_M:
            raise MoveError(
                f"{who}: points_m[{i}] must be [x, y, z] in metres within "
                f"±{MAX_COORD_M:g}, got {show(points_m[i])}"
            )
    allp = ([np.asarray(start_point, dtype=np.float64)] if start_point is not None else []) + pts
    if len(allp) < 2:
        raise MoveError(
            f"{who}: points_m needs at least {2 if start_point is None else 1} point(s)"
        )
    for i in range(1, len(allp)):
        if np.linalg.norm(allp[i] - allp[i - 1]) < 1e-6:
            j = i - 1 if start_point is not None else i
            raise MoveError(f"{who}: points_m[{j}] repeats the point before it")
    return np.array(allp)


def _path(b, m, subjects):
    s = b.state(m.start_frame)
    constant = m.params.get("constant_speed", True)
    if not isinstance(constant, bool):
        raise MoveError(f"path: constant_speed must be true or false, got {show(constant)}")
    pts = _path_points("path", s["position_m"], m.params["points_m"])
    f, u = _frames(m)
    pos, _ = _path_samples(pts, u, constant)
    b.write("position_m", m.start_frame, pos, m.interp, m.label)
    target = _point(m, subjects, "subject", "aim_m")
    if target is not None:
        _write_aim(b, m, pos, target, u)


def walk_path(
    points_m,
    start_frame: int,
    end_frame: int,
    *,
    constant_speed: bool = True,
    interp: str = "linear",
) -> tuple[Channel, Channel]:
    """A stand-in walking through ``points_m`` (its position at ``start_frame`` is the first
    point) to the last point at ``end_frame``, along a centripetal Catmull–Rom spline.

    Returns ``(position_m, heading_deg)`` channels with a key at every frame of the walk; before
    and after, they hold. ``heading_deg`` is the yaw that faces the direction of travel:
    0 = facing +Z, positive turns towards +X, i.e. the stand-in's world-from-model rotation is
    ``transforms.rotation_y(heading_deg)`` for a model whose front faces +Z (glTF's convention).
    """
    who = "walk"
    if isinstance(start_frame, bool) or isinstance(end_frame, bool):
        raise MoveError(f"{who}: frames must be whole numbers")
    start_frame, end_frame = int(start_frame), int(end_frame)
    if start_frame < 0 or end_frame <= start_frame:
        raise MoveError(
            f"{who}: end_frame {end_frame} must come after start_frame {start_frame} (≥ 0)"
        )
    if not isinstance(constant_speed, bool):
        raise MoveError(f"{who}: constant_speed must be true or false, got {show(constant_speed)}")
    if interp not in MOVE_INTERPS:
        raise MoveError(f"{who}: unknown interp '{interp}' (use one of: {', '.join(MOVE_INTERPS)})")
    pts = _path_points(who, None, points_m)
    f = np.arange(start_frame, end_frame + 1)
    u = timing(interp, (f - start_frame) / (end_frame - start_frame))
    pos, tan = _path_samples(pts, u, constant_speed)
    heading = np.degrees(np.arctan2(tan[:, 0], tan[:, 2]))
    heading = heading[0] + np.concatenate([[0.0], np.cumsum(_wrap180(np.diff(heading)))])
    pk = tuple(key(int(fr), p, "linear") for fr, p in zip(f, pos, strict=True))
    hk = tuple(key(int(fr), h, "linear") for fr, h in zip(f, heading, strict=True))
    return Channel("position_m", pk), Channel("heading_deg", hk, angular=True)


# ---------------------------------------------------------------- handheld
def handheld_offsets(m: Move, scene_seed: int, frame_rate: float) -> np.ndarray:
    """The handheld move's offsets at each frame of its range: columns x, y, z (m), pan, tilt,
    roll (deg). Zero at both ends; each column within its amplitude."""
    p = {**HANDHELD_DEFAULTS, **{k: v for k, v in m.params.items() if v is not None}}
    amp_m = _number(m, "amplitude_m", default=p["amplitude_m"])
    amp_deg = _number(m, "amplitude_deg", default=p["amplitude_deg"])
    freq = _number(m, "frequency_hz", positive=True, default=p["frequency_hz"])
    if amp_m < 0 or amp_deg < 0:
        raise MoveError("handheld: amplitude_m and amplitude_deg must not be negative")
    own = _seed("handheld", "seed", p["seed"])
    rng = np.random.default_rng(np.random.SeedSequence([scene_seed, own]))
    f = np.arange(m.start_frame, m.end_frame + 1)
    t = (f - m.start_frame) / frame_rate
    n_sines = 5
    out = np.empty((len(f), 6))
    for col in range(6):
        ratios = np.exp(rng.uniform(math.log(0.5), math.log(2.0), n_sines))
        phases = rng.uniform(0.0, 2.0 * math.pi, n_sines)
        weights = 1.0 / ratios  # more sway than jitter
        wave = np.sin(2.0 * math.pi * freq * np.outer(t, ratios) + phases) @ weights / weights.sum()
        out[:, col] = wave * (amp_m if col < 3 else amp_deg)
    span = m.end_frame - m.start_frame
    ramp = max(1.0, min(0.25 * frame_rate, span / 4.0))
    edge = np.minimum(f - m.start_frame, m.end_frame - f) / ramp
    out *= timing("ease", np.clip(edge, 0.0, 1.0))[:, None]
    return out


def _handheld(b: _Builder, m: Move, scene_seed: int, fps: float) -> None:
    offs = handheld_offsets(m, scene_seed, fps)
    frames = np.arange(0, b.length)
    for j, name in enumerate(_POSITION_CHANNELS):
        base = b.values(name, frames)
        if CAMERA_CHANNELS[name][1]:
            base = base[0] + np.concatenate(
                [[[0.0]], np.cumsum(_wrap180(np.diff(base, axis=0)), axis=0)]
            )
        vals = base.copy()
        cols = slice(0, 3) if name == "position_m" else slice(j + 2, j + 3)
        vals[m.start_frame : m.end_frame + 1] += offs[:, cols]
        # Every frame of the shot keyed, so nothing outside the range changes at any whole frame.
        b.keys[name] = [key(int(fr), v, "linear") for fr, v in zip(frames, vals, strict=True)]


_EXPAND = {
    "dolly": _dolly,
    "truck": _truck,
    "pedestal": _pedestal,
    "pan": _angle_move("pan_deg"),
    "tilt": _angle_move("tilt_deg"),
    "dutch": _angle_move("roll_deg"),
    "crane": _crane,
    "orbit": _orbit,
    "push_in": _push_in,
    "path": _path,
    "dolly_zoom": _dolly_zoom,
    "zoom": _zoom,
    "rack_focus": _rack_focus,
}
