"""Keyed channels: values at frames, and how they travel between keys.

A :class:`Channel` holds keys at whole frames (0 = the shot's first frame). Each key says how the
value leaves it towards the next key:

* ``linear``: constant speed;
* ``smooth``: a monotone cubic through the keys (Fritsch-Carlson): continuous velocity and never
  beyond the range of the two keys it lies between, so no overshoot;
* ``ease``: zero velocity at both keys of the segment (3t² - 2t³), the classic ease in and out;
* ``hold``: stays until the next key.

Angular channels (degrees) take the short way round between consecutive keys and never flip.
Vector channels (positions) interpolate each component with the same timing, so a linear or eased
move between two points follows the straight line between them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from previs.errors import PrevisError

INTERPOLATIONS = ("linear", "smooth", "ease", "hold")


@dataclass(frozen=True)
class Key:
    frame: int
    value: tuple[float, ...]  # one element for scalar channels
    interp: str = "smooth"

    def __post_init__(self):
        if self.interp not in INTERPOLATIONS:
            raise PrevisError(
                f"unknown interpolation '{self.interp}' (use one of: {', '.join(INTERPOLATIONS)})"
            )


def key(frame: int, value, interp: str = "smooth") -> Key:
    v = np.atleast_1d(np.asarray(value, dtype=np.float64))
    return Key(int(frame), tuple(float(x) for x in v), interp)


@dataclass(frozen=True)
class Channel:
    """Keys of one quantity. ``angular`` channels are in degrees and unwrap the short way."""

    name: str
    keys: tuple[Key, ...]
    angular: bool = False

    def __post_init__(self):
        if not self.keys:
            raise PrevisError(f"channel {self.name} has no keys")
        frames = [k.frame for k in self.keys]
        if frames != sorted(frames) or len(set(frames)) != len(frames):
            raise PrevisError(
                f"channel {self.name}: keys must be at distinct frames in order, got {frames}"
            )
        dims = {len(k.value) for k in self.keys}
        if len(dims) != 1:
            raise PrevisError(f"channel {self.name}: keys of different sizes {sorted(dims)}")

    @property
    def dims(self) -> int:
        return len(self.keys[0].value)

    @property
    def first_frame(self) -> int:
        return self.keys[0].frame

    @property
    def last_frame(self) -> int:
        return self.keys[-1].frame

    @cached_property
    def _frames(self) -> np.ndarray:
        return np.array([k.frame for k in self.keys], dtype=np.float64)

    @cached_property
    def _slopes(self) -> np.ndarray:
        return (
            _monotone_slopes(self._frames, self._values)
            if len(self.keys) > 1
            else np.zeros((1, self.dims))
        )

    @cached_property
    def _values(self) -> np.ndarray:
        v = np.array([k.value for k in self.keys], dtype=np.float64)
        if self.angular:
            # The short way: each key moved by whole turns to within 180 deg of the one before.
            d = np.diff(v, axis=0)
            d = (d + 180.0) % 360.0 - 180.0
            v = np.vstack([v[:1], v[:1] + np.cumsum(d, axis=0)])
        return v

    @property
    def key_values(self) -> np.ndarray:
        """(keys, dims) values at the keys as interpolated (angles unwrapped the short way). Every
        interpolation stays within the range of the two keys it lies between, so these hold each
        component's extremes over the whole channel."""
        return self._values

    def evaluate_many(self, frames) -> np.ndarray:
        """Values at (possibly fractional) frames: shape (len(frames), dims)."""
        f = np.atleast_1d(np.asarray(frames, dtype=np.float64))
        kf = self._frames  # derived once per channel (frozen), not per call
        v = self._values
        out = np.empty((len(f), v.shape[1]))
        if len(kf) == 1:
            out[:] = v[0]
            return out
        slopes = self._slopes
        seg = np.clip(np.searchsorted(kf, f, side="right") - 1, 0, len(kf) - 2)
        t = np.clip((f - kf[seg]) / (kf[seg + 1] - kf[seg]), 0.0, 1.0)
        before, after = f <= kf[0], f >= kf[-1]
        for i in range(len(f)):
            s = seg[i]
            mode = self.keys[s].interp
            p0, p1 = v[s], v[s + 1]
            ti = t[i]
            if mode == "hold":
                out[i] = p0 if ti < 1.0 else p1
            elif mode == "linear":
                out[i] = p0 + (p1 - p0) * ti
            elif mode == "ease":
                out[i] = p0 + (p1 - p0) * (ti * ti * (3.0 - 2.0 * ti))
            else:  # smooth: cubic Hermite with monotone tangents
                h = kf[s + 1] - kf[s]
                h00 = 2 * ti**3 - 3 * ti**2 + 1
                h10 = ti**3 - 2 * ti**2 + ti
                h01 = -2 * ti**3 + 3 * ti**2
                h11 = ti**3 - ti**2
                out[i] = h00 * p0 + h10 * h * slopes[s] + h01 * p1 + h11 * h * slopes[s + 1]
        out[before] = v[0]
        out[after] = v[-1]
        return out

    def evaluate(self, frame: float) -> np.ndarray | float:
        r = self.evaluate_many([frame])[0]
        return float(r[0]) if self.dims == 1 else r


