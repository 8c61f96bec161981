"""Storyboard panels and sheets.

    with previs.StageRenderer(scene, width=960) as r:
        panels = panels_for_shot(scene, "3A", r)          # first, last and where the picture changes
    write_sheets(panels, "out/boards", scene, per_page=3, orientation="P", paper="a4")
    export_boards(scene, "out/boards", shot_ids=["3A"])    # panels as PNGs and the sheets in one go

Panels
------
A shot whose picture hardly changes gets one panel; a moving shot one at its first frame, one at
its last, and between them one for each step of picture change
(:func:`previs.core.analysis.board_frames`: the framing's shift, size and roll, an orbit's swing,
a walking stand-in's move across the frame, a focus pull), so a long slow move and a locked-off
drive-by do not get six panels of the same picture. Each panel shows the *delivered* frame: the
render cropped to the frame lines. With ``open_gate`` it shows the whole recorded image with the
frame lines and the matte drawn.

Arrows, drawn inside the frame:

* **Camera** (amber), for the moves under way until the next panel
  (:func:`previs.core.analysis.moves_between`), by the storyboard convention each calls for
  (:func:`previs.core.analysis.arrow_kinds`): a push-in (dolly in) is four arrows at the frame's
  corners pointing in, a pull-out the same pointing out; a zoom the same corner arrows with the
  brackets of the framing it ends on (in) or starts from (out); a pan, truck or crane swing an
  arrow along the bottom edge the way the frame goes; a tilt an arrow up or down the right edge;
  a pedestal or crane rise an arrow up or down the left edge; an orbit (and only an orbit) an arc
  across the bottom of the frame, its head the way the camera travels; a Dutch roll a curl in the
  top right corner. A rack focus and handheld have no arrow (the caption says them). The last
  panel of a shot has no camera arrow. Nothing is drawn over the middle of the frame, where the
  faces are.
* **Subjects** (cyan): each walking stand-in's path to the end of its walk, at half its height,
  starting beside the stand-in (not on it) and never over a face.

Arrows are drawn with PIL at twice the size and scaled down (anti-aliased), bold colours with a
dark outline so they read on any image. :func:`motion_arrows` returns them as data.

Sheets
------
PDF (fpdf2) with the bundled DejaVu Sans Condensed: 1, 2, 3, 4, 6 or 8 panels a page, portrait,
landscape or whichever gives the picture the most room (``orientation`` ``P``, ``L`` or None);
of the grids that hold that many panels the one with the largest picture wins, after room for
the caption. Paper is ``letter`` or ``a4`` (default: :func:`previs.export.paper.default_paper`).
Each page has a title block (production, "Storyboard", scene number(s), date, version, page x of
y) and a footer with the versioned name (``Title_v1_2026-06-15``). Under each panel, in 8 pt or
larger: shot, scene, panel n of m, frame and timecode, the transition into the shot; shot size
(``OTS CU`` when a foreground shoulder frames it), angle, camera height and tilt, support; lens,
T-stop, focus; the move; then the description, ACTION, DIALOGUE and NOTES. A wide card (one or
two panels across) puts the words beside the camera data. Text that does not fit ends in an
ellipsis. By default each scene starts on a new page. The date is ``date`` if given, else the
reproducible-builds ``SOURCE_DATE_EPOCH`` if set, else today; the PDF's own creation date is that
day at midnight, so the same scene, version and date give the same bytes.
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
    BODY_PARTS,
    CameraMotion,
    analyse_frame,
    arrow_kinds,
    board_frames,
    camera_motion,
    frame_rect_px,
    height_tilt,
    moves_between,
    projector,
    subject_paths,
    support_of,
)
from previs.core.frame import FrameState, evaluate, frame_rect_uv
from previs.core.scene import Scene, Shot
from previs.errors import ExportError, PrevisError
from previs.export.paper import (
    PAPER_MM,
    build_date,
    default_paper,
    find_fonts,
    paper_name,
    safe_name,
)

__all__ = [
    "Panel",
    "Arrow",
    "panels_for_shot",
    "motion_arrows",
    "draw_motion_arrows",
    "panel_image",
    "write_panel_png",
    "write_sheets",
    "export_boards",
    "sheet_grid",
    "sheet_layout",
    "SheetLayout",
    "movement_text",
    "subject_paths",
    "camera_arrows",
    "PER_PAGE",
    "panel_caption",
    "CAPTION_KEYS",
]

CAMERA_RGB = (255, 196, 0)  # amber: what the camera does
SUBJECT_RGB = (0, 214, 255)  # cyan: where the stand-ins go
OUTLINE_RGBA = (12, 12, 12, 235)

PER_PAGE = (1, 2, 3, 4, 6, 8)
"""Panels a sheet page holds."""

CAPTION_PT = 8.5
CAPTION_LINE_MM = 3.55  # 8.5 pt at 1.18 leading
CAPTION_PAD_MM = 1.3
NARROW_CAPTION_LINES = 9  # title, size, lens, move, description x2, action, dialogue, notes
WIDE_CAPTION_LINES = 5  # the words beside the camera data
WIDE_CARD_MM = 120.0  # a card this wide puts the words in a second column
CAPTION_KEYS = ("title", "size", "lens", "move", "description", "action", "dialogue", "notes")
"""What :attr:`Panel.caption` holds, in order."""


# ---------------------------------------------------------------- data
@dataclass(frozen=True)
class Arrow:
    """One arrow drawn on a panel: a polyline in pixels (x right, y down) ending at the head."""

    kind: str  # an analysis.ARROW_KINDS entry, "bracket" (a zoom's framing) or "subject"
    points: np.ndarray  # (N, 2) pixels, tail first, head last
    rgb: tuple[int, int, int] = CAMERA_RGB
    label: str = ""

    @property
    def vector(self) -> np.ndarray:
        """Tail-to-head displacement in pixels."""
        return np.asarray(self.points[-1] - self.points[0], float)


@dataclass(frozen=True)
class Panel:
    """One storyboard panel: the frame (the delivered frame, or the open gate with its lines)
    with its arrows, and its caption (:data:`CAPTION_KEYS`)."""

    shot_id: str
    frame: int
    image: np.ndarray  # (H, W, 3) uint8
    caption: tuple[str, ...]
    state: FrameState
    index: int = 1  # 1-based within the shot
    count: int = 1
    scene_number: str = ""
    arrows: tuple[Arrow, ...] = field(default=(), repr=False)

    @property
    def text(self) -> dict[str, str]:
        """The caption by :data:`CAPTION_KEYS`."""
        return dict(
            zip(CAPTION_KEYS, tuple(self.caption) + ("",) * len(CAPTION_KEYS), strict=False)
        )


# ---------------------------------------------------------------- arrows as data
def _arc(c, rx, ry, a0_deg, a1_deg, n=32):
    a = np.radians(np.linspace(a0_deg, a1_deg, n))
    return np.c_[rx * np.cos(a), ry * np.sin(a)] + c


def camera_arrows(kinds: Iterable[str], rect, motion: CameraMotion | None = None) -> list[Arrow]:
    """The arrows of :func:`previs.core.analysis.arrow_kinds` drawn in ``rect`` (x0, y0, x1, y1
    pixels: the frame), by the conventions of the module notes. ``motion`` sizes a zoom's
    brackets and turns a roll's curl; without it they take typical values."""
    x0, y0, x1, y1 = (float(v) for v in rect)
    fw, fh = x1 - x0, y1 - y0
    c = np.array([(x0 + x1) / 2, (y0 + y1) / 2])
    inset = 0.07 * fh
    corner_len = 0.24 * fh
    out: list[Arrow] = []
    corners = [
        np.array([x0 + inset, y0 + inset]),
        np.array([x1 - inset, y0 + inset]),
        np.array([x1 - inset, y1 - inset]),
        np.array([x0 + inset, y1 - inset]),
    ]
    for kind in kinds:
        label = kind.replace("_", " ")
        if kind in ("push_in", "pull_out"):
            for p in corners:
                u = (c - p) / np.linalg.norm(c - p)
                a, b = p, p + corner_len * u
                out.append(
                    Arrow(
                        kind, np.array([a, b] if kind == "push_in" else [b, a]), CAMERA_RGB, label
                    )
                )
        elif kind in ("zoom_in", "zoom_out"):
            scale = 0.62
            if motion is not None and abs(math.log(max(motion.zoom_scale, 1e-6))) > 1e-3:
                scale = motion.zoom_scale if motion.zoom_scale < 1 else 1 / motion.zoom_scale
            inner = float(np.clip(scale, 0.45, 0.8))
            arm = 0.1 * fh
            for p in corners:
                d = p - c
                q = (
                    c + inner * d
                )  # the corner of the framing the zoom ends on (in) or starts from (out)
                out.append(
                    Arrow(
                        kind, np.array([p, q] if kind == "zoom_in" else [q, p]), CAMERA_RGB, label
                    )
                )
                sx, sy = np.sign(d)
                out.append(
                    Arrow(
                        "bracket", np.array([q + [0, -sy * arm], q, q + [-sx * arm, 0]]), CAMERA_RGB
                    )
                )
        elif kind.startswith(("pan_", "truck_", "swing_")):
            way = 1.0 if kind.endswith("right") else -1.0
            y = y1 - 1.4 * inset
            half = 0.26 * fw
            out.append(
                Arrow(
                    kind,
                    np.array([[c[0] - way * half, y], [c[0] + way * half, y]]),
                    CAMERA_RGB,
                    label,
                )
            )
        elif kind.startswith("tilt_"):
            way = -1.0 if kind.endswith("up") else 1.0
            x = x1 - 1.4 * inset
            half = 0.3 * fh
            out.append(
                Arrow(
                    kind,
                    np.array([[x, c[1] - way * half], [x, c[1] + way * half]]),
                    CAMERA_RGB,
                    label,
                )
            )
        elif kind.startswith(("pedestal_", "crane_")):
            way = -1.0 if kind.endswith("up") else 1.0
            x = x0 + 1.4 * inset
            half = 0.3 * fh
            out.append(
                Arrow(
                    kind,
                    np.array([[x, c[1] - way * half], [x, c[1] + way * half]]),
                    CAMERA_RGB,
                    label,
                )
            )
        elif kind.startswith("orbit_"):
            # the front half of a ring round the subject, low in the frame
            pts = _arc(np.array([c[0], y1 - 0.36 * fh]), 0.34 * fw, 0.2 * fh, 165, 15)
            out.append(Arrow(kind, pts if kind.endswith("right") else pts[::-1], CAMERA_RGB, label))
        elif kind == "roll":
            r = 0.13 * fh
            cw = motion is None or motion.roll_deg >= 0  # + = clockwise as seen
            pts = _arc(np.array([x1 - r - 1.6 * inset, y0 + r + 1.2 * inset]), r, r, 160, 400)
            out.append(Arrow(kind, pts if cw else pts[::-1], CAMERA_RGB, "roll"))
    return out


