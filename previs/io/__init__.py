"""Reading scene files and assets: parse, validate (errors name file, field path and line)."""

from previs.io.scene_file import load_scene, migrate

__all__ = ["load_scene", "migrate"]
