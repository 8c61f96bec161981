"""Input mapping: glfw keys, mouse and wheel to session operations (:mod:`previs.view.controls`
has the bindings and speeds), with every event forwarded to Dear ImGui first so that its text
fields and buttons take what is theirs. Keys held down move the camera per frame
(:meth:`InputMapper.apply_held`)."""

from __future__ import annotations

import math
from collections.abc import Callable

from previs.errors import PrevisError
from previs.view import controls as ctl
from previs.view.session import Session

REPEATING = ("next_frame", "prev_frame", "undo", "redo")  # actions a held key repeats
LENS_HELD = ("zoom_in", "zoom_out", "focus_nearer", "focus_further")  # held keys on the lens


def _glfw_key_names() -> dict[int, str]:
    import glfw

    return {
        getattr(glfw, n): n[4:] for n in dir(glfw) if n.startswith("KEY_") and n != "KEY_UNKNOWN"
    }


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

    names = {
        "BACKSPACE": "backspace",
        "ENTER": "enter",
        "KP_ENTER": "keypad_enter",
        "ESCAPE": "escape",
        "LEFT": "left_arrow",
        "RIGHT": "right_arrow",
        "UP": "up_arrow",
        "DOWN": "down_arrow",
        "HOME": "home",
        "END": "end",
        "DELETE": "delete",
        "TAB": "tab",
        "LEFT_CONTROL": "left_ctrl",
        "RIGHT_CONTROL": "right_ctrl",
        "LEFT_SHIFT": "left_shift",
        "RIGHT_SHIFT": "right_shift",
    }
    names.update({c: c.lower() for c in "ACVXYZ"})
    return {k: getattr(imgui.Key, v) for k, v in names.items() if hasattr(imgui.Key, v)}


