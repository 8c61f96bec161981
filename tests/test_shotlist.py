"""Shot lists: derived shot size / angle / movement / setups on the example scene and on
hand-built shots, and every file format read back with the reader its users would use."""

from __future__ import annotations

import csv
import dataclasses
import json
import math
import shutil
import subprocess
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from previs.api import load_scene
from previs.core import presets
from previs.core import transforms as tf
from previs.core.animation import key
from previs.core.frame import evaluate
from previs.core.moves import Move
from previs.core.scene import CameraPlacement, SetPiece, Shot
from previs.errors import PrevisError
from previs.export import shotlist as sl

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "scenes" / "led_stage.yaml"
SHOT_IDS = ["1A", "1B", "1C", "1D", "1E", "1F", "2A", "2B", "3A", "3B", "3C"]


@pytest.fixture(scope="module")
def scene():
    return load_scene(EXAMPLE)


@pytest.fixture(scope="module")
def rows(scene):
    return sl.shot_rows(scene)


def _by_id(rows):
    return {r.shot: r for r in rows}


# ---------------------------------------------------------------- the example scene
def test_example_shot_sizes_are_what_a_dp_would_call_them(rows):
    r = _by_id(rows)
    assert [x.shot for x in rows] == SHOT_IDS
    assert r["1A"].shot_size in ("WS", "FS")  # wide master, 25 mm from 9 m
    assert r["1C"].shot_size == "OTS MCU"  # over Dale's shoulder onto Mara
    assert r["1D"].shot_size == "OTS CU"  # over (the back of) Mara's head onto Dale
    assert r["1E"].shot_size in ("CU", "MCU")  # CU - Mara
    assert r["1F"].shot_size in ("CU", "ECU")  # tight CU - Dale
    assert r["2A"].shot_size in ("INSERT", "ECU")  # the nozzle, focus 1.2 m, nobody in frame
    assert r["2B"].shot_size == "MWS"  # knees up
    assert (
        r["3A"].shot_size.endswith("MWS") and "→" in r["3A"].shot_size
    )  # dolly in: tighter at the end
    assert r["1A"].shot_size != r["1E"].shot_size


def test_example_angles_and_movements(rows):
    r = _by_id(rows)
    assert "low" in r["2B"].angle
    assert r["1A"].angle == "eye level" and r["1E"].angle == "eye level"
    mv = r["3A"].movement
    assert "dolly in" in mv and "rack focus" in mv and mv.index("dolly in") < mv.index("rack focus")
    assert "orbit" in r["3B"].movement
    assert r["1A"].movement == "static"
    assert r["3C"].movement == "static"  # a walk and cues, but the camera is locked off


def test_example_columns_have_values(rows):
    r = _by_id(rows)
    a = r["1A"]
    assert a.lens == "25 mm" and a.lens_kit == "ARRI Signature Prime"
    assert a.camera == "ARRI ALEXA 35 4.6K 3:2 Open Gate"
    assert a.t_stop_text == "T4" and a.focus_text == "9.00 m"
    assert (a.duration_frames, a.duration_tc) == (480, "00:00:20:00")
    assert r["1B"].duration_tc == "00:00:12:00"
    assert r["1E"].t_stop == (2.8,)
    assert set(a.cast) >= {"Mara", "Dale"}
    assert r["1F"].cast[0] == "Dale"  # the subject comes first
    assert "Mara" not in r["1F"].cast  # 1F looks at Dale; Mara is far off frame left
    assert r["2A"].cast == ("Attendant",)  # his arm and side fill the right of the insert
    assert r["1E"].cast == (
        "Mara",
        "Attendant",
    )  # a clean single: Dale's sliver of shoulder is not cast
    # 3A racks from Dale (5.2 m) to Mara's depth at the dolly's end
    assert r["3A"].focus_m[0] == 5.2 and len(r["3A"].focus_m) == 2 and r["3A"].focus_m[1] < 4.0
    assert (
        r["3C"].lighting_cue
        == "key HMI flicker 24–72; wall: world moves 12 m/s, sun to 8°, 110 nits 0–95"
    )
    assert r["1A"].lighting_cue == ""
    assert r["1A"].notes.startswith("Hold for the full scene")
    assert [x.scene for x in rows] == ["1"] * 6 + ["2"] * 2 + ["3"] * 3
    # every example shot stands somewhere of its own: setups 1..n within each scene
    assert [x.setup for x in rows] == [1, 2, 3, 4, 5, 6, 1, 2, 1, 2, 3]


