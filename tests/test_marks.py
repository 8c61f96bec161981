"""Format 2's blocking: marks, walks mark to mark or by speed, poses and looks in the file; the
migration from format 1; one-line errors (file, line, field, did-you-mean); walk-speed warnings;
named marks and eyelines on the plan."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from previs.core.frame import evaluate, walk_poses
from previs.core.plan import character_marks
from previs.errors import SceneError
from previs.io.scene_file import FORMAT_VERSION, load_scene_text

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "scenes" / "led_stage.yaml"

BASE = """\
format_version: 2
name: marks test
frame_rate: 24
set:
  - {name: crate, type: box, size_m: [0.6, 0.45, 0.6], translation_m: [2.0, 0, 0]}
characters:
  - {name: Mara, height_m: 1.7, position_m: [0, 0, 0], color: "#d55e00"}
  - {name: Dale, height_m: 1.8, position_m: [-1, 0, 0], facing_deg: 90}
lights:
  - {name: sun, type: directional, azimuth_deg: 0, elevation_deg: 50, illuminance_lux: 400}
camera: {body: alexa-35, lens_kit: arri-signature-prime}
shots:
  - id: A
    scene: 1
    length_frames: 120
    camera: {position_m: [0, 1.6, 6], look_at_m: [0, 1.2, 0], focal_length_mm: 35}
    marks:
      Mara: {1: [0, 0], 2: [2.0, 0.0], 3: [2.0, 2.0]}
    walks:
      - {character: Mara, marks: [1, 2, 3], start_frame: 0, end_frame: 72}
    poses:
      - {character: Dale, frame: 0, pose: arms_crossed}
    looks:
      - {character: Dale, at: Mara}
"""


def _load(text: str, name: str = "s.yaml"):
    return load_scene_text(text, ROOT / "tests" / name)


def test_walks_go_mark_to_mark():
    scene = _load(BASE)
    shot = scene.shot("A")
    w = shot.walks[0]
    assert w.marks == ("1", "2", "3") and w.points_m == ((0, 0, 0), (2.0, 0, 0), (2.0, 0, 2.0))
    end = walk_poses(scene, shot, 72)["Mara"][:3, 3]
    np.testing.assert_allclose(end, [2.0, 0.0, 2.0], atol=1e-6)
    marks = character_marks(scene, ["A"])["Mara"]
    assert [m.number for m in marks] == ["1", "2", "3"]
    assert [m.kind for m in marks] == ["start", "turn", "end"]


def test_a_walk_timed_by_speed_ends_when_the_path_is_walked():
    scene = _load(
        BASE.replace("start_frame: 0, end_frame: 72}", "start_frame: 10, speed_mps: 1.2}")
    )
    w = scene.shot("A").walks[0]
    # about 4 m along a centripetal Catmull-Rom through the marks (it swings a little wide)
    seconds = (w.end_frame - w.start_frame) / 24
    assert 3.8 / 1.2 < seconds < 4.4 / 1.2


@pytest.mark.parametrize(
    "old, new, field, words",
    [
        (
            "pose: arms_crossed",
            "pose: arms_crosed",
            "shots[0].poses[0].pose",
            "did you mean 'arms_crossed'",
        ),
        (
            "marks: [1, 2, 3]",
            "marks: [1, 2, 4]",
            "shots[0].walks[0].marks[2]",
            "no mark '4' for Mara",
        ),
        (
            "{character: Dale, at: Mara}",
            "{character: Dale, at: Marra}",
            "shots[0].looks[0].at",
            "did you mean 'Mara'",
        ),
        (
            "{character: Dale, frame: 0, pose: arms_crossed}",
            "{character: Dale, pose: sit, seat: Mara}",
            "shots[0].poses[0].seat",
            "no set piece named 'Mara'",
        ),
        (
            "{character: Dale, frame: 0, pose: arms_crossed}",
            "{character: Dale, pose: sit, seat: crat}",
            "shots[0].poses[0].seat",
            "did you mean 'crate'",
        ),
        (
            "{character: Mara, marks:",
            "{character: Mar, marks:",
            "shots[0].walks[0].character",
            "did you mean 'Mara'",
        ),
    ],
)
def test_bad_blocking_stops_with_one_line(old, new, field, words):
    assert old in BASE
    with pytest.raises(SceneError) as err:
        _load(BASE.replace(old, new, 1), "bad.yaml")
    msg = str(err.value)
    assert "\n" not in msg and "bad.yaml:" in msg and field in msg and words in msg, msg
    assert err.value.line is not None


def test_a_sitter_on_a_box_has_its_hips_on_the_box():
    from previs.core import figure as fig

    text = BASE.replace(
        "position_m: [-1, 0, 0], facing_deg: 90}",
        "position_m: [2.0, 0, 0], facing_deg: 0, pose: sit, seat: crate}",
    )
    text = text.replace("      - {character: Dale, frame: 0, pose: arms_crossed}\n", "").replace(
        "    poses:\n", ""
    )
    st = evaluate(_load(text), "A", 0)
    assert fig.seat_contact_height_m(st.figures["Dale"].posed) == pytest.approx(0.45, abs=0.03)


def test_format_1_migrates_stand_ins_to_characters():
    v1 = """\
