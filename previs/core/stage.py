"""LED-volume geometry as built: whole cabinets, faceted curves, the wall as triangles, ray casts.

Pure numpy, no GL. Conventions follow :mod:`previs.core.scene` (metres, +Y up; azimuth 0 deg = +Z,
90 deg = +X) and the panel data of ``optics-lenses-led-formats.md`` §4.1.

How a stage is built from a scene's sections:

* **Curved section** (radius ``r``, requested arc ``A``): real walls are flat cabinets, so the arc
  is *faceted*, one flat facet per cabinet column. ``columns = round(r·A_rad / panel_width)``; each
  facet is a chord of the cylinder whose length is exactly the panel width, i.e. the facet angle is
  ``φ = 2·asin(panel_width / 2r)``. The wall starts on the circle at the start azimuth and runs
  ``columns·φ`` (the *actual* arc, :attr:`SectionLayout.arc_deg`) towards increasing azimuth; it can
  differ slightly from the requested arc (a "360 deg" wall may overlap itself by a fraction of a
  panel). Facets face the cylinder's axis; their corners lie on the circle, so the facet's centre
  line is at the apothem ``r·cos(φ/2)`` from the axis.
* **Flat section**: ``columns = round(length / panel_width)`` cabinets laid from ``start`` towards
  ``end`` (the as-built wall may stop a little short of, or run a little past, ``end``). Its lit
  side faces ``cross(up, end - start)`` — for a curved section running towards increasing azimuth
  this is the same rule, so every wall section follows it.
* ``rows = round(height / panel_height)`` from ``bottom_m`` up, for every wall section.
* **Ceiling**: ``columns = round(width / panel_width)`` along +X by ``rows = round(depth /
  panel_height)`` along Z, centred over ``center_xz_m`` at ``height_m``, facing down.
* A section too small for one whole cabinet still gets one column / one row (``max(1, round(..))``).

``panel_uv`` is the position on a section in cabinets: ``u`` runs from the section's start along
the wall, ``v`` up from its bottom edge, so ``(0, 0)`` is the start bottom corner and
``(columns, rows)`` the top end corner. Because the lit side faces ``cross(up, end - start)``, a
viewer on the stage facing the wall sees ``u`` increase to their *left* (an LED processor's pixel
map, drawn from the front, runs the other way: ``x_px = (columns - u)·panel_width_px``). On the
ceiling ``u`` runs along +X and ``v`` along -Z, starting at the (min x, max z) corner — i.e. the
usual floor plan (X right, -Z up the page) with the origin at its lower left.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from previs.core.limits import MAX_PANEL_COLUMNS, MAX_PANELS
from previs.core.scene import CurvedSection, FlatSection, LedVolume
from previs.errors import PrevisError

_UP = np.array([0.0, 1.0, 0.0])
_EDGE_EPS = 1e-9
"""Tolerance (in fractions of a facet) at facet edges, so rays through a shared edge hit."""
_MIN_T = 1e-9
"""Hits closer than this (metres) to a ray's origin are ignored (a ray starting on the wall)."""


@dataclass(frozen=True)
class WallMesh:
    """The LED surface as triangles in world space, metres (walls, then the ceiling).

    Four vertices per flat facet (one per wall column, one for the whole ceiling), not shared
    between facets, so each facet keeps its own flat normal.
    """

    positions: np.ndarray  # (N, 3) float32
    normals: np.ndarray  # (N, 3) float32, out of the lit face (towards the stage)
    panel_uv: np.ndarray  # (N, 2) float32, position on the section in cabinets (u along, v up)
    section_index: np.ndarray  # (N,) int32, index into volume.sections; len(sections) = ceiling
    indices: np.ndarray  # (M, 3) uint32, counter-clockwise seen from the lit side


@dataclass(frozen=True)
class SectionLayout:
    """One section (or the ceiling, named ``"ceiling"``) as built from whole cabinets."""

    name: str
    columns: int
    rows: int
    panels: int
    width_px: int
    height_px: int
    area_m2: float
    width_m: float  # as built: columns x panel width (the sum of the facet chords on a curve)
    height_m: float  # as built: rows x panel height (depth along Z for the ceiling)
    kind: str = "flat"  # "curved" | "flat" | "ceiling"
    arc_deg: float | None = None  # curved sections: the actual arc the facets span


# ---------------------------------------------------------------- layouts
def _count(length_m: float, panel_m: float) -> int:
    n = length_m / panel_m
    if not math.isfinite(n) or n > MAX_PANEL_COLUMNS:  # checked before int(): inf, 1e308
        raise PrevisError(
            f"{length_m:g} m is {n:g} panels of {panel_m * 1000:g} mm; previs builds "
            f"at most {MAX_PANEL_COLUMNS:,} a section"
        )
    return max(1, int(round(n)))


