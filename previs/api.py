"""The small Python API that the CLI (and any script) uses.

    import previs
    scene = previs.load_scene("scenes/led_stage.yaml")
    with previs.StageRenderer(scene, width=1920) as r:
        state = previs.evaluate(scene, "1A")
        frame = r.render(state)                 # colour (H, W, 3) uint8, depth (H, W) metres
        previs.write_storyboard_frame(frame, state, scene, "1A.png")
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from previs.core import colour
from previs.core.frame import FrameState, evaluate
from previs.core.scene import Scene, SetPiece
from previs.export.atomic import file_umask, replace_file, write_atomic, write_png  # noqa: F401
from previs.io.meshes import Asset, Material, MeshPart, load_asset, primitive_asset

__all__ = ["load_scene", "evaluate", "StageRenderer", "write_storyboard_frame", "storyboard_image",
           "set_items"]


def load_scene(path) -> Scene:
    from previs.io.scene_file import load_scene as _load

    return _load(path)


def _piece_asset(piece: SetPiece) -> Asset:
    if piece.kind == "mesh":
        asset = load_asset(piece.mesh_path)
        tint = tuple(piece.color_linear)
        if tint == (1.0, 1.0, 1.0):
            return asset  # no colour in the scene file: the mesh's own materials
        # A colour in the scene file multiplies the mesh's base colour (glTF's factor semantics).
        from dataclasses import replace

        parts = tuple(replace(p, material=replace(
            p.material, key=f"{p.material.key}*{tint}",
            base_color=(*(c * t for c, t in zip(p.material.base_color[:3], tint, strict=True)),
                        p.material.base_color[3]))) for p in asset.parts)
        return replace(asset, parts=parts)
    return primitive_asset(piece.kind, size_m=piece.size_m, radius_m=piece.radius_m,
                           height_m=piece.height_m, color_linear=piece.color_linear,
                           roughness=piece.roughness, metallic=piece.metallic,
                           key=f"piece:{piece.name}")


def set_items(scene: Scene):
    """The physical set (and the stage floor) as renderer draw items."""
    from previs.render import DrawItem

    items = [DrawItem(_piece_asset(p), p.world_from_local, name=p.name) for p in scene.set_pieces]
    if scene.stage is not None:
        floor = primitive_asset("plane", size_m=(scene.stage.floor_width_m, scene.stage.floor_depth_m),
                                color_linear=(0.03, 0.03, 0.03), roughness=0.9, key="stage-floor")
        items.append(DrawItem(floor, np.eye(4)))
    return items


def sun_direction(azimuth_deg: float, elevation_deg: float) -> np.ndarray:
    """Unit vector towards the sun; azimuth 0 = +Z, 90 = +X (the scene-file convention)."""
    az, el = math.radians(azimuth_deg), math.radians(elevation_deg)
    return np.array([math.sin(az) * math.cos(el), math.sin(el), math.cos(az) * math.cos(el)])


def sun_colour_linear(elevation_deg: float) -> np.ndarray:
    """Sunlight warms as the sun drops: about 2000 K at the horizon to 5800 K high up."""
    t = max(0.0, min(1.0, elevation_deg / 45.0))
    rgb = np.asarray(colour.kelvin_to_linear_rgb(2000.0 + (5800.0 - 2000.0) * math.sqrt(t)))
    return rgb / max(colour.luminance(rgb), 1e-9)


def wall_eye_m(scene: Scene) -> np.ndarray:
    """The fixed stage point the outer frustum is rendered from and the wall's light is measured
    at: the middle of the set (where the action is) at eye height, or the volume's centre."""
    if scene.set_pieces:
        pts = [p.world_from_local[[0, 2], 3] for p in scene.set_pieces]
    else:
        pts = [sec.center_xz_m if hasattr(sec, "radius_m") else
               tuple((np.asarray(sec.start_xz_m) + np.asarray(sec.end_xz_m)) / 2) for sec in scene.stage.sections]
    x, z = np.mean(np.asarray(pts, float), axis=0)
    return np.array([x, 1.7, z])


