"""The scene document behind the blocking window: exact camera keys, every edit undoable, saves
that keep comments and a backup, and recovery after a crash. Pure Python, no GL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from previs.core import transforms as tf
from previs.core.frame import evaluate, key_frames
from previs.errors import PrevisError, SceneError
from previs.io import load_scene
from previs.view import document
from previs.view.document import SceneDocument, backup_path, recovery_path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "scenes" / "led_stage.yaml"
LENS = ("focal_length_mm", "focus_m", "t_stop")

ZOOM_SCENE = """\
format_version: 1
name: zoom test
frame_rate: 24
camera:
  body: alexa-35
  lens_kit: angenieux-optimo-24-290
  t_stop: 4
  focus_m: 4
shots:
  - id: Z1
    scene: 1
    length_frames: 96
    camera:
      position_m: [0, 1.6, 5]
      pan_deg: 0
      focal_length_mm: 50
    moves:
      - {type: zoom, start_frame: 24, end_frame: 72, to_focal_length_mm: 100}
      - {type: handheld, start_frame: 0, end_frame: 95, amplitude_m: 0.02, amplitude_deg: 0.5}
"""


@pytest.fixture
def scene_path(tmp_path) -> Path:
    """The example scene copied to a fresh folder (its meshes linked, so they load once)."""
    (tmp_path / "geometry").symlink_to(ROOT / "scenes" / "geometry")
    path = tmp_path / "led_stage.yaml"
    path.write_bytes(EXAMPLE.read_bytes())
    return path


@pytest.fixture
def doc(scene_path) -> SceneDocument:
    return SceneDocument.open(scene_path)


def _wrap(a: float) -> float:
    return (a + 180.0) % 360.0 - 180.0


def assert_keyed(scene, shot_id: str, frame: int, values: dict) -> None:
    """The shot evaluated at ``frame`` shows ``values`` (1e-6 m, 1e-6 deg, lens exactly)."""
    st = evaluate(scene, shot_id, frame)
    if "position_m" in values:
        err = np.max(np.abs(st.world_from_camera[:3, 3] - np.asarray(values["position_m"])))
        assert err <= 1e-6, f"position off by {err} m at frame {frame}"
    angles = dict(
        zip(
            ("pan_deg", "tilt_deg", "roll_deg"),
            tf.pan_tilt_roll_of(st.world_from_camera),
            strict=True,
        )
    )
    for name, got in angles.items():
        if name in values:
            assert abs(_wrap(got - values[name])) <= 1e-6, (
                f"{name} {got} != {values[name]} at frame {frame}"
            )
    for name in LENS:
        if name in values:
            assert getattr(st, name) == values[name], name


def frames_of(scene, shot) -> list[int]:
    return sorted(set(key_frames(scene, shot)) | {0, shot.length_frames - 1})


def assert_same_shots(a, b) -> None:
    """Every shot of ``a`` and ``b`` evaluates alike at its key frames, first and last."""
    assert [s.id for s in a.shots] == [s.id for s in b.shots]
    for sa, sb in zip(a.shots, b.shots, strict=True):
        assert sa.length_frames == sb.length_frames
        for f in sorted(set(frames_of(a, sa)) | set(frames_of(b, sb))):
            ea, eb = evaluate(a, sa, f), evaluate(b, sb, f)
            np.testing.assert_allclose(
                ea.world_from_camera, eb.world_from_camera, atol=1e-9, err_msg=f"{sa.id} frame {f}"
            )
            assert (ea.focal_length_mm, ea.focus_m, ea.t_stop) == (
                eb.focal_length_mm,
                eb.focus_m,
                eb.t_stop,
            )


# ---------------------------------------------------------------- opening
def test_open_reads_the_file_as_load_scene_does(scene_path, doc):
    assert doc.text == scene_path.read_text()
    assert not doc.dirty and doc.revision == 0 and not doc.can_undo and not doc.can_redo
    assert_same_shots(doc.scene, load_scene(scene_path))
    with pytest.raises(SceneError) as err:
        SceneDocument.open(scene_path.with_name("missing.yaml"))
    assert "missing.yaml: no such file" in str(err.value)


# ---------------------------------------------------------------- camera keys
def test_frame_zero_of_a_static_shot_edits_its_camera_block(doc):
    focus_only = {"focus_m": 7.5}
    doc.set_camera_key("1A", 0, focus_only)
    assert "look_at_m: [-0.3, 1.3, -3.0]" in doc.text  # a lens change keeps the aim point
    assert_keyed(doc.scene, "1A", 0, focus_only)

    values = {
        "position_m": [0.31, 1.62, 7.04],
        "pan_deg": 4.5,
        "tilt_deg": -2.25,
        "roll_deg": 1.5,
        "focal_length_mm": 29.0,
        "focus_m": 8.125,
        "t_stop": 2.8,
    }
    doc.set_camera_key("1A", 0, values)
    shot = doc.scene.shot("1A")
    assert shot.is_static and not shot.keys  # a static shot stays static
    assert shot.camera.look_at_m is None and "# was look_at_m: [-0.3, 1.3, -3]" in doc.text
    for f in (0, 479):
        assert_keyed(doc.scene, "1A", f, values)
    assert doc.scene.shot("1B") is not None and doc.revision == 2


def test_unchanged_values_at_frame_zero_write_nothing(doc):
    now = doc.camera_at("1B", 0)
    doc.set_camera_key("1B", 0, now)
    assert not doc.dirty and not doc.can_undo and "look_at_m: [-0.1, 1.35, -1.4]" in doc.text


def test_a_key_at_another_frame_makes_a_keyed_shot(doc):
    before = doc.camera_at("1B", 0)
    values = {"position_m": [0.4, 1.5, 2.2], "pan_deg": 12.0, "tilt_deg": 3.0, "focus_m": 3.25}
    doc.set_camera_key("1B", 200, values)
    shot = doc.scene.shot("1B")
    assert not shot.is_static and {n for n, _ in shot.keys} == set(values)
    assert doc.explicit_key_frames("1B") == [200]
    assert 200 in doc.key_frames("1B")
    assert_keyed(doc.scene, "1B", 200, values)
    assert_keyed(doc.scene, "1B", 0, before)  # frame 0 is where it was
    assert_keyed(doc.scene, "1B", 287, values)  # after the last key the camera holds
    # keying the same frame again replaces the key
    doc.set_camera_key("1B", 200, {"pan_deg": -20.0})
    assert_keyed(doc.scene, "1B", 200, {**values, "pan_deg": -20.0})
    assert doc.explicit_key_frames("1B") == [200]


def test_a_key_inside_a_move_bakes_it_and_passes_through_the_key(doc):
    before = {f: doc.camera_at("3B", f) for f in range(144)}
    values = {"position_m": [-1.9, 1.55, 1.8], "pan_deg": -35.0, "tilt_deg": 1.0}
    doc.set_camera_key("3B", 70, values)  # inside the orbit (frames 0-143)
    shot = doc.scene.shot("3B")
    assert shot.moves == () and {n for n, _ in shot.keys} == {"position_m", "pan_deg", "tilt_deg"}
    assert_keyed(doc.scene, "3B", 70, values)
    for f in (0, 143):  # the offset fades out to the move's ends
        assert_keyed(
            doc.scene, "3B", f, {k: before[f][k] for k in ("position_m", "pan_deg", "tilt_deg")}
        )
    # Every frame follows the orbit plus the eased offset (in over 0-70, out over 70-143).
    shift = np.asarray(values["position_m"]) - before[70]["position_m"]
    tilt_shift = 1.0 - before[70]["tilt_deg"]
    for f in range(144):
        t = f / 70 if f <= 70 else (143 - f) / 73
        w = t * t * (3 - 2 * t)
        assert_keyed(
            doc.scene,
            "3B",
            f,
            {
                "position_m": before[f]["position_m"] + w * shift,
                "tilt_deg": before[f]["tilt_deg"] + w * tilt_shift,
            },
        )
    # a lens key inside a move on another channel leaves the move alone
    doc.set_camera_key("3A", 30, {"focus_m": 4.5})
    assert [m.type for m in doc.scene.shot("3A").moves] == ["dolly", "rack_focus"]
    assert_keyed(doc.scene, "3A", 30, {"focus_m": 4.5})


def test_a_key_at_a_move_end_edits_the_move(doc):
    # focus at the end of the rack: the rack now ends there (still a move)
    doc.set_camera_key("3A", 100, {"focus_m": 2.75})
    assert [m.type for m in doc.scene.shot("3A").moves] == ["dolly", "rack_focus"]
    assert doc.scene.shot("3A").moves[1].params == {"to_focus_m": 2.75}
    assert_keyed(doc.scene, "3A", 100, {"focus_m": 2.75})
    # further along the dolly's own line: its distance changes
    end = doc.camera_at("3A", 119)["position_m"]
    start = doc.camera_at("3A", 0)["position_m"]
    farther = end + 0.25 * (end - start) / np.linalg.norm(end - start)
    doc.set_camera_key("3A", 119, {"position_m": farther})
    dolly = doc.scene.shot("3A").moves[0]
    assert dolly.type == "dolly" and dolly.params["distance_m"] == pytest.approx(2.25, abs=1e-6)
    assert_keyed(doc.scene, "3A", 119, {"position_m": farther})
    assert doc.scene.shot("3A").keys == ()


def test_a_key_after_a_move_does_not_start_the_camera_early(doc):
    doc.edit(
        "dolly later", lambda t: t["shots"][8]["moves"][0].update(start_frame=24, end_frame=72)
    )
    still = doc.camera_at("3A", 0)
    values = {"position_m": [0.6, 1.5, 1.2]}
    doc.set_camera_key("3A", 110, values)
    assert_keyed(doc.scene, "3A", 110, values)
    for f in (0, 12, 24):  # held until the dolly starts
        assert_keyed(doc.scene, "3A", f, {"position_m": still["position_m"]})
    assert doc.explicit_key_frames("3A") == [24, 110]


def test_zoom_end_and_handheld_keys_are_exact(tmp_path):
    path = tmp_path / "zoom.yaml"
    path.write_text(ZOOM_SCENE)
    doc = SceneDocument.open(path)
    doc.set_camera_key("Z1", 72, {"focal_length_mm": 120.0})  # the zoom's end: its target
    assert [m.type for m in doc.scene.shot("Z1").moves] == ["zoom", "handheld"]
    assert_keyed(doc.scene, "Z1", 72, {"focal_length_mm": 120.0})
    # inside the shake: the keyed pose is what the frame shows, and the shake is still there
    values = {"position_m": [0.5, 1.7, 4.0], "pan_deg": 8.0, "tilt_deg": -4.0, "roll_deg": 0.5}
    doc.set_camera_key("Z1", 40, values)
    assert_keyed(doc.scene, "Z1", 40, values)
    assert "handheld" in [m.type for m in doc.scene.shot("Z1").moves]
    key = dict(doc.scene.shot("Z1").keys)["position_m"]
    written = next(k.value for k in key if k.frame == 40)
    assert (
        1e-4 < np.max(np.abs(np.subtract(written, values["position_m"]))) < 0.03
    )  # shake taken off


def test_prime_lens_changes_for_the_whole_shot(doc):
    doc.set_camera_key("1B", 100, {"focal_length_mm": 58.0, "pan_deg": 5.0})
    for f in (0, 100, 287):
        assert evaluate(doc.scene, "1B", f).focal_length_mm == 58.0
    assert "focal_length_mm" not in dict(doc.scene.shot("1B").keys)


def test_delete_camera_key(doc):
    doc.set_camera_key("1C", 48, {"pan_deg": 10.0})
    doc.set_camera_key("1C", 96, {"pan_deg": 20.0, "focus_m": 3.0})
    assert doc.explicit_key_frames("1C") == [48, 96]
    doc.delete_camera_key("1C", 48)
    assert doc.explicit_key_frames("1C") == [96] and doc.undo_label == "Delete key 1C @ 48"
    doc.delete_camera_key("1C", 96)
    assert (
        doc.scene.shot("1C").is_static
        and "keys:" not in doc.text.split("id: 1C")[1].split("- id:")[0]
    )
    with pytest.raises(SceneError, match="no camera key at frame 96"):
        doc.delete_camera_key("1C", 96)


# ---------------------------------------------------------------- validation
def test_a_bad_edit_names_field_and_line_and_changes_nothing(doc):
    text, scene, rev = doc.text, doc.scene, doc.revision
    with pytest.raises(SceneError) as err:
        doc.edit("bad lens", lambda t: t["shots"][1]["camera"].__setitem__("focal_length_mm", 41))
    e = err.value
    assert e.field == "shots[1].camera.focal_length_mm"
    line = next(
        i
        for i, ln in enumerate(doc.text.splitlines(), 1)
        if ln.strip() == "focal_length_mm: 40"
        and i > doc.text[: doc.text.index("id: 1B")].count("\n")
    )
    assert e.line == line and e.file == str(doc.path)
    with pytest.raises(SceneError) as err:
        doc.set_camera_key("1A", 0, {"tilt_deg": 95.0})
    assert err.value.field == "shots[0].camera.tilt_deg" and "at most 90" in str(err.value)
    with pytest.raises(SceneError, match="duplicate shot id '1B'"):
        doc.rename_shot("1A", "1B")
    with pytest.raises(SceneError, match="frames 0..479; frame 480"):
        doc.set_camera_key("1A", 480, {"pan_deg": 1.0})
    with pytest.raises(SceneError, match="no shot '1Z'"):
        doc.delete_shot("1Z")
    with pytest.raises(SceneError, match="no channel 'pan'"):
        doc.set_camera_key("1A", 0, {"pan": 1.0})
    with pytest.raises(SceneError, match="end_frame 95 is past the shot's last frame 94"):
        doc.set_shot_fields("3C", length_frames=95)  # its wall cues run to frame 95
    assert (doc.text, doc.scene, doc.revision) == (text, scene, rev) and not doc.dirty


# ---------------------------------------------------------------- undo and redo
def test_undo_and_redo_every_kind_of_edit(doc):
    original = doc.text
    edits = [
        ("Key 1A @ 0", lambda: doc.set_camera_key("1A", 0, {"focus_m": 6.0})),
        ("Key 1B @ 24", lambda: doc.set_camera_key("1B", 24, {"pan_deg": 3.0})),
        ("Delete key 1B @ 24", lambda: doc.delete_camera_key("1B", 24)),
        ("Edit shot 1C", lambda: doc.set_shot_fields("1C", description="OTS, wider", notes="new")),
        (
            "Add shot 4A",
            lambda: doc.add_shot(
                "4A",
                camera={"position_m": [0, 1.6, 4], "pan_deg": 0, "focal_length_mm": 40},
                scene_label="4",
                length_frames=48,
            ),
        ),
        ("Duplicate shot 1D as 1D2", lambda: doc.duplicate_shot("1D", "1D2")),
        ("Rename shot 1E to 1E-alt", lambda: doc.rename_shot("1E", "1E-alt")),
        ("Delete shot 1F", lambda: doc.delete_shot("1F")),
        ("tweak", lambda: doc.edit("tweak", lambda t: t.__setitem__("name", "Diner v2"))),
    ]
    texts, scenes = [doc.text], [doc.scene]
    for label, fn in edits:
        fn()
        assert doc.undo_label == label and doc.dirty
        texts.append(doc.text)
        scenes.append(doc.scene)
    assert doc.revision == len(edits) and len(set(texts)) == len(texts)
    for k in reversed(range(len(edits))):
        assert doc.undo() == edits[k][0]
        assert doc.text == texts[k] and doc.scene is not scenes[k]
        assert [s.id for s in doc.scene.shots] == [s.id for s in scenes[k].shots]
    assert doc.undo() is None and doc.text == original and not doc.dirty
    for k in range(len(edits)):
        assert doc.redo() == edits[k][0] and doc.text == texts[k + 1]
    assert doc.redo() is None and doc.revision == 3 * len(edits)
    doc.undo()
    doc.undo()
    assert doc.can_redo and doc.redo_label == "Delete shot 1F"
    doc.rename_shot("1A", "1A-new")  # a new edit drops what could be redone
    assert not doc.can_redo and doc.redo() is None and doc.undo_label == "Rename shot 1A to 1A-new"


def test_history_is_bounded(doc, monkeypatch):
    monkeypatch.setattr(document, "HISTORY", 3)
    for k in range(5):
        doc.set_shot_fields("1A", notes=f"take {k}")
    undone = []
    while doc.can_undo:
        undone.append(doc.undo())
    assert len(undone) == 3 and "notes: take 1" in doc.text


# ---------------------------------------------------------------- saving
def test_save_writes_what_load_scene_reads_back(doc, scene_path):
    keyed = {}
    doc.set_camera_key("1A", 0, {"position_m": [0.4, 1.65, 7.2], "pan_deg": 3.0})
    keyed[("1B", 120)] = {
        "position_m": [0.2, 1.5, 2.0],
        "pan_deg": 6.5,
        "tilt_deg": -1.0,
        "focus_m": 3.5,
    }
    keyed[("3A", 60)] = {"position_m": [0.2, 1.5, 2.9], "pan_deg": -5.0}
    keyed[("3B", 100)] = {"focus_m": 3.75, "roll_deg": 2.5}
    keyed[("3C", 48)] = {"pan_deg": -15.0, "t_stop": 5.6}
    for (shot, frame), values in keyed.items():
        doc.set_camera_key(shot, frame, values)
    doc.set_camera_key("1B", 200, {"roll_deg": 2.0})
    doc.delete_camera_key("1B", 200)
    doc.set_shot_fields("1D", notes="reverse, wider", length_frames=200)
    doc.add_shot(
        "4A",
        camera={
            "position_m": [1, 1.4, 3],
            "look_at_m": [0, 1.5, -1],
            "focal_length_mm": 35,
            "focus_m": 4.2,
        },
        scene_label="4",
        length_frames=72,
        description="NEW",
    )
    doc.duplicate_shot("1D", "1D2")
    doc.rename_shot("2A", "2A-insert")
    doc.delete_shot("1E")
    assert doc.save() == scene_path and not doc.dirty
    assert scene_path.read_text() == doc.text
    again = load_scene(scene_path)
    assert_same_shots(doc.scene, again)
    for (shot, frame), values in keyed.items():
        assert_keyed(again, shot, frame, values)
    assert [s.id for s in again.shots] == [
        "1A",
        "1B",
        "1C",
        "1D",
        "1D2",
        "1F",
        "2A-insert",
        "2B",
        "3A",
        "3B",
        "3C",
        "4A",
    ]


def test_comments_survive_edits_and_save(scene_path):
    text = scene_path.read_text().replace("shots:\n", "# BEFORE THE SHOTS\nshots:\n")
    scene_path.write_text(text + "# AFTER THE LAST SHOT\n")
    doc = SceneDocument.open(scene_path)
    doc.duplicate_shot("2B", "2B2")
    doc.set_camera_key("3B", 50, {"pan_deg": -20.0})  # bakes the orbit, the last move of 3B
    doc.add_shot(
        "4A",
        camera={"position_m": [0, 1.6, 4], "pan_deg": 0, "focal_length_mm": 40},
        scene_label="4",
        length_frames=24,
    )
    doc.delete_shot("1C")
    doc.save()
    saved = scene_path.read_text()
    for comment in (
        "# previs scene file: a roadside diner",
        "# BEFORE THE SHOTS",
        "# AFTER THE LAST SHOT",
        "# ---- moving shots",
        "# Mara's eyes",
        "# named moves; each starts where",
        "# lens 35 cm off the floor",
        "# stand-ins walking through floor points",
    ):
        assert saved.count(comment) == {"# lens 35 cm off the floor": 2}.get(comment, 1), comment
    lines = saved.splitlines()
    assert lines[0].startswith("# previs scene file") and lines[-1] == "# AFTER THE LAST SHOT"
    assert lines.index("# BEFORE THE SHOTS") + 1 == lines.index("shots:")
    heading = next(i for i, ln in enumerate(lines) if "# ---- moving shots" in ln)
    assert (
        lines[heading + 1] == "  - id: 3A" and lines[heading - 1] == ""
    )  # still heads the moving shots
    assert "  - id: 4A" in lines[-12:]
    # untouched parts are byte for byte what the user wrote
    head = text[: text.index("# BEFORE THE SHOTS")]
    assert saved.startswith(head)


def test_save_keeps_a_backup_of_the_file_it_replaces(doc, scene_path):
    original = scene_path.read_bytes()
    doc.set_shot_fields("1A", notes="first")
    doc.save()
    bak = backup_path(scene_path)
    assert bak == scene_path.with_name("led_stage.yaml.bak") and bak.read_bytes() == original
    doc.set_shot_fields("1A", notes="second")
    doc.save()  # the same session: the backup still holds the file as it was opened
    assert bak.read_bytes() == original and "notes: second" in scene_path.read_text()
    scene_path.write_text(scene_path.read_text().replace("notes: second", "notes: by hand"))
    outside = scene_path.read_bytes()
    doc.set_shot_fields("1A", notes="third")
    doc.save()  # someone changed the file meanwhile: that version is kept
    assert bak.read_bytes() == outside and "notes: third" in scene_path.read_text()


def test_a_failed_save_leaves_the_file_intact(doc, scene_path, tmp_path):
    original = scene_path.read_bytes()
    doc.set_shot_fields("1A", notes="unsaved")
    backup_path(scene_path).mkdir()  # the backup cannot be written
    (backup_path(scene_path) / "x").write_text("x")
    with pytest.raises(PrevisError, match="cannot save .*the file on disk is unchanged"):
        doc.save()
    assert scene_path.read_bytes() == original and doc.dirty
    elsewhere = tmp_path / "other" / "led_stage.yaml"
    elsewhere.parent.mkdir()
    with pytest.raises(
        SceneError, match="environment.gltf: environment file 'geometry/desert.glb' not found"
    ):
        doc.save(elsewhere)  # its relative meshes are not there
    assert not elsewhere.exists() and doc.path == scene_path
    if os.geteuid() != 0:  # root writes into read-only folders
        (backup_path(scene_path) / "x").unlink()
        backup_path(scene_path).rmdir()
        scene_path.parent.chmod(0o555)
        try:
            with pytest.raises(PrevisError, match="cannot save"):
                doc.save()
        finally:
            scene_path.parent.chmod(0o755)
        assert scene_path.read_bytes() == original


# ---------------------------------------------------------------- recovery
_CRASH = textwrap.dedent("""\
    import sys, time
    from previs.view.document import SceneDocument
    doc = SceneDocument.open(sys.argv[1])
    doc.set_camera_key("Z1", 12, {"position_m": [0.25, 1.5, 4.25], "pan_deg": 7.5, "focus_m": 3.5})
    doc.rename_shot("Z1", "Z1-b")
    print(doc.autosave(), flush=True)
    time.sleep(60)