def _delivered(state: FrameState, size: tuple[int, int], open_gate: bool):
    """(full image width, height, offset of the panel's pixels in it, the frame rect in panel
    pixels) for a panel of ``size``: the delivered frame (cropped) or the open gate."""
    w, h = size
    if open_gate:
        return w, h, np.zeros(2), frame_rect_px(state, w, h)
    u0, v0, u1, v1 = frame_rect_uv(state.image_aspect, state.delivery_aspect)
    if u1 <= u0 or v1 <= v0:
        return w, h, np.zeros(2), (0.0, 0.0, float(w), float(h))
    full_w, full_h = w / (u1 - u0), h / (v1 - v0)
    return full_w, full_h, np.array([u0 * full_w, v0 * full_h]), (0.0, 0.0, float(w), float(h))


def _faces_and_bodies(scene: Scene, state: FrameState, project, offset):
    """Per stand-in: its face box (x0, y0, x1, y1 px) and its body's half width in pixels at
    its middle, with the middle's pixel position (stand-ins in front of the lens only)."""
    poses = state.poses or {}
    head = next(p for p in BODY_PARTS if p[0] == "head")
    out = {}
    for piece in scene.set_pieces:
        if piece.kind != "standin":
            continue
        pose = np.asarray(poses.get(piece.name, piece.world_from_local), float)
        h = piece.height_m
        centre = (pose @ np.r_[np.asarray(head[1]) * h, 1.0])[:3]
        mid = (pose @ np.array([0.0, 0.55 * h, 0.0, 1.0]))[:3]
        right = state.world_from_camera[:3, 0]
        up = state.world_from_camera[:3, 1]
        r = 1.6 * head[3] * h
        xy, w = project(
            np.array(
                [
                    centre - r * right + r * up,
                    centre + r * right - r * up,
                    mid,
                    mid + 0.2 * h * right,
                ]
            )
        )
        if (w <= 0.05).any():
            continue
        xy = xy - offset
        box = (
            min(xy[0, 0], xy[1, 0]),
            min(xy[0, 1], xy[1, 1]),
            max(xy[0, 0], xy[1, 0]),
            max(xy[0, 1], xy[1, 1]),
        )
        out[piece.name] = (box, float(np.linalg.norm(xy[3] - xy[2])), xy[2])
    return out


