"""The blocking session without a window: no glfw, no GL, no ImGui. Shots, scrubbing, playback
and autosave run by an injected clock; keys and shot edits go through the scene document, so
undo, redo and saving cover them."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from previs.errors import PrevisError
from previs.view.document import SceneDocument
from previs.view.session import STATUS_ERROR_S, STATUS_S, ObjectRef, Session

ROOT = Path(__file__).resolve().parents[1]


class Clock:
    """Seconds that pass only when the test says so."""

    def __init__(self, now_s: float = 1000.0):
        self.now_s = now_s

    def __call__(self) -> float:
        return self.now_s


@pytest.fixture
def scene_path(tmp_path) -> Path:
    shutil.copy(ROOT / "scenes" / "led_stage.yaml", tmp_path / "led_stage.yaml")
    (tmp_path / "geometry").symlink_to(ROOT / "scenes" / "geometry", target_is_directory=True)
    return tmp_path / "led_stage.yaml"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def session(scene_path, clock) -> Session:
    return Session(scene_path, clock=clock, autosave_s=10.0)


def test_the_session_needs_no_window_system(scene_path):
    """With glfw, moderngl and imgui_bundle unimportable, a session still opens, plays, keys
    and saves."""
    code = textwrap.dedent(f"""
        import sys
        for name in ("glfw", "moderngl", "imgui_bundle"):
            sys.modules[name] = None
        from previs.view.session import Session
        s = Session({str(scene_path)!r})
        s.do("next_shot"); s.do("next_frame"); s.live_rig().pedestal(0.25); s.do("set_key"); s.do("save")
        assert s.shot_id == "1B" and s.frame == 1 and not s.doc.dirty, s.status
    """)
    r = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert r.returncode == 0, r.stderr


def test_select_shot_and_scrub(session):
    assert session.shot_id == "1A" and session.frame == 0
    session.select_shot("3A")
    assert session.shot_id == "3A" and session.frame == 0 and not session.playing
    n = session.shot.length_frames
    session.goto(10)
    assert session.frame == 10 and session.state().frame == 10
    session.goto(n + 50)  # clamped to the shot
    assert session.frame == n - 1
    session.do("first_frame")
    session.do("next_frame")
    session.do("next_frame")
    session.do("prev_frame")
    assert session.frame == 1
    # Frames worth jumping to: the next key frame after this one, then back.
    keys = session.key_frames()
    later = [f for f in keys if f > 1]
    session.do("next_key")
    assert session.frame == later[0]
    session.do("prev_key")
    assert session.frame == max(f for f in keys if f < later[0])
    ids = [s.id for s in session.scene.shots]
    session.do("next_shot")
    assert session.shot_id == ids[ids.index("3A") + 1]
    session.do("prev_shot")
    assert session.shot_id == "3A"


def test_leaving_the_frame_drops_an_unkeyed_camera_and_says_so(session):
    session.live_rig().pedestal(0.3)
    assert session.unkeyed_change()
    session.goto(5)
    assert session.rig is None and not session.unkeyed_change()
    assert "unkeyed camera change dropped at frame 0" in session.status and session.status_error


def test_playback_advances_by_the_injected_clock_and_loops(session, clock):
    session.select_shot("3A")
    n = session.shot.length_frames
    session.do("play")
    assert session.playing
    session.start_frame()  # the clock starts
    frames = []
    for _ in range(30):
        clock.now_s += 1 / 24
        session.advance_playback(session.start_frame())
        frames.append(session.frame)
    assert frames == list(range(1, 31))
    clock.now_s += 0.5  # a stalled frame: the shot still moves on by the time that passed
    session.advance_playback(session.start_frame())
    assert session.frame == 42
    # Halfway to the next frame: half a frame's time to wait.
    clock.now_s += 1 / 48
    session.advance_playback(session.start_frame())
    assert session.frame == 42
    assert session.seconds_to_next_frame() == pytest.approx(1 / 48)
    session.goto(n - 1)
    clock.now_s += 1 / 24
    session.advance_playback(session.start_frame())
    assert session.frame == 0  # looped
    session.do("quit")  # Esc while playing stops the shot, nothing more
    assert not session.playing and not session.should_close and session.modal is None
    clock.now_s += 1.0
    session.advance_playback(session.start_frame())
    assert session.frame == 0 and session.seconds_to_next_frame() == float("inf")


def test_set_and_delete_a_key_through_the_document_with_undo_and_redo(session):
    from previs.core.frame import evaluate
    from previs.io.scene_file import load_scene

    session.select_shot("1B")
    session.goto(30)
    before = session.state().position_m.copy()
    session.live_rig().pedestal(0.4)
    session.set_focal(75.0)
    session.do("set_key")
    assert session.rig is None and session.doc.dirty
    assert 30 in session.explicit_key_frames()
    assert session.status == "key set: 1B frame 30"
    st = session.state()  # the track itself now
    np.testing.assert_allclose(st.position_m, before + [0.0, 0.4, 0.0], atol=1e-6)
    assert st.focal_length_mm == 75.0
    session.do("undo")
    assert 30 not in session.explicit_key_frames() and session.status.startswith("undid ")
    np.testing.assert_allclose(session.state().position_m, before, atol=1e-9)
    session.do("redo")
    assert 30 in session.explicit_key_frames() and session.status.startswith("redid ")
    session.do("delete_key")
    assert 30 not in session.explicit_key_frames()
    session.do("delete_key")  # nothing left to delete: said, not an error
    assert session.status == "no key at frame 30" and not session.status_error
    session.do("undo")  # the key is back
    session.do("save")
    assert not session.doc.dirty
    saved = evaluate(load_scene(session.path), "1B", 30)
    np.testing.assert_allclose(saved.position_m, before + [0.0, 0.4, 0.0], atol=1e-5)


def test_shot_edits_new_duplicate_rename_delete_and_undo(session):
    n = len(session.scene.shots)
    new_id = session.duplicate_shot()
    assert session.shot_id == new_id == "1G" and len(session.scene.shots) == n + 1
    session.do("rename_shot")
    assert session.modal == "rename" and session.modal_text == "1G"
    session.modal_text = "1Z"
    session.submit_text_modal()
    assert session.modal is None and session.shot_id == "1Z"
    session.do("rename_shot")
    session.modal_text = "1A"  # taken: refused, said, nothing changes
    session.submit_text_modal()
    assert session.status_error and session.shot_id == "1Z"
    session.set_shot_fields("length", length_frames=12)
    assert session.shot.length_frames == 12
    session.delete_shot()
    assert "1Z" not in session.doc.shot_ids() and session.shot_id in session.doc.shot_ids()
    session.do("undo")  # the delete
    session.do("undo")  # the length
    session.do("undo")  # the rename
    session.do("undo")  # the duplicate: the shot on screen is gone, the first one shows
    assert len(session.scene.shots) == n and session.shot_id == "1A"
    assert not session.doc.dirty


def test_autosave_is_due_by_the_injected_clock(session, clock, scene_path):
    assert SceneDocument.recovery_for(scene_path) is None
    session.live_rig().pedestal(0.5)  # unkeyed: goes into the recovery file too
    height = session.state().position_m[1]
    clock.now_s += 9.9
    assert not session.autosave_due() and session.autosave_tick() is None
    assert SceneDocument.recovery_for(scene_path) is None
    clock.now_s += 0.1
    assert session.autosave_due()
    path = session.autosave_tick()
    assert path == SceneDocument.recovery_for(scene_path)
    assert session.status == f"autosaved to {path.name}"
    clock.now_s += 10.0
    assert session.autosave_tick() is None  # nothing changed since
    # A session after a crash: offered, restored, the unkeyed camera back (still unkeyed).
    again = Session(scene_path, clock=clock)
    assert again.modal == "recover" and again.recovery_offer == path
    again.answer_recovery("restore")
    assert again.modal is None and again.unkeyed_change()
    assert again.state().position_m[1] == pytest.approx(height, abs=1e-9)
    assert not scene_path.read_text().count("recovery")  # the scene file was never touched


def test_status_messages_expire_by_the_clock(session, clock):
    session.say("key set")
    assert session.status_shown() == "key set"
    clock.now_s += STATUS_S - 0.01
    assert session.status_shown() == "key set"
    clock.now_s += 0.02
    assert session.status_shown() is None
    assert session.status == "key set"  # the HUD line keeps the last message
    session.say("the lens refuses that", error=True)
    clock.now_s += STATUS_S + 0.01  # a warning stays longer
    assert session.status_shown() == "the lens refuses that"
    clock.now_s += STATUS_ERROR_S - STATUS_S
    assert session.status_shown() is None


def test_actions_refused_by_the_document_become_the_status(session):
    session.do("redo")
    assert session.status == "nothing to redo"
    session.register_action("boom", lambda: (_ for _ in ()).throw(PrevisError("no such thing")))
    session.do("boom")
    assert session.status == "no such thing" and session.status_error
    assert (
        session.has_action("boom")
        and session.has_action("set_key")
        and not session.has_action("nope")
    )


def test_selection_names_scene_objects(session):
    piece = session.scene.set_pieces[0]
    session.select(ObjectRef("set_piece", piece.name))
    assert session.selected() is piece
    light = session.scene.lights[0]
    session.select(ObjectRef("light", light.name))
    assert session.selected() is light
    with pytest.raises(PrevisError, match="no set piece 'Nobody'"):
        session.select(ObjectRef("set_piece", "Nobody"))
    assert session.selected() is light  # a refused selection keeps the last one
    session.select(None)
    assert session.selected() is None


def test_quitting_asks_about_unsaved_work(session):
    from previs.core.frame import evaluate
    from previs.io.scene_file import load_scene

    session.request_quit()
    assert session.should_close  # nothing to lose
    session.should_close = False
    session.live_rig().truck(0.5)
    moved = session.state().position_m.copy()
    session.request_quit()
    assert session.modal == "quit" and not session.should_close
    session.answer_quit("cancel")
    assert session.modal is None and not session.should_close
    session.request_quit()
    session.answer_quit("save")  # keys the unkeyed camera, then saves
    assert session.should_close and not session.doc.dirty and not session.unkeyed_change()
    saved = evaluate(load_scene(session.path), "1A", 0)  # a static shot: its placement moved
    np.testing.assert_allclose(saved.position_m, moved, atol=1e-5)


def test_orbit_finds_the_subject_in_front_of_the_lens(session):
    session.select_shot("1B")  # the two-shot
    session.do("toggle_orbit")
    assert session.orbit and session.orbiting()
    name, point = session.nearest_subject()
    assert session.status == f"orbit {name}"
    np.testing.assert_array_equal(session.orbit_point(), point)
    session.do("view_stage")
    assert not session.orbiting()  # orbit drives the shot camera only
    session.do("view_camera")
    session.do("quit")  # Esc leaves orbit mode before it quits
    assert not session.orbit and session.status == "fly" and not session.should_close


# ---------------------------------------------------------------- lights, meter, tape (issue 16)
def test_add_a_fixture_aim_dim_cct_gel_and_spot_flood_each_undoable(session):
    """Each lighting edit is one undo step written into the file; undoing them all gives back
    the original text; the loaded light carries the library's photometrics."""
    from previs.core import fixtures as fx

    original = session.doc.text
    session.select(ObjectRef("character", "Mara"))
    ref = session.add_fixture("arri-m18", "spot", floor_m=[1.0, 0.0, 1.0])
    light = session.selected()
    assert light.fixture == "arri-m18" and light.setting == "spot"
    face = session.subject_face_m()
    d = face - np.array([1.0, 2.5, 1.0])
    assert np.allclose(light.direction, d / np.linalg.norm(d), atol=1e-5)  # aimed at Mara
    session.aim_selected([1.0, 0.0, 3.0])  # at a floor point (the T key)
    assert np.allclose(
        session.selected().direction,
        [0.0, -2.5 / np.hypot(2.5, 2.0), 2.0 / np.hypot(2.5, 2.0)],
        atol=1e-5,
    )
    session.dim_selected(-40.0)
    session.set_light(gel="half-cto")
    session.cycle_setting()
    lt = session.selected()
    want = fx.refit(
        fx.fixture_light("x", "arri-m18", [1.0, 2.5, 1.0], [1.0, 0.0, 3.0]),
        setting="flood",
        dimmer_pct=60.0,
        gel="half-cto",
    )
    assert (lt.setting, lt.dimmer_pct, lt.gel) == ("flood", 60.0, "half-cto")
    assert lt.intensity == pytest.approx(want.intensity, rel=1e-6)
    assert lt.kelvin == pytest.approx(want.kelvin, rel=1e-6)
    assert "dimmer_pct: 60" in session.doc.text and "gel: half-cto" in session.doc.text
    # an SkyPanel takes a CCT; a fixed-CCT M18 refuses one, the refusal changes nothing
    before = session.doc.text
    session.do("dim_up")  # through the key binding's action
    assert session.selected().dimmer_pct == 70.0
    session.undo()
    assert session.doc.text == before
    with pytest.raises(PrevisError):
        session.set_light(kelvin=3200)
    assert session.doc.text == before
    for _ in range(6):
        session.undo()
    assert session.doc.text == original
    session.select(None)
    session.add_fixture("skypanel-s60c", floor_m=[0.0, 0.0, 0.0])
    session.set_light(kelvin=3200)
    assert session.selected().fixture_kelvin == 3200
    assert ref.kind == "light"


