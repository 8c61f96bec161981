"""The real command line, run as a user runs it (a subprocess): renders, `info`, `presets`, and
every bad input ends with exactly one line on stderr, a non-zero status and no traceback."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from previs.core import presets

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "scenes" / "led_stage.yaml"

# A small valid scene (no stage, no meshes); the error cases each change one line of it.
BASE = """\
format_version: 1
name: cli test
frame_rate: 24
set:
  - name: crate
    type: box
    size_m: [1, 1, 1]
    translation_m: [0, 0, -3]
    color: "#a08060"
lights:
  - name: sun
    type: directional
    azimuth_deg: 30
    elevation_deg: 40
    illuminance_lux: 500
camera:
  body: alexa-35
  lens_kit: cooke-s4i
  iso: 800
shots:
  - id: S1
    scene: 1
    length_frames: 24
    camera:
      position_m: [0, 1.5, 3]
      look_at_m: [0, 0.5, -3]
      focal_length_mm: 32
"""


def previs(*args, cwd=None, timeout=120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "previs.cli", *map(str, args)],
        cwd=cwd or ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def one_line_error(res: subprocess.CompletedProcess, *needles: str) -> str:
    """The run failed with exactly one line on stderr that contains every needle."""
    err = res.stderr
    assert res.returncode != 0, f"exit status 0; stdout: {res.stdout[-500:]}"
    assert "Traceback" not in err, err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].strip(), (
        f"expected one line on stderr, got {len(lines)}:\n{err}"
    )
    for n in needles:
        assert n.lower() in lines[0].lower(), f"{n!r} not in: {lines[0]}"
    return lines[0]


def pngs(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.png")) if folder.exists() else []


# ---------------------------------------------------------------- render
@pytest.fixture(scope="module")
def rendered_1a(tmp_path_factory, gl_context):
    out = tmp_path_factory.mktemp("render")
    res = previs("render", EXAMPLE, "--shot", "1A", "--width", 320, "-o", out)
    return res, out


def test_render_writes_the_storyboard_png(rendered_1a):
    res, out = rendered_1a
    assert res.returncode == 0, res.stderr
    assert "Traceback" not in res.stderr
    files = pngs(out)
    assert len(files) == 1 and "1A" in files[0].name, files
    assert str(files[0].name) in res.stdout  # the command says what it wrote
    mode = presets.get_mode("alexa-35", "4.6k-3-2-og")  # the example's camera
    image_h = round(320 / (mode.width_mm / mode.height_mm))  # 320 / 1.456 = 220
    img = Image.open(files[0])
    assert img.format == "PNG" and img.mode == "RGB"
    w, h = img.size
    assert w == 320
    strip = h - image_h
    assert 20 <= strip <= 80, f"caption strip {strip} px under a {image_h} px image"
    a = np.asarray(img).astype(int)
    picture, caption = a[:image_h], a[image_h:]
    # The caption strip is dark with light text; the picture is a picture.
    assert np.median(caption) < 40
    assert caption[:, :, :].max() > 150, "no caption text"
    assert caption[-2:].max() < 60, "the strip's last rows are the dark background"
    assert picture.std() > 25 and np.median(picture) > np.median(caption)
    assert len(np.unique(picture.reshape(-1, 3), axis=0)) > 500


def test_render_file_is_readable_like_any_file_the_user_makes(rendered_1a):
    """Storyboards go to shared folders: the PNG gets the user's umask, not a temp file's 0600."""
    _, out = rendered_1a
    path = pngs(out)[0]
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask, (
        f"{path.name} has mode {oct(path.stat().st_mode & 0o777)}"
    )


def test_render_is_deterministic(rendered_1a, tmp_path):
    _, first = rendered_1a
    res = previs("render", EXAMPLE, "--shot", "1A", "--width", 320, "-o", tmp_path)
    assert res.returncode == 0, res.stderr
    a, b = pngs(first)[0], pngs(tmp_path)[0]
    assert a.name == b.name
    assert a.read_bytes() == b.read_bytes(), "two renders of the same shot differ"


def test_render_dof_blurs_what_the_lens_leaves_out_of_focus(tmp_path, gl_context):
    """1E: 75 mm at T2.8 focused on Mara at 2.25 m. The pump behind her (about 3.3 m) takes a
    circle of confusion of f^2/(N(s-f)) * (d-s)/d = 0.29 mm, about 5 px of a 480 px frame: its top
    edge spreads; Mara's own outline, in the focal plane, keeps its step."""
    sharp, soft = tmp_path / "sharp", tmp_path / "soft"
    for out, extra in ((sharp, []), (soft, ["--dof"])):
        res = previs("render", EXAMPLE, "--shot", "1E", "--width", 480, "-o", out, *extra)
        assert res.returncode == 0, res.stderr
    a, b = (np.asarray(Image.open(pngs(f)[0])).astype(float).mean(axis=2) for f in (sharp, soft))

    def steepest_step(img, rows, cols, axis):  # median over lines of the largest one-pixel step
        return np.median(np.abs(np.diff(img[rows, cols], axis=axis)).max(axis=axis))

    pump_top = (slice(95, 140), slice(40, 170), 0)  # the left pump's top edge, a horizontal edge
    mara_edge = (slice(140, 200), slice(170, 205), 1)  # the left outline of Mara's head
    assert steepest_step(a, *pump_top) > 30  # a hard edge without depth of field
    assert steepest_step(b, *pump_top) < 0.5 * steepest_step(a, *pump_top)
    assert steepest_step(b, *mara_edge) > 0.85 * steepest_step(a, *mara_edge)
    image_h = round(480 / 1.456)  # the caption strip is drawn after the picture and stays sharp
    assert np.array_equal(a[image_h + 5 :], b[image_h + 5 :])


