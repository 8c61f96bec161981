"""Camera and lens presets: coverage, data sanity, lookups and their error messages."""

from __future__ import annotations

import pytest
import yaml

from previs.core import presets
from previs.core.presets import (
    LensKit,
    LensSpec,
    camera_bodies,
    get_body,
    get_lens,
    get_lens_kit,
    get_mode,
    lens_kits,
)
from previs.errors import PresetError

REQUIRED_BODIES = {
    "alexa-35",
    "alexa-mini-lf",
    "alexa-mini",
    "alexa-65",
    "venice-2-8k",
    "venice-2-6k",
    "v-raptor-8k-vv",
    "komodo-6k",
    "fx6",
    "ursa-mini-pro-12k",
    "c500-mk-ii",
    "c300-mk-ii",
}
REQUIRED_KITS = {
    "cooke-s4i",
    "arri-signature-prime",
    "zeiss-supreme-prime",
    "arri-master-anamorphic",
    "cooke-anamorphic-i",
    "angenieux-optimo-24-290",
    "angenieux-optimo-15-40",
}


def test_counts_and_required_ids():
    bodies, kits = camera_bodies(), lens_kits()
    assert len(bodies) >= 12 and len(kits) >= 8
    assert REQUIRED_BODIES <= set(bodies)
    assert REQUIRED_KITS <= set(kits)
    for key in list(bodies) + list(kits):
        assert key == presets.normalise_id(key)


def test_every_mode_has_consistent_plausible_pitch():
    for body in camera_bodies().values():
        assert body.source and body.confidence in presets.CONFIDENCE_TAGS
        assert body.default_mode in body.modes
        for mode_id, m in body.modes.items():
            pitch = m.photosite_pitch_um
            assert pitch == pytest.approx(m.width_mm / m.width_px * 1000, rel=0.01)
            assert 1.0 <= pitch <= 10.0, (body.id, mode_id, pitch)
            # square photosites: the height gives the same pitch (catches mm/px typos)
            assert m.height_mm / m.height_px * 1000 == pytest.approx(pitch, rel=0.01), (
                body.id,
                mode_id,
            )
            if mode_id in body.stated_pitch_um:
                assert pitch == pytest.approx(body.stated_pitch_um[mode_id], rel=0.01), (
                    body.id,
                    mode_id,
                )
            assert 0.01 < m.coc_mm < 0.05
            assert body.mode_confidence[mode_id] in presets.CONFIDENCE_TAGS


def test_data_quality_warnings_respected():
    og = get_mode("alexa-35", "open-gate")
    assert (og.width_mm, og.height_mm) == (27.99, 19.22)  # not EmberLight's rounded 28.0 x 19.2
    assert (og.width_px, og.height_px) == (4608, 3164)
    assert get_mode("alexa-mini", "anamorphic").anamorphic
    assert not get_mode("alexa-mini", "og").anamorphic


def test_every_kit_has_t_stops_and_close_focus():
    for kit in lens_kits().values():
        assert kit.source and kit.confidence in presets.CONFIDENCE_TAGS
        assert kit.lenses and kit.kind in ("prime", "zoom")
        assert kit.image_circle_mm > 20
        for spec in kit.lenses:
            assert 0.7 <= spec.t_stop_max <= 4.5
            assert 0.1 < spec.close_focus_m < 5.0
            assert spec.confidence in presets.CONFIDENCE_TAGS
            assert spec.is_zoom == (kit.kind == "zoom")
        if kit.kind == "prime":
            focals = kit.focal_lengths_mm
            assert list(focals) == sorted(set(focals))


def test_anamorphic_kits_squeeze():
    assert get_lens_kit("arri-master-anamorphic").squeeze == 2.0
    assert get_lens_kit("cooke-anamorphic-i").squeeze == 2.0
    assert get_lens("arri-master-anamorphic", 50).squeeze == 2.0
    assert get_lens_kit("cooke-s4i").squeeze == 1.0


def test_specific_lens_values():
    lens = get_lens("cooke-s4i", 50)
    assert (lens.t_stop_max, lens.close_focus_m, lens.zoom_range_mm) == (2.0, 0.41, None)
    sig = get_lens("arri-signature-prime", 280)
    assert (sig.t_stop_max, sig.close_focus_m) == (2.8, 2.5)
    assert get_lens("zeiss-supreme-prime", 15).t_stop_max == 1.8


