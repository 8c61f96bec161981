"""Recorded camera takes in: OpenTrackIO samples, Nuke .chan and previs' glTF camera become a shot.

    take = read_take("A001_C003.opentrackio.json", scene)
    shot = take_shot(scene, take, "T1")       # camera block + reduced keys, in scene-file terms
    add_take(scene_path, take, "T1")          # written into the scene file, comments kept, .bak

The readers are the inverse of :mod:`previs.export.camera_data` (same axes and angle orders; see
there). Every format lands in one :class:`TakeSamples`: per-sample previs world-from-camera
matrices (metres, +Y up, looking down -Z) on whole frames of the take's own rate, with optional
focal length, focus and T-stop.

From samples to keys
--------------------
The samples are first put on the scene's frames (frame ``k`` at ``k / scene rate`` s from the
take's first sample; gaps and a different take rate are interpolated linearly, angles unwrapped),
then reduced to the fewest keys that reproduce them. The keys are written ``linear``: between two
keys previs then interpolates each channel at constant speed (:mod:`previs.core.animation`), so
the error of a key set is known exactly at every frame, and a key depends on its two neighbours
only (``smooth``'s Fritsch-Carlson tangents would depend on keys further away and could not be
checked segment by segment). A greedy pass takes, from each key, the farthest next key for which
every frame between stays within tolerance (exponential then binary search: O(n log n) checks,
never the O(n²) of Ramer-Douglas-Peucker on noisy data):

* position: the distance from the sample within :data:`POSITION_TOL_M` (1 mm);
* orientation: pan, tilt and roll are reduced together, the *angle between* the keyed and the
  recorded camera orientation within :data:`ANGLE_TOL_DEG` (0.05°); then each angle channel drops
  the keys it does not need (those through which it is linear anyway);
* focal length within :data:`FOCAL_TOL_MM` (0.1 mm), focus within :data:`FOCUS_TOL_M` (1 mm),
  T-stop within :data:`T_STOP_TOL`; focus at infinity is held (previs cannot fade to infinity);
* consecutive angle keys stay under 170° apart, since previs turns the short way between keys.

A final check evaluates the written keys (rounded as the scene file holds them) with previs' own
:class:`~previs.core.animation.Channel` and adds a key wherever a frame would still be off.

Limits (hostile files): a take file is at most :data:`MAX_TAKE_BYTES`; a single JSON document
(not JSON lines, not one sample per line) at most :data:`MAX_JSON_DOCUMENT_BYTES`; at most
:data:`MAX_TAKE_SAMPLES` samples and a take no longer than a shot may be
(:data:`previs.core.limits.MAX_SHOT_FRAMES` frames at the scene's rate). Every number must be
finite and within the scene file's ranges. A mistake is one :class:`TakeError` line naming the
file, line (or sample) and field.
"""

from __future__ import annotations

import base64
import io
import json
import math
import struct
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np

from previs.core import limits as lim
from previs.core import presets
from previs.core import scene as sc
from previs.core import transforms as tf
from previs.core.animation import Channel, key
from previs.core.timecode import is_drop_frame_rate
from previs.errors import PrevisError, printable
from previs.io.safe_files import UnsafeFile, read_regular

POSITION_TOL_M = 0.001
ANGLE_TOL_DEG = 0.05
FOCAL_TOL_MM = 0.1
FOCUS_TOL_M = 0.001
T_STOP_TOL = 0.01
_MARGIN = 0.9  # reduce within 90 % of each tolerance: the file's rounding (1e-7) and float noise
_MAX_ANGLE_STEP_DEG = 170.0

MAX_TAKE_BYTES = 256 * 2**20
"""256 MiB: about 150,000 complete OpenTrackIO samples of ~1.5 KB, more than a shot may hold."""
MAX_JSON_DOCUMENT_BYTES = 64 * 2**20
"""A take parsed as one JSON document (a pretty-printed array): Python's objects take about ten
times the text, so this keeps a parse under a GB. JSON lines and previs' own one-sample-a-line
arrays are read line by line up to :data:`MAX_TAKE_BYTES`."""
MAX_TAKE_SAMPLES = lim.MAX_SHOT_FRAMES
"""100,000 samples: 69 minutes at 24 fps, 28 minutes at 60 Hz."""
MAX_LINE_BYTES = 1 << 20
"""One line of JSON lines or .chan: 1 MiB (a complete sample is a few KB)."""


class TakeError(PrevisError):
    """A take file that cannot be read: the message names the file, line or sample, and field."""


@dataclass
class TakeSamples:
    """A recorded camera, in previs axes, on whole frames of its own rate."""

    source: str
    frame_rate: Fraction
    frames: np.ndarray  # (n,) int, strictly increasing, first 0
    world_from_camera: np.ndarray  # (n, 4, 4)
    focal_length_mm: np.ndarray | None = None
    focus_m: np.ndarray | None = None  # inf = focused at infinity
    t_stop: np.ndarray | None = None
    timecode: str | None = None
    notes: list[str] = field(default_factory=list)

    def __post_init__(self):
        n = len(self.frames)
        if n < 1:
            raise TakeError(f"{self.source}: the take has no samples")
        if n > MAX_TAKE_SAMPLES:
            raise TakeError(
                f"{self.source}: {n:,} samples; a take holds at most {MAX_TAKE_SAMPLES:,}"
            )


# ---------------------------------------------------------------- reading
def read_take(
    path: str | Path,
    scene: sc.Scene,
    *,
    fmt: str | None = None,
    frame_rate=None,
    focal_length_mm: float | None = None,
    use_tracking: bool = False,
) -> TakeSamples:
    """A take file as samples. ``fmt``: opentrackio, chan or gltf (default: from the name and
    content). ``frame_rate`` for formats without one (.chan; default the scene's);
    ``focal_length_mm`` where the file has none (a .chan of 7 columns, OpenTrackIO without lens
    data); ``use_tracking`` maps OpenTrackIO through the scene's ``tracking:`` section (a take the
    stage's tracker recorded) instead of taking its axes as the stage's."""
    p = Path(path)
    name = printable(p)
    try:  # the one safe reader: regular files only, size-capped, never blocking on a FIFO
        data = read_regular(p, MAX_TAKE_BYTES)
    except UnsafeFile as exc:
        why = exc.reason
        if why.startswith("the file is "):  # the take's own limit, in its own words
            why = f"{why[12:].split(';')[0]}; a take file is at most {MAX_TAKE_BYTES:,} bytes"
        raise TakeError(f"{name}: {why}") from None
    fmt = fmt or _guess_format(p, data)
    rate = None if frame_rate is None else _rate_arg(frame_rate)
    if fmt == "opentrackio":
        from previs.track.mapping import StageMapping

        mapping = StageMapping(scene.tracking if use_tracking else None, "opentrackio")
        dicts = _opentrackio_dicts(data, name)
        return otio_take(
            dicts,
            scene,
            source=str(p),
            mapping=mapping,
            frame_rate=rate,
            focal_length_mm=focal_length_mm,
        )
    if fmt == "chan":
        return read_chan(data, name, scene, frame_rate=rate, focal_length_mm=focal_length_mm)
    if fmt == "gltf":
        return read_gltf(data, p, scene)
    raise TakeError(f"{name}: unknown take format '{fmt}' (use opentrackio, chan or gltf)")


