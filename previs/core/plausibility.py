"""Could a real rig do this? Warnings for camera tracks that outrun the gear.

:func:`check_track` samples a built :class:`~previs.core.animation.CameraTrack` at every whole
frame and measures, by finite differences at the shot's frame rate:

* the camera's speed ``|Δp|·fps`` and acceleration ``|Δ²p|·fps²``: against the crane limits over
  the frames of a ``crane`` move, against the dolly limits everywhere else (a dolly, truck,
  pedestal, orbit, push-in, path or dolly zoom rides a dolly; so do explicit position keys).
  Frames inside a ``handheld`` move are not checked for acceleration: its shake is an operator's
  body, not a rig's. A ``linear`` move starts and stops at once, i.e. its first frame accelerates
  by ``v·fps``; that is reported, as a grip could not do it (use ``ease`` or ``smooth``);
* pan and tilt speeds (degrees per second, the short way round);
* focus pulls: the change of ``1/focus_m`` (dioptres) per second, which is what a follow-focus
  turns (a lens's focus scale is close to even in dioptres away from close focus);
* zooms: the focal length leaving ``lens_zoom_range_mm``.

One :class:`Warning` is reported for each run of consecutive frames over one limit, with the worst
value in the run.

Defaults of :class:`RigLimits`. None is a published standard; they are our judgement of what a
practised crew does on common gear, and every one is configurable:

* ``dolly_speed_mps`` 1.5: a brisk walk for the grip pushing (walking pace is about 1.4 m/s).
* ``dolly_accel_mps2`` 1.0: reaching walking pace in about 1.5 s without a visible jolt.
* ``crane_speed_mps`` 2.0 and ``crane_accel_mps2`` 1.5: a jib or telescopic crane's arm tip moves
  faster than a dolly but carries momentum (judgement).
* ``pan_speed_dps`` and ``tilt_speed_dps`` 90: a fast but controlled move on a fluid or geared
  head; whip pans go beyond it on purpose (judgement). Strobing begins far below this on long lenses.
* ``focus_pull_dps`` 2.0 dioptres per second: e.g. racking from 0.5 m to infinity (2 D) in one
  second, a quick rack a focus puller can land reliably (judgement).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from previs.core.animation import CameraTrack
from previs.errors import PrevisError


@dataclass(frozen=True)
class RigLimits:
    """What the rig and crew can do (see the module docstring for where each default comes from)."""

    dolly_speed_mps: float = 1.5
    dolly_accel_mps2: float = 1.0
    crane_speed_mps: float = 2.0
    crane_accel_mps2: float = 1.5
    pan_speed_dps: float = 90.0
    tilt_speed_dps: float = 90.0
    focus_pull_dps: float = 2.0  # dioptres (1/m) per second


@dataclass(frozen=True)
class Warning:  # the name the API asks for (shadows the builtin here); also PlausibilityWarning
    """One implausible stretch of a shot: ``kind`` (``dolly_speed``, ``dolly_accel``,
    ``crane_speed``, ``crane_accel``, ``pan_speed``, ``tilt_speed``, ``focus_pull``,
    ``zoom_range``), the frames it covers (inclusive), a sentence, the worst value and the limit
    (in the units the kind implies: m/s, m/s², °/s, D/s, mm)."""

    kind: str
    shot_frame_range: tuple[int, int]
    message: str
    value: float
    limit: float


PlausibilityWarning = Warning


def _runs(mask: np.ndarray):
    """(first, last) index of each run of True."""
    idx = np.flatnonzero(mask)
    if not len(idx):
        return []
    breaks = np.flatnonzero(np.diff(idx) > 1)
    starts = np.r_[idx[0], idx[breaks + 1]]
    ends = np.r_[idx[breaks], idx[-1]]
    return list(zip(starts.tolist(), ends.tolist(), strict=True))


def _covering(moves, first: int, last: int) -> str:
    names = [
        m.label
        for m in moves
        if m.start_frame <= last and m.end_frame >= first and m.type != "handheld"
    ]
    return f" ({', '.join(names)})" if names else ""


def check_track(
    track: CameraTrack,
    moves,
    frame_rate,
    lens_zoom_range_mm=None,
    limits: RigLimits | None = None,
    *,
    length_frames: int | None = None,
) -> list[Warning]:
    """Warnings for the track over frames ``0 … length_frames − 1`` (pass the shot's length; the
    default runs to the last key or move end, as a track does not know its shot's length)."""
    limits = limits or RigLimits()
    moves = list(moves or ())
    fps = float(frame_rate)
    if not math.isfinite(fps) or fps <= 0:
        raise PrevisError(f"frame_rate must be positive, got {frame_rate!r}")
    if length_frames is None:
        length_frames = max([*track.key_frames(), *(m.end_frame for m in moves), 1]) + 1
    frames = np.arange(0, max(1, int(length_frames)))
    ch = track.channels
    pos = ch["position_m"].evaluate_many(frames)
    out: list[Warning] = []

    crane = np.zeros(len(frames), bool)
    shaky = np.zeros(len(frames), bool)
    for m in moves:
        if m.type == "crane":
            crane[m.start_frame : m.end_frame + 1] = True
        if m.type == "handheld":
            shaky[m.start_frame : m.end_frame + 1] = True

    def report(kind, values, limit, at_frames, unit, what, mask=None):
        over = values > limit * (1 + 1e-9)
        if mask is not None:
            over &= mask
        for a, b in _runs(over):
            first, last = int(at_frames[a][0]), int(at_frames[b][1])
            worst = float(values[a : b + 1].max())
            out.append(
                Warning(
                    kind,
                    (first, last),
                    f"{what} {worst:.3g} {unit} over frames {first}–{last}{_covering(moves, first, last)} "
                    f"exceeds {limit:g} {unit}",
                    worst,
                    float(limit),
                )
            )

    if len(frames) >= 2:
        # speeds over each interval [i, i+1]
        spans = np.c_[frames[:-1], frames[1:]]
        speed = np.linalg.norm(np.diff(pos, axis=0), axis=1) * fps
        on_crane = crane[:-1] & crane[1:]
        report("crane_speed", speed, limits.crane_speed_mps, spans, "m/s", "crane speed", on_crane)
        report("dolly_speed", speed, limits.dolly_speed_mps, spans, "m/s", "dolly speed", ~on_crane)
        for name, kind, limit, what in (
            ("pan_deg", "pan_speed", limits.pan_speed_dps, "pan speed"),
            ("tilt_deg", "tilt_speed", limits.tilt_speed_dps, "tilt speed"),
        ):
            a = ch[name].evaluate_many(frames)[:, 0]
            rate = np.abs((np.diff(a) + 180.0) % 360.0 - 180.0) * fps
            report(kind, rate, limit, spans, "°/s", what)
        focus = ch["focus_m"].evaluate_many(frames)[:, 0]
        with np.errstate(divide="ignore"):
            dioptres = np.where(np.isinf(focus), 0.0, 1.0 / focus)
        rate = np.abs(np.diff(dioptres)) * fps
        report("focus_pull", rate, limits.focus_pull_dps, spans, "D/s", "focus pull")
    if len(frames) >= 3:
        # accelerations at each inner frame i, from frames i-1, i, i+1
        spans = np.c_[frames[:-2], frames[2:]]
        accel = np.linalg.norm(pos[2:] - 2 * pos[1:-1] + pos[:-2], axis=1) * fps * fps
        steady = ~shaky[1:-1]
        report(
            "crane_accel",
            accel,
            limits.crane_accel_mps2,
            spans,
            "m/s²",
            "crane acceleration",
            crane[1:-1] & steady,
        )
        report(
            "dolly_accel",
            accel,
            limits.dolly_accel_mps2,
            spans,
            "m/s²",
            "dolly acceleration",
            ~crane[1:-1] & steady,
        )
    if lens_zoom_range_mm is not None:
        lo, hi = (float(x) for x in lens_zoom_range_mm)
        focal = ch["focal_length_mm"].evaluate_many(frames)[:, 0]
        spans = np.c_[frames, frames]
        for mask, limit, side in (
            (focal < lo - 1e-6, lo, "below"),
            (focal > hi + 1e-6, hi, "above"),
        ):
            for a, b in _runs(mask):
                worst = float(focal[a : b + 1].min() if side == "below" else focal[a : b + 1].max())
                first, last = int(spans[a][0]), int(spans[b][1])
                out.append(
                    Warning(
                        "zoom_range",
                        (first, last),
                        f"focal length {worst:.4g} mm over frames {first}–{last}"
                        f"{_covering(moves, first, last)} is {side} the zoom's range "
                        f"{lo:g}–{hi:g} mm",
                        worst,
                        limit,
                    )
                )
    out.sort(key=lambda w: (w.shot_frame_range, w.kind))
    return out


# ---------------------------------------------------------------- people
@dataclass(frozen=True)
class PeopleLimits:
    """Speeds a person covers ground at (m/s; sources in previs.core.figure): a walk between
    0.5 (slower reads as a shuffle) and 2.0 (people break into a run near there, Thorstensson &
    Roberthson 1987); a run up to 7.0 (an actor's sprint for camera; trained sprinters peak near
    10-12)."""

    walk_mps: tuple[float, float] = (0.5, 2.0)
    run_mps: tuple[float, float] = (2.0, 7.0)


def check_walk(walk, frame_rate, limits: PeopleLimits | None = None) -> list[Warning]:
    """A walk's (``previs.core.scene.Walk``) average speed against the human range of its gait:
    one ``walk_speed`` or ``run_speed`` warning when it is outside."""
    from previs.core.moves import _path_points, _path_samples

    limits = limits or PeopleLimits()
    fps = float(frame_rate)
    pts = _path_points("walk", None, walk.points_m)
    pos, _ = _path_samples(pts, np.linspace(0.0, 1.0, 257), True)
    length_m = float(np.linalg.norm(np.diff(pos, axis=0), axis=1).sum())
    seconds = (walk.end_frame - walk.start_frame) / fps
    speed = length_m / seconds
    lo, hi = limits.run_mps if walk.gait == "run" else limits.walk_mps
    if lo <= speed <= hi:
        return []
    kind = f"{walk.gait}_speed"
    side, limit = ("below", lo) if speed < lo else ("above", hi)
    hint = {
        ("walk", "above"): "; make it a run (gait: run) or give it more frames",
        ("walk", "below"): "; give it fewer frames",
        ("run", "above"): "; give it more frames",
        ("run", "below"): "; make it a walk (gait: walk)",
    }[(walk.gait, side)]
    return [
        Warning(
            kind,
            (walk.start_frame, walk.end_frame),
            f"{walk.standin} {'walks' if walk.gait == 'walk' else 'runs'} {length_m:.2f} m in "
            f"{seconds:.2f} s: {speed:.2f} m/s is {side} a person's {lo:g}-{hi:g} m/s"
            f"{hint}",
            speed,
            float(limit),
        )
    ]