def test_the_meter_in_the_session_is_core_meter(session):
    """The panel's numbers: read_face of the subject at this frame (the set as occluders), the
    key:fill between two chosen lights, the wall in stops, the distances."""
    from previs.core import collisions, meter
    from previs.core.stage_light import exposure_time_s

    assert session.meter() is None  # no subject yet
    session.select(ObjectRef("character", "Mara"))
    r = session.meter()
    st = session.state()
    want = meter.read_face(
        session.scene, st, "Mara", occluders=meter.primitive_boxes(session.scene)
    )
    assert r.lux == pytest.approx(want.lux) and r.t_stop == pytest.approx(want.t_stop)
    assert r.stops == pytest.approx(want.stops)
    session.meter_key, session.meter_fill = "key HMI", "tungsten fill"
    r2 = session.meter()
    want2 = meter.read_face(
        session.scene,
        st,
        "Mara",
        occluders=meter.primitive_boxes(session.scene),
        key="key HMI",
        fill="tungsten fill",
    )
    assert r2.key_fill_stops == pytest.approx(want2.key_fill_stops)
    t = exposure_time_s(st.shutter_angle_deg, st.frame_rate)
    assert session.wall_stops() == pytest.approx(
        meter.wall_stops(st.wall.brightness_nits, st.t_stop, t, st.iso)
    )
    tp = session.distances()
    ref = collisions.tape(session.scene, st, "Mara")
    assert tp.lens_to_subject_m == pytest.approx(ref.lens_to_subject_m)
    assert tp.subject_to_wall_m == pytest.approx(ref.subject_to_wall_m)
    # a light selected keeps the subject: the meter stays on Mara
    session.select(ObjectRef("light", "key HMI"))
    assert session.meter().subject == "Mara"


