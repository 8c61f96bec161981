"""Storyboard panels and sheets.

    with previs.StageRenderer(scene, width=960) as r:
        panels = panels_for_shot(scene, "3A", r)          # first, key and last frames of the shot
    write_sheets(panels, "out/boards", scene, per_page=6)  # -> [out/boards/led_stage_boards.pdf]
    export_boards(scene, "out/boards", shot_ids=["3A"])    # panels as PNGs and the sheets in one go

Panels
------
A static shot gets one panel; a moving shot one at its first frame, at every key frame
(:func:`previs.core.frame.key_frames`: where a move, walk or cue starts or ends) and at its last.
Each panel is the rendered frame with the delivery frame lines, and arrows drawn inside the
frame lines:

* **Camera** (amber): the camera at the next key frame is compared with the camera at this
  panel. A grid of points in front of the next camera (inside its frame lines, at the depth of
  what this camera looks at) is projected into this panel's image; a similarity fitted to that
  motion field says where the next framing lies in this one. Its shift is drawn as a straight
  arrow (pan left: the arrow points left; tilt, truck, pedestal alike); a change of the
  camera's distance to what it looks at is a dolly: four arrows pushing out from the centre (in)
  or in towards it (out); a change of focal length is a zoom: corner brackets with arrows
  converging onto the new framing (in) or opening out of it (out); a roll is a curved arrow
  round the centre. When the two lens axes meet in front of both cameras and the camera moved
  sideways (an orbit, a swinging crane), the framing barely shifts at the point they meet while
  the background does: that is drawn as a curved arrow round the subject, its head towards the
  way the camera travels. The last panel of a shot has no camera arrow.
* **Subjects** (cyan): each walking stand-in's path from where it stands at this panel to the
  end of its walk (``walk_poses``, at half its height) projected into the image, an arrowed
  polyline.

Arrows are drawn with PIL at twice the size and scaled down (anti-aliased), bold colours with a
dark outline so they read on any image. :func:`motion_arrows` returns them as data.

Sheets
------
PDF (fpdf2): 4, 6 or 8 panels a page. The grid and orientation are chosen to give the panels the
most area for the recording mode's aspect: 4 → 2 × 2, 6 → 3 × 2 landscape or 2 × 3 portrait,
8 → 2 × 4 portrait or 4 × 2 landscape (a 3:2 open gate reads best 3 × 2 and 4 × 2 landscape, a
16:9 or scope image 2 × 4 portrait). Panels keep their aspect. Each page has a title block
(production, "Storyboard", scene number(s), date, version, page x of y) and a footer with the
versioned name (``Title_v1_2026-06-15``); under each panel its caption: shot id, panel n of m,
frame and timecode; the description wrapped to two lines; lens, T-stop and focus; the movement.
Caption text is 8 pt or larger at print size. By default each scene starts on a new page.
The date is ``date`` if given, else the reproducible-builds ``SOURCE_DATE_EPOCH`` if set, else
today; the PDF's own creation date is that day at midnight, so the same scene, version and date
give the same bytes.
"""

from __future__ import annotations

import datetime as _dt
import io
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from previs.core.analysis import (
    CameraMotion,
    camera_motion,
    frame_rect_px,
    projector,
    shot_states,
    subject_paths,
)
from previs.core.frame import FrameState
from previs.core.scene import Scene, Shot
from previs.errors import ExportError, PrevisError
from previs.export.paper import PAPER_MM, build_date, find_fonts, paper_name, safe_name

__all__ = ["Panel", "Arrow", "panels_for_shot", "motion_arrows", "draw_motion_arrows", "panel_image",
           "write_panel_png", "write_sheets", "export_boards", "sheet_grid", "sheet_layout", "SheetLayout",
           "movement_text", "subject_paths"]

CAMERA_RGB = (255, 196, 0)     # amber: what the camera does
SUBJECT_RGB = (0, 214, 255)    # cyan: where the stand-ins go
OUTLINE_RGBA = (12, 12, 12, 235)

# Candidate grids (columns, rows, orientation) per page; the first wins a tie.
GRIDS = {4: ((2, 2, "L"), (2, 2, "P")), 6: ((3, 2, "L"), (2, 3, "P")), 8: ((2, 4, "P"), (4, 2, "L"))}

# thresholds for the camera arrows (fractions of the frame width, log-scale ratios, degrees)
SHIFT_MIN = 0.03
SCALE_MIN = 0.025
ROLL_MIN_DEG = 2.5

CAPTION_LINE_MM = 3.25  # 8 pt at 1.15 leading
CAPTION_MM = 1.9 + 5 * CAPTION_LINE_MM + 0.6  # id line, two of description, lens, movement


# ---------------------------------------------------------------- data
@dataclass(frozen=True)
class Arrow:
    """One arrow drawn on a panel: a polyline in pixels (x right, y down) ending at the head."""

    kind: str  # "shift", "dolly_in", "dolly_out", "zoom_in", "zoom_out", "orbit", "roll", "subject"
    points: np.ndarray  # (N, 2) pixels, tail first, head last
    rgb: tuple[int, int, int] = CAMERA_RGB
    label: str = ""

    @property
    def vector(self) -> np.ndarray:
        """Tail-to-head displacement in pixels."""
        return np.asarray(self.points[-1] - self.points[0], float)


