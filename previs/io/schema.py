"""The scene file as pydantic v2 models: types, ranges, required and unknown keys.

These models describe the file exactly as written (units in the names, YAML spellings); the loader
in :mod:`previs.io.scene_file` turns a validated :class:`SceneFile` into the plain-data
:class:`previs.core.scene.Scene`. Checks that need files or presets (meshes, camera bodies, lens
kits) happen there, not here.

Every model forbids unknown keys and names the closest known one ("did you mean ...?"). Errors are
raised as ``PydanticCustomError`` with ready-to-print messages; a ``key`` in the error context
names the offending key below the error's location, so the loader can point at its line.
"""

from __future__ import annotations

import difflib
import math
import re
import unicodedata
from fractions import Fraction
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)
from pydantic.types import AllowInfNan
from pydantic_core import PydanticCustomError

from previs.core import limits as lim
from previs.core.colour import KELVIN_MAX, KELVIN_MIN
from previs.core.moves import MOVE_PARAMS  # each move type's parameters, documented there
from previs.core.scene import MAX_LIGHTS, MAX_SHADOW_TILES, shadow_tiles
from previs.io.yaml_lines import show

# ---------------------------------------------------------------- helpers


def fail(message: str, key: str | tuple | None = None) -> PydanticCustomError:
    """An error with a finished message; ``key`` points below the current location."""
    ctx: dict[str, Any] = {"message": message}
    if key is not None:
        ctx["key"] = key
    return PydanticCustomError("previs", "{message}", ctx)


def describe(value: Any) -> str:
    """How an input value is shown in a message: ``'ten'``, ``3.5``, ``a list``, ``nothing``."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return show(value)
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return f"a list of {len(value)}"
    return f"{value!r}"


def suggest(word: str, choices) -> str:
    """``; did you mean 'x'?`` or ``; expected one of a, b, c``."""
    choices = sorted(str(c) for c in choices)
    close = difflib.get_close_matches(str(word)[:100], choices, n=1, cutoff=0.6)
    if close:
        return f"; did you mean '{close[0]}'?"
    return f"; expected one of: {', '.join(choices)}"


def _vector(n: int, what: str):
    def check(value):
        if isinstance(value, list | tuple):
            if len(value) != n:
                raise fail(f"expected a list of {n} numbers {what}, got {len(value)}")
            return value
        raise fail(f"expected a list of {n} numbers {what}, got {describe(value)}")

    return BeforeValidator(check)


# Every number is finite (the models' allow_inf_nan=False) and within a stated range
# (previs.core.limits): MAX_MAGNITUDE where nothing tighter applies, so no product overflows.
Real = Annotated[float, Field(ge=-lim.MAX_MAGNITUDE, le=lim.MAX_MAGNITUDE)]
Pos = Annotated[float, Field(gt=0, le=lim.MAX_MAGNITUDE)]
NonNeg = Annotated[float, Field(ge=0, le=lim.MAX_MAGNITUDE)]
Unit = Annotated[float, Field(ge=0, le=1)]
Metres = Annotated[float, Field(ge=-lim.MAX_COORD_M, le=lim.MAX_COORD_M)]  # a stage position
Length = Annotated[float, Field(gt=0, le=lim.MAX_COORD_M)]
Angle = Annotated[float, Field(ge=-lim.MAX_ANGLE_DEG, le=lim.MAX_ANGLE_DEG)]
WorldM = Annotated[float, Field(ge=-lim.MAX_WORLD_OFFSET_M, le=lim.MAX_WORLD_OFFSET_M)]
Frames = Annotated[int, Field(ge=0, le=lim.MAX_SHOT_FRAMES)]


def _not_nan(value: float) -> float:
    if math.isnan(value):
        raise fail("expected a number, got nan (not a number)")
    if math.isfinite(value) and value > lim.MAX_MAGNITUDE:
        raise fail(f"must be at most {lim.MAX_MAGNITUDE:g} m, or .inf for infinity; got {value:g}")
    return value


# .inf = focused at infinity; NaN and -inf are refused
FocusM = Annotated[float, AllowInfNan(True), AfterValidator(_not_nan), Field(gt=0)]

Vec3 = Annotated[tuple[Real, Real, Real], _vector(3, "[x, y, z]")]
Point3 = Annotated[tuple[Metres, Metres, Metres], _vector(3, "[x, y, z]")]
Rotation3 = Annotated[tuple[Angle, Angle, Angle], _vector(3, "[x, y, z]")]
World3 = Annotated[tuple[WorldM, WorldM, WorldM], _vector(3, "[x, y, z]")]
Vec2XZ = Annotated[tuple[Metres, Metres], _vector(2, "[x, z]")]
PanelMM = Annotated[float, Field(gt=0, le=lim.MAX_PANEL_MM)]
Size2 = Annotated[tuple[PanelMM, PanelMM], _vector(2, "[width, height]")]
Pixels2 = Annotated[
    tuple[
        Annotated[int, Field(gt=0, le=lim.MAX_PANEL_PIXELS)],
        Annotated[int, Field(gt=0, le=lim.MAX_PANEL_PIXELS)],
    ],
    _vector(2, "[width, height]"),
]
Extent = Annotated[float, Field(gt=0, le=lim.MAX_STAGE_EXTENT_M)]
WallHeight = Annotated[float, Field(gt=0, le=lim.MAX_WALL_HEIGHT_M)]
Seed = Annotated[int, Field(ge=0, le=2**63 - 1)]

# Characters a name may not hold: controls (C0, DEL, C1: terminal escape sequences start with
# them), line and paragraph separators, and the bidirectional overrides that reorder shown text.
_BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")


def _bad_char(text: str, free: bool) -> str | None:
    for c in text:
        if free and c in "\n\t":
            continue
        if unicodedata.category(c) in ("Cc", "Zl", "Zp") or c in _BIDI:
            return c
    return None


def _printable(limit: int, what: str, *, free: bool = False):
    """Names (``free=False``) and free text (newlines and tabs allowed): printable, bounded."""

    def check(value: str) -> str:
        if len(value) > limit:
            raise fail(f"{what} {show(value)} is {len(value):,} characters long; at most {limit:,}")
        bad = _bad_char(value, free)
        if bad is not None:
            raise fail(
                f"{what} {show(value)} holds the control character {bad!r}; "
                f"a {what} must be printable text"
            )
        return value

    return AfterValidator(check)


def _text(value):
    """Names and ids may be written as bare numbers (``scene: 12``); keep them as text."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return f"{value:g}" if isinstance(value, float) else str(value)
    return value