def _monotone_slopes(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Fritsch-Carlson tangents, per component: the cubic stays within each segment's range."""
    n = len(x)
    h = np.diff(x)[:, None]
    delta = np.diff(y, axis=0) / h
    m = np.zeros_like(y)
    m[0], m[-1] = delta[0], delta[-1]
    if n > 2:
        inner = (delta[:-1] + delta[1:]) / 2
        m[1:-1] = np.where(delta[:-1] * delta[1:] > 0, inner, 0.0)  # extrema stay flat
    for k in range(n - 1):
        for c in range(y.shape[1]):
            d = delta[k, c]
            if d == 0.0:
                m[k, c] = m[k + 1, c] = 0.0
                continue
            a, b = m[k, c] / d, m[k + 1, c] / d
            if a < 0.0:
                m[k, c], a = 0.0, 0.0
            if b < 0.0:
                m[k + 1, c], b = 0.0, 0.0
            r = a * a + b * b
            if r > 9.0:  # shrink both so the segment cannot overshoot
                tau = 3.0 / np.sqrt(r)
                m[k, c], m[k + 1, c] = tau * a * d, tau * b * d
    return m


# ---------------------------------------------------------------- the camera over a shot
CAMERA_CHANNELS = {
    # name: (dims, angular)
    "position_m": (3, False),
    "pan_deg": (1, True),
    "tilt_deg": (1, True),
    "roll_deg": (1, True),
    "focal_length_mm": (1, False),
    "focus_m": (1, False),
    "t_stop": (1, False),
}


@dataclass(frozen=True)
class CameraSample:
    """The camera at one (possibly fractional) frame."""

    position_m: np.ndarray
    pan_deg: float
    tilt_deg: float
    roll_deg: float
    focal_length_mm: float
    focus_m: float
    t_stop: float


@dataclass(frozen=True)
class CameraTrack:
    """Every camera channel of a shot. Orientation is always pan/tilt/roll (a camera head), so a
    look-at placement or an aimed move is turned into pan and tilt keys when the track is built."""

    channels: dict[str, Channel]

    def __post_init__(self):
        missing = set(CAMERA_CHANNELS) - set(self.channels)
        if missing:
            raise PrevisError(f"camera track lacks channels: {', '.join(sorted(missing))}")

    def sample(self, frame: float) -> CameraSample:
        c = self.channels
        return CameraSample(
            position_m=np.asarray(c["position_m"].evaluate(frame), dtype=np.float64),
            pan_deg=float(c["pan_deg"].evaluate(frame)),
            tilt_deg=float(c["tilt_deg"].evaluate(frame)),
            roll_deg=float(c["roll_deg"].evaluate(frame)),
            focal_length_mm=float(c["focal_length_mm"].evaluate(frame)),
            focus_m=float(c["focus_m"].evaluate(frame)),
            t_stop=float(c["t_stop"].evaluate(frame)),
        )

    def key_frames(self) -> list[int]:
        """Every frame that holds a key on any channel (for storyboard key panels)."""
        return sorted({k.frame for ch in self.channels.values() for k in ch.keys})

    def with_channel(self, channel: Channel) -> CameraTrack:
        return CameraTrack({**self.channels, channel.name: channel})


def static_track(
    position_m,
    pan_deg: float,
    tilt_deg: float,
    roll_deg: float,
    focal_length_mm: float,
    focus_m: float,
    t_stop: float,
) -> CameraTrack:
    """A locked-off camera: one key per channel at frame 0."""
    values = {
        "position_m": position_m,
        "pan_deg": pan_deg,
        "tilt_deg": tilt_deg,
        "roll_deg": roll_deg,
        "focal_length_mm": focal_length_mm,
        "focus_m": focus_m,
        "t_stop": t_stop,
    }
    return CameraTrack(
        {
            name: Channel(name, (key(0, values[name], "smooth"),), angular=CAMERA_CHANNELS[name][1])
            for name in CAMERA_CHANNELS
        }
    )