def _panel_m(volume: LedVolume) -> tuple[float, float]:
    pw = volume.panel.panel_width_mm / 1000.0
    ph = volume.panel.panel_height_mm / 1000.0
    if not (pw > 0 and ph > 0):
        raise PrevisError(f"panel '{volume.panel.name}' must have a positive size")
    return pw, ph


def _facet_angle_rad(section: CurvedSection, panel_w_m: float) -> float:
    if not section.radius_m * 2.0 >= panel_w_m:
        raise PrevisError(
            f"section '{section.name}': radius {section.radius_m} m is too small for "
            f"{panel_w_m * 1000:g} mm panels"
        )
    return 2.0 * math.asin(panel_w_m / (2.0 * section.radius_m))


def _layout(
    name: str, kind: str, columns: int, rows: int, volume: LedVolume, arc_deg: float | None = None
) -> SectionLayout:
    pw, ph = _panel_m(volume)
    return SectionLayout(
        name=name,
        columns=columns,
        rows=rows,
        panels=columns * rows,
        width_px=columns * volume.panel.panel_width_px,
        height_px=rows * volume.panel.panel_height_px,
        area_m2=columns * rows * pw * ph,
        width_m=columns * pw,
        height_m=rows * ph,
        kind=kind,
        arc_deg=arc_deg,
    )


def section_layouts(volume: LedVolume) -> list[SectionLayout]:
    """Cabinet counts, resolution and as-built size of every section, then the ceiling (if any)."""
    pw, ph = _panel_m(volume)
    out: list[SectionLayout] = []
    for s in volume.sections:
        rows = _count(s.height_m, ph)
        if isinstance(s, CurvedSection):
            if not s.arc_deg > 0:
                raise PrevisError(f"section '{s.name}': arc_deg must be positive, got {s.arc_deg}")
            cols = _count(s.radius_m * math.radians(s.arc_deg), pw)
            arc = math.degrees(cols * _facet_angle_rad(s, pw))
            out.append(_layout(s.name, "curved", cols, rows, volume, arc))
        elif isinstance(s, FlatSection):
            length = math.dist(s.start_xz_m, s.end_xz_m)
            if not length > 0:
                raise PrevisError(f"section '{s.name}': start and end are the same point")
            out.append(_layout(s.name, "flat", _count(length, pw), rows, volume))
        else:  # pragma: no cover - the scene types are closed
            raise PrevisError(f"unknown wall section type {type(s).__name__}")
    if volume.ceiling is not None:
        c = volume.ceiling
        out.append(
            _layout("ceiling", "ceiling", _count(c.width_m, pw), _count(c.depth_m, ph), volume)
        )
    columns = sum(lay.columns for lay in out)
    panels = sum(lay.panels for lay in out)
    if columns > MAX_PANEL_COLUMNS or panels > MAX_PANELS:  # before any facet is built
        raise PrevisError(
            f"the volume has {panels:,} panels in {columns:,} columns; previs builds "
            f"at most {MAX_PANELS:,} panels in {MAX_PANEL_COLUMNS:,} columns"
        )
    return out


# ---------------------------------------------------------------- facets
@dataclass(frozen=True)
class _Facets:
    """Every flat facet as a parallelogram: corner ``a``, edges ``e1`` (u) and ``e2`` (v)."""

    a: np.ndarray  # (Q, 3) float64, the facet's (u0, v0) corner
    e1: np.ndarray  # (Q, 3) along u
    e2: np.ndarray  # (Q, 3) along v
    n: np.ndarray  # (Q, 3) unit normal out of the lit face = normalise(e2 x e1)
    uv0: np.ndarray  # (Q, 2) panel_uv at a
    duv: np.ndarray  # (Q, 2) panel_uv span along e1, e2
    section: np.ndarray  # (Q,) int32


def _azimuth_point(cx: float, cz: float, r: float, az: np.ndarray, y: float) -> np.ndarray:
    return np.stack([cx + r * np.sin(az), np.full_like(az, y), cz + r * np.cos(az)], axis=-1)


def _facets(volume: LedVolume) -> _Facets:
    try:
        hash(volume)
    except TypeError:  # e.g. sections given as a list: build without the cache
        return _build_facets(volume)
    return _cached_facets(volume)


@lru_cache(maxsize=32)
def _cached_facets(volume: LedVolume) -> _Facets:
    return _build_facets(volume)


