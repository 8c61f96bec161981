"""Camera takes in: every shot of the example exported as glTF, OpenTrackIO and .chan (``previs
export --what cameras``) and imported back (``previs take import``) evaluates, at every frame, to
the same pose (1 mm, 0.05°), focal length (0.1 mm) and focus (1 mm; .chan carries none); the
scene file keeps its comments and gets a .bak; the keys are few; hostile take files end in one
line naming the file and line or field."""

from __future__ import annotations

import json
import math
import shutil
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from previs.cli import main
from previs.core.animation import Channel, key
from previs.core.frame import evaluate
from previs.io.scene_file import load_scene
from previs.track import takes as tk

ROOT = Path(__file__).resolve().parents[1]
FORMATS = {"glb": ".glb", "opentrackio": ".opentrackio.json", "chan": ".chan"}


def _rot_err_deg(a: np.ndarray, b: np.ndarray) -> float:
    c = (np.trace(a[:3, :3].T @ b[:3, :3]) - 1.0) / 2.0
    return math.degrees(math.acos(min(1.0, max(-1.0, c))))


def _compare(orig_scene, orig_id, new_scene, new_id, *, lens=True, focus=True):
    a_shot, b_shot = orig_scene.shot(orig_id), new_scene.shot(new_id)
    assert b_shot.length_frames == a_shot.length_frames
    worst = [0.0, 0.0, 0.0, 0.0]
    for f in range(a_shot.length_frames):
        a, b = evaluate(orig_scene, a_shot, f), evaluate(new_scene, b_shot, f)
        worst[0] = max(worst[0], float(np.linalg.norm(a.position_m - b.position_m)))
        worst[1] = max(worst[1], _rot_err_deg(a.world_from_camera, b.world_from_camera))
        if lens:
            worst[2] = max(worst[2], abs(a.focal_length_mm - b.focal_length_mm))
        if focus:
            same_inf = math.isinf(a.focus_m) and math.isinf(b.focus_m)
            worst[3] = max(worst[3], 0.0 if same_inf else abs(a.focus_m - b.focus_m))
            assert a.t_stop == pytest.approx(b.t_stop, abs=tk.T_STOP_TOL)
    assert worst[0] <= tk.POSITION_TOL_M, f"{new_id}: position off by {worst[0] * 1000:.3f} mm"
    assert worst[1] <= tk.ANGLE_TOL_DEG, f"{new_id}: orientation off by {worst[1]:.4f} deg"
    assert worst[2] <= tk.FOCAL_TOL_MM, f"{new_id}: focal length off by {worst[2]:.4f} mm"
    assert worst[3] <= tk.FOCUS_TOL_M, f"{new_id}: focus off by {worst[3] * 1000:.3f} mm"
    return worst


@pytest.fixture(scope="module")
def roundtrip(tmp_path_factory):
    """The example scene copied, its cameras exported by the CLI, and every shot imported back
    by the CLI in every format."""
    base = tmp_path_factory.mktemp("takes")
    shutil.copytree(ROOT / "scenes", base / "scenes")
    scene_path = base / "scenes/led_stage.yaml"
    original_text = scene_path.read_text()
    assert (
        main(["export", str(scene_path), "--what", "cameras", "-o", str(base / "cams"), "-q"]) == 0
    )
    orig = load_scene(scene_path)
    for shot in orig.shots:
        for fmt, suffix in FORMATS.items():
            f = base / "cams/cameras" / f"{shot.id}{suffix}"
            assert (
                main(["take", "import", str(scene_path), str(f), "--shot-id", f"T{shot.id}-{fmt}"])
                == 0
            )
    return orig, load_scene(scene_path), scene_path, original_text


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_every_shot_round_trips_within_tolerance(roundtrip, fmt):
    orig, new, _, _ = roundtrip
    for shot in orig.shots:
        _compare(orig, shot.id, new, f"T{shot.id}-{fmt}", focus=fmt != "chan")


def test_chan_takes_get_the_packages_focus(roundtrip):
    orig, new, _, _ = roundtrip
    for shot in orig.shots:
        assert evaluate(new, f"T{shot.id}-chan", 0).focus_m == orig.camera.focus_m


def test_scene_file_keeps_comments_gets_backup_and_take_record(roundtrip):
    orig, new, path, original_text = roundtrip
    text = path.read_text()
    assert text.startswith(
        original_text.rstrip("\n").rsplit("\n", 1)[0][:2000]
    )  # the file's head is untouched
    for line in original_text.splitlines():
        if line.lstrip().startswith("#"):
            assert line in text  # every comment kept
    assert (path.parent / "led_stage.yaml.bak").is_file()
    t = new.shot("T3A-opentrackio").take
    assert t.frame_rate == Fraction(24) and t.timecode == "00:00:00:00"
    assert t.source.endswith("3A.opentrackio.json")
    assert new.shot("T3A-glb").take.timecode is None


