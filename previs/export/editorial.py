"""Editorial timelines: the scene's shots cut together as an OpenTimelineIO timeline, a CMX 3600
EDL and an FCP 7 XML, so an editor can drop the previs into an NLE.

    tl = build_timeline(scene, media_dir="out")               # an otio.schema.Timeline
    export_editorial(scene, "out/editorial", media_dir="out")
    # out/editorial/led_stage.otio, led_stage.edl, led_stage.xml

The cut
-------
* One video track ``V1``, one clip per shot in scene order, butted together (no gaps). A clip is
  named after its shot id and lasts exactly the shot's ``length_frames`` at the scene's rate;
  every time is a ``RationalTime`` at ``float(scene.frame_rate)`` (23.976 is ``24000/1001``).
  Source ranges start at frame 0 of the shot's media (``00:00:00:00``).
* **Transitions**: a shot's ``transition`` is how the cut comes into it. A ``dissolve`` of N
  frames is an OTIO ``SMPTE_Dissolve`` centred on the cut (``in_offset`` N//2, ``out_offset`` the
  rest); its handles come from the two shots' own frames (the outgoing clip ends the
  ``out_offset`` early, the incoming one starts ``in_offset`` late), so the two overlap and the
  cut is N frames shorter. The EDL carries it as a ``D`` event and the FCP XML as a
  ``transitionitem`` (both through the OTIO adapters). A dissolve into the first shot is left out.
* **Record start 01:00:00:00.** ``timeline.global_start_time`` is one hour of timecode, the
  editorial convention (the first hour is left for bars, slates and pre-roll): frame 86400 at 24
  and 23.976, 90000 at 25, 107892 at 29.97 drop-frame (``01:00:00;00``). The EDL's record
  timecodes and the FCP XML sequence timecode start there too.
* Drop-frame: at 29.97, 59.94 and 119.88 every timecode we write is drop-frame (``;`` before the
  frames, ``FCM: DROP FRAME`` in the EDL, ``<displayformat>DF`` in the XML); at every other rate
  it is non-drop (``FCM: NON-DROP FRAME``). 23.976 has no drop-frame count.

Media
-----
Each clip references, in this order of preference, what exists in the media folder(s):

1. the shot's animatic, ``<dir>/<shot>.mp4`` (what ``previs animatic`` writes): an
   ``ExternalReference`` to its ``file://`` URI whose ``available_range`` is the MP4's frame count
   (read from its boxes; the shot's length when the file cannot be parsed);
2. its storyboard panel(s), ``<dir>/<scene stem>_<shot>.png`` or
   ``<dir>/<scene stem>_<shot>_fNNNN.png`` (what ``previs render`` writes): an
   ``ExternalReference`` to the first panel, a still held for the shot's length; every panel is
   listed under ``metadata["previs"]["media"]["panels"]``;
3. else a ``MissingReference`` named after the animatic previs would write for it
   (``<shot>.mp4``), so an editing application shows it as offline media of that name.

Every clip has a media reference of its own: in the FCP 7 XML each clip's ``<file>`` gets its
own id (``file-1``, ``file-2``, ... in cut order), so an editing application never links two
shots to one source (the adapter would otherwise merge every offline reference into one).

``media_dir`` is a folder or a list of folders; each is searched itself and then its
``animatic/`` and ``storyboard/`` sub-folders (the CLI's default output folders), so
``media_dir="out"`` finds ``out/animatic/1A.mp4``; a folder that does not exist is an
:class:`~previs.errors.ExportError`. Without ``media_dir`` every reference is missing.

Metadata
--------
``clip.metadata["previs"]`` carries the shot (id, scene number, description, notes, length), the
camera package (body, recording mode, sensor size, lens kit, squeeze, ISO, shutter), the optics at
the first and last frame (focal length, T-stop, focus), a movement summary (the moves' types in
order, ``"static"`` when there are none), the plausibility warnings of
:func:`previs.core.plausibility.check_track` (``flags``: their kinds; ``plausibility``: each with
its frames, value, limit and sentence), the record in/out timecodes, the media found, and the
scene file's path and format version. ``timeline.metadata["previs"]`` holds the scene-level facts
and this file's ``format_version``. Custom metadata survives only in the ``.otio``.

The EDL (``cmx_3600`` adapter, Avid style) names each event's reel after its shot id: letters and
digits only, upper case, at most 8 characters, made unique (``clip.metadata["cmx_3600"]["reel"]``,
which the adapter also honours when someone converts our ``.otio`` themselves); the clip name is the
shot id (``* FROM CLIP NAME:``) and a ``* PREVIS:`` comment gives scene, lens, T-stop and movement.
Writes are atomic: each file is produced in memory and renamed into place.

Names are made safe for every format: a character that is not text (a control character, an
unpaired surrogate, U+FFFE/U+FFFF) in a shot id, the scene's name or a media name becomes U+FFFD
in the timeline (in descriptions and notes, tabs and line breaks are kept); the EDL drops it
(a line break in a name can never start a new event), and the FCP XML never holds a character
XML 1.0 forbids.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from fractions import Fraction
from pathlib import Path

import opentimelineio as otio

from previs.core.timecode import (
    format_rate,
    frames_to_timecode,
    is_drop_frame_rate,
    timecode_to_frames,
)
from previs.errors import ExportError
from previs.export.paper import safe_name as _safe_name

__all__ = [
    "build_timeline",
    "export_editorial",
    "reel_names",
    "record_start_frames",
    "RECORD_START",
    "EDITORIAL_FORMAT_VERSION",
    "FORMATS",
]

EDITORIAL_FORMAT_VERSION = 1
"""Version of the ``metadata["previs"]`` layout in the timelines we write."""

RECORD_START = "01:00:00:00"
"""Where the cut starts in record timecode: one hour, the editorial convention."""

FORMATS = {"otio": ".otio", "edl": ".edl", "fcpxml": ".xml"}
"""Export format name -> file suffix."""

REEL_LENGTH = 8  # CMX 3600 reel names are at most 8 characters

_RT = otio.opentime.RationalTime
_TR = otio.opentime.TimeRange


# ---------------------------------------------------------------- small helpers
def _ascii(text: str) -> str:
    """ASCII for EDL text: accents folded, anything else (control characters too) dropped,
    whitespace collapsed."""
    spaced = _clean(text, keep=" \t\n\r").replace("\ufffd", " ")  # what is not text: a space
    folded = unicodedata.normalize("NFKD", spaced).encode("ascii", "ignore").decode("ascii")
    return " ".join("".join(c for c in folded if c.isprintable() or c.isspace()).split())


def _is_text_char(c: str, keep: str) -> bool:
    if c in keep:
        return True
    cat = unicodedata.category(c)
    return not (cat == "Cc" or cat == "Cs" or c in "\ufffe\uffff")


def _clean(text, keep: str = "") -> str:
    """``text`` with every character that is not text (control characters but those in
    ``keep``, unpaired surrogates, U+FFFE, U+FFFF) replaced by U+FFFD."""
    text = str(text)
    if all(_is_text_char(c, keep) for c in text):
        return text
    return "".join(c if _is_text_char(c, keep) else "\ufffd" for c in text)


def _clean_meta(value):
    """Metadata with its strings cleaned (tabs and line breaks kept: notes may have lines)."""
    if isinstance(value, str):
        return _clean(value, keep="\t\n")
    if isinstance(value, dict):
        return {_clean(k): _clean_meta(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean_meta(v) for v in value]
    return value


def record_start_frames(rate) -> int:
    """Frames from 00:00:00:00 to the record start (01:00:00:00, drop-frame where the rate has it)."""
    tc = RECORD_START[:8] + (";" if is_drop_frame_rate(rate) else ":") + RECORD_START[9:]
    return timecode_to_frames(tc, rate)


def reel_names(shot_ids: Iterable[str], length: int = REEL_LENGTH) -> dict[str, str]:
    """A CMX 3600 reel name per shot id: its letters and digits, upper case, cut to ``length``
    characters, made unique with a numeric suffix where two ids would collide."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for index, shot_id in enumerate(shot_ids, start=1):
        base = (
            re.sub(r"[^A-Z0-9]", "", _ascii(shot_id).upper())[:length] or f"SH{index:03d}"[:length]
        )
        reel, n = base, 1
        while reel in used:
            n += 1
            suffix = str(n)
            reel = base[: length - len(suffix)] + suffix
        used.add(reel)
        out[shot_id] = reel
    return out


