"""The LED stage's light and time: wall exposure, refresh banding, white point, gamut, processors.

Pure numpy maths, no GL. Each formula is derived here and tested against hand-worked or published
numbers in ``tests/test_stage_light.py``; the stage data (panel refresh, scan, primaries, camera
latitude and readout, processor capacity) are presets (``previs/data/panels.yaml``,
``previs/data/cameras.yaml``) with a source and a confidence tag.

Exposure of a luminance (ISO 2720 reflected-light calibration, reference "tracking-and-stage-light"
§3 and "optics" §7.3): a reflected meter reads as mid-grey the luminance

    L_mid = K N² / (t S)   cd/m² (nits),   K = 12.5

with N the T-stop (cine lenses: T, the transmitted light), t the exposure time in seconds and S the
ISO (exposure index). A luminance W sits ``log2(W / L_mid)`` stops over mid-grey. Worked: T4,
ISO 800, 180° at 24 fps (t = 1/48 s): L_mid = 12.5 · 16 · 48 / 800 = 12.0 nits, and a 150-nit
white wall is log2(150 / 12) = 3.64 stops over.

Latitude: a body records ``over`` stops above mid-grey and ``under`` below it at its base ISO.
Rating it at another exposure index S moves mid-grey on the sensor's fixed range (ARRI: "Neither
varying the exposure nor the exposure index changes the dynamic range of the sensor"): each stop
of EI above base gives a stop more headroom and a stop less shadow range,

    over(S) = over_base + log2(S / S_base),   under(S) = under_base − log2(S / S_base).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from previs.errors import PrevisError

METER_K = 12.5
"""Reflected-light meter calibration constant K (Canon, Nikon, Sekonic; ISO 2720 allows
10.6–13.4)."""


# ---------------------------------------------------------------- exposure
def exposure_time_s(shutter_angle_deg: float, frame_rate) -> float:
    """t = angle / 360 / fps (the OpenTrackIO wording); 180° at 24 fps is 1/48 s."""
    return float(shutter_angle_deg) / 360.0 / float(Fraction(frame_rate))


def mid_grey_nits(t_stop: float, exposure_s: float, iso: float, k: float = METER_K) -> float:
    """The luminance a reflected meter calls mid-grey: L = K N² / (t S) (ISO 2720)."""
    if not (t_stop > 0 and exposure_s > 0 and iso > 0):
        raise PrevisError("T-stop, exposure time and ISO must be positive")
    return k * t_stop * t_stop / (exposure_s * iso)


def stops_over_mid_grey(nits, t_stop: float, exposure_s: float, iso: float):
    """log2(W / L_mid): positive over mid-grey, negative under; -inf for a black wall."""
    w = np.asarray(nits, dtype=np.float64)
    with np.errstate(divide="ignore"):
        out = np.log2(w / mid_grey_nits(t_stop, exposure_s, iso))
    return float(out) if out.ndim == 0 else out


def latitude_at_iso(
    base_iso: float, over_stops: float, under_stops: float, iso: float
) -> tuple[float, float]:
    """(over, under) stops of mid-grey at exposure index ``iso``: the range is fixed, mid-grey
    moves one stop down it for each stop of EI above base (module docstring)."""
    shift = math.log2(iso / base_iso)
    return over_stops + shift, under_stops - shift


@dataclass(frozen=True)
class WallExposure:
    """The seen wall against the camera's exposure and latitude."""

    mid_grey_nits: float
    wall_white_nits: float  # full signal on axis: the wall's brightness
    brightest_nits: float  # the brightest seen wall sample (content, drive, off-axis dimming)
    median_nits: float
    white_stops: float  # over mid-grey (negative: under)
    brightest_stops: float
    median_stops: float
    over_limit_stops: float  # the body's latitude over mid-grey at this ISO (clip point)
    under_limit_stops: float  # below mid-grey (the usable floor)
    verdict: str  # "ok" | "clips" | "background clips" | "noisy" | "in the noise"
    remedy: str = ""

    @property
    def clip_nits(self) -> float:
        return self.mid_grey_nits * 2.0**self.over_limit_stops

    @property
    def floor_nits(self) -> float:
        return self.mid_grey_nits * 2.0**-self.under_limit_stops