def _build_facets(volume: LedVolume) -> _Facets:
    pw, ph = _panel_m(volume)
    layouts = section_layouts(volume)
    a, e1, e2, uv0, duv, sec = [], [], [], [], [], []
    for i, (s, lay) in enumerate(zip(volume.sections, layouts, strict=False)):
        height = lay.rows * ph
        if isinstance(s, CurvedSection):
            phi = _facet_angle_rad(s, pw)
            az = math.radians(s.start_azimuth_deg) + phi * np.arange(lay.columns + 1)
            p = _azimuth_point(s.center_xz_m[0], s.center_xz_m[1], s.radius_m, az, s.bottom_m)
            start, edge = p[:-1], p[1:] - p[:-1]
        else:
            p0 = np.array([s.start_xz_m[0], s.bottom_m, s.start_xz_m[1]], dtype=np.float64)
            p1 = np.array([s.end_xz_m[0], s.bottom_m, s.end_xz_m[1]], dtype=np.float64)
            d = (p1 - p0) / np.linalg.norm(p1 - p0) * pw
            start = p0 + d * np.arange(lay.columns)[:, None]
            edge = np.broadcast_to(d, start.shape)
        k = lay.columns
        a.append(start)
        e1.append(edge)
        e2.append(np.broadcast_to(_UP * height, (k, 3)))
        uv0.append(np.stack([np.arange(k, dtype=np.float64), np.zeros(k)], axis=-1))
        duv.append(np.broadcast_to([1.0, float(lay.rows)], (k, 2)))
        sec.append(np.full(k, i, dtype=np.int32))
    if volume.ceiling is not None:
        c, lay = volume.ceiling, layouts[-1]
        width_m, depth_m = lay.width_m, lay.height_m
        a.append(
            np.array([[c.center_xz_m[0] - width_m / 2, c.height_m, c.center_xz_m[1] + depth_m / 2]])
        )
        e1.append(np.array([[width_m, 0.0, 0.0]]))
        e2.append(np.array([[0.0, 0.0, -depth_m]]))
        uv0.append(np.zeros((1, 2)))
        duv.append(np.array([[float(lay.columns), float(lay.rows)]]))
        sec.append(np.array([len(volume.sections)], dtype=np.int32))
    if not a:
        empty = np.zeros((0, 3))
        f = _Facets(
            empty,
            empty,
            empty,
            empty,
            np.zeros((0, 2)),
            np.zeros((0, 2)),
            np.zeros(0, dtype=np.int32),
        )
    else:
        A, E1, E2 = (np.concatenate(x).astype(np.float64) for x in (a, e1, e2))
        n = np.cross(E2, E1)
        n /= np.linalg.norm(n, axis=1, keepdims=True)
        f = _Facets(
            A,
            E1,
            E2,
            n,
            np.concatenate(uv0).astype(np.float64),
            np.concatenate(duv).astype(np.float64),
            np.concatenate(sec),
        )
    for arr in (f.a, f.e1, f.e2, f.n, f.uv0, f.duv, f.section):
        arr.setflags(write=False)
    return f


# ---------------------------------------------------------------- the mesh
def wall_mesh(volume: LedVolume) -> WallMesh:
    """The faceted LED surface: one quad (two triangles) per wall column and one for the ceiling."""
    f = _facets(volume)
    q = len(f.a)
    # corners per facet: (0,0), (1,0), (1,1), (0,1) in (e1, e2)
    s = np.array([0.0, 1.0, 1.0, 0.0])
    t = np.array([0.0, 0.0, 1.0, 1.0])
    pos = f.a[:, None] + s[None, :, None] * f.e1[:, None] + t[None, :, None] * f.e2[:, None]
    uv = f.uv0[:, None] + np.stack([s, t], axis=-1)[None] * f.duv[:, None]
    base = (4 * np.arange(q, dtype=np.uint32))[:, None, None]
    # n = e2 x e1, so (corner0, corner2, corner1) and (corner0, corner3, corner2) are CCW seen
    # from the side n points to: (c2-c0) x (c1-c0) = (e1+e2) x e1 = e2 x e1.
    tri = base + np.array([[0, 2, 1], [0, 3, 2]], dtype=np.uint32)[None]
    return WallMesh(
        positions=pos.reshape(-1, 3).astype(np.float32),
        normals=np.repeat(f.n, 4, axis=0).astype(np.float32),
        panel_uv=uv.reshape(-1, 2).astype(np.float32),
        section_index=np.repeat(f.section, 4).astype(np.int32),
        indices=tri.reshape(-1, 3).astype(np.uint32),
    )