format_version: 1
name: old
frame_rate: 24
set:
  - {name: box, type: box, size_m: [1, 1, 1]}
  - {type: standin, height_m: 1.7, translation_m: [1, 0, 0], rotation_deg: [0, 90, 0]}
  - {name: Pat, type: standin, height_m: 3.5}
camera: {body: alexa-35, lens_kit: arri-signature-prime}
shots:
  - id: A
    scene: 1
    length_frames: 24
    camera: {position_m: [0, 1.6, 6], look_at_m: [0, 1.2, 0], focal_length_mm: 35}
"""
    assert FORMAT_VERSION == 2
    with pytest.raises(SceneError) as err:  # errors name the line and field as written
        _load(v1, "old.yaml")
    assert "old.yaml:7: set[2].height_m" in str(err.value), str(err.value)
    scene = _load(v1.replace("height_m: 3.5", "height_m: 1.5"), "old.yaml")
    assert [p.name for p in scene.characters] == ["standin 2", "Pat"]  # format 1's default names
    assert all(p.color_linear == (0.5, 0.5, 0.5) and not p.color_stated for p in scene.characters)
    st = evaluate(scene, "A", 0)
    assert st.figures["standin 2"].pose == "stand"
    np.testing.assert_allclose(st.figures["standin 2"].posed.gaze, [1, 0, 0], atol=1e-9)


def test_the_example_is_format_2_and_renders_its_blocking():
    from previs.io.scene_file import load_scene

    scene = load_scene(EXAMPLE)
    assert scene.format_version == 2 and not scene.warnings
    assert {m.name for m in scene.shot("3C").marks} == {"1", "2", "3"}
    st = evaluate(scene, "2B", 0)
    dale = st.figures["Dale"].posed
    to_lens = st.position_m - dale.eye_m
    assert dale.gaze @ to_lens / np.linalg.norm(to_lens) > 0.97  # Dale looks down the lens


@pytest.mark.parametrize(
    "frames, gait, kind",
    [(20, "walk", "walk_speed"), (400, "walk", "walk_speed"), (10, "run", "run_speed")],
)
def test_inhuman_speeds_are_plausibility_warnings(frames, gait, kind):
    from previs.core.plausibility import check_walk

    text = BASE.replace("end_frame: 72}", f"end_frame: {frames}, gait: {gait}}}").replace(
        "length_frames: 120", "length_frames: 500"
    )
    scene = _load(text, "fast.yaml")
    found = check_walk(scene.shot("A").walks[0], scene.frame_rate)
    assert [w.kind for w in found] == [kind]
    assert any("plausibility" in w and "fast.yaml:" in w for w in scene.warnings), scene.warnings


def test_plan_shows_named_marks_and_eyelines(tmp_path):
    from previs.export.plan_drawing import plan_primitives

    scene = _load(BASE)
    prims = plan_primitives(scene, ["A"])
    ids = {p.id: p for p in prims if p.id}
    assert {"mark-Mara-1", "mark-Mara-2", "mark-Mara-3"} <= set(ids), sorted(ids)
    eye = ids["eyeline-A-Dale"]
    assert eye.layer == "eyelines"
    # Dale at (-1, 0) looks at Mara at (0, 0): the line ends near her
    assert np.linalg.norm(eye.points[-1] - [0.0, 0.0]) < 0.15