# ---------------------------------------------------------------- info, presets
def test_info_lists_shots_lenses_and_wall_pixels():
    res = previs("info", EXAMPLE)
    assert res.returncode == 0, res.stderr
    out = res.stdout
    shots = {"1A": 25, "1B": 40, "1C": 58, "1D": 75, "1E": 75, "1F": 95, "2A": 95, "2B": 21}
    for sid, focal in shots.items():
        line = next((ln for ln in out.splitlines() if re.match(rf"\s+{sid}\s", ln)), None)
        assert line is not None, f"shot {sid} missing from info"
        assert re.search(rf"\b{focal}\s*mm", line), f"{sid} should show {focal} mm: {line}"
    # Wall pixels, by hand: a 270 deg arc of radius 10 m is 47.1 m -> 94 whole 0.5 m cabinets,
    # 6 m high -> 12 rows; ceiling 14 x 12 m -> 28 x 24 cabinets; 176 x 176 LEDs per cabinet.
    total = (94 * 12 + 28 * 24) * 176 * 176
    assert total == 55_756_800
    digits = {int(m.replace(",", "")) for m in re.findall(r"\d[\d,]{6,}", out)}
    assert total in digits, "the wall's LED pixel count (55,756,800) is not in info"
    assert "16544 x 2112" in out.replace(",", "")  # the main wall's canvas: 94*176 x 12*176


def test_presets_lists_cameras_and_lenses():
    res = previs("presets")
    assert res.returncode == 0, res.stderr
    assert "ALEXA 35" in res.stdout
    assert "Cooke S4/i" in res.stdout
    # The ALEXA 35 open-gate mode with its sensor size.
    assert re.search(r"27\.99\s*x\s*19\.22", res.stdout)


# ---------------------------------------------------------------- bad input
@pytest.fixture
def scene_dir(tmp_path) -> Path:
    (tmp_path / "base.yaml").write_text(BASE)
    return tmp_path


def variant(folder: Path, old: str, new: str, name: str = "variant.yaml") -> Path:
    assert old in BASE
    p = folder / name
    p.write_text(BASE.replace(old, new, 1))
    return p


def test_base_scene_is_valid(scene_dir):
    res = previs("info", scene_dir / "base.yaml")
    assert res.returncode == 0, res.stderr
    assert res.stderr == ""


def test_missing_scene_file(tmp_path):
    one_line_error(previs("info", tmp_path / "nope.yaml"), "nope.yaml")
    one_line_error(previs("render", tmp_path / "nope.yaml", "-o", tmp_path / "out"), "nope.yaml")
    assert not (tmp_path / "out").exists()


