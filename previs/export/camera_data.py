"""Camera data per shot, for the tools that take a previs camera further.

    paths = export_camera_data(scene, ["3A", "3B"], "out/cameras")
    # out/cameras/3A.glb, 3A.opentrackio.json, 3A.chan, 3A.usda, 3B.glb, ...

Every frame of each shot is evaluated once (:func:`previs.core.frame.evaluate`) and written in up
to four formats, each file atomically (:func:`previs.export.atomic.write_atomic`). Frame ``f`` of a
shot (0-based, as everywhere in previs) is at ``f / frame_rate`` seconds from the shot's start.
The axis conventions are those of ``reference/optics-lenses-led-formats.md`` §5.2-5.7.

glTF 2.0 binary (``<shot>.glb``), §5.4
    The set as ``set_items`` gives it (set pieces and stage floor; meshes shared between pieces
    are written once and placed by node matrices; base colour, metallic and roughness factors
    and vertex colours as materials; textures are not carried) and one perspective camera on a
    node named ``camera <shot>``. glTF is Y-up, metres, the camera looking down its local -Z:
    previs' own axes, so positions and rotations go across unchanged. The node's rest pose is
    frame 0; the animation has one key per frame (times ``f / rate`` s, LINEAR) on the node's
    ``translation`` and ``rotation`` (quaternion x, y, z, w, kept in one hemisphere from frame
    to frame so the slerp between keys takes the short way).

    *How focal-length changes travel.* The camera's ``yfov`` is the vertical field of view at
    frame 0 (``2·atan(h / 2f)``, h the sensor height: an anamorphic squeeze does not change it)
    and ``aspectRatio`` the desqueezed image aspect ``σ·w/h``. Core glTF cannot animate a
    camera, so a zoom travels two ways: (1) a ``KHR_animation_pointer`` channel on
    ``/cameras/0/perspective/yfov`` (one key per frame, radians, LINEAR), the extension listed in
    ``extensionsUsed`` but not ``extensionsRequired``, so a loader that does not know it still
    opens the file and holds the frame-0 field of view; (2) per-frame arrays in
    ``cameras[0].extras.previs`` (``focal_length_mm``, ``focus_m`` (null = infinity), ``t_stop``,
    and ``sensor_mm``, ``squeeze``, ``frame_rate``), the lossless record from which any tool can
    rebuild the lens: ``f = h / (2·tan(yfov/2))``.

OpenTrackIO (``<shot>.opentrackio.json``), §5.2
    One JSON array of samples, one complete sample per frame, each on its own line, each valid
    on its own against the OpenTrackIO schema (the schema describes one sample; a file of
    samples has no standard container, so an array keeps it one JSON document that any JSON
    reader opens, and line-per-sample keeps it streamable). Every sample carries the ``static``
    block (camera sensor and frame rate, lens, duration) so any one sample stands alone.
    Axes: OpenTrackIO is right-handed, Z up, Y forward (towards the wall), X to camera-right, the
    stage origin previs' origin: ``(x, y, z)_otio = (x, -z, y)_previs`` (previs looks into the
    stage down -Z). Rotation: intrinsic Z-X-Y Euler ``[pan, tilt, roll]`` in degrees, ``R =
    Rz(pan)·Rx(tilt)·Ry(roll)`` in OpenTrackIO axes; pan positive to the left, tilt positive up,
    roll positive clockwise as the operator sees it, the same senses as previs' pan/tilt/roll.
    Angles are unwrapped from frame to frame (no jump at ±180°). Lens: ``pinholeFocalLength``
    (mm), ``focusDistance`` (m; left out at infinity, which the schema cannot say), ``tStop``
    (previs knows T-stops) and ``fStop`` only where the lens data gives the lens's transmittance
    τ (``N = T·√τ``; none of the shipped kits does, so no f-number is invented). Names (scene,
    shot) are text only (a control character becomes U+FFFD) and cut to the schema's 1,023
    characters. Timing: ``mode`` "internal", ``sampleRate``
    and ``captureFrameRate`` as exact rationals, ``sequenceNumber`` = frame, ``sampleTimestamp``
    = the frame's time from the shot's first frame (seconds, nanoseconds; not a wall clock: the
    file is deterministic), ``timecode`` from :mod:`previs.core.timecode` (shot-relative, from
    00:00:00:00, drop-frame at 29.97/59.94). ``protocol`` is ``OpenTrackIO`` version
    :data:`OPENTRACKIO_VERSION`, the version of the schema and examples the samples are validated
    against. ``sampleId``/``sourceId`` are name-based UUIDs (uuid5), so re-exports are identical.

Nuke ``.chan`` (``<shot>.chan``), §5.3
    One line per frame: ``frame tx ty tz rx ry rz vfov``, tab-separated. Frames are numbered
    from :data:`CHAN_FIRST_FRAME` (1, Nuke's and Blender's first frame) = previs frame 0. World Y
    up, metres (set the Nuke scene's units accordingly). Rotations in degrees for Nuke's default
    rotation order ZXY (rotate about Z, then X, then Y: ``R = Ry(ry)·Rx(rx)·Rz(rz)``, which is the
    Blender exporter's ``to_euler('ZXY')``): ``ry`` = pan, ``rx`` = tilt, ``rz`` = -roll.
    ``vfov`` is the vertical field of view in degrees; Nuke turns it into a focal length through
    the Camera's vertical aperture, so set the Camera's ``vaperture`` to the sensor height
    (``haperture`` to the sensor width × squeeze).

USD (``<shot>.usda``), §5.5
    A text layer written directly (no ``usd-core`` needed to write it; the tests read it back
    with ``pxr`` when it is installed): Y-up, ``metersPerUnit = 1``, ``timeCodesPerSecond`` =
    ``framesPerSecond`` = the frame rate, time codes = previs frames. A ``Camera`` prim
    (``/shot_<id>/camera``) with ``xformOp:transform`` time samples (USD matrices are row-vector:
    the transpose of previs' world-from-camera), ``focalLength``, ``horizontalAperture`` and
    ``verticalAperture`` in tenths of a scene unit (mm / 100 on a metres stage), the horizontal
    aperture desqueezed (``σ·w``) so USD's FOV and aspect are those of the delivered image,
    ``clippingRange``, ``focusDistance`` (m), and the two stops USD tells apart:
    ``exposure:fStop`` is the stop used for exposure, which is the T-stop (with
    ``exposure:iso`` and ``exposure:time``, the shutter in seconds, USD's
    ``ComputeLinearExposureScale`` gives the exposure previs renders); ``fStop`` is the lens's
    f-number N, the geometric aperture depth of field depends on: ``N = T·√τ`` with τ the
    lens's transmittance (OpenTrackIO's and the reference's §3.3 definition of the T-number).
    The shipped lens data gives T-stops only, no τ: then ``fStop`` is the T-stop, the f-number
    previs' own depth of field uses (an upper bound: the true N is smaller by the lens's
    transmission loss, for modern cine primes typically under a third of a stop), and the layer
    says so (``previs:fStop_source`` in its ``customLayerData``). ``previs:tStop`` keeps the
    T-stop per frame either way.

Strings written into the files (scene and shot names) never carry a character a reader would
choke on: USD strings escape control characters (``\\xHH``) and USD prim names are ASCII
identifiers; glTF and OpenTrackIO JSON escape them, and an unpaired surrogate becomes U+FFFD.
"""