def _search_dirs(media_dir) -> list[Path]:
    if media_dir is None:
        return []
    roots = [media_dir] if isinstance(media_dir, (str, Path)) else list(media_dir)
    dirs: list[Path] = []
    for root in roots:
        root = Path(root)
        if not root.is_dir():  # a mistyped --media would otherwise give a timeline of missing media
            raise ExportError(f"media folder {root} does not exist (or is not a folder)")
        for d in (root, root / "animatic", root / "storyboard"):
            if d.is_dir() and d not in dirs:
                dirs.append(d)
    return dirs


def _scene_stem(scene) -> str:
    return _safe_name(Path(scene.source_path).stem if scene.source_path else scene.name)


def _find_media(scene, shot, dirs: Sequence[Path]):
    """("animatic", path) | ("panels", [(frame or None, path), ...]) | ("missing", None)."""
    safe = _safe_name(shot.id)
    for d in dirs:
        movie = d / f"{safe}.mp4"
        if movie.is_file():
            return "animatic", movie
    stem = _scene_stem(scene)
    pattern = re.compile(rf"{re.escape(stem)}_{re.escape(safe)}(?:_f(\d{{4,}}))?\.png")
    for d in dirs:
        panels = []
        for p in d.iterdir():
            m = pattern.fullmatch(p.name)
            if m and p.is_file():
                panels.append((int(m.group(1)) if m.group(1) else None, p))
        if panels:
            panels.sort(key=lambda fp: (-1 if fp[0] is None else fp[0], fp[1].name))
            return "panels", panels
    return "missing", None


