"""FrameState: everything true at one frame of one shot, and how to evaluate it.

The renderer and the exports read FrameStates; they never look at the scene file again.
"""

from __future__ import annotations

import collections
import functools
import math
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from previs.core import figure as fig
from previs.core import optics, presets
from previs.core import transforms as tf
from previs.core.optics import Lens, SensorMode
from previs.core.scene import Light, Scene, SetPiece, Shot, Walk
from previs.errors import PrevisError

DELIVERY_ASPECTS = {
    "2.39": 2.39,
    "2.39:1": 2.39,
    "1.85": 1.85,
    "1.85:1": 1.85,
    "1.90": 1.90,
    "1.90:1": 1.90,
    "16:9": 16 / 9,
    "1.78": 16 / 9,
    "4:3": 4 / 3,
    "1.33": 4 / 3,
    "2.00": 2.0,
    "2:1": 2.0,
    "full": None,
    "none": None,
}


def frame_rect_uv(
    image_aspect: float, frame_aspect: float | None
) -> tuple[float, float, float, float]:
    """The largest centred rectangle of ``frame_aspect`` inside an image of ``image_aspect``."""
    if not frame_aspect:
        return (1.0, 1.0, 0.0, 0.0)
    if frame_aspect >= image_aspect:  # letterbox: full width
        h = image_aspect / frame_aspect
        return (0.0, 0.5 - h / 2, 1.0, 0.5 + h / 2)
    w = frame_aspect / image_aspect  # pillarbox: full height
    return (0.5 - w / 2, 0.0, 0.5 + w / 2, 1.0)


def delivery_mask(state: FrameState, cols: int, rows: int) -> np.ndarray:
    """(rows, cols) bool: pixel centres inside the delivery frame lines (rows top-down)."""
    x0, y0, x1, y1 = frame_rect_uv(cols / rows, state.delivery_aspect)
    if x1 < x0:
        return np.ones((rows, cols), dtype=bool)
    u = (np.arange(cols) + 0.5) / cols
    v = 1.0 - (np.arange(rows) + 0.5) / rows  # uv has v up
    return ((v >= y0) & (v <= y1))[:, None] & ((u >= x0) & (u <= x1))[None, :]


def delivery_aspect_value(name: str) -> float | None:
    key = str(name).strip().lower()
    if key not in DELIVERY_ASPECTS:
        raise PrevisError(
            f"unknown delivery aspect '{name}' (use one of: 2.39, 1.85, 1.90, 16:9, 4:3, 2.00, full)"
        )
    return DELIVERY_ASPECTS[key]


@dataclass(frozen=True)
class FrameState:
    shot_id: str
    frame: int
    frame_rate: Fraction
    world_from_camera: np.ndarray
    mode: SensorMode
    lens: Lens
    focal_length_mm: float
    focus_m: float
    t_stop: float
    iso: float
    shutter_angle_deg: float
    delivery_aspect: float | None
    safe_areas: bool
    near_m: float = 0.05
    far_m: float = 2000.0
    lights: tuple[Light, ...] = ()
    wall: object | None = None  # previs.core.cues.WallState, when the scene has a stage
    poses: dict | None = None  # world matrices of stand-ins that walk in this shot, by name
    tracked_world_from_camera: np.ndarray | None = (
        None  # the pose the wall was rendered for (latency)
    )
    tracked_yfov_rad: float | None = None
    # (scene, shot) the characters are posed from, on first use of ``figures``
    figure_source: tuple | None = field(default=None, repr=False, compare=False)

    @functools.cached_property
    def figures(self) -> dict[str, CharacterState]:
        """Every character posed at this frame (:func:`character_states`), by name."""
        if self.figure_source is None:
            return {}
        scene, shot = self.figure_source
        return character_states(scene, shot, self.frame, self.world_from_camera[:3, 3])

    @property
    def squeeze(self) -> float:
        return self.lens.squeeze

    @property
    def image_aspect(self) -> float:
        """Width over height of the desqueezed image the camera records."""
        return optics.desqueezed_aspect(self.mode, self.squeeze)

    @property
    def yfov_rad(self) -> float:
        return math.radians(optics.vertical_fov_deg(self.mode, self.focal_length_mm))

    @property
    def hfov_deg(self) -> float:
        return optics.horizontal_fov_deg(self.mode, self.focal_length_mm, self.squeeze)

    @property
    def exposure_scale(self) -> float:
        return optics.exposure_scale(self.t_stop, self.iso, self.shutter_angle_deg, self.frame_rate)

    @property
    def position_m(self) -> np.ndarray:
        return self.world_from_camera[:3, 3].copy()

    def image_size(self, width_px: int) -> tuple[int, int]:
        """Output pixels for a given width, following the recording mode's desqueezed aspect."""
        return int(width_px), max(1, int(round(width_px / self.image_aspect)))

    @property
    def timecode(self) -> str:
        """SMPTE timecode of this frame from the shot's start (drop-frame at 29.97 and 59.94)."""
        from previs.core.timecode import frames_to_timecode

        return frames_to_timecode(self.frame, self.frame_rate)


