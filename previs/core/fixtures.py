"""Film lighting fixtures and gels as a gaffer names them (``previs/data/fixtures.yaml``), and the
pure functions the window uses to rig them.

A scene-file light may name a fixture instead of raw photometrics::

    - name: key
      fixture: skypanel-s60c      # previs presets lists the library
      setting: standard           # spot | flood | a named diffuser | a beam angle in degrees
      dimmer_pct: 70
      kelvin: 4300                # within the fixture's range
      gel: 1/2 cto                # from the short list below
      position_m: [2, 2.4, 1]
      target_m: [0, 1.6, -1]

**Candela from the published figure.** Makers print the centre illuminance E (lux) at a throw d
(metres). Far from the source a fixture is a point, and illuminance falls with the inverse square
of distance, so the intensity (candela) in the beam's centre is ``I = E d²``, and E at any other
throw d' is ``I / d'²``. This holds in the far field: from about five times the emitting face's
longest side (the photometric distance rule of thumb, under 1 % error for a uniform disc). Closer
to a soft source (a SkyPanel at 1 m, a Titan Tube at 1 m) a meter reads less than ``I / d²``:
:func:`near_field` flags those distances, and the meter reports them.

**Beam and field.** The beam angle is where the intensity falls to 50 % of the centre, the field
angle to 10 % (the spec-sheet convention, and the renderer's spot model, ``shaders/lighting.glsl``).
A fixture whose sheet gives only the beam gets a field from a ``cos^n`` beam fitted to it
(:func:`derived_field_deg`, tagged D). A focusing fixture (spot and flood settings) takes any beam
angle between the two: the intensity is interpolated log-log against the beam's solid angle
through both published points (a beam of four times the solid angle holds about a quarter of the
intensity), the field linearly with the beam.

**Dimmer and gels.** The dimmer scales intensity linearly (LED drivers are specified that way; a
tungsten lamp also warms as it dims, which previs does not model: gel it). A gel multiplies the
intensity by its luminous transmission and moves the colour temperature by its mired shift,
``K' = 10⁶ / (10⁶/K + shift)``; green/magenta gels tint the light by a CC density (see the data
file). Every lookup ignores case and accepts spaces, ``_`` and ``/`` for ``-``; unknown names raise
:class:`~previs.errors.PresetError` with a did-you-mean.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

from previs.core.colour import KELVIN_MAX, KELVIN_MIN, kelvin_to_linear_rgb, luminance
from previs.core.presets import _confidence, _did_you_mean, _need, _read_yaml, normalise_id
from previs.core.scene import Light
from previs.core.transforms import vec3
from previs.errors import PresetError

NEAR_FIELD_FACTOR = 5.0
"""Inverse square holds from this many times the emitting face's longest side."""
FIELD_SHARE = 0.1  # the field angle's share of the centre intensity
BEAM_SHARE = 0.5


# ---------------------------------------------------------------- data
@dataclass(frozen=True)
class Setting:
    """One spot/flood position or diffuser, as the maker's table gives it."""

    name: str
    beam_deg: float
    field_deg: float
    lux: float
    at_m: float
    confidence: str
    field_derived: bool = False

    @property
    def candela(self) -> float:
        """I = E d² (inverse square, far field)."""
        return self.lux * self.at_m * self.at_m


@dataclass(frozen=True)
class Resolved:
    """A setting as rigged: its label, full angles and centre intensity."""

    label: str
    beam_deg: float
    field_deg: float
    candela: float


