"""The small Python API that the CLI (and any script) uses: a front door over previs.io (scene
files, meshes), previs.core (evaluate), previs.render (StageRenderer) and previs.export.

    import previs
    scene = previs.load_scene("scenes/led_stage.yaml")
    with previs.StageRenderer(scene, width=1920) as r:
        state = previs.evaluate(scene, "1A")
        frame = r.render(state)                 # colour (H, W, 3) uint8, depth (H, W) metres
        previs.write_storyboard_frame(frame, state, scene, "1A.png")
"""

from __future__ import annotations

from previs.core.frame import evaluate
from previs.core.mesh import Asset, Material, MeshPart  # noqa: F401
from previs.core.scene import Scene, SetPiece
from previs.export.storyboard import (  # noqa: F401
    caption_lines,
    fit_text,
    storyboard_image,
    write_storyboard_frame,
)
from previs.io import meshes as _meshes
from previs.io.meshes import load_asset, primitive_asset  # noqa: F401
from previs.render import stage as _stage
from previs.render.stage import _tile_share, camera_view  # noqa: F401
from previs.render.wall import (  # noqa: F401
    WallContent,
    led_light,
    sun_colour_linear,
    sun_direction,
    wall_eye_m,
    wall_items,
)

__all__ = [
    "load_scene",
    "evaluate",
    "StageRenderer",
    "write_storyboard_frame",
    "storyboard_image",
    "set_items",
]


def load_scene(path) -> Scene:
    from previs.io.scene_file import load_scene as _load

    return _load(path)


class StageRenderer(_stage.StageRenderer):
    """previs.render.stage.StageRenderer reading the scene's meshes through previs.io."""

    def __init__(self, scene: Scene, **options):
        super().__init__(scene, assets=_meshes, **options)


def set_items(scene: Scene):
    """The physical set (and the stage floor) as renderer draw items."""
    return _stage.set_items(scene, _meshes)


def _piece_asset(piece: SetPiece) -> Asset:
    return _stage.piece_asset(piece, _meshes)
