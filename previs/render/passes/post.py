"""Post: OpenColorIO's display transform (when an output other than filmic is chosen), FXAA (or
a plain copy), the delivery frame lines and the draft upscale."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources

import numpy as np

from previs.core.frame import frame_rect_uv
from previs.render.context import compile_program, program, shader_sources
from previs.render.gl import finish_without_gil, uniform


@dataclass(frozen=True)
class Overlay:
    """Frame lines for a delivery aspect inside the recorded image (None: no lines)."""

    frame_aspect: float | None = None
    matte_opacity: float = 0.6
    safe_areas: bool = False  # SMPTE ST 2046-1: action 93 %, title 90 %
    line_rgb: tuple[float, float, float] = (1.0, 1.0, 1.0)

    def __post_init__(self):  # a list would make the overlay unhashable (overlay_geometry's cache)
        object.__setattr__(self, "line_rgb", tuple(float(v) for v in self.line_rgb))


@dataclass
class _OverlayGL:
    program: object
    vbo: object
    vao: object
    written: bytes | None = None  # the vertices in vbo (the same lines every frame: written once)


@dataclass
class _OcioGL:
    program: object
    vao: object
    textures: list  # (unit, texture), units from 1 (the image is on 0)


@dataclass
class _Upscaler:
    program: object
    vao: object
    fbos: dict  # {output size: framebuffer}; one size at a time (an animatic has one)


class PostPass:
    """The display image into the target read back: FXAA in two passes (a copy that marks the
    pixels FXAA does more than copy, then FXAA depth-tested against the marks, so llvmpipe skips
    the blocks without any: the same picture, about a third less time; bench/bench_pass.py
    --pass post) or a copy; then the frame lines, as rectangles with blending."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.programs: dict[str, tuple[object, object]] = {}  # variant: (program, vao)
        self._overlay: _OverlayGL | None = None
        self._upscaler: _Upscaler | None = None
        self._ocio: dict[str, _OcioGL] = {}  # by DisplayShader.key

    def display(self, shader, image, targets: dict, target: str, size: tuple[int, int]) -> None:
        """Linear light ``image`` into the target named ``target`` (of the same ``size``) as
        display values: OpenColorIO's function of ``shader`` (a previs.render.ocio
        DisplayShader) compiled into post.frag's OCIO variant, its LUTs on units 1.."""
        gl = self._ocio.get(shader.key)
        if gl is None:
            gl = self._ocio[shader.key] = self._ocio_gl(shader)
        self.plain_fbo(targets, target).use()
        image.use(0)
        uniform(gl.program, "u_image", 0)
        for unit, tex in gl.textures:
            tex.use(unit)
        gl.vao.render(vertices=3)

    def _ocio_gl(self, shader) -> _OcioGL:
        ctx = self.ctx
        generated = shader.glsl
        sources = shader_sources(
            lambda name: generated if name == "ocio_display.glsl" else _shader_file(name)
        )
        prog = compile_program(ctx, sources, "fullscreen.vert", "post.frag", ("OCIO",))
        textures = []
        for unit, lut in enumerate(shader.textures, start=1):
            if len(lut.size) == 3:
                tex = ctx.texture3d(lut.size, lut.components, lut.data, dtype="f4")
            else:
                tex = ctx.texture(lut.size, lut.components, lut.data, dtype="f4")
            tex.filter = (ctx.LINEAR, ctx.LINEAR) if lut.linear else (ctx.NEAREST, ctx.NEAREST)
            tex.repeat_x = tex.repeat_y = False
            if len(lut.size) == 3:
                tex.repeat_z = False
            uniform(prog, lut.sampler, unit)
            textures.append((unit, tex))
        for name, value in shader.uniforms:
            uniform(prog, name, value)
        return _OcioGL(prog, ctx.vertex_array(prog, []), textures)

    def antialias(
        self, image, targets: dict, target: str, size: tuple[int, int], enabled: bool
    ) -> None:
        """``image`` into the target named ``target`` (of the same ``size``): FXAA, or a copy
        when not ``enabled``."""
        ctx, t = self.ctx, targets
        image.use(0)
        if not enabled:
            self.plain_fbo(t, target).use()
            self.draw("copy", size)
            return
        key = target + "_marked_fbo"
        if key not in t:
            if "post_marks" not in t:
                t["post_marks"] = ctx.depth_renderbuffer(size)
            t[key] = ctx.framebuffer([t[target]], t["post_marks"])
        fbo = t[key]
        fbo.use()
        ctx.enable(ctx.DEPTH_TEST)
        ctx.depth_func, fbo.depth_mask = "1", True
        self.draw("mark", size)
        ctx.depth_func, fbo.depth_mask = ">", False  # the far-plane triangle passes on marks 0
        self.draw("fxaa", size)
        ctx.depth_func = "<"
        ctx.disable(ctx.DEPTH_TEST)

    def plain_fbo(self, targets: dict, target: str):
        """A framebuffer of the target named ``target`` alone."""
        key = target + "_fbo"
        if key not in targets:
            targets[key] = self.ctx.framebuffer([targets[target]])
        return targets[key]

    def draw(self, variant: str, size: tuple[int, int]) -> None:
        """One post variant over the bound framebuffer, reading the image on unit 0."""
        prog, vao = self.program(variant)
        uniform(prog, "u_image", 0)
        uniform(prog, "u_px", (1.0 / size[0], 1.0 / size[1]))
        vao.render(vertices=3)

    def program(self, variant: str):
        """The post program (and VAO) of a variant: "copy", "mark" or "fxaa", each compiled on
        its own: llvmpipe runs both sides of a branch, so a uniform switch would pay for all."""
        hit = self.programs.get(variant)
        if hit is None:
            defines = {"copy": (), "mark": ("FXAA_MARK",), "fxaa": ("FXAA",)}[variant]
            prog = program(self.ctx, "fullscreen.vert", "post.frag", defines)
            hit = self.programs[variant] = (prog, self.ctx.vertex_array(prog, []))
        return hit

    def overlay(self, ov: Overlay, size: tuple[int, int]) -> None:
        """The delivery frame lines (3 px), the matte outside them and the safe areas (2 px) on
        the bound framebuffer of ``size`` pixels, as rectangles with blending: only the pixels
        they cover do any work (a test in the post pass cost every pixel)."""
        parts, verts = overlay_geometry(ov, *size)
        if not parts:
            return
        if self._overlay is None:
            prog = program(self.ctx, "overlay.vert", "overlay.frag")
            vbo = self.ctx.buffer(reserve=64 * 6 * 2 * 4)
            self._overlay = _OverlayGL(
                prog, vbo, self.ctx.vertex_array(prog, [(vbo, "2f", "in_ndc")])
            )
        gl = self._overlay
        if gl.written is not verts:
            gl.vbo.write(verts)
            gl.written = verts
        ctx = self.ctx
        ctx.enable(ctx.BLEND)
        first = 0
        for kind, color, count in parts:
            ctx.blend_func = (
                (ctx.ZERO, ctx.SRC_COLOR)
                if kind == "matte"
                else (ctx.SRC_ALPHA, ctx.ONE_MINUS_SRC_ALPHA)
            )
            uniform(gl.program, "u_color", color)
            gl.vao.render(vertices=6 * count, first=first)
            first += 6 * count
        ctx.blend_func = (ctx.SRC_ALPHA, ctx.ONE_MINUS_SRC_ALPHA)
        ctx.disable(ctx.BLEND)

    def upscaled(
        self, image, image_size: tuple[int, int], size: tuple[int, int], mark: Callable[[str], None]
    ):
        """``image`` (of ``image_size``) scaled to ``size`` (shaders/upscale.frag); returns the
        framebuffer."""
        if self._upscaler is None:
            prog = program(self.ctx, "fullscreen.vert", "upscale.frag")
            self._upscaler = _Upscaler(prog, self.ctx.vertex_array(prog, []), {})
        up = self._upscaler
        fbo = up.fbos.get(size)
        if fbo is None:
            for old in up.fbos.values():
                old.color_attachments[0].release(), old.release()
            up.fbos.clear()
            fbo = up.fbos[size] = self.ctx.framebuffer([self.ctx.renderbuffer(size, 4)])
        fbo.use()
        image.use(0)
        uniform(up.program, "u_image", 0)
        uniform(up.program, "u_scale", (image_size[0] / size[0], image_size[1] / size[1]))
        up.vao.render(vertices=3)
        mark("upscale")
        finish_without_gil()
        return fbo

    def release(self) -> None:
        for prog, vao in self.programs.values():
            vao.release(), prog.release()
        self.programs = {}
        for gl in self._ocio.values():
            for _, tex in gl.textures:
                tex.release()
            gl.vao.release(), gl.program.release()
        self._ocio = {}
        if self._overlay is not None:
            for obj in (self._overlay.vao, self._overlay.vbo, self._overlay.program):
                obj.release()
            self._overlay = None
        if self._upscaler is not None:
            for fbo in self._upscaler.fbos.values():
                fbo.color_attachments[0].release(), fbo.release()
            self._upscaler.vao.release(), self._upscaler.program.release()
            self._upscaler = None


