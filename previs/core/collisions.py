"""Tape measure and collisions: distances a crew measures, bodies in the set, stands in frame.

Pure numpy over plain data (no GL, no files); ``previs check`` reports what :func:`overlaps` and
:func:`stands_in_frame` find per shot, the window shows :func:`tape` live for the selection.

* **Tape**: :func:`distance_m` between two points; :func:`lens_to_subject_m` from the lens (the
  camera's position, its entrance pupil) to a stand-in's eyes; :func:`subject_to_wall_m`, the
  nearest LED panel to the stand-in at eye height, and :func:`wall_behind_m`, how far behind the
  stand-in the camera's line through its eyes meets the wall (what the wall's defocus and the
  spill on it depend on).
* **Bodies**: a stand-in's footprint is a vertical cylinder of radius :data:`BODY_RADIUS_M` (for
  1.75 m, scaled with stature: a torso's half-depth and half-width; arms are free to pass), from
  the floor to its height. Two stand-ins overlap when their footprints do. A stand-in overlaps a
  box or cylinder when its axis, sampled every 5 cm, comes within the body radius of the piece
  (the piece's own axes, so a turned box is exact); a mesh, when a point of its axis lies inside
  the mesh's closed surface (``solids`` from ``previs.check.set_solids``) or, without triangles,
  inside its bounding box. The seat a stand-in sits on (its ``seat``) and the floor planes never
  count.
* **Stands in frame**: a point or spot light's head, and its stand (a vertical line from the
  floor to the head), projected through the camera inside the delivered frame lines at a frame.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from previs.core.scene import Light, Scene, SetPiece

BODY_RADIUS_M = 0.15
"""A 1.75 m stand-in's footprint radius (scaled with height)."""
EYE_FRACTION = 0.935
AXIS_STEP_M = 0.05
STAND_SAMPLES = 12  # points along a light stand tested for the frame


# ---------------------------------------------------------------- tape
def distance_m(a, b) -> float:
    return float(np.linalg.norm(np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)))


def eye_point(piece: SetPiece, pose: np.ndarray | None = None) -> np.ndarray:
    m = np.asarray(piece.world_from_local if pose is None else pose, dtype=np.float64)
    return m[:3, :3] @ np.array([0.0, EYE_FRACTION * piece.height_m, 0.0]) + m[:3, 3]


def lens_to_subject_m(state, piece: SetPiece) -> float:
    """From the lens to the stand-in's eyes (its walk pose at the state's frame)."""
    return distance_m(state.position_m, eye_point(piece, (state.poses or {}).get(piece.name)))


def subject_to_wall_m(volume, point_m, directions: int = 72) -> float:
    """The nearest LED panel to a point, along level rays all round (inf with no wall)."""
    from previs.core.stage import wall_hit

    az = np.linspace(0.0, 2.0 * math.pi, directions, endpoint=False)
    dirs = np.stack([np.sin(az), np.zeros_like(az), np.cos(az)], axis=-1)
    dist, _ = wall_hit(volume, np.asarray(point_m, dtype=np.float64), dirs)
    return float(np.min(dist))


def wall_behind_m(volume, camera_m, point_m) -> float:
    """How far behind the point the camera's line through it meets the wall (inf: it misses)."""
    from previs.core.stage import wall_hit

    p = np.asarray(point_m, dtype=np.float64)
    d = p - np.asarray(camera_m, dtype=np.float64)
    dist, _ = wall_hit(volume, p, d / max(float(np.linalg.norm(d)), 1e-12))
    return float(dist)


@dataclass(frozen=True)
class Tape:
    """The distances shown live for a selected stand-in."""

    subject: str
    lens_to_subject_m: float
    subject_to_wall_m: float | None  # None: no stage
    wall_behind_m: float | None


