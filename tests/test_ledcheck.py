"""Moiré ratings against the reference's worked examples (§4.2), and what a frame sees of the wall
against hand-derived geometry."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from previs.core import transforms as tf
from previs.core.ledcheck import inside_volume, moire, wall_view
from previs.core.scene import Ceiling, CurvedSection, LedVolume, PanelSpec

BP2 = 2.84
ALEXA35_UM = 27.99 / 4608 * 1000  # 6.074 um
MINI_LF_UM = 36.70 / 4448 * 1000  # 8.25 um


@pytest.mark.parametrize(
    "photosite, f, n, focus, wall, n_px, blur_um, k, rating",
    [
        (ALEXA35_UM, 50, 2.8, 3.0, 6.0, 3.9, 151, 6.3, "low"),  # focus on the actor
        (ALEXA35_UM, 50, 2.8, 6.0, 6.0, 3.9, 0, 0, "medium"),  # focus on the wall
        (ALEXA35_UM, 24, 4.0, 8.0, 8.0, 1.4, 0, 0, "high"),  # wide, far, sharp wall
        (ALEXA35_UM, 24, 4.0, 2.5, 8.0, 1.4, 40, 4.7, "low"),  # the same, focus on the actor
        (MINI_LF_UM, 135, 2.0, 4.0, 10.0, 4.7, 1410, 36, "low"),  # long lens, wall soft
    ],
)
def test_moire_worked_examples(photosite, f, n, focus, wall, n_px, blur_um, k, rating):
    r = moire(BP2, photosite, f, n, focus, wall)
    assert r.photosites_per_pitch == pytest.approx(n_px, abs=0.05)
    assert r.blur_mm * 1000 == pytest.approx(blur_um, rel=0.02, abs=1.0)
    assert r.blur_in_pitches == pytest.approx(k, rel=0.03, abs=0.05)
    assert r.rating == rating


def test_distance_where_one_pitch_covers_two_photosites():
    # D2 = p f / (2 p_sensor): 24 mm on ALEXA 35 -> 5.6 m (reference); just nearer is medium, farther high.
    d2 = BP2 * 24 / (2 * ALEXA35_UM / 1000) / 1000
    assert d2 == pytest.approx(5.6, abs=0.05)
    assert moire(BP2, ALEXA35_UM, 24, 4.0, d2 * 0.95, d2 * 0.95).rating == "medium"
    assert moire(BP2, ALEXA35_UM, 24, 4.0, d2 * 1.05, d2 * 1.05).rating == "high"


PANEL = PanelSpec("BP2", 2.84, 500, 500, 176, 176, 1500)


def _cylinder(ceiling=None) -> LedVolume:
    return LedVolume(PANEL, (CurvedSection("ring", (0.0, 0.0), 10.0, 0.0, 360.0, 6.0),), ceiling)


def test_camera_at_centre_of_closed_cylinder_sees_only_wall():
    vol = _cylinder(Ceiling(6.0, (0.0, 0.0), 24.0, 24.0))
    # Tilted up 5 deg the lowest ray (-15 deg) meets the wall 0.32 m above the floor; the highest
    # (+25 deg) passes over the 6 m top and meets the ceiling: LED everywhere.
    cam = tf.pan_tilt_roll((0, 3.0, 0), 30, 5, 0)
    v = wall_view(vol, cam, math.radians(40), 16 / 9)
    assert v.share == 1.0
    # The wall 10 m away (faceted: the apothem is a hair less); the centre ray, tilted 5 deg,
    # meets it at a depth of (distance / cos 5) along the axis.
    centre = v.depth_m[13, 24]
    assert 9.99 / math.cos(math.radians(5)) < centre <= 10.0 / math.cos(math.radians(5)) + 1e-6
    assert np.nanmin(v.incidence_deg) < 2.0


def test_camera_tilted_over_the_wall_top_sees_the_predicted_share():
    """With no ceiling, rays above the wall's top edge miss: the share of the frame on the wall
    equals the share of sample rows whose elevation stays under the edge (hand-derived)."""
    vol = _cylinder()
    eye_h, tilt = 3.0, 20.0
    cam = tf.pan_tilt_roll((0, eye_h, 0), 0, tilt, 0)
    yfov = math.radians(40)
    rows, cols = 54, 96
    v = wall_view(vol, cam, yfov, 16 / 9, cols=cols, rows=rows)
    # For a ray with camera-space (u, vv, -1) tilted up by `tilt`, the elevation satisfies
    # tan(el) = (vv cos t + sin t) / (cos t - vv sin t) / hypot-factor; it hits the wall when
    # the rise over the horizontal distance to the wall stays under the wall's top.
    th = math.tan(yfov / 2)
    u = ((np.arange(cols) + 0.5) / cols * 2 - 1) * th * 16 / 9
    vv = (1 - (np.arange(rows) + 0.5) / rows * 2) * th
    uu, vvv = np.meshgrid(u, vv)
    t = math.radians(tilt)
    up = vvv * math.cos(t) + math.sin(t)
    fwd = math.cos(t) - vvv * math.sin(t)
    horiz = np.hypot(uu, fwd)
    # distance to a 10 m cylinder from its axis, horizontally: 10 m (facets within 0.03 %)
    rise = up / horiz * 10.0
    expected = float(np.mean(rise < 6.0 - eye_h))
    assert v.share == pytest.approx(expected, abs=0.01)
    assert 0.2 < expected < 0.95  # the case really straddles the edge


def test_inside_and_outside_the_volume():
    vol = _cylinder()
    assert inside_volume(vol, (0, 1.5, 0))
    assert inside_volume(vol, (9.0, 1.5, 0))
    assert not inside_volume(vol, (12.0, 1.5, 0))


def test_previs_check_on_the_example(tmp_path):
    """The example's wide master on 25 mm focused at 9 m images the 2.84 mm wall under two
    photosites per pitch with little blur (high moiré risk), and the low-angle 2B sees the gap
    between the wall's top and the ceiling: both fail, the exit status says so, the JSON report
    and the tinted frames are written. A long-lens single passes."""
    import json
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "previs.cli",
            "check",
            str(root / "scenes" / "led_stage.yaml"),
            "--shot",
            "1A",
            "--shot",
            "2B",
            "--shot",
            "1E",
            "-o",
            str(tmp_path),
            "--width",
            "320",
        ],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 1, run.stderr
    report = json.loads((tmp_path / "check.json").read_text())
    shots = {s["shot"]: s for s in report["shots"]}
    assert shots["1A"]["failed"] and shots["1A"]["moire"] == "high"
    # The worst sample is at least as far as the nearest wall in frame, so it images the pitch on
    # no more photosites than the nearest wall does: p f / (D - f) / photosite.
    nearest_px = BP2 * 25 / (shots["1A"]["nearest_wall_m"] * 1000 - 25) / (ALEXA35_UM / 1000)
    assert shots["1A"]["photosites_per_pitch"] <= nearest_px + 1e-9
    assert shots["1A"]["photosites_per_pitch"] < 2 and shots["1A"]["blur_in_pitches"] < 1.5
    assert shots["2B"]["failed"] and shots["2B"]["shooting_off_max"] > 0.02
    assert not shots["1E"]["failed"]
    assert (tmp_path / "flagged_1A_f0000.png").exists() and (
        tmp_path / "flagged_2B_f0000.png"
    ).exists()
    ok = subprocess.run(
        [
            sys.executable,
            "-m",
            "previs.cli",
            "check",
            str(root / "scenes" / "led_stage.yaml"),
            "--shot",
            "1E",
            "-o",
            str(tmp_path / "ok"),
        ],
        capture_output=True,
        text=True,
    )
    assert ok.returncode == 0 and "1 of 1 shots pass" in ok.stdout


def test_overscan_needed_for_a_pan_matches_the_angle(tmp_path):
    """A nodal pan at w deg/frame with N frames of latency needs tan(h + wN)/tan(h) - 1 of overscan
    (h the half horizontal field of view)."""
    from previs.check import overscan_needed
    from previs.io.scene_file import load_scene

    root = Path(__file__).resolve().parents[1]
    text = (root / "scenes" / "led_stage.yaml").read_text()
    text = text.replace("latency_frames: 3 ", "latency_frames: 6 ")
    shot = """
  - id: P
    scene: 9
    length_frames: 48
    camera: {position_m: [0, 1.6, 0], pan_deg: 0, tilt_deg: 0, focal_length_mm: 35, focus_m: 5}
    moves: [{type: pan, start_frame: 0, end_frame: 40, angle_deg: 40, interp: linear}]