def test_tape_measure_between_two_floor_points(session):
    assert session.drop_tape([0.0, 0.0, 0.0]) is None
    assert session.drop_tape([3.0, 0.0, 4.0]) == pytest.approx(5.0)
    assert session.tape_m() == pytest.approx(5.0) and "5.00 m" in session.status
    assert session.drop_tape([1.0, 0.0, 1.0]) is None and session.tape_m() is None
    session.do("toggle_false_colour")
    assert session.false_colour


def test_live_blocking_checks_are_core_collisions(session):
    """The window's live checks report the overlaps and light stands in frame that
    previs.core.collisions finds for the frame on screen (a character dragged into another)."""
    from previs import check
    from previs.core import collisions
    from previs.view.live_checks import check_blocking

    dale = session.object_position(ObjectRef("character", "Dale"))
    session.move_object(ObjectRef("character", "Mara"), dale + np.array([0.1, 0.0, 0.0]))
    st = session.state()
    solids = check.set_solids(session.scene)
    b = check_blocking(session.scene, st, solids)
    want = collisions.overlaps(session.scene, st.poses or {}, solids=solids)
    assert b.overlaps == tuple(want) and b.in_frame == collisions.stands_in_frame(st)
    assert any({o.standin, o.other} == {"Mara", "Dale"} for o in b.overlaps)
    assert any("Mara" in p and "Dale" in p for p in b.problems)