def _uri(path: Path) -> str:
    return Path(path).resolve().as_uri()


def _movie_frames(path: Path) -> int | None:
    """The MP4's frame count, or None when it cannot be read as an MP4 (then the shot's length
    is assumed)."""
    from previs.export.animatic import mp4_info

    try:
        return int(mp4_info(path).frames)
    except Exception:  # a truncated or foreign file: fall back to the shot length
        return None


# ---------------------------------------------------------------- per-shot facts
def _movement(shot) -> str:
    if not shot.moves:
        return "static"
    types: list[str] = []
    for m in sorted(shot.moves, key=lambda m: m.start_frame):  # stable: ties keep their order
        if m.type not in types:
            types.append(m.type)
    return ", ".join(t.replace("_", " ") for t in types)


def _plausibility(scene, shot) -> list[dict]:
    """check_track's warnings as plain data (moving shots only, as ``previs render`` checks)."""
    if not (shot.moves or shot.keys):
        return []
    from previs.core.frame import camera_track
    from previs.core.plausibility import check_track
    from previs.core.presets import get_lens

    lens = get_lens(scene.camera.lens_kit, shot.camera.focal_length_mm)
    found = check_track(
        camera_track(scene, shot),
        list(shot.moves),
        scene.frame_rate,
        lens_zoom_range_mm=lens.zoom_range_mm,
        length_frames=shot.length_frames,
    )
    return [
        {
            "kind": w.kind,
            "frames": [int(w.shot_frame_range[0]), int(w.shot_frame_range[1])],
            "value": _num(w.value),
            "limit": _num(w.limit),
            "message": w.message,
        }
        for w in found
    ]


def _num(x: float) -> float:
    """A float that JSON can hold and reads well (rounded to 6 significant digits)."""
    x = float(x)
    if not math.isfinite(x):
        return x if not math.isnan(x) else 0.0
    return float(f"{x:.6g}")


