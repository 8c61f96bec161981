"""A DP's meter: the light at a subject's face from every scene light, as lux and as a T-stop.

Pure numpy maths over plain data (no GL, no files). The window calls :func:`read_face` for the
picked character; ``previs check`` meters the characters in frame (``previs.check``).

**Illuminance at the face.** A flat-disc incident meter held at the face, its disc facing the way
the face looks (normal n), reads the illuminance on that plane. A point or spot light of centre
intensity I (candela) at distance d, arriving at angle θ to n, gives ::

    E = I · f_cone · f_range · max(cos θ, 0) / d²          (lux; inverse square, Lambert's cosine)

and a directional light of illuminance E₀ (lux, on a plane square to it) gives ``E₀ · max(cos θ,
0)``. ``f_cone`` is the renderer's spot profile (``shaders/lighting.glsl``, :func:`spot_falloff`):
1 on the axis, 0.5 at the beam angle, 0.1 at the field angle, fading to 0 over 0.05 in cosine
past it; ``f_range`` the renderer's range window ``clamp(1 - (d²/r²)², 0, 1)``. A light whose
straight path to the face crosses a set piece's bounding box (not the subject's own) is shadowed
and counts 0 (the renderer's shadow maps see the meshes themselves: a box is coarser). The LED
wall's own light on the face is not metered here.

**The T-stop.** The incident-light meter equation (ISO 2720; Sekonic and the ASC manual give
C ≈ 250 lx·s for a flat disc, 320-340 for a dome) sets the exposure that renders an
incident reading E correctly::

    N² / t = E · S / C      so      N = √(E · S · t / C)

with N the T-stop, t the exposure time (shutter angle / 360 / fps) and S the ISO. Worked: 400 lx
at ISO 800 and 1/48 s gives N = √(400 · 800 / 48 / 250) = √26.67 = T5.16. Against the shot's
own stop N₀ the face sits ``2 log₂(N / N₀)`` stops over (+) or under (−) its correct exposure:
each stop is a factor √2 in T and 2 in light.

**Key to fill.** Each of two lights metered alone with the disc turned to face that light (the
gaffer's way: the ratio of what each light delivers, not of where it lands on the face): the key
to fill ratio is ``E_key / E_fill``, in stops ``log₂`` of it (4:1 is 2 stops).

**The wall against the exposure.** The wall's white luminance W in stops over the luminance a
reflected meter calls mid-grey at the same settings, ``log₂(W / L_mid)``, ``L_mid = K N² / (t S)``
with K = 12.5 (:func:`previs.core.stage_light.stops_over_mid_grey`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from previs.core import optics
from previs.core.scene import Light
from previs.core.transforms import vec3

EYE_FRACTION = 0.935  # eye height over stature, as previs.core.frame.subjects
FACE_FORWARD_M = 0.1  # the meter is held this far in front of the eyes
FACE_EXPOSURE_WARN_STOPS = 1.0  # previs check warns past this many stops off the shot's stop


# ---------------------------------------------------------------- the renderer's light model
def spot_falloff(cos_angle, beam_deg: float, field_deg: float):
    """The share of a spot's centre intensity at ``cos_angle`` off its axis: the renderer's
    profile (lighting.glsl) exactly, so the meter and the picture agree."""
    cb = math.cos(math.radians(beam_deg) / 2.0)
    cf = math.cos(math.radians(field_deg) / 2.0)
    cd = np.asarray(cos_angle, dtype=np.float64)
    x = np.clip((cd - cf) / max(cb - cf, 1e-4), 0.0, 1.0)
    s = np.clip((cd - cb) * 4.0 / max(1.0 - cb, 1e-4), 0.0, 1.0)
    inside = 0.1 + 0.4 * x + 0.5 * s * s * (3.0 - 2.0 * s)  # smoothstep
    outside = 0.1 * np.clip(1.0 - (cf - cd) * 20.0, 0.0, 1.0)
    out = np.where(cd >= cf, inside, outside)
    return float(out) if out.ndim == 0 else out


def range_falloff(distance_m: float, range_m: float) -> float:
    """The renderer's range window: 1 near, 0 at ``range_m`` (no cut-off when it is 0)."""
    if range_m <= 0:
        return 1.0
    r2 = (distance_m / range_m) ** 2
    return min(max(1.0 - r2 * r2, 0.0), 1.0)


def _segment_hits_box(p0: np.ndarray, p1: np.ndarray, lo, hi) -> bool:
    """Slab test: does the segment p0 -> p1 (p1 may be far away) cross the box [lo, hi]?"""
    d = p1 - p0
    t0, t1 = 0.0, 1.0
    for k in range(3):
        if abs(d[k]) < 1e-12:
            if p0[k] < lo[k] or p0[k] > hi[k]:
                return False
            continue
        a, b = (lo[k] - p0[k]) / d[k], (hi[k] - p0[k]) / d[k]
        if a > b:
            a, b = b, a
        t0, t1 = max(t0, a), min(t1, b)
        if t0 > t1:
            return False
    return True


