"""The DP's meter against hand calculations: inverse square and cosine at the face, the spot
profile the renderer uses, the incident-meter T-stop, key to fill, shadows, the wall's stops,
and what previs check reports (pure: no renderer)."""

import math
from fractions import Fraction

import numpy as np
import pytest

from previs.core import meter as mt
from previs.core import scene as sc
from previs.core.fixtures import fixture_light
from previs.core.frame import evaluate
from previs.core.transforms import trs


def standin(name, x, z, yaw_deg=0.0, height_m=1.75):
    return sc.SetPiece(
        name=name,
        kind="standin",
        world_from_local=trs((x, 0, z), (0, yaw_deg, 0), (1, 1, 1)),
        height_m=height_m,
    )


def box(name, centre_xz, size_m, y0=0.0):
    return sc.SetPiece(
        name=name,
        kind="box",
        world_from_local=trs((centre_xz[0], y0, centre_xz[1]), (0, 0, 0), (1, 1, 1)),
        size_m=size_m,
    )


def point(name, pos, cd):
    return sc.Light(
        name=name, type="point", color_linear=(1.0, 1.0, 1.0), intensity=cd, position_m=pos
    )


def scene_of(pieces, lights, shots=None, t_stop=4.0):
    cam = sc.CameraSettings(
        body="alexa-35",
        mode="4.6k-3-2-og",
        lens_kit="arri-signature-prime",
        iso=800,
        shutter_angle_deg=180,
        t_stop=t_stop,
    )
    shots = shots or (
        sc.Shot(
            id="1",
            scene_number="1",
            description="",
            length_frames=24,
            camera=sc.CameraPlacement(
                position_m=(0, 1.6, 4), look_at_m=(0, 1.6, 0), focal_length_mm=35
            ),
        ),
    )
    return sc.Scene(
        source_path=None,
        name="meter",
        frame_rate=Fraction(24),
        stage=None,
        environment=sc.Environment(),
        set_pieces=tuple(pieces),
        lights=tuple(lights),
        camera=cam,
        shots=shots,
    )


def test_spot_profile_is_the_renderers():
    assert mt.spot_falloff(1.0, 30, 45) == pytest.approx(1.0)
    assert mt.spot_falloff(math.cos(math.radians(15)), 30, 45) == pytest.approx(0.5)
    assert mt.spot_falloff(math.cos(math.radians(22.5)), 30, 45) == pytest.approx(0.1)
    past = math.cos(math.radians(22.5)) - 0.05
    assert mt.spot_falloff(past, 30, 45) == pytest.approx(0.0)
    assert mt.range_falloff(5.0, 10.0) == pytest.approx(1 - 0.25**2)


def test_a_fixture_aimed_at_a_face_reads_the_inverse_square_hand_calculation():
    """An M18 on spot (860 lx at 10 m: 86,000 cd) 6 m in front of Mara's face, aimed at it:
    E = 86000 / 36 = 2389 lux; the incident T-stop sqrt(E 800 (1/48) / 250) = T12.6."""
    mara = standin("Mara", 0, 0)  # faces +Z
    face, normal = mt.face_of(mara)
    assert face == pytest.approx((0, 0.935 * 1.75, 0.1)) and normal == pytest.approx((0, 0, 1))
    key = fixture_light("key", "arri-m18", face + np.array([0, 0, 6.0]), face, setting="spot")
    s = scene_of([mara], [key])
    r = mt.read_face(s, evaluate(s, "1"), "Mara")
    assert r.lux == pytest.approx(86000 / 36)
    assert r.t_stop == pytest.approx(math.sqrt(86000 / 36 * 800 / 48 / 250))
    assert r.stops == pytest.approx(2 * math.log2(r.t_stop / 4.0))
    # the face turned 60 degrees away from the light: Lambert's cosine halves it
    turned = (math.sin(math.radians(60)), 0.0, math.cos(math.radians(60)))
    r60 = mt.read("Mara", face, turned, [key], iso=800, exposure_s=1 / 48, shot_t_stop=4.0)
    assert r60.lux == pytest.approx(86000 / 36 * 0.5)


