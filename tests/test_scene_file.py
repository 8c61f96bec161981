"""Scene files: the example loads with the right numbers; every mistake is one line naming the
file, the field path and the line."""

from __future__ import annotations

import math
import os
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import trimesh

from previs.core.colour import kelvin_to_linear_rgb, luminance
from previs.core.scene import FORMAT_VERSION
from previs.errors import SceneError
from previs.io import load_scene, migrate
from previs.io import scene_file as sf
from previs.io.yaml_lines import load_yaml_text

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "scenes" / "led_stage.yaml"

# A small valid scene; the comments are its line numbers, which the error tests rely on.
MINI = """\
format_version: 1
name: test scene
frame_rate: 24
camera:
  body: alexa-35
  mode: 4.6k-3-2-og
  lens_kit: arri-signature-prime
shots:
  - id: 1A
    scene: 1
    length_frames: 24
    camera:
      position_m: [0, 1.6, 5]
      look_at_m: [0, 1.5, 0]
      focal_length_mm: 35
  - id: 1B
    scene: 1
    length_frames: 48
    camera:
      position_m: [0, 1.6, 3]
      pan_deg: 10
      focal_length_mm: 58
"""
# line numbers of MINI, 1-based
L_VERSION, L_BODY, L_MODE, L_KIT = 1, 5, 6, 7
L_SHOT0_CAMERA, L_SHOT0_FOCAL = 12, 15
L_SHOT1_ID, L_SHOT1_LENGTH, L_SHOT1_PAN, L_SHOT1_FOCAL = 16, 18, 21, 22

SET_MESH = """\
set:
  - name: prop
    type: mesh
    path: {path}
"""
L_SET_PATH = 26  # MINI has 22 lines; then set: 23, - name: 24, type: 25, path: 26


def write(folder: Path, text: str, name: str = "scene.yaml") -> Path:
    p = folder / name
    p.write_text(text)
    return p


def error_of(path: Path) -> SceneError:
    with pytest.raises(SceneError) as info:
        load_scene(path)
    return info.value


def assert_error(err: SceneError, file: Path, field: str | None, line: int | None, *words: str):
    assert err.file == str(file.absolute())
    assert err.field == field, str(err)
    assert err.line == line, str(err)
    for w in words:
        assert w in err.message, str(err)
    text = str(err)
    assert "\n" not in text
    assert text.startswith(f"{file.absolute()}:{line}:" if line else f"{file.absolute()}:")


def replace_line(text: str, line: int, new: str) -> str:
    lines = text.splitlines()
    lines[line - 1] = new
    return "\n".join(lines) + "\n"


def test_mini_loads(tmp_path):
    s = load_scene(write(tmp_path, MINI))
    assert [sh.id for sh in s.shots] == ["1A", "1B"]
    assert s.shots[1].camera.pan_deg == 10.0
    assert s.shots[1].camera.look_at_m is None
    assert s.camera.t_stop == 2.8  # the default


# ---------------------------------------------------------------- the example
@pytest.fixture(scope="module")
def example():
    return load_scene(EXAMPLE)


def test_example_numbers(example):
    s = example
    assert s.source_path == EXAMPLE
    assert s.frame_rate == Fraction(24)
    assert isinstance(s.frame_rate, Fraction)
    p = s.stage.panel
    assert (p.pixel_pitch_mm, p.panel_width_mm, p.panel_width_px, p.peak_nits) == (
        2.84,
        500,
        176,
        1500,
    )
    (wall,) = s.stage.sections
    assert (wall.radius_m, wall.start_azimuth_deg, wall.arc_deg, wall.height_m) == (
        10.0,
        45.0,
        270.0,
        6.0,
    )
    assert s.stage.ceiling.height_m == 6.2
    assert s.camera.body == "alexa-35" and s.camera.mode == "4.6k-3-2-og"
    assert s.camera.lens_kit == "arri-signature-prime"
    shot = s.shot("1C")
    assert shot.camera.position_m == (-1.6, 1.6, -0.21)
    assert shot.camera.focal_length_mm == 58.0
    assert s.shot("1B").length_frames == 12 * 24  # from duration_s
    assert s.shot("2B").camera.tilt_deg == 28.0 and s.shot("2B").camera.pan_deg == 47.0
    assert len(s.shots) >= 6
    assert sorted({sh.camera.focal_length_mm for sh in s.shots}) == [21, 25, 29, 35, 40, 58, 75, 95]


