"""Cues: what the lights and the LED wall do over a shot.

A shot's ``cues:`` list holds :class:`LightCue` and :class:`WallCue` entries. Frames are the shot's
own (0 = first frame). Everything here is a pure function of the cue list and the frame, so any
frame can be evaluated on its own, in any order, deterministically.

Fades
    A cue fades each property it names from the value the property had at the cue's
    ``start_frame`` (the light's or environment's base value, changed by every earlier cue) to its
    ``to_...`` target, reaching it at ``end_frame`` and holding it afterwards. The timing is one
    segment of :class:`previs.core.animation.Channel` (``linear | smooth | ease | hold``;
    ``ease`` by default). ``start_frame == end_frame`` is a cut. Cues are applied in order of
    ``start_frame`` (ties: list order); a later cue starts from where earlier ones had got to.

Light intensity
    ``to_intensity_scale`` is a multiplier of the light's base intensity from the scene file
    (0 = off, 1 = as rigged, 2 = one stop up), so a cue means the same for lux, candela or any
    later unit and survives a re-rig of the light.

Colour temperature
    Kelvin fades are interpolated in mired (10⁶/K), not kelvin: equal mired steps are close to
    equal perceived colour changes along the Planckian locus (which is why gels are rated in mired
    shift, CTO ≈ +159 mired). A linear-kelvin fade from 3200 K to 10000 K would sit near neutral
    for most of its length and rush through the warm end; in mired the midpoint is 4848 K. The
    colour is :func:`~previs.core.colour.kelvin_to_linear_rgb` of that kelvin, normalised to
    luminance 1 like every light colour (the scene loader's convention). ``to_color_linear``
    fades linear RGB and renormalises to luminance 1, so a colour fade never changes brightness;
    the light's ``kelvin`` becomes ``None`` once a colour cue has started (it is no longer a
    blackbody). A kelvin fade on a light rigged by RGB (no kelvin) fades the RGB to the target's
    blackbody colour instead.

Effects (``effect:``), active for ``start_frame <= frame < end_frame``, multiply the faded
intensity; every effect is a function of seconds since the cue's start (``(frame - start) / rate``),
so it looks the same at 24 and at 60 fps:

* ``flicker``  (``depth`` 0..1 = 0.3, ``speed_hz`` = 8, ``seed`` = 0): smooth two-octave value noise,
  factor in ``[1 - depth, 1]``: fire, a failing fluorescent.
* ``lightning`` (``flashes`` = 3, ``seed`` = 0, ``peak`` = 4, ``floor`` = 1): the cue's length is cut
  into ``flashes`` equal slots and one flash falls at a seeded time in each; a flash is 2–4 return
  strokes 40–120 ms apart, each a 4 ms rise and an exponential decay (τ 50–110 ms). The factor is
  ``floor`` between flashes and reaches ``peak`` at the brightest stroke (``floor: 0`` for a unit
  that is dark until it fires).
* ``strobe`` (``rate_hz`` = 10, ``duty`` = 0.5, ``off`` = 0): a square wave; each frame shows the
  wave's mean over its own frame interval (a 360° shutter), so the measured duty cycle over any
  whole number of periods is exact and fast strobes do not alias into random patterns.
* ``police`` (``rate_hz`` = 2 cycles/s, ``colors`` = red, blue, ``duty`` = 0.8): the first half of
  each cycle shows the first colour, the second half the second; within each half the light is on
  for ``duty`` of the half, then dark. Colours are linear RGB, normalised to luminance 1.

Wall
    ``velocity_mps`` moves the virtual world past the stage: the world's offset (stage metres)
    grows by ``velocity_mps · (frame - start) / rate`` over the cue and keeps the distance travelled
    afterwards (a car driving towards -Z is ``velocity_mps: [0, 0, +speed]``: the world comes
    towards the camera). Velocities of overlapping cues add. ``to_translation_m`` and
    ``to_rotation_deg`` (x, y, z as :func:`previs.core.transforms.trs`; angles the short way) fade a
    keyed world offset; the velocity displacement adds to the keyed translation. The world then
    sits at ``trs(translation, rotation) @ env.world_from_env`` (rotation about the stage origin).

    Time of day: ``to_sun_azimuth_deg`` / ``to_sun_elevation_deg`` fade the sun directly (azimuth
    the short way); ``to_time_of_day_h`` with ``latitude_deg``, ``day_of_year`` and
    ``north_azimuth_deg`` places the sun with :func:`solar_position`. A fade between two times of
    day moves the sun along its real arc (hours are interpolated, not angles); a time-of-day cue
    from a sky that had no time yet fades azimuth/elevation to the target's sun position.
    ``to_turbidity``, ``to_brightness_nits`` and ``to_cdl`` (an ASC CDL, each number
    interpolated) fade too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from fractions import Fraction

import numpy as np

from previs.core import transforms as tf
from previs.core.animation import INTERPOLATIONS, Channel, key
from previs.core.colour import REC709_LUMA, kelvin_to_linear_rgb, luminance
from previs.core.scene import Environment, Light, Sky
from previs.core.transforms import vec3
from previs.errors import PrevisError, show


class CueError(PrevisError):
    """A cue that cannot be evaluated: an unknown light, effect or parameter, a bad value."""


EFFECTS = ("flicker", "lightning", "strobe", "police")
EFFECT_DEFAULTS: dict[str, dict] = {
    "flicker": {"depth": 0.3, "speed_hz": 8.0, "seed": 0},
    "lightning": {"flashes": 3, "seed": 0, "peak": 4.0, "floor": 1.0},
    "strobe": {"rate_hz": 10.0, "duty": 0.5, "off": 0.0},
    "police": {"rate_hz": 2.0, "colors": ((1.0, 0.0, 0.0), (0.0, 0.0, 1.0)), "duty": 0.8},
}


# ---------------------------------------------------------------- ASC CDL
@dataclass(frozen=True)
class CDL:
    """An ASC CDL (v1.2): per channel ``(in · slope + offset) ^ power``, then saturation."""

    slope: tuple[float, float, float] = (1.0, 1.0, 1.0)
    offset: tuple[float, float, float] = (0.0, 0.0, 0.0)
    power: tuple[float, float, float] = (1.0, 1.0, 1.0)
    saturation: float = 1.0

    def __post_init__(self):
        for name in ("slope", "offset", "power"):
            v = tuple(
                float(x)
                for x in np.broadcast_to(np.asarray(getattr(self, name), dtype=np.float64), (3,))
            )
            object.__setattr__(self, name, v)
        object.__setattr__(self, "saturation", float(self.saturation))
        if min(self.slope) < 0.0 or min(self.power) <= 0.0 or self.saturation < 0.0:
            raise CueError(f"CDL needs slope >= 0, power > 0 and saturation >= 0, got {self}")

    @property
    def is_identity(self) -> bool:
        return self == CDL()

    def as_array(self) -> np.ndarray:
        return np.array([*self.slope, *self.offset, *self.power, self.saturation])

    @staticmethod
    def from_array(a) -> CDL:
        a = np.asarray(a, dtype=np.float64)
        return CDL(tuple(a[0:3]), tuple(a[3:6]), tuple(a[6:9]), float(a[9]))


def as_cdl(value) -> CDL:
    """A CDL from a :class:`CDL`, a mapping (slope/offset/power/saturation) or a 4-sequence."""
    if isinstance(value, CDL):
        return value
    if isinstance(value, dict):
        unknown = set(value) - {"slope", "offset", "power", "saturation"}
        if unknown:
            raise CueError(
                f"unknown CDL field(s) {', '.join(sorted(unknown))} (use slope, offset, power, saturation)"
            )
        return CDL(**value)
    try:
        slope, offset, power, sat = value
    except (TypeError, ValueError):
        raise CueError(
            f"a CDL is (slope rgb, offset rgb, power rgb, saturation), got {show(value)}"
        ) from None
    return CDL(slope, offset, power, sat)


def apply_cdl(rgb, cdl: CDL, clamp: bool = True) -> np.ndarray:
    """Apply an ASC CDL to ``[..., 3]`` RGB (vectorised).

    ``out = clamp(in · slope + offset) ^ power``; then ``L = Rec.709 luma(out)``,
    ``out = clamp(L + sat · (out − L))``. ``clamp`` clamps to [0, 1] after SOP and after saturation
    (ASC v1.2 / OCIO "Fwd"); ``clamp=False`` (OCIO "noClamp") keeps values above 1 and passes
    negatives through the power unchanged. The identity CDL returns the input untouched (no clamp),
    so an uncorrected wall is never altered.
    """
    cdl = as_cdl(cdl)
    a = np.asarray(rgb, dtype=np.float64)
    if a.shape[-1:] != (3,):
        raise CueError(f"apply_cdl needs RGB triples, got shape {a.shape}")
    if cdl.is_identity:
        return a
    x = a * np.asarray(cdl.slope) + np.asarray(cdl.offset)
    power = np.asarray(cdl.power)
    if clamp:
        x = np.power(np.clip(x, 0.0, 1.0), power)
    else:
        x = np.where(x > 0.0, np.power(np.maximum(x, 0.0), power), x)
    luma = (x @ REC709_LUMA)[..., None]
    x = luma + cdl.saturation * (x - luma)
    return np.clip(x, 0.0, 1.0) if clamp else x


# ---------------------------------------------------------------- cues
def _check_interp(interp: str):
    if interp not in INTERPOLATIONS:
        raise CueError(
            f"unknown cue interpolation '{interp}' (use one of: {', '.join(INTERPOLATIONS)})"
        )


def _check_frames(start: int, end: int, what: str):
    if int(start) != start or int(end) != end:
        raise CueError(f"{what}: frames must be whole numbers, got {start}..{end}")
    if start < 0 or end < start:
        raise CueError(f"{what}: needs 0 <= start_frame <= end_frame, got {start}..{end}")


def _rgb3(v, what: str) -> tuple[float, float, float]:
    a = np.asarray(v, dtype=np.float64)
    if a.shape != (3,) or not np.all(np.isfinite(a)) or np.any(a < 0.0) or not a.any():
        raise CueError(f"{what}: needs a non-negative, non-black linear RGB triple, got {show(v)}")
    return vec3(a)


def _unit_luminance(rgb) -> np.ndarray:
    a = np.asarray(rgb, dtype=np.float64)
    y = luminance(a)
    if y <= 0.0:
        raise CueError(f"colour {tuple(a)} has no luminance")
    return a / y


@dataclass(frozen=True)
class LightCue:
    """A fade and/or an effect on one light. See the module notes for the meaning of each field."""

    light: str
    start_frame: int
    end_frame: int
    to_intensity_scale: float | None = None
    to_kelvin: float | None = None
    to_color_linear: tuple[float, float, float] | None = None
    interp: str = "ease"
    effect: str | None = None
    params: dict = field(default_factory=dict)

    def __post_init__(self):
        what = f"light cue on '{self.light}'"
        _check_frames(self.start_frame, self.end_frame, what)
        _check_interp(self.interp)
        if self.to_intensity_scale is not None and not self.to_intensity_scale >= 0.0:
            raise CueError(
                f"{what}: to_intensity_scale must be >= 0, got {self.to_intensity_scale}"
            )
        if self.to_kelvin is not None and self.to_color_linear is not None:
            raise CueError(f"{what}: give to_kelvin or to_color_linear, not both")
        if self.to_kelvin is not None:
            kelvin_to_linear_rgb(self.to_kelvin)  # range check
        if self.to_color_linear is not None:
            object.__setattr__(self, "to_color_linear", _rgb3(self.to_color_linear, what))
        if self.effect is None:
            if self.params:
                raise CueError(f"{what}: params given without an effect")
            if (
                self.to_intensity_scale is None
                and self.to_kelvin is None
                and self.to_color_linear is None
            ):
                raise CueError(
                    f"{what}: does nothing (give to_intensity_scale, to_kelvin, to_color_linear or effect)"
                )
            return
        if self.effect not in EFFECTS:
            raise CueError(
                f"{what}: unknown effect '{self.effect}' (use one of: {', '.join(EFFECTS)})"
            )
        unknown = set(self.params) - set(EFFECT_DEFAULTS[self.effect])
        if unknown:
            raise CueError(
                f"{what}: unknown {self.effect} parameter(s) {', '.join(sorted(unknown))} "
                f"(use: {', '.join(EFFECT_DEFAULTS[self.effect])})"
            )
        p = self.effect_params
        if self.effect == "flicker" and not (0.0 <= p["depth"] <= 1.0 and p["speed_hz"] > 0.0):
            raise CueError(f"{what}: flicker needs 0 <= depth <= 1 and speed_hz > 0")
        if self.effect == "lightning" and not (
            int(p["flashes"]) >= 1 and p["peak"] >= 0.0 and p["floor"] >= 0.0
        ):
            raise CueError(f"{what}: lightning needs flashes >= 1, peak >= 0 and floor >= 0")
        if self.effect in ("strobe", "police") and not (
            p["rate_hz"] > 0.0 and 0.0 <= p["duty"] <= 1.0
        ):
            raise CueError(f"{what}: {self.effect} needs rate_hz > 0 and 0 <= duty <= 1")
        if self.effect == "police":
            cols = p["colors"]
            if len(cols) < 2:
                raise CueError(f"{what}: police needs at least two colors")
            for c in cols:
                _rgb3(c, what)
        if self.effect in ("lightning",) and self.end_frame == self.start_frame:
            raise CueError(f"{what}: lightning needs end_frame > start_frame")

    @property
    def effect_params(self) -> dict:
        return {**EFFECT_DEFAULTS[self.effect], **self.params} if self.effect else {}

    @property
    def has_fade(self) -> bool:
        return (
            self.to_intensity_scale is not None
            or self.to_kelvin is not None
            or self.to_color_linear is not None
        )


@dataclass(frozen=True)
class WallCue:
    """A change to what the wall shows. See the module notes for the meaning of each field."""

    start_frame: int
    end_frame: int
    interp: str = "ease"
    velocity_mps: tuple[float, float, float] | None = None
    to_translation_m: tuple[float, float, float] | None = None
    to_rotation_deg: tuple[float, float, float] | None = None
    to_sun_azimuth_deg: float | None = None
    to_sun_elevation_deg: float | None = None
    to_time_of_day_h: float | None = None
    latitude_deg: float = 34.05  # Los Angeles
    day_of_year: int = 172  # the June solstice
    north_azimuth_deg: float = 0.0  # scene azimuth (0 = +Z, 90 = +X) of geographic north
    to_turbidity: float | None = None
    to_brightness_nits: float | None = None
    to_cdl: CDL | None = None

    def __post_init__(self):
        what = f"wall cue {self.start_frame}..{self.end_frame}"
        _check_frames(self.start_frame, self.end_frame, what)
        _check_interp(self.interp)
        for name in ("velocity_mps", "to_translation_m", "to_rotation_deg"):
            v = getattr(self, name)
            if v is not None:
                a = np.asarray(v, dtype=np.float64)
                if a.shape != (3,) or not np.all(np.isfinite(a)):
                    raise CueError(f"{what}: {name} needs three numbers, got {show(v)}")
                object.__setattr__(self, name, tuple(float(x) for x in a))
        if self.to_time_of_day_h is not None:
            if self.to_sun_azimuth_deg is not None or self.to_sun_elevation_deg is not None:
                raise CueError(
                    f"{what}: give to_time_of_day_h or to_sun_azimuth_deg/elevation, not both"
                )
            if not 0.0 <= self.to_time_of_day_h <= 24.0:
                raise CueError(
                    f"{what}: to_time_of_day_h must be within 0..24, got {self.to_time_of_day_h}"
                )
            if not -90.0 <= self.latitude_deg <= 90.0:
                raise CueError(
                    f"{what}: latitude_deg must be within -90..90, got {self.latitude_deg}"
                )
        if self.to_sun_elevation_deg is not None and not -90.0 <= self.to_sun_elevation_deg <= 90.0:
            raise CueError(f"{what}: to_sun_elevation_deg must be within -90..90")
        if self.to_turbidity is not None and not self.to_turbidity >= 1.0:
            raise CueError(f"{what}: to_turbidity must be >= 1, got {self.to_turbidity}")
        if self.to_brightness_nits is not None and not self.to_brightness_nits >= 0.0:
            raise CueError(
                f"{what}: to_brightness_nits must be >= 0, got {self.to_brightness_nits}"
            )
        if self.to_cdl is not None:
            object.__setattr__(self, "to_cdl", as_cdl(self.to_cdl))
        if self.velocity_mps is not None and self.end_frame == self.start_frame:
            raise CueError(f"{what}: a velocity cue needs end_frame > start_frame")
        fields = (
            "velocity_mps",
            "to_translation_m",
            "to_rotation_deg",
            "to_sun_azimuth_deg",
            "to_sun_elevation_deg",
            "to_time_of_day_h",
            "to_turbidity",
            "to_brightness_nits",
            "to_cdl",
        )
        if all(getattr(self, f) is None for f in fields):
            raise CueError(f"{what}: does nothing (give one of: {', '.join(fields)})")


# ---------------------------------------------------------------- fades
def _fade(start: int, end: int, interp: str, frm, to, frame: float) -> np.ndarray:
    """The value of a one-segment fade ``frm -> to`` over ``start..end`` at ``frame``."""
    frm = np.atleast_1d(np.asarray(frm, dtype=np.float64))
    to = np.atleast_1d(np.asarray(to, dtype=np.float64))
    if frame >= end:
        return to
    if frame <= start:
        return frm
    ch = Channel("cue", (key(start, frm, interp), key(end, to, "linear")))
    return np.asarray(ch.evaluate_many([frame])[0])


def _fraction(start: int, end: int, interp: str, frame: float) -> float:
    """0 at the start of a fade, 1 at its end, with the fade's timing."""
    return float(_fade(start, end, interp, 0.0, 1.0, frame)[0])


