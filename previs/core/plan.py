"""The plan's geometry: the stage seen from above, in plan metres, as pure functions over the scene
and its FrameStates (no drawing, no files). The floor plans and the window's plan view draw it.

    geo = plan_geometry(scene, ["3A"])    # walls, cameras (start, end, path), page bounds
    x0_m, z0_m, x1_m, z1_m = geo.bounds_m

**Plan convention.** Metres, seen from above: world +X to the right, world -Z up the page
(upstage), so the stage front (+Z, the open side of the volume) is at the bottom. A plan point is
simply the world ``(x, z)`` of a thing (its height dropped).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from previs.core.frame import FrameState, camera_pose, camera_track, evaluate
from previs.core.scene import Scene, Shot

__all__ = [
    "WALL_THICKNESS_M",
    "FRUSTUM_M",
    "FRUSTUM_MAX_M",
    "TITLE_BLOCK_M",
    "MARGIN_M",
    "PlanCamera",
    "PlanGeometry",
    "plan_geometry",
    "camera_path",
    "wall_outline",
    "wedge",
    "forward_xz",
    "walk_points",
    "hull_xz",
    "path_length",
    "point_at",
    "rotate_xz",
    "unit",
    "Support",
    "camera_supports",
    "Mark",
    "character_marks",
    "offset_polyline",
    "TRACK_MOVES",
    "CRANE_MOVES",
    "TRACK_GAUGE_M",
]

WALL_THICKNESS_M = 0.15
"""Depth drawn behind the LED face: cabinet plus frame."""
FRUSTUM_M = 6.0
"""How far the field-of-view wedge reaches on the scene plan (it stops earlier at the wall)."""
FRUSTUM_MAX_M = 40.0
"""On a single shot's plan the wedge runs to the wall, or this far where it meets none."""
TITLE_BLOCK_M = 4.8
"""Depth of the title block (with the legend) under the plan."""
MARGIN_M = 1.2
"""Room round everything on the plan."""
TRACK_MOVES = ("dolly", "truck", "path", "push_in", "dolly_zoom", "orbit")
"""Moves a grip lays track for (an orbit: curved track round the subject)."""
CRANE_MOVES = ("crane",)
TRACK_GAUGE_M = 0.62
"""Between the rails of standard dolly track (24.5 in)."""
TRACK_OVERRUN_M = 0.4
"""Track laid past each end of the move, for the dolly's wheelbase."""
MARK_SAME_M = 0.05
"""Two marks closer than this are one (a walk that starts where the last one ended)."""


# ---------------------------------------------------------------- plan vectors
def unit(v) -> np.ndarray | None:
    """``v`` normalised, or None when it is (nearly) zero."""
    v = np.asarray(v, dtype=np.float64)
    n = float(np.linalg.norm(v))
    return v / n if n > 1e-9 else None


def rotate_xz(v: np.ndarray, deg: float) -> np.ndarray:
    """Rotate a plan vector; positive turns clockwise on the page (from +X towards +Z)."""
    a = math.radians(deg)
    c, s = math.cos(a), math.sin(a)
    return np.array([c * v[0] - s * v[1], s * v[0] + c * v[1]])


def path_length(pts: np.ndarray) -> float:
    """Length in metres of a plan polyline."""
    return float(np.linalg.norm(np.diff(pts, axis=0), axis=1).sum()) if len(pts) > 1 else 0.0


def point_at(pts: np.ndarray, dist: float) -> tuple[np.ndarray, np.ndarray]:
    """The point ``dist`` metres along a polyline and the direction there."""
    seg = np.diff(pts, axis=0)
    lens = np.linalg.norm(seg, axis=1)
    acc = 0.0
    for i, L in enumerate(lens):
        if L > 1e-12 and acc + L >= dist:
            t = (dist - acc) / L
            return pts[i] + seg[i] * t, seg[i] / L
        acc += L
    nz = np.nonzero(lens > 1e-12)[0]
    d = seg[nz[-1]] / lens[nz[-1]] if len(nz) else np.array([0.0, -1.0])
    return pts[-1], d


