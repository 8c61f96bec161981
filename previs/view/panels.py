"""The window's Dear ImGui panels: shot list and properties, lens, live stage checks, the HUD
with the timeline, key help, the modals (recovery, unsaved changes, shot ids) and the latest
message over the picture. They read and change the blocking only through the
:class:`~previs.view.session.Session`'s public interface; what the window alone knows (its
frame rate, the render width, the picture's place, the live checks) comes in a :class:`Hud`."""

from __future__ import annotations

import math
from dataclasses import dataclass

from imgui_bundle import imgui

from previs.core import optics
from previs.errors import PrevisError
from previs.view import controls as ctl
from previs.view.layout import BAR_PX, PANEL_LEFT_PX, PANEL_RIGHT_PX
from previs.view.session import Session

_FIXED = (
    imgui.WindowFlags_.no_move
    | imgui.WindowFlags_.no_resize
    | imgui.WindowFlags_.no_collapse
    | imgui.WindowFlags_.no_saved_settings
)
_BAR = _FIXED | imgui.WindowFlags_.no_title_bar | imgui.WindowFlags_.no_scrollbar
RED = imgui.ImVec4(1.0, 0.35, 0.3, 1.0)
AMBER = imgui.ImVec4(1.0, 0.7, 0.2, 1.0)
GREEN = imgui.ImVec4(0.45, 0.9, 0.45, 1.0)
GREY = imgui.ImVec4(0.65, 0.65, 0.65, 1.0)
SHOTS_SHARE = 0.42  # the left column's top part; the light and meter panel below it
RATING_COLOUR = {"low": GREEN, "medium": AMBER, "high": RED}


@dataclass(frozen=True)
class Hud:
    """What the window tells the panels about its picture this frame."""

    fps: float  # frames rendered per second
    render_width: int  # the last render's width (px)
    image_rect: tuple[int, int, int, int]  # the picture in the window: x, y, width, height (y down)
    checks: object | None  # the camera view's live stage checks (live_checks.FrameCheck)
    blocking: object | None = None  # overlaps and lights in frame (live_checks.BlockingCheck)