@dataclass(frozen=True)
class Panel:
    """One storyboard panel: the frame with frame lines and arrows, and its caption."""

    shot_id: str
    frame: int
    image: np.ndarray  # (H, W, 3) uint8, the recording mode's desqueezed aspect
    caption: tuple[str, ...]  # (id line, description, lens line, movement line)
    state: FrameState
    index: int = 1  # 1-based within the shot
    count: int = 1
    scene_number: str = ""
    arrows: tuple[Arrow, ...] = field(default=(), repr=False)


# ---------------------------------------------------------------- arrows as data
def _fit_in_rect(c, v, rect, margin):
    """Largest t so that c ± t·v/2 stays inside rect shrunk by margin."""
    x0, y0, x1, y1 = rect[0] + margin, rect[1] + margin, rect[2] - margin, rect[3] - margin
    t = np.inf
    for comp, lo, hi, cc in ((v[0], x0, x1, c[0]), (v[1], y0, y1, c[1])):
        if abs(comp) > 1e-9:
            t = min(t, 2 * min(hi - cc, cc - lo) / abs(comp))
    return t


def _arc(c, rx, ry, a0_deg, a1_deg, n=32, rot=0.0):
    a = np.radians(np.linspace(a0_deg, a1_deg, n))
    pts = np.c_[rx * np.cos(a), ry * np.sin(a)]
    if rot:
        cr, sr = math.cos(rot), math.sin(rot)
        pts = pts @ np.array([[cr, sr], [-sr, cr]])
    return pts + c


def camera_arrows(m: CameraMotion) -> list[Arrow]:
    x0, y0, x1, y1 = m.frame_px
    fw, fh = x1 - x0, y1 - y0
    c = np.array([(x0 + x1) / 2, (y0 + y1) / 2])
    out: list[Arrow] = []
    half = np.array([fw, fh]) / 2
    # dolly (the size change the focal length does not explain) and zoom
    s_move = m.move_scale
    if abs(math.log(s_move)) > SCALE_MIN:
        inward = s_move < 1  # the next framing is smaller: the camera moves in
        for sx, sy in ((-1, -1), (1, -1), (1, 1), (-1, 1)):
            d = np.array([sx, sy]) * half
            a, b = c + 0.14 * d, c + 0.62 * d
            pts = np.array([a, b]) if inward else np.array([b, a])
            out.append(Arrow("dolly_in" if inward else "dolly_out", pts, CAMERA_RGB,
                             "dolly in" if inward else "dolly out"))
    if abs(math.log(m.zoom_scale)) > SCALE_MIN:
        zin = m.zoom_scale < 1
        inner = float(np.clip(m.zoom_scale if zin else 1 / m.zoom_scale, 0.38, 0.78))
        for sx, sy in ((-1, -1), (1, -1), (1, 1), (-1, 1)):
            d = np.array([sx, sy]) * half
            outer_pt, inner_pt = c + 0.92 * d, c + inner * d
            pts = np.array([outer_pt, inner_pt]) if zin else np.array([inner_pt, outer_pt])
            out.append(Arrow("zoom_in" if zin else "zoom_out", pts, CAMERA_RGB, "zoom in" if zin else "zoom out"))
            # the bracket of the framing the zoom ends on (in) or starts from (out): an L at inner_pt
            arm = 0.12 * min(fw, fh)
            br = np.array([inner_pt + np.array([0, -sy * arm]), inner_pt, inner_pt + np.array([-sx * arm, 0])])
            out.append(Arrow("bracket", br, CAMERA_RGB, ""))
    # orbit: a curved arrow round the subject, the way the camera travels
    if m.orbit is not None:
        dx, dy = m.orbit
        if abs(dx) >= abs(dy):  # round the subject: the front half of an ellipse, left to right
            pts = _arc(c + np.array([0.0, 0.02 * fh]), 0.36 * fw, 0.3 * fh, 165, 15)
            if dx < 0:
                pts = pts[::-1]
        else:  # over or under it (a crane): the side half, top to bottom
            pts = _arc(c, 0.3 * fw, 0.36 * fh, -75, 75)
            if dy < 0:
                pts = pts[::-1]
        out.append(Arrow("orbit", pts, CAMERA_RGB, "orbit"))
    # roll: a curved arrow over the centre, clockwise for a clockwise roll
    if abs(m.roll_deg) > ROLL_MIN_DEG:
        r = 0.32 * fh
        a0, a1 = (-140, -40) if m.roll_deg > 0 else (-40, -140)
        out.append(Arrow("roll", _arc(c, r, r, a0, a1), CAMERA_RGB, "roll"))
    # the framing's shift: a straight arrow through the centre
    shift = np.asarray(m.shift_px, float)
    n = np.linalg.norm(shift)
    if n > SHIFT_MIN * fw and m.orbit is None or (m.orbit is not None and n > 0.25 * fw):
        v = shift / n
        length = min(max(n, 0.3 * fw), 0.6 * fw)
        length = min(length, _fit_in_rect(c, v, m.frame_px, 0.06 * min(fw, fh)))
        pts = np.array([c - v * length / 2, c + v * length / 2])
        out.append(Arrow("shift", pts, CAMERA_RGB, _shift_label(v)))
    return out


