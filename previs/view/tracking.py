"""Live tracking in the window: ``previs view SCENE --track freed://0.0.0.0:40000``.

A :class:`TrackFollower` belongs to the :class:`~previs.view.session.Session` (no glfw, no GL):
each frame :meth:`TrackFollower.poll` takes what the UDP receiver (its own thread) decoded since
the last poll, without waiting, maps the newest sample onto the stage through the scene's
``tracking:`` section (:mod:`previs.track.mapping`) and puts it on the session's live camera, the
camera the keys fly. The picture follows at once; the wall's inner frustum shows the pose of
``stage.inner_frustum.latency_frames`` samples earlier, as the stage would.

R starts recording (the samples stay in the receiver, only where the take starts is kept); R
again adds them as a new shot ``T1``, ``T2`` ... through :meth:`Session.edit` (undoable), with
the keys reduced as ``previs take import`` reduces them and the take's timecode (OpenTrackIO's
own; FreeD carries none, so the time of day when recording began). Shift+R discards a recording
in progress. The HUD line says the source, packets a second, bad packets dropped, and how long
the source has been silent. Every time here is the session's clock (injected by tests).
"""

from __future__ import annotations

import collections
import math
import time
from collections.abc import Callable
from fractions import Fraction

import numpy as np

from previs.core import optics, presets
from previs.core import transforms as tf
from previs.errors import PrevisError, printable
from previs.track.mapping import LensMap, StageMapping
from previs.track.udp import Receiver, received_take
from previs.view.controls import Rig

SILENT_S = 0.5  # no packet for this long: the HUD says the source is silent
RATE_WINDOW_S = 1.0  # packets a second over this much of the session's clock


def next_take_id(existing) -> str:
    """``T1``, ``T2`` ...: the first free one."""
    taken = set(existing)
    n = 1
    while f"T{n}" in taken:
        n += 1
    return f"T{n}"


def time_of_day_s(wall_s: float) -> float:
    """Seconds since local midnight of a wall-clock time (a FreeD take's timecode)."""
    t = time.localtime(wall_s)
    return t.tm_hour * 3600 + t.tm_min * 60 + t.tm_sec + (wall_s % 1.0)


