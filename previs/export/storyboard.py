"""A storyboard frame: the rendered picture with its caption strip (shot, scene, camera, lens,
exposure) underneath, as a PIL image or a PNG."""

from __future__ import annotations

import math
from pathlib import Path

from previs.core.frame import FrameState
from previs.core.scene import Scene
from previs.export.atomic import write_png


def caption_lines(state: FrameState, scene: Scene) -> list[str]:
    shot = scene.shot(state.shot_id)
    kit = state.lens.kit_name
    sq = f" {state.squeeze:g}x anamorphic" if state.squeeze != 1 else ""
    focus = "inf" if math.isinf(state.focus_m) else f"{state.focus_m:.2f} m"
    when = "" if shot.is_static else f"  ·  frame {state.frame} ({state.timecode})"
    first = f"{shot.id}{when}  ·  Sc {shot.scene_number}  ·  {shot.description}"
    second = (
        f"{state.mode.body_name} {state.mode.mode_name}  ·  {kit} {state.focal_length_mm:g} mm{sq}  ·  "
        f"T{state.t_stop:g}  ·  focus {focus}  ·  ISO {state.iso:g} {state.shutter_angle_deg:g}°  ·  "
        f"{shot.length_frames} fr @ {float(state.frame_rate):.3f}".rstrip("0").rstrip(".")
    )
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
    d.text(
        (pad, h + pad), fit_text(d, lines[0], font, w - 2 * pad), fill=(240, 240, 240), font=font
    )
    d.text(
        (pad, h + pad + int(size * 1.4)),
        fit_text(d, lines[1], small, w - 2 * pad),
        fill=(190, 190, 190),
        font=small,
    )
    return out


def fit_text(draw, text: str, font, max_w: float) -> str:
    """``text``, cut with an ellipsis to fit ``max_w`` pixels."""
    if draw.textlength(text, font=font) <= max_w:
        return text
    while text and draw.textlength(text + "…", font=font) > max_w:
        text = text[:-1]
    return text + "…"


def write_storyboard_frame(frame, state: FrameState, scene: Scene, path: str | Path) -> None:
    """The frame (a previs.render Frame) with its caption, written as a PNG at ``path``."""
    write_png(storyboard_image(frame, state, scene), path)