def forward_xz(world_from_camera: np.ndarray) -> np.ndarray:
    """The way a camera faces on the plan (a unit (x, z) vector)."""
    f = unit(-world_from_camera[[0, 2], 2])
    if f is None:  # looking straight up or down: the image's top edge points the way it faces
        up = world_from_camera[[0, 2], 1]
        f = unit(up if world_from_camera[1, 2] > 0 else -up)
    return f if f is not None else np.array([0.0, -1.0])


# ---------------------------------------------------------------- the stage and the set
def hull_xz(world_points: np.ndarray) -> tuple[np.ndarray, float, float]:
    """A floor footprint: the convex hull of world points (N, 3) dropped onto the floor
    (counter-clockwise (x, z) points), and their lowest and highest world y."""
    from scipy.spatial import ConvexHull, QhullError

    w = np.asarray(world_points, dtype=np.float64)
    xz = np.unique(np.round(w[:, [0, 2]], 6), axis=0)
    try:
        hull = xz[ConvexHull(xz).vertices]
    except (QhullError, ValueError):  # flat or tiny: its bounding rectangle
        lo, hi = xz.min(axis=0), xz.max(axis=0)
        hull = np.array([[lo[0], lo[1]], [hi[0], lo[1]], [hi[0], hi[1]], [lo[0], hi[1]]])
    return hull, float(w[:, 1].min()), float(w[:, 1].max())


def wall_outline(scene: Scene) -> list[dict]:
    """The wall as built: per section, its lit face (cabinet joints, plan points), the back line
    :data:`WALL_THICKNESS_M` behind it, and the ceiling's corners (a last ``{"ceiling": ...}``)."""
    from previs.core.stage import section_layouts, wall_mesh

    stage = scene.stage
    if stage is None:  # no LED volume: no wall to outline
        return []
    mesh = wall_mesh(stage)
    layouts = section_layouts(stage)
    out = []
    n_sec = len(stage.sections)
    for i, (sec, lay) in enumerate(zip(stage.sections, layouts, strict=False)):
        quads = mesh.positions[mesh.section_index == i].reshape(-1, 4, 3).astype(np.float64)
        normals = mesh.normals[mesh.section_index == i][::4][:, [0, 2]].astype(np.float64)
        front = np.vstack([quads[:, 0, [0, 2]], quads[-1:, 1, [0, 2]]])
        # vertex offsets: mitred, so the back line stays WALL_THICKNESS_M behind every facet
        vn = np.vstack([normals[:1], (normals[:-1] + normals[1:]) / 2.0, normals[-1:]])
        vn = vn / np.maximum(np.einsum("ij,ij->i", vn, vn), 0.1)[:, None]
        back = front - vn * WALL_THICKNESS_M
        out.append(
            {
                "name": sec.name,
                "front": front,
                "back": back,
                "layout": lay,
                "kind": lay.kind,
                "normals": normals,
            }
        )
    ceiling = None
    if stage.ceiling is not None:
        q = mesh.positions[mesh.section_index == n_sec].reshape(-1, 4, 3)[0].astype(np.float64)
        ceiling = {"corners": q[:, [0, 2]], "layout": layouts[-1], "height_m": float(q[0, 1])}
    return out + ([{"ceiling": ceiling}] if ceiling else [])


def wedge(
    scene: Scene, pos3, fwd: np.ndarray, hfov_deg: float, cap_m: float, rays: int = 33
) -> tuple[np.ndarray, np.ndarray]:
    """Plan points of a horizontal field-of-view wedge: the camera, then ``rays`` points across the
    field, each where that horizontal ray meets the wall or at ``cap_m``. Also returns which of the
    rays met the wall before the cap."""
    from previs.core.stage import wall_hit

    half = min(hfov_deg, 179.0) / 2.0
    angles = np.linspace(-half, half, rays)
    dirs = np.array([rotate_xz(fwd, a) for a in angles])
    dist = np.full(rays, cap_m)
    hit = np.zeros(rays, dtype=bool)
    if scene.stage is not None:
        d3 = np.stack([dirs[:, 0], np.zeros(rays), dirs[:, 1]], axis=-1)
        t, _ = wall_hit(scene.stage, np.asarray(pos3, float)[None], d3)
        hit = t < cap_m
        dist = np.where(hit, t, cap_m)
    p = np.asarray(pos3, float)[[0, 2]]
    return np.vstack([p, p + dirs * dist[:, None]]), hit


