"""The blocking session: what a director and a DP are doing in the window, without the window.

A :class:`Session` holds the scene document (every edit goes through
:class:`~previs.view.document.SceneDocument`, so undo, saving and autosave cover it), the shot and
frame on screen, playback and its clock, the camera being flown, the view mode, the selection,
the status line and the questions the window is asking (recovery, unsaved changes, shot ids).
No glfw, no GL and no ImGui here: the window (:mod:`previs.view.app`) maps input onto these
operations and draws what they leave, and the tests drive the same operations headless with an
injected clock.

Names of operations a key can trigger are actions (:meth:`Session.do`); the front end adds its
own (capturing a panel needs the renderer) with :meth:`Session.register_action`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from previs.errors import PrevisError
from previs.view import controls as ctl
from previs.view import editing
from previs.view.controls import Rig
from previs.view.document import SceneDocument
from previs.view.editing import ObjectRef

STATUS_S = 4.0  # a message stays over the picture this long (warnings: STATUS_ERROR_S)
STATUS_ERROR_S = 8.0
VIEWS = ("camera", "stage", "plan")
SELECTABLE = editing.KINDS  # kinds of scene object a selection can name
NUDGE_M = 0.05  # Ctrl+Up/Down raise or lower the selection this much
TURN_STEP_DEG = 15.0  # Ctrl+Left/Right turn it this much
SCALE_STEP = 1.1  # Ctrl+=/- scale a set piece by this factor
WALK_MPS = 1.3  # a walk drawn by clicking marks goes at an ordinary human walking speed


@dataclass
class Drag:
    """An object being dragged on the floor: where it started, the offset from the floor point
    grabbed to its origin (it stays under the cursor), and where it is now (shown as a preview;
    the document is edited once, when the drag ends)."""

    ref: ObjectRef
    start_m: np.ndarray
    grab_offset_m: np.ndarray
    position_m: np.ndarray
    moved: bool = False


def next_shot_id(existing: list[str], base: str) -> str:
    """A free shot id near ``base``: the next letter in its scene (1A -> 1B ...), else base-2."""
    taken = set(existing)
    head = base.rstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    if head and head != base:
        for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
            if head + c not in taken:
                return head + c
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


class Session:
    """One scene file being blocked: its document, the shot and frame, the live camera, playback,
    the view, the selection and the messages. ``clock`` returns seconds (injected by tests)."""

    # Lighting, meter and tape (issue 16 items 4-6): the subject is the character last selected
    # (it stays while a light is selected, so the light can be aimed at it and metered on it).
    subject: str | None = None
    meter_key: str | None = None  # None: the meter picks the brightest two lights
    meter_fill: str | None = None
    false_colour = False
    tape_points: tuple = ()  # floor points dropped with the tape key (the last two measure)
    fixture_choice: tuple[str, str | None] = ("skypanel-s60c", None)  # the panel's picker

    def __init__(
        self,
        scene_path,
        *,
        shot: str | None = None,
        recover: bool | None = None,
        autosave_s: float = 60.0,
        panels: bool = True,
        clock: Callable[[], float] = time.perf_counter,
        track: str | None = None,
    ):
        self.path = Path(scene_path)
        self.clock = clock
        self.autosave_s = float(autosave_s)
        self.status = ""  # the last message, shown in the HUD
        self.status_error = False
        self._status_at = -1e9
        self.modal: str | None = None  # "recover", "quit", "rename", "new_shot"
        self.modal_text = ""
        self.should_close = False
        # The document; a recovery file left by a crash is restored, discarded or offered.
        self.recovery_offer: Path | None = None
        rec = SceneDocument.recovery_for(self.path)
        if rec is not None and recover:
            self.doc = SceneDocument.open_recovery(self.path)
            self.say(f"restored unsaved work from {rec.name}")
        else:
            self.doc = SceneDocument.open(self.path)
            if rec is not None and recover is False:
                self.doc.discard_recovery()
            elif rec is not None:
                self.recovery_offer = rec
                self.modal = "recover"
        scene = self.doc.scene
        if not scene.shots:
            raise PrevisError(f"{self.path}: the scene has no shots to view")
        self.shot_id = scene.shot(shot).id if shot else scene.shots[0].id
        self.frame = 0
        self.view = "camera"
        self.panels = panels
        self.show_help = False
        self.dof = False
        self.playing = False
        self._play_pos = 0.0
        self.last_tick_s: float | None = None  # the clock at the last frame's start
        self.rig: Rig | None = None  # the live camera while it differs from the shot's track
        self.free: Rig | None = None  # the stage overview's own camera
        self.orbit = False
        self.orbit_target: np.ndarray | None = None
        self.selection: ObjectRef | None = None
        self.drag: Drag | None = None
        self._preview = None  # the scene with the dragged object where it is now
        self.preview_rev = 0  # counts preview changes (the picture and plan follow them)
        self.cursor_m: np.ndarray | None = (
            None  # the floor point under the cursor (the window sets it)
        )
        self._actions: dict[str, Callable[[], object]] = {}
        self._autosaved_rev = self.doc.revision
        self._autosaved_live = None
        self._autosave_at = clock()
        self.tracker = None  # --track: a TrackFollower drives the live camera
        self._restore_live_camera()  # --recover: the unkeyed camera too
        if track:
            from previs.view.tracking import TrackFollower

            self.tracker = TrackFollower(self, track)

    # ------------------------------------------------------------ what is on screen
    @property
    def scene(self):
        """The scene on screen: the document's, or its preview while an object is dragged."""
        return self._preview if self._preview is not None else self.doc.scene

    @property
    def dragging_preview(self) -> bool:
        """True while :attr:`scene` is a drag's preview (the document with one object moved)."""
        return self._preview is not None

    @property
    def scene_key(self) -> tuple[int, int]:
        """Changes whenever the scene on screen does (an edit, an undo, a drag's step)."""
        return self.doc.revision, self.preview_rev

    @property
    def shot(self):
        return self.scene.shot(self.shot_id)

    def rate(self) -> float:
        """The scene's frame rate (frames per second)."""
        return float(self.scene.frame_rate)

    def lens_kit(self):
        from previs.core.presets import get_lens_kit

        return get_lens_kit(self.scene.camera.lens_kit)

    def picture_aspect(self) -> float:
        """The camera picture's width over height (the sensor mode, desqueezed)."""
        from previs.core import optics, presets

        cam = self.scene.camera
        mode = presets.get_mode(cam.body, cam.mode)
        return optics.desqueezed_aspect(mode, presets.get_lens_kit(cam.lens_kit).squeeze)

    def track_state(self):
        """The shot's FrameState at the current frame, as the scene file has it."""
        from previs.core.frame import evaluate

        return evaluate(self.scene, self.shot, self.frame)

    def state(self):
        """What the camera sees now: the shot's state with the live camera over it."""
        from previs.core import optics, presets

        base = self.track_state()
        if self.rig is None:
            return base
        r = self.rig
        lens = presets.get_lens(self.scene.camera.lens_kit, r.focal_length_mm)
        m = r.world_from_camera
        yfov = math.radians(optics.vertical_fov_deg(base.mode, r.focal_length_mm))
        live = replace(
            base,
            world_from_camera=m,
            lens=lens,
            focal_length_mm=float(lens.focal_length_mm),
            focus_m=float(r.focus_m),
            t_stop=float(r.t_stop),
            tracked_world_from_camera=m,
            tracked_yfov_rad=yfov,
        )
        return self.tracker.wall_state(live) if self.tracker is not None else live

    def overview_state(self, shot_state):
        """The shot's state seen from the free camera (the wall keeps the shot's inner frustum)."""
        f = self._free()
        return replace(
            shot_state,
            world_from_camera=f.world_from_camera,
            focal_length_mm=f.focal_length_mm,
            focus_m=f.focus_m,
            near_m=0.05,
            far_m=2000.0,
        )

    def view_state(self, shot_state):
        """The state the picture shows in this view: the overview's camera in the stage view."""
        return self.overview_state(shot_state) if self.view == "stage" else shot_state

    # ------------------------------------------------------------ the cameras being flown
    def live_rig(self) -> Rig:
        """The live camera, taken from the track the first time it is touched."""
        if self.rig is None:
            self.rig = Rig.from_state(self.track_state())
        return self.rig

    def moving_rig(self) -> Rig:
        """The rig the movement keys drive: the overview's free camera in that view."""
        return self._free() if self.view == "stage" else self.live_rig()

    def _free(self) -> Rig:
        if self.free is None:
            self.free = self._default_free()
        return self.free

    def _default_free(self) -> Rig:
        """Behind and above the shot camera, looking over it at what it sees."""
        st = self.state()
        r = Rig.from_state(st)
        target = st.position_m + r.forward * 4.0
        back = r.forward_flat
        pos = st.position_m - back * 6.0 + np.array([0.0, 3.5, 0.0])
        free = Rig(pos, focal_length_mm=18.0, focus_m=10.0, t_stop=st.t_stop)
        free.aim_at(target)
        return free

    def orbiting(self) -> bool:
        """Whether the movement keys orbit a subject (orbit mode, in the camera view)."""
        return self.orbit and self.view == "camera"

    def orbit_point(self) -> np.ndarray:
        """The point the camera orbits: the subject nearest the lens axis when orbit began."""
        if self.orbit_target is None:
            self.orbit_target = self.nearest_subject()[1]
        return self.orbit_target

    def nearest_subject(self):
        """(name, point) of the subject (stand-in's eyes, a set piece's centre) closest to the
        lens axis, or (None, None)."""
        from previs.core.frame import subjects

        st = self.state()
        fwd = -st.world_from_camera[:3, 2]
        best, best_cos = (None, None), 0.5
        for name, p in subjects(self.scene).items():
            v = p - st.position_m
            d = np.linalg.norm(v)
            if d < 0.2:
                continue
            c = float(v @ fwd / d)
            if c > best_cos:
                best, best_cos = (name, p), c
        return best

    def set_focal(self, focal_mm: float) -> None:
        """The kit's lens nearest ``focal_mm`` on the live camera (focus and stop kept in its range)."""
        from previs.core.presets import get_lens

        rig = self.live_rig()
        lens = get_lens(self.scene.camera.lens_kit, focal_mm)
        rig.focal_length_mm = lens.focal_length_mm
        rig.focus_m = max(rig.focus_m, lens.close_focus_m)
        rig.t_stop = min(lens.t_stop_min, max(lens.t_stop_max, rig.t_stop))
        self.say(f"{lens.kit_name} {lens.focal_length_mm:g} mm")

    def zoom_by(self, factor: float) -> None:
        """Zoom the live camera's lens by ``factor`` within its range (a prime says it cannot)."""
        rig, kit = self.live_rig(), self.lens_kit()
        new = ctl.zoom_mm(kit, rig.focal_length_mm, factor)
        if new == rig.focal_length_mm and ctl.zoom_range_mm(kit, new) is None:
            self.say("a prime does not zoom: [ and ] change lenses")
        else:
            rig.focal_length_mm = new

    def set_t_stop(self, t_stop: float) -> None:
        self.live_rig().t_stop = float(t_stop)

    def step_stop(self, n: int) -> None:
        """Open up (n < 0) or stop down (n > 0) by ``n`` full stops, within the lens's range."""
        st = self.state()
        rig = self.live_rig()
        rig.t_stop = ctl.step_t_stop(rig.t_stop, n, st.lens.t_stop_max, st.lens.t_stop_min)
        self.say(f"T{rig.t_stop:g}")

    def set_focus(self, focus_m: float) -> None:
        """Focus the live camera at ``focus_m`` (never nearer than the lens's close focus)."""
        self.live_rig().focus_m = max(self.state().lens.close_focus_m, float(focus_m))

    def rack_focus_by(self, factor: float) -> None:
        rig = self.live_rig()
        rig.focus_m = max(self.state().lens.close_focus_m, min(1000.0, rig.focus_m * factor))

    def pull_focus(self, distance_m: float) -> float | None:
        """Focus on a surface ``distance_m`` away (what the picture shows under the cursor);
        None, and says so, when there is nothing there (infinite depth)."""
        if not math.isfinite(distance_m):
            self.say("nothing under the cursor to focus on")
            return None
        st = self.state()
        rig = self.live_rig()
        rig.focus_m = round(max(distance_m, st.lens.close_focus_m), 3)
        self.say(f"focus pulled to {rig.focus_m:.2f} m")
        return rig.focus_m

    def unkeyed_change(self) -> bool:
        """Whether the live camera differs from the shot's track at this frame: work that only a
        key (K) puts in the document."""
        if self.tracker is not None and self.tracker.pose is not None:
            return False  # the tracker's camera: R records it
        try:
            return self.rig is not None and not self.rig.same_as(Rig.from_state(self.track_state()))
        except PrevisError:  # the shot itself is gone (deleted, undone)
            return False

    def drop_live(self) -> bool:
        """Back to the track; says so when that loses an unkeyed change (Ctrl+Z cannot bring
        back what was never keyed). Returns whether it did."""
        lost = self.unkeyed_change()
        if lost:
            self.say(f"unkeyed camera change dropped at frame {self.frame} (K keys it)", error=True)
        self.rig = None
        return lost

    # ------------------------------------------------------------ shots, frames and playback
    def select_shot(self, shot_id: str) -> None:
        if shot_id != self.shot_id:
            self.drop_live()
        self.shot_id = shot_id
        self.rig = None
        self.playing = False
        self.frame = 0
        self._play_pos = 0.0
        self.orbit_target = None

    def goto(self, frame: int) -> None:
        """Frame ``frame`` of the shot (clamped); leaving the frame drops the live camera."""
        n = self.shot.length_frames
        frame = max(0, min(n - 1, int(frame)))
        if frame != self.frame:
            self.drop_live()
        self.frame = frame
        self._play_pos = float(frame)

    def key_frames(self) -> list[int]:
        """Frames worth jumping to: first, last, keys, starts and ends of moves, walks and cues."""
        return self.doc.key_frames(self.shot_id)

    def explicit_key_frames(self) -> list[int]:
        """The shot's camera keys (empty when the shot has none or is gone)."""
        try:
            return self.doc.explicit_key_frames(self.shot_id)
        except PrevisError:
            return []

    def play(self, on: bool = True) -> None:
        """Start (from this frame, on the shot's track) or stop playback."""
        self.playing = on
        if on:
            self.drop_live()
            self._play_pos = float(self.frame)

    def start_frame(self, dt: float | None = None) -> float:
        """A new frame of the window begins: its time step, ``dt`` if given (scripts), else the
        clock's time since the last one."""
        t0 = self.clock()
        if dt is None:
            dt = 0.0 if self.last_tick_s is None else t0 - self.last_tick_s
        self.last_tick_s = t0
        return dt

    def advance_playback(self, dt: float) -> None:
        """The shot moves on by the time that passed, at its rate, whatever the frames cost (a
        slow machine shows fewer of them, at a lower width, never a slower shot); it loops."""
        if not self.playing:
            return
        n = max(self.shot.length_frames, 1)
        # Rounded so that steps of exactly one frame's time never fall a hair short of a frame.
        self._play_pos = round(self._play_pos + dt * self.rate(), 9) % n
        self.frame = int(self._play_pos)

    def seconds_to_next_frame(self) -> float:
        """While playing: how long until the shot reaches its next frame (from the last frame)."""
        if not self.playing:
            return math.inf
        due_s = (math.floor(self._play_pos) + 1 - self._play_pos) / self.rate()
        return due_s - (self.clock() - (self.last_tick_s or 0.0))

    # ------------------------------------------------------------ edits (undo covers them)
    def edit(self, label: str, change: Callable[[], object]) -> None:
        """Run ``change`` (one document edit, e.g. ``lambda: doc.delete_shot(id)``), then follow
        it: the shot and frame still exist, the selection too, and the status says ``label``.
        A refused edit raises PrevisError and changes nothing."""
        change()
        self._edited(label)

    def _edited(self, label: str, error: bool = False) -> None:
        ids = [s.id for s in self.scene.shots]
        if self.shot_id not in ids:
            self.select_shot(ids[0])
        self.frame = min(self.frame, self.shot.length_frames - 1)
        if self.selection is not None and self.selected() is None:  # undone, deleted
            self.selection = None
        self.say(label, error)

    def set_key(self) -> None:
        """Key the live camera at this frame (it becomes the track)."""
        rig = self.live_rig()
        self.doc.set_camera_key(self.shot_id, self.frame, rig.key_values())
        self.rig = None
        self._edited(f"key set: {self.shot_id} frame {self.frame}")

    def delete_key(self) -> None:
        if self.frame not in self.doc.explicit_key_frames(self.shot_id):
            self.say(f"no key at frame {self.frame}")
            return
        self.doc.delete_camera_key(self.shot_id, self.frame)
        self.rig = None
        self._edited(f"key deleted: {self.shot_id} frame {self.frame}")

    def new_shot(self, new_id: str) -> None:
        """A new shot ``new_id`` after this one's scene, static at what the camera sees now."""
        rig = Rig.from_state(self.state())
        shot = self.shot
        self.doc.add_shot(
            new_id,
            camera=rig.key_values(),
            scene_label=str(shot.scene_number),
            length_frames=int(shot.length_frames),
            description="",
        )
        self.rig = None  # it is the new shot's camera now
        self.select_shot(new_id)
        self._edited(f"new shot {new_id}")

    def duplicate_shot(self) -> str:
        new_id = next_shot_id([s.id for s in self.scene.shots], self.shot_id)
        self.doc.duplicate_shot(self.shot_id, new_id)
        self.select_shot(new_id)
        self._edited(f"duplicated as {new_id}")
        return new_id

    def rename_shot(self, new_id: str) -> None:
        old = self.shot_id
        self.doc.rename_shot(old, new_id)
        self.shot_id = new_id
        self._edited(f"renamed {old} to {new_id}")

    def delete_shot(self) -> None:
        """Delete the shot on screen (the last one stays: a scene needs a shot)."""
        if len(self.scene.shots) > 1:
            sid = self.shot_id
            self.edit(f"deleted {sid}", lambda: self.doc.delete_shot(sid))

    def set_shot_fields(self, label: str, **fields) -> None:
        """Shot fields (``description``, ``length_frames``) of the shot on screen."""
        sid = self.shot_id
        self.edit(label, lambda: self.doc.set_shot_fields(sid, **fields))

    def undo(self) -> None:
        self.cancel_drag()
        lost = self.drop_live()
        label = self.doc.undo()
        self._edited(
            (f"undid {label}" if label else "nothing to undo")
            + ("; unkeyed camera change dropped" if lost else ""),
            error=lost,
        )

    def redo(self) -> None:
        self.cancel_drag()
        lost = self.drop_live()
        label = self.doc.redo()
        self._edited(
            (f"redid {label}" if label else "nothing to redo")
            + ("; unkeyed camera change dropped" if lost else ""),
            error=lost,
        )

    def save(self) -> Path:
        path = self.doc.save()
        self.say(f"saved {path}")
        return path

    # ------------------------------------------------------------ selection
    def select(self, ref: ObjectRef | None) -> None:
        """Select a scene object (None: nothing). An unknown object raises PrevisError."""
        if ref is not None and self._find(ref) is None:
            names = (
                editing.names(self.scene, self.shot_id, ref.kind)
                if ref.kind in SELECTABLE
                else list(SELECTABLE)
            )
            raise PrevisError(
                f"no {ref.kind.replace('_', ' ')} '{ref.name}' in the scene "
                f"(there are: {', '.join(names) or 'none'})"
            )
        self.selection = ref
        if ref is not None and ref.kind == "character":
            self.subject = ref.name

    def selected(self):
        """The selected scene object (a SetPiece, a character's SetPiece, a Light, a FloorMark),
        or None."""
        return None if self.selection is None else self._find(self.selection)

    def _find(self, ref: ObjectRef):
        if ref.kind == "set_piece":  # (a character is a set piece too, of kind standin)
            return next((o for o in self.scene.set_pieces if o.name == ref.name), None)
        return editing.find(self.scene, self.shot_id, ref)

    # ------------------------------------------------------------ blocking: move, turn, add
    def object_position(self, ref: ObjectRef) -> np.ndarray:
        obj = self._find(ref)
        if obj is None:
            raise PrevisError(f"no {ref.kind.replace('_', ' ')} '{ref.name}'")
        return editing.position_m(obj)

    def begin_drag(self, ref: ObjectRef, grab_m) -> None:
        """Start dragging ``ref`` (selecting it), grabbed at the floor point ``grab_m`` (on the
        plane y = its base, see :meth:`drag_plane_y`)."""
        if ref.kind == "light" and self._find(ref).type == "directional":
            self.select(ref)
            return  # the sun has no position to drag
        self.select(ref)
        pos = self.object_position(ref)
        off = pos - np.asarray(grab_m, float)
        off[1] = 0.0
        self.drag = Drag(ref, pos, off, pos.copy())

    def drag_plane_y(self, ref: ObjectRef | None = None) -> float:
        """The height of the plane a drag moves on: the object's base (its origin's y)."""
        ref = ref or (self.drag.ref if self.drag else self.selection)
        return (
            float(self.drag.start_m[1])
            if self.drag and self.drag.ref == ref
            else float(self.object_position(ref)[1])
        )

    def drag_to(self, floor_m, snap: bool = False) -> None:
        """The grabbed point follows the floor point ``floor_m`` (Ctrl: the object's origin on
        the 5 cm grid); the picture and plan show it there at once, the file when it ends."""
        d = self.drag
        if d is None:
            return
        p = np.asarray(floor_m, float) + d.grab_offset_m
        p[1] = d.start_m[1]
        if snap:
            p = editing.snap_xz(p)
        d.position_m, d.moved = p, d.moved or not np.allclose(p, d.start_m, atol=1e-9)
        self._preview = editing.moved_scene(self.doc.scene, self.shot_id, d.ref, p)
        self.preview_rev += 1

    def end_drag(self) -> None:
        """Drop the dragged object: one undoable edit (nothing if it did not move)."""
        d, self.drag = self.drag, None
        if self._preview is not None:
            self._preview = None
            self.preview_rev += 1
        if d is not None and d.moved:
            try:
                self.move_object(d.ref, d.position_m)
            except PrevisError as exc:  # refused (a shot's move needs it where it was): back
                self.say(str(exc), error=True)

    def cancel_drag(self) -> None:
        self.drag = None
        if self._preview is not None:
            self._preview = None
            self.preview_rev += 1

    def move_object(self, ref: ObjectRef, position_m) -> None:
        p = [round(float(v), 7) for v in position_m]
        where = ", ".join(f"{v:.2f}" for v in p)
        self.edit(
            f"moved {ref.name} to [{where}] m",
            lambda: self.doc.move_object(ref.kind, ref.name, p, shot_id=self.shot_id),
        )

    def _need_selection(self, kinds=SELECTABLE):
        ref = self.selection
        if ref is None or self.selected() is None:
            raise PrevisError("nothing selected: click a character, set piece, light or mark")
        if ref.kind not in kinds:
            raise PrevisError(f"a {ref.kind.replace('_', ' ')} cannot do that")
        return ref

    def raise_selected(self, dy_m: float) -> None:
        """Raise (or lower, ``dy_m`` < 0) the selection."""
        ref = self._need_selection(("set_piece", "character", "light"))
        p = self.object_position(ref) + np.array([0.0, dy_m, 0.0])
        self.move_object(ref, p)

    def turn_selected(self, d_deg: float) -> None:
        """Turn the selected piece or character by ``d_deg`` (+ towards +X), to a multiple of
        ``d_deg`` (so 15-degree steps land on the 15-degree grid)."""
        ref = self._need_selection(("set_piece", "character"))
        yaw = editing.snap(editing.yaw_deg(self._find(ref)) + d_deg, abs(d_deg))
        self.edit(f"turned {ref.name} to {yaw:g} deg", lambda: self.doc.rotate_piece(ref.name, yaw))

    def scale_selected(self, factor: float) -> None:
        ref = self._need_selection(("set_piece",))
        self.edit(
            f"scaled {ref.name} by {factor:g}", lambda: self.doc.scale_piece(ref.name, factor)
        )

    def duplicate_selected(self) -> None:
        ref = self._need_selection(("set_piece", "character", "light"))
        new = []
        self.edit(f"duplicated {ref.name}", lambda: new.append(self.doc.duplicate_piece(ref.name)))
        self.select(ObjectRef(ref.kind, new[0]))

    def delete_selected(self) -> None:
        ref = self._need_selection(("set_piece", "character", "light"))
        self.edit(f"deleted {ref.name}", lambda: self.doc.delete_piece(ref.name))
        self.selection = None

    def cursor_floor_m(self) -> np.ndarray:
        """Where an added object goes: the floor under the cursor, else 3 m ahead of the camera."""
        if self.cursor_m is not None:
            return np.asarray(self.cursor_m, float)
        st = self.state()
        fwd = -st.world_from_camera[:3, 2]
        flat = np.array([fwd[0], 0.0, fwd[2]])
        n = np.linalg.norm(flat)
        p = st.position_m + (flat / n * 3.0 if n > 1e-6 else 0.0)
        return np.array([p[0], 0.0, p[2]])

    def add_object(self, kind: str, floor_m) -> ObjectRef:
        """Add a ``box``, ``cylinder``, ``plane``, ``character`` or ``light`` (a spot 3 m up,
        aimed at the point) at the floor point ``floor_m``, and select it."""
        p = np.asarray(floor_m, float)
        new = []
        if kind == "light":
            self.edit(
                "added a spot",
                lambda: new.append(
                    self.doc.add_light(p + np.array([0.0, 3.0, 0.0]), p + np.array([0.0, 1.0, 0.0]))
                ),
            )
            ref = ObjectRef("light", new[0])
        else:
            self.edit(f"added a {kind}", lambda: new.append(self.doc.add_piece(kind, p)))
            ref = ObjectRef("character" if kind == "character" else "set_piece", new[0])
        self.selection = ref
        self.say(f"added {ref.name}")
        return ref

    def add_mesh(self, path: str, floor_m=None) -> ObjectRef:
        """A mesh file (``path`` relative to the scene file's folder) as a set piece at the
        cursor's floor point; selected. A file the loader refuses changes nothing."""
        p = np.asarray(self.cursor_floor_m() if floor_m is None else floor_m, float)
        new: list[str] = []
        self.edit(
            f"added {path}", lambda: new.append(self.doc.add_piece("mesh", p, path=str(path)))
        )
        self.selection = ObjectRef("set_piece", new[0])
        return self.selection

    def set_selected_fields(self, **fields) -> None:
        """Exact values for the selection (the properties panel), one undo step each field:
        ``position_m`` [x, y, z] (anything), ``yaw_deg`` (a piece or character), ``scale``,
        ``color``, ``height_m`` (pieces, characters), ``target_m`` and the light fields."""
        ref = self._need_selection(("set_piece", "character", "light"))
        for k, v in fields.items():
            if k == "position_m":
                self.move_object(ref, v)
            elif ref.kind == "light" and k == "target_m":
                self.edit(f"aimed {ref.name}", lambda v=v: self.doc.aim_light(ref.name, v))
            elif ref.kind == "light":
                self.edit(
                    f"{ref.name} {k} {v}",
                    lambda k=k, v=v: self.doc.set_light_fields(ref.name, **{k: v}),
                )
            elif k == "yaw_deg":
                self.edit(
                    f"turned {ref.name} to {v:g} deg",
                    lambda v=v: self.doc.rotate_piece(ref.name, v),
                )
            else:
                self.edit(
                    f"{ref.name} {k} {v}",
                    lambda k=k, v=v: self.doc.set_piece_fields(ref.name, **{k: v}),
                )

    # ------------------------------------------------------------ marks and walks by clicking
    marking: str | None = None  # the character whose marks clicks drop (None: not marking)
    marks_dropped: tuple[str, ...] = ()

    def toggle_marks(self) -> None:
        """Start dropping marks for the selected character (each floor click the next number),
        or, while dropping, end it: a walk through the dropped marks (see :meth:`end_marks`)."""
        if self.marking is not None:
            self.end_marks()
            return
        ref = self._need_selection(("character",))
        self.marking, self.marks_dropped = ref.name, ()
        self.say(f"marks for {ref.name}: click the floor or the plan; Enter ends the walk")

    def drop_mark(self, floor_m) -> str:
        """Drop the marking character's next numbered mark at the floor point ``floor_m``."""
        who = self.marking
        if who is None:
            raise PrevisError("not dropping marks: select a character and press Shift+G")
        taken = {m.name for m in self.shot.marks if m.character == who}
        n = 1
        while str(n) in taken:
            n += 1
        p = np.asarray(floor_m, float).reshape(-1)
        xz = (round(float(p[0]), 4), round(float(p[-1]), 4))
        self.edit(
            f"mark {n} for {who} at [{xz[0]:.2f}, {xz[1]:.2f}] m",
            lambda: self.doc.add_mark(self.shot_id, who, str(n), xz),
        )
        self.marks_dropped = (*self.marks_dropped, str(n))
        return str(n)

    def end_marks(self) -> None:
        """Stop dropping marks; two or more dropped: a walk through them from this frame at a
        human walking speed (WALK_MPS), one undo step."""
        who, dropped = self.marking, self.marks_dropped
        self.marking, self.marks_dropped = None, ()
        if who is None:
            return
        if len(dropped) < 2:
            self.say(f"marks for {who} done (a walk needs two marks)")
            return
        self.edit(
            f"{who} walks {' > '.join(dropped)} at {WALK_MPS:g} m/s from frame {self.frame}",
            lambda: self.doc.add_walk(self.shot_id, who, dropped, self.frame, WALK_MPS),
        )

    # ------------------------------------------------------------ lights, meter, tape
    def add_fixture(self, fixture: str | None = None, setting=None, floor_m=None) -> ObjectRef:
        """A library fixture (default: the panel's choice) 2.5 m over ``floor_m`` (default: the
        cursor's floor point), aimed at the subject's face if there is one, else at the floor
        point; selected."""
        fid, fset = (fixture, setting) if fixture else self.fixture_choice
        p = np.asarray(self.cursor_floor_m() if floor_m is None else floor_m, float)
        target = self.subject_face_m() if self.subject else p
        new: list[str] = []
        self.edit(
            f"added a {fid}",
            lambda: new.append(
                self.doc.add_fixture(fid, p + np.array([0.0, 2.5, 0.0]), target, setting=fset)
            ),
        )
        self.selection = ObjectRef("light", new[0])
        return self.selection

    def _selected_light(self):
        ref = self._need_selection(("light",))
        return ref, self._find(ref)

    def subject_face_m(self) -> np.ndarray:
        """The subject's face (the meter's point) at this frame."""
        from previs.core import meter

        if self.subject is None:
            raise PrevisError("no subject: click a character first")
        piece = next((p for p in self.scene.set_pieces if p.name == self.subject), None)
        if piece is None:
            raise PrevisError(f"the subject '{self.subject}' is gone")
        point, _ = meter.face_of(piece, (self.track_state().poses or {}).get(self.subject))
        return point

    def aim_selected(self, target_m=None) -> None:
        """Aim the selected light at ``target_m`` (default: the subject's face)."""
        ref, _ = self._selected_light()
        t = self.subject_face_m() if target_m is None else np.asarray(target_m, float)
        where = ", ".join(f"{v:.2f}" for v in t)
        tgt = [round(float(v), 7) for v in t]
        self.edit(f"aimed {ref.name} at [{where}] m", lambda: self.doc.aim_light(ref.name, tgt))

    def set_light(self, **fields) -> None:
        """The selected light's ``setting`` (spot/flood), ``dimmer_pct``, ``kelvin``, ``gel``
        (None: removed), one undoable edit."""
        ref, _ = self._selected_light()
        said = ", ".join(f"{k} {v}" for k, v in fields.items())
        self.edit(f"{ref.name}: {said}", lambda: self.doc.set_light_fields(ref.name, **fields))

    def dim_selected(self, d_pct: float) -> None:
        _, light = self._selected_light()
        now = 100.0 if light.dimmer_pct is None else float(light.dimmer_pct)
        self.set_light(dimmer_pct=round(min(max(now + d_pct, 0.0), 100.0), 3))

    def cycle_setting(self) -> None:
        """Spot / flood (the fixture's next setting)."""
        from previs.core.fixtures import get_fixture

        _, light = self._selected_light()
        if light.fixture is None:
            raise PrevisError(f"light '{light.name}' is not a library fixture")
        names = get_fixture(light.fixture).setting_names()
        cur = light.setting if light.setting in names else names[0]
        self.set_light(setting=names[(names.index(cur) + 1) % len(names)])

    def meter(self):
        """The subject's face metered at this frame (previs.core.meter.read_face, the set's
        boxes as occluders; key and fill as chosen, else picked), or None without a subject."""
        from previs.core import meter

        if self.subject is None:
            return None
        scene = self.scene
        st = self.state()
        names = {lt.name for lt in st.lights}
        key = self.meter_key if self.meter_key in names else None
        fill = self.meter_fill if self.meter_fill in names and key else None
        try:
            return meter.read_face(
                scene,
                st,
                self.subject,
                occluders=meter.primitive_boxes(scene),
                key=key,
                fill=fill if key else None,
            )
        except KeyError:
            return None

    def wall_stops(self) -> float | None:
        """The LED wall's white in stops over mid-grey at the shot's exposure, its brightness as
        the cues leave it at this frame (None: no wall)."""
        from previs.core import meter
        from previs.core.stage_light import exposure_time_s

        st = self.state()
        if self.scene.stage is None or st.wall is None:
            return None
        t = exposure_time_s(st.shutter_angle_deg, st.frame_rate)
        return meter.wall_stops(st.wall.brightness_nits, st.t_stop, t, st.iso)

    def distances(self):
        """Lens-to-subject and subject-to-wall for the subject (previs.core.collisions.tape)."""
        from previs.core import collisions

        if self.subject is None:
            return None
        try:
            return collisions.tape(self.scene, self.state(), self.subject)
        except (KeyError, PrevisError):
            return None

    def drop_tape(self, floor_m=None) -> float | None:
        """Drop a tape point (default: the cursor's floor point); with two down, the distance
        between them (the next point starts a new tape)."""
        p = np.asarray(self.cursor_floor_m() if floor_m is None else floor_m, float)
        pts = (*self.tape_points, p) if len(self.tape_points) == 1 else (p,)
        self.tape_points = pts
        if len(pts) == 2:
            d = float(np.linalg.norm(pts[1] - pts[0]))
            self.say(f"tape: {d:.2f} m")
            return d
        self.say("tape: first point down, press again at the second")
        return None

    def tape_m(self) -> float | None:
        pts = self.tape_points
        return float(np.linalg.norm(pts[1] - pts[0])) if len(pts) == 2 else None

    def toggle_false_colour(self) -> None:
        self.false_colour = not self.false_colour
        self.say(f"false colour {'on' if self.false_colour else 'off'}")

    # ------------------------------------------------------------ messages and autosave
    def say(self, msg: str, error: bool = False) -> None:
        self.status, self.status_error = msg, error
        self._status_at = self.clock()

    def status_shown(self) -> str | None:
        """The latest message while it is fresh (a few seconds, longer for a warning), else None."""
        age_s = self.clock() - self._status_at
        if not self.status or age_s > (STATUS_ERROR_S if self.status_error else STATUS_S):
            return None
        return self.status

    def autosave_due(self) -> bool:
        return self.clock() - self._autosave_at >= self.autosave_s

    def autosave_tick(self) -> Path | None:
        """Every ``autosave_s``: the document, and an unkeyed camera, to the recovery file when
        they changed since the last time. Returns the file written, if any."""
        now = self.clock()
        if now - self._autosave_at < self.autosave_s:
            return None
        self._autosave_at = now
        # An unkeyed camera goes into the recovery file too: a crash must not lose it either.
        live = (
            {"shot": self.shot_id, "frame": self.frame, "values": self.rig.key_values()}
            if self.unkeyed_change()
            else None
        )
        if (self.doc.revision, live) == (self._autosaved_rev, self._autosaved_live):
            return None
        try:  # (undone back to the saved file and no live camera: removes it)
            path = self.doc.autosave(live)
        except PrevisError as exc:  # a full disk must not close the window and lose the work
            self.say(f"autosave failed: {exc}", error=True)
            return None
        self._autosaved_rev, self._autosaved_live = self.doc.revision, live
        if path is not None:
            self.say(f"autosaved to {path.name}")
        return path

    def _restore_live_camera(self) -> None:
        """Put back the unkeyed camera a recovered session had (still unkeyed: K keys it)."""
        cam = self.doc.recovered_camera
        if cam is None:
            return
        self.doc.recovered_camera = None
        self.select_shot(cam["shot"])
        self.frame = cam["frame"]
        self._play_pos = float(self.frame)
        self.rig = Rig.from_key_values(cam["values"])
        self.say(f"restored the unkeyed camera of {self.shot_id} at frame {self.frame} (K keys it)")

    # ------------------------------------------------------------ questions and quitting
    def request_quit(self) -> None:
        """Close the window, asking first when there are unsaved changes or the camera was
        moved without a key."""
        if self.doc.dirty or self.unkeyed_change():
            self.modal = "quit"
        else:
            self.should_close = True

    def answer_quit(self, choice: str) -> None:
        """The unsaved-changes question: ``save`` (an unkeyed camera change is keyed first, as
        the question says), ``discard`` or ``cancel``."""
        self.modal = None
        if choice == "save":
            if self.unkeyed_change():
                self.do("set_key")
                if self.unkeyed_change():  # the key was refused (said why): keep the window
                    return
            self.do("save")
            self.should_close = not self.doc.dirty  # a failed save keeps the window and the work
        elif choice == "discard":
            self.doc.discard_recovery()
            self.should_close = True

    def answer_recovery(self, choice: str) -> None:
        """The recovery offer: ``restore``, ``discard`` or ``later`` (keep the file, decide next time)."""
        self.modal = None
        if choice == "restore":
            try:
                self.doc = SceneDocument.open_recovery(self.path)
            except PrevisError as exc:  # a damaged recovery file: say so, keep the saved scene open
                self.say(str(exc), error=True)
            else:
                self._edited("restored unsaved work from the recovery file")
                self._restore_live_camera()
                self._autosaved_rev = None
        elif choice == "discard":
            self.doc.discard_recovery()
            self.say("recovery file discarded")
        self.recovery_offer = None

    def submit_text_modal(self) -> None:
        """The shot id typed into the rename or new-shot question (``modal_text``)."""
        kind, text = self.modal, self.modal_text.strip()
        self.modal = None
        if not text:
            return
        try:
            self.rename_shot(text) if kind == "rename" else self.new_shot(text)
        except PrevisError as exc:
            self.say(str(exc), error=True)

    def cancel_modal(self) -> None:
        self.modal = None

    # ------------------------------------------------------------ actions by name (keys, buttons, scripts)
    def do(self, action: str) -> None:
        """Run one bound action by name (:data:`ACTIONS`, or one registered by the front end);
        a refusal (PrevisError) becomes the status line."""
        try:
            if action in self._actions:
                self._actions[action]()
            else:
                ACTIONS[action](self)
        except PrevisError as exc:
            self.say(str(exc), error=True)

    def tracking(self):
        """The live tracker (``--track``); without one, a PrevisError saying how to start it."""
        if self.tracker is None:
            raise PrevisError("no tracker: open the window with --track freed://0.0.0.0:40000")
        return self.tracker

    def register_action(self, name: str, fn: Callable[[], object]) -> None:
        """An action the front end runs (capturing a panel needs its renderer)."""
        self._actions[name] = fn

    def has_action(self, name: str) -> bool:
        return name in self._actions or name in ACTIONS

    # ------------------------------------------------------------ what the keys do
    def set_view(self, view: str) -> None:
        """``camera`` (through the shot camera), ``stage`` (overview, free camera) or ``plan``."""
        if view not in VIEWS:
            raise PrevisError(f"no view '{view}' (there are: {', '.join(VIEWS)})")
        self.view = view

    def toggle_panels(self) -> None:
        self.panels = not self.panels

    def toggle_help(self) -> None:
        self.show_help = not self.show_help

    def toggle_dof(self) -> None:
        self.dof = not self.dof
        self.say(f"depth-of-field preview {'on' if self.dof else 'off'}")

    def toggle_orbit(self) -> None:
        """Orbit the subject nearest the lens axis (nothing there: stays flying), or fly again."""
        self.orbit = not self.orbit
        if self.orbit:
            name, target = self.nearest_subject()
            self.orbit_target = target
            self.say(f"orbit {name}" if name else "orbit: nothing in front of the lens")
            self.orbit = name is not None
        else:
            self.say("fly")

    def revert_camera(self) -> None:
        self.rig = None
        self.say("camera back on the shot's track")

    def step_prime(self, direction: int) -> None:
        """The kit's next longer (+1) or wider (-1) lens."""
        self.set_focal(
            ctl.step_focal_mm(self.lens_kit(), self.live_rig().focal_length_mm, direction)
        )

    def goto_key(self, direction: int) -> None:
        """The next (+1) or previous (-1) frame worth jumping to (:meth:`key_frames`)."""
        frames = [f for f in self.key_frames() if (f - self.frame) * direction > 0]
        if frames:
            self.goto(frames[0] if direction > 0 else frames[-1])

    def step_shot(self, direction: int) -> None:
        ids = [s.id for s in self.scene.shots]
        self.select_shot(ids[(ids.index(self.shot_id) + direction) % len(ids)])

    def ask_shot_id(self, kind: str) -> None:
        """Ask for a shot id: ``new_shot`` (a free id offered) or ``rename`` (this one's)."""
        suggested = next_shot_id([s.id for s in self.scene.shots], self.shot_id)
        self.modal, self.modal_text = kind, suggested if kind == "new_shot" else self.shot_id

    def escape(self) -> None:
        """Esc: stops what is going on first (playback, the key help, orbiting), then quits: a
        DP pressing Esc to stop the shot does not lose the window."""
        if self.playing:
            self.playing = False
            self.say("paused (Esc again quits)")
        elif self.show_help:
            self.show_help = False
        elif self.orbit:
            self.toggle_orbit()
        elif self.drag is not None:
            self.cancel_drag()
        elif self.marking is not None:
            self.end_marks()
        elif self.selection is not None:
            self.selection = None
        else:
            self.request_quit()


