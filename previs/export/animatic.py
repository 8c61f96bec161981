"""Animatics: every frame of each shot rendered to PNGs, then cut into H.264 MP4s.

    result = render_animatic(scene, ["1A", "1B"], "out/animatic", width=1280,
                             render_frame=lambda s: renderer.render(s, read_depth=False).color,
                             evaluate=previs.core.frame.evaluate)
    # out/animatic/frames/1A/1A_00000.png ..., out/animatic/1A.mp4, out/animatic/sequence.mp4

* Frames land in ``<out>/frames/<shot>/<shot>_<frame:05d>.png``, each written atomically, so an
  interrupted render resumes: frames already there (that decode, at the right size, rendered with
  the same settings) are skipped. Each frame carries the key of the settings it was rendered
  with (a ``tEXt`` chunk ``previs-key`` before the image data), so a run never keeps or cuts in
  a frame that another run made with other settings (width, draft scale, lighting, burn-in,
  scene): it renders that frame again.
* One run writes an output folder at a time: :func:`render_animatic` holds an OS lock on it
  (:class:`~previs.export.atomic.FolderLock`, released by the kernel however the run ends), and a
  second run into the same folder refuses at once with one line naming the first one's pid.
  Holding it, a run first removes the temporaries that killed runs left there.
* MP4s are H.264, yuv420p (odd sizes padded to even with black on the right/bottom), BT.709
  tagged, at the exact rational rate (24000/1001 is stored as 1001 ticks of a 24000 Hz clock),
  written to a temporary file beside the target and renamed into place. An ffmpeg failure is an
  :class:`~previs.errors.ExportError` with one line; it leaves neither the MP4 nor the temporary.
* ffmpeg is the static build the ``imageio-ffmpeg`` wheel carries (no system ffmpeg needed). We
  drive it with our own pipe rather than ``imageio_ffmpeg.write_frames``, because that generator
  neither reports ffmpeg's exit status nor captures its error output.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np
from isal import isal_zlib

from previs.core.timecode import format_rate, frames_to_timecode, parse_rate
from previs.errors import ExportError, PrevisError
from previs.export.atomic import (
    FolderLock,
    file_umask,
    remove_stale_temporaries,
    temporary_path,
    write_atomic,
)
from previs.export.paper import safe_name as _safe_name
from previs.export.storyboard import fit_text

__all__ = [
    "BurnIn",
    "burn_in",
    "burn_in_lines",
    "FrameSequence",
    "encode_mp4",
    "concat_mp4",
    "render_animatic",
    "AnimaticResult",
    "Mp4Info",
    "mp4_info",
    "add_animatic_command",
    "FrameWriter",
    "animatic_lock",
    "clean_output",
    "encode_png",
    "settings_key",
    "animatic_cache_key",
    "render_frames",
]

MANIFEST_VERSION = 2
"""Version of the frames' settings key (2: the key travels in each frame, not in a manifest)."""
KEY_CHUNK = b"previs-key"
"""The keyword of the PNG ``tEXt`` chunk that holds a frame's settings key."""


# ---------------------------------------------------------------- burn-in
@dataclass(frozen=True)
class BurnIn:
    """Which facts are burnt into the animatic frames."""

    shot: bool = True  # top left: shot id, scene number, description
    timecode: bool = True  # top right: timecode, frame counter, rate
    lens: bool = True  # bottom: lens kit, focal length, squeeze, T-stop
    focus: bool = True  # bottom: focus distance

    @classmethod
    def none(cls) -> BurnIn:
        return cls(False, False, False, False)

    @property
    def any(self) -> bool:
        return self.shot or self.timecode or self.lens or self.focus


@functools.lru_cache(maxsize=8)
def _font(size: int):
    from PIL import ImageFont

    return ImageFont.load_default(size=size)


@functools.lru_cache(maxsize=256)
def _text_mask(size: int, text: str):
    """``text`` in the burn-in type of ``size`` px as a coverage mask (an "L" image, shared: only
    ever read) and the place in it of the text's origin. Pasting white through it at (x, y)
    minus that place puts the same bytes where ``ImageDraw.text((x, y), ...)`` would (both blend
    with PIL's fill-with-mask); the shot's unchanging lines are rendered once, not every frame
    (the glyph rendering was most of the burn-in's time)."""
    from PIL import Image, ImageDraw

    font = _font(size)
    left, top, right, bottom = font.getbbox(text)
    ox, oy = max(0, -left) + 1, max(0, -top) + 1
    mask = Image.new("L", (max(1, right + ox + 1), max(1, bottom + oy + 1)))
    ImageDraw.Draw(mask).text((ox, oy), text, font=font, fill=255)
    return mask, (ox, oy)


