"""The LED wall in the renderer: the panels, the grade the processor applies, the content cube,
the inner frustum and the wall as a light on the set, and the seen-tiles mask that limits the
inner frustum to the wall the camera sees past the set. The geometry pass draws the wall
batches with :class:`WallPass`'s textures and uniforms (gbuffer.frag's LED_WALL); the lighting
pass samples the :class:`LedLight`."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from previs.core.ledcheck import radiance_octahedral
from previs.render.context import program
from previs.render.gl import (
    clamp_to_edge,
    cube_texture,
    finish_without_gil,
    uniform,
    variant,
    write,
    write_cube,
)

# The inner frustum is rendered only in the tiles (this many pixels a side) where the camera
# sees the wall past the set; the visibility mask is found at a quarter of the resolution.
SEEN_TILE_PX = 32
SEEN_MASK_STEP = 4
MAX_RECTS = 4096  # screen rectangles one lighting pass can take (see tile_rects)
MASK_SIZES_KEPT = 3  # seen-mask sizes kept allocated: the window switches between two or three


@dataclass(frozen=True)
class LedPanel:
    """An LED cabinet: LEDs per cabinet, the emitting share of the pitch, the off-axis falloff
    exponents (red, green, blue) and the pixel pitch."""

    panel_px: tuple[float, float] = (176.0, 176.0)
    fill_factor: float = 0.3
    falloff_k_rgb: tuple[float, float, float] = (0.4, 0.4, 0.4)
    pitch_mm: float = 2.84


@dataclass(frozen=True)
class WallGrade:
    """An ASC CDL applied to the wall signal, as an LED processor would."""

    slope: tuple[float, float, float] = (1.0, 1.0, 1.0)
    offset: tuple[float, float, float] = (0.0, 0.0, 0.0)
    power: tuple[float, float, float] = (1.0, 1.0, 1.0)
    saturation: float = 1.0


@dataclass(frozen=True)
class InnerFrustum:
    """The inner frustum's wall signal, rendered by a camera with ``clip_from_world``."""

    texture: object  # samples as linear signal
    clip_from_world: np.ndarray
    soft_edge: float  # share of the frustum's size blended into the outer content
    show_border: bool
    owned: bool  # uploaded by this renderer (released by it), or another renderer's target

    def release(self) -> None:
        if self.owned:
            self.texture.release()


@dataclass(frozen=True)
class LedLight:
    """The LED surfaces as a light: reflections (octahedral radiance maps, one per mip level,
    in a 3D texture) and diffuse (an irradiance cube)."""

    reflections: object
    diffuse: object
    levels: float

    @classmethod
    def upload(cls, ctx, radiance: np.ndarray, irradiance: np.ndarray) -> LedLight:
        """``radiance`` (6, S, S, 3) nits (S a power of two) as its mip chain in octahedral maps
        (previs.core.ledcheck.radiance_octahedral), ``irradiance`` (6, s, s, 3) lux as a cube."""
        octa = np.ascontiguousarray(radiance_octahedral(radiance), dtype=np.float16)
        levels, size = octa.shape[0], octa.shape[1]
        reflections = ctx.texture3d((size, size, levels), 3, octa.tobytes(), dtype="f2")
        reflections.filter = (ctx.LINEAR, ctx.LINEAR)
        clamp_to_edge(reflections)
        diffuse = cube_texture(ctx, np.shape(irradiance)[1])
        write_cube(diffuse, irradiance)
        return cls(reflections, diffuse, float(levels))

    def release(self) -> None:
        self.reflections.release(), self.diffuse.release()


@dataclass(frozen=True)
class TileRects:
    """Tiles of a seen-tiles grid as screen rectangles (runs of tiles along each row):
    ``rects`` in pixels (x, y, w, h), ``uv_corners`` two triangles each (fullscreen.vert's
    RECTS), ``vertex_count`` = 6 per rectangle."""

    vertex_count: int
    rects: list[tuple[int, int, int, int]]
    uv_corners: bytes = b""


