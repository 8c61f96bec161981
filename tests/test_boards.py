"""Storyboard panels and sheets: panels at the first, key and last frames, arrows that show what the
camera and the stand-ins do (checked as data and in the pixels), and PDF sheets read back with
poppler (page count, page x of y, shot ids, panels where the layout puts them, legible text)."""

from __future__ import annotations

import re
import shutil
import subprocess
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
needs_poppler = pytest.mark.skipif(
    not (PDFTOPPM and PDFTOTEXT), reason="poppler-utils (pdftoppm, pdftotext) missing"
)

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
  - id: CRN
    scene: 8
    description: crane up
    length_frames: 24
    camera: {position_m: [0, 1.2, 5.0], pan_deg: 0, tilt_deg: 0, focal_length_mm: 35}
    moves:
      - {type: crane, start_frame: 0, end_frame: 23, arm_length_m: 3.0, boom_deg: 25}
  - id: OUT
    scene: 8
    description: dolly out
    length_frames: 24
    camera: {position_m: [0.8, 0.6, 3.0], pan_deg: 0, tilt_deg: 0, focal_length_mm: 35}
    moves:
      - {type: dolly, start_frame: 0, end_frame: 23, distance_m: -2.0}
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
def test_panels_follow_what_changes(led_scene):
    """A static shot gets one panel; 3A (a 2 m dolly in with a rack) first, last and one where the
    picture has changed most; the drive-by 3C (a locked-off camera, the attendant walking) two
    distinct panels, not six near-identical ones at every cue boundary."""
    from previs.core.analysis import board_frames

    assert board_frames(led_scene, "1A") == [0]
    assert len(key_frames(led_scene, led_scene.shot("3C"))) == 6  # what it used to get
    assert board_frames(led_scene, "3C") == [0, 95]
    three_a = board_frames(led_scene, "3A")
    assert three_a[0] == 0 and three_a[-1] == 119 and len(three_a) == 3 and 40 < three_a[1] < 80
    assert len(board_frames(led_scene, "3B")) >= 3  # a 60 deg orbit: the background swings past
    with api.StageRenderer(led_scene, width=320) as r:
        static = panels_for_shot(led_scene, "1A", r, width=320)
        moving = panels_for_shot(led_scene, "3A", r, width=320)
        drive_by = panels_for_shot(led_scene, "3C", r, width=320)
        gate = panels_for_shot(led_scene, "1A", r, width=320, open_gate=True)
    assert len(static) == 1 and static[0].frame == 0
    assert [p.frame for p in moving] == three_a and [(p.index, p.count) for p in moving] == [
        (1, 3),
        (2, 3),
        (3, 3),
    ]
    assert len(drive_by) == 2
    # distinct: the attendant has walked across the frame between the two
    diff = np.abs(drive_by[0].image.astype(int) - drive_by[1].image.astype(int)).mean()
    assert diff > 3.0, diff
    for p in static + moving:  # the delivered frame: 2.39, cropped to the frame lines
        h, w = p.image.shape[:2]
        assert w == 320 and abs(w / h - 2.39) < 0.02 and p.image.std() > 10
        assert (
            p.image[:3].min(axis=2) > 235
        ).mean() < 0.5  # no white frame line along the top edge
    h, w = gate[0].image.shape[:2]
    assert abs(w / h - gate[0].state.image_aspect) < 0.01  # the open gate: the whole 3:2 sensor
    t = moving[0].text
    assert t["title"].startswith("3A") and "panel 1 of 3" in t["title"]
    assert "dolly in 2 m" in t["move"] and "rack focus to Mara" in moving[1].text["move"]
    assert "end of shot" in moving[2].text["move"] and static[0].text["move"] == "Move: static"
    assert "T4" in t["lens"] and "40 mm" in t["lens"]
    assert (
        "cam 1.50 m, tilt +1°" in t["size"] and "dolly" in t["size"] and t["size"].startswith("FS")
    )
    assert static[0].text["notes"].startswith("NOTES: Hold for the full scene")
    assert static[0].text["action"].startswith("ACTION: Mara tops up")
    # the push-in shows on every panel but the last, at the corners
    assert all({a.kind for a in p.arrows} == {"push_in"} for p in moving[:2])
    assert not moving[2].arrows and not static[0].arrows