FreeText = Annotated[str, BeforeValidator(_text), _printable(lim.MAX_TEXT_CHARS, "text", free=True)]
Text = Annotated[str, BeforeValidator(_text), _printable(lim.MAX_NAME_CHARS, "name")]
NonEmptyText = Annotated[
    str, BeforeValidator(_text), Field(min_length=1), _printable(lim.MAX_NAME_CHARS, "name")
]
PathText = Annotated[str, BeforeValidator(_text), Field(min_length=1), _printable(4096, "path")]

_HEX = re.compile(r"^#?([0-9a-fA-F]{6})$")


def _colour(value):
    """``"#aabbcc"`` or ``[r, g, b]`` (sRGB-encoded, 0..1) -> an (r, g, b) sRGB tuple."""
    if isinstance(value, str):
        m = _HEX.match(value.strip())
        if not m:
            raise fail(f'expected a colour as "#rrggbb" or [r, g, b] in 0..1, got {show(value)}')
        h = m.group(1)
        return tuple(int(h[i : i + 2], 16) / 255.0 for i in (0, 2, 4))
    if isinstance(value, list | tuple):
        if len(value) != 3:
            raise fail(f"expected a colour [r, g, b] of 3 numbers, got {len(value)}")
        return value
    raise fail(f'expected a colour as "#rrggbb" or [r, g, b] in 0..1, got {describe(value)}')


def _colour_range(value):
    if any(not 0.0 <= c <= 1.0 for c in value):
        raise fail(f"colour components must be within 0..1 (sRGB), got {list(value)}")
    return value


SRGB = Annotated[tuple[Real, Real, Real], BeforeValidator(_colour)]

_UNIT_SCALE = {"m": 1.0, "cm": 0.01, "mm": 0.001, "in": 0.0254, "ft": 0.3048}
UNIT_SCALE = _UNIT_SCALE
"""Metres per file unit, for ``units:`` of meshes and the environment."""


def _scale(value):
    """One number (uniform) or [x, y, z] -> (x, y, z)."""
    if isinstance(value, list | tuple):
        if len(value) != 3:
            raise fail(f"expected a scale as one number or [x, y, z], got a list of {len(value)}")
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return (value, value, value)
    raise fail(f"expected a scale as one number or [x, y, z], got {describe(value)}")


ScaleF = Annotated[float, Field(ge=lim.MIN_SCALE, le=lim.MAX_SCALE)]
Scale = Annotated[tuple[ScaleF, ScaleF, ScaleF], BeforeValidator(_scale)]


class Model(BaseModel):
    """Base of every scene-file model: no unknown keys (with a did-you-mean), finite numbers."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, populate_by_name=False)

    @model_validator(mode="before")
    @classmethod
    def _unknown_keys(cls, data):
        if isinstance(data, dict):
            known = {f.alias or name for name, f in cls.model_fields.items()}
            for key in data:
                if key not in known:
                    raise fail(f"unknown key {show(str(key))}{suggest(key, known)}", key=str(key))
        elif data is not None and not isinstance(data, BaseModel):
            raise fail(f"expected a mapping of keys (key: value lines), got {describe(data)}")
        return data


def _one_of(
    model: BaseModel, keys: tuple[str, ...], *, required: bool, where: str = ""
) -> str | None:
    given = [k for k in keys if getattr(model, k) is not None]
    if len(given) > 1:
        raise fail(f"give only one of {', '.join(given)}{where}", key=given[1])
    if required and not given:
        raise fail(f"missing: give one of {', '.join(keys)}{where}")
    return given[0] if given else None


# ---------------------------------------------------------------- stage
def _chromaticity(value):
    x, y = value
    if not (y > 0 and x + y < 1):
        raise fail(f"({x:g}, {y:g}) is not a chromaticity: CIE x and y need y > 0 and x + y < 1")
    return value


# CIE 1931 xy of a colour: both in (0, 1), and x + y < 1
XY = Annotated[
    tuple[Annotated[float, Field(gt=0, lt=1)], Annotated[float, Field(gt=0, lt=1)]],
    _vector(2, "[x, y]"),
    AfterValidator(_chromaticity),
]
Kelvin = Annotated[float, Field(ge=1000, le=15000)]  # where the Planckian locus approximation holds


class Primaries(Model):
    red: XY
    green: XY
    blue: XY

    @model_validator(mode="after")
    def _triangle(self):
        (rx, ry), (gx, gy), (bx, by) = self.red, self.green, self.blue
        if abs((gx - rx) * (by - ry) - (gy - ry) * (bx - rx)) < 1e-4:
            raise fail("the primaries lie on a line: they span no gamut", key="blue")
        return self


class Panel(Model):
    name: NonEmptyText
    pixel_pitch_mm: PanelMM
    panel_size_mm: Size2
    panel_pixels: Pixels2
    peak_nits: Annotated[float, Field(gt=0, le=100_000)]  # the brightest panels make ~10,000
    viewing_angle_deg: Annotated[float, Field(gt=20, lt=180)] = 160.0
    fill_factor: Annotated[float, Field(gt=0, le=1)] = 0.3
    # Light and colour; what is left out comes from the panel preset that `model` (or else the
    # name) names, or the generic RGB panel (previs/data/panels.yaml).
    model: NonEmptyText | None = None
    refresh_hz: Annotated[float, Field(ge=24, le=100_000)] | None = None
    scan_ratio: Annotated[int, Field(ge=1, le=64)] | None = None
    primaries_xy: Primaries | None = None

    @model_validator(mode="after")
    def _consistent(self):
        for axis, size, px in zip(
            ("width", "height"), self.panel_size_mm, self.panel_pixels, strict=True
        ):
            if size <= 0 or px <= 0:
                raise fail(
                    f"panel {axis} must be positive",
                    key="panel_size_mm" if size <= 0 else "panel_pixels",
                )
            made = self.pixel_pitch_mm * px
            if abs(made - size) > 0.02 * size:
                raise fail(
                    f"{self.pixel_pitch_mm:g} mm pitch x {px} px = {made:.1f} mm, but the panel "
                    f"{axis} is {size:g} mm (more than 2 % apart)",
                    key="pixel_pitch_mm",
                )
        return self


class CurvedSection(Model):
    type: Literal["curved"]
    name: Text | None = None
    center_xz_m: Vec2XZ = (0.0, 0.0)
    radius_m: Extent
    start_azimuth_deg: Angle
    arc_deg: Annotated[float, Field(gt=0, le=360)]
    height_m: WallHeight
    bottom_m: Annotated[float, Field(ge=0, le=lim.MAX_WALL_HEIGHT_M)] = 0.0


class FlatSection(Model):
    type: Literal["flat"]
    name: Text | None = None
    start_xz_m: Vec2XZ
    end_xz_m: Vec2XZ
    height_m: WallHeight
    bottom_m: Annotated[float, Field(ge=0, le=lim.MAX_WALL_HEIGHT_M)] = 0.0

    @model_validator(mode="after")
    def _length(self):
        length = math.dist(self.start_xz_m, self.end_xz_m)
        if length < 1e-3:
            raise fail("a flat section needs different start and end points", key="end_xz_m")
        if length > lim.MAX_STAGE_EXTENT_M:
            raise fail(
                f"the section is {length:.6g} m long; previs builds sections of at most "
                f"{lim.MAX_STAGE_EXTENT_M:g} m",
                key="end_xz_m",
            )
        return self


Section = Annotated[CurvedSection | FlatSection, Field(discriminator="type")]


class Ceiling(Model):
    height_m: WallHeight
    center_xz_m: Vec2XZ = (0.0, 0.0)
    width_m: Extent
    depth_m: Extent


class InnerFrustum(Model):
    enabled: bool = True
    overscan_pct: Annotated[float, Field(ge=0, le=300)] = 20.0
    soft_edge_pct: Annotated[float, Field(ge=0, le=50)] = 5.0
    latency_frames: Annotated[int, Field(ge=0, le=120)] = 0
    resolution_px: Annotated[int, Field(ge=64, le=8192)] = 2048
    show_border: bool = False


class WhitePoint(Model):
    """The white the LED processor is calibrated to: a colour temperature or CIE xy."""

    kelvin: Kelvin | None = None
    xy: XY | None = None

    @model_validator(mode="after")
    def _one(self):
        _one_of(self, ("kelvin", "xy"), required=True)
        return self


class Processing(Model):
    """How the wall is driven: the LED processor model and one render node's pixel budget."""

    processor: NonEmptyText = "brompton-tessera-sx40"
    render_node_budget_px: Annotated[int, Field(ge=100_000, le=1_000_000_000)] | None = None