from __future__ import annotations

import json
import math
import struct
import uuid
from collections.abc import Iterable, Sequence
from fractions import Fraction
from pathlib import Path

import numpy as np

from previs.core.frame import FrameState, evaluate
from previs.core.scene import Scene, Shot
from previs.core.timecode import frames_to_fields, frames_to_seconds, is_drop_frame_rate, parse_rate
from previs.errors import ExportError
from previs.export.paper import safe_name as _safe_name

__all__ = [
    "export_camera_data",
    "FORMATS",
    "FORMAT_VERSION",
    "OPENTRACKIO_VERSION",
    "CHAN_FIRST_FRAME",
    "quaternion_xyzw",
    "otio_from_previs",
    "otio_pan_tilt_roll",
    "otio_rotation",
    "chan_euler_zxy",
    "chan_rotation",
    "shot_states",
    "f_number",
]

FORMATS = ("glb", "opentrackio", "chan", "usd")
FORMAT_VERSION = 1
"""The version of previs' own additions (glTF/USD extras, file layout); readers check it."""
OPENTRACKIO_VERSION = (0, 9, 3)
"""The OpenTrackIO protocol version written: that of the schema and examples we validate against."""
CHAN_FIRST_FRAME = 1
"""The .chan frame number of a shot's frame 0."""

_SUFFIX = {"glb": ".glb", "opentrackio": ".opentrackio.json", "chan": ".chan", "usd": ".usda"}
# previs (Y up, -Z into the stage) -> OpenTrackIO (Z up, +Y forward): (x, y, z) -> (x, -z, y).
_OTIO_FROM_PREVIS = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])
_NS = uuid.UUID("3f1d2a7e-6c55-5b0e-9a43-70726576697a")  # previs' namespace for name-based UUIDs


