"""FXAA: it softens a slanted edge, leaves flat areas alone, and its two-pass form (marks, then
FXAA only where marked) gives the same picture as FXAA run over every pixel."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
from scipy import ndimage

from previs.core import transforms as tf
from previs.core.scene import Light
from previs.io.meshes import Material, primitive_asset
from previs.render import CameraView, DrawItem, Renderer

W, H = 320, 180


def _view() -> CameraView:
    return CameraView(np.eye(4), math.radians(40), W / H, 0.05, 100.0)


def _card(rgb, key: str, *, emissive: bool):
    """A 1.6 m square card, glowing ``rgb`` (linear) or lit, double-sided."""
    card = primitive_asset("box", size_m=(1.6, 1.6, 0.01), key=key)
    mat = (
        Material(
            key=key,
            base_color=(0.0, 0.0, 0.0, 1.0),
            emissive=tuple(4.0 * c for c in rgb),
            double_sided=True,
        )
        if emissive
        else Material(key=key, base_color=(*rgb, 1.0), roughness=0.4, double_sided=True)
    )
    return replace(card, parts=tuple(replace(p, material=mat) for p in card.parts))


def _render(items, lights, antialias: bool, gl_context):
    r = Renderer(W, H, antialias=antialias, ctx=gl_context)
    try:
        r.set_world(items, lights)
        return r.render(_view(), read_depth=False).color.astype(int)
    finally:
        r.release()


def _slanted_card():
    """A white card turned 20 degrees about the view axis, its corner off the image's left edge:
    long slanted edges on black."""
    m = tf.translation((0.3, 0.0, -3.0)) @ tf.rotation_z(20.0) @ tf.translation((0.0, -0.8, 0.0))
    return [DrawItem(_card((1.0, 1.0, 1.0), "card", emissive=True), m)]


def test_fxaa_softens_a_slanted_edge_and_leaves_flat_areas_alone(gl_context):
    sharp = _render(_slanted_card(), [], False, gl_context)
    soft = _render(_slanted_card(), [], True, gl_context)
    lum_sharp, lum_soft = sharp.mean(axis=2), soft.mean(axis=2)
    lit = lum_sharp.max()
    assert lit > 200 and lum_sharp.min() == 0
    between = lambda lum: int(((lum > 0.1 * lit) & (lum < 0.9 * lit)).sum())  # noqa: E731
    # Without antialiasing the edge is a staircase of lit and black pixels; FXAA blends along it.
    assert between(lum_sharp) <= 10
    assert between(lum_soft) > 150, between(lum_soft)
    # Away from the edge (every pixel 2 px around alike in the sharp render) nothing changes.
    flat = ndimage.minimum_filter(lum_sharp, 5) == ndimage.maximum_filter(lum_sharp, 5)
    assert flat.mean() > 0.8
    assert np.array_equal(soft[flat], sharp[flat])


def test_two_pass_fxaa_is_fxaa_over_every_pixel(gl_context):
    """Shaded cards, a shadow and glowing edges: the marks pass and FXAA where marked give the
    picture FXAA gives run over every pixel, bit for bit, while the marks cover only a small
    share of the image (the point of the marks: llvmpipe skips the blocks without any). The
    frame before it had its cards elsewhere, so marks left over from it would show."""
    from previs.render import Overlay

    def items(shift_m: float):
        return [
            DrawItem(
                _card((0.8, 0.3, 0.2), "red", emissive=False),
                tf.translation((-0.5 + shift_m, -0.9, -4.0)) @ tf.rotation_y(35.0),
            ),
            DrawItem(
                _card((0.2, 0.6, 0.9), "blue", emissive=False),
                tf.translation((0.7 - shift_m, -0.7, -5.0)) @ tf.rotation_z(-15.0),
            ),
            *_slanted_card(),
        ]

    d = np.array([-0.4, -0.6, -1.0])
    key = Light(
        name="key",
        type="spot",
        color_linear=(1.0, 1.0, 1.0),
        intensity=400.0,
        position_m=(2.0, 3.0, 0.0),
        direction=tuple(d / np.linalg.norm(d)),
        beam_angle_deg=40.0,
        field_angle_deg=60.0,
        shadows=True,
    )
    r = Renderer(W, H, antialias=True, ctx=gl_context)
    try:
        r.set_world(items(0.6), [key])
        r.render(_view(), read_depth=False)
        r.set_world(items(0.0), [key])
        two_pass = r.render(_view(), overlay=Overlay(), read_depth=False).color
        t = r.targets
        with r.ctx:

            def read():
                return np.frombuffer(
                    t["ldr_fbo"].read(components=3, alignment=1), np.uint8
                ).reshape(H, W, 3)[::-1]

            marks = np.frombuffer(
                t["ldr_marked_fbo"].read(components=1, attachment=-1, dtype="f4"), np.float32
            )
            t["ldr_fbo"].use()
            t["image"].use(0)
            r.post_pass.draw("fxaa", (W, H))
            every_pixel = read()
            r.post_pass.draw("copy", (W, H))
            copy = read()
    finally:
        r.release()
    assert np.array_equal(two_pass, every_pixel)
    changed = np.any(every_pixel != copy, axis=2)
    assert changed.sum() > 100  # FXAA did something, so the comparison above means something
    assert 0.005 < (marks == 0.0).mean() < 0.25, (marks == 0.0).mean()
