"""Camera optics as pure maths: sensor modes, lenses, field of view, depth of field, exposure.

Thin-lens model; distances from the film plane. Lengths on the sensor are in millimetres, distances
in the scene in metres (names carry the unit). Formulas follow ``optics-lenses-led-formats.md`` §3
and §7.3 of the project reference:

* ``HFOV = 2 atan(σ w / 2f)``, ``VFOV = 2 atan(h / 2f)`` (σ = anamorphic squeeze, horizontal only)
* ``H = f²/(N c) + f``, ``near = s(H−f)/(H+s−2f)``, ``far = s(H−f)/(H−s)`` (∞ when s ≥ H)
* ``b = f² |D−s| / (N D (s−f))``: defocus blur diameter on the sensor of an object at D, focus s
* ``t = angle/(360 fps)``; ``EV100 = log2(T²/t)``; reflected meter ``T²/t = L S / K`` with K = 12.5

Depth of field depends on the geometric f-number; exposure on the T-stop. Callers that only know the
T-stop may pass it as the f-number (cine T is within ~1/3 stop of N), and should say so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from previs.errors import PresetError

METER_K_REFLECTED = 12.5
"""Reflected-light meter calibration constant K (Canon, Nikon, Sekonic; ISO 2720 allows 10.6–13.4)."""
METER_C_INCIDENT_LUX = 250.0
"""Incident-light meter calibration constant C for a flat/dome receptor, illuminance in lux."""
MID_GREY = 0.18
"""Linear pixel value where a reflected-meter reading lands."""
LUX_PER_FOOTCANDLE = 10.763910417
FULL_FRAME_DIAGONAL_MM = math.hypot(36.0, 24.0)


def _positive(name: str, value: float) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise PresetError(f"{name} must be a number, got {value!r}") from None
    if not v > 0 or math.isnan(v):
        raise PresetError(f"{name} must be positive, got {value!r}")
    return v


# ---------------------------------------------------------------- sensor modes and lenses
@dataclass(frozen=True)
class SensorMode:
    """One recording mode of one camera body: the active image area and its photosites."""

    body_id: str
    body_name: str
    mode_id: str
    mode_name: str
    width_mm: float
    height_mm: float
    width_px: int
    height_px: int
    coc_mm: float
    anamorphic: bool = False

    def __post_init__(self) -> None:
        for name in ("width_mm", "height_mm", "width_px", "height_px", "coc_mm"):
            _positive(f"{self.body_id}/{self.mode_id} {name}", getattr(self, name))

    @property
    def photosite_pitch_um(self) -> float:
        return self.width_mm / self.width_px * 1000.0

    @property
    def diagonal_mm(self) -> float:
        return math.hypot(self.width_mm, self.height_mm)

    @property
    def aspect(self) -> float:
        return self.width_mm / self.height_mm

    @property
    def crop_factor(self) -> float:
        """ARRI convention: diagonal of 36 x 24 over this diagonal (< 1 means larger than FF)."""
        return FULL_FRAME_DIAGONAL_MM / self.diagonal_mm


def default_coc_mm(width_mm: float, height_mm: float) -> float:
    """The d/1500 rule: circle of confusion from the format diagonal."""
    return math.hypot(width_mm, height_mm) / 1500.0


@dataclass(frozen=True)
class Lens:
    """One lens as mounted: a prime, or a zoom set to one focal length."""

    kit_id: str
    kit_name: str
    focal_length_mm: float
    squeeze: float
    t_stop_max: float
    t_stop_min: float
    close_focus_m: float
    zoom_range_mm: tuple[float, float] | None = None
    image_circle_mm: float | None = None

    def __post_init__(self) -> None:
        who = f"lens {self.kit_id} {self.focal_length_mm:g} mm"
        _positive(f"{who}: focal length", self.focal_length_mm)
        _positive(f"{who}: T-stop", self.t_stop_max)
        _positive(f"{who}: smallest aperture", self.t_stop_min)
        _positive(f"{who}: close focus", self.close_focus_m)
        if not 1.0 <= self.squeeze <= 2.0:
            raise PresetError(
                f"{who}: anamorphic squeeze must be within 1.0–2.0, got {self.squeeze}"
            )
        if self.t_stop_min < self.t_stop_max:
            raise PresetError(
                f"{who}: smallest aperture T{self.t_stop_min:g} is wider than "
                f"the widest T{self.t_stop_max:g}"
            )
        if self.zoom_range_mm is not None:
            validate_focal_length(self, self.focal_length_mm)

    @property
    def is_zoom(self) -> bool:
        return self.zoom_range_mm is not None


def validate_focal_length(lens: Lens, focal_length_mm: float) -> float:
    """Check a focal length against a zoom's range (a prime accepts only its own focal length)."""
    f = _positive(f"lens {lens.kit_id}: focal length", focal_length_mm)
    if lens.zoom_range_mm is None:
        if not math.isclose(f, lens.focal_length_mm, rel_tol=1e-6, abs_tol=1e-6):
            raise PresetError(
                f"{lens.kit_name} {lens.focal_length_mm:g} mm is a prime; "
                f"it cannot be set to {f:g} mm"
            )
        return f
    lo, hi = lens.zoom_range_mm
    if not lo - 1e-6 <= f <= hi + 1e-6:
        raise PresetError(
            f"{lens.kit_name}: focal length {f:g} mm is outside the zoom range {lo:g}–{hi:g} mm"
        )
    return f


