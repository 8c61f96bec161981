"""Blocking edits as pure functions: the ray under a pixel, where it meets the floor, snapping,
window pixels to plan metres, what the plan shows at a point, and the scene as it looks while an
object is being dragged (a preview: the document is edited once, when the drag ends).

Objects are named by :class:`ObjectRef` (kind, name): kinds ``set_piece``, ``character``,
``light`` and ``mark`` (a shot's floor mark, named ``<character>/<mark>``).
No GL, no glfw: the session and the tests use these directly.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from previs.core.refs import ObjectRef

SNAP_M = 0.05  # Ctrl while dragging: positions on a 5 cm grid
SNAP_DEG = 15.0  # and turns in 15-degree steps
MARK_SEP = "/"
KINDS = ("set_piece", "character", "light", "mark")
PLAN_CHARACTER_R_M = 0.3  # a character's disc on the plan (its symbol is 0.26 m)
PLAN_MARK_R_M = 0.2
PLAN_LIGHT_R_M = 0.35


def mark_ref(character: str, mark) -> ObjectRef:
    return ObjectRef("mark", f"{character}{MARK_SEP}{mark}")


def split_mark(ref: ObjectRef) -> tuple[str, str]:
    character, _, mark = ref.name.rpartition(MARK_SEP)
    return character, mark


# ---------------------------------------------------------------- rays and the floor
def pixel_ray(
    world_from_camera: np.ndarray, yfov_rad: float, aspect: float, u: float, v: float
) -> tuple[np.ndarray, np.ndarray]:
    """The ray (origin, unit direction) through the picture point (``u``, ``v``) in 0..1, u to
    the right and v down (a pinhole camera looking down its -Z, as the renderer projects)."""
    t = math.tan(yfov_rad / 2)
    d_cam = np.array([(2 * u - 1) * t * aspect, (1 - 2 * v) * t, -1.0])
    m = np.asarray(world_from_camera, dtype=np.float64)
    d = m[:3, :3] @ d_cam
    return m[:3, 3].copy(), d / np.linalg.norm(d)


def ray_plane_y(origin, direction, y_m: float) -> np.ndarray | None:
    """Where the ray meets the horizontal plane at height ``y_m``; None when it runs parallel
    to it or the plane is behind the camera."""
    o, d = np.asarray(origin, float), np.asarray(direction, float)
    if abs(d[1]) < 1e-9:
        return None
    t = (y_m - o[1]) / d[1]
    if t <= 0:
        return None
    p = o + t * d
    p[1] = y_m  # exactly on the plane
    return p


def snap(x: float, step: float) -> float:
    """``x`` to the nearest multiple of ``step``."""
    return round(x / step) * step


def snap_xz(p, step_m: float = SNAP_M) -> np.ndarray:
    """A floor point with x and z on the grid (its height kept)."""
    q = np.array(p, dtype=np.float64)
    q[0], q[2] = snap(q[0], step_m), snap(q[2], step_m)
    return q


# ---------------------------------------------------------------- the plan view
def plan_point_m(
    rect: tuple[int, int, int, int], bounds_m, x_px: float, y_px: float
) -> tuple[float, float]:
    """Window pixel (y down) to plan metres (x, z): the plan page ``bounds_m`` = (x0, z0, x1, z1)
    fills ``rect`` (x, y, w, h), world -Z up the page (as :func:`previs.view.gizmos.plan_clip_from_world`)."""
    rx, ry, rw, rh = rect
    x0, z0, x1, z1 = bounds_m
    return x0 + (x_px - rx) / rw * (x1 - x0), z0 + (y_px - ry) / rh * (z1 - z0)


def plan_pixel(rect, bounds_m, x_m: float, z_m: float) -> tuple[float, float]:
    """Plan metres to window pixels (the inverse of :func:`plan_point_m`)."""
    rx, ry, rw, rh = rect
    x0, z0, x1, z1 = bounds_m
    return rx + (x_m - x0) / (x1 - x0) * rw, ry + (z_m - z0) / (z1 - z0) * rh


def _inside(poly: np.ndarray, x: float, z: float) -> bool:
    """Point in polygon (even-odd rule)."""
    inside = False
    n = len(poly)
    for i in range(n):
        (xa, za), (xb, zb) = poly[i], poly[(i + 1) % n]
        if (za > z) != (zb > z) and x < xa + (z - za) * (xb - xa) / (zb - za):
            inside = not inside
    return inside


def _area(poly: np.ndarray) -> float:
    x, z = poly[:, 0], poly[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(z, -1)) - np.dot(z, np.roll(x, -1))))


def plan_pick(scene, shot_id: str, x_m: float, z_m: float) -> ObjectRef | None:
    """What the plan shows at (``x_m``, ``z_m``): a mark, a character, a light's symbol (within
    their symbols' radius, nearest first), else the smallest set piece whose footprint holds
    the point (a pump on its island, not the island)."""
    from previs.export.plan_drawing import footprint

    p = np.array([x_m, z_m])
    best = None
    shot = scene.shot(shot_id)
    for m in shot.marks:
        d = float(np.linalg.norm(np.asarray(m.point_m)[[0, 2]] - p))
        if d <= PLAN_MARK_R_M and (best is None or d < best[0]):
            best = (d, mark_ref(m.character, m.name))
    if best is None:
        for c in scene.characters:
            d = float(np.linalg.norm(c.world_from_local[[0, 2], 3] - p))
            if d <= PLAN_CHARACTER_R_M and (best is None or d < best[0]):
                best = (d, ObjectRef("character", c.name))
    if best is None:
        for lt in scene.lights:
            if lt.type == "directional":
                continue
            d = float(np.linalg.norm(np.asarray(lt.position_m)[[0, 2]] - p))
            if d <= PLAN_LIGHT_R_M and (best is None or d < best[0]):
                best = (d, ObjectRef("light", lt.name))
    if best is not None:
        return best[1]
    hits = []
    for piece in scene.set_pieces:
        if piece.kind == "standin":
            continue
        hull, _, _ = footprint(piece)
        if len(hull) >= 3 and _inside(hull, x_m, z_m):
            hits.append((_area(hull), piece.name))
    return ObjectRef("set_piece", min(hits)[1]) if hits else None


# ---------------------------------------------------------------- objects in a scene
def find(scene, shot_id: str, ref: ObjectRef):
    """The scene object ``ref`` names (a SetPiece, Light or FloorMark), or None."""
    if ref.kind == "set_piece":
        return next(
            (p for p in scene.set_pieces if p.name == ref.name and p.kind != "standin"), None
        )
    if ref.kind == "character":
        return next((p for p in scene.characters if p.name == ref.name), None)
    if ref.kind == "light":
        return next((lt for lt in scene.lights if lt.name == ref.name), None)
    if ref.kind == "mark":
        who, name = split_mark(ref)
        try:
            marks = scene.shot(shot_id).marks
        except Exception:  # the shot is gone
            return None
        return next((m for m in marks if m.character == who and str(m.name) == name), None)
    return None


def names(scene, shot_id: str, kind: str) -> list[str]:
    if kind == "set_piece":
        return [p.name for p in scene.set_pieces if p.kind != "standin"]
    if kind == "character":
        return [p.name for p in scene.characters]
    if kind == "light":
        return [lt.name for lt in scene.lights]
    if kind == "mark":
        return [mark_ref(m.character, m.name).name for m in scene.shot(shot_id).marks]
    return []


def position_m(obj) -> np.ndarray:
    """Where a scene object stands: a piece's origin, a light's position, a mark's floor point."""
    if hasattr(obj, "world_from_local"):
        return np.asarray(obj.world_from_local, float)[:3, 3].copy()
    if hasattr(obj, "point_m"):
        return np.asarray(obj.point_m, float).copy()
    return np.asarray(obj.position_m, float).copy()