class WallContent:
    """Renders what the wall shows: the virtual environment under its own sun and sky, seen from
    the stage point, as a cube of wall signal (0 = black, 1 = full white). The environment is a
    dynamic item, so a driving shot only moves it; the cube is captured again only when the world
    or the sun moved."""

    def __init__(self, scene: Scene, ctx, size: int = 512):
        from previs.render import DrawItem, Renderer

        self.size = int(size)
        self.eye_m = wall_eye_m(scene)
        env = scene.environment
        items = []
        if env.gltf_path is not None:
            items.append(DrawItem(load_asset(env.gltf_path), env.world_from_env, name="environment"))
        self._renderer = Renderer(self.size, self.size, ctx=ctx, antialias=False)
        self._renderer.set_world(items, [], ambient_up_nits=(0.25, 0.32, 0.45), ambient_down_nits=(0.06, 0.05, 0.04),
                                 dynamic={"environment"})
        self._key = None
        self.cube: np.ndarray | None = None

    def update(self, world_from_env: np.ndarray, sky) -> bool:
        """Capture again if the world or the sky changed; True when it did."""
        from previs.core.scene import Light

        key = (np.asarray(world_from_env).tobytes(), None if sky is None else
               (sky.sun_azimuth_deg, sky.sun_elevation_deg, sky.turbidity))
        if key == self._key:
            return False
        self._key = key
        sun_dir = sun_direction(sky.sun_azimuth_deg, sky.sun_elevation_deg) if sky else np.array([0.3, 0.8, 0.5])
        sun_rgb = sun_colour_linear(sky.sun_elevation_deg if sky else 45.0)
        # The virtual world is lit by its own sun: illuminance pi puts a white diffuse surface at 1.
        sun = Light(name="virtual sun", type="directional", color_linear=tuple(sun_rgb), intensity=math.pi,
                    direction=tuple(-sun_dir), shadows=True)
        r = self._renderer
        r.set_poses({"environment": world_from_env})
        r.set_lights([sun] if sun_dir[1] > 0 else [])
        r.set_sky(sun_dir if sky else None, sun_rgb, sky.turbidity if sky else 3.0)
        self.cube = r.capture_cube(self.eye_m, size=self.size, signal=True)
        return True

    def inner_view(self, world_from_camera: np.ndarray, yfov_rad: float, aspect: float,
                   overscan_pct: float, width_px: int):
        """The inner frustum's camera: the tracked camera ``overscan_pct`` wider on every side.
        Returns (CameraView, (width, height) in pixels)."""
        from previs.render import CameraView

        grow = 1.0 + overscan_pct / 100.0
        yfov = 2.0 * math.atan(math.tan(yfov_rad / 2.0) * grow)
        w = int(width_px)
        h = max(1, int(round(w / aspect)))
        return CameraView(np.asarray(world_from_camera, float), yfov, aspect, 0.5, 20000.0), (w, h)

    def render_inner(self, view, size: tuple[int, int], tiles: np.ndarray | None = None):
        """The world through ``view`` (from :meth:`inner_view`) as wall signal: a texture on
        the shared context, left on the GPU and valid until the next call. ``tiles``: only
        those (see Renderer.seen_wall_tiles). Call :meth:`update` first (world, sun)."""
        self._renderer.resize(*size)
        return self._renderer.render_signal(view, tiles)

    def release(self) -> None:
        self._renderer.release()


def _tile_share(tiles: np.ndarray, size: tuple[int, int]) -> float:
    """The share of an image of ``size`` pixels that the tiles (SEEN_TILE_PX a side) cover."""
    from previs.render.renderer import SEEN_TILE_PX

    w, h = size
    rows, cols = tiles.shape
    col_px = np.clip(w - SEEN_TILE_PX * np.arange(cols), 0, SEEN_TILE_PX)  # the last ones may be cut
    row_px = np.clip(h - SEEN_TILE_PX * np.arange(rows), 0, SEEN_TILE_PX)
    return float(row_px @ tiles.astype(np.float64) @ col_px) / (w * h)


def camera_view(state: FrameState, size: tuple[int, int]):
    """The renderer's view of ``state``'s camera for an image of ``size`` (w, h) pixels."""
    from previs.render import CameraView

    w, h = size
    return CameraView(state.world_from_camera, state.yfov_rad, w / h, state.near_m, state.far_m)


def wall_items(scene: Scene):
    """The LED wall (and ceiling) as geometry that emits the wall content."""
    from previs.core.stage import wall_mesh
    from previs.render import DrawItem

    if scene.stage is None:
        return []
    mesh = wall_mesh(scene.stage)
    # LED cabinets are near-black and fairly glossy; what they emit comes from the wall content.
    mat = Material(key="led-wall", base_color=(0.02, 0.02, 0.02, 1.0), roughness=0.35, led_wall=True)
    n = len(mesh.positions)
    part = MeshPart(positions=np.asarray(mesh.positions, np.float32), normals=np.asarray(mesh.normals, np.float32),
                    uvs=np.asarray(mesh.panel_uv, np.float32), colors=np.ones((n, 4), np.float32),
                    indices=np.asarray(mesh.indices, np.uint32), material=mat)
    return [DrawItem(Asset(source="<led wall>", parts=(part,)), np.eye(4))]