def _in_box(p, box, pad=0.0) -> bool:
    return box[0] - pad <= p[0] <= box[2] + pad and box[1] - pad <= p[1] <= box[3] + pad


def motion_arrows(
    state: FrameState,
    next_state: FrameState | None,
    scene: Scene,
    size: tuple[int, int],
    *,
    open_gate: bool = False,
) -> list[Arrow]:
    """The arrows of a panel of ``size`` (width, height) pixels: the camera's for the moves
    between ``state`` and ``next_state`` (none when that is None) and each walking stand-in's
    path. The panel is the delivered frame, or the whole recorded image with ``open_gate``."""
    full_w, full_h, offset, rect = _delivered(state, size, open_gate)
    shot = scene.shot(state.shot_id)
    arrows: list[Arrow] = []
    if next_state is not None:
        labels = moves_between(scene, shot, state.frame, next_state.frame)
        motion = None
        if any(lab in ("crane swing", "tracking (path)", "dutch") for lab in labels) or any(
            lab.startswith("zoom") for lab in labels
        ):
            motion = camera_motion(state, next_state, max(2, round(full_w)), max(2, round(full_h)))
        arrows += camera_arrows(arrow_kinds(labels, motion), rect, motion)
    project = projector(state, max(2, round(full_w)), max(2, round(full_h)))
    paths = subject_paths(scene, shot, state.frame)
    bodies = _faces_and_bodies(scene, state, project, offset) if paths else {}
    for name, pts in paths.items():
        xy, w = project(pts)
        vis = w > 0.05
        if vis.sum() < 2 or not vis[0]:
            continue
        run = (
            np.argmin(vis) if not vis.all() else len(vis)
        )  # the first stretch in front of the camera
        xy = xy[:run] - offset
        if name in bodies:  # start beside the stand-in, not on it
            _, half_w, mid = bodies[name]
            away = np.linalg.norm(xy - mid, axis=1) > 1.25 * half_w
            if not away.any():
                continue
            xy = xy[int(np.argmax(away)) :]
        faces = [b[0] for b in bodies.values()]
        keep = [not any(_in_box(p, f, 2.0) for f in faces) for p in xy]
        if not all(keep):  # cut the path at the first face it would cross
            stop = keep.index(False)
            xy = xy[:stop]
        if len(xy) < 2 or np.linalg.norm(xy[-1] - xy[0]) < 0.04 * (rect[2] - rect[0]):
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
        _draw_arrow(
            draw,
            pts,
            a.rgb,
            width * (0.8 if a.kind == "bracket" else 1.0),
            head=a.kind != "bracket",
        )
    layer = layer.resize((w, h), Image.LANCZOS)
    rgba = np.asarray(layer).astype(np.float32)
    alpha = rgba[..., 3:4] / 255.0
    mask = np.zeros((h, w, 1), np.float32)
    mask[int(math.ceil(y0)) : int(math.floor(y1)), int(math.ceil(x0)) : int(math.floor(x1))] = 1.0
    alpha = alpha * mask
    # LANCZOS on premultiplied-free RGBA: colour where alpha is 0 is 0; unpremultiply safely
    rgb = rgba[..., :3]
    out = img.astype(np.float32) * (1 - alpha) + rgb * alpha
    return np.clip(np.round(out), 0, 255).astype(np.uint8)


