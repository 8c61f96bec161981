"""The stage checks of ``previs check`` for the one frame on screen, from the depth the window
already rendered (no extra render): moiré risk, shooting off, LED share, viewing angle, the
camera inside the volume and out of the set. No GL here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from previs import check
from previs.core import ledcheck
from previs.core.frame import delivery_mask

GRID_COLS = 48  # rays across the frame; the depth is sampled down to this grid


@dataclass(frozen=True)
class FrameCheck:
    shooting_off: float  # share of the delivered frame that sees nothing or the bare stage floor
    led_share: float
    moire: str  # low / medium / high
    photosites_per_pitch: float | None
    blur_in_pitches: float | None
    nearest_wall_m: float
    steepest_angle_deg: float
    inside_volume: bool
    inside_piece: str | None
    grid: np.ndarray  # (rows, cols) 0 low, 1 medium, 2 high moiré, 3 shooting off

    @property
    def problems(self) -> list[str]:
        out = []
        if self.moire == "high":
            out.append(
                f"high moiré risk ({self.photosites_per_pitch:.2f} photosites per LED pitch)"
            )
        if self.shooting_off > check.SHOOTING_OFF_WARN:
            out.append(f"shooting off: {100 * self.shooting_off:.1f} % of the frame")
        if not self.inside_volume:
            out.append("camera outside the LED volume")
        if self.inside_piece:
            out.append(f"camera inside '{self.inside_piece}'")
        return out


def _sample_index(n_px: int, n: int) -> np.ndarray:
    return np.minimum(((np.arange(n) + 0.5) * n_px / n).astype(int), n_px - 1)


def sample_depth(depth_m: np.ndarray, cols: int = GRID_COLS) -> np.ndarray:
    """The depth image sampled at the centres of a ``cols``-wide grid (nearest pixel)."""
    h, w = depth_m.shape
    rows = max(1, int(round(cols * h / w)))
    return depth_m[np.ix_(_sample_index(h, rows), _sample_index(w, cols))]


def bare_floor(state, depth_m: np.ndarray, depth: np.ndarray) -> np.ndarray:
    """Samples whose first surface is the stage's own floor (check.py's test), with each ray
    through the exact pixel the depth was taken from: at a grazing view of the floor half a
    pixel is centimetres of height, more than the set's floor is thick."""
    h, w = depth_m.shape
    rows, cols = depth.shape
    th = math.tan(state.yfov_rad / 2)
    u = ((_sample_index(w, cols) + 0.5) / w * 2 - 1) * th * (w / h)
    v = (1 - (_sample_index(h, rows) + 0.5) / h * 2) * th
    uu, vv = np.meshgrid(u, v)
    r = state.world_from_camera[:3, :3]
    dirs = np.stack([uu, vv, -np.ones_like(uu)], axis=-1) @ r.T  # camera-space depth 1 along -Z
    with np.errstate(invalid="ignore"):
        y = state.world_from_camera[1, 3] + dirs[..., 1] * np.where(np.isfinite(depth), depth, 0.0)
    return np.isfinite(depth) & (y < check.STAGE_FLOOR_Y_M)