def wall_exposure(
    brightest_nits: float,
    median_nits: float,
    wall_white_nits: float,
    *,
    t_stop: float,
    exposure_s: float,
    iso: float,
    base_iso: float,
    latitude_over_stops: float,
    latitude_under_stops: float,
    peak_nits: float | None = None,
    t_stop_widest: float | None = None,
    t_stop_closest: float = 22.0,
) -> WallExposure:
    """Where the seen wall falls in the camera's latitude, with a remedy.

    Verdicts, worst first: ``background clips`` (the *median* seen wall is past the clip point:
    most of the background is blown out), ``in the noise`` (even the brightest seen wall is under
    the usable floor), ``clips`` (the brightest seen wall clips: highlights only), ``noisy`` (the
    median sits under the floor). The remedy moves the offending luminance to the limit with a
    stop to spare (so highlights keep a stop of headroom and the median a stop over the floor):
    the wall's brightness in nits (capped at the panel's peak), or the T-stop (within the lens).
    """
    mid = mid_grey_nits(t_stop, exposure_s, iso)
    over, under = latitude_at_iso(base_iso, latitude_over_stops, latitude_under_stops, iso)

    def stops(w: float) -> float:
        return math.log2(w / mid) if w > 0 else -math.inf

    b, m, w = stops(brightest_nits), stops(median_nits), stops(wall_white_nits)
    verdict, remedy = "ok", ""
    margin = 1.0
    if m > over or b > over:
        verdict = "background clips" if m > over else "clips"
        excess = (m if m > over else b) - over + margin  # stops to take away
        nits = wall_white_nits * 2.0**-excess
        t = t_stop * 2.0 ** (excess / 2.0)
        stop = f"T{t:.1f}" if t <= t_stop_closest else f"past T{t_stop_closest:g} (add ND)"
        remedy = f"lower the wall to {nits:.0f} nits or stop down to {stop} ({excess:.1f} stops)"
    elif b < -under or m < -under:
        verdict = "in the noise" if b < -under else "noisy"
        short = -under + margin - (b if b < -under else m)  # stops to add
        nits = wall_white_nits * 2.0**short
        t = t_stop * 2.0 ** (-short / 2.0)
        parts = []
        if peak_nits is None or nits <= peak_nits:
            parts.append(f"raise the wall to {nits:.0f} nits")
        else:
            parts.append(f"the wall would need {nits:.0f} nits (the panel peaks at {peak_nits:g})")
        if t_stop_widest is None or t >= t_stop_widest:
            parts.append(f"open up to T{t:.1f}")
        else:
            parts.append(f"raise the ISO {short:.1f} stops (the lens opens to T{t_stop_widest:g})")
        remedy = " or ".join(parts) + f" ({short:.1f} stops)"
    return WallExposure(
        mid, wall_white_nits, brightest_nits, median_nits, w, b, m, over, under, verdict, remedy
    )


# ---------------------------------------------------------------- refresh and shutter
def effective_refresh_hz(refresh_hz: float, frame_rate, genlock: bool) -> float:
    """The wall's PWM refresh as the camera meets it.

    Genlocked, the processor locks its refresh to a whole multiple of the camera's frame rate
    (Brompton's ShutterSync and frame-rate multiplication work this way): ``fps · round(f_r /
    fps)``. At 23.976 fps a nominal 3840 Hz wall runs at 3836.16 Hz (160 periods a frame).
    Free-running, it is the panel's own ``refresh_hz``.
    """
    f = float(refresh_hz)
    if not genlock:
        return f
    fps = float(Fraction(frame_rate))
    return fps * max(1, round(f / fps))


