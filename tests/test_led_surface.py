"""What the lens sees of the panels: the LED grid resolves when the wall is close and in focus and
melts away out of focus; panels dim off axis as cos^k of the viewing angle, k fitted so that
luminance halves at half the spec-sheet viewing angle."""

from __future__ import annotations

import math

import numpy as np
import pytest

from previs import api
from previs.core.frame import evaluate
from previs.io.scene_file import load_scene
from previs.render import CameraView

SCENE = """\
format_version: 1
name: panels
frame_rate: 24
stage:
  panel: {name: BP2, pixel_pitch_mm: 2.84, panel_size_mm: [500, 500], panel_pixels: [176, 176], peak_nits: 1500, viewing_angle_deg: 140}
  sections:
    - {name: back, type: flat, start_xz_m: [8, -4], end_xz_m: [-8, -4], height_m: 6}
  inner_frustum: {enabled: false}
environment:
  wall_brightness_nits: 20
camera: {body: alexa-35, mode: 4.6k-16-9, lens_kit: arri-signature-prime, iso: 800, t_stop: 2.8, delivery_aspect: full}
shots:
  - id: SHARP
    scene: 1
    length_frames: 2
    camera: {position_m: [0, 2.5, -2.5], pan_deg: 0, tilt_deg: 0, focal_length_mm: 75, focus_m: 1.5}
    wall_cues: [{start_frame: 0, end_frame: 1, to_cdl: {slope: [0, 0, 0], offset: [1, 1, 1]}, interp: linear}]
  - id: SOFT
    scene: 1
    length_frames: 2
    camera: {position_m: [0, 2.5, -2.5], pan_deg: 0, tilt_deg: 0, focal_length_mm: 75, focus_m: 0.8}
    wall_cues: [{start_frame: 0, end_frame: 1, to_cdl: {slope: [0, 0, 0], offset: [1, 1, 1]}, interp: linear}]
  - id: ANGLE
    scene: 1
    length_frames: 2
    camera: {position_m: [4, 2.5, 2], look_at_m: [-4, 2.5, -4], focal_length_mm: 29, focus_m: 6}
    wall_cues: [{start_frame: 0, end_frame: 1, to_cdl: {slope: [0, 0, 0], offset: [1, 1, 1]}, interp: linear}]
"""


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    p = tmp_path_factory.mktemp("panels") / "panels.yaml"
    p.write_text(SCENE)
    return load_scene(p)


def _hdr(scene, shot: str, width: int = 640):
    """Linear light (nits at exposure 1) of the frame, rows top-down, and its view."""
    state = evaluate(scene, shot, 1)  # the white cue has landed
    with api.StageRenderer(scene, width=width, antialias=False) as r:
        r.render(state, overlay=False)
        h = int(round(width / state.image_aspect))
        view = CameraView(
            state.world_from_camera, state.yfov_rad, width / h, state.near_m, state.far_m
        )
        return r._renderer.render_hdr(view)[::-1].copy(), view


def test_grid_resolves_in_focus_and_melts_out_of_focus(scene, gl_context):
    sharp, _ = _hdr(scene, "SHARP")
    soft, _ = _hdr(scene, "SOFT")
    g_sharp, g_soft = sharp[..., 1], soft[..., 1]
    # The same mean light (the grid redistributes it), but sharp it is a grid of points.
    assert g_sharp.mean() == pytest.approx(g_soft.mean(), rel=0.05)
    assert g_sharp.std() / g_sharp.mean() > 0.5
    assert g_soft.std() / g_soft.mean() < 0.05


def test_panels_dim_off_axis_as_cos_k(scene, gl_context):
    img, view = _hdr(scene, "ANGLE", width=800)
    h, w = img.shape[:2]
    k = math.log(0.5) / math.log(math.cos(math.radians(70)))  # 140 deg viewing angle
    eye = view.world_from_camera[:3, 3]
    th = math.tan(view.yfov_rad / 2)
    ratios = []
    for x in range(60, w - 60, 60):
        u = ((x + 0.5) / w * 2 - 1) * th * view.aspect
        d = view.world_from_camera[:3, :3] @ np.array([u, 0.0, -1.0])
        t = (-4.0 - eye[2]) / d[2]
        hit = eye + t * d
        if t <= 0 or abs(hit[0]) > 7.5:  # past the wall's ends
            continue
        cos_view = abs(d[2]) / np.linalg.norm(d)  # the wall's normal is +Z
        expected = 20.0 * cos_view**k
        got = float(np.median(img[h // 2 - 3 : h // 2 + 4, x, 1]))
        ratios.append(got / expected)
    assert len(ratios) >= 5
    # Across viewing angles from about 20 to 75 deg the green channel follows 20 nits x cos^k.
    assert np.allclose(ratios, 1.0, atol=0.04), ratios