def draw_motion_arrows(
    image: np.ndarray,
    state: FrameState,
    next_state: FrameState | None,
    scene: Scene,
    *,
    open_gate: bool | None = None,
) -> np.ndarray:
    """The panel image with its camera and subject arrows drawn inside the frame. ``open_gate``
    None: an image of the recording mode's aspect is the open gate, any other the delivered frame."""
    img = np.asarray(image, np.uint8)
    h, w = img.shape[:2]
    if open_gate is None:
        open_gate = abs(w / h - state.image_aspect) < 0.02
    arrows = motion_arrows(state, next_state, scene, (w, h), open_gate=open_gate)
    return draw_arrows(img, arrows, _delivered(state, (w, h), open_gate)[3])


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
        way = {"pan": ("left", "right"), "tilt": ("up", "down"), "dutch": ("cw", "ccw")}[t][
            0 if a >= 0 else 1
        ]
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
    parts = [
        _move_phrase(m) for m in shot.moves if m.start_frame < next_frame and m.end_frame > frame
    ]
    if shot.keys and not shot.moves:
        parts.append("keyed move")
    walks = [
        f"{w.standin} walks"
        for w in shot.walks
        if w.start_frame < next_frame and w.end_frame > frame
    ]
    cam = ", ".join(parts) if parts else "camera holds"
    return "; ".join([cam] + walks)


def _transition_text(shot: Shot) -> str:
    if shot.transition == "dissolve":
        return f"DISSOLVE IN {shot.transition_frames} fr"
    return ""


