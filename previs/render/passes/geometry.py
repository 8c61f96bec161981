"""Geometry: the world's batches (vertices pre-transformed to world space and merged per
material, so a set of hundreds of thousands of triangles is a handful of draw calls; dynamic
items keep their own vertices and a matrix), their textures, and the passes that draw them: the
G-buffer (gbuffer.frag, one program per material variant) or forward shading into wall signal
(gbuffer.frag with FORWARD, the lights compiled in)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from previs.core import transforms as tf
from previs.core.mesh import Material, TextureImage
from previs.core.scene import MAX_LIGHTS
from previs.render.context import program
from previs.render.gl import (
    GL_FRAMEBUFFER_SRGB,
    lights_define,
    uniform,
    variant,
    vertex_array,
    write,
)
from previs.render.passes.shadows import MAX_TILES
from previs.render.passes.wall import TileRects, bounding_box, clear_tiles

FORWARD_PROGRAMS_KEPT = (
    16  # forward variants kept compiled: a sun moved over and over drops the oldest
)
_ORDER = {
    "opaque": 0,
    "masked": 1,
    "wall": 2,
}  # variants in draw order (see GeometryPass.draw_order)


@dataclass
class Batch:
    vao: object
    vbo: object
    ibo: object
    material: Material
    triangles: int
    name: str | None = None  # dynamic batches: the item's name; static batches: None
    world_from_model: np.ndarray | None = None  # dynamic batches only
    local_bounds: tuple[np.ndarray, np.ndarray] | None = None
    world_bounds: tuple[np.ndarray, np.ndarray] | None = None  # static batches only
    seen_vao: object | None = None  # LED wall batches: positions only, for WallPass.seen_tiles
    forward_vao: object | None = (
        None  # forward shading (signal targets), see GeometryPass.forward_vao
    )

    def release(self) -> None:
        for vao in (self.seen_vao, self.forward_vao):
            if vao is not None:
                vao.release()
        self.vao.release(), self.vbo.release(), self.ibo.release()


class GeometryPass:
    """Owns the batches, the texture cache and the G-buffer (``programs``, by defines) and
    forward program caches."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.batches: list[Batch] = []
        self.programs: dict[
            tuple[str, ...], object
        ] = {}  # G-buffer variants, compiled on first use
        self._forward_programs: dict[tuple, object] = {}  # (G-buffer defines, light list)
        self._textures: dict[str, object] = {}
        self.static_bounds: tuple[np.ndarray, np.ndarray] = (np.zeros(3), np.zeros(3))

    # ------------------------------------------------------------ world
    def set_world(self, items, dynamic: frozenset[str] | set[str]) -> None:
        """Replace the batches by ``items`` (DrawItems); see Renderer.set_world."""
        self.release_batches()
        groups: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
        materials: dict[str, Material] = {}
        lo, hi = np.full(3, np.inf), np.full(3, -np.inf)
        for item in items:
            m = np.asarray(item.world_from_asset, dtype=np.float64)
            if item.name is not None and item.name in dynamic:
                for part in item.asset.parts:
                    verts = np.hstack([part.positions, part.normals, part.uvs, part.colors]).astype(
                        np.float32
                    )
                    batch = self._make_batch(verts, part.indices, part.material)
                    batch.name, batch.world_from_model, batch.world_bounds = item.name, m, None
                    batch.local_bounds = (
                        part.positions.min(axis=0).astype(np.float64),
                        part.positions.max(axis=0).astype(np.float64),
                    )
                    self.batches.append(batch)
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
            self.batches.append(
                self._make_batch(np.concatenate(all_v), np.concatenate(all_i), materials[key])
            )
        self.batches.sort(key=lambda b: variant(b.material) == "masked")  # opaque first
        if not np.all(np.isfinite(lo)):
            lo, hi = np.zeros(3), np.zeros(3)
        self.static_bounds = (lo, hi)

    def _make_batch(self, verts: np.ndarray, indices: np.ndarray, material: Material) -> Batch:
        vbo = self.ctx.buffer(np.ascontiguousarray(verts, np.float32).tobytes())
        ibo = self.ctx.buffer(np.ascontiguousarray(indices, np.uint32).tobytes())
        vao = vertex_array(self.ctx, self.gbuffer_program(material), vbo, ibo)
        pos = np.asarray(verts[:, :3], np.float64)
        bounds = (pos.min(axis=0), pos.max(axis=0)) if len(pos) else (np.zeros(3), np.zeros(3))
        return Batch(vao, vbo, ibo, material, int(np.size(indices) // 3), world_bounds=bounds)

    def set_poses(self, poses: dict[str, np.ndarray]) -> bool:
        """Move dynamic batches (by item name) to new world matrices; True if any moved."""
        moved = False
        for b in self.batches:
            if b.name is not None and b.name in poses:
                m = np.asarray(poses[b.name], dtype=np.float64)
                if b.world_from_model is None or not np.array_equal(m, b.world_from_model):
                    b.world_from_model = m
                    moved = True
        return moved

    @property
    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """The world's bounds (lo, hi), dynamic batches where they stand now."""
        lo, hi = self.static_bounds
        for b in self.batches:
            if b.world_from_model is not None and b.local_bounds is not None:
                w0, w1 = self.batch_bounds(b)
                lo, hi = np.minimum(lo, w0), np.maximum(hi, w1)
        return lo, hi

    @property
    def triangle_count(self) -> int:
        return sum(b.triangles for b in self.batches)

    @property
    def has_wall(self) -> bool:
        return any(variant(b.material) == "wall" for b in self.batches)

    def batch_bounds(self, b: Batch) -> tuple[np.ndarray, np.ndarray]:
        """A dynamic batch's world bounds: its local box's corners moved by its matrix."""
        l0, l1 = b.local_bounds
        corners = np.array(
            [[x, y, z] for x in (l0[0], l1[0]) for y in (l0[1], l1[1]) for z in (l0[2], l1[2])]
        )
        w = tf.transform_points(b.world_from_model, corners)
        return w.min(axis=0), w.max(axis=0)

    def draw_order(self, eye: np.ndarray) -> list[Batch]:
        """Opaque batches front to back, then alpha-masked, then the LED wall (behind the set
        from anywhere inside the volume): hidden fragments fail the early depth test instead of
        being shaded and overwritten, which a software rasteriser pays for in full. Front to
        back by the farthest corner of each batch's bounds: by the nearest point the floor,
        which the camera stands over, would go first and be overdrawn by all that stands on it
        (bench/overdraw.py: 1.54 fragments shaded a pixel by the nearest point over the example's
        33 frames, 1.12 by the farthest corner)."""

        def key(b: Batch):
            if b.world_bounds is not None:
                lo, hi = b.world_bounds
            else:
                lo, hi = self.batch_bounds(b)
            far = np.maximum(np.abs(lo - eye), np.abs(hi - eye))
            return (_ORDER[variant(b.material)], float(far @ far))

        return sorted(self.batches, key=key)

    # ------------------------------------------------------------ programs
    def gbuffer_defines(self, m: Material) -> tuple[str, ...]:
        """The G-buffer variant of a material: alpha-masked (only it may discard, so the others
        keep early depth), LED wall (emits the wall content) or opaque, with the maps it has."""
        maps = tuple(
            name
            for name, img in (
                ("HAS_BASE_TEX", m.base_color_texture),
                ("HAS_MR_TEX", m.metallic_roughness_texture),
                ("HAS_NORMAL_TEX", m.normal_texture),
                ("HAS_EMISSIVE_TEX", m.emissive_texture),
                ("HAS_OCCLUSION_TEX", m.occlusion_texture),
            )
            if img is not None
        )
        dark = m.emissive_texture is None and not any(m.emissive) and variant(m) != "wall"
        kind = {"masked": ("ALPHA_MASK",), "wall": ("LED_WALL",), "opaque": ()}[variant(m)]
        return kind + maps + (("NO_EMISSION",) if dark else ())

    def gbuffer_program(self, m: Material):
        """The G-buffer program of a material's variant (:meth:`gbuffer_defines`), cached."""
        defines = self.gbuffer_defines(m)
        prog = self.programs.get(defines)
        if prog is None:
            prog = self.programs[defines] = program(self.ctx, "scene.vert", "gbuffer.frag", defines)
        return prog

    def forward_vao(self, b: Batch, lights: tuple):
        """The batch's VAO for forward shading into wall signal, with ``lights``
        (LightingPass.light_list) compiled in."""
        maps = self.gbuffer_defines(b.material)
        key = (maps, lights)
        prog = self._forward_programs.get(key)
        if prog is None:
            if len(self._forward_programs) >= FORWARD_PROGRAMS_KEPT:
                self._forward_programs.pop(next(iter(self._forward_programs))).release()
            defines = (
                maps
                + (
                    "FORWARD",
                    "DISPLAY",
                    "SRGB_TARGET",
                    f"MAX_LIGHTS {MAX_LIGHTS}",
                    f"MAX_TILES {MAX_TILES}",
                )
                + ((lights_define(lights),) if lights else ())
            )
            prog = self._forward_programs[key] = program(
                self.ctx, "scene.vert", "gbuffer.frag", defines
            )
        if b.forward_vao is None or b.forward_vao.program is not prog:
            if b.forward_vao is not None:
                b.forward_vao.release()
            b.forward_vao = vertex_array(self.ctx, prog, b.vbo, b.ibo)
        return b.forward_vao

    # ------------------------------------------------------------ drawing
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

    def _set_material(self, p, m: Material) -> None:
        uniform(p, "u_base_color", tuple(m.base_color))
        uniform(p, "u_metallic", float(m.metallic))
        uniform(p, "u_roughness", float(m.roughness))
        uniform(p, "u_emissive", tuple(m.emissive))
        if m.alpha_cutoff is not None:
            uniform(p, "u_alpha_cutoff", float(m.alpha_cutoff))
        for unit, (flag, img) in enumerate(
            (
                ("base", m.base_color_texture),
                ("mr", m.metallic_roughness_texture),
                ("normal", m.normal_texture),
                ("emissive", m.emissive_texture),
                ("occlusion", m.occlusion_texture),
            )
        ):
            tex = self._texture(img)
            uniform(p, f"u_{flag}_tex", unit)
            if tex is not None:
                tex.use(unit)
        if m.double_sided:
            self.ctx.disable(self.ctx.CULL_FACE)
        else:
            self.ctx.enable(self.ctx.CULL_FACE)

    def draw_batches(self, batches: list[Batch], vaos: list | None = None) -> None:
        """Draw ``batches`` with their G-buffer VAOs, or with ``vaos`` (one each), into the bound
        framebuffer (each program's camera already set)."""
        identity = (np.eye(4, dtype="f4").tobytes(), np.eye(3, dtype="f4").tobytes())
        for b, vao in zip(batches, vaos or [b.vao for b in batches], strict=True):
            p = vao.program
            self._set_material(p, b.material)
            if b.world_from_model is None:
                model, normal = identity
            else:
                m = b.world_from_model
                model = m.T.astype("f4").tobytes()
                normal = (
                    np.linalg.inv(m[:3, :3]).astype("f4").tobytes()
                )  # (M^-1)^T, transposed for GL
            write(p, "u_world_from_model", model)
            write(p, "u_normal_from_model", normal)
            vao.render()

    def draw_set(self, targets: dict, view, rects: TileRects | None) -> list[Batch]:
        """The G-buffer of ``view`` without the LED wall; returns the wall's batches, in order,
        for :meth:`draw_wall`. ``rects``: only these are drawn (see Renderer._draw)."""
        ctx = self.ctx
        # Outside the tiles the depth starts at the near plane, so nothing there passes the
        # depth test (llvmpipe rejects such blocks before shading); outside their bounding box
        # nothing is even rasterised (the scissor), and nothing reads there. Only the depth is
        # cleared: every reader of the G-buffer looks at a pixel's depth first and ignores the
        # rest of an empty one, and the four colour targets are most of a clear.
        gbuffer = targets["gbuffer"]
        gbuffer.scissor = None if rects is None else bounding_box(rects.rects)
        gbuffer.use()
        gbuffer.color_mask = ((False,) * 4,) * 4
        gbuffer.clear(depth=1.0 if rects is None else 0.0)
        for x, y, w, h in [] if rects is None else rects.rects:
            gbuffer.clear(depth=1.0, viewport=(x, y, w, h))
        gbuffer.color_mask = ((True,) * 4,) * 4
        ctx.enable(ctx.DEPTH_TEST)
        ctx.front_face = "ccw"
        ctx.cull_face = "back"
        clip_from_world = view.clip_from_world.T.astype("f4").tobytes()
        for p in {id(b.vao.program): b.vao.program for b in self.batches}.values():
            write(p, "u_clip_from_world", clip_from_world)
        order = self.draw_order(view.world_from_camera[:3, 3])
        self.draw_batches([b for b in order if variant(b.material) != "wall"])
        return [b for b in order if variant(b.material) == "wall"]

    def draw_wall(
        self, targets: dict, walls: list[Batch], view, wall, lens, *, rebind: bool = False
    ) -> None:
        """The LED wall's batches (from :meth:`draw_set`) into the G-buffer with ``wall``'s
        (a WallPass) content and uniforms, seen through ``lens``; ``rebind``: the G-buffer and
        its state again first (something else drew since :meth:`draw_set`). Ends the pass."""
        ctx = self.ctx
        if walls:
            if rebind:
                targets["gbuffer"].use()
                ctx.enable(ctx.DEPTH_TEST)
                ctx.enable(ctx.CULL_FACE)
                ctx.front_face, ctx.cull_face, ctx.depth_func = "ccw", "back", "<"
            eye = tuple(float(x) for x in view.world_from_camera[:3, 3])
            wall.bind({id(b.vao.program): b.vao.program for b in walls}.values(), view, eye, lens)
            self.draw_batches(walls)
        ctx.disable(ctx.CULL_FACE)
        ctx.disable(ctx.DEPTH_TEST)

    def draw_forward(
        self, targets: dict, view, exposure: float, rects: TileRects | None, mode: str, lighting
    ) -> None:
        """The batches lit as they are drawn by ``lighting``'s lights (a LightingPass;
        gbuffer.frag with FORWARD: the film curve, no sRGB encoding) into the target of
        ``mode``, made before: "signal" (sRGB, the framebuffer encodes on write) or "filmic"
        (float). Depth-tested and written into the G-buffer's depth, so the sky pass after finds
        the empty pixels; ``rects`` as in :meth:`draw_set`. The whole depth is cleared (0
        outside the tiles)."""
        assert mode in ("signal", "filmic"), mode
        ctx, t = self.ctx, targets
        key = mode + "_forward_fbo"
        if key not in t:
            t[key] = ctx.framebuffer([t[mode]], t["depth"])
        fbo = t[key]
        fbo.scissor = None
        fbo.use()
        clear_tiles(fbo, rects, depth=True)
        if rects is not None:
            fbo.scissor = bounding_box(rects.rects)
            fbo.use()
        ctx.enable(ctx.DEPTH_TEST)
        ctx.front_face, ctx.cull_face, ctx.depth_func = "ccw", "back", "<"
        eye = tuple(float(x) for x in view.world_from_camera[:3, 3])
        order = self.draw_order(view.world_from_camera[:3, 3])
        lights = lighting.light_list()
        vaos = [self.forward_vao(b, lights) for b in order]
        for p in {id(v.program): v.program for v in vaos}.values():
            write(p, "u_clip_from_world", view.clip_from_world.T.astype("f4").tobytes())
            uniform(p, "u_eye", eye)
            uniform(p, "u_exposure", float(exposure))
            lighting.upload(p)
        if mode == "signal":
            ctx.enable_direct(GL_FRAMEBUFFER_SRGB)  # the signal texture encodes on write
        self.draw_batches(order, vaos)
        if mode == "signal":
            ctx.disable_direct(GL_FRAMEBUFFER_SRGB)
        ctx.disable(ctx.CULL_FACE)
        ctx.disable(ctx.DEPTH_TEST)

    def release_batches(self) -> None:
        for b in self.batches:
            b.release()
        self.batches = []

    def release(self) -> None:
        for obj in (*self.programs.values(), *self._forward_programs.values()):
            obj.release()
        self.programs = {}
        self._forward_programs = {}
        self.release_batches()
        for tex in self._textures.values():
            tex.release()
        self._textures = {}