def tile_rects(tiles: np.ndarray, size: tuple[int, int]) -> TileRects:
    """``tiles`` (a bool grid of SEEN_TILE_PX tiles, rows bottom-up) as rectangles clipped to an
    image of ``size`` pixels; over MAX_RECTS, the whole image."""
    width, height = size
    # Runs of tiles along each row: where the row (padded with empty tiles) turns on and off;
    # np.nonzero goes row by row, so the n-th start and the n-th end belong to one run.
    padded = np.zeros((tiles.shape[0], tiles.shape[1] + 2), np.int8)
    padded[:, 1:-1] = tiles
    step = np.diff(padded, axis=1)
    row, c0 = np.nonzero(step == 1)
    c1 = np.nonzero(step == -1)[1]
    x0, x1 = c0 * SEEN_TILE_PX, np.minimum(c1 * SEEN_TILE_PX, width)
    y0, y1 = row * SEEN_TILE_PX, np.minimum((row + 1) * SEEN_TILE_PX, height)
    keep = (x1 > x0) & (y1 > y0)
    rects = [
        (int(a), int(b), int(c), int(d))
        for a, b, c, d in zip(x0[keep], y0[keep], (x1 - x0)[keep], (y1 - y0)[keep], strict=True)
    ]
    if len(rects) > MAX_RECTS:  # a very ragged mask: cover the whole image instead
        rects = [(0, 0, width, height)]
    if not rects:
        return TileRects(0, [])
    r = np.asarray(rects, np.float32)
    u0, v0 = r[:, 0] / width, r[:, 1] / height
    u1, v1 = (r[:, 0] + r[:, 2]) / width, (r[:, 1] + r[:, 3]) / height
    corners = np.stack([u0, v0, u1, v0, u1, v1, u0, v0, u1, v1, u0, v1], axis=1)
    return TileRects(6 * len(rects), rects, corners.astype("f4").tobytes())


def clear_tiles(fbo, rects: TileRects | None, *, depth: bool = False) -> None:
    """Clear the bound ``fbo`` to opaque black (and depth 1), or with ``rects`` to transparent
    black (and depth 0, so nothing passes a depth test there) with only the rectangles opaque
    black (depth 1). Colour only unless ``depth``."""
    kw = {"depth": 1.0} if depth else {}
    if rects is None:
        fbo.clear(0.0, 0.0, 0.0, 1.0, **kw)
        return
    fbo.clear(0.0, 0.0, 0.0, 0.0, **({"depth": 0.0} if depth else {}))
    for x, y, w, h in rects.rects:
        fbo.clear(0.0, 0.0, 0.0, 1.0, viewport=(x, y, w, h), **kw)


def bounding_box(rects: list[tuple[int, int, int, int]]) -> tuple[int, int, int, int]:
    """The smallest (x, y, w, h) holding every rectangle; (0, 0, 0, 0) for none."""
    if not rects:
        return (0, 0, 0, 0)
    r = np.asarray(rects)
    x0, y0 = r[:, 0].min(), r[:, 1].min()
    x1, y1 = (r[:, 0] + r[:, 2]).max(), (r[:, 1] + r[:, 3]).max()
    return (int(x0), int(y0), int(x1 - x0), int(y1 - y0))


@dataclass
class _SeenMasks:
    program: object
    masks: dict  # {(w, h): (texture, framebuffer)}, least recently made first