def yaw_deg(obj) -> float:
    """A piece's turn about +Y (0 for lights and marks): the ``rotation_deg`` y / ``facing_deg``."""
    if not hasattr(obj, "world_from_local"):
        return 0.0
    m = np.asarray(obj.world_from_local, float)[:3, :3]
    z = m @ np.array([0.0, 0.0, 1.0])  # local +Z, turned by yaw towards +X
    return math.degrees(math.atan2(z[0], z[2]))


def moved_scene(
    scene, shot_id: str, ref: ObjectRef, new_position_m=None, new_yaw_deg: float | None = None
):
    """``scene`` with one object moved to ``new_position_m`` and/or turned to ``new_yaw_deg`` (a
    preview while dragging: no validation, nothing else changes)."""
    from previs.core import transforms as tf

    obj = find(scene, shot_id, ref)
    if obj is None:
        return scene
    pos = position_m(obj) if new_position_m is None else np.asarray(new_position_m, float)
    if ref.kind in ("set_piece", "character"):
        m = np.array(obj.world_from_local, dtype=np.float64)
        if new_yaw_deg is not None:
            turn = tf.rotation_y(new_yaw_deg - yaw_deg(obj))
            m[:3, :3] = turn[:3, :3] @ m[:3, :3]
        m[:3, 3] = pos
        new = replace(obj, world_from_local=m)
        return replace(scene, set_pieces=tuple(new if p is obj else p for p in scene.set_pieces))
    if ref.kind == "light":
        new = replace(obj, position_m=tuple(float(v) for v in pos))
        return replace(scene, lights=tuple(new if lt is obj else lt for lt in scene.lights))
    if ref.kind == "mark":
        shot = scene.shot(shot_id)
        new = replace(obj, point_m=tuple(float(v) for v in pos))
        new_shot = replace(shot, marks=tuple(new if m is obj else m for m in shot.marks))
        return replace(scene, shots=tuple(new_shot if s is shot else s for s in scene.shots))
    return scene


def free_name(taken, base: str) -> str:
    """``base`` if free, else ``base 2``, ``base 3`` ..."""
    taken = set(taken)
    if base not in taken:
        return base
    stem = base.rstrip("0123456789").rstrip() or base
    n = 2
    while f"{stem} {n}" in taken:
        n += 1
    return f"{stem} {n}"