def led_light(scene: Scene, content: np.ndarray, wall_nits: float, cdl=None, *, size: int = 32
              ) -> tuple[np.ndarray, np.ndarray]:
    """The LED surfaces as a light: (radiance cube in nits, irradiance cube in lux) seen from the
    stage point, the content graded and driven as the wall shows it, black where no panel is."""
    from previs.core.cues import apply_cdl
    from previs.core.ledcheck import irradiance_cube, led_radiance_cube

    n = content.shape[1]
    k = max(1, n // size)
    # Box means of k x k texels, rows first then columns: a fifth of the time of one mean over
    # both axes of the 6-D view (a driving shot does this every frame).
    rows = content[:, : k * size, : k * size].reshape(6, size, k, k * size, 3).sum(axis=2, dtype=np.float64)
    small = rows.reshape(6, size, size, k, 3).sum(axis=3) / (k * k)
    if cdl is not None:
        small = apply_cdl(small, cdl)
    radiance = led_radiance_cube(scene.stage, wall_eye_m(scene), small * wall_nits)
    return radiance, irradiance_cube(radiance)


class StageRenderer:
    """A renderer set up for one scene: the set, the wall and the lights uploaded once; each
    frame only what changed (lights, walking stand-ins, the wall's world, sun and grade)."""

    def __init__(self, scene: Scene, *, width: int = 1920, antialias: bool = True, shadows: bool = True,
                 wall_resolution: int = 512, dof: bool = False, half_res_lighting: bool = False,
                 depth_only: bool = False):
        from previs.render import Renderer

        self.width = int(width)
        self.dof = bool(dof)  # depth-of-field preview from the lens (Renderer.render's dof)
        self._wall_resolution = int(wall_resolution)
        self._renderer = Renderer(self.width, max(1, self.width * 9 // 16), antialias=antialias,
                                  shadows=shadows)
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
        walkers = frozenset(w.standin for shot in scene.shots for w in shot.walks)
        same_world = (old is not None and scene.set_pieces is old.set_pieces and scene.stage is old.stage
                      and scene.lights is old.lights and walkers == self._walkers)
        same_wall = (old is not None and scene.stage is old.stage and scene.environment is old.environment
                     and scene.set_pieces is old.set_pieces)  # the wall's eye point follows the set
        self._scene = scene
        r = self._renderer
        if not same_wall:
            if self._wall is not None:
                self._wall.release()
            self._wall = (WallContent(scene, r.ctx, self._wall_resolution)
                          if scene.stage is not None and not self._depth_only else None)
            r.set_wall_content(None)
            r.set_led_light(None)
            if scene.stage is not None:
                p = scene.stage.panel
                # Red falls off a little faster and blue slower off axis: the colour shift of RGB
                # LEDs seen at an angle (a modelling assumption; reference 4.1).
                k = p.falloff_k
                r.set_panel((p.panel_width_px, p.panel_height_px), p.fill_factor, (1.1 * k, k, 0.9 * k),
                            p.pixel_pitch_mm)
        if not same_world:
            self._walkers = walkers
            r.set_world(set_items(scene) + wall_items(scene), list(scene.lights), dynamic=walkers)
        self._drive = None
        self._inner_key = None
        self._inner_tiles = None
        self._pending_inner = None
        self._seen_key = None
        self._poses_key = None
        r.set_inner_frustum(None)

    @property
    def gl_renderer(self) -> str:
        return self._renderer.gl_renderer

    def _apply(self, state: FrameState, width_px: int) -> None:
        r = self._renderer
        lights = list(state.lights) if state.lights else list(self.scene.lights)
        if state.poses:
            r.set_poses(state.poses)
        self._poses_key = tuple((k, np.asarray(v).tobytes()) for k, v in sorted(state.poses.items())) \
            if state.poses else None
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
                r.set_wall_drive(nits, None if cdl is None else (cdl.slope, cdl.offset, cdl.power, cdl.saturation))
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
        view, size = self._wall.inner_view(state.tracked_world_from_camera, state.tracked_yfov_rad,
                                           state.image_aspect, inner.overscan_pct, width)
        key = (state.tracked_world_from_camera.tobytes(), state.tracked_yfov_rad, state.image_aspect, size)
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
        if key == self._inner_key and (self._inner_tiles is None if tiles is None else
                                       self._inner_tiles is None or not (tiles & ~self._inner_tiles).any()):
            return  # what was rendered covers what is seen now (a whole one covers anything)
        image = self._wall.render_inner(view, size, tiles)
        inner = self.scene.stage.inner_frustum
        main.set_inner_frustum(image, view.clip_from_world, inner.soft_edge_pct / 100.0, inner.show_border)
        self._inner_key, self._inner_tiles = key, tiles
        self.inner_frustum_renders += 1
        self.inner_frustum_share = 1.0 if tiles is None else _tile_share(tiles, size)

    def render(self, state: FrameState, *, overlay: bool = True, read_depth: bool = True,
               width: int | None = None, dof: bool | None = None, output_width: int | None = None,
               half_res_lighting: bool | None = None):
        """One frame as the camera records it. ``width`` overrides the render width for this
        call (the height follows the image aspect): a window drops its resolution while the
        camera moves. ``dof`` overrides the renderer's depth-of-field preview for this call.
        ``output_width``: the colour scaled on the GPU to the image at that width (the
        animatic's draft scale renders smaller and delivers full size); depth stays as rendered.
        ``half_res_lighting`` overrides :attr:`half_res_lighting` for this call (the window
        lights at half resolution only while the picture moves)."""
        from previs.render import Overlay

        w, h = state.image_size(self.width if width is None else int(width))
        self._apply(state, w)
        # The T-stop stands in for the f-number (they differ by the lens's transmission).
        self._renderer.set_lens(state.focal_length_mm, state.t_stop, state.focus_m,
                                sensor_width_mm=state.mode.width_mm * state.squeeze)
        self._renderer.resize(w, h)
        view = camera_view(state, (w, h))
        ov = Overlay(frame_aspect=state.delivery_aspect, safe_areas=state.safe_areas) if overlay else None
        out = None if output_width is None else state.image_size(int(output_width))
        hook = self._render_inner if self._pending_inner is not None else None
        self._renderer.half_res_lighting = bool(self.half_res_lighting if half_res_lighting is None
                                                else half_res_lighting)
        return self._renderer.render(view, exposure=state.exposure_scale, overlay=ov, read_depth=read_depth,
                                     dof=self.dof if dof is None else bool(dof), output_size=out, before_wall=hook)

    def release(self) -> None:
        if self._wall is not None:
            self._wall.release()
        self._renderer.release()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.release()


def caption_lines(state: FrameState, scene: Scene) -> list[str]:
    shot = scene.shot(state.shot_id)
    kit = state.lens.kit_name
    sq = f" {state.squeeze:g}x anamorphic" if state.squeeze != 1 else ""
    focus = "inf" if math.isinf(state.focus_m) else f"{state.focus_m:.2f} m"
    when = "" if shot.is_static else f"  ·  frame {state.frame} ({state.timecode})"
    first = f"{shot.id}{when}  ·  Sc {shot.scene_number}  ·  {shot.description}"
    second = (f"{state.mode.body_name} {state.mode.mode_name}  ·  {kit} {state.focal_length_mm:g} mm{sq}  ·  "
              f"T{state.t_stop:g}  ·  focus {focus}  ·  ISO {state.iso:g} {state.shutter_angle_deg:g}°  ·  "
              f"{shot.length_frames} fr @ {float(state.frame_rate):.3f}".rstrip("0").rstrip("."))
    return [first, second]


def storyboard_image(frame, state: FrameState, scene: Scene):
    """The frame with a caption strip underneath (a PIL image)."""
    from PIL import Image, ImageDraw, ImageFont

    img = Image.fromarray(frame.color)
    w, h = img.size
    size = max(12, w // 60)
    font = ImageFont.load_default(size=size)
    small = ImageFont.load_default(size=max(10, int(size * 0.8)))
    strip_h = int(size * 3.2)
    out = Image.new("RGB", (w, h + strip_h), (18, 18, 18))
    out.paste(img, (0, 0))
    d = ImageDraw.Draw(out)
    lines = caption_lines(state, scene)
    pad = size // 2
    d.text((pad, h + pad), fit_text(d, lines[0], font, w - 2 * pad), fill=(240, 240, 240), font=font)
    d.text((pad, h + pad + int(size * 1.4)), fit_text(d, lines[1], small, w - 2 * pad), fill=(190, 190, 190), font=small)
    return out


def fit_text(draw, text: str, font, max_w: float) -> str:
    """``text``, cut with an ellipsis to fit ``max_w`` pixels."""
    if draw.textlength(text, font=font) <= max_w:
        return text
    while text and draw.textlength(text + "…", font=font) > max_w:
        text = text[:-1]
    return text + "…"


# Files are written whole (previs.export.atomic); the names stay here for scripts that used them.
atomic_write_bytes = write_atomic


def write_storyboard_frame(frame, state: FrameState, scene: Scene, path: str | Path) -> None:
    write_png(storyboard_image(frame, state, scene), path)