"""
    p = tmp_path / "pan.yaml"
    p.write_text(text + shot)
    (tmp_path / "geometry").symlink_to(root / "scenes" / "geometry")
    scene = load_scene(p)
    need, have, frame = overscan_needed(scene, scene.shot("P"))
    st = __import__("previs").evaluate(scene, "P", 10)
    h = math.radians(st.hfov_deg) / 2
    expected = 100 * (math.tan(h + math.radians(6.0)) / math.tan(h) - 1)
    assert need == pytest.approx(expected, rel=0.01)
    assert have == 20.0 and 6 <= frame <= 40


def test_camera_inside_a_set_piece_is_flagged():
    """The example's attendant stands at (1.8, 0, -2.1): a lens at his chest is inside him, one a
    metre away is not; inside the diner's closed walls counts, in front of its windows not."""
    from previs.check import inside_solid, set_solids
    from previs.io.scene_file import load_scene

    scene = load_scene(Path(__file__).resolve().parents[1] / "scenes" / "led_stage.yaml")
    solids = set_solids(scene)
    assert inside_solid(solids, (1.8, 1.2, -2.1)) == "Attendant"
    assert inside_solid(solids, (2.0, 1.5, -0.9)) is None
    assert inside_solid(solids, (1.8, 0.1, -2.8)) == "fuel island"  # a 15 cm plinth
    assert inside_solid(solids, (0.0, 1.6, 2.0)) is None
    assert inside_solid(solids, (-3.0, 1.5, -6.0)) == "diner"  # the diner's middle
    assert inside_solid(solids, (1.01, 1.55, -2.22)) is None  # shot 1D's camera, out in front


