"""Depth-of-field preview: the blur of a defocused card matches the thin-lens circle of confusion
c = f^2 / (N (s - f)) * |d - s| / d (on the sensor; times image width / sensor width in pixels),
an in-focus card stays sharp, and a sharp subject keeps its edge against a blurred background.

A white emissive card on black, rendered with :class:`previs.render.Renderer` directly, with
and without the preview. The preview blends in (approximately) linear light, squaring the
display values, so profiles are compared as squared display values: the share of the card's
light each pixel received."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from previs.core import presets
from previs.core import transforms as tf
from previs.io.meshes import Material, primitive_asset
from previs.render import CameraView, DrawItem, Renderer

WIDTH, HEIGHT = 640, 360
FOCAL_MM, F_NUMBER = 50.0, 1.4


def _card(
    distance_m: float, size_m: float, key: str, glow: float = 4.0, x_m: float = 0.0
) -> DrawItem:
    box = primitive_asset("box", size_m=(size_m, size_m, 0.001), key=key)
    mat = Material(
        key=key, base_color=(0.0, 0.0, 0.0, 1.0), emissive=(glow, glow, glow), double_sided=True
    )
    box = replace(box, parts=tuple(replace(p, material=mat) for p in box.parts))
    return DrawItem(box, tf.translation((x_m, -size_m / 2, -distance_m)))


def _render(gl_context, items, focus_m: float, dof: bool) -> np.ndarray:
    mode = presets.get_mode("alexa-35", "4.6k-16-9")
    r = Renderer(WIDTH, HEIGHT, antialias=False, shadows=False, ctx=gl_context)
    try:
        r.set_world(items, [])
        r.set_lens(FOCAL_MM, F_NUMBER, focus_m, sensor_width_mm=mode.width_mm)
        yfov = 2 * np.arctan(mode.width_mm / 2 / FOCAL_MM / (WIDTH / HEIGHT))
        view = CameraView(np.eye(4), float(yfov), WIDTH / HEIGHT, 0.05, 500.0)
        return r.render(view, exposure=1.0, overlay=None, read_depth=False, dof=dof).color
    finally:
        r.release()


def _coc_px(d_m: float, s_m: float) -> float:
    mode = presets.get_mode("alexa-35", "4.6k-16-9")
    f, d, s = FOCAL_MM, d_m * 1000, s_m * 1000
    return f * f / (F_NUMBER * (s - f)) * abs(d - s) / d * WIDTH / mode.width_mm


def _lit_width(row: np.ndarray, share: float) -> int:
    """Pixels on the row that received at least ``share`` of the card's light."""
    light = (row.astype(float) / 255.0) ** 2
    lit = np.nonzero(light >= share * light.max())[0]
    return int(lit[-1] - lit[0] + 1)


def test_defocused_card_spreads_by_the_circle_of_confusion(gl_context):
    # Card 2 m away, focus 6 m, 50 mm at f/1.4 on the ALEXA 35 4.6K 16:9 (27.99 mm wide):
    # c = 2500 / (1.4 * 5950) * 4000 / 2000 = 0.600 mm, 0.600 * 640 / 27.99 = 13.7 px across.
    items = [_card(2.0, 0.3, "card")]
    coc = _coc_px(2.0, 6.0)
    assert coc == pytest.approx(13.7, abs=0.1)
    sharp = _render(gl_context, items, 6.0, dof=False)
    soft = _render(gl_context, items, 6.0, dof=True)
    row = HEIGHT // 2
    w0 = _lit_width(sharp[row, :, 1], 0.5)
    # The card's light reaches one blur radius past each edge: the lit run (any light at all)
    # grows by the blur diameter, within 2 px (the gather's 40 taps thin out at the rim).
    grown = _lit_width(soft[row, :, 1], 0.002) - w0
    print(
        f"card {w0} px, lit run grew {grown} px, 50 % run {_lit_width(soft[row, :, 1], 0.5)} px; c = {coc:.1f} px"
    )
    assert grown == pytest.approx(coc, abs=2.0), (grown, coc)
    # About half the light at the edges (a symmetric blur): the 50 % run keeps the card's width
    # within half the blur (the black background's own, smaller blur limits its weight
    # beside the card's, so the card's light is over-weighted there).
    assert _lit_width(soft[row, :, 1], 0.5) == pytest.approx(w0, abs=coc / 2)
    # And it is a blur, not a shift: with no preview the edge is a one-pixel step.
    assert _lit_width(sharp[row, :, 1], 0.002) - w0 <= 1


def test_card_in_the_focus_plane_stays_sharp(gl_context):
    items = [_card(3.0, 0.3, "card")]
    sharp = _render(gl_context, items, 3.0, dof=False)
    with_dof = _render(gl_context, items, 3.0, dof=True)
    assert np.abs(sharp.astype(int) - with_dof.astype(int)).max() <= 2


def test_sharp_subject_keeps_its_edge_over_a_blurred_background(gl_context):
    # An in-focus dim card at 1.5 m in front of a bright wall at 20 m (blurred ~27 px across):
    # the wall's light must not creep over the sharp card.
    items = [_card(1.5, 0.3, "near", glow=0.3), _card(20.0, 12.0, "far", glow=4.0)]
    sharp = _render(gl_context, items, 1.5, dof=False)
    soft = _render(gl_context, items, 1.5, dof=True)
    assert _coc_px(20.0, 1.5) > 25  # the background is well out of focus
    row = HEIGHT // 2
    card = np.nonzero(np.abs(sharp[row, :, 1].astype(int) - sharp[row, WIDTH // 2, 1]) <= 2)[0]
    inner = card[(card > WIDTH // 2 - 60) & (card < WIDTH // 2 + 60)]
    assert len(inner) > 100
    diff = np.abs(soft[row, inner, 1].astype(int) - sharp[row, inner, 1].astype(int))
    assert diff.max() <= 3, diff.max()