class Stage(Model):
    panel: Panel
    sections: Annotated[list[Section], Field(min_length=1, max_length=lim.MAX_SECTIONS)]
    ceiling: Ceiling | None = None
    floor_size_m: Annotated[tuple[Length, Length], _vector(2, "[width, depth]")] = (30.0, 30.0)
    inner_frustum: InnerFrustum = InnerFrustum()
    genlock: bool = False
    white_point: WhitePoint | None = None
    processing: Processing = Processing()

    @model_validator(mode="after")
    def _buildable(self):
        """Whole cabinets fit, and the volume's size is bounded, before any facet is built."""
        pw, ph = (x / 1000.0 for x in self.panel.panel_size_mm)
        columns = panels = 0.0
        for k, s in enumerate(self.sections):
            rows = max(1.0, round(s.height_m / ph))
            if isinstance(s, CurvedSection):
                if 2.0 * s.radius_m < pw:
                    raise fail(
                        f"radius {s.radius_m:g} m is too small for {pw * 1000:g} mm panels "
                        f"(a curve needs a radius of at least half a panel, {pw / 2:g} m)",
                        key=("sections", k, "radius_m"),
                    )
                cols = max(1.0, round(s.radius_m * math.radians(s.arc_deg) / pw))
            else:
                cols = max(1.0, round(math.dist(s.start_xz_m, s.end_xz_m) / pw))
            columns += cols
            panels += cols * rows
        if self.ceiling is not None:
            c = self.ceiling
            panels += max(1.0, round(c.width_m / pw)) * max(1.0, round(c.depth_m / ph))
        if columns > lim.MAX_PANEL_COLUMNS or panels > lim.MAX_PANELS:
            raise fail(
                f"the volume would hold {panels:,.0f} panels in {columns:,.0f} columns of "
                f"{pw * 1000:g} x {ph * 1000:g} mm; previs builds at most "
                f"{lim.MAX_PANELS:,} panels in {lim.MAX_PANEL_COLUMNS:,} columns",
                key="sections",
            )
        return self


# ---------------------------------------------------------------- environment
class Sky(Model):
    sun_azimuth_deg: Angle = 200.0
    sun_elevation_deg: Annotated[float, Field(ge=-90, le=90)] = 25.0
    turbidity: Annotated[float, Field(ge=1, le=10)] = 3.0


class Environment(Model):
    gltf: PathText | None = None
    units: Literal["m", "cm", "mm", "in", "ft"] = "m"
    translation_m: World3 = (0.0, 0.0, 0.0)
    rotation_deg: Rotation3 = (0.0, 0.0, 0.0)
    scale: Scale = (1.0, 1.0, 1.0)
    sky: Sky | None = None
    wall_brightness_nits: Annotated[float, Field(gt=0, le=100_000)] = 800.0


# ---------------------------------------------------------------- set pieces
class _Piece(Model):
    name: Text | None = None
    translation_m: Point3 = (0.0, 0.0, 0.0)
    rotation_deg: Rotation3 = (0.0, 0.0, 0.0)
    scale: Scale = (1.0, 1.0, 1.0)
    color: SRGB | None = None
    roughness: Unit = 0.7
    metallic: Unit = 0.0

    @field_validator("color")
    @classmethod
    def _colour_in_range(cls, v):
        return None if v is None else _colour_range(v)


class MeshPiece(_Piece):
    type: Literal["mesh"]
    path: PathText
    units: Literal["m", "cm", "mm", "in", "ft"] = "m"
    # USD only: {variant set: variant}, chosen on every prim that offers it
    variants: Annotated[dict[NonEmptyText, NonEmptyText], Field(max_length=64)] = {}


class BoxPiece(_Piece):
    type: Literal["box"]
    size_m: Annotated[tuple[Length, Length, Length], _vector(3, "[x, y, z]")]


class CylinderPiece(_Piece):
    type: Literal["cylinder"]
    radius_m: Length
    height_m: Length