def _shot_metadata(scene, shot, rec_in: int, media: dict) -> dict:
    from previs.core.frame import evaluate
    from previs.core.presets import get_body

    rate = scene.frame_rate
    first = evaluate(scene, shot, 0)
    last = evaluate(scene, shot, max(shot.length_frames - 1, 0))
    body = get_body(scene.camera.body)
    warnings = _plausibility(scene, shot)

    def focus(v: float):
        return None if math.isinf(v) else _num(v)  # infinity has no JSON spelling

    return {
        "shot": shot.id,
        "scene_number": str(shot.scene_number),
        "description": shot.description,
        "notes": shot.notes,
        "length_frames": int(shot.length_frames),
        "duration_s": _num(Fraction(shot.length_frames) / rate),
        "record_in": frames_to_timecode(rec_in, rate),
        "record_out": frames_to_timecode(rec_in + shot.length_frames, rate),
        "camera_body": body.id,
        "camera_body_name": body.name,
        "sensor_mode": first.mode.mode_id,
        "sensor_mode_name": first.mode.mode_name,
        "sensor_mm": [_num(first.mode.width_mm), _num(first.mode.height_mm)],
        "lens_kit": first.lens.kit_id,
        "lens_kit_name": first.lens.kit_name,
        "lens_mm": _num(first.focal_length_mm),
        "lens_mm_end": _num(last.focal_length_mm),
        "squeeze": _num(first.squeeze),
        "t_stop": _num(first.t_stop),
        "t_stop_end": _num(last.t_stop),
        "focus_m": focus(first.focus_m),
        "focus_m_end": focus(last.focus_m),
        "iso": _num(first.iso),
        "shutter_angle_deg": _num(first.shutter_angle_deg),
        "hfov_deg": _num(first.hfov_deg),
        "movement": _movement(shot),
        "moves": [
            {
                "type": m.type,
                "start_frame": int(m.start_frame),
                "end_frame": int(m.end_frame),
                "interp": m.interp,
            }
            for m in shot.moves
        ],
        "walks": [w.standin for w in shot.walks],
        "light_cues": len(shot.light_cues),
        "wall_cues": len(shot.wall_cues),
        "flags": sorted({w["kind"] for w in warnings}),
        "plausibility": warnings,
        "media": media,
        "scene_file": str(scene.source_path) if scene.source_path else None,
        "scene_format_version": int(scene.format_version),
    }


