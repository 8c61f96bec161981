"""What would make a failing stage check pass, computed from the optics and the stage (no GL).

Moiré (thin lens, reference §4.2; lengths in mm). An LED pitch ``p`` at depth ``D`` (along the
lens axis) images onto ``p_img = p·f/(D − f)``, i.e. ``n = p_img/q`` photosites of pitch ``q``.
Focused at ``s`` with f-number ``N`` (the T-stop, as the check uses), the wall's blur circle is
``b = f²·|D − s| / (N·D·(s − f))`` (similar triangles behind the lens: the wall images at
``v_D = f·D/(D − f)``, focus at ``v_s = f·s/(s − f)``, the cone of aperture ``f/N`` converging on
``v_D`` is ``(f/N)·|v_s − v_D|/v_D`` wide at ``v_s``). In LED pitches::

    k = b / p_img = f·(D − f)·|D − s| / (N·p·D·(s − f))

A sample is high risk where ``k < K`` (K = 1.5, ledcheck.BLUR_LOW_RISK_PITCHES) and ``n < 2``
(medium: ``n < 4``). A fix must lift every such sample past one of the two thresholds.

(a) Focus, wall behind it (``s < D``): ``k ≥ K`` ⇔ ``K·N·p·D·(s − f) ≤ f·(D − f)·(D − s)``; with
    ``A = K·N·p·D`` and ``B = f·(D − f)``: ``s ≤ s_max(D) = (B·D + A·f)/(A + B)``. ``s_max`` grows
    with ``D`` (≈ ``D·f/(K·N·p + f)``), so the nearest sample that needs blur binds.
(b) T-stop at the current focus: ``N ≤ N_max(D) = f·(D − f)·|D − s| / (K·p·D·(s − f))``; the
    smallest over the samples binds, rounded down to a marked third stop.
(c) Camera to wall: ``n ≥ n_t`` ⇔ ``D ≤ D_n = f + p·f/(n_t·q)`` (magnification ``f/(D − f)``).
    Dollying in along the lens axis by Δ lowers every sample's depth by exactly Δ (depth is
    measured along that axis) and the moved frustum lies inside the old one, so ``Δ = D_far −
    D_n`` over every wall sample in frame (hidden ones too: what hid them may fall behind).

Shooting off and the viewing angle need the check's own ray casts (its depth probe sees the set),
so their searches here take the check as a function of a pose offset (:func:`smallest_passing`);
the set extensions are plain ray geometry (:func:`wall_height_needed`, :func:`floor_extension`).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from previs.core import ledcheck
from previs.core import transforms as tf

# Marked T-stops in thirds (the numbers on a cine lens's ring): what a remedy can name.
THIRD_STOPS = (
    1.0,
    1.1,
    1.2,
    1.4,
    1.6,
    1.8,
    2.0,
    2.2,
    2.5,
    2.8,
    3.2,
    3.5,
    4.0,
    4.5,
    5.0,
    5.6,
    6.3,
    7.1,
    8.0,
    9.0,
    10.0,
    11.0,
    13.0,
    14.0,
    16.0,
    18.0,
    20.0,
    22.0,
    25.0,
    29.0,
    32.0,
)
HIGH_PHOTOSITES = 2.0  # below this (and sharp) a sample is high risk; below 4, medium
MEDIUM_PHOTOSITES = 4.0


# ---------------------------------------------------------------- moiré: the formulas
def blur_in_pitches(
    pixel_pitch_mm: float, focal_length_mm: float, f_number: float, focus_m: float, wall_m
) -> np.ndarray:
    """k = f (D − f) |D − s| / (N p D (s − f)): the wall's blur in LED pitches."""
    f, p, n = focal_length_mm, pixel_pitch_mm, f_number
    d, s = np.asarray(wall_m, float) * 1000.0, focus_m * 1000.0
    return f * (d - f) * np.abs(d - s) / (n * p * d * (s - f))


def focus_for_blur_m(
    pixel_pitch_mm: float,
    focal_length_mm: float,
    f_number: float,
    wall_m,
    blur_pitches: float = ledcheck.BLUR_LOW_RISK_PITCHES,
) -> np.ndarray:
    """s_max(D) = (B D + A f)/(A + B), A = K N p D, B = f (D − f): the farthest focus (m) that
    still blurs a wall at ``wall_m`` by ``blur_pitches`` (any nearer focus blurs it more)."""
    f = focal_length_mm
    d = np.asarray(wall_m, float) * 1000.0
    a = blur_pitches * f_number * pixel_pitch_mm * d
    b = f * (d - f)
    return (b * d + a * f) / (a + b) / 1000.0