# ---------------------------------------------------------------- summary for `previs info`
def wall_summary(volume: LedVolume) -> dict:
    """Totals of the volume as built, for ``previs info`` and reports.

    Keys: ``panel`` (model name), ``pixel_pitch_mm``, ``panel_size_mm`` (w, h), ``panel_px`` (w, h),
    ``peak_nits``, ``sections`` (one dict per section and the ceiling: name, kind, columns, rows,
    panels, width_px, height_px, pixels, area_m2, width_m, height_m, arc_deg), and the totals
    ``panels``, ``pixels``, ``area_m2``, plus ``wall_*`` and ``ceiling_*`` subtotals of the same.
    """
    p = volume.panel
    layouts = section_layouts(volume)
    rows = [
        {
            "name": s.name,
            "kind": s.kind,
            "columns": s.columns,
            "rows": s.rows,
            "panels": s.panels,
            "width_px": s.width_px,
            "height_px": s.height_px,
            "pixels": s.width_px * s.height_px,
            "area_m2": s.area_m2,
            "width_m": s.width_m,
            "height_m": s.height_m,
            "arc_deg": s.arc_deg,
        }
        for s in layouts
    ]
    walls = [r for r in rows if r["kind"] != "ceiling"]
    ceil = [r for r in rows if r["kind"] == "ceiling"]
    out: dict = {
        "panel": p.name,
        "pixel_pitch_mm": p.pixel_pitch_mm,
        "panel_size_mm": (p.panel_width_mm, p.panel_height_mm),
        "panel_px": (p.panel_width_px, p.panel_height_px),
        "peak_nits": p.peak_nits,
        "sections": rows,
    }
    for prefix, group in (("", rows), ("wall_", walls), ("ceiling_", ceil)):
        out[f"{prefix}panels"] = sum(r["panels"] for r in group)
        out[f"{prefix}pixels"] = sum(r["pixels"] for r in group)
        out[f"{prefix}area_m2"] = sum(r["area_m2"] for r in group)
    return out


# ---------------------------------------------------------------- ray casts
def wall_hit(
    volume: LedVolume, origins, directions, *, back_faces: bool = True, chunk: int = 256
) -> tuple[np.ndarray, np.ndarray]:
    """Cast rays against the faceted walls and the ceiling.

    ``origins`` and ``directions`` are ``(..., 3)`` (broadcast together); directions need not be
    unit length. Returns ``(distance_m, section_index)`` with the shape ``(...)``: the distance in
    metres along each ray to the nearest hit (``inf`` where there is none) and the index of the
    section hit (``len(volume.sections)`` for the ceiling, ``-1`` for none).

    With ``back_faces=True`` (the default) the back of a panel counts as a hit too, as it does for
    a real ray of light: a camera outside the volume looking at it sees the cabinets' backs. With
    ``back_faces=False`` only the lit faces count (the ray passes through backs). Hits closer
    than 1e-9 m to the origin are ignored, and zero-length directions hit nothing. Rays are
    tested ``chunk`` at a time against every facet: small chunks keep the (rays, facets) arrays
    in the CPU's cache.
    """
    o, d = np.broadcast_arrays(
        np.asarray(origins, dtype=np.float64), np.asarray(directions, dtype=np.float64)
    )
    if o.shape[-1:] != (3,):
        raise PrevisError(f"rays must be (..., 3) arrays, got {o.shape}")
    shape = o.shape[:-1]
    o = o.reshape(-1, 3)
    d = d.reshape(-1, 3)
    length = np.linalg.norm(d, axis=1)
    ok = length > 0
    d = np.where(ok[:, None], d / np.where(ok, length, 1.0)[:, None], 0.0)
    n_rays = len(o)
    dist = np.full(n_rays, np.inf)
    index = np.full(n_rays, -1, dtype=np.int32)
    f = _facets(volume)
    if len(f.a) == 0 or n_rays == 0:
        return dist.reshape(shape), index.reshape(shape)

    an = np.einsum("qi,qi->q", f.a, f.n)
    a1 = np.einsum("qi,qi->q", f.a, f.e1)
    a2 = np.einsum("qi,qi->q", f.a, f.e2)
    l1 = np.einsum("qi,qi->q", f.e1, f.e1)
    l2 = np.einsum("qi,qi->q", f.e2, f.e2)
    q = len(f.a)
    axes = np.concatenate([f.n, f.e1, f.e2]).T  # (3, 3Q): one matmul per chunk for all three
    step = max(1, int(chunk))
    with np.errstate(divide="ignore", invalid="ignore"):
        for lo in range(0, n_rays, step):
            op = o[lo : lo + step] @ axes  # (K, 3Q)
            dp = d[lo : lo + step] @ axes
            denom = dp[:, :q]
            t = (an - op[:, :q]) / denom
            s1 = (op[:, q : 2 * q] + t * dp[:, q : 2 * q] - a1) / l1
            s2 = (op[:, 2 * q :] + t * dp[:, 2 * q :] - a2) / l2
            hit = (
                (denom != 0)
                & (t > _MIN_T)
                & (s1 >= -_EDGE_EPS)
                & (s1 <= 1 + _EDGE_EPS)
                & (s2 >= -_EDGE_EPS)
                & (s2 <= 1 + _EDGE_EPS)
            )
            if not back_faces:
                hit &= denom < 0
            t = np.where(hit, t, np.inf)
            best = np.argmin(t, axis=1)
            tb = t[np.arange(len(t)), best]
            found = np.isfinite(tb)
            dist[lo : lo + step] = tb
            index[lo : lo + step] = np.where(found, f.section[best], -1)
    return dist.reshape(shape), index.reshape(shape)


