"""Camera-body and lens-kit presets shipped as package data (``previs/data/*.yaml``).

The YAML is read once through :mod:`importlib.resources` and cached. Ids are lowercase and
hyphenated; lookups ignore case and accept ``_``, spaces and ``:`` for ``-`` (``"ALEXA_35"``,
``"4.6K 16:9"``). Unknown names raise :class:`~previs.errors.PresetError` with a did-you-mean.
Every entry carries ``source`` and ``confidence`` (V verified, S stated by a cited third party,
D derived, R recollection).
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import yaml

from previs.core.optics import Lens, SensorMode, default_coc_mm
from previs.errors import PresetError

CONFIDENCE_TAGS = ("V", "S", "D", "R")
_MAX_SENSOR_MM = 100.0  # larger values are pixel counts typed into mm fields (EmberLight V-RAPTOR)


@dataclass(frozen=True)
class CameraBody:
    id: str
    name: str
    maker: str
    modes: dict[str, SensorMode] = field(hash=False)
    source: str
    default_mode: str = ""
    confidence: str = ""
    notes: str = ""
    mode_aliases: dict[str, str] = field(default_factory=dict, hash=False, repr=False)
    mode_confidence: dict[str, str] = field(default_factory=dict, hash=False, repr=False)
    stated_pitch_um: dict[str, float] = field(default_factory=dict, hash=False, repr=False)
    # Exposure latitude at base ISO (stops over and under mid-grey) and the sensor's readout time
    # (rolling shutter; 0 for a global or mechanical shutter), for previs check's wall exposure
    # and banding. A body without a ``light`` block gets these conservative defaults, tagged R.
    base_iso: float = 800.0
    latitude_stops_over: float = 6.0
    latitude_stops_under: float = 6.0
    latitude_source: str = "default: a conservative 12 stops about mid-grey"
    latitude_confidence: str = "R"
    readout_ms: float = 15.0
    readout_source: str = "default: a slow rolling shutter"
    readout_confidence: str = "R"


@dataclass(frozen=True)
class LensSpec:
    """One lens of a kit: a prime (min = max) or a zoom range."""

    focal_min_mm: float
    focal_max_mm: float
    t_stop_max: float
    close_focus_m: float
    confidence: str
    note: str = ""
    t_stop_ramp: tuple[tuple[float, float], ...] = ()  # (focal_mm, widest T) for ramping zooms

    @property
    def is_zoom(self) -> bool:
        return self.focal_max_mm > self.focal_min_mm

    @property
    def focal_length_mm(self) -> float:
        return self.focal_min_mm

    def t_stop_at(self, focal_length_mm: float) -> float:
        if not self.t_stop_ramp:
            return self.t_stop_max
        f, t = zip(*self.t_stop_ramp, strict=True)
        return float(np.interp(focal_length_mm, f, t))


@dataclass(frozen=True)
class LensKit:
    id: str
    name: str
    maker: str
    squeeze: float
    kind: str  # "prime" | "zoom"
    lenses: tuple[LensSpec, ...]
    image_circle_mm: float
    source: str
    t_stop_min: float = 22.0
    confidence: str = ""
    notes: str = ""

    @property
    def focal_lengths_mm(self) -> tuple[float, ...]:
        """Primes: every focal length; zooms: the ends of each range."""
        out: list[float] = []
        for spec in self.lenses:
            out.append(spec.focal_min_mm)
            if spec.is_zoom:
                out.append(spec.focal_max_mm)
        return tuple(out)

    def _describe_focals(self) -> str:
        if self.kind == "zoom":
            return ", ".join(f"{s.focal_min_mm:g}-{s.focal_max_mm:g} mm" for s in self.lenses)
        return ", ".join(f"{f:g}" for f in self.focal_lengths_mm) + " mm"

    def lens_at(self, focal_length_mm: float) -> Lens:
        """The lens of this kit at a focal length (a prime's own, or within a zoom's range)."""
        try:
            f = float(focal_length_mm)
        except (TypeError, ValueError):
            raise PresetError(f"focal length must be a number, got {focal_length_mm!r}") from None
        if not f > 0 or math.isinf(f):
            raise PresetError(f"focal length must be positive and finite, got {focal_length_mm!r}")
        for spec in self.lenses:
            if spec.is_zoom and spec.focal_min_mm - 1e-6 <= f <= spec.focal_max_mm + 1e-6:
                f = min(max(f, spec.focal_min_mm), spec.focal_max_mm)
                return Lens(
                    self.id,
                    self.name,
                    f,
                    self.squeeze,
                    spec.t_stop_at(f),
                    self.t_stop_min,
                    spec.close_focus_m,
                    (spec.focal_min_mm, spec.focal_max_mm),
                    self.image_circle_mm,
                )
            if not spec.is_zoom and math.isclose(f, spec.focal_min_mm, abs_tol=0.01):
                return Lens(
                    self.id,
                    self.name,
                    spec.focal_min_mm,
                    self.squeeze,
                    spec.t_stop_max,
                    self.t_stop_min,
                    spec.close_focus_m,
                    None,
                    self.image_circle_mm,
                )
        if self.kind == "zoom":
            raise PresetError(
                f"{self.name} ({self.id}): focal length {f:g} mm is outside the "
                f"zoom range {self._describe_focals()}"
            )
        raise PresetError(
            f"{self.name} ({self.id}) has no {f:g} mm lens; "
            f"focal lengths: {self._describe_focals()}"
        )


# ---------------------------------------------------------------- lookup helpers
def normalise_id(name: str) -> str:
    """``"ALEXA_35"`` -> ``"alexa-35"``; ``"4.6K 16:9"`` -> ``"4.6k-16-9"``."""
    s = re.sub(r"[\s_:/]+", "-", str(name).strip().lower())
    return re.sub(r"-+", "-", s).strip("-")


def _did_you_mean(key: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(key, choices, n=1, cutoff=0.6)
    if not close:  # prefixes like "venice" -> "venice-2-8k"
        close = [
            c for c in choices if c.startswith(key) or key.replace("-", "") == c.replace("-", "")
        ][:1]
    return f"; did you mean '{close[0]}'?" if close else ""


# ---------------------------------------------------------------- loading
def _read_yaml(name: str) -> dict[str, Any]:
    text = resources.files("previs.data").joinpath(name).read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise PresetError(f"previs/data/{name}: expected a mapping at the top level")
    return data


def _need(entry: dict[str, Any], key: str, where: str) -> Any:
    if key not in entry:
        raise PresetError(f"{where}: missing '{key}'")
    return entry[key]


def _confidence(value: Any, where: str) -> str:
    tag = str(value).upper()
    if tag not in CONFIDENCE_TAGS:
        raise PresetError(f"{where}: confidence must be one of {CONFIDENCE_TAGS}, got {value!r}")
    return tag


def _parse_body(body_id: str, entry: dict[str, Any]) -> CameraBody:
    where = f"previs/data/cameras.yaml: bodies.{body_id}"
    name = str(_need(entry, "name", where))
    modes: dict[str, SensorMode] = {}
    aliases: dict[str, str] = {}
    conf: dict[str, str] = {}
    pitch: dict[str, float] = {}
    for raw_mode_id, m in _need(entry, "modes", where).items():
        mode_id = normalise_id(str(raw_mode_id))
        mwhere = f"{where}.modes.{mode_id}"
        w, h = float(_need(m, "width_mm", mwhere)), float(_need(m, "height_mm", mwhere))
        if not (0 < w < _MAX_SENSOR_MM and 0 < h < _MAX_SENSOR_MM):
            raise PresetError(f"{mwhere}: implausible size {w} x {h} mm")
        modes[mode_id] = SensorMode(
            body_id=body_id,
            body_name=name,
            mode_id=mode_id,
            mode_name=str(m.get("name", mode_id)),
            width_mm=w,
            height_mm=h,
            width_px=int(_need(m, "width_px", mwhere)),
            height_px=int(_need(m, "height_px", mwhere)),
            coc_mm=float(m.get("coc_mm", default_coc_mm(w, h))),
            anamorphic=bool(m.get("anamorphic", False)),
        )
        conf[mode_id] = _confidence(m.get("confidence", entry.get("confidence", "R")), mwhere)
        if "pitch_um_stated" in m:
            pitch[mode_id] = float(m["pitch_um_stated"])
        for alias in m.get("aliases", ()):
            aliases[normalise_id(str(alias))] = mode_id
    default = normalise_id(str(entry.get("default_mode", next(iter(modes)))))
    if default not in modes:
        raise PresetError(f"{where}: default_mode '{default}' is not one of its modes")
    light = _parse_light(entry.get("light"), f"{where}.light")
    return CameraBody(
        id=body_id,
        name=name,
        maker=str(_need(entry, "maker", where)),
        modes=modes,
        source=str(_need(entry, "source", where)),
        default_mode=default,
        confidence=_confidence(_need(entry, "confidence", where), where),
        notes=str(entry.get("notes", "")),
        mode_aliases=aliases,
        mode_confidence=conf,
        stated_pitch_um=pitch,
        **light,
    )


def _number(entry: dict[str, Any], key: str, where: str, lo: float, hi: float) -> float:
    value = _need(entry, key, where)
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise PresetError(f"{where}.{key}: expected a number, got {value!r}") from None
    if not lo <= x <= hi:  # also refuses NaN
        raise PresetError(f"{where}.{key}: {x:g} is outside {lo:g}..{hi:g}")
    return x


def _parse_light(entry: Any, where: str) -> dict[str, Any]:
    if entry is None:
        return {}
    if not isinstance(entry, dict):
        raise PresetError(f"{where}: expected a mapping")
    return {
        "base_iso": _number(entry, "base_iso", where, 1.0, 1e6),
        "latitude_stops_over": _number(entry, "latitude_stops_over", where, 0.5, 20.0),
        "latitude_stops_under": _number(entry, "latitude_stops_under", where, 0.5, 20.0),
        "latitude_source": str(_need(entry, "latitude_source", where)),
        "latitude_confidence": _confidence(_need(entry, "latitude_confidence", where), where),
        "readout_ms": _number(entry, "readout_ms", where, 0.0, 1000.0),
        "readout_source": str(_need(entry, "readout_source", where)),
        "readout_confidence": _confidence(_need(entry, "readout_confidence", where), where),
    }


def _parse_kit(kit_id: str, entry: dict[str, Any]) -> LensKit:
    where = f"previs/data/lenses.yaml: kits.{kit_id}"
    kind = str(_need(entry, "kind", where))
    if kind not in ("prime", "zoom"):
        raise PresetError(f"{where}: kind must be 'prime' or 'zoom', got {kind!r}")
    specs = []
    for i, lens in enumerate(_need(entry, "lenses", where)):
        lwhere = f"{where}.lenses[{i}]"
        if kind == "prime":
            lo = hi = float(_need(lens, "focal_mm", lwhere))
        else:
            lo, hi = float(_need(lens, "min_mm", lwhere)), float(_need(lens, "max_mm", lwhere))
            if not 0 < lo < hi:
                raise PresetError(f"{lwhere}: zoom range {lo:g}-{hi:g} mm is not increasing")
        ramp = tuple((float(f), float(t)) for f, t in lens.get("t_stop_ramp", ()))
        specs.append(
            LensSpec(
                focal_min_mm=lo,
                focal_max_mm=hi,
                t_stop_max=float(_need(lens, "t_stop_max", lwhere)),
                close_focus_m=float(_need(lens, "close_focus_m", lwhere)),
                confidence=_confidence(_need(lens, "confidence", lwhere), lwhere),
                note=str(lens.get("note", "")),
                t_stop_ramp=ramp,
            )
        )
    return LensKit(
        id=kit_id,
        name=str(_need(entry, "name", where)),
        maker=str(_need(entry, "maker", where)),
        squeeze=float(_need(entry, "squeeze", where)),
        kind=kind,
        lenses=tuple(specs),
        image_circle_mm=float(_need(entry, "image_circle_mm", where)),
        source=str(_need(entry, "source", where)),
        t_stop_min=float(entry.get("t_stop_min", 22.0)),
        confidence=_confidence(_need(entry, "confidence", where), where),
        notes=str(entry.get("notes", "")),
    )


@cache
def _bodies() -> dict[str, CameraBody]:
    raw = _read_yaml("cameras.yaml").get("bodies") or {}
    return {normalise_id(k): _parse_body(normalise_id(k), v) for k, v in raw.items()}


@cache
def _kits() -> dict[str, LensKit]:
    raw = _read_yaml("lenses.yaml").get("kits") or {}
    return {normalise_id(k): _parse_kit(normalise_id(k), v) for k, v in raw.items()}


def camera_bodies() -> dict[str, CameraBody]:
    """All camera bodies, keyed by id (a fresh dict; the bodies are shared and frozen)."""
    return dict(_bodies())


def lens_kits() -> dict[str, LensKit]:
    """All lens kits, keyed by id."""
    return dict(_kits())


def get_body(body_id: str) -> CameraBody:
    bodies = _bodies()
    key = normalise_id(body_id)
    if key not in bodies:
        raise PresetError(f"unknown camera body '{body_id}'{_did_you_mean(key, list(bodies))}")
    return bodies[key]


def get_mode(body_id: str, mode_id: str | None = None) -> SensorMode:
    """A recording mode by id or alias (``og``, ``uhd``...); ``None`` gives the body's default."""
    body = get_body(body_id)
    if mode_id is None:
        return body.modes[body.default_mode]
    key = normalise_id(mode_id)
    key = body.mode_aliases.get(key, key)
    if key not in body.modes:
        raise PresetError(
            f"{body.name} ({body.id}) has no recording mode '{mode_id}'"
            f"{_did_you_mean(key, list(body.modes) + list(body.mode_aliases))}; "
            f"modes: {', '.join(body.modes)}"
        )
    return body.modes[key]


