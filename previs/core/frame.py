"""FrameState: everything true at one frame of one shot, and how to evaluate it.

The renderer and the exports read FrameStates; they never look at the scene file again.
"""

from __future__ import annotations

import collections
import functools
import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from previs.core import optics, presets
from previs.core import transforms as tf
from previs.core.optics import Lens, SensorMode
from previs.core.scene import Light, Scene, Shot, Walk
from previs.errors import PrevisError

DELIVERY_ASPECTS = {"2.39": 2.39, "2.39:1": 2.39, "1.85": 1.85, "1.85:1": 1.85, "1.90": 1.90,
                    "1.90:1": 1.90, "16:9": 16 / 9, "1.78": 16 / 9, "4:3": 4 / 3, "1.33": 4 / 3,
                    "2.00": 2.0, "2:1": 2.0, "full": None, "none": None}


def frame_rect_uv(image_aspect: float, frame_aspect: float | None) -> tuple[float, float, float, float]:
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
        raise PrevisError(f"unknown delivery aspect '{name}' (use one of: 2.39, 1.85, 1.90, 16:9, 4:3, 2.00, full)")
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
    tracked_world_from_camera: np.ndarray | None = None  # the pose the wall was rendered for (latency)
    tracked_yfov_rad: float | None = None

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
    return {"position_m": np.asarray(c.position_m, float), "pan_deg": pan, "tilt_deg": tilt, "roll_deg": roll,
            "focal_length_mm": float(c.focal_length_mm),
            "focus_m": float(c.focus_m if c.focus_m is not None else scene.camera.focus_m),
            "t_stop": float(c.t_stop if c.t_stop is not None else scene.camera.t_stop)}


def subjects(scene: Scene) -> dict[str, np.ndarray]:
    """Named points moves can aim or focus at: a stand-in's eyes, a piece's centre."""
    out = {}
    for p in scene.set_pieces:
        if p.kind == "standin":
            local = (0.0, 0.935 * p.height_m, 0.0)  # eye height is about 93.5 % of stature
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
_TRACKS: collections.OrderedDict[tuple[int, str], tuple[Scene, Shot, object]] = collections.OrderedDict()
_TRACKS_MAX = 64


def camera_track(scene: Scene, shot: Shot):
    """The shot's camera over time (moves and keys expanded), built once per shot."""
    from previs.core.moves import build_camera_track

    key = (id(scene), shot.id)
    cached = _TRACKS.get(key)
    if cached is not None and cached[0] is scene and cached[1] is shot:
        _TRACKS.move_to_end(key)
        return cached[2]
    track = build_camera_track(_start_values(scene, shot), list(shot.moves), shot.length_frames,
                               subjects=subjects(scene), extra_keys={n: list(k) for n, k in shot.keys},
                               seed=scene.seed, frame_rate=float(scene.frame_rate))
    _TRACKS[key] = (scene, shot, track)
    while len(_TRACKS) > _TRACKS_MAX:
        _TRACKS.popitem(last=False)
    return track


@functools.lru_cache(maxsize=256)
def _walk_channels(walk: Walk):
    """A walk's position and heading channels, built once (a key per frame of the walk)."""
    from previs.core.moves import walk_path

    return walk_path(walk.points_m, walk.start_frame, walk.end_frame, constant_speed=walk.constant_speed,
                     interp=walk.interp)


def walk_poses(scene: Scene, shot: Shot, frame: int) -> dict[str, np.ndarray]:
    """World matrices of the stand-ins that walk in this shot, at ``frame``."""
    pieces = {p.name: p for p in scene.set_pieces}
    poses = {}
    for w in shot.walks:
        piece = pieces[w.standin]
        scale = np.linalg.norm(piece.world_from_local[:3, :3], axis=0)
        pos_ch, head_ch = _walk_channels(w)
        pos = np.asarray(pos_ch.evaluate(frame), float)
        poses[w.standin] = tf.translation(pos) @ tf.rotation_y(float(head_ch.evaluate(frame))) @ tf.scaling(scale)
    return poses


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
        raise PrevisError(f"shot {shot.id} has {shot.length_frames} frames; frame {frame} is outside it")
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
        wall=wall_at(scene.environment, list(shot.wall_cues), frame, scene.frame_rate) if scene.stage else None,
        poses=walk_poses(scene, shot, frame),
        tracked_world_from_camera=tracked,
        tracked_yfov_rad=math.radians(optics.vertical_fov_deg(mode, tracked_focal)),
    )
