"""Drawing the plan: primitives in plan metres, made layer by layer from the plan's geometry
(:func:`previs.core.plan.plan_geometry`), and two backends that map them to pixels (SVG, PNG).
Shared by the floor-plan export (:mod:`previs.export.floorplan`, whose notes describe the page)
and the window's plan view.

    prims = plan_primitives(scene, ["3A"])        # or plan_primitives(scene, geometry=geo)
    image = png_image(prims, px_per_m=PX_PER_M)   # PIL RGB
    svg = svg_bytes(prims, title="Desert Diner - floor plan")

Layers, in drawing order: the floor and its grid, set pieces, the wall, light beams, each shot's
camera (field of view, path, the camera), stand-ins and walks, then the symbols over them, the
labels (placed greedily, most important first) and the title block.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field, replace
from functools import lru_cache

import numpy as np

from previs.core.colour import linear_to_srgb
from previs.core.figure import CHARACTER_COLOURS_SRGB8, character_colours_srgb8
from previs.core.frame import key_frames
from previs.core.plan import (
    FRUSTUM_M,
    FRUSTUM_MAX_M,
    MARGIN_M,
    TITLE_BLOCK_M,
    TRACK_GAUGE_M,
    WALL_THICKNESS_M,
    PlanCamera,
    PlanGeometry,
    Support,
    forward_xz,
    hull_xz,
    path_length,
    plan_geometry,
    point_at,
    rotate_xz,
    unit,
    walk_points,
    wedge,
)
from previs.core.scene import Scene, SetPiece
from previs.export.paper import build_date

__all__ = [
    "Primitive",
    "plan_primitives",
    "footprint",
    "shot_colour",
    "standin_colours",
    "CHARACTER_COLOURS",
    "svg_bytes",
    "png_image",
    "page_size_px",
    "PX_PER_M",
    "FRUSTUM_M",
    "FRUSTUM_MAX_M",
    "TITLE_BLOCK_M",
    "WALL_THICKNESS_M",
]

PX_PER_M = 40.0
"""Pixels per metre of the SVG's user units and of the PNG by default."""
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
    (31, 119, 180),
    (214, 39, 40),
    (44, 160, 44),
    (255, 127, 14),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (188, 170, 20),
    (57, 59, 121),
    (0, 140, 130),
    (173, 73, 74),
    (99, 121, 57),
)
"""Shot colours, assigned by the shot's place in the scene (so a shot keeps its colour on every
plan)."""
CHARACTER_COLOURS: tuple[RGB, ...] = CHARACTER_COLOURS_SRGB8
"""Stand-ins' colours where the scene states none (previs.core.figure)."""
TRACK: RGB = (122, 104, 84)
CRANE: RGB = (70, 74, 84)


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


def standin_colours(scene: Scene) -> dict[str, RGB]:
    """Each stand-in's colour on the plans: its ``color`` from the scene file when it states one,
    else the next of :data:`CHARACTER_COLOURS` (so every character keeps one colour everywhere;
    previs.core.figure.character_colours_srgb8)."""
    out: dict[str, RGB] = {}
    for name, rgb in character_colours_srgb8(scene.set_pieces).items():
        stated = rgb not in CHARACTER_COLOURS
        out[name] = _mix(rgb, INK, 0.15) if stated else rgb
    return out


def _srgb8(linear) -> RGB:
    c = np.clip(np.asarray(linear, dtype=np.float64)[:3], 0.0, None)
    if c.max() > 1.0:  # a light brighter than white: its hue
        c = c / c.max()
    return tuple(int(round(v * 255)) for v in np.clip(linear_to_srgb(c), 0, 1))


def _mix(a: RGB, b: RGB, t: float) -> RGB:
    return tuple(int(round(x + (y - x) * t)) for x, y in zip(a, b, strict=True))


def _arrowhead(tip, direction, size: float) -> np.ndarray:
    d = unit(direction)
    if d is None:
        d = np.array([0.0, -1.0])
    n = np.array([-d[1], d[0]])
    tip = np.asarray(tip, float)
    base = tip - d * size
    return np.array([tip, base + n * size * 0.45, base + d * size * 0.25, base - n * size * 0.45])


# ---------------------------------------------------------------- text metrics and labels
@lru_cache(maxsize=1)
def _metric_font():
    from PIL import ImageFont

    return ImageFont.load_default(size=100)


@lru_cache(maxsize=4096)
def _text_w_em(text: str) -> float:
    return float(_metric_font().getlength(text)) / 100.0


