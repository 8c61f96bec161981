"""Shots in time, end to end: moves, walks and cues written in a scene file change what is
rendered at the frame a timecode names, as the maths says (checked in the image, not only in the
numbers), and mistakes in them are reported with file, field and line."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from previs import api
from previs.core import transforms as tf
from previs.core.frame import camera_track, evaluate, key_frames
from previs.core.timecode import timecode_to_frames
from previs.errors import SceneError
from previs.io.scene_file import load_scene

ROOT = Path(__file__).resolve().parents[1]

# A dark stage: one red card (facing the camera) in a black void with a grey stand-in walking past, lit by a sun and a
# key; the camera trucks right 1.2 m over two seconds and then pans.
SCENE = """\
format_version: 1
name: moving test
frame_rate: 24
set:
  - {name: marker, type: box, size_m: [0.12, 0.12, 0.004], translation_m: [0.0, 1.44, 0.0], color: "#ff0000", roughness: 1.0}
  - {name: walker, type: standin, height_m: 1.8, translation_m: [-2.0, 0, -1.0]}
lights:
  - {name: sun, type: directional, azimuth_deg: 0, elevation_deg: 60, illuminance_lux: 300, kelvin: 5600}
  - {name: key, type: spot, position_m: [0, 4, 3], target_m: [0, 1.5, 0], intensity_cd: 4000, beam_angle_deg: 30, field_angle_deg: 50, kelvin: 3200}
camera:
  body: alexa-35
  mode: 4.6k-16-9
  lens_kit: arri-signature-prime
  iso: 800
  t_stop: 4
  focus_m: 5
  delivery_aspect: full
shots:
  - id: M1
    scene: 1
    length_frames: 96
    camera:
      position_m: [-0.6, 1.5, 5.0]
      pan_deg: 0
      tilt_deg: 0
      focal_length_mm: 35
    moves:
      - {type: truck, start_frame: 0, end_frame: 48, distance_m: 1.2, interp: ease}
      - {type: pan, start_frame: 48, end_frame: 95, angle_deg: 4, interp: linear}
    walks:
      - {standin: walker, start_frame: 0, end_frame: 95, points_m: [[-2.0, 0, -1.0], [2.0, 0, -1.0]]}
    light_cues:
      - {light: key, start_frame: 0, end_frame: 48, to_intensity_scale: 0.0, interp: linear}
"""


@pytest.fixture(scope="module")
def scene(tmp_path_factory) -> object:
    p = tmp_path_factory.mktemp("moving") / "moving.yaml"
    p.write_text(SCENE)
    return load_scene(p)


def _marker_centroid(color: np.ndarray) -> np.ndarray:
    """Centre of the red marker's pixels (the grey stand-in has no red cast)."""
    c = color.astype(float)
    red = (c[..., 0] > 40) & (c[..., 0] > 3 * c[..., 1]) & (c[..., 0] > 3 * c[..., 2])
    ys, xs = np.nonzero(red)
    assert len(xs) > 20, "marker not found"
    return np.array([xs.mean(), ys.mean()])


def test_track_follows_the_moves(scene):
    shot = scene.shot("M1")
    s0, s48, s95 = (camera_track(scene, shot).sample(f) for f in (0, 48, 95))
    np.testing.assert_allclose(s0.position_m, [-0.6, 1.5, 5.0], atol=1e-9)
    np.testing.assert_allclose(s48.position_m, [0.6, 1.5, 5.0], atol=1e-9)  # trucked right 1.2 m
    assert s48.pan_deg == pytest.approx(0.0, abs=1e-9) and s95.pan_deg == pytest.approx(
        4.0, abs=1e-9
    )
    assert key_frames(scene, shot) == [0, 48, 95]