def pwm_ripple(periods: float, duty: float) -> float:
    """Row-to-row ripple (peak to peak over the mean) of an exposure of ``periods`` PWM periods.

    Derivation: an LED is on for a share ``d`` of each refresh period (its PWM duty: the linear
    signal; 1 is full white). In periods, an exposure lasts ``N = n + f`` (whole ``n``, fraction
    ``f``) and starts at a phase ``φ`` that differs from row to row (a rolling shutter starts each
    row later; a free-running wall drifts from frame to frame). Every whole period collects ``d``;
    the leftover window of length ``f`` collects the overlap of ``[φ, φ + f]`` with the pulse,
    which over all phases ranges from ``max(0, f + d − 1)`` (the window sits as far in the off
    time ``1 − d`` as it can) to ``min(f, d)`` (as far in the pulse). The mean over phases is
    ``N d``, so the ripple is

        (min(f, d) − max(0, f + d − 1)) / (N d).

    It is zero for whole ``N`` and for ``d = 1``, and tends to ``1/N`` as the content darkens
    (``d → 0``). Hand-worked: N = 76.8, d = 0.5: (0.5 − 0.3) / 38.4 = 0.52 %; N = 1.92, d = 0.5:
    (0.5 − 0.42) / 0.96 = 8.3 %.
    """
    n = float(periods)
    d = float(duty)
    if not (n > 0 and 0 < d <= 1):
        raise PrevisError(f"periods must be positive and duty in (0, 1], got {n}, {d}")
    f = n - math.floor(n)
    if f < 1e-9 or f > 1 - 1e-9:
        return 0.0
    return (min(f, d) - max(0.0, f + d - 1.0)) / (n * d)


BANDING_WARN = 0.005
"""Ripple (peak to peak over the mean) past which bands are a risk: 0.5 % is about 1/140 of a stop,
near one code value of a 10-bit log recording at mid-grey (LogC steps ~0.4 % a code value there),
and the size of the reference's 172.8° example; grading contrast makes such bands visible."""
BANDING_FAIL = 0.02
"""2 % (1/35 of a stop, several code values): bands a viewer sees without looking for them."""
CONTENT_DUTY = 0.18
"""The PWM duty the verdict is judged at: mid-grey content (18 % of full white)."""


@dataclass(frozen=True)
class Banding:
    exposure_s: float
    refresh_hz: float  # as met by the camera (genlock applied)
    periods: float  # N = t · f_r
    ripple_mid: float  # at CONTENT_DUTY / scan_ratio
    ripple_dark: float  # the limit for dark content: 1/N unless N is whole
    bands_per_frame: float  # readout · f_r: bright/dark pairs over the frame height (rolling)
    rolling: bool  # the bands move from frame to frame (no genlock)
    verdict: str  # "none" | "low" | "risk" | "high"
    safe_angles_deg: tuple[float, ...] = ()


def banding(
    shutter_angle_deg: float,
    frame_rate,
    refresh_hz: float,
    *,
    scan_ratio: int = 1,
    genlock: bool = False,
    readout_ms: float = 0.0,
) -> Banding:
    """The banding risk of a shutter against the wall's refresh.

    ``N = t · f_r`` refresh periods are integrated (``f_r`` after genlock, see
    :func:`effective_refresh_hz`). A 1/``s`` scan (multiplex) panel lights each LED row for a
    ``1/s`` slot of every refresh period, so its duty is the content's duty over ``s``
    (``refresh_hz`` is the quoted visual refresh, the rate the whole scan repeats); the ripple is
    :func:`pwm_ripple` at that duty. A rolling shutter starts row ``y`` (of ``H``) ``y/H ·
    readout`` later, so the phase runs through ``readout · f_r`` periods down the frame: that many
    bright/dark band pairs. Genlocked (``f_r`` a whole multiple of the frame rate) every frame
    starts at the same phase and the bands stand still; free-running they roll. A global shutter
    (readout 0) has no bands but the whole frame's level steps from frame to frame unless
    genlocked. Verdict: ``none`` (whole N), ``low`` (ripple at mid-grey under
    :data:`BANDING_WARN`), ``risk`` (under :data:`BANDING_FAIL`), ``high``.

    Hand-worked (scan 1): 24 fps at 180° against 3840 Hz is 1/48 · 3840 = 80 periods (none);
    172.8° is 1/50 s, 76.8 periods (0.52 % at half duty); 1/2000 s is 1.92 periods (8.3 %).
    """
    t = exposure_time_s(shutter_angle_deg, frame_rate)
    fr = effective_refresh_hz(refresh_hz, frame_rate, genlock)
    n = t * fr
    s = max(1, int(scan_ratio))
    whole = abs(n - round(n)) < 1e-6 * max(1.0, n)
    ripple = 0.0 if whole else pwm_ripple(n, CONTENT_DUTY / s)
    dark = 0.0 if whole else pwm_ripple(n, 1e-6)
    if whole:
        verdict = "none"
    elif ripple < BANDING_WARN:
        verdict = "low"
    elif ripple < BANDING_FAIL:
        verdict = "risk"
    else:
        verdict = "high"
    return Banding(
        t,
        fr,
        n,
        ripple,
        dark,
        readout_ms / 1000.0 * fr,
        not genlock and not whole,
        verdict,
        safe_shutter_angles(frame_rate, fr, near_deg=shutter_angle_deg),
    )