class PlanePiece(_Piece):
    type: Literal["plane"]
    size_m: Annotated[tuple[Length, Length], _vector(2, "[x, z]")]


class StandinPiece(_Piece):
    type: Literal["standin"]
    height_m: Annotated[float, Field(ge=0.3, le=2.6)] = 1.75


SetPiece = Annotated[
    MeshPiece | BoxPiece | CylinderPiece | PlanePiece | StandinPiece, Field(discriminator="type")
]


class Character(Model):
    """A person on the set (format 2): an articulated mannequin of ``height_m`` in its own
    ``color``, standing at ``position_m`` facing ``facing_deg`` (0 = +Z, + towards +X), in
    ``pose`` (on ``seat``) unless a shot keys another. Format 1's stand-in keys
    (``translation_m``, ``rotation_deg``, ``scale``, ``roughness``, ``metallic``) still place it."""

    name: NonEmptyText
    height_m: Annotated[float, Field(ge=0.3, le=2.6)] = 1.75
    color: SRGB | None = None
    position_m: Point3 | None = None
    facing_deg: Angle | None = None
    pose: PoseName = "stand"
    seat: NonEmptyText | None = None
    translation_m: Point3 | None = None
    rotation_deg: Rotation3 | None = None
    scale: Scale = (1.0, 1.0, 1.0)
    roughness: Unit = 0.7
    metallic: Unit = 0.0

    @field_validator("color")
    @classmethod
    def _colour_in_range(cls, v):
        return None if v is None else _colour_range(v)

    @model_validator(mode="after")
    def _placed(self):
        _one_of(self, ("position_m", "translation_m"), required=False)
        _one_of(self, ("facing_deg", "rotation_deg"), required=False)
        if self.seat is not None and self.pose != "sit":
            raise fail(f"seat is for pose: sit, not {self.pose}", key="seat")
        return self


# ---------------------------------------------------------------- lights
def _setting(value):
    """A fixture's setting: a name (spot, flood, a diffuser) or a beam angle in degrees."""
    if isinstance(value, bool) or value is None:
        raise fail(
            f"expected a setting name (spot, flood, ...) or a beam angle in degrees, got "
            f"{describe(value)}"
        )
    if isinstance(value, int | float):
        if not 0 < value < 180:
            raise fail(f"a beam angle must be between 0 and 180 degrees, got {value:g}")
        return float(value)
    return value


class Light(Model):
    type: Literal["directional", "point", "spot"] | None = None  # None: a fixture's (spot)
    name: Text | None = None
    # a fixture from the library (previs presets) instead of raw photometrics; dimmer and gel
    # also work on raw lights
    fixture: NonEmptyText | None = None
    setting: Annotated[float | NonEmptyText, BeforeValidator(_setting)] | None = None
    dimmer_pct: Annotated[float, Field(ge=0, le=100)] | None = None
    gel: NonEmptyText | None = None
    # where it is and where it points
    position_m: Point3 | None = None
    target_m: Point3 | None = None
    direction: Vec3 | None = None
    azimuth_deg: Angle | None = None
    elevation_deg: Annotated[float, Field(ge=-90, le=90)] | None = None
    # how much
    illuminance_lux: Pos | None = None
    intensity_cd: Pos | None = None
    lumens: Pos | None = None
    # beam
    beam_angle_deg: Annotated[float, Field(gt=0, lt=180)] | None = None
    field_angle_deg: Annotated[float, Field(gt=0, lt=180)] | None = None
    # colour
    kelvin: Annotated[float, Field(ge=KELVIN_MIN, le=KELVIN_MAX)] | None = None
    color: SRGB | None = None
    # quality
    shadows: bool = True
    size_m: Annotated[float, Field(ge=0, le=lim.MAX_COORD_M)] = 0.0
    range_m: Annotated[float, Field(ge=0, le=lim.MAX_COORD_M)] = 0.0

    @field_validator("color")
    @classmethod
    def _colour_in_range(cls, v):
        if v is None:
            return v
        v = _colour_range(v)
        if max(v) <= 0:
            raise fail("a light's colour cannot be black")
        return v

    @model_validator(mode="after")
    def _combinations(self):
        if self.fixture is not None:
            return self._fixture_combinations()
        if self.setting is not None:
            raise fail(
                "setting is a fixture's (spot, flood, a beam angle): give fixture too",
                key="setting",
            )
        if self.type is None:
            raise fail("missing required key 'type' (or name a fixture)", key="type")
        t = self.type
        _one_of(self, ("kelvin", "color"), required=False)
        if t == "directional":
            for k in (
                "position_m",
                "target_m",
                "intensity_cd",
                "lumens",
                "beam_angle_deg",
                "field_angle_deg",
            ):
                if getattr(self, k) is not None:
                    raise fail(
                        f"a directional light has no {k} (use direction or azimuth_deg/"
                        "elevation_deg, and illuminance_lux)",
                        key=k,
                    )
            if self.illuminance_lux is None:
                raise fail("a directional light needs illuminance_lux")
            if (self.azimuth_deg is None) != (self.elevation_deg is None):
                raise fail(
                    "give both azimuth_deg and elevation_deg",
                    key="azimuth_deg" if self.azimuth_deg is not None else "elevation_deg",
                )
            aim = "azimuth_deg" if self.azimuth_deg is not None else None
            given = [k for k in ("direction",) if getattr(self, k) is not None] + (
                [aim] if aim else []
            )
            if len(given) > 1:
                raise fail(
                    "give either direction or azimuth_deg/elevation_deg, not both", key="direction"
                )
            if not given:
                raise fail("missing: give direction or azimuth_deg/elevation_deg")
        else:
            if self.illuminance_lux is not None:
                raise fail(
                    f"a {t} light is given in intensity_cd or lumens, not illuminance_lux",
                    key="illuminance_lux",
                )
            if self.position_m is None:
                raise fail(
                    f"missing required key 'position_m' (a {t} light needs a position)",
                    key="position_m",
                )
            _one_of(self, ("intensity_cd", "lumens"), required=True, where=f" for a {t} light")
            for k in ("azimuth_deg", "elevation_deg"):
                if getattr(self, k) is not None:
                    raise fail(f"a {t} light is aimed with target_m or direction, not {k}", key=k)
            if t == "point":
                for k in ("target_m", "direction", "beam_angle_deg", "field_angle_deg"):
                    if getattr(self, k) is not None:
                        raise fail(f"a point light shines every way; it has no {k}", key=k)
            else:
                _one_of(
                    self, ("target_m", "direction"), required=True, where=" to aim a spot light"
                )
                beam, field = self.angles_deg()
                if field < beam:
                    raise fail(
                        f"field_angle_deg ({field:g}) must be at least beam_angle_deg ({beam:g})",
                        key="field_angle_deg",
                    )
        if self.direction is not None and math.hypot(*self.direction) < 1e-9:
            raise fail("direction must not be [0, 0, 0]", key="direction")
        if (
            self.target_m is not None
            and self.position_m is not None
            and math.dist(self.target_m, self.position_m) < 1e-6
        ):
            raise fail("target_m is the light's own position", key="target_m")
        return self

    def _fixture_combinations(self):
        """A fixture light is a spot placed and aimed like one; its output, beam and colour
        range come from the library (checked by the loader, which knows the library)."""
        if self.type not in (None, "spot"):
            raise fail(
                f"a fixture light is a spot (aimed with target_m or direction), not a "
                f"{self.type} light: leave type out",
                key="type",
            )
        self.type = "spot"
        for k in (
            "illuminance_lux",
            "intensity_cd",
            "lumens",
            "beam_angle_deg",
            "field_angle_deg",
            "azimuth_deg",
            "elevation_deg",
        ):
            if getattr(self, k) is not None:
                raise fail(
                    f"a fixture light takes its output and beam from the library; drop {k} "
                    "(use dimmer_pct, setting and gel)",
                    key=k,
                )
        _one_of(self, ("kelvin", "color"), required=False)
        if self.position_m is None:
            raise fail(
                "missing required key 'position_m' (a fixture light needs a position)",
                key="position_m",
            )
        _one_of(self, ("target_m", "direction"), required=True, where=" to aim a fixture")
        if self.direction is not None and math.hypot(*self.direction) < 1e-9:
            raise fail("direction must not be [0, 0, 0]", key="direction")
        if self.target_m is not None and math.dist(self.target_m, self.position_m) < 1e-6:
            raise fail("target_m is the light's own position", key="target_m")
        return self

    def angles_deg(self) -> tuple[float, float]:
        """(beam, field) full angles; a missing one follows from the other (field = 1.5 x beam)."""
        beam, field = self.beam_angle_deg, self.field_angle_deg
        if field is None:
            if beam is None:
                return 30.0, 45.0
            return beam, min(beam * 1.5, 179.0)
        if beam is None:
            return field / 1.5, field
        return beam, field