@pytest.mark.parametrize("tc", ["00:00:00:00", "00:00:01:00", "00:00:02:00", "00:00:03:12"])
def test_frame_at_timecode_shows_what_the_keys_say(scene, gl_context, tc):
    """Render the frame a timecode names; the marker sits where the evaluated camera projects it."""
    frame = timecode_to_frames(tc, scene.frame_rate)
    state = evaluate(scene, "M1", frame)
    with api.StageRenderer(scene, width=480, antialias=False) as r:
        img = r.render(state, overlay=False)
    h, w = img.color.shape[:2]
    clip_from_world = tf.perspective(
        state.yfov_rad, w / h, state.near_m, state.far_m
    ) @ np.linalg.inv(state.world_from_camera)
    expected = tf.project_to_pixels(clip_from_world, [[0.0, 1.5, 0.0]], w, h)[0]
    got = _marker_centroid(img.color)
    assert np.abs(got - expected).max() < 1.0, (tc, got, expected)


def test_truck_moves_the_marker_across_the_frame(scene, gl_context):
    with api.StageRenderer(scene, width=480, antialias=False) as r:
        a = _marker_centroid(r.render(evaluate(scene, "M1", 0), overlay=False).color)
        b = _marker_centroid(r.render(evaluate(scene, "M1", 48), overlay=False).color)
    # Trucking right by 1.2 m at 5 m with a 35 mm lens on a 27.99 mm wide sensor, 480 px wide:
    # the marker moves left by f_px * 1.2 / 5 with f_px = 480 * 35 / 27.99.
    assert a[0] - b[0] == pytest.approx(480 * 35 / 27.99 * 1.2 / 5.0, abs=1.0)


def test_walking_standin_moves_and_faces_its_way(scene):
    shot = scene.shot("M1")
    start = evaluate(scene, shot, 0).poses["walker"]
    end = evaluate(scene, shot, 95).poses["walker"]
    np.testing.assert_allclose(start[:3, 3], [-2.0, 0.0, -1.0], atol=1e-9)
    np.testing.assert_allclose(end[:3, 3], [2.0, 0.0, -1.0], atol=1e-9)
    # Walking towards +X: the figure's front (+Z in its own space) now points along +X.
    np.testing.assert_allclose(start[:3, :3] @ [0, 0, 1], [1, 0, 0], atol=1e-6)


def test_light_cue_fades_the_key_in_the_image(scene, gl_context):
    shot = scene.shot("M1")
    key0 = next(lt for lt in evaluate(scene, shot, 0).lights if lt.name == "key")
    key48 = next(lt for lt in evaluate(scene, shot, 48).lights if lt.name == "key")
    assert key0.intensity == pytest.approx(4000.0) and key48.intensity == pytest.approx(
        0.0, abs=1e-9
    )
    with api.StageRenderer(scene, width=320, antialias=False) as r:
        state0 = evaluate(scene, shot, 0)
        lit = r.render(state0, overlay=False).color
        # The same camera with the key faded out: only the sun lights the card now.
        dark = r.render(
            replace(state0, lights=evaluate(scene, shot, 48).lights), overlay=False
        ).color
        sun_only = r.render(
            replace(state0, lights=tuple(lt for lt in state0.lights if lt.name == "sun")),
            overlay=False,
        ).color
    card = (lit[..., 0] > 40) & (lit[..., 0] > 3 * lit[..., 1])
    assert card.sum() > 20
    # Sun 300 lx x cos 60 deg = 150 lx on the card; the key adds about 4000 cd / 3.9 m^2 x 0.77:
    # with the key faded out the card reads exactly as if the key were not rigged at all.
    assert np.abs(dark.astype(int) - sun_only.astype(int)).max() <= 1
    assert lit[card][:, 0].mean() - dark[card][:, 0].mean() > 8


