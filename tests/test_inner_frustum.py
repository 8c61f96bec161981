"""The inner frustum: the virtual world seen through the LED wall from the tracked camera lands
where a pinhole camera would see it (parallax right from any camera position), and tracking
latency makes the frustum lag a pan by angular speed times latency."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import trimesh

from previs import api
from previs.core import transforms as tf
from previs.core.frame import evaluate
from previs.io.scene_file import load_scene

MARKER = (0.0, 3.0, -40.0)  # a virtual card 40 m away, 30 m behind a 10 m wall

SCENE = """\
format_version: 1
name: inner frustum test
frame_rate: 24
stage:
  panel: {{name: BP2, pixel_pitch_mm: 2.84, panel_size_mm: [500, 500], panel_pixels: [176, 176], peak_nits: 1500}}
  sections:
    - {{name: ring, type: curved, center_xz_m: [0, 0], radius_m: 10, start_azimuth_deg: 0, arc_deg: 360, height_m: 9}}
  inner_frustum: {{overscan_pct: {overscan}, soft_edge_pct: 0, latency_frames: {latency}, resolution_px: 1600, show_border: {border}}}
environment:
  gltf: marker.glb
  wall_brightness_nits: 1000
camera: {{body: alexa-35, mode: 4.6k-16-9, lens_kit: arri-signature-prime, iso: 800, t_stop: 4, delivery_aspect: full}}
shots:
  - id: S
    scene: 1
    length_frames: 48
    camera: {{position_m: {position}, look_at_m: [0, 3, -40], focal_length_mm: 35, focus_m: 8}}
  - id: PAN
    scene: 1
    length_frames: 48
    camera: {{position_m: [0, 3, 0], pan_deg: 0, tilt_deg: 0, focal_length_mm: 35, focus_m: 8}}
    moves:
      - {{type: pan, start_frame: 0, end_frame: 40, angle_deg: -40, interp: linear}}
"""


def _scene(tmp_path, *, position=(0, 3, 0), latency=0, overscan=20, border="false"):
    card = trimesh.creation.box([1.0, 1.0, 0.02])
    card.apply_translation(MARKER)
    card.visual.face_colors = [255, 0, 0, 255]
    card.export(tmp_path / "marker.glb")
    p = tmp_path / "scene.yaml"
    p.write_text(
        SCENE.format(position=list(position), latency=latency, overscan=overscan, border=border)
    )
    return load_scene(p)


def _red_centroid(color: np.ndarray) -> np.ndarray:
    """Centre of the card: every lit pixel (red, and its sun glint) on the black world."""
    lit = color.max(axis=2) > 60
    ys, xs = np.nonzero(lit)
    assert len(xs) > 10, "the virtual card is not seen through the wall"
    return np.array([xs.mean() + 0.5, ys.mean() + 0.5])


def _card_seen_and_expected(scene) -> tuple[np.ndarray, np.ndarray]:
    """Where the card shows in shot S's frame, and where a pinhole camera would see it."""
    state = evaluate(scene, "S", 0)
    with api.StageRenderer(scene, width=640, antialias=False) as r:
        img = r.render(state, overlay=False).color
    h, w = img.shape[:2]
    clip = tf.perspective(state.yfov_rad, w / h, state.near_m, state.far_m) @ np.linalg.inv(
        state.world_from_camera
    )
    return _red_centroid(img), tf.project_to_pixels(clip, [MARKER], w, h)[0]


@pytest.mark.parametrize("position", [(0, 3, 0), (4, 2, 3), (-5, 4.5, 1), (2, 1.5, -6)])
def test_virtual_point_lands_where_the_pinhole_puts_it(tmp_path, gl_context, position):
    got, expected = _card_seen_and_expected(_scene(tmp_path, position=position))
    assert np.abs(got - expected).max() < 1.0, (position, got, expected)


def test_outer_frustum_alone_puts_it_elsewhere(tmp_path, gl_context):
    """Without the inner frustum the wall shows the world from the stage centre: from an
    off-centre camera the card is misplaced (this is what the inner frustum fixes)."""
    scene = _scene(tmp_path, position=(4, 2, 3), overscan=20)
    stage = scene.stage
    off = replace(
        scene, stage=replace(stage, inner_frustum=replace(stage.inner_frustum, enabled=False))
    )
    got, expected = _card_seen_and_expected(off)
    assert np.abs(got - expected).max() > 5.0