def test_example_environment_transform(example):
    env = example.environment
    assert env.gltf_path == EXAMPLE.parent / "geometry" / "desert.glb"
    # scale 10 and an 8 deg yaw: the local +X axis maps to 10 * (cos 8, 0, -sin 8)
    np.testing.assert_allclose(
        env.world_from_env[:3, 0],
        10 * np.array([math.cos(math.radians(8)), 0, -math.sin(math.radians(8))]),
    )
    assert env.sky.sun_azimuth_deg == 200 and env.wall_brightness_nits == 150


def test_example_cm_mesh_is_scaled(example):
    sedan = next(p for p in example.set_pieces if p.name == "sedan")
    assert sedan.kind == "mesh" and sedan.mesh_path.name == "car.obj"
    m = sedan.world_from_local
    # rotated 180 deg about Y, scaled by 0.01: column lengths are the scale
    np.testing.assert_allclose(np.linalg.norm(m[:3, :3], axis=0), [0.01, 0.01, 0.01])
    np.testing.assert_allclose(m[:3, 0], [-0.01, 0, 0], atol=1e-12)
    np.testing.assert_allclose(m[:3, 3], [2.0, 0.0, -4.4])
    bench = next(p for p in example.set_pieces if p.name == "bench")
    np.testing.assert_allclose(np.linalg.norm(bench.world_from_local[:3, :3], axis=0), [0.0254] * 3)


def test_example_colours(example):
    floor = next(p for p in example.set_pieces if p.name == "sand floor")
    # "#cfa978" -> sRGB (207, 169, 120)/255 -> linear by the IEC curve
    expect = [((c / 255 + 0.055) / 1.055) ** 2.4 for c in (0xCF, 0xA9, 0x78)]
    np.testing.assert_allclose(floor.color_linear, expect, rtol=1e-9)
    fill = next(li for li in example.lights if li.name == "tungsten fill")
    rgb = np.asarray(kelvin_to_linear_rgb(3200))
    np.testing.assert_allclose(fill.color_linear, rgb / luminance(rgb))
    assert luminance(fill.color_linear) == pytest.approx(1.0)
    assert fill.color_linear[0] > 1.5 * fill.color_linear[2]  # tungsten is orange
    assert fill.kelvin == 3200
    # 3500 lm over a 70 deg field: 3500 / (2 pi (1 - cos 35 deg)) cd
    assert fill.intensity == pytest.approx(3500 / (2 * math.pi * (1 - math.cos(math.radians(35)))))
    assert fill.intensity == pytest.approx(3080.17, abs=0.01)
    assert fill.shadows is False


def test_example_sun_direction(example):
    sun = next(li for li in example.lights if li.name == "sun")
    az, el = math.radians(200), math.radians(25)
    # it travels away from where the sun stands (azimuth 200, elevation 25)
    np.testing.assert_allclose(
        sun.direction, [-math.sin(az) * math.cos(el), -math.sin(el), -math.cos(az) * math.cos(el)]
    )
    assert sun.type == "directional" and sun.intensity == 600


def test_example_geometry_is_small_and_varied():
    files = list((ROOT / "scenes" / "geometry").iterdir())
    assert sum(f.stat().st_size for f in files) < 1_000_000
    assert {f.suffix for f in files} >= {".glb", ".obj", ".ply", ".stl"}