class Panels:
    """The panels of one window (a text field's edit in progress is kept between frames)."""

    def __init__(self):
        self._pending_desc: str | None = None
        self._pending_light = None  # a slider's value until it is let go (one undo step)
        self._pending_prop = None  # a property field's value until it is let go
        self._mesh_path = ""  # the mesh file field
        self._meter_cache: tuple = (None, None, None, None)

    def build(self, session: Session, st, hud: Hud) -> None:
        """All panels for this frame (between ImGui's new_frame and render)."""
        w, h = imgui.get_io().display_size
        if session.panels:
            self._shots_panel(session, PANEL_LEFT_PX, (h - BAR_PX) * SHOTS_SHARE)
            self._light_panel(session, st, hud, (h - BAR_PX) * SHOTS_SHARE, h - BAR_PX)
            _lens_panel(session, st, hud, w - PANEL_RIGHT_PX, PANEL_RIGHT_PX, h - BAR_PX)
        _bar(session, st, hud, w, h, BAR_PX)
        if session.show_help:
            _help(w, h)
        _modals(session, w, h)
        _status_over_picture(session, hud.image_rect)
        if session.tracker is not None:
            _tracking_over_picture(session, hud.image_rect)

    def _light_panel(self, session: Session, st, hud: Hud, y0, y1) -> None:
        """Lights (the library picker, the selected light's dimmer, CCT, gel, spot/flood, aim),
        the subject's meter and distances, the tape, the blocking checks, the false-colour
        legend."""
        from previs.core import fixtures as fx
        from previs.view.drawing import FALSE_COLOUR

        imgui.set_next_window_pos(imgui.ImVec2(0, y0))
        imgui.set_next_window_size(imgui.ImVec2(PANEL_LEFT_PX, y1 - y0))
        imgui.begin("Light & meter", None, _FIXED)
        if session.false_colour:  # the legend first: it is what the picture shows now
            imgui.text("false colour (X), stops vs mid-grey")
            for lo, rgb, what in reversed(FALSE_COLOUR):
                imgui.text_colored(imgui.ImVec4(*rgb, 1.0), "##")
                imgui.same_line()
                imgui.text(f"{'< -5' if lo == -math.inf else f'{lo:+g}'}  {what}")
            imgui.separator()
        lib = list(fx.fixtures())
        fid, fset = session.fixture_choice
        changed, i = imgui.combo("fixture", lib.index(fid) if fid in lib else 0, lib)
        if changed:
            session.fixture_choice = fid, fset = lib[i], None
        names = fx.get_fixture(fid).setting_names()
        changed, j = imgui.combo("setting##new", names.index(fset) if fset in names else 0, names)
        if changed:
            session.fixture_choice = (fid, names[j])
        if imgui.button("Add fixture (Shift+L)"):
            session.do("add_fixture")
        obj = session.selected()
        if session.selection is not None and session.selection.kind == "light" and obj:
            self._light_fields(session, obj, fx)
        if obj is not None:
            self._properties(session, obj)
        self._mesh_field(session)
        imgui.separator()
        self._meter(session, st)
        imgui.separator()
        b = hud.blocking
        if b is not None and session.view == "camera":
            for line in b.problems or ["no overlaps, no light stands in frame"]:
                imgui.text_colored(RED if b.problems else GREEN, line)
        imgui.end()

    def _light_fields(self, session: Session, light, fx) -> None:
        imgui.text(f"{light.name}: {light.fixture or light.type}")
        if light.fixture is None:
            imgui.text_colored(GREY, "not a library fixture")
        dim = 100.0 if light.dimmer_pct is None else float(light.dimmer_pct)
        changed, v = imgui.slider_float("dimmer %", dim, 0.0, 100.0, "%.0f %%")
        if changed:
            self._pending_light = ("dimmer_pct", round(v, 1))
        if imgui.is_item_deactivated_after_edit() and self._pending_light:
            _try(session, session.set_light, dimmer_pct=self._pending_light[1])
            self._pending_light = None
        if light.fixture is not None:
            f = fx.get_fixture(light.fixture)
            if not f.fixed_cct:
                k = light.fixture_kelvin or light.kelvin or 5600.0
                changed, v = imgui.slider_float("CCT K", float(k), 2700.0, 10000.0, "%.0f K")
                if changed:
                    self._pending_light = ("kelvin", round(v / 50) * 50)
                if imgui.is_item_deactivated_after_edit() and self._pending_light:
                    _try(session, session.set_light, kelvin=self._pending_light[1])
                    self._pending_light = None
            sets = f.setting_names()
            if len(sets) > 1 and imgui.button(f"{light.setting} -> next (I)"):
                _try(session, session.cycle_setting)
        gels = ["none", *fx.gels()]
        changed, g = imgui.combo("gel", gels.index(light.gel) if light.gel in gels else 0, gels)
        if changed:
            _try(session, session.set_light, gel=None if g == 0 else gels[g])
        if imgui.button("aim at subject (Shift+T)"):
            _try(session, session.aim_selected)
        imgui.same_line()
        imgui.text_colored(GREY, "T: at cursor")

    def _field(self, session: Session, key: str, changed: bool, value) -> None:
        """An input field's value waits until it is let go (Enter, Tab, a click away): then one
        undoable edit of the selection."""
        if changed:
            self._pending_prop = (key, value)
        if imgui.is_item_deactivated_after_edit() and self._pending_prop:
            k, v = self._pending_prop
            self._pending_prop = None
            _try(session, session.set_selected_fields, **{k: v})

    def _properties(self, session: Session, obj) -> None:
        """The selection's exact values: position, turn, scale, colour, height; a light's
        position, aim, intensity and CCT."""
        from previs.view import editing

        ref = session.selection
        imgui.separator()
        imgui.text(f"properties: {ref.kind.replace('_', ' ')} {ref.name}")
        if ref.kind == "mark":
            return
        pos = [float(v) for v in editing.position_m(obj)]
        changed, v = imgui.input_float3("position m", pos, "%.3f")
        self._field(session, "position_m", changed, list(v))
        if ref.kind == "light":
            if getattr(obj, "target_m", None) is not None:
                changed, v = imgui.input_float3("aim at m", [float(x) for x in obj.target_m])
                self._field(session, "target_m", changed, list(v))
            cd = float(getattr(obj, "intensity_cd", 0.0) or 0.0)
            changed, v = imgui.input_float("intensity cd", cd, 100.0, 1000.0, "%.0f")
            self._field(session, "intensity_cd", changed, v)
            k = float(getattr(obj, "kelvin", 5600.0) or 5600.0)
            changed, v = imgui.input_float("CCT K##prop", k, 50.0, 500.0, "%.0f")
            self._field(session, "kelvin", changed, v)
            return
        changed, v = imgui.input_float("turn deg", editing.yaw_deg(obj), 15.0, 45.0, "%.1f")
        self._field(session, "yaw_deg", changed, v)
        if ref.kind == "set_piece":
            changed, v = imgui.input_float("scale x", 1.0, 0.1, 0.5, "%.2f")
            if changed and v > 0:
                self._pending_prop = ("scale", v)
            if imgui.is_item_deactivated_after_edit() and self._pending_prop:
                _try(session, session.scale_selected, self._pending_prop[1])
                self._pending_prop = None
        else:
            h = float(getattr(obj, "height_m", 1.75) or 1.75)
            changed, v = imgui.input_float("height m", h, 0.01, 0.05, "%.2f")
            self._field(session, "height_m", changed, v)
        col = getattr(obj, "color", None)
        text = col if isinstance(col, str) else ""
        changed, v = imgui.input_text("colour", text, imgui.InputTextFlags_.enter_returns_true)
        if changed and v.strip():
            _try(session, session.set_selected_fields, color=v.strip())

    def _mesh_field(self, session: Session) -> None:
        """A mesh file (relative to the scene file's folder) added as a set piece at the cursor."""
        imgui.separator()
        imgui.set_next_item_width(PANEL_LEFT_PX - 120)
        _, self._mesh_path = imgui.input_text("mesh file", self._mesh_path)
        imgui.same_line()
        if imgui.button("Add##mesh") and self._mesh_path.strip():
            _try(session, session.add_mesh, self._mesh_path.strip())

    def _meter(self, session: Session, st) -> None:
        if session.subject is None:
            imgui.text_colored(GREY, "meter: click a character")
            return
        key = (
            session.scene_key,
            session.shot_id,
            session.frame,
            st.t_stop,
            session.subject,
            session.meter_key,
            session.meter_fill,
            session.preview_rev,
            st.world_from_camera.tobytes(),
        )
        if self._meter_cache[0] != key:
            self._meter_cache = (key, session.meter(), session.wall_stops(), session.distances())
        _, r, wall, tp = self._meter_cache
        imgui.text(f"meter: {session.subject}")
        if r is None:
            imgui.text_colored(GREY, "  (no reading)")
        else:
            imgui.text(f"  face {r.lux:.0f} lux")
            if r.t_stop is None:
                imgui.text_colored(RED, "  no light on the face")
            else:
                imgui.text(f"  T{r.t_stop:.1f} at ISO {r.iso:g}, 1/{1 / r.exposure_s:.0f} s")
                imgui.text_colored(
                    GREEN if abs(r.stops) <= 1 else AMBER,
                    f"  {r.stops:+.1f} stops vs T{r.shot_t_stop:.1f}",
                )
            for c in r.contributions:
                why = (
                    f"shadowed by {c.shadowed_by}"
                    if c.shadowed_by
                    else "behind the face"
                    if c.lux <= 0 < c.facing_lux
                    else ""
                )
                imgui.text_colored(GREY, f"    {c.light} {c.lux:.0f} lux {why}")
            lights = ["auto", *(c.light for c in r.contributions)]
            for label, attr in (("key", "meter_key"), ("fill", "meter_fill")):
                cur = getattr(session, attr)
                changed, i = imgui.combo(label, lights.index(cur) if cur in lights else 0, lights)
                if changed:
                    setattr(session, attr, None if i == 0 else lights[i])
            if r.key_fill_stops is not None:
                imgui.text(
                    f"  {r.key}:{r.fill} {r.key_fill_ratio:.1f}:1 ({r.key_fill_stops:.1f} stops)"
                )
        if wall is not None:
            imgui.text(f"  wall {wall:+.1f} stops vs mid-grey")
        if tp is not None:
            imgui.text(f"lens to subject {tp.lens_to_subject_m:.2f} m")
            if tp.subject_to_wall_m is not None:
                imgui.text(f"subject to wall {tp.subject_to_wall_m:.2f} m")
        t = session.tape_m()
        imgui.text(
            f"tape (U): {t:.2f} m"
            if t is not None
            else f"tape (U): {len(session.tape_points)}/2 points"
        )

    def _shots_panel(self, session: Session, width, height) -> None:
        imgui.set_next_window_pos(imgui.ImVec2(0, 0))
        imgui.set_next_window_size(imgui.ImVec2(width, height))
        imgui.begin("Shots", None, _FIXED)
        scene = session.scene
        for shot in scene.shots:
            tag = "" if shot.is_static else "  (moves)"
            clicked, _ = imgui.selectable(
                f"{shot.id}  sc {shot.scene_number}{tag}##shot-{shot.id}",
                shot.id == session.shot_id,
            )
            if clicked and shot.id != session.shot_id:
                session.select_shot(shot.id)
        imgui.separator()
        if imgui.button("New"):
            session.do("new_shot")
        imgui.same_line()
        if imgui.button("Duplicate"):
            session.do("duplicate_shot")
        imgui.same_line()
        if imgui.button("Rename"):
            session.do("rename_shot")
        imgui.same_line()
        if imgui.button("Delete") and len(scene.shots) > 1:
            _try(session, session.delete_shot)
        imgui.separator()
        shot = session.shot
        imgui.text(f"Shot {shot.id}")
        # ImGui keeps the text while the field is active; the edit is committed when it is left.
        changed, desc = imgui.input_text("description", shot.description)
        if changed:
            self._pending_desc = desc
        if imgui.is_item_deactivated_after_edit():
            text = desc if self._pending_desc is None else self._pending_desc
            _try(session, session.set_shot_fields, "description", description=text)
            self._pending_desc = None
        changed, n = imgui.input_int("frames", shot.length_frames, 1, 24)
        if changed and n >= 1:
            _try(session, session.set_shot_fields, "length", length_frames=int(n))
        imgui.text_colored(
            GREY,
            f"{shot.length_frames} fr at {float(scene.frame_rate):g} fps "
            f"= {shot.length_frames / float(scene.frame_rate):.2f} s",
        )
        imgui.text(
            f"moves {len(shot.moves)}  walks {len(shot.walks)}  cues {len(shot.light_cues) + len(shot.wall_cues)}"
        )
        imgui.separator()
        imgui.text("Camera keys")
        keys = session.explicit_key_frames()
        if not keys:
            imgui.text_colored(GREY, "none (K sets one here)")
        for f in keys:
            clicked, _ = imgui.selectable(f"frame {f}##key-{f}", f == session.frame)
            if clicked:
                session.goto(f)
        imgui.end()