def test_meter_t_stop_against_hand_worked_numbers():
    # 400 lx, ISO 800, 1/48 s: N = sqrt(400 * 800 / 48 / 250) = sqrt(26.67) = 5.164
    assert mt.t_stop_for(400, 800, 1 / 48) == pytest.approx(5.164, abs=1e-3)
    # 250 lx at ISO 100, 1 s reads f/10 (E S t / C = 100)
    assert mt.t_stop_for(250, 100, 1.0) == pytest.approx(10.0)
    assert mt.stops_against(5.6, 4.0) == pytest.approx(2 * math.log2(1.4))  # about +1 stop
    assert mt.stops_against(None, 4.0) == -math.inf


def test_key_to_fill_of_two_lights_at_known_distances():
    """Two 1000 cd lamps 2 m and 4 m from the face, on either side: 250 and 62.5 lux facing
    each: 4:1, 2 stops."""
    p, n = np.array([0.0, 1.6, 0.0]), np.array([0.0, 0.0, 1.0])
    key, fill = (
        point("key", (2 * math.sin(0.5), 1.6, 2 * math.cos(0.5)), 1000),
        point("fill", (-4, 1.6, 0), 1000),
    )
    r = mt.read("subject", p, n, [key, fill], iso=800, exposure_s=1 / 48, shot_t_stop=2.8)
    assert r.by_light()["key"] == pytest.approx(250 * math.cos(0.5))
    assert r.by_light()["fill"] == pytest.approx(0.0)  # side-on to the face's plane
    assert mt.key_fill_stops(r.contributions, "key", "fill") == pytest.approx(2.0)
    named = mt.read(
        "subject",
        p,
        n,
        [key, fill],
        iso=800,
        exposure_s=1 / 48,
        shot_t_stop=2.8,
        key="key",
        fill="fill",
    )
    assert named.key_fill_ratio == pytest.approx(4.0)


def test_a_set_piece_between_light_and_face_shades_it():
    mara = standin("Mara", 0, 0)
    face, _ = mt.face_of(mara)
    lamp = point("lamp", (0, 1.6, 4), 4000)
    flat = box("flat", (0, 2), (2, 3, 0.1))
    s = scene_of([mara, flat], [lamp])
    occluders = mt.primitive_boxes(s)
    r = mt.read_face(s, evaluate(s, "1"), "Mara", occluders=occluders)
    assert r.lux == 0.0 and r.contributions[0].shadowed_by == "flat" and r.t_stop is None
    low = scene_of([mara, box("apple box", (0, 2), (0.5, 0.3, 0.3))], [lamp])
    r = mt.read_face(low, evaluate(low, "1"), "Mara", occluders=mt.primitive_boxes(low))
    assert r.lux == pytest.approx(4000 * face[2] ** 0 / (4 - face[2]) ** 2 * 1.0, rel=0.01)


def test_wall_stops_against_the_exposure():
    # the stage_light reference example: 150 nits at T4, ISO 800, 1/48 s is +3.64 stops
    assert mt.wall_stops(150, 4.0, 1 / 48, 800) == pytest.approx(3.64, abs=0.01)


def test_previs_check_meters_faces_in_frame():
    from previs.check import ShotCheck, blocking_checks, meter_lines

    mara = standin("Mara", 0, 0)
    face, _ = mt.face_of(mara)
    key = fixture_light("key", "arri-m18", face + np.array([0, 0, 6.0]), face, setting="spot")
    s = scene_of([mara], [key], t_stop=4.0)
    res = ShotCheck(shot="1", frames_checked=0)
    blocking_checks(s, s.shots[0], res)
    m = res.meter["subjects"][0]
    assert m["name"] == "Mara" and m["lux"] == pytest.approx(86000 / 36)
    assert m["stops"] == pytest.approx(2 * math.log2(m["t_stop"] / 4.0))
    assert any("Mara's face reads T12.6" in w and "+3.3 stops" in w for w in res.warnings)
    assert any("2389 lux = T12.6" in line for line in meter_lines(res))