def _start_values(scene: Scene, shot: Shot) -> dict:
    c = shot.camera
    if c.look_at_m is not None:
        pan, tilt, _ = tf.pan_tilt_roll_of(tf.look_at(c.position_m, c.look_at_m))
        roll = c.roll_deg
    else:
        pan, tilt, roll = c.pan_deg, c.tilt_deg, c.roll_deg
    return {
        "position_m": np.asarray(c.position_m, float),
        "pan_deg": pan,
        "tilt_deg": tilt,
        "roll_deg": roll,
        "focal_length_mm": float(c.focal_length_mm),
        "focus_m": float(c.focus_m if c.focus_m is not None else scene.camera.focus_m),
        "t_stop": float(c.t_stop if c.t_stop is not None else scene.camera.t_stop),
    }


def subjects(scene: Scene) -> dict[str, np.ndarray]:
    """Named points moves can aim or focus at: a stand-in's eyes, a piece's centre."""
    out = {}
    for p in scene.set_pieces:
        if p.kind == "standin":
            local = (0.0, fig.EYE_FRACTION * p.height_m, 0.0)  # eye height (previs.core.figure)
        elif p.kind == "box":
            local = (0.0, p.size_m[1] / 2, 0.0)
        elif p.kind == "cylinder":
            local = (0.0, p.height_m / 2, 0.0)
        else:
            local = (0.0, 0.0, 0.0)
        out[p.name] = tf.transform_points(p.world_from_local, [local])[0]
    return out


# Built tracks, newest last. Each entry holds its scene and shot, so an id is never reused while
# cached; bounded because a window session makes a new Scene on every edit.
_TRACKS: collections.OrderedDict[tuple[int, str], tuple[Scene, Shot, object]] = (
    collections.OrderedDict()
)
_TRACKS_MAX = 64


def camera_track(scene: Scene, shot: Shot):
    """The shot's camera over time (moves and keys expanded), built once per shot."""
    from previs.core.moves import build_camera_track

    key = (id(scene), shot.id)
    cached = _TRACKS.get(key)
    if cached is not None and cached[0] is scene and cached[1] is shot:
        _TRACKS.move_to_end(key)
        return cached[2]
    track = build_camera_track(
        _start_values(scene, shot),
        list(shot.moves),
        shot.length_frames,
        subjects=subjects(scene),
        extra_keys={n: list(k) for n, k in shot.keys},
        seed=scene.seed,
        frame_rate=float(scene.frame_rate),
    )
    _TRACKS[key] = (scene, shot, track)
    while len(_TRACKS) > _TRACKS_MAX:
        _TRACKS.popitem(last=False)
    return track


@functools.lru_cache(maxsize=256)
def _walk_channels(walk: Walk):
    """A walk's position and heading channels, built once (a key per frame of the walk)."""
    from previs.core.moves import walk_path

    return walk_path(
        walk.points_m,
        walk.start_frame,
        walk.end_frame,
        constant_speed=walk.constant_speed,
        interp=walk.interp,
    )