# ---------------------------------------------------------------- frame rates
@pytest.mark.parametrize(
    "written, rate",
    [
        ("24", Fraction(24)),
        ("25", Fraction(25)),
        ("23.976", Fraction(24000, 1001)),
        ('"24000/1001"', Fraction(24000, 1001)),
        ("29.97", Fraction(30000, 1001)),
        ("30", Fraction(30)),
        ("48", Fraction(48)),
        ("50", Fraction(50)),
        ("59.94", Fraction(60000, 1001)),
        ("60", Fraction(60)),
        ("60.0", Fraction(60)),
    ],
)
def test_frame_rates(tmp_path, written, rate):
    s = load_scene(write(tmp_path, replace_line(MINI, 3, f"frame_rate: {written}")))
    assert s.frame_rate == rate


def test_frame_rate_not_standard(tmp_path):
    p = write(tmp_path, replace_line(MINI, 3, "frame_rate: 24.5"))
    assert_error(error_of(p), p, "frame_rate", 3, "not a standard rate")


def test_duration_rounds_to_frames_at_ntsc(tmp_path):
    text = replace_line(MINI, 3, "frame_rate: 23.976")
    text = replace_line(text, L_SHOT1_LENGTH, "    duration_s: 10")
    s = load_scene(write(tmp_path, text))
    assert s.shots[1].length_frames == 240  # 10 s * 23.976 = 239.76 -> 240


# ---------------------------------------------------------------- bad input: types and keys
def test_wrong_type(tmp_path):
    p = write(tmp_path, replace_line(MINI, L_SHOT1_LENGTH, "    length_frames: ten"))
    assert_error(
        error_of(p), p, "shots[1].length_frames", L_SHOT1_LENGTH, "expected an integer, got 'ten'"
    )


def test_wrong_vector_length(tmp_path):
    p = write(tmp_path, replace_line(MINI, 13, "      position_m: [0, 1.6]"))
    assert_error(error_of(p), p, "shots[0].camera.position_m", 13, "expected a list of 3 numbers")


def test_unknown_key_did_you_mean(tmp_path):
    p = write(tmp_path, replace_line(MINI, L_SHOT1_FOCAL, "      focal_lenght_mm: 58"))
    assert_error(
        error_of(p),
        p,
        "shots[1].camera.focal_lenght_mm",
        L_SHOT1_FOCAL,
        "unknown key 'focal_lenght_mm'; did you mean 'focal_length_mm'?",
    )


def test_unknown_top_level_key(tmp_path):
    p = write(tmp_path, MINI + "lihgts: []\n")
    assert_error(error_of(p), p, "lihgts", 23, "did you mean 'lights'?")


def test_missing_required_key(tmp_path):
    text = "\n".join(li for i, li in enumerate(MINI.splitlines(), 1) if i != L_SHOT0_FOCAL) + "\n"
    p = write(tmp_path, text)
    # the key is missing, so the line is its parent's
    assert_error(
        error_of(p),
        p,
        "shots[0].camera.focal_length_mm",
        L_SHOT0_CAMERA,
        "missing required key 'focal_length_mm'",
    )


def test_negative_focal_length(tmp_path):
    p = write(tmp_path, replace_line(MINI, L_SHOT1_FOCAL, "      focal_length_mm: -35"))
    assert_error(
        error_of(p),
        p,
        "shots[1].camera.focal_length_mm",
        L_SHOT1_FOCAL,
        "must be greater than 0, got -35",
    )


def test_focal_length_not_in_kit(tmp_path):
    p = write(tmp_path, replace_line(MINI, L_SHOT1_FOCAL, "      focal_length_mm: 36"))
    assert_error(error_of(p), p, "shots[1].camera.focal_length_mm", L_SHOT1_FOCAL, "no 36 mm lens")


@pytest.mark.parametrize(
    "line, new, field, word",
    [
        (L_BODY, "  body: alexa-355", "camera.body", "unknown camera body 'alexa-355'"),
        (L_MODE, "  mode: 4.6k-3-2-open", "camera.mode", "no recording mode '4.6k-3-2-open'"),
        (
            L_KIT,
            "  lens_kit: arri-signature-primes",
            "camera.lens_kit",
            "did you mean 'arri-signature-prime'",
        ),
    ],
)
def test_unknown_body_mode_kit(tmp_path, line, new, field, word):
    p = write(tmp_path, replace_line(MINI, line, new))
    assert_error(error_of(p), p, field, line, word)