def _text_box(
    text: str, at, size: float, anchor: str, bold: bool = False
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
    badge: bool = False  # white text on a disc of ``colour`` (a mark's number)
    data: dict = field(default_factory=dict)


# Directions a label tries round its anchor, in order of preference: beside, above, below, then
# the diagonals and the sixteenths between them (unit plan vectors; -z is up the page).
_DIRS = [
    np.array(v, float) / np.linalg.norm(v)
    for v in [(1, 0), (-1, 0), (0, -1), (0, 1), (1, -1), (-1, -1), (1, 1), (-1, 1)]
] + [
    rotate_xz(np.array([1.0, 0.0]), a)
    for a in (22.5, 67.5, 112.5, 157.5, 202.5, 247.5, 292.5, 337.5)
]
_LEADER_AFTER = 0.6
"""A label further than this many text heights from its marker gets a leader line."""
_REACH_M = 6.0
"""How far a label may move from its marker to find free room."""


class _Placer:
    """Label placement: labels go most important first; each takes the nearest spot round its
    anchor (rings outwards, :data:`_DIRS` in each) whose box overlaps no placed label and no
    symbol and stays inside the plan; a label that had to move away gets a leader line. Only when
    no spot within :data:`_REACH_M` is free does it take the least crowded one."""

    def __init__(self, area):
        self.area = area  # (x0, z0, x1, z1) labels must stay inside
        self.boxes: list[tuple[float, float, float, float]] = []  # placed labels
        self.obstacles: list[tuple[float, float, float, float]] = []  # symbols, walls

    def block(self, box) -> None:
        self.obstacles.append(tuple(float(v) for v in box))

    def block_circle(self, c, r: float) -> None:
        self.obstacles.append((c[0] - r, c[1] - r, c[0] + r, c[1] + r))

    def _cost(self, box) -> float:
        x0, z0, x1, z1 = self.area
        out = (
            max(0.0, x0 - box[0])
            + max(0.0, box[2] - x1)
            + max(0.0, z0 - box[1])
            + max(0.0, box[3] - z1)
        )
        return (
            sum(_overlap(box, b) for b in self.boxes)
            + sum(_overlap(box, b) for b in self.obstacles)
            + 10.0 * out
        )

    @staticmethod
    def _box(lab: _Label, centre) -> tuple[float, float, float, float]:
        if lab.badge:
            r = _badge_r(lab)
            return (centre[0] - r, centre[1] - r, centre[0] + r, centre[1] + r)
        return _text_box(lab.text, centre, lab.size_m, "middle", lab.bold)

    def place(self, lab: _Label) -> list[Primitive]:
        s = lab.size_m
        if lab.fixed_anchor:
            self.boxes.append(_text_box(lab.text, lab.at, s, lab.fixed_anchor, lab.bold))
            return [self._text(lab, lab.at, lab.fixed_anchor)]
        if lab.inside:
            box = self._box(lab, lab.at)
            if self._cost(box) <= 1e-12:
                self.boxes.append(box)
                return self._draw(lab, lab.at, box, leader=False)
        b0 = self._box(lab, (0.0, 0.0))
        half = np.array([(b0[2] - b0[0]) / 2, (b0[3] - b0[1]) / 2])
        best = None
        gap = 0.08 * s
        step = max(0.5 * s, 0.12)
        for k in range(int(_REACH_M / step) + 1):
            r = lab.clear_m + gap + k * step
            for d in _DIRS:
                # the box's centre so that its nearest side is r from the anchor along d
                centre = lab.at + d * (r + abs(d[0]) * half[0] + abs(d[1]) * half[1])
                box = self._box(lab, centre)
                cost = self._cost(box)
                if cost <= 1e-12:
                    self.boxes.append(box)
                    return self._draw(lab, centre, box, leader=k * step > _LEADER_AFTER * s)
                if best is None or cost < best[0] - 1e-12:
                    best = (cost, centre, box, k * step)
        _, centre, box, moved = best
        self.boxes.append(box)
        return self._draw(lab, centre, box, leader=moved > _LEADER_AFTER * s)

    def _draw(self, lab: _Label, centre, box, *, leader: bool) -> list[Primitive]:
        out = []
        if leader:  # from the marker's edge to the label's nearest point
            cx = min(max(lab.at[0], box[0]), box[2])
            cz = min(max(lab.at[1], box[1]), box[3])
            v = unit(np.array([cx, cz]) - lab.at)
            if v is not None:
                a = lab.at + v * lab.clear_m
                out.append(
                    _P(
                        "polyline",
                        [a, (cx, cz)],
                        stroke=lab.colour,
                        width_m=0.018,
                        stroke_alpha=0.8,
                        layer="labels",
                        data={"leader": lab.text},
                    )
                )
        if lab.badge:
            out.append(
                _P(
                    "circle",
                    [centre],
                    radius_m=_badge_r(lab),
                    fill=lab.colour,
                    stroke=PAPER,
                    width_m=0.03,
                    layer="labels",
                    id=lab.id,
                    data=lab.data,
                )
            )
            out.append(
                _P(
                    "text",
                    [centre],
                    fill=PAPER,
                    text=lab.text,
                    size_m=lab.size_m,
                    anchor="middle",
                    bold=True,
                    layer="labels",
                )
            )
            return out
        out.append(self._text(lab, centre, "middle"))
        return out

    @staticmethod
    def _text(lab: _Label, at, anchor: str) -> Primitive:
        return _P(
            "text",
            [at],
            fill=lab.colour,
            text=lab.text,
            size_m=lab.size_m,
            anchor=anchor,
            bold=lab.bold,
            halo=True,
            layer="labels",
            id=lab.id,
            data=lab.data,
        )


def _badge_r(lab: _Label) -> float:
    return max(lab.size_m * 0.75, _text_w_em(lab.text) * lab.size_m * 0.5 + 0.06)


# ---------------------------------------------------------------- set pieces
def _piece_points_world(piece: SetPiece) -> np.ndarray:
    from previs.io.meshes import load_asset, primitive_asset

    if piece.kind == "mesh":
        asset = load_asset(piece.mesh_path, variants=dict(piece.mesh_variants) or None)
    else:
        asset = primitive_asset(
            piece.kind,
            size_m=piece.size_m,
            radius_m=piece.radius_m,
            height_m=piece.height_m,
            key=f"plan:{piece.name}",
        )
    v = np.concatenate([np.asarray(p.positions, dtype=np.float64) for p in asset.parts])
    m = piece.world_from_local
    return v @ m[:3, :3].T + m[:3, 3]


def footprint(piece: SetPiece) -> tuple[np.ndarray, float, float]:
    """The piece's floor footprint: the convex hull of its vertices projected on the floor
    (counter-clockwise (x, z) points), and its lowest and highest world y."""
    return hull_xz(_piece_points_world(piece))


# ---------------------------------------------------------------- the plan, layer by layer
@dataclass(eq=False)
class _Sheet:
    """One plan being drawn: the primitives so far (in drawing order), the labels to place at the
    end, and the symbols that go over every layer's lines."""

    scene: Scene
    geo: PlanGeometry
    prims: list[Primitive]
    placer: _Placer
    labels: list[_Label] = field(default_factory=list)
    light_symbols: list[Primitive] = field(default_factory=list)
    camera_symbols: list[Primitive] = field(default_factory=list)
    standin_symbols: list[Primitive] = field(default_factory=list)
    legend: set[str] = field(default_factory=set)  # what the legend explains: what was drawn


def plan_primitives(
    scene: Scene,
    shot_ids=None,
    *,
    date=None,
    frustum_m: float | None = None,
    geometry: PlanGeometry | None = None,
) -> list[Primitive]:
    """Everything on the plan, in plan metres (world ``(x, z)``), in drawing order.

    ``shot_ids``: the shots whose cameras, frusta, moves and walks to draw (``None``: all). The
    page has the same extent whatever the selection, so a shot's plan lines up with the scene's.
    ``frustum_m``: how far the field-of-view wedges reach when they meet no wall first; default
    :data:`FRUSTUM_M` on a plan of several shots and :data:`FRUSTUM_MAX_M` (to the wall) on a
    single shot's plan. ``geometry``: the :func:`previs.core.plan.plan_geometry` already worked
    out (then ``shot_ids`` and ``frustum_m`` are its).
    """
    geo = geometry or plan_geometry(scene, shot_ids, frustum_m=frustum_m)
    x0, z0, x1, z1 = geo.bounds_m
    page = _P(
        "page",
        [(x0, z0), (x1, z0 + geo.page_h_m)],
        fill=PAPER,
        layer="page",
        data={"plan-bottom-m": f"{z1:g}"},
    )
    sheet = _Sheet(scene, geo, [page], _Placer((x0 + 0.1, z0 + 0.1, x1 - 0.1, z1 - 0.1)))
    _draw_floor(sheet)
    _draw_set(sheet)
    _draw_wall(sheet)
    _draw_lights(sheet)
    for sid, cam in geo.cameras.items():
        _draw_camera(sheet, sid, cam)
    _draw_standins(sheet)
    _draw_symbols(sheet)
    _draw_labels(sheet)
    sheet.legend |= {"camera", "fov"} | ({"wall"} if scene.stage is not None else set())
    if any(lt.type != "directional" for lt in scene.lights):
        sheet.legend.add("light")
    if any(path_length(c.path) > 0.01 for c in geo.cameras.values()):
        sheet.legend.add("move")
    if any("ceiling" in w for w in geo.walls):
        sheet.legend.add("ceiling")
    sheet.prims += _title_block(
        scene,
        list(geo.shot_ids),
        geo.single,
        x0,
        x1,
        z1,
        geo.page_h_m + z0,
        build_date(date).isoformat(),
    )
    sheet.prims += _legend(sheet, x0 + 0.5, z1 + 2.85, x1 - 10.2)
    return sheet.prims


def _draw_floor(sheet: _Sheet) -> None:
    """The stage floor with its metre grid (labelled every 5 m), the origin and the stage front."""
    scene, P, labels = sheet.scene, sheet.prims, sheet.labels
    x0, z0, x1, z1 = sheet.geo.bounds_m
    if scene.stage is not None:
        fw, fd = scene.stage.floor_width_m, scene.stage.floor_depth_m
        fx0, fz0, fx1, fz1 = -fw / 2, -fd / 2, fw / 2, fd / 2
    else:
        fx0, fz0, fx1, fz1 = x0 + MARGIN_M, z0 + MARGIN_M, x1 - MARGIN_M, z1 - MARGIN_M
    P.append(
        _P(
            "polygon",
            [(fx0, fz0), (fx1, fz0), (fx1, fz1), (fx0, fz1)],
            fill=FLOOR,
            stroke=GRID_MAJOR,
            width_m=0.03,
            layer="floor",
            id="stage-floor",
        )
    )
    for along_z in (
        True,
        False,
    ):  # lines of constant x (numbered under the floor), then of z (left)
        for g in range(math.ceil(fx0 if along_z else fz0), math.floor(fx1 if along_z else fz1) + 1):
            major = g % 5 == 0
            ends = [(g, fz0), (g, fz1)] if along_z else [(fx0, g), (fx1, g)]
            P.append(
                _P(
                    "polyline",
                    ends,
                    stroke=GRID_MAJOR if major else GRID_MINOR,
                    width_m=0.03 if major else 0.018,
                    layer="grid",
                )
            )
            if major:
                at = np.array([g, fz0 - 0.32]) if along_z else np.array([fx0 - 0.15, g])
                labels.append(
                    _Label(
                        f"{g:+d}".replace("+0", "0"),
                        at,
                        0,
                        0.26,
                        MUTED,
                        9,
                        fixed_anchor="middle" if along_z else "end",
                    )
                )
    labels.append(
        _Label("x (m)", np.array([fx1, fz0 - 0.32]), 0, 0.26, MUTED, 9, fixed_anchor="end")
    )
    labels.append(
        _Label("z (m)", np.array([fx0 - 0.15, fz0 + 0.5]), 0, 0.26, MUTED, 9, fixed_anchor="end")
    )
    # the origin
    P.append(_P("polyline", [(-0.3, 0), (0.3, 0)], stroke=MUTED, width_m=0.025, layer="grid"))
    P.append(_P("polyline", [(0, -0.3), (0, 0.3)], stroke=MUTED, width_m=0.025, layer="grid"))
    # the stage front, along the floor's +Z edge
    P.append(
        _P(
            "polyline",
            [(fx0, fz1), (fx1, fz1)],
            stroke=INK,
            width_m=0.09,
            layer="floor",
            id="stage-front",
        )
    )
    mid = (fx0 + fx1) / 2
    for ax in (-fw / 4, fw / 4) if scene.stage else (mid - 2, mid + 2):
        P.append(
            _P("polygon", _arrowhead((ax, fz1 - 0.12), (0, -1), 0.45), fill=INK, layer="floor")
        )
    labels.append(
        _Label(
            "STAGE FRONT (+Z, open side of the volume)",
            np.array([(fx0 + fx1) / 2, fz1 + 0.42]),
            0,
            0.32,
            INK,
            0,
            bold=True,
            fixed_anchor="middle",
        )
    )


def _draw_set(sheet: _Sheet) -> None:
    """Set pieces (not stand-ins) by their footprints; overhead pieces dashed, planes outlined."""
    P, labels = sheet.prims, sheet.labels
    for piece in sheet.scene.set_pieces:
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
            P.append(
                _P(
                    "polygon",
                    hull,
                    fill=col,
                    fill_alpha=0.22,
                    stroke=_mix(col, INK, 0.3),
                    width_m=0.02,
                    dash_m=(0.3, 0.15),
                    layer="set",
                    id=f"set-{_slug(piece.name)}",
                    data={"name": piece.name},
                )
            )
            corner = hull[np.argmin(hull[:, 0] + hull[:, 1])]
            labels.append(
                _Label(
                    piece.name,
                    corner + np.array([0.15, 0.3]),
                    0,
                    0.26,
                    _mix(col, INK, 0.6),
                    8,
                    fixed_anchor="start",
                )
            )
            continue
        P.append(
            _P(
                "polygon",
                hull,
                fill=col,
                fill_alpha=0.10 if overhead else 0.45,
                stroke=edge,
                width_m=0.035,
                dash_m=(0.15, 0.1) if overhead else None,
                layer="set",
                id=f"set-{_slug(piece.name)}",
                data={"name": piece.name, "bottom-m": f"{ylo:.3f}", "top-m": f"{yhi:.3f}"},
            )
        )
        name = piece.name + (f" (overhead, {ylo:.1f} m)" if overhead else "")
        c = hull.mean(axis=0)
        ext = hull.max(axis=0) - hull.min(axis=0)
        if _text_w_em(name) * 0.28 < ext[0] * 0.8 and ext[1] > 0.45:
            labels.append(
                _Label(
                    name,
                    c,
                    0.5 * float(min(ext.min(), 1.2)),
                    0.28,
                    _mix(col, INK, 0.75),
                    6,
                    inside=True,
                )
            )
        else:
            r = 0.5 * float(min(ext.max(), 1.2))
            labels.append(_Label(name, c, max(r, 0.2), 0.26, _mix(col, INK, 0.75), 7))


def _draw_wall(sheet: _Sheet) -> None:
    """The LED wall as built (face, body, cabinet joints) and the ceiling above."""
    P, labels, placer = sheet.prims, sheet.labels, sheet.placer
    for wl in sheet.geo.walls:
        if "ceiling" in wl:
            ce = wl["ceiling"]
            P.append(
                _P(
                    "polygon",
                    ce["corners"],
                    stroke=CEILING,
                    width_m=0.04,
                    dash_m=(0.4, 0.2),
                    layer="wall",
                    id="ceiling",
                    data={
                        "height-m": f"{ce['height_m']:g}",
                        "columns": ce["layout"].columns,
                        "rows": ce["layout"].rows,
                    },
                )
            )
            cz = ce["corners"]
            top_left = np.array([cz[:, 0].min(), cz[:, 1].min()])
            lay = ce["layout"]
            labels.append(
                _Label(
                    f"LED ceiling above, {lay.columns} x {lay.rows} cabinets at "
                    f"{ce['height_m']:g} m",
                    top_left + np.array([0.15, 0.3]),
                    0,
                    0.26,
                    CEILING,
                    8,
                    fixed_anchor="start",
                )
            )
            continue
        front, back, lay = wl["front"], wl["back"], wl["layout"]
        P.append(_P("polygon", np.vstack([front, back[::-1]]), fill=WALL_BODY, layer="wall"))
        for a, b in zip(front[1:-1], back[1:-1], strict=True):  # cabinet joints
            P.append(_P("polyline", [a, b], stroke=(120, 126, 140), width_m=0.015, layer="wall"))
        data = {
            "section": wl["name"],
            "kind": lay.kind,
            "columns": lay.columns,
            "rows": lay.rows,
            "thickness-m": f"{WALL_THICKNESS_M:g}",
        }
        sec = next(s for s in sheet.scene.stage.sections if s.name == wl["name"])
        if lay.kind == "curved":
            data.update(
                {
                    "center-x-m": f"{sec.center_xz_m[0]:g}",
                    "center-z-m": f"{sec.center_xz_m[1]:g}",
                    "radius-m": f"{sec.radius_m:g}",
                }
            )
        P.append(
            _P(
                "polyline",
                front,
                stroke=WALL_FACE,
                width_m=0.06,
                layer="wall",
                id=f"wall-{_slug(wl['name'])}",
                data=data,
            )
        )
        mid = len(front) // 2
        out_n = -wl["normals"][min(mid, len(wl["normals"]) - 1)]
        arc = f", {lay.arc_deg:.1f}\u00b0 arc r {sec.radius_m:g} m" if lay.kind == "curved" else ""
        txt = (
            f"{wl['name']}: {lay.columns} x {lay.rows} cabinets, "
            f"{lay.width_m:g} x {lay.height_m:g} m{arc}"
        )
        at = front[mid] + out_n * (WALL_THICKNESS_M + 0.4)
        labels.append(
            _Label(
                txt,
                at,
                0,
                0.3,
                WALL_BODY,
                5,
                fixed_anchor="middle"
                if abs(out_n[1]) > 0.7
                else ("start" if out_n[0] > 0 else "end"),
            )
        )
        for a, b in zip(front[:-1], back[:-1], strict=True):
            placer.block(
                (
                    min(a[0], b[0]) - 0.05,
                    min(a[1], b[1]) - 0.05,
                    max(a[0], b[0]) + 0.05,
                    max(a[1], b[1]) + 0.05,
                )
            )


def _draw_lights(sheet: _Sheet) -> None:
    """Light beams (under everything that moves); the lights' symbols wait for :func:`_draw_symbols`."""
    P, labels, placer = sheet.prims, sheet.labels, sheet.placer
    x0, z0, x1, z1 = sheet.geo.bounds_m
    for lt in sheet.scene.lights:
        col = _srgb8(lt.color_linear)
        edge = _mix(col, INK, 0.6)
        slug = _slug(lt.name)
        d3 = np.asarray(lt.direction, float)
        if lt.type == "directional":
            src = unit(-d3[[0, 2]])
            if src is None:
                continue
            # sit the symbol inside the page, on the side the light comes from
            cx, cz = (x0 + x1) / 2, (z0 + z1) / 2
            reach = min((x1 - x0), (z1 - z0)) / 2 - 1.8
            c = np.array([cx, cz]) + src * reach
            sheet.light_symbols += _sun_symbol(c, col, edge, slug, lt)
            tip = c - src * 2.2
            sheet.light_symbols.append(
                _P(
                    "polyline",
                    [c - src * 0.45, tip - src * 0.3],
                    stroke=edge,
                    width_m=0.05,
                    layer="lights",
                )
            )
            sheet.light_symbols.append(
                _P("polygon", _arrowhead(tip, -src, 0.4), fill=edge, layer="lights")
            )
            az = math.degrees(math.atan2(src[0], src[1])) % 360
            el = math.degrees(
                math.asin(max(-1.0, min(1.0, -d3[1] / max(np.linalg.norm(d3), 1e-9))))
            )
            labels.append(
                _Label(
                    f"{lt.name} from {az:.0f}\u00b0, {el:.0f}\u00b0 up, {lt.intensity:g} lx",
                    c,
                    0.45,
                    0.28,
                    edge,
                    3,
                )
            )
            placer.block_circle(c, 0.45)
            continue
        p = np.asarray(lt.position_m, float)
        c = p[[0, 2]]
        axis = unit(d3[[0, 2]])
        if lt.type == "spot" and axis is not None:
            P += _spot_beams(lt, p, c, d3, axis, col, edge, slug)
        sheet.light_symbols += _light_symbol(lt, c, axis, col, edge, slug)
        kind = {
            "spot": f"spot {lt.beam_angle_deg:g}/{lt.field_angle_deg:g}\u00b0",
            "point": "point",
        }.get(lt.type, lt.type)
        labels.append(_Label(f"{lt.name} ({kind}, h {p[1]:.1f} m)", c, 0.35, 0.26, edge, 3))
        placer.block_circle(c, 0.3)


def _spot_beams(lt, p, c, d3, axis, col, edge, slug) -> list[Primitive]:
    """A spot's field (dashed edges) and beam (a faint wedge), as far as it reaches the floor."""
    out = []
    horiz = float(np.linalg.norm(d3[[0, 2]]) / max(np.linalg.norm(d3), 1e-9))
    length = 5.0
    if d3[1] < -1e-9:
        length = min(length, max(1.5, -p[1] / d3[1] * np.linalg.norm(d3[[0, 2]])))
    for ang, alpha, dash in (
        (lt.field_angle_deg, 0.0, (0.2, 0.12)),
        (lt.beam_angle_deg, 0.07, None),
    ):
        a = math.radians(min(ang, 179.0) / 2)
        half = math.degrees(math.atan(math.tan(a) / max(horiz, 1e-3)))
        half = min(half, 80.0)
        arc = np.array([c + rotate_xz(axis, t) * length for t in np.linspace(-half, half, 17)])
        beam = np.vstack([c, arc])
        if alpha > 0:
            out.append(
                _P(
                    "polygon",
                    beam,
                    fill=_mix(col, (255, 200, 60), 0.35),
                    fill_alpha=alpha,
                    stroke=edge,
                    stroke_alpha=0.55,
                    width_m=0.02,
                    layer="light-beams",
                    id=f"beam-{slug}",
                    data={"beam-deg": f"{lt.beam_angle_deg:g}"},
                )
            )
        else:
            out.append(
                _P(
                    "polyline",
                    [arc[0], c, arc[-1]],
                    stroke=edge,
                    stroke_alpha=0.45,
                    width_m=0.018,
                    dash_m=dash,
                    layer="light-beams",
                )
            )
    return out


def _draw_camera(sheet: _Sheet, sid: str, cam: PlanCamera) -> None:
    """One shot's camera: its field of view at the start (and the end, when it changes), its
    path with key frames, and the camera at frame 0."""
    col = shot_colour(sheet.scene, sid)
    fwd = forward_xz(cam.start.world_from_camera)
    _draw_frusta(sheet, sid, cam, col, fwd)
    for k, sup in enumerate(sheet.geo.supports.get(sid, ())):
        _draw_support(sheet, sid, k, sup, col)
    if path_length(cam.path) > 0.01:
        _draw_path(sheet, sid, cam, col)
    # the camera itself, at frame 0
    s0, pos, single = cam.start, cam.start.position_m, sheet.geo.single
    tick = np.asarray(pos[[0, 2]]) + fwd * 0.42
    sheet.camera_symbols.append(
        _P("polyline", [pos[[0, 2]], tick], stroke=INK, width_m=0.05, layer="cameras")
    )
    sheet.camera_symbols.append(
        _P(
            "circle",
            [pos[[0, 2]]],
            radius_m=0.17,
            fill=col,
            stroke=INK,
            width_m=0.035,
            layer="cameras",
            id=f"camera-{_slug(sid)}",
            data={
                "shot": sid,
                "x-m": f"{pos[0]:.4f}",
                "y-m": f"{pos[1]:.4f}",
                "z-m": f"{pos[2]:.4f}",
                "hfov-deg": f"{s0.hfov_deg:.3f}",
                "focal-length-mm": f"{s0.focal_length_mm:g}",
                "frame": 0,
            },
        )
    )
    sheet.placer.block_circle(pos[[0, 2]], 0.2)
    lens = _lens_text(cam)
    text = f"{sid} {lens}" if not single else f"{sid} \u00b7 {lens} \u00b7 lens h {pos[1]:.2f} m"
    sheet.labels.append(
        _Label(
            text,
            pos[[0, 2]],
            0.22,
            0.34 if single else 0.3,
            _mix(col, INK, 0.25),
            0,
            bold=True,
            id=f"camera-label-{_slug(sid)}",
            data={"shot": sid, "focal-length-mm": f"{s0.focal_length_mm:g}"},
        )
    )


def _lens_text(cam: PlanCamera) -> str:
    """``40mm``, or ``24-50mm`` when the shot zooms (a crew reads the lens off the plan)."""
    f0, f1 = cam.start.focal_length_mm, cam.end.focal_length_mm
    return f"{f0:g}mm" if abs(f1 - f0) < 0.05 else f"{f0:g}\u2013{f1:g}mm"


def _draw_frusta(sheet: _Sheet, sid: str, cam: PlanCamera, col: RGB, fwd: np.ndarray) -> None:
    """The horizontal field of view at frame 0 (where it lands on the wall, on a shot's own plan)
    and, dashed, at the last frame when the camera moved, turned or zoomed."""
    scene, P, single, cap = sheet.scene, sheet.prims, sheet.geo.single, sheet.geo.frustum_m
    s0, s1 = cam.start, cam.end
    fov, hit = wedge(scene, s0.position_m, fwd, s0.hfov_deg, cap)
    P.append(
        _P(
            "polygon",
            fov,
            fill=col,
            fill_alpha=0.05 if not single else 0.12,
            stroke=col,
            stroke_alpha=0.75,
            width_m=0.025,
            layer="frusta",
            id=f"frustum-{_slug(sid)}",
            data={"hfov-deg": f"{s0.hfov_deg:.3f}", "frame": 0},
        )
    )
    P.append(
        _P(
            "polyline",
            [fov[0], fov[1 + len(fov) // 2 - 1]],
            stroke=col,
            stroke_alpha=0.6,
            width_m=0.015,
            dash_m=(0.12, 0.1),
            layer="frusta",
        )
    )
    if single and hit.any():  # where the field of view lands on the wall
        P.append(
            _P(
                "polyline",
                fov[1:][hit],
                stroke=col,
                width_m=0.12,
                layer="frusta",
                id=f"frustum-on-wall-{_slug(sid)}",
            )
        )
    end_fwd = forward_xz(s1.world_from_camera)
    turned = (
        abs(
            math.degrees(
                math.atan2(fwd[0] * end_fwd[1] - fwd[1] * end_fwd[0], float(fwd @ end_fwd))
            )
        )
        > 1.0
    )
    zoomed = abs(s1.hfov_deg - s0.hfov_deg) > 0.5
    if path_length(cam.path) > 0.01 or turned or zoomed:
        end_fov, _ = wedge(scene, s1.position_m, end_fwd, s1.hfov_deg, cap)
        P.append(
            _P(
                "polygon",
                end_fov,
                stroke=col,
                stroke_alpha=0.9,
                width_m=0.025,
                dash_m=(0.2, 0.12),
                layer="frusta",
                id=f"frustum-end-{_slug(sid)}",
                data={"hfov-deg": f"{s1.hfov_deg:.3f}", "frame": cam.last},
            )
        )


def _draw_path(sheet: _Sheet, sid: str, cam: PlanCamera, col: RGB) -> None:
    """A moving camera's path: arrowheads, rings at its key frames, and where it ends."""
    path, s1, syms, labels, placer = (
        cam.path,
        cam.end,
        sheet.camera_symbols,
        sheet.labels,
        sheet.placer,
    )
    L = path_length(path)
    sheet.prims.append(
        _P(
            "polyline",
            path,
            stroke=col,
            width_m=0.06,
            layer="paths",
            id=f"path-{_slug(sid)}",
            data={"length-m": f"{L:.4f}", "frames": len(path)},
        )
    )
    syms.append(_P("polygon", _arrowhead(*point_at(path, L), 0.4), fill=col, layer="paths"))
    if L > 1.5:
        mp, md = point_at(path, L / 2)
        syms.append(_P("polygon", _arrowhead(mp + md * 0.15, md, 0.3), fill=col, layer="paths"))
    for kf in key_frames(sheet.scene, cam.shot):
        if (
            0 < kf < len(path) - 1
            and np.linalg.norm(path[kf] - path[0]) > 0.05
            and np.linalg.norm(path[kf] - path[-1]) > 0.05
        ):
            syms.append(
                _P(
                    "circle",
                    [path[kf]],
                    radius_m=0.075,
                    fill=PAPER,
                    stroke=col,
                    width_m=0.03,
                    layer="paths",
                    data={"frame": kf},
                )
            )
            labels.append(_Label(f"f{kf}", path[kf], 0.1, 0.22, col, 6))
            placer.block_circle(path[kf], 0.08)
    syms.append(
        _P(
            "circle",
            [path[-1]],
            radius_m=0.13,
            fill=PAPER,
            stroke=col,
            width_m=0.04,
            layer="cameras",
            id=f"camera-end-{_slug(sid)}",
            data={
                "frame": cam.last,
                "x-m": f"{s1.position_m[0]:.4f}",
                "z-m": f"{s1.position_m[2]:.4f}",
            },
        )
    )
    labels.append(_Label(f"{sid} end f{cam.last}", path[-1], 0.16, 0.24, col, 2))
    placer.block_circle(path[-1], 0.14)


def _draw_support(sheet: _Sheet, sid: str, k: int, sup: Support, col: RGB) -> None:
    """Dolly track (two rails :data:`TRACK_GAUGE_M` apart with sleepers) or a crane (its column,
    the arm at the move's start and end, the arc its tip can sweep) under a move."""
    pid = f"{sup.kind}-{_slug(sid)}" + (f"-{k + 1}" if k else "")
    data = {
        "shot": sid,
        "move": sup.move_type,
        "start-frame": sup.start_frame,
        "end-frame": sup.end_frame,
        "length-m": f"{sup.length_m:.3f}",
    }
    P = sheet.prims
    sheet.legend.add(sup.kind)
    if sup.kind == "track":
        left, right = sup.rails()
        centre = sup.laid()
        L = path_length(centre)
        for t in np.arange(0.15, L, 0.45):  # sleepers
            c, d = point_at(centre, float(t))
            n = np.array([-d[1], d[0]]) * (TRACK_GAUGE_M / 2 + 0.1)
            P.append(
                _P(
                    "polyline",
                    [c - n, c + n],
                    stroke=_mix(TRACK, PAPER, 0.35),
                    width_m=0.07,
                    layer="tracks",
                )
            )
        P.append(
            _P(
                "polyline",
                left,
                stroke=TRACK,
                width_m=0.04,
                layer="tracks",
                id=pid,
                data={**data, "gauge-m": f"{TRACK_GAUGE_M:g}"},
            )
        )
        P.append(_P("polyline", right, stroke=TRACK, width_m=0.04, layer="tracks"))
        return
    piv, path = sup.pivot, sup.path
    a0 = math.atan2(*(path[0] - piv)[::-1])
    a1 = math.atan2(*(path[-1] - piv)[::-1])
    sweep = (a1 - a0 + math.pi) % (2 * math.pi) - math.pi
    ang = a0 + np.linspace(0.0, sweep, 33)
    arc = piv + sup.reach_m * np.stack([np.cos(ang), np.sin(ang)], axis=1)
    P.append(
        _P(
            "polyline",
            arc,
            stroke=CRANE,
            width_m=0.035,
            dash_m=(0.25, 0.12),
            layer="tracks",
            id=pid,
            data={
                **data,
                "pivot-x-m": f"{piv[0]:.4f}",
                "pivot-z-m": f"{piv[1]:.4f}",
                "reach-m": f"{sup.reach_m:.4f}",
                "swing-deg": f"{math.degrees(sweep):.2f}",
            },
        )
    )
    for end in (path[0], path[-1]):
        P.append(
            _P("polyline", [piv, end], stroke=CRANE, width_m=0.03, stroke_alpha=0.7, layer="tracks")
        )
    base = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]], float) * 0.22 + piv
    sheet.camera_symbols.append(
        _P(
            "polygon",
            base,
            fill=PAPER,
            stroke=CRANE,
            width_m=0.04,
            layer="cameras",
            id=f"crane-pivot-{_slug(sid)}" + (f"-{k + 1}" if k else ""),
        )
    )
    sheet.camera_symbols.append(
        _P("polyline", [base[0], base[2]], stroke=CRANE, width_m=0.03, layer="cameras")
    )
    sheet.camera_symbols.append(
        _P("polyline", [base[1], base[3]], stroke=CRANE, width_m=0.03, layer="cameras")
    )
    sheet.placer.block_circle(piv, 0.24)
    sheet.labels.append(
        _Label(f"{sid} crane, reach {sup.reach_m:.1f} m", piv, 0.26, 0.24, CRANE, 4)
    )