# ---------------------------------------------------------------- what moves
def walk_points(walk) -> np.ndarray:
    """A stand-in's walk as plan points, one a frame."""
    from previs.core.moves import walk_path

    pos_ch, _ = walk_path(
        walk.points_m,
        walk.start_frame,
        walk.end_frame,
        constant_speed=walk.constant_speed,
        interp=walk.interp,
    )
    f = np.arange(walk.start_frame, walk.end_frame + 1)
    return np.array([np.asarray(pos_ch.evaluate(int(i)), float)[[0, 2]] for i in f])


def camera_path(scene: Scene, shot: Shot) -> np.ndarray:
    """The camera's plan positions at every frame of the shot, ``(length_frames, 2)``."""
    if shot.is_static:
        p = camera_pose(shot)[[0, 2], 3]
        return np.repeat(p[None], max(shot.length_frames, 1), axis=0)
    track = camera_track(scene, shot)
    return np.array([track.sample(f).position_m[[0, 2]] for f in range(max(shot.length_frames, 1))])


@dataclass(frozen=True, eq=False)
class PlanCamera:
    """A shot's camera on the plan: its state at frame 0 and at its last frame, and its path."""

    shot: Shot
    start: FrameState
    end: FrameState
    path: np.ndarray  # (length_frames, 2) plan metres
    last: int  # the last frame


def plan_camera(scene: Scene, shot: Shot) -> PlanCamera:
    last = max(shot.length_frames - 1, 0)
    s0 = evaluate(scene, shot, 0)
    s1 = evaluate(scene, shot, last) if last else s0
    return PlanCamera(shot, s0, s1, camera_path(scene, shot), last)


def offset_polyline(pts: np.ndarray, by_m: float) -> np.ndarray:
    """A plan polyline moved sideways by ``by_m`` (+ = to its right on the page, i.e. clockwise
    of its direction), with mitred vertices: one rail of a track."""
    pts = np.asarray(pts, dtype=np.float64)
    seg = np.diff(pts, axis=0)
    lens = np.linalg.norm(seg, axis=1)
    keep = np.concatenate([[True], lens > 1e-9])
    pts = pts[keep]
    if len(pts) < 2:
        return pts
    seg = np.diff(pts, axis=0)
    d = seg / np.linalg.norm(seg, axis=1)[:, None]
    n = np.stack([-d[:, 1], d[:, 0]], axis=1)  # the page's right of each segment
    vn = np.vstack([n[:1], (n[:-1] + n[1:]) / 2.0, n[-1:]])
    vn = vn / np.maximum(np.einsum("ij,ij->i", vn, vn), 0.25)[:, None]
    return pts + vn * by_m


def _extend(pts: np.ndarray, by_m: float) -> np.ndarray:
    """The polyline with ``by_m`` more at each end, straight on."""
    pts = np.asarray(pts, dtype=np.float64)
    L = path_length(pts)
    if L < 1e-9:
        return pts
    _, d0 = point_at(pts, 0.0)
    _, d1 = point_at(pts, L)
    return np.vstack([pts[:1] - d0 * by_m, pts, pts[-1:] + d1 * by_m])


@dataclass(frozen=True, eq=False)
class Support:
    """What carries the camera through one of a shot's moves, on the plan.

    ``kind`` ``track``: dolly track along ``path`` (the camera's plan path over the move, laid
    :data:`TRACK_OVERRUN_M` past both ends); ``crane``: the arm swings about ``pivot`` (the
    column, plan point) and the camera's plan path over the move is ``path``, at most
    ``reach_m`` from the pivot."""

    shot_id: str
    kind: str  # "track" | "crane"
    move_type: str
    start_frame: int
    end_frame: int
    path: np.ndarray
    pivot: np.ndarray | None = None
    reach_m: float = 0.0

    def laid(self) -> np.ndarray:
        """The track's centre line: the camera's path and the overrun at both ends."""
        return _extend(self.path, TRACK_OVERRUN_M)

    def rails(self) -> tuple[np.ndarray, np.ndarray]:
        """The two rails, :data:`TRACK_GAUGE_M` apart, centred on the camera's path."""
        laid = self.laid()
        return offset_polyline(laid, -TRACK_GAUGE_M / 2), offset_polyline(laid, TRACK_GAUGE_M / 2)

    @property
    def length_m(self) -> float:
        """Track to lay (the move plus the overrun at both ends); the arc for a crane."""
        L = path_length(self.path)
        return L + 2 * TRACK_OVERRUN_M if self.kind == "track" else L