def get_lens_kit(kit_id: str) -> LensKit:
    kits = _kits()
    key = normalise_id(kit_id)
    if key not in kits:
        raise PresetError(f"unknown lens kit '{kit_id}'{_did_you_mean(key, list(kits))}")
    return kits[key]


def get_lens(kit_id: str, focal_length_mm: float) -> Lens:
    """A kit's lens at a focal length: a prime must match one of the kit's focal lengths."""
    return get_lens_kit(kit_id).lens_at(focal_length_mm)


# ---------------------------------------------------------------- LED panels and processors
@dataclass(frozen=True)
class PanelModel:
    """A panel model's light and colour: refresh, scan, primaries and calibrated white."""

    id: str
    name: str
    refresh_hz: float
    scan_ratio: int
    primaries_xy: tuple[tuple[float, float], tuple[float, float], tuple[float, float]]  # R, G, B
    white_xy: tuple[float, float]
    source: str
    confidence: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProcessorModel:
    """An LED processor: the LED pixels one unit drives (60 Hz, 8-10 bit)."""

    id: str
    name: str
    capacity_px: int
    source: str
    confidence: str
    aliases: tuple[str, ...] = ()


GENERIC_PANEL = "generic-rgb"
DEFAULT_PROCESSOR = "brompton-tessera-sx40"