def _walk_at(walks, frame: int):
    """Of one character's walks in a shot, the one that places it at ``frame``: the one under
    way, else the last one begun, else the first."""
    walks = sorted(walks, key=lambda w: w.start_frame)
    begun = [w for w in walks if w.start_frame <= frame]
    return begun[-1] if begun else walks[0]


def walk_poses(scene: Scene, shot: Shot, frame: int) -> dict[str, np.ndarray]:
    """World matrices of the stand-ins that walk in this shot, at ``frame``."""
    pieces = {p.name: p for p in scene.set_pieces}
    by_who: dict[str, list[Walk]] = {}
    for w in shot.walks:
        by_who.setdefault(w.standin, []).append(w)
    poses = {}
    for who, walks in by_who.items():
        w = _walk_at(walks, frame)
        piece = pieces[who]
        scale = np.linalg.norm(piece.world_from_local[:3, :3], axis=0)
        pos_ch, head_ch = _walk_channels(w)
        pos = np.asarray(pos_ch.evaluate(frame), float)
        poses[who] = (
            tf.translation(pos) @ tf.rotation_y(float(head_ch.evaluate(frame))) @ tf.scaling(scale)
        )
    return poses


# ---------------------------------------------------------------- characters posed
@dataclass(frozen=True, eq=False)
class CharacterState:
    """A character at one frame: its posed figure, the pose it holds (``walk``/``run`` while it
    walks), and what it looks at (a world point, or None: ahead)."""

    name: str
    posed: fig.Posed
    pose: str
    look_target_m: np.ndarray | None


def _rigid(m: np.ndarray) -> tuple[np.ndarray, float]:
    """A placement matrix without its scale, and the scale along its up axis (a stand-in's
    height multiplies by it)."""
    s = np.linalg.norm(m[:3, :3], axis=0)
    out = np.array(m, dtype=np.float64)
    out[:3, :3] = m[:3, :3] / s
    return out, float(s[1])


def character_root(scene: Scene, shot: Shot, piece: SetPiece, frame: int) -> np.ndarray:
    """World from a character's root at ``frame`` (rigid): where it walks, else where it stands."""
    walks = [w for w in shot.walks if w.standin == piece.name]
    if walks:
        w = _walk_at(walks, frame)
        pos_ch, head_ch = _walk_channels(w)
        return tf.translation(np.asarray(pos_ch.evaluate(frame), float)) @ tf.rotation_y(
            float(head_ch.evaluate(frame))
        )
    return _rigid(piece.world_from_local)[0]


@functools.lru_cache(maxsize=256)
def _walk_distance(walk: Walk) -> np.ndarray:
    """Metres walked by each frame of the walk (from its start frame)."""
    pos_ch, _ = _walk_channels(walk)
    frames = np.arange(walk.start_frame, walk.end_frame + 1)
    pos = np.asarray(pos_ch.evaluate_many(frames), float)
    return np.r_[0.0, np.cumsum(np.linalg.norm(np.diff(pos, axis=0), axis=1))]


def walk_speed_mps(walk: Walk, frame_rate) -> float:
    """A walk's average speed (its path's length over its time)."""
    return float(_walk_distance(walk)[-1]) / (
        (walk.end_frame - walk.start_frame) / float(frame_rate)
    )


WALK_BLEND_FRAMES = 4  # from standing into the cycle and back at a walk's ends


def _key_pose(
    scene: Scene, piece: SetPiece, height_m: float, key, root: np.ndarray, targets: dict
) -> fig.Pose:
    if key is None:  # the character's own pose
        name, seat, aim = piece.pose, piece.seat_height_m, None
    else:
        name, seat = key.pose, key.seat_height_m
        aim = key.aim_m if key.aim_subject is None else targets.get(key.aim_subject)
    seat_above = None if seat is None else seat - float(root[1, 3])
    d = None
    if aim is not None and name in ("point", "reach"):
        shoulder = (
            root
            @ np.r_[
                np.asarray(fig.JOINTS[fig.JOINT_INDEX["shoulder_r"]][2]) * height_m
                + [0, fig.HIP_FRACTION * height_m + 0.19 * height_m, 0],
                1.0,
            ]
        )
        d = root[:3, :3].T @ (np.asarray(aim, float) - shoulder[:3])
    return fig.named_pose(name, height_m, seat_height_m=seat_above, point_dir=d)


