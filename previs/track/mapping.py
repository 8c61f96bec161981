"""A tracker's axes, origin, pupil offset and lens encoders, put on previs' stage.

The only place tracker numbers meet previs' axes. A tracker reports the camera in its own world
axes with the protocol's camera convention (FreeD and OpenTrackIO alike: the camera looks along
its +Y, +Z up; rotations intrinsic Z-X-Y ``[pan, tilt, roll]``); previs wants metres, +Y up,
cameras looking down -Z. With ``M`` the stage-from-tracker rotation (the scene's ``tracking.axes``
then ``yaw_deg`` about +Y) and ``Q`` previs-camera-to-protocol-camera axes::

    R_stage = M · R_tracker · Q          p_stage = origin_m + M · p_tracker + R_stage · pupil_offset_m

With the defaults (axes ``x, z, -y``, no yaw, no offsets) this is exactly the inverse of what
``previs export --what cameras`` writes as OpenTrackIO. FreeD's pan turns clockwise seen from above
in the receivers we know of (reference §1), the opposite of OpenTrackIO's, so FreeD's pan is
negated before anything else; ``tracking.flip_angles`` reverses a protocol angle's sense further.
"""

from __future__ import annotations

import math

import numpy as np

from previs.core import scene as sc
from previs.errors import PrevisError
from previs.export.camera_data import otio_pan_tilt_roll, otio_rotation

# previs camera axes -> protocol camera axes: (x, y, z) -> (x, -z, y)
Q = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])
_AXIS = {"x": 0, "y": 1, "z": 2}
NATIVE_FLIPS = {"freed": frozenset({"pan"}), "opentrackio": frozenset()}

DEFAULT_ZOOM_COUNTS_PER_MM = 100.0
"""Without a zoom table, zoom counts are hundredths of a millimetre (what ``track send`` writes)."""
DEFAULT_FOCUS_COUNTS_PER_M = 1000.0
"""Without a focus table, focus counts are millimetres; the largest count means infinity."""
INFINITY_COUNTS = 2**24 - 1


def axes_matrix(axes) -> np.ndarray:
    """Rows: previs x, y, z as signed tracker axes."""
    m = np.zeros((3, 3))
    for row, a in enumerate(axes):
        sign = -1.0 if a.startswith("-") else 1.0
        m[row, _AXIS[a.lstrip("+-")]] = sign
    return m


def _ry(deg: float) -> np.ndarray:
    c, s = math.cos(math.radians(deg)), math.sin(math.radians(deg))
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


class StageMapping:
    """Tracker pose <-> previs world-from-camera, for one protocol."""

    def __init__(self, tracking: sc.Tracking | None, protocol: str):
        t = tracking or sc.Tracking()
        self.m = _ry(t.yaw_deg) @ axes_matrix(t.axes)
        self.origin = np.asarray(t.origin_m, float)
        self.pupil = np.asarray(t.pupil_offset_m, float)
        self.flips = NATIVE_FLIPS[protocol] ^ frozenset(t.flip_angles)

    def _signs(self) -> np.ndarray:
        return np.array([-1.0 if n in self.flips else 1.0 for n in ("pan", "tilt", "roll")])

    def rotation(self, pan_deg: float, tilt_deg: float, roll_deg: float) -> np.ndarray:
        """The protocol's angles as a rotation in tracker axes."""
        p, t, r = np.array([pan_deg, tilt_deg, roll_deg]) * self._signs()
        return otio_rotation(p, t, r)

    def angles(self, r_tracker: np.ndarray) -> tuple[float, float, float]:
        p, t, r = np.array(otio_pan_tilt_roll(r_tracker)) * self._signs()
        return float(p), float(t), float(r)

    def to_stage(self, world_from_camera_tracker: np.ndarray) -> np.ndarray:
        """previs world-from-camera of a tracker pose (4x4 in tracker axes, camera along +Y)."""
        w = np.asarray(world_from_camera_tracker, float)
        out = np.eye(4)
        out[:3, :3] = self.m @ w[:3, :3] @ Q
        out[:3, 3] = self.origin + self.m @ w[:3, 3] + out[:3, :3] @ self.pupil
        return out

    def from_stage(self, world_from_camera: np.ndarray) -> np.ndarray:
        """The tracker pose that :meth:`to_stage` maps onto ``world_from_camera``."""
        w = np.asarray(world_from_camera, float)
        out = np.eye(4)
        out[:3, :3] = self.m.T @ w[:3, :3] @ Q.T
        out[:3, 3] = self.m.T @ (w[:3, 3] - w[:3, :3] @ self.pupil - self.origin)
        return out


class LensMap:
    """Encoder counts <-> focal length and focus, through the scene's table for one lens."""

    def __init__(self, scene: sc.Scene, lens_mm: float | None = None, *, tables: bool = True):
        tables = (scene.tracking.lenses if scene.tracking else ()) if tables else ()
        self.cal = None
        if lens_mm is not None:
            self.cal = next(
                (c for c in tables if math.isclose(c.focal_length_mm, lens_mm, abs_tol=0.01)), None
            )
            if self.cal is None and tables:
                have = ", ".join(f"{c.focal_length_mm:g}" for c in tables)
                raise PrevisError(
                    f"the scene's tracking: has no encoder table for a {lens_mm:g} mm lens "
                    f"(tables for: {have} mm)"
                )
        elif tables:
            self.cal = tables[0]
        self.lens_mm = (
            lens_mm if lens_mm is not None else (self.cal.focal_length_mm if self.cal else None)
        )

    def focal_mm(self, counts: int) -> float:
        if self.cal is not None and self.cal.zoom_counts:
            c, v = np.array(self.cal.zoom_counts).T
            return float(np.interp(counts, c, v))
        if self.lens_mm is not None:
            return float(self.lens_mm)
        return counts / DEFAULT_ZOOM_COUNTS_PER_MM

    def focus_m(self, counts: int) -> float:
        if self.cal is not None and self.cal.focus_counts:
            c, v = np.array(self.cal.focus_counts).T
            return float(np.interp(counts, c, v))
        return (
            math.inf if counts >= INFINITY_COUNTS else max(counts, 1) / DEFAULT_FOCUS_COUNTS_PER_M
        )

    def zoom_counts(self, focal_mm: float) -> int:
        if self.cal is not None and self.cal.zoom_counts:
            return _inverse(self.cal.zoom_counts, focal_mm)
        if self.lens_mm is not None:
            return 0
        return int(round(focal_mm * DEFAULT_ZOOM_COUNTS_PER_MM))

    def focus_counts(self, focus_m: float) -> int:
        if self.cal is not None and self.cal.focus_counts:
            return _inverse(self.cal.focus_counts, focus_m)
        if not math.isfinite(focus_m):
            return INFINITY_COUNTS
        return int(min(round(focus_m * DEFAULT_FOCUS_COUNTS_PER_M), INFINITY_COUNTS - 1))


def _inverse(table, value: float) -> int:
    """Counts giving ``value`` in a table whose values rise or fall monotonically."""
    c, v = np.array(table, float).T
    if not math.isfinite(value):
        return int(c[np.argmax(v)])
    if np.all(np.diff(v) > 0):
        return int(round(np.interp(value, v, c)))
    if np.all(np.diff(v) < 0):
        return int(round(np.interp(value, v[::-1], c[::-1])))
    raise PrevisError("an encoder table whose values go up and down cannot be inverted")
