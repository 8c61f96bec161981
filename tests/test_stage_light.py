"""The LED stage's light and time against hand-worked and published numbers (no GL)."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from previs.core import presets
from previs.core import stage_light as sl
from previs.core.scene import CurvedSection, FlatSection, LedVolume, PanelSpec
from previs.core.stage import frustum_footprint

# numpy 2 renamed trapz; the lowest numpy previs allows (1.26) has only the old name
_trapezoid = getattr(np, "trapezoid", None) or np.trapz


# ---------------------------------------------------------------- exposure
def test_mid_grey_of_the_reference_example():
    # T4, ISO 800, 180 deg at 24 fps: L = 12.5 * 16 * 48 / 800 = 12.0 nits; 150 nits is 3.64 over.
    t = sl.exposure_time_s(180, 24)
    assert t == pytest.approx(1 / 48)
    assert sl.mid_grey_nits(4.0, t, 800) == pytest.approx(12.0)
    assert sl.stops_over_mid_grey(150.0, 4.0, t, 800) == pytest.approx(math.log2(12.5), abs=1e-12)
    assert sl.stops_over_mid_grey(150.0, 4.0, t, 800) == pytest.approx(3.64, abs=0.005)
    # one stop of T-stop (x sqrt 2) doubles the mid-grey luminance
    assert sl.mid_grey_nits(4.0 * math.sqrt(2), t, 800) == pytest.approx(24.0)
    assert sl.exposure_time_s(180, Fraction(24000, 1001)) == pytest.approx(1001 / 48000)


def test_latitude_moves_with_exposure_index():
    assert sl.latitude_at_iso(800, 7.4, 6.6, 800) == (7.4, 6.6)
    assert sl.latitude_at_iso(800, 7.4, 6.6, 1600) == pytest.approx((8.4, 5.6))
    assert sl.latitude_at_iso(800, 7.4, 6.6, 200) == pytest.approx((5.4, 8.6))


def _exposure(brightest, median, white, t_stop=2.8, iso=800):
    return sl.wall_exposure(
        brightest,
        median,
        white,
        t_stop=t_stop,
        exposure_s=1 / 48,
        iso=iso,
        base_iso=800,
        latitude_over_stops=6.0,
        latitude_under_stops=6.0,
        peak_nits=1500,
        t_stop_widest=1.8,
    )


def test_wall_exposure_verdicts_and_remedies():
    mid = sl.mid_grey_nits(2.8, 1 / 48, 800)  # 5.88 nits; clip at 6 stops over = 376 nits
    assert mid == pytest.approx(12.5 * 2.8**2 * 48 / 800)
    ok = _exposure(200.0, 60.0, 200.0)
    assert ok.verdict == "ok" and ok.remedy == ""
    assert ok.brightest_stops == pytest.approx(math.log2(200 / mid))
    assert ok.clip_nits == pytest.approx(mid * 64)
    # a 1000-nit sky: brightest 7.41 stops over a 6-stop latitude -> clips by 1.41; the remedy
    # puts it a stop under the clip point: 1000 * 2^-2.41 = 188 nits, or T2.8 * 2^1.205 = T6.5
    hot = _exposure(1000.0, 100.0, 1000.0)
    assert hot.verdict == "clips"
    excess = math.log2(1000 / mid) - 6.0 + 1.0
    assert f"{1000 * 2**-excess:.0f} nits" in hot.remedy
    assert f"T{2.8 * 2 ** (excess / 2):.1f}" in hot.remedy
    assert _exposure(1000.0, 500.0, 1000.0).verdict == "background clips"
    # under the floor: 6 stops under 5.88 nits is 0.092 nits
    assert _exposure(0.5, 0.05, 0.5).verdict == "noisy"
    dark = _exposure(0.05, 0.02, 0.05)
    assert dark.verdict == "in the noise"
    assert "raise the wall" in dark.remedy and "open up" not in dark.remedy  # T needed < T1.8


# ---------------------------------------------------------------- refresh and shutter
def test_pwm_ripple_hand_worked():
    # reference: 172.8 deg at 24 fps = 1/50 s, N = 76.8: (0.5 - 0.3) / (76.8 * 0.5) = 0.52 %
    assert sl.pwm_ripple(76.8, 0.5) == pytest.approx(0.2 / 38.4)
    # 1/2000 s: N = 1.92: (0.5 - 0.42) / 0.96 = 8.3 %
    assert sl.pwm_ripple(1.92, 0.5) == pytest.approx(0.08 / 0.96)
    assert sl.pwm_ripple(80.0, 0.5) == 0.0
    assert sl.pwm_ripple(76.8, 1.0) == pytest.approx(0.0, abs=1e-12)  # full white never ripples
    assert sl.pwm_ripple(76.8, 1e-6) == pytest.approx(1 / 76.8, rel=1e-4)  # dark: 1/N


def test_pwm_ripple_by_brute_force():
    """The closed form against integrating a pulse train over exposures at many phases."""
    n, d = 2.3, 0.35
    phases = np.linspace(0, 1, 20001)[:-1]
    t = np.linspace(0, n, 23001)
    light = []
    for ph in phases[::50]:
        on = ((t + ph) % 1.0) < d
        light.append(_trapezoid(on.astype(float), t))
    light = np.array(light)
    ripple = (light.max() - light.min()) / (n * d)
    assert sl.pwm_ripple(n, d) == pytest.approx(ripple, abs=2e-3)


def test_banding_cases_of_the_issue():
    whole = sl.banding(180, 24, 3840, scan_ratio=1)
    assert whole.periods == pytest.approx(80.0) and whole.verdict == "none" and not whole.rolling
    odd = sl.banding(172.8, 24, 3840, scan_ratio=1)
    assert odd.periods == pytest.approx(76.8)
    assert odd.ripple_mid == pytest.approx(sl.pwm_ripple(76.8, sl.CONTENT_DUTY))
    assert odd.rolling  # free-running: the bands roll
    fast = sl.banding(360 * 24 / 2000, 24, 3840, scan_ratio=1)  # 1/2000 s
    assert fast.periods == pytest.approx(1.92)
    assert fast.verdict == "high" and fast.ripple_mid > 0.05
    # 3 bands over a 12 ms readout at 3840 Hz: 46 band pairs down the frame
    assert sl.banding(172.8, 24, 3840, readout_ms=12.0).bands_per_frame == pytest.approx(46.08)


def test_genlock_locks_the_refresh_to_the_frame_rate():
    # 23.976 fps against a free-running 3840 Hz wall: N = 3840 * 1001 / 48000 = 80.08
    free = sl.banding(180, Fraction(24000, 1001), 3840)
    assert free.periods == pytest.approx(80.08) and free.verdict != "none" and free.rolling
    locked = sl.banding(180, Fraction(24000, 1001), 3840, genlock=True)
    assert locked.refresh_hz == pytest.approx(3840 * 1000 / 1001)
    assert locked.periods == pytest.approx(80.0) and locked.verdict == "none"
    odd = sl.banding(172.8, 24, 3840, genlock=True)
    assert odd.verdict != "none" and not odd.rolling  # bands stand still


def test_scan_lowers_the_duty():
    # N = 76.9 (173.025 deg): at duty 0.18 the leftover 0.9 of a period overlaps the off time
    # by 0.08 at least: (0.18 - 0.08) / (76.9 * 0.18); at 1/16 scan (duty 0.01125) it is 1/N
    angle = 76.9 / 3840 * 24 * 360
    one = sl.banding(angle, 24, 3840, scan_ratio=1).ripple_mid
    sixteen = sl.banding(angle, 24, 3840, scan_ratio=16).ripple_mid
    assert one == pytest.approx(0.10 / (76.9 * 0.18))
    assert sixteen == pytest.approx(1 / 76.9)
    assert sixteen > one


def test_safe_shutter_angles():
    # 24 fps, 3840 Hz: one period is 360 * 24 / 3840 = 2.25 deg; 172.8 sits between 171 and 173.25
    angles = sl.safe_shutter_angles(24, 3840, near_deg=172.8)
    assert angles == (171.0, 173.25, 175.5)
    for a in angles:
        assert (a / 360 / 24 * 3840) == pytest.approx(round(a / 360 / 24 * 3840))
    assert 180.0 in sl.safe_shutter_angles(24, 3840, near_deg=180)


# ---------------------------------------------------------------- white point
@pytest.mark.parametrize(
    "xy, cct, duv",
    [
        ((0.31271, 0.32902), 6504.0, 0.0032),  # D65 (CIE 15; Ohno 2013)
        ((0.34567, 0.35850), 5003.0, 0.0033),  # D50
        ((0.44757, 0.40745), 2856.0, 0.0000),  # illuminant A (a Planckian radiator)
    ],
)
def test_cct_and_duv_of_published_illuminants(xy, cct, duv):
    t, d = sl.cct_duv(*xy)
    assert t == pytest.approx(cct, abs=6.0)
    assert d == pytest.approx(duv, abs=2e-4)


def test_cct_round_trips_the_locus():
    for k in (2000.0, 3200.0, 5600.0, 10000.0):
        t, d = sl.cct_duv(*sl.kelvin_to_xy_planck(k))
        assert t == pytest.approx(k, rel=1e-4)
        assert abs(d) < 1e-6


def test_white_cast_of_a_d65_wall_in_a_5600k_camera():
    cast = sl.white_cast(sl.D65_XY, 5600.0)
    # 1e6/6504 - 1e6/5600 = 153.8 - 178.6 = -24.8 mired: bluer, past the 20-mired threshold
    assert cast.mired_shift == pytest.approx(1e6 / 6504 - 1e6 / 5600, abs=0.2)
    assert cast.verdict == "cast" and "bluer" in cast.remedy and "5600 K" in cast.remedy
    assert sl.white_cast(sl.D65_XY, 6500.0).verdict == "ok"
    green = sl.white_cast((0.3127, 0.3400), 6500.0)  # well above the locus
    assert green.duv_shift > sl.CAST_WARN_DUV and "greener" in green.remedy


# ---------------------------------------------------------------- gamut
def test_rec709_matrix_matches_iec_61966():
    m = sl.rgb_to_xyz_matrix(sl.REC709_PRIMARIES_XY)
    assert m[1] == pytest.approx([0.2126, 0.7152, 0.0722], abs=2e-4)
    assert m[0] == pytest.approx([0.4124, 0.3576, 0.1805], abs=2e-4)


def test_out_of_gamut_share():
    panel = presets.generic_panel().primaries_xy
    rng = np.random.default_rng(1)
    rec709 = rng.uniform(0, 1, (500, 3))
    assert sl.out_of_gamut_share(rec709, panel) == 0.0  # the RGB LED triangle holds Rec.709
    # a panel whose gamut is Rec.709 shrunk towards D65 loses the saturated colours
    w = np.array(sl.D65_XY)
    small = tuple(tuple(w + 0.5 * (np.array(p) - w)) for p in sl.REC709_PRIMARIES_XY)
    pure = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 1], [0.5, 0.5, 0.5], [0, 0, 0]], float)
    assert sl.out_of_gamut_share(pure, small) == pytest.approx(3 / 6)
    # Rec.2020 content's green lies outside Rec.709 panels
    rec2020 = ((0.708, 0.292), (0.170, 0.797), (0.131, 0.046))
    assert sl.out_of_gamut_share(np.array([[0, 1, 0]]), sl.REC709_PRIMARIES_XY, rec2020) == 1.0


# ---------------------------------------------------------------- processors and the frustum
def test_processor_and_render_node_counts():
    sx40 = presets.get_processor("Brompton Tessera SX40")
    assert sx40.capacity_px == 4096 * 2160 and sx40.confidence in presets.CONFIDENCE_TAGS
    assert sl.processors_needed(4096 * 2160, sx40.capacity_px) == 1
    assert sl.processors_needed(4096 * 2160 + 1, sx40.capacity_px) == 2
    assert sl.processors_needed(0, sx40.capacity_px) == 0
    assert sl.render_nodes_needed(20_000_000, 8_847_360) == 3


def _flat_wall() -> LedVolume:
    panel = PanelSpec("test", 2.0, 500.0, 500.0, 250, 250, 1000.0)
    return LedVolume(panel, (FlatSection("w", (10.0, -5.0), (-10.0, -5.0), 10.0),))


def test_frustum_footprint_on_a_flat_wall():
    # camera 5 m from a flat wall, 90 x 53.13 deg: the footprint is 10 m x 5 m
    vol = _flat_wall()
    m = np.eye(4)
    m[:3, 3] = (0.0, 5.0, 0.0)
    yfov = 2 * math.atan(0.5)  # tan(h/2) = 0.5 -> half-height 2.5 m at 5 m
    fp = frustum_footprint(vol, m, yfov, 2.0, 0.0)
    assert fp.width_m == pytest.approx(10.0, rel=1e-6)
    assert fp.height_m == pytest.approx(5.0, rel=1e-6)
    assert fp.area_m2 == pytest.approx(50.0, rel=1e-6)
    assert fp.cabinets == pytest.approx(200.0, rel=1e-6)
    assert fp.led_pixels == 12_500_000  # 50 m2 / (2 mm)^2
    grown = frustum_footprint(vol, m, yfov, 2.0, 20.0)
    assert grown.area_m2 == pytest.approx(50.0 * 1.44, rel=1e-6)


def test_frustum_footprint_on_a_curve():
    panel = PanelSpec("test", 2.0, 500.0, 500.0, 250, 250, 1000.0)
    vol = LedVolume(panel, (CurvedSection("c", (0.0, 0.0), 10.0, 90.0, 180.0, 10.0),))
    m = np.eye(4)
    m[:3, 3] = (0.0, 5.0, 0.0)  # at the axis: every ray meets the wall 10 m away
    fp = frustum_footprint(vol, m, 2 * math.atan(0.2), 1.0, 0.0, n=65)
    # the arc seen is 2 atan(0.2) of a 10 m radius (faceted: a hair shorter)
    assert fp.width_m == pytest.approx(10.0 * 2 * math.atan(0.2), rel=2e-3)


# ---------------------------------------------------------------- presets
def test_light_presets_have_sources():
    for body in presets.camera_bodies().values():
        assert body.latitude_stops_over > 0 and body.latitude_stops_under > 0
        assert body.readout_ms >= 0 and body.base_iso > 0
        assert body.latitude_source and body.readout_source
        assert body.latitude_confidence in presets.CONFIDENCE_TAGS
    assert presets.get_body("komodo-6k").readout_ms == 0.0  # global shutter
    for model in presets.panel_models().values():
        assert model.refresh_hz >= 1920 and model.scan_ratio >= 1 and model.source
        # every panel holds Rec.709 (the renderer's content) in its gamut
        assert sl.inside_gamut(np.array(sl.REC709_PRIMARIES_XY), model.primaries_xy).all()
    assert presets.find_panel_model("ROE Black Pearl BP2").id == "roe-black-pearl-bp2"
    assert presets.find_panel_model("bp2v2").refresh_hz == 7680
    assert presets.find_panel_model("no such panel") is None


def test_sample_cube_inverts_the_gl_face_table():
    from previs.core.ledcheck import cube_directions

    size = 8
    idx = np.arange(6 * size * size, dtype=np.float64).reshape(6, size, size, 1)
    dirs = cube_directions(size)
    assert np.array_equal(sl.sample_cube(idx, dirs), idx)