def _few_lights(value):
    if isinstance(value, list) and len(value) > MAX_LIGHTS:
        raise fail(f"{len(value)} lights; previs lights a frame with at most {MAX_LIGHTS}")
    return value


def _few_shadow_tiles(lights: list[Light]) -> list[Light]:
    tiles = sum(
        shadow_tiles(lt.type or "spot", lt.shadows) for lt in lights
    )  # None: a fixture's spot
    if tiles > MAX_SHADOW_TILES:
        raise fail(
            f"the shadowed lights need {tiles} shadow maps (a point light takes 6, others 1); "
            f"previs holds {MAX_SHADOW_TILES}: set shadows: false on some"
        )
    return lights


Lights = Annotated[list[Light], BeforeValidator(_few_lights), AfterValidator(_few_shadow_tiles)]


# ---------------------------------------------------------------- camera and shots
DELIVERY_ASPECTS = ("2.39", "2.35", "2.00", "1.90", "1.85", "1.78", "16:9", "4:3", "1.33", "full")


def _aspect(value):
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):  # 2.39 written without quotes
        value = f"{value:.2f}"
    if isinstance(value, str):
        v = value.strip().lower()
        if v not in DELIVERY_ASPECTS:
            raise fail(f"unknown delivery aspect {show(value)}{suggest(value, DELIVERY_ASPECTS)}")
        return v
    return value


class Camera(Model):
    body: NonEmptyText
    mode: NonEmptyText | None = None  # None: the body's default mode
    lens_kit: NonEmptyText
    iso: Pos = 800.0
    shutter_angle_deg: Annotated[float, Field(gt=0, le=360)] = 180.0
    t_stop: Pos = 2.8
    focus_m: FocusM = 3.0
    delivery_aspect: Annotated[str, BeforeValidator(_aspect)] = "2.39"
    safe_areas: bool = False
    white_balance_k: Kelvin = 5600.0


class ShotCamera(Model):
    position_m: Point3
    look_at_m: Point3 | None = None
    pan_deg: Angle | None = None
    tilt_deg: Annotated[float, Field(ge=-90, le=90)] | None = None
    roll_deg: Annotated[float, Field(ge=-180, le=180)] | None = None
    focal_length_mm: Annotated[float, Field(gt=0, le=lim.MAX_FOCAL_MM)]
    focus_m: FocusM | None = None
    t_stop: Pos | None = None

    @model_validator(mode="after")
    def _aim(self):
        if self.look_at_m is not None:
            for k in ("pan_deg", "tilt_deg", "roll_deg"):
                if getattr(self, k) is not None:
                    raise fail(
                        "give either look_at_m or pan_deg/tilt_deg/roll_deg, not both", key=k
                    )
            if math.dist(self.look_at_m, self.position_m) < 1e-6:
                raise fail("look_at_m is the camera position itself", key="look_at_m")
        return self


# ---------------------------------------------------------------- things that happen in a shot
Interp = Literal["linear", "smooth", "ease", "hold"]
FrameNo = Frames


class _Timed(Model):
    start_frame: FrameNo = 0
    end_frame: FrameNo | None = None  # default: the shot's last frame

    @model_validator(mode="after")
    def _order(self):
        if self.end_frame is not None and self.end_frame <= self.start_frame:
            raise fail(
                f"end_frame {self.end_frame} must come after start_frame {self.start_frame}",
                key="end_frame",
            )
        return self


Points = Annotated[list[Point3], Field(min_length=1, max_length=lim.MAX_PATH_POINTS)]
FocalMM = Annotated[float, Field(gt=0, le=lim.MAX_FOCAL_MM)]