class WallPass:
    """What the LED wall shows and how: the content cube (wall signal seen from ``eye_m``),
    the drive (``nits`` for full white, ``grade``), the ``panel``, the ``inner`` frustum; and
    the seen-tiles mask. Owns the cube, an uploaded inner frustum and the mask targets."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.cube = None  # half-float cube map of wall signal, None: the wall shows black
        self.eye_m: tuple[float, float, float] = (0.0, 1.7, 0.0)
        self.nits = 0.0
        self.grade = WallGrade()
        self.panel = LedPanel()
        self.inner: InnerFrustum | None = None
        self._seen: _SeenMasks | None = None  # made on first use

    def set_content(self, faces: np.ndarray | None, eye_m, wall_nits: float) -> None:
        """See Renderer.set_wall_content."""
        if faces is None:
            if self.cube is not None:
                self.cube.release()
            self.cube = None
            return
        size = np.shape(faces)[1]
        if self.cube is None or self.cube.size != (size, size):
            if self.cube is not None:
                self.cube.release()
            self.cube = cube_texture(self.ctx, size)
        write_cube(self.cube, faces)
        self.eye_m = tuple(float(x) for x in eye_m)
        self.nits = float(wall_nits)

    def set_inner(self, inner: InnerFrustum | None) -> None:
        if self.inner is not None:
            self.inner.release()
        self.inner = inner

    def bind(self, programs, view, eye: tuple[float, float, float], lens) -> None:
        """The content cube and the inner frustum on their units, and the wall's uniforms of
        ``view`` (from ``eye``, through ``lens``, a TakingLens) on each LED_WALL program."""
        if self.cube is not None:
            self.cube.use(6)
        if self.inner is not None:
            self.inner.texture.use(7)
        for wp in programs:
            self._uniforms(wp, view, eye, lens)

    def _uniforms(self, wp, view, eye, lens) -> None:
        # Every sampler keeps its own unit even when unused: GL refuses to draw when samplers of
        # different types (2D, cube, shadow) share a unit, used or not.
        uniform(wp, "u_wall_content", 6)
        uniform(wp, "u_inner", 7)
        uniform(wp, "u_wall_eye", self.eye_m)
        uniform(wp, "u_wall_nits", self.nits if self.cube is not None else 0.0)
        g = self.grade
        for name, value in zip(
            ("slope", "offset", "power", "saturation"),
            (g.slope, g.offset, g.power, g.saturation),
            strict=True,
        ):
            uniform(wp, f"u_cdl_{name}", value)
        panel = self.panel
        uniform(wp, "u_panel_px", panel.panel_px)
        n = np.arange(1, 5)
        # sinc(x) = sin(pi x)/(pi x): the LED grid's harmonics for its fill factor
        uniform(wp, "u_led_harmonics", tuple(float(x) for x in 2 * np.sinc(n * panel.fill_factor)))
        uniform(wp, "u_falloff_k", panel.falloff_k_rgb)
        uniform(wp, "u_eye", eye)
        uniform(wp, "u_lens_axis", tuple(float(x) for x in -view.world_from_camera[:3, 2]))
        uniform(wp, "u_lens", (lens.focal_length_mm, lens.f_number, lens.focus_m, panel.pitch_mm))
        uniform(wp, "u_inner_on", 1 if self.inner is not None else 0)
        if self.inner is not None:
            write(
                wp, "u_inner_clip_from_world", self.inner.clip_from_world.T.astype("f4").tobytes()
            )
            uniform(wp, "u_inner_soft", self.inner.soft_edge)
            uniform(wp, "u_inner_border", 1 if self.inner.show_border else 0)

    def seen_tiles(
        self,
        depth,
        clip_from_world: np.ndarray,
        width_px: int,
        batches,
        other_clip_from_world: np.ndarray,
        other_size: tuple[int, int],
    ) -> np.ndarray:
        """Which tiles of another camera's image (``other_size`` pixels) show wall that the
        camera of ``clip_from_world`` (``width_px`` wide, its set so far in ``depth``) sees past
        the set: see Renderer.seen_wall_tiles. ``batches``: the geometry pass's."""
        ctx = self.ctx
        w, h = (int(x) for x in other_size)
        mw, mh = -(-w // SEEN_MASK_STEP), -(-h // SEEN_MASK_STEP)
        if self._seen is None:
            self._seen = _SeenMasks(program(ctx, "seen.vert", "seen.frag"), {})
        prog, masks = self._seen.program, self._seen.masks
        if (mw, mh) not in masks:
            while len(masks) >= MASK_SIZES_KEPT:
                for obj in reversed(masks.pop(next(iter(masks)))):
                    obj.release()
            mask = ctx.texture((mw, mh), 1)
            masks[(mw, mh)] = (mask, ctx.framebuffer([mask]))
        fbo = masks[(mw, mh)][1]
        fbo.use()
        fbo.clear(0.0)
        ctx.disable(ctx.DEPTH_TEST)
        ctx.disable(ctx.CULL_FACE)
        write(prog, "u_other_clip_from_world", np.asarray(other_clip_from_world, "f4").T.tobytes())
        write(prog, "u_clip_from_world", clip_from_world.T.astype("f4").tobytes())
        depth.use(0)
        uniform(prog, "u_depth", 0)
        # Taps about one mask cell apart in this image (the two images have about the same
        # pixel size: the inner frustum is never sharper than the camera).
        uniform(prog, "u_reach_px", float(SEEN_MASK_STEP) * max(width_px / w, 1.0))
        for b in batches:
            if variant(b.material) != "wall":
                continue
            if b.seen_vao is None:
                b.seen_vao = ctx.vertex_array(
                    prog,
                    [(b.vbo, "3f 3x4 2x4 4x4", "in_position")],
                    index_buffer=b.ibo,
                    index_element_size=4,
                )
            model = np.eye(4) if b.world_from_model is None else b.world_from_model
            write(prog, "u_world_from_model", model.T.astype("f4").tobytes())
            b.seen_vao.render()
        finish_without_gil()  # the read below would wait holding the GIL
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
        return grown

    def release(self) -> None:
        if self._seen is not None:
            for mask, fbo in self._seen.masks.values():
                fbo.release(), mask.release()
            self._seen.program.release()
            self._seen = None
        if self.cube is not None:
            self.cube.release()
            self.cube = None
        self.set_inner(None)