@dataclass(frozen=True)
class Fixture:
    id: str
    name: str
    maker: str
    kind: str
    power_w: float
    cct_min_k: float
    cct_max_k: float
    default_kelvin: float
    color_mixing: bool
    emitter_m: float
    settings: tuple[Setting, ...]
    default_setting: str
    source: str
    confidence: str
    notes: str = ""
    aliases: tuple[str, ...] = ()

    @property
    def focuses(self) -> bool:
        """Spot and flood positions: any beam angle between them is a setting."""
        names = {s.name for s in self.settings}
        return {"spot", "flood"} <= names

    @property
    def fixed_cct(self) -> bool:
        return self.cct_min_k == self.cct_max_k

    def _named(self, name: str) -> Setting:
        for s in self.settings:
            if s.name == name:
                return s
        raise KeyError(name)

    def setting_names(self) -> list[str]:
        return [s.name for s in self.settings]

    def describe_settings(self) -> str:
        names = ", ".join(self.setting_names())
        if self.focuses:
            spot, flood = self._named("spot"), self._named("flood")
            names += f", or a beam angle from {spot.beam_deg:g} to {flood.beam_deg:g} degrees"
        return names

    def setting(self, value: str | float | None = None) -> Resolved:
        """A named setting, or (focusing fixtures) a beam angle in degrees between spot and flood."""
        if value is None:
            value = self.default_setting
        degrees = _degrees(value)
        if degrees is None:
            key = normalise_id(str(value))
            for s in self.settings:
                if s.name == key:
                    return Resolved(s.name, s.beam_deg, s.field_deg, s.candela)
            raise PresetError(
                f"{self.name} has no setting '{value}'"
                f"{_did_you_mean(key, self.setting_names())} (settings: "
                f"{self.describe_settings()})"
            )
        if not self.focuses:
            raise PresetError(
                f"{self.name} does not focus: a beam angle of {degrees:g} degrees is not "
                f"a setting of it (settings: {self.describe_settings()})"
            )
        spot, flood = self._named("spot"), self._named("flood")
        lo, hi = sorted((spot.beam_deg, flood.beam_deg))
        if not lo - 1e-9 <= degrees <= hi + 1e-9:
            raise PresetError(
                f"{self.name} focuses from {lo:g} to {hi:g} degrees; {degrees:g} is outside that"
            )
        if hi - lo < 1e-9:
            return Resolved(f"{degrees:g}°", spot.beam_deg, spot.field_deg, spot.candela)
        t = (degrees - spot.beam_deg) / (flood.beam_deg - spot.beam_deg)
        field = spot.field_deg + t * (flood.field_deg - spot.field_deg)
        # log I linear in log(solid angle of the beam): exact at both published points
        w = [math.log(_cone_sr(a)) for a in (spot.beam_deg, degrees, flood.beam_deg)]
        u = (w[1] - w[0]) / (w[2] - w[0])
        cd = math.exp(
            math.log(spot.candela) + u * (math.log(flood.candela) - math.log(spot.candela))
        )
        return Resolved(f"{degrees:g}°", float(degrees), float(field), cd)

    def check_kelvin(self, kelvin: float) -> None:
        if not self.cct_min_k - 1e-9 <= kelvin <= self.cct_max_k + 1e-9:
            what = (
                f"is {self.cct_min_k:g} K only (gel it to change colour)"
                if self.fixed_cct
                else f"runs from {self.cct_min_k:g} to {self.cct_max_k:g} K"
            )
            raise PresetError(f"{kelvin:g} K is outside the {self.name}'s range: it {what}")


@dataclass(frozen=True)
class Gel:
    id: str
    name: str
    reference: str
    mired_shift: float
    transmission: float
    green_cc: float = 0.0  # + plus green (CC density against red and blue), - minus green
    confidence: str = "R"
    aliases: tuple[str, ...] = ()

    def kelvin_through(self, kelvin: float) -> float:
        """K' = 10⁶ / (10⁶/K + shift); refused where it leaves the colour-temperature range."""
        mired = 1e6 / kelvin + self.mired_shift
        out = 1e6 / mired if mired > 0 else math.inf
        if not KELVIN_MIN <= out <= KELVIN_MAX:
            raise PresetError(
                f"{self.name} ({self.mired_shift:+g} mired) on {kelvin:g} K gives "
                f"{'no colour temperature' if math.isinf(out) else f'{out:.0f} K'}; "
                f"previs models {KELVIN_MIN:g} to {KELVIN_MAX:g} K"
            )
        return out

    def tint(self) -> np.ndarray:
        """Linear-RGB channel factors of the green/magenta part, before the transmission."""
        if self.green_cc > 0:
            return np.array([10**-self.green_cc, 1.0, 10**-self.green_cc])
        if self.green_cc < 0:
            return np.array([1.0, 10**self.green_cc, 1.0])
        return np.ones(3)


def _cone_sr(full_angle_deg: float) -> float:
    return 2.0 * math.pi * (1.0 - math.cos(math.radians(full_angle_deg) / 2.0))


def derived_field_deg(beam_deg: float) -> float:
    """The field angle of a ``cos^n`` beam whose beam angle is ``beam_deg``: n follows from
    cos^n(beam/2) = 0.5, the field half-angle from cos^n = 0.1 (a 20° beam gives 36.2°, 60°
    gives 103.3°, 105° gives 157.8°). Held under 179° (the renderer's spot)."""
    c = math.cos(math.radians(beam_deg) / 2.0)
    n = math.log(BEAM_SHARE) / math.log(c)
    half = math.degrees(math.acos(FIELD_SHARE ** (1.0 / n)))
    return min(2.0 * half, 179.0)