def panel_caption(
    state: FrameState,
    scene: Scene,
    index: int,
    count: int,
    next_frame: int | None,
    *,
    size: str | None = None,
    angle: str | None = None,
) -> tuple[str, ...]:
    """The caption of a panel, by :data:`CAPTION_KEYS`: title (shot, scene, panel n of m, frame,
    timecode, the transition in on the first panel), size line (shot size, angle, camera height and
    tilt, support), lens line (focal length, T-stop, focus), move, description, ACTION,
    DIALOGUE, NOTES (empty where the shot has none). ``size``/``angle``: the frame's own
    (default: judged here; the shot's stated values win)."""
    shot = scene.shot(state.shot_id)
    if size is None or angle is None:
        fa = analyse_frame(scene, state)
        size, angle = size or fa.shot_size, angle or fa.angle
    size = shot.shot_size or size
    angle = shot.angle or angle
    title = f"{shot.id}  ·  Sc {shot.scene_number}  ·  panel {index} of {count}  ·  fr {state.frame}  ·  {state.timecode}"
    if index == 1 and _transition_text(shot):
        title += f"  ·  {_transition_text(shot)}"
    (height,), (tilt,) = height_tilt([state])
    size_line = (
        f"{size}  ·  {angle}  ·  cam {height:.2f} m, tilt {tilt:+.0f}°  ·  "
        f"{support_of(scene, shot)}"
    )
    sq = f" {state.squeeze:g}x anamorphic" if state.squeeze != 1 else ""
    focus = "inf" if math.isinf(state.focus_m) else f"{state.focus_m:.2f} m"
    lens = f"{state.focal_length_mm:g} mm{sq}  ·  T{state.t_stop:g}  ·  focus {focus}"
    move = "Move: " + movement_text(shot, state.frame, next_frame)
    return (
        title,
        size_line,
        lens,
        move,
        shot.description,
        f"ACTION: {shot.action}" if shot.action else "",
        f"DIALOGUE: {shot.dialogue}" if shot.dialogue else "",
        f"NOTES: {shot.notes}" if shot.notes else "",
    )


# ---------------------------------------------------------------- panels
def panels_for_shot(
    scene: Scene,
    shot: Shot | str,
    renderer=None,
    *,
    width: int = 960,
    open_gate: bool = False,
    max_panels: int = 6,
) -> list[Panel]:
    """Render the panels of one shot at :func:`previs.core.analysis.board_frames` (a shot whose
    picture hardly changes: one), each the delivered frame (``open_gate``: the whole recorded
    image with the frame lines) with its arrows and caption. ``renderer`` is a
    :class:`previs.api.StageRenderer` for this scene (one is made and released when None); the
    recorded image is ``width`` pixels wide before the crop."""
    if isinstance(shot, str):
        shot = scene.shot(shot)
    states = [evaluate(scene, shot, f) for f in board_frames(scene, shot, max_panels)]
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
            color = renderer.render(st, overlay=open_gate, read_depth=False).color
            if not open_gate:
                h, w = color.shape[:2]
                x0, y0, x1, y1 = frame_rect_px(st, w, h)
                color = np.ascontiguousarray(
                    color[int(round(y0)) : int(round(y1)), int(round(x0)) : int(round(x1))]
                )
            h, w = color.shape[:2]
            arrows = motion_arrows(st, nxt, scene, (w, h), open_gate=open_gate)
            img = draw_arrows(color, arrows, _delivered(st, (w, h), open_gate)[3])
            cap = panel_caption(st, scene, i + 1, len(states), None if nxt is None else nxt.frame)
            panels.append(
                Panel(
                    shot.id,
                    st.frame,
                    img,
                    cap,
                    st,
                    i + 1,
                    len(states),
                    str(shot.scene_number),
                    tuple(arrows),
                )
            )
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


_TEXT_RGB = {
    "title": (10, 10, 10),
    "size": (25, 25, 25),
    "lens": (70, 70, 70),
    "move": (150, 90, 0),
    "description": (25, 25, 25),
    "action": (25, 25, 25),
    "dialogue": (20, 40, 110),
    "notes": (90, 60, 60),
}
_MAX_LINES = {
    "description": 3,
    "action": 3,
    "dialogue": 3,
    "notes": 3,
}  # the room left cuts them shorter


def _caption_lines(
    panel: Panel, width_of, max_w: float, keys=CAPTION_KEYS
) -> list[tuple[str, str]]:
    """(key, line) for the panel's caption wrapped to ``max_w``: the words fields up to two lines."""
    out = []
    for key in keys:
        text = panel.text.get(key, "")
        if text:
            out += [
                (key, line) for line in _wrap_words(text, width_of, max_w, _MAX_LINES.get(key, 2))
            ]
    return out


