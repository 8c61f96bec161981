"""The LED wall lights the set: a white ball lit only by a flat wall on one side is brighter on
that side, and its light takes the colour of what the wall shows."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

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
    left, right = row[xs[0] : mid].mean(), row[mid : xs[-1]].mean()
    assert right > 1.5 * left, (left, right)


def test_the_wall_light_takes_the_colour_of_the_content(tmp_path, gl_context):
    warm = _render(tmp_path, 3)  # the sun on the horizon: the wall glows orange
    cool = _render(tmp_path, 60)  # high sun: blue sky

    def rb(img):
        sel = img.sum(axis=2) > 30
        return img[sel][:, 0].mean() / max(img[sel][:, 2].mean(), 1e-6)

    assert rb(warm) > 1.1 * rb(cool)


def _env_brdf(f0: float, rough: float, nv: float) -> float:
    """Karis's published fit of the split-sum environment BRDF (as lighting.glsl uses it)."""
    r = rough * np.array([-1.0, -0.0275, -0.572, 0.022]) + np.array([1.0, 0.0425, 1.04, -0.04])
    a004 = min(r[0] * r[0], 2.0 ** (-9.28 * nv)) * r[0] + r[1]
    return f0 * (-1.04 * a004 + r[2]) + (1.04 * a004 + r[3])


@pytest.mark.parametrize("turn_deg", [0.0, 25.0, -40.0, 60.0])
def test_a_mirror_reflects_the_wall_light_in_the_mirror_direction(gl_context, turn_deg):
    """A nearly mirror-like metal card seen head-on (turned about the vertical) shows the wall's
    radiance from the mirror direction of the view, times the environment BRDF: the radiance
    here is a smooth function of direction, so the value at the card's centre pixel is that
    function at the reflected ray, which is worked out by hand. At 60 degrees the ray leaves
    backwards (z < 0: the folded half of the octahedral maps)."""
    import math

    from previs.core.ledcheck import cube_directions

    def radiance(d):  # nits, per channel a different axis
        return 50.0 + 40.0 * np.asarray(d)

    cube = radiance(cube_directions(32))
    got = _mirror_card(gl_context, cube, turn_deg, rough=0.05)
    t = math.radians(turn_deg)
    n = np.array([math.sin(t), 0.0, math.cos(t)])
    v = np.array([0.0, 0.0, 1.0])  # towards the eye
    reflected = 2.0 * n.dot(v) * n - v
    want = radiance(reflected) * _env_brdf(1.0, 0.05, float(n.dot(v)))
    np.testing.assert_allclose(got, want, rtol=0.02)


def test_a_rough_metal_reflects_the_wall_light_blurred_to_the_coarsest_level(gl_context):
    """At roughness 1 the reflection is the radiance's coarsest mip level: each cube face's mean.
    The wall light here is one bright patch on the +Z face (seen straight back by a card facing
    the camera) and a dim rest, so the card shows that face's mean, worked out here from the
    texels, not the sharp patch."""
    from previs.core.ledcheck import cube_directions

    d = cube_directions(32)
    cube = np.where((d[..., 2:3] > 0.95), 400.0, 10.0) * np.ones(3)
    got = _mirror_card(gl_context, cube, 0.0, rough=1.0)
    want = cube[4].mean(axis=(0, 1)) * _env_brdf(1.0, 1.0, 1.0)  # face 4 is +Z
    np.testing.assert_allclose(got, want, rtol=0.03)
    assert got[0] < 0.5 * 400.0 * _env_brdf(1.0, 1.0, 1.0)  # not the patch itself


def _mirror_card(gl_context, cube: np.ndarray, turn_deg: float, *, rough: float) -> np.ndarray:
    """The linear light at the centre of a white metal card of ``rough``, 2 m in front of the
    camera and turned ``turn_deg`` about the vertical, lit only by the radiance ``cube``."""
    import math

    from previs.core import transforms as tf
    from previs.io.meshes import Material, primitive_asset
    from previs.render import CameraView, DrawItem, Renderer

    card = primitive_asset("box", size_m=(1.0, 1.0, 0.01), key="mirror")
    mat = Material(key="mirror", base_color=(1.0, 1.0, 1.0, 1.0), metallic=1.0, roughness=rough)
    card = dataclasses.replace(
        card, parts=tuple(dataclasses.replace(p, material=mat) for p in card.parts)
    )
    # The card faces +Z turned by turn_deg about +Y, centred 2 m in front of the camera.
    m = (
        tf.translation((0.0, 0.0, -2.0))
        @ tf.rotation_y(turn_deg)
        @ tf.translation((0.0, -0.5, 0.0))
    )
    with Renderer(64, 64, antialias=False, shadows=False, ctx=gl_context) as r:
        r.set_world([DrawItem(card, m)], [])
        r.set_led_light(cube, np.zeros((6, 8, 8, 3)))
        hdr = r.render_hdr(CameraView(np.eye(4), math.radians(20.0), 1.0, 0.05, 100.0))
    return hdr[31:33, 31:33].mean(axis=(0, 1))