# ---------------------------------------------------------------- setups
def test_setup_grouping(scene):
    s1a = scene.shot("1A")
    twin = dataclasses.replace(
        s1a,
        id="1G",
        description="same place, longer lens",
        camera=dataclasses.replace(s1a.camera, focal_length_mm=40),
    )
    near = dataclasses.replace(
        s1a,
        id="1H",
        camera=dataclasses.replace(
            s1a.camera, position_m=(0.6, 1.75, 7.4), look_at_m=(-0.2, 1.35, -3.1)
        ),
    )  # 0.15 m, < 1 deg away
    moved = dataclasses.replace(
        s1a, id="1J", camera=dataclasses.replace(s1a.camera, position_m=(1.5, 1.7, 7.5))
    )
    turned = dataclasses.replace(
        s1a,
        id="1K",
        camera=dataclasses.replace(
            s1a.camera, look_at_m=(-0.3 + 12.5 * math.tan(math.radians(15)), 1.3, -3.0)
        ),
    )  # about 18 deg away
    other_scene = dataclasses.replace(s1a, id="4A", scene_number="4")
    sc = dataclasses.replace(scene, shots=(*scene.shots, twin, near, moved, turned, other_scene))
    setups = sl.assign_setups(sc)
    assert setups["1G"] == setups["1A"] == 1
    assert setups["1H"] == 1
    assert setups["1J"] == 7 and setups["1K"] == 8  # new setups after 1A..1F
    assert setups["4A"] == 1  # numbering restarts in each scene
    assert setups["2A"] == 1 and setups["2B"] == 2


# ---------------------------------------------------------------- hand-computed framing
def _test_scene(scene, camera: CameraPlacement, *, moves=(), keys=(), length=24):
    pat = SetPiece(
        name="Pat", kind="standin", world_from_local=tf.trs((0.0, 0.0, 0.0)), height_m=1.8
    )
    shot = Shot(
        id="T1",
        scene_number="9",
        description="test",
        length_frames=length,
        camera=camera,
        moves=tuple(moves),
        keys=tuple(keys),
    )
    return dataclasses.replace(scene, set_pieces=(pat,), shots=(shot,)), shot


def _ms_distance(scene, focal_mm: float, ratio: float) -> float:
    """Camera distance at which the delivered frame is ``ratio`` x 1.8 m tall (reference §3.5:
    d = f * FrameHeight / h, h = the frame-line height on the sensor)."""
    mode = presets.get_mode(scene.camera.body, scene.camera.mode)
    frame_h_mm = min(mode.height_mm, mode.width_mm / 2.39)  # 2.39 frame lines, letterboxed on 3:2
    return focal_mm * (ratio * 1.8) / frame_h_mm


def _framed(scene, ratio, *, focal=40.0):
    d = _ms_distance(scene, focal, ratio)
    fh = ratio * 1.8
    y = 1.8 - fh / 2 + 0.1 * fh  # head top a tenth of the frame below the top frame line
    return _test_scene(
        scene, CameraPlacement(position_m=(0.0, y, d), focal_length_mm=focal, focus_m=d)
    )


def test_hand_computed_medium_shot(scene):
    # 1.8 m stand-in, frame 0.45 x 1.8 = 0.81 m tall at its distance, head top 10 % below the top:
    # the frame bottom cuts it at 1.071 m, so 40.5 % of it spans 90 % of the frame: 0.405/0.9 = 0.45
    sc, shot = _framed(scene, 0.45)
    fr = sl.framings(sc, evaluate(sc, shot, 0))
    assert len(fr) == 1 and fr[0].in_frame and fr[0].eyes_in_frame
    assert fr[0].ratio == pytest.approx(0.45, abs=0.012)
    assert sl.derive_shot_size(sc, shot) == "MS"
    assert sl.derive_angle(sc, shot) == "eye level"
    for ratio, size in (
        (0.2, "CU"),
        (0.3, "MCU"),
        (0.7, "MWS"),
        (1.2, "FS"),
        (2.0, "WS"),
        (5.0, "EWS"),
    ):
        sc, shot = _framed(scene, ratio, focal=40.0 if ratio < 3 else 18.0)
        assert sl.derive_shot_size(sc, shot) == size, ratio


