"""FrameState to pixels for a whole stage: the set, the LED wall (its content, its light, the
inner frustum) and the lights of a scene set up once on a :class:`Renderer`, then each frame
only what changed."""

from __future__ import annotations

import functools
from dataclasses import replace
from pathlib import Path
from typing import Protocol

import numpy as np

from previs.core.frame import FrameState
from previs.core.mesh import Asset
from previs.core.scene import Scene, SetPiece
from previs.render.ocio import display_shader
from previs.render.passes.wall import SEEN_TILE_PX
from previs.render.renderer import CameraView, DrawItem, Overlay, Renderer
from previs.render.wall import WallContent, led_light, wall_items


class AssetSource(Protocol):
    """Where a scene's geometry comes from: its mesh files and its primitives (the module
    previs.io.meshes is one). Render never reads files itself."""

    def load_asset(self, path: str | Path, *, variants: dict[str, str] | None = None) -> Asset: ...

    def primitive_asset(self, kind: str, **options) -> Asset: ...


def piece_asset(piece: SetPiece, assets: AssetSource) -> Asset:
    """A set piece's geometry: its mesh file (tinted by the scene's colour) or its primitive."""
    if piece.kind == "mesh":
        asset = assets.load_asset(piece.mesh_path, variants=dict(piece.mesh_variants) or None)
        tint = tuple(piece.color_linear)
        if tint == (1.0, 1.0, 1.0):
            return asset  # no colour in the scene file: the mesh's own materials
        # A colour in the scene file multiplies the mesh's base colour (glTF's factor semantics).
        parts = tuple(
            replace(
                p,
                material=replace(
                    p.material,
                    key=f"{p.material.key}*{tint}",
                    base_color=(
                        *(c * t for c, t in zip(p.material.base_color[:3], tint, strict=True)),
                        p.material.base_color[3],
                    ),
                ),
            )
            for p in asset.parts
        )
        return replace(asset, parts=parts)
    return assets.primitive_asset(
        piece.kind,
        size_m=piece.size_m,
        radius_m=piece.radius_m,
        height_m=piece.height_m,
        color_linear=piece.color_linear,
        roughness=piece.roughness,
        metallic=piece.metallic,
        key=f"piece:{piece.name}",
    )


FIGURE_SEP = "/"
"""Draw items of a character's body pieces are named ``<character>/<piece>``."""


def figure_items(scene: Scene) -> list[DrawItem]:
    """Every character as its mannequin's rigid pieces (previs.io.figure_mesh) in its own colour,
    standing where the scene puts it; :func:`figure_poses` moves the pieces each frame."""
    from previs.core.frame import _rigid
    from previs.io.figure_mesh import figure_assets

    items = []
    for p in scene.characters:
        root, scale = _rigid(p.world_from_local)
        for name, asset in figure_assets(
            p.height_m * scale, p.color_linear, p.roughness, p.metallic, key=f"figure:{p.name}"
        ).items():
            items.append(DrawItem(asset, root, name=f"{p.name}{FIGURE_SEP}{name}"))
    return items


def figure_names(scene: Scene) -> frozenset[str]:
    """The draw-item names of every character's pieces (dynamic: they move every frame)."""
    from previs.io.figure_mesh import PIECES

    return frozenset(f"{p.name}{FIGURE_SEP}{k}" for p in scene.characters for k in PIECES)


def figure_poses(state: FrameState) -> dict[str, np.ndarray]:
    """World matrices of every character's pieces at ``state`` (its posed figures)."""
    from previs.core.figure import segment_matrices

    out = {}
    for name, ch in state.figures.items():
        for piece, m in segment_matrices(ch.posed).items():
            out[f"{name}{FIGURE_SEP}{piece}"] = m
    return out


@functools.lru_cache(maxsize=64)
def _rest_posed(height_m: float):
    from previs.core.figure import rest_posed

    return rest_posed(height_m)


def _pick_poses(state: FrameState) -> dict[str, np.ndarray]:
    """:func:`figure_poses` for a pick: the same matrices (previs.core.figure.segment_matrices),
    the rest figure of each height made once."""
    from previs.core.figure import JOINT_INDEX, SEGMENT_JOINT

    out = {}
    for name, ch in state.figures.items():
        posed = ch.posed
        rest = _rest_posed(posed.height_m)
        for seg, j in SEGMENT_JOINT.items():
            k = JOINT_INDEX[j]
            m = np.eye(4)
            m[:3, :3] = posed.rotations[k] @ rest.rotations[k].T
            m[:3, 3] = posed.positions_m[k] - m[:3, :3] @ rest.positions_m[k]
            out[f"{name}{FIGURE_SEP}{seg}"] = m
    return out