def panel_image(panel: Panel):
    """The panel as a PIL image: the frame (with a panel tab top left) over its caption."""
    from PIL import Image, ImageDraw

    img = Image.fromarray(panel.image)
    w, h = img.size
    size = max(12, w // 60)
    f_bold, f_reg = _pil_font(int(size * 1.1), True), _pil_font(size)
    pad = size // 2 + 2
    lh = int(size * 1.35)
    probe = ImageDraw.Draw(Image.new("RGB", (8, 8)))
    lines = _caption_lines(panel, lambda t: probe.textlength(t, font=f_reg), w - 2 * pad)
    out = Image.new("RGB", (w, h + 2 * pad + lh * len(lines)), (250, 250, 248))
    out.paste(img, (0, 0))
    d = ImageDraw.Draw(out)
    tab = f"{panel.shot_id}-{panel.index}"
    tw = d.textlength(tab, font=f_bold)
    d.rectangle([0, 0, tw + 2 * pad, lh + pad], fill=(15, 15, 15))
    d.text((pad, pad // 2 + 1), tab, fill=(255, 255, 255), font=f_bold)
    y = h + pad
    for key, line in lines:
        font = f_bold if key in ("title", "move") else f_reg
        d.text(
            (pad, y),
            _ellipsize(line, lambda t, f=font: d.textlength(t, font=f), w - 2 * pad, False),
            fill=_TEXT_RGB[key],
            font=font,
        )
        y += lh
    return out


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

    @property
    def wide(self) -> bool:
        """Cards wide enough to put the words beside the camera data."""
        return self.cells[0][2] >= WIDE_CARD_MM


def _grids(per_page: int, orientation: str | None) -> list[tuple[int, int, str]]:
    if per_page not in PER_PAGE:
        raise PrevisError(
            f"storyboard sheets hold {', '.join(map(str, PER_PAGE[:-1]))} or {PER_PAGE[-1]} "
            f"panels a page, not {per_page}"
        )
    orients = ("P", "L") if orientation is None else (_orientation(orientation),)
    return [
        (c, per_page // c, o) for o in orients for c in range(1, per_page + 1) if per_page % c == 0
    ]


def _orientation(orientation: str) -> str:
    key = str(orientation).strip().upper()[:1]
    if key not in ("P", "L"):
        raise PrevisError(f"orientation '{orientation}' is not portrait or landscape")
    return key


def sheet_grid(
    per_page: int, image_aspect: float, paper: str = "letter", orientation: str | None = None
) -> tuple[int, int, str]:
    """(columns, rows, orientation) giving the pictures the most area for this aspect, after room
    for their captions (``orientation`` None: portrait or landscape, whichever is larger)."""
    best = None
    for grid in _grids(per_page, orientation):
        lay = sheet_layout(per_page, image_aspect, paper, grid=grid)
        area = lay.images[0][2] * lay.images[0][3]
        if best is None or area > best[0] + 1e-6:
            best = (area, grid)
    return best[1]


def sheet_layout(
    per_page: int,
    image_aspect: float,
    paper: str = "letter",
    *,
    grid=None,
    orientation: str | None = None,
) -> SheetLayout:
    if grid is None:
        grid = sheet_grid(per_page, image_aspect, paper, orientation)
    else:
        _grids(per_page, None)
    paper = paper_name(paper)
    cols, rows, orient = grid
    pw, ph = PAPER_MM[paper]
    if orient == "L":
        pw, ph = ph, pw
    margin, title_h, footer_h = 10.0, 20.0, 7.0
    gap_x, gap_y = 6.0, 5.0
    area_w = pw - 2 * margin
    area_y = margin + title_h + 4.0
    area_h = ph - area_y - margin - footer_h
    col_w = (area_w - gap_x * (cols - 1)) / cols
    row_h = (area_h - gap_y * (rows - 1)) / rows
    lines = WIDE_CAPTION_LINES if col_w >= WIDE_CARD_MM else NARROW_CAPTION_LINES
    caption_min = 2 * CAPTION_PAD_MM + lines * CAPTION_LINE_MM
    img_h = max(1.0, min(col_w / image_aspect, row_h - caption_min))
    img_w = img_h * image_aspect
    card_w = max(img_w, min(col_w, 70.0))  # captions get at least 70 mm where the column allows
    # spare height goes to the caption, up to the lines a caption can use
    most = 2 * CAPTION_PAD_MM + (NARROW_CAPTION_LINES + 4) * CAPTION_LINE_MM
    caption_h = min(
        row_h - img_h,
        max(caption_min, most if card_w < WIDE_CARD_MM else caption_min + 2 * CAPTION_LINE_MM),
    )
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
    return SheetLayout(
        orient,
        pw,
        ph,
        cols,
        rows,
        margin,
        title_h,
        footer_h,
        caption_h,
        tuple(cells),
        tuple(images),
    )


def _stem(scene: Scene) -> str:
    return safe_name(scene.source_path.stem if scene.source_path else scene.name)


_LATIN1 = str.maketrans(
    {"–": "-", "—": "-", "→": "->", "…": "...", "×": "x", "’": "'", "“": '"', "”": '"'}
)


class _Sheet:
    """One PDF being typeset."""

    def __init__(self, layout: SheetLayout, title: str, version: str, date: _dt.date, source: str):
        from fpdf import FPDF

        self.lay, self.title, self.version, self.date, self.source = (
            layout,
            title,
            version,
            date,
            source,
        )
        pdf = FPDF(
            orientation=layout.orientation,
            unit="mm",
            format=(min(layout.page_w, layout.page_h), max(layout.page_w, layout.page_h)),
        )
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
        for panel, (cx, cy, cw, ch), (ix, iy, iw, ih) in zip(
            panels, lay.cells, lay.images, strict=False
        ):
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
        fields = [
            ("SCENE", ", ".join(scenes)),
            ("DATE", self.date.isoformat()),
            ("VERSION", self.version),
            ("PAGE", f"Page {page_no} of {pages}"),
        ]
        widths = [22.0, 30.0, 22.0, 30.0]
        fx = x0 + w - sum(widths)
        # left: production and what the page holds
        pdf.set_fill_color(20, 20, 20)
        pdf.rect(x0, y0, 3.0, h, style="F")
        self.text(x0 + 6, y0 + 2.6, self.title, size=13, bold=True, w=fx - x0 - 10)
        shot_list = shots[0] if len(shots) == 1 else f"{shots[0]}–{shots[-1]}"
        st = panels[0].state  # the package, once a page (the captions give each panel's lens)
        package = f"{st.mode.body_name} {st.mode.mode_name}  ·  {st.lens.kit_name}  ·  {st.delivery_aspect or 'full'}"
        self.text(
            x0 + 6,
            y0 + 9.6,
            f"STORYBOARD  ·  shots {shot_list}",
            size=8.5,
            rgb=(90, 90, 90),
            w=fx - x0 - 10,
        )
        self.font(8)
        if (
            self.pdf.get_string_width(self.t(package)) > fx - x0 - 10
        ):  # a narrow page: the body without its mode
            package = (
                f"{st.mode.body_name}  ·  {st.lens.kit_name}  ·  {st.delivery_aspect or 'full'}"
            )
        self.text(x0 + 6, y0 + 14.4, package, size=8, rgb=(90, 90, 90), w=fx - x0 - 10)
        pdf.set_line_width(0.25)
        for (label, value), fw in zip(fields, widths, strict=True):
            pdf.line(fx, y0, fx, y0 + h)
            self.text(fx + 2.2, y0 + 2.2, label, size=8, rgb=(110, 110, 110))
            self.text(
                fx + 2.2,
                y0 + 8.6,
                value,
                size=10.5 if label != "PAGE" else 9.5,
                bold=True,
                w=fw - 3,
            )
            fx += fw
        # footer
        fy = lay.page_h - m - 3.5
        pdf.set_draw_color(160, 160, 160)
        pdf.set_line_width(0.2)
        pdf.line(m, fy - 1.5, lay.page_w - m, fy - 1.5)
        self.text(
            m,
            fy,
            f"{safe_name(self.title)}_{self.version}_{self.date.isoformat()}",
            size=8,
            rgb=(110, 110, 110),
        )
        self.text(
            lay.page_w - m,
            fy,
            f"previs  ·  {self.source}  ·  Page {page_no} of {pages}",
            size=8,
            rgb=(110, 110, 110),
            align="R",
        )

    def _panel(self, panel: Panel, cell, image_rect) -> None:
        from PIL import Image

        pdf = self.pdf
        cx, cy, cw, ch = cell
        ix, iy, iw, ih = image_rect
        buf = io.BytesIO()
        Image.fromarray(panel.image).save(buf, format="JPEG", quality=90, subsampling=0)
        buf.seek(0)
        h_px, w_px = panel.image.shape[:2]
        if (
            abs(w_px / h_px - iw / ih) > 1e-3
        ):  # a panel of another aspect: fit it in its box, unstretched
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
        # caption: the camera data, then the words (beside it on a wide card)
        y0 = iy + ih + CAPTION_PAD_MM
        bottom = cy + ch - CAPTION_PAD_MM * 0.5
        self.font(CAPTION_PT)
        width_of = self.pdf.get_string_width
        tech = ("title", "size", "lens", "move")
        words = tuple(k for k in CAPTION_KEYS if k not in tech)
        if self.lay.wide:
            col = (cw - 5.0) / 2
            self._lines(panel, tech, cx, y0, col, bottom, width_of)
            pdf.set_draw_color(200, 200, 200)
            pdf.set_line_width(0.2)
            pdf.line(cx + col + 2.5, y0, cx + col + 2.5, bottom)
            self._lines(panel, words, cx + col + 5.0, y0, col, bottom, width_of)
        else:
            self._lines(panel, CAPTION_KEYS, cx, y0, cw, bottom, width_of)

    def _lines(self, panel: Panel, keys, x, y, w, bottom, width_of) -> None:
        """The caption fields ``keys`` from y down, wrapped to w, cut (with an ellipsis) at bottom."""
        lh = CAPTION_LINE_MM
        lines = []
        for key in keys:
            text = self.t(panel.text.get(key, ""))
            if not text:
                continue
            bold = key in ("title", "move")
            self.font(CAPTION_PT, bold)
            lines += [
                (key, line, bold)
                for line in _wrap_words(text, self.pdf.get_string_width, w, _MAX_LINES.get(key, 2))
            ]
        room = max(0, int((bottom - y) / lh + 1e-6))
        if len(lines) > room and room:
            key, line, bold = lines[room - 1]
            self.font(CAPTION_PT, bold)
            lines[room - 1] = (key, _ellipsize(line, self.pdf.get_string_width, w, True), bold)
        for key, line, bold in lines[:room]:
            self.text(x, y, line, size=CAPTION_PT, bold=bold, rgb=_TEXT_RGB[key], w=w)
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
        if (
            not pages
            or len(pages[-1]) == per_page
            or (scene_breaks and pages[-1][-1].scene_number != p.scene_number)
        ):
            pages.append([])
        pages[-1].append(p)
    return pages


def write_sheets(
    panels: Sequence[Panel],
    path_or_dir: str | Path,
    scene: Scene,
    *,
    per_page: int = 6,
    per_scene: bool = False,
    title: str | None = None,
    version: str = "v1",
    date=None,
    paper: str | None = None,
    orientation: str | None = None,
    scene_breaks: bool = True,
) -> list[Path]:
    """Typeset panels onto storyboard sheets (PDF) and write them atomically.

    ``path_or_dir``: a ``.pdf`` path, or a folder (the file is ``<stem>_boards.pdf``). With
    ``per_scene`` one file per scene number, ``<stem>_boards_sc<N>.pdf`` (beside the given
    ``.pdf`` path, named after it, or in the folder). ``paper``: ``letter`` or ``a4`` (None: the
    locale's); ``orientation``: ``P``/``portrait``, ``L``/``landscape`` or None (whichever gives
    the pictures more room). ``scene_breaks``: each scene starts on a new page. Returns the files
    written."""
    from previs.export.atomic import write_atomic

    panels = list(panels)
    if not panels:
        raise ExportError("no storyboard panels to put on sheets")
    _grids(per_page, orientation)
    paper = paper_name(paper or default_paper())
    panels = [p if p.scene_number else _with_scene(p, scene) for p in panels]
    target = Path(path_or_dir)
    if target.suffix.lower() == ".pdf":
        folder, stem = target.parent, target.stem
    else:
        folder, stem = target, f"{_stem(scene)}_boards"
    groups: list[tuple[Path, list[Panel]]]
    if per_scene:
        groups = [
            (folder / f"{stem}_sc{safe_name(n)}.pdf", [p for p in panels if p.scene_number == n])
            for n in _unique(p.scene_number for p in panels)
        ]
    else:
        groups = [(folder / f"{stem}.pdf" if target.suffix.lower() != ".pdf" else target, panels)]
    when = build_date(date)
    aspect = panels[0].image.shape[1] / panels[0].image.shape[0]
    layout = sheet_layout(per_page, aspect, paper, orientation=orientation)
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
WIDTH_BY_PER_PAGE = {1: 1920, 2: 1600, 3: 1280, 4: 1280, 6: 960, 8: 960}
"""Render width (pixels) of a panel for each layout: about 150 dpi on the sheet."""


def export_boards(
    scene: Scene,
    out_dir: str | Path,
    *,
    shot_ids: Sequence[str] | None = None,
    per_page: int = 6,
    per_scene: bool = False,
    width: int | None = None,
    version: str = "v1",
    date=None,
    paper: str | None = None,
    orientation: str | None = None,
    open_gate: bool = False,
    renderer=None,
    progress: bool = False,
) -> list[Path]:
    """Render every shot's panels (or ``shot_ids``'), write each as ``<stem>_<shot>_p<NN>.png`` and
    the sheets as PDF (one for the project, or one per scene). Returns the PNGs, then the PDFs.
    ``width``: of the recorded image (default: :data:`WIDTH_BY_PER_PAGE`); ``open_gate``: panels
    show the whole sensor with the frame lines instead of the delivered frame."""
    _grids(per_page, orientation)
    paper = paper_name(paper or default_paper())
    width = int(width or WIDTH_BY_PER_PAGE[per_page])
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

            it = tqdm(
                shots, desc="boards", unit="shot", file=sys.stderr, disable=None
            )  # off the terminal: quiet
        for shot in it:
            for p in panels_for_shot(scene, shot, renderer, width=width, open_gate=open_gate):
                path = out / f"{stem}_{safe_name(shot.id)}_p{p.index:02d}.png"
                write_panel_png(p, path)
                written.append(path)
                panels.append(p)
    finally:
        if own:
            renderer.release()
    written += write_sheets(
        panels,
        out,
        scene,
        per_page=per_page,
        per_scene=per_scene,
        version=version,
        date=date,
        paper=paper,
        orientation=orientation,
    )
    return written
