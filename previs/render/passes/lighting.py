"""Lighting: each pixel of the G-buffer shaded once (deferred.frag through fullscreen.vert), by
the lights and their shadows, the sky, the ambient fill and the LED wall as a light; over the
whole image, in screen rectangles (the inner frustum's seen tiles), or at half resolution with a
resolve and a mending pass (:meth:`LightingPass.draw_half`)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from previs.core.scene import MAX_LIGHTS, Light
from previs.render.context import program
from previs.render.gl import GL_FRAMEBUFFER_SRGB, clamp_to_edge, lights_define, uniform, write_array
from previs.render.passes.shadows import MAX_TILES, ShadowPass, shadow_covers_light
from previs.render.passes.wall import MAX_RECTS, LedLight, TileRects

LIGHT_TYPES = {"directional": 0, "point": 1, "spot": 2}
PROGRAMS_KEPT = 16  # lighting variants kept compiled: lights edited over and over drop the oldest


@dataclass(frozen=True)
class Sky:
    """An analytic sky where nothing is drawn (environment captures): the sun's direction (unit,
    towards the sun), its linear colour and the haze."""

    sun_dir: tuple[float, float, float]
    sun_color_linear: tuple[float, float, float] = (1.0, 1.0, 1.0)
    turbidity: float = 3.0


@dataclass(frozen=True)
class Ambient:
    """The ambient fill: light from above and from below, in nits per channel."""

    up_nits: tuple[float, float, float] = (0.0, 0.0, 0.0)
    down_nits: tuple[float, float, float] = (0.0, 0.0, 0.0)


@dataclass(frozen=True)
class LightingVariant:
    """What a lighting program compiles in: everything that is the same for every pixel, so
    llvmpipe (which executes both sides of a branch) runs only the code a frame needs. ``mode``:
    "display", "signal", "filmic" or "hdr" (see Renderer._draw); ``part``: "surface", "sky",
    "half" or "resolve"; ``lights``: :meth:`LightingPass.light_list`."""

    mode: str
    part: str
    sky: bool
    led_light: bool
    lights: tuple

    def defines(self) -> tuple[str, ...]:
        # SRGB_TARGET: the signal texture is sRGB, so the framebuffer encodes on write
        # (GL_FRAMEBUFFER_SRGB, see LightingPass.draw) instead of a pow per channel in the shader.
        # ("filmic" takes the film curve without the sRGB encoding, into a float target.)
        switches = (
            ("DISPLAY", self.mode != "hdr"),
            ("SRGB_TARGET", self.mode in ("signal", "filmic")),
            ("SKY_PASS", self.part == "sky"),
            ("LED_LIGHT", self.led_light),
            ("HALF_LIGHTING", self.part == "half"),
            ("RESOLVE", self.part == "resolve"),
        )
        defines = ["RECTS", "VIEW_RAY", f"MAX_LIGHTS {MAX_LIGHTS}", f"MAX_TILES {MAX_TILES}"]
        defines += [name for name, on in switches if on]
        if self.lights:
            defines.append(lights_define(self.lights))
        return tuple(defines)


@dataclass
class LightingProgram:
    """A compiled lighting variant and its VAOs: one triangle over the whole image, or the
    rectangles in the pass's rectangle buffer."""

    program: object
    full_vao: object
    rects_vao: object

    def release(self) -> None:
        self.rects_vao.release(), self.full_vao.release(), self.program.release()


@dataclass(frozen=True)
class _PackedLights:
    lights: tuple[Light, ...]
    arrays: tuple[np.ndarray, ...]  # lighting.glsl's uniform arrays of these lights


