"""Plausibility warnings: moves a real rig and crew could not do (pure maths, no GL)."""

from __future__ import annotations

import pytest

from previs.core.animation import key
from previs.core.moves import Move, build_camera_track
from previs.core.plausibility import RigLimits, Warning, check_track

START = {
    "position_m": (0.0, 1.6, 5.0),
    "pan_deg": 0.0,
    "tilt_deg": 0.0,
    "roll_deg": 0.0,
    "focal_length_mm": 35.0,
    "focus_m": 3.0,
    "t_stop": 2.8,
}
FPS = 24


def check(moves, length, **kw):
    track = build_camera_track(START, moves, length, frame_rate=FPS)
    return check_track(track, moves, FPS, length_frames=length, **kw)


def kinds(warnings):
    return {w.kind for w in warnings}


def test_a_five_metre_dolly_in_one_second_is_flagged():
    moves = [Move("dolly", 0, 24, {"distance_m": 5.0})]
    ws = check(moves, 25)
    assert {"dolly_speed", "dolly_accel"} <= kinds(ws)
    speed = next(w for w in ws if w.kind == "dolly_speed")
    assert isinstance(speed, Warning)
    assert speed.value == pytest.approx(7.5, rel=0.01)  # eased: peak speed 1.5 × mean (5 m/s)
    assert speed.limit == 1.5
    assert speed.shot_frame_range[0] > 0 and speed.shot_frame_range[1] < 24  # the fast middle only
    assert "dolly (frames 0–24)" in speed.message and "exceeds 1.5 m/s" in speed.message


def test_a_one_metre_eased_dolly_in_four_seconds_is_fine():
    assert check([Move("dolly", 0, 96, {"distance_m": 1.0})], 97) == []


def test_limits_are_configurable():
    moves = [Move("dolly", 0, 96, {"distance_m": 1.0})]
    ws = check(moves, 97, limits=RigLimits(dolly_speed_mps=0.3))
    assert kinds(ws) == {"dolly_speed"}
    assert ws[0].value == pytest.approx(0.375, rel=0.01)


def test_a_linear_move_starts_with_a_jolt():
    ws = check([Move("dolly", 10, 106, {"distance_m": 1.0}, interp="linear")], 120)
    accel = [w for w in ws if w.kind == "dolly_accel"]
    assert [w.shot_frame_range for w in accel] == [(9, 11), (105, 107)]
    assert accel[0].value == pytest.approx(1.0 / 4.0 * FPS)  # v · fps


def test_crane_moves_use_crane_limits():
    # tip speed about 1.2 m/s at peak: too fast for nothing here; 3 m/s peak: over the crane limit
    slow = [Move("crane", 0, 96, {"arm_length_m": 3.0, "boom_deg": 40.0})]
    assert check(slow, 97) == []
    fast = [Move("crane", 0, 24, {"arm_length_m": 3.0, "boom_deg": 60.0})]
    ws = check(fast, 25)
    assert "crane_speed" in kinds(ws) and "dolly_speed" not in kinds(ws)
    # the same path would be within a crane's speed but not a dolly's
    mid = [Move("crane", 0, 48, {"arm_length_m": 3.0, "boom_deg": 50.0})]
    assert "crane_speed" not in kinds(check(mid, 49))
    strict = kinds(check(mid, 49, limits=RigLimits(crane_speed_mps=1.0)))
    assert "crane_speed" in strict and "dolly_speed" not in strict


def test_fast_focus_pull_is_flagged_and_slow_one_is_not():
    # 3 m -> 0.5 m is 1.67 D; eased over 6 frames peaks at 1.5 × 1.67/0.25 s ≈ 10 D/s
    fast = check([Move("rack_focus", 0, 6, {"to_focus_m": 0.5})], 7)
    assert kinds(fast) == {"focus_pull"}
    assert fast[0].limit == 2.0 and fast[0].value > 5.0
    assert check([Move("rack_focus", 0, 48, {"to_focus_m": 0.5})], 49) == []  # 2 s: peak ≈ 1.25 D/s


def test_fast_pan_is_flagged():
    ws = check([Move("pan", 0, 12, {"angle_deg": 180.0})], 13)
    assert kinds(ws) == {"pan_speed"}
    assert ws[0].value == pytest.approx(180 * 2 * 1.5, rel=0.02)
    assert check([Move("pan", 0, 96, {"angle_deg": 180.0})], 97) == []


def test_zoom_outside_its_range_is_flagged():
    moves = [Move("zoom", 0, 24, {"to_focal_length_mm": 120.0})]
    ws = check(moves, 49, lens_zoom_range_mm=(24.0, 105.0))
    assert kinds(ws) == {"zoom_range"}
    (w,) = ws
    assert w.value == pytest.approx(120.0) and w.limit == 105.0
    assert w.shot_frame_range[1] == 48 and 0 < w.shot_frame_range[0] < 24
    assert check(moves, 49, lens_zoom_range_mm=(24.0, 290.0)) == []
    below = check([], 10, lens_zoom_range_mm=(45.0, 135.0))  # starts below the range
    assert [(w.kind, w.shot_frame_range, w.limit) for w in below] == [("zoom_range", (0, 9), 45.0)]


def test_handheld_shake_is_not_a_rig_acceleration():
    moves = [
        Move("dolly", 0, 96, {"distance_m": 1.0}),
        Move("handheld", 0, 96, {"amplitude_m": 0.03, "frequency_hz": 2.0}),
    ]
    assert "dolly_accel" not in kinds(check(moves, 97))


def test_explicit_keys_are_checked_too():
    track = build_camera_track(
        START,
        [],
        25,
        extra_keys={"position_m": [key(0, (0, 1.6, 5), "linear"), key(12, (0, 1.6, -5), "linear")]},
    )
    ws = check_track(track, [], FPS)
    assert "dolly_speed" in kinds(ws)
    assert next(w for w in ws if w.kind == "dolly_speed").value == pytest.approx(20.0)