def _ordered(cues):
    return [c for _, c in sorted(enumerate(cues), key=lambda ic: (ic[1].start_frame, ic[0]))]


def _seconds(frames: float, frame_rate) -> float:
    rate = float(Fraction(frame_rate)) if not isinstance(frame_rate, float) else frame_rate
    if not rate > 0.0:
        raise CueError(f"frame rate must be positive, got {frame_rate}")
    return frames / rate


# ---------------------------------------------------------------- effects
def _hash01(seed: int, i) -> np.ndarray:
    """A uniform [0, 1) number per (seed, integer i): splitmix64, so any lattice point is random access."""
    with np.errstate(over="ignore"):
        z = np.asarray(i, dtype=np.int64).astype(np.uint64) + np.uint64(
            (int(seed) * 0x9E3779B97F4A7C15 + 0x632BE59BD9B4E019) & 0xFFFFFFFFFFFFFFFF
        )
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def _value_noise(t: float, seed: int) -> float:
    """Smooth 1-D value noise in [0, 1] with one lattice point per unit of ``t``."""
    i = math.floor(t)
    f = t - i
    a, b = _hash01(seed, [i, i + 1])
    s = f * f * (3.0 - 2.0 * f)
    return float(a + (b - a) * s)


def flicker_factor(t_s: float, depth: float, speed_hz: float, seed: int) -> float:
    """Intensity multiplier in ``[1 - depth, 1]``: two octaves of value noise, mostly near full
    with deeper, shorter dips (the noise is squared so dips are the exception)."""
    n = (
        2.0 * _value_noise(t_s * speed_hz, seed)
        + _value_noise(t_s * speed_hz * 2.7 + 17.0, seed + 1)
    ) / 3.0
    return 1.0 - depth * n * n


