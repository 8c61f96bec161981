"""Camera data per shot: the .glb opens in a glTF loader and its animated camera is the shot's
camera at every frame; OpenTrackIO samples validate against the published schema and carry the
pose in Z-up axes; the .chan lines rebuild the pose in Nuke's ZXY order; the .usda reads back in
USD with the same field of view and pose. Every number is compared with ``evaluate``."""

from __future__ import annotations

import json
import math
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from previs.core.frame import evaluate
from previs.errors import ExportError, PrevisError
from previs.export import camera_data as cd
from previs.io.scene_file import load_scene

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = Path(__file__).resolve().parents[1].parent / "shared/reference/opentrackio/schema.json"

# A zoom on the Optimo 24-290 at 23.976 fps: the field of view changes every frame and the frame
# times are not whole multiples of 1/24 s; the camera pans 300 deg meanwhile, through +-180 deg.
ZOOM_SCENE = """\
format_version: 1
name: zoom test
frame_rate: "24000/1001"
set:
  - {name: marker, type: box, size_m: [0.5, 0.5, 0.5], translation_m: [0.0, 0.0, -6.0], color: "#ff0000"}
camera:
  body: alexa-35
  mode: 4.6k-3-2-og
  lens_kit: angenieux-optimo-24-290
  t_stop: 4
  focus_m: 6
shots:
  - id: Z1
    scene: 1
    length_frames: 49
    camera:
      position_m: [0.2, 1.5, 2.0]
      pan_deg: 10
      tilt_deg: -5
      roll_deg: 3
      focal_length_mm: 30
    moves:
      - {type: zoom, start_frame: 0, end_frame: 48, to_focal_length_mm: 120, interp: ease}
      - {type: pan, start_frame: 0, end_frame: 48, angle_deg: 300, interp: linear}
"""

MOVING = ("2B", "3A", "3B")  # static with pan/tilt, the dolly with a rack, the orbit


@pytest.fixture(scope="module")
def stage():
    return load_scene(ROOT / "scenes/led_stage.yaml")


@pytest.fixture(scope="module")
def zoom_scene(tmp_path_factory):
    p = tmp_path_factory.mktemp("zoom") / "zoom.yaml"
    p.write_text(ZOOM_SCENE)
    return load_scene(p)


@pytest.fixture(scope="module")
def stage_out(stage, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cameras")
    paths = cd.export_camera_data(stage, list(MOVING), out)
    assert [p.name for p in paths[:4]] == ["2B.glb", "2B.opentrackio.json", "2B.chan", "2B.usda"]
    assert len(paths) == 12 and all(p.is_file() for p in paths)
    return out


@pytest.fixture(scope="module")
def zoom_out(zoom_scene, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("zoomcams")
    cd.export_camera_data(zoom_scene, ["Z1"], out)
    return out


def _scene_for(shot_id, stage, zoom_scene):
    return zoom_scene if shot_id == "Z1" else stage


def _out_for(shot_id, stage_out, zoom_out):
    return zoom_out if shot_id == "Z1" else stage_out


def _rx(d):
    c, s = math.cos(math.radians(d)), math.sin(math.radians(d))
    return np.array([[1, 0, 0], [0, c, -s], [0, s, c]])


def _ry(d):
    c, s = math.cos(math.radians(d)), math.sin(math.radians(d))
    return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])


def _rz(d):
    c, s = math.cos(math.radians(d)), math.sin(math.radians(d))
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])


# ---------------------------------------------------------------- glTF, read with pygltflib
def _read_accessor(g, index: int) -> np.ndarray:
    acc = g.accessors[index]
    view = g.bufferViews[acc.bufferView]
    dtype = {5126: np.float32, 5125: np.uint32, 5123: np.uint16}[acc.componentType]
    width = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4}[acc.type]
    start = (view.byteOffset or 0) + (acc.byteOffset or 0)
    data = np.frombuffer(g.binary_blob(), dtype=dtype, count=acc.count * width, offset=start)
    return data.reshape(acc.count, width) if width > 1 else data


def _sample(times: np.ndarray, values: np.ndarray, t: float, slerp: bool = False) -> np.ndarray:
    """glTF LINEAR interpolation at time t (lerp; slerp for rotations)."""
    times = times.astype(np.float64)
    values = values.astype(np.float64)
    if t <= times[0]:
        return values[0]
    if t >= times[-1]:
        return values[-1]
    i = int(np.searchsorted(times, t, side="right")) - 1
    u = (t - times[i]) / (times[i + 1] - times[i])
    a, b = values[i], values[i + 1]
    if not slerp:
        return a + u * (b - a)
    d = float(np.dot(a, b))
    if d < 0:  # glTF: the shortest path
        b, d = -b, -d
    if d > 0.9995:
        q = a + u * (b - a)
    else:
        th = math.acos(d)
        q = (math.sin((1 - u) * th) * a + math.sin(u * th) * b) / math.sin(th)
    return q / np.linalg.norm(q)