def validate_focus(lens: Lens, focus_m: float) -> float:
    """Check a focus distance (metres from the film plane; ``math.inf`` allowed) for this lens."""
    s = _positive(f"{lens.kit_name} {lens.focal_length_mm:g} mm: focus distance (m)", focus_m)
    if s < lens.close_focus_m:
        raise PresetError(
            f"{lens.kit_name} {lens.focal_length_mm:g} mm cannot focus at {s:g} m: "
            f"its close focus is {lens.close_focus_m:g} m from the film plane"
        )
    return s


def validate_t_stop(lens: Lens, t_stop: float) -> float:
    """Check a T-stop against the lens's widest and smallest apertures."""
    t = _positive(f"{lens.kit_name} {lens.focal_length_mm:g} mm: T-stop", t_stop)
    if t < lens.t_stop_max - 1e-9:
        raise PresetError(
            f"{lens.kit_name} {lens.focal_length_mm:g} mm cannot open to T{t:g}: "
            f"its widest stop is T{lens.t_stop_max:g}"
        )
    if t > lens.t_stop_min + 1e-9:
        raise PresetError(
            f"{lens.kit_name} {lens.focal_length_mm:g} mm cannot close to T{t:g}: "
            f"its smallest stop is T{lens.t_stop_min:g}"
        )
    return t


# ---------------------------------------------------------------- field of view
def _width_mm(mode_or_width_mm: SensorMode | float) -> float:
    if isinstance(mode_or_width_mm, SensorMode):
        return mode_or_width_mm.width_mm
    return _positive("sensor width (mm)", mode_or_width_mm)


def _height_mm(mode_or_height_mm: SensorMode | float) -> float:
    if isinstance(mode_or_height_mm, SensorMode):
        return mode_or_height_mm.height_mm
    return _positive("sensor height (mm)", mode_or_height_mm)


def _fov_deg(extent_mm: float, focal_length_mm: float) -> float:
    f = _positive("focal length (mm)", focal_length_mm)
    return math.degrees(2.0 * math.atan(extent_mm / (2.0 * f)))


def horizontal_fov_deg(
    mode_or_width_mm: SensorMode | float, focal_length_mm: float, squeeze: float = 1.0
) -> float:
    """Horizontal angle of view of the desqueezed image: ``2 atan(σ w / 2f)``."""
    return _fov_deg(_width_mm(mode_or_width_mm) * _positive("squeeze", squeeze), focal_length_mm)


def vertical_fov_deg(mode_or_height_mm: SensorMode | float, focal_length_mm: float) -> float:
    """Vertical angle of view (a horizontal anamorphic squeeze does not change it)."""
    return _fov_deg(_height_mm(mode_or_height_mm), focal_length_mm)


