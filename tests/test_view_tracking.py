"""``previs view --track``: the session's live camera follows a tracker, R records takes into new
shots, Shift+R discards, a silent source shows in the HUD line. Headless sessions (no glfw, no
GL) with real UDP on 127.0.0.1: shots are sent by ``previs.track.udp`` from a thread and the tests
wait on the receiver's sample counts; the session's clock is injected, so no verdict depends on
real time (timeouts only guard against a hang)."""

from __future__ import annotations

import math
import shutil
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from view_xvfb import xvfb_display  # noqa: F401  (the session's X server fixture)

from previs.core.frame import evaluate
from previs.errors import PrevisError
from previs.io.scene_file import load_scene
from previs.track.takes import ANGLE_TOL_DEG, FOCAL_TOL_MM, POSITION_TOL_M
from previs.track.udp import send_packets, shot_packets
from previs.view import controls as ctl
from previs.view.session import Session
from previs.view.tracking import next_take_id

ROOT = Path(__file__).resolve().parents[1]
GUARD_S = 60.0

TRACKING = """
tracking:                      # the stage's tracker: Z up, Y toward the wall, turned 3 deg
  axes: [x, z, -y]
  yaw_deg: 3
  origin_m: [0.5, 0.0, -1.0]
  pupil_offset_m: [0.02, -0.11, -0.15]
  lenses:
    - focal_length_mm: 35
      focus: [[0, 0.35], [200000, 4.0], [1000000, 40.0]]
"""
FREED_POS_M = math.sqrt(3) * 0.5 / 64 / 1000 + 1e-9  # 1/64 mm a unit, rounded
FREED_ANG_DEG = 3 * 0.5 / 32768 + 1e-9  # 1/32768 degree a unit, rounded


class Clock:
    def __init__(self, now_s: float = 1000.0):
        self.now_s = now_s

    def __call__(self) -> float:
        return self.now_s


@pytest.fixture()
def stage(tmp_path) -> Path:
    shutil.copytree(ROOT / "scenes", tmp_path / "scenes")
    p = tmp_path / "scenes/led_stage.yaml"
    p.write_text(p.read_text() + TRACKING)
    return p


def _rot_err_deg(a, b) -> float:
    c = (np.trace(a[:3, :3].T @ b[:3, :3]) - 1.0) / 2.0
    return math.degrees(math.acos(min(1.0, max(-1.0, c))))


def _send(scene, shot_id: str, url: str, rate: float = 480.0) -> threading.Thread:
    frames = shot_packets(scene, shot_id, url.split(":")[0])
    t = threading.Thread(target=send_packets, args=(frames, url, rate), daemon=True)
    t.start()
    return t


def _session(stage, clock, proto="freed", **kw) -> Session:
    s = Session(stage, clock=clock, track=f"{proto}://127.0.0.1:0", **kw)
    # FreeD carries no timecode: the take's is the time of day recording began (here midnight)
    s.tracker.wallclock = lambda: time.mktime((2026, 12, 6, 0, 0, 0, 0, 1, -1))
    return s


def _sent(session, scene, shot_id, clock):
    """Send the shot, wait until every sample arrived, poll once (as a window frame does)."""
    n = scene.shot(shot_id).length_frames
    t = _send(scene, shot_id, session.tracker.url)
    assert session.tracker.rx.wait_for(n, GUARD_S), session.tracker.rx.stats
    t.join(GUARD_S)
    clock.now_s += 0.1
    session.tracker.poll()
    return n


