"""The LED wall as the stage drives it: what it shows (the virtual world under its own sun,
captured from the stage point), the panels as geometry and the panels as a light on the set."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np

from previs.core import colour
from previs.core.mesh import Asset, Material, MeshPart
from previs.core.scene import Scene
from previs.render.renderer import CameraView, DrawItem, Renderer


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
        pts = [
            sec.center_xz_m
            if hasattr(sec, "radius_m")
            else tuple((np.asarray(sec.start_xz_m) + np.asarray(sec.end_xz_m)) / 2)
            for sec in scene.stage.sections
        ]
    x, z = np.mean(np.asarray(pts, float), axis=0)
    return np.array([x, 1.7, z])


class WallContent:
    """Renders what the wall shows: the virtual environment under its own sun and sky, seen from
    the stage point, as a cube of wall signal (0 = black, 1 = full white). The environment is a
    dynamic item, so a driving shot only moves it; the cube is captured again only when the world
    or the sun moved. ``load_asset`` reads the environment's glTF (previs.io.meshes.load_asset)."""

    def __init__(
        self, scene: Scene, ctx, size: int = 512, *, load_asset: Callable[[str | Path], Asset]
    ):
        self.size = int(size)
        self.eye_m = wall_eye_m(scene)
        env = scene.environment
        items = []
        if env.gltf_path is not None:
            items.append(
                DrawItem(load_asset(env.gltf_path), env.world_from_env, name="environment")
            )
        self._renderer = Renderer(self.size, self.size, ctx=ctx, antialias=False)
        self._renderer.set_world(
            items,
            [],
            ambient_up_nits=(0.25, 0.32, 0.45),
            ambient_down_nits=(0.06, 0.05, 0.04),
            dynamic={"environment"},
        )
        self._key = None
        self.cube: np.ndarray | None = None

    def update(self, world_from_env: np.ndarray, sky) -> bool:
        """Capture again if the world or the sky changed; True when it did."""
        from previs.core.scene import Light

        key = (
            np.asarray(world_from_env).tobytes(),
            None if sky is None else (sky.sun_azimuth_deg, sky.sun_elevation_deg, sky.turbidity),
        )
        if key == self._key:
            return False
        self._key = key
        sun_dir = (
            sun_direction(sky.sun_azimuth_deg, sky.sun_elevation_deg)
            if sky
            else np.array([0.3, 0.8, 0.5])
        )
        sun_rgb = sun_colour_linear(sky.sun_elevation_deg if sky else 45.0)
        # The virtual world is lit by its own sun: illuminance pi puts a white diffuse surface at 1.
        sun = Light(
            name="virtual sun",
            type="directional",
            color_linear=tuple(sun_rgb),
            intensity=math.pi,
            direction=tuple(-sun_dir),
            shadows=True,
        )
        r = self._renderer
        r.set_poses({"environment": world_from_env})
        r.set_lights([sun] if sun_dir[1] > 0 else [])
        r.set_sky(sun_dir if sky else None, sun_rgb, sky.turbidity if sky else 3.0)
        self.cube = r.capture_cube(self.eye_m, size=self.size, signal=True)
        return True

    def inner_view(
        self,
        world_from_camera: np.ndarray,
        yfov_rad: float,
        aspect: float,
        overscan_pct: float,
        width_px: int,
    ):
        """The inner frustum's camera: the tracked camera ``overscan_pct`` wider on every side.
        Returns (CameraView, (width, height) in pixels)."""
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


def wall_items(scene: Scene) -> list[DrawItem]:
    """The LED wall (and ceiling) as geometry that emits the wall content."""
    from previs.core.stage import wall_mesh

    if scene.stage is None:
        return []
    mesh = wall_mesh(scene.stage)
    # LED cabinets are near-black and fairly glossy; what they emit comes from the wall content.
    mat = Material(
        key="led-wall", base_color=(0.02, 0.02, 0.02, 1.0), roughness=0.35, led_wall=True
    )
    n = len(mesh.positions)
    part = MeshPart(
        positions=np.asarray(mesh.positions, np.float32),
        normals=np.asarray(mesh.normals, np.float32),
        uvs=np.asarray(mesh.panel_uv, np.float32),
        colors=np.ones((n, 4), np.float32),
        indices=np.asarray(mesh.indices, np.uint32),
        material=mat,
    )
    return [DrawItem(Asset(source="<led wall>", parts=(part,)), np.eye(4))]


def led_light(
    scene: Scene, content: np.ndarray, wall_nits: float, cdl=None, *, size: int = 32
) -> tuple[np.ndarray, np.ndarray]:
    """The LED surfaces as a light: (radiance cube in nits, irradiance cube in lux) seen from the
    stage point, the content graded and driven as the wall shows it, black where no panel is."""
    from previs.core.cues import apply_cdl
    from previs.core.ledcheck import irradiance_cube, led_radiance_cube

    n = content.shape[1]
    k = max(1, n // size)
    # Box means of k x k texels, rows first then columns: a fifth of the time of one mean over
    # both axes of the 6-D view (a driving shot does this every frame).
    rows = (
        content[:, : k * size, : k * size]
        .reshape(6, size, k, k * size, 3)
        .sum(axis=2, dtype=np.float64)
    )
    small = rows.reshape(6, size, size, k, 3).sum(axis=3) / (k * k)
    if cdl is not None:
        small = apply_cdl(small, cdl)
    radiance = led_radiance_cube(scene.stage, wall_eye_m(scene), small * wall_nits)
    return radiance, irradiance_cube(radiance)