def _xy(value: Any, where: str) -> tuple[float, float]:
    if not (isinstance(value, list | tuple) and len(value) == 2):
        raise PresetError(f"{where}: expected [x, y], got {value!r}")
    x, y = (float(v) for v in value)
    if not (0.0 < x < 1.0 and 0.0 < y < 1.0 and x + y < 1.0):
        raise PresetError(f"{where}: ({x:g}, {y:g}) is not a chromaticity")
    return x, y


def _parse_panel(pid: str, e: dict[str, Any]) -> PanelModel:
    where = f"previs/data/panels.yaml: panels.{pid}"
    prim = _need(e, "primaries_xy", where)
    red, green, blue = (
        _xy(_need(prim, c, f"{where}.primaries_xy"), f"{where}.primaries_xy.{c}")
        for c in ("red", "green", "blue")
    )
    primaries = (red, green, blue)
    scan = _number(e, "scan_ratio", where, 1, 64)
    if scan != int(scan):
        raise PresetError(f"{where}.scan_ratio: expected a whole number, got {scan:g}")
    return PanelModel(
        pid,
        str(_need(e, "name", where)),
        _number(e, "refresh_hz", where, 24, 100_000),
        int(scan),
        primaries,
        _xy(_need(e, "white_xy", where), f"{where}.white_xy"),
        str(_need(e, "source", where)),
        _confidence(_need(e, "confidence", where), where),
        tuple(normalise_id(str(a)) for a in e.get("aliases", ())),
    )