def safe_shutter_angles(
    frame_rate,
    refresh_hz: float,
    *,
    near_deg: float = 180.0,
    count: int = 3,
    max_deg: float = 360.0,
) -> tuple[float, ...]:
    """The shutter angles nearest ``near_deg`` that integrate a whole number of refresh periods:
    ``angle_k = 360 · fps · k / f_r`` for whole ``k`` (t = k / f_r), at most ``max_deg``."""
    fps = float(Fraction(frame_rate))
    step = 360.0 * fps / float(refresh_hz)  # degrees per refresh period
    if step > max_deg:
        return ()
    k0 = max(1, round(near_deg / step))
    ks = sorted(
        {k for k in range(max(1, k0 - count), k0 + count + 1) if k * step <= max_deg + 1e-9},
        key=lambda k: (abs(k * step - near_deg), k),
    )
    return tuple(sorted(round(k * step, 3) for k in ks[:count]))


# ---------------------------------------------------------------- white point
def xy_to_uv1960(x, y):
    """CIE 1960 UCS: u = 4x / (−2x + 12y + 3), v = 6y / (−2x + 12y + 3)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    d = -2.0 * x + 12.0 * y + 3.0
    return 4.0 * x / d, 6.0 * y / d


def planck_uv1960(kelvin):
    """The Planckian locus in CIE 1960 uv: Krystek's (1985) rational approximation, 1000–15000 K,
    within about 1e-5 of the locus integrated from the CIE 1931 observer."""
    t = np.asarray(kelvin, dtype=np.float64)
    u = (0.860117757 + 1.54118254e-4 * t + 1.28641212e-7 * t * t) / (
        1.0 + 8.42420235e-4 * t + 7.08145163e-7 * t * t
    )
    v = (0.317398726 + 4.22806245e-5 * t + 4.20481691e-8 * t * t) / (
        1.0 - 2.89741816e-5 * t + 1.61456053e-7 * t * t
    )
    return u, v


CCT_MIN_K = 1000.0
CCT_MAX_K = 15000.0


def cct_duv(x: float, y: float) -> tuple[float, float]:
    """Correlated colour temperature (K) and Δuv of a chromaticity (CIE xy).

    The CCT is the temperature of the nearest point of the Planckian locus in CIE 1960 uv, Δuv
    the distance to it, positive above the locus (greenish) and negative below (magenta) — Ohno's
    (2013) definition, found here by a search on a 0.5-mired grid then a golden-section
    refinement (Ohno's cascade expansion does the same). Published: D65 (0.31271, 0.32902) is
    6504 K, Δuv +0.0032; illuminant A (0.44757, 0.40745) is 2856 K, Δuv 0.
    """
    u0, v0 = (float(a) for a in xy_to_uv1960(x, y))

    def dist(mired):
        u, v = planck_uv1960(1e6 / np.asarray(mired))
        return np.hypot(u - u0, v - v0)

    grid = np.arange(1e6 / CCT_MAX_K, 1e6 / CCT_MIN_K + 0.5, 0.5)
    i = int(np.argmin(dist(grid)))
    lo, hi = grid[max(i - 1, 0)], grid[min(i + 1, len(grid) - 1)]
    g = (math.sqrt(5.0) - 1.0) / 2.0
    for _ in range(60):
        a, b = hi - g * (hi - lo), lo + g * (hi - lo)
        if dist(a) < dist(b):
            hi = b
        else:
            lo = a
    mired = (lo + hi) / 2.0
    u, v = planck_uv1960(1e6 / mired)
    duv = float(math.copysign(float(np.hypot(u - u0, v - v0)), v0 - float(v)))
    return 1e6 / mired, duv


def kelvin_to_xy_planck(kelvin: float) -> tuple[float, float]:
    """CIE xy of the Planckian locus at ``kelvin`` (from :func:`planck_uv1960`):
    x = 3u / (2u − 8v + 4), y = 2v / (2u − 8v + 4)."""
    u, v = (float(a) for a in planck_uv1960(kelvin))
    d = 2.0 * u - 8.0 * v + 4.0
    return 3.0 * u / d, 2.0 * v / d


D65_XY = (0.31271, 0.32902)
"""CIE 1931 2° chromaticity of illuminant D65 (CIE 15:2004): what wall processors are most often
calibrated to."""

CAST_WARN_MIRED = 20.0
"""A cast worth a warning: 20 mired is an eighth of CTO (LEE/Rosco 1/8 CTO ≈ +20 mired), the
smallest correction a DP would gel for [R: gel values from recollection]."""
CAST_WARN_DUV = 0.006
"""Green/magenta: 0.006 in Δuv, the half-width of ANSI C78.377's nominal CCT bins (about a
quarter minus-green) [R: from recollection]."""


@dataclass(frozen=True)
class WhiteCast:
    wall_cct_k: float
    wall_duv: float
    camera_k: float
    mired_shift: float  # wall − camera: negative = the wall reads bluer (like CTB), positive warmer
    duv_shift: float  # wall − camera (the camera balances on the locus): + green, − magenta
    verdict: str  # "ok" | "cast"
    remedy: str = ""


def white_cast(wall_xy: tuple[float, float], camera_white_k: float) -> WhiteCast:
    """The cast the wall's white takes on in a camera balanced at ``camera_white_k`` (a point on
    the Planckian locus): the mired difference along the locus (10⁶/CCT_wall − 10⁶/K_camera) and
    the wall's Δuv off it, warned past :data:`CAST_WARN_MIRED` or :data:`CAST_WARN_DUV`."""
    cct, duv = cct_duv(*wall_xy)
    shift = 1e6 / cct - 1e6 / camera_white_k
    bad = abs(shift) > CAST_WARN_MIRED or abs(duv) > CAST_WARN_DUV
    remedy = ""
    if bad:
        hue = "bluer" if shift < 0 else "warmer"
        tint = (
            ""
            if abs(duv) <= CAST_WARN_DUV
            else (" and greener" if duv > 0 else " and more magenta")
        )
        remedy = (
            f"the wall reads {abs(shift):.0f} mired {hue}{tint}: calibrate the processor's "
            f"white to {camera_white_k:.0f} K or balance the camera at {cct:.0f} K"
        )
    return WhiteCast(cct, duv, float(camera_white_k), shift, duv, "cast" if bad else "ok", remedy)


