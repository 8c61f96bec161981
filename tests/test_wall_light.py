"""The LED wall lights the set: a white ball lit only by a flat wall on one side is brighter on
that side, and its light takes the colour of what the wall shows."""

from __future__ import annotations

import numpy as np

from previs import api
from previs.core.frame import evaluate
from previs.io.scene_file import load_scene

SCENE = """\
format_version: 1
name: wall light test
frame_rate: 24
stage:
  panel: {{name: BP2, pixel_pitch_mm: 2.84, panel_size_mm: [500, 500], panel_pixels: [176, 176], peak_nits: 1500}}
  sections:
    - {{name: back, type: flat, start_xz_m: [6, -4], end_xz_m: [-6, -4], height_m: 5}}  # lit face towards +Z
  inner_frustum: {{enabled: false}}
environment:
  sky: {{sun_azimuth_deg: 180, sun_elevation_deg: {elevation}, turbidity: 2}}
  wall_brightness_nits: 400
set:
  - {{name: ball, type: cylinder, radius_m: 0.5, height_m: 1.0, translation_m: [0, 1.0, 0], color: "#ffffff", roughness: 1.0}}
camera: {{body: alexa-35, mode: 4.6k-16-9, lens_kit: arri-signature-prime, iso: 800, t_stop: 4, delivery_aspect: full}}
shots:
  - id: SIDE
    scene: 1
    length_frames: 1
    camera: {{position_m: [4, 1.5, 0], look_at_m: [0, 1.5, 0], focal_length_mm: 58, focus_m: 4}}
"""


def _render(tmp_path, elevation: float) -> np.ndarray:
    p = tmp_path / f"wall_{elevation}.yaml"
    p.write_text(SCENE.format(elevation=elevation))
    scene = load_scene(p)
    with api.StageRenderer(scene, width=480, antialias=False) as r:
        return r.render(evaluate(scene, "SIDE", 0), overlay=False).color.astype(float)


def test_the_wall_side_of_the_drum_is_lit(tmp_path, gl_context):
    img = _render(tmp_path, 40)
    h, w = img.shape[:2]
    row = img[h // 2]
    lit = row.sum(axis=1) > 15
    xs = np.nonzero(lit)[0]
    assert len(xs) > 40, "the drum is not lit at all"
    # Looking down -X from +X, the camera's right is -Z, where the wall is: the right half of the
    # drum faces the wall and is the brighter one.
    mid = (xs[0] + xs[-1]) // 2
    left, right = row[xs[0]:mid].mean(), row[mid:xs[-1]].mean()
    assert right > 1.5 * left, (left, right)


def test_the_wall_light_takes_the_colour_of_the_content(tmp_path, gl_context):
    warm = _render(tmp_path, 3)    # the sun on the horizon: the wall glows orange
    cool = _render(tmp_path, 60)   # high sun: blue sky
    def rb(img):
        sel = img.sum(axis=2) > 30
        return img[sel][:, 0].mean() / max(img[sel][:, 2].mean(), 1e-6)
    assert rb(warm) > 1.1 * rb(cool)