def _rate_arg(value) -> Fraction:
    from previs.core.timecode import parse_rate

    return parse_rate(value)


def _guess_format(p: Path, data: bytes) -> str:
    n = p.name.lower()
    if n.endswith((".glb", ".gltf")) or data[:4] == b"glTF":
        return "gltf"
    if n.endswith(".chan"):
        return "chan"
    if n.endswith((".json", ".jsonl", ".cbor", ".ndjson")):
        return "opentrackio"
    head = data[:64].lstrip()
    if head[:1] in (b"{", b"["):
        return "opentrackio"
    raise TakeError(
        f"{printable(p)}: cannot tell the take's format from its name; name it .json, "
        ".jsonl, .cbor, .chan or .glb (or give --format)"
    )


# ---- OpenTrackIO
def _no_constant(name: str):
    raise ValueError(f"{name} is not a number JSON allows")


def _json_loads(text: str):
    return json.loads(text, parse_constant=_no_constant)


def _opentrackio_dicts(data: bytes, name: str) -> list[tuple[str, object]]:
    """(where, sample) pairs: one JSON object, a JSON array, JSON lines, or CBOR."""
    head = data[:64].lstrip()
    if not head or head[:1] not in (b"{", b"["):
        return _cbor_dicts(data, name)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise TakeError(f"{name}:{line}: not UTF-8 text") from None
    lines = text.split("\n")
    by_line = _json_by_line(lines, name)
    if by_line is not None:
        return by_line
    if len(data) > MAX_JSON_DOCUMENT_BYTES:
        raise TakeError(
            f"{name}: a single JSON document of {len(data):,} bytes; at most "
            f"{MAX_JSON_DOCUMENT_BYTES:,} (write one sample a line for longer takes)"
        )
    try:
        doc = _json_loads(text)
    except RecursionError:
        raise TakeError(f"{name}: JSON nested too deeply") from None
    except json.JSONDecodeError as exc:
        raise TakeError(
            f"{name}:{exc.lineno}: not valid JSON: {exc.msg} (column {exc.colno})"
        ) from None
    except ValueError as exc:
        raise TakeError(f"{name}: not valid JSON: {exc}") from None
    items = doc if isinstance(doc, list) else [doc]
    if len(items) > MAX_TAKE_SAMPLES:
        raise TakeError(
            f"{name}: {len(items):,} samples; a take holds at most {MAX_TAKE_SAMPLES:,}"
        )
    return [(f"{name}: sample {i}", s) for i, s in enumerate(items)]


def _json_by_line(lines: list[str], name: str) -> list[tuple[str, object]] | None:
    """One sample per line (JSON lines, or previs' array of one sample a line); None when the
    text is laid out otherwise (then it is parsed as one document)."""
    body = [(i + 1, ln.strip()) for i, ln in enumerate(lines) if ln.strip()]
    if not body:
        raise TakeError(f"{name}: the file is empty")
    array = body[0][1] == "["
    if array:
        if body[-1][1] != "]":
            if len(body) > 1 and body[-1][1].endswith("}"):
                raise TakeError(
                    f"{name}:{body[-1][0]}: the JSON array is not closed (truncated file?)"
                )
            return None
        body = body[1:-1]
    out = []
    for n, (line_no, ln) in enumerate(body):
        if len(ln) > MAX_LINE_BYTES:
            raise TakeError(
                f"{name}:{line_no}: a line of {len(ln):,} characters; at most {MAX_LINE_BYTES:,}"
            )
        if array and n < len(body) - 1:
            if not ln.endswith(","):
                return None
            ln = ln[:-1]
        if not (ln.startswith("{") and ln.endswith("}")):
            if n == 0:
                return None  # not one object a line: a pretty-printed document
            raise TakeError(
                f"{name}:{line_no}: expected one JSON sample on this line (truncated file?)"
            )
        try:
            obj = _json_loads(ln)
        except RecursionError:
            raise TakeError(f"{name}:{line_no}: JSON nested too deeply") from None
        except json.JSONDecodeError as exc:
            if n == 0 and not array:
                return None
            raise TakeError(
                f"{name}:{line_no}: not valid JSON: {exc.msg} (column {exc.colno})"
            ) from None
        except ValueError as exc:
            raise TakeError(f"{name}:{line_no}: {exc}") from None
        out.append((f"{name}:{line_no}", obj))
        if len(out) > MAX_TAKE_SAMPLES:
            raise TakeError(
                f"{name}: more than {MAX_TAKE_SAMPLES:,} samples; a take holds at most that"
            )
    return out


def _cbor_dicts(data: bytes, name: str) -> list[tuple[str, object]]:
    try:
        import cbor2
    except ImportError:  # a dependency; only a broken install lacks it
        raise TakeError(f"{name}: reading CBOR needs the cbor2 package") from None
    buf = io.BytesIO(data)
    dec = cbor2.CBORDecoder(buf)
    items: list = []
    while buf.tell() < len(data):
        start = buf.tell()
        try:
            obj = dec.decode()
        except Exception as exc:  # cbor2 raises several kinds on damaged input
            raise TakeError(
                f"{name}: byte {start:,}: not valid CBOR ({type(exc).__name__}: {str(exc)[:80]})"
            ) from None
        if not isinstance(obj, dict | list):  # older cbor2 returns a lone break code as a value
            raise TakeError(
                f"{name}: byte {start:,}: not valid CBOR (a {type(obj).__name__} where a "
                "sample map belongs)"
            )
        items.extend(obj if isinstance(obj, list) else [obj])
        if len(items) > MAX_TAKE_SAMPLES:
            raise TakeError(
                f"{name}: more than {MAX_TAKE_SAMPLES:,} samples; a take holds at most that"
            )
    if not items:
        raise TakeError(f"{name}: the file is empty")
    return [(f"{name}: sample {i}", s) for i, s in enumerate(items)]


def otio_take(
    dicts,
    scene: sc.Scene,
    *,
    source: str,
    mapping,
    frame_rate: Fraction | None = None,
    focal_length_mm: float | None = None,
    lens_map=None,
) -> TakeSamples:
    """OpenTrackIO samples ((where, dict) pairs) as a take on the stage."""
    from previs.track.opentrackio import OtioError, parse_sample

    parsed = []
    for where, d in dicts:
        try:
            parsed.append(parse_sample(d, where))
        except OtioError as exc:
            raise TakeError(str(exc)) from None
    return otio_samples_take(
        parsed,
        scene,
        source=source,
        mapping=mapping,
        frame_rate=frame_rate,
        focal_length_mm=focal_length_mm,
        lens_map=lens_map,
    )