def test_focus_closer_than_the_lens_can(tmp_path):
    text = MINI.replace(
        "      focal_length_mm: 58\n", "      focal_length_mm: 58\n      focus_m: 0.3\n"
    )
    p = write(tmp_path, text)
    assert_error(error_of(p), p, "shots[1].camera.focus_m", 23, "cannot focus at 0.3 m")


def test_t_stop_wider_than_the_lens(tmp_path):
    text = MINI.replace(
        "      focal_length_mm: 58\n", "      focal_length_mm: 58\n      t_stop: 1.2\n"
    )
    p = write(tmp_path, text)
    assert_error(error_of(p), p, "shots[1].camera.t_stop", 23, "cannot open to T1.2")


def test_look_at_and_pan_both(tmp_path):
    text = MINI.replace(
        "      look_at_m: [0, 1.5, 0]\n", "      look_at_m: [0, 1.5, 0]\n      tilt_deg: 5\n"
    )
    p = write(tmp_path, text)
    assert_error(error_of(p), p, "shots[0].camera.tilt_deg", 15, "either look_at_m or pan_deg")


def test_length_and_duration_both(tmp_path):
    text = MINI.replace("    length_frames: 48\n", "    length_frames: 48\n    duration_s: 2\n")
    p = write(tmp_path, text)
    assert_error(error_of(p), p, "shots[1].duration_s", 19, "only one of length_frames, duration_s")


def test_duplicate_shot_id(tmp_path):
    p = write(tmp_path, replace_line(MINI, L_SHOT1_ID, "  - id: 1A"))
    assert_error(error_of(p), p, "shots[1].id", L_SHOT1_ID, "duplicate shot id '1A'", "line 9")


def test_duplicate_yaml_key(tmp_path):
    text = MINI.replace("      pan_deg: 10\n", "      pan_deg: 10\n      pan_deg: 12\n")
    p = write(tmp_path, text)
    assert_error(
        error_of(p), p, "shots[1].camera.pan_deg", 22, "duplicate key 'pan_deg'", "line 21"
    )


def test_unknown_piece_type(tmp_path):
    p = write(tmp_path, MINI + "set:\n  - type: cylindr\n    radius_m: 1\n")
    assert_error(
        error_of(p), p, "set[0].type", 24, "unknown type 'cylindr'; did you mean 'cylinder'?"
    )


def test_light_lumens_and_candela_both(tmp_path):
    p = write(
        tmp_path,
        MINI + "lights:\n  - type: spot\n    position_m: [0, 3, 0]\n"
        "    direction: [0, -1, 0]\n    lumens: 1000\n    intensity_cd: 500\n",
    )
    assert_error(error_of(p), p, "lights[0].lumens", 27, "give only one of intensity_cd, lumens")


def test_panel_inconsistent(tmp_path):
    stage = (
        "stage:\n  panel:\n    name: x\n    pixel_pitch_mm: 3.9\n    panel_size_mm: [500, 500]\n"
        "    panel_pixels: [176, 176]\n    peak_nits: 1500\n  sections:\n    - type: flat\n"
        "      start_xz_m: [-5, -5]\n      end_xz_m: [5, -5]\n      height_m: 4\n"
    )
    p = write(tmp_path, MINI + stage)
    assert_error(
        error_of(p), p, "stage.panel.pixel_pitch_mm", 26, "686.4 mm", "more than 2 % apart"
    )


def test_wall_brighter_than_panel(tmp_path):
    stage = (
        "stage:\n  panel:\n    name: x\n    pixel_pitch_mm: 2.84\n    panel_size_mm: [500, 500]\n"
        "    panel_pixels: [176, 176]\n    peak_nits: 1500\n  sections:\n    - type: curved\n"
        "      radius_m: 8\n      start_azimuth_deg: 90\n      arc_deg: 180\n      height_m: 5\n"
        "environment:\n  wall_brightness_nits: 2000\n"
    )
    p = write(tmp_path, MINI + stage)
    assert_error(error_of(p), p, "environment.wall_brightness_nits", 37, "above the panel's peak")


