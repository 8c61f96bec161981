"""OpenTrackIO samples and their UDP packets, encoded and decoded without sockets.

A *sample* is one JSON (or CBOR) object of the OpenTrackIO schema (``reference/opentrackio/``):
right-handed, Z up, Y forward, metres; each transform's rotation is intrinsic Z-X-Y Euler
``[pan, tilt, roll]`` in degrees; ``transforms`` compose in order, the last one being the camera
sensor relative to the stage origin. :func:`parse_sample` turns one into an :class:`OtioSample`
(still in OpenTrackIO axes; :mod:`previs.track.mapping` puts it on the stage), naming the field of
anything wrong.

A *packet* is a 16-byte header and a payload segment, all big-endian (the layout Unreal's
LiveLinkOpenTrackIO reads, reference §2):

======  ====  ===============================================================
offset  size  field
======  ====  ===============================================================
0       4     identifier ``OTrk``
4       1     reserved (0)
5       1     encoding: 0x01 JSON, 0x02 CBOR
6       2     sequence number, one per complete sample (wraps at 65536)
8       4     segment offset: where this segment goes in the whole payload
12      2     bit 15: last segment; bits 0-14: this segment's payload length
14      2     Fletcher-16 (sums mod 256) of bytes 0..13 and the segment payload
======  ====  ===============================================================

A sample larger than one datagram travels as several segments of one sequence number;
:class:`Reassembler` joins them (bounded: at most :data:`MAX_PAYLOAD_BYTES` a sample and
:data:`MAX_PENDING` samples in flight, the oldest dropped).
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from previs.core import limits as lim

MAGIC = b"OTrk"
HEADER_BYTES = 16
ENCODING_JSON = 0x01
ENCODING_CBOR = 0x02
LAST_SEGMENT = 0x8000
MAX_SEGMENT_PAYLOAD = 0x7FFF
DEFAULT_SEGMENT_BYTES = 1200  # payload per datagram: under a 1500-byte Ethernet MTU with headers
MAX_PAYLOAD_BYTES = 1 << 20
"""One sample's whole payload: 1 MiB (a complete sample with every field is about 4 KB)."""
MAX_PENDING = 8
"""Samples being reassembled at once; older unfinished ones are dropped (lost segments)."""
MAX_TRANSFORMS = 32
PROTOCOL_VERSION = (0, 9, 3)  # that of the schema and examples previs validates against
_HEADER = struct.Struct(">4sBBHIHH")


class OtioError(ValueError):
    """A packet or sample that cannot be used; ``reason`` says which kind (for counters)."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


# ---------------------------------------------------------------- packets
def fletcher16(*chunks: bytes) -> int:
    """OpenTrackIO's Fletcher-16: two running sums mod 256 over the chunks in turn."""
    s1 = s2 = 0
    for chunk in chunks:
        for b in chunk:
            s1 = (s1 + b) & 0xFF
            s2 = (s2 + s1) & 0xFF
    return (s2 << 8) | s1


def encode_packets(
    payload: bytes,
    sequence: int,
    encoding: int = ENCODING_JSON,
    segment_bytes: int = DEFAULT_SEGMENT_BYTES,
) -> list[bytes]:
    """The datagrams carrying one sample's payload (one, or several segments)."""
    if not 1 <= segment_bytes <= MAX_SEGMENT_PAYLOAD:
        raise OtioError("range", f"segment size must be 1..{MAX_SEGMENT_PAYLOAD} bytes")
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise OtioError(
            "length", f"a sample of {len(payload):,} bytes is over {MAX_PAYLOAD_BYTES:,}"
        )
    out = []
    offsets = range(0, max(len(payload), 1), segment_bytes)
    for k, off in enumerate(offsets):
        seg = payload[off : off + segment_bytes]
        flags = len(seg) | (LAST_SEGMENT if k == len(offsets) - 1 else 0)
        head = _HEADER.pack(MAGIC, 0, encoding, sequence & 0xFFFF, off, flags, 0)[:14]
        out.append(head + fletcher16(head, seg).to_bytes(2, "big") + seg)
    return out


@dataclass(frozen=True)
class Segment:
    encoding: int
    sequence: int
    offset: int
    last: bool
    payload: bytes