def test_the_live_camera_follows_the_tracker_and_the_wall_lags(stage):
    clock = Clock()
    s = _session(stage, clock)
    try:
        scene = load_scene(stage)
        assert s.tracker.hud_line().startswith("TRACK freed://127.0.0.1:")
        n = _sent(s, scene, "3B", clock)
        st = s.state()
        want = evaluate(scene, scene.shot("3B"), n - 1)
        assert np.linalg.norm(st.position_m - want.position_m) <= FREED_POS_M
        assert _rot_err_deg(st.world_from_camera, want.world_from_camera) <= FREED_ANG_DEG
        assert st.focal_length_mm == pytest.approx(want.focal_length_mm, abs=0.005)
        assert st.focus_m == pytest.approx(want.focus_m, abs=2e-5)
        # The inner frustum shows the pose `latency_frames` samples earlier, as the stage does.
        lag = scene.stage.inner_frustum.latency_frames
        assert lag > 0
        old = evaluate(scene, scene.shot("3B"), n - 1 - lag)
        w = st.tracked_world_from_camera
        assert np.linalg.norm(w[:3, 3] - old.position_m) <= FREED_POS_M
        assert _rot_err_deg(w, old.world_from_camera) <= FREED_ANG_DEG
        # the tracker's camera is not unkeyed work: quitting does not ask
        assert not s.unkeyed_change()
        s.request_quit()
        assert s.should_close
        assert "0 bad dropped" in s.tracker.hud_line()
    finally:
        s.tracker.stop()


def test_r_records_a_take_into_shot_t1_matching_the_sent_poses(stage):
    clock = Clock()
    s = _session(stage, clock)
    try:
        scene = load_scene(stage)
        s.do("track_record")
        assert s.tracker.recording and "REC" in s.tracker.hud_line()
        n = _sent(s, scene, "3B", clock)
        s.do("track_record")
        assert not s.tracker.recording
        assert "T1" in [sh.id for sh in s.doc.scene.shots], s.status
        assert s.status.startswith("take T1 added") and "timecode 00:00:00:00" in s.status
        t1 = s.doc.scene.shot("T1")
        assert t1.length_frames == n
        sent = scene.shot("3B")
        for f in range(n):
            got, want = evaluate(s.doc.scene, t1, f), evaluate(scene, sent, f)
            assert np.linalg.norm(got.position_m - want.position_m) <= POSITION_TOL_M + 1e-6
            assert (
                _rot_err_deg(got.world_from_camera, want.world_from_camera) <= ANGLE_TOL_DEG + 1e-4
            )
            assert abs(got.focal_length_mm - want.focal_length_mm) <= FOCAL_TOL_MM
        # the take's record: its rate and timecode; undo removes a take in one step
        s.do("save")
        saved = stage.read_text()
        assert "id: T1" in saved and "TRACKED take from freed://127.0.0.1:" in saved
        assert "timecode:" in saved and "frame_rate: 24" in saved
        # a second take is T2
        s.do("track_record")
        _sent(s, scene, "3B", clock)
        s.do("track_record")
        assert [sh.id for sh in s.doc.scene.shots][-2:] == ["T1", "T2"]
        s.do("undo")
        assert "T2" not in [sh.id for sh in s.doc.scene.shots]
    finally:
        s.tracker.stop()


def test_discard_leaves_the_document_unchanged(stage):
    clock = Clock()
    s = _session(stage, clock)
    try:
        scene = load_scene(stage)
        before = (s.doc.revision, [sh.id for sh in s.doc.scene.shots], s.doc.dirty)
        s.do("track_record")
        _sent(s, scene, "3B", clock)
        s.do("track_discard")
        assert not s.tracker.recording and s.status.startswith("take discarded")
        assert (s.doc.revision, [sh.id for sh in s.doc.scene.shots], s.doc.dirty) == before
        # R with nothing recorded adds nothing and says so
        s.do("track_record")
        s.do("track_record")
        assert s.status_error and "no samples" in s.status
        assert [sh.id for sh in s.doc.scene.shots] == before[1]
    finally:
        s.tracker.stop()


def test_a_silent_source_shows_in_the_hud(stage):
    clock = Clock()
    s = _session(stage, clock)
    try:
        s.tracker.poll()
        assert "no packets" not in s.tracker.hud_line()
        clock.now_s += 2.3
        s.tracker.poll()
        assert "no packets yet (2.3 s)" in s.tracker.hud_line()
        scene = load_scene(stage)
        _sent(s, scene, "3B", clock)
        assert "no packets" not in s.tracker.hud_line()
        clock.now_s += 2.3
        s.tracker.poll()
        assert "no packets for 2.3 s" in s.tracker.hud_line()
        assert s.tracker.silent_s() == pytest.approx(2.3)
    finally:
        s.tracker.stop()