def otio_samples_take(
    parsed,
    scene: sc.Scene,
    *,
    source: str,
    mapping,
    frame_rate=None,
    focal_length_mm: float | None = None,
    lens_map=None,
) -> TakeSamples:
    if not parsed:
        raise TakeError(f"{printable(source)}: the take has no samples")
    first = parsed[0]
    rate = (
        first.sample_rate
        or (first.timecode[4] if first.timecode else None)
        or frame_rate
        or scene.frame_rate
    )
    seqs = [s.sequence for s in parsed]
    if all(q is not None for q in seqs) and all(
        b > a for a, b in zip(seqs, seqs[1:], strict=False)
    ):
        frames = np.array(seqs, dtype=np.int64) - seqs[0]
    else:
        frames = np.arange(len(parsed), dtype=np.int64)
    mats = []
    for s in parsed:
        w = s.world_from_camera.copy()
        if s.entrance_pupil_offset_m:  # the pinhole sits this far ahead of the sensor, along +Y
            w[:3, 3] += w[:3, :3] @ np.array([0.0, s.entrance_pupil_offset_m, 0.0])
        mats.append(mapping.to_stage(w))

    def column(get, what):
        vals = [get(s) for s in parsed]
        if all(v is None for v in vals):
            return None
        return (
            np.array([math.inf if v is None else v for v in vals], float)
            if what == "focus"
            else np.array([np.nan if v is None else v for v in vals], float)
        )

    focal = column(lambda s: s.focal_length_mm, "focal")
    if focal is None and lens_map is not None and all(s.raw_zoom is not None for s in parsed):
        focal = np.array([lens_map.focal_mm(s.raw_zoom) for s in parsed])
    if focal is None and focal_length_mm is not None:
        focal = np.full(len(parsed), float(focal_length_mm))
    if focal is not None and np.isnan(focal).any():
        i = int(np.flatnonzero(np.isnan(focal))[0])
        raise TakeError(
            f"{printable(source)}: sample {i}: lens.pinholeFocalLength: missing (the "
            "other samples have it)"
        )
    focus = column(lambda s: s.focus_m, "focus")
    if focus is None and lens_map is not None and all(s.raw_focus is not None for s in parsed):
        focus = np.array([lens_map.focus_m(s.raw_focus) for s in parsed])
    t_stop = column(lambda s: s.t_stop, "t_stop")
    if t_stop is not None and np.isnan(t_stop).any():
        t_stop = None
    tc = None
    if first.timecode is not None:
        h, m, s_, f, tc_rate, drop = first.timecode
        sep = ";" if drop and is_drop_frame_rate(tc_rate) else ":"
        tc = f"{h:02d}:{m:02d}:{s_:02d}{sep}{f:02d}"
    return TakeSamples(
        source=source,
        frame_rate=Fraction(rate),
        frames=frames,
        world_from_camera=np.stack(mats),
        focal_length_mm=focal,
        focus_m=focus,
        t_stop=t_stop,
        timecode=tc,
    )


# ---- Nuke .chan
def read_chan(
    data: bytes,
    name: str,
    scene: sc.Scene,
    *,
    frame_rate: Fraction | None = None,
    focal_length_mm: float | None = None,
) -> TakeSamples:
    """``frame tx ty tz rx ry rz [vfov]`` lines: metres, Y up, degrees in Nuke's ZXY order; the
    vertical field of view becomes a focal length through the scene camera's sensor height."""
    from previs.export.camera_data import chan_rotation

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise TakeError(f"{name}:{line}: not UTF-8 text") from None
    height_mm = presets.get_mode(scene.camera.body, scene.camera.mode).height_mm
    frames, mats, focals = [], [], []
    columns = None
    for line_no, raw in enumerate(text.splitlines(), 1):
        ln = raw.strip()
        if not ln or ln.startswith("#"):
            continue
        if len(ln) > MAX_LINE_BYTES:
            raise TakeError(
                f"{name}:{line_no}: a line of {len(ln):,} characters; at most {MAX_LINE_BYTES:,}"
            )
        parts = ln.split()
        if len(parts) not in (7, 8):
            raise TakeError(
                f"{name}:{line_no}: {len(parts)} columns; a .chan line is frame tx ty tz rx "
                "ry rz [vfov] (7 or 8 columns)"
            )
        if columns is None:
            columns = len(parts)
        elif len(parts) != columns:
            raise TakeError(
                f"{name}:{line_no}: {len(parts)} columns where the lines before have {columns}"
            )
        names = ("frame", "tx", "ty", "tz", "rx", "ry", "rz", "vfov")
        vals = []
        for col, (nm, txt) in enumerate(zip(names, parts, strict=False)):
            try:
                v = float(txt)
            except ValueError:
                raise TakeError(
                    f"{name}:{line_no}: column {col + 1} ({nm}): '{printable(txt, 40)}' is "
                    "not a number"
                ) from None
            bound = (
                1e7
                if nm == "frame"
                else lim.MAX_COORD_M
                if nm.startswith("t")
                else lim.MAX_ANGLE_DEG
            )
            if not math.isfinite(v) or abs(v) > bound:
                raise TakeError(
                    f"{name}:{line_no}: column {col + 1} ({nm}): {v:g} is not a finite "
                    f"number within ±{bound:g}"
                )
            vals.append(v)
        if vals[0] != int(vals[0]):
            raise TakeError(f"{name}:{line_no}: column 1 (frame): {vals[0]:g} is not a whole frame")
        if frames and vals[0] <= frames[-1]:
            raise TakeError(
                f"{name}:{line_no}: frame {vals[0]:g} does not follow frame {frames[-1]:g}"
            )
        if len(frames) >= MAX_TAKE_SAMPLES:
            raise TakeError(
                f"{name}: more than {MAX_TAKE_SAMPLES:,} lines; a take holds at most that"
            )
        m = np.eye(4)
        m[:3, :3] = chan_rotation(vals[4], vals[5], vals[6])
        m[:3, 3] = vals[1:4]
        frames.append(int(vals[0]))
        mats.append(m)
        if columns == 8:
            vfov = vals[7]
            if not 0.0 < vfov < 180.0:
                raise TakeError(
                    f"{name}:{line_no}: column 8 (vfov): {vfov:g}° is not a field of view (0..180)"
                )
            focals.append(height_mm / (2.0 * math.tan(math.radians(vfov) / 2.0)))
    if not frames:
        raise TakeError(f"{name}: no frames (a .chan line is frame tx ty tz rx ry rz [vfov])")
    if columns == 8:
        focal = np.array(focals)
    elif focal_length_mm is not None:
        focal = np.full(len(frames), float(focal_length_mm))
    else:
        raise TakeError(
            f"{name}: the .chan has no field-of-view column; give the lens with --focal-length-mm"
        )
    return TakeSamples(
        source=name,
        frame_rate=frame_rate or scene.frame_rate,
        frames=np.array(frames, np.int64) - frames[0],
        world_from_camera=np.stack(mats),
        focal_length_mm=focal,
        notes=[
            f".chan frames {frames[0]}..{frames[-1]}; no focus or T-stop in a .chan "
            "(the camera package's)"
        ],
    )