def check_frame(scene, state, depth_m: np.ndarray, solids=None) -> FrameCheck:
    """Checks for one FrameState given the depth (metres, rows top-down) it rendered to."""
    depth = sample_depth(depth_m)
    rows, cols = depth.shape
    pos = state.position_m
    piece = check.inside_solid(solids or [], pos)
    vol = scene.stage
    inside = delivery_mask(state, cols, rows)
    off = (~np.isfinite(depth) | bare_floor(state, depth_m, depth)) & inside
    share_off = float(off.sum() / max(inside.sum(), 1))
    grid = np.where(off, 3, 0).astype(np.int8)
    if vol is None:
        return FrameCheck(share_off, 0.0, "low", None, None, math.inf, 0.0, True, piece, grid)
    view = ledcheck.wall_view(
        vol, state.world_from_camera, state.yfov_rad, cols / rows, cols=cols, rows=rows
    )
    visible = view.hit & (depth >= view.depth_m * 0.98) & inside  # LED the set does not hide
    led_share = float(visible.sum() / max(inside.sum(), 1))
    worst = None
    if visible.any():
        pitch = vol.panel.pixel_pitch_mm
        # One moiré evaluation per distinct wall depth (to 1 cm): a frame has far fewer of those
        # than rays, and the rating depends on nothing else.
        depths, per_pixel = np.unique(np.round(view.depth_m[visible], 2), return_inverse=True)
        rating, worst = ledcheck.worst_moire(
            pitch,
            state.mode.photosite_pitch_um,
            state.focal_length_mm,
            state.t_stop,
            state.focus_m,
            depths,
        )
        grid[visible] = rating[per_pixel]
        angle = float(np.nanmax(np.where(visible, view.incidence_deg, np.nan)))
        nearest = float(view.depth_m[visible].min())
    else:
        angle, nearest = 0.0, math.inf
    grid[off] = 3
    return FrameCheck(
        shooting_off=share_off,
        led_share=led_share,
        moire=worst.rating if worst else "low",
        photosites_per_pitch=worst.photosites_per_pitch if worst else None,
        blur_in_pitches=worst.blur_in_pitches if worst else None,
        nearest_wall_m=nearest,
        steepest_angle_deg=angle,
        inside_volume=ledcheck.inside_volume(vol, pos),
        inside_piece=piece,
        grid=grid,
    )


@dataclass(frozen=True)
class BlockingCheck:
    """Item 6 of the blocking checks for the frame on screen: characters overlapping set pieces
    (not the seat they sit on) or each other, and lights whose head or stand is in frame
    (previs.core.collisions, as ``previs check`` reports them)."""

    overlaps: tuple  # collisions.Overlap
    in_frame: dict  # light name -> "head" | "stand"

    @property
    def problems(self) -> list[str]:
        out = [
            f"{o.standin} overlaps {o.other}"
            + (f" by {100 * o.depth_m:.0f} cm" if o.depth_m else "")
            for o in self.overlaps
        ]
        out += [f"light {n}'s {what} in frame" for n, what in self.in_frame.items()]
        return out


def check_blocking(scene, state, solids=()) -> BlockingCheck:
    from previs.core import collisions

    found = collisions.overlaps(scene, state.poses or {}, solids=solids or ())
    return BlockingCheck(tuple(found), collisions.stands_in_frame(state))


CHECK_INTERVAL_S = 0.25  # live stage checks refresh at most this often while the picture rests
CHECK_MOVING_S = 0.75  # and this often while it moves (a check costs a frame's worth of time)


class LiveChecks:
    """The window's checks of the frame on screen, refreshed when the frame changes but no more
    often than a few times a second (``latest``: the last :class:`FrameCheck`, or None)."""

    def __init__(self):
        self.latest: FrameCheck | None = None
        self.blocking: BlockingCheck | None = None
        self._key = None
        self._at = -1e9
        self._solids = None

    def refresh(
        self, scene, state, depth_m: np.ndarray, revision, now_s: float, moving: bool = False
    ) -> None:
        key = (
            revision,
            state.shot_id,
            state.frame,
            state.world_from_camera.tobytes(),
            state.focal_length_mm,
            state.focus_m,
            state.t_stop,
        )
        if key == self._key or now_s - self._at < (CHECK_MOVING_S if moving else CHECK_INTERVAL_S):
            return
        if (
            self._solids is None or self._solids[0] is not scene.set_pieces
        ):  # a restore can change the set
            self._solids = (scene.set_pieces, check.set_solids(scene))
        self.latest = check_frame(scene, state, depth_m, self._solids[1])
        self.blocking = check_blocking(scene, state, self._solids[1])
        self._key, self._at = key, now_s