def _shader_file(name: str) -> str:
    """A GLSL file's own text (its includes not yet expanded)."""
    return resources.files("previs.shaders").joinpath(name).read_text(encoding="utf-8")


@functools.lru_cache(maxsize=8)
def overlay_geometry(ov: Overlay, w: int, h: int) -> tuple[tuple, bytes]:
    """The rectangles of PostPass.overlay for an image of ``w`` x ``h`` pixels: ((kind, colour,
    quad count) per draw, their vertices in NDC); no draws without a delivery frame. Cached: a
    shot's frames all have the same lines."""
    x0, y0, x1, y1 = frame_rect_uv(w / h, ov.frame_aspect)
    if x1 <= x0:
        return (), b""
    X0, Y0, X1, Y1 = x0 * w, y0 * h, x1 * w, y1 * h

    def outline(a, b, c, d, width):
        # Four bars ``width`` whole pixels wide, centred on the edges and snapped to the pixel
        # grid (the same width wherever an edge falls); corners once, so each pixel blends once.
        # (near edges round half up, far edges half down: mirror images of each other)
        xa, yb = (math.floor(v - width / 2 + 0.5) for v in (a, b))
        xc, yd = (math.ceil(v - width / 2 - 0.5) for v in (c, d))
        return [
            (xa, yb, xa + width, yd + width),
            (xc, yb, xc + width, yd + width),
            (xa + width, yb, xc, yb + width),
            (xa + width, yd, xc, yd + width),
        ]

    line = tuple(float(v) for v in ov.line_rgb)
    parts = [
        (
            "matte",
            (1.0 - ov.matte_opacity,) * 3 + (1.0,),
            [(0, 0, w, Y0), (0, Y1, w, h), (0, Y0, X0, Y1), (X1, Y0, w, Y1)],
        ),
        ("mix", line + (1.0,), outline(X0, Y0, X1, Y1, 3)),
    ]
    if ov.safe_areas:  # SMPTE ST 2046-1: action 93 %, title 90 % of the frame, centred
        cx, cy, hw, hh = (X0 + X1) / 2, (Y0 + Y1) / 2, (X1 - X0) / 2, (Y1 - Y0) / 2
        for k, alpha in ((0.93, 0.6), (0.90, 0.4)):
            parts.append(
                (
                    "mix",
                    line + (alpha,),
                    outline(cx - hw * k, cy - hh * k, cx + hw * k, cy + hh * k, 2),
                )
            )
    quads = np.array([q for _, _, qs in parts for q in qs], np.float64)
    ndc = (
        np.stack([quads[:, 0] / w, quads[:, 1] / h, quads[:, 2] / w, quads[:, 3] / h], axis=1) * 2.0
        - 1.0
    )
    a, b, c, d = ndc.T
    verts = np.stack([a, b, c, b, c, d, a, b, c, d, a, d], axis=1).astype("f4")
    return tuple((kind, color, len(qs)) for kind, color, qs in parts), verts.tobytes()