def test_opentrackio_take_keeps_its_timecode(stage):
    clock = Clock()
    s = _session(stage, clock, proto="opentrackio")
    try:
        scene = load_scene(stage)
        s.do("track_record")
        n = _sent(s, scene, "3A", clock)
        s.do("track_record")
        t1 = s.doc.scene.shot("T1")
        assert t1.length_frames == n and "timecode 00:00:00:00" in s.status
        for f in (0, n // 2, n - 1):
            got, want = evaluate(s.doc.scene, t1, f), evaluate(scene, scene.shot("3A"), f)
            assert np.linalg.norm(got.position_m - want.position_m) <= POSITION_TOL_M + 1e-6
    finally:
        s.tracker.stop()


def test_r_keys_and_no_tracker():
    assert next_take_id(["1A", "T1", "T3"]) == "T2"
    seen = set()
    for b in ctl.TRACK_BINDINGS:
        k = (b.key, frozenset(b.mods))
        assert k not in seen and b.help
        seen.add(k)
    assert ctl.lookup("R", set(), ctl.TRACK_BINDINGS).action == "track_record"
    assert ctl.lookup("R", {"shift"}, ctl.TRACK_BINDINGS).action == "track_discard"
    assert ctl.lookup("R", set()).action == "dolly_in"  # without a tracker R still dollies


def test_without_a_tracker_r_says_how(stage):
    s = Session(stage, clock=Clock())
    s.do("track_record")
    assert s.status_error and "--track" in s.status


def test_a_bad_track_url_is_one_line(stage):
    with pytest.raises(PrevisError, match="tracking source"):
        Session(stage, clock=Clock(), track="udp://nowhere")


# ---------------------------------------------------------------- the window (Xvfb)
def _near(img: np.ndarray, rgb, tol: int = 40) -> int:
    return int(np.sum(np.all(np.abs(img.astype(int) - np.array(rgb)) <= tol, axis=-1)))


def test_window_with_track_shows_the_hud_line_and_r_records(stage, xvfb_display):  # noqa: F811
    """``ViewerApp(track=...)`` (what ``previs view --track URL`` opens): the HUD line over the
    picture is red while the source is silent and green once packets come; R and R again through
    the window's key handler add shot T1."""
    import glfw

    from previs.view.app import ViewerApp

    clock = Clock()
    app = ViewerApp(
        stage,
        size=(640, 360),
        panels=False,
        autosave_s=3600.0,
        clock=clock,
        track="freed://127.0.0.1:0",
    )
    try:
        s = app.session
        x, y, w, h = app.image_rect()
        clock.now_s += 3.0
        app.step(1 / 24)  # (an auto-sized ImGui window shows from its second frame)
        img = app.step(1 / 24, screenshot=True)
        assert "no packets yet (3.0 s)" in s.tracker.hud_line()
        foot = img[y + h - 64 : y + h, x : x + w]
        red_silent, green_silent = _near(foot, (255, 89, 77)), _near(foot, (115, 230, 115))
        assert red_silent > 20
        app.on_key(glfw.KEY_R, glfw.PRESS, 0)
        app.on_key(glfw.KEY_R, glfw.RELEASE, 0)
        assert s.tracker.recording
        scene = load_scene(stage)
        n = _sent(s, scene, "3B", clock)
        img = app.step(1 / 24, screenshot=True)
        foot = img[y + h - 64 : y + h, x : x + w]
        assert _near(foot, (115, 230, 115)) > green_silent + 20
        assert _near(foot, (255, 89, 77)) < red_silent
        app.on_key(glfw.KEY_R, glfw.PRESS, 0)
        app.on_key(glfw.KEY_R, glfw.RELEASE, 0)
        assert s.doc.scene.shot("T1").length_frames == n, s.status
    finally:
        app.close()