def lightning_strokes(
    duration_s: float, flashes: int, seed: int
) -> list[tuple[float, float, float]]:
    """(time s, amplitude 0..1, decay τ s) of every return stroke of every flash, deterministic per seed."""
    flashes = int(flashes)
    slot = duration_s / flashes
    strokes = []
    for k in range(flashes):
        base = 1000 * k
        r = _hash01(seed, np.arange(base, base + 16))
        n_strokes = 2 + int(r[0] * 3)  # 2..4
        span = 0.12 * n_strokes  # a flash lasts up to ~0.5 s
        t0 = k * slot + r[1] * max(slot - span, 0.0)
        t = t0
        for s in range(n_strokes):
            amp = 1.0 if s == 0 else 0.45 + 0.55 * r[2 + s]
            tau = 0.05 + 0.06 * r[6 + s]
            strokes.append((t, amp, tau))
            t += 0.04 + 0.08 * r[10 + s]
    return strokes


def lightning_envelope(t_s: float, strokes) -> float:
    """0..1: each stroke rises in 4 ms and decays exponentially; overlapping strokes take the max."""
    attack = 0.004
    v = 0.0
    for ts, amp, tau in strokes:
        dt = t_s - ts
        if dt < 0.0:
            continue
        if dt > attack + 8.0 * tau:  # below 1/3000 of the stroke: gone
            continue
        e = dt / attack if dt < attack else math.exp(-(dt - attack) / tau)
        v = max(v, amp * e)
    return v