def _try(session: Session, fn, *args, **kw) -> None:
    """A refused edit becomes the status line, as it does from a key."""
    try:
        fn(*args, **kw)
    except PrevisError as exc:
        session.say(str(exc), error=True)


def _lens_panel(session: Session, st, hud: Hud, x, width, height) -> None:
    imgui.set_next_window_pos(imgui.ImVec2(x, 0))
    imgui.set_next_window_size(imgui.ImVec2(width, height * 0.48))
    imgui.begin("Lens", None, _FIXED)
    lens = st.lens
    kit = session.lens_kit()
    imgui.text(f"{st.mode.body_name}")
    imgui.text_colored(GREY, f"{st.mode.mode_name}")
    imgui.text(f"{lens.kit_name}")
    stops = ctl.kit_stops_mm(kit)
    if kit.kind == "prime":
        labels = [f"{f:g} mm" for f in stops]
        cur = min(range(len(stops)), key=lambda i: abs(stops[i] - st.focal_length_mm))
        changed, idx = imgui.combo("focal", cur, labels)
        if changed:
            _try(session, session.set_focal, stops[idx])
    else:
        rng = ctl.zoom_range_mm(kit, st.focal_length_mm) or (stops[0], stops[-1])
        changed, f = imgui.slider_float("focal mm", st.focal_length_mm, rng[0], rng[1], "%.1f")
        if changed:
            _try(session, session.set_focal, round(f, 1))
    changed, t = imgui.slider_float(
        "T-stop",
        st.t_stop,
        lens.t_stop_max,
        lens.t_stop_min,
        "T%.1f",
        imgui.SliderFlags_.logarithmic,
    )
    if changed:
        session.set_t_stop(t)
    changed, fm = imgui.drag_float(
        "focus m", st.focus_m, 0.02, lens.close_focus_m, 1000.0, "%.2f m"
    )
    if changed:
        session.set_focus(fm)
    near, far = optics.dof_limits_m(st.focal_length_mm, st.t_stop, st.mode.coc_mm, st.focus_m)
    imgui.text(f"HFOV {st.hfov_deg:.1f}°   ISO {st.iso:g}  {st.shutter_angle_deg:g}°")
    imgui.text(f"DOF {near:.2f} - {'inf' if math.isinf(far) else f'{far:.2f}'} m")
    if session.rig is not None:
        imgui.text_colored(AMBER, "live camera: not keyed (K keys it)")
    imgui.end()
    imgui.set_next_window_pos(imgui.ImVec2(x, height * 0.48))
    imgui.set_next_window_size(imgui.ImVec2(width, height * 0.52))
    imgui.begin("Stage checks (this frame)", None, _FIXED)
    c = hud.checks
    if session.view != "camera":
        imgui.text_colored(GREY, "shown in the camera view (1)")
    elif c is None:
        imgui.text_colored(GREY, "…")
    else:
        imgui.text("moiré risk")
        imgui.same_line()
        imgui.text_colored(RATING_COLOUR[c.moire], c.moire)
        if c.photosites_per_pitch is not None:
            imgui.text_colored(GREY, f"  {c.photosites_per_pitch:.2f} photosites / LED pitch")
            imgui.text_colored(GREY, f"  wall blur {c.blur_in_pitches:.2f} pitches")
        off = 100 * c.shooting_off
        imgui.text("shooting off")
        imgui.same_line()
        imgui.text_colored(RED if off > 0.5 else GREEN, f"{off:.1f} % of frame")
        imgui.text(f"LED in frame {100 * c.led_share:.0f} %")
        imgui.text(
            f"nearest wall {c.nearest_wall_m:.2f} m"
            if math.isfinite(c.nearest_wall_m)
            else "no wall in frame"
        )
        imgui.text(f"steepest view {c.steepest_angle_deg:.0f}°")
        if not c.inside_volume:
            imgui.text_colored(RED, "camera outside the volume")
        if c.inside_piece:
            imgui.text_colored(RED, f"camera inside {c.inside_piece}")
    imgui.end()