def test_static_shots_stay_static_and_moves_need_few_keys(roundtrip):
    orig, new, _, _ = roundtrip
    for shot in orig.shots:
        for fmt in FORMATS:
            s = new.shot(f"T{shot.id}-{fmt}")
            if shot.is_static:
                assert s.is_static, f"{s.id} should be a still camera"
            n_keys = max((len(k) for _, k in s.keys), default=1)
            assert n_keys <= shot.length_frames // 2, (
                f"{s.id}: {n_keys} keys for {shot.length_frames} frames"
            )
    # the 60° orbit over 144 frames: far fewer keys than frames on every channel
    keys = dict(new.shot("T3B-opentrackio").keys)
    assert len(keys["position_m"]) < 72 and len(keys["pan_deg"]) < 40


def test_zoom_through_180_and_23976(tmp_path):
    """A zoom at 23.976 fps panning 300° through ±180°: the focal length follows within 0.1 mm and
    the pan never takes the short way the wrong way round."""
    from tests.test_camera_data import ZOOM_SCENE

    p = tmp_path / "zoom.yaml"
    p.write_text(ZOOM_SCENE)
    assert main(["export", str(p), "--what", "cameras", "-o", str(tmp_path / "c"), "-q"]) == 0
    for fmt, suffix in FORMATS.items():
        assert (
            main(
                [
                    "take",
                    "import",
                    str(p),
                    str(tmp_path / "c/cameras" / f"Z1{suffix}"),
                    "--shot-id",
                    f"Z-{fmt}",
                ]
            )
            == 0
        )
    orig = load_scene(p)
    for fmt in FORMATS:
        _compare(orig, "Z1", orig if False else load_scene(p), f"Z-{fmt}", focus=fmt != "chan")
    assert load_scene(p).shot("Z-opentrackio").take.frame_rate == Fraction(24000, 1001)


def test_reduction_is_exact_under_previs_interpolation():
    """The greedy keys of a noisy-free curve, evaluated by previs' own Channel, stay in tolerance
    at every frame; a straight line needs two keys; a step needs its corner."""
    v = np.linspace(0.0, 10.0, 500)
    assert tk.reduce_scalar(v, 1e-6) == [0, 499]
    curve = np.sin(np.linspace(0, 6, 400)) * 3.0
    idx = tk.reduce_scalar(curve, 0.001)
    ch = Channel("x", tuple(key(i, curve[i], "linear") for i in idx))
    assert np.max(np.abs(ch.evaluate_many(np.arange(400))[:, 0] - curve)) <= 0.001
    assert len(idx) < 120
    # angles more than 170° apart never share a segment (previs turns the short way)
    pan = np.linspace(0.0, 720.0, 100)
    idx = tk.reduce_scalar(pan, 0.01, max_step=170.0)
    assert all(abs(pan[b] - pan[a]) < 170.0 for a, b in zip(idx, idx[1:], strict=False))


def test_resampled_take_at_another_rate(tmp_path):
    """A 48 fps OpenTrackIO take lands on the scene's 24 fps frames (every other sample), keeps
    its rate and timecode."""
    scene = load_scene(ROOT / "scenes/led_stage.yaml")
    samples = []
    for i in range(97):
        samples.append(
            {
                "transforms": [
                    {
                        "translation": {"x": i * 0.01, "y": 0.0, "z": 1.5},
                        "rotation": {"pan": i * 0.25, "tilt": 0.0, "roll": 0.0},
                    }
                ],
                "lens": {"pinholeFocalLength": 35.0, "focusDistance": 3.0},
                "timing": {
                    "sampleRate": {"num": 48, "denom": 1},
                    "sequenceNumber": 1000 + i,
                    "timecode": {
                        "hours": 1,
                        "minutes": 2,
                        "seconds": 3,
                        "frames": 4,
                        "frameRate": {"num": 24, "denom": 1},
                    },
                },
            }
        )
    f = tmp_path / "take.jsonl"
    f.write_text("\n".join(json.dumps(s) for s in samples) + "\n")
    take = tk.read_take(f, scene)
    assert take.frame_rate == 48 and take.timecode == "01:02:03:04"
    shot = tk.take_shot(scene, take)
    assert shot.length_frames == 49
    x = shot.samples["position_m"][:, 0]
    assert x[10] == pytest.approx(0.20) and shot.samples["pan_deg"][48] == pytest.approx(24.0)
    assert shot.take == {"source": str(f), "frame_rate": 48, "timecode": "01:02:03:04"}
    # OpenTrackIO's stage (Z up, Y forward) is previs' (Y up, -Z forward): z = 1.5 m is height
    assert shot.samples["position_m"][0, 1] == pytest.approx(1.5)


def test_cbor_take(tmp_path, roundtrip):
    cbor2 = pytest.importorskip("cbor2")
    orig, _, _, _ = roundtrip
    src = json.loads(
        (Path(roundtrip[2]).parent.parent / "cams/cameras/3B.opentrackio.json").read_text()
    )
    f = tmp_path / "3B.cbor"
    f.write_bytes(b"".join(cbor2.dumps(s) for s in src))  # a CBOR sequence, one sample an item
    take = tk.read_take(f, orig)
    assert len(take.frames) == 144
    shot = tk.take_shot(orig, take)
    st = evaluate(orig, "3B", 100)
    assert np.allclose(shot.samples["position_m"][100], st.position_m, atol=1e-9)