# ---- glTF
_COMPONENTS = {"SCALAR": 1, "VEC3": 3, "VEC4": 4}


def read_gltf(data: bytes, path: Path, scene: sc.Scene) -> TakeSamples:
    """The animated camera of a glTF 2.0 file (.glb, or .gltf with an embedded or neighbouring
    buffer): glTF is previs' own axes (Y up, metres, camera down -Z). The focal length comes from
    previs' ``extras`` when present, else from the animated (``KHR_animation_pointer``) or static
    ``yfov`` through the scene camera's sensor height."""
    name = printable(path)
    doc, bin_chunk = _gltf_document(data, path, name)
    nodes = doc.get("nodes") or []
    cams = doc.get("cameras") or []
    if not isinstance(nodes, list) or not isinstance(cams, list):
        raise TakeError(f"{name}: nodes and cameras must be lists")
    cam_nodes = [
        i for i, n in enumerate(nodes) if isinstance(n, dict) and isinstance(n.get("camera"), int)
    ]
    if not cam_nodes:
        raise TakeError(f"{name}: no camera node in the glTF")
    anims = [a for a in (doc.get("animations") or []) if isinstance(a, dict)]

    def animated(i):
        return any(
            isinstance(c, dict) and (c.get("target") or {}).get("node") == i
            for a in anims
            for c in (a.get("channels") or [])
        )

    node_i = next((i for i in cam_nodes if animated(i)), cam_nodes[0])
    cam_i = nodes[node_i]["camera"]
    if not 0 <= cam_i < len(cams) or not isinstance(cams[cam_i], dict):
        raise TakeError(f"{name}: nodes[{node_i}].camera: no camera {cam_i}")
    cam = cams[cam_i]
    if cam.get("type") != "perspective":
        raise TakeError(
            f"{name}: cameras[{cam_i}]: a {cam.get('type')!r} camera; previs takes perspective ones"
        )
    extras = (
        ((cam.get("extras") or {}).get("previs") or {})
        if isinstance(cam.get("extras"), dict)
        else {}
    )
    rate = scene.frame_rate
    fr = extras.get("frame_rate")
    if isinstance(fr, list) and len(fr) == 2 and all(isinstance(x, int) and x > 0 for x in fr):
        rate = Fraction(fr[0], fr[1])
        if not 1 <= rate <= 1000:
            raise TakeError(
                f"{name}: cameras[{cam_i}].extras.previs.frame_rate: {float(rate):g} is outside 1..1000"
            )
    reader = _Accessors(doc, bin_chunk, path, name)
    chans: dict[str, tuple] = {}
    pointer = f"/cameras/{cam_i}/perspective/yfov"
    for ai, a in enumerate(anims):
        samplers = a.get("samplers") or []
        for ci, c in enumerate(a.get("channels") or []):
            if not isinstance(c, dict) or not isinstance(c.get("target"), dict):
                continue
            t = c["target"]
            what = t.get("path")
            if t.get("node") == node_i and what in ("translation", "rotation"):
                pass
            elif (
                what == "pointer"
                and ((t.get("extensions") or {}).get("KHR_animation_pointer") or {}).get("pointer")
                == pointer
            ):
                what = "yfov"
            else:
                continue
            si = c.get("sampler")
            if (
                not isinstance(si, int)
                or not 0 <= si < len(samplers)
                or not isinstance(samplers[si], dict)
            ):
                raise TakeError(
                    f"{name}: animations[{ai}].channels[{ci}].sampler: no sampler {si!r}"
                )
            s = samplers[si]
            where = f"animations[{ai}].samplers[{si}]"
            times = reader.read(s.get("input"), "SCALAR", f"{where}.input")
            values = reader.read(
                s.get("output"),
                {"translation": "VEC3", "rotation": "VEC4", "yfov": "SCALAR"}[what],
                f"{where}.output",
            )
            interp = s.get("interpolation", "LINEAR")
            if interp == "CUBICSPLINE":  # (in-tangent, value, out-tangent): keep the values
                values = values[1::3]
            if len(values) != len(times) or len(times) < 1 or np.any(np.diff(times) <= 0):
                raise TakeError(f"{name}: {where}: times must rise and match the values")
            chans[what] = (times, values, interp)
    if "translation" not in chans and "rotation" not in chans:
        raise TakeError(
            f"{name}: the camera node '{printable(nodes[node_i].get('name', node_i))}' is not animated"
        )
    t_end = max(float(v[0][-1]) for v in chans.values())
    if not 0 <= t_end <= lim.MAX_SHOT_FRAMES / float(rate):
        raise TakeError(
            f"{name}: the animation runs {t_end:g} s; a take is at most "
            f"{lim.MAX_SHOT_FRAMES:,} frames"
        )
    n = int(round(t_end * float(rate))) + 1
    times = np.arange(n) / float(rate)
    rest = _node_local(nodes[node_i])
    trans = (
        _sample(chans["translation"], times)
        if "translation" in chans
        else np.tile(rest[:3, 3], (n, 1))
    )
    if "rotation" in chans:
        quats = _sample_quat(chans["rotation"], times)
    else:
        from previs.export.camera_data import quaternion_xyzw

        quats = np.tile(quaternion_xyzw(rest[:3, :3]), (n, 1))
    parent = _parent_world(nodes, node_i, name)
    mats = np.empty((n, 4, 4))
    for k in range(n):
        m = np.eye(4)
        m[:3, :3] = _quat_matrix(quats[k])
        m[:3, 3] = trans[k]
        mats[k] = parent @ m
    height_mm = presets.get_mode(scene.camera.body, scene.camera.mode).height_mm
    focal = _extras_array(extras, "focal_length_mm", n, name, 0.0, lim.MAX_FOCAL_MM)
    if focal is None:
        if "yfov" in chans:
            yfov = _sample(chans["yfov"], times)[:, 0]
        else:
            y = (cam.get("perspective") or {}).get("yfov")
            if not isinstance(y, int | float) or isinstance(y, bool):
                raise TakeError(f"{name}: cameras[{cam_i}].perspective.yfov: missing")
            yfov = np.full(n, float(y))
        if not np.all((yfov > 0) & (yfov < math.pi)):
            raise TakeError(f"{name}: cameras[{cam_i}].perspective.yfov: must lie within (0, π)")
        focal = height_mm / (2.0 * np.tan(yfov / 2.0))
    focus = _extras_array(extras, "focus_m", n, name, 0.0, lim.MAX_MAGNITUDE, none_is=math.inf)
    t_stop = _extras_array(extras, "t_stop", n, name, 0.0, 1000.0)
    return TakeSamples(
        source=name,
        frame_rate=rate,
        frames=np.arange(n, dtype=np.int64),
        world_from_camera=mats,
        focal_length_mm=focal,
        focus_m=focus,
        t_stop=t_stop,
    )