def parse_packet(data: bytes) -> Segment:
    """Header and payload of one datagram; :class:`OtioError` (length, type, checksum) else."""
    if len(data) < HEADER_BYTES:
        raise OtioError(
            "length",
            f"an OpenTrackIO packet has a {HEADER_BYTES}-byte header; got {len(data)} bytes",
        )
    magic, _, encoding, seq, offset, flags, check = _HEADER.unpack_from(data)
    if magic != MAGIC:
        raise OtioError("type", "not an OpenTrackIO packet (no 'OTrk' identifier)")
    length = flags & MAX_SEGMENT_PAYLOAD
    if len(data) != HEADER_BYTES + length:
        raise OtioError(
            "length",
            f"the header says {length} payload bytes, the packet holds {len(data) - HEADER_BYTES}",
        )
    payload = bytes(data[HEADER_BYTES:])
    if fletcher16(data[:14], payload) != check:
        raise OtioError("checksum", "OpenTrackIO checksum does not match")
    if encoding not in (ENCODING_JSON, ENCODING_CBOR):
        raise OtioError(
            "type", f"OpenTrackIO payload encoding 0x{encoding:02X} is neither JSON nor CBOR"
        )
    if offset + length > MAX_PAYLOAD_BYTES:
        raise OtioError(
            "length", f"a segment ending at byte {offset + length:,} is past {MAX_PAYLOAD_BYTES:,}"
        )
    return Segment(encoding, seq, offset, bool(flags & LAST_SEGMENT), payload)


class Reassembler:
    """Joins segments into whole payloads, per (sender, sequence number)."""

    def __init__(self) -> None:
        self._pending: dict[tuple, dict] = {}
        self.dropped = 0  # unfinished samples given up (a segment lost)

    def add(self, sender, seg: Segment) -> tuple[int, bytes] | None:
        """(encoding, payload) once a sample is complete, else None."""
        if seg.offset == 0 and seg.last:
            return seg.encoding, seg.payload
        key = (sender, seg.sequence)
        entry = self._pending.get(key)
        if entry is None:
            while len(self._pending) >= MAX_PENDING:
                self._pending.pop(next(iter(self._pending)))
                self.dropped += 1
            entry = self._pending[key] = {"parts": {}, "total": None, "encoding": seg.encoding}
        entry["parts"][seg.offset] = seg.payload
        if seg.last:
            entry["total"] = seg.offset + len(seg.payload)
        total = entry["total"]
        if total is None:
            return None
        buf, at = bytearray(), 0
        for off in sorted(entry["parts"]):
            if off != at:
                return None  # a gap: wait for the missing segment
            buf += entry["parts"][off]
            at += len(entry["parts"][off])
        if at != total:
            return None
        del self._pending[key]
        return entry["encoding"], bytes(buf)


def decode_payload(payload: bytes, encoding: int):
    """The JSON or CBOR object in a payload (NaN and infinities refused in JSON)."""
    if encoding == ENCODING_JSON:
        try:
            return json.loads(payload.decode("utf-8"), parse_constant=_no_constant)
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise OtioError(
                "garbage", f"payload is not JSON ({str(exc).splitlines()[0][:80]})"
            ) from None
    try:
        import cbor2

        return cbor2.loads(payload)
    except Exception as exc:  # cbor2 raises several kinds on damaged input; all mean garbage
        raise OtioError("garbage", f"payload is not CBOR ({type(exc).__name__})") from None


def _no_constant(name: str):
    raise ValueError(f"{name} is not a number JSON allows")


def encode_payload(sample: dict, encoding: int = ENCODING_JSON) -> bytes:
    if encoding == ENCODING_CBOR:
        import cbor2

        return cbor2.dumps(sample)
    return json.dumps(sample, separators=(",", ":"), allow_nan=False).encode("utf-8")


# ---------------------------------------------------------------- samples
@dataclass(frozen=True)
class OtioSample:
    """What previs uses of one sample, in OpenTrackIO axes and units."""

    world_from_camera: np.ndarray  # 4x4: the composed transforms (camera looks along its +Y)
    focal_length_mm: float | None = None
    focus_m: float | None = None
    t_stop: float | None = None
    entrance_pupil_offset_m: float | None = None
    raw_zoom: int | None = None
    raw_focus: int | None = None
    sequence: int | None = None
    sample_rate: Fraction | None = None
    timecode: tuple[int, int, int, int, Fraction, bool] | None = None  # h, m, s, f, rate, drop