def test_lookups_are_case_and_separator_tolerant():
    assert get_body("ALEXA_35").id == "alexa-35"
    assert get_body("Alexa Mini LF").id == "alexa-mini-lf"
    assert get_mode("alexa-35", "4.6K 16:9").mode_id == "4.6k-16-9"
    assert get_mode("alexa-35", "OG").mode_id == "4.6k-3-2-og"
    assert get_mode("alexa-35").mode_id == "4.6k-3-2-og"  # default mode
    assert get_lens_kit("Cooke_S4i").id == "cooke-s4i"
    assert get_lens("COOKE S4I", 50.0).focal_length_mm == 50


def test_unknown_names_suggest_the_closest():
    with pytest.raises(
        PresetError, match=r"unknown camera body 'alexa35'; did you mean 'alexa-35'\?"
    ):
        get_body("alexa35")
    with pytest.raises(PresetError, match="did you mean 'cooke-s4i'"):
        get_lens_kit("cooke-s4")
    with pytest.raises(PresetError) as info:
        get_mode("alexa-35", "4.6k-16-10")
    msg = str(info.value)
    assert "ARRI ALEXA 35" in msg and "did you mean '4.6k-16-9'" in msg and "3.3k-6-5" in msg


def test_prime_rejects_unknown_focal_and_lists_the_set():
    with pytest.raises(PresetError) as info:
        get_lens("cooke-s4i", 55)
    msg = str(info.value)
    assert "no 55 mm lens" in msg
    assert "12, 14, 16, 18, 21, 25, 27, 32, 35, 40, 50, 65, 75, 100, 135, 150, 180, 300 mm" in msg


def test_zoom_accepts_range_and_rejects_outside():
    lens = get_lens("angenieux-optimo-24-290", 85.5)
    assert lens.focal_length_mm == 85.5
    assert lens.zoom_range_mm == (24.0, 290.0)
    assert lens.t_stop_max == 2.8
    assert get_lens("angenieux-optimo-15-40", 15).t_stop_max == 2.6
    with pytest.raises(PresetError, match="outside the zoom range 24-290 mm"):
        get_lens("angenieux-optimo-24-290", 300)
    with pytest.raises(PresetError, match="outside the zoom range"):
        get_lens("angenieux-optimo-15-40", 12)
    with pytest.raises(PresetError):
        get_lens("angenieux-optimo-15-40", -20)


def test_zoom_t_stop_ramp_interpolates():
    kit = LensKit(
        id="ramp",
        name="Ramp zoom",
        maker="x",
        squeeze=1.0,
        kind="zoom",
        lenses=(LensSpec(30, 300, 2.8, 1.2, "R", t_stop_ramp=((30, 2.8), (200, 2.8), (300, 3.8))),),
        image_circle_mm=31,
        source="test",
    )
    assert kit.lens_at(100).t_stop_max == pytest.approx(2.8)
    assert kit.lens_at(250).t_stop_max == pytest.approx(3.3)
    assert kit.lens_at(300).t_stop_max == pytest.approx(3.8)


def test_yaml_entries_all_name_source_and_confidence():
    from importlib import resources

    cams = yaml.safe_load(resources.files("previs.data").joinpath("cameras.yaml").read_text())
    for body in cams["bodies"].values():
        assert body["source"] and body["confidence"]
        for mode in body["modes"].values():
            assert mode["confidence"] in presets.CONFIDENCE_TAGS
    lenses = yaml.safe_load(resources.files("previs.data").joinpath("lenses.yaml").read_text())
    for kit in lenses["kits"].values():
        assert kit["source"] and kit["confidence"] and kit["t_stop_min_confidence"]
        for lens in kit["lenses"]:
            assert lens["confidence"] in presets.CONFIDENCE_TAGS


def test_format_presets_table_lists_everything():
    table = presets.format_presets_table()
    for body in camera_bodies().values():
        assert body.id in table
        for mode_id in body.modes:
            assert mode_id in table
    for kit_id in lens_kits():
        assert kit_id in table
    assert "27.99 x 19.22 mm   4608 x 3164    6.07 um" in table
    assert "50 mm        T2    close focus 0.41 m" in table