# ---------------------------------------------------------------- gamut
REC709_PRIMARIES_XY = ((0.640, 0.330), (0.300, 0.600), (0.150, 0.060))
"""ITU-R BT.709 primaries (R, G, B): the colour space the renderer's wall content is in."""


def rgb_to_xyz_matrix(primaries_xy, white_xy=D65_XY) -> np.ndarray:
    """The RGB -> XYZ matrix of a set of primaries and a white (SMPTE RP 177): columns are the
    primaries' XYZ scaled so that RGB (1, 1, 1) gives the white at Y = 1."""
    p = np.array([[x / y, 1.0, (1.0 - x - y) / y] for x, y in primaries_xy]).T
    wx, wy = white_xy
    w = np.array([wx / wy, 1.0, (1.0 - wx - wy) / wy])
    return p * np.linalg.solve(p, w)


def inside_gamut(xy: np.ndarray, primaries_xy, tol: float = 1e-4) -> np.ndarray:
    """Whether chromaticities ``(..., 2)`` lie in the triangle of ``primaries_xy`` (R, G, B),
    by the sign of each edge's cross product (``tol`` in xy lets the primaries themselves in)."""
    pts = np.asarray(xy, dtype=np.float64)
    tri = np.asarray(primaries_xy, dtype=np.float64)
    e1, e2 = tri[1] - tri[0], tri[2] - tri[0]
    area = e1[0] * e2[1] - e1[1] * e2[0]
    sign = 1.0 if area > 0 else -1.0
    ok = np.ones(pts.shape[:-1], dtype=bool)
    for a, b in ((tri[0], tri[1]), (tri[1], tri[2]), (tri[2], tri[0])):
        e = b - a
        cross = e[0] * (pts[..., 1] - a[1]) - e[1] * (pts[..., 0] - a[0])
        ok &= sign * cross >= -tol * np.hypot(*e)
    return ok