def test_cube_sampling_and_octahedral_maps_round_trip():
    """The numpy side of the wall's reflections: a cube sampled at its texel centres gives the
    texels; the mip chain halves to one texel a face holding the face's mean; octahedral texel
    directions are unit vectors that fold back (GLSL's oct_encode, written out here) onto their
    texel centres; and a non-power-of-two face is refused."""
    from previs.core.ledcheck import cube_directions, cube_mips, octahedral_directions, sample_cube

    rng = np.random.default_rng(7)
    cube = rng.random((6, 8, 8, 3))
    np.testing.assert_allclose(sample_cube(cube, cube_directions(8)), cube, atol=1e-12)
    mips = cube_mips(cube)
    assert [m.shape[1] for m in mips] == [8, 4, 2, 1]
    np.testing.assert_allclose(mips[-1][:, 0, 0], cube.mean(axis=(1, 2)))
    d = octahedral_directions(16)
    np.testing.assert_allclose(np.linalg.norm(d, axis=-1), 1.0)
    e = d[..., :2] / np.abs(d).sum(axis=-1, keepdims=True)
    back = d[..., 2:3] < 0
    sign = np.where(e >= 0, 1.0, -1.0)
    e = np.where(back, (1.0 - np.abs(e[..., ::-1])) * sign, e)
    c = (np.arange(16) + 0.5) / 16 * 2 - 1
    np.testing.assert_allclose(e[..., 0], np.broadcast_to(c, (16, 16)), atol=1e-12)
    np.testing.assert_allclose(e[..., 1], np.broadcast_to(c[:, None], (16, 16)), atol=1e-12)
    with pytest.raises(ValueError, match="power of two"):
        cube_mips(np.zeros((6, 12, 12, 3)))