def _bar(session: Session, st, hud: Hud, w, h, bar_px) -> None:
    imgui.set_next_window_pos(imgui.ImVec2(0, h - bar_px))
    imgui.set_next_window_size(imgui.ImVec2(w, bar_px))
    imgui.begin("HUD", None, _BAR)
    focus = "inf" if math.isinf(st.focus_m) else f"{st.focus_m:.2f} m"
    dirty = " *" if session.doc.dirty else ""
    view = {"camera": "camera", "stage": "stage overview", "plan": "plan"}[session.view]
    imgui.text(
        f"{st.shot_id}{dirty}  {st.timecode}  fr {st.frame}/{session.shot.length_frames - 1}   "
        f"{st.focal_length_mm:g} mm  T{st.t_stop:g}  focus {focus}   "
        f"{hud.fps:4.1f} fps  {hud.render_width}/{hud.image_rect[2]} px   "  # render/full
        f"{view}{'  PLAY' if session.playing else ''}"
        f"{'  ORBIT' if session.orbit else ''}"
    )
    if session.status:
        imgui.same_line()
        imgui.text_colored(RED if session.status_error else GREY, f"   {session.status}")
    n = session.shot.length_frames
    imgui.set_next_item_width(w - 16)
    changed, f = imgui.slider_int("##timeline", session.frame, 0, max(n - 1, 0), "%d")
    if changed:
        session.play(False)
        session.goto(f)
    # Key ticks over the timeline.
    lo, hi = imgui.get_item_rect_min(), imgui.get_item_rect_max()
    dl = imgui.get_window_draw_list()
    grab = 10.0
    for k in session.key_frames():
        x = lo.x + grab / 2 + (hi.x - lo.x - grab) * (k / max(n - 1, 1))
        dl.add_line(
            imgui.ImVec2(x, lo.y), imgui.ImVec2(x, lo.y + 5), imgui.get_color_u32(AMBER), 2.0
        )
    imgui.end()