def _matrix_from_tq(t, q) -> np.ndarray:
    x, y, z, w = q
    r = np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
        ]
    )
    m = np.eye(4)
    m[:3, :3], m[:3, 3] = r, t
    return m


@pytest.mark.parametrize("shot_id", [*MOVING, "Z1"])
def test_glb_camera_follows_the_shot_at_every_frame(
    shot_id, stage, zoom_scene, stage_out, zoom_out
):
    pygltflib = pytest.importorskip(
        "pygltflib", reason="pygltflib (a test dependency) is not installed"
    )
    scene = _scene_for(shot_id, stage, zoom_scene)
    shot = scene.shot(shot_id)
    g = pygltflib.GLTF2().load(str(_out_for(shot_id, stage_out, zoom_out) / f"{shot_id}.glb"))
    assert g.asset.version == "2.0"
    assert g.extensionsUsed == ["KHR_animation_pointer"] and not g.extensionsRequired
    (cam_node,) = [i for i, n in enumerate(g.nodes) if n.camera is not None]
    assert cam_node in g.scenes[g.scene].nodes
    cam = g.cameras[g.nodes[cam_node].camera]
    s0 = evaluate(scene, shot, 0)
    assert cam.type == "perspective"
    assert cam.perspective.yfov == pytest.approx(s0.yfov_rad, abs=1e-9)
    assert cam.perspective.aspectRatio == pytest.approx(s0.image_aspect, abs=1e-9)
    assert 0 < cam.perspective.znear < 0.5 < 100 < cam.perspective.zfar
    # the node's rest pose is frame 0
    rest = _matrix_from_tq(g.nodes[cam_node].translation, g.nodes[cam_node].rotation)
    np.testing.assert_allclose(rest, s0.world_from_camera, atol=1e-9)

    (anim,) = g.animations
    by_path, fov_sampler = {}, None
    for ch in anim.channels:
        if ch.target.path == "pointer":
            assert ch.target.node is None  # KHR_animation_pointer: node MUST NOT be set
            assert (
                ch.target.extensions["KHR_animation_pointer"]["pointer"]
                == "/cameras/0/perspective/yfov"
            )
            fov_sampler = anim.samplers[ch.sampler]
        else:
            assert ch.target.node == cam_node
            by_path[ch.target.path] = anim.samplers[ch.sampler]
    assert set(by_path) == {"translation", "rotation"} and fov_sampler is not None
    for s in (*by_path.values(), fov_sampler):
        assert s.interpolation == "LINEAR"
    times = _read_accessor(g, by_path["translation"].input)
    assert len(times) == shot.length_frames
    trans, rot = (
        _read_accessor(g, by_path["translation"].output),
        _read_accessor(g, by_path["rotation"].output),
    )
    fov_times, fovs = _read_accessor(g, fov_sampler.input), _read_accessor(g, fov_sampler.output)
    # consecutive keys in one hemisphere, so even a loader that slerps naively turns the short way
    assert np.all(np.sum(rot[1:].astype(float) * rot[:-1], axis=1) > 0)
    extras = cam.extras["previs"]
    assert extras["frame_rate"] == [scene.frame_rate.numerator, scene.frame_rate.denominator]
    assert extras["sensor_mm"] == [s0.mode.width_mm, s0.mode.height_mm]
    rate = scene.frame_rate
    for f in range(shot.length_frames):
        st = evaluate(scene, shot, f)
        t = float(Fraction(f) / rate)
        assert times[f] == pytest.approx(t, abs=1e-6)
        m = _matrix_from_tq(_sample(times, trans, t), _sample(times, rot, t, slerp=True))
        np.testing.assert_allclose(
            m, st.world_from_camera, atol=1e-4, err_msg=f"{shot_id} frame {f}"
        )
        assert _sample(fov_times, fovs, t) == pytest.approx(st.yfov_rad, abs=1e-4)
        assert extras["focal_length_mm"][f] == pytest.approx(st.focal_length_mm, abs=1e-9)
        assert extras["focus_m"][f] == pytest.approx(st.focus_m, abs=1e-9)
        assert extras["t_stop"][f] == pytest.approx(st.t_stop, abs=1e-9)
    # a half-way time interpolates between the keys, not somewhere else
    mid = float(Fraction(2 * (shot.length_frames // 2) + 1, 2) / rate)
    a = evaluate(scene, shot, shot.length_frames // 2).position_m
    b = evaluate(scene, shot, shot.length_frames // 2 + 1).position_m
    np.testing.assert_allclose(_sample(times, trans, mid), (a + b) / 2, atol=1e-4)


def test_glb_zoom_changes_the_field_of_view(zoom_scene, zoom_out):
    pygltflib = pytest.importorskip(
        "pygltflib", reason="pygltflib (a test dependency) is not installed"
    )
    g = pygltflib.GLTF2().load(str(zoom_out / "Z1.glb"))
    (ch,) = [c for c in g.animations[0].channels if c.target.path == "pointer"]
    fovs = _read_accessor(g, g.animations[0].samplers[ch.sampler].output)
    focal = g.cameras[0].extras["previs"]["focal_length_mm"]
    assert focal[0] == pytest.approx(30.0) and focal[-1] == pytest.approx(120.0)
    h = 19.22  # ALEXA 35 4.6K 3:2 Open Gate sensor height, mm
    assert fovs[0] == pytest.approx(2 * math.atan(h / 60.0), abs=1e-6)
    assert fovs[-1] == pytest.approx(2 * math.atan(h / 240.0), abs=1e-6)
    assert np.all(np.diff(fovs) <= 0) and fovs[0] - fovs[-1] > 0.4  # zooming in narrows it, a lot
    # the extras rebuild the field of view: f = h / (2 tan(yfov / 2))
    np.testing.assert_allclose(h / (2 * np.tan(fovs.astype(float) / 2)), focal, rtol=1e-5)


def test_glb_carries_the_set(stage, stage_out):
    trimesh = pytest.importorskip("trimesh")
    from previs.api import set_items

    loaded = trimesh.load(str(stage_out / "3A.glb"), force="scene")
    items = set_items(stage)
    expected_tris = sum(len(p.indices) for it in items for p in it.asset.parts)
    dumped = loaded.to_geometry()
    assert expected_tris > 1000 and len(dumped.faces) == expected_tris
    pts = np.concatenate(
        [
            p.positions.astype(float) @ it.world_from_asset[:3, :3].T + it.world_from_asset[:3, 3]
            for it in items
            for p in it.asset.parts
        ]
    )
    np.testing.assert_allclose(dumped.bounds, [pts.min(axis=0), pts.max(axis=0)], atol=1e-4)
    # the set is where the scene puts it: the stage floor 24 m square, the sign 3.2 m up and more
    assert dumped.bounds[1][1] > 3.2 + 0.8 and dumped.bounds[0][0] == pytest.approx(-12.0, abs=1e-4)


def test_glb_base_colours_are_materials(stage, stage_out):
    pygltflib = pytest.importorskip(
        "pygltflib", reason="pygltflib (a test dependency) is not installed"
    )
    g = pygltflib.GLTF2().load(str(stage_out / "2B.glb"))
    (drum,) = [n for n in g.nodes if n.name == "oil drum"]
    mat = g.materials[g.meshes[drum.mesh].primitives[0].material]
    piece = next(p for p in stage.set_pieces if p.name == "oil drum")
    np.testing.assert_allclose(
        mat.pbrMetallicRoughness.baseColorFactor, [*piece.color_linear, 1.0], atol=1e-9
    )
    assert mat.pbrMetallicRoughness.metallicFactor == pytest.approx(0.6)
    np.testing.assert_allclose(np.reshape(drum.matrix, (4, 4)).T, piece.world_from_local, atol=1e-9)
    # pump 1 and pump 2 share one mesh
    pumps = [n for n in g.nodes if n.name in ("pump 1", "pump 2")]
    assert len(pumps) == 2 and pumps[0].mesh == pumps[1].mesh


# ---------------------------------------------------------------- OpenTrackIO
def _samples(path: Path) -> list[dict]:
    samples = json.loads(path.read_text())
    # one complete sample per line inside the array
    assert len(path.read_text().splitlines()) == len(samples) + 2
    return samples


@pytest.mark.parametrize("shot_id", [*MOVING, "Z1"])
def test_opentrackio_samples_validate_against_the_schema(
    shot_id, stage, zoom_scene, stage_out, zoom_out
):
    if not SCHEMA.is_file():
        pytest.skip(
            f"{SCHEMA} not found (the OpenTrackIO schema lives in ../shared, beside the checkout)"
        )
    import jsonschema

    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text()))
    samples = _samples(_out_for(shot_id, stage_out, zoom_out) / f"{shot_id}.opentrackio.json")
    assert len(samples) == _scene_for(shot_id, stage, zoom_scene).shot(shot_id).length_frames
    for s in samples:
        errors = list(validator.iter_errors(s))
        assert not errors, (
            f"frame {s['timing']['sequenceNumber']}: {errors[0].message} at {list(errors[0].path)}"
        )
    # and the validator does reject a sample that breaks the schema
    bad = json.loads(json.dumps(samples[0]))
    bad["lens"]["focusDistance"] = -1.0
    assert not validator.is_valid(bad)


def test_opentrackio_pose_in_z_up_axes(stage, stage_out):
    # 2B: camera at (0.9, 0.35, 0.2) Y-up, panned 47 deg left and tilted 28 deg up; in OpenTrackIO
    # (Z up, Y into the stage) it is at (0.9, -0.2, 0.35) with the same pan and tilt.
    s = _samples(stage_out / "2B.opentrackio.json")[0]
    (tr,) = s["transforms"]
    assert [tr["translation"][k] for k in "xyz"] == pytest.approx([0.9, -0.2, 0.35], abs=1e-12)
    assert [tr["rotation"][k] for k in ("pan", "tilt", "roll")] == pytest.approx(
        [47.0, 28.0, 0.0], abs=1e-9
    )
    assert s["lens"]["pinholeFocalLength"] == 21.0 and s["lens"]["focusDistance"] == 2.6
    assert s["static"]["lens"]["nominalFocalLength"] == 21.0
    cam = s["static"]["camera"]
    assert cam["activeSensorPhysicalDimensions"] == {"width": 27.99, "height": 19.22}
    assert cam["activeSensorResolution"] == {"width": 4608, "height": 3164}
    assert cam["captureFrameRate"] == {"num": 24, "denom": 1}
    assert cam["anamorphicSqueeze"] == {"num": 1, "denom": 1}
    assert s["protocol"] == {"name": "OpenTrackIO", "version": [0, 9, 3]}


@pytest.mark.parametrize("shot_id,frame", [("3B", 97), ("3A", 80)])
def test_opentrackio_pose_matches_the_frame(shot_id, frame, stage, stage_out):
    st = evaluate(stage, shot_id, frame)
    s = _samples(stage_out / f"{shot_id}.opentrackio.json")[frame]
    assert s["timing"]["sequenceNumber"] == frame
    x, y, z = st.world_from_camera[:3, 3]
    tr = s["transforms"][0]
    assert [tr["translation"][k] for k in "xyz"] == pytest.approx([x, -z, y], abs=1e-9)
    # rebuild: intrinsic Z-X-Y = Rz(pan) Rx(tilt) Ry(roll), camera looking along its +Y, +Z up
    r = _rz(tr["rotation"]["pan"]) @ _rx(tr["rotation"]["tilt"]) @ _ry(tr["rotation"]["roll"])
    to_z_up = np.array([[1, 0, 0], [0, 0, -1], [0, 1, 0]])
    fwd, up, right = (
        -st.world_from_camera[:3, 2],
        st.world_from_camera[:3, 1],
        st.world_from_camera[:3, 0],
    )
    np.testing.assert_allclose(r[:, 1], to_z_up @ fwd, atol=1e-9)
    np.testing.assert_allclose(r[:, 2], to_z_up @ up, atol=1e-9)
    np.testing.assert_allclose(r[:, 0], to_z_up @ right, atol=1e-9)
    assert s["lens"]["pinholeFocalLength"] == pytest.approx(st.focal_length_mm)
    assert s["lens"]["focusDistance"] == pytest.approx(st.focus_m)
    assert s["lens"]["tStop"] == pytest.approx(st.t_stop)
    # 24 fps: frame 97 is 4 s + 1 frame
    if frame == 97:
        assert s["timing"]["timecode"] == {
            "hours": 0,
            "minutes": 0,
            "seconds": 4,
            "frames": 1,
            "frameRate": {"num": 24, "denom": 1},
            "dropFrame": False,
        }
        assert s["timing"]["sampleTimestamp"] == {"seconds": 4, "nanoseconds": 41666667}


def test_opentrackio_rational_rate_and_zoom(zoom_scene, zoom_out):
    samples = _samples(zoom_out / "Z1.opentrackio.json")
    s = samples[25]
    assert s["timing"]["sampleRate"] == {"num": 24000, "denom": 1001}
    assert s["static"]["camera"]["captureFrameRate"] == {"num": 24000, "denom": 1001}
    assert s["static"]["duration"] == {"num": 49 * 1001, "denom": 24000}
    # 25 frames at 24000/1001 fps: 1.04270833... s; timecode counts 24 frame numbers a second
    assert s["timing"]["sampleTimestamp"] == {"seconds": 1, "nanoseconds": 42708333}
    assert (s["timing"]["timecode"]["seconds"], s["timing"]["timecode"]["frames"]) == (1, 1)
    assert "nominalFocalLength" not in s["static"]["lens"]  # a zoom has none (the schema says so)
    assert s["lens"]["pinholeFocalLength"] == pytest.approx(
        evaluate(zoom_scene, "Z1", 25).focal_length_mm
    )
    assert (
        samples[0]["lens"]["pinholeFocalLength"] == 30.0
        and samples[-1]["lens"]["pinholeFocalLength"] == 120.0
    )
    pans = [x["transforms"][0]["rotation"]["pan"] for x in samples]
    assert pans[-1] - pans[0] == pytest.approx(300.0, abs=1e-6)  # unwrapped: no jump at 180 deg
    ids = {x["sampleId"] for x in samples}
    assert len(ids) == len(samples) and len({x["sourceId"] for x in samples}) == 1
    tr = samples[0]["transforms"][0]["rotation"]
    assert [tr["pan"], tr["tilt"], tr["roll"]] == pytest.approx([10.0, -5.0, 3.0], abs=1e-9)


# ---------------------------------------------------------------- Nuke .chan
def _chan(path: Path) -> np.ndarray:
    rows = [line.split("\t") for line in path.read_text().splitlines()]
    assert all(len(r) == 8 for r in rows)
    return np.array(rows, dtype=float)


@pytest.mark.parametrize("shot_id", [*MOVING, "Z1"])
def test_chan_rebuilds_the_pose_in_zxy_order(shot_id, stage, zoom_scene, stage_out, zoom_out):
    scene = _scene_for(shot_id, stage, zoom_scene)
    shot = scene.shot(shot_id)
    rows = _chan(_out_for(shot_id, stage_out, zoom_out) / f"{shot_id}.chan")
    assert len(rows) == shot.length_frames
    assert list(rows[:, 0]) == list(range(1, shot.length_frames + 1))  # 1-based frame numbers
    for f, (_, tx, ty, tz, rx, ry, rz, vfov) in enumerate(rows):
        st = evaluate(scene, shot, f)
        m = np.eye(4)
        m[:3, :3] = _ry(ry) @ _rx(rx) @ _rz(rz)  # Nuke ZXY: Z first, then X, then Y
        m[:3, 3] = tx, ty, tz
        np.testing.assert_allclose(
            m, st.world_from_camera, atol=1e-6, err_msg=f"{shot_id} frame {f}"
        )
        assert vfov == pytest.approx(math.degrees(st.yfov_rad), abs=1e-6)
    # no frame-to-frame jumps of a turn
    assert np.abs(np.diff(rows[:, 4:7], axis=0)).max(initial=0.0) < 10.0


def test_chan_static_shot_by_hand(stage_out):
    rows = _chan(stage_out / "2B.chan")
    # 2B: at (0.9, 0.35, 0.2), pan 47 (= ry), tilt 28 (= rx), no roll; 21 mm on a 19.22 mm high sensor
    np.testing.assert_allclose(rows[0, 1:7], [0.9, 0.35, 0.2, 28.0, 47.0, 0.0], atol=1e-9)
    assert rows[0, 7] == pytest.approx(math.degrees(2 * math.atan(19.22 / 42.0)), abs=1e-8)
    assert np.ptp(rows[:, 1:], axis=0).max() == 0.0


# ---------------------------------------------------------------- USD
def test_usda_layer_says_its_units_and_axes(stage_out):
    text = (stage_out / "3A.usda").read_text()
    assert text.startswith("#usda 1.0")
    for line in (
        'upAxis = "Y"',
        "metersPerUnit = 1",
        "timeCodesPerSecond = 24.0",
        "startTimeCode = 0",
        "endTimeCode = 119",
        "float horizontalAperture = 0.2799",
        "0: 0.4,",
    ):
        assert line in text


@pytest.mark.parametrize("shot_id", ["3B", "Z1"])
def test_usd_reads_back_with_the_same_camera(shot_id, stage, zoom_scene, stage_out, zoom_out):
    pxr = pytest.importorskip("pxr", reason="usd-core (pxr) is not installed")
    from pxr import Gf, Usd, UsdGeom

    assert pxr
    scene = _scene_for(shot_id, stage, zoom_scene)
    shot = scene.shot(shot_id)
    stage_usd = Usd.Stage.Open(str(_out_for(shot_id, stage_out, zoom_out) / f"{shot_id}.usda"))
    assert UsdGeom.GetStageUpAxis(stage_usd) == UsdGeom.Tokens.y
    assert UsdGeom.GetStageMetersPerUnit(stage_usd) == 1.0
    assert stage_usd.GetTimeCodesPerSecond() == pytest.approx(float(scene.frame_rate))
    assert (stage_usd.GetStartTimeCode(), stage_usd.GetEndTimeCode()) == (0, shot.length_frames - 1)
    prim = stage_usd.GetDefaultPrim().GetChild("camera")
    cam = UsdGeom.Camera(prim)
    assert cam
    for f in range(0, shot.length_frames, 7):
        st = evaluate(scene, shot, f)
        gc = cam.GetCamera(Usd.TimeCode(f))
        assert math.radians(gc.GetFieldOfView(Gf.Camera.FOVVertical)) == pytest.approx(
            st.yfov_rad, abs=1e-5
        )
        assert gc.GetFieldOfView(Gf.Camera.FOVHorizontal) == pytest.approx(st.hfov_deg, abs=1e-4)
        assert gc.focusDistance == pytest.approx(st.focus_m, rel=1e-6)
        assert gc.fStop == pytest.approx(st.t_stop, rel=1e-6)
        m = np.array(UsdGeom.Xformable(prim).ComputeLocalToWorldTransform(Usd.TimeCode(f))).T
        np.testing.assert_allclose(m, st.world_from_camera, atol=1e-9)
        near, far = gc.clippingRange.min, gc.clippingRange.max
        assert (near, far) == (pytest.approx(st.near_m), pytest.approx(st.far_m))


# ---------------------------------------------------------------- helpers, errors, determinism
def test_conversion_helpers_round_trip():
    rng = np.random.default_rng(7)
    for _ in range(200):
        pan, tilt, roll = rng.uniform(-179, 179), rng.uniform(-89, 89), rng.uniform(-179, 179)
        r = _ry(pan) @ _rx(tilt) @ _rz(-roll)  # previs' pan_tilt_roll
        np.testing.assert_allclose(cd.chan_rotation(*cd.chan_euler_zxy(r)), r, atol=1e-12)
        assert cd.chan_euler_zxy(r) == pytest.approx((tilt, pan, -roll), abs=1e-9)
        m = np.eye(4)
        m[:3, :3] = r
        _, ro = cd.otio_from_previs(m)
        assert cd.otio_pan_tilt_roll(ro) == pytest.approx((pan, tilt, roll), abs=1e-9)
        q = cd.quaternion_xyzw(r)
        np.testing.assert_allclose(_matrix_from_tq((0, 0, 0), q)[:3, :3], r, atol=1e-12)


def test_reexport_is_identical_and_bad_requests_are_errors(stage, stage_out, tmp_path):
    again = cd.export_camera_data(
        stage, ["2B"], tmp_path, formats=("opentrackio", "chan", "usd", "glb")
    )
    assert [p.name for p in again] == ["2B.opentrackio.json", "2B.chan", "2B.usda", "2B.glb"]
    for p in again:
        assert p.read_bytes() == (stage_out / p.name).read_bytes()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporaries left
    with pytest.raises(ExportError, match="unknown camera data format 'fbx'"):
        cd.export_camera_data(stage, ["2B"], tmp_path, formats=("fbx",))
    with pytest.raises(PrevisError, match="no shot 'nope'"):
        cd.export_camera_data(stage, ["nope"], tmp_path)


def test_anamorphic_lens_and_focus_at_infinity(stage, tmp_path):
    from dataclasses import replace

    shot = replace(stage.shot("1B"), camera=replace(stage.shot("1B").camera, focus_m=math.inf))
    scene = replace(
        stage, camera=replace(stage.camera, lens_kit="arri-master-anamorphic"), shots=(shot,)
    )
    st = evaluate(scene, "1B", 0)
    assert st.squeeze == 2.0 and math.isinf(st.focus_m)
    paths = cd.export_camera_data(scene, ["1B"], tmp_path)
    glb, otio, chan, usda = paths
    # glTF: the vertical FOV ignores a horizontal squeeze; the aspect is the desqueezed one
    doc = json.loads(glb.read_bytes()[20 : 20 + int.from_bytes(glb.read_bytes()[12:16], "little")])
    cam = doc["cameras"][0]
    assert cam["perspective"]["yfov"] == pytest.approx(2 * math.atan(19.22 / 80.0), abs=1e-12)
    assert cam["perspective"]["aspectRatio"] == pytest.approx(2 * 27.99 / 19.22, abs=1e-12)
    assert (
        cam["extras"]["previs"]["squeeze"] == 2.0 and cam["extras"]["previs"]["focus_m"][0] is None
    )
    s = _samples(otio)[0]
    assert s["static"]["camera"]["anamorphicSqueeze"] == {"num": 2, "denom": 1}
    assert "focusDistance" not in s["lens"]  # infinity: the schema has no way to say it
    if SCHEMA.is_file():
        import jsonschema

        jsonschema.validate(s, json.loads(SCHEMA.read_text()), cls=jsonschema.Draft202012Validator)
    assert _chan(chan)[0, 7] == pytest.approx(math.degrees(st.yfov_rad), abs=1e-8)
    try:
        from pxr import Gf, Usd, UsdGeom
    except ImportError:
        return
    layer = Usd.Stage.Open(str(usda))  # keep the stage alive while its prims are used
    gc = UsdGeom.Camera(layer.GetPrimAtPath("/shot_1B/camera")).GetCamera(Usd.TimeCode(0))
    assert gc.GetFieldOfView(Gf.Camera.FOVHorizontal) == pytest.approx(st.hfov_deg, abs=1e-4)
    assert math.radians(gc.GetFieldOfView(Gf.Camera.FOVVertical)) == pytest.approx(
        st.yfov_rad, abs=1e-6
    )
    assert math.isinf(gc.focusDistance)


# ---------------------------------------------------------------- f-number and T-stop
def _with_transmittance(states, tau):
    """The states with a lens whose data gives a transmittance (the shipped kits give none)."""
    import dataclasses

    lens_cls = type(states[0].lens)
    with_tau = dataclasses.make_dataclass(
        f"{lens_cls.__name__}WithTransmittance",
        [("transmittance", float, tau)],
        bases=(lens_cls,),
        frozen=True,
    )
    return [
        dataclasses.replace(
            s,
            lens=with_tau(
                **{f.name: getattr(s.lens, f.name) for f in dataclasses.fields(lens_cls)}
            ),
        )
        for s in states
    ]


def test_f_number_from_the_t_stop_and_transmittance_by_hand():
    # T = N / sqrt(tau): a T4 lens passing 81 % of the light is f/3.6; 64 %: T2.8 is f/2.24
    assert cd.f_number(4.0, 0.81) == pytest.approx(3.6, abs=1e-12)
    assert cd.f_number(2.8, 0.64) == pytest.approx(2.24, abs=1e-12)
    assert cd.f_number(4.0, None) == 4.0 and cd.f_number(4.0, 1.0) == 4.0
    with pytest.raises(ExportError, match="transmittance"):
        cd.f_number(4.0, 1.2)


def test_usd_fstop_is_the_f_number_and_exposure_uses_the_t_stop(stage, tmp_path):
    """3A is at T4, ISO 800 (the example's camera), 180 degrees at 24 fps: 1/48 s. With a lens
    transmittance of 0.81 the USD camera's fStop (depth of field) is f/3.6, its exposure:fStop
    T4, and USD's own exposure scale is (1/48)(800/100)/4² = 1/96."""
    pytest.importorskip("pxr", reason="usd-core (pxr) is not installed")
    from pxr import Sdf, Usd, UsdGeom

    shot = stage.shot("3A")
    states = _with_transmittance(cd.shot_states(stage, shot), 0.81)
    assert (states[0].t_stop, states[0].iso, states[0].shutter_angle_deg) == (4.0, 800.0, 180.0)
    path = tmp_path / "3A.usda"
    path.write_bytes(cd.usda_bytes(stage, shot, states))
    usd = Usd.Stage.Open(str(path))
    cam = UsdGeom.Camera(usd.GetPrimAtPath("/shot_3A/camera"))
    for f in (0, 60, 119):
        t = Usd.TimeCode(f)
        assert cam.GetFStopAttr().Get(t) == pytest.approx(3.6, rel=1e-6)
        assert cam.GetCamera(t).fStop == pytest.approx(3.6, rel=1e-6)
        assert cam.GetExposureFStopAttr().Get(t) == pytest.approx(4.0, rel=1e-6)
        assert cam.GetPrim().GetAttribute("previs:tStop").Get(t) == pytest.approx(4.0)
        assert cam.ComputeLinearExposureScale(t) == pytest.approx(1 / 96, rel=1e-6)
    assert cam.GetExposureTimeAttr().Get() == pytest.approx(1 / 48, rel=1e-6)
    assert cam.GetExposureIsoAttr().Get() == pytest.approx(800.0)
    source = Sdf.Layer.FindOrOpen(str(path)).customLayerData["previs:fStop_source"]
    assert "transmittance" in source and source.startswith("f-number")


def test_usd_fstop_without_transmittance_is_the_t_stop_and_says_so(stage_out):
    pytest.importorskip("pxr", reason="usd-core (pxr) is not installed")
    from pxr import Sdf, Usd, UsdGeom

    usd = Usd.Stage.Open(str(stage_out / "3A.usda"))
    cam = UsdGeom.Camera(usd.GetPrimAtPath("/shot_3A/camera"))
    assert (
        cam.GetFStopAttr().Get(Usd.TimeCode(0))
        == 4.0
        == cam.GetExposureFStopAttr().Get(Usd.TimeCode(0))
    )
    source = Sdf.Layer.FindOrOpen(str(stage_out / "3A.usda")).customLayerData["previs:fStop_source"]
    assert source.startswith("the T-stop: the lens data gives no transmittance")


def test_opentrackio_gives_an_fstop_only_where_the_lens_data_allows(stage, stage_out):
    assert "fStop" not in _samples(stage_out / "3A.opentrackio.json")[0]["lens"]  # none invented
    shot = stage.shot("3A")
    samples = cd.opentrackio_samples(
        stage, shot, _with_transmittance(cd.shot_states(stage, shot)[:3], 0.81)
    )
    assert samples[0]["lens"]["tStop"] == 4.0 and samples[0]["lens"]["fStop"] == pytest.approx(3.6)
    if SCHEMA.is_file():
        import jsonschema

        jsonschema.validate(
            samples[0], json.loads(SCHEMA.read_text()), cls=jsonschema.Draft202012Validator
        )


# ---------------------------------------------------------------- names that are not text
def test_names_with_control_characters_and_escapes_reach_every_reader(stage, tmp_path):
    from dataclasses import replace

    bad_id = '3A\x1b[31m\n"q"\\é\ud800\x00'
    shot = replace(stage.shot("3A"), id=bad_id, length_frames=3, moves=())
    scene = replace(stage, name="Diner " + "\x07" * 3 + "x" * 2000, shots=(shot,))
    glb, otio, chan, usda = cd.export_camera_data(scene, None, tmp_path)
    assert glb.name == "3A__31m__q__é__.glb"  # letters and digits kept, the rest "_"
    # glTF: the JSON chunk is JSON a glTF loader reads, names kept but for what is not text
    data = glb.read_bytes()
    doc = json.loads(data[20 : 20 + int.from_bytes(data[12:16], "little")].decode("utf-8"))
    assert doc["cameras"][0]["name"] == 'camera 3A\ufffd[31m\n"q"\\é\ufffd\ufffd'
    # OpenTrackIO: valid against the schema (slate and notes at most 1,023 characters)
    s = _samples(otio)[0]
    assert s["tracker"]["slate"] == '3A\ufffd[31m\n"q"\\é\ufffd\ufffd'
    assert len(s["tracker"]["notes"]) == 1023
    if SCHEMA.is_file():
        import jsonschema

        jsonschema.validate(s, json.loads(SCHEMA.read_text()), cls=jsonschema.Draft202012Validator)
    assert len(_chan(chan)) == 3
    try:
        from pxr import Sdf, Usd, UsdGeom
    except ImportError:
        return
    layer = Sdf.Layer.FindOrOpen(str(usda))
    assert layer is not None
    assert layer.customLayerData["previs:shot"] == '3A\x1b[31m\n"q"\\é\ufffd\x00'  # exact, escaped
    assert layer.customLayerData["previs:scene"] == scene.name
    usd = Usd.Stage.Open(str(usda))
    root = usd.GetDefaultPrim()
    assert root.GetName().isascii() and UsdGeom.Camera(root.GetChild("camera"))


def test_shots_that_would_share_their_files_are_refused(stage, tmp_path):
    from dataclasses import replace

    shots = (replace(stage.shot("1A"), id="1 A"), replace(stage.shot("1B"), id="1_A"))
    with pytest.raises(
        ExportError, match=r"shots '1 A' and '1_A' would both be written as 1_A\.\*"
    ):
        cd.export_camera_data(replace(stage, shots=shots), None, tmp_path / "o")
    assert not (tmp_path / "o").exists()