def _degrees(value) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip().lower()
    for suffix in ("°", "deg", "degrees", "degree"):
        if text.endswith(suffix):
            text = text[: -len(suffix)].strip()
            break
    try:
        return float(text)
    except ValueError:
        return None


def _positive(entry: dict, key: str, where: str, hi: float = 1e9) -> float:
    v = _need(entry, key, where)
    if isinstance(v, bool) or not isinstance(v, int | float) or not 0 < v <= hi:
        raise PresetError(f"{where}: '{key}' must be a number in (0, {hi:g}], got {v!r}")
    return float(v)


def _parse_fixture(fid: str, e: dict[str, Any]) -> Fixture:
    where = f"previs/data/fixtures.yaml: fixtures.{fid}"
    conf = _confidence(_need(e, "confidence", where), where)
    lo, hi = (float(k) for k in _need(e, "cct_range_k", where))
    settings = []
    for name, s in _need(e, "settings", where).items():
        w = f"{where}.settings.{name}"
        beam = _positive(s, "beam_deg", w, 179.0)
        field = s.get("field_deg")
        settings.append(
            Setting(
                name=normalise_id(name),
                beam_deg=beam,
                field_deg=float(field) if field is not None else derived_field_deg(beam),
                lux=_positive(s, "lux", w),
                at_m=_positive(s, "at_m", w, 1000.0),
                confidence=_confidence(s.get("confidence", conf), w),
                field_derived=field is None,
            )
        )
    f = Fixture(
        id=fid,
        name=str(_need(e, "name", where)),
        maker=str(_need(e, "maker", where)),
        kind=str(e.get("kind", "")),
        power_w=_positive(e, "power_w", where),
        cct_min_k=lo,
        cct_max_k=hi,
        default_kelvin=float(e.get("default_kelvin", lo)),
        color_mixing=bool(e.get("color_mixing", False)),
        emitter_m=_positive(e, "emitter_m", where, 10.0),
        settings=tuple(settings),
        default_setting=normalise_id(e.get("default_setting", settings[0].name)),
        source=" ".join(str(_need(e, "source", where)).split()),
        confidence=conf,
        notes=" ".join(str(e.get("notes", "")).split()),
        aliases=tuple(normalise_id(a) for a in e.get("aliases", ())),
    )
    if not (KELVIN_MIN <= lo <= f.default_kelvin <= hi <= KELVIN_MAX):
        raise PresetError(f"{where}: cct_range_k and default_kelvin out of order or range")
    f.setting(f.default_setting)  # names a setting of its own
    return f


@cache
def _data() -> tuple[dict[str, Fixture], dict[str, Gel]]:
    raw = _read_yaml("fixtures.yaml")
    fixtures = {
        normalise_id(k): _parse_fixture(normalise_id(k), v) for k, v in raw["fixtures"].items()
    }
    gels = {}
    for gid, g in raw["gels"].items():
        where = f"previs/data/fixtures.yaml: gels.{gid}"
        t = _positive(g, "transmission", where, 1.0)
        gels[normalise_id(gid)] = Gel(
            id=normalise_id(gid),
            name=str(_need(g, "name", where)),
            reference=str(_need(g, "reference", where)),
            mired_shift=float(g.get("mired_shift", 0.0)),
            transmission=t,
            green_cc=float(g.get("green_cc", 0.0)),
            confidence=_confidence(_need(g, "confidence", where), where),
            aliases=tuple(normalise_id(a) for a in g.get("aliases", ())),
        )
    return fixtures, gels


def fixtures() -> dict[str, Fixture]:
    return dict(_data()[0])


def gels() -> dict[str, Gel]:
    return dict(_data()[1])


def _find(table: dict, name: str, what: str):
    key = normalise_id(name)
    if key in table:
        return table[key]
    for item in table.values():
        if key in item.aliases:
            return item
    names = list(table) + [a for item in table.values() for a in item.aliases]
    hint = _did_you_mean(key, names)
    if hint:
        close = hint.split("'")[1]
        hint = f"; did you mean '{_find(table, close, what).id}'?"
    raise PresetError(f"unknown {what} '{name}'{hint or '; see previs presets'}")