def strobe_factor(t_s: float, dt_s: float, rate_hz: float, duty: float, off: float = 0.0) -> float:
    """The square wave's mean over ``[t, t + dt)`` (on for the first ``duty`` of each period)."""

    def on_time(t):  # integral of the on-indicator from 0 to t, in periods
        p = t * rate_hz
        n = math.floor(p)
        return n * duty + min(p - n, duty)

    if dt_s <= 0.0:
        p = t_s * rate_hz
        frac = 1.0 if p - math.floor(p) < duty else 0.0
    else:
        frac = min(1.0, max(0.0, (on_time(t_s + dt_s) - on_time(t_s)) / (dt_s * rate_hz)))
    return off + (1.0 - off) * frac


def police_state(t_s: float, rate_hz: float, colors, duty: float) -> tuple[np.ndarray, float]:
    """(colour with luminance 1, intensity factor 0/1) of a light bar at ``t_s``."""
    phase = t_s * rate_hz
    n = len(colors)
    slot = (phase - math.floor(phase)) * n
    idx = int(slot) % n
    on = 1.0 if slot - math.floor(slot) < duty else 0.0
    return _unit_luminance(colors[idx]), on


# ---------------------------------------------------------------- lights
@dataclass
class _LightState:
    scale: float
    kelvin: float | None
    color: np.ndarray


