"""A light aimed at a character from its left brightens that side of the character in the frame
by the ratio photometry predicts (scene-linear light, so the display curve does not bend it).

Both lights stand on the character's left (-X, the picture's left) on one line through the
chest, the key at 4 m and the added light at 2 m, each aimed at the chest. At every point of
the lit side the two arrive from (near enough) one direction, so a Lambertian surface's cosine
is the same for both and cancels: E = I cos(theta) / d^2 for each, and the side's linear light
goes up by (E_key + E_new) / E_key = 1 + (I_new / 2^2) / (I_key / 4^2) = 1 + 4 I_new / I_key.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from previs import api
from previs.core import scene as sc
from previs.core.fixtures import aim_light_at
from previs.core.frame import evaluate
from previs.core.transforms import trs

CHEST_M = (0.0, 1.25, 0.0)
KEY_CD, NEW_CD = 400.0, 100.0
KEY_D_M, NEW_D_M = 4.0, 2.0


def spot(name, x_m, cd):
    lt = sc.Light(
        name=name,
        type="spot",
        color_linear=(1.0, 1.0, 1.0),
        intensity=cd,
        position_m=(x_m, CHEST_M[1], 0.0),
        beam_angle_deg=40.0,
        field_angle_deg=60.0,
        shadows=False,
    )
    return aim_light_at(lt, CHEST_M)


def scene_of(lights):
    cam = sc.CameraSettings(
        body="alexa-35",
        mode="4.6k-3-2-og",
        lens_kit="arri-signature-prime",
        iso=800,
        shutter_angle_deg=180,
        t_stop=4.0,
    )
    shot = sc.Shot(
        id="1",
        scene_number="1",
        description="",
        length_frames=24,
        camera=sc.CameraPlacement(
            position_m=(0, 1.25, 4), look_at_m=(0, 1.25, 0), focal_length_mm=47
        ),
    )
    mara = sc.SetPiece(
        name="Mara",
        kind="standin",
        world_from_local=trs((0, 0, 0), (0, 0, 0), (1, 1, 1)),
        height_m=1.75,
    )
    return sc.Scene(
        source_path=None,
        name="aimed",
        frame_rate=Fraction(24),
        stage=None,
        environment=sc.Environment(),
        set_pieces=(mara,),
        lights=tuple(lights),
        camera=cam,
        shots=(shot,),
    )


def luminance(rgb):
    return rgb @ np.array([0.2126, 0.7152, 0.0722])


def sides(scene, gl_context):
    """Mean linear luminance of the character's left and right thirds over its torso rows."""
    with api.StageRenderer(scene, width=320) as r:
        rgb, depth = r.render_linear(evaluate(scene, "1", 0))
    h = rgb.shape[0]
    body = (depth > 3.0) & (depth < 5.0)  # the character, about 4 m from the lens
    left, right = [], []
    for row in range(int(0.35 * h), int(0.6 * h)):  # the torso, about the chest's height
        cols = np.flatnonzero(body[row])
        if len(cols) < 9:
            continue
        third = len(cols) // 3
        left.append(luminance(rgb[row, cols[:third]]).mean())
        right.append(luminance(rgb[row, cols[-third:]]).mean())
    assert len(left) > 5, "the character is not in the frame"
    return float(np.mean(left)), float(np.mean(right))


def test_an_aimed_light_brightens_the_characters_left_side_by_the_expected_ratio(gl_context):
    before = scene_of([spot("key", -KEY_D_M, KEY_CD)])
    # the second light stands on the left, then is aimed at the character
    new = sc.Light(
        name="new",
        type="spot",
        color_linear=(1.0, 1.0, 1.0),
        intensity=NEW_CD,
        position_m=(-NEW_D_M, CHEST_M[1], 0.0),
        beam_angle_deg=40.0,
        field_angle_deg=60.0,
        shadows=False,
    )
    after = scene_of([spot("key", -KEY_D_M, KEY_CD), aim_light_at(new, CHEST_M)])
    l0, r0 = sides(before, gl_context)
    l1, r1 = sides(after, gl_context)
    expected = 1 + (NEW_CD / NEW_D_M**2) / (KEY_CD / KEY_D_M**2)  # = 2.0
    assert l0 > 0
    assert l1 / l0 == pytest.approx(expected, rel=0.1)
    # the left side brightens against the right: the right side gains far less
    assert (l1 - l0) > 3 * abs(r1 - r0)