def get_fixture(name: str) -> Fixture:
    return _find(_data()[0], name, "fixture")


def get_gel(name: str) -> Gel:
    return _find(_data()[1], name, "gel")


def near_field(fixture: Fixture, distance_m: float) -> bool:
    """Whether a throw is inside the fixture's near field (inverse square reads high there)."""
    return distance_m < NEAR_FIELD_FACTOR * fixture.emitter_m


# ---------------------------------------------------------------- rigging
@dataclass(frozen=True)
class Photometrics:
    """What a rigged fixture (or a raw light through a dimmer and gel) puts out."""

    intensity_cd: float
    beam_deg: float
    field_deg: float
    kelvin: float | None  # after the gel
    color_linear: tuple[float, float, float]  # luminance 1
    size_m: float
    setting: str


def gelled(
    kelvin: float | None, rgb_linear, gel: Gel | None
) -> tuple[float | None, np.ndarray, float]:
    """(kelvin after the gel, colour with luminance 1, luminous transmission) of a light of
    ``kelvin`` (or ``rgb_linear`` when it has none) through ``gel``."""
    rgb = np.asarray(
        rgb_linear if kelvin is None else kelvin_to_linear_rgb(kelvin), dtype=np.float64
    )
    if gel is None:
        return kelvin, rgb / luminance(rgb), 1.0
    if kelvin is None and gel.mired_shift:
        raise PresetError(f"{gel.name} shifts a colour temperature: give the light a kelvin")
    if kelvin is not None:
        kelvin = gel.kelvin_through(kelvin)
        rgb = np.asarray(kelvin_to_linear_rgb(kelvin), dtype=np.float64)
    rgb = rgb * gel.tint()
    return kelvin, rgb / luminance(rgb), gel.transmission


def rig(
    fixture: Fixture | str,
    setting: str | float | None = None,
    *,
    dimmer_pct: float = 100.0,
    kelvin: float | None = None,
    gel: Gel | str | None = None,
    color_linear=None,
) -> Photometrics:
    """A fixture as rigged: its setting, dimmer (0-100 %), colour temperature (within its range;
    its default when None) or an RGB colour (colour-mixing fixtures), and a gel."""
    fx = get_fixture(fixture) if isinstance(fixture, str) else fixture
    g = get_gel(gel) if isinstance(gel, str) else gel
    s = fx.setting(setting)
    if not 0.0 <= dimmer_pct <= 100.0:
        raise PresetError(f"dimmer_pct must be within 0..100, got {dimmer_pct:g}")
    if color_linear is not None:
        if not fx.color_mixing:
            raise PresetError(
                f"the {fx.name} has no colour mixing: set kelvin or a gel, not a colour"
            )
        if kelvin is not None:
            raise PresetError("give kelvin or a colour, not both")
    else:
        kelvin = fx.default_kelvin if kelvin is None else float(kelvin)
        fx.check_kelvin(kelvin)
    k, rgb, transmission = gelled(
        kelvin if color_linear is None else None,
        color_linear if color_linear is not None else None,
        g,
    )
    return Photometrics(
        intensity_cd=s.candela * dimmer_pct / 100.0 * transmission,
        beam_deg=s.beam_deg,
        field_deg=s.field_deg,
        kelvin=k,
        color_linear=vec3(rgb),
        size_m=fx.emitter_m,
        setting=s.label,
    )


def fixture_light(
    name: str,
    fixture: Fixture | str,
    position_m,
    target_m,
    *,
    setting: str | float | None = None,
    dimmer_pct: float = 100.0,
    kelvin: float | None = None,
    gel: str | None = None,
    shadows: bool = True,
) -> Light:
    """A new scene light from the library, aimed at ``target_m`` (the window's "add fixture")."""
    fx = get_fixture(fixture) if isinstance(fixture, str) else fixture
    p = rig(fx, setting, dimmer_pct=dimmer_pct, kelvin=kelvin, gel=gel)
    light = Light(
        name=name,
        type="spot",
        color_linear=p.color_linear,
        intensity=p.intensity_cd,
        position_m=vec3(position_m),
        beam_angle_deg=p.beam_deg,
        field_angle_deg=p.field_deg,
        size_m=p.size_m,
        shadows=shadows,
        kelvin=p.kelvin,
        fixture=fx.id,
        setting=p.setting,
        dimmer_pct=float(dimmer_pct),
        gel=get_gel(gel).id if gel else None,
        fixture_kelvin=kelvin,
    )
    return aim_light_at(light, target_m)


