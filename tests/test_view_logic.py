"""The blocking window's pure logic (no GL, no window): the camera rig, lens and iris steps, the
adaptive resolution, key bindings, the overlay geometry and the per-frame stage checks."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from previs.core import presets
from previs.core import transforms as tf
from previs.view import controls as ctl
from previs.view import gizmos
from previs.view.controls import AdaptiveResolution, Rig

SCENE = Path(__file__).resolve().parents[1] / "scenes" / "led_stage.yaml"


def test_fly_moves_along_the_lens_axis_and_dolly_stays_on_the_floor():
    r = Rig(np.array([1.0, 1.5, 4.0]), pan_deg=90.0, tilt_deg=30.0)  # looking left (-X), up 30°
    r.fly(forward_m=2.0)
    assert np.allclose(
        r.position_m, [1 - 2 * math.cos(math.radians(30)), 1.5 + 1.0, 4.0], atol=1e-9
    )
    r = Rig(np.array([1.0, 1.5, 4.0]), pan_deg=90.0, tilt_deg=30.0)
    r.dolly(2.0)
    assert np.allclose(r.position_m, [-1.0, 1.5, 4.0], atol=1e-9)  # height kept
    r.truck(1.0)  # camera right is -Z when looking down -X
    assert np.allclose(r.position_m, [-1.0, 1.5, 3.0], atol=1e-9)
    r.pedestal(-0.5)
    assert r.position_m[1] == pytest.approx(1.0)


def test_pan_tilt_wrap_and_limit():
    r = Rig(np.zeros(3), pan_deg=170.0)
    r.pan_tilt(20.0, 100.0)
    assert r.pan_deg == pytest.approx(-170.0)
    assert r.tilt_deg == ctl.TILT_LIMIT_DEG


def test_rig_round_trips_a_pose_and_its_key_values():
    m = tf.pan_tilt_roll((0.3, 1.2, 5.0), 12.0, -7.0, 3.0)

    class S:  # the FrameState fields Rig.from_state reads
        world_from_camera, focal_length_mm, focus_m, t_stop = m, 40.0, 3.5, 2.8

    r = Rig.from_state(S)
    assert np.allclose(r.world_from_camera, m, atol=1e-9)
    v = r.key_values()
    assert set(v) == {
        "position_m",
        "pan_deg",
        "tilt_deg",
        "roll_deg",
        "focal_length_mm",
        "focus_m",
        "t_stop",
    }
    assert v["pan_deg"] == pytest.approx(12.0) and v["roll_deg"] == pytest.approx(3.0)


def test_orbit_keeps_the_distance_and_aims_at_the_subject():
    target = np.array([0.0, 1.6, -2.0])
    r = Rig(np.array([0.0, 1.6, 2.0]))
    r.aim_at(target)
    r.orbit(target, d_azimuth_deg=90.0)
    assert np.linalg.norm(r.position_m - target) == pytest.approx(4.0)
    assert np.allclose(r.position_m, [4.0, 1.6, -2.0], atol=1e-9)
    fwd = r.forward
    assert np.allclose(fwd, (target - r.position_m) / 4.0, atol=1e-9)
    r.orbit(target, d_distance_m=-1.0)
    assert np.linalg.norm(r.position_m - target) == pytest.approx(3.0)


def test_prime_steps_follow_the_kit():
    kit = presets.get_lens_kit("arri-signature-prime")
    stops = ctl.kit_stops_mm(kit)
    assert stops == sorted(stops) and 25.0 in stops
    i = stops.index(25.0)
    assert ctl.step_focal_mm(kit, 25.0, +1) == stops[i + 1]
    assert ctl.step_focal_mm(kit, 25.0, -1) == stops[i - 1]
    assert ctl.step_focal_mm(kit, stops[-1], +1) == stops[-1]  # the longest stays
    assert ctl.zoom_mm(kit, 25.0, 1.5) == 25.0  # a prime does not zoom


def test_zoom_stays_in_its_range():
    kit = next(k for k in presets.lens_kits().values() if k.kind == "zoom")
    spec = kit.lenses[0]
    mid = (spec.focal_min_mm + spec.focal_max_mm) / 2
    assert ctl.zoom_range_mm(kit, mid) == (spec.focal_min_mm, spec.focal_max_mm)
    assert ctl.zoom_mm(kit, mid, 100.0) == spec.focal_max_mm
    assert ctl.zoom_mm(kit, mid, 0.01) == spec.focal_min_mm
    assert ctl.zoom_mm(kit, mid, 1.1) == pytest.approx(round(mid * 1.1, 2))


def test_t_stop_steps_in_full_stops_within_the_lens():
    assert ctl.step_t_stop(2.8, +1, 1.8, 22) == 4.0
    assert ctl.step_t_stop(2.8, -1, 1.8, 22) == 2.0
    assert ctl.step_t_stop(2.8, -2, 1.8, 22) == 1.8  # held at the lens's widest
    assert ctl.step_t_stop(3.2, +1, 1.8, 22) == 4.0  # off the scale: to the next full stop
    assert ctl.step_t_stop(16, +3, 1.8, 22) == 22


def _drive(
    ar: AdaptiveResolution, fixed_s: float, per_px_s: float, other_s: float, frames: int
) -> list[int]:
    widths = []
    for _ in range(frames):
        w = ar.choose()
        render = fixed_s + per_px_s * w * w
        ar.report(w, render + other_s, render)
        widths.append(w)
    return widths


def test_adaptive_resolution_finds_the_width_that_holds_the_rate():
    # A machine where the render costs 8 ms + w² · 1.6e-7 s and the rest of a frame 6 ms: at 24
    # frames/s (37.5 ms with 10 % headroom) the width that fits is sqrt(23.5e-3 / 1.6e-7) = 383.
    ar = AdaptiveResolution(full_width=1000, target_fps=24.0)
    widths = _drive(ar, 0.008, 1.6e-7, 0.006, 80)
    assert 320 <= widths[-1] <= 383
    assert all(0.008 + 1.6e-7 * w * w + 0.006 <= 1 / 24 for w in widths[-40:])
    assert ar.render_fixed_s == pytest.approx(0.008, abs=0.002)
    # A fast machine keeps the full width.
    fast = AdaptiveResolution(full_width=1000, target_fps=24.0)
    assert _drive(fast, 0.002, 1e-8, 0.004, 30)[-1] == 1000


def test_adaptive_resolution_recovers_within_two_frames_when_the_machine_slows():
    # Settled on the machine above, then every pixel costs half as much again (another process
    # took a core): two frames miss 1/24 s, the third fits again (a lagging fit alone took 7).
    ar = AdaptiveResolution(full_width=1000, target_fps=24.0)
    _drive(ar, 0.008, 1.6e-7, 0.006, 80)
    before = ar.width
    widths = _drive(ar, 0.008, 2.4e-7, 0.006, 12)
    frame_s = [0.008 + 2.4e-7 * w * w + 0.006 for w in widths]
    assert all(f > 1 / 24 for f in frame_s[:2])  # the slowdown is real at the old width
    assert all(f <= 1 / 24 for f in frame_s[2:])
    assert widths[2] < before


def test_adaptive_resolution_never_goes_below_its_floor():
    ar = AdaptiveResolution(full_width=900, target_fps=60.0, min_width=128)
    assert _drive(ar, 0.05, 1e-6, 0.01, 20)[-1] == 128


def test_bindings_are_unambiguous_and_documented():
    seen = set()
    for b in ctl.BINDINGS:
        k = (b.key, frozenset(b.mods))
        assert k not in seen, f"{b.key}+{b.mods} bound twice"
        seen.add(k)
        assert b.help
    assert ctl.lookup("S", {"ctrl"}).action == "save"
    assert ctl.lookup("S", set()).action == "fly_back"
    assert ctl.lookup("W", {"shift"}).action == "fly_forward"  # Shift only speeds a held move
    assert ctl.lookup("Z", {"ctrl", "shift"}).action == "redo"
    assert ctl.lookup("K", {"shift"}).action == "delete_key"
    assert ctl.lookup("F13", set()) is None


def test_every_binding_has_an_action():
    """Held keys move the camera per frame (input.apply_held); the others run an action: the
    session's own, or one the window registers (capturing a panel, pulling focus at the cursor)."""
    from previs.view.input import LENS_HELD, MOVES
    from previs.view.session import ACTIONS

    window_actions = {"capture", "pull_focus"}  # registered by ViewerApp
    held = {b.action for b in ctl.BINDINGS if b.held}
    for b in ctl.BINDINGS:
        if b.held:
            assert b.action in MOVES or b.action in LENS_HELD, b.action
        else:
            assert b.action in window_actions or b.action in ACTIONS, b.action
    assert "fly_forward" in held and "zoom_in" in held