# ---------------------------------------------------------------- the stage's light and time
def _example_variant(tmp_path, **edits) -> Path:
    """The example scene with some lines replaced (key: new line), in the example's folder's
    place (its geometry paths made absolute)."""
    root = Path(__file__).resolve().parents[1] / "scenes"
    text = (root / "led_stage.yaml").read_text(encoding="utf-8")
    text = text.replace("geometry/", f"{root}/geometry/")
    for old, new in edits.items():
        assert old in text, old
        text = text.replace(old, new, 1)
    p = tmp_path / "variant.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def test_example_light_checks_against_independent_numbers(tmp_path):
    """The example (T4 and T2.8, ISO 800, 180 deg at 24 fps, a 150-nit wall): nothing clips or
    sinks, no banding (80 whole periods), a D65 wall in a 5600 K camera reads 25 mired blue."""
    from previs.api import load_scene
    from previs.check import run_checks
    from previs.core import stage_light as sl

    scene = load_scene(Path(__file__).resolve().parents[1] / "scenes" / "led_stage.yaml")
    results = {r.shot: r for r in run_checks(scene, ["1A", "1E"], None, width=64)[0]}
    a, e = results["1A"], results["1E"]
    assert a.exposure["mid_grey_nits"] == pytest.approx(12.0)  # T4: 12.5 * 16 * 48 / 800
    assert e.exposure["mid_grey_nits"] == pytest.approx(6.0, rel=0.02)  # T2.8: half
    for r in (a, e):
        x = r.exposure
        assert x["verdict"] == "ok"
        assert 0 < x["median_nits"] <= x["brightest_nits"] <= 150.0  # never past the wall's white
        assert x["brightest_stops"] == pytest.approx(
            math.log2(x["brightest_nits"] / x["mid_grey_nits"])
        )
        assert x["white_stops"] == pytest.approx(math.log2(150.0 / x["mid_grey_nits"]))
        assert r.banding["verdict"] == "none" and r.banding["periods"] == pytest.approx(80.0)
        assert r.gamut["outside_share_max"] == 0.0  # Rec.709 content inside the RGB LED triangle
        assert r.white_point["mired_shift"] == pytest.approx(1e6 / 6504 - 1e6 / 5600, abs=0.3)
        assert r.white_point["verdict"] == "cast"
    assert a.exposure["white_stops"] == pytest.approx(3.64, abs=0.01)  # the reference's example
    # the frustum: 20 % overscan on a 25 mm lens from 7.5 m back covers more wall than the 75 mm CU
    assert a.frustum["led_pixels"] > 4 * e.frustum["led_pixels"] > 0
    assert a.frustum["render_nodes"] == sl.render_nodes_needed(a.frustum["led_pixels"], 8_847_360)
    assert e.summary == ["LED checks pass"]  # the white cast is the stage's, not in the shot column


def test_a_hot_wall_and_a_fast_shutter_fail(tmp_path):
    """A 1500-nit wall at T2.8 shot at 1/2000 s: 1.92 refresh periods of a 3840 Hz wall (high
    banding, a failure); mid-grey is 12.5 * 2.8^2 * 2000 / 800 = 245 nits, so the wall's white is
    only 2.6 stops over (no clip)."""
    from previs.api import load_scene
    from previs.check import run_checks

    angle = 360 * 24 / 2000
    path = _example_variant(
        tmp_path,
        **{
            "shutter_angle_deg: 180": f"shutter_angle_deg: {angle}",
            "wall_brightness_nits: 150": "wall_brightness_nits: 1500",
        },
    )
    scene = load_scene(path)
    r = run_checks(scene, ["1E"], None, width=64)[0][0]
    assert r.banding["periods"] == pytest.approx(1.92)
    assert r.banding["verdict"] == "high" and r.failed
    assert r.summary[0].startswith("FAIL banding high: 1.92 refresh periods")
    assert "shutter at" in r.banding["remedy"] and "genlock" in r.banding["remedy"]
    assert r.exposure["mid_grey_nits"] == pytest.approx(12.5 * 2.8**2 * 2000 / 800)


def test_a_dim_wall_at_a_deep_stop_sits_in_the_noise(tmp_path):
    """A 2-nit wall at T16 (mid-grey 12.5 * 256 * 48 / 800 = 192 nits): the wall's white is 6.6
    stops under; its content (at most ~0.65 of white) sinks past the ALEXA 35's 7 stops of shadow
    (latitude preset, R): in the noise."""
    from previs.api import load_scene
    from previs.check import run_checks

    path = _example_variant(
        tmp_path,
        **{"  t_stop: 4 ": "  t_stop: 16 ", "wall_brightness_nits: 150": "wall_brightness_nits: 2"},
    )
    scene = load_scene(path)
    r = run_checks(scene, ["1A"], None, width=64)[0][0]
    x = r.exposure
    assert x["mid_grey_nits"] == pytest.approx(192.0)
    assert x["brightest_stops"] < -7.0 and x["verdict"] == "in the noise" and r.failed
    assert "raise the wall to" in x["remedy"]
    assert any(s.startswith("FAIL wall in the noise") for s in r.summary)
