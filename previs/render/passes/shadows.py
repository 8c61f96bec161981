"""Shadow maps: one depth atlas of tiles (a tile for the sun or a spot, six for a point light)
rendered when the world or a light moved, and what the lighting passes need to sample it."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from previs.core import transforms as tf
from previs.core.scene import MAX_SHADOW_TILES, Light, shadow_tiles
from previs.render.context import program
from previs.render.gl import clamp_to_edge, uniform, write, write_array

MAX_TILES = MAX_SHADOW_TILES  # lighting.glsl gets both as defines
SHADOW_DEPTH_BIAS = 0.0005  # in window depth, beside the normal offset in lighting.glsl
# A spot's shadow frustum covers its whole falloff, up to this half-angle; past it (the widest
# floods) the shader also tests whether a point is outside the map.
SPOT_SHADOW_MAX_HALF_RAD = math.radians(85)
# Beyond the reach: the shader pushes points up to 2.4 cm along their normal before the lookup,
# about a degree at 1.4 m from the lamp; 2 degrees covers surfaces from about 0.7 m out.
SPOT_SHADOW_MARGIN_RAD = math.radians(2)
SHADOW_NORMAL_OFFSET_M = 0.024  # = the largest normal offset in lighting.glsl
# Point-light cube faces: +X, -X, +Y, -Y, +Z, -Z as (forward, up) in world space.
CUBE_FACES = [
    ((1, 0, 0), (0, -1, 0)),
    ((-1, 0, 0), (0, -1, 0)),
    ((0, 1, 0), (0, 0, 1)),
    ((0, -1, 0), (0, 0, -1)),
    ((0, 0, 1), (0, -1, 0)),
    ((0, 0, -1), (0, -1, 0)),
]


@dataclass(frozen=True)
class _TileUniforms:
    atlas_from_world: np.ndarray  # (MAX_TILES, 4, 4) float32, transposed for GL
    rects: np.ndarray  # (MAX_TILES, 4) float32: each tile's (x, y, w, h) in the atlas's uv
    texel: tuple[float, float]  # one atlas texel in uv


class ShadowPass:
    """Owns the shadow program, the atlas and its framebuffer. ``dirty``: the maps no longer
    match the world or the lights (set by the renderer, cleared by :meth:`build`)."""

    def __init__(self, ctx):
        self.ctx = ctx
        self._program = program(ctx, "shadow.vert", "shadow.frag")
        self.atlas = None  # depth texture (compare mode), None when no light casts a shadow
        self._fbo = None
        self._tile_px = 0
        self._tiles: list[
            tuple[np.ndarray, tuple[float, float, float, float]]
        ] = []  # (clip_from_world, rect)
        self._uniforms: _TileUniforms | None = None
        self.light_tiles: list[tuple[int, int]] = []  # per light: (first tile, tile count)
        self.dirty = False

    def _light_matrices(self, light: Light, bounds) -> list[np.ndarray]:
        """Clip from world of each of the light's tiles, covering ``bounds`` (lo, hi)."""
        lo, hi = bounds
        corners = np.array(
            [[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])]
        )
        centre = (lo + hi) / 2
        radius = max(float(np.linalg.norm(hi - lo)) / 2, 1e-3)
        if light.type == "directional":
            d = np.asarray(light.direction, float)
            d /= np.linalg.norm(d)
            eye = centre - d * radius * 2
            view = np.linalg.inv(tf.look_at(eye, centre, _up_for(d)))
            pts = tf.transform_points(view, corners)
            x0, y0 = pts[:, :2].min(axis=0)
            x1, y1 = pts[:, :2].max(axis=0)
            # Margin for the PCF taps (two texels) and the shader's normal offset (up to 2.4 cm),
            # so a tap at the world's edge stays inside this tile.
            pad = 2.0 * max(x1 - x0, y1 - y0, 1e-3) / self._tile_px + SHADOW_NORMAL_OFFSET_M
            x0, y0, x1, y1 = x0 - pad, y0 - pad, x1 + pad, y1 + pad
            near, far = max(1e-3, float(-pts[:, 2].max()) - 0.1), float(-pts[:, 2].min()) + 0.1
            return [tf.orthographic(x0, x1, y0, y1, near, far) @ view]
        pos = np.asarray(light.position_m, float)
        far = float(np.max(np.linalg.norm(corners - pos, axis=1))) + 0.1
        near = max(0.02, far * 1e-4)
        if light.type == "spot":
            d = np.asarray(light.direction, float)
            d /= np.linalg.norm(d)
            fov = 2.0 * min(
                spot_reach_rad(light) + SPOT_SHADOW_MARGIN_RAD, SPOT_SHADOW_MAX_HALF_RAD
            )
            view = np.linalg.inv(tf.look_at(pos, pos + d, _up_for(d)))
            return [tf.perspective(fov, 1.0, near, far) @ view]
        mats = []
        fov = 2 * math.atan(1.0 + 4.0 / self._tile_px)  # a hair over 90 deg: PCF taps stay inside
        for fwd, up in CUBE_FACES:
            view = np.linalg.inv(tf.look_at(pos, pos + np.asarray(fwd, float), up))
            mats.append(tf.perspective(fov, 1.0, near, far) @ view)
        return mats

    def build(
        self, batches, lights: list[Light], bounds, *, enabled: bool, map_size_px: int
    ) -> None:
        """Render the maps of ``lights`` (those that cast shadows, when ``enabled``) of the
        ``batches`` inside ``bounds`` (lo, hi), up to MAX_TILES tiles of at most
        ``map_size_px`` a side in one atlas."""
        self.dirty = False
        self._release_atlas()
        self._tiles, self.light_tiles = [], []
        wanted = [shadow_tiles(lt.type, enabled and lt.shadows) for lt in lights]
        total = 0
        for i, n in enumerate(wanted):
            if total + n > MAX_TILES:  # scene files are held to it at load; API callers are not
                wanted[i] = n = 0
            total += n
        if total == 0 or not batches:
            self.light_tiles = [(0, 0)] * len(lights)
            return
        cols = math.ceil(math.sqrt(total))
        rows = math.ceil(total / cols)
        max_tex = min(self.ctx.info.get("GL_MAX_TEXTURE_SIZE", 8192), 8192)
        self._tile_px = min(map_size_px, max_tex // max(cols, rows))
        ts = self._tile_px
        self.atlas = self.ctx.depth_texture((cols * ts, rows * ts))
        self.atlas.compare_func = "<="
        self.atlas.filter = (self.ctx.LINEAR, self.ctx.LINEAR)
        clamp_to_edge(self.atlas)  # the taps stay inside their tiles; and it is faster
        self._fbo = self.ctx.framebuffer(depth_attachment=self.atlas)
        self._fbo.use()
        self._fbo.clear(depth=1.0)
        self.ctx.enable(self.ctx.DEPTH_TEST)
        self.ctx.disable(self.ctx.CULL_FACE)
        # Slope-scaled offset keeps acne off surfaces facing away from the light.
        self.ctx.polygon_offset = (1.5, 2.0)
        shadow_vaos = []
        for b in batches:
            vao = self.ctx.vertex_array(
                self._program,
                [(b.vbo, "3f 3x4 2x4 4x4", "in_position")],
                index_buffer=b.ibo,
                index_element_size=4,
            )
            model = np.eye(4) if b.world_from_model is None else b.world_from_model
            shadow_vaos.append((vao, model.T.astype("f4").tobytes()))
        tile = 0
        for light, n in zip(lights, wanted, strict=True):
            if n == 0:
                self.light_tiles.append((0, 0))
                continue
            self.light_tiles.append((tile, n))
            for mat in self._light_matrices(light, bounds):
                cx, cy = tile % cols, tile // cols
                self._fbo.viewport = (cx * ts, cy * ts, ts, ts)
                write(self._program, "u_clip_from_world", mat.T.astype("f4").tobytes())
                for vao, model in shadow_vaos:
                    write(self._program, "u_world_from_model", model)
                    vao.render()
                rect = (cx / cols, cy / rows, 1.0 / cols, 1.0 / rows)
                self._tiles.append((mat, rect))
                tile += 1
        self.ctx.polygon_offset = (0.0, 0.0)
        for vao, _ in shadow_vaos:
            vao.release()
        texel = (1.0 / (cols * ts), 1.0 / (rows * ts))
        mats = np.zeros((MAX_TILES, 4, 4), "f4")
        rects = np.zeros((MAX_TILES, 4), "f4")
        for i, (m, r) in enumerate(self._tiles):
            # Clip space to the tile's place in the atlas (uv) and the compared depth (with its
            # bias) in one matrix: the shader does one product, no per-pixel rescale.
            x, y, sx, sy = r
            atlas = np.array(
                [
                    [sx / 2, 0, 0, x + sx / 2],
                    [0, sy / 2, 0, y + sy / 2],
                    [0, 0, 0.5, 0.5 - SHADOW_DEPTH_BIAS],
                    [0, 0, 0, 1],
                ]
            )
            mats[i] = (atlas @ m).T
            rects[i] = r
        self._uniforms = _TileUniforms(
            mats, rects, texel
        )  # what every lighting pass uploads, packed once

    def upload(self, prog) -> None:
        """The tiles' matrices and rectangles, for a lighting program that samples the atlas."""
        if self._tiles and "u_tile_atlas_from_world" in prog:
            u = self._uniforms
            write_array(prog, "u_tile_atlas_from_world", u.atlas_from_world)
            if "u_tile_rect" in prog:
                write_array(prog, "u_tile_rect", u.rects)
                uniform(prog, "u_atlas_texel", u.texel)

    def _release_atlas(self) -> None:
        if self._fbo:
            self._fbo.release()
            self.atlas.release()
            self.atlas = self._fbo = None

    def release(self) -> None:
        self._release_atlas()
        self._program.release()


def spot_reach_rad(lt: Light) -> float:
    """The half-angle where a spot's light ends: lighting.glsl fades the 10 % at the field
    angle to nothing over 0.05 in the cosine."""
    return math.acos(max(math.cos(math.radians(lt.field_angle_deg) / 2) - 0.05, -1.0))


def shadow_covers_light(lt: Light) -> bool:
    """Whether every point the light reaches lies inside its shadow map (so the shader need not
    test): always for the sun (the map spans the world) and point lights (six faces)."""
    return (
        lt.type != "spot" or spot_reach_rad(lt) + SPOT_SHADOW_MARGIN_RAD <= SPOT_SHADOW_MAX_HALF_RAD
    )


def shadow_key(lt: Light) -> tuple:
    """What a light's shadow map depends on (not its colour or intensity)."""
    return (lt.type, tuple(lt.position_m), tuple(lt.direction), lt.field_angle_deg, lt.shadows)


def _up_for(d: np.ndarray) -> tuple[float, float, float]:
    return (0.0, 0.0, 1.0) if abs(d[1]) > 0.99 else (0.0, 1.0, 0.0)
