"""The window's pure logic: the camera rig a DP drives, lens and T-stop stepping, the adaptive
render resolution and the key bindings. No GL and no window here, so it is tested fast.

Angles follow :func:`previs.core.transforms.pan_tilt_roll`: pan about world +Y (positive turns
left), tilt about the panned X (positive up), roll about the lens axis.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from previs.core import transforms as tf
from previs.core.presets import LensKit

TILT_LIMIT_DEG = 89.0
# Full stops (the engraved scale), for stepping the iris a stop at a time.
FULL_STOPS = (0.7, 1.0, 1.4, 2.0, 2.8, 4.0, 5.6, 8.0, 11.0, 16.0, 22.0, 32.0)


@dataclass
class Rig:
    """Where the camera is and what the lens is set to: the values a camera key holds."""

    position_m: np.ndarray
    pan_deg: float = 0.0
    tilt_deg: float = 0.0
    roll_deg: float = 0.0
    focal_length_mm: float = 35.0
    focus_m: float = 3.0
    t_stop: float = 2.8

    @classmethod
    def from_state(cls, state) -> Rig:
        """The rig of a FrameState (pan, tilt and roll recovered from its pose)."""
        pan, tilt, roll = tf.pan_tilt_roll_of(state.world_from_camera)
        return cls(
            np.array(state.world_from_camera[:3, 3], float),
            pan,
            tilt,
            roll,
            float(state.focal_length_mm),
            float(state.focus_m),
            float(state.t_stop),
        )

    def copy(self) -> Rig:
        return replace(self, position_m=np.array(self.position_m, float))

    @property
    def world_from_camera(self) -> np.ndarray:
        return tf.pan_tilt_roll(self.position_m, self.pan_deg, self.tilt_deg, self.roll_deg)

    @property
    def forward(self) -> np.ndarray:
        """The lens axis (unit, world)."""
        return -self.world_from_camera[:3, 2]

    @property
    def forward_flat(self) -> np.ndarray:
        """The lens axis projected on the floor (the way a dolly track runs)."""
        p = math.radians(self.pan_deg)
        return np.array([-math.sin(p), 0.0, -math.cos(p)])

    @property
    def right_flat(self) -> np.ndarray:
        p = math.radians(self.pan_deg)
        return np.array([math.cos(p), 0.0, -math.sin(p)])

    def key_values(self) -> dict:
        """The values :meth:`SceneDocument.set_camera_key` takes (it rounds what it writes)."""
        return {
            "position_m": [float(v) for v in self.position_m],
            "pan_deg": float(self.pan_deg),
            "tilt_deg": float(self.tilt_deg),
            "roll_deg": float(self.roll_deg),
            "focal_length_mm": float(self.focal_length_mm),
            "focus_m": float(self.focus_m),
            "t_stop": float(self.t_stop),
        }

    @classmethod
    def from_key_values(cls, values: dict) -> Rig:
        """The rig :meth:`key_values` describes."""
        return cls(
            np.array(values["position_m"], float),
            *(
                float(values[n])
                for n in ("pan_deg", "tilt_deg", "roll_deg", "focal_length_mm", "focus_m", "t_stop")
            ),
        )

    def same_as(self, other: Rig, tol: float = 1e-6) -> bool:
        return np.allclose(self.position_m, other.position_m, atol=tol) and all(
            abs(getattr(self, n) - getattr(other, n)) <= tol
            for n in ("pan_deg", "tilt_deg", "roll_deg", "focal_length_mm", "focus_m", "t_stop")
        )

    # -- moves (metres and degrees; callers scale by speed and dt)
    def fly(self, forward_m: float = 0.0, right_m: float = 0.0, up_m: float = 0.0) -> None:
        """Move along the lens axis (tilt included), sideways and straight up."""
        self.position_m = (
            self.position_m
            + self.forward * forward_m
            + self.right_flat * right_m
            + np.array([0.0, up_m, 0.0])
        )

    def dolly(self, d_m: float) -> None:
        """Along the floor in the direction the camera is panned (a dolly on its track)."""
        self.position_m = self.position_m + self.forward_flat * d_m

    def truck(self, d_m: float) -> None:
        self.position_m = self.position_m + self.right_flat * d_m

    def pedestal(self, d_m: float) -> None:
        self.position_m = self.position_m + np.array([0.0, d_m, 0.0])

    def pan_tilt(self, d_pan_deg: float = 0.0, d_tilt_deg: float = 0.0) -> None:
        self.pan_deg = (self.pan_deg + d_pan_deg + 180.0) % 360.0 - 180.0
        self.tilt_deg = min(TILT_LIMIT_DEG, max(-TILT_LIMIT_DEG, self.tilt_deg + d_tilt_deg))

    def aim_at(self, target_m) -> None:
        pan, tilt, _ = tf.pan_tilt_roll_of(tf.look_at(self.position_m, target_m))
        self.pan_deg, self.tilt_deg = pan, tilt

    def orbit(
        self,
        target_m,
        d_azimuth_deg: float = 0.0,
        d_elevation_deg: float = 0.0,
        d_distance_m: float = 0.0,
    ) -> None:
        """Arc round a subject (about its vertical axis), crane over it, push towards it; the
        camera stays aimed at it."""
        t = np.asarray(target_m, float)
        v = self.position_m - t
        dist = float(np.linalg.norm(v))
        if dist < 1e-6:
            return
        az = math.atan2(v[0], v[2]) + math.radians(d_azimuth_deg)
        el = math.asin(max(-1.0, min(1.0, v[1] / dist))) + math.radians(d_elevation_deg)
        el = max(math.radians(-80.0), min(math.radians(80.0), el))
        dist = max(0.3, dist + d_distance_m)
        self.position_m = t + dist * np.array(
            [math.cos(el) * math.sin(az), math.sin(el), math.cos(el) * math.cos(az)]
        )
        self.aim_at(t)


# ---------------------------------------------------------------- lens and iris
def kit_stops_mm(kit: LensKit) -> list[float]:
    """The focal lengths the prime keys step through: each prime, and each zoom's two ends."""
    return sorted(set(kit.focal_lengths_mm))