def _shift_label(v) -> str:
    ang = math.degrees(math.atan2(-v[1], v[0]))
    names = ["right", "up-right", "up", "up-left", "left", "down-left", "down", "down-right"]
    return names[int(round(ang / 45.0)) % 8]


def motion_arrows(state: FrameState, next_state: FrameState | None, scene: Scene,
                  size: tuple[int, int]) -> list[Arrow]:
    """The arrows of a panel of ``size`` (width, height) pixels: the camera's (from ``state`` to
    ``next_state``; none when that is None) and each walking stand-in's path."""
    width, height = size
    arrows: list[Arrow] = []
    if next_state is not None:
        arrows += camera_arrows(camera_motion(state, next_state, width, height))
    shot = scene.shot(state.shot_id)
    project = projector(state, width, height)
    for name, pts in subject_paths(scene, shot, state.frame).items():
        xy, w = project(pts)
        vis = w > 0.05
        if vis.sum() < 2 or not vis[0]:
            continue
        run = np.argmin(vis) if not vis.all() else len(vis)  # the first stretch in front of the camera
        xy = xy[:run]
        if np.linalg.norm(xy[-1] - xy[0]) < 4 and len(xy) < 3:
            continue
        arrows.append(Arrow("subject", xy, SUBJECT_RGB, name))
    return arrows


# ---------------------------------------------------------------- drawing
def _shorten(pts: np.ndarray, by: float) -> np.ndarray:
    """The polyline with ``by`` pixels cut from its end."""
    pts = np.asarray(pts, float)
    seg = np.linalg.norm(np.diff(pts, axis=0), axis=1)
    total = seg.sum()
    if total <= by:
        return pts[:1]
    keep = total - by
    acc = np.concatenate([[0.0], np.cumsum(seg)])
    i = int(np.searchsorted(acc, keep, side="right")) - 1
    i = min(i, len(seg) - 1)
    t = (keep - acc[i]) / max(seg[i], 1e-9)
    return np.vstack([pts[: i + 1], pts[i] + t * (pts[i + 1] - pts[i])])


def _head_dir(pts: np.ndarray, back: float) -> np.ndarray:
    """Direction at the end of a polyline, looking ``back`` pixels along it."""
    tip = pts[-1]
    for p in pts[::-1][1:]:
        if np.linalg.norm(tip - p) >= back:
            d = tip - p
            return d / np.linalg.norm(d)
    d = tip - pts[0]
    n = np.linalg.norm(d)
    return d / n if n > 1e-9 else np.array([1.0, 0.0])


def _draw_arrow(draw, pts: np.ndarray, rgb, width: float, head: bool = True) -> None:
    pts = np.asarray(pts, float)
    if len(pts) < 2 or np.linalg.norm(pts[-1] - pts[0]) < 1e-6 and len(pts) == 2:
        return
    outline = max(2.0, width * 0.35)
    head_len, head_w = width * 3.2, width * 2.6
    if head:
        d = _head_dir(pts, head_len)
        nrm = np.array([-d[1], d[0]])
        tip = pts[-1]
        base = tip - d * head_len
        tri = [tuple(tip), tuple(base + nrm * head_w), tuple(base - nrm * head_w)]
        shaft = _shorten(pts, head_len * 0.8)
    else:
        shaft = pts
    line = [tuple(p) for p in shaft]
    for layer, (col, extra) in enumerate(((OUTLINE_RGBA, outline), (tuple(rgb) + (255,), 0.0))):
        w = int(round(width + 2 * extra))
        if len(line) >= 2:
            draw.line(line, fill=col, width=w, joint="curve")
        for p in (line[0],) + ((line[-1],) if not head else ()):
            r = w / 2
            draw.ellipse([p[0] - r, p[1] - r, p[0] + r, p[1] + r], fill=col)
        if head:
            if layer == 0:
                draw.polygon(tri, fill=col, outline=col, width=int(round(2 * extra)))
            else:
                draw.polygon(tri, fill=col)