def test_delivery_aspect_16_9_is_text(tmp_path):
    text = MINI.replace(
        "  lens_kit: arri-signature-prime\n",
        "  lens_kit: arri-signature-prime\n  delivery_aspect: 16:9\n",
    )
    s = load_scene(write(tmp_path, text))
    assert s.camera.delivery_aspect == "16:9"  # not the YAML 1.1 base-60 integer 969


# ---------------------------------------------------------------- bad input: the file itself
def test_newer_format_version(tmp_path):
    p = write(tmp_path, replace_line(MINI, L_VERSION, f"format_version: {FORMAT_VERSION + 1}"))
    assert_error(error_of(p), p, "format_version", L_VERSION, "written by a newer previs")


def test_missing_format_version(tmp_path):
    p = write(tmp_path, "\n".join(MINI.splitlines()[1:]) + "\n")
    assert_error(error_of(p), p, "format_version", 1, "missing required key 'format_version'")


def test_not_yaml(tmp_path):
    p = write(tmp_path, "name: x\nshots: [1, 2\ncamera: {\n")
    err = error_of(p)
    assert err.file == str(p.absolute()) and err.line == 3
    assert "not valid YAML" in err.message


def test_binary_file(tmp_path):
    p = tmp_path / "scene.yaml"
    p.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe")
    err = error_of(p)
    assert err.file == str(p.absolute()) and "not a YAML text file" in err.message


def test_top_level_not_a_mapping(tmp_path):
    p = write(tmp_path, "# a comment\n- a\n- b\n")
    assert_error(error_of(p), p, None, 2, "top level must be a mapping", "a list of 2")


def test_empty_file(tmp_path):
    p = write(tmp_path, "# nothing\n")
    assert_error(error_of(p), p, None, 1, "empty")


def test_missing_scene_file(tmp_path):
    err = error_of(tmp_path / "nope.yaml")
    assert err.file == str(tmp_path / "nope.yaml") and "no such file" in err.message


# ---------------------------------------------------------------- meshes
def test_missing_mesh(tmp_path):
    p = write(tmp_path, MINI + SET_MESH.format(path="geometry/gone.glb"))
    assert_error(
        error_of(p), p, "set[0].path", L_SET_PATH, "mesh file 'geometry/gone.glb' not found"
    )


def test_mesh_path_is_a_directory(tmp_path):
    (tmp_path / "folder.obj").mkdir()
    p = write(tmp_path, MINI + SET_MESH.format(path="folder.obj"))
    assert_error(error_of(p), p, "set[0].path", L_SET_PATH, "is a directory")


def test_broken_mesh(tmp_path):
    (tmp_path / "broken.glb").write_bytes(b"glTF\x02\x00\x00\x00garbage")
    p = write(tmp_path, MINI + SET_MESH.format(path="broken.glb"))
    assert_error(error_of(p), p, "set[0].path", L_SET_PATH, "cannot load mesh 'broken.glb'")


def test_empty_mesh(tmp_path):
    (tmp_path / "empty.obj").write_text("# no faces\nv 0 0 0\nv 1 0 0\n")
    p = write(tmp_path, MINI + SET_MESH.format(path="empty.obj"))
    assert_error(error_of(p), p, "set[0].path", L_SET_PATH, "cannot load mesh 'empty.obj'")


def test_unsupported_mesh_format(tmp_path):
    (tmp_path / "model.fbx").write_text("x")
    p = write(tmp_path, MINI + SET_MESH.format(path="model.fbx"))
    assert_error(error_of(p), p, "set[0].path", L_SET_PATH, "not a mesh previs reads")


def test_unreadable_mesh(tmp_path, monkeypatch):
    m = tmp_path / "locked.obj"
    trimesh.creation.box().export(m)
    real_access = os.access
    # root reads anything, so fake the permission check rather than chmod the file
    monkeypatch.setattr(
        sf.os, "access", lambda p, mode: False if Path(p) == m else real_access(p, mode)
    )
    p = write(tmp_path, MINI + SET_MESH.format(path="locked.obj"))
    assert_error(error_of(p), p, "set[0].path", L_SET_PATH, "not readable")