def test_non_yaml_file(scene_dir):
    bad = scene_dir / "broken.yaml"
    bad.write_text("name: [unclosed\n  camera: {")
    one_line_error(previs("info", bad), "broken.yaml", "yaml")
    binary = scene_dir / "binary.yaml"
    binary.write_bytes(bytes(range(256)) * 4)
    one_line_error(previs("info", binary), "binary.yaml")


def test_unknown_key_says_did_you_mean(scene_dir):
    p = variant(scene_dir, "focal_length_mm: 32", "focal_lenght_mm: 32")
    line = one_line_error(previs("info", p), "variant.yaml", "focal_lenght_mm", "did you mean")
    assert "'focal_length_mm'" in line.split("did you mean", 1)[1]


def test_wrong_type(scene_dir):
    p = variant(scene_dir, "iso: 800", "iso: fast")
    one_line_error(previs("info", p), "variant.yaml", "camera.iso", "fast")


def test_unknown_body(scene_dir):
    p = variant(scene_dir, "body: alexa-35", "body: alexa-99")
    one_line_error(previs("render", p, "-o", scene_dir / "out"), "alexa-99")
    assert not (scene_dir / "out").exists()


@pytest.mark.parametrize("focal", ["33", "-5", "0"])
def test_impossible_focal_length(scene_dir, focal):
    p = variant(scene_dir, "focal_length_mm: 32", f"focal_length_mm: {focal}")
    one_line_error(previs("render", p, "-o", scene_dir / "out"), "focal_length_mm")
    assert pngs(scene_dir / "out") == []


def test_missing_mesh(scene_dir):
    p = variant(
        scene_dir,
        "    type: box\n    size_m: [1, 1, 1]\n",
        "    type: mesh\n    path: props/nothing.glb\n",
    )
    one_line_error(previs("render", p, "-o", scene_dir / "out"), "nothing.glb")
    assert pngs(scene_dir / "out") == []


def test_unknown_shot_id_renders_nothing(scene_dir):
    out = scene_dir / "out"
    one_line_error(
        previs("render", scene_dir / "base.yaml", "--shot", "S1", "--shot", "9Z", "-o", out), "9Z"
    )
    assert pngs(out) == [], "shots are validated before anything is rendered"


def test_unwritable_output_dir(scene_dir, gl_context):
    (scene_dir / "a_file").write_text("not a folder")
    out = scene_dir / "a_file" / "sub"
    one_line_error(previs("render", scene_dir / "base.yaml", "--width", 160, "-o", out), "a_file")
    assert (scene_dir / "a_file").read_text() == "not a folder"


def test_bad_width(scene_dir):
    one_line_error(
        previs("render", scene_dir / "base.yaml", "--width", 0, "-o", scene_dir / "out"), "width"
    )
    assert pngs(scene_dir / "out") == []
    # wider than any OpenGL texture: refused by the renderer in one line, nothing written
    one_line_error(
        previs("render", scene_dir / "base.yaml", "--width", 100000, "-o", scene_dir / "out"),
        "100000x",
        "limit",
    )
    assert pngs(scene_dir / "out") == []
    # a draft whose render fits but whose delivered size does not: the same one line
    one_line_error(
        previs(
            "animatic",
            scene_dir / "base.yaml",
            "--width",
            20000,
            "--scale",
            0.25,
            "-o",
            scene_dir / "anim",
        ),
        "output size 20000x",
        "limit",
    )


def test_failed_write_leaves_no_half_written_file(scene_dir, gl_context):
    """The target name is taken by a folder, so the final rename fails: the command fails with one
    line and leaves the folder as it found it (no temporary or partial PNG)."""
    probe = scene_dir / "probe"
    res = previs("render", scene_dir / "base.yaml", "--width", 160, "-o", probe)
    assert res.returncode == 0, res.stderr
    (name,) = [p.name for p in pngs(probe)]
    out = scene_dir / "out"
    (out / name).mkdir(parents=True)
    (out / "keep.txt").write_text("mine")
    one_line_error(previs("render", scene_dir / "base.yaml", "--width", 160, "-o", out), name)
    assert sorted(p.name for p in out.iterdir()) == sorted([name, "keep.txt"])
    assert (out / name).is_dir() and not any((out / name).iterdir())