def camera_supports(scene: Scene, shot: Shot, path: np.ndarray | None = None) -> list[Support]:
    """Dolly track for the shot's travelling moves and the crane for its crane moves, in move
    order; a move that leaves the camera where it is (under 1 cm of travel) needs neither."""
    path = camera_path(scene, shot) if path is None else path
    out = []
    for m in shot.moves:
        if m.type not in TRACK_MOVES + CRANE_MOVES:
            continue
        a, b = max(0, m.start_frame), min(m.end_frame, len(path) - 1)
        seg = path[a : b + 1]
        if b <= a or path_length(seg) < 0.01:
            continue
        if m.type in TRACK_MOVES:
            out.append(Support(shot.id, "track", m.type, a, b, seg))
            continue
        if m.params.get("pivot_m") is not None:
            pivot = np.asarray(m.params["pivot_m"], dtype=np.float64)[[0, 2]]
        else:  # the default pivot: the arm's length behind the camera at the move's start
            st = evaluate(scene, shot, a)
            pivot = seg[0] - forward_xz(st.world_from_camera) * float(m.params["arm_length_m"])
        reach = float(np.linalg.norm(seg - pivot, axis=1).max())
        out.append(Support(shot.id, "crane", m.type, a, b, seg, pivot, reach))
    return out


@dataclass(frozen=True, eq=False)
class Mark:
    """A stand-in's floor mark: numbered 1, 2, 3 ... per stand-in in the order they are hit
    over the shots drawn (a walk's start, its turns, its end)."""

    standin: str
    number: int | str  # a named mark's name, else its place in walk order
    point: np.ndarray  # plan metres
    shot_id: str
    frame: int
    kind: str  # "start" | "turn" | "end"


def character_marks(scene: Scene, shot_ids) -> dict[str, tuple[Mark, ...]]:
    """Every character's marks over ``shot_ids`` (in that order), by name: the shot's named floor
    marks as written (``number`` is the mark's name), and for walks through bare points, their
    start, turns and end numbered 1, 2, 3 ... in the order they are hit."""
    out: dict[str, list[Mark]] = {}
    for sid in shot_ids:
        shot = scene.shot(sid)
        named = {m.character for m in shot.marks}
        for fm in shot.marks:
            hit = [w for w in shot.walks if w.standin == fm.character and fm.name in w.marks]
            frame, kind = 0, "mark"
            if hit:
                w = hit[0]
                k = w.marks.index(fm.name)
                kind = "start" if k == 0 else ("end" if k == len(w.marks) - 1 else "turn")
                frame = (
                    w.start_frame
                    if kind == "start"
                    else w.end_frame
                    if kind == "end"
                    else w.start_frame
                    + int(
                        np.argmin(
                            np.linalg.norm(walk_points(w) - np.asarray(fm.point_m)[[0, 2]], axis=1)
                        )
                    )
                )
            out.setdefault(fm.character, []).append(
                Mark(
                    fm.character,
                    fm.name,
                    np.asarray(fm.point_m, dtype=np.float64)[[0, 2]],
                    sid,
                    frame,
                    kind,
                )
            )
        for w in shot.walks:
            if w.standin in named:
                continue
            pts = [np.asarray(p, dtype=np.float64)[[0, 2]] for p in w.points_m]
            marks = out.setdefault(w.standin, [])
            walked = walk_points(w)
            for i, p in enumerate(pts):
                kind = "start" if i == 0 else ("end" if i == len(pts) - 1 else "turn")
                # a turn's frame: when the walk passes nearest that point
                frame = (
                    w.start_frame
                    if kind == "start"
                    else w.end_frame
                    if kind == "end"
                    else w.start_frame + int(np.argmin(np.linalg.norm(walked - p, axis=1)))
                )
                if marks and np.linalg.norm(marks[-1].point - p) < MARK_SAME_M:
                    continue
                marks.append(Mark(w.standin, len(marks) + 1, p, sid, frame, kind))
    return {k: tuple(v) for k, v in out.items()}