def burn_in(
    image: np.ndarray,
    lines_top_left: Sequence[str],
    lines_top_right: Sequence[str],
    lines_bottom: Sequence[str],
) -> np.ndarray:
    """``image`` (H, W, 3) uint8 with text blocks in the top corners and at the bottom centre.

    White text on a black box at 60 % opacity, so it reads on any picture. The type scales with
    the width (about 1/56 of it, at least 12 px from 240 px wide up: 12 px at 640, 34 px at 1920;
    thumbnails get smaller type so the text leaves them some picture); lines too long for their
    block are cut with an ellipsis. Returns a new array; the input is untouched.
    """
    from PIL import Image, ImageDraw

    img = _as_rgb(image)
    h, w = img.shape[:2]
    size = max(round(w / 56), min(12, round(w / 20)))
    font = _font(size)
    pad, margin, line_h = max(3, size // 3), max(4, size // 2), round(size * 1.25)
    measure = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    out = np.array(img)  # a copy; only the boxes are touched (not a full-frame composite)

    def fitted(text: str, max_w: float) -> tuple[str, float]:
        # Most lines repeat every frame; measuring them (and cutting long ones letter by letter)
        # was most of the burn-in's time.
        key = (size, text, max_w)
        hit = _FIT_CACHE.get(key)
        if hit is None:
            if len(_FIT_CACHE) > 4096:
                _FIT_CACHE.clear()
            t = fit_text(measure, text, font, max_w)
            hit = _FIT_CACHE[key] = (t, measure.textlength(t, font=font))
        return hit

    def block(lines, where: str, max_w: float) -> None:
        fits = [fitted(str(t), max_w - 2 * pad) for t in lines if t]
        if not fits:
            return
        lines, widths = [t for t, _ in fits], [tw for _, tw in fits]
        bw, bh = max(widths) + 2 * pad, len(lines) * line_h + 2 * pad
        x0 = {"tl": margin, "tr": w - margin - bw, "b": (w - bw) / 2}[where]
        y0 = h - margin - bh if where == "b" else margin
        # Black at 60 % opacity: what is under the box keeps 102/255 of its value.
        xa, ya, xb, yb = (
            max(round(x0), 0),
            max(round(y0), 0),
            min(round(x0 + bw), w),
            min(round(y0 + bh), h),
        )
        if xb <= xa or yb <= ya:
            return
        box = (out[ya:yb, xa:xb].astype(np.uint16) * 102 + 127) // 255
        # The text is drawn into the box alone: converting the whole frame to PIL and back
        # cost more than the drawing.
        pic = Image.fromarray(box.astype(np.uint8))
        for i, (t, tw) in enumerate(zip(lines, widths, strict=True)):
            x = x0 + pad + (bw - 2 * pad - tw if where == "tr" else 0)
            mask, (ox, oy) = _text_mask(size, t)
            pic.paste(
                (255, 255, 255), (round(x) - xa - ox, round(y0 + pad + i * line_h) - ya - oy), mask
            )
        out[ya:yb, xa:xb] = np.asarray(pic)

    block(lines_top_left, "tl", w * 0.48 - margin)
    block(lines_top_right, "tr", w * 0.48 - margin)
    block(lines_bottom, "b", w - 2 * margin)
    return out


_FIT_CACHE: dict[
    tuple, tuple[str, float]
] = {}  # (type size, text, width) -> (fitted text, its width)


_draw_burn_in = burn_in  # render_animatic's ``burn_in`` argument (the flags) shadows the function


def burn_in_lines(state, scene, flags: BurnIn = BurnIn()) -> tuple[list[str], list[str], list[str]]:
    """The (top-left, top-right, bottom) lines for one FrameState."""
    import math

    shot = scene.shot(state.shot_id)
    tl, tr, bottom = [], [], []
    if flags.shot:
        tl.append(f"{shot.id}  ·  Sc {shot.scene_number}")
        if shot.description:
            tl.append(shot.description)
    if flags.timecode:
        tr.append(frames_to_timecode(state.frame, state.frame_rate))
        tr.append(
            f"fr {state.frame} / {shot.length_frames}  ·  {format_rate(state.frame_rate)} fps"
        )
    parts = []
    if flags.lens:
        sq = f" {state.squeeze:g}x" if state.squeeze != 1 else ""
        parts.append(
            f"{state.lens.kit_name} {state.focal_length_mm:g} mm{sq}  ·  T{state.t_stop:g}"
        )
    if flags.focus:
        parts.append("focus inf" if math.isinf(state.focus_m) else f"focus {state.focus_m:.2f} m")
    if parts:
        bottom.append("  ·  ".join(parts))
    return tl, tr, bottom


# ---------------------------------------------------------------- frames on disk
def _as_rgb(image) -> np.ndarray:
    """An (H, W, 3) uint8 array from an array, a PIL image or a render result with ``.color``."""
    if hasattr(image, "color"):
        image = image.color
    a = np.asarray(image)
    if a.dtype != np.uint8:
        raise ExportError(f"animatic frames must be 8-bit RGB, got {a.dtype}")
    if a.ndim == 2:
        a = np.repeat(a[:, :, None], 3, axis=2)
    if a.ndim != 3 or a.shape[2] not in (3, 4) or a.shape[0] < 1 or a.shape[1] < 1:
        raise ExportError(f"animatic frames must be (height, width, 3) images, got shape {a.shape}")
    return a[:, :, :3]


def _fit_to(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``image`` scaled to fit ``size`` (W, H), keeping its aspect, centred on black."""
    from PIL import Image

    w, h = size
    ih, iw = image.shape[:2]
    if (iw, ih) == (w, h):
        return image
    s = min(w / iw, h / ih)
    nw, nh = max(1, round(iw * s)), max(1, round(ih * s))
    out = np.zeros((h, w, 3), np.uint8)
    scaled = np.asarray(
        Image.fromarray(np.ascontiguousarray(image)).resize((nw, nh), Image.LANCZOS)
    )
    y, x = (h - nh) // 2, (w - nw) // 2
    out[y : y + nh, x : x + nw] = scaled
    return out


def _deflate(data) -> bytes:
    """A zlib stream of ``data`` by ISA-L at level 1: about the size of zlib's level 1 with the
    run-length strategy (1 % larger on the example's frames) in well under half the time
    (bench/bench_png.py), and it releases the GIL while it works."""
    return isal_zlib.compress(data, 1)


def _png_chunk(tag: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data)) + tag + data + struct.pack(">I", isal_zlib.crc32(tag + data))
    )


def _png_head(size: tuple[int, int], key: str | None) -> bytes:
    """The bytes every PNG of ``size`` (W, H) under ``key`` starts with: signature, IHDR and the
    key's tEXt chunk (none without a key)."""
    w, h = size
    header = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)  # 8-bit RGB, no interlace
    head = b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header)
    if key is not None:
        head += _png_chunk(b"tEXt", KEY_CHUNK + b"\0" + _key_bytes(key))
    return head


def _key_bytes(key: str) -> bytes:
    try:
        data = str(key).encode("latin-1")  # tEXt text is Latin-1
    except UnicodeEncodeError:
        data = b""
    if not data or len(data) > 1000 or any(b < 32 or b == 127 for b in data):
        data = hashlib.sha256(str(key).encode("utf-8", "surrogatepass")).hexdigest().encode()
    return data


def encode_png(rgb: np.ndarray, key: str | None = None) -> bytes:
    """An (H, W, 3) uint8 image as a PNG: every row Sub-filtered (numpy) and deflated by
    :func:`_deflate`. These PNGs are the animatic's image sequence and the MP4s' source; PIL's
    level 1 (adaptive filters) takes about ten times as long for files of about the same size
    (bench/bench_png.py). ISA-L and numpy release the GIL, so the next frame renders meanwhile.
    ``key`` (the settings the frame was rendered with) goes in a ``tEXt`` chunk ``previs-key``
    before the image data; the same picture and key always give the same bytes."""
    a = np.ascontiguousarray(rgb, np.uint8)
    h, w = a.shape[:2]
    flat = a.reshape(h, w * 3)
    rows = np.empty((h, 1 + w * 3), np.uint8)
    rows[:, 0] = 1  # filter type Sub: each byte minus the same channel of the pixel to its left
    rows[:, 1:4] = flat[:, :3]
    np.subtract(flat[:, 3:], flat[:, :-3], out=rows[:, 4:])  # wraps modulo 256, as PNG wants
    idat = _deflate(rows)
    return _png_head((w, h), key) + _png_chunk(b"IDAT", idat) + _png_chunk(b"IEND", b"")


class FrameSequence:
    """The numbered PNGs of one shot: ``<folder>/<shot>/<shot>_<frame:05d>.png``.

    ``size`` is (width, height). ``key`` (optional) names the settings the frames are rendered
    with; every frame written carries it (see :func:`encode_png`) and a frame that carries
    another key, or none, is not valid here (so changing the width or the burn-in never mixes
    frames, even in a folder that two runs with different settings have written into). Without
    a key any frame of the right size is valid.
    """

    PATTERN = "{shot}_{frame:05d}.png"

    def __init__(
        self,
        folder,
        shot_id: str,
        frame_count: int,
        size: tuple[int, int],
        *,
        key: str | None = None,
    ):
        if int(frame_count) < 1:
            raise ExportError(f"shot {shot_id} has no frames to render")
        self.shot_id = str(shot_id)
        self.folder = Path(folder) / _safe_name(shot_id)
        self.frame_count = int(frame_count)
        self.size = (int(size[0]), int(size[1]))
        self.key = key
        self._head = _png_head(self.size, key)

    @property
    def manifest_path(self) -> Path:
        """Where version 1 kept the folder's key (no longer written; removed by :meth:`prepare`)."""
        return self.folder / "frames.json"

    def _frame_number(self, name: str) -> int | None:
        m = re.fullmatch(rf"{re.escape(_safe_name(self.shot_id))}_(\d{{5,}})\.png", name)
        return int(m.group(1)) if m else None

    def prepare(self) -> None:
        """Create the folder; remove the temporaries killed runs left in it, the old folder-wide
        manifest and frames past this sequence's end (the shot was longer). Call it holding the
        output folder's lock."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ExportError(f"{self.folder}: cannot write ({exc.strerror or exc})") from None
        remove_stale_temporaries(
            self.folder, lambda name: name == "frames.json" or self._frame_number(name) is not None
        )
        if self.key is None:
            return
        self.manifest_path.unlink(missing_ok=True)
        for old in self.folder.glob(f"{_safe_name(self.shot_id)}_*.png"):
            n = self._frame_number(old.name)
            if n is not None and n >= self.frame_count:
                old.unlink(missing_ok=True)

    def path(self, frame: int) -> Path:
        return self.folder / self.PATTERN.format(shot=_safe_name(self.shot_id), frame=int(frame))

    def paths(self) -> list[Path]:
        return [self.path(f) for f in range(self.frame_count)]

    def _check_frame(self, frame: int) -> None:
        if not 0 <= int(frame) < self.frame_count:
            raise ExportError(
                f"shot {self.shot_id} has {self.frame_count} frames; frame {frame} is outside it"
            )

    def frame_key(self, frame: int) -> str | None:
        """The settings key frame ``frame`` carries (None: no key, or no readable frame)."""
        from PIL import Image

        self._check_frame(frame)
        try:
            with Image.open(self.path(frame)) as im:
                key = im.info.get(KEY_CHUNK.decode())
        except Exception:
            return None
        return key if isinstance(key, str) else None

    def is_valid(self, frame: int) -> bool:
        """The frame's PNG exists, passes PIL's structural check (chunk CRCs, no truncation), is
        RGB at this sequence's size and was rendered under this sequence's key (its first bytes
        are those :func:`encode_png` writes for this size and key)."""
        from PIL import Image

        self._check_frame(frame)
        try:
            if self.key is not None:
                with open(self.path(frame), "rb") as f:
                    if f.read(len(self._head)) != self._head:
                        return False
            with Image.open(self.path(frame)) as im:
                if im.format != "PNG" or im.size != self.size or im.mode != "RGB":
                    return False
                im.verify()
            return True
        except Exception:  # missing, unreadable, truncated, corrupt: all mean "render it again"
            return False

    def missing(self) -> list[int]:
        """Frames that still need rendering, in order."""
        return [f for f in range(self.frame_count) if not self.is_valid(f)]

    def write(self, frame: int, rgb) -> None:
        self._check_frame(frame)
        a = _as_rgb(rgb)
        if (a.shape[1], a.shape[0]) != self.size:
            raise ExportError(
                f"shot {self.shot_id} frame {frame}: image is {a.shape[1]}x{a.shape[0]}, "
                f"the sequence is {self.size[0]}x{self.size[1]}"
            )
        write_atomic(self.path(frame), encode_png(a, self.key))

    def read(self, frame: int) -> np.ndarray:
        from PIL import Image

        self._check_frame(frame)
        try:
            with Image.open(self.path(frame)) as im:
                return np.asarray(im.convert("RGB"))
        except (OSError, SyntaxError) as exc:
            raise ExportError(f"{self.path(frame)}: cannot read frame ({exc})") from None


class FrameWriter:
    """Finishes frames on a worker thread: scale to the sequence size, burn in, PNG-encode,
    write atomically. The next frame renders meanwhile (ISA-L and PIL release the GIL while they
    work). At most one frame waits, so memory stays flat; an error in the worker is raised by
    the next :meth:`submit` or :meth:`wait`."""

    def __init__(self):
        from concurrent.futures import ThreadPoolExecutor

        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="previs-frame-writer")
        self._pending = None

    @staticmethod
    def finish(seq: FrameSequence, frame: int, image, lines) -> None:
        rgb = _fit_to(_as_rgb(image), seq.size)
        if lines is not None:
            rgb = _draw_burn_in(rgb, *lines)
        seq.write(frame, rgb)

    def submit(self, seq: FrameSequence, frame: int, image, lines=None, on_done=None) -> None:
        image = _as_rgb(image)  # checked here, so a bad frame fails at its own render
        self.wait()

        def job():
            self.finish(seq, frame, image, lines)
            if on_done is not None:
                on_done()

        self._pending = self._pool.submit(job)

    def wait(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def close(self) -> None:
        try:
            self.wait()
        finally:
            self._pool.shutdown(wait=True)


# ---------------------------------------------------------------- encoding
def _ffmpeg_exe() -> str:
    try:
        import imageio_ffmpeg
    except ImportError:
        raise ExportError(
            "writing MP4 needs the imageio-ffmpeg package (pip install imageio-ffmpeg)"
        ) from None
    try:
        return imageio_ffmpeg.get_ffmpeg_exe()
    except RuntimeError as exc:
        raise ExportError(f"no ffmpeg found for writing MP4: {exc}") from None


def _ffmpeg_message(log: bytes) -> str:
    lines = [ln.strip() for ln in log.decode("utf-8", "replace").splitlines() if ln.strip()]
    lines = [re.sub(r"^\[[^\]]*@ 0x[0-9a-f]+\]\s*", "", ln) for ln in lines]
    if not lines:
        return "no message"
    # the first line that names an error is usually the cause; the last is usually a summary
    for ln in lines:
        if re.search(r"error|invalid|out of range|no such|permission|unable|cannot", ln, re.I):
            return ln
    return lines[-1]


def _load_frame(item) -> np.ndarray:
    if isinstance(item, (str, os.PathLike)):
        from PIL import Image

        try:
            with Image.open(item) as im:
                return np.asarray(im.convert("RGB"))
        except (OSError, SyntaxError) as exc:
            raise ExportError(f"{item}: cannot read frame ({exc})") from None
    return _as_rgb(item)


def encode_mp4(
    frames: Iterable,
    path,
    fps,
    *,
    crf: int = 18,
    preset: str = "medium",
    progress: bool | str = False,
    total: int | None = None,
) -> int:
    """Encode RGB frames (arrays or image paths, all one size) to an H.264 MP4 at exactly ``fps``.

    Returns the number of frames written. ``crf`` is x264's constant-quality factor (0 lossless,
    18 visually lossless, 23 its default). ``progress`` (True or a label) shows a tqdm bar.
    """
    path = Path(path)
    rate = parse_rate(fps)
    if isinstance(crf, bool) or not isinstance(crf, int) or not 0 <= crf <= 51:
        raise ExportError(f"{path}: crf must be a whole number within 0..51, got {crf!r}")
    items = iter(frames)
    if total is None and hasattr(frames, "__len__"):
        total = len(frames)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(
            total=total,
            unit="frame",
            desc=progress if isinstance(progress, str) else f"encoding {path.name}",
            file=sys.stderr,
            disable=None,
            dynamic_ncols=True,
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = temporary_path(path)
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600))
    except OSError as exc:
        if bar is not None:
            bar.close()
        raise ExportError(f"{path}: cannot write ({exc.strerror or exc})") from None
    proc = None
    log = tempfile.TemporaryFile()
    written = 0
    try:
        size = None
        for item in items:
            rgb = _load_frame(item)
            h, w = rgb.shape[:2]
            if size is None:
                size = (w, h)
                cmd = [
                    _ffmpeg_exe(),
                    "-hide_banner",
                    "-nostdin",
                    "-loglevel",
                    "error",
                    "-f",
                    "rawvideo",
                    "-pix_fmt",
                    "rgb24",
                    "-s",
                    f"{w}x{h}",
                    "-framerate",
                    str(rate),
                    "-i",
                    "-",
                    "-an",
                    "-vf",
                    "pad=ceil(iw/2)*2:ceil(ih/2)*2,scale=out_color_matrix=bt709:out_range=tv,"
                    "format=yuv420p,setparams=range=tv:colorspace=bt709:color_primaries=bt709:"
                    "color_trc=bt709",
                    "-c:v",
                    "libx264",
                    "-preset",
                    str(preset),
                    "-crf",
                    str(crf),
                    "-pix_fmt",
                    "yuv420p",
                    "-colorspace",
                    "bt709",
                    "-color_primaries",
                    "bt709",
                    "-color_trc",
                    "bt709",
                    "-color_range",
                    "tv",
                    "-movflags",
                    "+faststart",
                    "-f",
                    "mp4",
                    "-y",
                    str(tmp),
                ]
                proc = subprocess.Popen(
                    cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=log
                )
            elif (w, h) != size:
                raise ExportError(
                    f"{path}: frame {written} is {w}x{h}, the first frame was {size[0]}x{size[1]}"
                )
            try:
                proc.stdin.write(np.ascontiguousarray(rgb).tobytes())
            except (BrokenPipeError, OSError):
                break  # ffmpeg has quit: its status and log say why, below
            written += 1
            if bar is not None:
                bar.update(1)
        if proc is None:
            raise ExportError(f"{path}: no frames to encode")
        try:
            proc.stdin.close()
        except OSError:
            pass
        rc = proc.wait()
        if rc != 0:
            log.seek(0)
            raise ExportError(
                f"{path}: ffmpeg failed (exit status {rc}): {_ffmpeg_message(log.read())}"
            )
        os.chmod(tmp, 0o666 & ~file_umask())
        os.replace(tmp, path)
        return written
    except BaseException:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
        tmp.unlink(missing_ok=True)
        raise
    finally:
        log.close()
        if bar is not None:
            bar.close()


def concat_mp4(
    shot_sequences: Sequence[FrameSequence],
    path,
    fps,
    *,
    crf: int = 18,
    preset: str = "medium",
    progress: bool | str = False,
) -> int:
    """The shots cut together, in order, re-encoded from their PNGs into one MP4.

    Every shot is scaled to fit the largest width and height among them and centred on black
    (shots of one scene share a recording mode, so this is normally a no-op).
    """
    if not shot_sequences:
        raise ExportError(f"{path}: no shots to cut together")
    size = (max(s.size[0] for s in shot_sequences), max(s.size[1] for s in shot_sequences))

    def frames():
        for seq in shot_sequences:
            for f in range(seq.frame_count):
                yield _fit_to(seq.read(f), size)

    total = sum(s.frame_count for s in shot_sequences)
    return encode_mp4(
        frames(),
        path,
        fps,
        crf=crf,
        preset=preset,
        total=total,
        progress="cutting sequence" if progress is True else progress,
    )


# ---------------------------------------------------------------- reading MP4s back
@dataclass(frozen=True)
class Mp4Info:
    frames: int
    width: int  # coded size from the sample description (even for yuv420p)
    height: int
    fps: Fraction  # exact: media timescale / sample duration (mean over the track)
    codec: str  # the sample entry, e.g. "avc1"


def mp4_info(path) -> Mp4Info:
    """Frame count, size, exact rate and codec of an MP4's first video track, from its boxes."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ExportError(f"{path}: cannot read ({exc.strerror or exc})") from None

    def boxes(buf: bytes, start: int, end: int):
        i = start
        while i + 8 <= end:
            size, kind = struct.unpack(">I4s", buf[i : i + 8])
            head = 8
            if size == 1:
                size, head = struct.unpack(">Q", buf[i + 8 : i + 16])[0], 16
            elif size == 0:
                size = end - i
            if size < head:
                break
            yield kind.decode("latin-1"), i + head, i + size
            i += size

    def child(start, end, kind):
        return next(((s, e) for k, s, e in boxes(data, start, end) if k == kind), None)

    moov = child(0, len(data), "moov")
    if moov is None:
        raise ExportError(f"{path}: not an MP4 (no moov box)")
    for kind, s, e in boxes(data, *moov):
        if kind != "trak":
            continue
        mdia = child(s, e, "mdia")
        hdlr = mdia and child(*mdia, "hdlr")
        if not hdlr or data[hdlr[0] + 8 : hdlr[0] + 12] != b"vide":
            continue
        mdhd = child(*mdia, "mdhd")
        ms = mdhd[0]
        timescale = struct.unpack(">I", data[ms + (20 if data[ms] == 1 else 12) :][:4])[0]
        stbl = child(*child(*mdia, "minf"), "stbl")
        stts = child(*stbl, "stts")
        n_entries = struct.unpack(">I", data[stts[0] + 4 : stts[0] + 8])[0]
        entries = [
            struct.unpack(">II", data[stts[0] + 8 + 8 * k : stts[0] + 16 + 8 * k])
            for k in range(n_entries)
        ]
        frames = sum(c for c, _ in entries)
        ticks = sum(c * d for c, d in entries)
        stsd = child(*stbl, "stsd")
        entry = stsd[0] + 8
        codec = data[entry + 4 : entry + 8].decode("latin-1")
        width, height = struct.unpack(">HH", data[entry + 8 + 24 : entry + 8 + 28])
        fps = Fraction(frames * timescale, ticks) if ticks else Fraction(0)
        return Mp4Info(frames=frames, width=width, height=height, fps=fps, codec=codec)
    raise ExportError(f"{path}: no video track")