def step_focal_mm(kit: LensKit, focal_mm: float, direction: int) -> float:
    """The next (``direction`` > 0) or previous prime in the kit (zooms: the next range end)."""
    stops = kit_stops_mm(kit)
    if direction > 0:
        bigger = [f for f in stops if f > focal_mm + 1e-6]
        return bigger[0] if bigger else stops[-1]
    smaller = [f for f in stops if f < focal_mm - 1e-6]
    return smaller[-1] if smaller else stops[0]


def zoom_range_mm(kit: LensKit, focal_mm: float) -> tuple[float, float] | None:
    """The range of the zoom that covers ``focal_mm``, or None on a prime."""
    for spec in kit.lenses:
        if spec.is_zoom and spec.focal_min_mm - 1e-6 <= focal_mm <= spec.focal_max_mm + 1e-6:
            return spec.focal_min_mm, spec.focal_max_mm
    return None


def zoom_mm(kit: LensKit, focal_mm: float, factor: float) -> float:
    """Zoom by ``factor`` within the current zoom's range (a prime does not zoom)."""
    rng = zoom_range_mm(kit, focal_mm)
    if rng is None:
        return focal_mm
    return round(min(rng[1], max(rng[0], focal_mm * factor)), 2)


def step_t_stop(t_stop: float, stops: int, widest: float, smallest: float) -> float:
    """``stops`` full stops darker (positive) or brighter, snapping to the engraved scale and
    held to the lens's widest and smallest aperture."""
    t = float(t_stop)
    for _ in range(abs(stops)):
        if stops > 0:
            nxt = [s for s in FULL_STOPS if s > t * 1.02]
            t = nxt[0] if nxt else t
        else:
            nxt = [s for s in FULL_STOPS if s < t / 1.02]
            t = nxt[-1] if nxt else t
    return min(smallest, max(widest, t))


