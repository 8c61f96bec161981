"""Floor plans to scale: the stage seen from above, as SVG and PNG, for the scene and per shot.

    prims = plan_primitives(scene)                 # every shot; or plan_primitives(scene, ["3A"])
    write_svg(prims, "plan.svg", title="Desert Diner - floor plan")
    write_png(prims, "plan.png", title="Desert Diner - floor plan", px_per_m=40)
    export_floorplans(scene, "out/plans")          # plan.svg/png + plan_<shot>.svg/png

**Plan convention.** Metres, seen from above: world +X to the right, world -Z up the page
(upstage), so the stage front (+Z, the open side of the volume) is at the bottom. A plan point is
simply the world ``(x, z)`` of a thing (its height dropped).

**One geometry layer, two backends.** :func:`plan_primitives` computes every line, polygon, circle
and label once, in plan metres (line widths, dashes and text sizes in metres too); :func:`write_svg`
and :func:`write_png` only map them to pixels with the same affine map::

    px = (x_m - x0_m) * px_per_m        py = (z_m - z0_m) * px_per_m

where ``(x0_m, z0_m)`` is the world point at the page's top-left corner (the first primitive, of
kind ``"page"``, holds the page rectangle). The SVG's user unit is one pixel at ``px_per_m``
(default :data:`PX_PER_M` = 40 px/m); the root ``<svg>`` carries ``data-px-per-m``, ``data-x0-m``
and ``data-z0-m`` so a reader can map any coordinate back to metres. The PNG at the same
``px_per_m`` has exactly the viewBox's size (drawn at 2x and downsampled, for anti-aliasing).

Elements a script can find by id in the SVG: ``camera-<shot>`` (a circle at the camera's frame-0
position, with ``data-x-m``/``data-y-m``/``data-z-m``, ``data-hfov-deg``), ``frustum-<shot>``,
``path-<shot>`` (the sampled camera positions, every frame; ``data-length-m``),
``walk-<shot>-<stand-in>``, ``wall-<section>`` (the lit face as built, one vertex per cabinet
column joint), ``ceiling``, ``set-<piece>``, ``standin-<name>``, ``light-<name>``, ``scale-bar``
(``data-length-m``) and ``scale-bar-label``. Ids are the names with anything outside
``[A-Za-z0-9_.-]`` replaced by ``-``.

The title block carries the date: ``date=`` when given, else ``SOURCE_DATE_EPOCH`` when set (for
reproducible builds), else today.
"""

from __future__ import annotations

import datetime as _dt
import io
import math
import os
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from previs.core.scene import Scene, SetPiece, Shot

PX_PER_M = 40.0
"""Pixels per metre of the SVG's user units and of the PNG by default."""
WALL_THICKNESS_M = 0.15
"""Depth drawn behind the LED face: cabinet plus frame."""
FRUSTUM_M = 6.0
"""How far the field-of-view wedge reaches on the scene plan (it stops earlier at the wall)."""
FRUSTUM_MAX_M = 40.0
"""On a single shot's plan the wedge runs to the wall, or this far where it meets none."""
TITLE_BLOCK_M = 3.4
MARGIN_M = 1.2
SUPERSAMPLE = 2

FONT_FAMILY = "Aileron, 'Helvetica Neue', Helvetica, Arial, sans-serif"

RGB = tuple[int, int, int]
INK: RGB = (34, 36, 40)
PAPER: RGB = (255, 255, 255)
FLOOR: RGB = (246, 245, 241)
GRID_MINOR: RGB = (228, 227, 222)
GRID_MAJOR: RGB = (200, 199, 193)
WALL_BODY: RGB = (52, 56, 66)
WALL_FACE: RGB = (64, 180, 245)
CEILING: RGB = (40, 130, 200)
STANDIN: RGB = (120, 48, 140)
MUTED: RGB = (105, 108, 115)
SHOT_COLOURS: tuple[RGB, ...] = (
    (31, 119, 180), (214, 39, 40), (44, 160, 44), (255, 127, 14), (148, 103, 189),
    (140, 86, 75), (227, 119, 194), (188, 170, 20), (57, 59, 121), (0, 140, 130),
    (173, 73, 74), (99, 121, 57),
)
"""Shot colours, assigned by the shot's place in the scene (so a shot keeps its colour on every
plan)."""


# ---------------------------------------------------------------- the geometry layer
@dataclass(frozen=True, eq=False)
class Primitive:
    """One thing to draw, in plan metres (``points`` are world ``(x, z)``; see the module doc).

    ``kind``: ``page`` (points = top-left and bottom-right corners), ``polyline``, ``polygon``,
    ``circle`` (``points[0]`` = centre, ``radius_m``) or ``text`` (``points[0]`` = the anchor:
    ``anchor`` start/middle/end horizontally, vertically centred). Text may contain ``{ppm}``,
    which the backends replace with their pixels per metre.
    """

    kind: str
    points: np.ndarray
    stroke: RGB | None = None
    fill: RGB | None = None
    width_m: float = 0.0
    stroke_alpha: float = 1.0
    fill_alpha: float = 1.0
    dash_m: tuple[float, float] | None = None
    radius_m: float = 0.0
    text: str = ""
    size_m: float = 0.3
    anchor: str = "start"
    bold: bool = False
    halo: bool = False
    layer: str = "misc"
    id: str | None = None
    data: dict = field(default_factory=dict)


def _P(kind, pts, **kw) -> Primitive:
    return Primitive(kind, np.asarray(pts, dtype=np.float64).reshape(-1, 2), **kw)


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", str(name)).strip("-") or "x"


def shot_colour(scene: Scene, shot_id: str) -> RGB:
    ids = [s.id for s in scene.shots]
    return SHOT_COLOURS[ids.index(shot_id) % len(SHOT_COLOURS)]


def _srgb8(linear) -> RGB:
    c = np.clip(np.asarray(linear, dtype=np.float64)[:3], 0.0, None)
    if c.max() > 1.0:
        c = c / c.max()
    s = np.where(c <= 0.0031308, 12.92 * c, 1.055 * np.power(c, 1 / 2.4) - 0.055)
    return tuple(int(round(v * 255)) for v in np.clip(s, 0, 1))


def _mix(a: RGB, b: RGB, t: float) -> RGB:
    return tuple(int(round(x + (y - x) * t)) for x, y in zip(a, b, strict=True))


def _unit(v) -> np.ndarray | None:
    v = np.asarray(v, dtype=np.float64)
    n = float(np.linalg.norm(v))
    return v / n if n > 1e-9 else None


def _rot(v: np.ndarray, deg: float) -> np.ndarray:
    """Rotate a plan vector; positive turns clockwise on the page (from +X towards +Z)."""
    a = math.radians(deg)
    c, s = math.cos(a), math.sin(a)
    return np.array([c * v[0] - s * v[1], s * v[0] + c * v[1]])


def _arrowhead(tip, direction, size: float) -> np.ndarray:
    d = _unit(direction)
    if d is None:
        d = np.array([0.0, -1.0])
    n = np.array([-d[1], d[0]])
    tip = np.asarray(tip, float)
    base = tip - d * size
    return np.array([tip, base + n * size * 0.45, base + d * size * 0.25, base - n * size * 0.45])