""")


def test_a_killed_session_leaves_edits_that_come_back(tmp_path):
    scene_path = tmp_path / "zoom.yaml"
    scene_path.write_text(ZOOM_SCENE)
    original = scene_path.read_bytes()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", _CRASH, str(scene_path)], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        written = proc.stdout.readline().strip()
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    assert written == str(recovery_path(scene_path)) == str(tmp_path / ".zoom.yaml.recovery")
    assert scene_path.read_bytes() == original
    assert SceneDocument.recovery_for(scene_path) == recovery_path(scene_path)
    doc = SceneDocument.open_recovery(scene_path)
    assert doc.path == scene_path and doc.dirty
    keyed = {"position_m": [0.25, 1.5, 4.25], "pan_deg": 7.5, "focus_m": 3.5}
    assert [s.id for s in doc.scene.shots] == ["Z1-b"]
    assert_keyed(doc.scene, "Z1-b", 12, keyed)
    doc.save()
    assert not recovery_path(scene_path).exists() and SceneDocument.recovery_for(scene_path) is None
    assert_keyed(load_scene(scene_path), "Z1-b", 12, keyed)


def test_recovery_is_offered_only_for_its_own_newer_file(doc, scene_path, tmp_path):
    assert doc.autosave() is None  # nothing unsaved
    doc.set_shot_fields("1A", notes="unsaved")
    rec = doc.autosave()
    assert rec == recovery_path(scene_path) and SceneDocument.recovery_for(scene_path) == rec
    # the scene saved after the recovery was written: not offered
    st = rec.stat()
    os.utime(scene_path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    assert SceneDocument.recovery_for(scene_path) is None
    os.utime(scene_path, ns=(st.st_atime_ns, st.st_mtime_ns - 10**9))
    assert SceneDocument.recovery_for(scene_path) == rec
    # the same name in another folder: the recovery names a different file
    other = tmp_path / "copy"
    other.mkdir()
    (other / "led_stage.yaml").write_bytes(scene_path.read_bytes())
    (other / rec.name).write_bytes(rec.read_bytes())
    os.utime(other / "led_stage.yaml", ns=(st.st_atime_ns, st.st_mtime_ns - 10**9))
    assert SceneDocument.recovery_for(other / "led_stage.yaml") is None
    with pytest.raises(SceneError, match="no recovery file"):
        SceneDocument.open_recovery(other / "led_stage.yaml")
    doc.discard_recovery()
    assert not rec.exists()
    doc.autosave()
    doc.undo()  # back to the saved text: nothing to recover
    assert doc.autosave() is None and not rec.exists()


def test_recovery_carries_an_unkeyed_camera_and_survives_a_damaged_one(doc, scene_path):
    """The window's unkeyed camera rides in the recovery file (even with no unsaved edit); one
    that is damaged or names a shot that is gone is dropped, the recovered edits are not."""
    import json

    live = {
        "shot": "3A",
        "frame": 12,
        "values": {
            "position_m": [0.1, 1.6, 3.0],
            "pan_deg": 5.0,
            "tilt_deg": -2.0,
            "roll_deg": 0.0,
            "focal_length_mm": 40.0,
            "focus_m": 4.0,
            "t_stop": 4.0,
        },
    }
    rec = doc.autosave(live)
    assert rec is not None and not doc.dirty
    assert SceneDocument.open_recovery(scene_path).recovered_camera == live
    doc.set_shot_fields("1A", notes="unsaved")
    for bad in (
        {**live, "shot": "9Z"},
        {**live, "frame": 10**6},
        {**live, "values": {"pan_deg": "left"}},
        {**live, "values": {**live["values"], "focus_m": float("nan")}},
        "camera",
    ):
        rec = doc.autosave(bad)
        got = SceneDocument.open_recovery(scene_path)
        assert got.recovered_camera is None, bad
        assert got.scene.shot("1A").notes == "unsaved"
    json.loads(rec.read_text())  # still a readable file
    assert doc.autosave(None) == rec  # the edit alone still needs it


# ---------------------------------------------------------------- blocking edits
def test_blocking_edits_write_the_file_round_trip_and_undo_to_the_same_bytes(doc):
    original = doc.text
    doc.move_piece("oil drum", (0.5, 0, -4.0))
    doc.rotate_piece("crates", 45)
    doc.scale_piece("crates", 1.5)
    doc.move_piece("Mara", (1.0, 0, -2.0))
    doc.rotate_piece("Mara", 10)
    twin = doc.duplicate_piece("Dale")
    box = doc.add_piece("box", (1, 0, 1))
    doc.add_piece("character", (0, 0, 0), name="Extra")
    doc.move_light("key HMI", (3, 4, 3))
    doc.aim_light("key HMI", (0, 1.5, 0))
    spot = doc.add_light((1, 3, 1), (0, 1, 0))
    doc.move_mark("3C", "Attendant", 2, (2.7, 0, -1.5))
    doc.delete_piece(box)
    s = doc.scene
    piece = {p.name: p for p in s.set_pieces}
    assert np.allclose(piece["oil drum"].world_from_local[:3, 3], (0.5, 0, -4.0))
    assert np.allclose(piece["Mara"].world_from_local[:3, 3], (1.0, 0, -2.0))
    assert np.allclose(
        piece["crates"].world_from_local[:3, 2],
        np.array([np.sin(np.pi / 4), 0, np.cos(np.pi / 4)]) * 1.5,
    )
    assert np.allclose(piece[twin].world_from_local[:3, 3], (-0.1, 0, -0.7))  # Dale + (0.5, 0, 0.5)
    assert "Extra" in piece and box not in piece
    key = next(lt for lt in s.lights if lt.name == "key HMI")
    d = np.array([0, 1.5, 0]) - np.array([3, 4, 3])
    assert np.allclose(key.position_m, (3, 4, 3)) and np.allclose(
        key.direction, d / np.linalg.norm(d)
    )
    assert any(lt.name == spot for lt in s.lights)
    assert next(m for m in s.shot("3C").marks if m.name == "2").point_m == (2.7, 0.0, -1.5)
    # Comments stay: the line "facing_deg: 10   # facing Dale" keeps its comment.
    assert "# facing Dale" in doc.text and "# between Mara and Dale" in doc.text
    while doc.undo():
        pass
    assert doc.text == original


def test_blocking_edits_refused_change_nothing(doc):
    before = doc.text
    with pytest.raises(PrevisError, match="no set piece or character 'Nobody'"):
        doc.move_piece("Nobody", (0, 0, 0))
    with pytest.raises(PrevisError, match="directional"):
        doc.move_light("sun", (0, 1, 0))
    with pytest.raises(PrevisError, match="character"):
        doc.delete_piece("Attendant")  # shots still name him
    with pytest.raises(PrevisError, match="positive"):
        doc.scale_piece("crates", 0)
    assert doc.text == before and not doc.can_undo