# ---------------------------------------------------------------- the whole job
@dataclass
class AnimaticResult:
    out_dir: Path
    shot_movies: dict[str, Path]  # shot id -> <out>/<shot>.mp4
    sequence: Path | None  # <out>/sequence.mp4
    frames_rendered: int
    frames_skipped: int
    shot_frames: dict[str, tuple[int, int]] = field(
        default_factory=dict
    )  # id -> (rendered, skipped)
    render_seconds: float = 0.0
    encode_seconds: float = 0.0


def settings_key(width: int, burn_in: BurnIn, cache_key: str) -> str:
    """The key every frame of a run carries (see :class:`FrameSequence`): batch workers compute
    the same one from the same settings."""
    return hashlib.sha256(
        repr((MANIFEST_VERSION, int(width), burn_in, str(cache_key))).encode()
    ).hexdigest()[:16]


def animatic_cache_key(
    scene, *, render_width: int, width: int, antialias: bool, shadows: bool, full_res_lighting: bool
) -> str:
    """``previs animatic``'s cache key: the scene file's bytes, the version and what changes the
    picture. The client, its batch workers and a farm's tasks all derive it this way."""
    from previs import __version__

    digest = hashlib.sha256()
    if scene.source_path is not None:
        digest.update(Path(scene.source_path).read_bytes())
    return (
        f"{digest.hexdigest()} previs {__version__} aa={antialias} shadows={shadows}"
        f" lights={'full' if full_res_lighting else 'half'}-res"
        + (f" scale={render_width} up=gpu-bicubic" if render_width != width else "")
        + ("" if scene.output.display == "filmic" else f" output={scene.output}")
    )  # --display/--view


