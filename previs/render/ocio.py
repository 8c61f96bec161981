"""Output colour through OpenColorIO: the camera's picture from previs's working space to a
display and view of an OCIO config (its built-in ACES configs by default), run on the GPU from
the shader and LUTs OCIO generates.

**Working space.** previs shades scene-referred linear light in Rec.709 primaries with a D65
white (``Linear Rec.709 (sRGB)``, alias ``lin_rec709``, in OCIO's ACES configs): lights and
emitters in nits, times the camera's exposure scale (the T-stop, shutter and ISO), so 0.18 is
mid-grey on a correctly exposed frame and 1.0 the value OCIO's displays take as 100 nits where
they are absolute (an un-tone-mapped Rec.2100 PQ view puts 1.0 at PQ(100 nits)).

**Outputs.** ``filmic`` (the default) is previs's own look, unchanged: Narkowicz's fit of the
ACES film curve and the sRGB encoding in ``shaders/display.glsl``. Any other output names an
OCIO display and view (``output: {display: sRGB - Display, view: ACES 2.0 - SDR 100 nits
(Rec.709)}``) or an alias: ``srgb``, ``rec709`` (Rec.1886) and ``rec2100-pq`` with the config's
default view of that display (its ACES output transform). The frame is then drawn as linear
light, and OCIO's function turns it into display code values before depth of field and FXAA
(which work on display values, as with ``filmic``).

**The wall.** The LED content is not the camera's picture: it is display-referred signal in the
panels' own colour space (what the processor sends the LEDs: the content's film curve, 0..1,
in the panel's primaries, which previs's shading takes as Rec.709), graded there by the wall's
ASC CDL as an LED processor grades it, and emitted as light at the wall's brightness
(``WallGrade``, ``Renderer.set_wall_drive``). The camera then sees that light like any other
in the working space, and only the camera's picture goes through the output transform chosen
here; the wall's content never does.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import numpy as np

from previs.errors import RenderError

FILMIC = "filmic"
DEFAULT_CONFIG = "ocio://default"
# previs's working space in OCIO's configs: its name in the ACES configs, then older spellings.
WORKING_SPACE_NAMES = ("Linear Rec.709 (sRGB)", "lin_rec709", "Utility - Linear - Rec.709")
# previs-friendly names: (display, view); None is the config's default view of that display.
ALIASES: dict[str, tuple[str, str | None]] = {
    "srgb": ("sRGB - Display", None),
    "rec709": ("Rec.1886 Rec.709 - Display", None),
    "rec2100-pq": ("Rec.2100-PQ - Display", None),
}


@dataclass(frozen=True)
class OcioTexture:
    """One LUT of OCIO's shader: ``sampler`` (its uniform), ``size`` ((w, h) or (n, n, n)),
    ``components`` (1 or 3), ``linear`` (filtering), ``data`` (float32 values)."""

    sampler: str
    size: tuple[int, ...]
    components: int
    linear: bool
    data: bytes


@dataclass(frozen=True)
class DisplayShader:
    """OCIO's GPU transform of one output: GLSL defining ``vec4 OCIODisplay(vec4)``, its LUTs
    and its uniforms (name, value); ``key`` tells programs apart (OCIO's cache id)."""

    display: str
    view: str
    config: str
    glsl: str
    textures: tuple[OcioTexture, ...]
    uniforms: tuple[tuple[str, object], ...]
    key: str

    @property
    def label(self) -> str:
        return f"{self.display} / {self.view}"


def _ocio():
    import PyOpenColorIO as ocio

    return ocio


@functools.lru_cache(maxsize=4)
def _config(name: str):
    try:
        return _ocio().Config.CreateFromFile(name)
    except Exception as exc:  # OCIO: "Could not find ... config"
        raise RenderError(
            f"OpenColorIO config {name!r} could not be loaded: {' '.join(str(exc).split())}"
        ) from None


def working_space(config) -> str:
    """The name of previs's working space (scene-linear Rec.709) in ``config``."""
    for name in WORKING_SPACE_NAMES:
        cs = config.getColorSpace(name)  # also finds aliases
        if cs is not None:
            return cs.getName()
    raise RenderError(
        f"the OpenColorIO config {config.getName()!r} has no linear Rec.709 colour space "
        f"(looked for {', '.join(WORKING_SPACE_NAMES)})"
    )


def resolve(
    display: str, view: str | None = None, config: str = DEFAULT_CONFIG
) -> tuple[str, str] | None:
    """(display, view) of ``config`` that an output names, or None for ``filmic``; an unknown
    display or view is one RenderError line listing what the config has."""
    if display.lower() == FILMIC:
        if view:
            raise RenderError(f"the {FILMIC} output has no views (got view {view!r})")
        return None
    cfg = _config(config)
    alias = ALIASES.get(display.lower())
    name = alias[0] if alias else display
    displays = list(cfg.getDisplays())
    if name not in displays:
        raise RenderError(
            f"no display {display!r} in {config} (displays: {', '.join(displays)}; or "
            f"{', '.join([FILMIC, *ALIASES])})"
        )
    views = list(cfg.getViews(name))
    view = view or (alias[1] if alias else None) or cfg.getDefaultView(name)
    if view not in views:
        raise RenderError(
            f"no view {view!r} for display {name!r} in {config} (views: {', '.join(views)})"
        )
    return name, view


_SAMPLER = re.compile(r"uniform\s+sampler([123])D\s+(\w+)\s*;")


@functools.lru_cache(maxsize=8)
def display_shader(
    display: str, view: str | None = None, config: str = DEFAULT_CONFIG
) -> DisplayShader | None:
    """The GPU transform from previs's working space to ``display``/``view`` (names or an
    alias, see :func:`resolve`); None for ``filmic``."""
    names = resolve(display, view, config)
    if names is None:
        return None
    ocio, cfg = _ocio(), _config(config)
    proc = cfg.getProcessor(working_space(cfg), names[0], names[1], ocio.TRANSFORM_DIR_FORWARD)
    desc = ocio.GpuShaderDesc.CreateShaderDesc(language=ocio.GPU_LANGUAGE_GLSL_4_0)
    desc.setFunctionName("OCIODisplay")
    desc.setResourcePrefix("ocio_")
    desc.setAllowTexture1D(False)  # moderngl has no 1D textures: OCIO lays 1D LUTs out in 2D
    proc.getDefaultGPUProcessor().extractGpuShaderInfo(desc)
    glsl = desc.getShaderText()
    dims = {name: int(d) for d, name in _SAMPLER.findall(glsl)}
    textures = []
    for t in desc.getTextures():
        if dims.get(t.samplerName, 2) != 2:
            raise RenderError(
                f"OpenColorIO made a {dims[t.samplerName]}D LUT for {names}; previs needs 2D"
            )
        comps = 1 if t.channel == desc.TEXTURE_RED_CHANNEL else 3
        textures.append(
            OcioTexture(
                t.samplerName,
                (int(t.width), int(t.height)),
                comps,
                t.interpolation != ocio.INTERP_NEAREST,
                np.asarray(t.getValues(), np.float32).tobytes(),
            )
        )
    for t in desc.get3DTextures():
        n = int(t.edgeLen)
        textures.append(
            OcioTexture(
                t.samplerName,
                (n, n, n),
                3,
                t.interpolation != ocio.INTERP_NEAREST,
                np.asarray(t.getValues(), np.float32).tobytes(),
            )
        )
    uniforms = []
    for name, u in desc.getUniforms():
        kind = u.type
        if kind == ocio.UNIFORM_DOUBLE:
            uniforms.append((name, float(u.getDouble())))
        elif kind == ocio.UNIFORM_BOOL:
            uniforms.append((name, int(u.getBool())))
        elif kind == ocio.UNIFORM_FLOAT3:
            uniforms.append((name, tuple(float(v) for v in u.getFloat3())))
        elif kind == ocio.UNIFORM_VECTOR_FLOAT:
            uniforms.append((name, tuple(float(v) for v in u.getVectorFloat())))
        elif kind == ocio.UNIFORM_VECTOR_INT:
            uniforms.append((name, tuple(int(v) for v in u.getVectorInt())))
        else:
            raise RenderError(f"OpenColorIO uniform {name} of type {kind} is not supported")
    return DisplayShader(
        names[0],
        names[1],
        config,
        glsl,
        tuple(textures),
        tuple(uniforms),
        f"{config}|{names[0]}|{names[1]}|{proc.getCacheID()}",
    )


def output_label(display: str, view: str | None = None, config: str = DEFAULT_CONFIG) -> str:
    """What an output is called in reports: ``filmic`` or ``display / view``."""
    names = resolve(display, view, config)
    return FILMIC if names is None else f"{names[0]} / {names[1]}"
