"""The offscreen renderer: static world batches, cached shadow maps, MSAA, post, readback.

Data flows one way: ``set_world`` takes plain assets and lights and builds GPU batches (vertices
pre-transformed to world space and merged per material, so a set of hundreds of thousands of
triangles is a handful of draw calls); shadow maps depend only on the world and the lights, so
they are rendered once there and reused while the camera moves. ``render`` takes a camera and
returns colour and linear depth as numpy arrays.

Shading is deferred: a geometry pass writes materials to a G-buffer, a lighting pass shades each
screen pixel once, and the post pass tone-maps, anti-aliases (FXAA) and draws frame lines. On a
software rasteriser (Mesa llvmpipe) this is several times faster than forward shading with MSAA,
because hidden fragments and the 2x2-quad waste of dense meshes never run the lighting. The one
exception is the wall's world (a signal target under at most one light), shaded as it is drawn.
"""

from __future__ import annotations

import functools
import math
import threading
from dataclasses import dataclass

import numpy as np

from previs.core import transforms as tf
from previs.core.frame import frame_rect_uv  # noqa: F401 (previs.render exports it)
from previs.core.ledcheck import radiance_octahedral
from previs.core.mesh import Asset, Material, TextureImage
from previs.core.scene import MAX_LIGHTS, Light
from previs.errors import RenderError
from previs.render.context import create_offscreen_context, program
from previs.render.gl import GL_FRAMEBUFFER_SRGB, GL_SRGB8_ALPHA8, VERTEX_LAYOUT  # noqa: F401
from previs.render.gl import clamp_to_edge as _clamp_to_edge
from previs.render.gl import gl_finish as _gl_finish
from previs.render.gl import lights_define as _lights_define
from previs.render.gl import uniform as _uniform
from previs.render.gl import variant as _variant
from previs.render.gl import vertex_array as _vertex_array
from previs.render.gl import write as _write
from previs.render.gl import write_array as _write_array
from previs.render.gl import write_cube as _write_cube
from previs.render.passes.dof import DOF_MAX_RADIUS, DOF_TILE_PX, DepthOfFieldPass, TakingLens  # noqa: F401
from previs.render.passes.post import Overlay, PostPass
from previs.render.passes.shadows import (  # noqa: F401 (the constants: for tests and benchmarks)
    CUBE_FACES,
    MAX_TILES,
    SHADOW_DEPTH_BIAS,
    ShadowPass,
    shadow_covers_light,
    shadow_key,
)
from previs.render.passes.wall import InnerFrustum, LedLight, LedPanel, WallGrade

TARGET_SETS_KEPT = 3  # render-target sizes kept allocated (see Renderer.resize)
LIGHT_TYPES = {"directional": 0, "point": 1, "spot": 2}
# The inner frustum is rendered only in the tiles (this many pixels a side) where the camera
# sees the wall past the set; the visibility mask is found at a quarter of the resolution.
SEEN_TILE_PX = 32
SEEN_MASK_STEP = 4
MAX_RECTS = 4096  # screen rectangles one lighting pass can take (see _rects)

@dataclass(frozen=True)
class CameraView:
    """A pinhole camera: pose, vertical field of view and the image aspect (width / height)."""

    world_from_camera: np.ndarray
    yfov_rad: float
    aspect: float
    near_m: float = 0.05
    far_m: float = 500.0

    @property
    def clip_from_world(self) -> np.ndarray:
        return tf.perspective(self.yfov_rad, self.aspect, self.near_m, self.far_m) @ np.linalg.inv(
            self.world_from_camera)


@dataclass(frozen=True)
class DrawItem:
    asset: Asset
    world_from_asset: np.ndarray
    name: str | None = None  # names the item for set_poses when it is dynamic


@dataclass(frozen=True)
class Frame:
    color: np.ndarray  # (H, W, 3) uint8 sRGB, row 0 at the top
    depth_m: np.ndarray | None  # (H, W) float32 distance along the view axis; inf where empty


@dataclass
class _Batch:
    vao: object
    vbo: object
    ibo: object
    material: Material
    triangles: int
    name: str | None = None  # dynamic batches: the item's name; static batches: None
    world_from_model: np.ndarray | None = None  # dynamic batches only
    local_bounds: tuple[np.ndarray, np.ndarray] | None = None
    world_bounds: tuple[np.ndarray, np.ndarray] | None = None  # static batches only
    seen_vao: object | None = None  # LED wall batches: positions only, for seen_wall_tiles
    forward_vao: object | None = None  # forward shading (signal targets), see Renderer._forward_vao


_CURRENT: set[tuple[int, int]] = set()  # (thread, context) pairs inside a _current block