def test_shot_size_table():
    assert [sl.shot_size_for_ratio(x) for x in (0.08, 0.2, 0.3, 0.45, 0.7, 1.2, 2.0, 4.0)] == [
        "ECU",
        "CU",
        "MCU",
        "MS",
        "MWS",
        "FS",
        "WS",
        "EWS",
    ]
    assert sl.frame_half_extents(1.5, 2.39) == pytest.approx((1.0, 1.5 / 2.39))
    assert sl.frame_half_extents(2.0, 16 / 9) == pytest.approx((16 / 9 / 2.0, 1.0))
    assert sl.frame_half_extents(1.5, None) == (1.0, 1.0)


def test_no_standin_in_frame(scene):
    away = dict(pan_deg=180.0, focal_length_mm=40.0)  # looking away from the stand-in at z = 0
    sc, shot = _test_scene(scene, CameraPlacement(position_m=(0.0, 1.5, 3.0), focus_m=1.0, **away))
    assert sl.derive_shot_size(sc, shot) == "INSERT"
    sc, shot = _test_scene(scene, CameraPlacement(position_m=(0.0, 1.5, 3.0), focus_m=10.0, **away))
    assert sl.derive_shot_size(sc, shot) == "WS"  # frame 2.4 m tall at 10 m: 1.4 standing people
    sc, shot = _test_scene(scene, CameraPlacement(position_m=(0.0, 1.5, 3.0), focus_m=40.0, **away))
    assert sl.derive_shot_size(sc, shot) == "EWS"


def test_angles(scene):
    eyes = (0.0, 0.935 * 1.8, 0.0)
    cases = [
        ((0.0, 3.5, 3.0), eyes, 0.0, "high"),  # 31 deg down to the eyes
        ((0.0, 0.4, 3.0), eyes, 0.0, "low"),
        ((0.0, 1.9, 3.0), eyes, 0.0, "eye level"),  # 4.5 deg down: still eye level
        ((0.0, 1.7, 3.0), eyes, 12.0, "eye level, Dutch"),
        ((0.0, 0.4, 3.0), eyes, -8.0, "low, Dutch"),
    ]
    for pos, at, roll, want in cases:
        sc, shot = _test_scene(
            scene,
            CameraPlacement(
                position_m=pos, look_at_m=at, roll_deg=roll, focal_length_mm=25, focus_m=3.0
            ),
        )
        assert sl.derive_angle(sc, shot) == want, (pos, roll)
    sc, shot = _test_scene(
        scene,
        CameraPlacement(
            position_m=(0.0, 5.0, 1.0), tilt_deg=-75.0, focal_length_mm=25, focus_m=3.0
        ),
    )
    assert sl.derive_angle(sc, shot) == "overhead"


# ---------------------------------------------------------------- movement
def test_movement_from_moves_in_start_order(scene):
    cam = CameraPlacement(position_m=(0.0, 1.6, 4.0), focal_length_mm=40, focus_m=4.0)
    moves = [
        Move("pan", 30, 47, {"angle_deg": -20.0}),
        Move("truck", 0, 23, {"distance_m": -1.0}),
        Move("pedestal", 48, 71, {"distance_m": 0.5}),
    ]
    sc, shot = _test_scene(scene, cam, moves=moves, length=96)
    assert sl.derive_movement(sc, shot) == "truck left, pan right, pedestal up"


def test_movement_from_explicit_keys(scene):
    cam = CameraPlacement(position_m=(0.0, 1.6, 5.0), focal_length_mm=40, focus_m=5.0)
    keys = [
        ("position_m", (key(12, (0.0, 1.6, 5.0)), key(40, (0.0, 1.6, 3.0)))),
        ("pan_deg", (key(50, 0.0), key(70, 25.0))),
    ]
    sc, shot = _test_scene(scene, cam, keys=keys, length=96)
    assert sl.derive_movement(sc, shot) == "dolly in, pan left"
    keys2 = [
        ("position_m", (key(0, (0.0, 1.6, 5.0)), key(40, (0.0, 1.6, 7.0)))),
        ("focal_length_mm", (key(0, 40.0), key(40, 75.0))),
    ]
    sc, shot = _test_scene(scene, cam, keys=keys2, length=48)
    assert sl.derive_movement(sc, shot) == "dolly zoom"  # out while zooming in
    keys3 = [("focus_m", (key(10, 5.0), key(30, 2.0)))]
    sc, shot = _test_scene(scene, cam, keys=keys3, length=48)
    assert sl.derive_movement(sc, shot) == "rack focus"