class _Where:
    def __init__(self, prefix: str):
        self.prefix = prefix

    def fail(self, path: str, message: str) -> OtioError:
        return OtioError("schema", f"{self.prefix}{path}: {message}")


def _get(d, key: str, path: str, w: _Where, kind=dict, required: bool = False):
    if not isinstance(d, dict):
        raise w.fail(path, f"expected an object, got {type(d).__name__}")
    v = d.get(key)
    if v is None:
        if required:
            raise w.fail(f"{path}.{key}".lstrip("."), "missing")
        return None
    if kind is not None and not isinstance(v, kind):
        raise w.fail(
            f"{path}.{key}".lstrip("."),
            f"expected {kind.__name__ if isinstance(kind, type) else 'a value'}, "
            f"got {type(v).__name__}",
        )
    return v


def _number(
    d,
    key: str,
    path: str,
    w: _Where,
    lo: float,
    hi: float,
    *,
    required: bool = False,
    lo_open: bool = False,
) -> float | None:
    v = _get(d, key, path, w, kind=None, required=required)
    if v is None:
        return None
    where = f"{path}.{key}".lstrip(".")
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise w.fail(where, f"expected a number, got {type(v).__name__}")
    x = float(v)
    if not math.isfinite(x):
        raise w.fail(where, f"expected a finite number, got {x!r}")
    if x < lo or x > hi or (lo_open and x <= lo):
        raise w.fail(where, f"{x:g} is outside {lo:g}..{hi:g}")
    return x


def _int(d, key: str, path: str, w: _Where, lo: int, hi: int, required: bool = False) -> int | None:
    v = _get(d, key, path, w, kind=None, required=required)
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
        raise w.fail(
            f"{path}.{key}".lstrip("."), f"expected a whole number within {lo}..{hi}, got {v!r}"
        )
    return int(v)


def _rate(d, key: str, path: str, w: _Where) -> Fraction | None:
    r = _get(d, key, path, w)
    if r is None:
        return None
    p = f"{path}.{key}"
    num = _int(r, "num", p, w, 1, 2**31 - 1, required=True)
    den = _int(r, "denom", p, w, 1, 2**32 - 1, required=True)
    rate = Fraction(num, den)
    if not 1 <= rate <= 1000:
        raise w.fail(p, f"{float(rate):g} samples a second is outside 1..1000")
    return rate


def _rot(pan: float, tilt: float, roll: float) -> np.ndarray:
    from previs.export.camera_data import otio_rotation

    return otio_rotation(pan, tilt, roll)