def stop_for_blur(
    pixel_pitch_mm: float,
    focal_length_mm: float,
    focus_m: float,
    wall_m,
    blur_pitches: float = ledcheck.BLUR_LOW_RISK_PITCHES,
) -> np.ndarray:
    """N_max(D) = f (D − f) |D − s| / (K p D (s − f)): the slowest stop that still blurs the wall
    by ``blur_pitches`` at this focus (any wider stop blurs it more)."""
    return blur_in_pitches(pixel_pitch_mm, focal_length_mm, 1.0, focus_m, wall_m) / blur_pitches


def wall_distance_for_photosites_m(
    pixel_pitch_mm: float,
    photosite_pitch_um: float,
    focal_length_mm: float,
    photosites: float = HIGH_PHOTOSITES,
) -> float:
    """D_n = f + p f / (n q): the farthest wall (m) whose pitch images onto ``photosites``."""
    f = focal_length_mm
    return (f + pixel_pitch_mm * f / (photosites * photosite_pitch_um / 1000.0)) / 1000.0


def marked_stop_at_most(t_stop: float) -> float | None:
    """The slowest marked third stop no slower than ``t_stop`` (None below T1)."""
    fits = [t for t in THIRD_STOPS if t <= t_stop + 1e-9]
    return fits[-1] if fits else None


def stops_between(t_from: float, t_to: float) -> float:
    """Stops of light gained going from ``t_from`` to ``t_to``, in the thirds the marks stand
    for (T2.8 is 2^(3/2) = 2.83, T3.2 is 2^(5/3) = 3.17): 2 log2(t_from/t_to) to the nearest third."""
    return (round(6.0 * math.log2(t_from)) - round(6.0 * math.log2(t_to))) / 3.0


def _stops_text(stops: float) -> str:
    whole, thirds = divmod(round(stops * 3), 3)
    frac = {0: "", 1: "⅓", 2: "⅔"}[thirds]
    return (
        f"{whole or ''}{frac} stop{'s' if stops > 1 + 1e-9 else ''}" if whole or frac else "0 stops"
    )


def _floor_to(x: float, step: float) -> float:
    return math.floor(x / step + 1e-9) * step


def _m(x: float) -> str:
    return f"{x:.2f} m" if x < 1.0 else f"{x:.1f} m"


