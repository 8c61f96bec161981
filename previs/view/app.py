"""``previs view``: the blocking window.

:class:`ViewerApp` holds everything (the document, the shot, the frame, the live camera, the
views) and handles input as glfw delivers it; :meth:`ViewerApp.step` runs one frame (events,
held keys, playback, render, panels, swap). Tests and the benchmark call the same ``on_*``
handlers the glfw callbacks call, then ``step``, so a scripted session is a real session.

The picture comes from :class:`previs.api.StageRenderer` (its own EGL context), is uploaded to a
texture in the window's GL context and drawn, with line overlays and Dear ImGui panels on top;
the camera view's frame lines, matte and safe areas are drawn by the window at its own
resolution (the render has none), so they stay crisp at any render width.
While the picture moves the render width drops to hold the shot's frame rate
(:class:`~previs.view.controls.AdaptiveResolution`); when it stands still one full-width frame is
rendered and then nothing, so an idle window costs nothing.
"""

from __future__ import annotations

import math
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from previs.errors import PrevisError, RenderError
from previs.render.context import program
from previs.view import controls as ctl
from previs.view.controls import AdaptiveResolution, Rig

PANEL_LEFT_PX = 270
PANEL_RIGHT_PX = 290
BAR_PX = 62
CHECK_INTERVAL_S = 0.25  # live stage checks refresh at most this often while the picture rests
CHECK_MOVING_S = 0.75  # and this often while it moves (a check costs a frame's worth of time)
REFINE_AFTER_S = 0.12  # rest this long before the full-resolution frame
STATUS_S = 4.0  # a message stays over the picture this long (warnings: STATUS_ERROR_S)
STATUS_ERROR_S = 8.0
VIEWS = ("camera", "stage", "plan")

HIDDEN_LINE_ALPHA = 0.4  # lines behind the picture: dashed at this opacity


def _glfw_key_names() -> dict[int, str]:
    import glfw

    return {getattr(glfw, n): n[4:] for n in dir(glfw) if n.startswith("KEY_") and n != "KEY_UNKNOWN"}


def _mods(bits: int) -> frozenset[str]:
    import glfw

    out = set()
    if bits & glfw.MOD_SHIFT:
        out.add("shift")
    if bits & glfw.MOD_CONTROL:
        out.add("ctrl")
    if bits & glfw.MOD_ALT:
        out.add("alt")
    return frozenset(out)


def _imgui_keys() -> dict[str, object]:
    """glfw key names to ImGui keys, for typing into the panels' text fields."""
    from imgui_bundle import imgui

    names = {"BACKSPACE": "backspace", "ENTER": "enter", "KP_ENTER": "keypad_enter", "ESCAPE": "escape",
             "LEFT": "left_arrow", "RIGHT": "right_arrow", "UP": "up_arrow", "DOWN": "down_arrow",
             "HOME": "home", "END": "end", "DELETE": "delete", "TAB": "tab",
             "LEFT_CONTROL": "left_ctrl", "RIGHT_CONTROL": "right_ctrl", "LEFT_SHIFT": "left_shift",
             "RIGHT_SHIFT": "right_shift"}
    names.update({c: c.lower() for c in "ACVXYZ"})
    return {k: getattr(imgui.Key, v) for k, v in names.items() if hasattr(imgui.Key, v)}


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