def _light_state(light: Light, cues: list[LightCue], frame: float) -> _LightState:
    """The faded (effect-free) state at ``frame`` given ordered cues: each cue's starting state is
    found once, in order (O(n²) in the number of cues, never exponential)."""
    froms: list[_LightState] = []
    for c in cues:
        froms.append(_light_eval(light, cues, froms, c.start_frame))
    return _light_eval(light, cues, froms, frame)


def _light_eval(
    light: Light, cues: list[LightCue], froms: list[_LightState], frame: float
) -> _LightState:
    """The state at ``frame`` from the first ``len(froms)`` cues, whose starting states are ``froms``."""
    st = _LightState(1.0, light.kelvin, np.asarray(light.color_linear, dtype=np.float64))
    for c, frm in zip(cues, froms, strict=False):
        if c.start_frame > frame or not c.has_fade:
            continue
        if c.to_intensity_scale is not None:
            st.scale = float(
                _fade(c.start_frame, c.end_frame, c.interp, frm.scale, c.to_intensity_scale, frame)[
                    0
                ]
            )
        if c.to_kelvin is not None:
            target = _unit_luminance(kelvin_to_linear_rgb(c.to_kelvin))
            if frm.kelvin is not None:
                mired = _fade(
                    c.start_frame, c.end_frame, c.interp, 1e6 / frm.kelvin, 1e6 / c.to_kelvin, frame
                )[0]
                st.kelvin = float(1e6 / mired)
                st.color = _unit_luminance(kelvin_to_linear_rgb(st.kelvin))
            else:
                st.color = _unit_luminance(
                    _fade(c.start_frame, c.end_frame, c.interp, frm.color, target, frame)
                )
                st.kelvin = float(c.to_kelvin) if frame >= c.end_frame else None
        if c.to_color_linear is not None:
            st.color = _unit_luminance(
                _fade(
                    c.start_frame,
                    c.end_frame,
                    c.interp,
                    frm.color,
                    _unit_luminance(c.to_color_linear),
                    frame,
                )
            )
            st.kelvin = None
    return st


