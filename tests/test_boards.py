"""Storyboard panels and sheets: panels at the first, key and last frames, arrows that show what the
camera and the stand-ins do (checked as data and in the pixels), and PDF sheets read back with
poppler (page count, page x of y, shot ids, panels where the layout puts them, legible text)."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from previs import api
from previs.core import transforms as tf
from previs.core.frame import evaluate, key_frames, walk_poses
from previs.errors import PrevisError
from previs.export import boards
from previs.export.boards import (
    Panel,
    draw_motion_arrows,
    motion_arrows,
    panels_for_shot,
    write_sheets,
)

ROOT = Path(__file__).resolve().parents[1]
PDFTOPPM, PDFTOTEXT = shutil.which("pdftoppm"), shutil.which("pdftotext")
needs_poppler = pytest.mark.skipif(not (PDFTOPPM and PDFTOTEXT), reason="poppler-utils (pdftoppm, pdftotext) missing")

# A grey card and a blue box on a black stage; scope frame lines in a 16:9 image. Shots: a pan
# left, a dolly in, a walk across a locked-off frame, and a few moves only checked as data.
SCENE = """\
format_version: 1
name: boards test
frame_rate: 24
set:
  - {name: card, type: box, size_m: [3.0, 2.0, 0.05], translation_m: [0.0, 0.5, -2.0], color: "#808080", roughness: 1.0}
  - {name: box, type: box, size_m: [0.6, 0.6, 0.6], translation_m: [0.8, 0, 0.0], color: "#3050c0", roughness: 1.0}
  - {name: walker, type: standin, height_m: 1.8, translation_m: [-1.5, 0, 0.5]}
lights:
  - {name: sun, type: directional, azimuth_deg: 0, elevation_deg: 50, illuminance_lux: 400, kelvin: 5600}
camera:
  body: alexa-35
  mode: 4.6k-16-9
  lens_kit: arri-signature-prime
  iso: 800
  t_stop: 4
  focus_m: 5
  delivery_aspect: "2.39"
shots:
  - id: PAN
    scene: 7
    description: PAN LEFT across the card
    length_frames: 24
    camera: {position_m: [0, 1.2, 5.0], pan_deg: 0, tilt_deg: 0, focal_length_mm: 35}
    moves:
      - {type: pan, start_frame: 0, end_frame: 23, angle_deg: 12, interp: linear}
  - id: DOL
    scene: 7
    description: DOLLY IN on the box
    length_frames: 24
    camera: {position_m: [0.8, 0.6, 5.0], pan_deg: 0, tilt_deg: 0, focal_length_mm: 35}
    moves:
      - {type: dolly, start_frame: 0, end_frame: 23, distance_m: 2.0, interp: ease}
  - id: WLK
    scene: 8
    description: The walker crosses the frame left to right
    length_frames: 48
    camera: {position_m: [0, 1.2, 5.0], pan_deg: 0, tilt_deg: 0, focal_length_mm: 29}
    walks:
      - {standin: walker, start_frame: 0, end_frame: 47, points_m: [[-1.5, 0, 0.5], [0.0, 0, 1.0], [1.5, 0, 0.5]]}
  - id: TRK
    scene: 8
    description: truck right
    length_frames: 24
    camera: {position_m: [0, 1.2, 5.0], pan_deg: 0, tilt_deg: 0, focal_length_mm: 35}
    moves:
      - {type: truck, start_frame: 0, end_frame: 23, distance_m: 1.0}
  - id: TLT
    scene: 8
    description: tilt up
    length_frames: 24
    camera: {position_m: [0, 1.2, 5.0], pan_deg: 0, tilt_deg: 0, focal_length_mm: 35}
    moves:
      - {type: tilt, start_frame: 0, end_frame: 23, angle_deg: 10}
  - id: PED
    scene: 8
    description: pedestal down
    length_frames: 24
    camera: {position_m: [0, 1.2, 5.0], pan_deg: 0, tilt_deg: 0, focal_length_mm: 35}
    moves:
      - {type: pedestal, start_frame: 0, end_frame: 23, distance_m: -0.6}
  - id: ORB
    scene: 8
    description: orbit
    length_frames: 48
    camera: {position_m: [0, 1.2, 5.0], look_at_m: [0, 1.2, 0], focal_length_mm: 35}
    moves:
      - {type: orbit, start_frame: 0, end_frame: 47, subject_m: [0, 1.2, 0], angle_deg: 40}
  - id: DUT
    scene: 8
    description: dutch
    length_frames: 24
    camera: {position_m: [0, 1.2, 5.0], pan_deg: 0, tilt_deg: 0, focal_length_mm: 35}
    moves:
      - {type: dutch, start_frame: 0, end_frame: 23, angle_deg: 15}