class Move(_Timed):
    """A named camera move; its own parameters sit beside type and frames. Every parameter of
    every move type is typed and bounded here (which belong to which type: MOVE_PARAMS), so a
    bad value names its own key and line."""

    type: str
    interp: Interp = "ease"
    distance_m: Metres | None = None
    angle_deg: Angle | None = None
    to_deg: Angle | None = None
    arm_length_m: Length | None = None
    swing_deg: Angle | None = None
    boom_deg: Angle | None = None
    pivot_m: Point3 | None = None
    keep_aim_m: Point3 | None = None
    subject: NonEmptyText | None = None
    subject_m: Point3 | None = None
    radius_m: Length | None = None
    points_m: Points | None = None
    constant_speed: bool | None = None
    aim_m: Point3 | None = None
    to_focal_length_mm: FocalMM | None = None
    by_mm: Annotated[float, Field(ge=-lim.MAX_FOCAL_MM, le=lim.MAX_FOCAL_MM)] | None = None
    to_subject: NonEmptyText | None = None
    to_subject_m: Point3 | None = None
    to_focus_m: FocusM | None = None
    amplitude_m: Annotated[float, Field(ge=0, le=10)] | None = None  # a shake, not a move
    amplitude_deg: Annotated[float, Field(ge=0, le=90)] | None = None
    frequency_hz: Annotated[float, Field(gt=0, le=1000)] | None = None
    seed: Seed | None = None

    @model_validator(mode="before")
    @classmethod
    def _unknown_keys(cls, data):
        if not isinstance(data, dict):
            raise fail(f"expected a move as a mapping (type: dolly, ...), got {describe(data)}")
        kind = data.get("type")
        if kind is None:
            raise fail("missing: type (one of " + ", ".join(MOVE_PARAMS) + ")")
        if not isinstance(kind, str) or kind not in MOVE_PARAMS:
            raise fail(
                f"unknown move type {describe(kind)}{suggest(kind, MOVE_PARAMS)}", key="type"
            )
        known = set(MOVE_PARAMS[kind]) | {"type", "start_frame", "end_frame", "interp"}
        for k in data:
            if k not in known:
                raise fail(
                    f"unknown key {show(str(k))} for a {kind} move{suggest(k, known)}", key=str(k)
                )
        return data

    @property
    def params(self) -> dict:
        """The parameters written in the file (validated), as core's Move takes them."""
        return {k: getattr(self, k) for k in MOVE_PARAMS[self.type] if getattr(self, k) is not None}


class Walk(_Timed):
    """A character walking (or running) mark to mark, or through points on the floor; timed by
    its frames or by ``speed_mps`` (then end_frame follows from the path's length). ``standin``
    is format 1's word for ``character``."""

    character: NonEmptyText | None = None
    standin: NonEmptyText | None = None
    points_m: Points | None = None
    marks: (
        Annotated[list[NonEmptyText], Field(min_length=2, max_length=lim.MAX_PATH_POINTS)] | None
    ) = None
    speed_mps: Annotated[float, Field(gt=0, le=lim.MAX_SPEED_MPS)] | None = None
    gait: Literal["walk", "run"] = "walk"
    constant_speed: bool = True
    interp: Interp = "linear"

    @model_validator(mode="after")
    def _who_and_where(self):
        _one_of(self, ("character", "standin"), required=True)
        _one_of(self, ("points_m", "marks"), required=True)
        if self.speed_mps is not None and self.end_frame is not None:
            raise fail(
                "give end_frame or speed_mps, not both (the speed sets the end)", key="speed_mps"
            )
        return self

    @property
    def who(self) -> str:
        who = self.character if self.character is not None else self.standin
        if who is None:  # _who_and_where requires one of them
            raise ValueError("a walk names no character")
        return who


def _pose_name(value):
    from previs.core.figure import POSES

    if isinstance(value, str) and value in POSES:
        return value
    if isinstance(value, str):
        raise fail(f"unknown pose {show(value)}{suggest(value, POSES)}")
    raise fail(f"expected a pose name ({', '.join(POSES)}), got {describe(value)}")


PoseName = Annotated[str, BeforeValidator(_pose_name)]
BlendFrames = Annotated[int, Field(ge=0, le=lim.MAX_SHOT_FRAMES)]


class PoseKeyModel(Model):
    """From ``frame`` on, ``character`` takes ``pose``, blending from the last over ``blend_frames``.
    ``seat``: the set piece a ``sit`` sits on; ``at``/``at_m``: what a ``point``/``reach`` aims at."""

    character: NonEmptyText
    frame: FrameNo = 0
    pose: PoseName
    seat: NonEmptyText | None = None
    at: NonEmptyText | None = None
    at_m: Point3 | None = None
    blend_frames: BlendFrames = 6

    @model_validator(mode="after")
    def _fits(self):
        if self.seat is not None and self.pose != "sit":
            raise fail(f"seat is for pose: sit, not {self.pose}", key="seat")
        _one_of(self, ("at", "at_m"), required=False)
        for k in ("at", "at_m"):
            if getattr(self, k) is not None and self.pose not in ("point", "reach"):
                raise fail(f"{k} is for pose: point or reach, not {self.pose}", key=k)
        return self


class LookKeyModel(Model):
    """From ``frame`` on, ``character`` looks ``at`` a subject (another character, a set piece, or
    ``lens``), at a point ``at_m``, or turns its head ``yaw_deg`` (+ to its left) and
    ``pitch_deg`` (+ up); ``ahead`` turns it back. Blends over ``blend_frames``."""

    character: NonEmptyText
    frame: FrameNo = 0
    at: NonEmptyText | None = None
    at_m: Point3 | None = None
    yaw_deg: Annotated[float, Field(ge=-110, le=110)] | None = None
    pitch_deg: Annotated[float, Field(ge=-60, le=60)] | None = None
    blend_frames: BlendFrames = 6

    @model_validator(mode="after")
    def _one_aim(self):
        aim = _one_of(self, ("at", "at_m", "yaw_deg"), required=False)
        if aim is None and self.pitch_deg is None:
            raise fail("missing: give at (a subject, lens or ahead), at_m, or yaw_deg/pitch_deg")
        if aim in ("at", "at_m") and self.pitch_deg is not None:
            raise fail(f"give {aim} or yaw_deg/pitch_deg, not both", key="pitch_deg")
        return self


MarkXZ = Annotated[dict[NonEmptyText, Vec2XZ], Field(max_length=lim.MAX_PATH_POINTS)]


EFFECT_KEYS = (
    "depth",
    "speed_hz",
    "seed",
    "flashes",
    "peak",
    "floor",
    "rate_hz",
    "duty",
    "off",
    "colors",
)