def render_frames(
    writer: FrameWriter,
    scene,
    shot,
    seq: FrameSequence,
    frames,
    *,
    render_frame: Callable,
    evaluate: Callable,
    burn_in: BurnIn,
    on_done=None,
) -> None:
    """Render ``frames`` of ``shot`` into ``seq`` through ``writer`` (the one loop a run and a
    batch worker share, so their frames are the same bytes)."""
    for f in frames:
        state = evaluate(scene, shot, f)
        lines = burn_in_lines(state, scene, burn_in) if burn_in.any else None
        writer.submit(seq, f, render_frame(state), lines, on_done=on_done)
    writer.wait()


def render_animatic(
    scene,
    shot_ids,
    out_dir,
    *,
    width: int = 1280,
    burn_in: BurnIn = BurnIn(),
    render_frame: Callable | None = None,
    evaluate: Callable,
    progress: bool = True,
    crf: int = 18,
    preset: str = "medium",
    cache_key: str = "",
    sequence: bool = True,
    frames_runner: Callable | None = None,
) -> AnimaticResult:
    """Render every frame of the shots (all of them when ``shot_ids`` is empty or None), write
    ``<out>/<shot>.mp4`` for each and ``<out>/sequence.mp4`` cutting them together.

    ``render_frame(state)`` returns the picture (an (H, W, 3) uint8 array or a render result
    with ``.color``), normally at ``state.image_size(width)``; another size is scaled to it.
    ``evaluate(scene, shot, frame)`` gives the FrameState. Frames already on disk and valid are
    skipped (resume); ``cache_key`` should change whenever the picture would (the CLI passes a
    hash of the scene file), as do ``width`` and ``burn_in``, which are part of the key.

    ``frames_runner(work, key, advance)`` (instead of ``render_frame``) renders the missing
    frames elsewhere (previs.batch: worker processes, a Dask cluster): ``work`` is a list of
    (shot, FrameSequence, frames) and ``advance(n)`` moves the progress bar. This process still
    holds the folder's lock, and encodes the MP4s once every frame is on disk.
    """
    if (render_frame is None) == (frames_runner is None):
        raise TypeError("render_animatic needs render_frame or frames_runner (one of them)")
    out_dir = Path(out_dir)
    shots = [scene.shot(s) if isinstance(s, str) else s for s in (shot_ids or [])] or list(
        scene.shots
    )
    if not shots:
        raise ExportError(f"{scene.source_path or scene.name}: no shots to render")
    files: dict[str, str] = {}
    for shot in shots:  # "1 A" and "1_A" would share a frames folder and an MP4
        other = files.setdefault(_safe_name(shot.id), shot.id)
        if other != shot.id:
            raise ExportError(
                f"shots {other!r} and {shot.id!r} would both be written as "
                f"{_safe_name(shot.id)}.mp4; rename one of them"
            )
    firsts = [evaluate(scene, shot, 0) for shot in shots]  # every shot checked before any work
    rates = {st.frame_rate for st in firsts}
    if sequence and len(rates) > 1:
        raise ExportError(
            "shots at different frame rates cannot be cut into one sequence: "
            + ", ".join(f"{st.shot_id} {format_rate(st.frame_rate)}" for st in firsts)
        )
    key = settings_key(width, burn_in, cache_key)
    with animatic_lock(out_dir):
        return _render_locked(
            scene,
            shots,
            firsts,
            out_dir,
            key,
            width=width,
            burn_in=burn_in,
            render_frame=render_frame,
            evaluate=evaluate,
            progress=progress,
            crf=crf,
            preset=preset,
            sequence=sequence,
            frames_runner=frames_runner,
        )