# ---------------------------------------------------------------- marks and walks by clicking
def test_clicked_marks_become_a_walk_and_undo_to_the_same_bytes(session, scene_path):
    """Shift+G with a character selected: each floor click drops the next numbered mark there
    (within 1 cm of the clicked plan point), Enter writes a walk through them at 1.3 m/s from
    this frame; undoing it all gives back the file byte for byte."""
    from previs.core.frame import walk_poses
    from previs.view import editing
    from previs.view.session import WALK_MPS

    original = scene_path.read_bytes()
    rect, bounds = (0, 0, 800, 600), (-6.0, -5.0, 6.0, 4.0)
    session.select(ObjectRef("character", "Mara"))
    session.goto(10)
    session.do("toggle_marks")
    assert session.marking == "Mara"
    clicks = [(500.0, 420.0), (620.0, 300.0)]
    for px in clicks:
        x, z = editing.plan_point_m(rect, bounds, *px)
        session.drop_mark(np.array([x, 0.0, z]))
    session.do("end_marks")
    assert session.marking is None and "walks 1 > 2" in session.status
    shot = session.shot
    marks = {m.name: m.point_m for m in shot.marks if m.character == "Mara"}
    assert list(marks) == ["1", "2"]
    for name, px in zip(("1", "2"), clicks, strict=True):
        want = editing.plan_point_m(rect, bounds, *px)
        np.testing.assert_allclose([marks[name][0], marks[name][2]], want, atol=0.01)
    walk = next(w for w in shot.walks if w.character == "Mara")
    assert walk.marks == ("1", "2") and walk.start_frame == 10
    d = float(np.linalg.norm(np.subtract(marks["2"], marks["1"])))
    end = 10 + round(d / WALK_MPS * session.rate())
    at_start = walk_poses(session.scene, shot, 10)["Mara"][:3, 3]
    at_end = walk_poses(session.scene, shot, end + 1)["Mara"][:3, 3]
    np.testing.assert_allclose(at_start, marks["1"], atol=0.01)
    np.testing.assert_allclose(at_end, marks["2"], atol=0.01)
    session.save()
    assert "speed_mps: 1.3" in scene_path.read_text()
    for _ in range(3):
        session.undo()
    session.save()
    assert scene_path.read_bytes() == original