@dataclass(frozen=True)
class Box:
    """A set piece's world bounding box, an occluder for the meter and collisions."""

    name: str
    lo: tuple[float, float, float]
    hi: tuple[float, float, float]


def blocker(light: Light, point_m, occluders: Iterable[Box] = ()) -> str | None:
    """The first set piece whose box lies between the light and the point, or None."""
    p = np.asarray(point_m, dtype=np.float64)
    if light.type == "directional":
        far = p - np.asarray(light.direction, dtype=np.float64) * 1e4
    else:
        far = np.asarray(light.position_m, dtype=np.float64)
    for b in occluders:
        lo, hi = np.asarray(b.lo), np.asarray(b.hi)
        if np.all(p >= lo) and np.all(p <= hi):
            continue  # the point sits in this box (its own, a seat's back): it cannot shade it
        if light.type != "directional" and np.all(far >= lo) and np.all(far <= hi):
            continue  # the lamp head inside a box: a practical in a prop
        if _segment_hits_box(p, far, lo, hi):
            return b.name
    return None


@dataclass(frozen=True)
class Contribution:
    """One light's share at the face: ``lux`` on the face's plane, ``facing_lux`` on a disc turned
    to the light (what the key/fill ratio compares), and why it is what it is."""

    light: str
    lux: float
    facing_lux: float
    distance_m: float | None  # None for a directional light
    cos_incidence: float
    cone: float  # the spot profile's share (1 for point and directional lights)
    shadowed_by: str | None = None
    near_field: bool = (
        False  # a library fixture nearer than 5 x its face (inverse square reads high)
    )


def light_at(light: Light, point_m, normal, occluders: Iterable[Box] = ()) -> Contribution:
    """What one light delivers at a point on a plane facing ``normal`` (see the module notes)."""
    p = np.asarray(point_m, dtype=np.float64)
    n = np.asarray(normal, dtype=np.float64)
    n = n / max(float(np.linalg.norm(n)), 1e-12)
    if light.type == "directional":
        to_light = -np.asarray(light.direction, dtype=np.float64)
        to_light /= max(float(np.linalg.norm(to_light)), 1e-12)
        facing, dist, cone = float(light.intensity), None, 1.0
    else:
        d = np.asarray(light.position_m, dtype=np.float64) - p
        dist = float(np.linalg.norm(d))
        to_light = d / max(dist, 1e-9)
        cone = 1.0
        if light.type == "spot":
            axis = np.asarray(light.direction, dtype=np.float64)
            axis /= max(float(np.linalg.norm(axis)), 1e-12)
            cone = spot_falloff(
                float(np.dot(-to_light, axis)), light.beam_angle_deg, light.field_angle_deg
            )
        facing = (
            light.intensity * cone * range_falloff(dist, light.range_m) / max(dist * dist, 1e-4)
        )
    cos_i = float(np.dot(n, to_light))
    who = blocker(light, p, occluders) if facing > 0 else None
    if who is not None:
        facing = 0.0
    near = False
    if light.fixture is not None and dist is not None:
        from previs.core.fixtures import get_fixture, near_field

        near = near_field(get_fixture(light.fixture), dist)
    return Contribution(
        light.name, facing * max(cos_i, 0.0), facing, dist, cos_i, float(cone), who, near
    )


# ---------------------------------------------------------------- readings
@dataclass(frozen=True)
class Reading:
    """An incident reading at a face, and what it means for the shot's exposure."""

    subject: str
    point_m: tuple[float, float, float]
    normal: tuple[float, float, float]
    lux: float
    contributions: tuple[Contribution, ...]
    t_stop: float | None  # what the meter says (None: no light at all)
    shot_t_stop: float
    stops: float  # + the face is over the shot's exposure, - under (-inf with no light)
    iso: float
    exposure_s: float
    key: str | None = None
    fill: str | None = None
    key_fill_stops: float | None = None

    @property
    def key_fill_ratio(self) -> float | None:
        return None if self.key_fill_stops is None else 2.0**self.key_fill_stops

    def by_light(self) -> dict[str, float]:
        return {c.light: c.lux for c in self.contributions}


def t_stop_for(
    lux: float, iso: float, exposure_s: float, c: float = optics.METER_C_INCIDENT_LUX
) -> float:
    """N = √(E S t / C) (the module notes)."""
    return math.sqrt(lux * iso * exposure_s / c)


def stops_against(t_stop: float | None, shot_t_stop: float) -> float:
    """2 log₂(N / N₀): how far a face metered at N sits over (+) the exposure at N₀."""
    if t_stop is None or t_stop <= 0:
        return -math.inf
    return 2.0 * math.log2(t_stop / shot_t_stop)