def _path_length(pts: np.ndarray) -> float:
    return float(np.linalg.norm(np.diff(pts, axis=0), axis=1).sum()) if len(pts) > 1 else 0.0


def _point_at(pts: np.ndarray, dist: float) -> tuple[np.ndarray, np.ndarray]:
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


# ---------------------------------------------------------------- text metrics and labels
@lru_cache(maxsize=1)
def _metric_font():
    from PIL import ImageFont

    return ImageFont.load_default(size=100)


@lru_cache(maxsize=4096)
def _text_w_em(text: str) -> float:
    return float(_metric_font().getlength(text)) / 100.0


def _text_box(text: str, at, size: float, anchor: str, bold: bool = False
              ) -> tuple[float, float, float, float]:
    w = _text_w_em(text) * size * (1.06 if bold else 1.0)
    x = float(at[0]) - {"start": 0.0, "middle": w / 2, "end": w}[anchor]
    h = size * 1.05
    return (x - 0.12 * size, float(at[1]) - h / 2, x + w + 0.12 * size, float(at[1]) + h / 2)


def _overlap(a, b) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return w * h if w > 0 and h > 0 else 0.0


@dataclass
class _Label:
    text: str
    at: np.ndarray
    clear_m: float
    size_m: float
    colour: RGB
    priority: int
    bold: bool = False
    id: str | None = None
    fixed_anchor: str | None = None  # place exactly here with this anchor (no search)
    inside: bool = False  # try the anchor itself (centred) first


class _Placer:
    """Greedy label placement: each label tries spots round its anchor and takes the first free
    one (else the least crowded), with a leader line when it had to move away."""

    def __init__(self, area):
        self.area = area  # (x0, z0, x1, z1) labels must stay inside
        self.boxes: list[tuple[float, float, float, float]] = []

    def block(self, box) -> None:
        self.boxes.append(box)

    def block_circle(self, c, r: float) -> None:
        self.boxes.append((c[0] - r, c[1] - r, c[0] + r, c[1] + r))

    def _cost(self, box) -> float:
        x0, z0, x1, z1 = self.area
        out = max(0.0, x0 - box[0]) + max(0.0, box[2] - x1) + max(0.0, z0 - box[1]) + max(0.0, box[3] - z1)
        return sum(_overlap(box, b) for b in self.boxes) + 10.0 * out

    def place(self, lab: _Label) -> list[Primitive]:
        s = lab.size_m
        if lab.fixed_anchor:
            box = _text_box(lab.text, lab.at, s, lab.fixed_anchor, lab.bold)
            self.boxes.append(box)
            return [self._text(lab, lab.at, lab.fixed_anchor)]
        best = None
        if lab.inside:
            box = _text_box(lab.text, lab.at, s, "middle", lab.bold)
            if self._cost(box) <= 1e-12:
                self.boxes.append(box)
                return [self._text(lab, lab.at, "middle")]
        for ring in (1.0, 2.2, 3.6):
            g = lab.clear_m * ring + 0.12 * s + (ring - 1.0) * s
            d = g * 0.7071
            cands = [((g, 0.0), "start"), ((-g, 0.0), "end"),
                     ((0.0, -(g + s * 0.45)), "middle"), ((0.0, g + s * 0.45), "middle"),
                     ((d, -(d + s * 0.3)), "start"), ((-d, -(d + s * 0.3)), "end"),
                     ((d, d + s * 0.3), "start"), ((-d, d + s * 0.3), "end")]
            for (dx, dz), anchor in cands:
                at = lab.at + np.array([dx, dz])
                box = _text_box(lab.text, at, s, anchor, lab.bold)
                cost = self._cost(box) + (ring - 1.0) * 0.02
                if best is None or cost < best[0] - 1e-12:
                    best = (cost, at, anchor, box, ring)
                if cost <= 1e-12:
                    break
            if best[0] <= 1e-12:
                break
        _, at, anchor, box, ring = best
        self.boxes.append(box)
        out = []
        if ring > 1.0:  # a leader from the marker's edge to the label
            cx = min(max(lab.at[0], box[0]), box[2])
            cz = min(max(lab.at[1], box[1]), box[3])
            v = _unit(np.array([cx, cz]) - lab.at)
            if v is not None:
                a = lab.at + v * lab.clear_m
                out.append(_P("polyline", [a, (cx, cz)], stroke=lab.colour, width_m=0.015,
                              stroke_alpha=0.7, layer="labels"))
        out.append(self._text(lab, at, anchor))
        return out

    @staticmethod
    def _text(lab: _Label, at, anchor: str) -> Primitive:
        return _P("text", [at], fill=lab.colour, text=lab.text, size_m=lab.size_m, anchor=anchor,
                  bold=lab.bold, halo=True, layer="labels", id=lab.id)


# ---------------------------------------------------------------- scene geometry helpers
def _piece_points_world(piece: SetPiece) -> np.ndarray:
    from previs.io.meshes import load_asset, primitive_asset

    if piece.kind == "mesh":
        asset = load_asset(piece.mesh_path)
    else:
        asset = primitive_asset(piece.kind, size_m=piece.size_m, radius_m=piece.radius_m,
                                height_m=piece.height_m, key=f"plan:{piece.name}")
    v = np.concatenate([np.asarray(p.positions, dtype=np.float64) for p in asset.parts])
    m = piece.world_from_local
    return v @ m[:3, :3].T + m[:3, 3]


def footprint(piece: SetPiece) -> tuple[np.ndarray, float, float]:
    """The piece's floor footprint: the convex hull of its vertices projected on the floor
    (counter-clockwise (x, z) points), and its lowest and highest world y."""
    from scipy.spatial import ConvexHull, QhullError

    w = _piece_points_world(piece)
    xz = np.unique(np.round(w[:, [0, 2]], 6), axis=0)
    try:
        hull = xz[ConvexHull(xz).vertices]
    except (QhullError, ValueError):  # flat or tiny: its bounding rectangle
        lo, hi = xz.min(axis=0), xz.max(axis=0)
        hull = np.array([[lo[0], lo[1]], [hi[0], lo[1]], [hi[0], hi[1]], [lo[0], hi[1]]])
    return hull, float(w[:, 1].min()), float(w[:, 1].max())


def _forward_xz(world_from_camera: np.ndarray) -> np.ndarray:
    f = _unit(-world_from_camera[[0, 2], 2])
    if f is None:  # looking straight up or down: the image's top edge points the way it faces
        up = world_from_camera[[0, 2], 1]
        f = _unit(up if world_from_camera[1, 2] > 0 else -up)
    return f if f is not None else np.array([0.0, -1.0])


def _wedge(scene: Scene, pos3, fwd: np.ndarray, hfov_deg: float, cap_m: float,
           rays: int = 33) -> tuple[np.ndarray, np.ndarray]:
    """Plan points of a horizontal field-of-view wedge: the camera, then ``rays`` points across the
    field, each where that horizontal ray meets the wall or at ``cap_m``. Also returns which of the
    rays met the wall before the cap."""
    from previs.core.stage import wall_hit

    half = min(hfov_deg, 179.0) / 2.0
    angles = np.linspace(-half, half, rays)
    dirs = np.array([_rot(fwd, a) for a in angles])
    dist = np.full(rays, cap_m)
    hit = np.zeros(rays, dtype=bool)
    if scene.stage is not None:
        d3 = np.stack([dirs[:, 0], np.zeros(rays), dirs[:, 1]], axis=-1)
        t, _ = wall_hit(scene.stage, np.asarray(pos3, float)[None], d3)
        hit = t < cap_m
        dist = np.where(hit, t, cap_m)
    p = np.asarray(pos3, float)[[0, 2]]
    return np.vstack([p, p + dirs * dist[:, None]]), hit