def draw_arrows(image: np.ndarray, arrows: Sequence[Arrow], clip_rect=None) -> np.ndarray:
    """Draw arrows onto a copy of ``image`` (anti-aliased: drawn at 2× and scaled down), kept
    inside ``clip_rect`` (x0, y0, x1, y1 pixels; the frame lines)."""
    from PIL import Image, ImageDraw

    img = np.asarray(image, np.uint8)
    h, w = img.shape[:2]
    if not arrows:
        return img.copy()
    ss = 2
    layer = Image.new("RGBA", (w * ss, h * ss), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    x0, y0, x1, y1 = clip_rect if clip_rect is not None else (0, 0, w, h)
    width = max(3.0, 0.014 * min(x1 - x0, (y1 - y0) * 1.8)) * ss
    for a in arrows:
        pts = np.clip(np.asarray(a.points, float), -4 * max(w, h), 5 * max(w, h)) * ss
        _draw_arrow(draw, pts, a.rgb, width * (0.8 if a.kind == "bracket" else 1.0), head=a.kind != "bracket")
    layer = layer.resize((w, h), Image.LANCZOS)
    rgba = np.asarray(layer).astype(np.float32)
    alpha = rgba[..., 3:4] / 255.0
    mask = np.zeros((h, w, 1), np.float32)
    mask[int(math.ceil(y0)):int(math.floor(y1)), int(math.ceil(x0)):int(math.floor(x1))] = 1.0
    alpha = alpha * mask
    # LANCZOS on premultiplied-free RGBA: colour where alpha is 0 is 0; unpremultiply safely
    rgb = rgba[..., :3]
    out = img.astype(np.float32) * (1 - alpha) + rgb * alpha
    return np.clip(np.round(out), 0, 255).astype(np.uint8)


def draw_motion_arrows(image: np.ndarray, state: FrameState, next_state: FrameState | None,
                       scene: Scene) -> np.ndarray:
    """The panel image with its camera and subject arrows drawn inside the frame lines."""
    img = np.asarray(image, np.uint8)
    h, w = img.shape[:2]
    arrows = motion_arrows(state, next_state, scene, (w, h))
    return draw_arrows(img, arrows, frame_rect_px(state, w, h))


# ---------------------------------------------------------------- captions
def _num(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def _move_phrase(m) -> str:
    p = m.params
    t = m.type
    if t == "dolly":
        d = float(p["distance_m"])
        return f"dolly {'in' if d >= 0 else 'out'} {_num(abs(d))} m"
    if t == "truck":
        d = float(p["distance_m"])
        return f"truck {'right' if d >= 0 else 'left'} {_num(abs(d))} m"
    if t == "pedestal":
        d = float(p["distance_m"])
        return f"pedestal {'up' if d >= 0 else 'down'} {_num(abs(d))} m"
    if t in ("pan", "tilt", "dutch"):
        if p.get("to_deg") is not None:
            return f"{t} to {_num(float(p['to_deg']))}°"
        a = float(p["angle_deg"])
        way = {"pan": ("left", "right"), "tilt": ("up", "down"), "dutch": ("cw", "ccw")}[t][0 if a >= 0 else 1]
        return f"{t} {way} {_num(abs(a))}°"
    if t == "orbit":
        a = float(p["angle_deg"])
        return f"orbit {_num(abs(a))}° {'ccw' if a >= 0 else 'cw'}"
    if t == "push_in":
        return f"push in {_num(float(p['distance_m']))} m"
    if t == "zoom":
        if p.get("to_focal_length_mm") is not None:
            return f"zoom to {float(p['to_focal_length_mm']):g} mm"
        return f"zoom {float(p['by_mm']):+g} mm"
    if t == "rack_focus":
        if p.get("to_subject"):
            return f"rack focus to {p['to_subject']}"
        if p.get("to_focus_m") is not None:
            return f"rack focus to {_num(float(p['to_focus_m']))} m"
        return "rack focus"
    return t.replace("_", " ")


def movement_text(shot: Shot, frame: int, next_frame: int | None) -> str:
    """What moves between this panel and the next: camera moves and walks over that stretch."""
    if shot.is_static:
        return "static"
    if next_frame is None:
        return "end of shot"
    parts = [_move_phrase(m) for m in shot.moves if m.start_frame < next_frame and m.end_frame > frame]
    if shot.keys and not shot.moves:
        parts.append("keyed move")
    walks = [f"{w.standin} walks" for w in shot.walks if w.start_frame < next_frame and w.end_frame > frame]
    cam = ", ".join(parts) if parts else "camera holds"
    return "; ".join([cam] + walks)


def panel_caption(state: FrameState, scene: Scene, index: int, count: int, next_frame: int | None) -> tuple[str, ...]:
    shot = scene.shot(state.shot_id)
    when = f"fr {state.frame}  ·  {state.timecode}"
    first = f"{shot.id}  ·  Sc {shot.scene_number}  ·  panel {index} of {count}  ·  {when}"
    sq = f" {state.squeeze:g}x anamorphic" if state.squeeze != 1 else ""
    focus = "inf" if math.isinf(state.focus_m) else f"{state.focus_m:.2f} m"
    lens = f"{state.focal_length_mm:g} mm {state.lens.kit_name}{sq}  ·  T{state.t_stop:g}  ·  focus {focus}"
    move = "Move: " + movement_text(shot, state.frame, next_frame)
    return (first, shot.description, lens, move)


# ---------------------------------------------------------------- panels
def panels_for_shot(scene: Scene, shot: Shot | str, renderer=None, *, width: int = 960) -> list[Panel]:
    """Render the panels of one shot: its first, key and last frames (a static shot: one), each
    with frame lines, arrows and a caption. ``renderer`` is a :class:`previs.api.StageRenderer`
    for this scene (one is made and released when None); panels are ``width`` pixels wide."""
    if isinstance(shot, str):
        shot = scene.shot(shot)
    states = shot_states(scene, shot)
    own = renderer is None
    if own:
        from previs.api import StageRenderer

        renderer = StageRenderer(scene, width=width)
    old_width = renderer.width
    renderer.width = int(width)
    try:
        panels = []
        for i, st in enumerate(states):
            nxt = states[i + 1] if i + 1 < len(states) else None
            color = renderer.render(st, read_depth=False).color
            h, w = color.shape[:2]
            arrows = motion_arrows(st, nxt, scene, (w, h))
            img = draw_arrows(color, arrows, frame_rect_px(st, w, h))
            cap = panel_caption(st, scene, i + 1, len(states), None if nxt is None else nxt.frame)
            panels.append(Panel(shot.id, st.frame, img, cap, st, i + 1, len(states), str(shot.scene_number),
                                tuple(arrows)))
        return panels
    finally:
        renderer.width = old_width
        if own:
            renderer.release()


def _pil_font(size: int, bold: bool = False):
    from PIL import ImageFont

    path = _font_path(bold)
    if path is not None:
        return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size=size)


def _wrap_words(text: str, width_of, max_w: float, max_lines: int) -> list[str]:
    """Greedy word wrap into at most ``max_lines``; the last line ends in an ellipsis if cut."""
    words = text.split()
    lines: list[str] = []
    cur = ""
    i = 0
    while i < len(words):
        cand = f"{cur} {words[i]}".strip()
        if width_of(cand) <= max_w or not cur:
            cur = cand
            i += 1
            if width_of(cur) > max_w:  # one word longer than the line: cut it
                lines.append(_ellipsize(cur, width_of, max_w, force=False))
                cur = ""
        else:
            lines.append(cur)
            cur = ""
        if len(lines) == max_lines:
            break
    if cur and len(lines) < max_lines:
        lines.append(cur)
        cur = ""
    if (cur or i < len(words)) and lines:
        rest = " ".join([lines[-1], cur, *words[i:]]).strip()
        lines[-1] = _ellipsize(rest, width_of, max_w, force=True)
    return lines


def _ellipsize(text: str, width_of, max_w: float, force: bool) -> str:
    """``text`` cut to ``max_w`` with an ellipsis (always one when ``force``: more text follows)."""
    if not force and width_of(text) <= max_w:
        return text
    while text and width_of(text.rstrip() + "…") > max_w:
        text = text[:-1]
    return text.rstrip() + "…"


def panel_image(panel: Panel):
    """The panel as a PIL image: the frame (with a panel tab top left) over a caption strip."""
    from PIL import Image, ImageDraw

    img = Image.fromarray(panel.image)
    w, h = img.size
    size = max(11, w // 64)
    f_bold, f_reg = _pil_font(int(size * 1.1), True), _pil_font(size)
    pad = size // 2 + 2
    lh = int(size * 1.35)
    out_h = h + pad * 2 + lh * 5
    out = Image.new("RGB", (w, out_h), (250, 250, 248))
    out.paste(img, (0, 0))
    d = ImageDraw.Draw(out)
    tab = f"{panel.shot_id}-{panel.index}"
    tw = d.textlength(tab, font=f_bold)
    d.rectangle([0, 0, tw + 2 * pad, lh + pad], fill=(15, 15, 15))
    d.text((pad, pad // 2 + 1), tab, fill=(255, 255, 255), font=f_bold)
    maxw = w - 2 * pad

    def width_reg(s):
        return d.textlength(s, font=f_reg)

    y = h + pad
    first, desc, lens, move = panel.caption
    d.text((pad, y), _ellipsize(first, lambda s: d.textlength(s, font=f_bold), maxw, False), fill=(10, 10, 10),
           font=f_bold)
    y += lh
    for line in _wrap_words(desc, width_reg, maxw, 2):
        d.text((pad, y), line, fill=(30, 30, 30), font=f_reg)
        y += lh
    d.text((pad, y), _ellipsize(lens, width_reg, maxw, False), fill=(70, 70, 70), font=f_reg)
    d.text((pad, y + lh), _ellipsize(move, width_reg, maxw, False), fill=(150, 90, 0), font=f_reg)
    return out.crop((0, 0, w, y + 2 * lh + pad))


def write_panel_png(panel: Panel, path: str | Path) -> Path:
    from previs.export.atomic import write_png

    write_png(panel_image(panel), path)
    return Path(path)


# ---------------------------------------------------------------- sheets
def _font_path(bold: bool = False) -> Path | None:
    """DejaVu Sans (covers ·, –, °, →) as :func:`previs.export.paper.find_fonts` finds it; None:
    fall back (PIL's default font, core Helvetica)."""
    fonts = find_fonts(("DejaVuSans",))
    return None if fonts is None else fonts[1 if bold else 0]


@dataclass(frozen=True)
class SheetLayout:
    """Where things go on a sheet page, in millimetres from the top left."""

    orientation: str  # "P" or "L"
    page_w: float
    page_h: float
    cols: int
    rows: int
    margin: float
    title_h: float
    footer_h: float
    caption_h: float
    cells: tuple[tuple[float, float, float, float], ...]  # (x, y, w, h) of each panel's card
    images: tuple[tuple[float, float, float, float], ...]  # (x, y, w, h) of each panel's image


def sheet_grid(per_page: int, image_aspect: float, paper: str = "letter") -> tuple[int, int, str]:
    """(columns, rows, orientation) giving the panels the most area for this aspect."""
    best = None
    for cols, rows, orient in GRIDS[per_page]:
        lay = sheet_layout(per_page, image_aspect, paper, grid=(cols, rows, orient))
        area = lay.images[0][2] * lay.images[0][3]
        if best is None or area > best[0] + 1e-6:
            best = (area, (cols, rows, orient))
    return best[1]


def sheet_layout(per_page: int, image_aspect: float, paper: str = "letter", *, grid=None) -> SheetLayout:
    if per_page not in GRIDS:
        raise PrevisError(f"storyboard sheets hold 4, 6 or 8 panels a page, not {per_page}")
    paper = paper_name(paper)
    cols, rows, orient = grid or sheet_grid(per_page, image_aspect, paper)
    pw, ph = PAPER_MM[paper]
    if orient == "L":
        pw, ph = ph, pw
    margin, title_h, footer_h = 10.0, 17.0, 7.0
    gap_x, gap_y = 6.0, 5.0
    caption_h = CAPTION_MM
    area_w = pw - 2 * margin
    area_y = margin + title_h + 4.0
    area_h = ph - area_y - margin - footer_h
    col_w = (area_w - gap_x * (cols - 1)) / cols
    row_h = (area_h - gap_y * (rows - 1)) / rows
    img_h = min(col_w / image_aspect, row_h - caption_h)
    img_w = img_h * image_aspect
    caption_h = min(row_h - img_h, CAPTION_MM + 2 * CAPTION_LINE_MM)  # room to wrap the lens and move lines
    card_w = max(img_w, min(col_w, 70.0))  # captions get at least 70 mm where the column allows
    grid_w = card_w * cols + gap_x * (cols - 1)
    gx = margin + (area_w - grid_w) / 2
    card_h = img_h + caption_h
    grid_h = card_h * rows + gap_y * (rows - 1)
    gy = area_y + max(0.0, (area_h - grid_h) / 2)  # centred under the title block
    cells, images = [], []
    for r in range(rows):
        for c in range(cols):
            x = gx + c * (card_w + gap_x)
            y = gy + r * (card_h + gap_y)
            cells.append((x, y, card_w, card_h))
            images.append((x + (card_w - img_w) / 2, y, img_w, img_h))
    return SheetLayout(orient, pw, ph, cols, rows, margin, title_h, footer_h, caption_h, tuple(cells), tuple(images))


def _stem(scene: Scene) -> str:
    return safe_name(scene.source_path.stem if scene.source_path else scene.name)


_LATIN1 = str.maketrans({"–": "-", "—": "-", "→": "->", "…": "...", "×": "x", "’": "'", "“": '"', "”": '"'})


class _Sheet:
    """One PDF being typeset."""

    def __init__(self, layout: SheetLayout, title: str, version: str, date: _dt.date, source: str):
        from fpdf import FPDF

        self.lay, self.title, self.version, self.date, self.source = layout, title, version, date, source
        pdf = FPDF(orientation=layout.orientation, unit="mm", format=(min(layout.page_w, layout.page_h),
                                                                      max(layout.page_w, layout.page_h)))
        pdf.set_auto_page_break(False)
        pdf.set_margins(layout.margin, layout.margin, layout.margin)
        pdf.set_creation_date(_dt.datetime(date.year, date.month, date.day, tzinfo=_dt.UTC))
        pdf.set_creator("previs")
        pdf.set_title(f"{title} - storyboard {version}")
        pdf.set_image_filter("DCTDecode")
        reg, bold = _font_path(False), _font_path(True)
        if reg is not None and bold is not None:
            pdf.add_font("Sans", "", str(reg))
            pdf.add_font("Sans", "B", str(bold))
            self.family, self.unicode = "Sans", True
        else:
            self.family, self.unicode = "Helvetica", False
        self.pdf = pdf

    def t(self, s: str) -> str:
        if self.unicode:
            return s
        return s.translate(_LATIN1).encode("latin-1", "replace").decode("latin-1")

    def font(self, size: float, bold: bool = False, rgb=(20, 20, 20)):
        self.pdf.set_font(self.family, "B" if bold else "", size)
        self.pdf.set_text_color(*rgb)

    def text(self, x, y, s, size=8.0, bold=False, rgb=(20, 20, 20), align="L", w=None):
        """Write one line with its baseline-box top at y."""
        self.font(size, bold, rgb)
        s = self.t(s)
        if w is not None:
            s = _ellipsize(s, self.pdf.get_string_width, w, False)
        sw = self.pdf.get_string_width(s)
        if align == "R":
            x = x - sw
        elif align == "C":
            x = x - sw / 2
        self.pdf.text(x, y + size * 0.3528 * 0.8, s)

    def page(self, panels: Sequence[Panel], scene: Scene, page_no: int, pages: int) -> None:
        pdf, lay = self.pdf, self.lay
        pdf.add_page()
        self._title_block(panels, scene, page_no, pages)
        for panel, (cx, cy, cw, ch), (ix, iy, iw, ih) in zip(panels, lay.cells, lay.images, strict=False):
            self._panel(panel, (cx, cy, cw, ch), (ix, iy, iw, ih))

    def _title_block(self, panels, scene, page_no, pages) -> None:
        pdf, lay = self.pdf, self.lay
        m = lay.margin
        x0, y0, w, h = m, m, lay.page_w - 2 * m, lay.title_h
        pdf.set_draw_color(20, 20, 20)
        pdf.set_line_width(0.4)
        pdf.rect(x0, y0, w, h)
        scenes = _unique(p.scene_number for p in panels)
        shots = _unique(p.shot_id for p in panels)
        fields = [("SCENE", ", ".join(scenes)), ("DATE", self.date.isoformat()), ("VERSION", self.version),
                  ("PAGE", f"Page {page_no} of {pages}")]
        widths = [22.0, 30.0, 22.0, 30.0]
        fx = x0 + w - sum(widths)
        # left: production and what the page holds
        pdf.set_fill_color(20, 20, 20)
        pdf.rect(x0, y0, 3.0, h, style="F")
        self.text(x0 + 6, y0 + 2.6, self.title, size=13, bold=True, w=fx - x0 - 10)
        shot_list = shots[0] if len(shots) == 1 else f"{shots[0]}–{shots[-1]}"
        self.text(x0 + 6, y0 + 10.0, f"STORYBOARD  ·  shots {shot_list}", size=8.5, rgb=(90, 90, 90),
                  w=fx - x0 - 10)
        pdf.set_line_width(0.25)
        for (label, value), fw in zip(fields, widths, strict=True):
            pdf.line(fx, y0, fx, y0 + h)
            self.text(fx + 2.2, y0 + 2.2, label, size=8, rgb=(110, 110, 110))
            self.text(fx + 2.2, y0 + 8.6, value, size=10.5 if label != "PAGE" else 9.5, bold=True, w=fw - 3)
            fx += fw
        # footer
        fy = lay.page_h - m - 3.5
        pdf.set_draw_color(160, 160, 160)
        pdf.set_line_width(0.2)
        pdf.line(m, fy - 1.5, lay.page_w - m, fy - 1.5)
        self.text(m, fy, f"{safe_name(self.title)}_{self.version}_{self.date.isoformat()}", size=8,
                  rgb=(110, 110, 110))
        self.text(lay.page_w - m, fy, f"previs  ·  {self.source}  ·  Page {page_no} of {pages}", size=8,
                  rgb=(110, 110, 110), align="R")

    def _panel(self, panel: Panel, cell, image_rect) -> None:
        from PIL import Image

        pdf = self.pdf
        cx, cy, cw, ch = cell
        ix, iy, iw, ih = image_rect
        buf = io.BytesIO()
        Image.fromarray(panel.image).save(buf, format="JPEG", quality=90, subsampling=0)
        buf.seek(0)
        h_px, w_px = panel.image.shape[:2]
        if abs(w_px / h_px - iw / ih) > 1e-3:  # a panel of another aspect: fit it in its box, unstretched
            fit = min(iw / w_px, ih / h_px)
            ix, iy, iw, ih = ix + (iw - w_px * fit) / 2, iy, w_px * fit, h_px * fit
        pdf.image(buf, x=ix, y=iy, w=iw, h=ih)
        pdf.set_draw_color(20, 20, 20)
        pdf.set_line_width(0.35)
        pdf.rect(ix, iy, iw, ih)
        # panel tab, top left
        tab = f"{panel.shot_id}-{panel.index}"
        self.font(8.5, True)
        tw = pdf.get_string_width(self.t(tab)) + 3.0
        pdf.set_fill_color(20, 20, 20)
        pdf.rect(ix, iy, tw, 4.6, style="F")
        self.text(ix + 1.5, iy + 0.9, tab, size=8.5, bold=True, rgb=(255, 255, 255))
        # caption
        first, desc, lens, move = panel.caption
        y = iy + ih + 1.3
        lh = CAPTION_LINE_MM
        left = f"{panel.shot_id}  Sc {panel.scene_number}  ·  {panel.index}/{panel.count}"
        right = f"fr {panel.frame}  ·  {panel.state.timecode}"
        self.font(8, False)
        rw = pdf.get_string_width(self.t(right))
        self.text(cx, y, left, size=9, bold=True, w=cw - rw - 2)
        self.text(cx + cw, y + 0.4, right, size=8, rgb=(60, 60, 60), align="R")
        y += lh + 0.6
        self.font(8)
        for line in _wrap_words(self.t(desc), pdf.get_string_width, cw, 2):
            self.text(cx, y, line, size=8, rgb=(25, 25, 25))
            y += lh
        # lens and movement: a line each, wrapped onto a second where the caption has room
        y = iy + ih + 1.3 + lh + 0.6 + 2 * lh
        spare = max(0, int((self.lay.caption_h - CAPTION_MM) / lh + 1e-6))
        lens_lines = _wrap_words(self.t(lens), pdf.get_string_width, cw, 1 + min(spare, 1))
        spare -= len(lens_lines) - 1
        for line in lens_lines:
            self.text(cx, y, line, size=8, rgb=(80, 80, 80))
            y += lh
        self.font(8, True)
        for line in _wrap_words(self.t(move), pdf.get_string_width, cw, 1 + min(spare, 1)):
            self.text(cx, y, line, size=8, bold=True, rgb=(150, 90, 0))
            y += lh

    def output(self) -> bytes:
        return bytes(self.pdf.output())


def _unique(items: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for i in items:
        seen.setdefault(str(i), None)
    return list(seen)


def _paginate(panels: Sequence[Panel], per_page: int, scene_breaks: bool) -> list[list[Panel]]:
    pages: list[list[Panel]] = []
    for p in panels:
        if not pages or len(pages[-1]) == per_page or (scene_breaks and pages[-1][-1].scene_number != p.scene_number):
            pages.append([])
        pages[-1].append(p)
    return pages


def write_sheets(panels: Sequence[Panel], path_or_dir: str | Path, scene: Scene, *, per_page: int = 6,
                 per_scene: bool = False, title: str | None = None, version: str = "v1", date=None,
                 paper: str = "letter", scene_breaks: bool = True) -> list[Path]:
    """Typeset panels onto storyboard sheets (PDF) and write them atomically.

    ``path_or_dir``: a ``.pdf`` path, or a folder (the file is ``<stem>_boards.pdf``). With
    ``per_scene`` one file per scene number, ``<stem>_boards_sc<N>.pdf`` (beside the given
    ``.pdf`` path, named after it, or in the folder). ``scene_breaks``: each scene starts on a new
    page. Returns the files written."""
    from previs.export.atomic import write_atomic

    panels = list(panels)
    if not panels:
        raise ExportError("no storyboard panels to put on sheets")
    if per_page not in GRIDS:
        raise PrevisError(f"storyboard sheets hold 4, 6 or 8 panels a page, not {per_page}")
    panels = [p if p.scene_number else _with_scene(p, scene) for p in panels]
    target = Path(path_or_dir)
    if target.suffix.lower() == ".pdf":
        folder, stem = target.parent, target.stem
    else:
        folder, stem = target, f"{_stem(scene)}_boards"
    groups: list[tuple[Path, list[Panel]]]
    if per_scene:
        groups = [(folder / f"{stem}_sc{safe_name(n)}.pdf", [p for p in panels if p.scene_number == n])
                  for n in _unique(p.scene_number for p in panels)]
    else:
        groups = [(folder / f"{stem}.pdf" if target.suffix.lower() != ".pdf" else target, panels)]
    when = build_date(date)
    aspect = panels[0].image.shape[1] / panels[0].image.shape[0]
    layout = sheet_layout(per_page, aspect, paper)
    source = scene.source_path.name if scene.source_path else scene.name
    written = []
    for path, group in groups:
        sheet = _Sheet(layout, title or scene.name, version, when, source)
        pages = _paginate(group, per_page, scene_breaks)
        for i, page_panels in enumerate(pages, 1):
            sheet.page(page_panels, scene, i, len(pages))
        write_atomic(path, sheet.output())
        written.append(path)
    return written


def _with_scene(p: Panel, scene: Scene) -> Panel:
    from dataclasses import replace

    return replace(p, scene_number=str(scene.shot(p.shot_id).scene_number))


# ---------------------------------------------------------------- all at once
def export_boards(scene: Scene, out_dir: str | Path, *, shot_ids: Sequence[str] | None = None, per_page: int = 6,
                  per_scene: bool = False, width: int = 960, version: str = "v1", date=None,
                  paper: str = "letter", renderer=None, progress: bool = False) -> list[Path]:
    """Render every shot's panels (or ``shot_ids``'), write each as ``<stem>_<shot>_p<NN>.png`` and
    the sheets as PDF (one for the project, or one per scene). Returns the PNGs, then the PDFs."""
    if per_page not in GRIDS:
        raise PrevisError(f"storyboard sheets hold 4, 6 or 8 panels a page, not {per_page}")
    shots = [scene.shot(s) for s in shot_ids] if shot_ids else list(scene.shots)
    if not shots:
        raise ExportError(f"{scene.source_path or scene.name} has no shots to board")
    out = Path(out_dir)
    stem = _stem(scene)
    own = renderer is None
    if own:
        from previs.api import StageRenderer

        renderer = StageRenderer(scene, width=width)
    written: list[Path] = []
    panels: list[Panel] = []
    try:
        it = shots
        if progress:
            import sys

            from tqdm import tqdm

            it = tqdm(shots, desc="boards", unit="shot", file=sys.stderr, disable=None)  # off the terminal: quiet
        for shot in it:
            for p in panels_for_shot(scene, shot, renderer, width=width):
                path = out / f"{stem}_{safe_name(shot.id)}_p{p.index:02d}.png"
                write_panel_png(p, path)
                written.append(path)
                panels.append(p)
    finally:
        if own:
            renderer.release()
    written += write_sheets(panels, out, scene, per_page=per_page, per_scene=per_scene, version=version,
                            date=date, paper=paper)
    return written