def animatic_lock(out_dir) -> FolderLock:
    """The lock one animatic run holds on its output folder (re-entrant in one process)."""
    return FolderLock(out_dir, "previs animatic")


def clean_output(out_dir) -> None:
    """Remove what killed runs left in an animatic folder: the temporaries of its MP4s and of
    every shot's frames. Call it holding :func:`animatic_lock`."""
    out_dir = Path(out_dir)
    remove_stale_temporaries(out_dir, lambda name: name.endswith(".mp4"))
    frames_dir = out_dir / "frames"
    try:
        shot_dirs = [d for d in frames_dir.iterdir() if d.is_dir() and not d.is_symlink()]
    except OSError:
        return
    for d in shot_dirs:
        remove_stale_temporaries(
            d, lambda name: name == "frames.json" or re.fullmatch(r".+_\d{5,}\.png", name)
        )


def _render_locked(
    scene,
    shots,
    firsts,
    out_dir: Path,
    key: str,
    *,
    width,
    burn_in,
    render_frame,
    evaluate,
    progress,
    crf,
    preset,
    sequence,
    frames_runner=None,
) -> AnimaticResult:
    clean_output(out_dir)
    frames_dir = out_dir / "frames"
    seqs = []
    for shot, st in zip(shots, firsts, strict=True):
        seq = FrameSequence(frames_dir, shot.id, shot.length_frames, st.image_size(width), key=key)
        seq.prepare()
        seqs.append(seq)
    todo = [seq.missing() for seq in seqs]
    n_todo = sum(len(t) for t in todo)
    n_all = sum(s.frame_count for s in seqs)
    result = AnimaticResult(
        out_dir=out_dir,
        shot_movies={},
        sequence=None,
        frames_rendered=0,
        frames_skipped=n_all - n_todo,
    )

    from tqdm import tqdm

    t0 = time.perf_counter()
    bar = tqdm(
        total=n_todo,
        unit="frame",
        desc="rendering",
        file=sys.stderr,
        dynamic_ncols=True,
        disable=None if progress else True,
    )
    if progress and n_todo < n_all:
        bar.write(
            f"resuming: {n_all - n_todo} of {n_all} frames already rendered in {frames_dir}",
            file=sys.stderr,
        )
    if frames_runner is not None:
        try:
            if n_todo:
                frames_runner(
                    [w for w in zip(shots, seqs, todo, strict=True) if w[2]], key, bar.update
                )
        finally:
            bar.close()
        clean_output(out_dir)  # the temporaries of workers killed mid-frame
        for shot, seq, frames in zip(shots, seqs, todo, strict=True):
            lost = seq.missing() if frames else []
            if lost:  # a worker wrote where this process cannot see: storage not shared
                raise ExportError(
                    f"{seq.folder}: {len(lost)} frame{'s' if len(lost) > 1 else ''} the "
                    f"workers rendered {'are' if len(lost) > 1 else 'is'} not there (first: "
                    f"{seq.path(lost[0]).name}); the output folder must be on storage "
                    "the workers share"
                )
            result.shot_frames[shot.id] = (len(frames), seq.frame_count - len(frames))
            result.frames_rendered += len(frames)
    else:
        writer = FrameWriter()
        try:
            for shot, seq, frames in zip(shots, seqs, todo, strict=True):
                bar.set_postfix_str(str(shot.id))
                render_frames(
                    writer,
                    scene,
                    shot,
                    seq,
                    frames,
                    render_frame=render_frame,
                    evaluate=evaluate,
                    burn_in=burn_in,
                    on_done=lambda: bar.update(1),
                )
                result.shot_frames[shot.id] = (len(frames), seq.frame_count - len(frames))
                result.frames_rendered += len(frames)
        finally:
            writer.close()
            bar.close()
    result.render_seconds = time.perf_counter() - t0

    t0 = time.perf_counter()
    for shot, seq, st in zip(shots, seqs, firsts, strict=True):
        movie = out_dir / f"{_safe_name(shot.id)}.mp4"
        encode_mp4(
            seq.paths(),
            movie,
            st.frame_rate,
            crf=crf,
            preset=preset,
            progress=f"encoding {movie.name}" if progress else False,
        )
        result.shot_movies[shot.id] = movie
    if sequence:
        result.sequence = out_dir / "sequence.mp4"
        concat_mp4(
            seqs, result.sequence, firsts[0].frame_rate, crf=crf, preset=preset, progress=progress
        )
    result.encode_seconds = time.perf_counter() - t0
    return result