def light_at(light: Light, cues, frame: int, frame_rate) -> Light:
    """``light`` at ``frame`` of its shot: the cues naming it applied (others are ignored; use
    :func:`lights_at` or :func:`check_light_cues` to catch cues naming no light)."""
    mine = _ordered([c for c in cues if isinstance(c, LightCue) and c.light == light.name])
    if not mine:
        return light
    st = _light_state(light, mine, frame)
    intensity = light.intensity * st.scale
    color = st.color
    kelvin = st.kelvin
    for c in mine:
        if c.effect is None or not (c.start_frame <= frame < c.end_frame):
            continue
        p = c.effect_params
        t = _seconds(frame - c.start_frame, frame_rate)
        if c.effect == "flicker":
            intensity *= flicker_factor(t, p["depth"], p["speed_hz"], int(p["seed"]))
        elif c.effect == "lightning":
            strokes = lightning_strokes(
                _seconds(c.end_frame - c.start_frame, frame_rate), p["flashes"], int(p["seed"])
            )
            env = lightning_envelope(t, strokes)
            intensity *= p["floor"] + (p["peak"] - p["floor"]) * env
        elif c.effect == "strobe":
            intensity *= strobe_factor(
                t, _seconds(1.0, frame_rate), p["rate_hz"], p["duty"], p["off"]
            )
        elif c.effect == "police":
            color, on = police_state(t, p["rate_hz"], p["colors"], p["duty"])
            intensity *= on
            kelvin = None
    return replace(light, intensity=float(intensity), color_linear=vec3(color), kelvin=kelvin)