def test_latency_lags_the_frustum_behind_a_pan(tmp_path, gl_context):
    """Panning right at 1 deg a frame with 6 frames of latency, the frustum was rendered for the
    pan 6 deg back: its leading edge shows 6 deg inside the overscan, i.e. in the frame."""
    latency, overscan = 6, 10
    scene = _scene(tmp_path, latency=latency, overscan=overscan, border="true")
    state = evaluate(scene, "PAN", 20)
    assert state.world_from_camera is not None
    with api.StageRenderer(scene, width=960, antialias=False) as r:
        img = r.render(state, overlay=False).color.astype(float)
    h, w = img.shape[:2]
    # The border is driven far over white on this black world: find the white line on the
    # middle rows (the red card is elsewhere and not white).
    band = img[h // 2 - 40 : h // 2 + 40]
    border = band.min(axis=2) > 200
    cols = np.nonzero(border.sum(axis=0) > 0.9 * len(band))[
        0
    ]  # a vertical line crosses the whole band
    assert len(cols), "the frustum border is not in frame"
    got_x = cols.mean() + 0.5
    # Expected: the tracked camera (pan 6 deg less) has its right frustum edge at
    # atan(tan(hfov/2) (1 + overscan)) from its axis; seen from the current camera that edge is
    # 6 deg nearer the axis (same eye point: a pure pan).
    half_h = math.atan(math.tan(math.radians(state.hfov_deg) / 2))
    edge = math.atan(math.tan(half_h) * (1 + overscan / 100)) - math.radians(1.0 * latency)
    f_px = (w / 2) / math.tan(half_h)
    expected_x = w / 2 + f_px * math.tan(edge)
    assert got_x == pytest.approx(expected_x, abs=1.0), (got_x, expected_x)
    # Without latency the overscan keeps the edge out of frame.
    scene0 = _scene(tmp_path, latency=0, overscan=overscan, border="true")
    with api.StageRenderer(scene0, width=960, antialias=False) as r:
        img0 = r.render(evaluate(scene0, "PAN", 20), overlay=False).color.astype(float)
    band0 = img0[h // 2 - 40 : h // 2 + 40]
    assert not ((band0.min(axis=2) > 200).sum(axis=0) > 0.9 * len(band0)).any()


def test_inner_frustum_is_skipped_when_no_panel_is_in_view(tmp_path, gl_context):
    """Looking at the floor in the middle of the volume no LED is in the frustum: the frame is
    the same without the inner-frustum render, so none is made; looking at the wall one is."""
    scene = _scene(tmp_path, position=(0, 3, 0))
    down = scene.shot("S")
    from previs.core.scene import CameraPlacement

    floor = replace(
        down,
        id="F",
        camera=CameraPlacement(
            position_m=(0, 3, 0), look_at_m=(0, 0, -0.5), focal_length_mm=35, focus_m=3
        ),
    )
    scene2 = replace(scene, shots=(*scene.shots, floor))
    with api.StageRenderer(scene2, width=320, antialias=False) as r:
        for _ in range(3):  # a still close-up: decided once, not again every frame
            r.render(evaluate(scene2, "F", 0), overlay=False)
        assert (r.inner_frustum_renders, r.inner_frustum_skipped) == (0, 1)
        r.render(evaluate(scene2, "S", 0), overlay=False)
        assert r.inner_frustum_renders == 1


def _masked_and_whole(scene, shot: str, frames, width: int = 640):
    """Each frame rendered twice: the inner frustum only where the camera sees the wall (the
    default), and whole, as the stage's render node draws it; with the share rendered."""
    out = []
    with (
        api.StageRenderer(scene, width=width) as masked,
        api.StageRenderer(scene, width=width) as whole,
    ):
        whole.whole_inner_frustum = True
        for f in frames:
            state = evaluate(scene, shot, f)
            a = masked.render(state, read_depth=False).color
            b = whole.render(state, read_depth=False).color
            out.append((a, b, masked.inner_frustum_share))
        out.append(
            (
                masked.inner_frustum_renders,
                masked.inner_frustum_skipped,
                whole.inner_frustum_renders,
            )
        )
    return out


def test_inner_frustum_only_where_seen_gives_the_same_picture(gl_context):
    """The example's dolly-in: the diner and the cast hide most of the wall, so most of the
    inner frustum is never rendered, and the frame is the same as with all of it."""
    from previs.io.scene_file import load_scene as load

    scene = load(Path(__file__).resolve().parents[1] / "scenes" / "led_stage.yaml")
    *frames, (renders, skipped, whole_renders) = _masked_and_whole(scene, "3A", [0, 60, 119])
    assert renders == whole_renders == 3 and skipped == 0
    for a, b, share in frames:
        assert 0.05 < share < 0.6, share
        assert np.abs(a.astype(int) - b.astype(int)).max() <= 2


def test_a_pan_under_latency_renders_newly_seen_wall(tmp_path, gl_context):
    """With 6 frames of latency the tracked pose stands still while the camera starts to pan:
    the last inner frustum is reused only while it covers what the camera now sees."""
    scene = _scene(tmp_path, latency=6, overscan=30)
    *frames, (renders, _, _) = _masked_and_whole(scene, "PAN", range(0, 9))
    for a, b, _share in frames:
        assert np.abs(a.astype(int) - b.astype(int)).max() <= 2
    assert renders > 1  # the pan uncovered tiles the first render left out


def test_wall_hidden_behind_the_set_skips_the_inner_frustum(tmp_path, gl_context):
    """A flat standing 3 m in front of the camera hides the whole wall: nothing to render."""
    _scene(tmp_path)
    text = (tmp_path / "scene.yaml").read_text()
    flat = "set:\n  - {name: flat, type: box, size_m: [30, 30, 0.1], translation_m: [0, -5, -3]}\n"
    (tmp_path / "scene.yaml").write_text(text.replace("camera:", flat + "camera:", 1))
    scene = load_scene(tmp_path / "scene.yaml")
    *frames, (renders, skipped, whole_renders) = _masked_and_whole(scene, "S", [0])
    assert renders == 0 and skipped == 1 and whole_renders == 1
    a, b, _ = frames[0]
    assert np.abs(a.astype(int) - b.astype(int)).max() <= 2


def test_forward_shaded_signal_matches_the_deferred_passes(gl_context):
    """The wall's world is shaded as it is drawn (one pass, no G-buffer): the inner frustum of
    the example's driving-shot world, whole and in tiles, is the picture the G-buffer and
    lighting passes give, within the G-buffer's 8-bit steps, with the same tiles left empty.
    A few pixels on shadow edges may differ more: the deferred passes rebuild the position from
    the 24-bit depth, the forward pass has it exact."""
    from previs.io.scene_file import load_scene as load

    scene = load(Path(__file__).resolve().parents[1] / "scenes" / "led_stage.yaml")
    state = evaluate(scene, "3A", 60)
    with api.StageRenderer(scene, width=480, antialias=False) as stage:
        stage.render(state, read_depth=False)  # the world and its sun, as a frame sets them
        wall = stage._wall
        r = wall._renderer
        view, size = wall.inner_view(
            state.tracked_world_from_camera, state.tracked_yfov_rad, state.image_aspect, 20.0, 480
        )
        tiles = np.zeros((-(-size[1] // 32), -(-size[0] // 32)), bool)
        tiles[2:5, 3:9] = True
        got = {}
        for forward in (True, False):
            r.forward_signal = forward
            for name, t in (("whole", None), ("tiles", tiles)):
                r.pass_ms = {}  # (timing names the passes: which path ran)
                tex = wall.render_inner(view, size, t)
                assert ("forward (signal)" in r.pass_ms) == forward, r.pass_ms
                with r.ctx:
                    got[forward, name] = (
                        np.frombuffer(tex.read(), np.uint8).reshape(size[1], size[0], 4).astype(int)
                    )
        r.pass_ms = None
    for name in ("whole", "tiles"):
        a, b = got[True, name], got[False, name]
        assert np.array_equal(a[..., 3], b[..., 3])  # the same tiles drawn
        diff = np.abs(a[..., :3] - b[..., :3]).max(axis=2)
        assert np.percentile(diff, 99.9) <= 8 and diff.mean() < 0.5, (
            name,
            np.percentile(diff, 99.9),
            diff.mean(),
        )
        assert (diff > 10).mean() < 0.001, (name, (diff > 10).mean())
        assert a[..., :3].std() > 10  # a picture, not a flat fill
    assert (got[True, "tiles"][..., 3] == 0).mean() > 0.5
