"""Floor plans: the SVG's geometry maps back to the scene in metres, the PNG matches it to scale."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import previs
from previs.core.frame import evaluate
from previs.core.scene import FlatSection
from previs.core.stage import section_layouts
from previs.export import floorplan as fp

ROOT = Path(__file__).resolve().parents[1]
NS = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def scene():
    return previs.load_scene(ROOT / "scenes" / "led_stage.yaml")


@pytest.fixture(scope="module")
def plans(scene, tmp_path_factory):
    out = tmp_path_factory.mktemp("plans")
    written = fp.export_floorplans(scene, out, date="2025-06-01")
    return out, written


def _svg(path: Path):
    root = ET.parse(path).getroot()
    s = float(root.get("data-px-per-m"))
    x0, z0 = float(root.get("data-x0-m")), float(root.get("data-z0-m"))

    def to_m(px, py):  # the documented viewBox mapping, inverted
        return x0 + np.asarray(px, float) / s, z0 + np.asarray(py, float) / s

    ids = {el.get("id"): el for el in root.iter() if el.get("id")}
    return root, ids, to_m, s


def _points(el) -> np.ndarray:
    return np.array([[float(v) for v in pair.split(",")] for pair in el.get("points").split()])


def test_files_written_for_the_scene_and_every_shot(scene, plans):
    out, written = plans
    names = sorted(p.name for p in written)
    want = ["plan.png", "plan.svg"] + [
        f"plan_{s.id}.{e}" for s in scene.shots for e in ("png", "svg")
    ]
    assert names == sorted(want)
    assert all((out / n).stat().st_size > 1000 for n in names)
    assert not list(out.glob(".*.tmp"))  # atomic writes leave no temporaries


def test_every_camera_maps_back_to_its_frame_zero_position(scene, plans):
    out, _ = plans
    root, ids, to_m, s = _svg(out / "plan.svg")
    # the viewBox is the page at s px per metre
    vb = [float(v) for v in root.get("viewBox").split()]
    assert vb[2] == float(root.get("width")) and vb[3] == float(root.get("height"))
    for shot in scene.shots:
        el = ids[f"camera-{shot.id}"]
        assert el.tag == NS + "circle"
        x, z = to_m(float(el.get("cx")), float(el.get("cy")))
        p = evaluate(scene, shot, 0).position_m
        assert abs(x - p[0]) < 0.01 and abs(z - p[2]) < 0.01, shot.id
        assert abs(float(el.get("data-x-m")) - p[0]) < 1e-3
        assert abs(float(el.get("data-z-m")) - p[2]) < 1e-3
    # a shot's own plan has its camera at the same place, and no other shot's
    _, ids3a, to_m3a, _ = _svg(out / "plan_3A.svg")
    assert "camera-3A" in ids3a and "camera-1A" not in ids3a
    x, z = to_m3a(float(ids3a["camera-3A"].get("cx")), float(ids3a["camera-3A"].get("cy")))
    assert (round(float(x), 2), round(float(z), 2)) == (0.0, 4.0)


def test_plan_orientation_minus_z_is_up_the_page(scene, plans):
    out, _ = plans
    _, ids, _, _ = _svg(out / "plan.svg")
    # 1A stands downstage (z = 7.5) of 3A (z = 4.0): lower on the page, i.e. larger y
    assert float(ids["camera-1A"].get("cy")) > float(ids["camera-3A"].get("cy"))
    # 1C (x = -1.6) is left of 1D (x = 2.01)
    assert float(ids["camera-1C"].get("cx")) < float(ids["camera-1D"].get("cx"))


def test_wall_polyline_lies_on_the_cylinder(scene, plans):
    out, _ = plans
    _, ids, to_m, _ = _svg(out / "plan.svg")
    sec = scene.stage.sections[0]
    el = ids["wall-main-wall"]
    x, z = to_m(*_points(el).T)
    r = np.hypot(x - sec.center_xz_m[0], z - sec.center_xz_m[1])
    lay = section_layouts(scene.stage)[0]
    phi = 2 * math.asin(0.5 / (2 * sec.radius_m))
    sagitta = sec.radius_m * (1 - math.cos(phi / 2))
    assert len(r) == lay.columns + 1  # one vertex per cabinet joint, as built
    assert np.all(np.abs(r - sec.radius_m) <= sagitta + 0.01)
    # the arc as built: starts at azimuth 45 deg, spans the layout's arc, open at +Z
    az = np.degrees(np.arctan2(x - sec.center_xz_m[0], z - sec.center_xz_m[1])) % 360
    assert az[0] == pytest.approx(45.0, abs=0.05)
    assert az[-1] == pytest.approx((45.0 + lay.arc_deg) % 360, abs=0.05)
    assert float(np.min(z)) == pytest.approx(-sec.radius_m, abs=0.02)  # upstage, at the top
    # the ceiling outline is dashed, and as built (28 x 24 cabinets = 14 x 12 m)
    ce = ids["ceiling"]
    assert ce.get("stroke-dasharray")
    cx, cz = to_m(*_points(ce).T)
    assert np.ptp(cx) == pytest.approx(14.0, abs=0.01) and np.ptp(cz) == pytest.approx(
        12.0, abs=0.01
    )


def test_scale_bar_length_equals_its_label_times_px_per_m(plans):
    out, _ = plans
    _, ids, _, s = _svg(out / "plan.svg")
    pts = _points(ids["scale-bar"])
    length_units = float(np.linalg.norm(pts[-1] - pts[0]))
    label = ids["scale-bar-label"].text
    m = re.fullmatch(r"(\d+(?:\.\d+)?) m", label)
    assert m, label
    assert s == 40.0
    assert length_units == pytest.approx(float(m.group(1)) * s, abs=0.01)
    assert length_units == pytest.approx(200.0, abs=0.01)


def test_dolly_path_length_is_the_dolly_distance(plans):
    out, _ = plans
    for name in ("plan.svg", "plan_3A.svg"):
        _, ids, to_m, _ = _svg(out / name)
        x, z = to_m(*_points(ids["path-3A"]).T)
        length = float(np.sum(np.hypot(np.diff(x), np.diff(z))))
        assert length == pytest.approx(2.0, abs=0.01)
        # it runs from the camera's start towards the subject (up the page)
        assert (x[0], z[0]) == pytest.approx((0.0, 4.0), abs=0.01)
        assert z[-1] < z[0] - 1.9


def test_orbit_path_keeps_its_distance_from_the_centre(scene, plans):
    out, _ = plans
    _, ids, to_m, _ = _svg(out / "plan_3B.svg")
    x, z = to_m(*_points(ids["path-3B"]).T)
    d = np.hypot(x - (-0.1), z - (-1.4))
    assert len(d) == scene.shot("3B").length_frames
    assert np.all(np.abs(d - 4.0) < 0.01)
    # it swings 60 deg: the last point is 60 deg round from the first
    a0 = math.atan2(x[0] + 0.1, z[0] + 1.4)
    a1 = math.atan2(x[-1] + 0.1, z[-1] + 1.4)
    assert abs(math.degrees(a1 - a0)) == pytest.approx(60.0, abs=0.5)


def test_walk_and_static_shots(scene, plans):
    out, _ = plans
    _, ids, to_m, _ = _svg(out / "plan_3C.svg")
    walk = ids["walk-3C-Attendant"]
    assert walk.get("stroke-dasharray")
    x, z = to_m(*_points(walk).T)
    assert (x[0], z[0]) == pytest.approx((1.8, -2.1), abs=0.01)
    assert (x[-1], z[-1]) == pytest.approx((3.2, -2.0), abs=0.01)
    assert "path-3C" not in ids  # the camera does not move in 3C
    _, ids1a, _, _ = _svg(out / "plan_1A.svg")
    assert "path-1A" not in ids1a and "walk-3C-Attendant" not in ids1a


def test_frustum_wedge_spans_the_horizontal_fov(scene, plans):
    out, _ = plans
    _, ids, to_m, _ = _svg(out / "plan_1B.svg")
    x, z = to_m(*_points(ids["frustum-1B"]).T)
    apex = np.array([x[0], z[0]])
    e0 = np.array([x[1], z[1]]) - apex
    e1 = np.array([x[-1], z[-1]]) - apex
    ang = math.degrees(math.acos(float(e0 @ e1) / np.linalg.norm(e0) / np.linalg.norm(e1)))
    assert ang == pytest.approx(evaluate(scene, "1B", 0).hfov_deg, abs=0.1)
    # on a shot's own plan the wedge runs to the wall: its far points sit on the cylinder
    far = np.hypot(x[1:], z[1:])
    assert np.all(np.abs(far - 10.0) < 0.05)


def test_set_footprints_are_the_pieces_hulls(scene, plans):
    out, _ = plans
    _, ids, to_m, _ = _svg(out / "plan.svg")
    x, z = to_m(*_points(ids["set-fuel-island"]).T)  # a 3.0 x 1.0 box at (1.8, -2.8)
    assert (x.min(), x.max(), z.min(), z.max()) == pytest.approx((0.3, 3.3, -3.3, -2.3), abs=0.01)
    x, z = to_m(*_points(ids["set-crates"]).T)  # 1.2 x 0.8 turned -12 deg: hull area 0.96 m2
    area = 0.5 * abs(np.dot(x, np.roll(z, 1)) - np.dot(z, np.roll(x, 1)))
    assert area == pytest.approx(0.96, abs=0.01)
    assert ids["set-gas-sign"].get("stroke-dasharray")  # overhead: dashed


def test_png_size_and_camera_pixel(scene, plans, tmp_path):
    from PIL import Image

    out, _ = plans
    root, ids, _, s = _svg(out / "plan.svg")
    img = Image.open(out / "plan.png").convert("RGB")
    assert img.size == (int(root.get("width")), int(root.get("height")))
    x0, z0 = float(root.get("data-x0-m")), float(root.get("data-z0-m"))
    p = evaluate(scene, "1A", 0).position_m
    px, py = (p[0] - x0) * s, (p[2] - z0) * s
    got = np.array(img.getpixel((int(px), int(py))), float)
    want = np.array(fp.shot_colour(scene, "1A"), float)
    assert np.abs(got - want).max() <= 6, (got, want)
    # a pixel half a metre away is not the marker
    assert np.abs(np.array(img.getpixel((int(px + 0.5 * s), int(py))), float) - want).max() > 30
    # another scale: the size follows it
    prims = fp.plan_primitives(scene, ["1A"], date="2025-06-01")
    fp.write_png(prims, tmp_path / "half.png", title="t", px_per_m=20)
    w, h = fp.page_size_px(prims, 40)
    assert Image.open(tmp_path / "half.png").size == (w // 2, h // 2)


def test_same_scene_same_files(scene, tmp_path):
    a = fp.svg_bytes(fp.plan_primitives(scene, ["3A"], date="2025-06-01"), title="x")
    b = fp.svg_bytes(fp.plan_primitives(scene, ["3A"], date="2025-06-01"), title="x")
    assert a == b
    assert b"2025-06-01" in a


def test_flat_section_wall(scene):
    stage = replace(
        scene.stage, sections=(FlatSection("back", (4.0, -5.0), (-4.0, -5.0), 5.0),), ceiling=None
    )
    sc = replace(scene, stage=stage)
    prims = fp.plan_primitives(sc, ["1B"])
    wall = next(p for p in prims if p.id == "wall-back")
    assert len(wall.points) == 17  # 16 cabinets
    assert np.allclose(wall.points[0], (4.0, -5.0)) and np.allclose(wall.points[-1], (-4.0, -5.0))
    assert not any(p.id == "ceiling" for p in prims)
    # the 1B wedge stops at the flat wall (z = -5)
    wedge = next(p for p in prims if p.id == "frustum-1B")
    assert np.allclose(wedge.points[1:, 1], -5.0, atol=1e-6)


def test_unknown_shot_is_a_previs_error(scene):
    from previs.errors import PrevisError

    with pytest.raises(PrevisError):
        fp.plan_primitives(scene, ["9Z"])


# ---------------------------------------------------------------- labels, lenses, marks, tracks, legend
def _label_and_symbol_boxes(path: Path):
    """Label boxes from the SVG's text as the PNG's font measures it (px), mark discs, and the
    boxes of the symbols labels must keep off (cameras, stand-ins, lights, crane columns)."""
    from PIL import ImageFont

    root = ET.parse(path).getroot()
    labels, symbols, discs = [], [], []
    for g in root.iter(NS + "g"):
        layer = g.get("class")
        for el in g:
            pid = el.get("id") or ""
            if el.tag == NS + "circle" and (
                layer == "layer-labels" or re.match(r"(camera|camera-end|standin|light)-", pid)
            ):
                cx, cy, r = (float(el.get(k)) for k in ("cx", "cy", "r"))
                (discs if layer == "layer-labels" else symbols).append(
                    (cx - r, cy - r, cx + r, cy + r, pid)
                )
            elif el.tag == NS + "polygon" and re.match(r"(light|crane-pivot)-", pid):
                pts = _points(el)
                symbols.append((*pts.min(axis=0), *pts.max(axis=0), pid))
            elif el.tag == NS + "text" and layer == "layer-labels":
                size = float(el.get("font-size"))
                font = ImageFont.load_default(size=max(1, round(size)))
                anchor = {"start": "lm", "middle": "mm", "end": "rm"}[el.get("text-anchor")]
                x, y = float(el.get("x")), float(el.get("y"))
                if any(
                    abs((d[0] + d[2]) / 2 - x) < 0.01 and abs((d[1] + d[3]) / 2 - y) < 0.01
                    for d in discs
                ):
                    continue  # a mark's number, inside its disc
                x0, y0, x1, y1 = font.getbbox(el.text, anchor=anchor)
                labels.append((x + x0, y + y0, x + x1, y + y1, el.text))
    return labels + discs, symbols


def _hit(a, b, tol_px=0.5) -> bool:
    return min(a[2], b[2]) - max(a[0], b[0]) > tol_px and min(a[3], b[3]) - max(a[1], b[1]) > tol_px


def test_no_label_overlaps_another_label_or_a_symbol(scene, plans):
    out, _ = plans
    for name in ["plan.svg"] + [f"plan_{s.id}.svg" for s in scene.shots]:
        labels, symbols = _label_and_symbol_boxes(out / name)
        assert len(labels) > 20, name
        for i, a in enumerate(labels):
            for b in labels[i + 1 :]:
                assert not _hit(a, b), (name, a[4], b[4])
            for s in symbols:
                assert not _hit(a, s), (name, a[4], s[4])
    # the two the example used to get wrong
    labels, _ = _label_and_symbol_boxes(out / "plan.svg")
    texts = [b[4] for b in labels]
    assert "Attendant" in texts and "pump 1" in texts and "fuel island" in texts


def test_every_camera_label_carries_its_lens(scene, plans):
    out, _ = plans
    for name in ["plan.svg"] + [f"plan_{s.id}.svg" for s in scene.shots]:
        _, ids, _, _ = _svg(out / name)
        shots = scene.shots if name == "plan.svg" else [scene.shot(name[5:-4])]
        for shot in shots:
            lab = ids[f"camera-label-{shot.id}"].text
            f = evaluate(scene, shot, 0).focal_length_mm
            assert lab.startswith(shot.id) and f"{f:g}mm" in lab, (name, lab)
    _, ids, _, _ = _svg(out / "plan.svg")
    assert ids["camera-label-1D"].text == "1D 75mm" and ids["camera-label-1A"].text == "1A 25mm"


def test_walk_marks_in_the_characters_colour(scene, plans):
    out, _ = plans
    for name in ("plan.svg", "plan_3C.svg"):
        _, ids, to_m, _ = _svg(out / name)
        want = [((1.8, -2.1), 12, "start"), ((2.6, -1.6), None, "turn"), ((3.2, -2.0), 84, "end")]
        walk = ids["walk-3C-Attendant"]
        for n, (pt, frame, kind) in enumerate(want, start=1):
            m = ids[f"mark-Attendant-{n}"]
            assert (float(m.get("data-x-m")), float(m.get("data-z-m"))) == pytest.approx(
                pt, abs=1e-3
            )
            assert m.get("data-kind") == kind and m.get("data-number") == str(n)
            if frame is not None:
                assert int(m.get("data-frame")) == frame
            assert 12 < int(ids["mark-Attendant-2"].get("data-frame")) < 84
            assert m.get("fill") == walk.get("stroke")  # the mark and the walk share a colour
            # the number sits beside its mark (within a metre), not across the plan
            x, z = to_m(float(m.get("cx")), float(m.get("cy")))
            assert math.hypot(x - pt[0], z - pt[1]) < 1.0
        assert "mark-Attendant-4" not in ids and "mark-Mara-1" not in ids  # Mara does not walk
        stand = ids["standin-Attendant"]
        assert stand.get("stroke") == walk.get("stroke")
    # the three stand-ins have three different colours, from the colour-blind-safe set
    _, ids, _, _ = _svg(out / "plan.svg")
    cols = {ids[f"standin-{n}"].get("stroke") for n in ("Mara", "Dale", "Attendant")}
    palette = {"#{:02x}{:02x}{:02x}".format(*c) for c in fp.CHARACTER_COLOURS}
    assert len(cols) == 3 and cols <= palette
    _, ids1a, _, _ = _svg(out / "plan_1A.svg")
    assert not [k for k in ids1a if k.startswith("mark-")]  # nobody walks in 1A


def test_dolly_track_under_the_dolly_and_the_orbit(scene, plans):
    out, _ = plans
    _, ids, to_m, _ = _svg(out / "plan.svg")
    for sid, move in (("3A", "dolly"), ("3B", "orbit")):
        rail = ids[f"track-{sid}"]
        assert rail.get("data-move") == move
    for sid in ("1A", "2B", "3C"):
        assert f"track-{sid}" not in ids and f"crane-{sid}" not in ids
    # the 3A rails: two parallel lines the gauge apart, the 2 m dolly plus the overrun at each end
    g = next(
        g
        for g in ET.parse(out / "plan_3A.svg").getroot().iter(NS + "g")
        if any(e.get("id") == "track-3A" for e in g)
    )
    rails = [e for e in g if e.tag == NS + "polyline" and e.get("stroke-width") == "1.6"]
    assert len(rails) == 2
    (xa, za), (xb, zb) = (to_m(*_points(r).T) for r in rails)
    gap = np.hypot(xa - xb, za - zb)
    assert np.allclose(gap, 0.62, atol=0.01)
    # centred on the camera's path: each midpoint within 1 cm of the path-3A polyline
    path = np.stack(to_m(*_points(ids["path-3A"]).T), axis=1)
    a, b = path[:-1], path[1:]
    for m in np.stack([(xa + xb) / 2, (za + zb) / 2], axis=1)[1:-1]:
        t = np.clip(
            np.einsum("ij,ij->i", m - a, b - a)
            / np.maximum(np.einsum("ij,ij->i", b - a, b - a), 1e-12),
            0,
            1,
        )
        assert np.min(np.linalg.norm(a + (b - a) * t[:, None] - m, axis=1)) < 0.01
    assert float(np.hypot(np.diff(xa), np.diff(za)).sum()) == pytest.approx(2.8, abs=0.02)
    assert float(ids["track-3A"].get("data-length-m")) == pytest.approx(2.8, abs=0.01)


def test_crane_arc_and_truck_track(scene):
    from previs.core.moves import Move

    crane = Move("crane", 0, 100, {"arm_length_m": 3.0, "swing_deg": 40, "boom_deg": 15})
    truck = Move("truck", 0, 100, {"distance_m": 1.5})
    shots = (replace(scene.shot("1B"), moves=(crane,)), replace(scene.shot("1C"), moves=(truck,)))
    sc = replace(scene, shots=shots)
    prims = {p.id: p for p in fp.plan_primitives(sc) if p.id}
    arc = prims["crane-1B"]
    piv = np.array([float(arc.data["pivot-x-m"]), float(arc.data["pivot-z-m"])])
    # the default pivot: the arm's length behind the camera (at (0, 2.6), facing upstage)
    assert piv == pytest.approx((0.075, 5.6), abs=0.01)
    r = np.linalg.norm(arc.points - piv, axis=1)
    assert np.allclose(r, 3.0, atol=1e-3)  # the arm's reach
    assert abs(float(arc.data["swing-deg"])) == pytest.approx(40.0, abs=0.5)
    assert "crane-pivot-1B" in prims and "track-1B" not in prims
    track = prims["track-1C"]
    assert track.data["move"] == "truck"
    assert float(track.data["length-m"]) == pytest.approx(1.5 + 0.8, abs=0.01)


def test_legend_explains_what_the_plan_shows(scene, plans):
    out, _ = plans
    _, ids, _, _ = _svg(out / "plan.svg")
    for key in (
        "camera",
        "fov",
        "move",
        "track",
        "standin",
        "walk",
        "mark",
        "light",
        "wall",
        "ceiling",
    ):
        assert f"legend-{key}" in ids, key
    assert "legend-crane" not in ids  # no crane in the example
    _, ids1a, _, _ = _svg(out / "plan_1A.svg")
    assert "legend-camera" in ids1a and "legend-track" not in ids1a and "legend-mark" not in ids1a