# ---------------------------------------------------------------- camera arrows, by convention
@pytest.mark.parametrize(
    "label,kinds",
    [
        ("dolly in", ("push_in",)),
        ("push-in", ("push_in",)),
        ("dolly out", ("pull_out",)),
        ("zoom in", ("zoom_in",)),
        ("zoom out", ("zoom_out",)),
        ("dolly zoom", ("push_in", "zoom_out")),
        ("pan left", ("pan_left",)),
        ("pan right", ("pan_right",)),
        ("truck right", ("truck_right",)),
        ("tilt up", ("tilt_up",)),
        ("tilt down", ("tilt_down",)),
        ("pedestal down", ("pedestal_down",)),
        ("crane up", ("crane_up",)),
        ("crane down", ("crane_down",)),
        ("orbit left", ("orbit_left",)),
        ("orbit right", ("orbit_right",)),
        ("dutch", ("roll",)),
        ("rack focus", ()),
        ("handheld", ()),
    ],
)
def test_each_move_gets_its_conventional_arrow_and_no_other(label, kinds):
    from previs.core.analysis import arrow_kinds

    assert arrow_kinds([label]) == kinds
    rect = (0.0, 0.0, 478.0, 200.0)
    arrows = [a for a in boards.camera_arrows(kinds, rect) if a.kind != "bracket"]
    assert [a.kind for a in arrows] == [
        k for k in kinds for _ in range(4 if k[:4] in ("push", "pull", "zoom") else 1)
    ]
    c = np.array([239.0, 100.0])
    for a in arrows:
        v, k = a.vector, a.kind
        tail, head = a.points[0], a.points[-1]
        assert ((a.points >= 4) & (a.points <= [474, 196])).all()  # inside the frame
        if k in ("push_in", "zoom_in"):  # at a corner, pointing in
            assert (
                np.linalg.norm(head - c) < np.linalg.norm(tail - c)
                and np.linalg.norm(tail - c) > 180
            )
        elif k in ("pull_out", "zoom_out"):
            assert (
                np.linalg.norm(head - c) > np.linalg.norm(tail - c)
                and np.linalg.norm(head - c) > 180
            )
        elif k.startswith(("pan_", "truck_")):  # along the bottom edge, the way the frame goes
            assert tail[1] == head[1] > 0.8 * 200 and np.sign(v[0]) == (
                1 if k.endswith("right") else -1
            )
        elif k.startswith("tilt_"):  # up or down the right edge
            assert tail[0] == head[0] > 0.9 * 478 and np.sign(v[1]) == (
                -1 if k.endswith("up") else 1
            )
        elif k.startswith(("crane_", "pedestal_")):  # a vertical arrow at the (left) side
            assert tail[0] == head[0] < 0.1 * 478 and np.sign(v[1]) == (
                -1 if k.endswith("up") else 1
            )
        elif k.startswith(
            "orbit_"
        ):  # an arc low in the frame, bowed down, the way the camera travels
            mid = a.points[len(a.points) // 2]
            assert len(a.points) > 8 and mid[1] > max(tail[1], head[1]) + 10 and mid[1] > 100
            assert np.sign(v[0]) == (1 if k.endswith("right") else -1)
        elif k == "roll":
            assert (
                len(a.points) > 8
                and (a.points[:, 0] > 0.6 * 478).all()
                and (a.points[:, 1] < 0.6 * 200).all()
            )
        # nothing crosses the middle of the frame, where the faces are
        assert not (
            (np.abs(a.points[:, 0] - c[0]) < 0.12 * 478)
            & (np.abs(a.points[:, 1] - c[1]) < 0.2 * 200)
        ).any()


@pytest.mark.parametrize(
    "sid,kind",
    [
        ("PAN", "pan_left"),
        ("DOL", "push_in"),
        ("OUT", "pull_out"),
        ("TRK", "truck_right"),
        ("TLT", "tilt_up"),
        ("PED", "pedestal_down"),
        ("CRN", "crane_up"),
        ("ORB", "orbit_right"),
        ("DUT", "roll"),
    ],
)
def test_a_board_of_each_move_gets_its_arrow(test_scene, sid, kind):
    a, b = _ends(test_scene, sid)
    arrows = motion_arrows(a, b, test_scene, (478, 200))
    assert {x.kind for x in arrows} == {kind}, [x.kind for x in arrows]
    assert motion_arrows(a, None, test_scene, (478, 200)) == []  # the last panel: none


@pytest.mark.parametrize(
    "sid,where",
    [("PAN", "bottom"), ("DOL", "corners"), ("CRN", "left"), ("TLT", "right"), ("ORB", "low")],
)
def test_rendered_arrows_sit_where_the_convention_puts_them(test_scene, test_renderer, sid, where):
    """In the pixels of the delivered frame: amber where the arrow belongs and none over the middle."""
    a, b = _ends(test_scene, sid)
    full = test_renderer.render(a, overlay=False, read_depth=False).color
    h, w = full.shape[:2]
    x0, y0, x1, y1 = (int(round(v)) for v in boards.frame_rect_px(a, w, h))
    raw = np.ascontiguousarray(full[y0:y1, x0:x1])
    drawn = draw_motion_arrows(raw, a, b, test_scene)
    amber = _amber(drawn) & (np.abs(drawn.astype(int) - raw.astype(int)).sum(axis=2) > 30)
    ys, xs = np.nonzero(amber)
    fh, fw = raw.shape[:2]
    assert amber.sum() > 60, amber.sum()
    middle = amber[int(0.3 * fh) : int(0.7 * fh), int(0.38 * fw) : int(0.62 * fw)]
    assert middle.sum() == 0
    if where == "bottom":
        assert ys.min() > 0.7 * fh and np.ptp(xs) > 0.4 * fw
        assert (
            xs[ys > np.percentile(ys, 10)].mean() < fw / 2
        )  # the head (wider) is on the left: pan left
    elif where == "corners":
        for qx, qy in ((0, 0), (1, 0), (0, 1), (1, 1)):
            q = amber[qy * fh // 2 : (qy + 1) * fh // 2, qx * fw // 2 : (qx + 1) * fw // 2]
            assert q.sum() > 10
    elif where == "left":
        assert xs.max() < 0.15 * fw and np.ptp(ys) > 0.4 * fh
    elif where == "right":
        assert xs.min() > 0.85 * fw and np.ptp(ys) > 0.4 * fh
    elif where == "low":
        assert np.median(ys) > 0.55 * fh and np.ptp(xs) > 0.5 * fw


def test_zoom_draws_corner_arrows_with_the_end_framings_brackets():
    arrows = boards.camera_arrows(("zoom_in",), (0, 0, 400, 200))
    assert sorted({a.kind for a in arrows}) == ["bracket", "zoom_in"] and len(arrows) == 8
    c = np.array([200.0, 100.0])
    for x in arrows:
        if x.kind == "zoom_in":
            assert np.linalg.norm(x.points[-1] - c) < np.linalg.norm(x.points[0] - c)


# ---------------------------------------------------------------- subject arrows
def test_walk_arrow_starts_beside_the_walker_and_follows_the_path(test_scene, test_renderer):
    shot = test_scene.shot("WLK")
    st = evaluate(test_scene, shot, 0)
    raw = test_renderer.render(st, overlay=True, read_depth=False).color
    h, w = raw.shape[:2]
    arrows = motion_arrows(st, None, test_scene, (w, h), open_gate=True)
    assert [x.kind for x in arrows] == ["subject"] and arrows[0].label == "walker"
    pts = arrows[0].points
    # the path by hand: the walker's pose over the walk, at half its height, through the camera
    clip = tf.perspective(st.yfov_rad, w / h, st.near_m, st.far_m) @ np.linalg.inv(
        st.world_from_camera
    )
    world = np.array(
        [(walk_poses(test_scene, shot, f)["walker"] @ [0, 0.9, 0, 1])[:3] for f in range(48)]
    )
    expected = tf.project_to_pixels(clip, world, w, h)
    np.testing.assert_allclose(pts[-1], expected[-1], atol=0.5)
    # it starts beside the walker, not on the body: past its half width at its middle
    head = (walk_poses(test_scene, shot, 0)["walker"] @ [0, 1.8 - 0.062 * 1.8, 0, 1])[:3]
    side = (walk_poses(test_scene, shot, 0)["walker"] @ [0, 0.99, 0, 1])[
        :3
    ] + 0.36 * st.world_from_camera[:3, 0]
    head_px, side_px, mid_px = tf.project_to_pixels(clip, np.array([head, side, world[0]]), w, h)
    half_w = np.linalg.norm(side_px - mid_px)
    assert np.linalg.norm(pts[0] - mid_px) > 1.2 * half_w
    assert (
        np.linalg.norm(pts[0] - head_px) > 2.0 * 0.062 * 1.8 / 0.36 * half_w * 0.5
    )  # nowhere near the face

    def dist_to_path(p):
        a, b = expected[:-1], expected[1:]
        t = np.clip(
            np.einsum("ij,ij->i", p - a, b - a)
            / np.maximum(np.einsum("ij,ij->i", b - a, b - a), 1e-9),
            0,
            1,
        )
        return np.min(np.linalg.norm(a + t[:, None] * (b - a) - p, axis=1))

    assert max(dist_to_path(p) for p in pts) < 1.0
    assert pts[-1][0] - pts[0][0] > 0.25 * w  # left to right across the frame
    drawn = draw_motion_arrows(raw, st, None, test_scene, open_gate=True)
    cyan = _cyan(drawn) & (np.abs(drawn.astype(int) - raw.astype(int)).sum(axis=2) > 30)
    ys, xs = np.nonzero(cyan)
    assert len(xs) > 150
    d = np.array(
        [dist_to_path(np.array([x + 0.5, y + 0.5])) for x, y in zip(xs[::3], ys[::3], strict=True)]
    )
    assert np.median(d) < 3.0 and d.max() < 12.0
    # half-way through, the arrow starts beside where the walker is then; at the end there is none
    mid = evaluate(test_scene, shot, 24)
    arr = motion_arrows(mid, None, test_scene, (w, h), open_gate=True)[0]
    assert arr.points[0][0] > expected[24][0]
    assert motion_arrows(evaluate(test_scene, shot, 47), None, test_scene, (w, h)) == []


def test_the_drive_by_walk_arrow_covers_no_face(led_scene):
    from previs.export.boards import _delivered, _faces_and_bodies

    st = evaluate(led_scene, "3C", 0)
    size = (478, 200)
    arrows = [a for a in motion_arrows(st, None, led_scene, size) if a.kind == "subject"]
    assert [a.label for a in arrows] == ["Attendant"]
    full_w, full_h, offset, _ = _delivered(st, size, False)
    faces = _faces_and_bodies(
        led_scene, st, boards.projector(st, round(full_w), round(full_h)), offset
    )
    for box, _, _ in faces.values():
        inside = (
            (arrows[0].points[:, 0] >= box[0])
            & (arrows[0].points[:, 0] <= box[2])
            & (arrows[0].points[:, 1] >= box[1])
            & (arrows[0].points[:, 1] <= box[3])
        )
        assert not inside.any()


# ---------------------------------------------------------------- sheets
def _fake_panels(scene, ids_frames, size=(330, 227)):
    """Panels with real states and captions and a busy synthetic image (no rendering)."""
    w, h = size
    yy, xx = np.mgrid[0:h, 0:w]
    out = []
    for i, (sid, frame) in enumerate(ids_frames):
        st = evaluate(scene, sid, frame)
        img = np.stack(
            [(xx * 255 // w), (yy * 255 // h), ((xx // 16 + yy // 16 + i) % 2) * 200 + 30], axis=-1
        )
        cap = boards.panel_caption(st, scene, 1, 1, None)
        out.append(
            Panel(
                sid, frame, img.astype(np.uint8), cap, st, scene_number=scene.shot(sid).scene_number
            )
        )
    return out


def _pages(pdf: Path, tmp: Path, dpi: int = 40) -> list[np.ndarray]:
    from PIL import Image

    prefix = tmp / f"{pdf.stem}_page"
    subprocess.run([PDFTOPPM, "-png", "-r", str(dpi), str(pdf), str(prefix)], check=True)
    files = sorted(
        tmp.glob(f"{pdf.stem}_page*.png"), key=lambda p: int(re.findall(r"(\d+)\.png$", p.name)[0])
    )
    return [np.asarray(Image.open(f).convert("RGB")) for f in files]


def _text(pdf: Path) -> str:
    return subprocess.run(
        [PDFTOTEXT, str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout


SCENE1 = [(s, 0) for s in ("1A", "1B", "1C", "1D", "1E", "1F")]


@needs_poppler
@pytest.mark.parametrize(
    "per_page,pages,orientation",
    [(1, 14, "L"), (2, 7, "P"), (3, 5, None), (4, 4, None), (6, 3, "portrait"), (8, 2, None)],
)
def test_sheet_pages_and_panels_where_the_layout_says(
    led_scene, tmp_path, per_page, pages, orientation
):
    panels = _fake_panels(led_scene, (SCENE1 * 3)[:14])
    (pdf,) = write_sheets(
        panels,
        tmp_path,
        led_scene,
        per_page=per_page,
        date="2026-06-15",
        version="v3",
        paper="letter",
        orientation=orientation,
    )
    assert pdf.name == "led_stage_boards.pdf"
    imgs = _pages(pdf, tmp_path)
    assert len(imgs) == pages
    lay = boards.sheet_layout(per_page, 330 / 227, "letter", orientation=orientation)
    if orientation:
        assert lay.orientation == orientation[0].upper()
    px = 40 / 25.4
    for n, page in enumerate(imgs):
        assert page.std() > 20 and (page < 128).mean() > 0.05  # not blank
        ph, pw = page.shape[:2]
        assert abs(pw / ph - lay.page_w / lay.page_h) < 0.01
        on_page = min(per_page, 14 - n * per_page)
        for k, (x, y, w, h) in enumerate(lay.images):
            xs = slice(
                int(np.ceil((x + 1.0) * px)), int((x + w - 1.0) * px)
            )  # 1 mm inside the image's box
            crop = page[int(np.ceil((y + 1.0) * px)) : int((y + h - 1.0) * px), xs]
            above = page[
                int((y - 2.2) * px) : int((y - 0.8) * px), xs
            ]  # the gap above a panel: paper
            assert above.size and above.mean() > 250 and above.std() < 4, (n, k)
            if k < on_page:
                assert crop.std() > 30, (
                    n,
                    k,
                )  # the panel's image is there, not stretched off its box
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
    assert "ARRI Signature Prime" in text  # the package once, in the title block


@needs_poppler
def test_sheet_text_is_at_least_8pt(led_scene, tmp_path):
    (pdf,) = write_sheets(
        _fake_panels(led_scene, SCENE1 + [("3A", 0)]),
        tmp_path / "b.pdf",
        led_scene,
        per_page=8,
        date="2026-06-15",
    )
    html = subprocess.run(
        [PDFTOTEXT, "-bbox", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    boxes = [
        (float(a), float(b), word)
        for a, b, word in re.findall(
            r'yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)<', html
        )
    ]
    assert len(boxes) > 100
    heights = np.array([b - a for a, b, _ in boxes])
    assert heights.min() >= 8.0 * 1.1, [w for a, b, w in boxes if b - a < 8.8][
        :10
    ]  # 8 pt text has a ~9.3 pt box


@needs_poppler
def test_per_scene_writes_one_pdf_per_scene_number(led_scene, tmp_path):
    ids = SCENE1 + [("2A", 0), ("2B", 0), ("3A", 0), ("3A", 60), ("3B", 0)]
    files = write_sheets(
        _fake_panels(led_scene, ids),
        tmp_path,
        led_scene,
        per_page=4,
        per_scene=True,
        date="2026-06-15",
    )
    assert [f.name for f in files] == [
        "led_stage_boards_sc1.pdf",
        "led_stage_boards_sc2.pdf",
        "led_stage_boards_sc3.pdf",
    ]
    want = {
        "1": ({"1A", "1B", "1C", "1D", "1E", "1F"}, 2),
        "2": ({"2A", "2B"}, 1),
        "3": ({"3A", "3B"}, 1),
    }
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
    (b,) = write_sheets(
        panels, tmp_path / "flow.pdf", led_scene, per_page=8, date="2026-06-15", scene_breaks=False
    )
    assert "Page 2 of 2" in _text(a) and "Page 1 of 1" in _text(b)


def test_sheets_are_deterministic_and_refuse_bad_requests(led_scene, tmp_path):
    panels = _fake_panels(led_scene, SCENE1[:3])
    (a,) = write_sheets(panels, tmp_path / "a.pdf", led_scene, date="2026-06-15")
    (b,) = write_sheets(panels, tmp_path / "b.pdf", led_scene, date="2026-06-15")
    assert a.read_bytes() == b.read_bytes() and a.read_bytes().startswith(b"%PDF")
    with pytest.raises(PrevisError, match="1, 2, 3, 4, 6 or 8"):
        write_sheets(panels, tmp_path, led_scene, per_page=5)
    with pytest.raises(PrevisError, match="portrait or landscape"):
        write_sheets(panels, tmp_path, led_scene, orientation="sideways")
    with pytest.raises(PrevisError):
        write_sheets([], tmp_path, led_scene)
    assert not list(tmp_path.glob(".*.tmp"))


def test_grid_gives_the_panels_the_most_room():
    assert boards.sheet_grid(1, 2.39) == (1, 1, "L")  # one scope panel: landscape, page wide
    assert boards.sheet_grid(3, 2.39) == (
        1,
        3,
        "P",
    )  # three scope panels stacked on a portrait page
    assert boards.sheet_grid(6, 27.99 / 19.22) == (3, 2, "L")  # 3:2 open gate: 3 x 2 landscape
    assert boards.sheet_grid(8, 2.39, orientation="P") == (2, 4, "P")
    for per_page in boards.PER_PAGE:
        for aspect in (1.33, 1.457, 1.78, 2.39):
            for orientation in (None, "P", "L"):
                lay = boards.sheet_layout(per_page, aspect, "a4", orientation=orientation)
                assert len(lay.images) == per_page
                # no other grid of that orientation gives a bigger picture
                best = max(
                    boards.sheet_layout(per_page, aspect, "a4", grid=g).images[0][2]
                    for g in boards._grids(per_page, orientation)
                )
                assert lay.images[0][2] == pytest.approx(best)
                for (_, y, w, h), (cx, cy, cw, ch) in zip(lay.images, lay.cells, strict=True):
                    assert w / h == pytest.approx(aspect)  # never stretched
                    assert cx >= lay.margin - 1e-6 and cx + cw <= lay.page_w - lay.margin + 1e-6
                    assert (
                        cy + ch <= lay.page_h - lay.margin - lay.footer_h + 1e-6
                        and y > lay.margin + lay.title_h
                    )
                    assert ch - h >= 5 * boards.CAPTION_LINE_MM  # room for the caption under it


# ---------------------------------------------------------------- end to end
@needs_poppler
def test_export_boards_writes_panel_pngs_and_sheets(led_scene, tmp_path):
    from PIL import Image

    paths = boards.export_boards(
        led_scene,
        tmp_path,
        shot_ids=["1A", "1C", "3A"],
        per_page=4,
        width=320,
        date="2026-06-15",
        paper="a4",
    )
    names = [p.name for p in paths]
    assert names == [
        "led_stage_1A_p01.png",
        "led_stage_1C_p01.png",
        "led_stage_3A_p01.png",
        "led_stage_3A_p02.png",
        "led_stage_3A_p03.png",
        "led_stage_boards.pdf",
    ]
    png = np.asarray(Image.open(paths[2]).convert("RGB"))
    assert (
        png.shape[1] == 320 and png.shape[0] > round(320 / 2.39) + 60
    )  # the frame plus its caption
    assert _amber(png).sum() > 50  # the push-in's arrows
    text = _text(paths[-1])
    words = " ".join(text.split())
    assert "Page 2 of 2" in text and "1A" in text and "3A" in text and "DOLLY IN" in text
    # the fields under each panel, legible: size, angle, height and tilt, lens, stop, focus, move, words
    for want in (
        "WS · eye level · cam 1.70 m, tilt -2° · sticks",
        "OTS MCU",
        "25 mm · T4 · focus 9.00 m",
        "Move: dolly in 2 m",
        "ACTION: Mara tops up the sedan",
        "DIALOGUE: MARA: You said sundown.",
        "NOTES: Hold for the full scene",
    ):
        assert want in words, want
    info = subprocess.run(
        ["pdfinfo", str(paths[-1])], capture_output=True, text=True, check=True
    ).stdout
    fonts = subprocess.run(
        ["pdffonts", str(paths[-1])], capture_output=True, text=True, check=True
    ).stdout
    assert "(A4)" in info and "DejaVuSansCondensed" in fonts  # the bundled font, embedded
    assert not list(tmp_path.glob(".*.tmp"))


def test_captions_wrap_to_two_lines_and_say_when_cut():
    def width_of(s):
        return len(s)  # a monospace "font": one unit a character

    text = "DOLLY IN - from the two-shot into a medium on Mara; focus racks from Dale to her"
    lines = boards._wrap_words(text, width_of, 30, 2)
    assert len(lines) == 2 and all(len(x) <= 30 for x in lines)
    assert lines[0] == "DOLLY IN - from the two-shot" and lines[1].endswith("…")
    assert boards._wrap_words("CU - Mara", width_of, 30, 2) == ["CU - Mara"]
    assert boards._wrap_words("a b c d", width_of, 3, 2) == [
        "a b",
        "c d",
    ]  # exactly full: no ellipsis


@needs_poppler
def test_cli_paper_layout_and_open_gate(tmp_path):
    """previs export --paper letter --per-page 2 --orientation landscape --open-gate: two panels a
    landscape Letter page, each the whole 3:2 sensor."""
    import sys

    from PIL import Image

    cmd = [
        sys.executable,
        "-m",
        "previs.cli",
        "export",
        str(ROOT / "scenes" / "led_stage.yaml"),
        "--what",
        "boards",
        "--shot",
        "3C",
        "-o",
        str(tmp_path),
        "--paper",
        "letter",
        "--per-page",
        "2",
        "--orientation",
        "landscape",
        "--open-gate",
        "-q",
    ]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    pdf = tmp_path / "boards" / "led_stage_boards.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "792 x 612" in info and re.search(
        r"Pages:\s+1\n", info
    )  # landscape Letter, both 3C panels
    png = np.asarray(Image.open(tmp_path / "boards" / "led_stage_3C_p01.png").convert("RGB"))
    assert png.shape[1] == 1600
    assert "panel 2 of 2" in " ".join(_text(pdf).split())
    bad = subprocess.run(cmd[:-8] + ["--paper", "A3"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "invalid choice" in bad.stderr
