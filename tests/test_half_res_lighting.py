"""Lighting at half resolution (Renderer.half_res_lighting, the animatic's default): the lights
are evaluated at every other pixel of every other row and each pixel takes the nearest samples
on its own surface; pixels with no such sample are lit in full. Checked against the same frames
lit in full at every pixel."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from previs import api
from previs.core import transforms as tf
from previs.core.frame import evaluate
from previs.core.scene import Light
from previs.io.meshes import primitive_asset
from previs.render import CameraView, DrawItem, Renderer

SCENE = Path(__file__).resolve().parents[1] / "scenes" / "led_stage.yaml"


def _levels(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per pixel, the largest difference of the three channels, in 8-bit levels."""
    return np.abs(a.astype(np.int16) - b.astype(np.int16)).max(axis=2)


def test_example_frames_match_full_lighting(gl_context):
    """Shot 3A at the animatic's 1280x720 (LED wall, four lights, three shadow maps, the wall as
    a light): differences are edge and highlight pixels of a level or a few."""
    scene = api.load_scene(SCENE)
    with api.StageRenderer(scene, width=1280) as r:
        for frame in (0, 60):
            state = evaluate(scene, "3A", frame)
            full = r.render(state, read_depth=False).color
            half = r.render(state, read_depth=False, half_res_lighting=True).color
            again = r.render(state, read_depth=False).color
            np.testing.assert_array_equal(again, full)  # no GL state left behind by the new passes
            d = _levels(half, full)
            assert (d > 0).mean() > 0.001  # the lights really were evaluated at half resolution
            # 0.2: the example's characters are articulated figures of 18 parts (format 2), whose
            # joints and limbs add silhouette pixels; with the posts of format 1 it was under 0.15
            assert d.mean() < 0.2, f"frame {frame}: mean {d.mean():.3f} levels"
            assert np.percentile(d, 99) <= 4, (
                f"frame {frame}: 99th percentile {np.percentile(d, 99)} levels"
            )
            assert (d > 8).mean() < 0.003, (
                f"frame {frame}: {(d > 8).mean():.2%} of pixels over 8 levels"
            )


def _pole_scene(pole_x_m: float):
    """A 1.2 cm grey pole 1 m from the camera, 20 cm from a bulb, in front of a grey wall 4 m
    away that the bulb lights 300 times less: at 160 px wide the pole is about one pixel, so
    most of its pixels have no half-resolution sample of their own."""
    wall = primitive_asset(
        "box", size_m=(8.0, 6.0, 0.1), color_linear=(0.5, 0.5, 0.5), roughness=1.0, key="wall"
    )
    pole = primitive_asset(
        "box", size_m=(0.012, 1.0, 0.012), color_linear=(0.5, 0.5, 0.5), roughness=1.0, key="pole"
    )
    items = [
        DrawItem(wall, tf.translation((0.0, -3.0, -4.05))),
        DrawItem(pole, tf.translation((pole_x_m, -0.5, -1.0))),
    ]
    bulb = Light(
        name="bulb",
        type="point",
        color_linear=(1.0, 1.0, 1.0),
        intensity=2.0,
        position_m=(pole_x_m, 0.0, -0.8),
        shadows=False,
    )
    return items, [bulb]


@pytest.mark.parametrize("pole_x_m", [0.0, 0.0047, 0.0094, 0.0141])  # a quarter pixel apart
def test_a_thin_object_is_lit_in_full(gl_context, pole_x_m):
    """Pixels of the pole are lit as the pole, not as the wall behind it (the resolve marks them
    and the mending pass lights them at full resolution), at an odd image size too."""
    items, lights = _pole_scene(pole_x_m)
    view = CameraView(np.eye(4), math.radians(40.0), 161 / 91, 0.05, 50.0)
    with Renderer(161, 91, antialias=False, ctx=gl_context) as r:
        r.set_world(items, lights)
        full = r.render(view, exposure=0.5, read_depth=False).color
        r.half_res_lighting = True
        half = r.render(view, exposure=0.5, read_depth=False).color
    pole = full.max(axis=2) > 120  # the pole is bright, the wall dark
    assert 40 <= pole.sum() <= 200, pole.sum()
    assert full[~pole].max() < 40
    d = _levels(half, full)
    assert d[pole].max() <= 2, f"pole pixels off by up to {d[pole].max()} levels"
    assert d.max() <= 2


def test_the_sky_is_untouched(gl_context):
    """Where nothing was drawn the sky pass still shades the background, and a floor lit by a
    sun is the same either way (a plane's lighting is smooth)."""
    floor = primitive_asset(
        "plane", size_m=(4.0, 4.0), color_linear=(0.5, 0.5, 0.5), roughness=1.0, key="floor"
    )
    sun = Light(
        name="sun",
        type="directional",
        color_linear=(1.0, 1.0, 1.0),
        intensity=3.0,
        direction=(0.3, -1.0, 0.2),
        shadows=True,
    )
    eye = np.array([0.0, 1.5, 2.5])
    view = CameraView(
        tf.look_at(eye, (0.0, 0.0, 0.0), (0.0, 1.0, 0.0)), math.radians(60.0), 1.5, 0.05, 100.0
    )
    with Renderer(240, 160, antialias=False, ctx=gl_context) as r:
        r.set_world([DrawItem(floor, np.eye(4))], [sun])
        r.set_sky((0.3, 0.8, 0.2))
        full = r.render(view, read_depth=True)
        r.half_res_lighting = True
        half = r.render(view, read_depth=True)
    empty = ~np.isfinite(full.depth_m)
    assert 0.2 < empty.mean() < 0.8
    np.testing.assert_array_equal(half.color[empty], full.color[empty])
    assert _levels(half.color, full.color).max() <= 1