def refit(light: Light, **changes) -> Light:
    """The fixture light with ``setting``, ``dimmer_pct``, ``kelvin`` (the fixture's own CCT,
    before the gel; None: its default) or ``gel`` (None: no gel) changed, its photometrics
    worked out again from the library (the window's dimmer, CCT, gel and spot/flood)."""
    if light.fixture is None:
        raise PresetError(f"light '{light.name}' is not a library fixture")
    unknown = set(changes) - {"setting", "dimmer_pct", "kelvin", "gel"}
    if unknown:
        raise TypeError(f"refit() got unknown changes {sorted(unknown)}")
    setting = changes.get("setting", light.setting)
    dimmer = float(changes.get("dimmer_pct", light.dimmer_pct))
    kelvin = changes.get("kelvin", light.fixture_kelvin)
    gel = changes.get("gel", light.gel)
    p = rig(light.fixture, setting, dimmer_pct=dimmer, kelvin=kelvin, gel=gel)
    return dataclasses.replace(
        light,
        intensity=p.intensity_cd,
        beam_angle_deg=p.beam_deg,
        field_angle_deg=p.field_deg,
        kelvin=p.kelvin,
        color_linear=p.color_linear,
        setting=p.setting,
        dimmer_pct=dimmer,
        gel=get_gel(gel).id if gel else None,
        fixture_kelvin=kelvin,
    )


# ---------------------------------------------------------------- aiming
def aim_light_at(light: Light, target_m) -> Light:
    """The light turned to point at ``target_m`` from where it stands (spots and fixtures)."""
    d = np.asarray(target_m, dtype=np.float64) - np.asarray(light.position_m, dtype=np.float64)
    n = float(np.linalg.norm(d))
    if n < 1e-9:
        raise PresetError(f"light '{light.name}' cannot aim at its own position")
    return dataclasses.replace(light, direction=vec3(d / n))


def move_light(light: Light, position_m, *, keep_target_m=None) -> Light:
    """The light moved to ``position_m``; still aimed at ``keep_target_m`` when given (a stand
    dragged on the floor keeps its head on the subject), else pointing the same way."""
    moved = dataclasses.replace(light, position_m=vec3(position_m))
    return moved if keep_target_m is None else aim_light_at(moved, keep_target_m)


def throw_m(light: Light, point_m) -> float:
    """Distance from the light to a point (the gaffer's throw)."""
    return float(np.linalg.norm(np.asarray(point_m, float) - np.asarray(light.position_m, float)))


# ---------------------------------------------------------------- listing (previs presets)
def fixture_table() -> list[str]:
    """The library as ``previs presets`` lists it: each fixture with its settings' beam/field
    angles, centre illuminance at the stated throw and candela, then the gels."""
    lines = ["LIGHTING FIXTURES", ""]
    for f in fixtures().values():
        cct = f"{f.cct_min_k:g} K" if f.fixed_cct else f"{f.cct_min_k:g}-{f.cct_max_k:g} K"
        lines.append(
            f"{f.id}  {f.name}  {f.power_w:g} W, {cct}"
            f"{', colour mixing' if f.color_mixing else ''}  [{f.confidence}]  ({f.source})"
        )
        for s in f.settings:
            field = f"{s.field_deg:.0f}°{' (D)' if s.field_derived else ''}"
            default = " *" if s.name == f.default_setting else ""
            lines.append(
                f"    {s.name:<16} beam {s.beam_deg:g}°, field {field:<9} {s.lux:g} lx at "
                f"{s.at_m:g} m = {s.candela:,.0f} cd  [{s.confidence}]{default}"
            )
        if f.notes:
            lines.append(f"    note: {f.notes}")
        lines.append("")
    lines += ["GELS", ""]
    for g in gels().values():
        cc = f", CC {g.green_cc:+g} green" if g.green_cc else ""
        lines.append(
            f"{g.id:<13} {g.name:<26} {g.reference:<30} {g.mired_shift:+5g} mired, "
            f"{100 * g.transmission:.0f} % transmission{cc}  [{g.confidence}]"
        )
    lines += [
        "",
        "Fixtures: * default setting; a focusing fixture also takes a beam angle between "
        "spot and flood. (D) derived from a cos^n beam fitted to the beam angle.",
        "",
    ]
    return lines