def test_stage_checks_flag_an_impossible_dolly(scene):
    cam = CameraPlacement(position_m=(0.0, 1.6, 6.0), focal_length_mm=40, focus_m=6.0)
    sc, shot = _test_scene(
        scene, cam, moves=[Move("dolly", 0, 11, {"distance_m": 2.0}, "linear")], length=24
    )
    flags = sl.stage_checks(sc, shot)
    assert any(
        "dolly speed" in f and "4" in f for f in flags
    )  # 2 m in 11 frames at 24 fps: 4.4 m/s
    row = sl.shot_rows(sc)[0]
    assert row.stage_checks == tuple(flags) and row.movement == "dolly in"


# ---------------------------------------------------------------- overrides
def test_overrides_win(scene, rows):
    over = sl.shot_rows(
        scene,
        overrides={"1B": {"shot_size": "MS", "notes": "waist up"}, "2A": {"cast": ["Mara (hand)"]}},
    )
    a, b = _by_id(rows), _by_id(over)
    assert b["1B"].shot_size == "MS" and b["1B"].notes == "waist up"
    assert b["2A"].cast == ("Mara (hand)",)
    assert b["1A"] == a["1A"] and b["1B"].angle == a["1B"].angle
    with pytest.raises(PrevisError, match="column 'size'"):
        sl.shot_rows(scene, overrides={"1B": {"size": "MS"}})
    with pytest.raises(PrevisError, match="9Z"):
        sl.shot_rows(scene, overrides={"9Z": {"shot_size": "MS"}})

    # Columns stated on the shot itself (the scene file's shot_size / angle / movement) win too.
    stated = dataclasses.replace(
        scene.shot("1A"), shot_size="CU", angle="high", movement="crane down"
    )
    assert sl.derive_shot_size(scene, stated) == "CU"
    assert sl.derive_angle(scene, stated) == "high"
    assert sl.derive_movement(scene, stated) == "crane down"


# ---------------------------------------------------------------- files
def test_csv_reads_back(rows, tmp_path):
    path = sl.write_csv(rows, tmp_path / "list.csv")
    with open(path, newline="", encoding="utf-8-sig") as f:
        table = list(csv.reader(f))
    header, body = table[0], table[1:]
    assert header == [
        "Scene",
        "Shot",
        "Setup",
        "Description",
        "Action",
        "Dialogue",
        "Shot size",
        "Angle",
        "Camera height / tilt",
        "Support",
        "Movement",
        "Lens",
        "Lens kit",
        "Camera",
        "T-stop",
        "Focus",
        "Frames",
        "Duration",
        "Cast / stand-ins",
        "Transition in",
        "Lighting cue",
        "Stage checks",
        "Notes",
    ]
    assert [r[1] for r in body] == SHOT_IDS
    one = dict(zip(header, body[0], strict=True))
    assert one["Lens"] == "25 mm" and one["Frames"] == "480" and one["Duration"] == "00:00:20:00"
    assert one["Description"].startswith("WIDE MASTER - Mara and Dale at the pumps, diner behind")
    assert one["Shot size"] == _by_id(rows)["1A"].shot_size
    three_a = dict(zip(header, body[SHOT_IDS.index("3A")], strict=True))
    assert "dolly in" in three_a["Movement"] and three_a["Focus"].startswith("5.20 → ")
    assert not list(tmp_path.glob(".*.tmp"))


def test_json_round_trips(scene, rows, tmp_path):
    path = sl.write_json(rows, tmp_path / "list.json", scene)
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert (doc["format"], doc["version"]) == ("previs-shotlist", 2)
    assert doc["scene"] == "Desert Diner - LED stage previs" and doc["frame_rate"] == "24"
    assert [s["shot"] for s in doc["shots"]] == SHOT_IDS
    first = doc["shots"][0]
    assert (
        first["focal_length_mm"] == [25.0]
        and first["duration_frames"] == 480
        and first["setup"] == 1
    )
    assert sl.read_json(path) == rows
    inf_row = dataclasses.replace(rows[0], focus_m=(math.inf,))
    sl.write_json([inf_row], tmp_path / "inf.json", scene)
    assert sl.read_json(tmp_path / "inf.json")[0].focus_m == (math.inf,)


