"""Colour temperature and sRGB transfer, against the reference table (§7.1, colour-science 0.4.7)."""

from __future__ import annotations

import numpy as np
import pytest

from previs.core import colour
from previs.errors import PrevisError

# kelvin, Planck xy, Planck -> sRGB8 (no chromatic adaptation), from the reference [V]
PLANCK = [
    (1900, (0.5378, 0.4112), (255, 132, 0)),
    (2700, (0.4599, 0.4106), (255, 173, 89)),
    (3200, (0.4234, 0.3990), (255, 190, 122)),
    (4300, (0.3681, 0.3687), (255, 218, 179)),
    (5600, (0.3302, 0.3391), (255, 239, 228)),
    (6500, (0.3135, 0.3236), (255, 248, 254)),
    (10000, (0.2806, 0.2883), (205, 217, 255)),
]


@pytest.mark.parametrize("kelvin, xy, _srgb8", PLANCK)
def test_kelvin_to_xy_matches_planck(kelvin, xy, _srgb8):
    x, y = colour.kelvin_to_xy(kelvin)
    assert x == pytest.approx(xy[0], abs=0.002)
    assert y == pytest.approx(xy[1], abs=0.002)


@pytest.mark.parametrize("kelvin, _xy, srgb8", PLANCK)
def test_kelvin_to_rgb_encoded_matches_planck_srgb8(kelvin, _xy, srgb8):
    rgb = colour.kelvin_to_linear_rgb(kelvin)
    assert rgb.max() == pytest.approx(1.0)
    assert rgb.min() >= 0.0
    codes = np.round(colour.linear_to_srgb(rgb) * 255)
    np.testing.assert_allclose(codes, srgb8, atol=3)


def test_kelvin_boundaries_and_range():
    # the two x branches meet at 4000 K (continuous locus)
    lo = colour.kelvin_to_xy(3999.999)
    hi = colour.kelvin_to_xy(4000.001)
    assert lo == pytest.approx(hi, abs=2e-4)
    assert colour.kelvin_to_xy(1667)[0] == pytest.approx(0.5646, abs=0.002)
    with pytest.raises(PrevisError, match="outside 1667"):
        colour.kelvin_to_xy(1000)
    with pytest.raises(PrevisError):
        colour.kelvin_to_linear_rgb(30000)


def test_warm_is_red_cool_is_blue():
    warm, cool = colour.kelvin_to_linear_rgb(3200), colour.kelvin_to_linear_rgb(10000)
    assert warm[0] == 1.0 and warm[2] < 0.25
    assert cool[2] == 1.0 and cool[0] < 0.65


def test_srgb_transfer_exact_points_and_round_trip():
    assert colour.linear_to_srgb(0.0) == 0.0
    assert colour.linear_to_srgb(1.0) == pytest.approx(1.0)
    assert colour.linear_to_srgb(0.18) == pytest.approx(0.4613561, abs=1e-6)
    assert colour.linear_to_srgb(0.002) == pytest.approx(0.002 * 12.92)
    assert colour.srgb_to_linear(0.5) == pytest.approx(0.2140411, abs=1e-6)
    assert colour.srgb_to_linear(0.04) == pytest.approx(0.04 / 12.92)
    x = np.linspace(0.0, 1.0, 1001)
    np.testing.assert_allclose(colour.srgb_to_linear(colour.linear_to_srgb(x)), x, atol=1e-12)
    v = np.linspace(0.0, 1.0, 256)
    np.testing.assert_allclose(colour.linear_to_srgb(colour.srgb_to_linear(v)), v, atol=1e-12)
    assert isinstance(colour.linear_to_srgb(0.5), float)
    assert colour.linear_to_srgb(np.zeros((2, 3))).shape == (2, 3)


def test_luminance():
    assert colour.luminance([1.0, 1.0, 1.0]) == pytest.approx(1.0)
    assert colour.luminance([0.0, 1.0, 0.0]) == pytest.approx(0.7152)
    np.testing.assert_allclose(colour.luminance(np.eye(3)), [0.2126, 0.7152, 0.0722])
    # D65 white from the sRGB matrix comes out neutral at Y = 1
    rgb = colour.XYZ_TO_LINEAR_SRGB @ colour.xy_to_xyz(0.3127, 0.3290)
    np.testing.assert_allclose(rgb, [1.0, 1.0, 1.0], atol=2e-3)
    assert colour.luminance(rgb) == pytest.approx(1.0, abs=1e-3)