class ViewerApp:
    """The blocking window over one scene file."""

    def __init__(self, scene_path, *, size: tuple[int, int] = (1280, 720), visible: bool = True,
                 shot: str | None = None, recover: bool | None = None, board_dir="out/view",
                 board_width: int = 1920, autosave_s: float = 60.0, adaptive: bool = True,
                 panels: bool = True, clock=time.perf_counter):
        from previs.view.document import SceneDocument

        self.path = Path(scene_path)
        self.clock = clock
        self.autosave_s = float(autosave_s)
        self.board_dir = Path(board_dir)
        self.board_width = int(board_width)
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
            self._say(f"restored unsaved work from {rec.name}")
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
        self.rig: Rig | None = None  # the live camera while it differs from the shot's track
        self.free: Rig | None = None  # the stage overview's own camera
        self.orbit = False
        self.orbit_target: np.ndarray | None = None
        self.held: dict[str, frozenset] = {}  # action -> modifiers it was pressed with
        self.mouse = (0.0, 0.0)
        self.buttons: set[int] = set()
        self._press_at: tuple[float, float] | None = None
        self._dragged = False
        self.fps = 0.0  # frames rendered per second, for the HUD
        self._render_times: list[float] = []
        self.last_frame_s = 0.0
        self.render_width = 0
        self.frames_rendered = 0
        self._last_key = None
        self._last_width = 0
        self._last_half_lit = False  # the last frame's lights were at half resolution (moving)
        self._still_s = 0.0
        self._fb = (int(size[0]), int(size[1]))
        self._last_frame = None  # the previs Frame on screen (colour, depth)
        self._depth_tex = None  # the overview picture's depth, for hiding lines behind the set
        self._checks = None
        self._checks_key = None
        self._checks_at = -1e9
        self._autosaved_rev = self.doc.revision
        self._autosaved_live = None
        self._autosave_at = clock()
        self._t_last = None
        self._plan = None  # (key, image, bounds)
        self._gizmo_cache = None
        self._solids = None
        self._open_window(size, visible)
        self.adaptive = AdaptiveResolution(full_width=self._image_rect()[2],
                                           target_fps=self._rate()) if adaptive else None
        self._restore_live_camera()  # --recover: the unkeyed camera too

    # ------------------------------------------------------------ window and GL
    def _open_window(self, size, visible) -> None:
        import glfw
        import moderngl
        from imgui_bundle import imgui

        from previs.api import StageRenderer
        from previs.view.imgui_gl import ImGuiRenderer

        glfw.ERROR_REPORTING = "ignore"  # a failure becomes the one line below, not a warning dump
        if not glfw.init():
            raise RenderError("previs view needs a display: no window system could be opened "
                              "(set DISPLAY, or run under xvfb-run)")
        glfw.window_hint(glfw.CONTEXT_VERSION_MAJOR, 3)
        glfw.window_hint(glfw.CONTEXT_VERSION_MINOR, 3)
        glfw.window_hint(glfw.OPENGL_PROFILE, glfw.OPENGL_CORE_PROFILE)
        glfw.window_hint(glfw.OPENGL_FORWARD_COMPAT, True)
        glfw.window_hint(glfw.VISIBLE, bool(visible))
        w, h = (int(v) for v in size)
        self.window = glfw.create_window(w, h, f"previs · {self.path.name}", None, None)
        if not self.window:
            glfw.terminate()
            raise RenderError("previs view: the window system refused an OpenGL 3.3 window")
        glfw.make_context_current(self.window)
        glfw.swap_interval(0)  # the frame rate is ours to hold, not the monitor's
        self.ctx = moderngl.create_context()
        self.gl_renderer = self.ctx.info.get("GL_RENDERER", "unknown")
        self._quad_prog = program(self.ctx, "window_picture.vert", "window_picture.frag")
        self._quad_vbo = self.ctx.buffer(np.array([-1, -1, 1, -1, -1, 1, 1, 1], "f4").tobytes())
        self._quad = self.ctx.vertex_array(self._quad_prog, [(self._quad_vbo, "2f", "in_pos")])
        self._line_prog = program(self.ctx, "window_lines.vert", "window_lines.frag",
                                 defines=(f"HIDDEN_ALPHA {HIDDEN_LINE_ALPHA!r}",))
        self._tex = None
        self._imgui_ctx = imgui.create_context()
        imgui.set_current_context(self._imgui_ctx)  # create_context makes only the first current
        io = imgui.get_io()
        io.set_ini_filename("")
        io.display_size = (w, h)
        self.imgui_renderer = ImGuiRenderer(self.ctx)
        self._keys = _glfw_key_names()
        self._imkeys = _imgui_keys()
        glfw.set_key_callback(self.window, lambda _w, k, _s, a, m: self.on_key(k, a, m))
        glfw.set_char_callback(self.window, lambda _w, c: self.on_char(c))
        glfw.set_cursor_pos_callback(self.window, lambda _w, x, y: self.on_mouse_move(x, y))
        glfw.set_mouse_button_callback(self.window, lambda _w, b, a, m: self.on_mouse_button(b, a, m))
        glfw.set_scroll_callback(self.window, lambda _w, dx, dy: self.on_scroll(dx, dy))
        glfw.set_window_close_callback(self.window, lambda _w: self._close_requested())
        # The stage renderer makes (and binds around each call) its own EGL context; the window's
        # context is made current again after every call into it.
        self.stage = StageRenderer(self.doc.scene, width=self._image_rect()[2] or 640)
        glfw.make_context_current(self.window)
        self.stage_gl_renderer = self.stage.gl_renderer

    def close(self) -> None:
        import glfw
        from imgui_bundle import imgui

        if getattr(self, "window", None) is None:
            return
        glfw.make_context_current(self.window)
        imgui.set_current_context(self._imgui_ctx)
        self.imgui_renderer.release()
        imgui.destroy_context(self._imgui_ctx)
        for tex in (self._tex, self._depth_tex):
            if tex is not None:
                tex.release()
        self.stage.release()
        glfw.destroy_window(self.window)
        self.window = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ------------------------------------------------------------ scene access
    @property
    def scene(self):
        return self.doc.scene

    @property
    def shot(self):
        return self.scene.shot(self.shot_id)

    def _rate(self) -> float:
        return float(self.scene.frame_rate)

    def _kit(self):
        from previs.core.presets import get_lens_kit

        return get_lens_kit(self.scene.camera.lens_kit)

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
        return replace(base, world_from_camera=m, lens=lens, focal_length_mm=float(lens.focal_length_mm),
                       focus_m=float(r.focus_m), t_stop=float(r.t_stop), tracked_world_from_camera=m,
                       tracked_yfov_rad=yfov)

    def _live(self) -> Rig:
        """The live camera, taken from the track the first time it is touched."""
        if self.rig is None:
            self.rig = Rig.from_state(self.track_state())
        return self.rig

    def _moving_rig(self) -> Rig:
        """The rig the movement keys drive: the overview's free camera in that view."""
        if self.view == "stage":
            if self.free is None:
                self.free = self._default_free()
            return self.free
        return self._live()

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

    def _say(self, msg: str, error: bool = False) -> None:
        self.status, self.status_error = msg, error
        self._status_at = self.clock()

    # ------------------------------------------------------------ input
    def on_key(self, key: int, action: int, mods: int) -> None:
        import glfw
        from imgui_bundle import imgui

        imgui.set_current_context(self._imgui_ctx)
        name = self._keys.get(key)
        m = _mods(mods)
        io = imgui.get_io()
        imk = self._imkeys.get(name)
        io.add_key_event(imgui.Key.mod_ctrl, "ctrl" in m)
        io.add_key_event(imgui.Key.mod_shift, "shift" in m)
        if imk is not None:
            io.add_key_event(imk, action != glfw.RELEASE)
        if action == glfw.RELEASE:
            for act, _ in list(self.held.items()):
                b = next((b for b in ctl.BINDINGS if b.action == act), None)
                if b is not None and b.key == name:
                    self.held.pop(act, None)
            return
        if self.modal is not None:
            self._modal_key(name, m)
            return
        if io.want_text_input:
            return
        b = ctl.lookup(name, m) if name else None
        if b is None:
            return
        if b.held:
            self.held[b.action] = m
        elif action == glfw.PRESS or b.action in ("next_frame", "prev_frame", "undo", "redo"):
            self.do(b.action)

    def on_char(self, codepoint: int) -> None:
        from imgui_bundle import imgui

        imgui.set_current_context(self._imgui_ctx)
        imgui.get_io().add_input_character(codepoint)

    def on_mouse_move(self, x: float, y: float) -> None:
        import glfw
        from imgui_bundle import imgui

        imgui.set_current_context(self._imgui_ctx)
        imgui.get_io().add_mouse_pos_event(float(x), float(y))
        dx, dy = x - self.mouse[0], y - self.mouse[1]
        self.mouse = (float(x), float(y))
        if self._press_at is not None and math.hypot(x - self._press_at[0], y - self._press_at[1]) > 3:
            self._dragged = True
        if not self.buttons or self.modal is not None:
            return
        if self.view == "plan":
            if glfw.MOUSE_BUTTON_RIGHT in self.buttons:
                self._live().pan_tilt(-dx * ctl.LOOK_DEG_PER_PX, 0.0)
            return
        rig = self._moving_rig()
        if glfw.MOUSE_BUTTON_RIGHT in self.buttons:  # look: pan and tilt
            rig.pan_tilt(-dx * ctl.LOOK_DEG_PER_PX, -dy * ctl.LOOK_DEG_PER_PX)
        elif glfw.MOUSE_BUTTON_MIDDLE in self.buttons:  # truck and pedestal
            rig.truck(-dx * 0.01)
            rig.pedestal(dy * 0.01)
        elif glfw.MOUSE_BUTTON_LEFT in self.buttons and self._dragged:
            if self.orbit and self.view == "camera":
                rig.orbit(self._orbit_target(), -dx * 0.3, dy * 0.3)
            elif self.view == "stage":
                rig.orbit(rig.position_m + rig.forward * 8.0, -dx * 0.3, dy * 0.3)

    def on_mouse_button(self, button: int, action: int, mods: int) -> None:
        import glfw
        from imgui_bundle import imgui

        imgui.set_current_context(self._imgui_ctx)
        io = imgui.get_io()
        io.add_mouse_button_event(button, action == glfw.PRESS)
        if action == glfw.PRESS:
            if io.want_capture_mouse or self.modal is not None:
                return
            self.buttons.add(button)
            self._press_at, self._dragged = self.mouse, False
        else:
            was = button in self.buttons
            self.buttons.discard(button)
            if was and button == glfw.MOUSE_BUTTON_LEFT and not self._dragged and self.view == "camera":
                self.pull_focus_at(*self.mouse)
            self._press_at = None

    def on_scroll(self, dx: float, dy: float) -> None:
        from imgui_bundle import imgui

        imgui.set_current_context(self._imgui_ctx)
        io = imgui.get_io()
        io.add_mouse_wheel_event(float(dx), float(dy))
        if io.want_capture_mouse or self.modal is not None:
            return
        if self.view == "stage":
            self._moving_rig().fly(forward_m=0.5 * dy)
        else:
            self._live().dolly(0.1 * dy)

    def _close_requested(self) -> None:
        import glfw

        glfw.set_window_should_close(self.window, False)
        self.request_quit()

    # ------------------------------------------------------------ actions
    def do(self, action: str) -> None:
        """Run one bound action by name (keys, buttons and scripts all come through here)."""
        try:
            getattr(self, f"_act_{action}")()
        except PrevisError as exc:
            self._say(str(exc), error=True)

    def _act_view_camera(self):
        self.view = "camera"

    def _act_view_stage(self):
        self.view = "stage"

    def _act_view_plan(self):
        self.view = "plan"

    def _act_toggle_panels(self):
        self.panels = not self.panels

    def _act_toggle_help(self):
        self.show_help = not self.show_help

    def _act_toggle_dof(self):
        self.dof = not self.dof
        self._say(f"depth-of-field preview {'on' if self.dof else 'off'}")

    def _act_toggle_orbit(self):
        self.orbit = not self.orbit
        if self.orbit:
            name, target = self._nearest_subject()
            self.orbit_target = target
            self._say(f"orbit {name}" if name else "orbit: nothing in front of the lens")
            self.orbit = name is not None
        else:
            self._say("fly")

    def _orbit_target(self) -> np.ndarray:
        if self.orbit_target is None:
            self.orbit_target = self._nearest_subject()[1]
        return self.orbit_target

    def _nearest_subject(self):
        """The subject (stand-in's eyes, a set piece's centre) closest to the lens axis."""
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

    def _act_revert_camera(self):
        self.rig = None
        self._say("camera back on the shot's track")

    def _act_next_prime(self):
        self._set_focal(ctl.step_focal_mm(self._kit(), self._live().focal_length_mm, +1))

    def _act_prev_prime(self):
        self._set_focal(ctl.step_focal_mm(self._kit(), self._live().focal_length_mm, -1))

    def _set_focal(self, focal_mm: float) -> None:
        from previs.core.presets import get_lens

        rig = self._live()
        lens = get_lens(self.scene.camera.lens_kit, focal_mm)
        rig.focal_length_mm = lens.focal_length_mm
        rig.focus_m = max(rig.focus_m, lens.close_focus_m)
        rig.t_stop = min(lens.t_stop_min, max(lens.t_stop_max, rig.t_stop))
        self._say(f"{lens.kit_name} {lens.focal_length_mm:g} mm")

    def _act_stop_down(self):
        self._step_stop(+1)

    def _act_open_up(self):
        self._step_stop(-1)

    def _step_stop(self, n: int) -> None:
        st = self.state()
        rig = self._live()
        rig.t_stop = ctl.step_t_stop(rig.t_stop, n, st.lens.t_stop_max, st.lens.t_stop_min)
        self._say(f"T{rig.t_stop:g}")

    def _act_pull_focus(self):
        self.pull_focus_at(*self.mouse)

    def pull_focus_at(self, x: float, y: float) -> float | None:
        """Focus on what is under window pixel (x, y): the rendered frame's depth there."""
        f = self._last_frame
        rx, ry, rw, rh = self._image_rect()
        if f is None or f.depth_m is None or not (rx <= x < rx + rw and ry <= y < ry + rh):
            return None
        h, w = f.depth_m.shape
        px = min(w - 1, int((x - rx) / rw * w))
        py = min(h - 1, int((y - ry) / rh * h))
        # The nearest surface in a small window: a click on a thin edge still finds the subject.
        win = f.depth_m[max(0, py - 1):py + 2, max(0, px - 1):px + 2]
        d = float(np.min(win))
        if not math.isfinite(d):
            self._say("nothing under the cursor to focus on")
            return None
        st = self.state()
        rig = self._live()
        rig.focus_m = round(max(d, st.lens.close_focus_m), 3)
        self._say(f"focus pulled to {rig.focus_m:.2f} m")
        return rig.focus_m

    # time
    def unkeyed_change(self) -> bool:
        """Whether the live camera differs from the shot's track at this frame: work that only a
        key (K) puts in the document."""
        try:
            return self.rig is not None and not self.rig.same_as(Rig.from_state(self.track_state()))
        except PrevisError:  # the shot itself is gone (deleted, undone)
            return False

    def _drop_live(self) -> bool:
        """Back to the track; says so when that loses an unkeyed change (Ctrl+Z cannot bring
        back what was never keyed)."""
        lost = self.unkeyed_change()
        if lost:
            self._say(f"unkeyed camera change dropped at frame {self.frame} (K keys it)", error=True)
        self.rig = None
        return lost

    def _goto(self, frame: int) -> None:
        n = self.shot.length_frames
        frame = max(0, min(n - 1, int(frame)))
        if frame != self.frame:
            self._drop_live()
        self.frame = frame
        self._play_pos = float(frame)

    def _act_play(self):
        self.playing = not self.playing
        if self.playing:
            self._drop_live()
            self._play_pos = float(self.frame)

    def _act_next_frame(self):
        self._goto(self.frame + 1)

    def _act_prev_frame(self):
        self._goto(self.frame - 1)

    def _act_first_frame(self):
        self._goto(0)

    def _act_last_frame(self):
        self._goto(self.shot.length_frames - 1)

    def key_frames(self) -> list[int]:
        """Frames worth jumping to: first, last, keys, starts and ends of moves, walks and cues."""
        return self.doc.key_frames(self.shot_id)

    def _act_next_key(self):
        later = [f for f in self.key_frames() if f > self.frame]
        if later:
            self._goto(later[0])

    def _act_prev_key(self):
        earlier = [f for f in self.key_frames() if f < self.frame]
        if earlier:
            self._goto(earlier[-1])

    def _restore_live_camera(self) -> None:
        """Put back the unkeyed camera a recovered session had (still unkeyed: K keys it)."""
        cam = self.doc.recovered_camera
        if cam is None:
            return
        self.doc.recovered_camera = None
        self._select_shot(cam["shot"])
        self.frame = cam["frame"]
        self._play_pos = float(self.frame)
        self.rig = Rig.from_key_values(cam["values"])
        self._say(f"restored the unkeyed camera of {self.shot_id} at frame {self.frame} (K keys it)")

    def _select_shot(self, shot_id: str) -> None:
        if shot_id != self.shot_id:
            self._drop_live()
        self.shot_id = shot_id
        self.rig = None
        self.playing = False
        self.frame = 0
        self._play_pos = 0.0
        self.orbit_target = None
        if self.adaptive is not None:
            self.adaptive.target_fps = self._rate()

    def _act_next_shot(self):
        ids = [s.id for s in self.scene.shots]
        self._select_shot(ids[(ids.index(self.shot_id) + 1) % len(ids)])

    def _act_prev_shot(self):
        ids = [s.id for s in self.scene.shots]
        self._select_shot(ids[(ids.index(self.shot_id) - 1) % len(ids)])

    # edits (all through the document, so undo covers them)
    def _edited(self, label: str, error: bool = False) -> None:
        self.stage.scene = self.doc.scene  # shot edits only: the renderer keeps its world
        ids = [s.id for s in self.scene.shots]
        if self.shot_id not in ids:
            self._select_shot(ids[0])
        self.frame = min(self.frame, self.shot.length_frames - 1)
        self._say(label, error)

    def _act_set_key(self):
        rig = self._live()
        self.doc.set_camera_key(self.shot_id, self.frame, rig.key_values())
        self.rig = None
        self._edited(f"key set: {self.shot_id} frame {self.frame}")

    def _act_delete_key(self):
        if self.frame not in self.doc.explicit_key_frames(self.shot_id):
            self._say(f"no key at frame {self.frame}")
            return
        self.doc.delete_camera_key(self.shot_id, self.frame)
        self.rig = None
        self._edited(f"key deleted: {self.shot_id} frame {self.frame}")

    def _act_new_shot(self):
        self.modal, self.modal_text = "new_shot", next_shot_id([s.id for s in self.scene.shots], self.shot_id)

    def new_shot(self, new_id: str) -> None:
        st = self.state()
        rig = Rig.from_state(st)
        cam = {k: v for k, v in rig.key_values().items()}
        shot = self.shot
        self.doc.add_shot(new_id, camera=cam, scene_label=str(shot.scene_number),
                          length_frames=int(shot.length_frames), description="")
        self.rig = None  # it is the new shot's camera now
        self._select_shot(new_id)
        self._edited(f"new shot {new_id}")

    def _act_duplicate_shot(self):
        new_id = next_shot_id([s.id for s in self.scene.shots], self.shot_id)
        self.doc.duplicate_shot(self.shot_id, new_id)
        self._select_shot(new_id)
        self._edited(f"duplicated as {new_id}")

    def _act_rename_shot(self):
        self.modal, self.modal_text = "rename", self.shot_id

    def rename_shot(self, new_id: str) -> None:
        old = self.shot_id
        self.doc.rename_shot(old, new_id)
        self.shot_id = new_id
        self._edited(f"renamed {old} to {new_id}")

    def _act_undo(self):
        lost = self._drop_live()
        label = self.doc.undo()
        self._edited((f"undid {label}" if label else "nothing to undo")
                     + ("; unkeyed camera change dropped" if lost else ""), error=lost)

    def _act_redo(self):
        lost = self._drop_live()
        label = self.doc.redo()
        self._edited((f"redid {label}" if label else "nothing to redo")
                     + ("; unkeyed camera change dropped" if lost else ""), error=lost)

    def _act_save(self):
        path = self.doc.save()
        self._say(f"saved {path}")

    def _act_capture(self):
        self.capture()

    def capture(self) -> Path:
        """The current frame as a storyboard panel (PNG with its caption), full resolution."""
        import glfw

        from previs.api import write_storyboard_frame

        st = self.state()
        frame = self._render(st, self.board_width, overlay=True, read_depth=False, shot_camera=True)
        stem = "".join(c if c.isalnum() or c in "-_." else "_" for c in self.path.stem)
        sid = "".join(c if c.isalnum() or c in "-_." else "_" for c in self.shot_id)
        base = self.board_dir / f"{stem}_{sid}_f{self.frame:04d}"
        path, n = base.with_suffix(".png"), 2
        while path.exists():
            path, n = Path(f"{base}_{n}.png"), n + 1
        write_storyboard_frame(frame, st, self.scene, path)
        glfw.make_context_current(self.window)
        self._say(f"captured {path}")
        return path

    def _act_quit(self):
        """Esc: stops what is going on first (playback, the key help, orbiting), then quits: a
        DP pressing Esc to stop the shot does not lose the window."""
        if self.playing:
            self.playing = False
            self._say("paused (Esc again quits)")
        elif self.show_help:
            self.show_help = False
        elif self.orbit:
            self._act_toggle_orbit()
        else:
            self.request_quit()

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
        from previs.view.document import SceneDocument

        self.modal = None
        if choice == "restore":
            try:
                self.doc = SceneDocument.open_recovery(self.path)
            except PrevisError as exc:  # a damaged recovery file: say so, keep the saved scene open
                self._say(str(exc), error=True)
            else:
                self._edited("restored unsaved work from the recovery file")
                self._restore_live_camera()
                self._autosaved_rev = None
        elif choice == "discard":
            self.doc.discard_recovery()
            self._say("recovery file discarded")
        self.recovery_offer = None

    def _modal_key(self, name: str | None, mods) -> None:
        """Keyboard answers to the modals (so a script can answer them too)."""
        from imgui_bundle import imgui

        if self.modal == "quit":
            choice = {"S": "save", "ENTER": "save", "D": "discard", "ESCAPE": "cancel", "C": "cancel"}.get(name)
            if choice:
                self.answer_quit(choice)
        elif self.modal == "recover":
            choice = {"R": "restore", "ENTER": "restore", "D": "discard", "ESCAPE": "later"}.get(name)
            if choice:
                self.answer_recovery(choice)
        elif self.modal in ("rename", "new_shot"):
            if name == "ESCAPE":
                self.modal = None
            elif name in ("ENTER", "KP_ENTER") and not imgui.get_io().want_text_input:
                self._submit_text_modal()

    def _submit_text_modal(self) -> None:
        kind, text = self.modal, self.modal_text.strip()
        self.modal = None
        if not text:
            return
        try:
            self.rename_shot(text) if kind == "rename" else self.new_shot(text)
        except PrevisError as exc:
            self._say(str(exc), error=True)

    # ------------------------------------------------------------ per frame
    def _apply_held(self, dt: float) -> None:
        if not self.held or self.modal is not None:
            return
        for action, mods in list(self.held.items()):
            k = ctl.speed_factor(mods) * dt
            move, turn = ctl.MOVE_MPS * k, ctl.TURN_DPS * k
            if action in ("zoom_in", "zoom_out"):
                rig = self._live()
                f = ctl.ZOOM_PER_S ** (k if action == "zoom_in" else -k)
                new = ctl.zoom_mm(self._kit(), rig.focal_length_mm, f)
                if new == rig.focal_length_mm and ctl.zoom_range_mm(self._kit(), new) is None:
                    self._say("a prime does not zoom: [ and ] change lenses")
                else:
                    rig.focal_length_mm = new
                continue
            if action in ("focus_nearer", "focus_further"):
                rig = self._live()
                f = ctl.FOCUS_PER_S ** (k if action == "focus_further" else -k)
                rig.focus_m = max(self.state().lens.close_focus_m, min(1000.0, rig.focus_m * f))
                continue
            rig = self._moving_rig()
            orbiting = self.orbit and self.view == "camera"
            if orbiting and action in ("truck_left", "truck_right"):
                rig.orbit(self._orbit_target(), (-1 if action == "truck_right" else 1) * turn)
            elif orbiting and action in ("fly_forward", "fly_back", "dolly_in", "dolly_out"):
                rig.orbit(self._orbit_target(), d_distance_m=-move if action in ("fly_forward", "dolly_in") else move)
            elif action == "fly_forward":
                rig.fly(forward_m=move)
            elif action == "fly_back":
                rig.fly(forward_m=-move)
            elif action == "truck_left":
                rig.truck(-move)
            elif action == "truck_right":
                rig.truck(move)
            elif action == "pedestal_up":
                rig.pedestal(move)
            elif action == "pedestal_down":
                rig.pedestal(-move)
            elif action == "dolly_in":
                rig.dolly(move)
            elif action == "dolly_out":
                rig.dolly(-move)
            elif action == "pan_left":
                rig.pan_tilt(turn, 0.0)
            elif action == "pan_right":
                rig.pan_tilt(-turn, 0.0)
            elif action == "tilt_up":
                rig.pan_tilt(0.0, turn)
            elif action == "tilt_down":
                rig.pan_tilt(0.0, -turn)

    def _advance_playback(self, dt: float) -> None:
        """The shot moves on by the time that passed, at its rate, whatever the frames cost (a
        slow machine shows fewer of them, at a lower width, never a slower shot); it loops."""
        if not self.playing:
            return
        n = max(self.shot.length_frames, 1)
        # Rounded so that steps of exactly one frame's time never fall a hair short of a frame.
        self._play_pos = round(self._play_pos + dt * self._rate(), 9) % n
        self.frame = int(self._play_pos)

    def seconds_to_next_frame(self) -> float:
        """While playing: how long until the shot reaches its next frame (from the last step)."""
        if not self.playing:
            return math.inf
        due_s = (math.floor(self._play_pos) + 1 - self._play_pos) / self._rate()
        return due_s - (self.clock() - (self._t_last or 0.0))

    def idle(self) -> None:
        """Between two steps of the run loop: nothing moves, so wait for an event (waking for
        autosave and checks); playing, wait for the shot's next frame rather than draw the same
        one again (the renderer shares the CPU with the window)."""
        import glfw

        if self.held or self.buttons:
            return
        if self.playing:
            wait_s = self.seconds_to_next_frame()
            if wait_s > 0.002:
                glfw.wait_events_timeout(wait_s)
            return
        glfw.wait_events_timeout(0.1)

    def _image_rect(self) -> tuple[int, int, int, int]:
        """Where the picture goes in the window: (x, y, width, height), y down."""

        fw, fh = self._fb
        left = PANEL_LEFT_PX if self.panels else 0
        right = PANEL_RIGHT_PX if self.panels else 0
        aw, ah = max(16, fw - left - right), max(16, fh - BAR_PX)
        aspect = self._picture_aspect()
        w, h = (aw, aw / aspect) if aw / ah <= aspect else (ah * aspect, ah)
        w, h = int(w), int(h)
        return left + (aw - w) // 2, (ah - h) // 2, w, h

    def _picture_aspect(self) -> float:
        if self.view == "plan" and self._plan is not None:
            x0, z0, x1, z1 = self._plan[2]
            return (x1 - x0) / (z1 - z0)
        from previs.core import optics, presets

        cam = self.scene.camera
        mode = presets.get_mode(cam.body, cam.mode)
        return optics.desqueezed_aspect(mode, presets.get_lens_kit(cam.lens_kit).squeeze)

    def _render(self, state, width: int, *, overlay: bool, read_depth: bool,
                shot_camera: bool = True, half_res_lighting: bool = False):
        import glfw

        dof = self.dof and shot_camera  # not the stage overview
        frame = self.stage.render(state, overlay=overlay, read_depth=read_depth, width=int(width), dof=dof,
                                  half_res_lighting=half_res_lighting)
        glfw.make_context_current(self.window)
        return frame

    def _overview_state(self, shot_state):
        """The shot's state seen from the free camera (the wall keeps the shot's inner frustum)."""
        if self.free is None:
            self.free = self._default_free()
        f = self.free
        return replace(shot_state, world_from_camera=f.world_from_camera, focal_length_mm=f.focal_length_mm,
                       focus_m=f.focus_m, near_m=0.05, far_m=2000.0)

    def _render_key(self, st, view_st):
        return (self.view, self.doc.revision, st.shot_id, st.frame, st.world_from_camera.tobytes(),
                st.focal_length_mm, st.focus_m, st.t_stop, view_st.world_from_camera.tobytes(),
                self._image_rect(), self.dof)

    def step(self, dt: float | None = None, *, screenshot: bool = False) -> np.ndarray | None:
        """One frame: events, held keys, playback, render if anything changed, panels, swap.
        ``dt`` fixes the frame's time step (scripts); otherwise the clock decides. With
        ``screenshot`` the window's back buffer is returned (rows top-down, RGB)."""
        import glfw
        from imgui_bundle import imgui

        imgui.set_current_context(self._imgui_ctx)  # several windows may live in one process
        glfw.make_context_current(self.window)
        t0 = self.clock()
        if dt is None:
            dt = 0.0 if self._t_last is None else t0 - self._t_last
        self._t_last = t0
        glfw.poll_events()
        self._fb = glfw.get_framebuffer_size(self.window)
        self._apply_held(dt)
        self._advance_playback(dt)
        try:
            st = self.state()
        except PrevisError as exc:  # a live value the lens refuses: back to the track
            self._say(str(exc), error=True)
            self.rig = None
            st = self.state()
        view_st = self._overview_state(st) if self.view == "stage" else st
        key = self._render_key(st, view_st)
        changed = key != self._last_key
        moving = self.playing or bool(self.held) or bool(self.buttons) or (changed and self._last_key is not None)
        full_w = self._image_rect()[2]
        self._still_s = 0.0 if moving else self._still_s + dt
        width, render_s = full_w, 0.0
        if self.view == "plan":
            self._ensure_plan(st)
            self._last_width = self.render_width = full_w
        else:
            # Still: one full-width frame, every pixel lit, once the picture has rested a moment
            # (a tap on a key should not pay for a full-resolution render between two moves).
            refine = (not moving and (self._last_width != full_w or self._last_half_lit)
                      and (self._still_s >= REFINE_AFTER_S or self.adaptive is None))
            if moving and (changed or refine) and self.adaptive is not None:
                # Asked only for frames that render: its hold counts rendered frames, not the
                # window's wake-ups between two frames of the shot.
                self.adaptive.full_width = full_w
                width = self.adaptive.choose()
            if changed or refine:
                t_r = self.clock()
                # Frame lines: drawn by the window at its own resolution (shaders/window_picture.frag). While it
                # moves, the lights at half resolution: a wider picture at the same rate.
                frame = self._render(view_st, width, overlay=False, read_depth=True,
                                     shot_camera=self.view == "camera", half_res_lighting=moving)
                self._last_half_lit = moving
                self._upload(frame.color)
                if self.view == "camera":
                    self._last_frame = frame
                else:
                    self._upload_depth(frame.depth_m)
                render_s = self.clock() - t_r
                self.render_width = self._last_width = width
                self.frames_rendered += 1
        self._last_key = key
        t_c = self.clock()
        self._refresh_checks(st, moving)
        check_s = self.clock() - t_c  # a periodic spike, not a cost of the width
        self._autosave_tick()
        # Draw.
        fw, fh = self._fb
        io = imgui.get_io()
        io.display_size = (fw, fh)
        io.delta_time = max(dt, 1e-4)
        imgui.new_frame()
        self._build_ui(st)
        imgui.render()
        self.ctx.screen.use()
        self.ctx.viewport = (0, 0, fw, fh)
        self.ctx.clear(0.08, 0.08, 0.09)
        self._draw_picture(st, view_st, fh)
        self.imgui_renderer.render(imgui.get_draw_data(), (fw, fh))
        shot_img = None
        if screenshot:
            raw = self.ctx.screen.read(components=3, alignment=1)
            shot_img = np.frombuffer(raw, np.uint8).reshape(fh, fw, 3)[::-1].copy()
        glfw.swap_buffers(self.window)
        self.last_frame_s = self.clock() - t0
        self.fps = self._picture_rate(render_s > 0)
        if render_s > 0 and moving and self.adaptive is not None:
            # (one late frame shows the shot's frame late, not a frame fewer: the next ones
            # catch up in the headroom)
            self.adaptive.report(width, self.last_frame_s - check_s, render_s)
        if glfw.window_should_close(self.window):
            self._close_requested()
        return shot_img

    def _picture_rate(self, rendered: bool) -> float:
        """Frames rendered per second over the last second: the rate the picture moves at (not
        how often a resting window wakes up)."""
        now = self.clock()
        if rendered:
            self._render_times.append(now)
        t = [v for v in self._render_times if now - v <= 1.0]
        self._render_times = t
        if len(t) < 2 or now - t[-1] > 0.5:  # at rest: the rate it last moved at
            return self.fps
        return (len(t) - 1) / max(t[-1] - t[0], 1e-6)

    def run(self) -> int:
        """Until the window closes (quitting with unsaved changes asks first)."""
        while not self.should_close:
            self.step()
            self.idle()
        return 0

    def _upload(self, color: np.ndarray) -> None:
        import moderngl

        h, w = color.shape[:2]
        if self._tex is None or self._tex.size != (w, h):
            if self._tex is not None:
                self._tex.release()
            self._tex = self.ctx.texture((w, h), 3, alignment=1)
            self._tex.filter = (moderngl.LINEAR, moderngl.LINEAR)
            self._tex.repeat_x = self._tex.repeat_y = False
        self._tex.write(np.ascontiguousarray(color).tobytes(), alignment=1)

    def _upload_depth(self, depth_m: np.ndarray | None) -> None:
        if depth_m is None:
            if self._depth_tex is not None:
                self._depth_tex.release()
            self._depth_tex = None
            return
        import moderngl

        h, w = depth_m.shape
        if self._depth_tex is None or self._depth_tex.size != (w, h):
            if self._depth_tex is not None:
                self._depth_tex.release()
            self._depth_tex = self.ctx.texture((w, h), 1, dtype="f4", alignment=4)
            self._depth_tex.filter = (moderngl.NEAREST, moderngl.NEAREST)
        far = np.where(np.isfinite(depth_m), depth_m, 1e9)  # empty sky: nothing hides a line there
        self._depth_tex.write(np.ascontiguousarray(far, "f4").tobytes())

    def _draw_picture(self, st, view_st, fb_h: int) -> None:
        import moderngl

        x, y, w, h = self._image_rect()
        if self._tex is None and self.view != "plan":
            return
        self.ctx.viewport = (x, fb_h - y - h, w, h)
        self.ctx.disable(moderngl.BLEND | moderngl.DEPTH_TEST)
        tex = self._plan[1] if self.view == "plan" else self._tex
        tex.use(0)
        prog = self._quad_prog
        prog["u_image"].value = 0
        prog["u_viewport"].value = (float(x), float(fb_h - y - h), float(w), float(h))
        none = (0, 0, 0, 0)
        rects = self.frame_line_rects(st, w, h) if self.view == "camera" else (none,) * 3
        for name, rect in zip(("u_frame_px", "u_action_px", "u_title_px"), rects, strict=True):
            prog[name].value = rect
        from previs.render import Overlay

        ov = Overlay()  # the renderer's matte and line colour
        prog["u_matte_opacity"].value = float(ov.matte_opacity)
        prog["u_line_color"].value = tuple(float(v) for v in ov.line_rgb)
        self._quad.render(moderngl.TRIANGLE_STRIP)
        if self.view == "camera":
            return
        segs = self._gizmos(st)
        viewport = (x, fb_h - y - h, w, h)
        if self.view == "stage":
            clip = self._overview_clip(view_st, w / h)
            self._draw_lines(segs, clip, viewport, np.linalg.inv(view_st.world_from_camera), self._depth_tex)
        elif self.view == "plan":
            self._draw_lines(segs, self._plan_clip(), viewport)
        self.ctx.viewport = (0, 0, *self.ctx.screen.size)

    @staticmethod
    def frame_line_rects(st, w: int, h: int) -> tuple[tuple[int, int, int, int], ...]:
        """The delivery area and the action and title safe areas (93 % and 90 % of it, as the
        renderer's post.frag has them) in a ``w`` x ``h`` picture's pixels: (x0, y0, x1, y1),
        rows from the bottom, ends exclusive; (0, 0, 0, 0) where there is none."""
        from previs.core.frame import frame_rect_uv

        none = (0, 0, 0, 0)
        x0, y0, x1, y1 = frame_rect_uv(w / h, st.delivery_aspect)
        if x1 <= x0:
            return none, none, none

        def px(ax0, ay0, ax1, ay1):
            return (round(ax0 * w), round(ay0 * h), round(ax1 * w), round(ay1 * h))

        cx, cy, hx, hy = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2, (y1 - y0) / 2
        safe = [px(cx - hx * f, cy - hy * f, cx + hx * f, cy + hy * f) if st.safe_areas else none
                for f in (0.93, 0.90)]
        return (px(x0, y0, x1, y1), *safe)

    def _gizmos(self, st) -> list[tuple[np.ndarray, tuple]]:
        """World segments with colours: the rig, its frustum, the inner frustum on the wall."""
        from previs.view import gizmos as gz

        key = (self.view, st.world_from_camera.tobytes(), st.focal_length_mm,
               None if st.tracked_world_from_camera is None else st.tracked_world_from_camera.tobytes())
        if self._gizmo_cache is not None and self._gizmo_cache[0] == key:
            return self._gizmo_cache[1]
        vol = self.scene.stage
        if self.view == "plan":
            out = [(gz.plan_wedge_segments(st.world_from_camera, st.hfov_deg), gz.BODY_RGB)]
        else:
            out = [(gz.camera_body_segments(st.world_from_camera), gz.BODY_RGB),
                   (gz.frustum_segments(vol, st.world_from_camera, st.yfov_rad, st.image_aspect), gz.FRUSTUM_RGB)]
            if vol is not None and vol.inner_frustum.enabled and st.tracked_world_from_camera is not None:
                out.append((gz.inner_frustum_outline(vol, st.tracked_world_from_camera, st.tracked_yfov_rad,
                                                     st.image_aspect, vol.inner_frustum.overscan_pct), gz.INNER_RGB))
        self._gizmo_cache = (key, out)
        return out

    def _overview_clip(self, view_st, aspect: float) -> np.ndarray:
        from previs.core import transforms as tf

        return tf.perspective(view_st.yfov_rad, aspect, view_st.near_m, view_st.far_m) @ np.linalg.inv(
            view_st.world_from_camera)

    def _plan_clip(self) -> np.ndarray:
        from previs.view.gizmos import plan_clip_from_world

        return plan_clip_from_world(*self._plan[2])

    def _draw_lines(self, segs, clip: np.ndarray, viewport, view_from_world: np.ndarray | None = None,
                    depth_tex=None) -> None:
        """World segments over the picture; with the picture's depth, the parts behind what it
        shows dashed and faint."""
        import moderngl

        data = []
        for s, rgb in segs:
            if len(s) == 0:
                continue
            pts = np.asarray(s, "f4").reshape(-1, 3)
            data.append(np.hstack([pts, np.tile(np.asarray(rgb, "f4"), (len(pts), 1))]))
        if not data:
            return
        arr = np.vstack(data).astype("f4")
        vbo = self.ctx.buffer(arr.tobytes())
        vao = self.ctx.vertex_array(self._line_prog, [(vbo, "3f 3f", "in_pos", "in_col")])
        prog = self._line_prog
        prog["u_clip_from_world"].write(clip.T.astype("f4").tobytes())
        view = np.eye(4) if view_from_world is None else view_from_world
        prog["u_view_from_world"].write(view.T.astype("f4").tobytes())
        prog["u_viewport"].value = tuple(float(v) for v in viewport)
        prog["u_depth_test"].value = depth_tex is not None and view_from_world is not None
        if depth_tex is not None:
            depth_tex.use(1)
        prog["u_depth"].value = 1
        self.ctx.line_width = 1.0
        self.ctx.enable(moderngl.BLEND)
        self.ctx.blend_func = moderngl.SRC_ALPHA, moderngl.ONE_MINUS_SRC_ALPHA
        vao.render(moderngl.LINES)
        self.ctx.disable(moderngl.BLEND)
        vao.release()
        vbo.release()

    def _ensure_plan(self, st) -> None:
        """The plan of this shot (core's plan geometry, drawn as the floor plans draw it), once per
        edit and shot."""
        import moderngl

        from previs.core.plan import plan_geometry
        from previs.export.plan_drawing import PX_PER_M, plan_primitives, png_image

        key = (self.doc.revision, self.shot_id)
        if self._plan is not None and self._plan[0] == key:
            return
        geo = plan_geometry(self.scene, [self.shot_id])
        x0, z0, x1, z1 = geo.bounds_m  # the plan without its title block
        img = png_image(plan_primitives(self.scene, geometry=geo), px_per_m=PX_PER_M)
        crop_h = int(round((z1 - z0) * PX_PER_M))
        img = np.asarray(img)[:crop_h]
        if self._plan is not None:
            self._plan[1].release()
        tex = self.ctx.texture((img.shape[1], img.shape[0]), 3, np.ascontiguousarray(img).tobytes(), alignment=1)
        tex.filter = (moderngl.LINEAR, moderngl.LINEAR)
        self._plan = (key, tex, (float(x0), float(z0), float(x1), z1))

    # ------------------------------------------------------------ checks and autosave
    def _refresh_checks(self, st, moving: bool = False) -> None:
        if self.view != "camera" or self._last_frame is None or self._last_frame.depth_m is None:
            return
        now = self.clock()
        key = (self.doc.revision, st.shot_id, st.frame, st.world_from_camera.tobytes(), st.focal_length_mm,
               st.focus_m, st.t_stop)
        if key == self._checks_key or now - self._checks_at < (CHECK_MOVING_S if moving else CHECK_INTERVAL_S):
            return
        from previs.check import set_solids
        from previs.view.live_checks import check_frame

        if self._solids is None or self._solids[0] is not self.scene.set_pieces:  # a restore can change the set
            self._solids = (self.scene.set_pieces, set_solids(self.scene))
        self._checks = check_frame(self.scene, st, self._last_frame.depth_m, self._solids[1])
        self._checks_key, self._checks_at = key, now

    def _autosave_tick(self) -> None:
        now = self.clock()
        if now - self._autosave_at < self.autosave_s:
            return
        self._autosave_at = now
        # An unkeyed camera goes into the recovery file too: a crash must not lose it either.
        live = ({"shot": self.shot_id, "frame": self.frame, "values": self.rig.key_values()}
                if self.unkeyed_change() else None)
        if (self.doc.revision, live) != (self._autosaved_rev, self._autosaved_live):
            try:  # (undone back to the saved file and no live camera: removes it)
                path = self.doc.autosave(live)
            except PrevisError as exc:  # a full disk must not close the window and lose the work
                self._say(f"autosave failed: {exc}", error=True)
                return
            self._autosaved_rev, self._autosaved_live = self.doc.revision, live
            if path is not None:
                self._say(f"autosaved to {path.name}")

    # ------------------------------------------------------------ panels
    def _build_ui(self, st) -> None:
        from previs.view import panels

        panels.build(self, st)
        self._draw_status_over_picture()

    def _draw_status_over_picture(self) -> None:
        """The latest message over the picture's corner for a few seconds (longer when it is a
        warning), where the eye is: the HUD line can be cut off in a narrow window."""
        from imgui_bundle import imgui

        age_s = self.clock() - self._status_at
        if not self.status or age_s > (STATUS_ERROR_S if self.status_error else STATUS_S):
            return
        x, y, _w, _h = self._image_rect()
        pad = 6.0
        size = imgui.calc_text_size(self.status)
        dl = imgui.get_foreground_draw_list()
        p0 = imgui.ImVec2(x + 8, y + 8)
        dl.add_rect_filled(p0, imgui.ImVec2(p0.x + size.x + 2 * pad, p0.y + size.y + 2 * pad),
                           imgui.get_color_u32(imgui.ImVec4(0.0, 0.0, 0.0, 0.7)), 3.0)
        rgb = (1.0, 0.45, 0.35) if self.status_error else (0.95, 0.95, 0.95)
        dl.add_text(imgui.ImVec2(p0.x + pad, p0.y + pad), imgui.get_color_u32(imgui.ImVec4(*rgb, 1.0)), self.status)