# ---------------------------------------------------------------- the inner frustum on the wall
@dataclass(frozen=True)
class WallFootprint:
    """Where a camera frustum lands on the LED surface."""

    area_m2: float
    width_m: float  # along the wall through the frustum's middle row (follows a curve)
    height_m: float  # up the wall through its middle column
    cabinets: float  # area / one cabinet's area
    led_pixels: int  # area / pitch²
    hit_share: float  # of the frustum's rays, the share that meets a panel


def frustum_footprint(
    volume: LedVolume,
    world_from_camera,
    yfov_rad: float,
    aspect: float,
    overscan_pct: float = 0.0,
    *,
    n: int = 33,
) -> WallFootprint:
    """The frustum ``overscan_pct`` wider than ``yfov_rad`` on every side, cast onto the walls
    and the ceiling on an ``n`` x ``n`` grid of rays (tan space, edges included).

    Area: each grid cell whose four corner rays meet the same section is a planar quad on the
    wall, of area ``|d1 × d2| / 2`` (its diagonals); the cells that straddle an edge or miss are
    left out, so the area is a slight underestimate at the frustum's edges. Width and height: the
    path along the middle row and up the middle column through the hit points. Cabinets and LED
    pixels are the area over a cabinet's area and over the pitch squared.
    """
    m = np.asarray(world_from_camera, dtype=np.float64)
    grow = 1.0 + float(overscan_pct) / 100.0
    th = math.tan(yfov_rad / 2.0) * grow
    tw = th * aspect
    s = np.linspace(-1.0, 1.0, int(n))
    uu, vv = np.meshgrid(s * tw, s * th)
    dirs = np.stack([uu, vv, -np.ones_like(uu)], axis=-1) @ m[:3, :3].T
    dist, sec = wall_hit(volume, m[:3, 3], dirs)
    unit = dirs / np.linalg.norm(dirs, axis=-1, keepdims=True)
    pts = m[:3, 3] + unit * np.where(np.isfinite(dist), dist, 0.0)[..., None]
    ok = sec >= 0
    same = (
        ok[:-1, :-1]
        & ok[1:, 1:]
        & ok[1:, :-1]
        & ok[:-1, 1:]
        & (sec[:-1, :-1] == sec[1:, 1:])
        & (sec[:-1, :-1] == sec[1:, :-1])
        & (sec[:-1, :-1] == sec[:-1, 1:])
    )
    d1 = pts[1:, 1:] - pts[:-1, :-1]
    d2 = pts[1:, :-1] - pts[:-1, 1:]
    quad = 0.5 * np.linalg.norm(np.cross(d1, d2), axis=-1)
    area = float(np.sum(np.where(same, quad, 0.0)))

    def path(p: np.ndarray, hit: np.ndarray) -> float:
        seg = np.linalg.norm(np.diff(p, axis=0), axis=-1)
        both = hit[:-1] & hit[1:]
        return float(np.sum(seg[both]))

    mid = int(n) // 2
    width = path(pts[mid], ok[mid])
    height = path(pts[:, mid], ok[:, mid])
    p = volume.panel
    cab_m2 = p.panel_width_mm * p.panel_height_mm / 1e6
    pitch_m = p.pixel_pitch_mm / 1000.0
    return WallFootprint(
        area, width, height, area / cab_m2, int(round(area / (pitch_m * pitch_m))), float(ok.mean())
    )