def _keyed(keys, frame: int):
    """(previous key or None, current key or None) at ``frame`` of one character's keys."""
    past = [k for k in keys if k.frame <= frame]
    if not past:
        return None, None
    return (past[-2] if len(past) > 1 else None), past[-1]


def _blend_t(key, frame: int, prev=None) -> float:
    """How far ``key`` has blended in by ``frame`` (smoothstep); a first key on the shot's
    first frame holds from the start."""
    if key is None or key.blend_frames <= 0 or (prev is None and key.frame == 0):
        return 1.0
    t = min(1.0, (frame - key.frame) / key.blend_frames)
    return t * t * (3 - 2 * t)


def character_states(
    scene: Scene, shot: Shot, frame: int, lens_m=None
) -> dict[str, CharacterState]:
    """Every character of ``scene`` posed at ``frame`` of ``shot``: its root from the walks (or
    where it stands), its pose from the shot's keys blended over their frames (the walk cycle
    while it walks, phase from the distance walked), its head turned by the looks (a subject's
    eyes, a set piece's centre, ``lens_m``, a point, or yaw/pitch)."""
    chars = [p for p in scene.set_pieces if p.kind == "standin"]
    if not chars:
        return {}
    points = subjects(scene)
    roots, heights, bodies, names = {}, {}, {}, {}
    for p in chars:
        root = character_root(scene, shot, p, frame)
        h = p.height_m * _rigid(p.world_from_local)[1]
        roots[p.name], heights[p.name] = root, h
    # pass 1: bodies without head turns (eyes to look at, shoulders to point from)
    eyes = {n: (roots[n] @ np.r_[0.0, fig.EYE_FRACTION * heights[n], 0.0, 1.0])[:3] for n in roots}
    targets = {**points, **eyes}
    if lens_m is not None:
        targets["lens"] = np.asarray(lens_m, float)
    for p in chars:
        n, h, root = p.name, heights[p.name], roots[p.name]
        keys = [k for k in shot.poses if k.character == n]
        prev, cur = _keyed(keys, frame)
        pose = _key_pose(scene, p, h, cur, root, targets)
        name = p.pose if cur is None else cur.pose
        t = _blend_t(cur, frame, prev)
        if t < 1.0:
            pose = fig.blend(_key_pose(scene, p, h, prev, root, targets), pose, t)
        walks = [w for w in shot.walks if w.standin == n and w.start_frame <= frame <= w.end_frame]
        if walks:
            w = walks[-1]
            dist = _walk_distance(w)
            speed = walk_speed_mps(w, scene.frame_rate)
            stride = fig.stride_m(speed, h, w.gait)
            cycle = fig.walk_cycle_pose(
                h, float(dist[frame - w.start_frame]) / stride, stride, w.gait
            )
            edge = min(frame - w.start_frame, w.end_frame - frame) / WALK_BLEND_FRAMES
            pose = fig.blend(pose, cycle, min(1.0, edge))
            name = w.gait
        bodies[n], names[n] = pose, name
    first = {n: fig.pose_figure(bodies[n], heights[n], roots[n]) for n in bodies}
    targets.update({n: first[n].eye_m for n in first})
    out = {}
    for p in chars:
        n = p.name
        looks = [k for k in shot.looks if k.character == n]
        prev, cur = _keyed(looks, frame)
        if cur is None:
            out[n] = CharacterState(n, first[n], names[n], None)
            continue
        chest = first[n].rotations[fig.JOINT_INDEX["chest"]]
        neck = first[n].joint("head")
        frame_m = np.eye(4)
        frame_m[:3, :3] = chest

        def aim(k, frame_m=frame_m, neck=neck):
            if k is None or k.at == "ahead":
                return 0.0, 0.0, None
            if k.at is not None or k.at_m is not None:
                target = np.asarray(k.at_m if k.at is None else targets[k.at], float)
                return (*fig.look_angles(frame_m, neck, target), target)
            return k.yaw_deg, k.pitch_deg, None

        yaw, pitch, target = aim(cur)
        t = _blend_t(cur, frame, prev)
        if t < 1.0:
            y0, p0, _ = aim(prev)
            yaw, pitch = y0 + (yaw - y0) * t, p0 + (pitch - p0) * t
        posed = fig.pose_figure(bodies[n], heights[n], roots[n], yaw, pitch)
        out[n] = CharacterState(n, posed, names[n], target)
    return out