# The actions keys are bound to (controls.BINDINGS), by name; the window adds its own with
# Session.register_action. Held movement keys are not actions: input.InputMapper.apply_held.
ACTIONS: dict[str, Callable[[Session], object]] = {
    "view_camera": lambda s: s.set_view("camera"),
    "view_stage": lambda s: s.set_view("stage"),
    "view_plan": lambda s: s.set_view("plan"),
    "toggle_panels": Session.toggle_panels,
    "toggle_help": Session.toggle_help,
    "toggle_dof": Session.toggle_dof,
    "toggle_orbit": Session.toggle_orbit,
    "revert_camera": Session.revert_camera,
    "next_prime": lambda s: s.step_prime(+1),
    "prev_prime": lambda s: s.step_prime(-1),
    "stop_down": lambda s: s.step_stop(+1),
    "open_up": lambda s: s.step_stop(-1),
    "play": lambda s: s.play(not s.playing),
    "next_frame": lambda s: s.goto(s.frame + 1),
    "prev_frame": lambda s: s.goto(s.frame - 1),
    "first_frame": lambda s: s.goto(0),
    "last_frame": lambda s: s.goto(s.shot.length_frames - 1),
    "next_key": lambda s: s.goto_key(+1),
    "prev_key": lambda s: s.goto_key(-1),
    "next_shot": lambda s: s.step_shot(+1),
    "prev_shot": lambda s: s.step_shot(-1),
    "set_key": Session.set_key,
    "delete_key": Session.delete_key,
    "new_shot": lambda s: s.ask_shot_id("new_shot"),
    "duplicate_shot": Session.duplicate_shot,
    "rename_shot": lambda s: s.ask_shot_id("rename"),
    "undo": Session.undo,
    "redo": Session.redo,
    "save": Session.save,
    "quit": Session.escape,
    "delete_selected": Session.delete_selected,
    "duplicate_selected": Session.duplicate_selected,
    "raise_selected": lambda s: s.raise_selected(NUDGE_M),
    "lower_selected": lambda s: s.raise_selected(-NUDGE_M),
    "turn_left": lambda s: s.turn_selected(-TURN_STEP_DEG),
    "turn_right": lambda s: s.turn_selected(TURN_STEP_DEG),
    "grow_selected": lambda s: s.scale_selected(SCALE_STEP),
    "shrink_selected": lambda s: s.scale_selected(1 / SCALE_STEP),
    "track_record": lambda s: s.tracking().toggle_record(),
    "track_discard": lambda s: s.tracking().discard(),
    "add_fixture": lambda s: s.add_fixture(),
    "aim_at_cursor": lambda s: s.aim_selected(s.cursor_floor_m()),
    "aim_at_subject": lambda s: s.aim_selected(),
    "dim_down": lambda s: s.dim_selected(-10.0),
    "dim_up": lambda s: s.dim_selected(10.0),
    "spot_flood": Session.cycle_setting,
    "toggle_false_colour": Session.toggle_false_colour,
    "drop_tape": lambda s: s.drop_tape(),
    "toggle_marks": Session.toggle_marks,
    "end_marks": Session.end_marks,
    **{
        f"add_{k}": (lambda s, k=k: s.add_object(k, s.cursor_floor_m()))
        for k in ("box", "cylinder", "plane", "character", "light")
    },
}
