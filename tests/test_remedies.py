"""Checks that prescribe (issue 17 item 5): the remedies' formulas against hand-derived numbers,
and each prescription for the example's failing shots applied to the scene makes its check pass."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from previs.core import remedies as rm
from previs.core import transforms as tf
from previs.core.ledcheck import moire
from previs.core.scene import CurvedSection, LedVolume, PanelSpec

BP2 = 2.84  # ROE Black Pearl BP2 pitch (mm)
ALEXA35_UM = 6.075  # ALEXA 35 photosite pitch (um)
ROOT = Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------- the formulas, by hand
def test_focus_that_blurs_the_wall_by_one_and_a_half_pitches():
    """25 mm T4, wall 13.9 m: A = 1.5*4*2.84*13900 = 236 856, B = 25*13 875 = 346 875;
    s = (B D + A f)/(A + B) = (4 821 562 500 + 5 921 400)/583 731 = 8 270 mm. At that focus the
    wall blurs exactly 1.5 pitches (the check's own formula agrees); nearer blurs it more."""
    s = float(rm.focus_for_blur_m(BP2, 25, 4, 13.9))
    assert s == pytest.approx(8.270, abs=0.001)
    assert moire(BP2, ALEXA35_UM, 25, 4, s, 13.9).blur_in_pitches == pytest.approx(1.5, rel=1e-9)
    assert moire(BP2, ALEXA35_UM, 25, 4, s - 0.1, 13.9).blur_in_pitches > 1.5
    # s_max grows with the wall's distance: the nearest risky sample binds
    assert rm.focus_for_blur_m(BP2, 25, 4, 12.0) < rm.focus_for_blur_m(BP2, 25, 4, 16.0)


def test_stop_that_blurs_the_wall():
    """25 mm focused at 9 m, wall 13.9 m: N = 25*13 875*4 900/(1.5*2.84*13 900*8 975)
    = 1 699 687 500/531 445 650 = 3.198; the slowest marked stop within it is T2.8 (T3.2 is
    slower than 3.198)."""
    n = float(rm.stop_for_blur(BP2, 25, 9.0, 13.9))
    assert n == pytest.approx(3.198, abs=0.001)
    assert moire(BP2, ALEXA35_UM, 25, n, 9.0, 13.9).blur_in_pitches == pytest.approx(1.5, rel=1e-9)
    assert rm.marked_stop_at_most(n) == 2.8 and rm.marked_stop_at_most(3.2) == 3.2
    assert rm.marked_stop_at_most(0.9) is None


def test_wall_distance_for_two_photosites_per_pitch():
    """D_n = f + p f/(n q): 25 mm, 2.84 mm on 6.075 um, n = 2: 25 + 71/0.01215 = 5 868.6 mm;
    the reference's 24 and 50 mm figures (5.6 and 11.7 m, f neglected) agree."""
    assert rm.wall_distance_for_photosites_m(BP2, ALEXA35_UM, 25) == pytest.approx(5.8686, abs=1e-4)
    assert rm.wall_distance_for_photosites_m(BP2, ALEXA35_UM, 24) == pytest.approx(5.6, abs=0.05)
    assert rm.wall_distance_for_photosites_m(BP2, ALEXA35_UM, 50) == pytest.approx(11.7, abs=0.05)
    d = rm.wall_distance_for_photosites_m(BP2, ALEXA35_UM, 25)
    assert moire(BP2, ALEXA35_UM, 25, 4, 3.0, d).photosites_per_pitch == pytest.approx(2.0)


def test_moire_remedy_rounds_inside_the_bounds_and_refuses_what_the_lens_cannot():
    frames = [(9.0, 4.0, np.array([13.9, 15.0, 17.5]), np.array([13.9, 15.0, 17.5]))]
    kw = dict(
        pixel_pitch_mm=BP2, photosite_pitch_um=ALEXA35_UM, focal_length_mm=25, close_focus_m=0.35
    )
    r = rm.moire_remedy(t_stop_widest=1.8, frames=frames, **kw)
    v = r["values"]
    assert v["focus_m"] == 8.2 and v["t_stop"] == 2.8  # 8.27 m and T3.198 rounded to the safe side
    assert v["wall_far_m"] == 5.8 and v["dolly_in_m"] == pytest.approx(11.7)  # 17.5 - 5.8
    assert v["stops_more_light"] == pytest.approx(1.0)
    assert (
        "focus at 8.2 m or nearer (now 9.0 m)" in r["remedy"]
        and "T2.8 or wider (now T4" in r["remedy"]
    )
    # every rated sample at the prescribed focus or stop is past the blur threshold
    for s, n in ((v["focus_m"], 4.0), (9.0, v["t_stop"])):
        assert all(moire(BP2, ALEXA35_UM, 25, n, s, d).rating == "low" for d in frames[0][2])
    # a lens that only opens to T4 cannot do it, and says what it would take
    slow = rm.moire_remedy(t_stop_widest=4.0, frames=frames, **kw)
    assert slow["values"]["t_stop"] is None and "the lens opens to T4" in slow["remedy"]


def test_pose_offsets_and_the_aim_that_goes_with_them():
    m = tf.pan_tilt_roll((0.9, 0.35, 0.2), 47.0, 28.0, 0.0)
    pan, tilt, roll = tf.pan_tilt_roll_of(rm.offset_pose(m, tilt_deg=-12.0))
    assert (pan, tilt, roll) == pytest.approx((47.0, 16.0, 0.0), abs=1e-9)
    look = tf.look_at((0.0, 1.5, 0.0), (0.0, 1.5, -4.0))
    aim = rm.look_at_after(look, (0.0, 1.5, -4.0), tilt_deg=10.0)
    assert aim == pytest.approx(
        (0.0, 1.5 + 4 * math.sin(math.radians(10)), -4 * math.cos(math.radians(10)))
    )


def test_smallest_passing_finds_the_threshold():
    calls = []

    def passes(x):
        calls.append(x)
        return x >= math.pi

    assert rm.smallest_passing(passes, 10.0, 1.0, 0.01) == pytest.approx(math.pi, abs=0.01)
    assert rm.smallest_passing(passes, 10.0, 1.0, 0.01) >= math.pi
    assert rm.smallest_passing(lambda x: False, 5.0, 1.0, 0.01) is None


def test_wall_height_and_floor_extensions_by_hand():
    """A ray from (0, 1.5, 0) along (0, 1, -1) meets a 10 m radius cylinder at z = -10, 10 m up
    the ray: y = 11.5 m. A 14 x 13 m floor at (0, 0.005, -1) covering a point at x = 8 m with
    0.1 m to spare spans x -7..8.1: 15.1 m wide, centred at x = 0.55."""
    vol = LedVolume(
        PanelSpec("BP2", BP2, 500, 500, 176, 176, 1500),
        (CurvedSection("w", (0.0, 0.0), 10.0, 45.0, 270.0, 6.0),),
    )
    assert rm.wall_height_needed(vol, np.array([[0, 1.5, 0]]), np.array([[0, 1.0, -1.0]])) == [
        (0, pytest.approx(11.5))
    ]
    # through the open side (azimuth 0) it meets no panel however tall
    assert rm.wall_height_needed(vol, np.array([[0, 1.5, 0]]), np.array([[0, 1.0, 1.0]])) == []
    size, centre = rm.floor_extension(
        tf.translation((0, 0.005, -1.0)), (14.0, 13.0), np.array([[8.0, 0.0, -1.0]])
    )
    assert size == pytest.approx((15.1, 13.0)) and centre == pytest.approx((0.55, 0.005, -1.0))


def test_the_legend_is_drawn_in_the_corner():
    from previs.check import TINTS, tint_frame

    grid = np.zeros((27, 64), np.int8)
    img = tint_frame(np.full((270, 640, 3), 128, np.uint8), grid)
    corner = img[-120:, :200].reshape(-1, 3)
    for _, rgb in TINTS.values():  # each swatch: its tint over mid-grey
        want = np.array([int(128 * 0.55 + c * 0.45) for c in rgb])
        assert np.any(np.all(np.abs(corner.astype(int) - want) <= 1, axis=1)), rgb
    assert np.all(img[:100, 300:] == 128)  # the rest of the picture untouched
    assert np.array_equal(
        tint_frame(np.full((270, 640, 3), 128, np.uint8), grid, legend=False),
        np.full((270, 640, 3), 128, np.uint8),
    )


# ---------------------------------------------------------------- the example, prescribed and re-checked
def _variant(tmp_path, name: str, **edits) -> Path:
    """The example scene with lines replaced (old: new, each present once), geometry paths absolute."""
    root = ROOT / "scenes"
    text = (
        (root / "led_stage.yaml")
        .read_text(encoding="utf-8")
        .replace("geometry/", f"{root}/geometry/")
    )
    for old, new in edits.items():
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    p = tmp_path / f"{name}.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def _check(path, shot: str):
    from previs.api import load_scene
    from previs.check import run_checks

    return run_checks(load_scene(path), [shot], None, width=64)[0][0]


def _fix(result, check: str) -> dict:
    return next(r for r in result.remedies if r["check"] == check)


def _xyz(v) -> str:
    return "[" + ", ".join(f"{x:.4f}" for x in v) + "]"


def test_1a_moire_each_prescription_passes(tmp_path):
    """1A (25 mm at T4 focused at 9 m, the wall 14-18 m away) fails on moiré; its focus, its stop
    and its dolly-in, each applied alone, leave no high-risk wall sample."""
    before = _check(ROOT / "scenes" / "led_stage.yaml", "1A")
    assert before.moire == "high" and before.failed
    v = _fix(before, "moiré")["values"]
    assert v["focus_m"] < 9.0 and 1.8 <= v["t_stop"] < 4.0 and v["dolly_in_m"] > 0
    i = next(i for i, s in enumerate(before.summary) if s.startswith("FAIL moiré"))
    assert before.summary[i + 1].startswith("fix: focus ≤ ")  # the fix follows its verdict
    focus = _check(
        _variant(tmp_path, "focus", **{"      focus_m: 9.0\n": f"      focus_m: {v['focus_m']}\n"}),
        "1A",
    )
    assert focus.moire != "high" and focus.blur_in_pitches >= 1.5
    stop = _check(
        _variant(
            tmp_path,
            "stop",
            **{"      focus_m: 9.0\n": f"      focus_m: 9.0\n      t_stop: {v['t_stop']}\n"},
        ),
        "1A",
    )
    assert stop.moire != "high"
    moved = _check(
        _variant(
            tmp_path,
            "dolly",
            **{
                "position_m: [0.5, 1.7, 7.5]": f"position_m: {_xyz(v['position_m'])}",
                "look_at_m: [-0.3, 1.3, -3.0]": f"look_at_m: {_xyz(v['look_at_m'])}",
            },
        ),
        "1A",
    )
    assert moved.moire != "high" and moved.photosites_per_pitch >= 2.0 - 1e-9
    # the remedies are all the check fixes: the passing variants prescribe no moiré remedy
    assert not any(r["check"] == "moiré" for r in focus.remedies + stop.remedies + moved.remedies)


def test_2b_shooting_off_tilt_limit_wall_extension_and_viewing_angle(tmp_path):
    """2B (21 mm tilted 28 deg up from 35 cm) sees the ceiling seam: the tilt limit, or the wall
    raised to where its rays meet it, keeps the frame on the LED; its steep view of the panels
    eases by the prescribed move."""
    before = _check(ROOT / "scenes" / "led_stage.yaml", "2B")
    assert before.shooting_off_frames and before.steepest_angle_deg > 55
    off = _fix(before, "shooting off")
    assert off["values"]["cause"] == "ceiling seam" and off["values"]["tilt_deg"] < 28
    tilt = _check(
        _variant(tmp_path, "tilt", **{"tilt_deg: 28 ": f"tilt_deg: {off['values']['tilt_deg']} "}),
        "2B",
    )
    assert not tilt.shooting_off_frames and tilt.shooting_off_max <= 0.005
    ((name, height),) = off["values"]["wall_height_m"].items()
    assert name == "main wall" and height > 6.0
    taller = _check(_variant(tmp_path, "wall", **{"height_m: 6.0 ": f"height_m: {height} "}), "2B")
    assert not taller.shooting_off_frames
    angle = _fix(before, "viewing angle")
    assert angle["verdict"] == "warning" and angle["values"]["move_m"] > 0
    moved = _check(
        _variant(
            tmp_path,
            "angle",
            **{
                "position_m: [0.9, 0.35, 0.2]": f"position_m: {_xyz(angle['values']['position_m'])}"
            },
        ),
        "2B",
    )
    assert moved.steepest_angle_deg <= 55.0 and not any(
        r["check"] == "viewing angle" for r in moved.remedies
    )


def test_3b_bare_floor_set_extension(tmp_path):
    """3B's orbit ends looking past the sand floor onto the stage's bare floor: the floor laid out
    to the prescribed size and place covers it in every sampled frame."""
    before = _check(ROOT / "scenes" / "led_stage.yaml", "3B")
    off = _fix(before, "shooting off")
    assert off["values"]["cause"] == "bare floor" and off["values"]["offset_deg"] > 0  # tilt up
    floor = off["values"]["floor"]
    assert floor["piece"] == "sand floor" and floor["size_m"][0] * floor["size_m"][1] > 14 * 13
    after = _check(
        _variant(
            tmp_path,
            "floor",
            **{
                "size_m: [14, 13]": f"size_m: {floor['size_m']}",
                "translation_m: [0, 0.005, -1.0]": f"translation_m: {floor['translation_m']}",
            },
        ),
        "3B",
    )
    assert not after.shooting_off_frames and after.off_bare_floor_max == 0.0


def test_remedies_reach_the_report_and_old_reports_still_read(tmp_path):
    from previs.api import load_scene
    from previs.check import format_table, read_report, report_dict, run_checks

    scene = load_scene(ROOT / "scenes" / "led_stage.yaml")
    results = run_checks(scene, ["1A"], tmp_path, width=64)[0]
    doc = json.loads((tmp_path / "check.json").read_text(encoding="utf-8"))
    rem = doc["shots"][0]["remedies"]
    assert (
        rem[0]["check"] == "moiré"
        and rem[0]["values"]["focus_m"] == results[0].remedies[0]["values"]["focus_m"]
    )
    assert read_report(tmp_path / "check.json", scene, ["1A"])["1A"].remedies == rem
    table = format_table(results)
    assert "remedies (each computed to make its check pass):" in table and "focus at" in table
    old = report_dict(scene, results)
    del old["shots"][0]["remedies"]  # a report from before the remedies
    (tmp_path / "old.json").write_text(json.dumps(old), encoding="utf-8")
    assert read_report(tmp_path / "old.json", scene, ["1A"])["1A"].remedies == []
    old["shots"][0]["remedies"] = "focus nearer"
    (tmp_path / "bad.json").write_text(json.dumps(old), encoding="utf-8")
    from previs.errors import ExportError

    with pytest.raises(ExportError, match="remedies is not a list"):
        read_report(tmp_path / "bad.json", scene, ["1A"])
