"""FreeD type D1 packets: 29 bytes, encoded and decoded without sockets.

Layout (Vinten Radamec Free-d manual A.3.2, reference ``tracking-and-stage-light.md`` §1), every
multi-byte field big-endian:

=====  ==========================  =================================================
bytes  field                       encoding
=====  ==========================  =================================================
0      message type                0xD1
1      camera id                   unsigned
2-10   pan, tilt, roll             signed 24-bit, 1/32768 degree (±256°)
11-19  X, Y, Z (Z = height)        signed 24-bit, 1/64 mm (±131 m)
20-25  zoom, focus                 unsigned 24-bit raw encoder counts
26-27  spare / user                16 bits, carried through untouched
28     checksum                    (0x40 - sum of bytes 0..27) mod 256
=====  ==========================  =================================================

The numbers stay in FreeD's own axes and senses here (Z up, Y forward; pan as the tracker sends
it); :mod:`previs.track.mapping` puts them on the stage. Quantisation: 1/32768° ≈ 3.1e-5° and
1/64 mm ≈ 0.016 mm, so a value survives a round trip within half of that.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

PACKET_BYTES = 29
MESSAGE_D1 = 0xD1
ANGLE_UNITS_PER_DEG = 32768.0
POSITION_UNITS_PER_MM = 64.0
_S24_MIN, _S24_MAX = -(2**23), 2**23 - 1
U24_MAX = 2**24 - 1


class FreeDError(ValueError):
    """A packet that is not a valid D1 packet; ``reason`` is one of length, type, checksum, range."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class FreeDSample:
    """One D1 packet's values, in FreeD's units made readable (degrees, millimetres, counts)."""

    camera_id: int
    pan_deg: float
    tilt_deg: float
    roll_deg: float
    x_mm: float
    y_mm: float
    z_mm: float
    zoom: int
    focus: int
    spare: int = 0


def checksum(body: bytes) -> int:
    """FreeD's checksum of the 28 bytes before it."""
    return (0x40 - sum(body)) % 256


def _s24(b: bytes, i: int) -> int:
    v = (b[i] << 16) | (b[i + 1] << 8) | b[i + 2]
    return v - (1 << 24) if v & 0x800000 else v


def _u24(b: bytes, i: int) -> int:
    return (b[i] << 16) | (b[i + 1] << 8) | b[i + 2]


def decode(packet: bytes) -> FreeDSample:
    """The values of a D1 packet; :class:`FreeDError` for a wrong length, type or checksum."""
    b = bytes(packet)
    if len(b) != PACKET_BYTES:
        raise FreeDError("length", f"a FreeD D1 packet is {PACKET_BYTES} bytes, got {len(b)}")
    if b[0] != MESSAGE_D1:
        raise FreeDError("type", f"FreeD message type 0x{b[0]:02X} is not D1")
    if checksum(b[:28]) != b[28]:
        raise FreeDError(
            "checksum", f"FreeD checksum 0x{b[28]:02X} should be 0x{checksum(b[:28]):02X}"
        )
    return FreeDSample(
        camera_id=b[1],
        pan_deg=_s24(b, 2) / ANGLE_UNITS_PER_DEG,
        tilt_deg=_s24(b, 5) / ANGLE_UNITS_PER_DEG,
        roll_deg=_s24(b, 8) / ANGLE_UNITS_PER_DEG,
        x_mm=_s24(b, 11) / POSITION_UNITS_PER_MM,
        y_mm=_s24(b, 14) / POSITION_UNITS_PER_MM,
        z_mm=_s24(b, 17) / POSITION_UNITS_PER_MM,
        zoom=_u24(b, 20),
        focus=_u24(b, 23),
        spare=(b[26] << 8) | b[27],
    )


def _put_s24(name: str, value: float, scale: float) -> bytes:
    if not math.isfinite(value):
        raise FreeDError("range", f"FreeD {name} must be finite, got {value!r}")
    n = round(value * scale)
    if not _S24_MIN <= n <= _S24_MAX:
        raise FreeDError(
            "range", f"FreeD {name} {value:g} is outside what 24 bits hold (±{_S24_MAX / scale:g})"
        )
    return (n & 0xFFFFFF).to_bytes(3, "big")


def _put_u24(name: str, value: int) -> bytes:
    n = int(value)
    if not 0 <= n <= U24_MAX:
        raise FreeDError("range", f"FreeD {name} counts {n} are outside 0..{U24_MAX}")
    return n.to_bytes(3, "big")


def encode(s: FreeDSample) -> bytes:
    """The 29-byte D1 packet of ``s`` (angles must lie within ±256°: wrap pan first)."""
    if not 0 <= int(s.camera_id) <= 255 or not 0 <= int(s.spare) <= 0xFFFF:
        raise FreeDError("range", "FreeD camera id is one byte and spare two")
    body = (
        bytes([MESSAGE_D1, int(s.camera_id)])
        + _put_s24("pan", s.pan_deg, ANGLE_UNITS_PER_DEG)
        + _put_s24("tilt", s.tilt_deg, ANGLE_UNITS_PER_DEG)
        + _put_s24("roll", s.roll_deg, ANGLE_UNITS_PER_DEG)
        + _put_s24("x", s.x_mm, POSITION_UNITS_PER_MM)
        + _put_s24("y", s.y_mm, POSITION_UNITS_PER_MM)
        + _put_s24("z", s.z_mm, POSITION_UNITS_PER_MM)
        + _put_u24("zoom", s.zoom)
        + _put_u24("focus", s.focus)
        + int(s.spare).to_bytes(2, "big")
    )
    return body + bytes([checksum(body)])