# ---------------------------------------------------------------- the timeline
def build_timeline(
    scene,
    *,
    media_dir: Path | str | Sequence[Path | str] | None = None,
    name: str | None = None,
    shot_ids: Sequence[str] | None = None,
) -> otio.schema.Timeline:
    """The scene's shots as one video track of clips (see the module docstring); ``shot_ids``
    picks and orders a subset (default: every shot in scene order)."""
    shots = [scene.shot(s) for s in shot_ids] if shot_ids else list(scene.shots)
    if not shots:
        raise ExportError(f"{scene.source_path or scene.name}: no shots to put on a timeline")
    rate_q = scene.frame_rate
    rate = float(rate_q)
    drop = is_drop_frame_rate(rate_q)
    start = record_start_frames(rate_q)
    dirs = _search_dirs(media_dir)
    reels = reel_names([s.id for s in shots])

    tl = otio.schema.Timeline(name=_clean(name or scene.name or _scene_stem(scene)))
    tl.global_start_time = _RT(start, rate)
    tl.metadata["previs"] = _clean_meta(
        {
            "format_version": EDITORIAL_FORMAT_VERSION,
            "scene_name": scene.name,
            "scene_file": str(scene.source_path) if scene.source_path else None,
            "scene_format_version": int(scene.format_version),
            "frame_rate": f"{rate_q.numerator}/{rate_q.denominator}",
            "frame_rate_label": format_rate(rate_q),
            "drop_frame": drop,
            "record_start": frames_to_timecode(start, rate_q),
            "camera_body": scene.camera.body,
            "sensor_mode": scene.camera.mode,
            "lens_kit": scene.camera.lens_kit,
        }
    )
    if drop:  # the FCP XML adapter writes NDF sequence timecode unless told otherwise
        tl.metadata["fcp_xml"] = {"timecode": {"displayformat": "DF"}}
    track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    tl.tracks.append(track)

    head, tail = _dissolve_handles(shots)
    rec = start
    for i, shot in enumerate(shots):
        n = int(shot.length_frames)
        used = n - head[i] - tail[i]  # the frames the cut shows of this shot outside its dissolves
        kind, found = _find_media(scene, shot, dirs)
        media: dict = {"kind": kind}
        if kind == "animatic":
            frames = _movie_frames(found)
            media.update(path=str(found.resolve()), url=_uri(found), frames=frames)
            ref = otio.schema.ExternalReference(
                target_url=_uri(found), available_range=_TR(_RT(0, rate), _RT(frames or n, rate))
            )
            if frames is not None and frames != n:
                media["length_mismatch"] = True  # an animatic rendered before the shot changed
        elif kind == "panels":
            media["panels"] = [
                {"frame": f, "path": str(p.resolve()), "url": _uri(p)} for f, p in found
            ]
            ref = otio.schema.ExternalReference(
                target_url=_uri(found[0][1]), available_range=_TR(_RT(0, rate), _RT(n, rate))
            )
        else:
            ref = otio.schema.MissingReference(name=_clean(f"{_safe_name(shot.id)}.mp4"))
        if drop:
            ref.metadata["fcp_xml"] = {"timecode": {"displayformat": "DF"}}
        clip = otio.schema.Clip(
            name=_clean(shot.id),
            media_reference=ref,
            source_range=_TR(_RT(head[i], rate), _RT(used, rate)),
        )
        meta = _clean_meta(_shot_metadata(scene, shot, rec, media))
        meta["record_out"] = frames_to_timecode(rec + used, rate_q)
        meta["transition"] = {
            "type": shot.transition,
            "frames": int(shot.transition_frames),
            "applied": bool(i and shot.transition == "dissolve"),
        }
        if i and shot.transition == "dissolve":
            before, after = _split(shot.transition_frames)
            track.append(
                otio.schema.Transition(
                    name=_clean(f"{shots[i - 1].id} > {shot.id}"),
                    transition_type=otio.schema.TransitionTypes.SMPTE_Dissolve,
                    in_offset=_RT(before, rate),
                    out_offset=_RT(after, rate),
                )
            )
        clip.metadata["previs"] = meta
        lens = f"{meta['lens_mm']:g}MM" + (
            f"-{meta['lens_mm_end']:g}MM" if meta["lens_mm_end"] != meta["lens_mm"] else ""
        )
        comment = f"PREVIS: SC {meta['scene_number']} {lens} T{meta['t_stop']:g} {meta['movement'].upper()}"
        clip.metadata["cmx_3600"] = {"reel": reels[shot.id], "comments": [_ascii(comment)]}
        track.append(clip)
        rec += used
    return tl


def _split(frames: int) -> tuple[int, int]:
    """A dissolve of ``frames`` centred on the cut: (frames before it, frames after it)."""
    return frames // 2, frames - frames // 2


def _dissolve_handles(shots) -> tuple[list[int], list[int]]:
    """Per shot, the frames its dissolves take as handles: (from its head, from its tail). A
    dissolve from shot A into B plays A past its cut and B before its cut, so the cut shows A
    shortened at its tail by the half after the cut and B starting the half before the cut late
    (shots have no media beyond their own frames). The first shot's dissolve has nothing to
    dissolve from and is left out."""
    head, tail = [0] * len(shots), [0] * len(shots)
    for i, shot in enumerate(shots):
        if i and shot.transition == "dissolve":
            before, after = _split(int(shot.transition_frames))
            head[i] += before
            tail[i - 1] += after
    for i, shot in enumerate(shots):
        if head[i] + tail[i] >= shot.length_frames:
            raise ExportError(
                f"shot {shot.id} ({shot.length_frames} frames) is too short for its dissolves "
                f"({head[i] + tail[i]} frames of handles)"
            )
    return head, tail


