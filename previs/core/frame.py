"""FrameState: everything true at one frame of one shot, and how to evaluate it.

The renderer and the exports read FrameStates; they never look at the scene file again.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from previs.core import optics, presets
from previs.core import transforms as tf
from previs.core.optics import Lens, SensorMode
from previs.core.scene import Scene, Shot
from previs.errors import PrevisError

DELIVERY_ASPECTS = {"2.39": 2.39, "2.39:1": 2.39, "1.85": 1.85, "1.85:1": 1.85, "1.90": 1.90,
                    "1.90:1": 1.90, "16:9": 16 / 9, "1.78": 16 / 9, "4:3": 4 / 3, "1.33": 4 / 3,
                    "2.00": 2.0, "2:1": 2.0, "full": None, "none": None}


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
        fps = self.frame_rate
        nominal = round(float(fps))
        f = self.frame
        return f"{f // (3600 * nominal):02d}:{f // (60 * nominal) % 60:02d}:{f // nominal % 60:02d}:{f % nominal:02d}"


def camera_pose(shot: Shot) -> np.ndarray:
    c = shot.camera
    if c.look_at_m is not None:
        m = tf.look_at(c.position_m, c.look_at_m)
        if c.roll_deg:
            m = m @ tf.rotation_z(-c.roll_deg)
        return m
    return tf.pan_tilt_roll(c.position_m, c.pan_deg, c.tilt_deg, c.roll_deg)


def evaluate(scene: Scene, shot: Shot | str, frame: int = 0) -> FrameState:
    """The state of ``shot`` at ``frame`` (0-based within the shot). Static shots for now."""
    if isinstance(shot, str):
        shot = scene.shot(shot)
    if not 0 <= frame < max(shot.length_frames, 1):
        raise PrevisError(f"shot {shot.id} has {shot.length_frames} frames; frame {frame} is outside it")
    cam = scene.camera
    mode = presets.get_mode(cam.body, cam.mode)
    lens = presets.get_lens(cam.lens_kit, shot.camera.focal_length_mm)
    focus = shot.camera.focus_m if shot.camera.focus_m is not None else cam.focus_m
    t_stop = shot.camera.t_stop if shot.camera.t_stop is not None else cam.t_stop
    optics.validate_focus(lens, focus)
    optics.validate_t_stop(lens, t_stop)
    return FrameState(
        shot_id=shot.id,
        frame=frame,
        frame_rate=scene.frame_rate,
        world_from_camera=camera_pose(shot),
        mode=mode,
        lens=lens,
        focal_length_mm=float(shot.camera.focal_length_mm),
        focus_m=float(focus),
        t_stop=float(t_stop),
        iso=float(cam.iso),
        shutter_angle_deg=float(cam.shutter_angle_deg),
        delivery_aspect=delivery_aspect_value(cam.delivery_aspect),
        safe_areas=bool(cam.safe_areas),
    )