def test_with_depth_of_field_a_draft_size_and_a_resize(gl_context):
    """Half-resolution lighting feeds the depth-of-field pass and a draft's upscale as the full
    lighting does, and survives a change of render size (odd sizes included)."""
    scene = api.load_scene(SCENE)
    state = evaluate(scene, "3A", 30)
    with api.StageRenderer(scene, width=641) as r:
        for kw in ({"dof": True}, {"output_width": 960}, {"width": 333}, {}):
            full = r.render(state, read_depth=False, **kw).color
            half = r.render(state, read_depth=False, half_res_lighting=True, **kw).color
            assert half.shape == full.shape
            d = _levels(half, full)
            assert (d > 0).any() and d.mean() < 1.0, (kw, d.mean())  # (more edges at 333 px)


def test_a_highlight_stays_on_its_material(gl_context):
    """A glossy metal sheet beside matte paint on the same plane, a bulb's highlight right on the
    seam: the paint pixels beside the metal do not take its highlight (the same-surface weight
    compares metallic and roughness too), so the seam matches the fully lit frame."""
    metal = primitive_asset(
        "plane",
        size_m=(1.0, 2.0),
        color_linear=(0.9, 0.9, 0.9),
        roughness=0.1,
        metallic=1.0,
        key="metal",
    )
    paint = primitive_asset(
        "plane", size_m=(1.0, 2.0), color_linear=(0.3, 0.3, 0.3), roughness=0.9, key="paint"
    )
    items = [
        DrawItem(metal, tf.translation((-0.5, 0.0, 0.0))),
        DrawItem(paint, tf.translation((0.5, 0.0, 0.0))),
    ]
    bulb = Light(
        name="bulb",
        type="point",
        color_linear=(1.0, 1.0, 1.0),
        intensity=3.0,
        position_m=(-0.03, 1.0, -0.3),
        shadows=False,
    )
    eye = np.array([0.0, 1.2, 1.0])
    view = CameraView(
        tf.look_at(eye, (0.0, 0.0, -0.3), (0.0, 1.0, 0.0)), math.radians(50.0), 1.5, 0.05, 50.0
    )
    with Renderer(241, 161, antialias=False, ctx=gl_context) as r:
        r.set_world(items, [bulb])
        full = r.render(view, read_depth=False).color
        r.half_res_lighting = True
        half = r.render(view, read_depth=False).color
    assert full.max() == 255  # the highlight is there
    assert _levels(half, full).max() <= 6


def test_glossy_edges_get_their_own_reflection(gl_context):
    """Shot 3B's first frame at 1280 px: the grazing edge of a window pane reflects something
    brighter than the pane beside it. On glossy surfaces samples must have nearly the same normal
    (about 3 degrees, against 18 on rough ones), or the edge takes the pane's light: 113 levels
    off with the rough tolerance everywhere, 47 with it."""
    scene = api.load_scene(SCENE)
    state = evaluate(scene, "3B", 0)
    with api.StageRenderer(scene, width=1280) as r:
        full = r.render(state, read_depth=False).color
        half = r.render(state, read_depth=False, half_res_lighting=True).color
    assert _levels(half, full).max() <= 80


def test_a_glint_is_lit_in_full(gl_context):
    """A small bulb's glint on a glossy floor covers a pixel or two: samples whose reflections
    differ that much are not blended (that spread it over its 2x2 block) but lit in full."""
    floor = primitive_asset(
        "plane", size_m=(4.0, 4.0), color_linear=(0.1, 0.1, 0.1), roughness=0.045, key="floor"
    )
    bulb = Light(
        name="bulb",
        type="point",
        color_linear=(1.0, 1.0, 1.0),
        intensity=2.0,
        position_m=(0.0, 1.0, -1.5),
        shadows=False,
    )
    eye = np.array([0.0, 1.0, 1.5])
    view = CameraView(
        tf.look_at(eye, (0.0, 0.0, 0.0), (0.0, 1.0, 0.0)), math.radians(40.0), 1.5, 0.05, 50.0
    )
    with Renderer(241, 161, antialias=False, ctx=gl_context) as r:
        r.set_world([DrawItem(floor, np.eye(4))], [bulb])
        full = r.render(view, exposure=0.5, read_depth=False).color
        r.half_res_lighting = True
        half = r.render(view, exposure=0.5, read_depth=False).color
    glint = full.max(axis=2) > 200
    assert 1 <= glint.sum() <= 40, glint.sum()  # a small glint on a dark floor
    assert _levels(half, full).max() <= 10  # 64 levels when the glint is blended