# ---------------------------------------------------------------- the CLI command
def add_animatic_command(subparsers):
    """Register ``previs animatic`` on the CLI's subparsers (``build_parser`` calls this)."""
    p = subparsers.add_parser(
        "animatic",
        help="render every frame of the shots and cut them into H.264 MP4s",
        description="Render every frame of each shot to PNGs (resuming where a previous run "
        "stopped), then write <DIR>/<shot>.mp4 per shot and <DIR>/sequence.mp4.",
    )
    p.add_argument("scene", help="scene file (YAML)")
    p.add_argument(
        "--shot", action="append", metavar="ID", help="shot id (repeatable); default: all shots"
    )
    p.add_argument(
        "-o",
        "--output",
        default="out/animatic",
        metavar="DIR",
        help="output folder (default: out/animatic); frames go to DIR/frames/<shot>/",
    )
    p.add_argument("--width", type=int, default=1280, help="frame width in pixels (default 1280)")
    p.add_argument(
        "--scale",
        type=float,
        default=1.0,
        metavar="S",
        help="draft: render at S times the width (0.25..1) and scale up to it on the "
        "GPU (bicubic); burn-ins stay full size (default 1: native)",
    )
    p.add_argument(
        "--full-res-lighting",
        action="store_true",
        help="evaluate the lights at every pixel; by default they are evaluated at every "
        "other pixel of every other row and each pixel blends the samples on its own "
        "surface (edges, thin objects, glints, textures and the LED wall stay full "
        "resolution; a few levels of 255 at edges)",
    )
    p.add_argument(
        "--no-burn-in", action="store_true", help="no shot, timecode and lens text on the frames"
    )
    p.add_argument(
        "--crf", type=int, default=18, help="H.264 quality, 0 (lossless) to 51 (default 18)"
    )
    p.add_argument("--no-aa", action="store_true", help="no anti-aliasing")
    p.add_argument("--no-shadows", action="store_true", help="render without shadow maps")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    from previs.batch.options import add_batch_arguments

    add_batch_arguments(p)
    p.set_defaults(func=_cmd_animatic)
    return p


