"""Colour temperature and the sRGB transfer functions (numpy only).

* :func:`kelvin_to_xy`: Kim/Kang et al. 2002 cubic fit to the Planckian locus, 1667–25000 K.
* :func:`kelvin_to_linear_rgb`: that chromaticity as linear Rec.709/sRGB, no chromatic adaptation,
  normalised so the largest component is 1 (intensity is carried separately).
* :func:`linear_to_srgb` / :func:`srgb_to_linear`: the exact IEC 61966-2-1 piecewise curves.
"""

from __future__ import annotations

import numpy as np

from previs.errors import PrevisError

KELVIN_MIN = 1667.0
KELVIN_MAX = 25000.0

# CIE XYZ -> linear sRGB (IEC 61966-2-1, D65 white).
XYZ_TO_LINEAR_SRGB = np.array(
    [
        [3.2406, -1.5372, -0.4986],
        [-0.9689, 1.8758, 0.0415],
        [0.0557, -0.2040, 1.0570],
    ]
)
REC709_LUMA = np.array([0.2126, 0.7152, 0.0722])


def kelvin_to_xy(kelvin: float) -> tuple[float, float]:
    """CIE 1931 xy of a blackbody at ``kelvin`` (Kang 2002 fit to the Planckian locus)."""
    t = float(kelvin)
    if not KELVIN_MIN <= t <= KELVIN_MAX:
        raise PrevisError(
            f"colour temperature {kelvin!r} K is outside {KELVIN_MIN:g}–{KELVIN_MAX:g} K"
        )
    if t <= 4000.0:
        x = -0.2661239e9 / t**3 - 0.2343589e6 / t**2 + 0.8776956e3 / t + 0.179910
    else:
        x = -3.0258469e9 / t**3 + 2.1070379e6 / t**2 + 0.2226347e3 / t + 0.240390
    if t <= 2222.0:
        y = -1.1063814 * x**3 - 1.34811020 * x**2 + 2.18555832 * x - 0.20219683
    elif t <= 4000.0:
        y = -0.9549476 * x**3 - 1.37418593 * x**2 + 2.09137015 * x - 0.16748867
    else:
        y = 3.0817580 * x**3 - 5.87338670 * x**2 + 3.75112997 * x - 0.37001483
    return x, y


def xy_to_xyz(x: float, y: float, luminance_y: float = 1.0) -> np.ndarray:
    """CIE XYZ of a chromaticity at a given Y."""
    return np.array([x / y, 1.0, (1.0 - x - y) / y]) * luminance_y


def kelvin_to_linear_rgb(kelvin: float) -> np.ndarray:
    """Linear sRGB/Rec.709 colour of a blackbody, max component 1.

    No chromatic adaptation: 6500 K is near white, 3200 K is orange. Components outside the sRGB
    gamut (blue below ~2000 K) are clipped to 0.
    """
    rgb = XYZ_TO_LINEAR_SRGB @ xy_to_xyz(*kelvin_to_xy(kelvin))
    rgb = np.clip(rgb, 0.0, None)
    return rgb / rgb.max()


def _as_output(x_in, out: np.ndarray):
    return float(out) if np.ndim(x_in) == 0 else out


def linear_to_srgb(x):
    """IEC 61966-2-1 encoding: 12.92 x below 0.0031308, else 1.055 x^(1/2.4) − 0.055."""
    a = np.asarray(x, dtype=np.float64)
    out = np.where(
        a <= 0.0031308, 12.92 * a, 1.055 * np.power(np.maximum(a, 0.0031308), 1.0 / 2.4) - 0.055
    )
    return _as_output(x, out)


def srgb_to_linear(x):
    """IEC 61966-2-1 decoding: v/12.92 below 0.04045, else ((v + 0.055)/1.055)^2.4."""
    a = np.asarray(x, dtype=np.float64)
    out = np.where(a <= 0.04045, a / 12.92, np.power((np.maximum(a, 0.04045) + 0.055) / 1.055, 2.4))
    return _as_output(x, out)


def luminance(rgb_linear):
    """Rec.709 relative luminance Y of linear RGB (``[..., 3]``; a float for one colour)."""
    a = np.asarray(rgb_linear, dtype=np.float64)
    if a.shape[-1:] != (3,):
        raise PrevisError(f"luminance needs RGB triples, got shape {a.shape}")
    return _as_output(a[..., 0], a @ REC709_LUMA)