def test_markdown_has_a_row_per_shot(scene, rows, tmp_path):
    piped = dataclasses.replace(rows[0], description="A | B\nC")
    path = sl.write_markdown([piped, *rows[1:]], tmp_path / "list.md", scene)
    lines = path.read_text(encoding="utf-8").splitlines()
    table = [ln for ln in lines if ln.startswith("|")]
    assert len(table) == 2 + len(SHOT_IDS)
    assert table[0].startswith(
        "| Scene | Shot | Setup | Description | Action | Dialogue | Shot size |"
    )
    for line, sid in zip(table[2:], SHOT_IDS, strict=True):
        cells = [c.strip() for c in line.replace("\\|", "\x00").strip("|").split("|")]
        assert len(cells) == len(sl.COLUMNS) and cells[1] == sid
    assert "A \\| B<br>C" in table[2]
    assert lines[0] == "# Shot list: Desert Diner - LED stage previs"


_POPPLER = shutil.which("pdftoppm") and shutil.which("pdftotext")
needs_poppler = pytest.mark.skipif(
    not _POPPLER, reason="poppler's pdftoppm/pdftotext are not installed"
)


def _render_pages(pdf: Path, out: Path) -> list[np.ndarray]:
    from PIL import Image

    subprocess.run(
        ["pdftoppm", "-png", "-r", "50", str(pdf), str(out / "page")], check=True, timeout=60
    )
    return [np.asarray(Image.open(p).convert("L"), float) for p in sorted(out.glob("page-*.png"))]


