"""GPU rendering (moderngl). Everything that owns a GL handle lives here."""

from previs.render.renderer import CameraView, DrawItem, Frame, Overlay, Renderer, frame_rect_uv

__all__ = ["CameraView", "DrawItem", "Frame", "Overlay", "Renderer", "frame_rect_uv"]