def _parse_processor(pid: str, e: dict[str, Any]) -> ProcessorModel:
    where = f"previs/data/panels.yaml: processors.{pid}"
    return ProcessorModel(
        pid,
        str(_need(e, "name", where)),
        int(_number(e, "capacity_px", where, 1, 1e10)),
        str(_need(e, "source", where)),
        _confidence(_need(e, "confidence", where), where),
        tuple(normalise_id(str(a)) for a in e.get("aliases", ())),
    )


@cache
def _panel_data() -> tuple[dict[str, PanelModel], dict[str, ProcessorModel], int]:
    raw = _read_yaml("panels.yaml")
    panels = {
        normalise_id(k): _parse_panel(normalise_id(k), v)
        for k, v in (raw.get("panels") or {}).items()
    }
    procs = {
        normalise_id(k): _parse_processor(normalise_id(k), v)
        for k, v in (raw.get("processors") or {}).items()
    }
    budget = int(_number(raw, "render_node_budget_px", "previs/data/panels.yaml", 1, 1e10))
    return panels, procs, budget


def _lookup(table: dict, name: str):
    key = normalise_id(name)
    if key in table:
        return table[key]
    for item in table.values():
        if key in item.aliases or key == normalise_id(item.name):
            return item
    return None


def panel_models() -> dict[str, PanelModel]:
    return dict(_panel_data()[0])