# ---------------------------------------------------------------- the files
def _edl_text(tl: otio.schema.Timeline) -> str:
    """CMX 3600 through the cmx_3600 adapter, with record timecode from the timeline's start and
    an FCM line. The adapter counts record time from 00:00:00:00 and ignores
    ``global_start_time``, so a copy of the track gets a leading gap of that length (gaps are
    not events: they only move the record timecode)."""
    rate = tl.tracks[0].duration().rate
    edl = otio.schema.Timeline(name=_ascii(tl.name) or "PREVIS")
    track = tl.tracks[0].deepcopy()
    start = tl.global_start_time
    if start is not None and start.value > 0:
        track.insert(0, otio.schema.Gap(source_range=_TR(_RT(0, rate), start.rescaled_to(rate))))
    for clip in track.find_clips():  # one line per name: a line break must not start an event
        clip.name = _ascii(clip.name) or "CLIP"
    edl.tracks.append(track)
    text = otio.adapters.write_to_string(
        edl, adapter_name="cmx_3600", rate=rate, style="avid", reelname_len=REEL_LENGTH
    )
    drop = bool(tl.metadata.get("previs", {}).get("drop_frame"))
    fcm = "FCM: DROP FRAME" if drop else "FCM: NON-DROP FRAME"
    lines = text.split("\n")
    at = 1 if lines and lines[0].startswith("TITLE:") else 0
    lines.insert(at, fcm)
    return "\n".join(lines)


_XML_FORBIDDEN = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _fcp_text(tl: otio.schema.Timeline) -> str:
    """FCP 7 XML through the fcp_xml adapter, from a copy of the timeline in which every clip's
    media reference has a file id of its own (the adapter gives one id to references that
    serialise alike: every offline clip would link to one file) and no name holds a character
    XML 1.0 forbids (the adapter's pretty-printer would fail on it)."""
    tl = tl.deepcopy()
    tl.name = _XML_FORBIDDEN.sub("\ufffd", tl.name)
    for index, clip in enumerate(tl.find_clips(), start=1):
        clip.name = _XML_FORBIDDEN.sub("\ufffd", clip.name)
        ref = clip.media_reference
        ref.name = _XML_FORBIDDEN.sub("\ufffd", ref.name or "")
        fcp = dict(ref.metadata.get("fcp_xml", {}))
        fcp["@id"] = f"file-{index}"
        ref.metadata["fcp_xml"] = fcp
    return otio.adapters.write_to_string(tl, adapter_name="fcp_xml")


def export_editorial(
    scene,
    out_dir,
    *,
    media_dir=None,
    formats: Iterable[str] = ("otio", "edl", "fcpxml"),
    shot_ids: Sequence[str] | None = None,
    name: str | None = None,
) -> list[Path]:
    """Write ``<out>/<scene stem>.otio`` / ``.edl`` / ``.xml`` (the ``formats`` asked for, in
    that order) atomically and return their paths."""
    from previs.export.atomic import write_atomic

    formats = list(formats)
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise ExportError(
            f"unknown editorial format '{unknown[0]}' (use any of: {', '.join(FORMATS)})"
        )
    tl = build_timeline(scene, media_dir=media_dir, name=name, shot_ids=shot_ids)
    out_dir = Path(out_dir)
    stem = _scene_stem(scene)
    written: list[Path] = []
    for fmt in FORMATS:  # a fixed order, whatever order they were asked in
        if fmt not in formats:
            continue
        path = out_dir / f"{stem}{FORMATS[fmt]}"
        try:
            if fmt == "otio":
                text = otio.adapters.write_to_string(tl, adapter_name="otio_json")
            elif fmt == "edl":
                text = _edl_text(tl)
            else:
                text = _fcp_text(tl)
        except otio.exceptions.OTIOError as exc:
            raise ExportError(f"{path}: the {fmt} writer failed: {exc}") from None
        write_atomic(path, text.encode("utf-8"))
        written.append(path)
    return written
