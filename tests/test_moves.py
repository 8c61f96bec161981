"""Named camera moves expand into keys that do what their names say (pure maths, no GL)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from previs.core.animation import key
from previs.core.moves import (
    MOVE_TYPES,
    Move,
    MoveError,
    aim_angles,
    build_camera_track,
    forward,
    handheld_offsets,
    move_key_frames,
    walk_path,
)

START = {
    "position_m": (0.0, 1.6, 5.0),
    "pan_deg": 0.0,
    "tilt_deg": 0.0,
    "roll_deg": 0.0,
    "focal_length_mm": 35.0,
    "focus_m": 5.0,
    "t_stop": 2.8,
}
SUBJECT = np.array([0.0, 1.6, 0.0])  # 5 m straight ahead of START


def start(**kw):
    return {**START, **kw}


def series(track, name, frames):
    return track.channels[name].evaluate_many(frames)


def aimed_start(pos, target=SUBJECT, **kw):
    pan, tilt = aim_angles(pos, target)
    return start(position_m=tuple(pos), pan_deg=pan, tilt_deg=tilt, **kw)


# ---------------------------------------------------------------- simple moves
@pytest.mark.parametrize(
    "kind, param, channel, expected_delta",
    [
        ("dolly", {"distance_m": 2.0}, "position_m", (0.0, 0.0, -2.0)),  # in = down -Z at pan 0
        ("truck", {"distance_m": 1.5}, "position_m", (1.5, 0.0, 0.0)),  # camera right = +X
        ("pedestal", {"distance_m": -0.4}, "position_m", (0.0, -0.4, 0.0)),  # down
        ("pan", {"angle_deg": 30.0}, "pan_deg", (30.0,)),
        ("tilt", {"angle_deg": -12.0}, "tilt_deg", (-12.0,)),
        ("dutch", {"angle_deg": 8.0}, "roll_deg", (8.0,)),
    ],
)
def test_eased_simple_moves_hit_their_keys_and_progress_monotonically(
    kind, param, channel, expected_delta
):
    tr = build_camera_track(start(), [Move(kind, 10, 58, param)], 72)
    v0 = np.atleast_1d(np.asarray(START[channel], dtype=float))
    np.testing.assert_allclose(series(tr, channel, [10])[0], v0, atol=1e-12)
    np.testing.assert_allclose(series(tr, channel, [58])[0], v0 + expected_delta, atol=1e-12)
    np.testing.assert_allclose(
        series(tr, channel, [0, 5])[:, :], [v0, v0], atol=1e-12
    )  # still before
    np.testing.assert_allclose(
        series(tr, channel, [71])[0], v0 + expected_delta, atol=1e-12
    )  # holds after
    f = np.linspace(10, 58, 400)
    progress = (
        (series(tr, channel, f) - v0)
        @ np.asarray(expected_delta)
        / np.dot(expected_delta, expected_delta)
    )
    assert np.all(np.diff(progress) > 0)
    # eased: slow at both ends, fastest in the middle
    d = np.diff(progress)
    assert d[0] < 0.05 * d[len(d) // 2] and d[-1] < 0.05 * d[len(d) // 2]
    # untouched channels stay put
    for other in ("focal_length_mm", "focus_m", "t_stop"):
        assert np.all(series(tr, other, [0, 30, 71]) == START[other])


def test_linear_and_smooth_timing():
    lin = build_camera_track(
        start(), [Move("pan", 0, 20, {"angle_deg": 20.0}, interp="linear")], 21
    )
    np.testing.assert_allclose(
        series(lin, "pan_deg", np.arange(21))[:, 0], np.arange(21.0), atol=1e-12
    )
    sm = build_camera_track(start(), [Move("pan", 0, 20, {"angle_deg": 20.0}, interp="smooth")], 21)
    v = series(sm, "pan_deg", np.arange(21))[:, 0]
    assert v[0] == 0.0 and v[-1] == pytest.approx(20.0, abs=1e-12) and np.all(np.diff(v) > 0)
    t = 0.1
    assert v[2] == pytest.approx(20.0 * (6 * t**5 - 15 * t**4 + 10 * t**3), abs=1e-9)
    hold = build_camera_track(start(), [Move("pan", 0, 20, {"angle_deg": 20.0}, interp="hold")], 21)
    v = series(hold, "pan_deg", np.arange(21))[:, 0]
    assert np.all(v[:20] == 0.0) and v[20] == pytest.approx(20.0)
    assert series(hold, "pan_deg", [19.9])[0, 0] == 0.0


def test_pan_takes_the_short_way_round():
    tr = build_camera_track(start(pan_deg=350.0), [Move("pan", 0, 24, {"to_deg": 10.0})], 25)
    v = series(tr, "pan_deg", np.arange(25))[:, 0]
    assert v[-1] - v[0] == pytest.approx(20.0)  # not -340
    assert np.all(np.diff(v) >= 0)
    # an explicit long pan is honoured, through intermediate keys
    tr = build_camera_track(start(pan_deg=350.0), [Move("pan", 0, 24, {"angle_deg": -340.0})], 25)
    v = series(tr, "pan_deg", np.arange(25))[:, 0]
    assert v[-1] - v[0] == pytest.approx(-340.0) and np.all(np.diff(v) <= 0)


def test_dolly_then_pan_then_dolly_compose():
    moves = [
        Move("dolly", 0, 24, {"distance_m": 2.0}),
        Move("pan", 24, 48, {"angle_deg": 90.0}),
        Move("dolly", 48, 72, {"distance_m": 1.0}),
    ]
    tr = build_camera_track(start(), moves, 73)
    np.testing.assert_allclose(series(tr, "position_m", [24])[0], (0, 1.6, 3.0), atol=1e-12)
    np.testing.assert_allclose(
        series(tr, "position_m", [36])[0], (0, 1.6, 3.0), atol=1e-12
    )  # pan only
    assert series(tr, "pan_deg", [48])[0, 0] == pytest.approx(90.0)
    # the second dolly goes in along the panned lens (pan +90 = looking down -X)
    np.testing.assert_allclose(series(tr, "position_m", [72])[0], (-1.0, 1.6, 3.0), atol=1e-12)
    assert move_key_frames(moves) == [0, 24, 48, 72]


def test_order_is_by_start_frame_not_list_order():
    a = build_camera_track(
        start(),
        [Move("dolly", 30, 40, {"distance_m": 1.0}), Move("pan", 0, 10, {"angle_deg": 90.0})],
        41,
    )
    np.testing.assert_allclose(series(a, "position_m", [40])[0], (-1.0, 1.6, 5.0), atol=1e-12)


def test_zoom_and_rack_focus():
    tr = build_camera_track(
        start(),
        [Move("zoom", 0, 24, {"to_focal_length_mm": 85.0}), Move("zoom", 30, 40, {"by_mm": -10.0})],
        41,
    )
    assert series(tr, "focal_length_mm", [24])[0, 0] == pytest.approx(85.0)
    assert series(tr, "focal_length_mm", [40])[0, 0] == pytest.approx(75.0)
    # rack to a subject while the camera dollies in: focus ends at its distance at the end frame
    subjects = {"hero": np.array([0.0, 1.6, 0.0]), "villain": np.array([0.0, 1.6, -6.0])}
    moves = [
        Move("rack_focus", 0, 24, {"to_subject": "villain"}),
        Move("dolly", 0, 24, {"distance_m": 2.0}),
    ]
    tr = build_camera_track(start(focus_m=5.0), moves, 25, subjects=subjects)
    assert series(tr, "focus_m", [0])[0, 0] == pytest.approx(5.0)
    assert series(tr, "focus_m", [24])[0, 0] == pytest.approx(9.0)  # camera at z=3, villain at z=-6
    # the pull is timed in dioptres (as a focus ring turns): half way, half the dioptre change
    assert 1 / series(tr, "focus_m", [12])[0, 0] == pytest.approx((1 / 5.0 + 1 / 9.0) / 2)
    # focus distance is the depth from the film plane, not the slant distance
    off_axis = {"x": np.array([3.0, 1.6, 1.0])}
    tr = build_camera_track(
        start(), [Move("rack_focus", 0, 10, {"to_subject": "x"})], 11, subjects=off_axis
    )
    assert series(tr, "focus_m", [10])[0, 0] == pytest.approx(4.0)
    tr = build_camera_track(start(), [Move("rack_focus", 0, 10, {"to_focus_m": 1.2})], 11)
    assert series(tr, "focus_m", [10])[0, 0] == pytest.approx(1.2)


# ---------------------------------------------------------------- dolly zoom
@pytest.mark.parametrize(
    "params",
    [
        {"distance_m": 3.0},
        {"distance_m": -4.0},
        {"to_focal_length_mm": 18.0},
        {"to_focal_length_mm": 100.0},
    ],
)
@pytest.mark.parametrize("interp", ["ease", "linear", "smooth"])
def test_dolly_zoom_holds_the_subjects_image_height(params, interp):
    pos = np.array([1.0, 1.7, 6.0])
    subject_feet = np.array([-0.5, 0.0, 0.5])
    centre = subject_feet + (0, 0.9, 0)
    s0 = aimed_start(pos, centre, focal_length_mm=50.0)
    tr = build_camera_track(
        s0, [Move("dolly_zoom", 6, 54, {"subject_m": centre.tolist(), **params}, interp)], 61
    )
    frames = np.arange(0, 61)
    p = series(tr, "position_m", frames)
    f_mm = series(tr, "focal_length_mm", frames)[:, 0]
    pan, tilt = series(tr, "pan_deg", frames)[:, 0], series(tr, "tilt_deg", frames)[:, 0]
    depth_mm = np.array([np.dot(centre - p[i], forward(pan[i], tilt[i])) for i in frames]) * 1000
    image_mm = f_mm / (depth_mm - f_mm) * 1800.0  # a 1.8 m subject, thin-lens magnification
    assert np.max(np.abs(image_mm / image_mm[0] - 1.0)) < 0.005
    # ... and it really is a dolly zoom: the camera moved and the lens zoomed a lot
    assert abs(np.linalg.norm(p[-1] - p[0])) > 2.0
    assert abs(f_mm[-1] / f_mm[0] - 1.0) > 0.3
    # between frames too (the keys interpolate consistently)
    ff = np.linspace(6, 54, 301)
    p = series(tr, "position_m", ff)
    f_mm = series(tr, "focal_length_mm", ff)[:, 0]
    axis = forward(pan[0], tilt[0])
    img = f_mm / ((p - centre) @ -axis * 1000 - f_mm)
    assert np.max(np.abs(img / img[0] - 1.0)) < 0.005


def test_dolly_zoom_cannot_pass_the_subject():
    with pytest.raises(MoveError, match="dolly_zoom: distance_m"):
        build_camera_track(
            start(), [Move("dolly_zoom", 0, 24, {"subject_m": [0, 1.6, 0], "distance_m": 6})], 25
        )


# ---------------------------------------------------------------- orbit, push-in, crane
@pytest.mark.parametrize("angle, interp", [(90.0, "ease"), (-270.0, "linear"), (400.0, "smooth")])
def test_orbit_keeps_its_radius_and_its_subject_centred(angle, interp):
    pos = np.array([3.0, 2.2, 4.0])
    tr = build_camera_track(
        aimed_start(pos),
        [Move("orbit", 12, 84, {"subject_m": SUBJECT.tolist(), "angle_deg": angle}, interp)],
        97,
    )
    frames = np.arange(0, 97)
    p = series(tr, "position_m", frames)
    r = np.hypot(p[:, 0] - SUBJECT[0], p[:, 2] - SUBJECT[2])
    assert np.max(np.abs(r / 5.0 - 1.0)) < 1e-6
    assert np.max(np.abs(p[:, 1] - 2.2)) < 1e-9
    pan, tilt = series(tr, "pan_deg", frames)[:, 0], series(tr, "tilt_deg", frames)[:, 0]
    for i in frames:
        want_pan, want_tilt = aim_angles(p[i], SUBJECT)
        assert abs((pan[i] - want_pan + 180) % 360 - 180) < 0.01
        assert abs(tilt[i] - want_tilt) < 0.01
    # it went the whole way round, counter-clockwise seen from above for +angle
    a0 = math.degrees(math.atan2(pos[0], pos[2]))  # azimuth of the offset, CCW from +Z towards +X
    swept = np.unwrap(np.radians(np.degrees(np.arctan2(p[:, 0], p[:, 2]))))
    assert math.degrees(swept[-1] - swept[0]) == pytest.approx(angle, abs=1e-6)
    assert a0 == pytest.approx(math.degrees(swept[0]), abs=1e-9)
    assert pan[-1] - pan[0] == pytest.approx(angle, abs=1e-6)  # pan follows the orbit


def test_orbit_counter_clockwise_from_above_and_by_name():
    # from +Z, a 90° counter-clockwise orbit seen from above (+Y towards the viewer) ends at +X
    tr = build_camera_track(
        start(),
        [Move("orbit", 0, 10, {"subject": "hero", "angle_deg": 90})],
        11,
        subjects={"hero": SUBJECT},
    )
    np.testing.assert_allclose(series(tr, "position_m", [10])[0], (5.0, 1.6, 0.0), atol=1e-9)
    assert series(tr, "pan_deg", [10])[0, 0] == pytest.approx(90.0)


def test_orbit_with_radius_spirals_to_it():
    tr = build_camera_track(
        start(),
        [Move("orbit", 0, 10, {"subject_m": [0, 1.6, 0], "angle_deg": 0, "radius_m": 2.0})],
        11,
    )
    np.testing.assert_allclose(series(tr, "position_m", [10])[0], (0, 1.6, 2.0), atol=1e-9)


def test_push_in_keeps_the_subject_aimed():
    pos = np.array([2.0, 1.8, 6.0])
    subj = np.array([0.0, 1.0, 0.0])
    tr = build_camera_track(
        aimed_start(pos, subj),
        [Move("push_in", 0, 48, {"subject_m": subj.tolist(), "distance_m": 3.0})],
        49,
    )
    frames = np.arange(49)
    p = series(tr, "position_m", frames)
    assert np.linalg.norm((p[-1] - p[0])[[0, 2]]) == pytest.approx(3.0)
    assert np.all(p[:, 1] == 1.8)  # a dolly stays at its height
    for i in frames:
        want = aim_angles(p[i], subj)
        assert series(tr, "pan_deg", [i])[0, 0] == pytest.approx(want[0], abs=0.01)
        assert series(tr, "tilt_deg", [i])[0, 0] == pytest.approx(want[1], abs=0.01)


def test_crane_swings_and_booms_about_its_pivot():
    # default pivot: arm_length_m behind the camera at its height -> (0, 1.6, 8)
    tr = build_camera_track(
        start(),
        [Move("crane", 0, 48, {"arm_length_m": 3.0, "swing_deg": 90.0, "boom_deg": 30.0})],
        49,
    )
    p = series(tr, "position_m", np.arange(49))
    pivot = np.array([0.0, 1.6, 8.0])
    np.testing.assert_allclose(np.linalg.norm(p - pivot, axis=1), 3.0, atol=1e-9)
    # end: arm swung 90° CCW from -Z (towards -X), elevation 30°
    np.testing.assert_allclose(
        p[-1],
        pivot + 3.0 * np.array([-math.cos(math.radians(30)), math.sin(math.radians(30)), 0.0]),
        atol=1e-9,
    )
    assert series(tr, "pan_deg", [48])[0, 0] == pytest.approx(
        90.0
    )  # heading kept relative to the arm
    assert series(tr, "tilt_deg", [48])[0, 0] == pytest.approx(0.0)
    target = np.array([0.0, 1.0, 0.0])
    aim = build_camera_track(
        aimed_start(START["position_m"], target),
        [
            Move(
                "crane",
                0,
                48,
                {
                    "pivot_m": [0, 1.6, 8],
                    "boom_deg": 40.0,
                    "swing_deg": -20.0,
                    "keep_aim_m": target.tolist(),
                },
            )
        ],
        49,
    )
    p = series(aim, "position_m", np.arange(49))
    np.testing.assert_allclose(np.linalg.norm(p - pivot, axis=1), 3.0, atol=1e-9)
    assert p[-1, 1] == pytest.approx(1.6 + 3.0 * math.sin(math.radians(40)))
    for i in range(49):
        want = aim_angles(p[i], target)
        assert series(aim, "pan_deg", [i])[0, 0] == pytest.approx(want[0], abs=0.01)
        assert series(aim, "tilt_deg", [i])[0, 0] == pytest.approx(want[1], abs=0.01)


def test_an_aimed_move_from_an_unaimed_camera_settles_on_the_subject():
    tr = build_camera_track(
        start(pan_deg=20.0, tilt_deg=5.0),
        [Move("orbit", 0, 24, {"subject_m": SUBJECT.tolist(), "angle_deg": 30})],
        25,
    )
    assert series(tr, "pan_deg", [0])[0, 0] == pytest.approx(20.0)  # no jump at the start
    p = series(tr, "position_m", [24])[0]
    want = aim_angles(p, SUBJECT)
    assert series(tr, "pan_deg", [24])[0, 0] == pytest.approx(want[0], abs=1e-9)
    assert series(tr, "tilt_deg", [24])[0, 0] == pytest.approx(want[1], abs=1e-9)


def test_dolly_is_horizontal_even_when_tilted():
    tr = build_camera_track(
        start(pan_deg=-90.0, tilt_deg=-30.0), [Move("dolly", 0, 10, {"distance_m": 2})], 11
    )
    np.testing.assert_allclose(series(tr, "position_m", [10])[0], (2.0, 1.6, 5.0), atol=1e-12)


# ---------------------------------------------------------------- paths and walks
def test_path_at_constant_speed():
    pts = [[2.0, 1.6, 3.0], [3.0, 1.4, 0.0], [0.0, 1.6, -2.0], [-3.0, 2.0, -1.0]]
    tr = build_camera_track(start(), [Move("path", 0, 120, {"points_m": pts}, "linear")], 121)
    p = series(tr, "position_m", np.arange(121))
    step = np.linalg.norm(np.diff(p, axis=0), axis=1)
    assert np.max(np.abs(step / step.mean() - 1.0)) < 0.01
    np.testing.assert_allclose(p[-1], pts[-1], atol=1e-12)
    np.testing.assert_allclose(p[0], START["position_m"], atol=1e-12)
    # the spline passes through every point
    assert min(np.linalg.norm(p - pts[1], axis=1)) < step.mean()
    # without constant speed the speed varies (the test above can fail)
    tr = build_camera_track(
        start(), [Move("path", 0, 120, {"points_m": pts, "constant_speed": False}, "linear")], 121
    )
    step = np.linalg.norm(np.diff(series(tr, "position_m", np.arange(121)), axis=0), axis=1)
    assert np.max(np.abs(step / step.mean() - 1.0)) > 0.05
    # orientation kept without aim; aimed with one
    assert np.all(series(tr, "pan_deg", np.arange(121)) == 0.0)
    tr = build_camera_track(
        start(), [Move("path", 0, 120, {"points_m": pts, "aim_m": [0, 1, -8]})], 121
    )
    p = series(tr, "position_m", [60])[0]
    assert series(tr, "pan_deg", [60])[0, 0] == pytest.approx(
        aim_angles(p, (0, 1, -8))[0], abs=0.01
    )


def test_walk_path():
    pos, heading = walk_path([[0, 0, 0], [0, 0, 4], [4, 0, 4]], 10, 58)
    assert pos.name == "position_m" and heading.name == "heading_deg" and heading.angular
    np.testing.assert_allclose(pos.evaluate(10), (0, 0, 0), atol=1e-12)
    np.testing.assert_allclose(pos.evaluate(0), (0, 0, 0), atol=1e-12)  # waits before
    np.testing.assert_allclose(pos.evaluate(58), (4, 0, 4), atol=1e-12)
    np.testing.assert_allclose(pos.evaluate(70), (4, 0, 4), atol=1e-12)
    assert heading.evaluate(10) == pytest.approx(0.0, abs=1.0)  # walking towards +Z
    assert heading.evaluate(58) == pytest.approx(90.0, abs=1.0)  # then towards +X
    # it faces where it walks: yaw h turns +Z towards +X (transforms.rotation_y(h) @ +Z)
    h = np.radians(heading.evaluate_many(np.arange(10, 59))[:, 0])
    step_dir = np.diff(pos.evaluate_many(np.arange(10, 59)), axis=0)
    step_dir /= np.linalg.norm(step_dir, axis=1, keepdims=True)
    mid = (h[:-1] + h[1:]) / 2
    np.testing.assert_allclose(step_dir[:, 0], np.sin(mid), atol=0.01)
    np.testing.assert_allclose(step_dir[:, 2], np.cos(mid), atol=0.01)
    step = np.linalg.norm(np.diff(pos.evaluate_many(np.arange(10, 59)), axis=0), axis=1)
    assert np.max(np.abs(step / step.mean() - 1.0)) < 0.01
    with pytest.raises(MoveError, match="points_m"):
        walk_path([[0, 0, 0]], 0, 10)
    with pytest.raises(MoveError, match="repeats"):
        walk_path([[0, 0, 0], [0, 0, 0]], 0, 10)


# ---------------------------------------------------------------- handheld
def test_handheld_is_seeded_bounded_and_confined_to_its_range():
    base = [Move("dolly", 0, 96, {"distance_m": 2.0})]
    hh = Move(
        "handheld",
        24,
        72,
        {"amplitude_m": 0.02, "amplitude_deg": 0.5, "frequency_hz": 1.5, "seed": 3},
    )
    plain = build_camera_track(start(), base, 97)
    a = build_camera_track(start(), [*base, hh], 97, seed=7)
    b = build_camera_track(start(), [*base, hh], 97, seed=7)
    c = build_camera_track(start(), [*base, hh], 97, seed=8)
    frames = np.arange(97)
    for name in ("position_m", "pan_deg", "tilt_deg", "roll_deg"):
        va, vb, vc, v0 = (series(t, name, frames) for t in (a, b, c, plain))
        np.testing.assert_array_equal(va, vb)
        assert np.max(np.abs(va - vc)) > 1e-4
        off = va - v0
        amp = 0.02 if name == "position_m" else 0.5
        assert np.max(np.abs(off)) <= amp + 1e-12
        assert np.max(np.abs(off)) > 0.2 * amp  # it does shake
        np.testing.assert_allclose(off[:25], 0.0, atol=1e-12)
        np.testing.assert_allclose(off[72:], 0.0, atol=1e-12)
    # frequency: mostly slow sway, no frame-to-frame jitter beyond the band
    offs = handheld_offsets(hh, 7, 24.0)
    assert np.max(np.abs(np.diff(offs[:, 0]))) < 0.02 * 2 * math.pi * 3.0 / 24.0 * 1.5


# ---------------------------------------------------------------- errors
@pytest.mark.parametrize(
    "move, match",
    [
        (
            lambda: Move("orbit", 0, 10, {"subject_m": [0, 1, 0], "angle_deg": 90, "radius_m": -1}),
            "orbit: radius_m must be positive",
        ),
        (lambda: Move("orbit", 0, 10, {"angle_deg": 90}), "orbit: needs subject or subject_m"),
        (lambda: Move("dolly", 0, 10, {"distance": 1}), "dolly: unknown parameter 'distance'"),
        (lambda: Move("dolly", 10, 10, {"distance_m": 1}), "dolly: end_frame 10 must come after"),
        (lambda: Move("warp", 0, 10, {}), "unknown move type 'warp'"),
        (
            lambda: Move("zoom", 0, 10, {"to_focal_length_mm": 50, "by_mm": 5}),
            "zoom: give only one of",
        ),
        (lambda: Move("pan", 0, 10, {"angle_deg": 10}, interp="bouncy"), "pan: unknown interp"),
        (lambda: Move("crane", 0, 10, {"swing_deg": 10}), "crane: needs arm_length_m or pivot_m"),
        (
            lambda: Move("crane", 0, 10, {"arm_length_m": 0, "swing_deg": 10}),
            "crane: arm_length_m must be positive",
        ),
        (
            lambda: Move("crane", 0, 10, {"arm_length_m": 5, "pivot_m": [0, 1.6, 8]}),
            "crane: arm_length_m 5 does not match",
        ),
        (
            lambda: Move("orbit", 0, 10, {"subject": "nobody", "angle_deg": 5}),
            "orbit: unknown subject 'nobody'",
        ),
        (lambda: Move("path", 0, 10, {"points_m": [[0, 1.6, 5]]}), "path: points_m\\[0\\] repeats"),
        (lambda: Move("path", 0, 10, {"points_m": [[0, 1.6]]}), "path: points_m\\[0\\] must be"),
        (
            lambda: Move("push_in", 0, 10, {"subject_m": [0, 1, 0], "distance_m": 6}),
            "push_in: distance_m 6 reaches",
        ),
        (lambda: Move("tilt", 0, 10, {"angle_deg": 120}), "tilt: ends at 120"),
        (lambda: Move("handheld", 0, 10, {"seed": -1}), "handheld: seed"),
        (lambda: Move("dolly", 0, 30, {"distance_m": 1}), "beyond the shot's last frame 20"),
        (lambda: Move("zoom", 0, 10, {"by_mm": -40}), "zoom: by_mm -40"),
    ],
)
def test_move_errors_name_the_move_and_parameter(move, match):
    with pytest.raises(MoveError, match=match):
        build_camera_track(start(), [move()], 21, subjects={"hero": SUBJECT})


def test_overlapping_moves_on_one_channel_are_refused_naming_both():
    with pytest.raises(
        MoveError, match=r"dolly \(frames 0–24\) and push_in \(frames 12–36\) both drive position_m"
    ):
        build_camera_track(
            start(),
            [
                Move("dolly", 0, 24, {"distance_m": 1}),
                Move("push_in", 12, 36, {"subject_m": [0, 1.6, 0], "distance_m": 1}),
            ],
            48,
        )
    # different channels overlap freely; touching ends are fine; handheld overlaps anything
    build_camera_track(
        start(),
        [
            Move("dolly", 0, 24, {"distance_m": 1}),
            Move("pan", 0, 24, {"angle_deg": 5}),
            Move("truck", 24, 30, {"distance_m": 1}),
            Move("handheld", 0, 30, {}),
        ],
        31,
    )


def test_extra_keys_are_the_base_and_may_not_hide_inside_a_move():
    keys = {"focal_length_mm": [key(0, 35.0, "linear"), key(40, 75.0, "linear")]}
    tr = build_camera_track(start(), [Move("dolly", 0, 24, {"distance_m": 1})], 41, extra_keys=keys)
    assert series(tr, "focal_length_mm", [20])[0, 0] == pytest.approx(55.0)
    # a pan key at 30 with a pan move before it: the move starts from the keyed curve's value
    keys = {"pan_deg": [key(0, 0.0, "ease"), key(30, 30.0, "ease")]}
    tr = build_camera_track(start(), [Move("tilt", 0, 10, {"angle_deg": 5})], 41, extra_keys=keys)
    assert series(tr, "pan_deg", [15])[0, 0] == pytest.approx(15.0)
    with pytest.raises(MoveError, match="key on pan_deg at frame 30 lies inside"):
        build_camera_track(start(), [Move("pan", 20, 40, {"angle_deg": 5})], 41, extra_keys=keys)
    # a move that starts inside an eased key segment leaves the segment before it as it was
    tr0 = build_camera_track(start(), [], 41, extra_keys=keys)
    tr = build_camera_track(
        start(),
        [Move("pan", 30, 40, {"angle_deg": 5})],
        41,
        extra_keys={"pan_deg": [key(0, 0.0, "ease"), key(60, 60.0, "ease")]},
    )
    ref = build_camera_track(
        start(), [], 61, extra_keys={"pan_deg": [key(0, 0.0, "ease"), key(60, 60.0, "ease")]}
    )
    np.testing.assert_allclose(
        series(tr, "pan_deg", np.arange(31)), series(ref, "pan_deg", np.arange(31)), atol=1e-12
    )
    assert series(tr0, "pan_deg", [30])[0, 0] == 30.0


def test_every_move_type_builds():
    params = {
        "dolly": {"distance_m": 1},
        "truck": {"distance_m": 1},
        "pedestal": {"distance_m": 0.2},
        "pan": {"angle_deg": 10},
        "tilt": {"angle_deg": 5},
        "dutch": {"angle_deg": 5},
        "crane": {"arm_length_m": 2, "boom_deg": 10},
        "orbit": {"subject": "hero", "angle_deg": 20},
        "push_in": {"subject": "hero", "distance_m": 1},
        "path": {"points_m": [[1, 1.6, 4]]},
        "dolly_zoom": {"subject": "hero", "distance_m": 1},
        "zoom": {"by_mm": 10},
        "rack_focus": {"to_subject": "hero"},
        "handheld": {},
    }
    assert set(params) == set(MOVE_TYPES)
    for kind, p in params.items():
        tr = build_camera_track(
            start(focus_m=2.0), [Move(kind, 2, 12, p)], 13, subjects={"hero": SUBJECT}
        )
        moved = any(
            np.max(np.abs(series(tr, n, [12]) - series(tr, n, [2]))) > 1e-6
            or np.max(np.abs(series(tr, n, [7]) - series(tr, n, [2]))) > 1e-6
            for n in ("position_m", "pan_deg", "tilt_deg", "roll_deg", "focal_length_mm", "focus_m")
        )
        assert moved, kind