def test_next_shot_id():
    from previs.view.session import next_shot_id

    assert next_shot_id(["1A", "1B"], "1A") == "1C"
    assert next_shot_id(["WIDE"], "WIDE") == "WIDE-2"
    assert next_shot_id(["WIDE", "WIDE-2"], "WIDE") == "WIDE-3"


def test_plan_projection_maps_the_page_corners():
    m = gizmos.plan_clip_from_world(-10.0, -12.0, 10.0, 8.0)
    pts = np.array([[-10.0, 3.0, -12.0, 1.0], [10.0, 0.0, 8.0, 1.0]]) @ m.T
    assert np.allclose(pts[:, :2], [[-1.0, 1.0], [1.0, -1.0]])  # far side of the stage at the top


def test_frustum_reaches_the_wall():
    from previs import load_scene

    scene = load_scene(SCENE)
    m = tf.look_at((0.0, 1.5, 0.0), (0.0, 1.5, -5.0))
    segs = gizmos.frustum_segments(scene.stage, m, math.radians(30), 1.5)
    assert segs.shape == (8, 2, 3)
    # The main wall is a 10 m circle about the origin: the top corner rays end on it; the
    # bottom ones (15° down from 1.5 m) meet the floor 5.6 m out, before the wall.
    ends = segs[:4, 1]
    assert np.allclose(np.hypot(ends[:2, 0], ends[:2, 2]), 10.0, atol=0.15)
    assert np.allclose(ends[2:, 1], 0.0, atol=1e-9)
    assert np.allclose(-ends[2:, 2], 1.5 / math.tan(math.radians(15)), atol=1e-6)
    inner = gizmos.inner_frustum_outline(scene.stage, m, math.radians(30), 1.5, 20.0)
    assert len(inner) > 50
    r = np.hypot(inner[..., 0], inner[..., 2])
    assert np.all(r > 9.7) and np.all(r < 10.05)  # on the wall, a hair in front of it