def _help(w, h) -> None:
    imgui.set_next_window_pos(imgui.ImVec2(w * 0.5, h * 0.45), 0, imgui.ImVec2(0.5, 0.5))
    imgui.begin(
        "Keys", None, imgui.WindowFlags_.always_auto_resize | imgui.WindowFlags_.no_saved_settings
    )
    for b in ctl.BINDINGS + ctl.TRACK_BINDINGS:
        mods = "+".join(m.capitalize() for m in b.mods)
        key = f"{mods}+{b.key}" if mods else b.key
        imgui.text(f"{key:<18} {b.help}")
    imgui.text(
        "mouse: right-drag look, middle-drag truck/pedestal, wheel dolly, left-click pull focus,"
    )
    imgui.text("       left-drag orbit (orbit mode, stage view)")
    imgui.end()


def _modals(session: Session, w, h) -> None:
    names = {
        "recover": "Recover unsaved work?",
        "quit": "Unsaved changes",
        "rename": "Rename shot",
        "new_shot": "New shot",
    }
    if session.modal is None:
        return
    title = names[session.modal]
    if not imgui.is_popup_open(title):
        imgui.open_popup(title)
    imgui.set_next_window_pos(imgui.ImVec2(w * 0.5, h * 0.4), 0, imgui.ImVec2(0.5, 0.5))
    opened, _ = imgui.begin_popup_modal(title, None, imgui.WindowFlags_.always_auto_resize)
    if not opened:
        return
    if session.modal == "recover":
        imgui.text(f"{session.path.name} has unsaved work from a session that did not end cleanly:")
        imgui.text_colored(GREY, str(session.recovery_offer))
        if imgui.button("Restore (R)"):
            _try(session, session.answer_recovery, "restore")
        imgui.same_line()
        if imgui.button("Discard (D)"):
            _try(session, session.answer_recovery, "discard")
        imgui.same_line()
        if imgui.button("Later (Esc)"):
            session.answer_recovery("later")
    elif session.modal == "quit":
        unkeyed = session.unkeyed_change()
        if session.doc.dirty:
            imgui.text(f"{session.path.name} has unsaved changes.")
        if unkeyed:
            imgui.text(
                f"The camera of {session.shot_id} at frame {session.frame} was moved without a key."
            )
        if imgui.button("Key and save (S)" if unkeyed else "Save (S)"):
            _try(session, session.answer_quit, "save")
        imgui.same_line()
        if imgui.button("Discard (D)"):
            session.answer_quit("discard")
        imgui.same_line()
        if imgui.button("Cancel (Esc)"):
            session.answer_quit("cancel")
    else:
        imgui.text("shot id")
        if imgui.is_window_appearing():
            imgui.set_keyboard_focus_here()
        entered, session.modal_text = imgui.input_text(
            "##shot-id", session.modal_text, imgui.InputTextFlags_.enter_returns_true
        )
        if entered:
            session.submit_text_modal()
        if imgui.button("OK (Enter)"):
            session.submit_text_modal()
        imgui.same_line()
        if imgui.button("Cancel (Esc)"):
            session.cancel_modal()
    if session.modal is None:
        imgui.close_current_popup()
    imgui.end_popup()