def parse_sample(d, where: str = "") -> OtioSample:
    """The parts of an OpenTrackIO sample previs uses, checked (finite, bounded); an
    :class:`OtioError` naming ``where`` and the field otherwise."""
    w = _Where(f"{where}: " if where else "")
    if not isinstance(d, dict):
        raise w.fail("sample", f"expected a JSON object, got {type(d).__name__}")
    transforms = _get(d, "transforms", "", w, kind=list, required=True)
    if not 1 <= len(transforms) <= MAX_TRANSFORMS:
        raise w.fail(
            "transforms", f"expected 1..{MAX_TRANSFORMS} transforms, got {len(transforms)}"
        )
    m = np.eye(4)
    big = lim.MAX_COORD_M
    for k, tr in enumerate(transforms):
        p = f"transforms[{k}]"
        t = _get(tr, "translation", p, w, required=True)
        r = _get(tr, "rotation", p, w, required=True)
        xyz = [_number(t, a, f"{p}.translation", w, -big, big, required=True) for a in "xyz"]
        ang = [
            _number(r, a, f"{p}.rotation", w, -lim.MAX_ANGLE_DEG, lim.MAX_ANGLE_DEG, required=True)
            for a in ("pan", "tilt", "roll")
        ]
        local = np.eye(4)
        local[:3, :3] = _rot(*ang)
        local[:3, 3] = xyz
        scale = _get(tr, "scale", p, w)
        if scale is not None and k < len(transforms) - 1:  # a parent's scale moves its children
            s = [_number(scale, a, f"{p}.scale", w, 1e-6, 1e6, required=True) for a in "xyz"]
            local = local @ np.diag([*s, 1.0])
        m = m @ local
    if not np.all(np.abs(m[:3, 3]) <= big):
        raise w.fail("transforms", f"the camera lands more than {big:g} m from the stage origin")
    lens = _get(d, "lens", "", w) or {}
    focal = _number(lens, "pinholeFocalLength", "lens", w, 0.0, lim.MAX_FOCAL_MM, lo_open=True)
    focus = _number(lens, "focusDistance", "lens", w, 0.0, lim.MAX_MAGNITUDE, lo_open=True)
    t_stop = _number(lens, "tStop", "lens", w, 0.0, 1000.0, lo_open=True)
    pupil = _number(lens, "entrancePupilOffset", "lens", w, -10.0, 10.0)
    raw = _get(lens, "rawEncoders", "lens", w) or {}
    raw_zoom = _int(raw, "zoom", "lens.rawEncoders", w, 0, 2**32 - 1)
    raw_focus = _int(raw, "focus", "lens.rawEncoders", w, 0, 2**32 - 1)
    timing = _get(d, "timing", "", w) or {}
    seq = _int(timing, "sequenceNumber", "timing", w, 0, 2**32 - 1)
    rate = _rate(timing, "sampleRate", "timing", w)
    tc = _get(timing, "timecode", "timing", w)
    timecode = None
    if tc is not None:
        p = "timing.timecode"
        fields = [
            _int(tc, k, p, w, 0, hi, required=True)
            for k, hi in (("hours", 23), ("minutes", 59), ("seconds", 59), ("frames", 999))
        ]
        tc_rate = _rate(tc, "frameRate", p, w) or rate
        if tc_rate is None:
            raise w.fail(p, "missing frameRate")
        drop = tc.get("dropFrame")
        timecode = (*fields, tc_rate, bool(drop) if isinstance(drop, bool) else False)
    return OtioSample(
        world_from_camera=m,
        focal_length_mm=focal,
        focus_m=focus,
        t_stop=t_stop,
        entrance_pupil_offset_m=pupil,
        raw_zoom=raw_zoom,
        raw_focus=raw_focus,
        sequence=seq,
        sample_rate=rate,
        timecode=timecode,
    )


def _rational(x: Fraction) -> dict:
    f = Fraction(x).limit_denominator(1_000_000)
    return {"num": f.numerator, "denom": f.denominator}


def make_sample(
    *,
    translation_m,
    pan_deg: float,
    tilt_deg: float,
    roll_deg: float,
    sequence: int,
    rate: Fraction,
    timecode: tuple[int, int, int, int],
    drop_frame: bool = False,
    focal_length_mm: float | None = None,
    focus_m: float | None = None,
    t_stop: float | None = None,
    source_id: str,
    sample_id: str,
    source_number: int = 1,
    slate: str = "",
) -> dict:
    """One OpenTrackIO sample (valid against the schema) of a camera in OpenTrackIO axes."""
    lens: dict = {}
    if focal_length_mm is not None:
        lens["pinholeFocalLength"] = float(focal_length_mm)
    if focus_m is not None and math.isfinite(focus_m):
        lens["focusDistance"] = float(focus_m)
    if t_stop is not None:
        lens["tStop"] = float(t_stop)
    h, mi, s, f = timecode
    x, y, z = (float(v) for v in translation_m)
    sample = {
        "protocol": {"name": "OpenTrackIO", "version": list(PROTOCOL_VERSION)},
        "sampleId": sample_id,
        "sourceId": source_id,
        "sourceNumber": int(source_number),
        "timing": {
            "mode": "internal",
            "sampleRate": _rational(rate),
            "sequenceNumber": int(sequence) % 2**32,
            "timecode": {
                "hours": int(h),
                "minutes": int(mi),
                "seconds": int(s),
                "frames": int(f),
                "frameRate": _rational(rate),
                "dropFrame": bool(drop_frame),
            },
        },
        "transforms": [
            {
                "translation": {"x": x, "y": y, "z": z},
                "rotation": {
                    "pan": float(pan_deg),
                    "tilt": float(tilt_deg),
                    "roll": float(roll_deg),
                },
                "id": "Camera",
            }
        ],
        "tracker": {"recording": False, "slate": slate or "-", "status": "previs track send"},
    }
    if lens:
        sample["lens"] = lens
    return sample