def processor_models() -> dict[str, ProcessorModel]:
    return dict(_panel_data()[1])


def default_render_node_budget_px() -> int:
    return _panel_data()[2]


def find_panel_model(name: str) -> PanelModel | None:
    """The panel model a scene's panel name (or alias) names, or None."""
    return _lookup(_panel_data()[0], name)


def generic_panel() -> PanelModel:
    return _panel_data()[0][GENERIC_PANEL]


def get_processor(name: str) -> ProcessorModel:
    procs = _panel_data()[1]
    found = _lookup(procs, name)
    if found is None:
        raise PresetError(
            f"unknown LED processor '{name}'{_did_you_mean(normalise_id(name), list(procs))}"
        )
    return found


# ---------------------------------------------------------------- listing
def format_presets_table() -> str:
    """A readable listing of every body with its modes and every kit with its lenses."""
    lines = ["CAMERA BODIES", ""]
    for body in _bodies().values():
        lines.append(f"{body.id}  {body.name}  [{body.confidence}]  ({body.source})")
        for mode in body.modes.values():
            flag = " anamorphic" if mode.anamorphic else ""
            default = " *" if mode.mode_id == body.default_mode else ""
            lines.append(
                f"    {mode.mode_id:<18} {mode.width_mm:6.2f} x {mode.height_mm:5.2f} mm  "
                f"{mode.width_px:>5} x {mode.height_px:<5}  {mode.photosite_pitch_um:5.2f} um  "
                f"CoC {mode.coc_mm:.3f} mm  [{body.mode_confidence[mode.mode_id]}]"
                f"  {mode.mode_name}{flag}{default}"
            )
        lines.append("")
    lines += ["LENS KITS", ""]
    for kit in _kits().values():
        sq = "spherical" if kit.squeeze == 1.0 else f"{kit.squeeze:g}x anamorphic"
        lines.append(
            f"{kit.id}  {kit.name}  {kit.kind}, {sq}, image circle "
            f"{kit.image_circle_mm:g} mm, to T{kit.t_stop_min:g}  [{kit.confidence}]  "
            f"({kit.source})"
        )
        for s in kit.lenses:
            focal = (
                f"{s.focal_min_mm:g}-{s.focal_max_mm:g} mm"
                if s.is_zoom
                else f"{s.focal_min_mm:g} mm"
            )
            note = f"  {s.note}" if s.note else ""
            lines.append(
                f"    {focal:<12} T{s.t_stop_max:<4g} close focus {s.close_focus_m:g} m"
                f"  [{s.confidence}]{note}"
            )
        lines.append("")
    from previs.core.fixtures import fixture_table  # fixtures import this module's helpers

    lines += fixture_table()
    lines.append(
        "* default mode. Confidence: V verified, S stated by a cited source, "
        "D derived, R recollection (verify)."
    )
    return "\n".join(lines)
