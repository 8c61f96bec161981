"""Rigid transforms and projections as float64 numpy, column vectors (``p' = M @ p``).

Cameras look down -Z with +Y up (OpenGL/glTF). Angles in the API are degrees unless the name
says radians. Matrices go to the GPU transposed exactly once, in ``previs.render``.
"""

from __future__ import annotations

import math

import numpy as np

from previs.errors import PrevisError


def translation(t) -> np.ndarray:
    m = np.eye(4)
    m[:3, 3] = np.asarray(t, dtype=np.float64)
    return m


def scaling(s) -> np.ndarray:
    s = np.broadcast_to(np.asarray(s, dtype=np.float64), (3,))
    return np.diag([s[0], s[1], s[2], 1.0])


def rotation_x(deg: float) -> np.ndarray:
    c, s = math.cos(math.radians(deg)), math.sin(math.radians(deg))
    return np.array([[1, 0, 0, 0], [0, c, -s, 0], [0, s, c, 0], [0, 0, 0, 1]], dtype=np.float64)


def rotation_y(deg: float) -> np.ndarray:
    c, s = math.cos(math.radians(deg)), math.sin(math.radians(deg))
    return np.array([[c, 0, s, 0], [0, 1, 0, 0], [-s, 0, c, 0], [0, 0, 0, 1]], dtype=np.float64)


def rotation_z(deg: float) -> np.ndarray:
    c, s = math.cos(math.radians(deg)), math.sin(math.radians(deg))
    return np.array([[c, -s, 0, 0], [s, c, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]], dtype=np.float64)


def trs(translation_m=(0, 0, 0), rotation_deg=(0, 0, 0), scale=1.0) -> np.ndarray:
    """T · R · S with R = Ry(yaw) · Rx(pitch) · Rz(roll) from ``rotation_deg = (x, y, z)``."""
    rx, ry, rz = (float(a) for a in rotation_deg)
    r = rotation_y(ry) @ rotation_x(rx) @ rotation_z(rz)
    return translation(translation_m) @ r @ scaling(scale)


def look_at(eye, target, up=(0.0, 1.0, 0.0)) -> np.ndarray:
    """World-from-camera matrix of a camera at ``eye`` looking at ``target`` (camera -Z forward)."""
    eye = np.asarray(eye, dtype=np.float64)
    fwd = np.asarray(target, dtype=np.float64) - eye
    n = np.linalg.norm(fwd)
    if n < 1e-9:
        raise PrevisError("camera position and look-at point coincide")
    fwd /= n
    up = np.asarray(up, dtype=np.float64)
    right = np.cross(fwd, up)
    if np.linalg.norm(right) < 1e-9:  # looking straight up or down: any right vector will do
        right = np.cross(fwd, (0.0, 0.0, -1.0 if fwd[1] > 0 else 1.0))
    right /= np.linalg.norm(right)
    true_up = np.cross(right, fwd)
    m = np.eye(4)
    m[:3, 0], m[:3, 1], m[:3, 2], m[:3, 3] = right, true_up, -fwd, eye
    return m


def pan_tilt_roll(eye, pan_deg: float, tilt_deg: float, roll_deg: float) -> np.ndarray:
    """World-from-camera for a camera head: pan about world +Y (positive = to the left, i.e. the
    right-handed sense), then tilt about the panned X (positive = up), then roll about the lens
    axis (positive = clockwise as the operator sees it)."""
    r = rotation_y(pan_deg) @ rotation_x(tilt_deg) @ rotation_z(-roll_deg)
    m = translation(eye) @ r
    return m


def pan_tilt_roll_of(world_from_camera: np.ndarray) -> tuple[float, float, float]:
    """Inverse of :func:`pan_tilt_roll` (degrees)."""
    r = world_from_camera[:3, :3]
    fwd = -r[:, 2]
    tilt = math.degrees(math.asin(max(-1.0, min(1.0, fwd[1]))))
    pan = math.degrees(math.atan2(-fwd[0], -fwd[2]))
    r0 = (rotation_y(pan) @ rotation_x(tilt))[:3, :3]
    rz = r0.T @ r
    roll = -math.degrees(math.atan2(rz[1, 0], rz[0, 0]))
    return pan, tilt, roll


def perspective(yfov_rad: float, aspect: float, near_m: float, far_m: float) -> np.ndarray:
    """OpenGL clip-from-camera matrix (depth to [-1, 1])."""
    f = 1.0 / math.tan(yfov_rad / 2.0)
    m = np.zeros((4, 4))
    m[0, 0] = f / aspect
    m[1, 1] = f
    m[2, 2] = (far_m + near_m) / (near_m - far_m)
    m[2, 3] = 2.0 * far_m * near_m / (near_m - far_m)
    m[3, 2] = -1.0
    return m


def orthographic(left, right, bottom, top, near_m, far_m) -> np.ndarray:
    m = np.eye(4)
    m[0, 0] = 2.0 / (right - left)
    m[1, 1] = 2.0 / (top - bottom)
    m[2, 2] = -2.0 / (far_m - near_m)
    m[0, 3] = -(right + left) / (right - left)
    m[1, 3] = -(top + bottom) / (top - bottom)
    m[2, 3] = -(far_m + near_m) / (far_m - near_m)
    return m


def transform_points(m: np.ndarray, pts) -> np.ndarray:
    pts = np.asarray(pts, dtype=np.float64)
    h = pts @ m[:3, :3].T + m[:3, 3]
    return h


def project_to_pixels(clip_from_world: np.ndarray, pts, width: int, height: int) -> np.ndarray:
    """Pixel coordinates (x right, y down, pixel centres at +0.5) of world points."""
    pts = np.atleast_2d(np.asarray(pts, dtype=np.float64))
    h = np.c_[pts, np.ones(len(pts))] @ clip_from_world.T
    ndc = h[:, :3] / h[:, 3:4]
    x = (ndc[:, 0] * 0.5 + 0.5) * width
    y = (1.0 - (ndc[:, 1] * 0.5 + 0.5)) * height
    return np.c_[x, y]


def vec2(v) -> tuple[float, float]:
    """Two numbers as a tuple of floats (a floor point or a chromaticity in plain data)."""
    x, y = (float(c) for c in v)
    return (x, y)


def vec3(v) -> tuple[float, float, float]:
    """Three numbers as a tuple of floats (a point or a colour in plain data)."""
    x, y, z = (float(c) for c in v)
    return (x, y, z)


def wrap180(angle_deg):
    """An angle (degrees; a float or an array) wrapped into [-180, 180): the short way round
    between two headings."""
    a = (np.asarray(angle_deg, dtype=np.float64) + 180.0) % 360.0 - 180.0
    return float(a) if a.ndim == 0 else a