# ---------------------------------------------------------------- adaptive resolution
@dataclass
class AdaptiveResolution:
    """Picks the render width that holds the frame rate while the picture moves.

    A frame costs ``fixed + per_px·w²``: the render grows with its pixels (the height follows the
    image aspect), the rest (panels, upload, swap, events) does not. Both are measured every frame
    (exponential averages); the width is the largest that fits the frame budget, in steps of
    ``step_px`` with some hysteresis so the renderer does not resize its targets every frame.
    Two frames in a row that miss the frame time drop the width at once, whatever the model says
    (it lags when the machine gets slower), and hold it there for a moment.
    When the picture stands still the caller renders once at full width.
    """

    full_width: int
    target_fps: float = 24.0
    min_width: int = 128
    step_px: int = 32
    headroom: float = 0.9  # aim a little under the budget: frame times scatter
    width: int = 0
    render_fixed_s: float = 0.0  # the render's own cost that does not scale with pixels
    per_px_s: float | None = None  # seconds per w² (the height follows the width)
    other_s: float = 0.005  # everything but the render: panels, upload, swap, events
    samples: list = field(default_factory=list)  # (width, render_s) of recent moving frames
    history: list = field(default_factory=list)  # (width, frame_s)
    hold_frames: int = 0  # frames left before the width may grow again after an overrun

    def __post_init__(self) -> None:
        self.width = self.width or self.full_width

    @property
    def budget_s(self) -> float:
        return 1.0 / self.target_fps

    def fit_width(self) -> int:
        """The width the model says fits the budget (before hysteresis)."""
        if self.per_px_s is None:
            return self.width
        avail = max(self.budget_s * self.headroom - self.other_s - self.render_fixed_s, 1e-4)
        w = int(math.sqrt(avail / self.per_px_s) // self.step_px * self.step_px)
        return max(self.min_width, min(self.full_width, w))

    def choose(self) -> int:
        """The width for the next moving frame."""
        w = self.fit_width()
        over = self._overrun_width()
        if over < self.width:
            w = min(w, over)
            self.hold_frames = 12  # the model was wrong here: no growing back for half a second
        elif self.hold_frames > 0:
            self.hold_frames -= 1
            w = min(w, self.width)
        if w < self.width or w - self.width >= 2 * self.step_px or w == self.full_width:
            self.width = w  # drop at once; grow only when clearly affordable
        elif w > self.width and len(self.samples) >= 8:
            # Within the hysteresis band: try one step up now and then, so the model sees more
            # than one width (it needs two to tell the fixed cost from the per-pixel one).
            if len({s[0] for s in self.samples[-8:]}) == 1:
                self.width += self.step_px
        self.width = max(self.min_width, min(self.width, self.full_width))
        return self.width

    def _overrun_width(self) -> int:
        """When the last two frames at this width both missed the frame time itself (the model
        lags: its fit is weighted over many frames, and the machine may have just got slower,
        another process starting), the width that would have fitted them, at once: a missed
        frame is a frame of the shot not shown."""
        recent = self.history[-2:]
        if len(recent) < 2 or any(w != self.width or f <= self.budget_s for w, f in recent):
            return self.width
        frame_s = min(f for _, f in recent)
        goal_s = self.budget_s * self.headroom - self.other_s
        scale = math.sqrt(max(goal_s, 1e-4) / max(frame_s - self.other_s, 1e-4))
        return max(self.min_width, int(self.width * scale) // self.step_px * self.step_px)

    def report(self, width: int, frame_s: float, render_s: float | None = None) -> None:
        """How long a moving frame at ``width`` took in all, and the render's part of it."""
        if render_s is None:
            render_s = max(frame_s - self.other_s, 1e-5)
        self.other_s = 0.8 * self.other_s + 0.2 * max(frame_s - render_s, 0.0)
        self.samples.append((int(width), float(render_s)))
        del self.samples[:-48]
        self.history.append((width, frame_s))
        del self.history[:-240]
        self._fit()

    def _fit(self) -> None:
        """render_s = fixed + per_px·w², least squares over the recent frames (recent weighted
        more). With one width only the fixed part cannot be told apart: the last estimate of it
        is kept (none at first: all per-pixel, the cautious guess) and the rest scales."""
        w = np.array([s[0] for s in self.samples], float) ** 2
        t = np.array([s[1] for s in self.samples], float)
        wt = 0.93 ** np.arange(len(t))[::-1]
        if np.ptp(w) > 0:
            a = np.stack([np.ones_like(w), w], axis=1) * wt[:, None]
            (fixed, per_px), *_ = np.linalg.lstsq(a, t * wt, rcond=None)
            if per_px > 0:
                self.render_fixed_s = float(min(max(fixed, 0.0), t.min()))
                self.per_px_s = float(per_px)
                return
        t_now = float(np.average(t, weights=wt))
        self.render_fixed_s = min(self.render_fixed_s, 0.9 * t_now)
        self.per_px_s = (t_now - self.render_fixed_s) / float(w[-1])


# ---------------------------------------------------------------- key bindings
@dataclass(frozen=True)
class Binding:
    key: str  # glfw key name without KEY_ ("W", "LEFT_BRACKET", "PAGE_UP")
    action: str
    mods: tuple[str, ...] = ()  # any of "shift", "ctrl", "alt"
    held: bool = False  # a continuous action while the key is down (per second)
    help: str = ""


BINDINGS: tuple[Binding, ...] = (
    # views and panels
    Binding("1", "view_camera", help="view through the shot camera"),
    Binding("2", "view_stage", help="stage overview (free camera)"),
    Binding("3", "view_plan", help="top-down plan"),
    Binding("TAB", "toggle_panels", help="show / hide the panels"),
    Binding("H", "toggle_help", help="key help"),
    Binding("V", "toggle_dof", help="depth-of-field preview on / off"),
    # moving the camera (held keys; Shift is faster, Alt slower)
    Binding("W", "fly_forward", held=True, help="fly forward along the lens axis"),
    Binding("S", "fly_back", held=True, help="fly back"),
    Binding("A", "truck_left", held=True, help="truck left (orbit mode: arc left)"),
    Binding("D", "truck_right", held=True, help="truck right (orbit mode: arc right)"),
    Binding("E", "pedestal_up", held=True, help="pedestal up"),
    Binding("Q", "pedestal_down", held=True, help="pedestal down"),
    Binding("R", "dolly_in", held=True, help="dolly in (along the floor)"),
    Binding("F", "dolly_out", held=True, help="dolly out"),
    Binding("LEFT", "pan_left", held=True, help="pan left"),
    Binding("RIGHT", "pan_right", held=True, help="pan right"),
    Binding("UP", "tilt_up", held=True, help="tilt up"),
    Binding("DOWN", "tilt_down", held=True, help="tilt down"),
    Binding("O", "toggle_orbit", help="orbit the subject nearest the lens axis on / off"),
    Binding("BACKSPACE", "revert_camera", help="drop unkeyed camera changes"),
    # lens
    Binding("RIGHT_BRACKET", "next_prime", help="next prime (longer)"),
    Binding("LEFT_BRACKET", "prev_prime", help="previous prime (wider)"),
    Binding("EQUAL", "zoom_in", held=True, help="zoom in (zoom lenses)"),
    Binding("MINUS", "zoom_out", held=True, help="zoom out"),
    Binding("9", "stop_down", help="T-stop one stop darker"),
    Binding("0", "open_up", help="T-stop one stop brighter"),
    Binding("P", "pull_focus", help="pull focus to what is under the cursor (or left-click)"),
    Binding("N", "focus_nearer", held=True, help="focus nearer"),
    Binding("M", "focus_further", held=True, help="focus further"),
    # time
    Binding("SPACE", "play", help="play / pause at the shot's rate"),
    Binding("PERIOD", "next_frame", help="next frame"),
    Binding("COMMA", "prev_frame", help="previous frame"),
    Binding("PERIOD", "next_key", ("shift",), help="next key"),
    Binding("COMMA", "prev_key", ("shift",), help="previous key"),
    Binding("HOME", "first_frame", help="first frame"),
    Binding("END", "last_frame", help="last frame"),
    Binding("PAGE_DOWN", "next_shot", help="next shot"),
    Binding("PAGE_UP", "prev_shot", help="previous shot"),
    Binding("K", "set_key", help="set a camera key at this frame"),
    Binding("K", "delete_key", ("shift",), help="delete the key at this frame"),
    # shots and files
    Binding("N", "new_shot", ("ctrl",), help="new shot from this camera"),
    Binding("D", "duplicate_shot", ("ctrl",), help="duplicate the shot"),
    Binding("F2", "rename_shot", help="rename the shot"),
    Binding("C", "capture", help="capture this frame as a storyboard panel"),
    Binding("S", "save", ("ctrl",), help="save the scene file"),
    Binding("Z", "undo", ("ctrl",), help="undo"),
    Binding("Z", "redo", ("ctrl", "shift"), help="redo"),
    Binding("Y", "redo", ("ctrl",), help="redo"),
    Binding(
        "ESCAPE", "quit", help="stop, deselect, then quit (asks when there are unsaved changes)"
    ),
    # blocking: the selection (click it; drag it on the floor, Ctrl snaps to 5 cm)
    Binding("DELETE", "delete_selected", help="delete the selection"),
    Binding("D", "duplicate_selected", ("ctrl", "shift"), help="duplicate the selection beside it"),
    Binding("UP", "raise_selected", ("ctrl",), help="raise the selection 5 cm"),
    Binding("DOWN", "lower_selected", ("ctrl",), help="lower the selection 5 cm"),
    Binding("LEFT", "turn_left", ("ctrl",), help="turn the selection 15 degrees"),
    Binding("RIGHT", "turn_right", ("ctrl",), help="turn the selection back 15 degrees"),
    Binding("EQUAL", "grow_selected", ("ctrl",), help="scale the set piece up 10 %"),
    Binding("MINUS", "shrink_selected", ("ctrl",), help="scale the set piece down 10 %"),
    Binding("B", "add_box", help="add a box under the cursor"),
    Binding("B", "add_cylinder", ("shift",), help="add a cylinder under the cursor"),
    Binding("B", "add_plane", ("ctrl",), help="add a floor plane under the cursor"),
    Binding("G", "add_character", help="add a character under the cursor"),
    Binding("L", "add_light", help="add a spot light over the cursor, aimed at it"),
    # lights, meter, tape (the panel's Lights and Meter sections)
    Binding("L", "add_fixture", ("shift",), help="add the panel's fixture over the cursor"),
    Binding("T", "aim_at_cursor", help="aim the selected light at the floor under the cursor"),
    Binding("T", "aim_at_subject", ("shift",), help="aim the selected light at the subject"),
    Binding("J", "dim_down", help="dim the selected light 10 %"),
    Binding("J", "dim_up", ("shift",), help="bring the selected light up 10 %"),
    Binding("I", "spot_flood", help="the selected fixture's next setting (spot / flood)"),
    Binding("X", "toggle_false_colour", help="false colour on / off (camera view)"),
    Binding("U", "drop_tape", help="tape measure: drop a point on the floor (two: distance)"),
    Binding(
        "G",
        "toggle_marks",
        ("shift",),
        help="marks: each click on the floor or plan drops the selected character's next mark;"
        " again (or Enter) ends them in a walk at 1.3 m/s from this frame",
    ),
    Binding("ENTER", "end_marks", help="end the marks being dropped: a walk through them"),
)

# With a tracker driving the camera (``view --track``) these are looked up first: R records a
# take (the held dolly on R has nothing to move then: the tracker places the camera).
TRACK_BINDINGS: tuple[Binding, ...] = (
    Binding("R", "track_record", help="tracking: record a take / stop: it becomes shot T<n>"),
    Binding("R", "track_discard", ("shift",), help="tracking: discard the take being recorded"),
)


def lookup(key: str, mods: frozenset[str] | set[str], bindings=BINDINGS) -> Binding | None:
    """The binding for a key press: an exact modifier match first; held keys also fire with
    Shift/Alt (speed modifiers)."""
    mods = frozenset(mods)
    for b in bindings:
        if b.key == key and frozenset(b.mods) == mods:
            return b
    for b in bindings:
        if b.key == key and b.held and not b.mods and mods <= {"shift", "alt"}:
            return b
    return None


def speed_factor(mods) -> float:
    return 4.0 if "shift" in mods else 0.25 if "alt" in mods else 1.0


# Rates of the held actions, per second at speed 1.
MOVE_MPS = 1.2
TURN_DPS = 30.0
ZOOM_PER_S = 1.6
FOCUS_PER_S = 1.5
LOOK_DEG_PER_PX = 0.15