def diagonal_fov_deg(
    mode: SensorMode | tuple[float, float], focal_length_mm: float, squeeze: float = 1.0
) -> float:
    """Diagonal angle of view of the desqueezed image; ``mode`` may be a (width, height) in mm."""
    w, h = (mode.width_mm, mode.height_mm) if isinstance(mode, SensorMode) else mode
    return _fov_deg(math.hypot(_positive("squeeze", squeeze) * w, h), focal_length_mm)


def focal_length_for_hfov_mm(
    mode_or_width_mm: SensorMode | float, hfov_deg: float, squeeze: float = 1.0
) -> float:
    """The focal length giving a horizontal angle of view: ``σ w / (2 tan(HFOV/2))``."""
    a = _positive("horizontal FOV (deg)", hfov_deg)
    if a >= 180.0:
        raise PresetError(f"horizontal FOV must be below 180°, got {a:g}")
    return _width_mm(mode_or_width_mm) * squeeze / (2.0 * math.tan(math.radians(a) / 2.0))


def desqueezed_aspect(mode: SensorMode, squeeze: float) -> float:
    """Aspect ratio of the desqueezed image: ``σ w / h``."""
    return _positive("squeeze", squeeze) * mode.width_mm / mode.height_mm


# ---------------------------------------------------------------- depth of field
def hyperfocal_m(focal_length_mm: float, f_number: float, coc_mm: float) -> float:
    """Hyperfocal distance ``H = f²/(N c) + f``, in metres."""
    f = _positive("focal length (mm)", focal_length_mm)
    n = _positive("f-number", f_number)
    c = _positive("circle of confusion (mm)", coc_mm)
    return (f * f / (n * c) + f) / 1000.0


def dof_limits_m(
    focal_length_mm: float, f_number: float, coc_mm: float, focus_m: float
) -> tuple[float, float]:
    """Near and far limits of acceptable sharpness (m); far is ``math.inf`` at or beyond H."""
    f = _positive("focal length (mm)", focal_length_mm)
    h = hyperfocal_m(f, f_number, coc_mm) * 1000.0
    s = _positive("focus distance (m)", focus_m) * 1000.0
    if s <= f:
        raise PresetError(f"focus distance {focus_m:g} m is inside the focal length {f:g} mm")
    if math.isinf(s):
        return (h - f) / 1000.0, math.inf
    near = s * (h - f) / (h + s - 2.0 * f)
    far = math.inf if s >= h else s * (h - f) / (h - s)
    return near / 1000.0, far / 1000.0


def blur_circle_mm(
    focal_length_mm: float, f_number: float, focus_m: float, subject_m: float
) -> float:
    """Defocus blur diameter on the sensor (mm) of an object at ``subject_m`` when focused at
    ``focus_m``: ``b = f² |D − s| / (N D (s − f))``."""
    f, n, s = _thin_lens(focal_length_mm, f_number, focus_m)
    d = _positive("object distance (m)", subject_m)
    return float(_blur_mm(f, n, s, np.array([d * 1000.0]))[0])


def blur_circles_mm(
    focal_length_mm: float, f_number: float, focus_m: float, subjects_m: np.ndarray
) -> np.ndarray:
    """:func:`blur_circle_mm` for an array of object distances (m; infinity allowed)."""
    f, n, s = _thin_lens(focal_length_mm, f_number, focus_m)
    try:
        d = np.asarray(subjects_m, dtype=np.float64)
    except (TypeError, ValueError):
        raise PresetError(f"object distances (m) must be numbers, got {subjects_m!r}") from None
    bad = ~(d > 0)
    if np.any(bad):
        raise PresetError(f"object distance (m) must be positive, got {float(d[bad].flat[0])!r}")
    return _blur_mm(f, n, s, d * 1000.0)


def _thin_lens(focal_length_mm, f_number, focus_m) -> tuple[float, float, float]:
    """Checked focal length (mm), f-number and focus distance (mm)."""
    f = _positive("focal length (mm)", focal_length_mm)
    n = _positive("f-number", f_number)
    s = _positive("focus distance (m)", focus_m) * 1000.0
    if s <= f:
        raise PresetError(f"focus distance {focus_m:g} m is inside the focal length {f:g} mm")
    return f, n, s