def test_frame_checks_from_a_depth_image():
    from previs import evaluate, load_scene
    from previs.view.live_checks import check_frame

    scene = load_scene(SCENE)
    st = evaluate(scene, "1A")
    h, w = 90, 131
    nothing = check_frame(scene, st, np.full((h, w), np.inf, np.float32))  # sees nothing at all
    assert nothing.shooting_off == pytest.approx(1.0)
    assert "shooting off: 100.0 % of the frame" in nothing.problems
    assert (nothing.grid == 3).mean() > 0.6  # flagged inside the 2.39 frame lines, not in the matte
    # The wall where the rays meet it, a set floor laid 5 cm up elsewhere: nothing shoots off,
    # and the wide lens focused at 9 m sees the wall's grid alias (what `previs check` says).
    from previs.core import ledcheck

    view = ledcheck.wall_view(scene.stage, st.world_from_camera, st.yfov_rad, w / h, cols=w, rows=h)
    th = math.tan(st.yfov_rad / 2)
    v = (1 - (np.arange(h) + 0.5) / h * 2) * th
    u = ((np.arange(w) + 0.5) / w * 2 - 1) * th * w / h
    dirs = (
        np.stack(np.broadcast_arrays(u[None, :], v[:, None], -1.0), axis=-1)
        @ st.world_from_camera[:3, :3].T
    )
    with np.errstate(divide="ignore"):
        floor = np.where(dirs[..., 1] < 0, (0.05 - st.position_m[1]) / dirs[..., 1], np.inf)
    depth = np.minimum(view.depth_m, floor).astype(np.float32)
    c = check_frame(scene, st, depth)
    assert c.shooting_off < 0.01
    assert c.led_share > 0.5
    assert c.moire == "high" and c.photosites_per_pitch == pytest.approx(0.77, abs=0.05)
    assert 5.0 < c.nearest_wall_m < 14.0
    assert c.inside_volume and c.inside_piece is None
