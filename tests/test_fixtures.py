"""The fixture library against the published figures it came from, the rigging maths (inverse
square, spot/flood, dimmer, gels), and scene-file fixture lights with their one-line errors."""

import math

import numpy as np
import pytest

from previs.core import fixtures as fx
from previs.core import presets
from previs.core.colour import luminance
from previs.core.scene import FORMAT_VERSION
from previs.errors import PresetError, SceneError
from previs.io.scene_file import load_scene_text


def test_library_has_ten_fixtures_with_sources_and_confidence():
    lib = fx.fixtures()
    assert len(lib) >= 10
    for f in lib.values():
        assert f.source and f.confidence in presets.CONFIDENCE_TAGS
        assert f.cct_min_k <= f.default_kelvin <= f.cct_max_k
        for s in f.settings:
            assert 0 < s.beam_deg < s.field_deg < 180
    for name in (
        "skypanel-s60c",
        "skypanel-s360c",
        "arri-m18",
        "fresnel-650w",
        "fresnel-2k",
        "aputure-ls600d-pro",
        "astera-titan-tube",
        "creamsource-vortex8",
        "litepanels-gemini-2x1",
        "kinoflo-celeb-450",
    ):
        assert name in lib


@pytest.mark.parametrize(
    "fixture, setting, lux, at_m",
    [
        ("skypanel-s60c", "standard", 1535, 3),  # ARRI table (recollection, R)
        ("arri-m18", "spot", 860, 10),  # ARRI Photometric App via levelnineproductions.com (S)
        ("arrimax-18k", "spot", 1106, 30),  # the same source
        ("aputure-ls600d-pro", "hyper-reflector", 13000, 1),  # aputureus.com blog (S)
    ],
)
def test_candela_is_the_published_lux_times_the_throw_squared(fixture, setting, lux, at_m):
    r = fx.get_fixture(fixture).setting(setting)
    assert r.candela == pytest.approx(lux * at_m**2)
    assert r.candela / at_m**2 == pytest.approx(lux)


def test_the_published_second_distances_follow_inverse_square():
    """The same source quotes the M18 at 20 m (215 lx) and the ARRIMAX at 40 m (622 lx)."""
    m18 = fx.get_fixture("m18").setting("spot").candela
    assert m18 / 20**2 == pytest.approx(215, rel=0.01)
    maxi = fx.get_fixture("arrimax").setting("spot").candela
    assert maxi / 40**2 == pytest.approx(622, rel=0.01)


def test_derived_field_angles_from_a_cos_n_beam():
    for beam, field in ((20, 36.24), (60, 103.35), (105, 157.83)):
        assert fx.derived_field_deg(beam) == pytest.approx(field, abs=0.1)
        # the fitted profile really is at 50 % and 10 % there
        n = math.log(0.5) / math.log(math.cos(math.radians(beam / 2)))
        assert math.cos(math.radians(fx.derived_field_deg(beam) / 2)) ** n == pytest.approx(0.1)


def test_focusing_between_spot_and_flood():
    m18 = fx.get_fixture("arri-m18")
    spot, flood = m18.setting("spot"), m18.setting("flood")
    assert m18.setting(20).candela == pytest.approx(spot.candela)
    assert m18.setting("60°").candela == pytest.approx(flood.candela)
    mid = m18.setting(40)
    assert (mid.beam_deg, mid.label) == (40.0, "40°")
    assert flood.candela < mid.candela < spot.candela
    assert spot.field_deg < mid.field_deg < flood.field_deg
    # log I linear in log solid angle: the 40° intensity from the two published points
    w = [math.log(2 * math.pi * (1 - math.cos(math.radians(a / 2)))) for a in (20, 40, 60)]
    u = (w[1] - w[0]) / (w[2] - w[0])
    assert mid.candela == pytest.approx(spot.candela ** (1 - u) * flood.candela**u)
    with pytest.raises(PresetError, match="focuses from 20 to 60"):
        m18.setting(70)
    with pytest.raises(PresetError, match="does not focus"):
        fx.get_fixture("s60").setting(40)


def test_dimmer_gel_and_kelvin():
    p = fx.rig("skypanel-s60c", dimmer_pct=50, kelvin=4300, gel="1/2 CTO")
    assert p.intensity_cd == pytest.approx(13815 * 0.5 * 0.69)
    assert p.kelvin == pytest.approx(1e6 / (1e6 / 4300 + 109))
    assert luminance(np.array(p.color_linear)) == pytest.approx(1.0)
    # LEE's stated uses: 204 takes 6500 K to 3200 K, 201 takes 3200 K to 5700 K
    assert fx.get_gel("cto").kelvin_through(6500) == pytest.approx(3200, abs=10)
    assert fx.get_gel("full ctb").kelvin_through(3200) == pytest.approx(5700, abs=10)
    for name, density in (
        ("nd 0.3", 0.3),
        ("nd-0.6", 0.6),
        ("ND .9", 0.9),
    ):  # T = 10^-D: ~1, 2, 3 stops
        assert fx.get_gel(name).transmission == pytest.approx(10**-density, rel=0.002)
    green = np.array(fx.rig("s60", gel="plus green").color_linear)
    white = np.array(fx.rig("s60").color_linear)
    assert green[1] / green[0] > 1.9 * white[1] / white[0]  # CC30G: red held back by 0.3 density
    with pytest.raises(PresetError, match="range: it runs from 2800 to 10000 K"):
        fx.rig("skypanel-s60c", kelvin=12000)
    with pytest.raises(PresetError, match="3200 K only"):
        fx.rig("fresnel-2k", kelvin=5600)
    with pytest.raises(PresetError, match="no colour mixing"):
        fx.rig("fresnel-2k", color_linear=(1.0, 0.0, 0.0))
    with pytest.raises(PresetError, match="gives no colour temperature"):
        fx.rig("titan", kelvin=20000, gel="ctb")