def _gltf_document(data: bytes, path: Path, name: str) -> tuple[dict, bytes | None]:
    if data[:4] == b"glTF":
        if len(data) < 20:
            raise TakeError(f"{name}: a truncated GLB ({len(data)} bytes)")
        _, version, length = struct.unpack_from("<4sII", data)
        if version != 2:
            raise TakeError(f"{name}: GLB version {version}; previs reads glTF 2.0")
        if length > len(data):
            raise TakeError(
                f"{name}: the GLB says {length:,} bytes, the file has {len(data):,} (truncated?)"
            )
        off, doc, bin_chunk = 12, None, None
        while off + 8 <= length:
            clen, ctype = struct.unpack_from("<II", data, off)
            chunk = data[off + 8 : off + 8 + clen]
            if len(chunk) != clen:
                raise TakeError(
                    f"{name}: a GLB chunk at byte {off:,} runs past the end (truncated?)"
                )
            if ctype == 0x4E4F534A and doc is None:
                doc = _gltf_json(chunk, name)
            elif ctype == 0x004E4942 and bin_chunk is None:
                bin_chunk = chunk
            off += 8 + clen
        if doc is None:
            raise TakeError(f"{name}: no JSON chunk in the GLB")
        return doc, bin_chunk
    return _gltf_json(data, name), None


def _gltf_json(chunk: bytes, name: str) -> dict:
    if len(chunk) > MAX_JSON_DOCUMENT_BYTES:
        raise TakeError(
            f"{name}: a glTF JSON of {len(chunk):,} bytes; at most {MAX_JSON_DOCUMENT_BYTES:,}"
        )
    try:
        doc = _json_loads(chunk.decode("utf-8"))
    except json.JSONDecodeError as exc:
        raise TakeError(f"{name}:{exc.lineno}: glTF JSON: {exc.msg} (column {exc.colno})") from None
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise TakeError(f"{name}: glTF JSON: {str(exc)[:80]}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("asset"), dict):
        raise TakeError(f"{name}: not a glTF 2.0 document (no asset)")
    return doc


class _Accessors:
    """Float accessors of a glTF document, every offset checked against its buffer."""

    def __init__(self, doc: dict, bin_chunk: bytes | None, path: Path, name: str):
        self.doc, self.bin, self.path, self.name = doc, bin_chunk, path, name
        self._buffers: dict[int, bytes] = {}

    def _buffer(self, i) -> bytes:
        if i in self._buffers:
            return self._buffers[i]
        bufs = self.doc.get("buffers") or []
        if not isinstance(i, int) or not 0 <= i < len(bufs) or not isinstance(bufs[i], dict):
            raise TakeError(f"{self.name}: buffers[{i!r}]: no such buffer")
        uri = bufs[i].get("uri")
        if uri is None:
            if self.bin is None:
                raise TakeError(f"{self.name}: buffers[{i}]: no binary chunk")
            data = self.bin
        elif isinstance(uri, str) and uri.startswith("data:"):
            try:
                data = base64.b64decode(uri.split(",", 1)[1], validate=True)
            except (IndexError, ValueError):
                raise TakeError(f"{self.name}: buffers[{i}].uri: not base64 data") from None
        elif (
            isinstance(uri, str)
            and "/" not in uri.replace("\\", "/")
            and uri not in ("", ".", "..")
        ):
            f = self.path.parent / uri  # a file beside the .gltf only: never elsewhere on disk
            try:
                data = read_regular(f, MAX_TAKE_BYTES)
            except UnsafeFile as exc:
                raise TakeError(
                    f"{self.name}: buffers[{i}]: {printable(uri)}: {exc.reason}"
                ) from None
        else:
            raise TakeError(
                f"{self.name}: buffers[{i}].uri: only data URIs and files beside the glTF"
            )
        self._buffers[i] = data
        return data

    def read(self, index, kind: str, where: str) -> np.ndarray:
        accs = self.doc.get("accessors") or []
        if (
            not isinstance(index, int)
            or not 0 <= index < len(accs)
            or not isinstance(accs[index], dict)
        ):
            raise TakeError(f"{self.name}: {where}: no accessor {index!r}")
        a = accs[index]
        w = f"{self.name}: accessors[{index}]"
        if a.get("componentType") != 5126 or a.get("type") != kind:
            raise TakeError(
                f"{w}: expected float {kind}, got componentType {a.get('componentType')!r} "
                f"type {a.get('type')!r}"
            )
        count = a.get("count")
        if not isinstance(count, int) or not 1 <= count <= 3 * MAX_TAKE_SAMPLES + 3:
            raise TakeError(f"{w}.count: {count!r} is not 1..{3 * MAX_TAKE_SAMPLES + 3:,}")
        views = self.doc.get("bufferViews") or []
        vi = a.get("bufferView")
        if not isinstance(vi, int) or not 0 <= vi < len(views) or not isinstance(views[vi], dict):
            raise TakeError(f"{w}.bufferView: no buffer view {vi!r}")
        v = views[vi]
        buf = self._buffer(v.get("buffer"))
        comps = _COMPONENTS[kind]
        stride = v.get("byteStride") or 4 * comps
        start = (v.get("byteOffset") or 0) + (a.get("byteOffset") or 0)
        view_end = (v.get("byteOffset") or 0) + (v.get("byteLength") or 0)
        if (
            not all(isinstance(x, int) and x >= 0 for x in (stride, start, view_end))
            or stride < 4 * comps
        ):
            raise TakeError(f"{w}: bad byteOffset, byteLength or byteStride")
        end = start + stride * (count - 1) + 4 * comps
        if end > view_end or view_end > len(buf):
            raise TakeError(f"{w}: reads past the end of its buffer (truncated file?)")
        arr = np.lib.stride_tricks.as_strided(
            np.frombuffer(buf, dtype="<f4", count=(end - start) // 4, offset=start),
            shape=(count, comps),
            strides=(stride, 4),
        ).astype(np.float64)
        if not np.all(np.isfinite(arr)):
            raise TakeError(f"{w}: holds NaN or infinite values")
        if np.abs(arr).max() > lim.MAX_COORD_M:
            raise TakeError(f"{w}: holds values beyond ±{lim.MAX_COORD_M:g}")
        return arr[:, 0] if kind == "SCALAR" else arr


def _extras_array(
    extras: dict,
    key_name: str,
    n: int,
    name: str,
    lo: float,
    hi: float,
    none_is: float | None = None,
) -> np.ndarray | None:
    v = extras.get(key_name)
    if v is None:
        return None
    if not isinstance(v, list) or len(v) != n:
        raise TakeError(f"{name}: extras.previs.{key_name}: expected {n} values, one a frame")
    out = np.empty(n)
    for i, x in enumerate(v):
        if x is None and none_is is not None:
            out[i] = none_is
        elif (
            isinstance(x, int | float)
            and not isinstance(x, bool)
            and math.isfinite(x)
            and lo < x <= hi
        ):
            out[i] = x
        else:
            raise TakeError(
                f"{name}: extras.previs.{key_name}[{i}]: {x!r} is not a number within {lo:g}..{hi:g}"
            )
    return out


def _node_local(node: dict) -> np.ndarray:
    m = node.get("matrix")
    if isinstance(m, list) and len(m) == 16:
        return np.array(m, float).reshape(4, 4).T  # glTF: column-major
    out = np.eye(4)
    t, r, s = node.get("translation"), node.get("rotation"), node.get("scale")
    if isinstance(r, list) and len(r) == 4:
        out[:3, :3] = _quat_matrix(np.array(r, float))
    if isinstance(s, list) and len(s) == 3:
        out[:3, :3] = out[:3, :3] @ np.diag(np.array(s, float))
    if isinstance(t, list) and len(t) == 3:
        out[:3, 3] = np.array(t, float)
    if not np.all(np.isfinite(out)):
        raise TakeError("a glTF node's transform is not finite")
    return out


def _parent_world(nodes: list, index: int, name: str) -> np.ndarray:
    parents = {}
    for i, n in enumerate(nodes):
        for c in (n.get("children") or []) if isinstance(n, dict) else []:
            parents.setdefault(c, i)
    world, seen, i = np.eye(4), {index}, parents.get(index)
    while i is not None:
        if i in seen:
            raise TakeError(f"{name}: nodes[{i}]: the node hierarchy has a cycle")
        seen.add(i)
        world = _node_local(nodes[i]) @ world
        i = parents.get(i)
    return world


def _sample(chan, times: np.ndarray) -> np.ndarray:
    t, v, interp = chan
    if interp == "STEP":
        idx = np.clip(np.searchsorted(t, times + 1e-9, side="right") - 1, 0, len(t) - 1)
        return v[idx]
    return (
        np.stack([np.interp(times, t, v[:, c]) for c in range(v.shape[1])], axis=1)
        if v.ndim == 2
        else np.interp(times, t, v)[:, None]
    )


def _sample_quat(chan, times: np.ndarray) -> np.ndarray:
    t, v, interp = chan
    norms = np.linalg.norm(v, axis=1)
    if np.any(norms < 1e-6):
        raise TakeError("a glTF rotation key is not a unit quaternion")
    v = v / norms[:, None]
    idx = np.clip(np.searchsorted(t, times, side="right") - 1, 0, len(t) - 1)
    out = np.empty((len(times), 4))
    for k, (i, x) in enumerate(zip(idx, times, strict=True)):
        if interp == "STEP" or i == len(t) - 1 or x <= t[0]:
            out[k] = v[i] if x > t[0] else v[0]
            continue
        u = (x - t[i]) / (t[i + 1] - t[i])
        out[k] = _slerp(v[i], v[i + 1], min(max(u, 0.0), 1.0))
    return out


def _slerp(a: np.ndarray, b: np.ndarray, u: float) -> np.ndarray:
    d = float(np.dot(a, b))
    if d < 0:
        b, d = -b, -d
    if d > 0.9995:
        q = a + u * (b - a)
        return q / np.linalg.norm(q)
    th = math.acos(min(d, 1.0))
    return (math.sin((1 - u) * th) * a + math.sin(u * th) * b) / math.sin(th)


def _quat_matrix(q: np.ndarray) -> np.ndarray:
    x, y, z, w = q / np.linalg.norm(q)
    return np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
        ]
    )