def out_of_gamut_share(
    rgb_linear: np.ndarray,
    panel_primaries_xy,
    content_primaries_xy=REC709_PRIMARIES_XY,
    *,
    black: float = 1e-4,
) -> float:
    """The share of content pixels ``(..., 3)`` (linear, in ``content_primaries_xy`` with a D65
    white) whose chromaticity lies outside the panel's primaries: those colours clip on the wall.
    Near-black pixels (luminance under ``black``) have no chromaticity to speak of and count as
    inside."""
    rgb = np.asarray(rgb_linear, dtype=np.float64).reshape(-1, 3)
    if len(rgb) == 0:
        return 0.0
    xyz = rgb @ rgb_to_xyz_matrix(content_primaries_xy).T
    s = xyz.sum(axis=1)
    lit = (xyz[:, 1] > black) & (s > 0)
    xy = np.where(lit[:, None], xyz[:, :2] / np.where(lit, s, 1.0)[:, None], D65_XY)
    return float(np.mean(~inside_gamut(xy, panel_primaries_xy)))


# ---------------------------------------------------------------- processors and render nodes
def processors_needed(pixels: int, capacity_px: int) -> int:
    """Whole processors for a pixel count: ceil(pixels / capacity) (at least one for any wall)."""
    if capacity_px <= 0:
        raise PrevisError("a processor's capacity must be positive")
    return max(1, math.ceil(int(pixels) / int(capacity_px))) if pixels > 0 else 0


def render_nodes_needed(pixels: int, budget_px: int) -> int:
    """Render nodes for a pixel count at a per-node budget: ceil(pixels / budget)."""
    return processors_needed(pixels, budget_px)


# ---------------------------------------------------------------- the wall content's cube
def sample_cube(cube: np.ndarray, directions: np.ndarray) -> np.ndarray:
    """Nearest-texel lookup of a (6, S, S, C) cube map (faces +X -X +Y -Y +Z -Z, row 0 at t = 0:
    the layout of :func:`previs.core.ledcheck.cube_directions` and the wall content's cube) along
    ``directions`` (..., 3), by the OpenGL cube-map face selection table (major axis ``ma``;
    s = (sc/|ma| + 1)/2, t = (tc/|ma| + 1)/2)."""
    c = np.asarray(cube)
    d = np.asarray(directions, dtype=np.float64)
    shape = d.shape[:-1]
    d = d.reshape(-1, 3)
    x, y, z = d[:, 0], d[:, 1], d[:, 2]
    ax, ay, az = np.abs(x), np.abs(y), np.abs(z)
    major_x = (ax >= ay) & (ax >= az)
    major_y = ~major_x & (ay >= az)
    face = np.where(
        major_x,
        np.where(x > 0, 0, 1),
        np.where(major_y, np.where(y > 0, 2, 3), np.where(z > 0, 4, 5)),
    )
    ma = np.where(major_x, ax, np.where(major_y, ay, az))
    ma = np.where(ma > 0, ma, 1.0)
    sc = np.choose(face, [-z, z, x, x, x, -x])
    tc = np.choose(face, [-y, -y, z, -z, -y, -y])
    size = c.shape[1]
    col = np.clip(((sc / ma + 1.0) * 0.5 * size).astype(np.int64), 0, size - 1)
    row = np.clip(((tc / ma + 1.0) * 0.5 * size).astype(np.int64), 0, size - 1)
    return c[face, row, col].reshape(*shape, c.shape[-1])
