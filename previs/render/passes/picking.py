"""Picking: which scene object is under a pixel, from an ID buffer, exactly as the picture draws
it (the same meshes, poses and projection), not from bounding boxes.

Each pickable item (a set piece, a character's posed body pieces, a light's proxy sphere, a
floor mark's disc) is drawn with a flat unsigned integer into an R32UI target with a depth
test; the LED wall and the stage floor are drawn with 0, so they hide what is behind them and
pick nothing. Only the pixel asked for is drawn: the projection is narrowed to that one pixel of
the picture (a "pick matrix": the picture's projection scaled and shifted so the pixel fills a
1 x 1 target), so rasterising costs one fragment per item and the readback is four bytes. The
answer is the one a full-resolution ID buffer would hold at that pixel's centre.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from previs.core import transforms as tf
from previs.core.refs import ObjectRef
from previs.render.context import program

LIGHT_PROXY_R_M = 0.2  # a light's pickable sphere
MARK_DISC_R_M = 0.15  # a floor mark's pickable disc
MARK_LIFT_M = 0.01  # above the floor and a ground plane laid on it, so the disc wins the depth test


@dataclass
class PickItem:
    """Geometry drawn with one id: ``positions`` (N, 3) and ``indices`` (M, 3) in model space,
    placed by ``world_from_model``; ``ref`` None for occluders (id 0)."""

    ref: ObjectRef | None
    positions: np.ndarray
    indices: np.ndarray
    world_from_model: np.ndarray
    name: str | None = None  # a dynamic item's draw-item name (a character's piece)


def pick_matrix(x_px: float, y_px: float, size: tuple[int, int]) -> np.ndarray:
    """Clip-space transform that makes the picture point (``x_px``, ``y_px``) (pixels from the
    top-left of a ``size`` = (w, h) picture) the centre of a 1 x 1 viewport: one picture
    pixel fills it. ``pick_matrix(...) @ clip_from_world``."""
    w, h = size
    ndc_x, ndc_y = 2.0 * x_px / w - 1.0, 1.0 - 2.0 * y_px / h
    m = np.eye(4)
    m[0, 0], m[0, 3] = w, -ndc_x * w
    m[1, 1], m[1, 3] = h, -ndc_y * h
    return m


def sphere(radius_m: float, rings: int = 6, segments: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """A low-poly UV sphere (positions, triangle indices)."""
    pts = [(0.0, radius_m, 0.0)]
    for i in range(1, rings):
        th = math.pi * i / rings
        for j in range(segments):
            ph = 2 * math.pi * j / segments
            pts.append(
                (
                    radius_m * math.sin(th) * math.cos(ph),
                    radius_m * math.cos(th),
                    radius_m * math.sin(th) * math.sin(ph),
                )
            )
    pts.append((0.0, -radius_m, 0.0))
    tris, last = [], len(pts) - 1
    for j in range(segments):
        tris.append((0, 1 + j, 1 + (j + 1) % segments))
        base = 1 + (rings - 2) * segments
        tris.append((last, base + (j + 1) % segments, base + j))
    for i in range(rings - 2):
        for j in range(segments):
            a, b = 1 + i * segments + j, 1 + i * segments + (j + 1) % segments
            tris += [(a, a + segments, b), (b, a + segments, b + segments)]
    return np.asarray(pts, np.float32), np.asarray(tris, np.uint32)


def disc(radius_m: float, segments: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """A flat disc on y = 0 (a fan: centre, then the rim)."""
    ang = np.linspace(0, 2 * math.pi, segments, endpoint=False)
    pts = np.vstack(
        [
            [0, 0, 0],
            np.stack([radius_m * np.cos(ang), np.zeros_like(ang), radius_m * np.sin(ang)], 1),
        ]
    )
    tris = [(0, 1 + j, 1 + (j + 1) % segments) for j in range(segments)]
    return pts.astype(np.float32), np.asarray(tris, np.uint32)


def asset_geometry(asset) -> tuple[np.ndarray, np.ndarray]:
    """All parts of an Asset as one (positions, indices)."""
    pos, idx, off = [], [], 0
    for part in asset.parts:
        pos.append(np.asarray(part.positions, np.float32))
        idx.append(np.asarray(part.indices, np.uint32) + off)
        off += len(part.positions)
    if not pos:
        return np.zeros((0, 3), np.float32), np.zeros((0, 3), np.uint32)
    return np.concatenate(pos), np.concatenate(idx)


class PickingPass:
    """Owns the ID program, the pickable items' buffers and a 1 x 1 R32UI + depth target."""

    def __init__(self, ctx):
        self.ctx = ctx
        self._program = None
        self._fbo = None
        self._items: list[tuple[PickItem, object, object, object]] = []  # (item, vbo, ibo, vao)
        # per item, made once by set_items: its id, its placement as uniform bytes (a dynamic
        # item's are replaced by its pose), its model-space box and its world box (placed)
        self._ids: list[int] = []
        self._model_bytes: list[bytes] = []
        self._corners = np.zeros((0, 8, 4))  # model-space box corners, homogeneous
        self._world_box = np.zeros((0, 2, 3))  # (lo, hi) in world at world_from_model
        self.refs: list[ObjectRef | None] = [None]  # id -> object (0: nothing)
        self.key = None  # what the items were built from (the caller's)

    def _ensure_gl(self) -> None:
        if self._program is None:
            self._program = program(self.ctx, "picking.vert", "picking.frag")
            ids = self.ctx.texture((1, 1), 1, dtype="u4")
            depth = self.ctx.depth_renderbuffer((1, 1))
            self._fbo = self.ctx.framebuffer([ids], depth)

    def set_items(self, items: list[PickItem], key=None) -> None:
        """Replace the pickable items (ids are given in order; occluders get 0)."""
        self._ensure_gl()
        self._release_items()
        self.refs = [None]
        for item in items:
            if len(item.indices) == 0:
                continue
            vbo = self.ctx.buffer(np.ascontiguousarray(item.positions, np.float32).tobytes())
            ibo = self.ctx.buffer(np.ascontiguousarray(item.indices, np.uint32).tobytes())
            vao = self.ctx.vertex_array(self._program, [(vbo, "3f", "in_position")], ibo)
            self._items.append((item, vbo, ibo, vao))
            if item.ref is not None and item.ref not in self.refs:
                self.refs.append(item.ref)
        index = {ref: i for i, ref in enumerate(self.refs)}
        self._ids = [index[it.ref] if it.ref is not None else 0 for it, *_ in self._items]
        self._model_bytes = [_mat_bytes(it.world_from_model) for it, *_ in self._items]
        corners = []
        for it, *_ in self._items:
            p = np.asarray(it.positions, np.float64)
            lo, hi = p.min(0), p.max(0)
            c = np.array([[(lo, hi)[i >> k & 1][k] for k in range(3)] + [1.0] for i in range(8)])
            corners.append(c)
        self._corners = np.asarray(corners).reshape(-1, 8, 4)
        mats = np.asarray([it.world_from_model for it, *_ in self._items], np.float64)
        self._world_box = _boxes(self._corners, mats.reshape(-1, 4, 4))
        self.key = key

    def pick(
        self,
        clip_from_world: np.ndarray,
        size: tuple[int, int],
        x_px: float,
        y_px: float,
        poses: dict[str, np.ndarray] | None = None,
    ) -> ObjectRef | None:
        """The object drawn at picture point (``x_px``, ``y_px``) of a ``size`` picture seen
        through ``clip_from_world``; None for nothing (the wall, the floor, the sky, outside).
        ``poses``: world matrices of dynamic items by name (characters' pieces)."""
        w, h = size
        if not (0 <= x_px < w and 0 <= y_px < h) or not self._items:
            return None
        ctx, prog = self.ctx, self._program
        clip = pick_matrix(x_px, y_px, size) @ np.asarray(clip_from_world, np.float64)
        # The pixel centre's ray from the near to the far plane, in world: an item whose box it
        # misses cannot cover that centre, so only the items it meets are drawn (the depth test
        # still decides among them).
        boxes = self._world_box
        dyn = [
            i
            for i, (it, *_) in enumerate(self._items)
            if poses and it.name is not None and it.name in poses
        ]
        mats = {}
        if dyn:
            boxes = boxes.copy()
            pm = np.asarray([poses[self._items[i][0].name] for i in dyn], np.float64)
            boxes[dyn] = _boxes(self._corners[dyn], pm)
            mats = dict(zip(dyn, pm, strict=True))
        hit = _ray_meets(np.linalg.inv(clip), boxes)
        self._fbo.use()
        ctx.viewport = (0, 0, 1, 1)
        ctx.scissor = None
        self._fbo.clear(depth=1.0)  # ids cleared to 0
        if hit.any():
            ctx.enable(ctx.DEPTH_TEST)
            ctx.disable(ctx.CULL_FACE | ctx.BLEND)  # thin and flat things pick from both sides
            ctx.depth_func = "<"
            prog["u_clip_from_world"].write(clip.T.astype("f4").tobytes())
            u_model, u_id = prog["u_world_from_model"], prog["u_id"]
            for i in np.flatnonzero(hit):
                u_model.write(_mat_bytes(mats[i]) if i in mats else self._model_bytes[i])
                u_id.value = self._ids[i]
                self._items[i][3].render()
            ctx.disable(ctx.DEPTH_TEST)
        raw = self._fbo.read(components=1, dtype="u4", alignment=1)
        i = int(np.frombuffer(raw, np.uint32)[0])
        return self.refs[i] if 0 < i < len(self.refs) else None

    def _release_items(self) -> None:
        for _, vbo, ibo, vao in self._items:
            vao.release(), vbo.release(), ibo.release()
        self._items = []

    def release(self) -> None:
        self._release_items()
        if self._fbo is not None:
            for a in (*self._fbo.color_attachments, self._fbo.depth_attachment):
                a.release()
            self._fbo.release()
            self._program.release()
        self._fbo = self._program = None