def key_frames(scene: Scene, shot: Shot) -> list[int]:
    """First, last, and the frames where a move, walk or cue starts or ends: the storyboard's
    key panels of a moving shot."""
    frames = {0, shot.length_frames - 1}
    for item in (*shot.moves, *shot.walks, *shot.light_cues, *shot.wall_cues):
        frames.update((item.start_frame, item.end_frame))
    for _, keys in shot.keys:
        frames.update(k.frame for k in keys)
    return sorted(f for f in frames if 0 <= f < shot.length_frames)


def camera_pose(shot: Shot) -> np.ndarray:
    """World-from-camera of a shot's starting placement."""
    c = shot.camera
    if c.look_at_m is not None:
        m = tf.look_at(c.position_m, c.look_at_m)
        if c.roll_deg:
            m = m @ tf.rotation_z(-c.roll_deg)
        return m
    return tf.pan_tilt_roll(c.position_m, c.pan_deg, c.tilt_deg, c.roll_deg)


def evaluate(scene: Scene, shot: Shot | str, frame: int = 0) -> FrameState:
    """Everything true at ``frame`` (0-based within the shot): camera pose and optics from the
    moves and keys, lights and wall after the cues, walking stand-ins."""
    from previs.core.cues import lights_at, wall_at

    if isinstance(shot, str):
        shot = scene.shot(shot)
    if not 0 <= frame < max(shot.length_frames, 1):
        raise PrevisError(
            f"shot {shot.id} has {shot.length_frames} frames; frame {frame} is outside it"
        )
    cam = scene.camera
    mode = presets.get_mode(cam.body, cam.mode)
    if shot.is_static:
        world_from_camera = camera_pose(shot)
        start = _start_values(scene, shot)
        focal, focus, t_stop = start["focal_length_mm"], start["focus_m"], start["t_stop"]
        tracked, tracked_focal = world_from_camera, focal
    else:
        track = camera_track(scene, shot)
        s = track.sample(frame)
        world_from_camera = tf.pan_tilt_roll(s.position_m, s.pan_deg, s.tilt_deg, s.roll_deg)
        focal, focus, t_stop = s.focal_length_mm, s.focus_m, s.t_stop
        # The wall shows what tracking reported `latency` frames ago (before the shot: its start).
        latency = scene.stage.inner_frustum.latency_frames if scene.stage else 0
        t = track.sample(max(0, frame - latency))
        tracked = tf.pan_tilt_roll(t.position_m, t.pan_deg, t.tilt_deg, t.roll_deg)
        tracked_focal = t.focal_length_mm
    lens = presets.get_lens(cam.lens_kit, focal)
    optics.validate_focus(lens, focus)
    optics.validate_t_stop(lens, t_stop)
    return FrameState(
        shot_id=shot.id,
        frame=frame,
        frame_rate=scene.frame_rate,
        world_from_camera=world_from_camera,
        mode=mode,
        lens=lens,
        focal_length_mm=float(focal),
        focus_m=float(focus),
        t_stop=float(t_stop),
        iso=float(cam.iso),
        shutter_angle_deg=float(cam.shutter_angle_deg),
        delivery_aspect=delivery_aspect_value(cam.delivery_aspect),
        safe_areas=bool(cam.safe_areas),
        lights=lights_at(scene.lights, list(shot.light_cues), frame, scene.frame_rate),
        wall=wall_at(scene.environment, list(shot.wall_cues), frame, scene.frame_rate)
        if scene.stage
        else None,
        poses=walk_poses(scene, shot, frame),
        figure_source=(scene, shot),
        tracked_world_from_camera=tracked,
        tracked_yfov_rad=math.radians(optics.vertical_fov_deg(mode, tracked_focal)),
    )