# ---------------------------------------------------------------- on the scene's frames
def take_channels(take: TakeSamples, scene_rate: Fraction) -> dict[str, np.ndarray]:
    """The take's camera channels at every frame of the scene's rate (previs pan/tilt/roll,
    unwrapped so that neighbouring frames never differ by a turn)."""
    n = len(take.frames)
    pos = take.world_from_camera[:, :3, 3]
    ang = np.array([tf.pan_tilt_roll_of(m) for m in take.world_from_camera], float).reshape(n, 3)
    ang[:, 0] = np.degrees(np.unwrap(np.radians(ang[:, 0])))
    ang[:, 2] = np.degrees(np.unwrap(np.radians(ang[:, 2])))
    t_take = take.frames.astype(np.float64) / float(take.frame_rate)
    duration = t_take[-1]
    count = int(math.floor(duration * float(scene_rate) + 1e-6)) + 1
    if count > lim.MAX_SHOT_FRAMES:
        raise TakeError(
            f"{printable(take.source)}: the take runs {count:,} frames at the scene's "
            f"{float(scene_rate):g} fps; a shot has at most {lim.MAX_SHOT_FRAMES:,}"
        )
    exact = take.frame_rate == scene_rate and np.array_equal(take.frames, np.arange(n))
    t_shot = np.arange(count) / float(scene_rate)

    def resample(v: np.ndarray) -> np.ndarray:
        if exact:
            return v.copy()
        if v.ndim == 1:
            return np.interp(t_shot, t_take, v)
        return np.stack([np.interp(t_shot, t_take, v[:, c]) for c in range(v.shape[1])], axis=1)

    out = {
        "position_m": resample(pos),
        "pan_deg": resample(ang[:, 0]),
        "tilt_deg": resample(ang[:, 1]),
        "roll_deg": resample(ang[:, 2]),
    }
    if take.focal_length_mm is not None:
        out["focal_length_mm"] = resample(take.focal_length_mm)
    if take.t_stop is not None:
        out["t_stop"] = resample(take.t_stop)
    if take.focus_m is not None:
        f = take.focus_m
        if np.isinf(f).any():  # held, never faded: the sample at or before each frame
            idx = np.clip(np.searchsorted(t_take, t_shot + 1e-9, side="right") - 1, 0, n - 1)
            out["focus_m"] = f[idx] if not exact else f.copy()
        else:
            out["focus_m"] = resample(f)
    return out