def _current(method):
    """Run a method with this renderer's context current: several renderers (each with its own
    standalone context, or sharing one) may live in one process, and GL calls go to whichever is
    current. Counted per context: a renderer called from inside another on the same context
    (the inner frustum, mid-frame) must not unbind it when it returns."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        key = (threading.get_ident(), id(self.ctx))
        if key in _CURRENT:  # already current here: leaving a nested block would unbind it
            return method(self, *args, **kwargs)
        _CURRENT.add(key)
        try:
            with self.ctx:
                return method(self, *args, **kwargs)
        finally:
            _CURRENT.discard(key)

    return wrapper


class Renderer:
    """Owns one OpenGL context and every GPU resource made in it."""

    def __init__(self, width: int, height: int, *, antialias: bool = True, shadows: bool = True,
                 shadow_map_size: int = 2048, ctx=None):
        if width <= 0 or height <= 0:
            raise RenderError(f"impossible image size {width}x{height}")
        self._owns_ctx = ctx is None
        self.ctx = ctx or create_offscreen_context()
        self._init_gl(width, height, antialias, shadows, shadow_map_size)

    @_current
    def _init_gl(self, width, height, antialias, shadows, shadow_map_size) -> None:
        self.gl_renderer = self.ctx.info.get("GL_RENDERER", "unknown")
        # A software rasteriser makes each pass wait for the one before (see _mark); a GPU
        # overlaps them, so only llvmpipe gets a wait after every pass.
        self._wait_each_pass = "llvmpipe" in self.gl_renderer.lower()
        # Wall signal (a wall's world: the inner frustum, the content's cube faces) is shaded as
        # it is drawn where it can be (see _draw); False takes the G-buffer and lighting passes,
        # as the tests' reference.
        self.forward_signal = True
        self.shadows = shadows
        self.shadow_map_size = int(shadow_map_size)
        self.antialias = antialias
        # G-buffer variants, compiled on first use (see _gbuffer_prog); lighting variants per
        # light list and mode (see _lighting).
        self._gbuffer_progs: dict[tuple, object] = {}
        self._forward_progs: dict[tuple, object] = {}  # (G-buffer defines, light list), see _forward_vao
        self._light_progs: dict[tuple, tuple[object, object, object]] = {}  # program, whole-image and rects VAOs
        self._wall_cube = None
        self._wall_eye = (0.0, 1.7, 0.0)
        self._wall_nits = 0.0
        self._wall_grade = WallGrade()
        self._inner: InnerFrustum | None = None
        self._led_light: LedLight | None = None
        # The panels and the lens, for the LED grid and the off-axis falloff on the wall.
        self._panel = LedPanel()
        self.lens = TakingLens()
        self.dof_pass = DepthOfFieldPass(self.ctx)
        self._sky = None  # (sun_dir, sun_color, turbidity) for the sky background
        self.shadow_pass = ShadowPass(self.ctx)
        self.post_pass = PostPass(self.ctx)
        # Lighting passes draw either one triangle over the whole image or screen rectangles
        # (the inner frustum's seen tiles): both as uv corners for fullscreen.vert's RECTS.
        self._fullscreen_vbo = self.ctx.buffer(np.array([0, 0, 2, 0, 0, 2], "f4").tobytes())
        self._rects_vbo = self.ctx.buffer(reserve=MAX_RECTS * 6 * 2 * 4)
        self._seen = None  # seen_wall_tiles: (program, {mask size: (texture, framebuffer)}), made on first use
        self._view_clip = np.eye(4)  # clip_from_world of the frame being drawn
        self._textures: dict[str, object] = {}
        self._batches: list[_Batch] = []
        self._lights: list[Light] = []
        self._light_arrays = None  # (lights, their uniform arrays), see _upload_lights
        self._ambient_up = (0.0, 0.0, 0.0)
        self._ambient_down = (0.0, 0.0, 0.0)
        self._static_bounds = (np.zeros(3), np.zeros(3))
        self._targets = None
        self._target_sets: dict[tuple[int, int], dict] = {}  # by size, least recently used first
        # Pass timing for benchmarks: a dict makes every pass wait for the GPU and add its
        # milliseconds under its name (slower overall; None, the default, times nothing).
        self.pass_ms: dict[str, float] | None = None
        self._mark_t = 0.0
        # Display frames lit at half resolution (_half_res_lighting): the lighting passes take
        # about two thirds of the time (3A at 1280x720), for animatics and a moving window; a
        # level or a few at edges and small highlights (bench/lighting_error.py).
        self.half_res_lighting = False
        self.resize(width, height)

    # ------------------------------------------------------------ targets
    @_current
    def resize(self, width: int, height: int) -> None:
        """Render at ``width`` x ``height`` from now on. The targets of the last few sizes are
        kept, so switching back (an environment capture, a window that drops its resolution
        while the camera moves) allocates nothing."""
        size = self._checked_size(width, height)
        self.width, self.height = size
        t = self._target_sets.pop(size, None)
        if t is None:
            while len(self._target_sets) >= TARGET_SETS_KEPT:
                for obj in self._target_sets.pop(next(iter(self._target_sets))).values():
                    obj.release()
            t = self._make_targets(size)
        self._target_sets[size] = t  # most recently used last
        self._targets = t

    def _checked_size(self, width: int, height: int, what: str = "image") -> tuple[int, int]:
        """(width, height) as ints, or one RenderError line for a size GL cannot draw."""
        size = (int(width), int(height))
        if size[0] <= 0 or size[1] <= 0:
            raise RenderError(f"impossible {what} size {size[0]}x{size[1]}")
        max_px = int(self.ctx.info.get("GL_MAX_TEXTURE_SIZE", 16384))
        if max(size) > max_px:
            raise RenderError(f"{what} size {size[0]}x{size[1]} is over this OpenGL's limit of {max_px} px a side")
        return size

    def _make_targets(self, size: tuple[int, int]) -> dict:
        ctx, t = self.ctx, {}
        # G-buffer, all RGBA8 (shaders/gbuffer_codec.glsl): albedo+metallic, shading normal,
        # geometric normal+roughness+occlusion, emissive.
        t["albedo"] = ctx.texture(size, 4)  # sqrt-encoded albedo keeps dark precision
        t["normal"] = ctx.texture(size, 4)
        t["geom"] = ctx.texture(size, 4)
        t["emissive"] = ctx.texture(size, 4)
        t["depth"] = ctx.depth_texture(size)
        for name in ("albedo", "normal", "geom", "emissive", "depth"):
            t[name].filter = (ctx.NEAREST, ctx.NEAREST)  # read through the sampler (fetch.glsl)
            _clamp_to_edge(t[name])
        t["depth"].compare_func = ""  # its depths, not a comparison
        t["gbuffer"] = ctx.framebuffer([t["albedo"], t["normal"], t["geom"], t["emissive"]], t["depth"])
        t["image"] = ctx.texture(size, 4)  # tone-mapped, sRGB-encoded
        t["image"].filter = (ctx.LINEAR, ctx.LINEAR)  # FXAA samples between pixels
        _clamp_to_edge(t["image"])
        t["image_fbo"] = self._lighting_fbo(t["image"], t["depth"])
        t["ldr"] = ctx.renderbuffer(size, 4)
        t["ldr_fbo"] = ctx.framebuffer([t["ldr"]])
        return t

    def _lazy_target(self, name: str):
        """The framebuffer of a target only some renderers use, made on first use: ``hdr``
        (linear light, float), ``filmic`` (linear wall signal, float: the wall content's cube
        faces) or ``signal`` (wall signal for the inner frustum: the display encoding in an sRGB
        texture, so sampling it gives linear)."""
        t = self._targets
        if name not in t:
            size = (self.width, self.height)
            if name in ("hdr", "filmic"):
                tex = self.ctx.texture(size, 4, dtype="f4")
            else:
                tex = self.ctx.texture(size, 4, internal_format=GL_SRGB8_ALPHA8)
                tex.filter = (self.ctx.LINEAR, self.ctx.LINEAR)
                _clamp_to_edge(tex)
            t[name] = tex
            t[name + "_fbo"] = self._lighting_fbo(tex, t["depth"])
        return t[name + "_fbo"]

    def _lighting_fbo(self, color, depth):
        """A lighting target with the G-buffer's depth attached read-only: the lighting passes
        depth-test against it so surface shading skips empty pixels and the sky skips covered
        ones (llvmpipe skips blocks the depth test rejects; a branch would run both sides)."""
        fbo = self.ctx.framebuffer([color], depth)
        fbo.depth_mask = False
        return fbo

    def _release_targets(self) -> None:
        for t in self._target_sets.values():
            for obj in t.values():
                obj.release()
        self._target_sets = {}
        self._targets = None

    # ------------------------------------------------------------ world
    def _texture(self, img: TextureImage | None):
        if img is None:
            return None
        tex = self._textures.get(img.key)
        if tex is None:
            h, w = img.rgba.shape[:2]
            tex = self.ctx.texture((w, h), 4, np.ascontiguousarray(img.rgba).tobytes())
            tex.build_mipmaps()
            tex.filter = (self.ctx.LINEAR_MIPMAP_LINEAR, self.ctx.LINEAR)
            self._textures[img.key] = tex
        return tex

    @_current
    def set_world(self, items: list[DrawItem], lights: list[Light], *,
                  ambient_up_nits=(0.0, 0.0, 0.0), ambient_down_nits=(0.0, 0.0, 0.0),
                  dynamic: frozenset[str] | set[str] = frozenset()) -> None:
        """Upload the world. Static items are pre-transformed and merged per material (a handful
        of draw calls however many meshes); items named in ``dynamic`` keep their own vertices and
        move with :meth:`set_poses`. Shadow maps are rendered once and again only when a light or
        a dynamic item moves."""
        self._release_batches()
        groups: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
        materials: dict[str, Material] = {}
        lo, hi = np.full(3, np.inf), np.full(3, -np.inf)
        for item in items:
            m = np.asarray(item.world_from_asset, dtype=np.float64)
            if item.name is not None and item.name in dynamic:
                for part in item.asset.parts:
                    verts = np.hstack([part.positions, part.normals, part.uvs, part.colors]).astype(np.float32)
                    batch = self._make_batch(verts, part.indices, part.material)
                    batch.name, batch.world_from_model, batch.world_bounds = item.name, m, None
                    batch.local_bounds = (part.positions.min(axis=0).astype(np.float64),
                                          part.positions.max(axis=0).astype(np.float64))
                    self._batches.append(batch)
                continue
            nm = np.linalg.inv(m[:3, :3]).T
            flip = np.linalg.det(m[:3, :3]) < 0
            for part in item.asset.parts:
                pos = part.positions.astype(np.float64) @ m[:3, :3].T + m[:3, 3]
                nrm = part.normals.astype(np.float64) @ nm.T
                nrm /= np.maximum(np.linalg.norm(nrm, axis=1, keepdims=True), 1e-12)
                verts = np.hstack([pos, nrm, part.uvs, part.colors]).astype(np.float32)
                idx = part.indices[:, ::-1] if flip else part.indices
                groups.setdefault(part.material.key, []).append((verts, idx))
                materials[part.material.key] = part.material
                lo, hi = np.minimum(lo, pos.min(axis=0)), np.maximum(hi, pos.max(axis=0))
        for key, chunks in groups.items():
            offset, all_v, all_i = 0, [], []
            for verts, idx in chunks:
                all_v.append(verts)
                all_i.append(idx.astype(np.uint32) + offset)
                offset += len(verts)
            self._batches.append(self._make_batch(np.concatenate(all_v), np.concatenate(all_i), materials[key]))
        self._batches.sort(key=lambda b: _variant(b.material) == "masked")  # opaque first
        if not np.all(np.isfinite(lo)):
            lo, hi = np.zeros(3), np.zeros(3)
        self._static_bounds = (lo, hi)
        self._lights = _checked_lights(lights)
        self._ambient_up = tuple(float(x) for x in ambient_up_nits)
        self._ambient_down = tuple(float(x) for x in ambient_down_nits)
        self.shadow_pass.dirty = True

    def _gbuffer_defines(self, m: Material) -> tuple[str, ...]:
        """The G-buffer variant of a material: alpha-masked (only it may discard, so the others
        keep early depth), LED wall (emits the wall content) or opaque, with the maps it has."""
        maps = tuple(name for name, img in (
            ("HAS_BASE_TEX", m.base_color_texture), ("HAS_MR_TEX", m.metallic_roughness_texture),
            ("HAS_NORMAL_TEX", m.normal_texture), ("HAS_EMISSIVE_TEX", m.emissive_texture),
            ("HAS_OCCLUSION_TEX", m.occlusion_texture)) if img is not None)
        dark = m.emissive_texture is None and not any(m.emissive) and _variant(m) != "wall"
        kind = {"masked": ("ALPHA_MASK",), "wall": ("LED_WALL",), "opaque": ()}[_variant(m)]
        return kind + maps + (("NO_EMISSION",) if dark else ())

    def _gbuffer_prog(self, m: Material):
        """The G-buffer program of a material's variant (:meth:`_gbuffer_defines`), cached."""
        defines = self._gbuffer_defines(m)
        prog = self._gbuffer_progs.get(defines)
        if prog is None:
            prog = self._gbuffer_progs[defines] = program(self.ctx, "scene.vert", "gbuffer.frag", defines)
        return prog

    def _light_list(self) -> tuple:
        """Per light what the lighting code compiles in: (type, shadow tiles, first tile, has a
        range, bounded map); see lighting.glsl's LIGHTS."""
        light_tiles = self.shadow_pass.light_tiles
        tiles = light_tiles + [(0, 0)] * (len(self._lights) - len(light_tiles))
        return tuple((LIGHT_TYPES[lt.type], tiles[i][1], tiles[i][0], int(lt.range_m > 0),
                      int(tiles[i][1] == 1 and not shadow_covers_light(lt)))
                     for i, lt in enumerate(self._lights))

    def _forward_vao(self, b: _Batch, lights: tuple):
        """The batch's VAO for forward shading into wall signal (see :meth:`_draw`), with
        ``lights`` (:meth:`_light_list`) compiled in."""
        maps = self._gbuffer_defines(b.material)
        key = (maps, lights)
        prog = self._forward_progs.get(key)
        if prog is None:
            if len(self._forward_progs) >= 16:  # a sun moved over and over: drop the oldest
                self._forward_progs.pop(next(iter(self._forward_progs))).release()
            defines = maps + ("FORWARD", "DISPLAY", "SRGB_TARGET", f"MAX_LIGHTS {MAX_LIGHTS}",
                              f"MAX_TILES {MAX_TILES}") + ((_lights_define(lights),) if lights else ())
            prog = self._forward_progs[key] = program(self.ctx, "scene.vert", "gbuffer.frag", defines)
        if b.forward_vao is None or b.forward_vao.program is not prog:
            if b.forward_vao is not None:
                b.forward_vao.release()
            b.forward_vao = _vertex_array(self.ctx, prog, b.vbo, b.ibo)
        return b.forward_vao

    def _lighting(self, mode: str, part: str):
        """The lighting program and its VAOs (the whole image, rectangles) for the current
        lights, wall light, sky and output: everything that is the same for every pixel is
        compiled in, so llvmpipe (which executes both sides of a branch) runs only the code this
        frame needs. Cached per variant."""
        lights = self._light_list()
        key = (mode, part, self._sky is not None, self._led_light is not None, lights)
        if part == "resolve":  # no lights, no sky: the same program whatever they are
            key = (mode, part)
        hit = self._light_progs.get(key)
        if hit is None:
            # SRGB_TARGET: the signal texture is sRGB, so the framebuffer encodes on write
            # (GL_FRAMEBUFFER_SRGB, see _lighting_pass) instead of a pow per channel in the shader.
            # ("filmic" takes the film curve without the sRGB encoding, into a float target.)
            switches = (("DISPLAY", mode != "hdr"), ("SRGB_TARGET", mode in ("signal", "filmic")),
                        ("SKY_PASS", part == "sky"),
                        ("LED_LIGHT", part != "resolve" and self._led_light is not None),
                        ("HALF_LIGHTING", part == "half"), ("RESOLVE", part == "resolve"))
            defines = ["RECTS", "VIEW_RAY", f"MAX_LIGHTS {MAX_LIGHTS}", f"MAX_TILES {MAX_TILES}"]
            defines += [name for name, on in switches if on]
            if lights and part != "resolve":
                defines.append(_lights_define(lights))
            if len(self._light_progs) >= 16:  # lights edited over and over: drop the oldest
                old = next(iter(self._light_progs))
                for obj in reversed(self._light_progs.pop(old)):
                    obj.release()
            prog = program(self.ctx, "fullscreen.vert", "deferred.frag", tuple(defines))
            hit = self._light_progs[key] = (prog, self.ctx.vertex_array(prog, [(self._fullscreen_vbo, "2f", "in_uv")]),
                                            self.ctx.vertex_array(prog, [(self._rects_vbo, "2f", "in_uv")]))
        return hit

    def _make_batch(self, verts: np.ndarray, indices: np.ndarray, material: Material) -> _Batch:
        vbo = self.ctx.buffer(np.ascontiguousarray(verts, np.float32).tobytes())
        ibo = self.ctx.buffer(np.ascontiguousarray(indices, np.uint32).tobytes())
        vao = _vertex_array(self.ctx, self._gbuffer_prog(material), vbo, ibo)
        pos = np.asarray(verts[:, :3], np.float64)
        bounds = (pos.min(axis=0), pos.max(axis=0)) if len(pos) else (np.zeros(3), np.zeros(3))
        return _Batch(vao, vbo, ibo, material, int(np.size(indices) // 3), world_bounds=bounds)

    def set_poses(self, poses: dict[str, np.ndarray]) -> None:
        """Move dynamic items (by name) to new world matrices."""
        for b in self._batches:
            if b.name is not None and b.name in poses:
                m = np.asarray(poses[b.name], dtype=np.float64)
                if b.world_from_model is None or not np.array_equal(m, b.world_from_model):
                    b.world_from_model = m
                    self.shadow_pass.dirty = True

    def set_lights(self, lights: list[Light], *, ambient_up_nits=None, ambient_down_nits=None) -> None:
        """Change the lights for the next frame; shadow maps re-render only if one moved."""
        lights = _checked_lights(lights)
        if [shadow_key(lt) for lt in lights] != [shadow_key(lt) for lt in self._lights]:
            self.shadow_pass.dirty = True
        self._lights = lights
        if ambient_up_nits is not None:
            self._ambient_up = tuple(float(x) for x in ambient_up_nits)
        if ambient_down_nits is not None:
            self._ambient_down = tuple(float(x) for x in ambient_down_nits)

    @property
    def _bounds(self) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = self._static_bounds
        for b in self._batches:
            if b.world_from_model is not None and b.local_bounds is not None:
                w0, w1 = self._batch_bounds(b)
                lo, hi = np.minimum(lo, w0), np.maximum(hi, w1)
        return lo, hi

    @property
    def triangle_count(self) -> int:
        return sum(b.triangles for b in self._batches)

    # ------------------------------------------------------------ frame
    def _upload_lights(self, p) -> None:
        lights = tuple(self._lights)
        if self._light_arrays is None or self._light_arrays[0] != lights:  # a pass or three a frame
            self._light_arrays = (lights, self._pack_lights())
        for name, arr in zip(("u_light_pos_type", "u_light_dir_range", "u_light_color", "u_light_cone"),
                             self._light_arrays[1], strict=True):
            _write_array(p, name, arr)
        self.shadow_pass.upload(p)

    def _pack_lights(self) -> tuple[np.ndarray, ...]:
        """The lights as the lighting shader's uniform arrays (lighting.glsl)."""
        pos_type = np.zeros((MAX_LIGHTS, 4), "f4")
        dir_range = np.zeros((MAX_LIGHTS, 4), "f4")
        color = np.zeros((MAX_LIGHTS, 4), "f4")
        cone = np.zeros((MAX_LIGHTS, 4), "f4")
        for i, lt in enumerate(self._lights):
            d = np.asarray(lt.direction, float)
            d = d / max(np.linalg.norm(d), 1e-12)
            pos_type[i] = (*lt.position_m, LIGHT_TYPES[lt.type])
            # Reciprocals here, not per pixel: 1 / range^2, and the spot's two blend slopes.
            dir_range[i] = (*d, 1.0 / lt.range_m ** 2 if lt.range_m > 0 else 0.0)
            color[i] = (*(np.asarray(lt.color_linear, float) * lt.intensity), lt.size_m)
            cos_beam = math.cos(math.radians(lt.beam_angle_deg) / 2)
            cos_field = math.cos(math.radians(lt.field_angle_deg) / 2)
            cone[i] = (cos_beam, cos_field, 1.0 / max(cos_beam - cos_field, 1e-4), 4.0 / max(1.0 - cos_beam, 1e-4))
        return pos_type, dir_range, color, cone

    def _set_material(self, p, m: Material) -> None:
        _uniform(p, "u_base_color", tuple(m.base_color))
        _uniform(p, "u_metallic", float(m.metallic))
        _uniform(p, "u_roughness", float(m.roughness))
        _uniform(p, "u_emissive", tuple(m.emissive))
        if m.alpha_cutoff is not None:
            _uniform(p, "u_alpha_cutoff", float(m.alpha_cutoff))
        for unit, (flag, img) in enumerate((
                ("base", m.base_color_texture), ("mr", m.metallic_roughness_texture),
                ("normal", m.normal_texture), ("emissive", m.emissive_texture),
                ("occlusion", m.occlusion_texture))):
            tex = self._texture(img)
            _uniform(p, f"u_{flag}_tex", unit)
            if tex is not None:
                tex.use(unit)
        if m.double_sided:
            self.ctx.disable(self.ctx.CULL_FACE)
        else:
            self.ctx.enable(self.ctx.CULL_FACE)

    # ------------------------------------------------------------ what the wall and sky show
    @_current
    def set_wall_content(self, faces: np.ndarray | None, eye_m=(0.0, 1.7, 0.0), wall_nits: float = 0.0) -> None:
        """The LED content: a cube map (6, S, S, 3) of wall signal (0..1) seen from ``eye_m``,
        faces in GL order (+X, -X, +Y, -Y, +Z, -Z) and rows as :meth:`capture_cube` returns them.
        None: the wall shows black."""
        if faces is None:
            if self._wall_cube is not None:
                self._wall_cube.release()
            self._wall_cube = None
            return
        size = np.shape(faces)[1]
        if self._wall_cube is None or self._wall_cube.size != (size, size):
            if self._wall_cube is not None:
                self._wall_cube.release()
            self._wall_cube = self._cube_texture(size)
        _write_cube(self._wall_cube, faces)
        self._wall_eye = tuple(float(x) for x in eye_m)
        self._wall_nits = float(wall_nits)

    def set_wall_drive(self, wall_nits: float, cdl=None) -> None:
        """How hard the wall is driven (nits for full white) and its grade (slope, offset, power,
        saturation: an ASC CDL applied to the wall signal, as an LED processor would)."""
        self._wall_nits = float(wall_nits)
        slope, offset, power, sat = cdl if cdl is not None else ((1, 1, 1), (0, 0, 0), (1, 1, 1), 1)
        self._wall_grade = WallGrade(tuple(map(float, slope)), tuple(map(float, offset)), tuple(map(float, power)),
                                     float(sat))

    @_current
    def set_inner_frustum(self, image, clip_from_world: np.ndarray | None = None,
                          soft_edge: float = 0.05, show_border: bool = False) -> None:
        """The inner frustum: the wall signal rendered by a camera with ``clip_from_world``;
        ``image`` is either a texture on this context that samples as linear signal (what
        :meth:`render_signal` returns; used as it is, never copied) or an (H, W, 3) array of
        linear signal, rows bottom-up (uploaded). None: off."""
        self._release_inner()
        if image is None:
            return
        if isinstance(image, np.ndarray):
            img = np.ascontiguousarray(image, dtype=np.float16)
            h, w = img.shape[:2]
            tex = self.ctx.texture((w, h), 3, img.tobytes(), dtype="f2")
            tex.filter = (self.ctx.LINEAR, self.ctx.LINEAR)
            _clamp_to_edge(tex)
            owned = True
        else:
            tex, owned = image, False
        self._inner = InnerFrustum(tex, np.asarray(clip_from_world, dtype=np.float64), float(soft_edge),
                                   bool(show_border), owned)

    def _release_inner(self) -> None:
        if self._inner is not None:
            self._inner.release()
        self._inner = None

    @_current
    def set_led_light(self, radiance: np.ndarray | None, irradiance: np.ndarray | None = None) -> None:
        """The LED surfaces as a light on the set: ``radiance`` (6, S, S, 3) nits seen from the
        stage point (reflections; S a power of two) and ``irradiance`` (6, s, s, 3) lux
        (diffuse); None: off. The radiance goes up as its mip chain in octahedral maps, one 3D
        texture (previs.core.ledcheck.radiance_octahedral)."""
        if self._led_light is not None:
            self._led_light.release()
            self._led_light = None
        if radiance is None:
            return
        octa = np.ascontiguousarray(radiance_octahedral(radiance), dtype=np.float16)
        levels, size = octa.shape[0], octa.shape[1]
        reflections = self.ctx.texture3d((size, size, levels), 3, octa.tobytes(), dtype="f2")
        reflections.filter = (self.ctx.LINEAR, self.ctx.LINEAR)
        _clamp_to_edge(reflections)
        diffuse = self._cube_texture(np.shape(irradiance)[1])
        _write_cube(diffuse, irradiance)
        self._led_light = LedLight(reflections, diffuse, float(levels))

    def _cube_texture(self, size: int):
        """An RGB half-float cube map of ``size`` texels a face, linearly filtered."""
        tex = self.ctx.texture_cube((size, size), 3, dtype="f2")
        tex.filter = (self.ctx.LINEAR, self.ctx.LINEAR)
        return tex

    @_current
    def render_signal(self, view: CameraView, tiles: np.ndarray | None = None):
        """The wall signal (the filmic curve at exposure 1, 0..1) seen through ``view``, left on
        the GPU: an sRGB-encoded texture that samples as linear signal, for
        :meth:`set_inner_frustum` of a renderer on the same context. It is this renderer's
        target: valid until this renderer renders or resizes again. ``tiles`` (from
        :meth:`seen_wall_tiles`): only those are rendered; alpha is 1 there and 0 elsewhere (the
        G-buffer's colour outside the tiles' bounding box is left as it was)."""
        self._draw(view, exposure=1.0, mode="signal", tiles=tiles)
        return self._targets["signal"]

    @property
    def view_clip_from_world(self) -> np.ndarray:
        """clip_from_world of the frame being drawn (or last drawn)."""
        return self._view_clip

    @_current
    def seen_wall_tiles(self, other_clip_from_world: np.ndarray, other_size: tuple[int, int]) -> np.ndarray:
        """For a renderer that is drawing the camera's frame, between the set and the wall
        (``before_wall`` of :meth:`render`): which tiles of another camera's image (the inner
        frustum's, ``other_size`` pixels) show wall that this camera sees past the set. A bool
        grid of SEEN_TILE_PX tiles, rows bottom-up, grown by one tile on every side.

        The wall is drawn from the other camera at a quarter of its resolution; each wall point
        is projected into this camera and kept where the depth there (the set so far) lies
        behind it at any of nine taps about a mask cell apart."""
        ctx, t = self.ctx, self._targets
        w, h = (int(x) for x in other_size)
        mw, mh = -(-w // SEEN_MASK_STEP), -(-h // SEEN_MASK_STEP)
        if self._seen is None:
            self._seen = (program(ctx, "seen.vert", "seen.frag"), {})
        prog, masks = self._seen
        if (mw, mh) not in masks:  # a few sizes kept: the window switches between two or three
            while len(masks) >= TARGET_SETS_KEPT:
                for obj in reversed(masks.pop(next(iter(masks)))):
                    obj.release()
            mask = ctx.texture((mw, mh), 1)
            masks[(mw, mh)] = (mask, ctx.framebuffer([mask]))
        fbo = masks[(mw, mh)][1]
        fbo.use()
        fbo.clear(0.0)
        ctx.disable(ctx.DEPTH_TEST)
        ctx.disable(ctx.CULL_FACE)
        _write(prog, "u_other_clip_from_world", np.asarray(other_clip_from_world, "f4").T.tobytes())
        _write(prog, "u_clip_from_world", self._view_clip.T.astype("f4").tobytes())
        t["depth"].use(0)
        _uniform(prog, "u_depth", 0)
        # Taps about one mask cell apart in this image (the two images have about the same
        # pixel size: the inner frustum is never sharper than the camera).
        _uniform(prog, "u_reach_px", float(SEEN_MASK_STEP) * max(self.width / w, 1.0))
        for b in self._batches:
            if _variant(b.material) != "wall":
                continue
            if b.seen_vao is None:
                b.seen_vao = ctx.vertex_array(prog, [(b.vbo, "3f 3x4 2x4 4x4", "in_position")],
                                              index_buffer=b.ibo, index_element_size=4)
            model = np.eye(4) if b.world_from_model is None else b.world_from_model
            _write(prog, "u_world_from_model", model.T.astype("f4").tobytes())
            b.seen_vao.render()
        _finish_without_gil()  # the read below would wait holding the GIL
        cells = np.frombuffer(fbo.read(components=1, alignment=1), np.uint8).reshape(mh, mw) > 0
        k = SEEN_TILE_PX // SEEN_MASK_STEP
        rows, cols = -(-h // SEEN_TILE_PX), -(-w // SEEN_TILE_PX)
        padded = np.zeros((rows * k, cols * k), bool)
        padded[:mh, :mw] = cells
        tiles = padded.reshape(rows, k, cols, k).any(axis=(1, 3))
        grown = tiles.copy()  # one tile more on every side: bilinear taps and the mask's reach
        grown[1:] |= tiles[:-1]
        grown[:-1] |= tiles[1:]
        grown[:, 1:] |= grown[:, :-1].copy()
        grown[:, :-1] |= grown[:, 1:].copy()
        self._mark("inner frustum mask", wait=False)  # (waited for above)
        return grown

    @_current
    def render_hdr(self, view: CameraView) -> np.ndarray:
        """Linear light (exposure 1, no tone curve), (H, W, 3) float32, rows bottom-up."""
        return self._render_float(view, "hdr", np.float32)

    @_current
    def render_filmic(self, view: CameraView) -> np.ndarray:
        """Wall signal: the film curve of the light at exposure 1 (the display curve without
        its sRGB encoding, 0..1), (H, W, 3) float16, rows bottom-up."""
        return self._render_float(view, "filmic", np.float16)

    def _render_float(self, view: CameraView, mode: str, dtype) -> np.ndarray:
        """The target of ``mode`` (float) at exposure 1, read back as (H, W, 3) ``dtype``."""
        self._draw(view, exposure=1.0, mode=mode)
        dtype = np.dtype(dtype)
        raw = self._targets[mode + "_fbo"].read(components=3, dtype=f"f{dtype.itemsize}", alignment=1)
        return np.frombuffer(raw, dtype).reshape(self.height, self.width, 3)

    def set_panel(self, panel_px: tuple[float, float], fill_factor: float, falloff_k_rgb, pitch_mm: float) -> None:
        """The LED cabinet: LEDs per cabinet, emitting share of the pitch, off-axis exponents."""
        self._panel = LedPanel(tuple(map(float, panel_px)), float(fill_factor), tuple(map(float, falloff_k_rgb)),
                       float(pitch_mm))

    def set_lens(self, focal_length_mm: float, f_number: float, focus_m: float, *,
                 sensor_width_mm: float | None = None) -> None:
        """The taking lens, for how sharp the wall's LED grid is and for the depth-of-field
        preview (thin-lens defocus). ``sensor_width_mm``: the width the image spans on the sensor
        (desqueezed for anamorphics), which turns blur on the sensor into pixels."""
        sensor = self.lens.sensor_width_mm if sensor_width_mm is None else float(sensor_width_mm)
        self.lens = TakingLens(float(focal_length_mm), float(f_number), float(min(focus_m, 1e6)), sensor)

    def set_sky(self, sun_dir, sun_color_linear=(1.0, 1.0, 1.0), turbidity: float = 3.0) -> None:
        """Show an analytic sky where nothing is drawn (used for environment captures); a
        ``sun_dir`` of None leaves empty pixels black."""
        if sun_dir is None:
            self._sky = None
            return
        d = np.asarray(sun_dir, float)
        self._sky = (tuple(d / np.linalg.norm(d)), tuple(float(x) for x in sun_color_linear), float(turbidity))

    @_current
    def capture_cube(self, eye_m, size: int = 256, near_m: float = 0.5, far_m: float = 20000.0, *,
                     signal: bool = False) -> np.ndarray:
        """The world and sky seen from ``eye_m`` as six 90-degree faces of linear light,
        (6, size, size, 3) float32, rows bottom-up as GL stores cube faces. ``signal``: wall
        signal instead (:meth:`render_filmic`, float16), the film curve applied on the GPU."""
        old = (self.width, self.height)
        self.resize(size, size)
        faces = []
        for fwd, up in CUBE_FACES:
            eye = np.asarray(eye_m, float)
            view = CameraView(tf.look_at(eye, eye + np.asarray(fwd, float), up), math.pi / 2, 1.0, near_m, far_m)
            faces.append(self.render_filmic(view) if signal else self.render_hdr(view))
        self.resize(*old)
        return np.stack(faces)

    # ------------------------------------------------------------ frame
    def _mark(self, name: str | None, *, wait: bool = True) -> None:
        """Pass timing (see ``pass_ms``): the time since the last mark, GPU work included.
        ``wait=False``: unless timing, no wait, for a pass the next one does not sample."""
        if self.pass_ms is None:
            if name is not None and wait and self._wait_each_pass:
                # Every pass samples what the one before drew, so llvmpipe would wait here
                # anyway, inside moderngl and holding the GIL; this waits with the GIL free.
                _finish_without_gil()
            return
        import time

        self.ctx.finish()
        now = time.perf_counter()
        if name is not None:
            self.pass_ms[name] = self.pass_ms.get(name, 0.0) + (now - self._mark_t) * 1000.0
        self._mark_t = now

    def _draw_order(self, eye: np.ndarray) -> list[_Batch]:
        """Opaque batches front to back, then alpha-masked, then the LED wall (behind the set
        from anywhere inside the volume): hidden fragments fail the early depth test instead of
        being shaded and overwritten, which a software rasteriser pays for in full. Front to
        back by the farthest corner of each batch's bounds: by the nearest point the floor,
        which the camera stands over, would go first and be overdrawn by all that stands on it
        (bench/overdraw.py: 1.54 fragments shaded a pixel by the nearest point over the example's
        33 frames, 1.12 by the farthest corner)."""
        def key(b: _Batch):
            if b.world_bounds is not None:
                lo, hi = b.world_bounds
            else:
                lo, hi = self._batch_bounds(b)
            far = np.maximum(np.abs(lo - eye), np.abs(hi - eye))
            return ({"opaque": 0, "masked": 1, "wall": 2}[_variant(b.material)], float(far @ far))

        return sorted(self._batches, key=key)

    def _batch_bounds(self, b: _Batch) -> tuple[np.ndarray, np.ndarray]:
        l0, l1 = b.local_bounds
        corners = np.array([[x, y, z] for x in (l0[0], l1[0]) for y in (l0[1], l1[1]) for z in (l0[2], l1[2])])
        w = tf.transform_points(b.world_from_model, corners)
        return w.min(axis=0), w.max(axis=0)

    def _wall_uniforms(self, wp, view: CameraView, eye) -> None:
        # Every sampler keeps its own unit even when unused: GL refuses to draw when samplers of
        # different types (2D, cube, shadow) share a unit, used or not.
        _uniform(wp, "u_wall_content", 6)
        _uniform(wp, "u_inner", 7)
        _uniform(wp, "u_wall_eye", self._wall_eye)
        _uniform(wp, "u_wall_nits", self._wall_nits if self._wall_cube is not None else 0.0)
        g = self._wall_grade
        for name, value in zip(("slope", "offset", "power", "saturation"),
                               (g.slope, g.offset, g.power, g.saturation), strict=True):
            _uniform(wp, f"u_cdl_{name}", value)
        panel = self._panel
        panel_px, fill, k_rgb, pitch = panel.panel_px, panel.fill_factor, panel.falloff_k_rgb, panel.pitch_mm
        _uniform(wp, "u_panel_px", panel_px)
        n = np.arange(1, 5)
        _uniform(wp, "u_led_harmonics", tuple(float(x) for x in 2 * np.sinc(n * fill)))  # sinc(x) = sin(pi x)/(pi x)
        _uniform(wp, "u_falloff_k", k_rgb)
        _uniform(wp, "u_eye", eye)
        _uniform(wp, "u_lens_axis", tuple(float(x) for x in -view.world_from_camera[:3, 2]))
        lens = self.lens
        _uniform(wp, "u_lens", (lens.focal_length_mm, lens.f_number, lens.focus_m, pitch))
        _uniform(wp, "u_inner_on", 1 if self._inner is not None else 0)
        if self._inner is not None:
            inner_clip, soft, border = self._inner.clip_from_world, self._inner.soft_edge, self._inner.show_border
            _write(wp, "u_inner_clip_from_world", inner_clip.T.astype("f4").tobytes())
            _uniform(wp, "u_inner_soft", soft)
            _uniform(wp, "u_inner_border", 1 if border else 0)

    def _draw(self, view: CameraView, *, exposure: float, mode: str, tiles: np.ndarray | None = None,
              before_wall=None) -> None:
        """G-buffer and lighting passes into the target of ``mode``: "display" (tone-mapped and
        sRGB-encoded, for post), "signal" (the same encoding into the sRGB signal texture) or
        "hdr" (linear light). ``tiles``: only these tiles (a bool grid of SEEN_TILE_PX tiles,
        rows bottom-up) are drawn; elsewhere the target is left transparent black.
        ``before_wall(self)`` runs after the set is in the G-buffer and before the LED wall (the
        inner frustum is rendered there, for only the wall the set leaves in view)."""
        ctx, t = self.ctx, self._targets
        self._mark(None)
        if self.shadow_pass.dirty:
            self.shadow_pass.build(self._batches, self._lights, self._bounds, enabled=self.shadows,
                                   map_size_px=self.shadow_map_size)
            self._mark("shadow maps")
        self._view_clip = view.clip_from_world
        rects = None if tiles is None else self._rects(tiles)
        # The wall's world (wall signal, at most one light, no LED wall or wall light) is shaded
        # as it is drawn: bench/bench_animatic.py --passes, the inner frustum's rows.
        forward = (mode in ("signal", "filmic") and self.forward_signal and len(self._lights) <= 1
                   and self._led_light is None and not any(_variant(b.material) == "wall" for b in self._batches))
        if forward:
            self._forward_pass(view, exposure, rects, mode)
        else:
            self._geometry_pass(view, mode, rects, before_wall)
        # 2. Lighting, once per pixel. The G-buffer depth is sampled while attached read-only
        # (depth_mask off, see _lighting_fbo): nothing writes it, so reading it is defined.
        # Surfaces where the G-buffer has depth (depth test ">" against a far-plane triangle),
        # then the sky where it has none ("<="); without a sky the clear is the dark stage.
        # With tiles, both passes cover only the tiles, and only they are opaque. After a
        # forward pass only the sky is left.
        fbo = t["image_fbo"] if mode == "display" else self._lazy_target(mode)
        fbo.use()
        if not forward:
            _clear_tiles(fbo, rects)
        ctx.enable(ctx.DEPTH_TEST)
        half = mode == "display" and rects is None and self.half_res_lighting
        if half:
            self._half_res_lighting(view, exposure)
            fbo.use()
            if self._sky:
                self._lighting_pass(mode, "sky", view, exposure)
        else:
            parts = (() if forward else ("surface",)) + (("sky",) if self._sky else ())
            for part in parts:
                self._lighting_pass(mode, part, view, exposure, None if rects is None else rects[0])
        ctx.depth_func = "<"
        ctx.disable(ctx.DEPTH_TEST)
        self._mark("lighting (mending, sky)" if half
                   else "lighting" if mode == "display" else f"lighting ({mode})")

    def _forward_pass(self, view: CameraView, exposure: float, rects, mode: str) -> None:
        """The batches lit as they are drawn (gbuffer.frag with FORWARD: the film curve, no sRGB
        encoding) into the target of ``mode``: "signal" (sRGB, the framebuffer encodes on
        write) or "filmic" (float). Depth-tested and written into the G-buffer's depth, so the
        sky pass after finds the empty pixels; ``rects`` as in :meth:`_draw`. The whole depth is
        cleared (0 outside the tiles)."""
        assert mode in ("signal", "filmic"), mode
        ctx, t = self.ctx, self._targets
        self._lazy_target(mode)
        key = mode + "_forward_fbo"
        if key not in t:
            t[key] = ctx.framebuffer([t[mode]], t["depth"])
        fbo = t[key]
        fbo.scissor = None
        fbo.use()
        _clear_tiles(fbo, rects, depth=True)
        if rects is not None:
            fbo.scissor = _bounding_box(rects[1])
            fbo.use()
        ctx.enable(ctx.DEPTH_TEST)
        ctx.front_face, ctx.cull_face, ctx.depth_func = "ccw", "back", "<"
        eye = tuple(float(x) for x in view.world_from_camera[:3, 3])
        order = self._draw_order(view.world_from_camera[:3, 3])
        lights = self._light_list()
        vaos = [self._forward_vao(b, lights) for b in order]
        for p in {id(v.program): v.program for v in vaos}.values():
            _write(p, "u_clip_from_world", view.clip_from_world.T.astype("f4").tobytes())
            _uniform(p, "u_eye", eye)
            _uniform(p, "u_exposure", float(exposure))
            self._upload_lighting(p)
        if mode == "signal":
            ctx.enable_direct(GL_FRAMEBUFFER_SRGB)  # the signal texture encodes on write
        self._draw_batches(order, vaos)
        if mode == "signal":
            ctx.disable_direct(GL_FRAMEBUFFER_SRGB)
        ctx.disable(ctx.CULL_FACE)
        ctx.disable(ctx.DEPTH_TEST)
        self._mark(f"forward ({mode})", wait=False)  # the sky pass only depth-tests against it

    def _geometry_pass(self, view: CameraView, mode: str, rects, before_wall) -> None:
        """The G-buffer of ``view`` (see :meth:`_draw`)."""
        ctx, t = self.ctx, self._targets
        clip_from_world = view.clip_from_world
        eye = tuple(float(x) for x in view.world_from_camera[:3, 3])
        # 1. Geometry pass. Outside the tiles the depth starts at the near plane, so nothing
        # there passes the depth test (llvmpipe rejects such blocks before shading); outside
        # their bounding box nothing is even rasterised (the scissor), and nothing reads there.
        # Only the depth is cleared: every reader of the G-buffer looks at a pixel's depth first
        # and ignores the rest of an empty one, and the four colour targets are most of a clear.
        gbuffer = t["gbuffer"]
        gbuffer.scissor = None if rects is None else _bounding_box(rects[1])
        gbuffer.use()
        gbuffer.color_mask = ((False,) * 4,) * 4
        gbuffer.clear(depth=1.0 if rects is None else 0.0)
        for x, y, w, h in [] if rects is None else rects[1]:
            gbuffer.clear(depth=1.0, viewport=(x, y, w, h))
        gbuffer.color_mask = ((True,) * 4,) * 4
        ctx.enable(ctx.DEPTH_TEST)
        ctx.front_face = "ccw"
        ctx.cull_face = "back"
        progs = {id(b.vao.program): b.vao.program for b in self._batches}
        for p in progs.values():
            _write(p, "u_clip_from_world", clip_from_world.T.astype("f4").tobytes())
        order = self._draw_order(view.world_from_camera[:3, 3])
        walls = [b for b in order if _variant(b.material) == "wall"]
        self._draw_batches([b for b in order if _variant(b.material) != "wall"])
        if walls:
            if before_wall is not None:
                self._mark("gbuffer" if mode == "display" else f"gbuffer ({mode})")
                before_wall(self)
                self._mark(None)
                t["gbuffer"].use()
                ctx.enable(ctx.DEPTH_TEST)
                ctx.enable(ctx.CULL_FACE)
                ctx.front_face, ctx.cull_face, ctx.depth_func = "ccw", "back", "<"
            if self._wall_cube is not None:
                self._wall_cube.use(6)
            if self._inner is not None:
                self._inner.texture.use(7)
            for key, wp in self._gbuffer_progs.items():
                if "LED_WALL" in key and id(wp) in progs:
                    self._wall_uniforms(wp, view, eye)
            self._draw_batches(walls)
        ctx.disable(ctx.CULL_FACE)
        ctx.disable(ctx.DEPTH_TEST)
        self._mark("gbuffer" if mode == "display" else f"gbuffer ({mode})")

    def _half_res_lighting(self, view: CameraView, exposure: float) -> None:
        """The surface lighting of a display frame at half resolution (see
        ``half_res_lighting``): the light reaching the surface (lights, shadows, the wall as a
        light, the ambient fill) at every other pixel of every other row; then each pixel's colour
        from its own base colour, metallic and emission and a blend of the samples around it on
        its own surface (depth, geometric normal, metallic and roughness alike); pixels with none
        (thin objects, silhouettes) and glints are marked in a depth buffer and lit in full by a
        last pass, which llvmpipe runs only for the blocks that hold such pixels."""
        ctx, t = self.ctx, self._targets
        if "half_fbo" not in t:
            # Sample q lights pixel 2q; the resolve reads q0 + 1 for pixel 2 q0 + 1 (q0 = p // 2)
            # without a clamp, so the target reaches one sample past the last pixel (outside the
            # image: no surface).
            half = ((self.width + 3) // 2, (self.height + 3) // 2)
            t["half_kd"] = ctx.texture(half, 4, dtype="f4")  # see deferred.frag, HALF_LIGHTING
            t["half_ks"] = ctx.texture(half, 4, dtype="f4")
            t["half_surface"] = ctx.texture(half, 4)
            for name in ("half_kd", "half_ks", "half_surface"):
                t[name].filter = (ctx.NEAREST, ctx.NEAREST)  # fetch.glsl
                _clamp_to_edge(t[name])
            t["half_fbo"] = ctx.framebuffer([t["half_kd"], t["half_ks"], t["half_surface"]])
            # The same attachments twice: the resolve writes the marks, the mending pass only
            # tests against them.
            t["mend_depth"] = ctx.depth_renderbuffer((self.width, self.height))
            t["resolve_fbo"] = ctx.framebuffer([t["image"]], t["mend_depth"])
            t["mend_fbo"] = ctx.framebuffer([t["image"]], t["mend_depth"])
            t["mend_fbo"].depth_mask = False
        ctx.disable(ctx.DEPTH_TEST)
        t["half_fbo"].use()
        self._lighting_pass("display", "half", view, exposure)
        self._mark("lighting (half resolution)")
        ctx.enable(ctx.DEPTH_TEST)
        t["resolve_fbo"].use()
        self._lighting_pass("display", "resolve", view, exposure)
        self._mark("lighting (resolve)")
        t["mend_fbo"].use()
        self._lighting_pass("display", "surface", view, exposure)

    def _draw_batches(self, batches: list[_Batch], vaos: list | None = None) -> None:
        """Draw ``batches`` with their G-buffer VAOs, or with ``vaos`` (one each)."""
        identity = (np.eye(4, dtype="f4").tobytes(), np.eye(3, dtype="f4").tobytes())
        for b, vao in zip(batches, vaos or [b.vao for b in batches], strict=True):
            p = vao.program
            self._set_material(p, b.material)
            if b.world_from_model is None:
                model, normal = identity
            else:
                m = b.world_from_model
                model = m.T.astype("f4").tobytes()
                normal = np.linalg.inv(m[:3, :3]).astype("f4").tobytes()  # (M^-1)^T, transposed for GL
            _write(p, "u_world_from_model", model)
            _write(p, "u_normal_from_model", normal)
            vao.render()

    def _rects(self, tiles: np.ndarray) -> tuple[int, list[tuple[int, int, int, int]]]:
        """The tiles as rectangles (runs of tiles along each row), clipped to the image: their
        corners written to the rectangle buffer (uv, two triangles each) and their pixel
        rectangles (x, y, w, h). Returns (vertex count, rectangles)."""
        # Runs of tiles along each row: where the row (padded with empty tiles) turns on and off;
        # np.nonzero goes row by row, so the n-th start and the n-th end belong to one run.
        padded = np.zeros((tiles.shape[0], tiles.shape[1] + 2), np.int8)
        padded[:, 1:-1] = tiles
        step = np.diff(padded, axis=1)
        row, c0 = np.nonzero(step == 1)
        c1 = np.nonzero(step == -1)[1]
        x0, x1 = c0 * SEEN_TILE_PX, np.minimum(c1 * SEEN_TILE_PX, self.width)
        y0, y1 = row * SEEN_TILE_PX, np.minimum((row + 1) * SEEN_TILE_PX, self.height)
        keep = (x1 > x0) & (y1 > y0)
        rects = [(int(a), int(b), int(c), int(d)) for a, b, c, d in
                 zip(x0[keep], y0[keep], (x1 - x0)[keep], (y1 - y0)[keep], strict=True)]
        if len(rects) > MAX_RECTS:  # a very ragged mask: cover the whole image instead
            rects = [(0, 0, self.width, self.height)]
        if not rects:
            return 0, []
        r = np.asarray(rects, np.float32)
        u0, v0 = r[:, 0] / self.width, r[:, 1] / self.height
        u1, v1 = (r[:, 0] + r[:, 2]) / self.width, (r[:, 1] + r[:, 3]) / self.height
        corners = np.stack([u0, v0, u1, v0, u1, v1, u0, v0, u1, v1, u0, v1], axis=1)
        self._rects_vbo.write(corners.astype("f4").tobytes())
        return 6 * len(rects), rects

    def _lighting_pass(self, mode: str, part: str, view: CameraView, exposure: float,
                       rect_vertices: int | None = None) -> None:
        ctx, t = self.ctx, self._targets
        # Surfaces where something was drawn (or, mending half-resolution lighting, was marked);
        # the sky where nothing was; a resolve writes every pixel (and the mending marks).
        if part in ("surface", "sky", "resolve"):
            ctx.depth_func = {"surface": ">", "sky": "<=", "resolve": "1"}[part]
        lp, full_vao, rects_vao = self._lighting(mode, part)
        _uniform(lp, "u_full_px", (1.0 / self.width, 1.0 / self.height))
        if part == "resolve":
            t["half_kd"].use(10)
            t["half_ks"].use(11)
            t["half_surface"].use(12)
            _uniform(lp, "u_half_kd", 10)
            _uniform(lp, "u_half_ks", 11)
            _uniform(lp, "u_half_surface", 12)
            _uniform(lp, "u_half_px", tuple(1.0 / n for n in t["half_kd"].size))
        for unit, name in enumerate(("albedo", "normal", "geom", "emissive", "depth")):
            t[name].use(unit)
            _uniform(lp, f"u_{name}", unit)
        # The view ray at 1 m of depth for uv (0, 0), and its change per unit of u and v.
        rot = view.world_from_camera[:3, :3]
        ty = math.tan(view.yfov_rad / 2.0)
        tx = ty * view.aspect
        _uniform(lp, "u_ray00", tuple(float(x) for x in rot @ (-tx, -ty, -1.0)))
        _uniform(lp, "u_ray_du", tuple(float(x) for x in rot @ (2.0 * tx, 0.0, 0.0)))
        _uniform(lp, "u_ray_dv", tuple(float(x) for x in rot @ (0.0, 2.0 * ty, 0.0)))
        _uniform(lp, "u_near_far", (float(view.near_m), float(view.far_m)))
        _uniform(lp, "u_eye", tuple(float(x) for x in view.world_from_camera[:3, 3]))
        _uniform(lp, "u_exposure", float(exposure))
        if part != "resolve":  # (the resolve reads the samples, not the lights)
            self._upload_lighting(lp)
        if rect_vertices == 0:
            return
        vao, count = (full_vao, 3) if rect_vertices is None else (rects_vao, rect_vertices)
        if mode == "signal":
            ctx.enable_direct(GL_FRAMEBUFFER_SRGB)
            vao.render(vertices=count)
            ctx.disable_direct(GL_FRAMEBUFFER_SRGB)
        else:
            vao.render(vertices=count)

    def _upload_lighting(self, lp) -> None:
        """What the lights, shadows, sky, ambient fill and the wall as a light need."""
        _uniform(lp, "u_shadow_atlas", 5)
        _uniform(lp, "u_led_radiance", 8)
        _uniform(lp, "u_led_irradiance", 9)
        if self.shadow_pass.atlas is not None:
            self.shadow_pass.atlas.use(5)
        if self._sky:
            _uniform(lp, "u_sun_dir", self._sky[0])
            _uniform(lp, "u_sun_color", self._sky[1])
            _uniform(lp, "u_turbidity", self._sky[2])
        _uniform(lp, "u_ambient_up", self._ambient_up)
        _uniform(lp, "u_ambient_down", self._ambient_down)
        if self._led_light is not None:
            self._led_light.reflections.use(8)
            self._led_light.diffuse.use(9)
            _uniform(lp, "u_led_radiance_levels", self._led_light.levels)
        self._upload_lights(lp)

    @_current
    def render(self, view: CameraView, *, exposure: float = 1.0, overlay: Overlay | None = None,
               read_depth: bool = True, dof: bool = False,
               output_size: tuple[int, int] | None = None, before_wall=None) -> Frame:
        """Colour as the camera records it (tone-mapped, sRGB, frame lines) and linear depth.
        ``dof``: blur by the lens's depth of field (see :meth:`set_lens`). ``output_size``
        (W, H): the colour scaled to that size on the GPU (bicubic) before readback, so a draft
        rendered small never resamples on the CPU; depth stays at the render size."""
        t = self._targets
        if output_size is not None:
            output_size = self._checked_size(*output_size, what="output")
            if output_size == (self.width, self.height):
                output_size = None
        self._draw(view, exposure=exposure, mode="display", before_wall=before_wall)
        image = self._depth_of_field(view) if dof else t["image"]
        # 3. Post: FXAA, then the frame lines on the image as it is read back (after a draft's
        # upscale, so they are crisp at the output size).
        size, post = (self.width, self.height), self.post_pass
        if output_size is None:
            post.antialias(image, t, "ldr", size, self.antialias)
            post.overlay(overlay or Overlay(), size)
        else:
            if "post" not in t:
                t["post"] = self.ctx.texture(size, 4)
            post.antialias(image, t, "post", size, self.antialias)
        self._mark("post")
        _finish_without_gil()
        if output_size is None:
            raw = t["ldr_fbo"].read(components=3, alignment=1)
            color = np.frombuffer(raw, np.uint8).reshape(self.height, self.width, 3)[::-1]
        else:
            out = post.upscaled(t["post"], size, output_size, self._mark)
            post.overlay(overlay or Overlay(), output_size)
            raw = out.read(components=3, alignment=1)
            color = np.frombuffer(raw, np.uint8).reshape(output_size[1], output_size[0], 3)[::-1]
        depth = None
        if read_depth:
            d = np.frombuffer(t["depth"].read(alignment=1), np.float32).reshape(self.height, self.width)[::-1]
            depth = linear_depth(d, view.near_m, view.far_m)
        frame = Frame(color=np.ascontiguousarray(color), depth_m=depth)
        self._mark("readback")
        return frame

    def _depth_of_field(self, view: CameraView):
        """The display image blurred by the lens's depth of field; the texture post reads."""
        self._mark(None)
        image = self.dof_pass.draw(self._targets, (self.width, self.height), view, self.lens)
        self._mark("depth of field")
        return image

    # The post pass as tests and bench/bench_pass.py reach it (they swap its programs).
    def _post_draw(self, variant: str) -> None:
        self.post_pass.draw(variant, (self.width, self.height))

    def _post_pass(self, image, target: str) -> None:
        self.post_pass.antialias(image, self._targets, target, (self.width, self.height), self.antialias)

    def _post(self, variant: str):
        return self.post_pass.program(variant)

    @property
    def _post_progs(self) -> dict:
        return self.post_pass._programs

    @_post_progs.setter
    def _post_progs(self, programs: dict) -> None:
        self.post_pass._programs = programs

    def release(self) -> None:
        self._release_resources()
        if self._owns_ctx:
            self.ctx.release()

    @_current
    def _release_resources(self) -> None:
        for objs in self._light_progs.values():
            for obj in objs:
                obj.release()
        self._light_progs = {}
        self.post_pass.release()
        self.shadow_pass.release()
        for obj in (*self._gbuffer_progs.values(), *self._forward_progs.values()):
            obj.release()
        self.dof_pass.release()
        self._gbuffer_progs = {}
        self._release_batches()
        if self._seen is not None:
            for mask, fbo in self._seen[1].values():
                fbo.release(), mask.release()
            self._seen[0].release()
            self._seen = None
        self._rects_vbo.release()
        self._fullscreen_vbo.release()
        for tex in self._textures.values():
            tex.release()
        self._textures = {}
        if self._wall_cube is not None:
            self._wall_cube.release()
        self._release_inner()
        if self._led_light is not None:
            self._led_light.release()
        self._release_targets()

    def _release_batches(self) -> None:
        for b in self._batches:
            for vao in (b.seen_vao, b.forward_vao):
                if vao is not None:
                    vao.release()
            b.vao.release(), b.vbo.release(), b.ibo.release()
        self._batches = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.release()


def _clear_tiles(fbo, rects, *, depth: bool = False) -> None:
    """Clear the bound ``fbo`` to opaque black (and depth 1), or with ``rects`` (see
    Renderer._rects) to transparent black (and depth 0, so nothing passes a depth test there)
    with only the rectangles opaque black (depth 1). Colour only unless ``depth``."""
    kw = {"depth": 1.0} if depth else {}
    if rects is None:
        fbo.clear(0.0, 0.0, 0.0, 1.0, **kw)
        return
    fbo.clear(0.0, 0.0, 0.0, 0.0, **({"depth": 0.0} if depth else {}))
    for x, y, w, h in rects[1]:
        fbo.clear(0.0, 0.0, 0.0, 1.0, viewport=(x, y, w, h), **kw)


def _bounding_box(rects: list[tuple[int, int, int, int]]) -> tuple[int, int, int, int]:
    """The smallest (x, y, w, h) holding every rectangle; (0, 0, 0, 0) for none."""
    if not rects:
        return (0, 0, 0, 0)
    r = np.asarray(rects)
    x0, y0 = r[:, 0].min(), r[:, 1].min()
    x1, y1 = (r[:, 0] + r[:, 2]).max(), (r[:, 1] + r[:, 3]).max()
    return (int(x0), int(y0), int(x1 - x0), int(y1 - y0))


def _finish_without_gil() -> None:
    """Wait for the GPU's queued work with the GIL released (then a readback only copies).
    Looks ``_gl_finish`` up here, where a test stands in for it."""
    fn = _gl_finish()
    if fn is not None:
        fn()


def linear_depth(window_depth: np.ndarray, near_m: float, far_m: float) -> np.ndarray:
    """Window-space depth [0, 1] of a perspective projection -> distance along the view axis."""
    # z = 2nf / (f + n - z_ndc (f - n)) with z_ndc = 2d - 1 simplifies to nf / (f - d (f - n)).
    d = np.array(window_depth, dtype=np.float32)
    background = d >= 1.0
    d *= np.float32(far_m - near_m)
    np.subtract(np.float32(far_m), d, out=d)
    with np.errstate(divide="ignore"):
        np.divide(np.float32(near_m * far_m), d, out=d)
    d[background] = np.inf
    return d


def _checked_lights(lights) -> list[Light]:
    lights = list(lights)
    if len(lights) > MAX_LIGHTS:
        raise RenderError(f"{len(lights)} lights; the renderer takes at most {MAX_LIGHTS} at once")
    return lights
