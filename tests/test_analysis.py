"""previs.core.analysis and previs.core.plan: what a shot is, from hand-derived cases at the
rules' boundaries (no GL, no files written); and the shared paper helpers."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest

from previs.api import load_scene
from previs.core import analysis as an
from previs.core import plan, presets
from previs.core import transforms as tf
from previs.core.animation import key
from previs.core.frame import evaluate
from previs.core.moves import Move
from previs.core.scene import CameraPlacement, SetPiece, Shot
from previs.errors import PrevisError
from previs.export import paper

EXAMPLE = Path(__file__).resolve().parents[1] / "scenes" / "led_stage.yaml"
STATURE_M = 1.8
EYES_M = an.EYE_FRACTION * STATURE_M


@pytest.fixture(scope="module")
def base():
    return load_scene(EXAMPLE)


def _scene(base, camera: CameraPlacement, *, moves=(), keys=(), length=24, standin=True, extra=()):
    pat = SetPiece(
        name="Pat", kind="standin", world_from_local=tf.trs((0.0, 0.0, 0.0)), height_m=STATURE_M
    )
    shot = Shot(
        id="T1",
        scene_number="9",
        description="test",
        length_frames=length,
        camera=camera,
        moves=tuple(moves),
        keys=tuple(keys),
    )
    return dataclasses.replace(
        base, set_pieces=(pat,) if standin else (), shots=(shot, *extra)
    ), shot


def _frame_h_mm(base) -> float:
    """Height of the delivered frame on the sensor: 2.39 frame lines, letterboxed on the mode."""
    mode = presets.get_mode(base.camera.body, base.camera.mode)
    assert float(base.camera.delivery_aspect) == 2.39
    return min(mode.height_mm, mode.width_mm / 2.39)


# ---------------------------------------------------------------- shot size
def test_shot_size_bounds_are_upper_bounds():
    for (name, upper), (next_name, _) in zip(
        an.SHOT_SIZE_BOUNDS, [*an.SHOT_SIZE_BOUNDS[1:], ("EWS", 0)], strict=True
    ):
        assert an.shot_size_for_ratio(upper * 0.999) == name
        assert an.shot_size_for_ratio(upper) == next_name


@pytest.mark.parametrize(
    ("frame_h_m", "want"),
    [(2.4, "FS"), (1.4 * 1.8 * 0.99, "FS"), (1.4 * 1.8 * 1.01, "WS"), (3.0 * 1.8 * 1.01, "EWS")],
)
def test_whole_body_in_frame_ratio_is_frame_height_over_stature(base, frame_h_m, want):
    # A level camera at half the stature, 40 mm lens: the frame at distance d is d * h / f tall
    # (reference §3.5), the body fills 1.8 / FH of it, so the ratio is FH / 1.8.
    focal_mm = 40.0
    d = focal_mm * frame_h_m / _frame_h_mm(base)
    sc, shot = _scene(
        base,
        CameraPlacement(position_m=(0.0, STATURE_M / 2, d), focal_length_mm=focal_mm, focus_m=d),
    )
    fa = an.analyse_frame(sc, evaluate(sc, shot, 0))
    assert fa.subject is not None and fa.subject.name == "Pat" and fa.subject.eyes_in_frame
    assert fa.subject.ratio == pytest.approx(frame_h_m / STATURE_M, rel=1e-6)
    assert fa.shot_size == want
    assert an.shot_size(sc, shot) == want


def test_nobody_in_frame_is_an_insert_a_wide_or_an_extreme_wide(base):
    away = {"pan_deg": 180.0, "focal_length_mm": 40.0}  # facing +Z, the stand-in behind
    # the MS bound of a 1.75 m person at the focus distance: d = 0.55 * 1.75 * f / h
    d_ms = 0.55 * 1.75 * 40.0 / _frame_h_mm(base)
    d_ews = 3.0 * 1.75 * 40.0 / _frame_h_mm(base)
    assert d_ms > 1.6
    for focus_m, want in (
        (1.49, "INSERT"),
        (d_ms * 0.99, "INSERT"),
        (d_ms * 1.01, "WS"),
        (d_ews * 0.99, "WS"),
        (d_ews * 1.01, "EWS"),
    ):
        sc, shot = _scene(
            base, CameraPlacement(position_m=(0.0, 1.5, 3.0), focus_m=focus_m, **away)
        )
        assert an.shot_size(sc, shot) == want, focus_m


def test_stated_values_win(base):
    sc, shot = _scene(
        base, CameraPlacement(position_m=(0.0, 1.5, 3.0), focal_length_mm=40.0, focus_m=3.0)
    )
    stated = dataclasses.replace(shot, shot_size="MS", angle="low", movement="whip pan")
    sc = dataclasses.replace(sc, shots=(stated,))
    judged = an.analyse_shot(sc, "T1")
    assert (judged.shot_size, judged.angle, judged.movement) == ("MS", "low", "whip pan")


# ---------------------------------------------------------------- angle
def test_camera_half_a_metre_above_the_eyes_looks_down_on_them_when_near(base):
    # 0.5 m above the eye line, aimed at the eyes: elevation atan(-0.5 / d); high beyond -5 deg,
    # i.e. nearer than 0.5 / tan(5 deg) = 5.715 m
    limit_m = 0.5 / math.tan(math.radians(an.EYE_LEVEL_DEG))
    for d, want in ((limit_m * 0.95, "high"), (limit_m * 1.05, "eye level")):
        sc, shot = _scene(
            base,
            CameraPlacement(
                position_m=(0.0, EYES_M + 0.5, d),
                look_at_m=(0.0, EYES_M, 0.0),
                focal_length_mm=25.0,
                focus_m=d,
            ),
        )
        assert an.angle(sc, shot) == want, d
    sc, shot = _scene(
        base,
        CameraPlacement(
            position_m=(0.0, EYES_M - 0.5, 4.0),
            look_at_m=(0.0, EYES_M, 0.0),
            focal_length_mm=25.0,
            focus_m=4.0,
        ),
    )
    assert an.angle(sc, shot) == "low"


def test_without_a_subject_the_tilt_decides(base):
    cases = (
        (-20.0, 0.0, "high"),
        (-4.0, 0.0, "eye level"),
        (6.0, 0.0, "low"),
        (-59.5, 0.0, "high"),
        (-60.5, 0.0, "overhead"),
        (0.0, 5.5, "eye level, Dutch"),
        (0.0, 4.5, "eye level"),
    )
    for tilt, roll, want in cases:
        sc, shot = _scene(
            base,
            CameraPlacement(
                position_m=(0.0, 1.6, 3.0),
                pan_deg=180.0,
                tilt_deg=tilt,
                roll_deg=roll,
                focal_length_mm=25.0,
                focus_m=3.0,
            ),
            standin=False,
        )
        assert an.angle(sc, shot) == want, (tilt, roll)


# ---------------------------------------------------------------- movement
@pytest.mark.parametrize(
    ("move", "want"),
    [
        (Move("dolly", 0, 23, {"distance_m": 2.0}), "dolly in"),
        (Move("dolly", 0, 23, {"distance_m": -2.0}), "dolly out"),
        (Move("truck", 0, 23, {"distance_m": 1.0}), "truck right"),
        (Move("pedestal", 0, 23, {"distance_m": -0.3}), "pedestal down"),
        (Move("pan", 0, 23, {"angle_deg": 20.0}), "pan left"),
        (Move("pan", 0, 23, {"angle_deg": -20.0}), "pan right"),
        (Move("orbit", 0, 23, {"angle_deg": 30.0, "subject_m": (0.0, 1.0, 0.0)}), "orbit right"),
    ],
)
def test_a_move_in_words(base, move, want):
    sc, shot = _scene(
        base,
        CameraPlacement(position_m=(0.0, 1.6, 5.0), focal_length_mm=40.0, focus_m=5.0),
        moves=[move],
        length=24,
    )
    assert an.movement(sc, shot) == want


@pytest.mark.parametrize(
    ("channel", "a", "b", "want"),
    [
        ("position_m", (0.0, 1.6, 5.0), (0.0, 1.6, 4.96), "static"),  # 4 cm: under 5 cm
        ("position_m", (0.0, 1.6, 5.0), (0.0, 1.6, 4.94), "dolly in"),  # 6 cm towards the lens axis
        ("position_m", (0.0, 1.6, 5.0), (0.0, 1.66, 5.0), "pedestal up"),
        ("pan_deg", 0.0, 0.9, "static"),
        ("pan_deg", 0.0, 1.1, "pan left"),
        ("tilt_deg", 0.0, -1.1, "tilt down"),
        ("focal_length_mm", 40.0, 40.4, "static"),
        ("focal_length_mm", 40.0, 40.6, "zoom in"),
        ("focus_m", 5.0, 4.1, "static"),  # 0.044 dioptre
        ("focus_m", 5.0, 3.9, "rack focus"),  # 0.056 dioptre
    ],
)
def test_explicit_keys_at_their_thresholds(base, channel, a, b, want):
    cam = CameraPlacement(position_m=(0.0, 1.6, 5.0), focal_length_mm=40.0, focus_m=5.0)
    sc, shot = _scene(base, cam, keys=[(channel, (key(0, a), key(20, b)))], length=24)
    assert an.movement(sc, shot) == want


def test_a_static_shot_has_one_sample_and_a_moving_one_its_key_frames(base):
    cam = CameraPlacement(position_m=(0.0, 1.6, 5.0), focal_length_mm=40.0, focus_m=5.0)
    sc, shot = _scene(base, cam, length=24)
    assert an.sample_frames(sc, shot) == [0] and an.movement(sc, shot) == "static"
    sc, shot = _scene(base, cam, moves=[Move("dolly", 6, 17, {"distance_m": 2.0})], length=24)
    judged = an.analyse_shot(sc, shot)
    assert [s.frame for s in judged.states] == [0, 6, 17, 23]
    assert judged.cast == ("Pat",)


# ---------------------------------------------------------------- setups
def test_setups_by_distance_and_direction(base):
    def shot(sid, scene_number, pos, pan):
        return Shot(
            id=sid,
            scene_number=scene_number,
            description="",
            length_frames=12,
            camera=CameraPlacement(position_m=pos, pan_deg=pan, focal_length_mm=40.0, focus_m=3.0),
        )

    shots = (
        shot("A", "1", (0.0, 1.6, 5.0), 0.0),
        shot("B", "1", (0.29, 1.6, 5.0), 9.0),  # 0.29 m and 9 deg away: the same setup
        shot("C", "1", (0.31, 1.6, 5.0), 0.0),  # 0.31 m away: a new one
        shot("D", "1", (0.0, 1.6, 5.0), 11.0),  # 11 deg away: a new one
        shot("E", "2", (0.0, 1.6, 5.0), 0.0),
    )  # numbering restarts in each scene
    sc = dataclasses.replace(base, set_pieces=(), shots=shots)
    assert an.assign_setups(sc) == {"A": 1, "B": 1, "C": 2, "D": 3, "E": 1}


# ---------------------------------------------------------------- camera motion
def _state(base, **cam):
    cam.setdefault("focal_length_mm", 40.0)
    cam.setdefault("focus_m", 4.0)
    sc, shot = _scene(base, CameraPlacement(**cam))
    return evaluate(sc, shot, 0)


def test_camera_motion_of_a_dolly_a_zoom_and_a_pan(base):
    a = _state(base, position_m=(0.0, 1.6, 5.0))
    w, h = 960, round(960 / a.image_aspect)  # a panel of the recorded image's aspect
    same = an.camera_motion(a, a, w, h)
    assert np.allclose(same.shift_px, 0.0, atol=1e-6) and same.scale == pytest.approx(1.0, rel=1e-3)
    assert same.move_scale == pytest.approx(1.0) and same.orbit is None
    # 1 m nearer what it looks at 4 m away: 3 m / 4 m
    dolly = an.camera_motion(a, _state(base, position_m=(0.0, 1.6, 4.0)), w, h)
    assert dolly.move_scale == pytest.approx(0.75) and dolly.zoom_scale == pytest.approx(1.0)
    # 40 -> 75 mm: the field shrinks by 40 / 75 (tan(fov/2) = h / 2f)
    zoom = an.camera_motion(a, _state(base, position_m=(0.0, 1.6, 5.0), focal_length_mm=75.0), w, h)
    assert zoom.zoom_scale == pytest.approx(40 / 75) and zoom.scale == pytest.approx(
        40 / 75, rel=1e-3
    )
    # pan left 10 deg: the next framing lies left of this one, tan(10 deg) / tan(hfov / 2) of half the width
    pan = an.camera_motion(a, _state(base, position_m=(0.0, 1.6, 5.0), pan_deg=10.0), w, h)
    assert pan.shift_px[0] < -20 and abs(pan.shift_px[1]) < 1.0 and pan.orbit is None


def test_orbit_is_a_sideways_move_round_where_the_axes_meet(base):
    a = _state(base, position_m=(0.0, 1.6, 4.0), look_at_m=(0.0, 1.6, 0.0))
    ang = math.radians(20.0)
    b = _state(
        base, position_m=(4.0 * math.sin(ang), 1.6, 4.0 * math.cos(ang)), look_at_m=(0.0, 1.6, 0.0)
    )
    assert an.axes_meet(a, b) == pytest.approx(4.0, rel=1e-6)
    m = an.camera_motion(a, b, 960, 540)
    assert m.orbit is not None and m.orbit[0] > 0.99  # the camera travels to the right


def test_subject_paths_start_where_the_walk_stands_now(base):
    sc = load_scene(EXAMPLE)
    shot = next(s for s in sc.shots if s.walks)
    w = shot.walks[0]
    paths = an.subject_paths(sc, shot, w.start_frame)
    pts = paths[w.standin]
    height = next(p for p in sc.set_pieces if p.name == w.standin).height_m
    assert pts[0][[0, 2]] == pytest.approx(np.asarray(w.points_m[0], float)[[0, 2]], abs=1e-6)
    assert np.allclose(pts[:, 1], pts[0, 1]) and pts[0, 1] >= 0.5 * height - 1e-6
    assert an.subject_paths(sc, shot, w.end_frame).get(w.standin) is None  # the walk is over


# ---------------------------------------------------------------- the plan's geometry
def test_plan_vectors():
    assert plan.rotate_xz(np.array([1.0, 0.0]), 90.0) == pytest.approx([0.0, 1.0])  # +X towards +Z
    pts = np.array([[0.0, 0.0], [3.0, 0.0], [3.0, 4.0]])
    assert plan.path_length(pts) == pytest.approx(7.0)
    p, d = plan.point_at(pts, 5.0)
    assert p == pytest.approx([3.0, 2.0]) and d == pytest.approx([0.0, 1.0])
    assert plan.forward_xz(np.eye(4)) == pytest.approx([0.0, -1.0])  # pan 0 faces upstage
    hull, ylo, yhi = plan.hull_xz(
        np.array([[x, y, z] for x in (-1, 1) for y in (0, 2) for z in (-0.5, 0.5)])
    )
    assert len(hull) == 4 and (ylo, yhi) == (0.0, 2.0)
    assert sorted(map(tuple, np.round(hull, 6))) == [(-1, -0.5), (-1, 0.5), (1, -0.5), (1, 0.5)]


def test_plan_geometry_of_a_dolly(base):
    cam = CameraPlacement(position_m=(0.0, 1.6, 5.0), focal_length_mm=40.0, focus_m=5.0)
    sc, shot = _scene(base, cam, moves=[Move("dolly", 0, 23, {"distance_m": 2.0})], length=24)
    geo = plan.plan_geometry(sc)
    assert geo.single and geo.frustum_m == plan.FRUSTUM_MAX_M
    c = geo.cameras["T1"]
    assert plan.path_length(c.path) == pytest.approx(2.0, abs=1e-6) and c.last == 23
    assert c.path[0] == pytest.approx([0.0, 5.0]) and c.path[-1] == pytest.approx([0.0, 3.0])
    x0, z0, x1, z1 = geo.bounds_m
    assert x0 <= -sc.stage.floor_width_m / 2 - plan.MARGIN_M and z1 >= 5.0 + plan.MARGIN_M
    assert all(float(v).is_integer() for v in geo.bounds_m)
    assert geo.page_h_m == pytest.approx(z1 - z0 + plan.TITLE_BLOCK_M)


# ---------------------------------------------------------------- wrap180 and the paper
def test_wrap180():
    assert (
        tf.wrap180(190.0) == -170.0 and tf.wrap180(-190.0) == 170.0 and tf.wrap180(180.0) == -180.0
    )
    assert np.allclose(tf.wrap180(np.array([0.0, 360.0, 359.0])), [0.0, 0.0, -1.0])


def test_paper(monkeypatch):
    assert paper.safe_name("1A/b c") == "1A_b_c" and paper.safe_name("") == "_"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1750000000")  # 2025-06-15 15:06:40 UTC
    assert paper.build_date(None).isoformat() == "2025-06-15"
    assert paper.build_date("2026-01-02").isoformat() == "2026-01-02"
    with pytest.raises(PrevisError, match="YYYY-MM-DD"):
        paper.build_date("next tuesday")
    assert paper.paper_size_mm("A4") == (210.0, 297.0) and paper.paper_name("Letter") == "letter"
    with pytest.raises(PrevisError, match="unknown paper"):
        paper.paper_name("A3")


@pytest.mark.parametrize(
    "env,want",
    [
        ({"LANG": "en_US.UTF-8"}, "letter"),
        ({"LANG": "fr_CA.UTF-8"}, "letter"),
        ({"LANG": "de_DE.UTF-8"}, "a4"),
        ({"LANG": "en_GB.UTF-8", "LC_PAPER": "en_US.UTF-8"}, "letter"),  # LC_PAPER before LANG
        ({"LC_ALL": "en_AU.UTF-8", "LC_PAPER": "en_US.UTF-8"}, "a4"),  # LC_ALL before both
        ({"LANG": "C.UTF-8"}, "a4"),
        ({}, "a4"),
        ({"LANG": "en_US@euro"}, "letter"),
    ],
)
def test_default_paper_from_the_locale(env, want):
    assert paper.default_paper(env) == want


def test_bundled_fonts_come_first_and_carry_their_licence(monkeypatch):
    monkeypatch.delenv("PREVIS_PDF_FONT", raising=False)
    regular, bold = paper.bundled_fonts()
    assert regular.name == "DejaVuSansCondensed.ttf" and bold.name == "DejaVuSansCondensed-Bold.ttf"
    assert regular.read_bytes()[:4] == b"\x00\x01\x00\x00"  # a TrueType file
    assert paper.find_fonts(("DejaVuSans",)) == (regular, bold)
    assert "Bitstream" in (regular.parent / "LICENSE").read_text()
    found = paper.find_fonts(("DejaVuSans",), bundled=False)
    assert found is None or found[0] != regular


# ---------------------------------------------------------------- who is seen, support, height
def test_a_nearer_body_hides_the_one_behind_it(base):
    cam = CameraPlacement(
        position_m=(0.0, 1.6, 4.0), look_at_m=(0.0, 1.2, 0.0), focal_length_mm=35, focus_m=4.0
    )
    sc, shot = _scene(base, cam)
    pat = sc.set_pieces[0]
    alone = an.visibility(sc, evaluate(sc, shot, 0))["Pat"]
    assert (
        0.02 < alone.share < 0.3 and "head" in alone.parts and not alone.faces_away
    )  # Pat faces +Z: us
    twin = dataclasses.replace(
        pat, name="Lee", world_from_local=tf.trs((0.0, 0.0, 2.0)) @ tf.rotation_y(180.0)
    )
    sc2 = dataclasses.replace(sc, set_pieces=(pat, twin))
    vis = an.visibility(sc2, evaluate(sc2, shot, 0))
    assert vis["Lee"].faces_away and vis["Lee"].share > vis["Pat"].share
    assert vis["Pat"].share < 0.5 * alone.share  # mostly hidden behind Lee
    # Lee (2 m nearer, seen from behind, head and shoulders in frame) frames Pat: an over-the-shoulder
    assert an.over_the_shoulder(vis, "Pat") == "Lee"
    assert an.over_the_shoulder(vis, "Lee") is None


def test_support_and_height_from_the_moves(base):
    cam = CameraPlacement(position_m=(0.0, 1.5, 4.0), focal_length_mm=35)
    cases = [
        ((), "sticks"),
        ((Move("pan", 0, 23, {"angle_deg": 10.0}),), "sticks"),
        ((Move("dolly", 0, 23, {"distance_m": 1.0}),), "dolly"),
        ((Move("pedestal", 0, 23, {"distance_m": 1.2}),), "crane"),
        ((Move("handheld", 0, 23, {}),), "handheld"),
        (
            (
                Move("dolly", 0, 23, {"distance_m": 1.0}),
                Move("crane", 0, 23, {"arm_length_m": 2.0, "boom_deg": 10.0}),
            ),
            "crane",
        ),
    ]
    for moves, want in cases:
        sc, shot = _scene(base, cam, moves=moves)
        assert an.support_of(sc, shot) == want, (moves, want)
    low = CameraPlacement(position_m=(0.0, 0.4, 4.0), focal_length_mm=35)
    sc, shot = _scene(base, low)
    assert an.support_of(sc, shot) == "hi-hat"
    stated = dataclasses.replace(shot, support="steadicam")
    assert an.support_of(dataclasses.replace(sc, shots=(stated,)), stated) == "Steadicam"
    tilted = CameraPlacement(position_m=(0.0, 1.234, 4.0), tilt_deg=-12.4, focal_length_mm=35)
    sc, shot = _scene(base, tilted)
    assert an.height_tilt([evaluate(sc, shot, 0)]) == ((1.23,), (-12.0,))


def test_moves_between_two_panels(base):
    cam = CameraPlacement(position_m=(0.0, 1.5, 4.0), focal_length_mm=35)
    moves = (Move("dolly", 0, 11, {"distance_m": 1.0}), Move("pan", 12, 23, {"angle_deg": -10.0}))
    sc, shot = _scene(base, cam, moves=moves)
    assert an.moves_between(sc, shot, 0, 12) == ["dolly in"]
    assert an.moves_between(sc, shot, 12, 23) == ["pan right"]
    assert an.moves_between(sc, shot, 0, 23) == ["dolly in", "pan right"]
    assert an.arrow_kinds(an.moves_between(sc, shot, 0, 23)) == ("push_in", "pan_right")


def test_scene_file_fields_for_the_paperwork(tmp_path):
    text = EXAMPLE.read_text()
    sc = load_scene(EXAMPLE)
    assert sc.shot("1C").dialogue.startswith("MARA:") and sc.shot("2A").transition_frames == 12
    bad = tmp_path / "bad.yaml"
    text = text.replace(
        "geometry/", f"{EXAMPLE.parent / 'geometry'}/"
    )  # the example's meshes, from here
    for old, new, match in (
        ("frames: 12}", "frames: 200}", "200-frame dissolve is longer than the shot"),
        ("{type: dissolve, frames: 12}", "dissolve", "a dissolve lasts 2 frames or more"),
        ("{type: dissolve, frames: 12}", "{type: wipe, frames: 12}", "transition.type"),
    ):
        bad.write_text(text.replace(old, new))
        with pytest.raises(PrevisError, match=match):
            load_scene(bad)