# ---------------------------------------------------------------- conventions (pure maths)
def quaternion_xyzw(r: np.ndarray) -> np.ndarray:
    """Unit quaternion (x, y, z, w) of a 3x3 rotation matrix (column vectors)."""
    r = np.asarray(r, dtype=np.float64)[:3, :3]
    t = np.trace(r)
    if t > 0:
        s = 2.0 * math.sqrt(t + 1.0)
        q = [(r[2, 1] - r[1, 2]) / s, (r[0, 2] - r[2, 0]) / s, (r[1, 0] - r[0, 1]) / s, 0.25 * s]
    elif r[0, 0] > r[1, 1] and r[0, 0] > r[2, 2]:
        s = 2.0 * math.sqrt(1.0 + r[0, 0] - r[1, 1] - r[2, 2])
        q = [0.25 * s, (r[0, 1] + r[1, 0]) / s, (r[0, 2] + r[2, 0]) / s, (r[2, 1] - r[1, 2]) / s]
    elif r[1, 1] > r[2, 2]:
        s = 2.0 * math.sqrt(1.0 + r[1, 1] - r[0, 0] - r[2, 2])
        q = [(r[0, 1] + r[1, 0]) / s, 0.25 * s, (r[1, 2] + r[2, 1]) / s, (r[0, 2] - r[2, 0]) / s]
    else:
        s = 2.0 * math.sqrt(1.0 + r[2, 2] - r[0, 0] - r[1, 1])
        q = [(r[0, 2] + r[2, 0]) / s, (r[1, 2] + r[2, 1]) / s, 0.25 * s, (r[1, 0] - r[0, 1]) / s]
    q = np.asarray(q)
    return q / np.linalg.norm(q)


def _rx(deg: float) -> np.ndarray:
    c, s = math.cos(math.radians(deg)), math.sin(math.radians(deg))
    return np.array([[1, 0, 0], [0, c, -s], [0, s, c]], dtype=np.float64)


def _ry(deg: float) -> np.ndarray:
    c, s = math.cos(math.radians(deg)), math.sin(math.radians(deg))
    return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]], dtype=np.float64)


def _rz(deg: float) -> np.ndarray:
    c, s = math.cos(math.radians(deg)), math.sin(math.radians(deg))
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]], dtype=np.float64)