def test_example_moving_shots_render_key_panels(tmp_path):
    """The example's moving shots expand, evaluate at every key frame and stay on the stage."""
    scene = load_scene(ROOT / "scenes" / "led_stage.yaml")
    for sid in ("3A", "3B", "3C"):
        shot = scene.shot(sid)
        for f in key_frames(scene, shot):
            st = evaluate(scene, shot, f)
            assert np.all(np.isfinite(st.world_from_camera))
    dolly = scene.shot("3A")
    s0, s119 = (camera_track(scene, dolly).sample(f) for f in (0, 119))
    assert np.linalg.norm(s119.position_m - s0.position_m) == pytest.approx(2.0, abs=1e-6)
    # The rack ends on Mara: her eyes' depth from the camera at the end of the rack.
    mara_eyes = np.array([0.4, 0.935 * 1.68, -1.6])
    st = evaluate(scene, dolly, 100)
    depth = -(np.linalg.inv(st.world_from_camera) @ np.r_[mara_eyes, 1.0])[2]
    assert st.focus_m == pytest.approx(depth, rel=1e-3)


# ---------------------------------------------------------------- mistakes, with file, field and line
@pytest.mark.parametrize(
    "old,new,field,words",
    [
        (
            "      - {type: truck,",
            "      - {type: trukc,",
            "shots[0].moves[0].type",
            ["did you mean 'truck'"],
        ),
        (
            "distance_m: 1.2, interp: ease}",
            "distanse_m: 1.2, interp: ease}",
            "shots[0].moves[0]",
            ["distance_m"],
        ),
        (
            "end_frame: 95, angle_deg: 4",
            "end_frame: 120, angle_deg: 4",
            "shots[0].moves[1].end_frame",
            ["past the shot"],
        ),
        ("{light: key,", "{light: kye,", "shots[0].light_cues[0].light", ["did you mean 'key'"]),
        (
            "{standin: walker,",
            "{standin: walkr,",
            "shots[0].walks[0].standin",
            ["did you mean 'walker'"],
        ),
    ],
)
def test_bad_moves_and_cues_name_field_and_line(tmp_path, old, new, field, words):
    assert old in SCENE
    p = tmp_path / "bad.yaml"
    p.write_text(SCENE.replace(old, new))
    with pytest.raises(SceneError) as info:
        load_scene(p)
    err = info.value
    assert err.field is not None and err.field.startswith(field), str(err)
    line = next(i for i, text in enumerate(SCENE.replace(old, new).splitlines(), 1) if new in text)
    assert err.line == line, str(err)
    for w in words:
        assert w in str(err), str(err)


def test_overlapping_moves_are_refused(tmp_path):
    old = "      - {type: pan, start_frame: 48, end_frame: 95, angle_deg: 4, interp: linear}"
    assert old in SCENE
    text = SCENE.replace(
        old, "      - {type: dolly, start_frame: 24, end_frame: 60, distance_m: 1.0}"
    )
    p = tmp_path / "overlap.yaml"
    p.write_text(text)
    with pytest.raises(SceneError) as info:
        load_scene(p)
    assert "position_m" in str(info.value) and "shots[0]" in str(info.value)


def test_walking_standin_is_drawn_where_it_walks(scene, gl_context):
    """The renderer moves the stand-in: its silhouette follows the walk in the image."""

    def walker_x(frame: int) -> float:
        state = evaluate(scene, "M1", frame)
        with api.StageRenderer(scene, width=320, antialias=False) as r:
            c = r.render(state, overlay=False).color.astype(float)
        grey = (c.sum(axis=2) > 60) & (np.abs(c[..., 0] - c[..., 1]) < 25)  # not the red card
        ys, xs = np.nonzero(grey)
        assert len(xs) > 50
        h, w = c.shape[:2]
        clip = tf.perspective(state.yfov_rad, w / h, state.near_m, state.far_m) @ np.linalg.inv(
            state.world_from_camera
        )
        hip = state.poses["walker"][:3, 3] + [0, 0.9, 0]
        return xs.mean(), tf.project_to_pixels(clip, [hip], w, h)[0][0]

    (x0, p0), (x1, p1) = walker_x(0), walker_x(95)
    assert abs(x0 - p0) < 6 and abs(x1 - p1) < 6  # the figure's mean x sits on its projected hip
    assert x1 - x0 > 100