def set_items(scene: Scene, assets: AssetSource) -> list[DrawItem]:
    """The physical set, the characters (:func:`figure_items`) and the stage floor as renderer
    draw items."""
    items = [
        DrawItem(piece_asset(p, assets), p.world_from_local, name=p.name)
        for p in scene.set_pieces
        if p.kind != "standin"
    ]
    items += figure_items(scene)
    if scene.stage is not None:
        floor = assets.primitive_asset(
            "plane",
            size_m=(scene.stage.floor_width_m, scene.stage.floor_depth_m),
            color_linear=(0.03, 0.03, 0.03),
            roughness=0.9,
            key="stage-floor",
        )
        items.append(DrawItem(floor, np.eye(4)))
    return items


def camera_view(state: FrameState, size: tuple[int, int]) -> CameraView:
    """The renderer's view of ``state``'s camera for an image of ``size`` (w, h) pixels."""
    w, h = size
    return CameraView(state.world_from_camera, state.yfov_rad, w / h, state.near_m, state.far_m)


def _tile_share(tiles: np.ndarray, size: tuple[int, int]) -> float:
    """The share of an image of ``size`` pixels that the tiles (SEEN_TILE_PX a side) cover."""
    w, h = size
    rows, cols = tiles.shape
    col_px = np.clip(
        w - SEEN_TILE_PX * np.arange(cols), 0, SEEN_TILE_PX
    )  # the last ones may be cut
    row_px = np.clip(h - SEEN_TILE_PX * np.arange(rows), 0, SEEN_TILE_PX)
    return float(row_px @ tiles.astype(np.float64) @ col_px) / (w * h)