def _cmd_animatic(args) -> int:
    from previs import api
    from previs.core.frame import evaluate

    if not 0 <= args.crf <= 51:
        raise PrevisError(f"--crf must be within 0..51, got {args.crf}")
    if not 0.25 <= args.scale <= 1.0:
        raise PrevisError(f"--scale must be within 0.25..1, got {args.scale}")
    if args.width < 16:
        raise PrevisError(f"--width must be at least 16 pixels, got {args.width}")
    render_width = max(16, round(args.width * args.scale))
    from previs.cli import load_scene_warning

    scene = load_scene_warning(args.scene, args)  # (--display/--view)
    shots = [scene.shot(s) for s in args.shot] if args.shot else list(scene.shots)
    for shot in shots:  # a wrong shot id or lens fails before the renderer starts
        evaluate(scene, shot, 0)
    key = animatic_cache_key(
        scene,
        render_width=render_width,
        width=args.width,
        antialias=not args.no_aa,
        shadows=not args.no_shadows,
        full_res_lighting=args.full_res_lighting,
    )
    flags = BurnIn.none() if args.no_burn_in else BurnIn()
    from previs.batch.options import batch_wanted

    if batch_wanted(args):  # worker processes or a Dask cluster render; this process encodes
        from previs.batch.run import animatic_runner

        with (
            animatic_lock(args.output),
            animatic_runner(args, scene, render_width, flags) as runner,
        ):
            res = render_animatic(
                scene,
                shots,
                args.output,
                width=args.width,
                burn_in=flags,
                frames_runner=runner,
                evaluate=evaluate,
                progress=not args.quiet,
                crf=args.crf,
                cache_key=key,
            )
        return _report(res)
    # The folder is locked before the renderer starts, so a second run refuses at once.
    with (
        animatic_lock(args.output),
        api.StageRenderer(
            scene,
            width=render_width,
            antialias=not args.no_aa,
            shadows=not args.no_shadows,
            half_res_lighting=not args.full_res_lighting,
        ) as r,
    ):
        res = render_animatic(
            scene,
            shots,
            args.output,
            width=args.width,
            burn_in=flags,
            render_frame=lambda state: (
                r.render(state, read_depth=False, output_width=args.width).color
            ),
            evaluate=evaluate,
            progress=not args.quiet,
            crf=args.crf,
            cache_key=key,
        )
    return _report(res)


def _report(res: AnimaticResult) -> int:
    total = res.frames_rendered + res.frames_skipped
    print(
        f"rendered {res.frames_rendered} of {total} frames ({res.frames_skipped} already done) "
        f"in {res.render_seconds:.1f} s; encoded in {res.encode_seconds:.1f} s"
    )
    for shot_id, movie in res.shot_movies.items():
        print(f"  {shot_id:<6} {movie}")
    if res.sequence is not None:
        print(f"  {'all':<6} {res.sequence}")
    return 0