def _tracking_over_picture(session: Session, rect) -> None:
    """``--track``: the tracker's HUD line at the picture's foot (red while it is silent), and
    buttons to record, stop or discard a take."""
    t = session.tracker
    x, y, _w, h = rect
    imgui.set_next_window_pos(imgui.ImVec2(x + 8, y + h - 64))
    imgui.begin("Tracking", None, _BAR | imgui.WindowFlags_.always_auto_resize)
    imgui.text_colored(RED if t.silent_s() is not None else GREEN, t.hud_line())
    if imgui.button("Stop and add take (R)" if t.recording else "Record take (R)"):
        session.do("track_record")
    if t.recording:
        imgui.same_line()
        if imgui.button("Discard take (Shift+R)"):
            session.do("track_discard")
    imgui.end()


def _status_over_picture(session: Session, rect) -> None:
    """The latest message over the picture's corner while it is fresh (longer when it is a
    warning), where the eye is: the HUD line can be cut off in a narrow window."""
    text = session.status_shown()
    if text is None:
        return
    x, y, _w, _h = rect
    pad = 6.0
    size = imgui.calc_text_size(text)
    dl = imgui.get_foreground_draw_list()
    p0 = imgui.ImVec2(x + 8, y + 8)
    dl.add_rect_filled(
        p0,
        imgui.ImVec2(p0.x + size.x + 2 * pad, p0.y + size.y + 2 * pad),
        imgui.get_color_u32(imgui.ImVec4(0.0, 0.0, 0.0, 0.7)),
        3.0,
    )
    rgb = (1.0, 0.45, 0.35) if session.status_error else (0.95, 0.95, 0.95)
    dl.add_text(
        imgui.ImVec2(p0.x + pad, p0.y + pad), imgui.get_color_u32(imgui.ImVec4(*rgb, 1.0)), text
    )