def _wall_outline(scene: Scene) -> list[dict]:
    """The wall as built: per section, its lit face (cabinet joints, plan points), the back line
    ``WALL_THICKNESS_M`` behind it, and the ceiling's corners."""
    from previs.core.stage import section_layouts, wall_mesh

    stage = scene.stage
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
        out.append({"name": sec.name, "front": front, "back": back, "layout": lay,
                    "kind": lay.kind, "normals": normals})
    ceiling = None
    if stage.ceiling is not None:
        q = mesh.positions[mesh.section_index == n_sec].reshape(-1, 4, 3)[0].astype(np.float64)
        ceiling = {"corners": q[:, [0, 2]], "layout": layouts[-1], "height_m": float(q[0, 1])}
    return out + ([{"ceiling": ceiling}] if ceiling else [])


def _walk_points(walk) -> np.ndarray:
    from previs.core.moves import walk_path

    pos_ch, _ = walk_path(walk.points_m, walk.start_frame, walk.end_frame,
                          constant_speed=walk.constant_speed, interp=walk.interp)
    f = np.arange(walk.start_frame, walk.end_frame + 1)
    return np.array([np.asarray(pos_ch.evaluate(int(i)), float)[[0, 2]] for i in f])


def camera_path(scene: Scene, shot: Shot) -> np.ndarray:
    """The camera's plan positions at every frame of the shot, ``(length_frames, 2)``."""
    from previs.core.frame import camera_pose, camera_track

    if shot.is_static:
        p = camera_pose(shot)[[0, 2], 3]
        return np.repeat(p[None], max(shot.length_frames, 1), axis=0)
    track = camera_track(scene, shot)
    return np.array([track.sample(f).position_m[[0, 2]] for f in range(max(shot.length_frames, 1))])


def _plan_date(date) -> str:
    if date is not None:
        return date.isoformat() if hasattr(date, "isoformat") else str(date)
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        return _dt.datetime.fromtimestamp(int(epoch), tz=_dt.UTC).date().isoformat()
    return _dt.date.today().isoformat()


def _page_bounds(scene: Scene, walls, cams: dict) -> tuple[float, float, float, float]:
    pts = []
    if scene.stage is not None:
        w, d = scene.stage.floor_width_m, scene.stage.floor_depth_m
        pts += [(-w / 2, -d / 2), (w / 2, d / 2)]
    for wl in walls:
        if "ceiling" in wl:
            pts += list(wl["ceiling"]["corners"])
        else:
            pts += list(wl["front"]) + list(wl["back"])
    for c in cams.values():
        pts += list(c["path"])
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


def _camera_info(scene: Scene, shot: Shot) -> dict:
    from previs.core.frame import evaluate

    last = max(shot.length_frames - 1, 0)
    s0 = evaluate(scene, shot, 0)
    s1 = evaluate(scene, shot, last) if last else s0
    return {"shot": shot, "start": s0, "end": s1, "path": camera_path(scene, shot), "last": last}


