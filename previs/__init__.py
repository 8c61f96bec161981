"""previs: virtual-production previsualisation with real cameras, real lenses and an LED stage."""

__version__ = "0.1.0"

from previs.api import StageRenderer, evaluate, load_scene, write_storyboard_frame  # noqa: E402

__all__ = ["StageRenderer", "evaluate", "load_scene", "write_storyboard_frame", "__version__"]
