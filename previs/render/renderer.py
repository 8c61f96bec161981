"""The offscreen renderer: one GL context, the frame's render targets, and the passes a frame
runs in order (``previs.render.passes``): shadow maps (rendered when the world or a light moved,
reused while the camera moves), geometry (the world's batches into a G-buffer), the LED wall,
lighting, depth of field, post; then readback. ``set_world`` takes plain assets and lights;
``render`` takes a camera and returns colour and linear depth as numpy arrays.

Shading is deferred: the geometry pass writes materials to a G-buffer, the lighting pass shades
each screen pixel once, and the post pass tone-maps, anti-aliases (FXAA) and draws frame lines.
On a software rasteriser (Mesa llvmpipe) this is several times faster than forward shading with
MSAA, because hidden fragments and the 2x2-quad waste of dense meshes never run the lighting.
The one exception is the wall's world (a signal target under at most one light), shaded as it is
drawn.
"""

from __future__ import annotations

import functools
import math
import threading
from dataclasses import dataclass

import numpy as np

from previs.core import transforms as tf
from previs.core.frame import frame_rect_uv  # noqa: F401 (previs.render exports it)
from previs.core.mesh import Asset
from previs.core.scene import MAX_LIGHTS, Light
from previs.errors import RenderError
from previs.render.context import create_offscreen_context
from previs.render.gl import GL_SRGB8_ALPHA8, clamp_to_edge, finish_without_gil
from previs.render.passes.dof import DepthOfFieldPass, TakingLens
from previs.render.passes.geometry import GeometryPass
from previs.render.passes.lighting import Ambient, LightingPass, Sky
from previs.render.passes.picking import ObjectRef, PickingPass, PickItem
from previs.render.passes.post import Overlay, PostPass
from previs.render.passes.shadows import CUBE_FACES, ShadowPass, shadow_key
from previs.render.passes.wall import (
    InnerFrustum,
    LedLight,
    LedPanel,
    TileRects,
    WallGrade,
    WallPass,
    clear_tiles,
    tile_rects,
)

TARGET_SETS_KEPT = 3  # render-target sizes kept allocated (see Renderer.resize)


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
            self.world_from_camera
        )


@dataclass(frozen=True)
class DrawItem:
    asset: Asset
    world_from_asset: np.ndarray
    name: str | None = None  # names the item for set_poses when it is dynamic


