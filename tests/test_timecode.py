"""SMPTE timecode at rational rates, against hand-derived values and exhaustive round trips."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from previs.core import timecode as tc
from previs.errors import PrevisError

NTSC24, NTSC30, NTSC60 = Fraction(24000, 1001), Fraction(30000, 1001), Fraction(60000, 1001)


# ---------------------------------------------------------------- rates
@pytest.mark.parametrize(
    "value, expected",
    [
        (24, Fraction(24)),
        (25.0, Fraction(25)),
        ("30", Fraction(30)),
        ("23.976", NTSC24),
        (23.976, NTSC24),
        ("23.98", NTSC24),
        ("24000/1001", NTSC24),
        (" 30000 / 1001 ", NTSC30),
        (29.97, NTSC30),
        ("59.94", NTSC60),
        (Fraction(60000, 1001), NTSC60),
        (48, Fraction(48)),
        (50, Fraction(50)),
        (60, Fraction(60)),
        (Fraction(25), Fraction(25)),
    ],
)
def test_parse_rate_accepts_standard_spellings(value, expected):
    got = tc.parse_rate(value)
    assert got == expected and isinstance(got, Fraction)


@pytest.mark.parametrize(
    "value",
    [
        "fast",
        "",
        None,
        True,
        0,
        -24,
        "24/0",
        12.5,
        "12.5",
        Fraction(25, 2),
        float("nan"),
        float("inf"),
        [24],
        2000,
        "1/1001",
    ],
)
def test_parse_rate_rejects_everything_else(value):
    with pytest.raises(PrevisError):
        tc.parse_rate(value)


def test_format_rate_and_nominal():
    assert [tc.format_rate(r) for r in (24, NTSC24, NTSC30, NTSC60, 25)] == [
        "24",
        "23.976",
        "29.97",
        "59.94",
        "25",
    ]
    assert [tc.nominal_fps(r) for r in (NTSC24, 24, NTSC30, NTSC60, 50)] == [24, 24, 30, 60, 50]
    assert tc.is_drop_frame_rate(NTSC30) and tc.is_drop_frame_rate(NTSC60)
    assert not tc.is_drop_frame_rate(NTSC24) and not tc.is_drop_frame_rate(30)
    assert tc.drop_frame_count(NTSC30) == 2 and tc.drop_frame_count(NTSC60) == 4


# ---------------------------------------------------------------- known values
# 29.97 DF by hand: a minute counts 60*30 = 1800 numbers; minutes not divisible by 10 skip ;00 and
# ;01, so they hold 1798 frames, and ten minutes hold 1800 + 9*1798 = 17982 frames (600 s exactly:
# 17982 * 1001/30000 = 600.0).
#   frame 1799  = the last frame of minute 0             -> 00:00:59;29
#   frame 1800  = the first frame of minute 1; ;00 ;01 skipped -> 00:01:00;02
#   frame 3597  = 1800 + 1797, the last of minute 1        -> 00:01:59;29
#   frame 3598  = the first of minute 2                    -> 00:02:00;02
#   frame 17982 = 10 minutes; minute 10 skips nothing      -> 00:10:00;00
#   frame 17981 = the frame before it                      -> 00:09:59;29
#   frame 107892 = 6 * 17982                               -> 01:00:00;00
# 59.94 DF: 60 numbers a second, 4 skipped a minute: minute = 3596 frames, 10 min = 35964.
#   frame 3600 -> 00:01:00;04; frame 35964 -> 00:10:00;00; frame 215784 = 6*35964 -> 01:00:00;00
# 23.976 NDF counts 24 numbers per timecode second: frame 86400 = 24*3600 -> 01:00:00:00,
#   which is 86400 * 1001/24000 = 3603.6 real seconds.
KNOWN = [
    (NTSC30, None, 0, "00:00:00;00"),
    (NTSC30, None, 29, "00:00:00;29"),
    (NTSC30, None, 30, "00:00:01;00"),
    (NTSC30, None, 1799, "00:00:59;29"),
    (NTSC30, None, 1800, "00:01:00;02"),
    (NTSC30, None, 3597, "00:01:59;29"),
    (NTSC30, None, 3598, "00:02:00;02"),
    (NTSC30, None, 17981, "00:09:59;29"),
    (NTSC30, None, 17982, "00:10:00;00"),
    (NTSC30, None, 107892, "01:00:00;00"),
    (NTSC30, False, 1800, "00:01:00:00"),
    (NTSC30, False, 108000, "01:00:00:00"),
    (NTSC60, None, 3599, "00:00:59;59"),
    (NTSC60, None, 3600, "00:01:00;04"),
    (NTSC60, None, 35964, "00:10:00;00"),
    (NTSC60, None, 215784, "01:00:00;00"),
    (NTSC24, None, 86400, "01:00:00:00"),
    (NTSC24, None, 23, "00:00:00:23"),
    (NTSC24, None, 24, "00:00:01:00"),
    (24, None, 86400 + 24 * 61 + 5, "01:01:01:05"),
    (25, None, 90000, "01:00:00:00"),
    (50, None, 49, "00:00:00:49"),
    (60, None, 216000, "01:00:00:00"),
    (48, None, 47, "00:00:00:47"),
]


@pytest.mark.parametrize("rate, df, frames, text", KNOWN)
def test_known_timecodes(rate, df, frames, text):
    assert tc.frames_to_timecode(frames, rate, drop_frame=df) == text
    assert tc.timecode_to_frames(text, rate) == frames


def test_23976_is_never_drop_frame_and_one_hour_is_3603_6_seconds():
    assert tc.frames_to_seconds(86400, NTSC24) == Fraction(36036, 10)
    assert float(tc.frames_to_seconds(86400, NTSC24)) == 3603.6
    assert tc.seconds_to_frames(3603.6, NTSC24) == 86400
    assert tc.seconds_to_frames(Fraction(36036, 10), NTSC24, rounding="floor") == 86400
    with pytest.raises(PrevisError, match="no drop-frame"):
        tc.frames_to_timecode(10, NTSC24, drop_frame=True)
    with pytest.raises(PrevisError, match="no drop-frame"):
        tc.timecode_to_frames("00:00:01;00", NTSC24)


def test_seconds_rounding_is_documented_behaviour():
    # 1 s at 23.976 is frame 23.976...: nearest 24, floor 23, ceil 24
    assert tc.seconds_to_frames(1, NTSC24) == 24
    assert tc.seconds_to_frames(1, NTSC24, rounding="floor") == 23
    assert tc.seconds_to_frames(1, NTSC24, rounding="ceil") == 24
    # exact halves round up: 0.5 frame at 24 fps = 1/48 s
    assert tc.seconds_to_frames(Fraction(1, 48), 24) == 1
    assert tc.seconds_to_frames(Fraction(1, 48) - Fraction(1, 10**9), 24) == 0
    assert tc.seconds_to_frames(600, NTSC30) == 17982  # 17982.018 frames in ten real minutes
    # ten DF minutes are 17982 frames = 599.9994 s: DF tracks the clock to 86.4 ms a day
    assert (
        tc.frames_to_seconds(17982, NTSC30)
        == Fraction(17982 * 1001, 30000)
        == Fraction(2999997, 5000)
    )
    assert tc.frames_to_seconds(tc.frames_per_day(NTSC30), NTSC30) == 86400 - Fraction(864, 10000)
    with pytest.raises(PrevisError):
        tc.seconds_to_frames(1, 24, rounding="up")
    with pytest.raises(PrevisError):
        tc.seconds_to_frames("soon", 24)


# ---------------------------------------------------------------- parsing
@pytest.mark.parametrize(
    "text, rate",
    [
        ("00:01:00;00", NTSC30),
        ("00:01:00;01", NTSC30),
        ("00:09:00;00", NTSC30),
        ("23:59:00;01", NTSC30),
        ("00:01:00;03", NTSC60),
        ("24:00:00:00", 24),
        ("00:60:00:00", 24),
        ("00:00:60:00", 24),
        ("00:00:00:24", 24),
        ("00:00:00:24", NTSC24),
        ("00:00:00:30", NTSC30),
        ("00:00:00;60", NTSC60),
        ("1:00:00:00", 24),
        ("01:00:00", 24),
        ("01-00-00-00", 24),
        ("", 24),
        ("aa:bb:cc:dd", 24),
    ],
)
def test_invalid_timecodes_are_refused(text, rate):
    with pytest.raises(PrevisError):
        tc.timecode_to_frames(text, rate)


def test_dropped_number_message_names_the_first_valid_label():
    with pytest.raises(PrevisError, match=r"00:01:00;02"):
        tc.timecode_to_frames("00:01:00;00", NTSC30)


def test_separators_decide_drop_frame_unless_told():
    assert tc.timecode_to_frames("00:01:00:00", NTSC30) == 1800  # ':' -> non-drop
    assert tc.timecode_to_frames("00:01:00;02", NTSC30) == 1800  # ';' -> drop
    assert tc.timecode_to_frames("00;01;00;02", NTSC30) == 1800
    assert tc.timecode_to_frames("00:01:00:02", NTSC30, drop_frame=True) == 1800
    assert tc.timecode_to_frames("00:10:00;00", NTSC30, drop_frame=False) == 18000


def test_rollover_at_24_hours_and_negative_preroll():
    day = tc.frames_per_day(NTSC30)
    assert day == 2589408 == 144 * 17982
    assert tc.frames_per_day(NTSC60) == 5178816 and tc.frames_per_day(NTSC24) == 2073600
    assert tc.frames_to_timecode(day - 1, NTSC30) == "23:59:59;29"
    assert tc.frames_to_timecode(day, NTSC30) == "00:00:00;00"
    assert tc.frames_to_timecode(-1, NTSC30) == "23:59:59;29"
    assert tc.frames_to_timecode(-1, 25) == "23:59:59:24"
    assert tc.frames_to_timecode(np.int64(1800), NTSC30) == "00:01:00;02"
    with pytest.raises(PrevisError):
        tc.frames_to_timecode(1.5, 24)


# ---------------------------------------------------------------- exhaustive round trips
@pytest.mark.parametrize("rate", [NTSC30, NTSC60])
def test_every_frame_of_25_hours_round_trips_drop_frame(rate):
    nom, drop = tc.nominal_fps(rate), tc.drop_frame_count(rate)
    day = tc.frames_per_day(rate)
    frames = np.arange(
        25 * 3600 * nom, dtype=np.int64
    )  # more than 25 h of frames: past the rollover
    h, m, s, f = tc.frames_to_fields(frames, rate)
    # every label is in range and never one that drop-frame skips
    assert h.max() == 23 and m.max() == 59 and s.max() == 59 and f.max() == nom - 1 and f.min() == 0
    assert not np.any((s == 0) & (f < drop) & (m % 10 != 0))
    # the inverse gives the frame back (mod the 24 h rollover)
    back = tc.fields_to_frames(h, m, s, f, rate)
    np.testing.assert_array_equal(back, frames % day)
    # labels strictly increase by one frame within a day: no number used twice
    key = ((h * 60 + m) * 60 + s) * nom + f
    d = np.diff(key[:day])
    assert d.min() >= 1
    # the only gaps are the dropped numbers: `drop` + 1 steps at each non-tenth minute
    assert np.count_nonzero(d > 1) == 24 * 54 and d.max() == drop + 1
    # every label the day contains is one the day would skip nowhere else: count matches
    assert day == 24 * 3600 * nom - 24 * 54 * drop


@pytest.mark.parametrize(
    "rate, df",
    [(NTSC30, None), (NTSC60, None), (NTSC30, False), (NTSC24, None), (25, None), (24, None)],
)
def test_string_round_trips_sampled_densely(rate, df):
    day = tc.frames_per_day(rate, df)
    # every 2003rd frame over 25 h (the exhaustive test above covers every frame's fields), plus the frames around every minute boundary of the first hour
    sample = list(range(0, day + day // 24, 2003))
    for minute in range(61):
        base = tc.fields_to_frames(minute // 60, minute % 60, 0, 0, rate, df)
        sample += [base + k for k in range(-6, 7)]
    for f in sample:
        text = tc.frames_to_timecode(f, rate, drop_frame=df)
        assert tc.timecode_to_frames(text, rate, drop_frame=df) == f % day, (f, text)