class LightingPass:
    """Owns the lights (``lights``, ``ambient``, ``sky``, ``led_light``), the lighting
    programs (``programs``, by :class:`LightingVariant`) and the whole-image and rectangle
    vertex buffers. Samples the shadow pass's atlas."""

    def __init__(self, ctx, shadows: ShadowPass):
        self.ctx = ctx
        self._shadows = shadows
        self.lights: list[Light] = []
        self.ambient = Ambient()
        self.sky: Sky | None = None
        self.led_light: LedLight | None = None
        self.programs: dict[LightingVariant, LightingProgram] = {}
        self._packed: _PackedLights | None = None  # (a pass or three a frame)
        # Either one triangle over the whole image or screen rectangles, both as uv corners
        # for fullscreen.vert's RECTS.
        self._fullscreen_vbo = ctx.buffer(np.array([0, 0, 2, 0, 0, 2], "f4").tobytes())
        self._rects_vbo = ctx.buffer(reserve=MAX_RECTS * 6 * 2 * 4)

    def set_led_light(self, led_light: LedLight | None) -> None:
        if self.led_light is not None:
            self.led_light.release()
        self.led_light = led_light

    def light_list(self) -> tuple:
        """Per light what the lighting code compiles in: (type, shadow tiles, first tile, has a
        range, bounded map); see lighting.glsl's LIGHTS."""
        light_tiles = self._shadows.light_tiles
        tiles = light_tiles + [(0, 0)] * (len(self.lights) - len(light_tiles))
        return tuple(
            (
                LIGHT_TYPES[lt.type],
                tiles[i][1],
                tiles[i][0],
                int(lt.range_m > 0),
                int(tiles[i][1] == 1 and not shadow_covers_light(lt)),
            )
            for i, lt in enumerate(self.lights)
        )

    def variant(self, mode: str, part: str) -> LightingVariant:
        """The variant of ``mode`` and ``part`` for the current lights, wall light and sky."""
        if part == "resolve":  # no lights, no sky: the same program whatever they are
            return LightingVariant(mode, part, False, False, ())
        return LightingVariant(
            mode, part, self.sky is not None, self.led_light is not None, self.light_list()
        )

    def program(self, mode: str, part: str) -> LightingProgram:
        """The lighting program of :meth:`variant`, compiled on first use."""
        key = self.variant(mode, part)
        hit = self.programs.get(key)
        if hit is None:
            if len(self.programs) >= PROGRAMS_KEPT:
                self.programs.pop(next(iter(self.programs))).release()
            prog = program(self.ctx, "fullscreen.vert", "deferred.frag", key.defines())
            hit = self.programs[key] = LightingProgram(
                prog,
                self.ctx.vertex_array(prog, [(self._fullscreen_vbo, "2f", "in_uv")]),
                self.ctx.vertex_array(prog, [(self._rects_vbo, "2f", "in_uv")]),
            )
        return hit

    def set_rects(self, rects: TileRects) -> TileRects:
        """Write the rectangles' corners into the rectangle buffer (what ``draw`` with
        ``rect_vertices`` draws); returns ``rects``."""
        if rects.vertex_count:
            self._rects_vbo.write(rects.uv_corners)
        return rects

    def upload(self, prog) -> None:
        """What the lights, shadows, sky, ambient fill and the wall as a light need (also for
        the geometry pass's forward programs)."""
        uniform(prog, "u_shadow_atlas", 5)
        uniform(prog, "u_led_radiance", 8)
        uniform(prog, "u_led_irradiance", 9)
        if self._shadows.atlas is not None:
            self._shadows.atlas.use(5)
        if self.sky:
            uniform(prog, "u_sun_dir", self.sky.sun_dir)
            uniform(prog, "u_sun_color", self.sky.sun_color_linear)
            uniform(prog, "u_turbidity", self.sky.turbidity)
        uniform(prog, "u_ambient_up", self.ambient.up_nits)
        uniform(prog, "u_ambient_down", self.ambient.down_nits)
        if self.led_light is not None:
            self.led_light.reflections.use(8)
            self.led_light.diffuse.use(9)
            uniform(prog, "u_led_radiance_levels", self.led_light.levels)
        lights = tuple(self.lights)
        if self._packed is None or self._packed.lights != lights:
            self._packed = _PackedLights(lights, _pack_lights(lights))
        for name, arr in zip(
            ("u_light_pos_type", "u_light_dir_range", "u_light_color", "u_light_cone"),
            self._packed.arrays,
            strict=True,
        ):
            write_array(prog, name, arr)
        self._shadows.upload(prog)

    def draw(
        self,
        targets: dict,
        size: tuple[int, int],
        mode: str,
        part: str,
        view,
        exposure: float,
        rect_vertices: int | None = None,
    ) -> None:
        """One lighting part of ``view`` into the bound framebuffer (of ``size`` pixels), reading
        the G-buffer in ``targets``: "surface" where something was drawn (or, mending
        half-resolution lighting, was marked), "sky" where nothing was, "half" (the light at
        every other pixel) or "resolve" (every pixel, and the mending marks). ``rect_vertices``:
        only the rectangles of :meth:`set_rects` (0: none)."""
        ctx, t = self.ctx, targets
        if part in ("surface", "sky", "resolve"):
            ctx.depth_func = {"surface": ">", "sky": "<=", "resolve": "1"}[part]
        lp = self.program(mode, part)
        prog = lp.program
        uniform(prog, "u_full_px", (1.0 / size[0], 1.0 / size[1]))
        if part == "resolve":
            t["half_kd"].use(10)
            t["half_ks"].use(11)
            t["half_surface"].use(12)
            uniform(prog, "u_half_kd", 10)
            uniform(prog, "u_half_ks", 11)
            uniform(prog, "u_half_surface", 12)
            uniform(prog, "u_half_px", tuple(1.0 / n for n in t["half_kd"].size))
        for unit, name in enumerate(("albedo", "normal", "geom", "emissive", "depth")):
            t[name].use(unit)
            uniform(prog, f"u_{name}", unit)
        # The view ray at 1 m of depth for uv (0, 0), and its change per unit of u and v.
        rot = view.world_from_camera[:3, :3]
        ty = math.tan(view.yfov_rad / 2.0)
        tx = ty * view.aspect
        uniform(prog, "u_ray00", tuple(float(x) for x in rot @ (-tx, -ty, -1.0)))
        uniform(prog, "u_ray_du", tuple(float(x) for x in rot @ (2.0 * tx, 0.0, 0.0)))
        uniform(prog, "u_ray_dv", tuple(float(x) for x in rot @ (0.0, 2.0 * ty, 0.0)))
        uniform(prog, "u_near_far", (float(view.near_m), float(view.far_m)))
        uniform(prog, "u_eye", tuple(float(x) for x in view.world_from_camera[:3, 3]))
        uniform(prog, "u_exposure", float(exposure))
        if part != "resolve":  # (the resolve reads the samples, not the lights)
            self.upload(prog)
        if rect_vertices == 0:
            return
        vao, count = (lp.full_vao, 3) if rect_vertices is None else (lp.rects_vao, rect_vertices)
        if mode == "signal":
            ctx.enable_direct(GL_FRAMEBUFFER_SRGB)
            vao.render(vertices=count)
            ctx.disable_direct(GL_FRAMEBUFFER_SRGB)
        else:
            vao.render(vertices=count)

    def draw_half(
        self,
        targets: dict,
        size: tuple[int, int],
        view,
        exposure: float,
        mark: Callable[[str], None],
    ) -> None:
        """The surface lighting of a display frame at half resolution (Renderer's
        ``half_res_lighting``): the light reaching the surface (lights, shadows, the wall as a
        light, the ambient fill) at every other pixel of every other row; then each pixel's
        colour from its own base colour, metallic and emission and a blend of the samples around
        it on its own surface (depth, geometric normal, metallic and roughness alike); pixels
        with none (thin objects, silhouettes) and glints are marked in a depth buffer and lit in
        full by a last pass, which llvmpipe runs only for the blocks that hold such pixels.
        Into ``targets["image"]``; its half-resolution targets are made there on first use."""
        ctx, t = self.ctx, targets
        width, height = size
        if "half_fbo" not in t:
            # Sample q lights pixel 2q; the resolve reads q0 + 1 for pixel 2 q0 + 1 (q0 = p // 2)
            # without a clamp, so the target reaches one sample past the last pixel (outside the
            # image: no surface).
            half = ((width + 3) // 2, (height + 3) // 2)
            t["half_kd"] = ctx.texture(half, 4, dtype="f4")  # see deferred.frag, HALF_LIGHTING
            t["half_ks"] = ctx.texture(half, 4, dtype="f4")
            t["half_surface"] = ctx.texture(half, 4)
            for name in ("half_kd", "half_ks", "half_surface"):
                t[name].filter = (ctx.NEAREST, ctx.NEAREST)  # fetch.glsl
                clamp_to_edge(t[name])
            t["half_fbo"] = ctx.framebuffer([t["half_kd"], t["half_ks"], t["half_surface"]])
            # The same attachments twice: the resolve writes the marks, the mending pass only
            # tests against them.
            t["mend_depth"] = ctx.depth_renderbuffer((width, height))
            t["resolve_fbo"] = ctx.framebuffer([t["image"]], t["mend_depth"])
            t["mend_fbo"] = ctx.framebuffer([t["image"]], t["mend_depth"])
            t["mend_fbo"].depth_mask = False
        ctx.disable(ctx.DEPTH_TEST)
        t["half_fbo"].use()
        self.draw(t, size, "display", "half", view, exposure)
        mark("lighting (half resolution)")
        ctx.enable(ctx.DEPTH_TEST)
        t["resolve_fbo"].use()
        self.draw(t, size, "display", "resolve", view, exposure)
        mark("lighting (resolve)")
        t["mend_fbo"].use()
        self.draw(t, size, "display", "surface", view, exposure)

    def release(self) -> None:
        for lp in self.programs.values():
            lp.release()
        self.programs = {}
        self.set_led_light(None)
        self._rects_vbo.release()
        self._fullscreen_vbo.release()


def _pack_lights(lights) -> tuple[np.ndarray, ...]:
    """The lights as the lighting shader's uniform arrays (lighting.glsl)."""
    pos_type = np.zeros((MAX_LIGHTS, 4), "f4")
    dir_range = np.zeros((MAX_LIGHTS, 4), "f4")
    color = np.zeros((MAX_LIGHTS, 4), "f4")
    cone = np.zeros((MAX_LIGHTS, 4), "f4")
    for i, lt in enumerate(lights):
        d = np.asarray(lt.direction, float)
        d = d / max(np.linalg.norm(d), 1e-12)
        pos_type[i] = (*lt.position_m, LIGHT_TYPES[lt.type])
        # Reciprocals here, not per pixel: 1 / range^2, and the spot's two blend slopes.
        dir_range[i] = (*d, 1.0 / lt.range_m**2 if lt.range_m > 0 else 0.0)
        color[i] = (*(np.asarray(lt.color_linear, float) * lt.intensity), lt.size_m)
        cos_beam = math.cos(math.radians(lt.beam_angle_deg) / 2)
        cos_field = math.cos(math.radians(lt.field_angle_deg) / 2)
        cone[i] = (
            cos_beam,
            cos_field,
            1.0 / max(cos_beam - cos_field, 1e-4),
            4.0 / max(1.0 - cos_beam, 1e-4),
        )
    return pos_type, dir_range, color, cone
