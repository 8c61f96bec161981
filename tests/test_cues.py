"""Light and wall cues: fades, effects, the wall's world offset, time of day and the ASC CDL."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from previs.core import transforms as tf
from previs.core.colour import kelvin_to_linear_rgb, luminance
from previs.core.cues import (
    CDL,
    CueError,
    LightCue,
    WallCue,
    apply_cdl,
    cue_frames,
    light_at,
    lightning_envelope,
    lightning_strokes,
    lights_at,
    solar_declination_deg,
    solar_position,
    wall_at,
)
from previs.core.scene import Environment, Light, Sky
from previs.errors import PrevisError


def _rgb(kelvin: float) -> np.ndarray:
    rgb = kelvin_to_linear_rgb(kelvin)
    return rgb / luminance(rgb)


KEY = Light("key HMI", "spot", tuple(_rgb(3200.0)), 100.0, kelvin=3200.0)
FILL = Light("fill", "point", (1.0, 1.0, 1.0), 50.0)


def _intensities(light, cues, frames, rate=24):
    return np.array([light_at(light, cues, f, rate).intensity for f in frames])


# ---------------------------------------------------------------- fades
def test_intensity_fade_0_to_1_is_eased_and_monotone():
    cues = [
        LightCue("key HMI", 0, 0, to_intensity_scale=0.0),  # a cut to off at the top of the shot
        LightCue("key HMI", 10, 34, to_intensity_scale=1.0),
    ]
    v = _intensities(KEY, cues, range(0, 50))
    assert np.all(v[:11] == 0.0)
    assert np.all(v[34:] == pytest.approx(100.0))
    assert np.all(np.diff(v) >= 0.0)
    mean_step = 100.0 / 24
    assert (v[11] - v[10]) < 0.15 * mean_step  # eased start
    assert (v[34] - v[33]) < 0.15 * mean_step  # eased end
    assert v[22] == pytest.approx(50.0)
    linear = [cues[0], LightCue("key HMI", 10, 34, to_intensity_scale=1.0, interp="linear")]
    lv = _intensities(KEY, linear, [10, 11])
    assert lv[1] - lv[0] == pytest.approx(mean_step)


def test_a_later_cue_starts_where_the_earlier_one_had_got_to():
    cues = [
        LightCue("key HMI", 0, 20, to_intensity_scale=0.0, interp="linear"),
        LightCue("key HMI", 10, 20, to_intensity_scale=2.0, interp="linear"),
    ]
    assert light_at(KEY, cues, 10, 24).intensity == pytest.approx(50.0)  # the first fade's midpoint
    assert light_at(KEY, cues, 15, 24).intensity == pytest.approx(125.0)  # 50 -> 200, half way
    assert light_at(KEY, cues, 99, 24).intensity == pytest.approx(200.0)


def test_kelvin_fade_interpolates_in_mired():
    cue = LightCue("key HMI", 0, 24, to_kelvin=10000.0, interp="linear")
    mid = light_at(KEY, [cue], 12, 24)
    expected_k = 1e6 / ((1e6 / 3200.0 + 1e6 / 10000.0) / 2.0)  # 4848.5 K
    assert mid.kelvin == pytest.approx(expected_k)
    assert np.allclose(mid.color_linear, _rgb(expected_k))
    assert not np.allclose(mid.color_linear, _rgb(6600.0), atol=1e-3)  # not a linear-kelvin fade
    assert luminance(mid.color_linear) == pytest.approx(1.0)
    assert mid.intensity == KEY.intensity
    end = light_at(KEY, [cue], 24, 24)
    assert end.kelvin == 10000.0 and np.allclose(end.color_linear, _rgb(10000.0))


def test_colour_fade_keeps_luminance_and_drops_kelvin():
    cue = LightCue("key HMI", 0, 10, to_color_linear=(0.0, 1.0, 0.0), interp="linear")
    mid = light_at(KEY, [cue], 5, 24)
    assert mid.kelvin is None
    assert luminance(mid.color_linear) == pytest.approx(1.0)
    raw = (np.asarray(KEY.color_linear) + np.array([0.0, 1.0 / 0.7152, 0.0])) / 2
    assert np.allclose(mid.color_linear, raw / luminance(raw))
    assert np.allclose(light_at(KEY, [cue], 10, 24).color_linear, (0.0, 1.0 / 0.7152, 0.0))


def test_cues_for_other_lights_are_ignored_and_unknown_names_are_errors():
    cue = LightCue("fill", 0, 10, to_intensity_scale=0.0)
    assert light_at(KEY, [cue], 10, 24) is KEY
    key, fill = lights_at([KEY, FILL], [cue], 10, 24)
    assert key is KEY and fill.intensity == 0.0
    with pytest.raises(CueError, match="unknown light 'rim'.*fill, key HMI") as e:
        lights_at([KEY, FILL], [LightCue("rim", 0, 10, to_intensity_scale=0.5)], 5, 24)
    assert isinstance(e.value, PrevisError)


def test_bad_cues_are_refused():
    with pytest.raises(CueError, match="unknown effect 'disco'"):
        LightCue("key HMI", 0, 10, effect="disco")
    with pytest.raises(CueError, match="unknown strobe parameter"):
        LightCue("key HMI", 0, 10, effect="strobe", params={"hz": 4})
    with pytest.raises(CueError, match="not both"):
        LightCue("key HMI", 0, 10, to_kelvin=5600.0, to_color_linear=(1, 0, 0))
    with pytest.raises(CueError, match="start_frame <= end_frame"):
        LightCue("key HMI", 10, 5, to_intensity_scale=1.0)
    with pytest.raises(CueError, match="interpolation"):
        WallCue(0, 10, interp="bounce", to_brightness_nits=100.0)
    with pytest.raises(CueError, match="does nothing"):
        WallCue(0, 10)


# ---------------------------------------------------------------- effects
def test_strobe_duty_cycle_over_ten_seconds():
    for rate in (24, Fraction(24000, 1001), 60):
        n = int(math.floor(10 * rate))
        cue = LightCue("key HMI", 0, n, effect="strobe", params={"rate_hz": 5.0, "duty": 0.3})
        v = _intensities(KEY, [cue], range(n), rate) / KEY.intensity
        assert np.all((v >= 0.0) & (v <= 1.0))
        assert abs(v.sum() - 0.3 * n) <= 1.0  # within one frame
    # 12 Hz at 24 fps, duty 0.5: crisp on/off frames
    cue = LightCue("key HMI", 0, 48, effect="strobe", params={"rate_hz": 12.0, "duty": 0.5})
    v = _intensities(KEY, [cue], range(8)) / KEY.intensity
    assert np.allclose(v, [1, 0, 1, 0, 1, 0, 1, 0])
    assert light_at(KEY, [cue], 48, 24).intensity == KEY.intensity  # over after end_frame


def test_police_alternates_colours_at_the_rate():
    for rate, half in ((24, 6), (60, 15)):
        cue = LightCue("key HMI", 0, 10 * rate, effect="police", params={"rate_hz": 2.0})
        states = [light_at(KEY, [cue], f, rate) for f in range(4 * half)]
        red = [s.color_linear[0] > s.color_linear[2] for s in states]
        assert red == [True] * half + [False] * half + [True] * half + [False] * half
        for s in states:
            assert luminance(s.color_linear) == pytest.approx(1.0)
            assert s.kelvin is None
        # on for 80% of each half, then dark
        on = [s.intensity > 0 for s in states[:half]]
        assert on == [f < 0.8 * half for f in range(half)]


def test_lightning_is_deterministic_brighter_and_sharp():
    cue = LightCue(
        "key HMI", 0, 240, effect="lightning", params={"seed": 7, "flashes": 3, "peak": 5.0}
    )
    v = _intensities(KEY, [cue], range(240))
    assert np.array_equal(v, _intensities(KEY, [cue], range(240)))
    other = LightCue(
        "key HMI", 0, 240, effect="lightning", params={"seed": 8, "flashes": 3, "peak": 5.0}
    )
    assert not np.array_equal(v, _intensities(KEY, [other], range(240)))
    assert v.max() > 2.0 * KEY.intensity and v.max() <= 5.0 * KEY.intensity + 1e-9
    assert np.all(v >= KEY.intensity)
    # flashes: runs of lit frames separated by dark (base) frames
    lit = v > KEY.intensity * 1.01
    onsets = np.count_nonzero(lit[1:] & ~lit[:-1]) + int(lit[0])
    assert 1 <= onsets
    assert np.count_nonzero(~lit) > 120  # mostly the base level between flashes
    strokes = lightning_strokes(10.0, 3, 7)
    assert 6 <= len(strokes) <= 12 and all(0.0 <= t < 10.0 for t, _, _ in strokes)
    # fast attack, slower decay
    t0 = strokes[0][0]
    ts = np.linspace(t0 - 0.01, t0 + 0.03, 4001)
    env = np.array([lightning_envelope(t, strokes[:1]) for t in ts])
    peak = int(env.argmax())
    rise = ts[peak] - ts[np.argmax(env > 0.1)]
    fall = ts[peak + np.argmax(env[peak:] < 0.9)] - ts[peak]
    assert rise < 0.005 and fall > rise
    # floor 0: a dedicated unit dark between flashes
    dark = LightCue("key HMI", 0, 240, effect="lightning", params={"seed": 7, "floor": 0.0})
    assert _intensities(KEY, [dark], range(240)).min() == 0.0


def test_flicker_is_bounded_by_depth_smooth_and_rate_independent():
    cue = LightCue(
        "key HMI", 0, 2400, effect="flicker", params={"depth": 0.4, "speed_hz": 6.0, "seed": 3}
    )
    v = _intensities(KEY, [cue], range(2400)) / KEY.intensity
    assert v.min() >= 0.6 - 1e-12 and v.max() <= 1.0
    assert v.min() < 0.75 and v.std() > 0.02  # it does dip
    cue60 = LightCue(
        "key HMI", 0, 6000, effect="flicker", params={"depth": 0.4, "speed_hz": 6.0, "seed": 3}
    )
    for sec in (1, 3, 7):
        assert light_at(KEY, [cue60], 60 * sec, 60).intensity == pytest.approx(
            light_at(KEY, [cue], 24 * sec, 24).intensity
        )


def test_effects_multiply_the_faded_intensity():
    cues = [
        LightCue("key HMI", 0, 10, to_intensity_scale=0.5),
        LightCue("key HMI", 0, 48, effect="strobe", params={"rate_hz": 12.0}),
    ]
    assert light_at(KEY, cues, 20, 24).intensity == pytest.approx(50.0)
    assert light_at(KEY, cues, 21, 24).intensity == 0.0


# ---------------------------------------------------------------- the wall
ENV = Environment(
    world_from_env=tf.translation((1.0, 0.0, 0.0)),
    sky=Sky(200.0, 25.0, 3.0),
    wall_brightness_nits=800.0,
)


def test_velocity_cue_moves_the_world_by_v_t():
    for rate in (24, Fraction(24000, 1001)):
        cue = WallCue(10, 58, velocity_mps=(3.0, 0.0, -12.0))
        t = 48 / float(Fraction(rate))
        for frame in (58, 100):
            st = wall_at(ENV, [cue], frame, rate)
            assert st.world_offset_m == pytest.approx((3.0 * t, 0.0, -12.0 * t), abs=1e-12)
            assert np.allclose(st.world_from_env[:3, 3], [1.0 + 3.0 * t, 0.0, -12.0 * t])
        half = wall_at(ENV, [cue], 34, rate)
        assert half.world_offset_m[2] == pytest.approx(-12.0 * t / 2)
        assert np.array_equal(wall_at(ENV, [cue], 10, rate).world_from_env, ENV.world_from_env)


def test_keyed_world_rotation_and_translation():
    cue = WallCue(0, 10, to_translation_m=(0.0, 0.0, 5.0), to_rotation_deg=(0.0, 90.0, 0.0))
    st = wall_at(ENV, [cue], 10, 24)
    assert np.allclose(st.world_from_env, tf.trs((0, 0, 5), (0, 90, 0)) @ ENV.world_from_env)
    assert np.allclose(
        st.world_from_env @ [0, 0, 0, 1], [0.0, 0.0, 4.0, 1.0]
    )  # env origin at (1,0,0) turned to -Z


def test_solar_position_hand_derived():
    # London (51.5 N) at solar noon on the June solstice (day 172): due south, 90 - 51.5 + δ.
    d = solar_declination_deg(172)
    assert d == pytest.approx(23.439, abs=1e-3)
    az, el = solar_position(12.0, 51.5, 172)
    assert az == pytest.approx(180.0) and el == pytest.approx(90 - 51.5 + 23.439, abs=1e-3)
    # 45 N near the equinox (δ ≈ -0.1°) at 09:00: sin e = cos²45° -> 30°; A = atan2(sin 45°, -1/2) = 125.26°
    az, el = solar_position(9.0, 45.0, 81)
    assert el == pytest.approx(30.0, abs=0.15) and az == pytest.approx(125.26, abs=0.15)
    # the afternoon mirrors the morning; north_azimuth_deg turns the compass into the scene
    az_pm, el_pm = solar_position(15.0, 45.0, 81, north_azimuth_deg=90.0)
    assert el_pm == pytest.approx(el) and az_pm == pytest.approx((90.0 + 360.0 - az) % 360.0)


def test_time_of_day_cues_follow_the_sun():
    cues = [
        WallCue(0, 24, to_time_of_day_h=17.0, latitude_deg=34.0),
        WallCue(24, 72, to_time_of_day_h=19.0, latitude_deg=34.0, interp="linear"),
    ]
    start = wall_at(ENV, cues, 0, 24)
    assert (start.sun_azimuth_deg, start.sun_elevation_deg) == (200.0, 25.0)
    st = wall_at(ENV, cues, 24, 24)
    assert (st.sun_azimuth_deg, st.sun_elevation_deg) == pytest.approx(solar_position(17.0, 34.0))
    mid = wall_at(ENV, cues, 48, 24)  # hours are interpolated: 18:00 on the sun's real arc
    assert mid.time_of_day_h == pytest.approx(18.0)
    assert (mid.sun_azimuth_deg, mid.sun_elevation_deg) == pytest.approx(solar_position(18.0, 34.0))
    assert mid.sky == Sky(mid.sun_azimuth_deg, mid.sun_elevation_deg, 3.0)


def test_brightness_and_cdl_fades():
    grade = CDL((1.2, 1.2, 1.2), (-0.05, -0.05, -0.05), (1.1, 1.1, 1.1), 0.8)
    cues = [WallCue(0, 10, to_brightness_nits=400.0, to_cdl=grade, interp="linear")]
    mid = wall_at(ENV, cues, 5, 24)
    assert mid.brightness_nits == pytest.approx(600.0)
    assert mid.cdl.slope == pytest.approx((1.1, 1.1, 1.1)) and mid.cdl.saturation == pytest.approx(
        0.9
    )
    assert wall_at(ENV, cues, 0, 24).cdl.is_identity
    assert wall_at(ENV, cues, 10, 24).cdl == grade


def test_apply_cdl_identity_and_hand_case():
    rgb = np.array([[0.5, 0.25, 0.1], [2.0, -0.1, 0.3]])
    assert np.array_equal(apply_cdl(rgb, CDL()), rgb)
    # SOP: (0.55, 0.25, 0.07) ^ 1.1 = (0.518083, 0.217638, 0.053655); L = 0.269673;
    # L + 0.8 (x - L) = (0.468401, 0.228045, 0.096858)
    grade = CDL((1.2, 1.2, 1.2), (-0.05, -0.05, -0.05), (1.1, 1.1, 1.1), 0.8)
    out = apply_cdl(np.array([0.5, 0.25, 0.1]), grade)
    assert out == pytest.approx([0.468401, 0.228045, 0.096858], abs=1e-6)
    img = np.tile(np.array([0.5, 0.25, 0.1]), (4, 5, 1))
    assert np.allclose(apply_cdl(img, grade), out)  # vectorised over any leading shape
    assert np.allclose(apply_cdl(img, ((1.2,) * 3, (-0.05,) * 3, (1.1,) * 3, 0.8)), out)
    # Fwd clamps to [0, 1]; noClamp keeps highlights
    hot = np.array([2.0, 0.5, 0.5])
    assert apply_cdl(hot, grade).max() <= 1.0
    assert apply_cdl(hot, grade, clamp=False)[0] > 1.0


def test_cue_frames():
    cues = [
        LightCue("key HMI", 10, 34, to_intensity_scale=0.0),
        WallCue(0, 48, to_brightness_nits=100.0),
        LightCue("fill", 34, 40, to_kelvin=5600.0),
    ]
    assert cue_frames(cues) == [0, 10, 34, 40, 48]
    assert cue_frames(cues[:1], cues[1:], length_frames=45) == [0, 10, 34, 40]