@dataclass(frozen=True)
class Frame:
    color: np.ndarray  # (H, W, 3) uint8 sRGB, row 0 at the top
    depth_m: np.ndarray | None  # (H, W) float32 distance along the view axis; inf where empty


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
    """Owns one OpenGL context, the render targets made in it and the passes that draw into
    them (each pass owns its own GPU objects)."""

    def __init__(
        self,
        width: int,
        height: int,
        *,
        antialias: bool = True,
        shadows: bool = True,
        shadow_map_size: int = 2048,
        ctx=None,
    ):
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
        self.lens = TakingLens()  # for the LED grid's sharpness and the depth of field
        self.shadow_pass = ShadowPass(self.ctx)
        self.shadow_builds = 0  # shadow maps rendered (a counter, for tests and benchmarks)
        self.geometry_pass = GeometryPass(self.ctx)
        self.wall_pass = WallPass(self.ctx)
        self.lighting_pass = LightingPass(self.ctx, self.shadow_pass)
        self.dof_pass = DepthOfFieldPass(self.ctx)
        self.post_pass = PostPass(self.ctx)
        self.picking_pass = PickingPass(self.ctx)  # its GL objects are made on the first pick
        self._view_clip = np.eye(4)  # clip_from_world of the frame being drawn
        self._targets: dict | None = None
        self._target_sets: dict[tuple[int, int], dict] = {}  # by size, least recently used first
        # Pass timing for benchmarks: a dict makes every pass wait for the GPU and add its
        # milliseconds under its name (slower overall; None, the default, times nothing).
        self.pass_ms: dict[str, float] | None = None
        self._mark_t = 0.0
        # Display frames lit at half resolution (LightingPass.draw_half): the lighting passes
        # take about two thirds of the time (3A at 1280x720), for animatics and a moving window;
        # a level or a few at edges and small highlights (bench/lighting_error.py).
        self.half_res_lighting = False
        # The output transform (previs.render.ocio.DisplayShader): None is previs's filmic look
        # (shaders/display.glsl); else frames are lit as linear light and OCIO's shader makes
        # the display values (PostPass.display).
        self.display_shader = None
        self.resize(width, height)

    # ------------------------------------------------------------ targets
    @property
    def targets(self) -> dict:
        """The render targets of the current size, by name (textures and framebuffers: the
        G-buffer's, ``image``, ``ldr``, and those the passes add on first use)."""
        return self._targets

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
            raise RenderError(
                f"{what} size {size[0]}x{size[1]} is over this OpenGL's limit of {max_px} px a side"
            )
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
            clamp_to_edge(t[name])
        t["depth"].compare_func = ""  # its depths, not a comparison
        t["gbuffer"] = ctx.framebuffer(
            [t["albedo"], t["normal"], t["geom"], t["emissive"]], t["depth"]
        )
        t["image"] = ctx.texture(size, 4)  # tone-mapped, sRGB-encoded
        t["image"].filter = (ctx.LINEAR, ctx.LINEAR)  # FXAA samples between pixels
        clamp_to_edge(t["image"])
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
                clamp_to_edge(tex)
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

    # ------------------------------------------------------------ world and lights
    @_current
    def set_world(
        self,
        items: list[DrawItem],
        lights: list[Light],
        *,
        ambient_up_nits=(0.0, 0.0, 0.0),
        ambient_down_nits=(0.0, 0.0, 0.0),
        dynamic: frozenset[str] | set[str] = frozenset(),
    ) -> None:
        """Upload the world. Static items are pre-transformed and merged per material (a handful
        of draw calls however many meshes); items named in ``dynamic`` keep their own vertices and
        move with :meth:`set_poses`. Shadow maps are rendered once and again only when a light or
        a dynamic item moves."""
        self.geometry_pass.set_world(items, dynamic)
        lighting = self.lighting_pass
        lighting.lights = _checked_lights(lights)
        lighting.ambient = Ambient(
            tuple(float(x) for x in ambient_up_nits), tuple(float(x) for x in ambient_down_nits)
        )
        self.shadow_pass.dirty = True

    def set_poses(self, poses: dict[str, np.ndarray], *, recast: bool = True) -> None:
        """Move dynamic items (by name) to new world matrices. ``recast=False``: the shadow maps
        are kept as they are (an object dragged in the blocking window casts its shadow where it
        was until the drag ends; they follow it at the next world or light change)."""
        if self.geometry_pass.set_poses(poses) and recast:
            self.shadow_pass.dirty = True

    def set_lights(
        self, lights: list[Light], *, ambient_up_nits=None, ambient_down_nits=None
    ) -> None:
        """Change the lights for the next frame; shadow maps re-render only if one moved."""
        lighting = self.lighting_pass
        lights = _checked_lights(lights)
        if [shadow_key(lt) for lt in lights] != [shadow_key(lt) for lt in lighting.lights]:
            self.shadow_pass.dirty = True
        lighting.lights = lights
        up, down = lighting.ambient.up_nits, lighting.ambient.down_nits
        if ambient_up_nits is not None:
            up = tuple(float(x) for x in ambient_up_nits)
        if ambient_down_nits is not None:
            down = tuple(float(x) for x in ambient_down_nits)
        lighting.ambient = Ambient(up, down)

    def set_sky(self, sun_dir, sun_color_linear=(1.0, 1.0, 1.0), turbidity: float = 3.0) -> None:
        """Show an analytic sky where nothing is drawn (used for environment captures); a
        ``sun_dir`` of None leaves empty pixels black."""
        if sun_dir is None:
            self.lighting_pass.sky = None
            return
        d = np.asarray(sun_dir, float)
        self.lighting_pass.sky = Sky(
            tuple(d / np.linalg.norm(d)),
            tuple(float(x) for x in sun_color_linear),
            float(turbidity),
        )

    @property
    def triangle_count(self) -> int:
        return self.geometry_pass.triangle_count

    # ------------------------------------------------------------ what the wall shows
    @_current
    def set_wall_content(
        self, faces: np.ndarray | None, eye_m=(0.0, 1.7, 0.0), wall_nits: float = 0.0
    ) -> None:
        """The LED content: a cube map (6, S, S, 3) of wall signal (0..1) seen from ``eye_m``,
        faces in GL order (+X, -X, +Y, -Y, +Z, -Z) and rows as :meth:`capture_cube` returns them.
        None: the wall shows black."""
        self.wall_pass.set_content(faces, eye_m, wall_nits)

    def set_wall_drive(self, wall_nits: float, cdl=None) -> None:
        """How hard the wall is driven (nits for full white) and its grade (slope, offset, power,
        saturation: an ASC CDL applied to the wall signal, as an LED processor would). The grade
        is in the wall's own colour space (display-referred signal in the panels' primaries),
        before the wall emits and the camera sees it; the camera's output transform
        (:attr:`display_shader`) never touches the content (previs.render.ocio)."""
        self.wall_pass.nits = float(wall_nits)
        slope, offset, power, sat = cdl if cdl is not None else ((1, 1, 1), (0, 0, 0), (1, 1, 1), 1)
        self.wall_pass.grade = WallGrade(
            tuple(map(float, slope)),
            tuple(map(float, offset)),
            tuple(map(float, power)),
            float(sat),
        )

    def set_panel(
        self, panel_px: tuple[float, float], fill_factor: float, falloff_k_rgb, pitch_mm: float
    ) -> None:
        """The LED cabinet: LEDs per cabinet, emitting share of the pitch, off-axis exponents."""
        self.wall_pass.panel = LedPanel(
            tuple(map(float, panel_px)),
            float(fill_factor),
            tuple(map(float, falloff_k_rgb)),
            float(pitch_mm),
        )

    @_current
    def set_inner_frustum(
        self,
        image,
        clip_from_world: np.ndarray | None = None,
        soft_edge: float = 0.05,
        show_border: bool = False,
    ) -> None:
        """The inner frustum: the wall signal rendered by a camera with ``clip_from_world``;
        ``image`` is either a texture on this context that samples as linear signal (what
        :meth:`render_signal` returns; used as it is, never copied) or an (H, W, 3) array of
        linear signal, rows bottom-up (uploaded). None: off."""
        self.wall_pass.set_inner(None)
        if image is None:
            return
        if isinstance(image, np.ndarray):
            img = np.ascontiguousarray(image, dtype=np.float16)
            h, w = img.shape[:2]
            tex = self.ctx.texture((w, h), 3, img.tobytes(), dtype="f2")
            tex.filter = (self.ctx.LINEAR, self.ctx.LINEAR)
            clamp_to_edge(tex)
            owned = True
        else:
            tex, owned = image, False
        self.wall_pass.set_inner(
            InnerFrustum(
                tex,
                np.asarray(clip_from_world, dtype=np.float64),
                float(soft_edge),
                bool(show_border),
                owned,
            )
        )

    @_current
    def set_led_light(
        self, radiance: np.ndarray | None, irradiance: np.ndarray | None = None
    ) -> None:
        """The LED surfaces as a light on the set: ``radiance`` (6, S, S, 3) nits seen from the
        stage point (reflections; S a power of two) and ``irradiance`` (6, s, s, 3) lux
        (diffuse); None: off. The radiance goes up as its mip chain in octahedral maps, one 3D
        texture (previs.core.ledcheck.radiance_octahedral)."""
        self.lighting_pass.set_led_light(None)
        if radiance is not None:
            self.lighting_pass.set_led_light(LedLight.upload(self.ctx, radiance, irradiance))

    def set_lens(
        self,
        focal_length_mm: float,
        f_number: float,
        focus_m: float,
        *,
        sensor_width_mm: float | None = None,
    ) -> None:
        """The taking lens, for how sharp the wall's LED grid is and for the depth-of-field
        preview (thin-lens defocus). ``sensor_width_mm``: the width the image spans on the sensor
        (desqueezed for anamorphics), which turns blur on the sensor into pixels."""
        sensor = self.lens.sensor_width_mm if sensor_width_mm is None else float(sensor_width_mm)
        self.lens = TakingLens(
            float(focal_length_mm), float(f_number), float(min(focus_m, 1e6)), sensor
        )

    @property
    def view_clip_from_world(self) -> np.ndarray:
        """clip_from_world of the frame being drawn (or last drawn)."""
        return self._view_clip

    @_current
    def seen_wall_tiles(
        self, other_clip_from_world: np.ndarray, other_size: tuple[int, int]
    ) -> np.ndarray:
        """For a renderer that is drawing the camera's frame, between the set and the wall
        (``before_wall`` of :meth:`render`): which tiles of another camera's image (the inner
        frustum's, ``other_size`` pixels) show wall that this camera sees past the set. A bool
        grid of SEEN_TILE_PX tiles, rows bottom-up, grown by one tile on every side.

        The wall is drawn from the other camera at a quarter of its resolution; each wall point
        is projected into this camera and kept where the depth there (the set so far) lies
        behind it at any of nine taps about a mask cell apart."""
        tiles = self.wall_pass.seen_tiles(
            self._targets["depth"],
            self._view_clip,
            self.width,
            self.geometry_pass.batches,
            other_clip_from_world,
            other_size,
        )
        self._mark("inner frustum mask", wait=False)  # (waited for inside)
        return tiles

    # ------------------------------------------------------------ other outputs
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
        raw = self._targets[mode + "_fbo"].read(
            components=3, dtype=f"f{dtype.itemsize}", alignment=1
        )
        return np.frombuffer(raw, dtype).reshape(self.height, self.width, 3)

    @_current
    def capture_cube(
        self,
        eye_m,
        size: int = 256,
        near_m: float = 0.5,
        far_m: float = 20000.0,
        *,
        signal: bool = False,
    ) -> np.ndarray:
        """The world and sky seen from ``eye_m`` as six 90-degree faces of linear light,
        (6, size, size, 3) float32, rows bottom-up as GL stores cube faces. ``signal``: wall
        signal instead (:meth:`render_filmic`, float16), the film curve applied on the GPU."""
        old = (self.width, self.height)
        self.resize(size, size)
        faces = []
        for fwd, up in CUBE_FACES:
            eye = np.asarray(eye_m, float)
            view = CameraView(
                tf.look_at(eye, eye + np.asarray(fwd, float), up), math.pi / 2, 1.0, near_m, far_m
            )
            faces.append(self.render_filmic(view) if signal else self.render_hdr(view))
        self.resize(*old)
        return np.stack(faces)

    # ------------------------------------------------------------ picking
    @_current
    def set_pick_items(self, items: list[PickItem], key=None) -> None:
        """What :meth:`pick` can find (previs.render.passes.picking); ``key`` names their source."""
        self.picking_pass.set_items(items, key)

    @_current
    def pick(
        self,
        view: CameraView,
        size: tuple[int, int],
        x_px: float,
        y_px: float,
        poses: dict[str, np.ndarray] | None = None,
    ) -> ObjectRef | None:
        """The object at picture point (``x_px``, ``y_px``) of a ``size`` picture through ``view``
        (see PickingPass.pick); the render targets are left as they were."""
        return self.picking_pass.pick(view.clip_from_world, size, x_px, y_px, poses)

    # ------------------------------------------------------------ frame
    def _mark(self, name: str | None, *, wait: bool = True) -> None:
        """Pass timing (see ``pass_ms``): the time since the last mark, GPU work included.
        ``wait=False``: unless timing, no wait, for a pass the next one does not sample."""
        if self.pass_ms is None:
            if name is not None and wait and self._wait_each_pass:
                # Every pass samples what the one before drew, so llvmpipe would wait here
                # anyway, inside moderngl and holding the GIL; this waits with the GIL free.
                finish_without_gil()
            return
        import time

        self.ctx.finish()
        now = time.perf_counter()
        if name is not None:
            self.pass_ms[name] = self.pass_ms.get(name, 0.0) + (now - self._mark_t) * 1000.0
        self._mark_t = now

    def _draw(
        self,
        view: CameraView,
        *,
        exposure: float,
        mode: str,
        tiles: np.ndarray | None = None,
        before_wall=None,
    ) -> None:
        """Shadows, geometry and lighting into the target of ``mode``: "display" (tone-mapped
        and sRGB-encoded, for post), "signal" (the same encoding into the sRGB signal texture),
        "filmic" (the film curve, float) or "hdr" (linear light). ``tiles``: only these tiles (a
        bool grid of SEEN_TILE_PX tiles, rows bottom-up) are drawn; elsewhere the target is left
        transparent black. ``before_wall(self)`` runs after the set is in the G-buffer and before
        the LED wall (the inner frustum is rendered there, for only the wall the set leaves in
        view)."""
        geometry, lighting = self.geometry_pass, self.lighting_pass
        self._mark(None)
        self._shadows()
        self._view_clip = view.clip_from_world
        rects = (
            None
            if tiles is None
            else lighting.set_rects(tile_rects(tiles, (self.width, self.height)))
        )
        # The wall's world (wall signal, at most one light, no LED wall or wall light) is shaded
        # as it is drawn: bench/bench_animatic.py --passes, the inner frustum's rows.
        forward = (
            mode in ("signal", "filmic")
            and self.forward_signal
            and len(lighting.lights) <= 1
            and lighting.led_light is None
            and not geometry.has_wall
        )
        if forward:
            self._lazy_target(mode)
            geometry.draw_forward(self._targets, view, exposure, rects, mode, lighting)
            self._mark(f"forward ({mode})", wait=False)  # the sky pass only depth-tests against it
        else:
            self._geometry(view, mode, rects, before_wall)
        self._lighting(view, exposure, mode, rects, forward)

    def _shadows(self) -> None:
        """The shadow maps, again if the world or a light moved since they were rendered."""
        if self.shadow_pass.dirty:
            geometry = self.geometry_pass
            self.shadow_pass.build(
                geometry.batches,
                self.lighting_pass.lights,
                geometry.bounds,
                enabled=self.shadows,
                map_size_px=self.shadow_map_size,
            )
            self.shadow_builds += 1
            self._mark("shadow maps")

    def _geometry(self, view: CameraView, mode: str, rects: TileRects | None, before_wall) -> None:
        """The G-buffer: the set, ``before_wall(self)`` if any wall is drawn, the LED wall."""
        name = "gbuffer" if mode == "display" else f"gbuffer ({mode})"
        walls = self.geometry_pass.draw_set(self._targets, view, rects)
        hook = bool(walls) and before_wall is not None
        if hook:
            self._mark(name)
            before_wall(self)
            self._mark(None)
        self.geometry_pass.draw_wall(
            self._targets, walls, view, self.wall_pass, self.lens, rebind=hook
        )
        self._mark(name)

    def _lighting(
        self, view: CameraView, exposure: float, mode: str, rects: TileRects | None, forward: bool
    ) -> None:
        """Lighting, once per pixel. The G-buffer depth is sampled while attached read-only
        (depth_mask off, see _lighting_fbo): nothing writes it, so reading it is defined.
        Surfaces where the G-buffer has depth (depth test ">" against a far-plane triangle),
        then the sky where it has none ("<="); without a sky the clear is the dark stage. With
        tiles, both passes cover only the tiles, and only they are opaque. After a forward pass
        only the sky is left."""
        ctx, t, size, lighting = (
            self.ctx,
            self._targets,
            (self.width, self.height),
            self.lighting_pass,
        )
        fbo = t["image_fbo"] if mode == "display" else self._lazy_target(mode)
        fbo.use()
        if not forward:
            clear_tiles(fbo, rects)
        ctx.enable(ctx.DEPTH_TEST)
        half = mode == "display" and rects is None and self.half_res_lighting
        if half:
            lighting.draw_half(t, size, view, exposure, self._mark)
            fbo.use()
            if lighting.sky:
                lighting.draw(t, size, mode, "sky", view, exposure)
        else:
            parts = (() if forward else ("surface",)) + (("sky",) if lighting.sky else ())
            for part in parts:
                lighting.draw(
                    t,
                    size,
                    mode,
                    part,
                    view,
                    exposure,
                    None if rects is None else rects.vertex_count,
                )
        ctx.depth_func = "<"
        ctx.disable(ctx.DEPTH_TEST)
        self._mark(
            "lighting (mending, sky)"
            if half
            else "lighting"
            if mode == "display"
            else f"lighting ({mode})"
        )

    @_current
    def render(
        self,
        view: CameraView,
        *,
        exposure: float = 1.0,
        overlay: Overlay | None = None,
        read_depth: bool = True,
        dof: bool = False,
        output_size: tuple[int, int] | None = None,
        before_wall=None,
    ) -> Frame:
        """Colour as the camera records it (tone-mapped, sRGB, frame lines) and linear depth.
        ``dof``: blur by the lens's depth of field (see :meth:`set_lens`). ``output_size``
        (W, H): the colour scaled to that size on the GPU (bicubic) before readback, so a draft
        rendered small never resamples on the CPU; depth stays at the render size."""
        if output_size is not None:
            output_size = self._checked_size(*output_size, what="output")
            if output_size == (self.width, self.height):
                output_size = None
        if self.display_shader is None:
            self._draw(view, exposure=exposure, mode="display", before_wall=before_wall)
        else:  # linear light, then OpenColorIO's display transform into the display image
            self._draw(view, exposure=exposure, mode="hdr", before_wall=before_wall)
            self.post_pass.display(
                self.display_shader,
                self._targets["hdr"],
                self._targets,
                "image",
                (self.width, self.height),
            )
            self._mark("display (OCIO)")
        image = self._depth_of_field(view) if dof else self._targets["image"]
        color = self._post(image, overlay or Overlay(), output_size)
        depth = self._read_depth(view) if read_depth else None
        frame = Frame(color=np.ascontiguousarray(color), depth_m=depth)
        self._mark("readback")
        return frame

    @_current
    def render_linear(
        self, view: CameraView, *, exposure: float = 1.0, before_wall=None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The frame before any output transform: scene-linear Rec.709 light times ``exposure``
        ((H, W, 3) float32, no depth of field, FXAA or frame lines) and the distance along the
        view axis in metres ((H, W) float32, inf where empty), row 0 at the top of both."""
        self._draw(view, exposure=exposure, mode="hdr", before_wall=before_wall)
        raw = self._targets["hdr_fbo"].read(components=3, dtype="f4", alignment=1)
        rgb = np.frombuffer(raw, np.float32).reshape(self.height, self.width, 3)[::-1]
        depth = self._read_depth(view)
        self._mark("readback")
        return np.ascontiguousarray(rgb), depth

    def _depth_of_field(self, view: CameraView):
        """The display image blurred by the lens's depth of field; the texture post reads."""
        self._mark(None)
        image = self.dof_pass.draw(self._targets, (self.width, self.height), view, self.lens)
        self._mark("depth of field")
        return image

    def _post(self, image, overlay: Overlay, output_size: tuple[int, int] | None) -> np.ndarray:
        """FXAA, then the frame lines on the image as it is read back (after a draft's upscale,
        so they are crisp at the output size); the colour read back, row 0 at the top."""
        t, size, post = self._targets, (self.width, self.height), self.post_pass
        if output_size is None:
            post.antialias(image, t, "ldr", size, self.antialias)
            post.overlay(overlay, size)
        else:
            if "post" not in t:
                t["post"] = self.ctx.texture(size, 4)
            post.antialias(image, t, "post", size, self.antialias)
        self._mark("post")
        finish_without_gil()
        if output_size is None:
            raw = t["ldr_fbo"].read(components=3, alignment=1)
            return np.frombuffer(raw, np.uint8).reshape(self.height, self.width, 3)[::-1]
        out = post.upscaled(t["post"], size, output_size, self._mark)
        post.overlay(overlay, output_size)
        raw = out.read(components=3, alignment=1)
        return np.frombuffer(raw, np.uint8).reshape(output_size[1], output_size[0], 3)[::-1]

    def _read_depth(self, view: CameraView) -> np.ndarray:
        raw = self._targets["depth"].read(alignment=1)
        d = np.frombuffer(raw, np.float32).reshape(self.height, self.width)[::-1]
        return linear_depth(d, view.near_m, view.far_m)

    def release(self) -> None:
        self._release_resources()
        if self._owns_ctx:
            self.ctx.release()

    @_current
    def _release_resources(self) -> None:
        for p in (
            self.lighting_pass,
            self.post_pass,
            self.shadow_pass,
            self.geometry_pass,
            self.dof_pass,
            self.wall_pass,
            self.picking_pass,
        ):
            p.release()
        self._release_targets()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.release()


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