class LightCueModel(_Timed):
    """A light fading (intensity, kelvin, colour) or running an effect; effect parameters sit
    beside ``effect`` (see previs.core.cues.EFFECT_DEFAULTS)."""

    light: NonEmptyText
    interp: Interp = "ease"
    to_intensity_scale: Annotated[float, Field(ge=0, le=1000)] | None = None  # ~10 stops up
    to_kelvin: Annotated[float, Field(ge=KELVIN_MIN, le=KELVIN_MAX)] | None = None
    to_color: SRGB | None = None
    effect: Literal["flicker", "lightning", "strobe", "police"] | None = None
    depth: Unit | None = None
    speed_hz: Annotated[float, Field(gt=0, le=1000)] | None = None
    seed: Seed | None = None
    flashes: Annotated[int, Field(ge=1, le=100)] | None = None
    peak: Annotated[float, Field(gt=0, le=1000)] | None = None
    floor: Annotated[float, Field(ge=0, le=1000)] | None = None
    rate_hz: Annotated[float, Field(gt=0, le=1000)] | None = None
    duty: Unit | None = None
    off: Annotated[float, Field(ge=0, le=1000)] | None = None
    colors: Annotated[list[SRGB], Field(min_length=2, max_length=lim.MAX_EFFECT_COLORS)] | None = (
        None
    )

    @field_validator("to_color")
    @classmethod
    def _colour_in_range(cls, v):
        return None if v is None else _colour_range(v)

    @field_validator("colors")
    @classmethod
    def _colours_in_range(cls, v):
        for i, c in enumerate(v or ()):
            try:
                _colour_range(c)
            except PydanticCustomError as exc:
                raise fail(exc.context["message"], key=(i,)) from None
            if max(c) <= 0:
                raise fail("a light's colour cannot be black", key=(i,))
        return v


class CDLModel(Model):
    slope: Annotated[tuple[NonNeg, NonNeg, NonNeg], _vector(3, "[r, g, b]")] = (1.0, 1.0, 1.0)
    offset: Vec3 = (0.0, 0.0, 0.0)
    power: Annotated[tuple[Pos, Pos, Pos], _vector(3, "[r, g, b]")] = (1.0, 1.0, 1.0)
    saturation: NonNeg = 1.0


Speed = Annotated[float, Field(ge=-lim.MAX_SPEED_MPS, le=lim.MAX_SPEED_MPS)]


class WallCueModel(_Timed):
    """What the wall shows changing: the world moving past, time of day, brightness, grade."""

    interp: Interp = "ease"
    velocity_mps: Annotated[tuple[Speed, Speed, Speed], _vector(3, "[x, y, z]")] | None = None
    to_translation_m: World3 | None = None
    to_rotation_deg: Rotation3 | None = None
    to_sun_azimuth_deg: Angle | None = None
    to_sun_elevation_deg: Annotated[float, Field(ge=-90, le=90)] | None = None
    to_time_of_day_h: Annotated[float, Field(ge=0, le=24)] | None = None
    latitude_deg: Annotated[float, Field(ge=-90, le=90)] | None = None
    day_of_year: Annotated[int, Field(ge=1, le=366)] | None = None
    north_azimuth_deg: Angle | None = None
    to_turbidity: Annotated[float, Field(ge=1, le=10)] | None = None
    to_brightness_nits: Annotated[float, Field(gt=0, le=100_000)] | None = None
    to_cdl: CDLModel | None = None


class TakeModel(Model):
    """Where a recorded take came from (written by ``previs take import`` / ``track record``)."""

    source: Text = ""
    timecode: Annotated[str, Field(pattern=r"^\d{2}:\d{2}:\d{2}[:;.]\d{2,3}$")] | None = None
    frame_rate: Annotated[Fraction, BeforeValidator(lambda v: parse_frame_rate(v))]


Support = Literal[
    "sticks", "hi-hat", "dolly", "slider", "crane", "steadicam", "gimbal", "handheld", "car-mount"
]
SUPPORTS = get_args(Support)
"""What a shot's camera stands on (the shot list's Support column; derived from the moves when not given)."""


def _transition(value):
    """``cut`` / ``{type: dissolve, frames: 12}``: a bare word is the type."""
    return {"type": value} if isinstance(value, str) else value


class TransitionModel(Model):
    """How the cut comes into this shot from the one before it on the timeline."""

    type: Literal["cut", "dissolve"] = "cut"
    frames: Annotated[int, Field(ge=0, le=lim.MAX_SHOT_FRAMES)] = 0

    @model_validator(mode="after")
    def _length(self):
        if self.type == "dissolve" and self.frames < 2:
            raise fail(
                "a dissolve lasts 2 frames or more: give its length (frames: 12)", key="frames"
            )
        if self.type == "cut" and self.frames:
            raise fail("a cut has no length (frames: is for a dissolve)", key="frames")
        return self


class Shot(Model):
    id: NonEmptyText
    scene: NonEmptyText
    description: FreeText = ""
    length_frames: Annotated[int, Field(gt=0, le=lim.MAX_SHOT_FRAMES)] | None = None
    duration_s: Pos | None = None  # held to MAX_SHOT_FRAMES by the loader, which knows the rate
    notes: FreeText = ""
    camera: ShotCamera
    moves: Annotated[list[Move], Field(max_length=lim.MAX_MOVES)] = Field(default_factory=list)
    keys: dict[
        Literal[
            "position_m", "pan_deg", "tilt_deg", "roll_deg", "focal_length_mm", "focus_m", "t_stop"
        ],
        Annotated[list[list[Any]], Field(max_length=lim.MAX_SHOT_FRAMES)],
    ] = Field(default_factory=dict)
    walks: Annotated[list[Walk], Field(max_length=lim.MAX_WALKS)] = Field(default_factory=list)
    # the blocking: floor marks per character ({Mara: {1: [x, z], 2: [x, z]}}), poses and looks
    marks: Annotated[dict[NonEmptyText, MarkXZ], Field(max_length=lim.MAX_SET_PIECES)] = Field(
        default_factory=dict
    )
    poses: Annotated[list[PoseKeyModel], Field(max_length=lim.MAX_CUES)] = Field(
        default_factory=list
    )
    looks: Annotated[list[LookKeyModel], Field(max_length=lim.MAX_CUES)] = Field(
        default_factory=list
    )
    light_cues: Annotated[list[LightCueModel], Field(max_length=lim.MAX_CUES)] = Field(
        default_factory=list
    )
    wall_cues: Annotated[list[WallCueModel], Field(max_length=lim.MAX_CUES)] = Field(
        default_factory=list
    )
    # shot-list columns stated by hand (else derived from the blocking)
    shot_size: NonEmptyText | None = None
    angle: NonEmptyText | None = None
    movement: NonEmptyText | None = None
    take: TakeModel | None = None
    # the boards' and shot list's words, the camera support, and the cut into this shot
    action: FreeText = ""
    dialogue: FreeText = ""
    support: Support | None = None
    transition: Annotated[TransitionModel, BeforeValidator(_transition)] | None = None

    @field_validator("id")
    @classmethod
    def _id(cls, v: str):
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", v):
            raise fail(
                f"shot id {show(v)} may use only letters, digits, '.', '_' and '-' (like 12A)"
            )
        if len(v) > lim.MAX_SHOT_ID_CHARS:
            raise fail(
                f"shot id {show(v)} is {len(v)} characters long; at most "
                f"{lim.MAX_SHOT_ID_CHARS} (it names the shot's files)"
            )
        return v

    @model_validator(mode="after")
    def _length(self):
        _one_of(self, ("length_frames", "duration_s"), required=True)
        return self


