"""Tape measure and collisions on constructed scenes: distances, stand-ins in the set and in each
other (not on their seat), light stands in frame, and what previs check reports."""

import math

import pytest

from previs.core import collisions as co
from previs.core.frame import evaluate
from tests.test_meter import box, point, scene_of, standin


def test_tape():
    assert co.distance_m((0, 0, 0), (3, 4, 0)) == pytest.approx(5.0)
    s = scene_of([standin("Mara", 0, 0)], [])
    st = evaluate(s, "1")  # the lens at (0, 1.6, 4)
    t = co.tape(s, st, "Mara")
    assert t.lens_to_subject_m == pytest.approx(math.hypot(4, 1.6 - 0.935 * 1.75))
    assert t.subject_to_wall_m is None


def test_standins_overlapping_each_other():
    close = scene_of([standin("A", 0, 0), standin("B", 0.2, 0)], [])
    (o,) = co.overlaps(close)
    assert (o.standin, o.other, o.other_is_standin) == ("A", "B", True)
    assert o.depth_m == pytest.approx(0.3 - 0.2)
    assert co.overlaps(scene_of([standin("A", 0, 0), standin("B", 0.5, 0)], [])) == []


def test_standin_in_a_set_piece_but_not_its_seat():
    inside = scene_of([standin("A", 0, 0), box("crate", (0.3, 0), (0.6, 0.8, 0.6))], [])
    (o,) = co.overlaps(inside)
    assert (o.standin, o.other, o.other_is_standin) == ("A", "crate", False)
    assert o.depth_m == pytest.approx(0.15)  # the axis is inside the box: the whole radius
    assert co.overlaps(inside, seats={"A": "crate"}) == []
    clear = scene_of([standin("A", 0, 0), box("crate", (0.5, 0), (0.6, 0.8, 0.6))], [])
    assert co.overlaps(clear) == []  # the box's face is 0.2 m away, more than the 0.15 m body


def test_a_turned_box_is_exact():
    """A 2 x 0.2 m wall flat turned 45 degrees: a stand-in 0.3 m from its centre line (0.2 m from
    its face) is clear, 0.2 m (0.1 m from its face) overlaps; both stand inside its axis-aligned
    bounds."""
    from previs.core import scene as sc
    from previs.core.transforms import trs

    flat = sc.SetPiece(
        name="flat",
        kind="box",
        world_from_local=trs((0, 0, 0), (0, 45, 0), (1, 1, 1)),
        size_m=(2.0, 2.5, 0.2),
    )
    off = flat.world_from_local[:3, 2]  # the flat's normal
    assert abs(off[0]) == pytest.approx(math.sqrt(0.5))
    for d, hit in ((0.3, False), (0.2, True)):
        p = off * d
        s = scene_of([flat, standin("A", p[0], p[2])], [])
        assert bool(co.overlaps(s)) == hit


def test_a_light_stand_in_frame():
    s = scene_of(
        [],
        [
            point("in shot", (0.5, 1.6, -2), 100),
            point("high", (0.5, 9.0, -4), 100),
            point("behind", (0, 1.6, 8), 100),
            point("wide", (9, 1.6, 0), 100),
        ],
    )
    st = evaluate(s, "1")  # the lens at (0, 1.6, 4) looking down -Z on a 35 mm
    assert co.stands_in_frame(st) == {"in shot": "head", "high": "stand"}


def test_previs_check_reports_collisions_and_stands():
    from previs.check import ShotCheck, blocking_checks

    s = scene_of(
        [
            standin("A", 0, 0),
            standin("B", 0.2, 0),
            box("crate", (1.0, 0), (0.6, 0.8, 0.6)),
            standin("C", 1.0, 0.1),
        ],
        [point("lamp", (0.5, 1.6, -2), 100)],
    )
    res = ShotCheck(shot="1", frames_checked=0)
    blocking_checks(s, s.shots[0], res)
    assert "collision: A overlaps B by 10 cm" in res.warnings
    assert "collision: C is inside the set piece 'crate' by 15 cm" in res.warnings
    assert "light 'lamp' in frame (its head)" in res.warnings
    assert res.blocking["stands_in_frame"] == [{"light": "lamp", "seen": "head", "frames": [0]}]
    assert {o["other"] for o in res.blocking["overlaps"]} == {"B", "crate"}