"""


@pytest.fixture(scope="module")
def test_scene(tmp_path_factory):
    p = tmp_path_factory.mktemp("boards") / "boards_test.yaml"
    p.write_text(SCENE)
    return api.load_scene(p)


@pytest.fixture(scope="module")
def led_scene():
    return api.load_scene(ROOT / "scenes" / "led_stage.yaml")


@pytest.fixture(scope="module")
def test_renderer(test_scene):
    with api.StageRenderer(test_scene, width=400) as r:
        yield r


def _ends(scene, sid):
    shot = scene.shot(sid)
    return evaluate(scene, shot, 0), evaluate(scene, shot, shot.length_frames - 1)


def _amber(img: np.ndarray) -> np.ndarray:
    c = img.astype(int)
    r, g, b = c[..., 0], c[..., 1], c[..., 2]
    return (r > 200) & (g > 140) & (g < 230) & (b < 90)


def _cyan(img: np.ndarray) -> np.ndarray:
    c = img.astype(int)
    return (c[..., 2] > 190) & (c[..., 1] > 160) & (c[..., 0] < 90)


# ---------------------------------------------------------------- panels per shot
def test_panel_count_is_the_key_frames(led_scene):
    """A static shot gets one panel; the dolly-with-rack 3A gets first, rack start/end and last."""
    with api.StageRenderer(led_scene, width=320) as r:
        static = panels_for_shot(led_scene, "1A", r, width=320)
        moving = panels_for_shot(led_scene, "3A", r, width=320)
    assert len(static) == 1 and static[0].frame == 0
    assert [p.frame for p in moving] == key_frames(led_scene, led_scene.shot("3A")) == [0, 60, 100, 119]
    assert [(p.index, p.count) for p in moving] == [(1, 4), (2, 4), (3, 4), (4, 4)]
    for p in static + moving:
        h, w = p.image.shape[:2]
        assert w == 320 and h == round(320 / p.state.image_aspect)  # the recording mode's aspect, unstretched
        assert p.image.std() > 10
    assert moving[0].caption[0].startswith("3A") and "00:00:02:12" in moving[1].caption[0]
    assert "dolly in 2 m" in moving[0].caption[3] and "rack focus to Mara" in moving[1].caption[3]
    assert "end of shot" in moving[3].caption[3] and static[0].caption[3] == "Move: static"
    assert "T4" in moving[0].caption[2] and "40 mm" in moving[0].caption[2]
    # the dolly shows on every panel but the last, and only there
    assert all(any(a.kind == "dolly_in" for a in p.arrows) for p in moving[:3])
    assert not moving[3].arrows and not static[0].arrows


# ---------------------------------------------------------------- camera arrows
def test_pan_left_arrow_points_left_in_data_and_pixels(test_scene, test_renderer):
    a, b = _ends(test_scene, "PAN")
    raw = test_renderer.render(a, read_depth=False).color
    h, w = raw.shape[:2]
    arrows = motion_arrows(a, b, test_scene, (w, h))
    assert [x.kind for x in arrows] == ["shift"]
    v = arrows[0].vector
    assert v[0] < -0.9 * np.linalg.norm(v), v  # left, barely any vertical
    assert arrows[0].label == "left"
    drawn = draw_motion_arrows(raw, a, b, test_scene)
    changed = np.abs(drawn.astype(int) - raw.astype(int)).sum(axis=2) > 30
    amber = _amber(drawn) & changed
    assert amber.sum() > 150
    ys, xs = np.nonzero(amber)
    # the head is wider than the shaft: the colour's centroid lies towards the head, i.e. left of
    # the middle of the arrow's extent
    assert xs.mean() < (xs.min() + xs.max()) / 2 - 3
    assert np.ptp(xs) > 4 * np.ptp(ys)
    # everything drawn stays inside the scope frame lines
    x0, y0, x1, y1 = boards.frame_rect_px(a, w, h)
    ys_all, xs_all = np.nonzero(changed)
    assert ys_all.min() >= int(y0) and ys_all.max() <= int(np.ceil(y1))


def test_dolly_in_arrows_point_outward(test_scene, test_renderer):
    a, b = _ends(test_scene, "DOL")
    raw = test_renderer.render(a, read_depth=False).color
    h, w = raw.shape[:2]
    arrows = motion_arrows(a, b, test_scene, (w, h))
    push = [x for x in arrows if x.kind == "dolly_in"]
    assert len(push) == 4 and not [x for x in arrows if x.kind in ("zoom_in", "zoom_out", "dolly_out")]
    x0, y0, x1, y1 = boards.frame_rect_px(a, w, h)
    c = np.array([(x0 + x1) / 2, (y0 + y1) / 2])
    quads = set()
    for x in push:
        out = x.points[0] - c
        assert np.dot(x.vector, out) > 0.9 * np.linalg.norm(x.vector) * np.linalg.norm(out)  # radial, outward
        assert np.linalg.norm(x.points[-1] - c) > np.linalg.norm(x.points[0] - c)
        quads.add((np.sign(out[0]), np.sign(out[1])))
    assert len(quads) == 4  # one towards each corner
    drawn = draw_motion_arrows(raw, a, b, test_scene)
    amber = _amber(drawn) & (np.abs(drawn.astype(int) - raw.astype(int)).sum(axis=2) > 30)
    ys, xs = np.nonzero(amber)
    assert amber.sum() > 150
    # amber in all four quadrants round the centre, and more of it far out (the heads) than near
    for sx, sy in quads:
        assert ((np.sign(xs - c[0]) == sx) & (np.sign(ys - c[1]) == sy)).sum() > 20
    r = np.hypot((xs - c[0]) / (x1 - x0), (ys - c[1]) / (y1 - y0))
    assert (r > 0.3).sum() > (r < 0.2).sum()


@pytest.mark.parametrize("sid,kind,check", [
    ("TRK", "shift", lambda v: v[0] > 0.9 * np.linalg.norm(v)),         # truck right: arrow right
    ("TLT", "shift", lambda v: -v[1] > 0.9 * np.linalg.norm(v)),        # tilt up: arrow up (y down)
    ("PED", "shift", lambda v: v[1] > 0.9 * np.linalg.norm(v)),         # pedestal down: arrow down
])
def test_straight_moves_point_the_way_the_framing_goes(test_scene, sid, kind, check):
    a, b = _ends(test_scene, sid)
    arrows = motion_arrows(a, b, test_scene, (400, 225))
    assert [x.kind for x in arrows] == [kind]
    assert check(arrows[0].vector), arrows[0].vector


def test_orbit_is_a_curved_arrow_the_way_the_camera_travels(test_scene):
    a, b = _ends(test_scene, "ORB")  # +40 deg counter-clockwise from above: the camera goes to its right
    arrows = motion_arrows(a, b, test_scene, (400, 225))
    kinds = [x.kind for x in arrows]
    assert kinds == ["orbit"], kinds  # no dolly: the distance to the subject holds
    pts = arrows[0].points
    assert len(pts) > 8 and pts[-1][0] > pts[0][0]  # travels right
    mid = pts[len(pts) // 2]
    assert mid[1] > max(pts[0][1], pts[-1][1]) + 10  # bowed: the front of an ellipse round the subject
    # the mirror-image orbit travels left
    mirror = replace(b, world_from_camera=np.diag([-1.0, 1, 1, 1]) @ b.world_from_camera @ np.diag([-1.0, 1, 1, 1]))
    back = motion_arrows(a, mirror, test_scene, (400, 225))
    assert [x.kind for x in back] == ["orbit"] and back[0].points[-1][0] < back[0].points[0][0]


def test_dutch_is_a_curved_arrow_and_static_has_none(test_scene):
    a, b = _ends(test_scene, "DUT")
    arrows = motion_arrows(a, b, test_scene, (400, 225))
    assert [x.kind for x in arrows] == ["roll"]
    pts = arrows[0].points
    assert pts[-1][0] > pts[0][0]  # clockwise over the top: left to right
    assert motion_arrows(a, a, test_scene, (400, 225)) == []
    assert motion_arrows(a, None, test_scene, (400, 225)) == []


def test_zoom_draws_converging_brackets(test_scene):
    a, _ = _ends(test_scene, "PAN")
    lens = replace(a.lens, focal_length_mm=70.0)
    b = replace(a, focal_length_mm=70.0, lens=lens)
    arrows = motion_arrows(a, b, test_scene, (400, 225))
    zoom = [x for x in arrows if x.kind == "zoom_in"]
    assert len(zoom) == 4 and len([x for x in arrows if x.kind == "bracket"]) == 4
    assert not [x for x in arrows if x.kind.startswith("dolly") or x.kind == "shift"]
    c = np.array([200.0, 112.5])
    for x in zoom:  # from the corners in towards the centre
        assert np.linalg.norm(x.points[-1] - c) < np.linalg.norm(x.points[0] - c)


# ---------------------------------------------------------------- subject arrows
def test_walk_arrow_lies_along_the_projected_path(test_scene, test_renderer):
    shot = test_scene.shot("WLK")
    st = evaluate(test_scene, shot, 0)
    raw = test_renderer.render(st, read_depth=False).color
    h, w = raw.shape[:2]
    arrows = motion_arrows(st, None, test_scene, (w, h))
    assert [x.kind for x in arrows] == ["subject"] and arrows[0].label == "walker"
    pts = arrows[0].points
    # the path by hand: the walker's pose over the walk, at half its height, through the camera
    clip = tf.perspective(st.yfov_rad, w / h, st.near_m, st.far_m) @ np.linalg.inv(st.world_from_camera)
    world = np.array([(walk_poses(test_scene, shot, f)["walker"] @ [0, 0.9, 0, 1])[:3] for f in range(48)])
    expected = tf.project_to_pixels(clip, world, w, h)
    np.testing.assert_allclose(pts[0], expected[0], atol=0.5)
    np.testing.assert_allclose(pts[-1], expected[-1], atol=0.5)

    def dist_to_path(p):
        a, b = expected[:-1], expected[1:]
        t = np.clip(np.einsum("ij,ij->i", p - a, b - a) / np.maximum(np.einsum("ij,ij->i", b - a, b - a), 1e-9), 0, 1)
        return np.min(np.linalg.norm(a + t[:, None] * (b - a) - p, axis=1))

    assert max(dist_to_path(p) for p in pts) < 1.0
    assert pts[-1][0] - pts[0][0] > 0.3 * w  # left to right across the frame
    # in the pixels: cyan along that path
    drawn = draw_motion_arrows(raw, st, None, test_scene)
    cyan = _cyan(drawn) & (np.abs(drawn.astype(int) - raw.astype(int)).sum(axis=2) > 30)
    ys, xs = np.nonzero(cyan)
    assert len(xs) > 150
    d = np.array([dist_to_path(np.array([x + 0.5, y + 0.5])) for x, y in zip(xs[::3], ys[::3], strict=True)])
    assert np.median(d) < 3.0 and d.max() < 12.0
    # half-way through, the arrow starts where the walker is then
    mid = evaluate(test_scene, shot, 24)
    arr = motion_arrows(mid, None, test_scene, (w, h))[0]
    np.testing.assert_allclose(arr.points[0], expected[24], atol=0.5)
    assert motion_arrows(evaluate(test_scene, shot, 47), None, test_scene, (w, h)) == []  # walk over


# ---------------------------------------------------------------- sheets
def _fake_panels(scene, ids_frames, size=(330, 227)):
    """Panels with real states and captions and a busy synthetic image (no rendering)."""
    w, h = size
    yy, xx = np.mgrid[0:h, 0:w]
    out = []
    for i, (sid, frame) in enumerate(ids_frames):
        st = evaluate(scene, sid, frame)
        img = np.stack([(xx * 255 // w), (yy * 255 // h), ((xx // 16 + yy // 16 + i) % 2) * 200 + 30], axis=-1)
        cap = boards.panel_caption(st, scene, 1, 1, None)
        out.append(Panel(sid, frame, img.astype(np.uint8), cap, st, scene_number=scene.shot(sid).scene_number))
    return out


def _pages(pdf: Path, tmp: Path, dpi: int = 40) -> list[np.ndarray]:
    from PIL import Image

    prefix = tmp / f"{pdf.stem}_page"
    subprocess.run([PDFTOPPM, "-png", "-r", str(dpi), str(pdf), str(prefix)], check=True)
    files = sorted(tmp.glob(f"{pdf.stem}_page*.png"), key=lambda p: int(re.findall(r"(\d+)\.png$", p.name)[0]))
    return [np.asarray(Image.open(f).convert("RGB")) for f in files]


def _text(pdf: Path) -> str:
    return subprocess.run([PDFTOTEXT, str(pdf), "-"], check=True, capture_output=True, text=True).stdout


SCENE1 = [(s, 0) for s in ("1A", "1B", "1C", "1D", "1E", "1F")]


@needs_poppler
@pytest.mark.parametrize("per_page,pages", [(4, 4), (6, 3), (8, 2)])
def test_sheet_pages_and_panels_where_the_layout_says(led_scene, tmp_path, per_page, pages):
    panels = _fake_panels(led_scene, (SCENE1 * 3)[:14])
    (pdf,) = write_sheets(panels, tmp_path, led_scene, per_page=per_page, date="2026-06-15", version="v3")
    assert pdf.name == "led_stage_boards.pdf"
    imgs = _pages(pdf, tmp_path)
    assert len(imgs) == pages
    lay = boards.sheet_layout(per_page, 330 / 227)
    px = 40 / 25.4
    for n, page in enumerate(imgs):
        assert page.std() > 20 and (page < 128).mean() > 0.05  # not blank
        ph, pw = page.shape[:2]
        assert abs(pw / ph - lay.page_w / lay.page_h) < 0.01
        on_page = min(per_page, 14 - n * per_page)
        for k, (x, y, w, h) in enumerate(lay.images):
            xs = slice(int(np.ceil((x + 1.0) * px)), int((x + w - 1.0) * px))  # 1 mm inside the image's box
            crop = page[int(np.ceil((y + 1.0) * px)):int((y + h - 1.0) * px), xs]
            above = page[int((y - 2.2) * px):int((y - 0.8) * px), xs]  # the gap above a panel: paper
            assert above.size and above.mean() > 250 and above.std() < 4, (n, k)
            if k < on_page:
                assert crop.std() > 30, (n, k)  # the panel's image is there, not stretched off its box
                # the image fills its box edge to edge: no paper shows inside it (the synthetic
                # image is never white: its blue channel stays at or below 230)
                assert (crop.min(axis=2) > 245).mean() < 0.002, (n, k)
            else:
                assert crop.std() < 2 and crop.mean() > 250, (n, k)  # an empty slot stays paper
    text = _text(pdf)
    assert f"Page 1 of {pages}" in text and f"Page {pages} of {pages}" in text
    for sid, _ in SCENE1:
        assert sid in text
    assert "v3" in text and "2026-06-15" in text and "Desert Diner" in text
    assert "WIDE MASTER" in text and "T4" in text


@needs_poppler
def test_sheet_text_is_at_least_8pt(led_scene, tmp_path):
    (pdf,) = write_sheets(_fake_panels(led_scene, SCENE1 + [("3A", 0)]), tmp_path / "b.pdf", led_scene, per_page=8,
                          date="2026-06-15")
    html = subprocess.run([PDFTOTEXT, "-bbox", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    boxes = [(float(a), float(b), word) for a, b, word in
             re.findall(r'yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)<', html)]
    assert len(boxes) > 100
    heights = np.array([b - a for a, b, _ in boxes])
    assert heights.min() >= 8.0 * 1.1, [w for a, b, w in boxes if b - a < 8.8][:10]  # 8 pt text has a ~9.3 pt box


@needs_poppler
def test_per_scene_writes_one_pdf_per_scene_number(led_scene, tmp_path):
    ids = SCENE1 + [("2A", 0), ("2B", 0), ("3A", 0), ("3A", 60), ("3B", 0)]
    files = write_sheets(_fake_panels(led_scene, ids), tmp_path, led_scene, per_page=4, per_scene=True,
                         date="2026-06-15")
    assert [f.name for f in files] == ["led_stage_boards_sc1.pdf", "led_stage_boards_sc2.pdf", "led_stage_boards_sc3.pdf"]
    want = {"1": ({"1A", "1B", "1C", "1D", "1E", "1F"}, 2), "2": ({"2A", "2B"}, 1), "3": ({"3A", "3B"}, 1)}
    for f, (shots, pages) in zip(files, want.values(), strict=True):
        text = _text(f)
        found = set(re.findall(r"\b([123][A-F])\b", text))
        assert found == shots, (f.name, found)
        assert f"Page {pages} of {pages}" in text and f"Page {pages + 1} of" not in text
        assert len(_pages(f, tmp_path)) == pages


@needs_poppler
def test_each_scene_starts_a_page_unless_asked_not_to(led_scene, tmp_path):
    panels = _fake_panels(led_scene, SCENE1 + [("2A", 0), ("2B", 0)])
    (a,) = write_sheets(panels, tmp_path / "breaks.pdf", led_scene, per_page=8, date="2026-06-15")
    (b,) = write_sheets(panels, tmp_path / "flow.pdf", led_scene, per_page=8, date="2026-06-15", scene_breaks=False)
    assert "Page 2 of 2" in _text(a) and "Page 1 of 1" in _text(b)


def test_sheets_are_deterministic_and_refuse_bad_requests(led_scene, tmp_path):
    panels = _fake_panels(led_scene, SCENE1[:3])
    (a,) = write_sheets(panels, tmp_path / "a.pdf", led_scene, date="2026-06-15")
    (b,) = write_sheets(panels, tmp_path / "b.pdf", led_scene, date="2026-06-15")
    assert a.read_bytes() == b.read_bytes() and a.read_bytes().startswith(b"%PDF")
    with pytest.raises(PrevisError, match="4, 6 or 8"):
        write_sheets(panels, tmp_path, led_scene, per_page=5)
    with pytest.raises(PrevisError):
        write_sheets([], tmp_path, led_scene)
    assert not list(tmp_path.glob(".*.tmp"))


def test_grid_gives_the_panels_the_most_room():
    assert boards.sheet_grid(6, 27.99 / 19.22) == (3, 2, "L")   # 3:2 open gate: 3 x 2 landscape
    assert boards.sheet_grid(8, 16 / 9) == (2, 4, "P")          # 16:9: 2 columns x 4 rows portrait
    assert boards.sheet_grid(4, 16 / 9) == (2, 2, "L")
    for per_page in (4, 6, 8):
        for aspect in (1.33, 1.457, 1.78, 2.39):
            lay = boards.sheet_layout(per_page, aspect)
            assert len(lay.images) == per_page
            for (_, y, w, h), (cx, cy, cw, ch) in zip(lay.images, lay.cells, strict=True):
                assert w / h == pytest.approx(aspect)  # never stretched
                assert cx >= lay.margin - 1e-6 and cx + cw <= lay.page_w - lay.margin + 1e-6
                assert cy + ch <= lay.page_h - lay.margin - lay.footer_h + 1e-6 and y > lay.margin + lay.title_h


# ---------------------------------------------------------------- end to end
@needs_poppler
def test_export_boards_writes_panel_pngs_and_sheets(led_scene, tmp_path):
    from PIL import Image

    paths = boards.export_boards(led_scene, tmp_path, shot_ids=["1A", "3A"], per_page=4, width=320,
                                 date="2026-06-15")
    names = [p.name for p in paths]
    assert names == ["led_stage_1A_p01.png", "led_stage_3A_p01.png", "led_stage_3A_p02.png",
                     "led_stage_3A_p03.png", "led_stage_3A_p04.png", "led_stage_boards.pdf"]
    png = np.asarray(Image.open(paths[1]).convert("RGB"))
    assert png.shape[1] == 320 and png.shape[0] > round(320 / (27.99 / 19.22))  # the frame plus its caption
    assert _amber(png).sum() > 50  # the dolly's arrows
    text = _text(paths[-1])
    assert "Page 2 of 2" in text and "1A" in text and "3A" in text and "DOLLY IN" in text
    assert not list(tmp_path.glob(".*.tmp"))


def test_captions_wrap_to_two_lines_and_say_when_cut():
    def width_of(s):
        return len(s)  # a monospace "font": one unit a character

    text = "DOLLY IN - from the two-shot into a medium on Mara; focus racks from Dale to her"
    lines = boards._wrap_words(text, width_of, 30, 2)
    assert len(lines) == 2 and all(len(x) <= 30 for x in lines)
    assert lines[0] == "DOLLY IN - from the two-shot" and lines[1].endswith("…")
    assert boards._wrap_words("CU - Mara", width_of, 30, 2) == ["CU - Mara"]
    assert boards._wrap_words("a b c d", width_of, 3, 2) == ["a b", "c d"]  # exactly full: no ellipsis