def key_fill_stops(contributions: Sequence[Contribution], key: str, fill: str) -> float | None:
    """log₂(E_key / E_fill), each light metered facing it; None when the fill gives nothing."""
    by = {c.light: c for c in contributions}
    for name in (key, fill):
        if name not in by:
            raise KeyError(f"no light '{name}' at this reading (lights: {', '.join(by)})")
    k, f = by[key].facing_lux, by[fill].facing_lux
    if f <= 0 or k <= 0:
        return None
    return math.log2(k / f)


def pick_key_fill(contributions: Sequence[Contribution]) -> tuple[str | None, str | None]:
    """Unless a DP names them: the key is the light that puts most on the face, the fill the
    next (both must light the face)."""
    lit = sorted((c for c in contributions if c.lux > 0), key=lambda c: -c.lux)
    return (lit[0].light if lit else None), (lit[1].light if len(lit) > 1 else None)


def read(
    subject: str,
    point_m,
    normal,
    lights: Iterable[Light],
    *,
    iso: float,
    exposure_s: float,
    shot_t_stop: float,
    occluders: Iterable[Box] = (),
    key: str | None = None,
    fill: str | None = None,
) -> Reading:
    """Meter a point facing ``normal`` under ``lights``; key and fill picked when not named."""
    occ = list(occluders)
    parts = tuple(light_at(lt, point_m, normal, occ) for lt in lights)
    total = float(sum(c.lux for c in parts))
    t = t_stop_for(total, iso, exposure_s) if total > 0 else None
    if key is None and fill is None:
        key, fill = pick_key_fill(parts)
    ratio = key_fill_stops(parts, key, fill) if key and fill else None
    return Reading(
        subject,
        vec3(point_m),
        vec3(normal),
        total,
        parts,
        t,
        float(shot_t_stop),
        stops_against(t, shot_t_stop),
        float(iso),
        float(exposure_s),
        key,
        fill,
        ratio,
    )


def face_of(piece, pose: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(point, normal) of a stand-in's face: a hand's width in front of the eyes, facing the way
    it faces (+Z of its local axes, level)."""
    m = np.asarray(piece.world_from_local if pose is None else pose, dtype=np.float64)
    fwd = m[:3, :3] @ np.array([0.0, 0.0, 1.0])
    fwd[1] = 0.0
    n = fwd / max(float(np.linalg.norm(fwd)), 1e-12)
    eye = m[:3, :3] @ np.array([0.0, EYE_FRACTION * piece.height_m, 0.0]) + m[:3, 3]
    return eye + n * FACE_FORWARD_M, n


def read_face(
    scene,
    state,
    name: str,
    *,
    occluders: Iterable[Box] = (),
    key: str | None = None,
    fill: str | None = None,
) -> Reading:
    """Meter a stand-in's face at a frame (its walk pose when it walks), against that frame's
    T-stop, ISO and shutter; the lights as the cues leave them at that frame."""
    from previs.core.stage_light import exposure_time_s

    piece = next((p for p in scene.set_pieces if p.name == name), None)
    if piece is None or piece.kind != "standin":
        raise KeyError(f"no stand-in '{name}'")
    pose = (state.poses or {}).get(name)
    point, normal = face_of(piece, pose)
    occ = [b for b in occluders if b.name != name]
    return read(
        name,
        point,
        normal,
        state.lights,
        iso=state.iso,
        exposure_s=exposure_time_s(state.shutter_angle_deg, state.frame_rate),
        shot_t_stop=state.t_stop,
        occluders=occ,
        key=key,
        fill=fill,
    )


def wall_stops(wall_nits: float, t_stop: float, exposure_s: float, iso: float) -> float:
    """The wall's white in stops over mid-grey at the exposure (stage_light's reflected meter)."""
    from previs.core.stage_light import stops_over_mid_grey

    return float(stops_over_mid_grey(wall_nits, t_stop, exposure_s, iso))


def primitive_boxes(scene) -> list[Box]:
    """World bounding boxes of the set's boxes, cylinders and stand-ins (not meshes, whose files
    only the io layer reads, nor floor planes): occluders for tests and the window."""
    out = []
    for p in scene.set_pieces:
        if p.kind == "box":
            sx, sy, sz = p.size_m
            corners = [
                (x, y, z) for x in (-sx / 2, sx / 2) for y in (0.0, sy) for z in (-sz / 2, sz / 2)
            ]
        elif p.kind == "cylinder":
            r, h = p.radius_m, p.height_m
            corners = [(x, y, z) for x in (-r, r) for y in (0.0, h) for z in (-r, r)]
        elif p.kind == "standin":
            r = 0.25 * p.height_m / 1.75  # shoulders and elbows
            corners = [(x, y, z) for x in (-r, r) for y in (0.0, p.height_m) for z in (-r, r)]
        else:
            continue
        m = p.world_from_local
        w = np.asarray(corners) @ m[:3, :3].T + m[:3, 3]
        out.append(Box(p.name, tuple(w.min(axis=0)), tuple(w.max(axis=0))))
    return out