# ---------------------------------------------------------------- hostile takes
def _otio_lines(n=5):
    return [
        json.dumps(
            {
                "transforms": [
                    {
                        "translation": {"x": 0.0, "y": -2.0, "z": 1.5},
                        "rotation": {"pan": float(i), "tilt": 0.0, "roll": 0.0},
                    }
                ],
                "lens": {"pinholeFocalLength": 35.0},
                "timing": {"sequenceNumber": i},
            }
        )
        for i in range(n)
    ]


HOSTILE = {
    "truncated.json": (
        "[\n" + ",\n".join(_otio_lines()) + ",\n" + _otio_lines()[0][:40],
        r"truncated.json:\d+: ",
    ),
    "nan.jsonl": (
        "\n".join(_otio_lines(3) + [_otio_lines()[0].replace("1.5", "NaN")]),
        r"nan.jsonl:4: .*NaN",
    ),
    "inf.json": (
        '{"transforms": [{"translation": {"x": 1e999, "y": 0, "z": 0}, "rotation": '
        '{"pan": 0, "tilt": 0, "roll": 0}}]}',
        r"inf.json:1: .*transforms\[0\]\.translation\.x",
    ),
    "wrong_schema.jsonl": (
        '{"transforms": "camera", "lens": {}}\n',
        r"wrong_schema.jsonl:1: transforms",
    ),
    "no_transforms.json": (
        '{"lens": {"pinholeFocalLength": 35}}',
        r"no_transforms.json:1: transforms: missing",
    ),
    "far.jsonl": (
        _otio_lines(1)[0].replace("-2.0", "-20000.0"),
        r"far.jsonl:1: transforms\[0\]\.translation\.y",
    ),
    "bad_focal.jsonl": (
        _otio_lines(1)[0].replace("35.0", "-3"),
        r"bad_focal.jsonl:1: lens\.pinholeFocalLength",
    ),
    "string.jsonl": (
        _otio_lines(1)[0].replace("35.0", '"wide"'),
        r"string.jsonl:1: lens\.pinholeFocalLength",
    ),
    "cols.chan": ("1 0 1.5 3 0 0 0 30\n2 0 1.5 3 0 0\n", r"cols.chan:2: 6 columns"),
    "word.chan": ("1 0 1.5 3 0 zero 0 30\n", r"word.chan:1: column 6 \(ry\)"),
    "nan.chan": ("1 0 1.5 3 0 0 0 30\n2 nan 1.5 3 0 0 0 30\n", r"nan.chan:2: column 2 \(tx\)"),
    "order.chan": (
        "5 0 1.5 3 0 0 0 30\n4 0 1.5 3 0 0 0 30\n",
        r"order.chan:2: frame 4 does not follow",
    ),
    "fov.chan": ("1 0 1.5 3 0 0 0 200\n", r"fov.chan:1: column 8 \(vfov\)"),
    "empty.json": ("", r"empty.json: the file is empty"),
    "short.glb": (
        b"glTF\x02\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 8,
        r"short.glb: the GLB says",
    ),
    "garbage.cbor": (b"\xff\xfe\x00\x01garbage", r"garbage.cbor: byte 0: not valid CBOR"),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_take_is_one_line(tmp_path, capsys, name):
    import re

    content, pattern = HOSTILE[name]
    shutil.copy(ROOT / "scenes/first_scene.yaml", tmp_path / "s.yaml")
    f = tmp_path / name
    f.write_bytes(content if isinstance(content, bytes) else content.encode())
    before = (tmp_path / "s.yaml").read_text()
    assert main(["take", "import", str(tmp_path / "s.yaml"), str(f), "--shot-id", "T1"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err
    assert re.search(pattern, err), err
    assert (tmp_path / "s.yaml").read_text() == before and not (tmp_path / "s.yaml.bak").exists()


def test_size_and_count_limits(tmp_path, monkeypatch):
    scene = load_scene(ROOT / "scenes/first_scene.yaml")
    f = tmp_path / "t.jsonl"
    f.write_text("\n".join(_otio_lines(20)) + "\n")
    monkeypatch.setattr(tk, "MAX_TAKE_BYTES", 100)
    with pytest.raises(tk.TakeError, match=r"t.jsonl: .* bytes; a take file is at most 100"):
        tk.read_take(f, scene)
    monkeypatch.setattr(tk, "MAX_TAKE_BYTES", 256 * 2**20)
    monkeypatch.setattr(tk, "MAX_TAKE_SAMPLES", 10)
    with pytest.raises(tk.TakeError, match=r"more than 10 samples"):
        tk.read_take(f, scene)


def test_existing_shot_id_refused(tmp_path, capsys):
    shutil.copy(ROOT / "scenes/first_scene.yaml", tmp_path / "s.yaml")
    f = tmp_path / "t.jsonl"
    f.write_text("\n".join(_otio_lines(5)) + "\n")
    sid = load_scene(tmp_path / "s.yaml").shots[0].id
    assert main(["take", "import", str(tmp_path / "s.yaml"), str(f), "--shot-id", sid]) == 2
    assert "already a shot" in capsys.readouterr().err