def moire_remedy(
    *,
    pixel_pitch_mm: float,
    photosite_pitch_um: float,
    focal_length_mm: float,
    t_stop_widest: float,
    close_focus_m: float,
    frames: list[tuple[float, float, np.ndarray, np.ndarray]],
    verdict: str = "FAIL",
) -> dict:
    """The focus, the stop and the camera-to-wall distance that lift every risky wall sample
    past its threshold. ``frames``: per rated frame (focus m, T-stop, the depths (m) of the wall
    samples the check rated, every wall sample's depth in frame hidden or not). ``verdict``
    FAIL fixes the high-risk samples (n < 2); a warning the medium ones too (n < 4)."""
    n_t = HIGH_PHOTOSITES if verdict == "FAIL" else MEDIUM_PHOTOSITES
    k_t = ledcheck.BLUR_LOW_RISK_PITCHES
    lens = (pixel_pitch_mm, photosite_pitch_um, focal_length_mm)
    focus_max, stop_max, far_m = math.inf, math.inf, 0.0
    for s_m, n_stop, seen, every in frames:
        _, n_px, _, _, _ = ledcheck.moire_arrays(*lens, n_stop, s_m, seen)
        needs = np.asarray(seen)[n_px < n_t]  # sharp here means risky: these need blur
        if needs.size:
            # s_max(D) < D: the focus comes in front of every such sample, where nearer blurs more
            focus_max = min(
                focus_max,
                float(focus_for_blur_m(pixel_pitch_mm, focal_length_mm, n_stop, needs).min()),
            )
            stop_max = min(
                stop_max, float(stop_for_blur(pixel_pitch_mm, focal_length_mm, s_m, needs).min())
            )
        if np.size(every):
            far_m = max(far_m, float(np.max(every)))
    s_now, t_now = frames[0][0], frames[0][1]
    values: dict = {
        "photosites_needed": n_t,
        "blur_pitches_needed": k_t,
        "focus_now_m": s_now,
        "t_stop_now": t_now,
        "wall_far_now_m": round(far_m, 3),
    }
    parts, short = [], []
    # (a) focus, to 0.1 m (0.01 m under a metre) below the bound: the rounding is the margin
    f_m = focal_length_mm / 1000.0
    focus = None
    if math.isfinite(focus_max) and focus_max > f_m:
        focus = round(_floor_to(focus_max, 0.1 if focus_max >= 1.0 else 0.01), 2)
    if focus is not None and focus >= close_focus_m:
        values["focus_m"] = focus
        parts.append(f"focus at {_m(focus)} or nearer (now {_m(s_now)})")
        short.append(f"focus ≤ {_m(focus)}")
    else:
        values["focus_m"] = None
        parts.append(
            "no focus distance blurs the wall enough"
            + (
                f" (it would need {_m(focus_max)}, inside the lens's {_m(close_focus_m)} close focus)"
                if math.isfinite(focus_max)
                else ""
            )
        )
    # (b) stop: the slowest marked third stop within the bound, if the lens opens that far
    stop = marked_stop_at_most(stop_max) if math.isfinite(stop_max) else None
    if stop is not None and stop >= t_stop_widest - 1e-9:
        gain = stops_between(t_now, stop)
        values.update(t_stop=stop, stops_more_light=round(gain, 2))
        nd = (
            f"; {_stops_text(gain)} more light: ND {0.3 * gain:.1f} holds the exposure"
            if gain > 0.05
            else ""
        )
        parts.append(f"T{stop:g} or wider (now T{t_now:g}{nd})")
        short.append(f"T{stop:g}")
    else:
        values["t_stop"] = None
        parts.append(
            f"no stop blurs it enough (it would need T{stop_max:.2g}; the lens opens to "
            f"T{t_stop_widest:g})"
            if math.isfinite(stop_max)
            else "no stop blurs it enough"
        )
    # (c) distance: the farthest wall in frame at D_n or nearer
    d_n = wall_distance_for_photosites_m(*lens, n_t)
    target = round(_floor_to(d_n, 0.1), 1)
    dolly = math.ceil((far_m - target) * 10.0 - 1e-9) / 10.0
    values.update(wall_far_m=target, dolly_in_m=max(dolly, 0.0))
    parts.append(
        f"bring the farthest wall in frame to {_m(target)} (now {_m(far_m)}: dolly in "
        f"{dolly:.1f} m), where an LED pitch covers {n_t:g} photosites"
    )
    short.append(f"wall ≤ {_m(target)}")
    check = "moiré" if verdict == "FAIL" else "moiré (medium)"
    return {
        "check": check,
        "verdict": verdict,
        "remedy": ", or ".join(parts),
        "short": " / ".join(short),
        "values": values,
    }


# ---------------------------------------------------------------- poses and searches
def offset_pose(
    world_from_camera: np.ndarray,
    pan_deg: float = 0.0,
    tilt_deg: float = 0.0,
    move_m=(0.0, 0.0, 0.0),
) -> np.ndarray:
    """The pose with its head panned and tilted further (pan + left, tilt + up, as the scene
    file's pan_deg/tilt_deg) and its position moved; roll kept."""
    pan, tilt, roll = tf.pan_tilt_roll_of(world_from_camera)
    eye = world_from_camera[:3, 3] + np.asarray(move_m, float)
    return tf.pan_tilt_roll(eye, pan + pan_deg, tilt + tilt_deg, roll)


def look_at_after(
    world_from_camera: np.ndarray,
    look_at_m,
    pan_deg: float = 0.0,
    tilt_deg: float = 0.0,
    move_m=(0.0, 0.0, 0.0),
) -> np.ndarray:
    """Where a ``look_at_m`` shot must aim (same distance) for :func:`offset_pose`'s pose."""
    m = offset_pose(world_from_camera, pan_deg, tilt_deg, move_m)
    dist = float(np.linalg.norm(np.asarray(look_at_m, float) - world_from_camera[:3, 3]))
    return m[:3, 3] - m[:3, 2] * dist


def smallest_passing(
    passes: Callable[[float], bool], limit: float, step: float, tol: float
) -> float | None:
    """The smallest x in (0, limit] found with ``passes(x)``: a scan at ``step``, then bisection
    down to ``tol`` between the last failing and first passing step. None if none passes."""
    lo, x = 0.0, step
    while x <= limit + 1e-9:
        if passes(x):
            hi = x
            while hi - lo > tol:
                mid = 0.5 * (lo + hi)
                lo, hi = (lo, mid) if passes(mid) else (mid, hi)
            return hi
        lo, x = x, x + step
    return None