def _mat_bytes(m) -> bytes:
    """A 4 x 4 matrix as a GLSL mat4 uniform (column-major float32)."""
    return np.asarray(m, np.float64).T.astype("f4").tobytes()


def _boxes(corners: np.ndarray, mats: np.ndarray) -> np.ndarray:
    """World boxes (N, 2, 3) (lo, hi) of model boxes' ``corners`` (N, 8, 4) placed by ``mats``
    (N, 4, 4), padded a little for the GPU's float32."""
    w = np.einsum("nij,nkj->nki", mats, corners)[..., :3]
    lo, hi = w.min(1), w.max(1)
    pad = 1e-4 * (1.0 + np.abs(lo).max(1, keepdims=True) + np.abs(hi).max(1, keepdims=True))
    return np.stack([lo - pad, hi + pad], 1)


def _ray_meets(world_from_clip: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Which boxes (N, 2, 3) the segment through clip-space (0, 0) from the near plane to the far
    plane meets (a slab test in world)."""
    a = world_from_clip @ np.array([0.0, 0.0, -1.0, 1.0])
    b = world_from_clip @ np.array([0.0, 0.0, 1.0, 1.0])
    p0, p1 = a[:3] / a[3], b[:3] / b[3]
    d = p1 - p0
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = 1.0 / d
        t0 = (boxes[:, 0] - p0) * inv
        t1 = (boxes[:, 1] - p0) * inv
    tlo, thi = np.minimum(t0, t1), np.maximum(t0, t1)
    # an axis the segment runs along: inside the slab or not at all
    flat = d == 0.0
    inside = (boxes[:, 0] <= p0) & (p0 <= boxes[:, 1])
    tlo = np.where(flat, np.where(inside, -np.inf, np.inf), tlo)
    thi = np.where(flat, np.where(inside, np.inf, -np.inf), thi)
    enter = np.maximum(tlo.max(1), 0.0)
    leave = np.minimum(thi.min(1), 1.0)
    return enter <= leave


def scene_pick_items(
    scene, shot_id: str | None, draw_items, wall_draw_items, lights
) -> list[PickItem]:
    """The pickable items of a scene: set pieces and characters from the renderer's own draw
    items (``draw_items``: previs.render.stage.set_items; a character's pieces are named
    ``<character>/<piece>``), the wall (``wall_draw_items``) and unnamed items as occluders,
    lights (not the sun) as spheres, the shot's floor marks as discs."""
    pieces = {p.name for p in scene.set_pieces if p.kind != "standin"}
    people = {p.name for p in scene.characters}
    out = []
    for it in list(draw_items) + list(wall_draw_items):
        pos, idx = asset_geometry(it.asset)
        ref, name = None, None
        if it.name in pieces:
            ref = ObjectRef("set_piece", it.name)
        elif it.name is not None and "/" in it.name and it.name.rpartition("/")[0] in people:
            ref, name = ObjectRef("character", it.name.rpartition("/")[0]), it.name
        out.append(PickItem(ref, pos, idx, np.asarray(it.world_from_asset, np.float64), name))
    ball = sphere(LIGHT_PROXY_R_M)
    for lt in lights:
        if lt.type != "directional":
            out.append(
                PickItem(
                    ObjectRef("light", lt.name),
                    *ball,
                    tf.translation(lt.position_m),
                    f"light:{lt.name}",
                )
            )
    if shot_id is not None:
        d = disc(MARK_DISC_R_M)
        for mk in scene.shot(shot_id).marks:
            p = np.asarray(mk.point_m, np.float64) + np.array([0.0, MARK_LIFT_M, 0.0])
            out.append(
                PickItem(ObjectRef("mark", f"{mk.character}/{mk.name}"), *d, tf.translation(p))
            )
    return out