def _text(pdf: Path, column: str | None = None) -> str:
    """The PDF's text; with ``column`` (a title of the PDF table), only what lies in that column
    of an A4 landscape sheet (its x range from the table layout, 10 mm margins)."""
    crop = []
    if column is not None:
        widths = [w for _, w, _ in sl._PDF_COLUMNS]
        i = [t for t, _, _ in sl._PDF_COLUMNS].index(column)
        mm = 277.0 / sum(widths)
        pt = 72 / 25.4
        x0 = (10 + mm * sum(widths[:i])) * pt
        crop = [
            "-x",
            str(int(x0) + 1),
            "-y",
            "0",
            "-W",
            str(int(mm * widths[i] * pt) - 2),
            "-H",
            "595",
        ]
    return subprocess.run(
        ["pdftotext", *(crop or ["-layout"]), str(pdf), "-"],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout


@needs_poppler
def test_pdf_renders_with_every_shot(scene, rows, tmp_path):
    path = sl.write_pdf(rows, tmp_path / "list.pdf", scene, when=date(2025, 3, 14), paper="a4")
    pages = _render_pages(path, tmp_path)
    assert len(pages) == 2  # the table, then the shooting order
    assert pages[0].shape[1] > pages[0].shape[0]  # landscape
    assert all(p.std() > 10 for p in pages)
    text = _text(path)
    for sid in SHOT_IDS:
        assert sid in text
    assert (
        "Desert Diner - LED stage previs" in text and "2025-03-14" in text and "Page 2 of 2" in text
    )
    if sl.find_pdf_fonts():
        assert "→" in text  # the TTF shows the arrow as it is (pdftotext may split the cell)


@needs_poppler
def test_pdf_pages_repeat_the_header(scene, rows, tmp_path):
    many = [
        dataclasses.replace(r, shot=f"{r.shot}-{i}", notes="long note " * (i % 4))
        for i in range(3)
        for r in rows
    ]
    path = sl.write_pdf(many, tmp_path / "many.pdf", scene, when=date(2025, 3, 14))
    pages = _render_pages(path, tmp_path)
    n = len(pages)
    assert n >= 2 and all(p.std() > 10 for p in pages)
    text = _text(path)
    assert text.count("Stage checks") >= n - 1  # the header row on every page of the table
    for i in range(1, n + 1):
        assert f"Page {i} of {n}" in text
    for r in many:
        assert r.shot in text
    # the same rows and date give the same bytes
    assert sl.pdf_bytes(many, scene, when=date(2025, 3, 14)) == path.read_bytes()


@needs_poppler
def test_pdf_without_a_ttf_falls_back_to_ascii(scene, rows, tmp_path):
    path = tmp_path / "core.pdf"
    path.write_bytes(sl.pdf_bytes(rows, scene, when=date(2025, 3, 14), fonts=None))
    text = _text(path)
    assert all(sid in text for sid in SHOT_IDS)
    assert "5.20 -> 3.7" in text and "24-72" in text and "8°" in text


def test_export_shotlist_writes_every_format(scene, tmp_path):
    paths = sl.export_shotlist(scene, tmp_path / "out", when=date(2025, 3, 14))
    assert [p.name for p in paths] == [
        "led_stage_shotlist.csv",
        "led_stage_shotlist.json",
        "led_stage_shotlist.md",
        "led_stage_shotlist.pdf",
    ]
    assert all(p.stat().st_size > 100 for p in paths)
    assert paths[3].read_bytes().startswith(b"%PDF")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(p.name for p in paths)
    assert sl.export_shotlist(scene, tmp_path / "o2", formats=("json",))[0].suffix == ".json"
    with pytest.raises(PrevisError, match="xls"):
        sl.export_shotlist(scene, tmp_path / "o3", formats=("csv", "xls"))


def test_walking_standin_is_framed_where_it_walks(scene):
    st = evaluate(scene, "3C", 84)  # the walk's end: the attendant stands at (3.2, 0, -2.0)
    fr = {f.name: f for f in sl.framings(scene, st)}
    wfc = st.world_from_camera
    eye = np.array([3.2, 0.935 * 1.75, -2.0])
    to_eye = eye - wfc[:3, 3]
    assert fr["Attendant"].eye_depth_m == pytest.approx(
        float(np.dot(to_eye, -wfc[:3, 2])), abs=1e-3
    )
    angle = math.degrees(
        math.acos(float(np.dot(to_eye, -wfc[:3, 2])) / float(np.linalg.norm(to_eye)))
    )
    assert fr["Attendant"].axis_angle_deg == pytest.approx(angle, abs=0.01)
    start = {f.name: f for f in sl.framings(scene, evaluate(scene, "3C", 0))}
    assert abs(start["Attendant"].axis_angle_deg - angle) > 5.0  # it did move


# ---------------------------------------------------------------- the LED stage checks in the column
CHECKED = ["1A", "1E", "2B", "3B"]  # a moiré failure, a pass, the ceiling seam, the bare floor


@pytest.fixture(scope="module")
def checked(scene, tmp_path_factory):
    """`previs check`'s code path run once on four shots: (check.json, results by shot id)."""
    from previs.check import run_checks

    out = tmp_path_factory.mktemp("check")
    results, written = run_checks(scene, CHECKED, out, width=64)
    return out / "check.json", {r.shot: r for r in results}


def test_stage_checks_column_carries_the_led_verdicts(scene, checked):
    report, results = checked
    doc = json.loads(report.read_text(encoding="utf-8"))
    by_id = {s["shot"]: s for s in doc["shots"]}
    col = {r.shot: r.stage_checks for r in sl.shot_rows(scene, checks=results)}
    px = by_id["1A"]["photosites_per_pitch"]
    assert by_id["1A"]["failed"] and px < 2
    assert (
        col["1A"][0]
        == f"FAIL moiré: {px:.2f} photosites/LED pitch at {by_id['1A']['moire_wall_m']:.1f} m"
    )
    assert col["2B"][0].startswith("FAIL shooting off ") and "(ceiling seam)" in col["2B"][0]
    assert f"{100 * by_id['2B']['shooting_off_max']:.1f} %" in col["2B"][0]
    assert any(
        c.startswith("steep 57°") for c in col["2B"][1:]
    )  # the warning comes after the failure
    assert col["3B"][0].startswith("FAIL shooting off") and "(bare floor), frames " in col["3B"][0]
    assert col["1E"] == ("LED checks pass",)
    assert col["1B"][0] == "LED checks not run"  # not in the results: never an empty "all clear"
    # the report read back gives the same column, and the summary is what check.json carries
    from previs.check import read_report

    again = read_report(report, scene, CHECKED)
    assert {s: r.summary for s, r in again.items()} == {s: by_id[s]["summary"] for s in CHECKED}
    assert {s: again[s].summary for s in CHECKED} == {s: list(col[s]) for s in CHECKED}
    assert (
        sl.led_checks_note(results)
        == "LED stage checks (run at export): 1 of 4 shots pass; failing 1A, 2B, 3B"
    )


def test_a_foreign_stale_or_short_report_is_refused(scene, checked, tmp_path):
    from previs.check import read_report

    report, _ = checked
    doc = json.loads(report.read_text(encoding="utf-8"))
    with pytest.raises(PrevisError, match=r"lacks shots 1B, 1C"):
        read_report(report, scene, SHOT_IDS)
    foreign = tmp_path / "foreign.json"
    foreign.write_text(json.dumps({**doc, "scene": "Another show"}), encoding="utf-8")
    with pytest.raises(PrevisError, match="for scene 'Another show'"):
        read_report(foreign, scene, CHECKED)
    stale = tmp_path / "stale.json"
    stale.write_text(json.dumps({**doc, "scene_sha256": "0" * 64}), encoding="utf-8")
    with pytest.raises(PrevisError, match="stale check report: led_stage.yaml changed"):
        read_report(stale, scene, CHECKED)
    gone = tmp_path / "gone.json"
    gone.write_text(
        json.dumps({**doc, "shots": [*doc["shots"], {**doc["shots"][0], "shot": "9Z"}]}),
        encoding="utf-8",
    )
    with pytest.raises(PrevisError, match="shot '9Z' is not in led_stage.yaml"):
        read_report(gone, scene, CHECKED)
    with pytest.raises(PrevisError, match="not a previs check report"):
        read_report(_write(tmp_path / "x.json", "[]"), scene, CHECKED)
    # hand-edited reports with the wrong types: one clear refusal each, never a TypeError
    broken = [
        ({**doc, "version": "1"}, "not a previs check report"),
        ({**doc, "shots": [{**doc["shots"][0], "shot": ["1A"]}]}, "lacks 'shot'"),
        ({**doc, "shots": [{**doc["shots"][0], "summary": "FAIL x"}]}, "summary is not a list"),
        ({**doc, "shots": [{**doc["shots"][0], "problems": 5}]}, "problems is not a list"),
        (
            {**doc, "shots": [{**doc["shots"][0], "summary": ["FAIL x", 3]}]},
            "summary is not a list of sentences",
        ),
        (
            {**doc, "shots": [{**doc["shots"][0], "shooting_off_frames": ["12"]}]},
            "shooting_off_frames is not a list of frame numbers",
        ),
    ]
    for i, (bad, message) in enumerate(broken):
        with pytest.raises(PrevisError, match=message):
            read_report(_write(tmp_path / f"bad{i}.json", json.dumps(bad)), scene, CHECKED)


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@needs_poppler
def test_checked_shotlist_reads_back_in_every_format(checked, tmp_path):
    """`previs export --checks check.json`: CSV (csv), JSON (json), Markdown and PDF (pdftotext)
    carry the same verdicts."""
    import sys

    report, results = checked
    cmd = [
        sys.executable,
        "-m",
        "previs.cli",
        "export",
        str(EXAMPLE),
        "--what",
        "shotlist",
        "-o",
        str(tmp_path),
        "--paper",
        "a4",
    ]
    for sid in CHECKED:
        cmd += ["--shot", sid]
    run = subprocess.run(
        [*cmd, "--checks", str(report)], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    assert "1 of 4 shots pass; failing 1A, 2B, 3B" in run.stdout
    out = tmp_path / "shotlist"
    want = {sid: "; ".join(results[sid].summary) for sid in CHECKED}
    with open(out / "led_stage_shotlist.csv", newline="", encoding="utf-8-sig") as f:
        assert {r["Shot"]: r["Stage checks"] for r in csv.DictReader(f)} == want
    doc = json.loads((out / "led_stage_shotlist.json").read_text(encoding="utf-8"))
    assert {s["shot"]: "; ".join(s["stage_checks"]) for s in doc["shots"]} == want
    assert doc["led_checks"].startswith(f"LED stage checks (from {report})")
    md = (out / "led_stage_shotlist.md").read_text(encoding="utf-8")
    assert "1 of 4 shots pass" in md and all(w.replace("|", "\\|") in md for w in want.values())
    pdf = out / "led_stage_shotlist.pdf"
    assert "1 of 4 shots pass; failing 1A, 2B, 3B" in _text(pdf)
    text = " ".join(_text(pdf, column="Stage checks").split())  # the cells wrap: compare words
    assert text.startswith("Stage checks FAIL moiré") and "not run" not in text
    for sid in CHECKED:  # each verdict, as the cell wraps it, in the PDF's text
        for item in results[sid].summary:
            assert " ".join(item.split()) in text, (sid, item)


@needs_poppler
def test_without_checks_the_sheets_say_they_did_not_run(scene, rows, tmp_path):
    md = sl.markdown_text(rows, scene)
    assert sl.LED_CHECKS_NOT_RUN in md
    path = sl.write_pdf(rows, tmp_path / "list.pdf", scene, when=date(2025, 3, 14))
    assert "LED stage checks not run" in " ".join(_text(path).split())
    doc = json.loads(sl.write_json(rows, tmp_path / "list.json", scene).read_text(encoding="utf-8"))
    assert doc["led_checks"] == sl.LED_CHECKS_NOT_RUN


# ---------------------------------------------------------------- who is in frame, and the new columns
def test_cast_shares_height_support_and_words(rows):
    r = _by_id(rows)
    c = r["1C"]
    assert (
        c.cast_text.startswith("Mara ") and "Dale 3" in c.cast_text
    )  # the OTS shoulder fills a third
    assert len(c.cast_share) == len(c.cast) and all(0 < x < 1 for x in c.cast_share)
    assert r["1A"].height_text == "1.70 m, tilt -2°" and r["2B"].camera_height_m == (0.35,)
    assert (
        r["2B"].support == "hi-hat" and r["3A"].support == "dolly" and r["1A"].support == "sticks"
    )
    assert r["3B"].support == "dolly" and r["3C"].support == "sticks"
    assert r["1C"].dialogue.startswith("MARA:") and r["1A"].action.startswith("Mara tops up")
    assert r["2A"].transition == "dissolve 12 fr" and r["1A"].transition == "cut"


def test_ots_is_a_foreground_shoulder_seen_from_behind(scene):
    """Turn 1C's foreground Dale round to face the lens: a dirty two-shot, not an OTS; move him out
    of frame: a clean MCU on Mara, and he leaves the cast."""
    from previs.core import analysis

    assert analysis.analyse_shot(scene, "1C").ots == "Dale"
    dale = next(p for p in scene.set_pieces if p.name == "Dale")
    turned = dataclasses.replace(
        dale, world_from_local=dale.world_from_local @ tf.rotation_y(180.0)
    )
    gone = dataclasses.replace(dale, world_from_local=tf.trs((-6.0, 0.0, 6.0)))
    for piece, ots in ((turned, None), (gone, None)):
        sc = dataclasses.replace(
            scene, set_pieces=tuple(piece if p.name == "Dale" else p for p in scene.set_pieces)
        )
        judged = analysis.analyse_shot(sc, "1C")
        assert judged.ots is ots and not judged.shot_size.startswith("OTS")
    assert (
        "Dale"
        not in analysis.analyse_shot(
            dataclasses.replace(
                scene, set_pieces=tuple(gone if p.name == "Dale" else p for p in scene.set_pieces)
            ),
            "1C",
        ).cast
    )


def test_pdf_says_the_package_once_and_the_schedule(scene, rows, tmp_path):
    path = sl.write_pdf(rows, tmp_path / "list.pdf", scene, when=date(2025, 3, 14), paper="a4")
    text = _text(path)
    assert text.count("ARRI Signature Prime") == 1 and text.count("ALEXA 35") == 1
    assert (
        "Shooting order by setup" in text
        and "hi-hat" in text
        and "DIALOGUE: MARA" in " ".join(text.split())
    )
    order = sl.schedule(rows)
    assert order[0] == ("1", 1, "25 mm", "sticks", ["1A"]) and len(order) == len(rows)
    twin = dataclasses.replace(rows[0], shot="1G", focal_length_mm=(40.0,))
    assert [g[4] for g in sl.schedule([rows[0], twin, rows[1]])] == [
        ["1A"],
        ["1G"],
        ["1B"],
    ]  # a lens change


@needs_poppler
@pytest.mark.parametrize("paper,name", [("a4", "(A4)"), ("letter", "(letter)")])
def test_paper_and_bundled_font(scene, rows, tmp_path, paper, name, monkeypatch):
    monkeypatch.delenv("PREVIS_PDF_FONT", raising=False)
    path = sl.write_pdf(rows, tmp_path / f"{paper}.pdf", scene, when=date(2025, 3, 14), paper=paper)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert name in info  # poppler names the paper from the page size
    fonts = subprocess.run(
        ["pdffonts", str(path)], capture_output=True, text=True, check=True
    ).stdout
    assert "DejaVuSansCondensed" in fonts and "DejaVuSansCondensed-Bold" in fonts.replace(
        "CondensedBold", "Condensed-Bold"
    )
    from previs.export.paper import bundled_fonts, find_fonts

    assert find_fonts() == bundled_fonts() and bundled_fonts()[0].parent.name == "fonts"
    assert (bundled_fonts()[0].parent / "LICENSE").read_text().count("Bitstream") >= 2