class InputMapper:
    """Key, mouse and wheel events (glfw's codes) onto ``session``; ``imgui_ctx`` gets them
    first. ``click(x, y)`` is called for a left click (not a drag) in the camera view."""

    def __init__(
        self,
        session: Session,
        imgui_ctx,
        click: Callable[[float, float], object],
        pick: Callable[[float, float], object] | None = None,
        floor_at: Callable[[float, float, float], object] | None = None,
    ):
        self.session = session
        self._imgui_ctx = imgui_ctx
        self._click = click
        # Blocking: ``pick(x, y)`` the object under a window pixel (or None); ``floor_at(x, y,
        # y_m)`` the point of the plane at height y_m under it (or None).
        self._pick = pick
        self._floor_at = floor_at
        self.ctrl = False  # Ctrl is down: drags snap to 5 cm
        self._grabbed = False  # the left button went down on an object: the drag moves it
        self._keys = _glfw_key_names()
        self._imkeys = _imgui_keys()
        self.held: dict[str, frozenset] = {}  # action -> modifiers it was pressed with
        self.mouse = (0.0, 0.0)
        self.buttons: set[int] = set()
        self._press_at: tuple[float, float] | None = None
        self._dragged = False

    @property
    def active(self) -> bool:
        """Whether a key or a mouse button is down (the camera may be moving)."""
        return bool(self.held) or bool(self.buttons)

    def _io(self):
        from imgui_bundle import imgui

        imgui.set_current_context(self._imgui_ctx)
        return imgui.get_io()

    # ------------------------------------------------------------ keys
    def on_key(self, key: int, action: int, mods: int) -> None:
        import glfw
        from imgui_bundle import imgui

        io = self._io()
        name = self._keys.get(key)
        m = _mods(mods)
        if name in ("LEFT_CONTROL", "RIGHT_CONTROL"):
            self.ctrl = action != glfw.RELEASE
        else:
            self.ctrl = "ctrl" in m
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
        if self.session.modal is not None:
            self._modal_key(name, io.want_text_input)
            return
        if io.want_text_input:
            return
        b = None
        if name and self.session.tracker is not None:  # --track: R records takes
            b = ctl.lookup(name, m, ctl.TRACK_BINDINGS)
        b = b or (ctl.lookup(name, m) if name else None)
        if b is None:
            return
        if b.held:
            self.held[b.action] = m
        elif action == glfw.PRESS or b.action in REPEATING:
            self.session.do(b.action)

    def on_char(self, codepoint: int) -> None:
        self._io().add_input_character(codepoint)

    def _modal_key(self, name: str | None, typing: bool) -> None:
        """Keyboard answers to the session's questions (so a script can answer them too)."""
        s = self.session
        if s.modal == "quit":
            choice = {
                "S": "save",
                "ENTER": "save",
                "D": "discard",
                "ESCAPE": "cancel",
                "C": "cancel",
            }.get(name)
            if choice:
                s.answer_quit(choice)
        elif s.modal == "recover":
            choice = {"R": "restore", "ENTER": "restore", "D": "discard", "ESCAPE": "later"}.get(
                name
            )
            if choice:
                s.answer_recovery(choice)
        elif s.modal in ("rename", "new_shot"):
            if name == "ESCAPE":
                s.cancel_modal()
            elif name in ("ENTER", "KP_ENTER") and not typing:  # the field submits its own Enter
                s.submit_text_modal()

    # ------------------------------------------------------------ mouse
    def on_mouse_move(self, x: float, y: float) -> None:
        import glfw

        self._io().add_mouse_pos_event(float(x), float(y))
        dx, dy = x - self.mouse[0], y - self.mouse[1]
        self.mouse = (float(x), float(y))
        if (
            self._press_at is not None
            and math.hypot(x - self._press_at[0], y - self._press_at[1]) > 3
        ):
            self._dragged = True
        s = self.session
        if self._floor_at is not None:
            s.cursor_m = self._floor_at(x, y, 0.0)
        if not self.buttons or s.modal is not None:
            return
        if self._grabbed and glfw.MOUSE_BUTTON_LEFT in self.buttons:
            if self._dragged and s.drag is not None:
                p = self._floor_at(x, y, s.drag_plane_y())
                if p is not None:  # (a ray over the horizon leaves it where it was)
                    s.drag_to(p, snap=self.ctrl)
            return
        if s.view == "plan":
            if glfw.MOUSE_BUTTON_RIGHT in self.buttons:
                s.live_rig().pan_tilt(-dx * ctl.LOOK_DEG_PER_PX, 0.0)
            return
        rig = s.moving_rig()
        if glfw.MOUSE_BUTTON_RIGHT in self.buttons:  # look: pan and tilt
            rig.pan_tilt(-dx * ctl.LOOK_DEG_PER_PX, -dy * ctl.LOOK_DEG_PER_PX)
        elif glfw.MOUSE_BUTTON_MIDDLE in self.buttons:  # truck and pedestal
            rig.truck(-dx * 0.01)
            rig.pedestal(dy * 0.01)
        elif glfw.MOUSE_BUTTON_LEFT in self.buttons and self._dragged:
            if s.orbiting():
                rig.orbit(s.orbit_point(), -dx * 0.3, dy * 0.3)
            elif s.view == "stage":
                rig.orbit(rig.position_m + rig.forward * 8.0, -dx * 0.3, dy * 0.3)

    def on_mouse_button(self, button: int, action: int, mods: int) -> None:
        import glfw

        io = self._io()
        io.add_mouse_button_event(button, action == glfw.PRESS)
        if action == glfw.PRESS:
            if io.want_capture_mouse or self.session.modal is not None:
                return
            self.buttons.add(button)
            self._press_at, self._dragged = self.mouse, False
            self.ctrl = bool(mods & glfw.MOD_CONTROL)
            if (
                button == glfw.MOUSE_BUTTON_LEFT
                and not mods & glfw.MOD_ALT
                and self.session.marking is None
            ):
                self._grab(*self.mouse)
        else:
            was = button in self.buttons
            self.buttons.discard(button)
            s = self.session
            if (
                was
                and button == glfw.MOUSE_BUTTON_LEFT
                and s.marking is not None
                and not self._dragged
                and s.view in ("camera", "plan")
            ):
                p = None if self._floor_at is None else self._floor_at(*self.mouse, 0.0)
                if p is not None:  # marks mode: the click drops the next mark there
                    try:
                        s.drop_mark(p)
                    except PrevisError as exc:
                        s.say(str(exc), error=True)
            elif was and button == glfw.MOUSE_BUTTON_LEFT and self._grabbed:
                self._grabbed = False
                s.end_drag()  # one undoable edit, if it moved
            elif (
                was
                and button == glfw.MOUSE_BUTTON_LEFT
                and not self._dragged
                and s.view == "camera"
            ):
                s.selection = None  # a click on nothing (or Alt+click) pulls focus there
                self._click(*self.mouse)
            elif was and button == glfw.MOUSE_BUTTON_LEFT and not self._dragged:
                s.selection = None
            self._press_at = None

    def _grab(self, x: float, y: float) -> None:
        """A left press: select what is under the cursor and get ready to drag it."""
        s = self.session
        self._grabbed = False
        if self._pick is None or (s.view == "camera" and s.orbiting()):
            return
        ref = self._pick(x, y)
        if ref is None:
            return
        self._grabbed = True
        grab = self._floor_at(x, y, s.drag_plane_y(ref))
        if grab is None:
            s.select(ref)
        else:
            s.begin_drag(ref, grab)
        s.say(f"{ref.kind.replace('_', ' ')} {ref.name}")

    def on_scroll(self, dx: float, dy: float) -> None:
        io = self._io()
        io.add_mouse_wheel_event(float(dx), float(dy))
        if io.want_capture_mouse or self.session.modal is not None:
            return
        if self.session.view == "stage":
            self.session.moving_rig().fly(forward_m=0.5 * dy)
        else:
            self.session.live_rig().dolly(0.1 * dy)

    # ------------------------------------------------------------ per frame
    def apply_held(self, dt: float) -> None:
        """Keys held down move the camera by ``dt`` seconds' worth (Shift faster, Alt slower)."""
        s = self.session
        if not self.held or s.modal is not None:
            return
        for action, mods in list(self.held.items()):
            k = ctl.speed_factor(mods) * dt
            move, turn = ctl.MOVE_MPS * k, ctl.TURN_DPS * k
            if action in ("zoom_in", "zoom_out"):
                s.zoom_by(ctl.ZOOM_PER_S ** (k if action == "zoom_in" else -k))
                continue
            if action in ("focus_nearer", "focus_further"):
                s.rack_focus_by(ctl.FOCUS_PER_S ** (k if action == "focus_further" else -k))
                continue
            rig = s.moving_rig()
            if s.orbiting() and action in ("truck_left", "truck_right"):
                rig.orbit(s.orbit_point(), (-1 if action == "truck_right" else 1) * turn)
            elif s.orbiting() and action in ("fly_forward", "fly_back", "dolly_in", "dolly_out"):
                rig.orbit(
                    s.orbit_point(),
                    d_distance_m=-move if action in ("fly_forward", "dolly_in") else move,
                )
            elif action in MOVES:
                MOVES[action](rig, move, turn)


# Held movement keys: what each does to the rig with this frame's (metres, degrees).
MOVES = {
    "fly_forward": lambda r, m, t: r.fly(forward_m=m),
    "fly_back": lambda r, m, t: r.fly(forward_m=-m),
    "truck_left": lambda r, m, t: r.truck(-m),
    "truck_right": lambda r, m, t: r.truck(m),
    "pedestal_up": lambda r, m, t: r.pedestal(m),
    "pedestal_down": lambda r, m, t: r.pedestal(-m),
    "dolly_in": lambda r, m, t: r.dolly(m),
    "dolly_out": lambda r, m, t: r.dolly(-m),
    "pan_left": lambda r, m, t: r.pan_tilt(t, 0.0),
    "pan_right": lambda r, m, t: r.pan_tilt(-t, 0.0),
    "tilt_up": lambda r, m, t: r.pan_tilt(0.0, t),
    "tilt_down": lambda r, m, t: r.pan_tilt(0.0, -t),
}
