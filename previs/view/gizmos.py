"""Line drawings the stage overview and the plan put over the picture: the camera body, its
frustum, and the inner frustum's footprint on the LED wall. Plain numpy (world-space segments);
the window draws them.
"""

from __future__ import annotations

import math

import numpy as np

from previs.core import transforms as tf

BODY_RGB = (1.0, 0.78, 0.2)
FRUSTUM_RGB = (1.0, 0.95, 0.6)
INNER_RGB = (0.2, 1.0, 0.9)
FRUSTUM_REACH_M = 30.0


def _box_edges(lo, hi) -> list[tuple[np.ndarray, np.ndarray]]:
    lo, hi = np.asarray(lo, float), np.asarray(hi, float)
    c = np.array(
        [[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])]
    )
    pairs = [
        (0, 1),
        (2, 3),
        (4, 5),
        (6, 7),
        (0, 2),
        (1, 3),
        (4, 6),
        (5, 7),
        (0, 4),
        (1, 5),
        (2, 6),
        (3, 7),
    ]
    return [(c[a], c[b]) for a, b in pairs]


def camera_body_segments(world_from_camera: np.ndarray) -> np.ndarray:
    """A cine camera's outline (body, lens, magazine-ish top handle): (n, 2, 3) world points."""
    segs = _box_edges((-0.08, -0.09, 0.0), (0.08, 0.09, 0.32))  # body behind the lens mount
    segs += _box_edges((-0.05, -0.05, -0.16), (0.05, 0.05, 0.0))  # lens
    segs += _box_edges((-0.02, 0.09, 0.05), (0.02, 0.14, 0.25))  # top handle
    local = np.array([[a, b] for a, b in segs])
    return tf.transform_points(world_from_camera, local.reshape(-1, 3)).reshape(-1, 2, 3)


def frustum_corners_dirs(
    world_from_camera: np.ndarray, yfov_rad: float, aspect: float, grow: float = 1.0
) -> np.ndarray:
    """World directions of the four frustum corners (top-left, top-right, bottom-right,
    bottom-left), ``grow`` times wider (overscan)."""
    th = math.tan(yfov_rad / 2) * grow
    tw = th * aspect
    cam = np.array([[-tw, th, -1.0], [tw, th, -1.0], [tw, -th, -1.0], [-tw, -th, -1.0]])
    return cam @ world_from_camera[:3, :3].T