def check_light_cues(lights, cues) -> None:
    """Raise :class:`CueError` for a light cue naming no light (the message lists the lights)."""
    names = {li.name for li in lights}
    for c in cues:
        if isinstance(c, LightCue) and c.light not in names:
            known = ", ".join(sorted(names)) or "none"
            raise CueError(f"cue names unknown light '{c.light}' (lights: {known})")


def lights_at(lights, cues, frame: int, frame_rate) -> tuple[Light, ...]:
    check_light_cues(lights, cues)
    return tuple(light_at(li, cues, frame, frame_rate) for li in lights)


# ---------------------------------------------------------------- the sun
def solar_declination_deg(day_of_year: float) -> float:
    """Cooper's approximation: ``δ = −23.44° · cos(360°/365 · (N + 10))``."""
    return -23.44 * math.cos(math.radians(360.0 / 365.0 * (day_of_year + 10.0)))


def solar_position(
    time_of_day_h: float,
    latitude_deg: float,
    day_of_year: float = 172,
    north_azimuth_deg: float = 0.0,
) -> tuple[float, float]:
    """(scene azimuth deg, elevation deg) of the sun at local *solar* time (no equation of time,
    no refraction; good to about a degree).

    Hour angle ``H = 15° · (t − 12)``, declination δ (:func:`solar_declination_deg`), latitude φ:
    ``sin e = sin φ sin δ + cos φ cos δ cos H``; compass azimuth (from north through east)
    ``A = atan2(−sin H cos δ, cos φ sin δ − sin φ cos δ cos H)``. The scene azimuth is
    ``north_azimuth_deg + A`` (Sky convention: 0 = +Z, 90 = +X).
    """
    h = math.radians(15.0 * (time_of_day_h - 12.0))
    d = math.radians(solar_declination_deg(day_of_year))
    p = math.radians(latitude_deg)
    el = math.degrees(
        math.asin(
            max(-1.0, min(1.0, math.sin(p) * math.sin(d) + math.cos(p) * math.cos(d) * math.cos(h)))
        )
    )
    az = math.degrees(
        math.atan2(
            -math.sin(h) * math.cos(d),
            math.cos(p) * math.sin(d) - math.sin(p) * math.cos(d) * math.cos(h),
        )
    )
    return (north_azimuth_deg + az) % 360.0, el


# ---------------------------------------------------------------- the wall
@dataclass(frozen=True)
class WallState:
    """What the wall shows at one frame."""

    world_from_env: np.ndarray
    sun_azimuth_deg: float | None
    sun_elevation_deg: float | None
    turbidity: float | None
    brightness_nits: float
    cdl: CDL
    time_of_day_h: float | None = None
    world_offset_m: tuple[float, float, float] = (0.0, 0.0, 0.0)

    @property
    def sky(self) -> Sky | None:
        if self.sun_azimuth_deg is None or self.sun_elevation_deg is None or self.turbidity is None:
            return None  # no sky (all three are set together, from the scene's sky)
        return Sky(self.sun_azimuth_deg, self.sun_elevation_deg, self.turbidity)


@dataclass
class _WallFades:
    translation: np.ndarray
    rotation: np.ndarray
    azimuth: float | None
    elevation: float | None
    time_h: float | None
    site: tuple | None  # (latitude, day, north) of the time of day
    turbidity: float | None
    nits: float
    cdl: np.ndarray


def _wall_fades(env: Environment, cues: list[WallCue], frame: float) -> _WallFades:
    """The faded wall at ``frame`` given ordered cues (each cue's starting state found once)."""
    froms: list[_WallFades] = []
    for c in cues:
        froms.append(_wall_eval(env, cues, froms, c.start_frame))
    return _wall_eval(env, cues, froms, frame)