def tape(scene: Scene, state, name: str) -> Tape:
    piece = _standin(scene, name)
    eye = eye_point(piece, (state.poses or {}).get(name))
    lens = distance_m(state.position_m, eye)
    if scene.stage is None:
        return Tape(name, lens, None, None)
    return Tape(
        name,
        lens,
        subject_to_wall_m(scene.stage, eye),
        wall_behind_m(scene.stage, state.position_m, eye),
    )


def _standin(scene: Scene, name: str) -> SetPiece:
    for p in scene.set_pieces:
        if p.name == name and p.kind == "standin":
            return p
    raise KeyError(f"no stand-in '{name}'")


# ---------------------------------------------------------------- bodies
def body_radius_m(piece: SetPiece) -> float:
    return BODY_RADIUS_M * piece.height_m / 1.75


def _axis_points(piece: SetPiece, pose: np.ndarray | None) -> np.ndarray:
    m = np.asarray(piece.world_from_local if pose is None else pose, dtype=np.float64)
    n = max(2, int(piece.height_m / AXIS_STEP_M) + 1)
    local = np.c_[np.zeros(n), np.linspace(0.1, piece.height_m, n), np.zeros(n)]
    return local @ m[:3, :3].T + m[:3, 3]


def _nearest_on_primitive(piece: SetPiece, pts: np.ndarray) -> np.ndarray | None:
    """World points of the box or cylinder nearest to each point (its own axes), or None."""
    m = piece.world_from_local
    inv = np.linalg.inv(m)
    local = pts @ inv[:3, :3].T + inv[:3, 3]
    if piece.kind == "box":
        sx, sy, sz = piece.size_m
        near = np.clip(local, [-sx / 2, 0.0, -sz / 2], [sx / 2, sy, sz / 2])
    elif piece.kind == "cylinder":
        r = np.hypot(local[:, 0], local[:, 2])
        k = np.minimum(1.0, piece.radius_m / np.maximum(r, 1e-12))[:, None]
        near = np.c_[
            local[:, 0:1] * k, np.clip(local[:, 1], 0.0, piece.height_m), local[:, 2:3] * k
        ]
    else:
        return None
    return near @ m[:3, :3].T + m[:3, 3]


def _inside_solid(solid, pts: np.ndarray) -> bool:
    lo, hi = np.asarray(solid.lo), np.asarray(solid.hi)
    inside = np.all((pts >= lo) & (pts <= hi), axis=1)
    if not inside.any():
        return False
    tris = getattr(solid, "triangles", None)
    if tris is None:
        return True
    return any(inside_mesh(tris, p) for p in pts[inside][::4])


def ray_crossings(tris: np.ndarray, origin: np.ndarray, direction: np.ndarray) -> int:
    """Triangles a ray crosses (Moller-Trumbore, vectorised)."""
    a, e1, e2 = tris[:, 0], tris[:, 1] - tris[:, 0], tris[:, 2] - tris[:, 0]
    pv = np.cross(direction, e2)
    det = np.einsum("ij,ij->i", e1, pv)
    ok = np.abs(det) > 1e-12
    inv = np.where(ok, 1.0 / np.where(ok, det, 1.0), 0.0)
    tv = origin - a
    u = np.einsum("ij,ij->i", tv, pv) * inv
    qv = np.cross(tv, e1)
    v = (qv @ direction) * inv
    t = np.einsum("ij,ij->i", e2, qv) * inv
    return int(np.sum(ok & (u >= 0) & (v >= 0) & (u + v <= 1) & (t > 1e-9)))


def inside_mesh(tris: np.ndarray, p: np.ndarray) -> bool:
    """Inside a closed surface: odd crossings along at least two of three skewed rays."""
    rays = np.array([[1.0, 0.013, 0.007], [0.011, 1.0, 0.019], [0.017, 0.009, 1.0]])
    return sum(ray_crossings(tris, p, d / np.linalg.norm(d)) % 2 for d in rays) >= 2


@dataclass(frozen=True)
class Overlap:
    """Two things in the same place: a stand-in and a set piece or another stand-in."""

    standin: str
    other: str
    other_is_standin: bool
    depth_m: float  # how far they interpenetrate (0 where only a mesh's inside test tells)


