"""SMPTE timecode and time at a rational frame rate (pure: no numpy needed by callers).

Shots run in whole frames at an exact rate (a :class:`~fractions.Fraction`): 24, 25, 30, 48, 50,
60, or an NTSC rate N*1000/1001 (23.976, 29.97, 47.952, 59.94, 119.88). Timecode labels frames;
it is not a clock:

* A timecode second holds ``nominal`` frame numbers, the integer rate rounded up (24 at 23.976,
  30 at 29.97). 23.976 is therefore never drop-frame: one hour of timecode (frame 86400) is
  86400 * 1001/24000 = 3603.6 real seconds.
* Drop-frame (29.97, 59.94, 119.88 by default; separator ``;``) keeps timecode close to the
  clock by skipping frame *numbers* (never frames): ``2 * nominal/30`` numbers (2 at 29.97, 4 at
  59.94) at the start of every minute except minutes 00, 10, 20, 30, 40 and 50. Ten minutes of
  29.97 DF timecode are 10*60*30 - 9*2 = 17982 frames = 599.9994 real seconds (a day of DF
  timecode runs 86.4 ms short of the clock; non-drop 29.97 runs 86.4 s short).
* Timecode rolls over at 24 hours, as a time of day does: frame ``frames_per_day(rate)`` is
  00:00:00:00 again, and negative frames count back from 24:00:00:00 (pre-roll).

Real time is ``frames / rate`` exactly (:func:`frames_to_seconds`); :func:`seconds_to_frames`
rounds to the nearest frame unless told otherwise.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

from previs.errors import PrevisError, show

__all__ = [
    "parse_rate",
    "nominal_fps",
    "drop_frame_count",
    "is_drop_frame_rate",
    "frames_per_day",
    "frames_to_fields",
    "fields_to_frames",
    "frames_to_timecode",
    "timecode_to_frames",
    "frames_to_seconds",
    "seconds_to_frames",
    "format_rate",
]

_NTSC_BASES = (24, 30, 48, 60, 120)
_MAX_RATE = 1000
_RATE_HELP = 'a frame rate like 24, 25, 23.976, 29.97 or "24000/1001"'
_NTSC_RATES = frozenset(Fraction(n * 1000, 1001) for n in _NTSC_BASES)


def parse_rate(value) -> Fraction:
    """An exact frame rate from 24, 25.0, "23.976", "24000/1001", Fraction(30000, 1001), ...

    Whole rates (1..1000) are accepted as they are; decimal spellings of the NTSC rates (23.976,
    23.98, 29.97, 47.952, 59.94, 119.88, within 0.006) snap to N*1000/1001; a ratio must be one of
    those. Anything else (12.5, "fast", True, None, 0) is a :class:`PrevisError`.
    """
    if isinstance(value, Fraction):
        if value in _NTSC_RATES or (value.denominator == 1 and 0 < value <= _MAX_RATE):
            return value  # the common case, kept cheap: every timecode call comes through here
        rate = value
    elif isinstance(value, bool) or value is None:
        raise PrevisError(f"expected {_RATE_HELP}, got {show(value)}")
    elif isinstance(value, int):
        rate = Fraction(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise PrevisError(f"expected {_RATE_HELP}, got {show(value)}")
        rate = _snap(value)
    elif isinstance(value, str):
        text = value.strip()
        if len(text) > 32:  # no rate needs more; also keeps int() under Python's digit limit
            raise PrevisError(f"expected {_RATE_HELP}, got {show(value)}")
        m = re.fullmatch(r"(\d+)\s*/\s*(\d+)", text)
        if m:
            if int(m.group(2)) == 0:
                raise PrevisError(f"frame rate {show(value)} divides by zero")
            rate = Fraction(int(m.group(1)), int(m.group(2)))
        else:
            try:
                number = float(text)
            except ValueError:
                raise PrevisError(f"expected {_RATE_HELP}, got {show(value)}") from None
            if not math.isfinite(number):
                raise PrevisError(f"expected {_RATE_HELP}, got {show(value)}")
            rate = _snap(number)
    else:
        raise PrevisError(f"expected {_RATE_HELP}, got {type(value).__name__} {show(value)}")
    if not 0 < rate <= _MAX_RATE:
        raise PrevisError(f"frame rate must be within 0..{_MAX_RATE} fps, got {rate}")
    if rate.denominator != 1 and rate not in _NTSC_RATES:
        raise PrevisError(
            f"frame rate {rate} ({float(rate):.4g} fps) is not a standard rate; use a "
            'whole number or an NTSC rate like "24000/1001"'
        )
    return rate


def _snap(value: float) -> Fraction:
    for n in _NTSC_BASES:
        if abs(value - n * 1000 / 1001) < 0.006:
            return Fraction(n * 1000, 1001)
    if abs(value - round(value)) > 1e-6:
        raise PrevisError(
            f"frame rate {value:g} is not a standard rate; use a whole number or an "
            'NTSC rate like 23.976 or "24000/1001"'
        )
    return Fraction(round(value))


def nominal_fps(rate) -> int:
    """Frame numbers per second of timecode: the rate rounded up (24 at 23.976, 30 at 29.97)."""
    return math.ceil(parse_rate(rate))


def is_drop_frame_rate(rate) -> bool:
    """True where drop-frame timecode exists and is the default: NTSC rates whose nominal rate is
    a multiple of 30 (29.97, 59.94, 119.88). 23.976 and 47.952 have no drop-frame count."""
    r = parse_rate(rate)
    return r.denominator == 1001 and math.ceil(r) % 30 == 0


def drop_frame_count(rate) -> int:
    """Frame numbers skipped per dropped minute: 2 at 29.97, 4 at 59.94, 8 at 119.88."""
    if not is_drop_frame_rate(rate):
        raise PrevisError(
            f"{format_rate(rate)} fps has no drop-frame timecode (only 29.97, 59.94 and 119.88 do)"
        )
    return 2 * math.ceil(parse_rate(rate)) // 30


def _resolve_drop(rate: Fraction, drop_frame: bool | None) -> int:
    """Numbers dropped per minute (0 for non-drop)."""
    if drop_frame is None:
        drop_frame = is_drop_frame_rate(rate)
    return drop_frame_count(rate) if drop_frame else 0


def frames_per_day(rate, drop_frame: bool | None = None) -> int:
    """Frames from 00:00:00:00 to the 24-hour rollover (5178816 at 59.94 DF, 2073600 at 23.976)."""
    r = parse_rate(rate)
    nom, drop = math.ceil(r), _resolve_drop(r, drop_frame)
    return 144 * (600 * nom - 9 * drop)  # 144 ten-minute blocks


def frames_to_fields(frames, rate, drop_frame: bool | None = None):
    """(hours, minutes, seconds, frame number) of a frame count, rolled over at 24 h.

    ``frames`` may be an int or a numpy integer array (the fields are then arrays): the same
    integer arithmetic serves both, so exhaustive tests can check millions of frames at once.
    """
    r = parse_rate(rate)
    nom, drop = math.ceil(r), _resolve_drop(r, drop_frame)
    frames = frames % frames_per_day(r, drop_frame)  # Python and numpy floor-mod: -1 -> last frame
    if drop:
        per_10min = 600 * nom - 9 * drop  # 17982 at 29.97
        per_dropped_min = 60 * nom - drop  # 1798 at 29.97
        blocks, rem = frames // per_10min, frames % per_10min
        # Minute 0 of each block keeps all its numbers; every later minute skips `drop` of them.
        # (rem - drop) // per_dropped_min counts the dropped minutes started so far, once rem has
        # passed the first minute's extra `drop` frames; below that it is -1 or 0, so clamp at 0.
        later = (rem - drop) // per_dropped_min
        later = later * (later > 0)
        frames = frames + drop * (9 * blocks + later)
    hours = frames // (3600 * nom)
    minutes = frames // (60 * nom) % 60
    seconds = frames // nom % 60
    number = frames % nom
    return hours, minutes, seconds, number


def fields_to_frames(hours, minutes, seconds, number, rate, drop_frame: bool | None = None):
    """The frame count of a timecode's fields (ints or numpy arrays); no range checks here."""
    r = parse_rate(rate)
    nom, drop = math.ceil(r), _resolve_drop(r, drop_frame)
    total_minutes = 60 * hours + minutes
    count = (total_minutes * 60 + seconds) * nom + number
    if drop:
        count = count - drop * (total_minutes - total_minutes // 10)
    return count


def frames_to_timecode(frames: int, rate, drop_frame: bool | None = None) -> str:
    """SMPTE ``HH:MM:SS:FF`` of a frame count (frame 0 = 00:00:00:00), rolled over at 24 h.

    Drop-frame (the default at 29.97, 59.94 and 119.88) is written ``HH:MM:SS;FF``. Asking for
    drop-frame at a rate that has none (23.976, 24, ...) is a :class:`PrevisError`.
    """
    if isinstance(frames, bool) or not isinstance(frames, int):
        if hasattr(frames, "__index__"):
            frames = int(frames.__index__())
        else:
            raise PrevisError(f"timecode needs a whole frame count, got {show(frames)}")
    r = parse_rate(rate)
    drop = _resolve_drop(r, drop_frame)
    h, m, s, f = frames_to_fields(frames, r, bool(drop))
    width = len(str(math.ceil(r) - 1))
    return f"{h:02d}:{m:02d}:{s:02d}{';' if drop else ':'}{f:0{max(2, width)}d}"


_TC = re.compile(r"(\d{2})([:;])(\d{2})([:;])(\d{2})([:;])(\d{2,3})")


def timecode_to_frames(tc: str, rate, drop_frame: bool | None = None) -> int:
    """The frame count of ``HH:MM:SS:FF`` (or ``HH:MM:SS;FF``) at ``rate``.

    With ``drop_frame=None`` the separators decide, as in editorial tools: any ``;`` means
    drop-frame (a :class:`PrevisError` at a rate without one), all ``:`` means non-drop. An
    explicit ``drop_frame`` overrides the separators. Fields are checked (hours 0-23, minutes and
    seconds 0-59, frames below the nominal rate) and so are the numbers drop-frame skips:
    00:01:00;00 does not exist at 29.97 DF (the minute starts at 00:01:00;02).
    """
    if not isinstance(tc, str):
        raise PrevisError(f"expected a timecode string like 01:00:00:00, got {show(tc)}")
    m = _TC.fullmatch(tc.strip())
    if not m:
        raise PrevisError(
            f"'{tc}' is not a timecode; write HH:MM:SS:FF (or HH:MM:SS;FF for drop-frame)"
        )
    r = parse_rate(rate)
    nom = math.ceil(r)
    if drop_frame is None:
        drop_frame = ";" in (m.group(2), m.group(4), m.group(6))
    drop = _resolve_drop(r, drop_frame)
    h, mi, s, f = (int(m.group(i)) for i in (1, 3, 5, 7))
    kind = "drop-frame" if drop else "non-drop"
    if h > 23:
        raise PrevisError(f"timecode '{tc}': hours run 00-23 (timecode rolls over at 24 h)")
    if mi > 59 or s > 59:
        raise PrevisError(f"timecode '{tc}': minutes and seconds run 00-59")
    if f >= nom:
        raise PrevisError(
            f"timecode '{tc}': frame numbers run 00-{nom - 1:02d} at {format_rate(r)} fps"
        )
    if drop and s == 0 and f < drop and mi % 10 != 0:
        raise PrevisError(
            f"timecode '{tc}' does not exist in {format_rate(r)} fps {kind}: frame numbers "
            f"00-{drop - 1:02d} are skipped at the start of each minute not divisible by 10 "
            f"(this minute starts at {h:02d}:{mi:02d}:00;{drop:02d})"
        )
    return int(fields_to_frames(h, mi, s, f, r, bool(drop)))


def frames_to_seconds(frames: int, rate) -> Fraction:
    """Real time from frame 0 to the start of ``frames``, exactly: frames / rate."""
    return Fraction(int(frames)) / parse_rate(rate)


def seconds_to_frames(seconds, rate, rounding: str = "nearest") -> int:
    """The frame at real time ``seconds``.

    A float is read as the decimal it prints as (3603.6 is 36036/10, not the binary fraction
    just below it), so decimal times land on the frame they name. ``rounding``: ``"nearest"``
    (the default; exact halves round up, towards the later frame), ``"floor"`` (the frame being
    shown at that instant) or ``"ceil"`` (the first frame starting at or after it).
    """
    if isinstance(seconds, bool):
        raise PrevisError(f"expected a time in seconds, got {show(seconds)}")
    if isinstance(seconds, float):
        if not math.isfinite(seconds):
            raise PrevisError(f"expected a finite time in seconds, got {show(seconds)}")
        seconds = Fraction(repr(seconds))
    try:
        exact = Fraction(seconds) * parse_rate(rate)
    except (TypeError, ValueError):
        raise PrevisError(f"expected a time in seconds, got {show(seconds)}") from None
    if rounding == "nearest":
        return math.floor(exact + Fraction(1, 2))
    if rounding == "floor":
        return math.floor(exact)
    if rounding == "ceil":
        return math.ceil(exact)
    raise PrevisError(f"rounding must be 'nearest', 'floor' or 'ceil', got {show(rounding)}")


def format_rate(rate) -> str:
    """A rate as people write it: "24", "25", "23.976", "29.97", "59.94"."""
    r = parse_rate(rate)
    if r.denominator == 1:
        return str(r.numerator)
    return f"{float(r):.3f}".rstrip("0").rstrip(".")