def _wall_eval(
    env: Environment, cues: list[WallCue], froms: list[_WallFades], frame: float
) -> _WallFades:
    sky = env.sky
    st = _WallFades(
        np.zeros(3),
        np.zeros(3),
        sky.sun_azimuth_deg if sky else None,
        sky.sun_elevation_deg if sky else None,
        None,
        None,
        sky.turbidity if sky else None,
        float(env.wall_brightness_nits),
        CDL().as_array(),
    )
    for c, frm in zip(cues, froms, strict=False):
        if c.start_frame > frame:
            continue

        def fade(a, b, angular=False, c=c):
            if angular:  # the short way round
                b = a + ((b - a + 180.0) % 360.0 - 180.0)
            return _fade(c.start_frame, c.end_frame, c.interp, a, b, frame)

        if c.to_translation_m is not None:
            st.translation = fade(frm.translation, c.to_translation_m)
        if c.to_rotation_deg is not None:
            st.rotation = fade(frm.rotation, np.asarray(c.to_rotation_deg), angular=True)
        sky0 = Sky()
        az0 = frm.azimuth if frm.azimuth is not None else sky0.sun_azimuth_deg
        el0 = frm.elevation if frm.elevation is not None else sky0.sun_elevation_deg
        if c.to_time_of_day_h is not None:
            site = (c.latitude_deg, c.day_of_year, c.north_azimuth_deg)
            if frm.time_h is not None and frm.site == site:
                st.time_h = float(fade(frm.time_h, c.to_time_of_day_h)[0])
                st.azimuth, st.elevation = solar_position(st.time_h, *site)
            else:
                az1, el1 = solar_position(c.to_time_of_day_h, *site)
                st.azimuth = float(fade(az0, az1, angular=True)[0]) % 360.0
                st.elevation = float(fade(el0, el1)[0])
                st.time_h = float(c.to_time_of_day_h) if frame >= c.end_frame else None
            st.site = site
        if c.to_sun_azimuth_deg is not None:
            st.azimuth = float(fade(az0, c.to_sun_azimuth_deg, angular=True)[0]) % 360.0
            st.time_h = None
        if c.to_sun_elevation_deg is not None:
            st.elevation = float(fade(el0, c.to_sun_elevation_deg)[0])
            st.time_h = None
        if st.azimuth is not None and st.elevation is None:
            st.elevation = el0
        if st.elevation is not None and st.azimuth is None:
            st.azimuth = az0
        if st.azimuth is not None and st.turbidity is None:
            st.turbidity = sky0.turbidity
        if c.to_turbidity is not None:
            t0 = frm.turbidity if frm.turbidity is not None else sky0.turbidity
            st.turbidity = float(fade(t0, c.to_turbidity)[0])
        if c.to_brightness_nits is not None:
            st.nits = float(fade(frm.nits, c.to_brightness_nits)[0])
        if c.to_cdl is not None:
            st.cdl = fade(frm.cdl, c.to_cdl.as_array())
    return st


def world_displacement_m(cues, frame: int, frame_rate) -> np.ndarray:
    """The distance the world has travelled under the velocity cues by ``frame`` (linear in time)."""
    d = np.zeros(3)
    for c in cues:
        if isinstance(c, WallCue) and c.velocity_mps is not None and frame > c.start_frame:
            frames = min(frame, c.end_frame) - c.start_frame
            d = d + np.asarray(c.velocity_mps) * _seconds(frames, frame_rate)
    return d


def wall_at(env: Environment, cues, frame: int, frame_rate) -> WallState:
    """The wall at ``frame`` of its shot (light cues in ``cues`` are ignored)."""
    mine = _ordered([c for c in cues if isinstance(c, WallCue)])
    st = _wall_fades(env, mine, frame)
    offset = st.translation + world_displacement_m(mine, frame, frame_rate)
    moved = not (np.all(offset == 0.0) and np.all(st.rotation == 0.0))
    world = (
        tf.trs(offset, st.rotation) @ env.world_from_env
        if moved
        else np.array(env.world_from_env, dtype=np.float64)
    )
    return WallState(
        world_from_env=world,
        sun_azimuth_deg=st.azimuth,
        sun_elevation_deg=st.elevation,
        turbidity=st.turbidity,
        brightness_nits=st.nits,
        cdl=CDL.from_array(st.cdl),
        time_of_day_h=st.time_h,
        world_offset_m=vec3(offset),
    )


# ---------------------------------------------------------------- key frames
def cue_frames(*cue_lists, length_frames: int | None = None) -> list[int]:
    """Every frame where a cue starts or ends (for key panels), sorted, within the shot when its
    length is given. Accepts any number of cue lists (light and wall cues may be mixed)."""
    frames: set[int] = set()
    for cues in cue_lists:
        for c in cues:
            frames.update((int(c.start_frame), int(c.end_frame)))
    if length_frames is not None:
        frames = {f for f in frames if 0 <= f < length_frames}
    return sorted(frames)