def _draw_standins(sheet: _Sheet) -> None:
    """Stand-ins where they stand, facing their way, each in its colour; the walks of the shots
    drawn (arrows in the stand-in's colour) and their numbered marks."""
    scene, labels, placer, syms = sheet.scene, sheet.labels, sheet.placer, sheet.standin_symbols
    colours = standin_colours(scene)
    walking = {}
    for sid in sheet.geo.shot_ids:
        for w in scene.shot(sid).walks:
            walking.setdefault(w.standin, []).append((sid, w))
    for piece in scene.set_pieces:
        if piece.kind != "standin":
            continue
        col = colours[piece.name]
        sheet.legend.add("standin")
        c = piece.world_from_local[[0, 2], 3]
        face = unit((piece.world_from_local[:3, :3] @ np.array([0.0, 0.0, 1.0]))[[0, 2]])
        syms += _standin_symbol(c, face, col, f"standin-{_slug(piece.name)}", piece.name)
        placer.block_circle(c, 0.26)
        labels.append(_Label(piece.name, c, 0.28, 0.28, _mix(col, INK, 0.2), 1, bold=True))
        for sid, w in walking.get(piece.name, ()):
            sheet.legend.add("walk")
            pts = walk_points(w)
            L = path_length(pts)
            sheet.prims.append(
                _P(
                    "polyline",
                    pts,
                    stroke=col,
                    width_m=0.04,
                    dash_m=(0.18, 0.1),
                    layer="walks",
                    id=f"walk-{_slug(sid)}-{_slug(piece.name)}",
                    data={
                        "shot": sid,
                        "standin": piece.name,
                        "length-m": f"{L:.4f}",
                        "start-frame": w.start_frame,
                        "end-frame": w.end_frame,
                        "colour": _hex(col),
                    },
                )
            )
            n_arrows = max(1, int(L // 1.2))
            for k in range(n_arrows):
                p, d = point_at(pts, L * (k + 0.5) / n_arrows + 0.12)
                syms.append(
                    _P(
                        "polygon",
                        _arrowhead(p, d, 0.26),
                        fill=col,
                        layer="walks",
                        data={"walk-arrow": piece.name},
                    )
                )
            end_face = unit(pts[-1] - pts[-2]) if len(pts) > 1 else face
            syms += _standin_symbol(pts[-1], end_face, col, None, None, ghost=True)
            placer.block_circle(pts[-1], 0.26)
            if sheet.geo.single:
                labels.append(
                    _Label(
                        f"{piece.name} walks f{w.start_frame}-f{w.end_frame}",
                        pts[-1],
                        0.3,
                        0.24,
                        _mix(col, INK, 0.2),
                        2,
                    )
                )
        for m in sheet.geo.marks.get(piece.name, ()):
            _draw_mark(sheet, m, col)
    if sheet.geo.single and sheet.geo.shot_ids:
        _draw_eyelines(sheet, colours)


EYELINE_M = 1.5  # an eyeline with nothing to look at: this long


def _draw_eyelines(sheet: _Sheet, colours) -> None:
    """Where each character looks at the shot's first frame, when a look is keyed: a thin dotted
    line in its colour from its eyes to what it looks at (or :data:`EYELINE_M` along its gaze)."""
    from previs.core.frame import evaluate

    sid = sheet.geo.shot_ids[0]
    shot = sheet.scene.shot(sid)
    lookers = {k.character for k in shot.looks}
    if not lookers:
        return
    figures = evaluate(sheet.scene, shot, 0).figures
    for name in sorted(lookers):
        ch = figures.get(name)
        if ch is None:
            continue
        eye = ch.posed.eye_m[[0, 2]]
        gaze = ch.posed.gaze[[0, 2]]
        if np.linalg.norm(gaze) < 1e-6:
            continue
        gaze = gaze / np.linalg.norm(gaze)
        length = EYELINE_M
        if ch.look_target_m is not None:
            length = max(0.3, float(np.linalg.norm(ch.look_target_m[[0, 2]] - eye)))
        end = eye + gaze * length
        col = colours[name]
        sheet.legend.add("eyeline")
        sheet.prims.append(
            _P(
                "polyline",
                [eye, end],
                stroke=col,
                width_m=0.025,
                dash_m=(0.05, 0.07),
                layer="eyelines",
                id=f"eyeline-{_slug(sid)}-{_slug(name)}",
                data={
                    "shot": sid,
                    "character": name,
                    "x-m": f"{end[0]:.4f}",
                    "z-m": f"{end[1]:.4f}",
                },
            )
        )
        sheet.standin_symbols.append(
            _P("polygon", _arrowhead(end, gaze, 0.16), fill=col, layer="eyelines")
        )


def _draw_mark(sheet: _Sheet, m, col: RGB) -> None:
    """A floor mark: a tape cross where the stand-in hits it, and its number on a disc beside."""
    sheet.legend.add("mark")
    p = m.point
    for d in ((1, 1), (1, -1)):
        v = np.array(d, float) * 0.09
        sheet.standin_symbols.append(
            _P("polyline", [p - v, p + v], stroke=col, width_m=0.05, layer="marks")
        )
    sheet.placer.block_circle(p, 0.1)
    sheet.labels.append(
        _Label(
            str(m.number),
            p,
            0.3,
            0.22,
            col,
            1,
            badge=True,
            id=f"mark-{_slug(m.standin)}-{m.number}",
            data={
                "standin": m.standin,
                "number": m.number,
                "shot": m.shot_id,
                "frame": m.frame,
                "kind": m.kind,
                "x-m": f"{p[0]:.4f}",
                "z-m": f"{p[1]:.4f}",
            },
        )
    )


def _draw_symbols(sheet: _Sheet) -> None:
    """The symbols over every layer's lines: path marks, lights, stand-ins, then the cameras."""
    sheet.prims += [p for p in sheet.camera_symbols if p.layer == "paths"]
    sheet.prims += sheet.light_symbols
    sheet.prims += sheet.standin_symbols
    sheet.prims += [p for p in sheet.camera_symbols if p.layer != "paths"]


def _draw_labels(sheet: _Sheet) -> None:
    """Every label, most important first, each where it crowds the plan least."""
    for lab in sorted(sheet.labels, key=lambda lb: lb.priority):
        sheet.prims += sheet.placer.place(lab)


def _sun_symbol(c, col, edge, slug, lt) -> list[Primitive]:
    out = [
        _P(
            "circle",
            [c],
            radius_m=0.28,
            fill=col,
            stroke=edge,
            width_m=0.035,
            layer="lights",
            id=f"light-{slug}",
            data={"name": lt.name, "type": lt.type},
        )
    ]
    for k in range(8):
        d = rotate_xz(np.array([1.0, 0.0]), 45 * k)
        out.append(
            _P("polyline", [c + d * 0.36, c + d * 0.5], stroke=edge, width_m=0.035, layer="lights")
        )
    return out


def _light_symbol(lt, c, axis, col, edge, slug) -> list[Primitive]:
    data = {
        "name": lt.name,
        "type": lt.type,
        "x-m": f"{c[0]:.4f}",
        "z-m": f"{c[1]:.4f}",
        "y-m": f"{lt.position_m[1]:.4f}",
    }
    if lt.type == "spot":
        a = axis if axis is not None else np.array([0.0, -1.0])
        n = np.array([-a[1], a[0]])
        body = np.array(
            [
                c - a * 0.22 - n * 0.13,
                c - a * 0.22 + n * 0.13,
                c + a * 0.16 + n * 0.2,
                c + a * 0.16 - n * 0.2,
            ]
        )
        return [
            _P(
                "polygon",
                body,
                fill=col,
                stroke=edge,
                width_m=0.035,
                layer="lights",
                id=f"light-{slug}",
                data=data,
            ),
            _P(
                "polyline",
                [c + a * 0.16 + n * 0.2, c + a * 0.16 - n * 0.2],
                stroke=edge,
                width_m=0.07,
                layer="lights",
            ),
        ]
    out = [
        _P(
            "circle",
            [c],
            radius_m=0.17,
            fill=col,
            stroke=edge,
            width_m=0.035,
            layer="lights",
            id=f"light-{slug}",
            data=data,
        )
    ]
    for k in range(8):
        d = rotate_xz(np.array([1.0, 0.0]), 45 * k + 22.5)
        out.append(
            _P("polyline", [c + d * 0.22, c + d * 0.34], stroke=edge, width_m=0.03, layer="lights")
        )
    return out


def _standin_symbol(c, face, col, pid, name, ghost=False) -> list[Primitive]:
    c = np.asarray(c, float)
    out = [
        _P(
            "circle",
            [c],
            radius_m=0.24,
            fill=PAPER,
            fill_alpha=0.0 if ghost else 1.0,
            stroke=col,
            width_m=0.03 if ghost else 0.045,
            dash_m=(0.08, 0.06) if ghost else None,
            layer="standins",
            id=pid,
            data={} if name is None else {"name": name, "x-m": f"{c[0]:.4f}", "z-m": f"{c[1]:.4f}"},
        )
    ]
    if face is not None:  # the facing tick, out through the rim
        n = np.array([-face[1], face[0]])
        out.append(_P("polyline", [c, c + face * 0.34], stroke=col, width_m=0.05, layer="standins"))
        out.append(
            _P(
                "polygon",
                [c + face * 0.46, c + face * 0.3 + n * 0.09, c + face * 0.3 - n * 0.09],
                fill=col,
                layer="standins",
            )
        )
    return out


_LEGEND = (  # (key, text), in the legend's reading order
    ("camera", "camera at frame 0: shot, lens"),
    ("fov", "field of view (dashed: at the end)"),
    ("move", "camera move (rings: key frames)"),
    ("track", "dolly track"),
    ("crane", "crane column, arc"),
    ("standin", "stand-in, facing"),
    ("walk", "walk"),
    ("mark", "mark, in walk order"),
    ("eyeline", "eyeline at frame 0"),
    ("light", "light"),
    ("wall", "LED wall"),
    ("ceiling", "LED ceiling (above)"),
)


def _legend(sheet: _Sheet, lx: float, top: float, right: float) -> list[Primitive]:
    """What the plan's symbols mean, for the things this plan shows: rows of a sample symbol and
    its words, left to right from ``(lx, top)`` and no further right than ``right``."""
    out: list[Primitive] = []
    cols = 3
    cell = (right - lx - 1.4) / cols
    shown = [(k, t) for k, t in _LEGEND if k in sheet.legend]
    shot_col = (
        shot_colour(sheet.scene, sheet.geo.shot_ids[0]) if sheet.geo.shot_ids else SHOT_COLOURS[0]
    )
    char_col = next(iter(standin_colours(sheet.scene).values()), CHARACTER_COLOURS[0])
    out.append(
        _P(
            "text",
            [(lx, top - 0.05)],
            fill=INK,
            text="LEGEND",
            size_m=0.24,
            bold=True,
            layer="title",
        )
    )
    for i, (key, words) in enumerate(shown):
        x = lx + 1.5 + (i % cols) * cell
        z = top + (i // cols) * 0.5
        c = np.array([x + 0.35, z])
        sym: list[Primitive] = []
        if key == "camera":
            sym = [
                _P("polyline", [c, c + (0.38, 0)], stroke=INK, width_m=0.05, layer="title"),
                _P(
                    "circle",
                    [c],
                    radius_m=0.16,
                    fill=shot_col,
                    stroke=INK,
                    width_m=0.035,
                    layer="title",
                ),
            ]
        elif key == "fov":
            sym = [
                _P(
                    "polygon",
                    [c - (0.35, 0), c + (0.35, -0.22), c + (0.35, 0.22)],
                    fill=shot_col,
                    fill_alpha=0.1,
                    stroke=shot_col,
                    width_m=0.025,
                    layer="title",
                )
            ]
        elif key == "move":
            sym = [
                _P(
                    "polyline",
                    [c - (0.4, 0), c + (0.2, 0)],
                    stroke=shot_col,
                    width_m=0.06,
                    layer="title",
                ),
                _P("polygon", _arrowhead(c + (0.42, 0), (1, 0), 0.3), fill=shot_col, layer="title"),
            ]
        elif key == "track":
            for dz in (-0.12, 0.12):
                sym.append(
                    _P(
                        "polyline",
                        [c + (-0.4, dz), c + (0.4, dz)],
                        stroke=TRACK,
                        width_m=0.04,
                        layer="title",
                    )
                )
            for dx in (-0.3, 0.0, 0.3):
                sym.insert(
                    0,
                    _P(
                        "polyline",
                        [c + (dx, -0.2), c + (dx, 0.2)],
                        stroke=_mix(TRACK, PAPER, 0.35),
                        width_m=0.07,
                        layer="title",
                    ),
                )
        elif key == "crane":
            base = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]], float) * 0.14 + c - (0.3, 0)
            ang = np.linspace(-0.6, 0.6, 9)
            sym = [
                _P(
                    "polyline",
                    c - (0.3, 0) + 0.65 * np.stack([np.cos(ang), np.sin(ang)], 1),
                    stroke=CRANE,
                    width_m=0.035,
                    dash_m=(0.12, 0.06),
                    layer="title",
                ),
                _P("polygon", base, fill=PAPER, stroke=CRANE, width_m=0.035, layer="title"),
            ]
        elif key == "standin":
            sym = _standin_symbol(c, np.array([1.0, 0.0]), char_col, None, None)
        elif key == "walk":
            sym = [
                _P(
                    "polyline",
                    [c - (0.4, 0), c + (0.3, 0)],
                    stroke=char_col,
                    width_m=0.04,
                    dash_m=(0.18, 0.1),
                    layer="title",
                ),
                _P("polygon", _arrowhead(c + (0.2, 0), (1, 0), 0.24), fill=char_col, layer="title"),
            ]
        elif key == "mark":
            sym = [
                _P(
                    "polyline",
                    [c - (0.09, 0.09), c + (0.09, 0.09)],
                    stroke=char_col,
                    width_m=0.05,
                    layer="title",
                ),
                _P(
                    "polyline",
                    [c - (0.09, -0.09), c + (0.09, -0.09)],
                    stroke=char_col,
                    width_m=0.05,
                    layer="title",
                ),
                _P(
                    "circle",
                    [c + (0.36, -0.05)],
                    radius_m=0.17,
                    fill=char_col,
                    stroke=PAPER,
                    width_m=0.03,
                    layer="title",
                ),
                _P(
                    "text",
                    [c + (0.36, -0.05)],
                    fill=PAPER,
                    text="1",
                    size_m=0.22,
                    anchor="middle",
                    bold=True,
                    layer="title",
                ),
            ]
        elif key == "eyeline":
            sym = [
                _P(
                    "polyline",
                    [c - (0.4, 0), c + (0.25, 0)],
                    stroke=char_col,
                    width_m=0.025,
                    dash_m=(0.05, 0.07),
                    layer="title",
                ),
                _P(
                    "polygon", _arrowhead(c + (0.35, 0), (1, 0), 0.16), fill=char_col, layer="title"
                ),
            ]
        elif key == "light":
            sym = _light_symbol(
                sheet.scene.lights[0],
                c,
                np.array([1.0, 0.0]),
                (255, 236, 200),
                _mix((255, 236, 200), INK, 0.6),
                "legend",
            )
            sym = [replace(q, id=None, data={}, layer="title") for q in sym]
        elif key == "wall":
            sym = [
                _P(
                    "polygon",
                    [c + (-0.4, -0.12), c + (0.4, -0.12), c + (0.4, 0.05), c + (-0.4, 0.05)],
                    fill=WALL_BODY,
                    layer="title",
                ),
                _P(
                    "polyline",
                    [c + (-0.4, 0.05), c + (0.4, 0.05)],
                    stroke=WALL_FACE,
                    width_m=0.06,
                    layer="title",
                ),
            ]
        elif key == "ceiling":
            sym = [
                _P(
                    "polyline",
                    [c + (-0.4, 0), c + (0.4, 0)],
                    stroke=CEILING,
                    width_m=0.04,
                    dash_m=(0.2, 0.1),
                    layer="title",
                )
            ]
        sym = [replace(q, layer="title") for q in sym]
        out += sym
        out.append(
            _P(
                "text",
                [(x + 0.95, z)],
                fill=INK,
                text=words,
                size_m=0.24,
                layer="title",
                id=f"legend-{key}",
            )
        )
    return out