class TrackFollower:
    """The session's live camera follows the tracker at ``url``; R records takes from it."""

    def __init__(
        self,
        session,
        url: str,
        *,
        lens_mm: float | None = None,
        source_rate: Fraction | None = None,
        wallclock: Callable[[], float] = time.time,
    ):
        self.session = session
        self.clock = session.clock
        self.wallclock = wallclock
        scene = session.scene
        self.rx = Receiver(url)  # binds now: a bad URL or a busy port is the user's one line
        self.endpoint = self.rx.endpoint
        self.mapping = StageMapping(scene.tracking, self.endpoint.protocol)
        self.lens_mm = lens_mm
        self.lens = LensMap(scene, lens_mm)
        self.source_rate = source_rate
        self._seen = 0  # samples taken from the receiver
        self._packets = 0
        self._bad = 0
        self.started_at = self.clock()
        self._last_packet_at: float | None = None
        self._counts: collections.deque = collections.deque()  # (clock, packets)
        self._history: collections.deque = collections.deque()  # recent (pose, focal)
        self.pose: np.ndarray | None = None  # the newest sample on the stage (4x4)
        self.focal_mm: float | None = None
        self.focus_m: float | None = None
        self.t_stop: float | None = None
        self.lens_note: str | None = None  # a focal length the scene's lens kit lacks
        self.recording_from: int | None = None  # the sample a take in progress starts at
        self._recording_wall_s = 0.0
        self.rx.start()

    @property
    def url(self) -> str:
        return self.rx.url

    @property
    def recording(self) -> bool:
        return self.recording_from is not None

    def stop(self) -> None:
        self.rx.stop()

    # ------------------------------------------------------------ each frame
    def latency_samples(self) -> int:
        scene = self.session.scene
        return int(scene.stage.inner_frustum.latency_frames) if scene.stage else 0

    def poll(self) -> int:
        """Take what arrived since the last poll (never waits); the live camera goes to the
        newest sample. Returns the number of new samples."""
        st = self.rx.stats
        n, packets, bad = st.samples, st.packets, st.bad_total
        new = self.rx.samples[self._seen : n]  # (the receiver only appends)
        self._seen = n
        now = self.clock()
        if packets != self._packets:
            self._last_packet_at = now
        self._packets, self._bad = packets, bad
        self._counts.append((now, packets))
        while len(self._counts) > 2 and now - self._counts[1][0] >= RATE_WINDOW_S:
            self._counts.popleft()
        keep = self.latency_samples() + 1
        for _, sample in new[-keep:]:
            self._take(sample)
        if self.pose is not None:
            self.session.rig = self._rig()
        return len(new)

    def _take(self, s) -> None:
        """One decoded sample onto the stage: pose, focal length, focus."""
        if self.endpoint.protocol == "freed":
            m = np.eye(4)
            m[:3, :3] = self.mapping.rotation(s.pan_deg, s.tilt_deg, s.roll_deg)
            m[:3, 3] = np.array([s.x_mm, s.y_mm, s.z_mm]) / 1000.0
            focal, focus, t_stop = self.lens.focal_mm(s.zoom), self.lens.focus_m(s.focus), None
        else:
            m = s.world_from_camera.copy()
            if s.entrance_pupil_offset_m:
                m[:3, 3] += m[:3, :3] @ np.array([0.0, s.entrance_pupil_offset_m, 0.0])
            focal = s.focal_length_mm
            if focal is None and s.raw_zoom is not None:
                focal = self.lens.focal_mm(s.raw_zoom)
            focus = s.focus_m
            if focus is None and s.raw_focus is not None:
                focus = self.lens.focus_m(s.raw_focus)
            t_stop = s.t_stop
        self.pose = self.mapping.to_stage(m)
        if focal is not None:
            self.focal_mm = self._kit_focal(float(focal))
        if focus is not None:
            self.focus_m = float(focus)
        if t_stop is not None:
            self.t_stop = float(t_stop)
        self._history.append((self.pose, self.focal_mm))
        while len(self._history) > self.latency_samples() + 1:
            self._history.popleft()

    def _kit_focal(self, focal: float) -> float | None:
        """The kit's lens at the tracker's focal length (none: the shot's lens stays, noted)."""
        try:
            lens = presets.get_lens(self.session.scene.camera.lens_kit, focal)
        except PrevisError:
            self.lens_note = f"tracker lens {focal:.1f} mm is not in the kit"
            return self.focal_mm
        self.lens_note = None
        return float(lens.focal_length_mm)

    def _rig(self) -> Rig:
        base = self.session.track_state()
        pan, tilt, roll = tf.pan_tilt_roll_of(self.pose)
        return Rig(
            np.array(self.pose[:3, 3], float),
            pan,
            tilt,
            roll,
            self.focal_mm if self.focal_mm is not None else float(base.focal_length_mm),
            self.focus_m if self.focus_m is not None else float(base.focus_m),
            self.t_stop if self.t_stop is not None else float(base.t_stop),
        )

    def wall_state(self, state):
        """``state`` with the inner frustum where the stage has it: the tracked pose
        ``latency_frames`` samples ago (the oldest kept, until that many have arrived)."""
        from dataclasses import replace

        if not self._history:
            return state
        pose, focal = self._history[0]
        yfov = math.radians(optics.vertical_fov_deg(state.mode, focal or state.focal_length_mm))
        return replace(state, tracked_world_from_camera=pose, tracked_yfov_rad=yfov)

    # ------------------------------------------------------------ the HUD
    def packets_per_s(self) -> float:
        if len(self._counts) < 2:
            return 0.0
        (t0, p0), (t1, p1) = self._counts[0], self._counts[-1]
        return (p1 - p0) / (t1 - t0) if t1 > t0 else 0.0

    def silent_s(self) -> float | None:
        """How long no packet has come (None while they come)."""
        since = self._last_packet_at if self._last_packet_at is not None else self.started_at
        quiet = self.clock() - since
        return quiet if quiet >= SILENT_S else None

    def hud_line(self) -> str:
        parts = [f"TRACK {self.url}", f"{self.packets_per_s():.0f} pkt/s"]
        parts.append(f"{self._bad} bad dropped")
        quiet = self.silent_s()
        if quiet is not None:
            parts.append(
                f"no packets for {quiet:.1f} s"
                if self._last_packet_at is not None
                else f"no packets yet ({quiet:.1f} s)"
            )
        if self.lens_note:
            parts.append(self.lens_note)
        if self.recording:
            parts.append(f"REC {self._seen - self.recording_from} samples")
        return "  ".join(parts)

    # ------------------------------------------------------------ takes
    def toggle_record(self) -> None:
        """R: start recording, or stop and add the take as the next ``T<n>`` shot."""
        if not self.recording:
            self.poll()
            self.recording_from = self._seen
            self._recording_wall_s = self.wallclock()
            self.session.say(f"recording a take from {self.url} (R stops, Shift+R discards)")
        else:
            self.stop_record()

    def discard(self) -> None:
        """Shift+R: drop the take being recorded; the scene stays as it was."""
        if not self.recording:
            self.session.say("no take is being recorded (Ctrl+Z removes an added one)")
            return
        self.poll()
        n = self._seen - self.recording_from
        self.recording_from = None
        self.session.say(f"take discarded ({n} samples)")

    def stop_record(self) -> str | None:
        """Stop recording and add the take as a new shot (one undoable edit); its id."""
        self.poll()
        start, self.recording_from = self.recording_from, None
        samples = self.rx.samples[start : self._seen]
        if not samples:
            raise PrevisError(f"no samples from {self.url} while recording: nothing added")
        s = self.session
        take = received_take(
            samples, s.doc.scene, self.endpoint, source_rate=self.source_rate, lens_mm=self.lens_mm
        )
        if take.timecode is None:  # FreeD: the time of day recording began, at the take's rate
            from previs.core.timecode import frames_to_timecode, seconds_to_frames

            tod = time_of_day_s(self._recording_wall_s)
            rate = take.frame_rate
            take.timecode = frames_to_timecode(
                seconds_to_frames(Fraction(round(tod * 1000), 1000), rate) % _day(rate), rate
            )
        from previs.track.takes import take_shot

        shot = take_shot(s.doc.scene, take)
        sid = next_take_id(sh.id for sh in s.doc.scene.shots)
        label = str(s.shot.scene_number)
        s.edit(
            f"take {sid} added: {shot.length_frames} frames at {float(take.frame_rate):g} fps, "
            f"timecode {take.timecode}, {shot.key_count} keys (Ctrl+Z removes it)",
            lambda: s.doc.add_keyed_shot(
                sid,
                camera=shot.camera,
                scene_label=label,
                length_frames=shot.length_frames,
                keys=shot.keys,
                description=f"TRACKED take from {printable(self.url, 120)}",
                take=shot.take,
            ),
        )
        return sid


def _day(rate) -> int:
    from previs.core.timecode import frames_per_day

    return frames_per_day(rate)