# ---------------------------------------------------------------- key reduction
def greedy_keys(n: int, fits) -> list[int]:
    """Key indices 0 = k0 < k1 < ... = n-1 such that ``fits(a, b)`` for each consecutive pair,
    each next key as far as an exponential-then-binary search finds (``fits(i, i+1)`` must hold)."""
    keys, i = [0], 0
    while i < n - 1:
        good, step, bad = i + 1, 1, None
        while True:
            j = min(i + step, n - 1)
            if j > good and not fits(i, j):
                bad = j
                break
            good = j
            if j == n - 1:
                break
            step *= 2
        if bad is not None:
            lo, hi = good, bad
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if fits(i, mid):
                    lo = mid
                else:
                    hi = mid
            good = lo
        keys.append(good)
        i = good
    return keys


def _lerp(v: np.ndarray, a: int, b: int) -> np.ndarray:
    u = (np.arange(a, b + 1) - a) / (b - a)
    return v[a] + np.multiply.outer(u, v[b] - v[a]) if v.ndim > 1 else v[a] + u * (v[b] - v[a])


def _rotations(pan, tilt, roll) -> np.ndarray:
    """(n, 3, 3) of tf.pan_tilt_roll: Ry(pan) Rx(tilt) Rz(-roll), vectorised."""
    p, t, r = (np.radians(np.asarray(x, float)) for x in (pan, tilt, roll))
    cp, sp, ct, st, cr, sr = np.cos(p), np.sin(p), np.cos(t), np.sin(t), np.cos(-r), np.sin(-r)
    z, o = np.zeros_like(p), np.ones_like(p)
    ry = np.stack(
        [np.stack([cp, z, sp], -1), np.stack([z, o, z], -1), np.stack([-sp, z, cp], -1)], -2
    )
    rx = np.stack(
        [np.stack([o, z, z], -1), np.stack([z, ct, -st], -1), np.stack([z, st, ct], -1)], -2
    )
    rz = np.stack(
        [np.stack([cr, -sr, z], -1), np.stack([sr, cr, z], -1), np.stack([z, z, o], -1)], -2
    )
    return ry @ rx @ rz


