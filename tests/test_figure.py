"""The mannequin against analytic numbers: standing eye height from the proportions cited in
previs.core.figure, a sitter's hips on the example's bench, stride and planted feet at a walk's
speed, blends and looks."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from previs.core import figure as fig
from previs.core.frame import character_states, evaluate, walk_speed_mps
from previs.io.scene_file import load_scene_text

ROOT = Path(__file__).resolve().parents[1]
H = 1.75


def test_standing_eye_height_is_0936_of_stature():
    p = fig.pose_figure(fig.named_pose("stand", H), H, np.eye(4))
    assert p.eye_m[1] == pytest.approx(0.936 * H, abs=1e-9)
    assert p.point("crown")[1] == pytest.approx(H, abs=1e-9)
    assert p.joint("knee_l")[1] == pytest.approx(0.285 * H, abs=1e-9)
    assert p.joint("shoulder_r")[1] == pytest.approx(0.818 * H, abs=1e-9)
    assert p.point("heel_l")[1] == pytest.approx(0.0, abs=1e-9)  # feet on the floor
    # facing +Z: the nose side; the left shoulder towards +X
    assert p.gaze @ [0, 0, 1] == pytest.approx(1.0) and p.joint("shoulder_l")[0] > 0


@pytest.mark.parametrize("seat_m", [0.40, 0.4572, 0.60])
def test_seated_hips_land_on_the_seat(seat_m):
    p = fig.pose_figure(fig.named_pose("sit", H, seat_height_m=seat_m), H, np.eye(4))
    assert fig.seat_contact_height_m(p) == pytest.approx(seat_m, abs=1e-9)
    assert p.joint("hip_l")[1] == pytest.approx(seat_m + fig.THIGH_RADIUS * H, abs=1e-9)
    # thighs level (or tipped down to bring the feet to the floor), feet never under the floor
    assert min(p.point("heel_l")[1], p.point("toe_l")[1]) > -1e-6


def _with_blocking(blocking: str) -> object:
    text = (ROOT / "scenes" / "led_stage.yaml").read_text()
    anchor = "      focal_length_mm: 25\n      focus_m: 9.0\n"
    assert anchor in text
    return load_scene_text(
        text.replace(anchor, anchor + blocking, 1), ROOT / "scenes" / "led_stage.yaml"
    )


def test_the_attendant_sits_on_the_example_bench():
    """The example's bench (an STL in inches, seat slats at 18 in): hips within 3 cm of it."""
    scene = _with_blocking(
        "    marks:\n      Attendant: {bench: [-2.4, -2.1], A: [-2.2, -1.55], pumps: [1.8, -2.1]}\n"
        "    poses:\n      - {character: Attendant, frame: 0, pose: sit, seat: bench}\n"
        "      - {character: Attendant, frame: 300, pose: stand, blend_frames: 20}\n"
        "    walks:\n      - {character: Attendant, marks: [bench, A, pumps], start_frame: 320, end_frame: 440}\n"
    )
    seat_top_m = 18 * 0.0254
    st = evaluate(scene, "1A", 0)
    a = st.figures["Attendant"]
    assert a.pose == "sit"
    assert fig.seat_contact_height_m(a.posed) == pytest.approx(seat_top_m, abs=0.03)
    # and previs check's collision test finds nothing: a sitter on a bench is not inside it
    from previs.check import set_solids
    from previs.core.collisions import overlaps

    assert overlaps(scene, st.poses, solids=set_solids(scene)) == []
    standing = evaluate(scene, "1A", 319).figures["Attendant"]
    assert standing.pose == "stand" and standing.posed.eye_m[1] == pytest.approx(
        0.936 * 1.75, abs=0.02
    )
    walking = evaluate(scene, "1A", 380).figures["Attendant"]
    assert walking.pose == "walk"


def test_a_seat_not_under_the_hips_is_refused():
    with pytest.raises(Exception, match=r"poses\[0\]\.seat: Mara's hips .* are not over 'bench'"):
        _with_blocking("    poses:\n      - {character: Mara, pose: sit, seat: bench}\n")


def test_stride_follows_speed_and_cadence():
    # step = sqrt(v * 60 * walk ratio): 0.71 m at 1.4 m/s for 1.70 m, 118 steps/min
    assert fig.stride_m(1.4, 1.70) / 2 == pytest.approx(math.sqrt(1.4 * 60 * 0.0060), rel=1e-12)
    assert fig.cadence_spm(1.4, 1.70) == pytest.approx(118.3, abs=0.1)
    assert fig.stride_m(4.0, 1.70, "run") == pytest.approx(2 * 4.0 / (170 / 60), rel=1e-12)


def test_walking_feet_are_planted_and_step_the_stride():
    """A straight walk: each stance foot holds still on the floor while its foot is flat, and
    successive footfalls are a step (half the stride at the walk's speed) apart."""
    scene = _with_blocking(
        "    marks:\n      Attendant: {1: [-3.0, 0.0], 2: [3.0, 0.0]}\n"
        "    walks:\n      - {character: Attendant, marks: [1, 2], start_frame: 0, end_frame: 239}\n"
    )
    shot = scene.shot("1A")
    w = shot.walks[0]
    speed = walk_speed_mps(w, scene.frame_rate)
    assert speed == pytest.approx(6.0 / (239 / 24), rel=1e-3)
    step = fig.stride_m(speed, 1.75) / 2
    frames = range(20, 220)
    ankles = {f: character_states(scene, shot, f)["Attendant"].posed for f in frames}
    plants = []
    for side in "lr":
        y = np.array([ankles[f].joint(f"ankle_{side}")[1] for f in frames])
        x = np.array([ankles[f].joint(f"ankle_{side}")[0] for f in frames])
        flat = np.isclose(y, fig.ANKLE_FRACTION * 1.75, atol=1e-6)
        # runs of foot-flat frames: the ankle holds its x within 2 mm
        runs = np.split(np.flatnonzero(flat), np.flatnonzero(np.diff(np.flatnonzero(flat)) > 1) + 1)
        for r in runs:
            if len(r) >= 3:
                assert np.ptp(x[r]) < 0.002, (side, x[r])
                plants.append(float(x[r].mean()))
    plants.sort()
    gaps = np.diff(plants)
    assert len(gaps) >= 4
    assert np.median(gaps) == pytest.approx(step, rel=0.03)


def test_poses_blend_over_their_frames():
    a, b = fig.named_pose("stand", H), fig.named_pose("kneel", H)
    mid = fig.blend(a, b, 0.5)
    assert mid.pelvis_m[1] == pytest.approx((a.pelvis_m[1] + b.pelvis_m[1]) / 2)
    scene = _with_blocking(
        "    poses:\n      - {character: Dale, frame: 100, pose: kneel, blend_frames: 10}\n"
    )
    hip = [
        evaluate(scene, "1A", f).figures["Dale"].posed.joint("pelvis")[1]
        for f in (99, 105, 110, 200)
    ]
    assert hip[0] > hip[1] > hip[2] == pytest.approx(hip[3])


def test_heads_turn_to_what_they_look_at():
    scene = _with_blocking(
        "    looks:\n      - {character: Dale, at: lens}\n      - {character: Mara, at: Dale}\n"
    )
    st = evaluate(scene, "1A", 0)
    for who, target in (("Dale", st.position_m), ("Mara", st.figures["Dale"].posed.eye_m)):
        p = st.figures[who].posed
        to = target - p.eye_m
        angle = math.degrees(math.acos(p.gaze @ to / np.linalg.norm(to)))
        assert angle < 10.0, (who, angle)  # the eyes sit ahead of the neck the head turns about