# ---------------------------------------------------------------- the plan
def plan_primitives(scene: Scene, shot_ids=None, *, date=None, frustum_m: float | None = None
                    ) -> list[Primitive]:
    """Everything on the plan, in plan metres (world ``(x, z)``), in drawing order.

    ``shot_ids``: the shots whose cameras, frusta, moves and walks to draw (``None``: all). The
    page has the same extent whatever the selection, so a shot's plan lines up with the scene's.
    ``frustum_m``: how far the field-of-view wedges reach when they meet no wall first; default
    :data:`FRUSTUM_M` on a plan of several shots and :data:`FRUSTUM_MAX_M` (to the wall) on a
    single shot's plan.
    """
    all_ids = [s.id for s in scene.shots]
    chosen = all_ids if shot_ids is None else [scene.shot(i).id for i in shot_ids]
    single = len(chosen) == 1
    cap = frustum_m if frustum_m is not None else (FRUSTUM_MAX_M if single else FRUSTUM_M)

    walls = _wall_outline(scene) if scene.stage is not None else []
    cams_all = {s.id: _camera_info(scene, s) for s in scene.shots}
    x0, z0, x1, z1 = _page_bounds(scene, walls, cams_all)
    plan_h = z1 - z0
    page_h = plan_h + TITLE_BLOCK_M
    cams = {i: cams_all[i] for i in chosen}

    P: list[Primitive] = [_P("page", [(x0, z0), (x1, z0 + page_h)], fill=PAPER, layer="page",
                             data={"plan-bottom-m": f"{z1:g}"})]
    labels: list[_Label] = []
    placer = _Placer((x0 + 0.1, z0 + 0.1, x1 - 0.1, z1 - 0.1))

    # -- floor and grid
    if scene.stage is not None:
        fw, fd = scene.stage.floor_width_m, scene.stage.floor_depth_m
        fx0, fz0, fx1, fz1 = -fw / 2, -fd / 2, fw / 2, fd / 2
    else:
        fx0, fz0, fx1, fz1 = x0 + MARGIN_M, z0 + MARGIN_M, x1 - MARGIN_M, z1 - MARGIN_M
    P.append(_P("polygon", [(fx0, fz0), (fx1, fz0), (fx1, fz1), (fx0, fz1)], fill=FLOOR,
                stroke=GRID_MAJOR, width_m=0.03, layer="floor", id="stage-floor"))
    for gx in range(math.ceil(fx0), math.floor(fx1) + 1):
        major = gx % 5 == 0
        P.append(_P("polyline", [(gx, fz0), (gx, fz1)], stroke=GRID_MAJOR if major else GRID_MINOR,
                    width_m=0.03 if major else 0.018, layer="grid"))
        if major:
            labels.append(_Label(f"{gx:+d}".replace("+0", "0"),
                                 np.array([gx, fz0 - 0.32]), 0, 0.26, MUTED, 9, fixed_anchor="middle"))
    for gz in range(math.ceil(fz0), math.floor(fz1) + 1):
        major = gz % 5 == 0
        P.append(_P("polyline", [(fx0, gz), (fx1, gz)], stroke=GRID_MAJOR if major else GRID_MINOR,
                    width_m=0.03 if major else 0.018, layer="grid"))
        if major:
            labels.append(_Label(f"{gz:+d}".replace("+0", "0"),
                                 np.array([fx0 - 0.15, gz]), 0, 0.26, MUTED, 9, fixed_anchor="end"))
    labels.append(_Label("x (m)", np.array([fx1, fz0 - 0.32]), 0, 0.26, MUTED, 9,
                         fixed_anchor="end"))
    labels.append(_Label("z (m)", np.array([fx0 - 0.15, fz0 + 0.5]), 0, 0.26, MUTED, 9,
                         fixed_anchor="end"))
    # the origin
    P.append(_P("polyline", [(-0.3, 0), (0.3, 0)], stroke=MUTED, width_m=0.025, layer="grid"))
    P.append(_P("polyline", [(0, -0.3), (0, 0.3)], stroke=MUTED, width_m=0.025, layer="grid"))
    # the stage front, along the floor's +Z edge
    P.append(_P("polyline", [(fx0, fz1), (fx1, fz1)], stroke=INK, width_m=0.09, layer="floor",
                id="stage-front"))
    for ax in (-fw / 4 if scene.stage else (fx0 + fx1) / 2 - 2, fw / 4 if scene.stage else (fx0 + fx1) / 2 + 2):
        P.append(_P("polygon", _arrowhead((ax, fz1 - 0.12), (0, -1), 0.45), fill=INK, layer="floor"))
    labels.append(_Label("STAGE FRONT (+Z, open side of the volume)", np.array([(fx0 + fx1) / 2, fz1 + 0.42]),
                         0, 0.32, INK, 0, bold=True, fixed_anchor="middle"))

    # -- set pieces (not stand-ins)
    for piece in scene.set_pieces:
        if piece.kind == "standin":
            continue
        hull, ylo, yhi = footprint(piece)
        col = _srgb8(piece.color_linear)
        if piece.kind == "mesh" and tuple(piece.color_linear) in ((0.5, 0.5, 0.5), (1.0, 1.0, 1.0)):
            # no colour given: the mesh keeps its own materials (white is a neutral multiplier)
            col = (170, 160, 145)
        edge = _mix(col, INK, 0.55)
        overhead = ylo > 2.0
        if piece.kind == "plane":
            P.append(_P("polygon", hull, fill=col, fill_alpha=0.22, stroke=_mix(col, INK, 0.3),
                        width_m=0.02, dash_m=(0.3, 0.15), layer="set", id=f"set-{_slug(piece.name)}",
                        data={"name": piece.name}))
            corner = hull[np.argmin(hull[:, 0] + hull[:, 1])]
            labels.append(_Label(piece.name, corner + np.array([0.15, 0.3]), 0, 0.26, _mix(col, INK, 0.6),
                                 8, fixed_anchor="start"))
            continue
        P.append(_P("polygon", hull, fill=col, fill_alpha=0.10 if overhead else 0.45, stroke=edge,
                    width_m=0.035, dash_m=(0.15, 0.1) if overhead else None, layer="set",
                    id=f"set-{_slug(piece.name)}",
                    data={"name": piece.name, "bottom-m": f"{ylo:.3f}", "top-m": f"{yhi:.3f}"}))
        name = piece.name + (f" (overhead, {ylo:.1f} m)" if overhead else "")
        c = hull.mean(axis=0)
        ext = hull.max(axis=0) - hull.min(axis=0)
        if _text_w_em(name) * 0.28 < ext[0] * 0.8 and ext[1] > 0.45:
            labels.append(_Label(name, c, 0.5 * float(min(ext.min(), 1.2)), 0.28, _mix(col, INK, 0.75), 6,
                                 inside=True))
        else:
            r = 0.5 * float(min(ext.max(), 1.2))
            labels.append(_Label(name, c, max(r, 0.2), 0.26, _mix(col, INK, 0.75), 7))

    # -- the LED wall as built, and the ceiling
    for wl in walls:
        if "ceiling" in wl:
            ce = wl["ceiling"]
            P.append(_P("polygon", ce["corners"], stroke=CEILING, width_m=0.04, dash_m=(0.4, 0.2),
                        layer="wall", id="ceiling",
                        data={"height-m": f"{ce['height_m']:g}", "columns": ce["layout"].columns,
                              "rows": ce["layout"].rows}))
            cz = ce["corners"]
            top_left = np.array([cz[:, 0].min(), cz[:, 1].min()])
            lay = ce["layout"]
            labels.append(_Label(f"LED ceiling above, {lay.columns} x {lay.rows} cabinets at "
                                 f"{ce['height_m']:g} m", top_left + np.array([0.15, 0.3]), 0, 0.26,
                                 CEILING, 8, fixed_anchor="start"))
            continue
        front, back, lay = wl["front"], wl["back"], wl["layout"]
        P.append(_P("polygon", np.vstack([front, back[::-1]]), fill=WALL_BODY, layer="wall"))
        for a, b in zip(front[1:-1], back[1:-1], strict=True):  # cabinet joints
            P.append(_P("polyline", [a, b], stroke=(120, 126, 140), width_m=0.015, layer="wall"))
        data = {"section": wl["name"], "kind": lay.kind, "columns": lay.columns, "rows": lay.rows,
                "thickness-m": f"{WALL_THICKNESS_M:g}"}
        sec = next(s for s in scene.stage.sections if s.name == wl["name"])
        if lay.kind == "curved":
            data.update({"center-x-m": f"{sec.center_xz_m[0]:g}", "center-z-m": f"{sec.center_xz_m[1]:g}",
                         "radius-m": f"{sec.radius_m:g}"})
        P.append(_P("polyline", front, stroke=WALL_FACE, width_m=0.06, layer="wall",
                    id=f"wall-{_slug(wl['name'])}", data=data))
        mid = len(front) // 2
        out_n = -wl["normals"][min(mid, len(wl["normals"]) - 1)]
        arc = f", {lay.arc_deg:.1f}\u00b0 arc r {sec.radius_m:g} m" if lay.kind == "curved" else ""
        txt = (f"{wl['name']}: {lay.columns} x {lay.rows} cabinets, "
               f"{lay.width_m:g} x {lay.height_m:g} m{arc}")
        at = front[mid] + out_n * (WALL_THICKNESS_M + 0.4)
        labels.append(_Label(txt, at, 0, 0.3, WALL_BODY, 5,
                             fixed_anchor="middle" if abs(out_n[1]) > 0.7 else ("start" if out_n[0] > 0 else "end")))
        for a, b in zip(front[:-1], back[:-1], strict=True):
            placer.block((min(a[0], b[0]) - 0.05, min(a[1], b[1]) - 0.05, max(a[0], b[0]) + 0.05,
                          max(a[1], b[1]) + 0.05))

    # -- light beams (under everything that moves)
    light_syms: list[Primitive] = []
    for lt in scene.lights:
        col = _srgb8(lt.color_linear)
        edge = _mix(col, INK, 0.6)
        slug = _slug(lt.name)
        d3 = np.asarray(lt.direction, float)
        if lt.type == "directional":
            src = _unit(-d3[[0, 2]])
            if src is None:
                continue
            # sit the symbol inside the page, on the side the light comes from
            cx, cz = (x0 + x1) / 2, (z0 + z1) / 2
            reach = min((x1 - x0), (z1 - z0)) / 2 - 1.8
            c = np.array([cx, cz]) + src * reach
            light_syms += _sun_symbol(c, col, edge, slug, lt)
            tip = c - src * 2.2
            light_syms.append(_P("polyline", [c - src * 0.45, tip - src * 0.3], stroke=edge, width_m=0.05,
                                 layer="lights"))
            light_syms.append(_P("polygon", _arrowhead(tip, -src, 0.4), fill=edge, layer="lights"))
            az = math.degrees(math.atan2(src[0], src[1])) % 360
            el = math.degrees(math.asin(max(-1.0, min(1.0, -d3[1] / max(np.linalg.norm(d3), 1e-9)))))
            labels.append(_Label(f"{lt.name} from {az:.0f}\u00b0, {el:.0f}\u00b0 up, {lt.intensity:g} lx",
                                 c, 0.45, 0.28, edge, 3))
            placer.block_circle(c, 0.45)
            continue
        p = np.asarray(lt.position_m, float)
        c = p[[0, 2]]
        axis = _unit(d3[[0, 2]])
        if lt.type == "spot" and axis is not None:
            horiz = float(np.linalg.norm(d3[[0, 2]]) / max(np.linalg.norm(d3), 1e-9))
            length = 5.0
            if d3[1] < -1e-9:
                length = min(length, max(1.5, -p[1] / d3[1] * np.linalg.norm(d3[[0, 2]])))
            for ang, alpha, dash in ((lt.field_angle_deg, 0.0, (0.2, 0.12)), (lt.beam_angle_deg, 0.07, None)):
                a = math.radians(min(ang, 179.0) / 2)
                half = math.degrees(math.atan(math.tan(a) / max(horiz, 1e-3)))
                half = min(half, 80.0)
                arc = np.array([c + _rot(axis, t) * length for t in np.linspace(-half, half, 17)])
                wedge = np.vstack([c, arc])
                if alpha > 0:
                    P.append(_P("polygon", wedge, fill=_mix(col, (255, 200, 60), 0.35), fill_alpha=alpha,
                                stroke=edge, stroke_alpha=0.55, width_m=0.02, layer="light-beams",
                                id=f"beam-{slug}", data={"beam-deg": f"{lt.beam_angle_deg:g}"}))
                else:
                    P.append(_P("polyline", [arc[0], c, arc[-1]], stroke=edge, stroke_alpha=0.45,
                                width_m=0.018, dash_m=dash, layer="light-beams"))
        light_syms += _light_symbol(lt, c, axis, col, edge, slug)
        kind = {"spot": f"spot {lt.beam_angle_deg:g}/{lt.field_angle_deg:g}\u00b0", "point": "point"}.get(lt.type, lt.type)
        labels.append(_Label(f"{lt.name} ({kind}, h {p[1]:.1f} m)", c, 0.35, 0.26, edge, 3))
        placer.block_circle(c, 0.3)

    # -- cameras: wedges, moves
    cam_syms: list[Primitive] = []
    for sid, info in cams.items():
        shot, s0, s1 = info["shot"], info["start"], info["end"]
        col = shot_colour(scene, sid)
        pos = s0.position_m
        fwd = _forward_xz(s0.world_from_camera)
        wedge, hit = _wedge(scene, pos, fwd, s0.hfov_deg, cap)
        P.append(_P("polygon", wedge, fill=col, fill_alpha=0.05 if not single else 0.12, stroke=col,
                    stroke_alpha=0.75, width_m=0.025, layer="frusta", id=f"frustum-{_slug(sid)}",
                    data={"hfov-deg": f"{s0.hfov_deg:.3f}", "frame": 0}))
        P.append(_P("polyline", [wedge[0], wedge[1 + len(wedge) // 2 - 1]], stroke=col, stroke_alpha=0.6,
                    width_m=0.015, dash_m=(0.12, 0.1), layer="frusta"))
        if single and hit.any():  # where the field of view lands on the wall
            P.append(_P("polyline", wedge[1:][hit], stroke=col, width_m=0.12, layer="frusta",
                        id=f"frustum-on-wall-{_slug(sid)}"))
        path = info["path"]
        moved = _path_length(path) > 0.01
        end_fwd = _forward_xz(s1.world_from_camera)
        turned = abs(math.degrees(math.atan2(fwd[0] * end_fwd[1] - fwd[1] * end_fwd[0],
                                             float(fwd @ end_fwd)))) > 1.0
        zoomed = abs(s1.hfov_deg - s0.hfov_deg) > 0.5
        if moved or turned or zoomed:
            end_wedge, _ = _wedge(scene, s1.position_m, end_fwd, s1.hfov_deg, cap)
            P.append(_P("polygon", end_wedge, stroke=col, stroke_alpha=0.9, width_m=0.025, dash_m=(0.2, 0.12),
                        layer="frusta", id=f"frustum-end-{_slug(sid)}",
                        data={"hfov-deg": f"{s1.hfov_deg:.3f}", "frame": info["last"]}))
        if moved:
            L = _path_length(path)
            P.append(_P("polyline", path, stroke=col, width_m=0.06, layer="paths", id=f"path-{_slug(sid)}",
                        data={"length-m": f"{L:.4f}", "frames": len(path)}))
            cam_syms.append(_P("polygon", _arrowhead(*_point_at(path, L), 0.4), fill=col, layer="paths"))
            if L > 1.5:
                mp, md = _point_at(path, L / 2)
                cam_syms.append(_P("polygon", _arrowhead(mp + md * 0.15, md, 0.3), fill=col, layer="paths"))
            from previs.core.frame import key_frames

            for kf in key_frames(scene, shot):
                if 0 < kf < len(path) - 1 and np.linalg.norm(path[kf] - path[0]) > 0.05 and \
                        np.linalg.norm(path[kf] - path[-1]) > 0.05:
                    cam_syms.append(_P("circle", [path[kf]], radius_m=0.075, fill=PAPER, stroke=col,
                                       width_m=0.03, layer="paths", data={"frame": kf}))
                    labels.append(_Label(f"f{kf}", path[kf], 0.1, 0.22, col, 6))
                    placer.block_circle(path[kf], 0.08)
            cam_syms.append(_P("circle", [path[-1]], radius_m=0.13, fill=PAPER, stroke=col, width_m=0.04,
                               layer="cameras", id=f"camera-end-{_slug(sid)}",
                               data={"frame": info["last"], "x-m": f"{s1.position_m[0]:.4f}",
                                     "z-m": f"{s1.position_m[2]:.4f}"}))
            labels.append(_Label(f"{sid} end f{info['last']}", path[-1], 0.16, 0.24, col, 2))
            placer.block_circle(path[-1], 0.14)
        # the camera itself, at frame 0
        tick = np.asarray(pos[[0, 2]]) + fwd * 0.42
        cam_syms.append(_P("polyline", [pos[[0, 2]], tick], stroke=INK, width_m=0.05, layer="cameras"))
        cam_syms.append(_P("circle", [pos[[0, 2]]], radius_m=0.17, fill=col, stroke=INK, width_m=0.035,
                           layer="cameras", id=f"camera-{_slug(sid)}",
                           data={"shot": sid, "x-m": f"{pos[0]:.4f}", "y-m": f"{pos[1]:.4f}",
                                 "z-m": f"{pos[2]:.4f}", "hfov-deg": f"{s0.hfov_deg:.3f}",
                                 "focal-length-mm": f"{s0.focal_length_mm:g}", "frame": 0}))
        placer.block_circle(pos[[0, 2]], 0.2)
        text = sid if not single else f"{sid} \u00b7 {s0.focal_length_mm:g} mm \u00b7 lens h {pos[1]:.2f} m"
        labels.append(_Label(text, pos[[0, 2]], 0.22, 0.34 if not single else 0.34, _mix(col, INK, 0.25),
                             0, bold=True))

    # -- stand-ins and their walks
    walking = {}
    for sid in chosen:
        for w in scene.shot(sid).walks:
            walking.setdefault(w.standin, []).append((sid, w))
    st_syms: list[Primitive] = []
    for piece in scene.set_pieces:
        if piece.kind != "standin":
            continue
        c = piece.world_from_local[[0, 2], 3]
        face = _unit((piece.world_from_local[:3, :3] @ np.array([0.0, 0.0, 1.0]))[[0, 2]])
        st_syms += _standin_symbol(c, face, STANDIN, f"standin-{_slug(piece.name)}", piece.name)
        placer.block_circle(c, 0.26)
        labels.append(_Label(piece.name, c, 0.28, 0.28, STANDIN, 1, bold=True))
        for sid, w in walking.get(piece.name, ()):
            pts = _walk_points(w)
            L = _path_length(pts)
            P.append(_P("polyline", pts, stroke=STANDIN, width_m=0.04, dash_m=(0.18, 0.1), layer="walks",
                        id=f"walk-{_slug(sid)}-{_slug(piece.name)}",
                        data={"shot": sid, "standin": piece.name, "length-m": f"{L:.4f}",
                              "start-frame": w.start_frame, "end-frame": w.end_frame}))
            n_arrows = max(1, int(L // 1.2))
            for k in range(n_arrows):
                p, d = _point_at(pts, L * (k + 0.5) / n_arrows + 0.12)
                st_syms.append(_P("polygon", _arrowhead(p, d, 0.26), fill=STANDIN, layer="walks"))
            st_syms.append(_P("circle", [pts[0]], radius_m=0.08, fill=STANDIN, layer="walks"))
            end_face = _unit(pts[-1] - pts[-2]) if len(pts) > 1 else face
            st_syms += _standin_symbol(pts[-1], end_face, STANDIN, None, None, ghost=True)
            placer.block_circle(pts[-1], 0.26)
            labels.append(_Label(f"{piece.name} ({sid}) f{w.start_frame}-f{w.end_frame}", pts[-1], 0.3,
                                 0.24, STANDIN, 2))

    P += [p for p in cam_syms if p.layer == "paths"]
    P += light_syms
    P += st_syms
    P += [p for p in cam_syms if p.layer != "paths"]

    # -- labels, most important first
    for lab in sorted(labels, key=lambda lb: lb.priority):
        P += placer.place(lab)

    # -- the title block
    P += _title_block(scene, chosen, single, x0, x1, z1, page_h + z0, _plan_date(date))
    return P


def _sun_symbol(c, col, edge, slug, lt) -> list[Primitive]:
    out = [_P("circle", [c], radius_m=0.28, fill=col, stroke=edge, width_m=0.035, layer="lights",
              id=f"light-{slug}", data={"name": lt.name, "type": lt.type})]
    for k in range(8):
        d = _rot(np.array([1.0, 0.0]), 45 * k)
        out.append(_P("polyline", [c + d * 0.36, c + d * 0.5], stroke=edge, width_m=0.035, layer="lights"))
    return out


def _light_symbol(lt, c, axis, col, edge, slug) -> list[Primitive]:
    data = {"name": lt.name, "type": lt.type, "x-m": f"{c[0]:.4f}", "z-m": f"{c[1]:.4f}",
            "y-m": f"{lt.position_m[1]:.4f}"}
    if lt.type == "spot":
        a = axis if axis is not None else np.array([0.0, -1.0])
        n = np.array([-a[1], a[0]])
        body = np.array([c - a * 0.22 - n * 0.13, c - a * 0.22 + n * 0.13,
                         c + a * 0.16 + n * 0.2, c + a * 0.16 - n * 0.2])
        return [_P("polygon", body, fill=col, stroke=edge, width_m=0.035, layer="lights",
                   id=f"light-{slug}", data=data),
                _P("polyline", [c + a * 0.16 + n * 0.2, c + a * 0.16 - n * 0.2], stroke=edge,
                   width_m=0.07, layer="lights")]
    out = [_P("circle", [c], radius_m=0.17, fill=col, stroke=edge, width_m=0.035, layer="lights",
              id=f"light-{slug}", data=data)]
    for k in range(8):
        d = _rot(np.array([1.0, 0.0]), 45 * k + 22.5)
        out.append(_P("polyline", [c + d * 0.22, c + d * 0.34], stroke=edge, width_m=0.03, layer="lights"))
    return out


def _standin_symbol(c, face, col, pid, name, ghost=False) -> list[Primitive]:
    c = np.asarray(c, float)
    out = [_P("circle", [c], radius_m=0.24, fill=PAPER, fill_alpha=0.0 if ghost else 1.0, stroke=col,
              width_m=0.03 if ghost else 0.045, dash_m=(0.08, 0.06) if ghost else None, layer="standins",
              id=pid, data={} if name is None else {"name": name, "x-m": f"{c[0]:.4f}", "z-m": f"{c[1]:.4f}"})]
    if face is not None:  # the facing tick, out through the rim
        n = np.array([-face[1], face[0]])
        out.append(_P("polyline", [c, c + face * 0.34], stroke=col, width_m=0.05, layer="standins"))
        out.append(_P("polygon", [c + face * 0.46, c + face * 0.3 + n * 0.09, c + face * 0.3 - n * 0.09],
                      fill=col, layer="standins"))
    return out


def _title_block(scene: Scene, chosen, single, x0, x1, zt, zb, date: str) -> list[Primitive]:
    out: list[Primitive] = []
    out.append(_P("polygon", [(x0, zt), (x1, zt), (x1, zb), (x0, zb)], fill=(250, 250, 248), stroke=INK,
                  width_m=0.05, layer="title"))
    out.append(_P("polyline", [(x0, zt), (x1, zt)], stroke=INK, width_m=0.08, layer="title"))

    def text(t, x, z, size, colour=INK, anchor="start", bold=False, pid=None):
        out.append(_P("text", [(x, z)], fill=colour, text=t, size_m=size, anchor=anchor, bold=bold,
                      layer="title", id=pid))

    lx = x0 + 0.5
    text(scene.name, lx, zt + 0.62, 0.55, bold=True)
    if single:
        shot = scene.shot(chosen[0])
        sub = f"Floor plan \u00b7 shot {shot.id} (Sc {shot.scene_number}): {shot.description}"
    else:
        sub = f"Floor plan \u00b7 all shots ({', '.join(chosen)})"
    width_limit = (x1 - x0) - 11.0
    if _text_w_em(sub) * 0.34 > width_limit:
        while _text_w_em(sub + "\u2026") * 0.34 > width_limit and len(sub) > 10:
            sub = sub[:-1]
        sub = sub.rstrip() + "\u2026"
    text(sub, lx, zt + 1.25, 0.34)
    src = scene.source_path.name if scene.source_path else "(no file)"
    from previs import __version__

    text(f"Scale {{ppm}} px = 1 m \u00b7 grid 1 m (bold every 5 m) \u00b7 {date} \u00b7 {src} \u00b7 "
         f"previs {__version__}", lx, zt + 1.8, 0.27, MUTED)
    text("Seen from above: +X to the right, -Z up the page (upstage); the stage front (+Z) at the "
         "bottom.", lx, zt + 2.3, 0.27, MUTED)
    text("Camera dots at frame 0; wedges = horizontal field of view (dashed: last frame); lines = moves "
         "(rings = key frames).", lx, zt + 2.75, 0.27, MUTED)

    # scale bar, bottom right: 5 m in 1 m blocks
    bar_len = 5.0
    bx1 = x1 - 0.8
    bx0 = bx1 - bar_len
    bz = zt + 2.35
    for k in range(int(bar_len)):
        out.append(_P("polygon", [(bx0 + k, bz - 0.12), (bx0 + k + 1, bz - 0.12), (bx0 + k + 1, bz + 0.12),
                                  (bx0 + k, bz + 0.12)], fill=INK if k % 2 == 0 else PAPER, stroke=INK,
                      width_m=0.02, layer="title"))
    out.append(_P("polyline", [(bx0, bz + 0.12), (bx1, bz + 0.12)], stroke=INK, width_m=0.03, layer="title",
                  id="scale-bar", data={"length-m": f"{bar_len:g}"}))
    for k in range(int(bar_len) + 1):
        text(f"{k}", bx0 + k, bz - 0.42, 0.22, MUTED, "middle")
    text(f"{bar_len:g} m", bx1 + 0.15, bz, 0.3, INK, "start", True, "scale-bar-label")
    text("{ppm} px/m", bx0 - 0.2, bz, 0.24, MUTED, "end")

    # orientation arrow: -Z (upstage) up the page, +X right
    ox, oz = x1 - 9.2, zt + 2.7
    out.append(_P("polyline", [(ox, oz), (ox, oz - 1.5)], stroke=INK, width_m=0.05, layer="title"))
    out.append(_P("polygon", _arrowhead((ox, oz - 1.85), (0, -1), 0.4), fill=INK, layer="title"))
    out.append(_P("polyline", [(ox, oz), (ox + 1.1, oz)], stroke=INK, width_m=0.05, layer="title"))
    out.append(_P("polygon", _arrowhead((ox + 1.45, oz), (1, 0), 0.35), fill=INK, layer="title"))
    text("-Z upstage", ox + 0.28, oz - 1.7, 0.24, INK)
    text("+X", ox + 1.6, oz, 0.24, INK)
    return out


# ---------------------------------------------------------------- backends
def _page(prims) -> tuple[float, float, float, float]:
    for p in prims:
        if p.kind == "page":
            (x0, z0), (x1, z1) = p.points
            return float(x0), float(z0), float(x1), float(z1)
    pts = np.vstack([p.points for p in prims if len(p.points)])
    lo, hi = pts.min(axis=0) - 1.0, pts.max(axis=0) + 1.0
    return float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1])


def page_size_px(prims, px_per_m: float = PX_PER_M) -> tuple[int, int]:
    """The image size (width, height) the page has at ``px_per_m``."""
    x0, z0, x1, z1 = _page(prims)
    return int(round((x1 - x0) * px_per_m)), int(round((z1 - z0) * px_per_m))


def _hex(c: RGB) -> str:
    return "#{:02x}{:02x}{:02x}".format(*c)


def _f(v: float) -> str:
    s = f"{v:.3f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def svg_bytes(prims, *, title: str, px_per_m: float = PX_PER_M) -> bytes:
    x0, z0, x1, z1 = _page(prims)
    w, h = page_size_px(prims, px_per_m)
    S = float(px_per_m)
    root = ET.Element("svg", {
        "xmlns": "http://www.w3.org/2000/svg", "version": "1.1",
        "width": f"{w}", "height": f"{h}", "viewBox": f"0 0 {w} {h}",
        "data-px-per-m": _f(S), "data-x0-m": _f(x0), "data-z0-m": _f(z0),
        "data-convention": "plan from above: x_px = (x_m - x0_m) * px_per_m, y_px = (z_m - z0_m) * "
                           "px_per_m; +X right, -Z up the page, stage front (+Z) at the bottom",
        "font-family": FONT_FAMILY,
    })
    ET.SubElement(root, "title").text = title
    ET.SubElement(root, "desc").text = ("Floor plan to scale, metres; one SVG unit = one pixel at "
                                        f"{S:g} px/m. Made by previs.")

    def xy(p) -> tuple[float, float]:
        return (p[0] - x0) * S, (p[1] - z0) * S

    g, g_layer = None, None
    for p in prims:  # one <g> per run of a layer, so the SVG paints in the PNG's order
        if g is None or p.layer != g_layer:
            g, g_layer = ET.SubElement(root, "g", {"class": f"layer-{p.layer}"}), p.layer
        a: dict[str, str] = {}
        if p.id:
            a["id"] = p.id
        for k, v in p.data.items():
            a[f"data-{k}"] = str(v)
        if p.kind in ("polyline", "polygon", "circle"):
            a["fill"] = _hex(p.fill) if p.fill is not None and p.kind != "polyline" else "none"
            if p.fill is not None and p.fill_alpha < 1.0:
                a["fill-opacity"] = _f(p.fill_alpha)
            if p.stroke is not None and p.width_m > 0:
                a["stroke"] = _hex(p.stroke)
                a["stroke-width"] = _f(p.width_m * S)
                a["stroke-linejoin"] = "round"
                a["stroke-linecap"] = "round" if not p.dash_m else "butt"
                if p.stroke_alpha < 1.0:
                    a["stroke-opacity"] = _f(p.stroke_alpha)
                if p.dash_m:
                    a["stroke-dasharray"] = f"{_f(p.dash_m[0] * S)} {_f(p.dash_m[1] * S)}"
        if p.kind == "page":
            (px, py), (qx, qy) = xy(p.points[0]), xy(p.points[1])
            ET.SubElement(g, "rect", {"x": _f(px), "y": _f(py), "width": _f(qx - px), "height": _f(qy - py),
                                      "fill": _hex(p.fill or PAPER)})
        elif p.kind in ("polyline", "polygon"):
            a["points"] = " ".join(f"{_f(u)},{_f(v)}" for u, v in (xy(q) for q in p.points))
            ET.SubElement(g, p.kind, a)
        elif p.kind == "circle":
            cx, cy = xy(p.points[0])
            a.update({"cx": _f(cx), "cy": _f(cy), "r": _f(p.radius_m * S)})
            ET.SubElement(g, "circle", a)
        elif p.kind == "text":
            tx, ty = xy(p.points[0])
            a.update({"x": _f(tx), "y": _f(ty), "font-size": _f(p.size_m * S), "text-anchor": p.anchor,
                      "dominant-baseline": "central", "fill": _hex(p.fill or INK)})
            if p.bold:
                a["font-weight"] = "bold"
            if p.halo:
                a.update({"stroke": "#ffffff", "stroke-width": _f(p.size_m * S * 0.22),
                          "stroke-linejoin": "round", "paint-order": "stroke"})
            ET.SubElement(g, "text", a).text = p.text.replace("{ppm}", f"{S:g}")
    ET.indent(root, space=" ")
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8") + b"\n"


def write_svg(prims, path, *, title: str, px_per_m: float = PX_PER_M) -> Path:
    """Write the plan as SVG (one user unit = one pixel at ``px_per_m``), atomically."""
    from previs.export.atomic import write_atomic

    write_atomic(path, svg_bytes(prims, title=title, px_per_m=px_per_m))
    return Path(path)


_PNG_GLYPHS = str.maketrans({"\u2212": "-", "\u2013": "-", "\u2014": "-", "\u00d7": "x",
                             "\u2192": ">", "\u2018": "'", "\u2019": "'", "\u201c": '"',
                             "\u201d": '"'})
"""Characters the PNG's built-in font lacks, and what to draw instead."""


@lru_cache(maxsize=64)
def _font(px: int):
    from PIL import ImageFont

    return ImageFont.load_default(size=max(4, px))


def _dashes(pts: np.ndarray, on: float, off: float) -> list[np.ndarray]:
    out, cur, pos, drawing = [], [pts[0]], 0.0, True
    period_left = on
    for a, b in zip(pts[:-1], pts[1:], strict=True):
        seg = b - a
        L = float(np.linalg.norm(seg))
        t = 0.0
        while L - t > 1e-12:
            step = min(period_left, L - t)
            t += step
            p = a + seg * (t / L)
            if drawing:
                cur.append(p)
            period_left -= step
            if period_left <= 1e-12:
                if drawing:
                    out.append(np.array(cur))
                drawing = not drawing
                period_left = on if drawing else off
                cur = [p]
        pos += L
    if drawing and len(cur) > 1:
        out.append(np.array(cur))
    return out


def png_image(prims, *, px_per_m: float = PX_PER_M):
    """The plan as a PIL RGB image, ``page_size_px(prims, px_per_m)`` pixels."""
    from PIL import Image, ImageDraw

    x0, z0, x1, z1 = _page(prims)
    w, h = page_size_px(prims, px_per_m)
    ss = SUPERSAMPLE
    S = float(px_per_m) * ss
    img = Image.new("RGB", (w * ss, h * ss), PAPER)
    d = ImageDraw.Draw(img, "RGBA")

    def xy(pts) -> list[tuple[float, float]]:
        return [((p[0] - x0) * S, (p[1] - z0) * S) for p in pts]

    def rgba(c: RGB, a: float) -> tuple[int, int, int, int]:
        return (*c, int(round(255 * a)))

    def lw(width_m: float) -> int:
        return max(1, int(round(width_m * S)))

    def stroke(pts, p: Primitive, closed: bool) -> None:
        if p.stroke is None or p.width_m <= 0 or len(pts) < 2:
            return
        pts = np.asarray(pts, float)
        if closed:
            pts = np.vstack([pts, pts[:1]])
        runs = _dashes(pts, *p.dash_m) if p.dash_m else [pts]
        col = rgba(p.stroke, p.stroke_alpha)
        width = lw(p.width_m)
        for run in runs:
            q = xy(run)
            if len(q) >= 2:
                d.line(q, fill=col, width=width, joint="curve" if len(q) > 2 else None)
                if not p.dash_m and width > 2 and not closed:  # round caps
                    r = width / 2
                    for e in (q[0], q[-1]):
                        d.ellipse([e[0] - r, e[1] - r, e[0] + r, e[1] + r], fill=col)

    for p in prims:
        if p.kind == "page":
            (ax, ay), (bx, by) = xy(p.points)
            d.rectangle([ax, ay, bx, by], fill=p.fill or PAPER)
        elif p.kind == "polyline":
            stroke(p.points, p, closed=False)
        elif p.kind == "polygon":
            if p.fill is not None and p.fill_alpha > 0:
                d.polygon(xy(p.points), fill=rgba(p.fill, p.fill_alpha))
            stroke(p.points, p, closed=True)
        elif p.kind == "circle":
            (cx, cy), = xy(p.points)
            r = p.radius_m * S
            if p.fill is not None and p.fill_alpha > 0:
                d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=rgba(p.fill, p.fill_alpha))
            if p.stroke is not None and p.width_m > 0:
                if p.dash_m:
                    ang = np.linspace(0, 2 * np.pi, 73)
                    ring = p.points[0] + p.radius_m * np.stack([np.cos(ang), np.sin(ang)], axis=1)
                    stroke(ring, p, closed=False)
                else:
                    wpx = lw(p.width_m)
                    d.ellipse([cx - r - wpx / 2, cy - r - wpx / 2, cx + r + wpx / 2, cy + r + wpx / 2],
                              outline=rgba(p.stroke, p.stroke_alpha), width=wpx)
        elif p.kind == "text":
            (tx, ty), = xy(p.points)
            size = int(round(p.size_m * S))
            font = _font(size)
            text = p.text.replace("{ppm}", f"{float(px_per_m):g}").translate(_PNG_GLYPHS)
            anchor = {"start": "lm", "middle": "mm", "end": "rm"}[p.anchor]
            kw = {}
            if p.halo:
                kw = {"stroke_width": max(1, int(round(size * 0.11))), "stroke_fill": PAPER}
            elif p.bold:
                kw = {"stroke_width": max(1, int(round(size * 0.03))), "stroke_fill": p.fill or INK}
            d.text((tx, ty), text, fill=p.fill or INK, font=font, anchor=anchor, **kw)
            if p.halo and p.bold:  # embolden on top of the halo
                d.text((tx, ty), text, fill=p.fill or INK, font=font, anchor=anchor,
                       stroke_width=max(1, int(round(size * 0.03))), stroke_fill=p.fill or INK)
    return img.resize((w, h), Image.Resampling.BOX)


def write_png(prims, path, *, title: str, px_per_m: float = PX_PER_M) -> Path:
    """Write the plan as PNG at ``px_per_m`` (anti-aliased: drawn at 2x, downsampled), atomically."""
    from PIL import PngImagePlugin

    from previs.export.atomic import write_atomic

    img = png_image(prims, px_per_m=px_per_m)
    info = PngImagePlugin.PngInfo()
    info.add_text("Title", title)
    info.add_text("Software", "previs")
    buf = io.BytesIO()
    img.save(buf, format="PNG", pnginfo=info)
    write_atomic(path, buf.getvalue())
    return Path(path)


def export_floorplans(scene: Scene, out_dir, *, px_per_m: float = PX_PER_M, date=None,
                      shot_ids=None) -> list[Path]:
    """``<out>/plan.svg`` and ``plan.png`` (every shot), then ``plan_<shot>.svg``/``.png`` for each
    shot (or the ones in ``shot_ids``), each written atomically. Returns the paths written."""
    out = Path(out_dir)
    written: list[Path] = []
    ids = [s.id for s in scene.shots] if shot_ids is None else [scene.shot(i).id for i in shot_ids]
    jobs = [("plan", None, f"{scene.name} \u2013 floor plan")]
    jobs += [(f"plan_{_slug(i)}", [i], f"{scene.name} \u2013 floor plan, shot {i}") for i in ids]
    for stem, sel, title in jobs:
        prims = plan_primitives(scene, sel, date=date)
        written.append(write_svg(prims, out / f"{stem}.svg", title=title, px_per_m=px_per_m))
        written.append(write_png(prims, out / f"{stem}.png", title=title, px_per_m=px_per_m))
    return written
