"""LED-volume geometry as built, against hand-derived numbers (cabinet counts, facets, ray hits)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from previs.core.scene import Ceiling, CurvedSection, FlatSection, LedVolume, PanelSpec
from previs.core.stage import section_layouts, wall_hit, wall_mesh, wall_summary
from previs.errors import PrevisError

BP2 = PanelSpec("ROE Black Pearl BP2", 2.84, 500.0, 500.0, 176, 176, 1500.0)
PHI = 2 * math.asin(0.25 / 10)  # facet angle for a 0.5 m chord on r = 10 m: 0.0500052 rad


def curved_volume(arc_deg=270.0, start=45.0, ceiling=None, center=(0.0, 0.0)):
    return LedVolume(BP2, (CurvedSection("main wall", center, 10.0, start, arc_deg, 6.0),), ceiling)


def flat_volume():
    # 4.2 m long -> round(8.4) = 8 columns (4.0 m as built, z = 0 .. 4); 3.1 m high -> 6 rows
    # from 0.5 m; running towards +Z its lit face is cross(up, +Z) = +X, into the stage
    return LedVolume(BP2, (FlatSection("side wall", (-8.0, 0.0), (-8.0, 4.2), 3.1, 0.5),))


# ---------------------------------------------------------------- layouts
def test_curved_270_layout_hand_numbers():
    (lay,) = section_layouts(curved_volume())
    assert lay.name == "main wall" and lay.kind == "curved"
    assert lay.columns == 94  # round(10 * 3pi/2 / 0.5) = round(94.25)
    assert lay.rows == 12
    assert lay.panels == 1128
    assert (lay.width_px, lay.height_px) == (16544, 2112)
    assert lay.area_m2 == pytest.approx(94 * 12 * 0.25) and lay.area_m2 == pytest.approx(282.0)
    assert lay.width_m == pytest.approx(47.0) and lay.height_m == pytest.approx(6.0)
    # actual arc: 94 chords of 0.5 m, each subtending 2 asin(0.025) = 2.865087 deg
    assert lay.arc_deg == pytest.approx(269.318223, abs=1e-6)
    assert lay.arc_deg == pytest.approx(math.degrees(94 * PHI), abs=1e-9)


def test_facet_chords_equal_panel_width_and_span_the_actual_arc():
    m = wall_mesh(curved_volume())
    p = m.positions.astype(np.float64).reshape(-1, 4, 3)  # 4 corners per facet
    assert p.shape[0] == 94
    chord = np.linalg.norm(p[:, 1] - p[:, 0], axis=1)
    # float32 positions near 10 m carry ~1e-6 m: check the chord in float64 from the corner angles
    assert np.allclose(chord, 0.5, atol=2e-6)
    az = np.arctan2(p[:, 0, 0], p[:, 0, 2])  # azimuth of each facet's start corner (0 = +Z)
    step = np.diff(np.unwrap(az))
    assert np.allclose(step, PHI, atol=1e-6)
    assert 2 * 10 * math.sin(PHI / 2) == pytest.approx(0.5, abs=1e-12)
    start_az = math.degrees(math.atan2(p[0, 0, 0], p[0, 0, 2]))
    end_az = math.degrees(math.atan2(p[-1, 1, 0], p[-1, 1, 2])) % 360
    assert start_az == pytest.approx(45.0, abs=1e-4)
    assert end_az == pytest.approx(45.0 + 269.318223, abs=1e-4)
    # every corner on the circle (facets are chords)
    assert np.allclose(np.hypot(p[..., 0], p[..., 2]), 10.0, atol=1e-5)


def test_chord_is_exact_in_double_precision():
    # the layout's facet angle reproduces the 0.5 m chord to 1e-9 for several radii
    for r in (3.0, 7.5, 10.0, 25.0):
        vol = LedVolume(BP2, (CurvedSection("c", (1.0, -2.0), r, 10.0, 90.0, 2.0),))
        (lay,) = section_layouts(vol)
        phi = math.radians(lay.arc_deg) / lay.columns
        assert 2 * r * math.sin(phi / 2) == pytest.approx(0.5, abs=1e-9)
        assert lay.columns == round(r * math.pi / 2 / 0.5)


def test_flat_and_ceiling_layouts():
    vol = LedVolume(BP2, flat_volume().sections, Ceiling(6.2, (0.0, -1.0), 14.0, 12.0))
    flat, ceil = section_layouts(vol)
    assert (flat.columns, flat.rows, flat.panels) == (8, 6, 48)
    assert (flat.width_px, flat.height_px) == (1408, 1056)
    assert flat.width_m == pytest.approx(4.0) and flat.height_m == pytest.approx(3.0)
    assert flat.arc_deg is None
    assert (ceil.name, ceil.columns, ceil.rows, ceil.panels) == ("ceiling", 28, 24, 672)
    assert (ceil.width_px, ceil.height_px) == (4928, 4224)
    assert ceil.area_m2 == pytest.approx(168.0)


def test_summary_totals():
    vol = LedVolume(
        BP2,
        curved_volume().sections + flat_volume().sections,
        Ceiling(6.2, (0.0, -1.0), 14.0, 12.0),
    )
    s = wall_summary(vol)
    assert s["panels"] == 1128 + 48 + 672
    assert s["wall_panels"] == 1128 + 48 and s["ceiling_panels"] == 672
    assert s["pixels"] == 16544 * 2112 + 1408 * 1056 + 4928 * 4224
    assert s["area_m2"] == pytest.approx(282.0 + 12.0 + 168.0)
    assert s["pixel_pitch_mm"] == 2.84 and s["peak_nits"] == 1500.0
    assert [r["name"] for r in s["sections"]] == ["main wall", "side wall", "ceiling"]
    assert s["sections"][0]["pixels"] == 16544 * 2112


def test_bad_sections_raise():
    with pytest.raises(PrevisError, match="too small"):
        section_layouts(LedVolume(BP2, (CurvedSection("tiny", (0, 0), 0.2, 0, 90, 2),)))
    with pytest.raises(PrevisError, match="same point"):
        section_layouts(LedVolume(BP2, (FlatSection("dot", (1, 1), (1, 1), 2),)))


# ---------------------------------------------------------------- mesh orientation
def _triangle_normals(m):
    p = m.positions.astype(np.float64)[m.indices.astype(np.int64)]
    n = np.cross(p[:, 1] - p[:, 0], p[:, 2] - p[:, 0])
    return n / np.linalg.norm(n, axis=1, keepdims=True)


def test_curved_facets_face_the_centre_and_wind_ccw():
    centre = np.array([2.0, 0.0, -3.0])
    m = wall_mesh(curved_volume(center=(2.0, -3.0)))
    assert m.positions.dtype == np.float32 and m.indices.dtype == np.uint32
    assert m.section_index.dtype == np.int32 and m.panel_uv.dtype == np.float32
    to_centre = centre - m.positions.astype(np.float64)
    to_centre[:, 1] = 0
    assert np.all(np.einsum("ij,ij->i", m.normals, to_centre) > 0)
    assert np.allclose(np.linalg.norm(m.normals, axis=1), 1.0, atol=1e-6)
    assert np.allclose(m.normals[:, 1], 0.0)
    # winding: the cross-product normal of every triangle agrees with its stored vertex normal
    tri_n = _triangle_normals(m)
    stored = m.normals[m.indices[:, 0]]
    assert np.allclose(tri_n, stored, atol=1e-4)
    # the facet normal points exactly at the axis (through the chord's midpoint)
    p = m.positions.astype(np.float64).reshape(-1, 4, 3)
    mid = (p[:, 0] + p[:, 1]) / 2 - centre
    mid[:, 1] = 0
    radial = -mid / np.linalg.norm(mid, axis=1, keepdims=True)
    assert np.allclose(m.normals[::4], radial, atol=1e-5)


def test_flat_normal_is_cross_up_direction():
    vol = LedVolume(BP2, (FlatSection("diag", (0.0, 0.0), (3.0, 4.0), 2.0),))
    m = wall_mesh(vol)
    # cross((0,1,0), (3,0,4)) = (4, 0, -3) -> /5
    assert np.allclose(m.normals, [0.8, 0.0, -0.6], atol=1e-7)
    assert np.allclose(_triangle_normals(m), [0.8, 0.0, -0.6], atol=1e-6)
    # (-8, 0) -> (-8, 4.2) runs along +Z: faces +X, into the stage ...
    m2 = wall_mesh(flat_volume())
    assert np.allclose(m2.normals, [1.0, 0.0, 0.0])
    assert np.allclose(_triangle_normals(m2), [1.0, 0.0, 0.0], atol=1e-6)
    # ... and the same wall drawn the other way round, (-8, 4) -> (-8, -4), faces -X
    m3 = wall_mesh(LedVolume(BP2, (FlatSection("back", (-8.0, 4.0), (-8.0, -4.0), 3.0),)))
    assert np.allclose(m3.normals, [-1.0, 0.0, 0.0])
    assert np.allclose(_triangle_normals(m3), [-1.0, 0.0, 0.0], atol=1e-6)


def test_ceiling_faces_down_and_winds_ccw_from_below():
    vol = LedVolume(BP2, (), Ceiling(6.2, (0.0, -1.0), 14.0, 12.0))
    m = wall_mesh(vol)
    assert np.allclose(m.normals, [0, -1, 0])
    assert np.allclose(_triangle_normals(m), [0, -1, 0], atol=1e-6)
    assert np.allclose(m.positions[:, 1], 6.2)
    assert m.positions[:, 0].min() == pytest.approx(-7.0) and m.positions[
        :, 0
    ].max() == pytest.approx(7.0)
    assert m.positions[:, 2].min() == pytest.approx(-7.0) and m.positions[
        :, 2
    ].max() == pytest.approx(5.0)
    assert np.all(m.section_index == 0)
    # uv: (0,0) at (min x, max z), (28, 24) at (max x, min z)
    i0 = np.argmin(np.linalg.norm(m.positions - [-7.0, 6.2, 5.0], axis=1))
    i1 = np.argmin(np.linalg.norm(m.positions - [7.0, 6.2, -7.0], axis=1))
    assert np.allclose(m.panel_uv[i0], [0, 0]) and np.allclose(m.panel_uv[i1], [28, 24])


# ---------------------------------------------------------------- panel_uv
def _uv_at(m, point, section):
    sel = np.flatnonzero(m.section_index == section)
    d = np.linalg.norm(m.positions[sel] - np.asarray(point, dtype=np.float32), axis=1)
    assert d.min() < 1e-5
    return m.panel_uv[sel[d < 1e-5]]


def test_panel_uv_corners_curved_and_flat():
    vol = LedVolume(BP2, curved_volume().sections + flat_volume().sections)
    m = wall_mesh(vol)
    s45 = math.sin(math.radians(45)) * 10
    assert np.allclose(_uv_at(m, [s45, 0.0, s45], 0), [0, 0])
    end = math.radians(45) + 94 * PHI
    assert np.allclose(_uv_at(m, [10 * math.sin(end), 6.0, 10 * math.cos(end)], 0), [94, 12])
    # flat: starts at (-8, 0.5, 0), 8 columns of 0.5 m towards +Z, 6 rows up to 3.5 m
    assert np.allclose(_uv_at(m, [-8.0, 0.5, 0.0], 1), [0, 0])
    assert np.allclose(_uv_at(m, [-8.0, 3.5, 4.0], 1), [8, 6])
    # a column boundary inside the flat wall: 3 panels along, at the top
    assert np.allclose(_uv_at(m, [-8.0, 3.5, 1.5], 1), [3, 6])
    # uv is continuous across facets: the end of column k is the start of column k+1
    uv = m.panel_uv[m.section_index == 0].reshape(-1, 4, 2)
    assert np.array_equal(uv[:, 0, 0], np.arange(94)) and np.array_equal(
        uv[:, 1, 0], np.arange(1, 95)
    )


# ---------------------------------------------------------------- ray casts
def test_rays_from_centre_hit_the_closed_cylinder_at_the_apothem():
    vol = curved_volume(arc_deg=360.0, start=0.0)
    (lay,) = section_layouts(vol)
    assert lay.columns == 126  # round(20 pi / 0.5) = round(125.66)
    az = np.linspace(0.0, 2 * np.pi, 3601)
    d = np.stack([np.sin(az), np.zeros_like(az), np.cos(az)], axis=-1)
    o = np.broadcast_to([0.0, 3.0, 0.0], d.shape)
    dist, idx = wall_hit(vol, o, d)
    apothem = 10 * math.cos(PHI / 2)  # 9.99687
    assert np.all(idx == 0)
    assert np.all(dist >= apothem - 1e-9) and np.all(dist <= 10.0 + 1e-9)
    assert dist.min() == pytest.approx(apothem, abs=1e-4)
    # a ray through a facet's middle is exactly the apothem; one through a corner exactly r
    mid = PHI / 2
    corner = 7 * PHI
    got, _ = wall_hit(
        vol,
        [[0, 3, 0], [0, 3, 0]],
        [[math.sin(mid), 0, math.cos(mid)], [math.sin(corner), 0, math.cos(corner)]],
    )
    assert got == pytest.approx([apothem, 10.0], abs=1e-9)


def test_ray_over_the_wall_top_misses_and_zero_direction_misses():
    vol = curved_volume(arc_deg=360.0, start=0.0)
    # up at 45 deg from 3 m: at the wall (x ~ 10) it is 13 m high, the wall is 6 m
    dist, idx = wall_hit(vol, [[0, 3, 0], [0, 3, 0], [0, 3, 0]], [[1, 1, 0], [0, 1, 0], [0, 0, 0]])
    assert np.all(np.isinf(dist)) and np.all(idx == -1)
    # just under the top: 3 m + 2.9 m over ~10 m still hits
    d2, i2 = wall_hit(vol, [0, 3, 0], [10.0, 2.9, 0.0])
    assert i2 == 0 and d2 == pytest.approx(math.hypot(1, 0.29) * 10 * math.cos(PHI / 2), rel=1e-3)


def test_ray_hits_the_ceiling_at_the_right_distance():
    ceil = Ceiling(6.2, (0.0, -1.0), 14.0, 12.0)
    vol = curved_volume(ceiling=ceil)
    dist, idx = wall_hit(
        vol, [[0, 1.7, 0], [0, 1.7, 0], [0, 1.7, 0]], [[0, 1, 0], [1, 1, 0], [0, 1, 1.5]]
    )
    # the ceiling's index is len(sections) = 1; it spans x in [-7, 7], z in [-7, 5] at y = 6.2
    assert idx.tolist() == [1, 1, -1]
    assert dist[0] == pytest.approx(4.5)
    assert dist[1] == pytest.approx(4.5 * math.sqrt(2))  # lands at x = 4.5, inside the ceiling
    # reaches 6.2 m at z = 6.75, past the ceiling's +Z edge (5 m), then leaves through the open
    # +Z side of the 270 deg wall
    assert np.isinf(dist[2])


def test_back_faces_count_by_default():
    vol = curved_volume(arc_deg=360.0, start=0.0)
    # from outside at x = 20 looking back towards the centre: first the back of the +X facets
    dist, idx = wall_hit(vol, [20.0, 3.0, 0.0], [-1.0, 0.0, 0.0])
    assert idx == 0 and 10.0 - 1e-9 <= dist <= 20 - 10 * math.cos(PHI / 2) + 1e-9
    # lit faces only: the ray passes through the backs and meets the far (-X) side's lit face
    dist_f, idx_f = wall_hit(vol, [20.0, 3.0, 0.0], [-1.0, 0.0, 0.0], back_faces=False)
    assert idx_f == 0 and 20 + 10 * math.cos(PHI / 2) - 1e-9 <= dist_f <= 30.0 + 1e-9
    # from inside, both modes agree (the first thing met is a lit face)
    a, _ = wall_hit(vol, [1.0, 2.0, 1.0], [0.3, 0.1, -1.0])
    b, _ = wall_hit(vol, [1.0, 2.0, 1.0], [0.3, 0.1, -1.0], back_faces=False)
    assert a == b and np.isfinite(a)


def test_nearest_section_wins_and_shapes_follow_input():
    vol = LedVolume(BP2, curved_volume().sections + flat_volume().sections)
    # towards -X at z = 2, y = 2: the flat side wall at x = -8 is in front of the curve at r = 10
    dist, idx = wall_hit(vol, [0.0, 2.0, 2.0], [-1.0, 0.0, 0.0])
    assert dist.shape == () and int(idx) == 1 and float(dist) == pytest.approx(8.0)
    lit, lit_idx = wall_hit(vol, [0.0, 2.0, 2.0], [-1.0, 0.0, 0.0], back_faces=False)
    assert int(lit_idx) == 1 and float(lit) == pytest.approx(8.0)  # its lit face looks at us
    # towards -X at z = -1: the flat wall ends at z = 0 (8 columns from z = 4), so the curve is hit
    dist, idx = wall_hit(vol, [0.0, 2.0, -1.0], [-1.0, 0.0, 0.0])
    assert int(idx) == 0 and math.sqrt(99) * 0.999 < float(dist) <= math.sqrt(99)
    # the flat wall's rows start at 0.5 m: a ray at 0.3 m passes under it
    dist, idx = wall_hit(vol, [0.0, 0.3, 2.0], [-1.0, 0.0, 0.0])
    assert int(idx) == 0
    grid_o = np.zeros((2, 5, 3)) + [0.0, 3.0, 0.0]
    grid_d = np.zeros((2, 5, 3)) + [0.0, 0.0, -1.0]
    dist, idx = wall_hit(vol, grid_o, grid_d, chunk=3)
    assert dist.shape == (2, 5) and idx.shape == (2, 5) and np.all(idx == 0)
    assert np.all((dist >= 10 * math.cos(PHI / 2) - 1e-9) & (dist <= 10.0 + 1e-9))