def overlaps(
    scene: Scene,
    poses: Mapping[str, np.ndarray] | None = None,
    *,
    solids: Iterable = (),
    seats: Mapping[str, str] | None = None,
) -> list[Overlap]:
    """Stand-ins overlapping set pieces or each other (the module notes). ``poses``: world
    matrices of walking stand-ins at this frame; ``solids``: meshes' bounds and triangles by name
    (``previs.check.set_solids``); ``seats``: stand-in -> the piece it sits on (also read from a
    stand-in's own ``seat``)."""
    poses = poses or {}
    seats = dict(seats or {})
    by_name = {s.name: s for s in solids}
    standins = [p for p in scene.set_pieces if p.kind == "standin"]
    for p in standins:
        seat = getattr(p, "seat", None)
        if seat and p.name not in seats:
            seats[p.name] = seat
    out: list[Overlap] = []
    for i, a in enumerate(standins):
        pa = poses.get(a.name)
        ma = np.asarray(a.world_from_local if pa is None else pa, dtype=np.float64)
        ra = body_radius_m(a)
        pts = _axis_points(a, pa)
        for b in standins[i + 1 :]:
            pb = poses.get(b.name)
            mb = np.asarray(b.world_from_local if pb is None else pb, dtype=np.float64)
            gap = math.hypot(ma[0, 3] - mb[0, 3], ma[2, 3] - mb[2, 3])
            depth = ra + body_radius_m(b) - gap
            if depth > 0:
                out.append(Overlap(a.name, b.name, True, depth))
        for piece in scene.set_pieces:
            if piece.kind in ("standin", "plane") or piece.name == seats.get(a.name):
                continue
            near = _nearest_on_primitive(piece, pts)
            if near is not None:
                depth = ra - float(np.min(np.linalg.norm(pts - near, axis=1)))
                if depth > 0:
                    out.append(Overlap(a.name, piece.name, False, depth))
            elif piece.name in by_name and _inside_solid(by_name[piece.name], pts):
                out.append(Overlap(a.name, piece.name, False, 0.0))
    return out


# ---------------------------------------------------------------- stands in frame
def _in_frame(state, pts: np.ndarray) -> np.ndarray:
    from previs.core.analysis import frame_half_extents

    cfw = np.linalg.inv(state.world_from_camera)
    c = pts @ cfw[:3, :3].T + cfw[:3, 3]
    depth = -c[:, 2]
    tan_y = math.tan(state.yfov_rad / 2)
    hx, hy = frame_half_extents(state.image_aspect, state.delivery_aspect)
    with np.errstate(divide="ignore", invalid="ignore"):
        x = c[:, 0] / depth / (tan_y * state.image_aspect)
        y = c[:, 1] / depth / tan_y
    return (depth > state.near_m) & (np.abs(x) <= hx) & (np.abs(y) <= hy)


def light_in_frame(state, light: Light) -> str | None:
    """``"head"`` when the light's head is inside the frame lines, ``"stand"`` when only its
    stand is, else None (directional lights have neither)."""
    if light.type == "directional":
        return None
    head = np.asarray(light.position_m, dtype=np.float64)
    if _in_frame(state, head[None])[0]:
        return "head"
    if head[1] <= 0:
        return None
    stand = np.c_[
        np.full(STAND_SAMPLES, head[0]),
        np.linspace(0.0, head[1], STAND_SAMPLES),
        np.full(STAND_SAMPLES, head[2]),
    ]
    return "stand" if _in_frame(state, stand).any() else None


def stands_in_frame(state, lights: Iterable[Light] | None = None) -> dict[str, str]:
    """{light name: "head" | "stand"} for the lights seen at a frame."""
    out = {}
    for lt in state.lights if lights is None else lights:
        seen = light_in_frame(state, lt)
        if seen:
            out[lt.name] = seen
    return out