def otio_from_previs(world_from_camera: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(translation, 3x3 rotation) of a previs camera in OpenTrackIO axes: stage Z up, Y
    forward, X right; the camera's own frame likewise (looking along its +Y, +Z up)."""
    m = np.asarray(world_from_camera, dtype=np.float64)
    t = _OTIO_FROM_PREVIS @ m[:3, 3]
    r = _OTIO_FROM_PREVIS @ m[:3, :3] @ _OTIO_FROM_PREVIS.T
    return t, r


def otio_pan_tilt_roll(r_otio: np.ndarray) -> tuple[float, float, float]:
    """Intrinsic Z-X-Y Euler angles (pan, tilt, roll) in degrees of ``Rz(pan)·Rx(tilt)·Ry(roll)``."""
    r = np.asarray(r_otio, dtype=np.float64)
    tilt = math.degrees(math.asin(max(-1.0, min(1.0, r[2, 1]))))
    if abs(r[2, 1]) > 1 - 1e-12:  # looking straight up or down: put the whole turn in pan
        return math.degrees(math.atan2(r[1, 0], r[0, 0])), tilt, 0.0
    pan = math.degrees(math.atan2(-r[0, 1], r[1, 1]))
    roll = math.degrees(math.atan2(-r[2, 0], r[2, 2]))
    return pan, tilt, roll


def otio_rotation(pan_deg: float, tilt_deg: float, roll_deg: float) -> np.ndarray:
    """The OpenTrackIO rotation matrix of (pan, tilt, roll): intrinsic Z, then X, then Y."""
    return _rz(pan_deg) @ _rx(tilt_deg) @ _ry(roll_deg)


def chan_euler_zxy(r: np.ndarray) -> tuple[float, float, float]:
    """(rx, ry, rz) in degrees with ``R = Ry(ry)·Rx(rx)·Rz(rz)`` (Nuke rotation order ZXY)."""
    r = np.asarray(r, dtype=np.float64)[:3, :3]
    rx = math.degrees(math.asin(max(-1.0, min(1.0, -r[1, 2]))))
    if abs(r[1, 2]) > 1 - 1e-12:  # gimbal lock: fold rz into ry
        return rx, math.degrees(math.atan2(-r[2, 0], r[0, 0])), 0.0
    ry = math.degrees(math.atan2(r[0, 2], r[2, 2]))
    rz = math.degrees(math.atan2(r[1, 0], r[1, 1]))
    return rx, ry, rz


def chan_rotation(rx_deg: float, ry_deg: float, rz_deg: float) -> np.ndarray:
    """The rotation matrix of .chan angles in Nuke's ZXY order."""
    return _ry(ry_deg) @ _rx(rx_deg) @ _rz(rz_deg)


def _unwrap_deg(rows: np.ndarray) -> np.ndarray:
    """Angles (frames x n, degrees) made continuous from frame to frame."""
    if not len(rows):
        return rows
    return np.degrees(np.unwrap(np.radians(rows), axis=0)) + 0.0  # + 0.0: no "-0.0" in the files


def _rational(x) -> dict:
    f = x if isinstance(x, Fraction) else Fraction(x).limit_denominator(10000)
    return {"num": f.numerator, "denom": f.denominator}


def _text(s, limit: int | None = None) -> str:
    """``s`` as text any JSON reader takes: control characters (but tab and line feed) and
    unpaired surrogates become U+FFFD; cut to ``limit`` characters; never empty."""
    out = "".join(
        "\ufffd"
        if (ord(c) < 32 and c not in "\t\n") or 0x7F <= ord(c) < 0xA0 or 0xD800 <= ord(c) < 0xE000
        else c
        for c in str(s)
    )
    if limit is not None and len(out) > limit:
        out = out[: limit - 1] + "…"
    return out or "-"


def f_number(t_stop: float, transmittance: float | None) -> float:
    """The f-number of a lens at T-stop ``t_stop``: ``N = T·√τ`` (the T-number is the f-number
    divided by the square root of the transmittance τ). Without τ, the T-stop itself (what
    previs' depth of field uses; an upper bound on N)."""
    if transmittance is None:
        return float(t_stop)
    tau = float(transmittance)
    if not 0.0 < tau <= 1.0:
        raise ExportError(f"lens transmittance must be within (0, 1], got {tau:g}")
    return float(t_stop) * math.sqrt(tau)


def lens_transmittance(state: FrameState) -> float | None:
    """The transmittance τ the lens data gives for the frame's lens, or None (the shipped kits
    give T-stops only)."""
    tau = getattr(state.lens, "transmittance", None)
    return None if tau is None else float(tau)


# ---------------------------------------------------------------- evaluation
def shot_states(scene: Scene, shot: Shot | str) -> list[FrameState]:
    """Every frame of a shot, evaluated."""
    if isinstance(shot, str):
        shot = scene.shot(shot)
    return [evaluate(scene, shot, f) for f in range(shot.length_frames)]


def _times_s(states: Sequence[FrameState]) -> np.ndarray:
    return np.array([float(frames_to_seconds(s.frame, s.frame_rate)) for s in states])


# ---------------------------------------------------------------- glTF
class _Gltf:
    """A glTF 2.0 document under construction: JSON plus one binary buffer."""

    def __init__(self) -> None:
        self.doc: dict = {
            "asset": {"version": "2.0"},
            "buffers": [],
            "bufferViews": [],
            "accessors": [],
        }
        self.bin = bytearray()

    def accessor(
        self, data: np.ndarray, kind: str, *, target: int | None = None, minmax: bool = False
    ) -> int:
        data = np.ascontiguousarray(data)
        component = {np.dtype(np.float32): 5126, np.dtype(np.uint32): 5125}[data.dtype]
        while len(self.bin) % 4:
            self.bin.append(0)
        view = {"buffer": 0, "byteOffset": len(self.bin), "byteLength": data.nbytes}
        if target is not None:
            view["target"] = target
        self.bin += data.tobytes()
        self.doc["bufferViews"].append(view)
        acc = {
            "bufferView": len(self.doc["bufferViews"]) - 1,
            "componentType": component,
            "count": int(len(data)),
            "type": kind,
        }
        if minmax:
            flat = data.reshape(len(data), -1)
            acc["min"] = [float(v) for v in flat.min(axis=0)]
            acc["max"] = [float(v) for v in flat.max(axis=0)]
        self.doc["accessors"].append(acc)
        return len(self.doc["accessors"]) - 1

    def glb(self) -> bytes:
        while len(self.bin) % 4:
            self.bin.append(0)
        self.doc["buffers"] = [{"byteLength": len(self.bin)}]
        text = json.dumps(self.doc, separators=(",", ":"), allow_nan=False).encode("utf-8")
        text += b" " * (-len(text) % 4)
        total = 12 + 8 + len(text) + 8 + len(self.bin)
        return b"".join(
            [
                struct.pack("<4sII", b"glTF", 2, total),
                struct.pack("<I4s", len(text), b"JSON"),
                text,
                struct.pack("<I4s", len(self.bin), b"BIN\0"),
                bytes(self.bin),
            ]
        )


def _add_set(g: _Gltf, items) -> list[int]:
    """Meshes and materials of the set; returns the node indices of the pieces."""
    meshes: dict[int, int] = {}
    materials: dict[int, int] = {}
    doc = g.doc
    doc.setdefault("meshes", [])
    doc.setdefault("materials", [])
    doc.setdefault("nodes", [])
    nodes = []
    for k, item in enumerate(items):
        asset = item.asset
        if id(asset) not in meshes:
            prims = []
            for part in asset.parts:
                if len(part.indices) == 0:
                    continue
                mat = part.material
                if id(mat) not in materials:
                    m = {
                        "name": _text(mat.key[-60:] or "material"),
                        "pbrMetallicRoughness": {
                            "baseColorFactor": [
                                float(np.clip(c, 0.0, 1.0)) for c in mat.base_color
                            ],
                            "metallicFactor": float(np.clip(mat.metallic, 0.0, 1.0)),
                            "roughnessFactor": float(np.clip(mat.roughness, 0.0, 1.0)),
                        },
                    }
                    if any(mat.emissive):
                        m["emissiveFactor"] = [float(np.clip(c, 0.0, 1.0)) for c in mat.emissive]
                    if mat.double_sided:
                        m["doubleSided"] = True
                    doc["materials"].append(m)
                    materials[id(mat)] = len(doc["materials"]) - 1
                pos = np.asarray(part.positions, np.float32)
                nrm = np.asarray(part.normals, np.float64)
                length = np.linalg.norm(nrm, axis=1, keepdims=True)
                nrm = np.where(
                    length > 1e-8, nrm / np.maximum(length, 1e-12), [0.0, 1.0, 0.0]
                ).astype(np.float32)
                attrs = {
                    "POSITION": g.accessor(pos, "VEC3", target=34962, minmax=True),
                    "NORMAL": g.accessor(nrm, "VEC3", target=34962),
                }
                colors = np.asarray(part.colors, np.float32)
                if colors.shape == (len(pos), 4) and not np.all(colors == 1.0):
                    attrs["COLOR_0"] = g.accessor(np.clip(colors, 0.0, 1.0), "VEC4", target=34962)
                idx = np.asarray(part.indices, np.uint32).reshape(-1)
                prims.append(
                    {
                        "attributes": attrs,
                        "indices": g.accessor(idx, "SCALAR", target=34963),
                        "material": materials[id(mat)],
                        "mode": 4,
                    }
                )
            if not prims:
                continue
            doc["meshes"].append({"name": _text(_mesh_name(item, k)), "primitives": prims})
            meshes[id(asset)] = len(doc["meshes"]) - 1
        node = {"name": _text(item.name or f"piece {k}"), "mesh": meshes[id(asset)]}
        world = np.asarray(item.world_from_asset, float)
        if not np.array_equal(world, np.eye(4)):
            node["matrix"] = [float(v) for v in world.T.ravel()]  # glTF: column-major
        doc["nodes"].append(node)
        nodes.append(len(doc["nodes"]) - 1)
    return nodes


def _mesh_name(item, k: int) -> str:
    src = str(item.asset.source)
    return Path(src).name if not src.startswith("<") else (item.name or f"piece {k}")


def _camera_extras(scene: Scene, shot: Shot, states: Sequence[FrameState]) -> dict:
    s0 = states[0]
    return {
        "previs": {
            "format_version": FORMAT_VERSION,
            "scene": _text(scene.name),
            "shot": _text(shot.id),
            "frame_rate": [s0.frame_rate.numerator, s0.frame_rate.denominator],
            "first_frame": 0,
            "camera": _text(f"{s0.mode.body_name} {s0.mode.mode_name}"),
            "lens": _text(s0.lens.kit_name),
            "sensor_mm": [s0.mode.width_mm, s0.mode.height_mm],
            "sensor_px": [s0.mode.width_px, s0.mode.height_px],
            "squeeze": s0.squeeze,
            "focal_length_mm": [s.focal_length_mm for s in states],
            "focus_m": [s.focus_m if math.isfinite(s.focus_m) else None for s in states],
            "t_stop": [s.t_stop for s in states],
        }
    }


def glb_bytes(scene: Scene, shot: Shot, states: Sequence[FrameState], set_items=None) -> bytes:
    """The shot's camera (and the set, from ``set_items``) as a binary glTF 2.0 file."""
    from previs import __version__

    g = _Gltf()
    doc = g.doc
    doc["asset"]["generator"] = f"previs {__version__}"
    doc["asset"]["extras"] = {
        "previs": {
            "format_version": FORMAT_VERSION,
            "scene": _text(scene.name),
            "shot": _text(shot.id),
        }
    }
    piece_nodes = _add_set(g, set_items or [])
    doc.setdefault("nodes", [])
    s0 = states[0]
    doc["cameras"] = [
        {
            "name": _text(f"camera {shot.id}"),
            "type": "perspective",
            "perspective": {
                "yfov": s0.yfov_rad,
                "aspectRatio": s0.image_aspect,
                "znear": s0.near_m,
                "zfar": s0.far_m,
            },
            "extras": _camera_extras(scene, shot, states),
        }
    ]
    m = np.stack([s.world_from_camera for s in states])
    trans = m[:, :3, 3]
    quats = np.stack([quaternion_xyzw(x) for x in m])
    for i in range(1, len(quats)):  # one hemisphere, so LINEAR (slerp) turns the short way
        if np.dot(quats[i], quats[i - 1]) < 0:
            quats[i] = -quats[i]
    cam_node = {
        "name": _text(f"camera {shot.id}"),
        "camera": 0,
        "translation": [float(v) for v in trans[0]],
        "rotation": [float(v) for v in quats[0]],
    }
    doc["nodes"].append(cam_node)
    cam_index = len(doc["nodes"]) - 1
    roots = list(piece_nodes)
    if piece_nodes:
        doc["nodes"].append({"name": "set", "children": piece_nodes})
        roots = [len(doc["nodes"]) - 1]
    doc["scenes"] = [{"name": _text(scene.name), "nodes": [*roots, cam_index]}]
    doc["scene"] = 0

    times = g.accessor(_times_s(states).astype(np.float32), "SCALAR", minmax=True)
    t_out = g.accessor(trans.astype(np.float32), "VEC3")
    r_out = g.accessor(quats.astype(np.float32), "VEC4")
    f_out = g.accessor(np.array([s.yfov_rad for s in states], np.float32), "SCALAR")
    doc["animations"] = [
        {
            "name": _text(f"shot {shot.id}"),
            "samplers": [
                {"input": times, "output": out, "interpolation": "LINEAR"}
                for out in (t_out, r_out, f_out)
            ],
            "channels": [
                {"sampler": 0, "target": {"node": cam_index, "path": "translation"}},
                {"sampler": 1, "target": {"node": cam_index, "path": "rotation"}},
                {
                    "sampler": 2,
                    "target": {
                        "path": "pointer",
                        "extensions": {
                            "KHR_animation_pointer": {"pointer": "/cameras/0/perspective/yfov"}
                        },
                    },
                },
            ],
        }
    ]
    doc["extensionsUsed"] = ["KHR_animation_pointer"]
    return g.glb()


# ---------------------------------------------------------------- OpenTrackIO
def _timestamp(t: Fraction) -> dict:
    ns = round(t * 1_000_000_000)
    return {"seconds": int(ns // 1_000_000_000), "nanoseconds": int(ns % 1_000_000_000)}


def opentrackio_samples(scene: Scene, shot: Shot, states: Sequence[FrameState]) -> list[dict]:
    """One OpenTrackIO sample (a dict, valid against the schema) per frame."""
    rate = parse_rate(scene.frame_rate)
    s0 = states[0]
    focals = {s.focal_length_mm for s in states}
    static_lens = {"model": _text(s0.lens.kit_name, 1023)}
    if not s0.lens.is_zoom and len(focals) == 1:
        static_lens["nominalFocalLength"] = s0.focal_length_mm  # the schema: primes only
    static = {
        "duration": _rational(Fraction(shot.length_frames) / rate),
        "camera": {
            "captureFrameRate": _rational(rate),
            "activeSensorPhysicalDimensions": {
                "height": s0.mode.height_mm,
                "width": s0.mode.width_mm,
            },
            "activeSensorResolution": {
                "height": int(s0.mode.height_px),
                "width": int(s0.mode.width_px),
            },
            "model": _text(f"{s0.mode.body_name} {s0.mode.mode_name}", 1023),
            "anamorphicSqueeze": _rational(s0.squeeze),
            "isoSpeed": max(1, int(round(s0.iso))),
            "shutterAngle": float(min(360.0, max(0.0, s0.shutter_angle_deg))),
        },
        "lens": static_lens,
        "tracker": {"make": "previs", "model": "previs camera export"},
    }
    source_id = uuid.uuid5(_NS, _text(f"opentrackio/{scene.name}/{shot.id}"))
    drop = is_drop_frame_rate(rate)
    rows = []
    for s in states:
        t, r = otio_from_previs(s.world_from_camera)
        rows.append((t, otio_pan_tilt_roll(r)))
    angles = _unwrap_deg(np.array([a for _, a in rows], dtype=np.float64).reshape(-1, 3))
    samples = []
    for s, (t, _), (pan, tilt, roll) in zip(states, rows, angles, strict=True):
        h, mi, se, fr = frames_to_fields(s.frame, rate)
        lens = {"pinholeFocalLength": s.focal_length_mm, "tStop": s.t_stop}
        tau = lens_transmittance(s)
        if tau is not None:
            lens["fStop"] = f_number(s.t_stop, tau)
        if math.isfinite(s.focus_m) and s.focus_m > 0:
            lens["focusDistance"] = s.focus_m
        samples.append(
            {
                "static": static,
                "tracker": {
                    "notes": _text(f"previs: {scene.name}", 1023),
                    "recording": False,
                    "slate": _text(shot.id, 1023),
                    "status": "synthetic",
                },
                "timing": {
                    "mode": "internal",
                    "sampleRate": _rational(rate),
                    "sampleTimestamp": _timestamp(frames_to_seconds(s.frame, rate)),
                    "sequenceNumber": s.frame,
                    "timecode": {
                        "hours": int(h),
                        "minutes": int(mi),
                        "seconds": int(se),
                        "frames": int(fr),
                        "frameRate": _rational(rate),
                        "dropFrame": drop,
                    },
                },
                "lens": lens,
                "protocol": {"name": "OpenTrackIO", "version": list(OPENTRACKIO_VERSION)},
                "sampleId": uuid.uuid5(source_id, str(s.frame)).urn,
                "sourceId": source_id.urn,
                "sourceNumber": 1,
                "transforms": [
                    {
                        "translation": {"x": float(t[0]), "y": float(t[1]), "z": float(t[2])},
                        "rotation": {"pan": float(pan), "tilt": float(tilt), "roll": float(roll)},
                        "id": "Camera",
                    }
                ],
            }
        )
    return samples


def opentrackio_bytes(samples: Iterable[dict]) -> bytes:
    lines = [json.dumps(s, separators=(",", ":"), allow_nan=False) for s in samples]
    return ("[\n" + ",\n".join(lines) + "\n]\n").encode("utf-8")


# ---------------------------------------------------------------- Nuke .chan
def chan_bytes(states: Sequence[FrameState]) -> bytes:
    eul = _unwrap_deg(
        np.array([chan_euler_zxy(s.world_from_camera) for s in states]).reshape(-1, 3)
    )
    out = []
    for s, (rx, ry, rz) in zip(states, eul, strict=True):
        tx, ty, tz = s.world_from_camera[:3, 3]
        vals = (tx, ty, tz, rx, ry, rz, math.degrees(s.yfov_rad))
        out.append(f"{s.frame + CHAN_FIRST_FRAME}\t" + "\t".join(f"{v:.9f}" for v in vals))
    return ("\n".join(out) + "\n").encode("ascii")


# ---------------------------------------------------------------- USD
def _usd_prim_name(s: str) -> str:
    name = "".join(c if (c.isascii() and c.isalnum()) or c == "_" else "_" for c in s)
    return name if name and not name[0].isdigit() else f"_{name}"


def _usd_str(s: str) -> str:
    """A double-quoted usda string. usda reads C escapes (``\\n``, ``\\xHH``) but not JSON's
    ``\\uXXXX``: other characters go as UTF-8 themselves; an unpaired surrogate (which UTF-8
    cannot hold) becomes U+FFFD."""
    out = []
    for c in str(s):
        o = ord(c)
        if c in '"\\':
            out.append("\\" + c)
        elif o < 32 or o == 0x7F:
            out.append({"\n": "\\n", "\t": "\\t", "\r": "\\r"}.get(c, f"\\x{o:02x}"))
        elif 0xD800 <= o < 0xE000:
            out.append("\ufffd")
        else:
            out.append(c)
    return '"' + "".join(out) + '"'


def _g(v: float) -> str:
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return repr(float(v))


def usda_bytes(scene: Scene, shot: Shot, states: Sequence[FrameState]) -> bytes:
    s0 = states[0]
    rate = parse_rate(scene.frame_rate)
    root = _usd_prim_name(f"shot_{shot.id}")

    def samples(values) -> str:
        body = "".join(
            f"            {s.frame}: {v},\n" for s, v in zip(states, values, strict=True)
        )
        return "{\n" + body + "        }"

    def matrix(m: np.ndarray) -> str:
        rows = np.asarray(m, float).T  # USD: row vectors, translation in the last row
        return "( " + ", ".join("(" + ", ".join(_g(x) for x in row) + ")" for row in rows) + " )"

    h_ap = s0.mode.width_mm * s0.squeeze / 100.0
    v_ap = s0.mode.height_mm / 100.0
    taus = [lens_transmittance(s) for s in states]
    if all(t is not None for t in taus):
        f_source = (
            "f-number from the T-stop and the lens transmittance: N = T * sqrt(transmittance)"
        )
    else:
        taus = [None] * len(states)
        f_source = (
            "the T-stop: the lens data gives no transmittance, so the f-number is taken as the "
            "T-stop, as previs' own depth of field does (the true f-number is at most this)"
        )
    text = f"""#usda 1.0
(
    customLayerData = {{
        int "previs:format_version" = {FORMAT_VERSION}
        string "previs:scene" = {_usd_str(scene.name)}
        string "previs:shot" = {_usd_str(shot.id)}
        string "previs:camera" = {_usd_str(f"{s0.mode.body_name} {s0.mode.mode_name}")}
        string "previs:lens" = {_usd_str(s0.lens.kit_name)}
        double2 "previs:sensor_mm" = ({_g(s0.mode.width_mm)}, {_g(s0.mode.height_mm)})
        double "previs:squeeze" = {_g(s0.squeeze)}
        string "previs:fStop_source" = {_usd_str(f_source)}
    }}
    defaultPrim = "{root}"
    endTimeCode = {states[-1].frame}
    framesPerSecond = {_g(float(rate))}
    metersPerUnit = 1
    startTimeCode = {states[0].frame}
    timeCodesPerSecond = {_g(float(rate))}
    upAxis = "Y"
)

def Xform "{root}"
{{
    def Camera "camera"
    {{
        float2 clippingRange = ({_g(s0.near_m)}, {_g(s0.far_m)})
        float focalLength.timeSamples = {samples(_g(s.focal_length_mm / 100.0) for s in states)}
        float focusDistance.timeSamples = {samples(_g(s.focus_m) for s in states)}
        float exposure:fStop.timeSamples = {samples(_g(s.t_stop) for s in states)}
        float exposure:iso = {_g(s0.iso)}
        float exposure:time = {_g(s0.shutter_angle_deg / 360.0 / float(rate))}
        float fStop.timeSamples = {samples(_g(f_number(s.t_stop, t)) for s, t in zip(states, taus, strict=True))}
        float horizontalAperture = {_g(h_ap)}
        float previs:tStop.timeSamples = {samples(_g(s.t_stop) for s in states)}
        token projection = "perspective"
        float verticalAperture = {_g(v_ap)}
        matrix4d xformOp:transform.timeSamples = {samples(matrix(s.world_from_camera) for s in states)}
        uniform token[] xformOpOrder = ["xformOp:transform"]
    }}
}}
"""
    return text.encode("utf-8")


# ---------------------------------------------------------------- the export
def export_camera_data(
    scene: Scene,
    shot_ids: Sequence[str] | None,
    out_dir: str | Path,
    formats: Sequence[str] = FORMATS,
) -> list[Path]:
    """Write each shot's camera as ``<out>/<shot>.glb``, ``.opentrackio.json``, ``.chan`` and
    ``.usda`` (those named in ``formats``); returns the paths written, in that order per shot.
    ``shot_ids=None`` exports every shot."""
    from previs.export.atomic import write_atomic

    formats = tuple(formats)
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise ExportError(
            f"unknown camera data format '{unknown[0]}' (use any of: {', '.join(FORMATS)})"
        )
    shots = [scene.shot(s) for s in shot_ids] if shot_ids is not None else list(scene.shots)
    stems: dict[str, str] = {}
    for shot in shots:  # "1 A" and "1_A" would overwrite each other's files
        other = stems.setdefault(_safe_name(shot.id), shot.id)
        if other != shot.id:
            raise ExportError(
                f"shots {other!r} and {shot.id!r} would both be written as "
                f"{_safe_name(shot.id)}.*; rename one of them"
            )
    out = Path(out_dir)
    items = None
    if "glb" in formats and shots:
        from previs.api import set_items

        items = set_items(scene)
    written: list[Path] = []
    for shot in shots:
        if shot.length_frames < 1:
            raise ExportError(f"shot {shot.id} has no frames to export")
        states = shot_states(scene, shot)
        stem = _safe_name(shot.id)
        for fmt in formats:
            if fmt == "glb":
                data = glb_bytes(scene, shot, states, items)
            elif fmt == "opentrackio":
                data = opentrackio_bytes(opentrackio_samples(scene, shot, states))
            elif fmt == "chan":
                data = chan_bytes(states)
            else:
                data = usda_bytes(scene, shot, states)
            path = out / f"{stem}{_SUFFIX[fmt]}"
            write_atomic(path, data)
            written.append(path)
    return written
