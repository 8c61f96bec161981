"""``previs view``: the blocking window, put together from its parts.

=====================  =================================================================
:mod:`.session`        the blocking itself, no window: document edits and undo, shot,
                       frame, playback clock, the camera being flown, view, selection,
                       messages, autosave and recovery (tested headless)
:mod:`.input`          keys, mouse and wheel to session operations (bindings: :mod:`.controls`)
:mod:`.window`         the glfw window shell: context, callbacks, events, swap
:mod:`.drawing`        the picture, frame lines, plan page and gizmo lines in the window's GL
:mod:`.panels`         the Dear ImGui panels, over the session's public interface
:mod:`.layout`         where the panels and the picture go
=====================  =================================================================

:class:`ViewerApp` owns one of each and runs the frame (:meth:`ViewerApp.step`): events, held
keys, playback, render if anything changed, panels, swap. Tests and the benchmark call the same
``on_*`` handlers the glfw callbacks call, then ``step``, so a scripted session is a real session.

The picture comes from :class:`previs.api.StageRenderer` (its own EGL context), is uploaded to a
texture in the window's GL context and drawn, with line overlays and Dear ImGui panels on top.
While the picture moves the render width drops to hold the shot's frame rate
(:class:`~previs.view.controls.AdaptiveResolution`); when it stands still one full-width frame is
rendered and then nothing, so an idle window costs nothing.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from previs.errors import PrevisError
from previs.view import layout
from previs.view.controls import AdaptiveResolution
from previs.view.drawing import Drawing
from previs.view.input import InputMapper
from previs.view.live_checks import LiveChecks
from previs.view.panels import Hud, Panels
from previs.view.session import Session
from previs.view.window import Window

REFINE_AFTER_S = 0.12  # rest this long before the full-resolution frame
TRACK_POLL_S = 0.004  # --track: the longest a resting window waits before it polls again


class ViewerApp:
    """The blocking window over one scene file: a :class:`Session` (``session``) shown in a
    :class:`Window` and driven by an :class:`InputMapper`."""

    def __init__(
        self,
        scene_path,
        *,
        size: tuple[int, int] = (1280, 720),
        visible: bool = True,
        shot: str | None = None,
        recover: bool | None = None,
        board_dir="out/view",
        board_width: int = 1920,
        autosave_s: float = 60.0,
        adaptive: bool = True,
        panels: bool = True,
        clock=time.perf_counter,
        track: str | None = None,
    ):
        from imgui_bundle import imgui

        from previs.api import StageRenderer
        from previs.view.imgui_gl import ImGuiRenderer

        # The scene first: a bad file or shot is the user's one-line error, display or not.
        self.session = s = Session(
            scene_path,
            shot=shot,
            recover=recover,
            autosave_s=autosave_s,
            panels=panels,
            clock=clock,
            track=track,
        )
        self.board_dir = Path(board_dir)
        self.board_width = int(board_width)
        self._fb = (int(size[0]), int(size[1]))
        self.window = Window(self._fb, f"previs · {s.path.name}", visible)
        self.ctx = self.window.ctx
        self.gl_renderer = self.window.gl_renderer
        self.drawing = Drawing(self.ctx)
        self._imgui_ctx = imgui.create_context()
        imgui.set_current_context(self._imgui_ctx)  # create_context makes only the first current
        io = imgui.get_io()
        io.set_ini_filename("")
        io.display_size = self._fb
        self.imgui_renderer = ImGuiRenderer(self.ctx)
        self.ui = Panels()
        self.input = InputMapper(
            s, self._imgui_ctx, click=self.pull_focus_at, pick=self.pick_at, floor_at=self.floor_at
        )
        self.window.connect(
            key=self.on_key,
            char=self.on_char,
            mouse_move=self.on_mouse_move,
            mouse_button=self.on_mouse_button,
            scroll=self.on_scroll,
            close=self.on_close,
        )
        s.register_action("capture", self.capture)
        s.register_action("pull_focus", lambda: self.pull_focus_at(*self.input.mouse))
        # The stage renderer makes (and binds around each call) its own EGL context; the window's
        # context is made current again after every call into it.
        self.stage = StageRenderer(s.scene, width=self.image_rect()[2] or 640)
        self.window.make_current()
        self.stage_gl_renderer = self.stage.gl_renderer
        self.checks = LiveChecks()
        self.last_frame = None  # the camera view's last render (colour, depth)
        self.fps = 0.0  # frames rendered per second, for the HUD
        self._render_times: list[float] = []
        self.last_frame_s = 0.0
        self.render_width = 0
        self.frames_rendered = 0
        self._last_key = None
        self._last_width = 0
        self._last_half_lit = False  # the last frame's lights were at half resolution (moving)
        self._still_s = 0.0
        self.adaptive = (
            AdaptiveResolution(full_width=self.image_rect()[2], target_fps=s.rate())
            if adaptive
            else None
        )

    def close(self) -> None:
        from imgui_bundle import imgui

        if getattr(self, "session", None) is not None and self.session.tracker is not None:
            self.session.tracker.stop()
        if getattr(self, "window", None) is None:
            return
        self.window.make_current()
        imgui.set_current_context(self._imgui_ctx)
        self.imgui_renderer.release()
        imgui.destroy_context(self._imgui_ctx)
        self.drawing.release()
        self.stage.release()
        self.window.destroy()
        self.window = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ------------------------------------------------------------ the session, for scripts
    @property
    def clock(self):
        return self.session.clock

    @clock.setter
    def clock(self, clock) -> None:
        self.session.clock = clock

    @property
    def path(self) -> Path:
        return self.session.path

    @property
    def doc(self):
        return self.session.doc

    @property
    def scene(self):
        return self.session.scene

    @property
    def shot(self):
        return self.session.shot

    @property
    def shot_id(self) -> str:
        return self.session.shot_id

    @property
    def frame(self) -> int:
        return self.session.frame

    @property
    def playing(self) -> bool:
        return self.session.playing

    def state(self):
        """What the camera sees now (:meth:`Session.state`)."""
        return self.session.state()

    def do(self, action: str) -> None:
        """Run one bound action by name (:meth:`Session.do`; ``capture`` and ``pull_focus`` too)."""
        self.session.do(action)

    # ------------------------------------------------------------ input (glfw's callbacks)
    def on_key(self, key: int, action: int, mods: int) -> None:
        self.input.on_key(key, action, mods)

    def on_char(self, codepoint: int) -> None:
        self.input.on_char(codepoint)

    def on_mouse_move(self, x: float, y: float) -> None:
        self.input.on_mouse_move(x, y)

    def on_mouse_button(self, button: int, action: int, mods: int) -> None:
        self.input.on_mouse_button(button, action, mods)

    def on_scroll(self, dx: float, dy: float) -> None:
        self.input.on_scroll(dx, dy)

    def on_close(self) -> None:
        """The window's close button: quitting asks first about unsaved work."""
        self.window.keep_open()
        self.session.request_quit()

    # ------------------------------------------------------------ picture
    def image_rect(self) -> tuple[int, int, int, int]:
        """Where the picture goes in the window: (x, y, width, height), y down."""
        s = self.session
        bounds = self.drawing.plan_bounds if s.view == "plan" else None
        aspect = (bounds[2] - bounds[0]) / (bounds[3] - bounds[1]) if bounds else s.picture_aspect()
        return layout.image_rect(self._fb, s.panels, aspect)

    def pull_focus_at(self, x: float, y: float) -> float | None:
        """Focus on what is under window pixel (x, y): the rendered frame's depth there."""
        f = self.last_frame
        rx, ry, rw, rh = self.image_rect()
        if f is None or f.depth_m is None or not (rx <= x < rx + rw and ry <= y < ry + rh):
            return None
        h, w = f.depth_m.shape
        px = min(w - 1, int((x - rx) / rw * w))
        py = min(h - 1, int((y - ry) / rh * h))
        # The nearest surface in a small window: a click on a thin edge still finds the subject.
        win = f.depth_m[max(0, py - 1) : py + 2, max(0, px - 1) : px + 2]
        return self.session.pull_focus(float(np.min(win)))

    def _picture_uv(self, x: float, y: float) -> tuple[float, float] | None:
        rx, ry, rw, rh = self.image_rect()
        if not (rx <= x < rx + rw and ry <= y < ry + rh):
            return None
        return (x - rx) / rw, (y - ry) / rh

    def pick_at(self, x: float, y: float):
        """The scene object under window pixel (x, y): the ID buffer in the camera and stage
        views (StageRenderer.pick, at the window's resolution of the picture), the plan's own
        geometry in the plan. None for nothing."""
        from previs.view import editing

        s = self.session
        uv = self._picture_uv(x, y)
        if uv is None:
            return None
        if s.view == "plan":
            if self.drawing.plan_bounds is None:
                return None
            return editing.plan_pick(
                s.scene,
                s.shot_id,
                *editing.plan_point_m(self.image_rect(), self.drawing.plan_bounds, x, y),
            )
        self._follow_document()
        st = s.view_state(s.state())
        w = self.image_rect()[2]
        size = st.image_size(w)
        ref = self.stage.pick(st, uv[0] * size[0], uv[1] * size[1], width=w)
        self.window.make_current()
        return ref

    def floor_at(self, x: float, y: float, y_m: float = 0.0):
        """The point of the horizontal plane at height ``y_m`` under window pixel (x, y) (the
        plan: the plan point at that height); None off the picture or above the horizon."""
        from previs.view import editing

        s = self.session
        uv = self._picture_uv(x, y)
        if uv is None:
            return None
        if s.view == "plan":
            if self.drawing.plan_bounds is None:
                return None
            xm, zm = editing.plan_point_m(self.image_rect(), self.drawing.plan_bounds, x, y)
            return np.array([xm, y_m, zm])
        st = s.view_state(s.state())
        o, d = editing.pixel_ray(st.world_from_camera, st.yfov_rad, st.image_aspect, *uv)
        return editing.ray_plane_y(o, d, y_m)

    def render(
        self,
        state,
        width: int,
        *,
        overlay: bool,
        read_depth: bool,
        shot_camera: bool = True,
        half_res_lighting: bool = False,
    ):
        """A frame of ``state`` from the stage renderer (previs.render's Frame)."""
        self._follow_document()
        dof = self.session.dof and shot_camera  # not the stage overview
        frame = self.stage.render(
            state,
            overlay=overlay,
            read_depth=read_depth,
            width=int(width),
            dof=dof,
            half_res_lighting=half_res_lighting,
        )
        self.window.make_current()
        return frame

    def _follow_document(self) -> None:
        """After an edit (or a restore) the renderer and the frame rate follow the new scene."""
        s = self.session
        scene = s.scene
        if self.stage.scene is not scene:
            d = s.drag
            if d is not None and d.ref.kind in ("set_piece", "character") and s.dragging_preview:
                # A drag step: the object moves by its transform; the world (shadow maps, the
                # wall's light) is rebuilt once, on the scene after the drag.
                self.stage.show_drag(scene, d.ref.name)
            else:
                self.stage.scene = scene  # shot edits only: the renderer keeps its world
            if self.adaptive is not None:
                self.adaptive.target_fps = self.session.rate()

    def capture(self) -> Path:
        """The current frame as a storyboard panel (PNG with its caption), full resolution."""
        from previs.api import write_storyboard_frame

        s = self.session
        st = s.state()
        frame = self.render(st, self.board_width, overlay=True, read_depth=False, shot_camera=True)
        stem = "".join(c if c.isalnum() or c in "-_." else "_" for c in s.path.stem)
        sid = "".join(c if c.isalnum() or c in "-_." else "_" for c in s.shot_id)
        base = self.board_dir / f"{stem}_{sid}_f{s.frame:04d}"
        path, n = base.with_suffix(".png"), 2
        while path.exists():
            path, n = Path(f"{base}_{n}.png"), n + 1
        write_storyboard_frame(frame, st, s.scene, path)
        self.window.make_current()
        s.say(f"captured {path}")
        return path

    # ------------------------------------------------------------ per frame
    def _render_key(self, st, view_st):
        s = self.session
        return (
            s.view,
            s.scene_key,
            st.shot_id,
            st.frame,
            st.world_from_camera.tobytes(),
            st.focal_length_mm,
            st.focus_m,
            st.t_stop,
            view_st.world_from_camera.tobytes(),
            self.image_rect(),
            s.dof,
        )

    def step(self, dt: float | None = None, *, screenshot: bool = False) -> np.ndarray | None:
        """One frame: events, held keys, playback, render if anything changed, panels, swap.
        ``dt`` fixes the frame's time step (scripts); otherwise the clock decides. With
        ``screenshot`` the window's back buffer is returned (rows top-down, RGB)."""
        from imgui_bundle import imgui

        s = self.session
        imgui.set_current_context(self._imgui_ctx)  # several windows may live in one process
        self.window.make_current()
        dt = s.start_frame(dt)
        t0 = s.last_tick_s
        self.window.poll_events()
        self._fb = self.window.framebuffer_size()
        self.input.apply_held(dt)
        s.advance_playback(dt)
        if s.tracker is not None:  # --track: the tracker has the camera (after the held keys)
            s.tracker.poll()
        try:
            st = s.state()
        except PrevisError as exc:  # a live value the lens refuses: back to the track
            s.say(str(exc), error=True)
            s.rig = None
            st = s.state()
        self._follow_document()
        view_st = s.view_state(st)
        width, render_s, check_s, moving = self._update_picture(st, view_st, dt)
        s.autosave_tick()
        # Draw.
        fw, fh = self._fb
        io = imgui.get_io()
        io.display_size = (fw, fh)
        io.delta_time = max(dt, 1e-4)
        imgui.new_frame()
        self.ui.build(
            s,
            st,
            Hud(
                self.fps,
                self.render_width,
                self.image_rect(),
                self.checks.latest,
                self.checks.blocking,
            ),
        )
        imgui.render()
        self.drawing.clear(self._fb)
        self.drawing.draw(
            s.view,
            s.scene,
            st,
            view_st,
            self.image_rect(),
            fh,
            selection=self._selection_segments(),
            false_colour=s.false_colour,
        )
        self.imgui_renderer.render(imgui.get_draw_data(), (fw, fh))
        shot_img = self.drawing.read_screen(self._fb) if screenshot else None
        self.window.swap()
        self.last_frame_s = s.clock() - t0
        self.fps = self._picture_rate(render_s > 0)
        if render_s > 0 and moving and self.adaptive is not None:
            # (one late frame shows the shot's frame late, not a frame fewer: the next ones
            # catch up in the headroom)
            self.adaptive.report(width, self.last_frame_s - check_s, render_s)
        if self.window.close_requested():
            self.on_close()
        return shot_img

    def _selection_segments(self):
        """The selection's outline (world segments), kept while the scene and selection stay."""
        from previs.view import gizmos

        s = self.session
        key = (s.scene_key, s.selection, s.shot_id)
        if getattr(self, "_sel_cache", (None,))[0] != key:
            obj = s.selected()
            segs = None if obj is None else gizmos.selection_segments(s.selection.kind, obj)
            self._sel_cache = (key, segs)
        return self._sel_cache[1]

    def _update_picture(self, st, view_st, dt: float) -> tuple[int, float, float, bool]:
        """Render and upload the picture if it changed (or rests at a draft width), then refresh
        the live checks. Returns (width, render seconds, check seconds, whether it moves)."""
        s = self.session
        key = self._render_key(st, view_st)
        changed = key != self._last_key
        moving = s.playing or self.input.active or (changed and self._last_key is not None)
        full_w = self.image_rect()[2]
        self._still_s = 0.0 if moving else self._still_s + dt
        width, render_s = full_w, 0.0
        if s.view == "plan":
            self.drawing.ensure_plan(s.scene, s.shot_id, s.scene_key)
            self._last_width = self.render_width = full_w
        else:
            # Still: one full-width frame, every pixel lit, once the picture has rested a moment
            # (a tap on a key should not pay for a full-resolution render between two moves).
            refine = (
                not moving
                and (self._last_width != full_w or self._last_half_lit)
                and (self._still_s >= REFINE_AFTER_S or self.adaptive is None)
            )
            if moving and (changed or refine) and self.adaptive is not None:
                # Asked only for frames that render: its hold counts rendered frames, not the
                # window's wake-ups between two frames of the shot.
                self.adaptive.full_width = full_w
                width = self.adaptive.choose()
            if changed or refine:
                t_r = s.clock()
                # Frame lines: drawn by the window at its own resolution (drawing.py). While it
                # moves, the lights at half resolution: a wider picture at the same rate.
                frame = self.render(
                    view_st,
                    width,
                    overlay=False,
                    read_depth=True,
                    shot_camera=s.view == "camera",
                    half_res_lighting=moving,
                )
                self._last_half_lit = moving
                self.drawing.upload_picture(frame.color)
                if s.view == "camera":
                    self.last_frame = frame
                else:
                    self.drawing.upload_depth(frame.depth_m)
                render_s = s.clock() - t_r
                self.render_width = self._last_width = width
                self.frames_rendered += 1
        self._last_key = key
        t_c = s.clock()
        f = self.last_frame
        if s.view == "camera" and f is not None and f.depth_m is not None:
            self.checks.refresh(s.scene, st, f.depth_m, s.doc.revision, s.clock(), moving)
        return (
            width,
            render_s,
            s.clock() - t_c,
            moving,
        )  # checks: a periodic spike, not a cost of the width

    def _picture_rate(self, rendered: bool) -> float:
        """Frames rendered per second over the last second: the rate the picture moves at (not
        how often a resting window wakes up)."""
        now = self.session.clock()
        if rendered:
            self._render_times.append(now)
        t = [v for v in self._render_times if now - v <= 1.0]
        self._render_times = t
        if len(t) < 2 or now - t[-1] > 0.5:  # at rest: the rate it last moved at
            return self.fps
        return (len(t) - 1) / max(t[-1] - t[0], 1e-6)

    def run(self) -> int:
        """Until the window closes (quitting with unsaved changes asks first)."""
        while not self.session.should_close:
            self.step()
            self.idle()
        return 0

    def idle(self) -> None:
        """Between two steps of the run loop: nothing moves, so wait for an event (waking for
        autosave and checks); playing, wait for the shot's next frame rather than draw the same
        one again (the renderer shares the CPU with the window)."""
        if self.input.active:
            return
        if self.session.tracker is not None:  # poll the tracker often: at most 4 ms late
            self.window.wait_events(TRACK_POLL_S)
            return
        if self.session.playing:
            wait_s = self.session.seconds_to_next_frame()
            if wait_s > 0.002:
                self.window.wait_events(wait_s)
            return
        self.window.wait_events(0.1)