def _title_block(scene: Scene, chosen, single, x0, x1, zt, zb, date: str) -> list[Primitive]:
    out: list[Primitive] = []
    out.append(
        _P(
            "polygon",
            [(x0, zt), (x1, zt), (x1, zb), (x0, zb)],
            fill=(250, 250, 248),
            stroke=INK,
            width_m=0.05,
            layer="title",
        )
    )
    out.append(_P("polyline", [(x0, zt), (x1, zt)], stroke=INK, width_m=0.08, layer="title"))

    def text(t, x, z, size, colour=INK, anchor="start", bold=False, pid=None):
        out.append(
            _P(
                "text",
                [(x, z)],
                fill=colour,
                text=t,
                size_m=size,
                anchor=anchor,
                bold=bold,
                layer="title",
                id=pid,
            )
        )

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

    text(
        f"Scale {{ppm}} px = 1 m \u00b7 grid 1 m (bold every 5 m) \u00b7 {date} \u00b7 {src} \u00b7 "
        f"previs {__version__}",
        lx,
        zt + 1.8,
        0.27,
        MUTED,
    )
    text(
        "Seen from above: +X to the right, -Z up the page (upstage); the stage front (+Z) at the "
        "bottom.",
        lx,
        zt + 2.3,
        0.27,
        MUTED,
    )

    # scale bar, bottom right: 5 m in 1 m blocks
    bar_len = 5.0
    bx1 = x1 - 0.8
    bx0 = bx1 - bar_len
    bz = zt + 3.4
    for k in range(int(bar_len)):
        out.append(
            _P(
                "polygon",
                [
                    (bx0 + k, bz - 0.12),
                    (bx0 + k + 1, bz - 0.12),
                    (bx0 + k + 1, bz + 0.12),
                    (bx0 + k, bz + 0.12),
                ],
                fill=INK if k % 2 == 0 else PAPER,
                stroke=INK,
                width_m=0.02,
                layer="title",
            )
        )
    out.append(
        _P(
            "polyline",
            [(bx0, bz + 0.12), (bx1, bz + 0.12)],
            stroke=INK,
            width_m=0.03,
            layer="title",
            id="scale-bar",
            data={"length-m": f"{bar_len:g}"},
        )
    )
    for k in range(int(bar_len) + 1):
        text(f"{k}", bx0 + k, bz - 0.42, 0.22, MUTED, "middle")
    text(f"{bar_len:g} m", bx1 + 0.15, bz, 0.3, INK, "start", True, "scale-bar-label")
    text("{ppm} px/m", bx0 - 0.2, bz, 0.24, MUTED, "end")

    # orientation arrow: -Z (upstage) up the page, +X right
    ox, oz = x1 - 9.2, zt + 3.9
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
    root = ET.Element(
        "svg",
        {
            "xmlns": "http://www.w3.org/2000/svg",
            "version": "1.1",
            "width": f"{w}",
            "height": f"{h}",
            "viewBox": f"0 0 {w} {h}",
            "data-px-per-m": _f(S),
            "data-x0-m": _f(x0),
            "data-z0-m": _f(z0),
            "data-convention": "plan from above: x_px = (x_m - x0_m) * px_per_m, y_px = (z_m - z0_m) * "
            "px_per_m; +X right, -Z up the page, stage front (+Z) at the bottom",
            "font-family": FONT_FAMILY,
        },
    )
    ET.SubElement(root, "title").text = title
    ET.SubElement(
        root, "desc"
    ).text = f"Floor plan to scale, metres; one SVG unit = one pixel at {S:g} px/m. Made by previs."

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
            ET.SubElement(
                g,
                "rect",
                {
                    "x": _f(px),
                    "y": _f(py),
                    "width": _f(qx - px),
                    "height": _f(qy - py),
                    "fill": _hex(p.fill or PAPER),
                },
            )
        elif p.kind in ("polyline", "polygon"):
            a["points"] = " ".join(f"{_f(u)},{_f(v)}" for u, v in (xy(q) for q in p.points))
            ET.SubElement(g, p.kind, a)
        elif p.kind == "circle":
            cx, cy = xy(p.points[0])
            a.update({"cx": _f(cx), "cy": _f(cy), "r": _f(p.radius_m * S)})
            ET.SubElement(g, "circle", a)
        elif p.kind == "text":
            tx, ty = xy(p.points[0])
            a.update(
                {
                    "x": _f(tx),
                    "y": _f(ty),
                    "font-size": _f(p.size_m * S),
                    "text-anchor": p.anchor,
                    "dominant-baseline": "central",
                    "fill": _hex(p.fill or INK),
                }
            )
            if p.bold:
                a["font-weight"] = "bold"
            if p.halo:
                a.update(
                    {
                        "stroke": "#ffffff",
                        "stroke-width": _f(p.size_m * S * 0.22),
                        "stroke-linejoin": "round",
                        "paint-order": "stroke",
                    }
                )
            ET.SubElement(g, "text", a).text = p.text.replace("{ppm}", f"{S:g}")
    ET.indent(root, space=" ")
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8") + b"\n"


_PNG_GLYPHS = str.maketrans(
    {
        "\u2212": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u00d7": "x",
        "\u2192": ">",
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
    }
)
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
            ((cx, cy),) = xy(p.points)
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
                    d.ellipse(
                        [cx - r - wpx / 2, cy - r - wpx / 2, cx + r + wpx / 2, cy + r + wpx / 2],
                        outline=rgba(p.stroke, p.stroke_alpha),
                        width=wpx,
                    )
        elif p.kind == "text":
            ((tx, ty),) = xy(p.points)
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
                d.text(
                    (tx, ty),
                    text,
                    fill=p.fill or INK,
                    font=font,
                    anchor=anchor,
                    stroke_width=max(1, int(round(size * 0.03))),
                    stroke_fill=p.fill or INK,
                )
    return img.resize((w, h), Image.Resampling.BOX)
