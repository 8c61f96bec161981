"""Optics maths against the worked and published numbers in the project reference (§3, §4.2, §7.3)."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from previs.core import optics
from previs.core.optics import Lens, SensorMode
from previs.core.presets import get_lens, get_mode
from previs.errors import PresetError


# body, mode, kit, focal, expected HFOV, VFOV (deg), tolerance
@pytest.mark.parametrize(
    "body, mode, kit, focal_mm, hfov, vfov, tol",
    [
        ("alexa-35", "og", "cooke-s4i", 35, 43.589, 30.707, 0.005),  # USD GfCamera [V]
        ("alexa-mini", "2.8k-4-3", "arri-master-anamorphic", 50, 50.8, 20.2, 0.06),
        ("alexa-mini-lf", "open-gate", "arri-signature-prime", 35, 55.3, 40.1, 0.06),
        ("alexa-65", "6.5k-og", "arri-signature-prime", 35, 75.4, 40.1, 0.06),
        ("v-raptor-8k-vv", "8k-17-9", "cooke-s4i", 35, 60.7, 34.3, 0.06),
        ("komodo-6k", "6K 17:9", "cooke-s4i", 35, 42.2, 23.0, 0.06),
        ("venice-2-8k", "8.6k-3-2-ff", "zeiss-supreme-prime", 35, 54.4, 37.8, 0.06),
        ("alexa-35", "4k-16-9", "cooke-s4i", 35, 39.1, 22.6, 0.06),
        ("alexa-mini", "og", "cooke-s4i", 35, 44.0, 29.1, 0.06),
        ("c500-mk-ii", "5.9k-ff-17-9", "cooke-s4i", 35, 57.1, 32.0, 0.06),
    ],
)
def test_fov_through_presets(body, mode, kit, focal_mm, hfov, vfov, tol):
    m = get_mode(body, mode)
    lens = get_lens(kit, focal_mm)
    assert optics.horizontal_fov_deg(m, lens.focal_length_mm, lens.squeeze) == pytest.approx(
        hfov, abs=tol
    )
    assert optics.vertical_fov_deg(m, lens.focal_length_mm) == pytest.approx(vfov, abs=tol)


def test_fov_accepts_plain_millimetres_and_anamorphic_rules():
    assert optics.horizontal_fov_deg(36.0, 35.0) == pytest.approx(54.43, abs=0.01)
    assert optics.vertical_fov_deg(24.0, 35.0) == pytest.approx(37.85, abs=0.01)
    m = get_mode("alexa-mini", "2.8k-4-3")
    # squeeze widens only the horizontal and diagonal
    assert optics.horizontal_fov_deg(m, 50, 2.0) > optics.horizontal_fov_deg(m, 50) + 20
    assert optics.desqueezed_aspect(m, 2.0) == pytest.approx(2.667, abs=0.001)
    diag = math.degrees(2 * math.atan(math.hypot(2 * 23.76, 17.82) / 100))
    assert optics.diagonal_fov_deg(m, 50, 2.0) == pytest.approx(diag)
    assert optics.diagonal_fov_deg((36.0, 24.0), 50) == pytest.approx(46.79, abs=0.01)
    f = optics.focal_length_for_hfov_mm(m, 50.834, 2.0)
    assert f == pytest.approx(50.0, abs=0.01)


def test_sensor_mode_derived_properties():
    m = get_mode("alexa-35", "og")
    assert m.photosite_pitch_um == pytest.approx(6.074, abs=0.001)
    assert m.diagonal_mm == pytest.approx(33.95, abs=0.01)
    assert m.aspect == pytest.approx(27.99 / 19.22)
    assert m.coc_mm == pytest.approx(33.95 / 1500, abs=1e-4)
    lf = get_mode("alexa-mini-lf", "og")
    assert lf.crop_factor == pytest.approx(0.968, abs=0.001)  # ARRI forum [S]


def test_hyperfocal_and_dof_worked_examples():
    assert optics.hyperfocal_m(50, 2.8, 0.025) == pytest.approx(35.8, abs=0.05)
    near, far = optics.dof_limits_m(50, 2.8, 0.025, 3.0)
    assert (near, far) == (pytest.approx(2.77, abs=0.005), pytest.approx(3.27, abs=0.005))
    near, far = optics.dof_limits_m(50, 2.8, 0.030, 3.0)
    assert (near, far) == (pytest.approx(2.73, abs=0.005), pytest.approx(3.33, abs=0.005))
    assert optics.hyperfocal_m(25, 4, 0.025) == pytest.approx(6.28, abs=0.01)
    near, far = optics.dof_limits_m(25, 4, 0.025, 3.0)
    assert (near, far) == (pytest.approx(2.03, abs=0.005), pytest.approx(5.73, abs=0.005))


def test_dof_far_is_infinite_at_and_beyond_hyperfocal():
    h = optics.hyperfocal_m(25, 4, 0.025)
    near, far = optics.dof_limits_m(25, 4, 0.025, h)
    assert far == math.inf
    assert near == pytest.approx(h / 2, rel=0.01)  # focused at H, sharp from ~H/2
    assert optics.dof_limits_m(25, 4, 0.025, 10.0)[1] == math.inf
    near_inf, far_inf = optics.dof_limits_m(25, 4, 0.025, math.inf)
    assert far_inf == math.inf and near_inf == pytest.approx(h - 0.025)
    assert optics.dof_limits_m(25, 4, 0.025, 6.0)[1] < math.inf


def test_blur_circle_moire_worked_examples():
    # ALEXA 35, 50 mm T2.8, wall 6 m, focus on actor at 3 m -> 151 um
    assert optics.blur_circle_mm(50, 2.8, 3.0, 6.0) == pytest.approx(0.151, abs=0.001)
    # 135 mm T2, wall 10 m, focus 4 m -> 1.41 mm
    assert optics.blur_circle_mm(135, 2.0, 4.0, 10.0) == pytest.approx(1.41, abs=0.01)
    # 24 mm f/4, wall 8 m, focus 2.5 m -> 40 um
    assert optics.blur_circle_mm(24, 4.0, 2.5, 8.0) == pytest.approx(0.040, abs=0.001)
    assert optics.blur_circle_mm(50, 2.8, 6.0, 6.0) == 0.0
    # consistent with DOF: at the near limit the blur equals the CoC
    near, _ = optics.dof_limits_m(50, 2.8, 0.025, 3.0)
    assert optics.blur_circle_mm(50, 2.8, 3.0, near) == pytest.approx(0.025, rel=1e-6)


def test_shutter_and_ev():
    assert optics.shutter_time_s(180, 24) == pytest.approx(1 / 48)
    assert optics.shutter_time_s(180, Fraction(24000, 1001)) == pytest.approx(1001 / 48000)
    assert optics.shutter_time_s(360, 25) == pytest.approx(1 / 25)
    assert optics.ev100(2.8, 1 / 48) == pytest.approx(8.56, abs=0.005)
    assert optics.exposure_ev(2.8, 100, 180, 24) == pytest.approx(8.56, abs=0.005)
    assert optics.exposure_ev(2.8, 800, 180, 24) == pytest.approx(5.56, abs=0.005)


def test_exposure_scale_places_meter_grey_at_018():
    # reflected meter: T^2/t = L S / K  ->  L_grey = K T^2 / (t S)
    l_grey = 12.5 * 2.8**2 * 48 / 800
    assert optics.mid_grey_luminance_nits(2.8, 800, 180, 24) == pytest.approx(l_grey)
    scale = optics.exposure_scale(2.8, 800, 180, 24)
    assert l_grey * scale == pytest.approx(0.18)
    # one stop more light (ISO doubled, or T-stop opened by sqrt 2) doubles the pixel
    assert optics.exposure_scale(2.8, 1600, 180, 24) == pytest.approx(2 * scale)
    assert optics.exposure_scale(2.8 / math.sqrt(2), 800, 180, 24) == pytest.approx(2 * scale)
    assert optics.exposure_scale(2.8, 800, 90, 24) == pytest.approx(scale / 2)
    # and it equals 0.18 (100/K) 2^-EV
    ev = optics.exposure_ev(2.8, 800, 180, 24)
    assert scale == pytest.approx(0.18 * 100 / 12.5 * 2**-ev)


def test_incident_meter_worked_example():
    lux = 100 * optics.LUX_PER_FOOTCANDLE  # 100 fc key
    t_stop = optics.incident_t_stop(lux, 800, 180, 24)
    assert t_stop == pytest.approx(8.5, abs=0.05)
    assert optics.incident_t_stop(lux, 100, 180, 24) == pytest.approx(3.0, abs=0.03)
    # T2.8 at ISO 800 1/48 needs ~10.9 fc
    fc = 2.8**2 * 250 * 48 / 800 / optics.LUX_PER_FOOTCANDLE
    assert fc == pytest.approx(10.9, abs=0.05)
    # a Lambertian grey of reflectance pi K / C (15.7 %) under that light renders at 0.18
    rho = optics.incident_grey_reflectance()
    assert rho == pytest.approx(0.157, abs=0.001)
    nits = rho * lux / math.pi
    assert nits * optics.exposure_scale(t_stop, 800, 180, 24) == pytest.approx(0.18)


def _lens(**kw) -> Lens:
    args = dict(
        kit_id="k",
        kit_name="Kit",
        focal_length_mm=50.0,
        squeeze=1.0,
        t_stop_max=2.0,
        t_stop_min=22.0,
        close_focus_m=0.45,
    )
    args.update(kw)
    return Lens(**args)


def test_validate_focus_and_t_stop():
    lens = get_lens("cooke-s4i", 50)
    assert optics.validate_focus(lens, 0.41) == 0.41
    assert optics.validate_focus(lens, math.inf) == math.inf
    with pytest.raises(PresetError, match="close focus is 0.41 m"):
        optics.validate_focus(lens, 0.3)
    with pytest.raises(PresetError, match="positive"):
        optics.validate_focus(lens, 0.0)
    assert optics.validate_t_stop(lens, 2.0) == 2.0
    with pytest.raises(PresetError, match="widest stop is T2"):
        optics.validate_t_stop(lens, 1.4)
    with pytest.raises(PresetError, match="smallest stop is T22"):
        optics.validate_t_stop(lens, 32)
    with pytest.raises(PresetError, match="positive"):
        optics.validate_t_stop(lens, -2)


def test_validate_focal_length_for_zoom_and_prime():
    zoom = get_lens("angenieux-optimo-24-290", 100)
    assert optics.validate_focal_length(zoom, 290) == 290
    with pytest.raises(PresetError, match="outside the zoom range 24–290"):
        optics.validate_focal_length(zoom, 300)
    with pytest.raises(PresetError, match="prime"):
        optics.validate_focal_length(get_lens("cooke-s4i", 50), 55)


def test_impossible_values_raise_preset_error():
    with pytest.raises(PresetError):
        _lens(focal_length_mm=0)
    with pytest.raises(PresetError, match="squeeze"):
        _lens(squeeze=2.5)
    with pytest.raises(PresetError, match="wider than"):
        _lens(t_stop_min=1.4)
    with pytest.raises(PresetError, match="zoom range"):
        _lens(zoom_range_mm=(24.0, 40.0))
    with pytest.raises(PresetError):
        SensorMode("b", "B", "m", "M", 0.0, 10.0, 100, 100, 0.02)
    with pytest.raises(PresetError):
        optics.horizontal_fov_deg(24.0, -35)
    with pytest.raises(PresetError):
        optics.shutter_time_s(400, 24)
    with pytest.raises(PresetError):
        optics.shutter_time_s(180, 0)
    with pytest.raises(PresetError, match="inside the focal length"):
        optics.dof_limits_m(50, 2.8, 0.025, 0.04)
    with pytest.raises(PresetError):
        optics.hyperfocal_m(50, 0, 0.025)