def _blur_mm(f: float, n: float, s: float, d: np.ndarray) -> np.ndarray:
    far = np.isinf(d)
    d = np.where(far, 1.0, d)  # (a finite stand-in; the far values are chosen below)
    if math.isinf(s):
        return np.where(far, 0.0, f * f / (n * d))
    return np.where(far, f * f / (n * (s - f)), f * f * np.abs(d - s) / (n * d * (s - f)))


# ---------------------------------------------------------------- exposure
def shutter_time_s(shutter_angle_deg: float, frame_rate: float | Fraction) -> float:
    """Exposure time of a rotating shutter: ``t = angle / (360 fps)``."""
    a = _positive("shutter angle (deg)", shutter_angle_deg)
    if a > 360.0:
        raise PresetError(f"shutter angle must be at most 360°, got {a:g}")
    fps = _positive("frame rate", float(frame_rate))
    return a / (360.0 * fps)


def ev100(t_stop: float, shutter_s: float) -> float:
    """Exposure value at ISO 100: ``log2(T²/t)``."""
    t = _positive("T-stop", t_stop)
    return math.log2(t * t / _positive("shutter time (s)", shutter_s))


def exposure_ev(
    t_stop: float, iso: float, shutter_angle_deg: float, frame_rate: float | Fraction
) -> float:
    """The scene EV100 these settings expose correctly: ``log2(T²/t) − log2(ISO/100)``."""
    t = shutter_time_s(shutter_angle_deg, frame_rate)
    return ev100(t_stop, t) - math.log2(_positive("ISO", iso) / 100.0)


def mid_grey_luminance_nits(
    t_stop: float,
    iso: float,
    shutter_angle_deg: float,
    frame_rate: float | Fraction,
    k: float = METER_K_REFLECTED,
) -> float:
    """Scene luminance (cd/m²) a reflected meter places at mid grey: ``L = K T² / (t S)``."""
    t = shutter_time_s(shutter_angle_deg, frame_rate)
    n = _positive("T-stop", t_stop)
    return _positive("meter K", k) * n * n / (t * _positive("ISO", iso))


def exposure_scale(
    t_stop: float,
    iso: float,
    shutter_angle_deg: float,
    frame_rate: float | Fraction,
    k: float = METER_K_REFLECTED,
) -> float:
    """Multiply scene luminance (nits) by this to get a linear pixel value.

    A reflected meter sets ``T²/t = L S / K``; the luminance it calls mid grey is therefore
    ``L_grey = K T² / (t S)``. Rendering that at ``MID_GREY`` (0.18) gives a linear scale
    ``0.18 / L_grey = 0.18 t S / (K T²)``, i.e. ``0.18 (100/K) 2^−EV`` with ``EV`` from
    :func:`exposure_ev`. Doubling ISO, time or light (or opening one stop) doubles the pixel.
    """
    return MID_GREY / mid_grey_luminance_nits(t_stop, iso, shutter_angle_deg, frame_rate, k)


def incident_t_stop(
    illuminance_lux: float,
    iso: float,
    shutter_angle_deg: float,
    frame_rate: float | Fraction,
    c: float = METER_C_INCIDENT_LUX,
) -> float:
    """T-stop an incident meter reads for an illuminance: ``T = sqrt(E S t / C)``."""
    t = shutter_time_s(shutter_angle_deg, frame_rate)
    e = _positive("illuminance (lux)", illuminance_lux)
    return math.sqrt(e * _positive("ISO", iso) * t / _positive("meter C", c))


def incident_grey_reflectance(
    k: float = METER_K_REFLECTED, c: float = METER_C_INCIDENT_LUX
) -> float:
    """Reflectance of the Lambertian grey that an incident reading renders at mid grey: π K / C.

    Under illuminance E it has luminance ``ρ E / π = K E / C``, which with ``T`` from
    :func:`incident_t_stop` is exactly the reflected meter's mid-grey luminance.
    """
    return math.pi * k / c