# ---------------------------------------------------------------- set extensions
def wall_height_needed(volume, origins: np.ndarray, dirs: np.ndarray) -> list[tuple[int, float]]:
    """Per LED section that rays which went over the wall would meet if it were taller: (section
    index, the height above its bottom they meet it at, the highest). Rays (N, 3) in world."""
    from previs.core.scene import CurvedSection, FlatSection

    o, d = np.asarray(origins, float).reshape(-1, 3), np.asarray(dirs, float).reshape(-1, 3)
    best: dict[int, float] = {}
    for i, sec in enumerate(volume.sections):
        if isinstance(sec, CurvedSection):
            c = np.array([sec.center_xz_m[0], sec.center_xz_m[1]])
            oc, dxz = o[:, [0, 2]] - c, d[:, [0, 2]]
            a = np.sum(dxz * dxz, axis=1)
            b = np.sum(oc * dxz, axis=1)
            disc = b * b - a * (np.sum(oc * oc, axis=1) - sec.radius_m**2)
            with np.errstate(invalid="ignore", divide="ignore"):
                t = (-b + np.sqrt(disc)) / a  # the far root: the lit face, seen from inside
            p = o + d * t[:, None]
            az = np.degrees(np.arctan2(p[:, 0] - c[0], p[:, 2] - c[1])) % 360.0
            on = (
                (disc >= 0)
                & (a > 1e-12)
                & (t > 0)
                & (((az - sec.start_azimuth_deg) % 360.0) <= sec.arc_deg)
            )
        elif isinstance(sec, FlatSection):
            a0, a1 = np.array(sec.start_xz_m, float), np.array(sec.end_xz_m, float)
            e = a1 - a0
            nrm = np.array([-e[1], e[0]])
            den = d[:, [0, 2]] @ nrm
            with np.errstate(invalid="ignore", divide="ignore"):
                t = ((a0 - o[:, [0, 2]]) @ nrm) / den
            p = o + d * t[:, None]
            along = ((p[:, [0, 2]] - a0) @ e) / (e @ e)
            on = (np.abs(den) > 1e-12) & (t > 0) & (along >= 0) & (along <= 1)
        else:
            continue
        h = p[on, 1] - sec.bottom_m
        if h.size and np.max(h) > sec.height_m:
            best[i] = float(np.max(h))
    return sorted(best.items())


def floor_extension(
    world_from_local: np.ndarray, size_m, points_m: np.ndarray, margin_m: float = 0.1
) -> tuple[tuple[float, float], np.ndarray]:
    """A laid floor (a plane piece, ``size_m`` [x, z] centred on its origin) grown just enough to
    cover ``points_m`` (where rays met the bare stage floor) with ``margin_m`` to spare: (new
    size [x, z], new origin in the world). Grows only the sides the points lie past."""
    inv = np.linalg.inv(world_from_local)
    local = tf.transform_points(inv, np.asarray(points_m, float).reshape(-1, 3))
    hx, hz = size_m[0] / 2.0, size_m[1] / 2.0
    sx = np.linalg.norm(world_from_local[:3, 0])  # local units per metre along x and z
    sz = np.linalg.norm(world_from_local[:3, 2])
    x0 = min(-hx, float(local[:, 0].min()) - margin_m / sx)
    x1 = max(hx, float(local[:, 0].max()) + margin_m / sx)
    z0 = min(-hz, float(local[:, 2].min()) - margin_m / sz)
    z1 = max(hz, float(local[:, 2].max()) + margin_m / sz)
    # Sizes rounded up to 0.1 m on the side that grew, so the edge stays past every point.
    x0, x1 = (
        (math.floor(x0 * 10) / 10 if x0 < -hx else x0),
        (math.ceil(x1 * 10) / 10 if x1 > hx else x1),
    )
    z0, z1 = (
        (math.floor(z0 * 10) / 10 if z0 < -hz else z0),
        (math.ceil(z1 * 10) / 10 if z1 > hz else z1),
    )
    centre = tf.transform_points(world_from_local, [[(x0 + x1) / 2, 0.0, (z0 + z1) / 2]])[0]
    return (x1 - x0, z1 - z0), centre