class StageRenderer:
    """A renderer set up for one scene: the set, the wall and the lights uploaded once; each
    frame only what changed (lights, walking stand-ins, the wall's world, sun and grade).
    ``assets`` reads the scene's mesh files and builds its primitives (previs.io.meshes;
    previs.api.StageRenderer passes it)."""

    def __init__(
        self,
        scene: Scene,
        *,
        width: int = 1920,
        antialias: bool = True,
        shadows: bool = True,
        wall_resolution: int = 512,
        dof: bool = False,
        half_res_lighting: bool = False,
        depth_only: bool = False,
        assets: AssetSource,
    ):
        self._assets = assets
        self.width = int(width)
        self.dof = bool(dof)  # depth-of-field preview from the lens (Renderer.render's dof)
        self._wall_resolution = int(wall_resolution)
        self._renderer = Renderer(
            self.width, max(1, self.width * 9 // 16), antialias=antialias, shadows=shadows
        )
        # Light at half resolution (Renderer.half_res_lighting) unless a render call says
        # otherwise: the animatic's default; False lights every pixel.
        self.half_res_lighting = bool(half_res_lighting)
        # Only the depth is wanted (previs check's probe): the panels are drawn, but what they
        # show (the virtual world, the wall as a light, the inner frustum) is never rendered.
        # Set at construction only (it decides whether the wall's renderer is made).
        self._depth_only = bool(depth_only)
        self._wall = None
        self.inner_frustum_renders = 0  # counters, for tests and benchmarks
        self.inner_frustum_skipped = 0
        self.inner_frustum_share = 0.0  # of the inner frustum's pixels, the share last rendered
        # False renders the inner frustum only where the camera sees the wall past the set (the
        # picture is the same); True renders all of it, as the stage's render node does.
        self.whole_inner_frustum = False
        self.world_builds = 0  # the world uploaded (Renderer.set_world), a counter
        self._drag: tuple[str, frozenset[str], np.ndarray | None] | None = None
        self._scene = None
        self.scene = scene

    @property
    def scene(self) -> Scene:
        return self._scene

    @scene.setter
    def scene(self, scene: Scene) -> None:
        """Swap the scene between frames (the blocking window makes a new Scene per edit). What
        the GPU holds is rebuilt only for the parts that changed (by identity: an edit that
        keeps the set, stage, world and lights keeps their objects); per-frame state (inner
        frustum, wall drive, shadow maps of moving stand-ins) is always dropped, so nothing of
        the old scene is shown."""
        old = self._scene
        walkers = figure_names(scene)  # every character's pieces: poses change per frame
        dragged, self._drag = self._drag, None
        same_world = (
            old is not None
            and dragged is None  # a drag's world (and its kept shadows) is rebuilt once after it
            and scene.set_pieces is old.set_pieces
            and scene.stage is old.stage
            and scene.lights is old.lights
            and walkers == self._walkers
        )
        same_wall = (
            old is not None
            and scene.stage is old.stage
            and scene.environment is old.environment
            and scene.set_pieces is old.set_pieces
        )  # the wall's eye point follows the set
        self._scene = scene
        r = self._renderer
        out = scene.output
        r.display_shader = display_shader(out.display, out.view, out.config)
        if not same_wall:
            if self._wall is not None:
                self._wall.release()
            self._wall = (
                WallContent(scene, r.ctx, self._wall_resolution, load_asset=self._assets.load_asset)
                if scene.stage is not None and not self._depth_only
                else None
            )
            r.set_wall_content(None)
            r.set_led_light(None)
            if scene.stage is not None:
                p = scene.stage.panel
                # Red falls off a little faster and blue slower off axis: the colour shift of RGB
                # LEDs seen at an angle (a modelling assumption; reference 4.1).
                k = p.falloff_k
                r.set_panel(
                    (p.panel_width_px, p.panel_height_px),
                    p.fill_factor,
                    (1.1 * k, k, 0.9 * k),
                    p.pixel_pitch_mm,
                )
        if not same_world:
            self._walkers = walkers
            self._set_world(scene, walkers)
        self._drive = None
        self._inner_key = None
        self._inner_tiles = None
        self._pending_inner = None
        self._seen_key = None
        self._poses_key = None
        r.set_inner_frustum(None)

    def _set_world(self, scene: Scene, dynamic: frozenset[str]) -> None:
        self._renderer.set_world(
            set_items(scene, self._assets) + wall_items(scene), list(scene.lights), dynamic=dynamic
        )
        self.world_builds += 1

    def show_drag(self, scene: Scene, name: str) -> None:
        """Show ``scene``, the scene shown now with only the set piece or character ``name``
        moved (the blocking window's preview of a drag step), by its transform alone: the
        batches, the shadow maps and the wall (its content, its light) stay as they are. The
        shadow maps and the wall's reflection of the dragged object are stale until the drag
        ends (they show it where the drag began); the next :attr:`scene` after the drag, the
        document's, rebuilds the world once. A set piece is merged into the static batches: its
        first drag step re-batches the world with it dynamic (no shadow or wall render). A
        preview that changes anything else is shown as any new scene is."""
        old = self._scene
        piece = next((p for p in scene.set_pieces if p.name == name), None)
        if (
            piece is None
            or old is None
            or scene.stage is not old.stage
            or scene.lights is not old.lights
            or scene.environment is not old.environment
            or scene.output is not old.output
            or len(scene.set_pieces) != len(old.set_pieces)
            or any(
                a is not b and (a.name != name or b.name != name)
                for a, b in zip(scene.set_pieces, old.set_pieces, strict=True)
            )
            or (self._drag is not None and self._drag[0] != name)
        ):
            self.scene = scene
            return
        if piece.kind == "standin":  # a character: its pieces are dynamic already
            prefix = f"{name}{FIGURE_SEP}"
            names = frozenset(n for n in self._walkers if n.startswith(prefix))
            matrix = None  # its pieces' poses come from the frame state, as they walk
        else:
            names = frozenset((name,))
            matrix = np.asarray(piece.world_from_local, dtype=np.float64)
            if self._drag is None:
                # Re-batch with the piece dynamic; the shadow maps are kept (no render).
                dirty = self._renderer.shadow_pass.dirty
                self._set_world(old, self._walkers | names)
                self._renderer.shadow_pass.dirty = dirty
        self._drag = (name, names, matrix)
        self._scene = scene
        self._seen_key = None

    @property
    def gl_renderer(self) -> str:
        return self._renderer.gl_renderer

    def _apply(self, state: FrameState, width_px: int) -> None:
        r = self._renderer
        lights = list(state.lights) if state.lights else list(self.scene.lights)
        poses = figure_poses(state) if self._walkers else {}
        if self._drag is not None:
            # The dragged object moves without recasting its shadow (stale until the drag ends).
            _, names, matrix = self._drag
            kept = {k: poses.pop(k) for k in names if k in poses}
            if matrix is not None:
                kept = {n: matrix for n in names}
            r.set_poses(kept, recast=False)
            poses_key = {**poses, **kept}
        else:
            poses_key = poses
        if poses:
            r.set_poses(poses)
        self._poses_key = (
            tuple((k, np.asarray(v).tobytes()) for k, v in sorted(poses_key.items()))
            if poses_key
            else None
        )
        if self._wall is not None:
            w = state.wall
            env = self.scene.environment
            world = env.world_from_env if w is None else w.world_from_env
            sky = env.sky if w is None else w.sky
            nits = env.wall_brightness_nits if w is None else w.brightness_nits
            cdl = None if w is None or w.cdl.is_identity else w.cdl
            changed = self._wall.update(world, sky)
            if changed:
                r.set_wall_content(self._wall.cube, self._wall.eye_m, nits)
            drive = (nits, cdl)
            if changed or drive != self._drive:
                self._drive = drive
                r.set_led_light(*led_light(self.scene, self._wall.cube, nits, cdl))
                r.set_wall_drive(
                    nits,
                    None if cdl is None else (cdl.slope, cdl.offset, cdl.power, cdl.saturation),
                )
            self._apply_inner_frustum(state, changed, width_px)
        r.set_lights(lights)

    def _apply_inner_frustum(self, state: FrameState, world_changed: bool, width_px: int) -> None:
        """Decide whether this frame needs the inner frustum; it is rendered from the tracked
        pose in the middle of the frame (:meth:`_render_inner`), once the set is drawn, for
        only the wall the camera sees past it."""
        self._pending_inner = None
        inner = self.scene.stage.inner_frustum
        if not inner.enabled or state.tracked_world_from_camera is None:
            self._drop_inner()
            return
        # Never more pixels than the camera image spans across the frustum (nDisplay's buffer ratio 1).
        width = min(inner.resolution_px, int(width_px * (1 + inner.overscan_pct / 100)))
        view, size = self._wall.inner_view(
            state.tracked_world_from_camera,
            state.tracked_yfov_rad,
            state.image_aspect,
            inner.overscan_pct,
            width,
        )
        key = (
            state.tracked_world_from_camera.tobytes(),
            state.tracked_yfov_rad,
            state.image_aspect,
            size,
        )
        if world_changed:
            self._inner_key = self._seen_key = None
        self._pending_inner = (key, view, size)

    def _drop_inner(self) -> None:
        if self._inner_key is not None:
            self._renderer.set_inner_frustum(None)
        self._inner_key = None
        self._inner_tiles = None
        self._seen_key = None

    def _render_inner(self, main) -> None:
        """Between the set and the wall of the camera's frame (Renderer.render's before_wall):
        render the inner frustum where the camera sees wall, unless the last one still covers it
        (same tracked pose and world, and no newly seen tile)."""
        key, view, size = self._pending_inner
        if self.whole_inner_frustum:
            tiles = None
        else:
            # Nothing moved (tracked pose, camera, walking stand-ins): the last one still fits.
            seen_key = (key, main.view_clip_from_world.tobytes(), self._poses_key)
            if seen_key == self._seen_key:
                return  # the last decision (this inner frustum, or none: a close-up) still holds
            tiles = main.seen_wall_tiles(view.clip_from_world, size)
            empty = not tiles.any()  # no panel in view past the set (a close-up): nothing to render
            if empty:
                self._drop_inner()
                self.inner_frustum_skipped += 1
            self._seen_key = seen_key  # (after the drop, which forgets it)
            if empty:
                return
        if key == self._inner_key and (
            self._inner_tiles is None
            if tiles is None
            else self._inner_tiles is None or not (tiles & ~self._inner_tiles).any()
        ):
            return  # what was rendered covers what is seen now (a whole one covers anything)
        image = self._wall.render_inner(view, size, tiles)
        inner = self.scene.stage.inner_frustum
        main.set_inner_frustum(
            image, view.clip_from_world, inner.soft_edge_pct / 100.0, inner.show_border
        )
        self._inner_key, self._inner_tiles = key, tiles
        self.inner_frustum_renders += 1
        self.inner_frustum_share = 1.0 if tiles is None else _tile_share(tiles, size)

    def render(
        self,
        state: FrameState,
        *,
        overlay: bool = True,
        read_depth: bool = True,
        width: int | None = None,
        dof: bool | None = None,
        output_width: int | None = None,
        half_res_lighting: bool | None = None,
    ):
        """One frame as the camera records it. ``width`` overrides the render width for this
        call (the height follows the image aspect): a window drops its resolution while the
        camera moves. ``dof`` overrides the renderer's depth-of-field preview for this call.
        ``output_width``: the colour scaled on the GPU to the image at that width (the
        animatic's draft scale renders smaller and delivers full size); depth stays as rendered.
        ``half_res_lighting`` overrides :attr:`half_res_lighting` for this call (the window
        lights at half resolution only while the picture moves)."""
        w, h = state.image_size(self.width if width is None else int(width))
        self._apply(state, w)
        # The T-stop stands in for the f-number (they differ by the lens's transmission).
        self._renderer.set_lens(
            state.focal_length_mm,
            state.t_stop,
            state.focus_m,
            sensor_width_mm=state.mode.width_mm * state.squeeze,
        )
        self._renderer.resize(w, h)
        view = camera_view(state, (w, h))
        ov = (
            Overlay(frame_aspect=state.delivery_aspect, safe_areas=state.safe_areas)
            if overlay
            else None
        )
        out = None if output_width is None else state.image_size(int(output_width))
        hook = self._render_inner if self._pending_inner is not None else None
        self._renderer.half_res_lighting = bool(
            self.half_res_lighting if half_res_lighting is None else half_res_lighting
        )
        return self._renderer.render(
            view,
            exposure=state.exposure_scale,
            overlay=ov,
            read_depth=read_depth,
            dof=self.dof if dof is None else bool(dof),
            output_size=out,
            before_wall=hook,
        )

    def render_linear(
        self, state: FrameState, *, width: int | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The frame as scene-linear Rec.709 light (the camera's exposure applied, before any
        output transform) and depth along the lens axis in metres: Renderer.render_linear, for
        EXRs. ``width`` as :meth:`render`; lit at every pixel."""
        w, h = state.image_size(self.width if width is None else int(width))
        self._apply(state, w)
        self._renderer.set_lens(
            state.focal_length_mm,
            state.t_stop,
            state.focus_m,
            sensor_width_mm=state.mode.width_mm * state.squeeze,
        )
        self._renderer.resize(w, h)
        hook = self._render_inner if self._pending_inner is not None else None
        return self._renderer.render_linear(
            camera_view(state, (w, h)), exposure=state.exposure_scale, before_wall=hook
        )

    def pick(self, state: FrameState, x_px: float, y_px: float, *, width: int | None = None):
        """The scene object (previs.render.passes.picking.ObjectRef) at picture point (``x_px``,
        ``y_px``), pixels from the top-left of the picture ``state`` gives at ``width`` (default
        the renderer's; a pixel's centre is ``i + 0.5``), as this renderer draws it; None for the
        wall, the floor, the sky. An ID buffer of one pixel (PickingPass)."""
        from previs.render.passes.picking import scene_pick_items

        lights = list(state.lights) if state.lights else list(self.scene.lights)
        key = (id(self.scene), state.shot_id, tuple((lt.name, lt.position_m) for lt in lights))
        r = self._renderer
        if r.picking_pass.key != key or getattr(self, "_pick_scene", None) is not self.scene:
            self._pick_scene = self.scene  # (ids of freed scenes come back: identity decides)
            r.set_pick_items(
                scene_pick_items(
                    self.scene,
                    state.shot_id,
                    set_items(self.scene, self._assets),
                    wall_items(self.scene),
                    lights,
                ),
                key,
            )
        size = state.image_size(self.width if width is None else int(width))
        poses = _pick_poses(state) if self._walkers else None
        return r.pick(camera_view(state, size), size, float(x_px), float(y_px), poses)

    def release(self) -> None:
        if self._wall is not None:
            self._wall.release()
        self._renderer.release()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.release()