def test_marks_need_a_character(session):
    session.select(ObjectRef("set_piece", "bench"))
    with pytest.raises(PrevisError, match="cannot do that"):
        session.toggle_marks()
    session.select(ObjectRef("character", "Dale"))
    session.toggle_marks()
    session.drop_mark([0.0, 0.0, 1.0])
    session.escape()  # one mark: no walk, the mark stays
    assert session.marking is None and "needs two marks" in session.status
    assert any(m.character == "Dale" and m.name == "1" for m in session.shot.marks)


def test_properties_set_exact_values_one_undo_step_each(session, scene_path):
    original = scene_path.read_bytes()
    session.select(ObjectRef("set_piece", "bench"))
    session.set_selected_fields(position_m=[1.25, 0.0, -0.5], yaw_deg=30.0, scale=1.5)
    np.testing.assert_allclose(
        session.object_position(session.selection), [1.25, 0, -0.5], atol=1e-6
    )
    from previs.view import editing

    assert editing.yaw_deg(session.selected()) == pytest.approx(30.0)
    session.select(ObjectRef("character", "Mara"))
    session.set_selected_fields(height_m=1.62)
    assert "height_m: 1.62" in session.doc.text
    session.select(ObjectRef("light", "key HMI"))
    session.set_selected_fields(dimmer_pct=50.0)
    assert session.selected().dimmer_pct == 50.0
    for _ in range(5):
        session.undo()
    session.save()
    assert scene_path.read_bytes() == original


def test_add_a_mesh_file_and_a_bad_path_refused_in_one_line(session, scene_path):
    ref = session.add_mesh("geometry/diner.glb", [2.0, 0.0, 1.0])
    assert ref.kind == "set_piece" and session.selected() is not None
    n = len(session.doc.text)
    with pytest.raises(PrevisError) as e:
        session.add_mesh("geometry/nope.glb", [0.0, 0.0, 0.0])
    assert "\n" not in str(e.value) and "nope.glb" in str(e.value)
    assert len(session.doc.text) == n