# ---------------------------------------------------------------- the file
def parse_frame_rate(value) -> Fraction:
    """24, 25, 23.976, "24000/1001", 29.97, ... -> an exact Fraction (the timecode module's rules)."""
    from previs.core.timecode import parse_rate
    from previs.errors import PrevisError

    try:
        return parse_rate(value)
    except PrevisError as exc:
        raise fail(str(exc)) from None


# ---------------------------------------------------------------- live camera tracking
ENCODER_MAX = 2**24 - 1  # FreeD's zoom and focus are 24-bit counts
Counts = Annotated[float, Field(ge=0, le=ENCODER_MAX)]


def _increasing(what: str):
    """A calibration table's check: counts strictly increasing row by row."""

    def check(rows):
        for k in range(1, len(rows)):
            if rows[k][0] <= rows[k - 1][0]:
                raise fail(
                    f"{what} counts must increase row by row; row {k} has {rows[k][0]:g} "
                    f"after {rows[k - 1][0]:g}",
                    key=(k,),
                )
        return rows

    return AfterValidator(check)


# A calibration table: rows [counts, value], at least two, counts strictly increasing.
ZoomTable = Annotated[
    list[Annotated[tuple[Counts, FocalMM], _vector(2, "[counts, value]")]],
    Field(min_length=2, max_length=4096),
    _increasing("zoom"),
]
FocusTable = Annotated[
    list[Annotated[tuple[Counts, Pos], _vector(2, "[counts, value]")]],
    Field(min_length=2, max_length=4096),
    _increasing("focus"),
]


class LensCalibrationModel(Model):
    """One lens's encoder tables: counts -> focal length (mm) and counts -> focus (m)."""

    focal_length_mm: FocalMM
    zoom: ZoomTable | None = None
    focus: FocusTable | None = None


_AXIS = re.compile(r"^[+-]?[xyz]$")


def _axes(value):
    if (
        not isinstance(value, list | tuple)
        or len(value) != 3
        or not all(isinstance(a, str) for a in value)
    ):
        raise fail(
            f"expected axes as three of x, y, z with an optional sign (e.g. [x, z, -y]), "
            f"got {describe(value)}"
        )
    if not all(_AXIS.match(a) for a in value) or len({a.lstrip("+-") for a in value}) != 3:
        raise fail(
            f"axes {list(value)} must name each of x, y and z once, each with an optional "
            "sign (e.g. [x, z, -y])"
        )
    return tuple(value)


class TrackingModel(Model):
    """How a camera tracker's numbers land on the stage (see previs.core.scene.Tracking)."""

    axes: Annotated[tuple[str, str, str], BeforeValidator(_axes)] = ("x", "z", "-y")
    yaw_deg: Angle = 0.0
    origin_m: Point3 = (0.0, 0.0, 0.0)
    pupil_offset_m: Annotated[
        tuple[Annotated[float, Field(ge=-10, le=10)], ...], _vector(3, "[x, y, z]")
    ] = (0.0, 0.0, 0.0)
    flip_angles: Annotated[list[Literal["pan", "tilt", "roll"]], Field(max_length=3)] = Field(
        default_factory=list
    )
    lenses: Annotated[list[LensCalibrationModel], Field(max_length=256)] = Field(
        default_factory=list
    )


class OutputModel(Model):
    """``output:`` the display transform of rendered pictures (previs.render.ocio)."""

    display: NonEmptyText = "filmic"
    view: NonEmptyText | None = None
    config: NonEmptyText = "ocio://default"


class SceneFile(Model):
    format_version: int
    name: NonEmptyText
    frame_rate: Annotated[Fraction, BeforeValidator(parse_frame_rate)]
    stage: Stage | None = None
    environment: Environment = Environment()
    set_pieces: Annotated[list[SetPiece], Field(max_length=lim.MAX_SET_PIECES)] = Field(
        default_factory=list, alias="set"
    )
    characters: Annotated[list[Character], Field(max_length=lim.MAX_SET_PIECES)] = Field(
        default_factory=list
    )
    lights: Lights = Field(default_factory=list)
    camera: Camera
    shots: Annotated[list[Shot], Field(max_length=lim.MAX_SHOTS)] = Field(default_factory=list)
    tracking: TrackingModel | None = None
    output: OutputModel = OutputModel()

    @model_validator(mode="after")
    def _wall_brightness(self):
        if (
            self.stage is not None
            and self.environment.wall_brightness_nits > self.stage.panel.peak_nits
        ):
            raise fail(
                f"wall_brightness_nits {self.environment.wall_brightness_nits:g} is above the "
                f"panel's peak of {self.stage.panel.peak_nits:g} nits",
                key=("environment", "wall_brightness_nits"),
            )
        if self.stage is not None:
            peak = self.stage.panel.peak_nits
            for i, shot in enumerate(self.shots):
                for j, cue in enumerate(shot.wall_cues):
                    if cue.to_brightness_nits is not None and cue.to_brightness_nits > peak:
                        raise fail(
                            f"to_brightness_nits {cue.to_brightness_nits:g} is above the "
                            f"panel's peak of {peak:g} nits",
                            key=("shots", i, "wall_cues", j, "to_brightness_nits"),
                        )
        return self