def _reach(volume, origin, dirs) -> np.ndarray:
    """How far each ray goes: to the first LED surface or the floor, else a fixed reach."""
    unit = dirs / np.linalg.norm(dirs, axis=-1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        floor = np.where(unit[:, 1] < -1e-9, -origin[1] / unit[:, 1], np.inf)
    floor = np.where(floor > 0, floor, np.inf)
    if volume is None:
        dist = floor
    else:
        from previs.core.stage import wall_hit

        dist, _ = wall_hit(volume, np.broadcast_to(origin, unit.shape), unit)
        dist = np.minimum(dist, floor)
    return np.where(np.isfinite(dist), np.minimum(dist, FRUSTUM_REACH_M * 2), FRUSTUM_REACH_M)


def frustum_segments(
    volume, world_from_camera: np.ndarray, yfov_rad: float, aspect: float
) -> np.ndarray:
    """The lens's frustum: the four corner rays out to where they meet the wall, and the far
    outline joining their ends."""
    origin = world_from_camera[:3, 3]
    dirs = frustum_corners_dirs(world_from_camera, yfov_rad, aspect)
    unit = dirs / np.linalg.norm(dirs, axis=-1, keepdims=True)
    ends = origin + unit * _reach(volume, origin, dirs)[:, None]
    segs = [(origin, e) for e in ends] + [(ends[i], ends[(i + 1) % 4]) for i in range(4)]
    return np.array(segs)


def inner_frustum_outline(
    volume,
    world_from_camera: np.ndarray,
    yfov_rad: float,
    aspect: float,
    overscan_pct: float,
    per_side: int = 24,
) -> np.ndarray:
    """The inner frustum (with overscan) where it lands on the LED surfaces, as segments; a run
    breaks where an edge ray misses the wall."""
    if volume is None:
        return np.zeros((0, 2, 3))
    from previs.core.stage import wall_hit

    corners = frustum_corners_dirs(world_from_camera, yfov_rad, aspect, 1.0 + overscan_pct / 100.0)
    ring = []
    for i in range(4):
        a, b = corners[i], corners[(i + 1) % 4]
        for t in np.linspace(0.0, 1.0, per_side, endpoint=False):
            ring.append(a + (b - a) * t)
    ring.append(corners[0])
    dirs = np.array(ring)
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    origin = world_from_camera[:3, 3]
    dist, _ = wall_hit(volume, np.broadcast_to(origin, dirs.shape), dirs)
    ok = np.isfinite(dist)
    pts = origin + dirs * np.where(ok, dist, 0.0)[:, None]
    segs = [(pts[i], pts[i + 1]) for i in range(len(pts) - 1) if ok[i] and ok[i + 1]]
    # Pull the lines a hair towards the camera so they sit on the panels, not behind them.
    out = np.array(segs) if segs else np.zeros((0, 2, 3))
    return origin + (out - origin) * 0.995


def plan_wedge_segments(
    world_from_camera: np.ndarray, hfov_deg: float, reach_m: float = 4.0
) -> np.ndarray:
    """The camera on the plan: its position cross and field-of-view wedge on the floor (y = 0)."""
    p = world_from_camera[:3, 3]
    fwd = -world_from_camera[:3, 2]
    f = np.array([fwd[0], 0.0, fwd[2]])
    n = np.linalg.norm(f)
    f = f / n if n > 1e-6 else np.array([0.0, 0.0, -1.0])
    c = np.array([p[0], 0.0, p[2]])
    half = math.radians(hfov_deg / 2)

    def rot(v, a):
        ca, sa = math.cos(a), math.sin(a)
        return np.array([v[0] * ca + v[2] * sa, 0.0, -v[0] * sa + v[2] * ca])

    left, right = c + rot(f, half) * reach_m, c + rot(f, -half) * reach_m
    r = 0.25
    segs = [
        (c, left),
        (c, right),
        (left, right),
        (c - [r, 0, 0], c + [r, 0, 0]),
        (c - [0, 0, r], c + [0, 0, r]),
        (c, c + f * reach_m * 1.15),
    ]
    return np.array(segs, float)


def plan_clip_from_world(x0: float, z0: float, x1: float, z1: float) -> np.ndarray:
    """Looking straight down: world (x, z) in the rectangle to clip space, +X right, +Z down
    the picture (the plan's own orientation)."""
    m = np.zeros((4, 4))
    m[0, 0], m[0, 3] = 2.0 / (x1 - x0), -1.0 - 2.0 * x0 / (x1 - x0)
    m[1, 2], m[1, 3] = -2.0 / (z1 - z0), 1.0 + 2.0 * z0 / (z1 - z0)
    m[3, 3] = 1.0
    return m


SELECTION_RGB = (1.0, 0.78, 0.1)  # the selection's outline


def _prism(hull_xz: np.ndarray, y0: float, y1: float) -> np.ndarray:
    """Segments of a vertical prism over a closed floor polygon, from y0 to y1."""
    segs = []
    n = len(hull_xz)
    for i in range(n):
        (xa, za), (xb, zb) = hull_xz[i], hull_xz[(i + 1) % n]
        segs += [[xa, y0, za], [xb, y0, zb], [xa, y1, za], [xb, y1, zb], [xa, y0, za], [xa, y1, za]]
    return np.asarray(segs, float)


def _circle(c, r: float, n: int = 24) -> np.ndarray:
    a = np.linspace(0, 2 * np.pi, n, endpoint=False)
    return np.stack([c[0] + r * np.cos(a), c[1] + r * np.sin(a)], 1)


def selection_segments(kind: str, obj) -> list[tuple[np.ndarray, tuple]]:
    """The outline of a selected object: a set piece's footprint raised to its height, a
    character's cylinder, a light's box, a mark's circle on the floor."""
    from previs.view.editing import position_m

    p = position_m(obj)
    if kind == "set_piece" and getattr(obj, "kind", None) != "standin":
        from previs.export.plan_drawing import footprint

        hull, y0, y1 = footprint(obj)
        segs = _prism(np.asarray(hull), y0, y1)
    elif kind in ("character", "set_piece"):
        segs = _prism(_circle(p[[0, 2]], 0.3, 16), p[1], p[1] + obj.height_m)
    elif kind == "light":
        r = 0.25
        sq = np.array([[-r, -r], [r, -r], [r, r], [-r, r]]) + p[[0, 2]]
        segs = _prism(sq, p[1] - r, p[1] + r)
    else:
        segs = _prism(_circle(p[[0, 2]], 0.18, 16), p[1], p[1] + 0.01)
    return [(segs, SELECTION_RGB)]