# ---------------------------------------------------------------- the page
def page_bounds(scene: Scene, walls, cams) -> tuple[float, float, float, float]:
    """(x0, z0, x1, z1) of the plan area, whole metres: everything on the plan and
    :data:`MARGIN_M` round it (``cams``: every shot's :class:`PlanCamera`)."""
    pts: list[tuple[float, float] | np.ndarray] = []
    if scene.stage is not None:
        w, d = scene.stage.floor_width_m, scene.stage.floor_depth_m
        pts += [(-w / 2, -d / 2), (w / 2, d / 2)]
    for wl in walls:
        if "ceiling" in wl:
            pts += list(wl["ceiling"]["corners"])
        else:
            pts += list(wl["front"]) + list(wl["back"])
    for c in cams:
        pts += list(c.path)
    for lt in scene.lights:
        if lt.type != "directional":
            pts.append(np.asarray(lt.position_m, float)[[0, 2]])
    for p in scene.set_pieces:
        pts.append(p.world_from_local[[0, 2], 3])
    if not pts:
        pts = [(-5.0, -5.0), (5.0, 5.0)]
    a = np.asarray(pts, float)
    lo = np.floor(a.min(axis=0) - MARGIN_M)
    hi = np.ceil(a.max(axis=0) + MARGIN_M)
    return float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1])


@dataclass(frozen=True, eq=False)
class PlanGeometry:
    """What a plan shows, in plan metres: the wall, the chosen shots' cameras and the page."""

    shot_ids: tuple[str, ...]  # the shots drawn
    frustum_m: float  # how far a wedge reaches where it meets no wall
    walls: tuple[dict, ...]  # :func:`wall_outline`
    cameras: dict[str, PlanCamera]  # the shots drawn, by id
    bounds_m: tuple[
        float, float, float, float
    ]  # (x0, z0, x1, z1) of the plan, title block excluded
    supports: dict[str, tuple[Support, ...]] = field(default_factory=dict)  # by shot id
    marks: dict[str, tuple[Mark, ...]] = field(default_factory=dict)  # by stand-in name

    @property
    def single(self) -> bool:
        return len(self.shot_ids) == 1

    @property
    def page_h_m(self) -> float:
        """The page's height: the plan and the title block under it."""
        return self.bounds_m[3] - self.bounds_m[1] + TITLE_BLOCK_M


def plan_geometry(scene: Scene, shot_ids=None, *, frustum_m: float | None = None) -> PlanGeometry:
    """The plan of ``shot_ids`` (None: every shot). The page has the same extent whatever the
    selection, so a shot's plan lines up with the scene's. ``frustum_m``: how far the wedges
    reach where they meet no wall first; default :data:`FRUSTUM_M` on a plan of several shots
    and :data:`FRUSTUM_MAX_M` (to the wall) on a single shot's plan."""
    all_ids = [s.id for s in scene.shots]
    chosen = all_ids if shot_ids is None else [scene.shot(i).id for i in shot_ids]
    cap = frustum_m if frustum_m is not None else (FRUSTUM_MAX_M if len(chosen) == 1 else FRUSTUM_M)
    walls = wall_outline(scene) if scene.stage is not None else []
    cams_all = {s.id: plan_camera(scene, s) for s in scene.shots}
    bounds = page_bounds(scene, walls, cams_all.values())
    supports = {
        i: tuple(camera_supports(scene, cams_all[i].shot, cams_all[i].path)) for i in chosen
    }
    return PlanGeometry(
        tuple(chosen),
        cap,
        tuple(walls),
        {i: cams_all[i] for i in chosen},
        bounds,
        supports,
        character_marks(scene, chosen),
    )