def test_unknown_names_suggest():
    with pytest.raises(PresetError, match="did you mean 'skypanel-s60c'"):
        fx.get_fixture("skypanel s6oc")
    with pytest.raises(PresetError, match="did you mean 'full-cto'"):
        fx.get_gel("cto-ful")


def test_aim_refit_and_move():
    lt = fx.fixture_light("key", "arri-m18", (3, 2, 4), (0, 2, 0), setting="spot")
    assert lt.direction == pytest.approx((-0.6, 0.0, -0.8))
    assert lt.fixture == "arri-m18" and lt.intensity == pytest.approx(86000)
    dim = fx.refit(lt, dimmer_pct=25, gel="nd-0.3")
    assert dim.intensity == pytest.approx(86000 * 0.25 * 0.501)
    assert dim.direction == lt.direction and dim.gel == "nd-0.3"
    assert fx.refit(dim, gel=None).intensity == pytest.approx(86000 * 0.25)
    assert fx.refit(lt, setting="flood").beam_angle_deg == 60
    moved = fx.move_light(lt, (0, 2, 4), keep_target_m=(0, 2, 0))
    assert moved.direction == pytest.approx((0.0, 0.0, -1.0))
    assert fx.throw_m(moved, (0, 2, 0)) == pytest.approx(4.0)
    assert fx.near_field(fx.get_fixture("titan"), 1.0) and not fx.near_field(
        fx.get_fixture("m18"), 10
    )


def test_presets_table_lists_fixtures_and_gels():
    table = presets.format_presets_table()
    assert "LIGHTING FIXTURES" in table and "GELS" in table
    assert "arri-m18" in table and "860 lx at 10 m = 86,000 cd  [S]" in table
    assert "LEE 204" in table


SCENE = f"""format_version: {FORMAT_VERSION}
name: fixtures
frame_rate: 24
camera: {{body: alexa-35, lens_kit: arri-signature-prime}}
lights:
  - name: key
    fixture: skypanel-s60c
    dimmer_pct: 50
    kelvin: 4300
    gel: 1/2 cto
    position_m: [3, 1.6, 4]
    target_m: [0, 1.6, 0]
  - name: hmi
    fixture: M18
    setting: 40
    position_m: [-3, 3, 3]
    target_m: [0, 1.6, 0]
  - name: raw
    type: point
    intensity_cd: 1000
    kelvin: 3200
    gel: ctb
    position_m: [0, 3, 0]
shots:
  - {{id: "1", scene: 1, description: x, length_frames: 10,
     camera: {{position_m: [0, 1.6, 4], look_at_m: [0, 1.6, 0], focal_length_mm: 35}}}}
"""


def test_scene_file_fixture_lights():
    s = load_scene_text(SCENE, "/tmp/fixtures.yaml")
    key, hmi, raw = s.lights
    assert key.type == "spot" and key.fixture == "skypanel-s60c" and key.setting == "standard"
    assert key.intensity == pytest.approx(13815 * 0.5 * 0.69)
    assert key.kelvin == pytest.approx(1e6 / (1e6 / 4300 + 109)) and key.fixture_kelvin == 4300
    assert key.size_m == 0.65 and key.direction == pytest.approx((-0.6, 0.0, -0.8))
    assert hmi.beam_angle_deg == 40 and hmi.setting == "40°"
    assert raw.intensity == pytest.approx(360) and raw.kelvin == pytest.approx(
        1e6 / (1e6 / 3200 - 137)
    )


@pytest.mark.parametrize(
    "old, new, line, field, words",
    [
        ("fixture: M18", "fixture: arri-m81", 14, "lights[1].fixture", "did you mean 'arri-m18'"),
        (
            "kelvin: 4300",
            "kelvin: 12000",
            9,
            "lights[0].kelvin",
            "outside the ARRI SkyPanel S60-C's range",
        ),
        ("setting: 40", "setting: 75", 15, "lights[1].setting", "focuses from 20 to 60 degrees"),
        ("setting: 40", "setting: wide", 15, "lights[1].setting", "has no setting 'wide'"),
        ("gel: ctb", "gel: cbt", 22, "lights[2].gel", "unknown gel"),
        (
            "    intensity_cd: 1000\n",
            "    intensity_cd: 1000\n    setting: spot\n",
            21,
            "lights[2].setting",
            "give fixture too",
        ),
        (
            "    dimmer_pct: 50\n",
            "    dimmer_pct: 50\n    intensity_cd: 5\n",
            9,
            "lights[0].intensity_cd",
            "takes its output and beam from the library",
        ),
    ],
)
def test_scene_file_fixture_errors_name_file_line_field(old, new, line, field, words):
    with pytest.raises(SceneError) as err:
        load_scene_text(SCENE.replace(old, new, 1), "/tmp/fixtures.yaml")
    e = err.value
    assert (e.line, e.field) == (line, field) and words in str(e)
    assert "\n" not in str(e)