def test_relative_mesh_path_uses_the_scene_folder(tmp_path, monkeypatch):
    folder = tmp_path / "project"
    (folder / "geo").mkdir(parents=True)
    trimesh.creation.box(extents=[1, 2, 3]).export(folder / "geo" / "box.obj")
    write(folder, MINI + SET_MESH.format(path="geo/box.obj") + "    units: mm\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    s = load_scene(Path("..") / "project" / "scene.yaml")
    (piece,) = s.set_pieces
    assert piece.mesh_path == (folder / "geo" / "box.obj").resolve()
    np.testing.assert_allclose(np.diag(piece.world_from_local)[:3], [0.001] * 3)


# ---------------------------------------------------------------- versions
def test_migrate_current_is_identity():
    raw = {"format_version": FORMAT_VERSION, "name": "x"}
    assert migrate(raw, FORMAT_VERSION) == raw


def test_migrate_unknown_old_version():
    with pytest.raises(SceneError, match="not a version any previs wrote"):
        migrate({"format_version": 0}, 0)


def test_migration_steps_run_in_order(tmp_path, monkeypatch):
    # Pretend this build reads version 2, where shots' `lens_mm` became `focal_length_mm`.
    def v1_to_v2(raw):
        for shot in raw.get("shots", []):
            shot["camera"]["focal_length_mm"] = shot["camera"].pop("lens_mm")
        return raw

    monkeypatch.setattr(sf, "FORMAT_VERSION", 2)
    monkeypatch.setattr(sf, "MIGRATIONS", {1: v1_to_v2})
    raw, _ = load_yaml_text(MINI.replace("focal_length_mm", "lens_mm"))
    out = migrate(raw, 1)
    assert out["format_version"] == 2
    assert out["shots"][1]["camera"]["focal_length_mm"] == 58


def test_yaml_lines_paths():
    data, lines = load_yaml_text(MINI)
    assert lines.line_of(("shots", 1, "camera", "focal_length_mm")) == L_SHOT1_FOCAL
    assert lines.line_of(("shots", 1)) == L_SHOT1_ID
    assert lines.line_of(("shots", 0, "camera", "nothing_here")) == L_SHOT0_CAMERA
    assert data["shots"][0]["id"] == "1A"


def test_plain_text_file(tmp_path):
    p = write(tmp_path, "Bring the 18K and the desert plates on Tuesday\n")
    assert_error(error_of(p), p, None, 1, "top level must be a mapping", "got 'Bring the 18K")
    # a colon makes it a YAML mapping, but not a scene
    p = write(tmp_path, "\nNotes for Tuesday: bring the 18K\n")
    assert_error(error_of(p), p, None, 2, "does not look like a previs scene file")


def test_unknown_light_type(tmp_path):
    p = write(tmp_path, MINI + "lights:\n  - type: spotlight\n    position_m: [0, 3, 0]\n")
    assert_error(
        error_of(p), p, "lights[0].type", 24, "unknown value 'spotlight'; did you mean 'spot'?"
    )


def test_too_many_lights_stop_at_load(tmp_path):
    lights = "lights:\n" + "".join(
        f"  - {{name: l{i}, type: point, position_m: [0, 3, {i}], intensity_cd: 100}}\n"
        for i in range(17)
    )
    p = write(tmp_path, MINI + lights)
    err = error_of(p)
    assert err.field == "lights" and "at most 16" in err.message, str(err)
    assert err.line == 23  # MINI has 22 lines; `lights:` is the 23rd


def test_more_shadow_maps_than_the_atlas_holds_stop_at_load(tmp_path):
    """Five shadowed point lights take 30 of the 32 atlas tiles; a sixth would lose its shadows
    without a word, so the file is refused; with its shadows off it loads."""

    def lights(sixth_shadows: bool) -> str:
        rows = [
            f"  - {{name: p{i}, type: point, position_m: [0, 3, {i}], intensity_cd: 100}}\n"
            for i in range(5)
        ]
        rows.append(
            f"  - {{name: p5, type: point, position_m: [0, 3, 5], intensity_cd: 100, "
            f"shadows: {'true' if sixth_shadows else 'false'}}}\n"
        )
        return "lights:\n" + "".join(rows)

    p = write(tmp_path, MINI + lights(True))
    err = error_of(p)
    assert err.field == "lights" and err.line == 23, str(err)
    assert "36 shadow maps" in err.message and "32" in err.message, str(err)
    ok = write(tmp_path, MINI + lights(False))
    assert len(load_scene(ok).lights) == 6


# ---------------------------------------------------------------- the stage's light fields
STAGE_LIGHT = """\
stage:
  panel:
    name: Some Panel
    pixel_pitch_mm: 2.84
    panel_size_mm: [500, 500]
    panel_pixels: [176, 176]
    peak_nits: 1500
    refresh_hz: 7680
    scan_ratio: 8
    primaries_xy: {red: [0.68, 0.31], green: [0.2, 0.7], blue: [0.14, 0.05]}
  sections:
    - {name: w, type: curved, radius_m: 8, start_azimuth_deg: 90, arc_deg: 180, height_m: 5}
  genlock: true
  white_point: {kelvin: 5600}
  processing: {processor: megapixel-helios, render_node_budget_px: 4000000}
"""
L_STAGE_REFRESH, L_STAGE_WHITE, L_STAGE_PROCESSING = 8 + 22, 14 + 22, 15 + 22


def test_stage_light_fields(tmp_path):
    s = load_scene(write(tmp_path, MINI + STAGE_LIGHT))
    p = s.stage.panel
    assert (p.refresh_hz, p.scan_ratio, p.model) == (7680, 8, "generic-rgb")
    assert p.primaries_xy == ((0.68, 0.31), (0.2, 0.7), (0.14, 0.05))
    assert s.stage.genlock is True and s.stage.white_kelvin == 5600
    from previs.core.stage_light import cct_duv

    cct, duv = cct_duv(*s.stage.white_xy)
    assert cct == pytest.approx(5600, abs=1) and abs(duv) < 1e-6  # on the Planckian locus
    assert s.stage.processor == "megapixel-helios" and s.stage.render_node_budget_px == 4_000_000
    assert s.camera.white_balance_k == 5600.0
    # the example's panel is named after a preset: its refresh, scan and white come from it
    ex = load_scene(EXAMPLE).stage
    assert ex.panel.model == "roe-black-pearl-bp2" and ex.panel.refresh_hz == 3840
    assert ex.genlock is False and ex.white_xy == (0.31271, 0.32902)
    assert ex.processor == "brompton-tessera-sx40"


@pytest.mark.parametrize(
    "line, new, field, words",
    [
        (L_STAGE_REFRESH, "    refresh_hz: .nan", "stage.panel.refresh_hz", ["number"]),
        (L_STAGE_REFRESH, "    refresh_hz: 1e12", "stage.panel.refresh_hz", ["100000"]),
        (L_STAGE_WHITE, "  white_point: {kelvin: 500}", "stage.white_point.kelvin", ["1000"]),
        (
            L_STAGE_WHITE,
            "  white_point: {xy: [0.7, 0.6]}",
            "stage.white_point.xy",
            ["chromaticity"],
        ),
        (
            L_STAGE_WHITE,
            "  white_point: {kelvin: 5600, xy: [0.3, 0.3]}",
            "stage.white_point.xy",
            ["only one"],
        ),
        (
            L_STAGE_PROCESSING,
            "  processing: {processor: tessera-sx99}",
            "stage.processing.processor",
            ["unknown LED processor", "did you mean"],
        ),
    ],
)
def test_stage_light_errors_name_the_field(tmp_path, line, new, field, words):
    path = write(tmp_path, replace_line(MINI + STAGE_LIGHT, line, new))
    err = error_of(path)
    assert err.field == field, str(err)
    assert err.line == line, str(err)
    for w in words:
        assert w in err.message, str(err)