def rotation_error_deg(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Angle (degrees) between rotations (n, 3, 3)."""
    tr = np.einsum("nij,nij->n", a, b)
    return np.degrees(np.arccos(np.clip((tr - 1.0) / 2.0, -1.0, 1.0)))


def reduce_scalar(v: np.ndarray, tol: float, max_step: float | None = None) -> list[int]:
    if float(np.max(np.abs(v - v[0]))) <= tol:
        return [0]  # a channel that does not move needs no keys

    def fits(a, b):
        if max_step is not None and abs(v[b] - v[a]) >= max_step:
            return False
        return float(np.max(np.abs(_lerp(v, a, b) - v[a : b + 1]))) <= tol

    return greedy_keys(len(v), fits)


def reduce_position(p: np.ndarray, tol: float) -> list[int]:
    return greedy_keys(
        len(p),
        lambda a, b: float(np.max(np.linalg.norm(_lerp(p, a, b) - p[a : b + 1], axis=1))) <= tol,
    )


def reduce_orientation(ang: np.ndarray, tol: float) -> list[int]:
    """Keys shared by pan, tilt and roll (n, 3) so the orientation stays within ``tol`` degrees."""
    true = _rotations(ang[:, 0], ang[:, 1], ang[:, 2])

    def fits(a, b):
        if np.any(np.abs(ang[b] - ang[a]) >= _MAX_ANGLE_STEP_DEG):
            return False
        li = _lerp(ang, a, b)
        return (
            float(
                np.max(
                    rotation_error_deg(_rotations(li[:, 0], li[:, 1], li[:, 2]), true[a : b + 1])
                )
            )
            <= tol
        )

    return greedy_keys(len(ang), fits)


def _thin(v: np.ndarray, keys: list[int], tol: float) -> list[int]:
    """The fewest of ``keys`` through which ``v`` interpolates as ``keys`` do, within ``tol``."""
    k = np.asarray(keys)
    ref = np.interp(np.arange(len(v)), k, v[k])
    if float(np.max(np.abs(ref - ref[0]))) <= tol:
        return [int(k[0])]  # a channel that does not move needs no keys

    def fits(a, b):
        fa, fb = k[a], k[b]
        if abs(v[fb] - v[fa]) >= _MAX_ANGLE_STEP_DEG:
            return False
        return float(np.max(np.abs(_lerp(ref, fa, fb) - ref[fa : fb + 1]))) <= tol

    return [int(k[i]) for i in greedy_keys(len(k), fits)]


def _hold_runs(v: np.ndarray, tol: float) -> list[tuple[int, float, str]]:
    """Keys of a focus channel with infinities: finite runs reduced linearly, infinite runs held."""
    out: list[tuple[int, float, str]] = []
    n, i = len(v), 0
    while i < n:
        inf = math.isinf(v[i])
        j = i
        while j + 1 < n and math.isinf(v[j + 1]) == inf:
            j += 1
        if inf:
            out.append((i, math.inf, "hold"))
        else:
            idx = reduce_scalar(v[i : j + 1], tol) if j > i else [0]
            for q in idx:
                out.append((i + q, float(v[i + q]), "linear"))
            if j + 1 < n:  # an infinity follows: hold into it
                out[-1] = (out[-1][0], out[-1][1], "hold")
        i = j + 1
    return out


@dataclass
class TakeShot:
    """A take as scene-file values: the ``camera:`` block, keys per channel and the take's record."""

    camera: dict
    keys: dict[str, list[tuple[int, object, str]]]
    length_frames: int
    take: dict
    samples: dict[str, np.ndarray]  # the channels every frame, for checks and reports

    @property
    def key_count(self) -> int:
        return sum(len(k) for k in self.keys.values())


def take_shot(scene: sc.Scene, take: TakeSamples) -> TakeShot:
    """The shot a take becomes: channels on the scene's frames, reduced to keys."""
    ch = take_channels(take, scene.frame_rate)
    n = len(ch["pan_deg"])
    kit = presets.get_lens_kit(scene.camera.lens_kit)
    source = printable(take.source)
    if "focal_length_mm" not in ch:
        raise TakeError(
            f"{source}: the take has no focal length; give the lens with --focal-length-mm"
        )
    focal = ch["focal_length_mm"]
    if kit.kind != "zoom":
        lo, hi = float(focal.min()), float(focal.max())
        if hi - lo > FOCAL_TOL_MM:
            raise TakeError(
                f"{source}: the focal length changes ({lo:.2f}-{hi:.2f} mm) but the scene's "
                f"lens kit {kit.name} is a prime kit; use a zoom kit"
            )
        try:
            lens = kit.lens_at((lo + hi) / 2)
        except PrevisError:
            near = min((s.focal_min_mm for s in kit.lenses), key=lambda f: abs(f - lo))
            if abs(near - lo) > FOCAL_TOL_MM:
                raise TakeError(
                    f"{source}: a {lo:.2f} mm lens; the scene's kit {kit.name} has none "
                    f"(nearest: {near:g} mm)"
                ) from None
            lens = kit.lens_at(near)
        ch["focal_length_mm"] = np.full(n, lens.focal_length_mm)
    keys: dict[str, list[tuple[int, object, str]]] = {}
    m = _MARGIN
    pos = ch["position_m"]
    still = float(np.max(np.linalg.norm(pos - pos[0], axis=1))) <= POSITION_TOL_M * m
    pos_keys = [0] if still else reduce_position(pos, POSITION_TOL_M * m)
    ang = np.stack([ch["pan_deg"], ch["tilt_deg"], ch["roll_deg"]], axis=1)
    joint = reduce_orientation(ang, ANGLE_TOL_DEG * m)
    keys["position_m"] = [(f, ch["position_m"][f], "linear") for f in pos_keys]
    for c, name in enumerate(("pan_deg", "tilt_deg", "roll_deg")):
        keys[name] = [(f, float(ang[f, c]), "linear") for f in _thin(ang[:, c], joint, 1e-6)]
    keys["focal_length_mm"] = [
        (f, float(focal[f] if kit.kind == "zoom" else ch["focal_length_mm"][f]), "linear")
        for f in reduce_scalar(ch["focal_length_mm"], FOCAL_TOL_MM * m)
    ]
    if "t_stop" in ch:
        keys["t_stop"] = [
            (f, float(ch["t_stop"][f]), "linear")
            for f in reduce_scalar(ch["t_stop"], T_STOP_TOL * m)
        ]
    if "focus_m" in ch:
        keys["focus_m"] = _hold_runs(ch["focus_m"], FOCUS_TOL_M * m)
    _verify(keys, ch)
    camera = {
        "position_m": [float(x) for x in ch["position_m"][0]],
        "pan_deg": float(ang[0, 0]),
        "tilt_deg": float(ang[0, 1]),
        "roll_deg": float(ang[0, 2]),
        "focal_length_mm": float(ch["focal_length_mm"][0]),
    }
    if "focus_m" in ch:
        camera["focus_m"] = float(ch["focus_m"][0])
    if "t_stop" in ch:
        camera["t_stop"] = float(ch["t_stop"][0])
    # a channel with one key is the camera block's value; keys only where something changes
    keys = {c: rows for c, rows in keys.items() if len(rows) > 1}
    record = {"source": _short(take.source), "frame_rate": _rate_text(take.frame_rate)}
    if take.timecode:
        record["timecode"] = take.timecode
    return TakeShot(camera=camera, keys=keys, length_frames=n, take=record, samples=ch)


def _short(s: str) -> str:
    s = printable(s, 180)
    return s


def _rate_text(rate: Fraction):
    rate = Fraction(rate)
    return int(rate) if rate.denominator == 1 else f"{rate.numerator}/{rate.denominator}"


def _written(channel: str, value) -> np.ndarray:
    """A key value as the scene file will hold it (pose rounded to 1e-7, as SceneDocument writes)."""
    v = np.atleast_1d(np.asarray(value, float))
    if channel in ("position_m", "pan_deg", "tilt_deg", "roll_deg"):
        return np.round(v, 7)
    return v


def _verify(keys: dict, ch: dict) -> None:
    """Evaluate each channel's keys (as written) with previs' interpolation; add a key at the
    worst frame until every frame is within tolerance."""
    tol = {
        "position_m": POSITION_TOL_M,
        "focal_length_mm": FOCAL_TOL_MM,
        "focus_m": FOCUS_TOL_M,
        "t_stop": T_STOP_TOL,
    }
    frames = np.arange(len(ch["pan_deg"]))
    for _ in range(len(frames)):
        worst = {}
        chans = {}
        for name, rows in keys.items():
            chans[name] = Channel(
                name,
                tuple(key(f, _written(name, v), i) for f, v, i in rows),
                angular=name in ("pan_deg", "tilt_deg", "roll_deg"),
            )
        for name in ("position_m", "focal_length_mm", "focus_m", "t_stop"):
            if name not in keys:
                continue
            got = chans[name].evaluate_many(frames)
            want = ch[name].reshape(len(frames), -1)
            with np.errstate(invalid="ignore"):
                err = np.linalg.norm(
                    np.where(np.isinf(want) & np.isinf(got), 0.0, got - want), axis=1
                )
            err[np.isnan(err)] = np.inf
            if err.max() > tol[name]:
                worst[name] = int(np.argmax(err))
        r_got = _rotations(
            *(chans[n].evaluate_many(frames)[:, 0] for n in ("pan_deg", "tilt_deg", "roll_deg"))
        )
        r_want = _rotations(ch["pan_deg"], ch["tilt_deg"], ch["roll_deg"])
        err = rotation_error_deg(r_got, r_want)
        if err.max() > ANGLE_TOL_DEG:
            worst["pan_deg"] = worst["tilt_deg"] = worst["roll_deg"] = int(np.argmax(err))
        if not worst:
            return
        for name, f in worst.items():
            rows = keys[name]
            if any(r[0] == f for r in rows):
                continue
            value = ch[name][f] if name == "position_m" else float(ch[name][f])
            rows.append((f, value, "hold" if name == "focus_m" and math.isinf(value) else "linear"))
            rows.sort(key=lambda r: r[0])
    raise TakeError(
        "the take's keys do not settle within tolerance"
    )  # cannot happen: every frame keyed


# ---------------------------------------------------------------- into the scene file
def add_take(
    scene_path,
    take: TakeSamples,
    shot_id: str,
    *,
    scene_label: str | None = None,
    description: str | None = None,
    after: str | None = None,
    doc=None,
) -> tuple[TakeShot, Path]:
    """Add the take as shot ``shot_id`` to the scene file (as the window saves: comments kept,
    the old file in ``.bak``); ``doc``: the file already open as a
    :class:`~previs.view.document.SceneDocument`. Returns the shot and the path written."""
    from previs.view.document import SceneDocument

    doc = doc or SceneDocument.open(scene_path)
    if shot_id in doc.shot_ids():
        raise TakeError(
            f"{printable(doc.path)}: there is already a shot '{printable(shot_id, 40)}'; "
            "choose another --shot-id"
        )
    shot = take_shot(doc.scene, take)
    label = scene_label or (doc.scene.shots[-1].scene_number if doc.scene.shots else "1")
    desc = description or f"TAKE {Path(str(take.source)).name}"[:200]
    doc.add_keyed_shot(
        shot_id,
        camera=shot.camera,
        scene_label=label,
        length_frames=shot.length_frames,
        keys=shot.keys,
        description=desc,
        take=shot.take,
        after=after,
    )
    return shot, doc.save()
