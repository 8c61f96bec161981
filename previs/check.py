"""`previs check`: the stage checks a DP and a VP supervisor run before the shoot.

Per shot, over its frames: the moiré risk of the LED wall through the lens (photosites per LED
pitch, the wall's defocus in LED pitches, the nearest in-frame wall depth), the steepest viewing
angle onto the panels, how much of the frame is LED (the set, from a small depth render, hides
what it covers), shooting off (pixels inside the frame lines that see nothing at all, past the
wall's top or ends, or the stage's own floor where the set lays no floor of its own), the
overscan a move needs at the tracking latency, the camera staying inside the volume, above the
floor and out of the set pieces, and the rig plausibility of the move. A shot fails on a high
moiré risk, shooting off, too little overscan, or a camera off the stage or inside the set; the
rest are warnings.
"""

from __future__ import annotations

import json
import math
import sys
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np

from previs.core import ledcheck
from previs.core.frame import delivery_mask, evaluate
from previs.core.scene import Scene, Shot

VIEWING_ANGLE_WARN_DEG = 55.0  # panels shift colour and dim well before their rated 50 % angle


@dataclass
class ShotCheck:
    shot: str
    frames_checked: int
    led_share_min: float = 1.0
    led_share_max: float = 0.0
    shooting_off_max: float = (
        0.0  # share of the frame that sees nothing (past the wall, no ceiling)
    )
    shooting_off_frames: list[int] = field(default_factory=list)
    # The same share by cause (each its own worst frame): over the wall's top (the seam under an
    # LED ceiling), past the wall's ends, onto the stage's bare floor.
    off_over_top_max: float = 0.0
    off_past_ends_max: float = 0.0
    off_bare_floor_max: float = 0.0
    nearest_wall_m: float = math.inf
    moire: str = "low"
    moire_frame: int | None = None
    photosites_per_pitch: float | None = None
    blur_in_pitches: float | None = None
    moire_wall_m: float | None = None  # depth of the worst moiré sample
    steepest_angle_deg: float = 0.0
    steepest_frame: int | None = None
    overscan_needed_pct: float = 0.0
    overscan_frame: int | None = None
    overscan_set_pct: float | None = None  # None: no inner frustum, or a static shot
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # The verdict in a few words per item, worst first, with the numbers: the shot list's
    # "Stage checks" column (``FAIL moiré: 0.77 photosites/LED pitch at 13.9 m``).
    summary: list[str] = field(default_factory=list)
    # What would make each failing (or warned) geometric check pass, computed
    # (previs.core.remedies): {"check", "verdict", "remedy", "short", "values": {numbers}}.
    remedies: list[dict] = field(default_factory=list)
    # The stage's light and time (previs.core.stage_light), each a JSON mapping with its numbers,
    # a ``verdict`` and a ``remedy`` (empty when none is needed); {} where not checked.
    exposure: dict = field(default_factory=dict)  # the seen wall against exposure and latitude
    banding: dict = field(default_factory=dict)  # the shutter against the panels' refresh
    white_point: dict = field(default_factory=dict)  # the wall's white against the camera's
    gamut: dict = field(default_factory=dict)  # seen content outside the panels' primaries
    frustum: dict = field(default_factory=dict)  # the inner frustum on the wall, render nodes
    # The blocking (blocking_checks): the DP's meter at the faces in frame, and collisions and
    # light stands in frame.
    meter: dict = field(default_factory=dict)
    blocking: dict = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        return bool(self.problems)


def plausibility_warnings(scene: Scene, shot: Shot) -> list[str]:
    """A moving shot's rig: dolly and crane speeds, pans, focus pulls, the zoom range."""
    from previs.core.frame import camera_track
    from previs.core.plausibility import check_track
    from previs.core.presets import get_lens

    if not (shot.moves or shot.keys):
        return []
    lens = get_lens(scene.camera.lens_kit, shot.camera.focal_length_mm)
    found = check_track(
        camera_track(scene, shot),
        list(shot.moves),
        scene.frame_rate,
        lens_zoom_range_mm=lens.zoom_range_mm,
        length_frames=shot.length_frames,
    )
    return [w.message for w in found]


def overscan_needed(scene: Scene, shot: Shot) -> tuple[float, float, int]:
    """(needed %, configured %, frame): the overscan that keeps the frame inside the inner
    frustum rendered ``latency`` frames earlier, at the shot's worst frame.

    The frustum drawn for the old pose must still cover the current frame: for each frame corner
    ray of the current camera, the overscan needed is how far outside the old frustum it falls,
    as a share of the old half-size (tan space), horizontally or vertically, whichever is larger.
    A nodal pan of angle a needs tan(h + a)/tan(h) - 1 on the leading side.
    """
    inner = scene.stage.inner_frustum
    worst, at = 0.0, 0
    for f in range(shot.length_frames):
        st = evaluate(scene, shot, f)
        th = math.tan(st.yfov_rad / 2)
        tw = th * st.image_aspect
        t_th = math.tan(st.tracked_yfov_rad / 2)
        t_tw = t_th * st.image_aspect
        corners = np.array([[sx * tw, sy * th, -1.0] for sx in (-1, 1) for sy in (-1, 1)])
        world = corners @ st.world_from_camera[:3, :3].T
        # Rays from the current eye, seen from the tracked eye far away (directions only: the
        # eye moves little against the wall's distance; the pan is what eats the overscan).
        local = world @ st.tracked_world_from_camera[:3, :3]
        fwd = -local[:, 2]
        if np.any(fwd <= 1e-6):
            return math.inf, inner.overscan_pct, f
        need = (
            max(
                float(np.max(np.abs(local[:, 0] / fwd)) / t_tw),
                float(np.max(np.abs(local[:, 1] / fwd)) / t_th),
            )
            - 1.0
        )
        if need > worst:
            worst, at = need, f
    return 100.0 * worst, inner.overscan_pct, at


@dataclass(frozen=True)
class _Solid:
    name: str
    lo: np.ndarray
    hi: np.ndarray
    triangles: np.ndarray | None  # (M, 3, 3) world space, for meshes (an AABB is too coarse)


def set_solids(scene: Scene) -> list[_Solid]:
    """The set pieces a camera must not pass through (not the floor planes)."""
    from previs.api import _piece_asset

    out = []
    for piece in scene.set_pieces:
        if piece.kind == "plane":
            continue
        asset = _piece_asset(piece)
        m = piece.world_from_local
        verts = [p.positions.astype(np.float64) @ m[:3, :3].T + m[:3, 3] for p in asset.parts]
        allv = np.concatenate(verts)
        tris = None
        if piece.kind == "mesh":
            tris = np.concatenate(
                [v[p.indices.astype(np.int64)] for v, p in zip(verts, asset.parts, strict=True)]
            )
        out.append(_Solid(piece.name, allv.min(axis=0), allv.max(axis=0), tris))
    return out


def inside_solid(solids: list[_Solid], position_m) -> str | None:
    """The name of the set piece the point is inside, if any: inside the bounds of a primitive or
    stand-in, inside the closed surface of a mesh (odd crossings, the majority of three rays)."""
    from previs.core.collisions import inside_mesh

    p = np.asarray(position_m, dtype=np.float64)
    for s in solids:
        if np.all(p >= s.lo) and np.all(p <= s.hi):
            if s.triangles is None or inside_mesh(s.triangles, p):
                return s.name
    return None


STAGE_FLOOR_Y_M = 0.002  # the stage's own floor is y = 0; the set's floors are laid on top of it


def _bare_floor(state, depth: np.ndarray) -> np.ndarray:
    """Pixels whose first surface is the stage's own floor (not a floor the set lays on it)."""
    rows, cols = depth.shape
    th = math.tan(state.yfov_rad / 2)
    u = ((np.arange(cols) + 0.5) / cols * 2 - 1) * th * (cols / rows)
    v = (1 - (np.arange(rows) + 0.5) / rows * 2) * th
    uu, vv = np.meshgrid(u, v)
    r = state.world_from_camera[:3, :3]
    dirs = np.stack([uu, vv, -np.ones_like(uu)], axis=-1) @ r.T  # camera-space depth 1 along -Z
    with np.errstate(invalid="ignore"):
        y = state.world_from_camera[1, 3] + dirs[..., 1] * np.where(np.isfinite(depth), depth, 0.0)
    return np.isfinite(depth) & (y < STAGE_FLOOR_Y_M)


def _frames(shot: Shot, max_samples: int = 96) -> list[int]:
    if shot.is_static:
        return [0]
    step = max(1, math.ceil(shot.length_frames / max_samples))
    frames = list(range(0, shot.length_frames, step))
    if frames[-1] != shot.length_frames - 1:
        frames.append(shot.length_frames - 1)
    return frames


SHOOTING_OFF_WARN = (
    0.005  # half a percent of the frame past the LED is already visible on a monitor
)
GRID_COLS = 64


def _frames_text(frames: list[int]) -> str:
    return f"frame {frames[0]}" if len(frames) == 1 else f"frames {frames[0]}–{frames[-1]}"


def _ray_up(state, rows: int, cols: int) -> np.ndarray:
    """Per pixel, whether its ray climbs (world +Y): what sees nothing climbing went over the top."""
    th = math.tan(state.yfov_rad / 2)
    u = ((np.arange(cols) + 0.5) / cols * 2 - 1) * th * (cols / rows)
    v = (1 - (np.arange(rows) + 0.5) / rows * 2) * th
    uu, vv = np.meshgrid(u, v)
    r = state.world_from_camera[:3, :3]
    return (r[1, 0] * uu + r[1, 1] * vv - r[1, 2]) > 0.0


# ---------------------------------------------------------------- the stage's light and time
LIGHT_SAMPLES = 12  # frames per shot the wall's light is sampled at (a driving shot recaptures)
WALL_CONTENT_PX = 64  # texels a side of the wall content's cube the exposure and gamut read
GAMUT_WARN = 0.01  # of the seen wall's samples outside the panels' primaries


def _light_frames(shot: Shot) -> list[int]:
    frames = _frames(shot)
    step = max(1, math.ceil(len(frames) / LIGHT_SAMPLES))
    return frames[::step]


class WallLight:
    """What the wall shows where the camera sees it: the renderer's wall content (the virtual
    world under its own sun, as wall signal 0..1 in linear Rec.709) captured on a small cube
    from the stage point and sampled along the rays that meet the panels. Inside the inner
    frustum the content is the world seen from the tracked camera (the direction from the
    tracked eye to the wall point); outside it, from the stage point. The cube sees the world
    from the stage point, so a world close to the wall shows a little parallax; the distant
    world a wall shows (sky, landscape) is direction only."""

    def __init__(self, scene: Scene, size: int = WALL_CONTENT_PX):
        from previs import api
        from previs.io.meshes import load_asset

        self._content = api.WallContent(scene, None, size, load_asset=load_asset)
        self.eye_m = np.asarray(self._content.eye_m, dtype=np.float64)

    def signal(self, scene: Scene, state, points_m: np.ndarray) -> np.ndarray:
        """Wall signal (N, 3), after the processor's grade, at wall points seen at ``state``."""
        from previs.core.cues import apply_cdl
        from previs.core.stage_light import sample_cube

        w, env = state.wall, scene.environment
        self._content.update(
            env.world_from_env if w is None else w.world_from_env, env.sky if w is None else w.sky
        )
        inner = scene.stage.inner_frustum
        eye = (
            state.tracked_world_from_camera[:3, 3]
            if inner.enabled and state.tracked_world_from_camera is not None
            else self.eye_m
        )
        rgb = sample_cube(self._content.cube, points_m - eye).astype(np.float64)
        if w is not None and not w.cdl.is_identity:
            rgb = apply_cdl(rgb, w.cdl)
        return np.clip(rgb, 0.0, 1.0)  # the processor drives 0..1 (the shader's wall_signal)

    def release(self) -> None:
        self._content.release()


class _LightTally:
    """The light checks' samples over a shot's frames, and their verdicts."""

    def __init__(self):
        self.exposures: list[tuple[int, object]] = []
        self.gamut: list[tuple[int, float]] = []
        self.footprints: list[tuple[int, object]] = []

    def frame(self, scene: Scene, st, f: int, view, wall_light: WallLight | None) -> None:
        from previs.core import stage_light as sl
        from previs.core.colour import REC709_LUMA
        from previs.core.presets import get_body
        from previs.core.stage import frustum_footprint

        vol = scene.stage
        inner = vol.inner_frustum
        pose = (
            st.tracked_world_from_camera
            if st.tracked_world_from_camera is not None
            else st.world_from_camera
        )
        yfov = st.tracked_yfov_rad if st.tracked_yfov_rad is not None else st.yfov_rad
        self.footprints.append(
            (
                f,
                frustum_footprint(
                    vol, pose, yfov, st.image_aspect, inner.overscan_pct if inner.enabled else 0.0
                ),
            )
        )
        if wall_light is None or not view.hit.any():
            return
        rows, cols = view.hit.shape
        th = math.tan(st.yfov_rad / 2)
        u = ((np.arange(cols) + 0.5) / cols * 2 - 1) * th * (cols / rows)
        v = (1 - (np.arange(rows) + 0.5) / rows * 2) * th
        uu, vv = np.meshgrid(u, v)
        r = st.world_from_camera[:3, :3]
        dirs = np.stack([uu, vv, -np.ones_like(uu)], axis=-1) @ r.T  # unit depth along the axis
        seen = view.hit
        points = st.world_from_camera[:3, 3] + dirs[seen] * view.depth_m[seen][:, None]
        signal = wall_light.signal(scene, st, points)
        nits_white = (
            st.wall.brightness_nits
            if st.wall is not None
            else scene.environment.wall_brightness_nits
        )
        k = vol.panel.falloff_k * np.array([1.1, 1.0, 0.9])  # the renderer's off-axis model
        cos = np.clip(np.cos(np.radians(view.incidence_deg[seen])), 1e-3, 1.0)
        nits = (signal * nits_white * cos[:, None] ** k) @ REC709_LUMA
        body = get_body(scene.camera.body)
        t = sl.exposure_time_s(st.shutter_angle_deg, st.frame_rate)
        self.exposures.append(
            (
                f,
                sl.wall_exposure(
                    float(nits.max()),
                    float(np.median(nits)),
                    nits_white,
                    t_stop=st.t_stop,
                    exposure_s=t,
                    iso=st.iso,
                    base_iso=body.base_iso,
                    latitude_over_stops=body.latitude_stops_over,
                    latitude_under_stops=body.latitude_stops_under,
                    peak_nits=vol.panel.peak_nits,
                    t_stop_widest=st.lens.t_stop_max,
                    t_stop_closest=st.lens.t_stop_min,
                ),
            )
        )
        self.gamut.append((f, sl.out_of_gamut_share(signal, vol.panel.primaries_xy)))

    def verdicts(self, scene: Scene, shot: Shot, res: ShotCheck) -> tuple[list[str], list[str]]:
        """Fill the shot's light fields; (failures, warnings) in the summary's words."""
        from previs.core import stage_light as sl
        from previs.core.presets import get_body

        vol = scene.stage
        fails: list[str] = []
        warns: list[str] = []
        moving = not shot.is_static

        def at(f):
            return f", frame {f}" if moving else ""

        if self.exposures:
            order = ("background clips", "in the noise", "clips", "noisy", "ok")
            f, e = min(
                self.exposures, key=lambda fe: (order.index(fe[1].verdict), -fe[1].brightest_nits)
            )
            res.exposure = {
                "frame": f,
                "verdict": e.verdict,
                "remedy": e.remedy,
                "mid_grey_nits": e.mid_grey_nits,
                "wall_white_nits": e.wall_white_nits,
                "brightest_nits": e.brightest_nits,
                "median_nits": e.median_nits,
                "white_stops": _finite(e.white_stops),
                "brightest_stops": _finite(e.brightest_stops),
                "median_stops": _finite(e.median_stops),
                "clip_stops": e.over_limit_stops,
                "floor_stops": -e.under_limit_stops,
                "clip_nits": e.clip_nits,
                "floor_nits": e.floor_nits,
                "brightest_nits_range": [
                    min(x.brightest_nits for _, x in self.exposures),
                    max(x.brightest_nits for _, x in self.exposures),
                ],
            }
            words = (
                f"wall {e.verdict}: {'median' if e.verdict in ('background clips', 'noisy') else 'brightest'} "
                f"{(e.median_stops if e.verdict in ('background clips', 'noisy') else e.brightest_stops):+.1f} "
                f"stops (clip {e.over_limit_stops:+.1f}, floor {-e.under_limit_stops:+.1f}){at(f)}"
            )
            if e.verdict in ("background clips", "in the noise"):
                fails.append(f"{words}: {e.remedy}")
                res.problems.append(f"{words}; {e.remedy}")
            elif e.verdict != "ok":
                warns.append(f"{words}: {e.remedy}")
                res.warnings.append(f"{words}; {e.remedy}")
        body = get_body(scene.camera.body)
        b = sl.banding(
            scene.camera.shutter_angle_deg,
            scene.frame_rate,
            vol.panel.refresh_hz,
            scan_ratio=vol.panel.scan_ratio,
            genlock=vol.genlock,
            readout_ms=body.readout_ms,
        )
        remedy = ""
        if b.verdict in ("risk", "high"):
            safe = ", ".join(f"{a:g}°" for a in b.safe_angles_deg)
            remedy = f"shutter at {safe} (whole refresh periods)" + (
                "" if vol.genlock else ", and genlock the wall"
            )
        res.banding = {
            "verdict": b.verdict,
            "remedy": remedy,
            "exposure_s": b.exposure_s,
            "shutter_angle_deg": scene.camera.shutter_angle_deg,
            "refresh_hz": b.refresh_hz,
            "scan_ratio": vol.panel.scan_ratio,
            "genlock": vol.genlock,
            "periods": b.periods,
            "ripple_mid_grey": b.ripple_mid,
            "ripple_dark": b.ripple_dark,
            "bands_per_frame": b.bands_per_frame,
            "readout_ms": body.readout_ms,
            "rolling": b.rolling,
            "safe_angles_deg": list(b.safe_angles_deg),
        }
        if b.verdict in ("risk", "high"):
            kind = "rolling " if b.rolling else ""
            words = (
                f"banding {b.verdict}: {b.periods:.2f} refresh periods, {100 * b.ripple_mid:.1f} % "
                f"{kind}ripple, ~{b.bands_per_frame:.0f} bands"
            )
            (fails if b.verdict == "high" else warns).append(f"{words}: {remedy}")
            (res.problems if b.verdict == "high" else res.warnings).append(f"{words}; {remedy}")
        w = sl.white_cast(vol.white_xy, scene.camera.white_balance_k)
        res.white_point = {
            "verdict": w.verdict,
            "remedy": w.remedy,
            "wall_xy": list(vol.white_xy),
            "wall_cct_k": w.wall_cct_k,
            "wall_duv": w.wall_duv,
            "camera_white_balance_k": w.camera_k,
            "mired_shift": w.mired_shift,
            "duv_shift": w.duv_shift,
        }
        # The whole stage's (the processor's white, the camera package's balance): in check.json
        # per shot, printed once under the table (format_table), never in every shot's summary.
        if self.gamut:
            f, share = max(self.gamut, key=lambda fs: fs[1])
            verdict = "outside" if share > GAMUT_WARN else "ok"
            res.gamut = {
                "verdict": verdict,
                "frame": f,
                "outside_share_max": share,
                "panel_primaries_xy": [list(p) for p in vol.panel.primaries_xy],
                "remedy": "grade the content into the panels' gamut (the wall clips it)"
                if verdict != "ok"
                else "",
            }
            if verdict != "ok":
                warns.append(
                    f"gamut: {100 * share:.0f} % of the seen wall outside the panels{at(f)}"
                )
                res.warnings.append(
                    f"{100 * share:.1f} % of the seen wall's colours lie outside the "
                    f"panels' gamut{at(f)}: they clip"
                )
        if self.footprints:
            f, fp = max(self.footprints, key=lambda ff: ff[1].led_pixels)
            nodes = sl.render_nodes_needed(fp.led_pixels, vol.render_node_budget_px)
            res.frustum = {
                "frame": f,
                "width_m": fp.width_m,
                "height_m": fp.height_m,
                "area_m2": fp.area_m2,
                "cabinets": fp.cabinets,
                "led_pixels": fp.led_pixels,
                "on_wall_share": fp.hit_share,
                "render_nodes": nodes,
                "render_node_budget_px": vol.render_node_budget_px,
            }
        return fails, warns


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None


def check_shot(
    scene: Scene,
    shot: Shot,
    renderer,
    solids: list | None = None,
    *,
    on_frame=None,
    wall_light: WallLight | None = None,
) -> tuple[ShotCheck, dict[int, np.ndarray]]:
    """The shot's checks and, per flagged frame, the (rows, cols) grid of ratings (0 low, 1
    medium, 2 high moiré; 3 shooting off). ``renderer`` is a StageRenderer GRID_COLS pixels wide:
    its depth buffer tells which LED samples the set hides and which pixels see nothing.
    ``wall_light`` (a :class:`WallLight`) gives the seen wall's content for the exposure and
    gamut checks; without it those two are left out. ``on_frame()`` is called after each frame
    checked (progress)."""
    res = ShotCheck(shot=shot.id, frames_checked=0)
    light = _LightTally()
    light_frames = set(_light_frames(shot))
    grids: dict[int, np.ndarray] = {}
    vol = scene.stage
    pitch = vol.panel.pixel_pitch_mm if vol else None
    below: list[int] = []
    outside: list[int] = []
    in_piece: dict[str, list[int]] = {}
    rated: list[tuple] = []  # (frame, rating, focus, stop, rated depths, in-frame depths): remedies
    for f in _frames(shot):
        st = evaluate(scene, shot, f)
        res.frames_checked += 1
        if on_frame is not None:
            on_frame()
        pos = st.position_m
        if pos[1] <= 0.0:
            below.append(f)
            res.problems.append(
                f"frame {f}: the lens is at or below the floor (y = {pos[1]:.2f} m)"
            )
        hit = inside_solid(solids or [], pos)
        if hit:
            in_piece.setdefault(hit, []).append(f)
            res.problems.append(f"frame {f}: the camera is inside the set piece '{hit}'")
        if vol is None:
            continue
        if not ledcheck.inside_volume(vol, pos):
            outside.append(f)
            res.problems.append(
                f"frame {f}: the camera is outside the LED volume at "
                f"({pos[0]:.2f}, {pos[1]:.2f}, {pos[2]:.2f}) m"
            )
        depth = renderer.render(st, overlay=False).depth_m  # the set as the camera sees it
        rows, cols = depth.shape
        view = ledcheck.wall_view(
            vol, st.world_from_camera, st.yfov_rad, cols / rows, cols=cols, rows=rows
        )
        inside = delivery_mask(st, cols, rows)  # only what the delivered frame shows counts
        visible = view.hit & (depth >= view.depth_m * 0.98) & inside  # LED not hidden by the set
        in_frame_m = view.depth_m[view.hit & inside]  # hidden or not: a dolly-in may reveal it
        view = ledcheck.WallView(
            hit=visible,
            depth_m=np.where(visible, view.depth_m, np.inf),
            incidence_deg=np.where(visible, view.incidence_deg, np.nan),
            section=view.section,
        )
        dark = ~np.isfinite(depth) & inside
        floor = _bare_floor(st, depth) & inside
        off = dark | floor
        n_in = max(int(inside.sum()), 1)
        share_off = float(off.sum() / n_in)
        if share_off > SHOOTING_OFF_WARN:
            res.shooting_off_frames.append(f)
            res.shooting_off_max = max(res.shooting_off_max, share_off)
            up = _ray_up(st, rows, cols)
            res.off_over_top_max = max(res.off_over_top_max, float((dark & up).sum() / n_in))
            res.off_past_ends_max = max(res.off_past_ends_max, float((dark & ~up).sum() / n_in))
            res.off_bare_floor_max = max(res.off_bare_floor_max, float(floor.sum() / n_in))
        if f in light_frames:
            light.frame(scene, st, f, view, wall_light)
        led_share = float(visible.sum() / n_in)
        res.led_share_min = min(res.led_share_min, led_share)
        res.led_share_max = max(res.led_share_max, led_share)
        if not view.hit.any():
            if share_off > SHOOTING_OFF_WARN:
                grids.setdefault(f, np.where(off, 3, 0).astype(np.int8))
            continue
        res.nearest_wall_m = min(res.nearest_wall_m, float(view.depth_m[view.hit].min()))
        angle = float(np.nanmax(view.incidence_deg))
        if angle > res.steepest_angle_deg:
            res.steepest_angle_deg, res.steepest_frame = angle, f
        grid = np.zeros(view.hit.shape, dtype=np.int8)
        rating, worst = ledcheck.worst_moire(
            pitch,
            st.mode.photosite_pitch_um,
            st.focal_length_mm,
            st.t_stop,
            st.focus_m,
            view.depth_m[view.hit],
        )
        grid[view.hit] = rating
        if worst.rating != "low":
            rated.append(
                (f, worst.rating, st.focus_m, st.t_stop, view.depth_m[view.hit], in_frame_m)
            )
        if (
            ledcheck.RATINGS.index(worst.rating) > ledcheck.RATINGS.index(res.moire)
            or res.moire_frame is None
        ):
            res.moire, res.moire_frame = worst.rating, f
            res.photosites_per_pitch, res.blur_in_pitches = (
                worst.photosites_per_pitch,
                worst.blur_in_pitches,
            )
            res.moire_wall_m = worst.wall_depth_m
        grid[off] = 3
        if worst.rating != "low" or share_off > SHOOTING_OFF_WARN:
            grids[f] = grid
    if res.moire == "high":
        res.problems.append(
            f"high moiré risk at frame {res.moire_frame}: {res.photosites_per_pitch:.2f} "
            f"photosites per LED pitch, wall blur {res.blur_in_pitches:.2f} pitches"
        )
    elif res.moire == "medium":
        res.warnings.append(
            f"medium moiré risk at frame {res.moire_frame}: {res.photosites_per_pitch:.2f} "
            f"photosites per LED pitch, wall blur {res.blur_in_pitches:.2f} pitches"
        )
    causes = _off_causes(res, vol)
    if res.shooting_off_frames:
        fr = res.shooting_off_frames
        span = _frames_text(fr) + ("" if len(fr) == 1 else f" ({len(fr)} sampled)")
        res.problems.append(
            f"shooting off: up to {100 * res.shooting_off_max:.1f} % of the frame sees past "
            f"the LED and the set ({', '.join(c for c, _ in causes)}), {span}"
        )
    if res.steepest_angle_deg > VIEWING_ANGLE_WARN_DEG:
        res.warnings.append(
            f"steep view of the panels ({res.steepest_angle_deg:.0f}° at frame "
            f"{res.steepest_frame}): expect colour shift and dimming"
        )
    res.problems = sorted(set(res.problems), key=res.problems.index)[:5]
    if vol is not None and vol.inner_frustum.enabled and not shot.is_static:
        need, have, frame = overscan_needed(scene, shot)
        res.overscan_needed_pct, res.overscan_frame, res.overscan_set_pct = need, frame, have
        if need > have:
            res.problems.append(
                f"overscan {have:g} % is too small: the fastest move (frame {frame}) needs "
                f"{need:.1f} % at {vol.inner_frustum.latency_frames} frames of latency; "
                "the outer frustum will show at the frame edge"
            )
    light_fail, light_warn = light.verdicts(scene, shot, res) if vol is not None else ([], [])
    rig = plausibility_warnings(scene, shot)
    res.warnings += rig
    if vol is not None:
        res.remedies = prescribe(scene, shot, res, renderer, solids or [], rated, causes)
    res.summary = _with_remedies(
        _summary(res, shot, vol, below, outside, in_piece, causes, rig, light_fail, light_warn),
        res.remedies,
    )
    blocking_checks(scene, shot, res, solids or [])
    keep = {res.moire_frame, res.shooting_off_frames[0] if res.shooting_off_frames else None}
    return res, {f: g for f, g in grids.items() if f in keep}


def _off_causes(res: ShotCheck, vol) -> list[tuple[str, float]]:
    """What a shot shooting off sees instead of LED, largest share first."""
    top = "ceiling seam" if vol is not None and vol.ceiling is not None else "over the wall top"
    found = [
        (top, res.off_over_top_max),
        ("past the wall's end", res.off_past_ends_max),
        ("bare floor", res.off_bare_floor_max),
    ]
    return sorted(((c, v) for c, v in found if v > 0), key=lambda cv: -cv[1])


# ---------------------------------------------------------------- remedies: what makes a check pass
REMEDY_SHORT_MAX = (
    60  # a longer fix stays in the remedies, out of the shot list's Stage checks cell
)


def _pixel_dirs(state, rows: int, cols: int) -> np.ndarray:
    """(rows, cols, 3) world directions through pixel centres, at camera depth 1 (the probe's
    depth times these is the point it saw)."""
    th = math.tan(state.yfov_rad / 2)
    u = ((np.arange(cols) + 0.5) / cols * 2 - 1) * th * (cols / rows)
    v = (1 - (np.arange(rows) + 0.5) / rows * 2) * th
    uu, vv = np.meshgrid(u, v)
    return np.stack([uu, vv, -np.ones_like(uu)], axis=-1) @ state.world_from_camera[:3, :3].T


def _measure(scene: Scene, st, renderer) -> dict:
    """The checks' own per-frame measures, as :func:`check_shot` takes them: the share of the
    delivered frame shooting off, the steepest visible viewing angle, and the masks behind them."""
    depth = renderer.render(st, overlay=False).depth_m
    rows, cols = depth.shape
    view = ledcheck.wall_view(
        scene.stage, st.world_from_camera, st.yfov_rad, cols / rows, cols=cols, rows=rows
    )
    inside = delivery_mask(st, cols, rows)
    visible = view.hit & (depth >= view.depth_m * 0.98) & inside
    dark = ~np.isfinite(depth) & inside
    floor = _bare_floor(st, depth) & inside
    angle = float(np.max(view.incidence_deg[visible])) if visible.any() else 0.0
    return {
        "depth": depth,
        "dark": dark,
        "floor": floor,
        "visible": visible,
        "view": view,
        "angle": angle,
        "off": float((dark | floor).sum() / max(int(inside.sum()), 1)),
    }


def _posed(st, pan_deg: float = 0.0, tilt_deg: float = 0.0, move_m=(0.0, 0.0, 0.0)):
    """The frame with its camera (and the tracked camera) panned, tilted or moved."""
    from dataclasses import replace

    from previs.core.remedies import offset_pose

    tracked = st.tracked_world_from_camera
    return replace(
        st,
        world_from_camera=offset_pose(st.world_from_camera, pan_deg, tilt_deg, move_m),
        tracked_world_from_camera=None
        if tracked is None
        else offset_pose(tracked, pan_deg, tilt_deg, move_m),
    )


def _xyz(p) -> str:
    return "(" + ", ".join(f"{float(x):.2f}" for x in p) + ")"


def prescribe(
    scene: Scene, shot: Shot, res: ShotCheck, renderer, solids: list, rated: list, causes: list
) -> list[dict]:
    """Per failing (or warned) geometric check, what makes it pass, computed: the moiré's focus,
    stop and wall distance (previs.core.remedies), the pan or tilt limit and the set extension
    that keep the frame on the LED and the set, and the move that eases a steep viewing angle.
    The searches re-run the check's own measure (:func:`_measure`) at the changed pose."""
    from previs.core import remedies as rm

    out = []
    vol = scene.stage
    moving = not shot.is_static
    if res.moire in ("high", "medium") and rated:
        risky = [r for r in rated if r[1] == res.moire]
        st = evaluate(scene, shot, risky[0][0])
        r = rm.moire_remedy(
            pixel_pitch_mm=vol.panel.pixel_pitch_mm,
            photosite_pitch_um=st.mode.photosite_pitch_um,
            focal_length_mm=st.focal_length_mm,
            t_stop_widest=st.lens.t_stop_max,
            close_focus_m=st.lens.close_focus_m,
            frames=[x[2:] for x in risky],
            verdict="FAIL" if res.moire == "high" else "warning",
        )
        dolly = r["values"]["dolly_in_m"]
        if dolly > 0:  # where the dolly-in puts the lens, and whether there is room for it there
            fwd = -st.world_from_camera[:3, 2]
            at = st.position_m + fwd * dolly
            r["values"]["position_m"] = [round(float(v), 3) for v in at]
            if shot.camera.look_at_m is not None and not moving:
                r["values"]["look_at_m"] = [
                    round(float(v), 3) for v in np.asarray(shot.camera.look_at_m) + fwd * dolly
                ]
            blocked = inside_solid(solids, at)
            if blocked or not ledcheck.inside_volume(vol, at) or at[1] <= 0.0:
                r["remedy"] += f" (no room: that puts the lens at {_xyz(at)}, " + (
                    f"inside '{blocked}')" if blocked else "off the stage)"
                )
        if moving:
            r["remedy"] += f" ({_frames_text([x[0] for x in risky])})"
        out.append(r)
    if res.shooting_off_frames and causes:
        out.append(_shooting_off_remedy(scene, shot, res, renderer, causes))
    if res.steepest_angle_deg > VIEWING_ANGLE_WARN_DEG and res.steepest_frame is not None:
        out.append(_viewing_angle_remedy(scene, shot, res, renderer, solids))
    return out


def _shooting_off_remedy(scene: Scene, shot: Shot, res: ShotCheck, renderer, causes) -> dict:
    """The pan or tilt limit that keeps every sampled frame on the LED and the set (the shot's
    largest cause picks the way: over the top tilts down, bare floor tilts up, past the wall's
    end pans back onto it), and the set extension that covers what the frame saw instead."""
    from previs.core import remedies as rm

    vol = scene.stage
    states = {f: evaluate(scene, shot, f) for f in _frames(shot)}
    off = list(res.shooting_off_frames)
    order = off + [f for f in states if f not in set(off)]  # a failing frame fails fastest
    first = _measure(scene, states[off[0]], renderer)
    cause = causes[0][0]
    if cause == "past the wall's end":
        axis, limit = "pan", 90.0
        cols = first["dark"].shape[1]
        left = float(np.mean(np.nonzero(first["dark"])[1])) < cols / 2  # the gap on frame left
        sign = -1.0 if left else 1.0  # pan + is left: pan away from the side that sees past the end
    else:
        axis, limit = "tilt", 45.0
        sign = 1.0 if cause == "bare floor" else -1.0

    def passes(x: float) -> bool:
        kw = {f"{axis}_deg": sign * x}
        return all(
            _measure(scene, _posed(states[f], **kw), renderer)["off"] <= SHOOTING_OFF_WARN
            for f in order
        )

    x = rm.smallest_passing(passes, limit, step=1.0, tol=0.05)
    if x is not None:  # named to 0.1 degree, past the bound, and checked again at that value
        x = math.ceil(x * 10 - 1e-9) / 10
        while not passes(x) and x < limit:
            x = round(x + 0.1, 1)
    way = {
        ("tilt", -1.0): "down",
        ("tilt", 1.0): "up",
        ("pan", -1.0): "right",
        ("pan", 1.0): "left",
    }[(axis, sign)]
    values: dict = {"cause": cause, "axis": axis, "offset_deg": None if x is None else sign * x}
    c = shot.camera
    if x is None:
        parts = [f"no {axis} within {limit:g}° keeps the frame on the LED and the set"]
    elif not shot.is_static:
        parts = [f"{axis} {x:.1f}° further {way} throughout the move"]
    elif c.look_at_m is None:
        now = c.tilt_deg if axis == "tilt" else c.pan_deg
        values[f"{axis}_deg"] = round(now + sign * x, 1)
        bound = "at most" if sign < 0 else "at least"
        parts = [f"{axis} {bound} {now + sign * x:.1f}° (now {now:g}°: {x:.1f}° further {way})"]
    else:
        aim = rm.look_at_after(
            states[0].world_from_camera, c.look_at_m, **{f"{axis}_deg": sign * x}
        )
        values["look_at_m"] = [round(float(v), 3) for v in aim]
        parts = [f"{axis} {x:.1f}° further {way}: look at {_xyz(aim)} (now {_xyz(c.look_at_m)})"]
    # The set extension: the frames' own rays, where they went instead of the LED and the set.
    measured = [
        (states[f], first if f == off[0] else _measure(scene, states[f], renderer)) for f in off
    ]
    over = [
        (
            st.position_m,
            _pixel_dirs(st, *m["dark"].shape)[m["dark"] & _ray_up(st, *m["dark"].shape)],
        )
        for st, m in measured
    ]
    if any(d.size for _, d in over):
        origins = np.concatenate([np.broadcast_to(o, d.shape) for o, d in over])
        for i, h in rm.wall_height_needed(vol, origins, np.concatenate([d for _, d in over])):
            sec = vol.sections[i]
            h = math.ceil(h * 10 - 1e-9) / 10
            values.setdefault("wall_height_m", {})[sec.name] = h
            parts.append(f"raise '{sec.name}' to {h:.1f} m (now {sec.height_m:g} m)")
    floor = [
        st.position_m
        + _pixel_dirs(st, *m["floor"].shape)[m["floor"]] * m["depth"][m["floor"]][:, None]
        for st, m in measured
    ]
    points = np.concatenate(floor) if floor else np.zeros((0, 3))
    if len(points):
        planes = [p for p in scene.set_pieces if p.kind == "plane"]
        if planes:
            mid = points.mean(axis=0)
            piece = min(
                planes,
                key=lambda p: float(np.linalg.norm(p.world_from_local[[0, 2], 3] - mid[[0, 2]])),
            )
            size, centre = rm.floor_extension(piece.world_from_local, piece.size_m, points)
            values["floor"] = {
                "piece": piece.name,
                "size_m": [round(size[0], 2), round(size[1], 2)],
                "translation_m": [round(float(v), 3) for v in centre],
            }
            parts.append(
                f"lay '{piece.name}' out to {size[0]:.1f} x {size[1]:.1f} m at {_xyz(centre)} (now "
                f"{piece.size_m[0]:g} x {piece.size_m[1]:g} m at {_xyz(piece.world_from_local[:3, 3])})"
            )
        else:
            lo, hi = points.min(axis=0) - 0.1, points.max(axis=0) + 0.1
            values["floor"] = {
                "piece": None,
                "x_m": [float(lo[0]), float(hi[0])],
                "z_m": [float(lo[2]), float(hi[2])],
            }
            parts.append(
                f"lay a floor over x {lo[0]:.1f}..{hi[0]:.1f} m, z {lo[2]:.1f}..{hi[2]:.1f} m"
            )
    short = parts[0].split(" (")[0].split(":")[0]
    return {
        "check": "shooting off",
        "verdict": "FAIL",
        "remedy": ", or ".join(parts),
        "short": short,
        "values": values,
    }


def _viewing_angle_remedy(scene: Scene, shot: Shot, res: ShotCheck, renderer, solids) -> dict:
    """The least move of the camera (the same for every frame, its aim kept) toward the normal
    through the steepest panel it sees that brings every sampled frame's steepest visible angle
    within VIEWING_ANGLE_WARN_DEG, keeping the camera inside the volume and out of the set."""
    from previs.core import remedies as rm

    vol = scene.stage
    states = {f: evaluate(scene, shot, f) for f in _frames(shot)}
    st = states[res.steepest_frame]
    m = _measure(scene, st, renderer)
    inc = np.where(m["visible"], m["view"].incidence_deg, -1.0)
    r, c = np.unravel_index(int(np.argmax(inc)), inc.shape)
    eye = st.position_m
    point = eye + _pixel_dirs(st, *inc.shape)[r, c] * m["view"].depth_m[r, c]
    normal = ledcheck.facet_normals(vol, point[None], m["view"].section[r, c][None])[0]
    foot = point + normal * float((eye - point) @ normal)  # where that panel is seen square on
    span = float(np.linalg.norm(foot - eye))
    way = (foot - eye) / max(span, 1e-9)
    order = [res.steepest_frame] + [f for f in states if f != res.steepest_frame]

    def passes(t: float) -> bool:
        move = way * t
        for f in order:
            moved = _posed(states[f], move_m=move)
            p = moved.position_m
            if p[1] <= 0.0 or not ledcheck.inside_volume(vol, p) or inside_solid(solids, p):
                return False
            if _measure(scene, moved, renderer)["angle"] > VIEWING_ANGLE_WARN_DEG:
                return False
        return True

    t = rm.smallest_passing(passes, span, step=0.25, tol=0.01) if span > 1e-6 else None
    if t is not None:
        t = math.ceil(t * 20 - 1e-9) / 20  # to 5 cm, past the bound, and checked there
        while not passes(t) and t < span:
            t = round(t + 0.05, 2)
    values: dict = {
        "angle_now_deg": res.steepest_angle_deg,
        "limit_deg": VIEWING_ANGLE_WARN_DEG,
        "direction": [round(float(v), 4) for v in way],
        "move_m": None if t is None else t,
    }
    if t is None:
        text = (
            f"no move toward the square-on view of the steepest panel (up to {span:.1f} m) brings "
            f"the view within {VIEWING_ANGLE_WARN_DEG:g}°"
        )
        return {
            "check": "viewing angle",
            "verdict": "warning",
            "remedy": text,
            "short": "",
            "values": values,
        }
    move = way * t
    new = shot.camera.position_m + move
    values["position_m"] = [round(float(v), 3) for v in new]
    text = (
        f"move the camera {t:.2f} m toward the square-on view of the steepest panel, to {_xyz(new)}"
    )
    if shot.camera.look_at_m is not None:
        aim = np.asarray(shot.camera.look_at_m, float) + move
        values["look_at_m"] = [round(float(v), 3) for v in aim]
        text += f", aiming at {_xyz(aim)} (the same direction)"
    if not shot.is_static:
        text += " (the whole move shifted)"
    return {
        "check": "viewing angle",
        "verdict": "warning",
        "remedy": text + f" (now {_xyz(shot.camera.position_m)})",
        "short": f"move {t:.2f} m",
        "values": values,
    }


def _with_remedies(summary: list[str], remedies: list[dict]) -> list[str]:
    """The summary with each check's short fix as its own item right after that check's verdict
    (``fix: focus ≤ 8.2 m / T3.2 / wall ≤ 5.8 m``), where the fix is short: the shot list's Stage
    checks cell joins the items, so the fix follows its verdict there."""
    starts = {
        "moiré": "FAIL moiré",
        "moiré (medium)": "moiré medium",
        "shooting off": "FAIL shooting off",
        "viewing angle": "steep ",
    }
    out = []
    for line in summary:
        out.append(line)
        out += [
            f"fix: {r['short']}"
            for r in remedies
            if r.get("short")
            and len(r["short"]) <= REMEDY_SHORT_MAX
            and line.startswith(starts.get(r["check"], "\0"))
        ]
    return out


def _summary(
    res: ShotCheck,
    shot: Shot,
    vol,
    below,
    outside,
    in_piece,
    causes,
    rig,
    light_fail=(),
    light_warn=(),
) -> list[str]:
    """Short verdicts, worst first: what stops the shot (FAIL ...), then what to watch."""
    moving = not shot.is_static

    def at(f):
        return f", frame {f}" if moving and f is not None else ""

    out = []
    if below:
        out.append(f"FAIL lens at or below the floor ({_frames_text(below)})")
    for name, frames in in_piece.items():
        out.append(f"FAIL camera inside '{name}' ({_frames_text(frames)})")
    if outside:
        out.append(f"FAIL camera outside the LED volume ({_frames_text(outside)})")
    if res.moire == "high":
        out.append(
            f"FAIL moiré: {res.photosites_per_pitch:.2f} photosites/LED pitch at "
            f"{res.moire_wall_m:.1f} m{at(res.moire_frame)}"
        )
    if res.shooting_off_frames:
        fr = res.shooting_off_frames
        out.append(
            f"FAIL shooting off {100 * res.shooting_off_max:.1f} % ({', '.join(c for c, _ in causes)})"
            + (f", {_frames_text(fr)}" if moving else "")
        )
    if res.overscan_set_pct is not None and res.overscan_needed_pct > res.overscan_set_pct:
        need = "∞" if math.isinf(res.overscan_needed_pct) else f"{res.overscan_needed_pct:.0f}"
        out.append(
            f"FAIL overscan {need} % needed > {res.overscan_set_pct:g} % set "
            f"({vol.inner_frustum.latency_frames} fr latency{at(res.overscan_frame)})"
        )
    out += [f"FAIL {t}" for t in light_fail]
    if not out:
        out.append("LED checks pass")
    out += list(light_warn)
    if res.moire == "medium":
        out.append(
            f"moiré medium: {res.photosites_per_pitch:.2f} photosites/LED pitch at "
            f"{res.moire_wall_m:.1f} m{at(res.moire_frame)}"
        )
    if res.steepest_angle_deg > VIEWING_ANGLE_WARN_DEG:
        out.append(
            f"steep {res.steepest_angle_deg:.0f}° view of the panels (colour shift)"
            f"{at(res.steepest_frame)}"
        )
    return out + list(rig)


TINTS = {
    1: ("medium moiré", (255, 150, 0)),
    2: ("high moiré", (255, 0, 0)),
    3: ("shooting off", (255, 0, 255)),
}


def tint_frame(color: np.ndarray, grid: np.ndarray, legend: bool = True) -> np.ndarray:
    """The frame tinted where it goes wrong: medium moiré orange, high moiré red, shooting off
    magenta; with ``legend`` a key to the tints in the bottom-left corner."""
    h, w = color.shape[:2]
    rows, cols = grid.shape
    yi = np.minimum((np.arange(h) * rows) // h, rows - 1)
    xi = np.minimum((np.arange(w) * cols) // w, cols - 1)
    g = grid[yi][:, xi]
    out = color.astype(np.float32)
    for level, (_, rgb) in TINTS.items():
        sel = g == level
        out[sel] = out[sel] * 0.55 + np.asarray(rgb, np.float32) * 0.45
    out = out.astype(np.uint8)
    return draw_legend(out) if legend else out


def draw_legend(image: np.ndarray) -> np.ndarray:
    """A key to the tints (a swatch each, as tinted over mid-grey, and low moiré untinted) on a
    dark panel in the image's bottom-left corner, sized to the image (readable from 320 px)."""
    from importlib import resources

    from PIL import Image, ImageDraw, ImageFont

    img = Image.fromarray(np.ascontiguousarray(image[..., :3]))
    size = max(10, round(img.width / 55))
    try:
        with resources.as_file(
            resources.files("previs") / "data" / "fonts" / "DejaVuSansCondensed.ttf"
        ) as p:
            font = ImageFont.truetype(str(p), size)
    except OSError:  # the bundled font missing: Pillow's own at that size
        font = ImageFont.load_default(size)
    entries = [("low moiré (untinted)", None)] + [(name, rgb) for name, rgb in TINTS.values()]
    pad, sw = max(3, size // 3), size
    line = size + pad
    text_w = max(int(font.getlength(name)) for name, _ in entries)
    box_w, box_h = pad * 3 + sw + text_w, pad + line * len(entries)
    x0, y0 = pad, img.height - box_h - pad
    draw = ImageDraw.Draw(img, "RGBA")
    draw.rectangle(
        [x0, y0, x0 + box_w, y0 + box_h], fill=(20, 20, 24, 215), outline=(235, 235, 235, 255)
    )
    grey = np.float32(128)
    for i, (name, rgb) in enumerate(entries):
        y = y0 + pad + i * line
        # the swatch as the tint looks over a mid-grey picture (the same 45 % blend)
        fill = (128, 128, 128) if rgb is None else tuple(int(grey * 0.55 + c * 0.45) for c in rgb)
        draw.rectangle(
            [x0 + pad, y, x0 + pad + sw, y + sw], fill=fill, outline=(255, 255, 255, 255)
        )
        draw.text(
            (x0 + pad * 2 + sw, y + sw / 2), name, fill=(255, 255, 255, 255), font=font, anchor="lm"
        )
    return np.asarray(img)


class ShotChecker:
    """What checking shots needs, made once: the set's solids, the depth probe (GRID_COLS wide,
    no shadows, wall content or wall light: they change colour, not depth) and the wall's
    content for the exposure and gamut checks. :func:`run_checks` makes one per run; a batch
    worker keeps one between its tasks."""

    def __init__(self, scene: Scene):
        from previs import api

        self.scene = scene
        self.solids = set_solids(scene)
        self.probe = api.StageRenderer(
            scene, width=GRID_COLS, antialias=False, shadows=False, depth_only=True
        )
        try:
            # The wall's content for the exposure and gamut checks: a small cube of its own.
            self.wall_light = WallLight(scene) if scene.stage is not None else None
        except BaseException:
            self.probe.release()
            raise

    def check(self, shot_id: str, on_frame=None) -> tuple[ShotCheck, dict[int, np.ndarray]]:
        return check_shot(
            self.scene,
            self.scene.shot(shot_id),
            self.probe,
            self.solids,
            on_frame=on_frame,
            wall_light=self.wall_light,
        )

    def release(self) -> None:
        try:
            if self.wall_light is not None:
                self.wall_light.release()
        finally:
            self.probe.release()


def write_flagged(
    scene: Scene, renderer, shot_id: str, grids: dict[int, np.ndarray], out_dir: Path, on_frame=None
) -> list[Path]:
    """The shot's flagged frames, tinted where they go wrong, as ``flagged_<shot>_f<frame>.png``;
    ``renderer`` is a StageRenderer at the PNGs' width."""
    from PIL import Image

    from previs.export.atomic import write_png

    written = []
    for f, grid in grids.items():
        st = evaluate(scene, scene.shot(shot_id), f)
        img = tint_frame(renderer.render(st, read_depth=False).color, grid)
        p = Path(out_dir) / f"flagged_{shot_id}_f{f:04d}.png"
        write_png(Image.fromarray(img), p)
        written.append(p)
        if on_frame is not None:
            on_frame()
    return written


def write_report(scene: Scene, results: list[ShotCheck], out_dir: Path) -> Path:
    """``<out_dir>/check.json``, written whole."""
    from previs.export.atomic import write_atomic

    path = Path(out_dir) / "check.json"
    write_atomic(
        path, json.dumps(report_dict(scene, results), indent=2, ensure_ascii=False).encode()
    )
    return path


def run_checks(
    scene: Scene,
    shot_ids: list[str],
    out_dir: Path | None,
    *,
    width: int = 960,
    progress: bool = False,
):
    """Check the shots; write the JSON report and the flagged frames (tinted) when ``out_dir``.
    ``progress`` shows a bar of frames checked on stderr (only on a terminal)."""
    from tqdm import tqdm

    from previs import api

    results, flagged = [], {}
    total = sum(len(_frames(scene.shot(sid))) for sid in shot_ids)
    bar = tqdm(
        total=total,
        desc="checking",
        unit="frame",
        file=sys.stderr,
        dynamic_ncols=True,
        disable=None if progress else True,
    )
    checker = None
    try:
        checker = ShotChecker(scene)
        for sid in shot_ids:
            bar.set_postfix_str(sid)
            res, grids = checker.check(sid, on_frame=lambda: bar.update(1))
            results.append(res)
            if grids:
                flagged[sid] = grids
    finally:
        if checker is not None:
            checker.release()
        bar.close()
    written = []
    if out_dir is not None:
        # The flagged frames first, the report last: a run stopped in between leaves no report
        # that points at frames it never wrote.
        out_dir = Path(out_dir)
        if flagged:
            with (
                api.StageRenderer(scene, width=width) as r,
                tqdm(
                    total=sum(map(len, flagged.values())),
                    desc="flagged frames",
                    unit="frame",
                    file=sys.stderr,
                    disable=None if progress else True,
                ) as fbar,
            ):
                for sid, grids in flagged.items():
                    written += write_flagged(
                        scene, r, sid, grids, out_dir, on_frame=lambda: fbar.update(1)
                    )
        written.insert(0, write_report(scene, results, out_dir))
    return results, written


def report_dict(scene: Scene, results: list[ShotCheck]) -> dict:
    """The check report as JSON types: what check.json holds and ``previs check --json`` prints."""
    return {
        "format": REPORT_FORMAT,
        "version": REPORT_VERSION,
        "scene": scene.name,
        "scene_file": str(scene.source_path),
        "scene_sha256": scene_digest(scene),
        "shots": [
            {
                **asdict(r),
                "failed": r.failed,  # JSON has no infinity: None
                "nearest_wall_m": None if math.isinf(r.nearest_wall_m) else r.nearest_wall_m,
                "overscan_needed_pct": None
                if math.isinf(r.overscan_needed_pct)
                else r.overscan_needed_pct,
            }
            for r in results
        ],
    }


REPORT_FORMAT = "previs-check"
REPORT_VERSION = 1
MAX_REPORT_BYTES = 64 << 20  # a report of thousands of shots is a few MiB; past this it is not one


def scene_digest(scene: Scene) -> str | None:
    """SHA-256 of the scene file's bytes: a report from an earlier edit of the file is stale."""
    import hashlib

    try:
        return hashlib.sha256(Path(scene.source_path).read_bytes()).hexdigest()
    except (OSError, TypeError):
        return None


def read_report(path, scene: Scene, shot_ids: list[str]) -> dict[str, ShotCheck]:
    """The results of a ``check.json`` that ``previs check`` wrote for this scene, by shot id.
    Refused (ExportError, one line) when it is not a report, is for another scene or an earlier
    version of the scene file, or lacks one of ``shot_ids``."""
    from previs.errors import ExportError
    from previs.io.safe_files import UnsafeFile, printable, read_regular

    def no_constant(name):  # NaN and Infinity are not JSON, and never a check's value
        raise ValueError(f"{name} is not a number JSON allows")

    shown = printable(path)
    try:
        doc = json.loads(
            read_regular(path, MAX_REPORT_BYTES).decode("utf-8"), parse_constant=no_constant
        )
    except UnsafeFile as exc:
        raise ExportError(f"{shown}: cannot read a check report: {exc.reason}") from None
    except UnicodeDecodeError:
        raise ExportError(f"{shown}: not a previs check report (not UTF-8 text)") from None
    except ValueError as exc:  # json's messages give a position, never the file's text
        raise ExportError(f"{shown}: not a previs check report ({printable(exc, 80)})") from None
    path = shown
    if (
        not isinstance(doc, dict)
        or doc.get("format") != REPORT_FORMAT
        or not isinstance(doc.get("shots"), list)
    ):
        raise ExportError(f"{path}: not a previs check report")
    version = doc.get("version", 0)
    if isinstance(version, bool) or not isinstance(version, int):
        raise ExportError(f"{path}: not a previs check report (version {version!r})")
    if version > REPORT_VERSION:
        raise ExportError(
            f"{path}: check report version {doc['version']} is newer than this previs reads "
            f"({REPORT_VERSION})"
        )
    here = scene.source_path.name if scene.source_path else scene.name
    if doc.get("scene") != scene.name:
        raise ExportError(
            f"{path}: the check report is for scene '{printable(doc.get('scene'), 60)}', not '{scene.name}' "
            f"({here}): run previs check on {here}"
        )
    digest, theirs = scene_digest(scene), doc.get("scene_sha256")
    if theirs is not None and digest is not None and theirs != digest:
        raise ExportError(
            f"{path}: stale check report: {here} changed since previs check ran; run it again"
        )
    if theirs is None and Path(str(doc.get("scene_file"))).name != here:
        raise ExportError(
            f"{path}: the check report is for {printable(doc.get('scene_file'), 80)}, not {here}"
        )
    known = {s.id for s in scene.shots}
    names = {f.name for f in fields(ShotCheck)}
    out: dict[str, ShotCheck] = {}
    for d in doc["shots"]:
        if not isinstance(d, dict) or not isinstance(d.get("shot"), str):
            raise ExportError(f"{path}: a shot entry lacks 'shot'")
        if d["shot"] not in known:
            raise ExportError(
                f"{path}: stale check report: shot '{printable(d['shot'], 40)}' is not in {here}; "
                "run previs check again"
            )
        kw = {k: v for k, v in d.items() if k in names}
        for k in ("nearest_wall_m", "overscan_needed_pct"):
            if kw.get(k, 0.0) is None:
                kw[k] = math.inf
        for k, kind, what in (
            ("summary", str, "sentences"),
            ("problems", str, "sentences"),
            ("warnings", str, "sentences"),
            ("shooting_off_frames", int, "frame numbers"),
        ):
            if k in kw and not (
                isinstance(kw[k], list)
                and all(isinstance(x, kind) and not isinstance(x, bool) for x in kw[k])
            ):
                raise ExportError(f"{path}: shot '{d['shot']}': {k} is not a list of {what}")
        for k in ("exposure", "banding", "white_point", "gamut", "frustum", "meter", "blocking"):
            if k in kw and not isinstance(kw[k], dict):
                raise ExportError(f"{path}: shot '{d['shot']}': {k} is not a mapping")
        # remedies: absent from reports before them (read as none); each a mapping or a sentence
        if "remedies" in kw and not (
            isinstance(kw["remedies"], list)
            and all(
                isinstance(x, str) or (isinstance(x, dict) and isinstance(x.get("remedy", ""), str))
                for x in kw["remedies"]
            )
        ):
            raise ExportError(f"{path}: shot '{d['shot']}': remedies is not a list of remedies")
        try:
            r = ShotCheck(**kw)
        except TypeError as exc:
            raise ExportError(f"{path}: shot '{d['shot']}': {exc}") from None
        if not r.summary:  # a report from before the summaries: its sentences as they are
            r.summary = [f"FAIL {p}" for p in r.problems] or ["LED checks pass"]
            r.summary += list(r.warnings)
        out[r.shot] = r
    missing = [s for s in shot_ids if s not in out]
    if missing:
        raise ExportError(
            f"{path}: the check report lacks shot{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)}; run previs check on {here} for them"
        )
    return out


def format_table(results: list[ShotCheck]) -> str:
    """The check table: the geometry columns, then the light and time: the seen wall's
    brightest and median stops over mid-grey (``wall st``), the banding verdict and refresh
    periods per exposure, the inner frustum's size on the wall and the render nodes it needs;
    the stage-wide white point once at the end."""
    head = (
        f"{'shot':<6}{'result':<8}{'moiré':<8}{'px/pitch':>9}{'blur/pitch':>11}{'wall m':>8}{'LED %':>9}"
        f"{'off %':>7}{'angle°':>8}{'overscan %':>12}{'wall st':>12}{'banding':>14}{'frustum m':>12}"
        f"{'nodes':>7}"
    )
    lines = [head, "-" * len(head)]
    for r in results:
        px = "-" if r.photosites_per_pitch is None else f"{r.photosites_per_pitch:.2f}"
        blur = "-" if r.blur_in_pitches is None else f"{r.blur_in_pitches:.2f}"
        wall = "-" if math.isinf(r.nearest_wall_m) else f"{r.nearest_wall_m:.1f}"
        share = (
            f"{100 * r.led_share_min:.0f}-{100 * r.led_share_max:.0f}" if r.frames_checked else "-"
        )
        e, b, fr = r.exposure, r.banding, r.frustum
        stops = "-"
        if e.get("brightest_stops") is not None and e.get("median_stops") is not None:
            stops = f"{e['brightest_stops']:+.1f}/{e['median_stops']:+.1f}"
        band = f"{b['verdict']} N={b['periods']:.2f}" if b else "-"
        size = f"{fr['width_m']:.1f}x{fr['height_m']:.1f}" if fr else "-"
        nodes = str(fr["render_nodes"]) if fr else "-"
        lines.append(
            f"{r.shot:<6}{'FAIL' if r.failed else 'ok':<8}{r.moire:<8}{px:>9}{blur:>11}{wall:>8}"
            f"{share:>9}{100 * r.shooting_off_max:>7.1f}{r.steepest_angle_deg:>8.0f}"
            f"{r.overscan_needed_pct:>12.1f}{stops:>12}{band:>14}{size:>12}{nodes:>7}"
        )
        lines += [f"        problem: {p}" for p in r.problems]
        lines += [f"        warning: {w}" for w in r.warnings]
        lines += meter_lines(r)
    fixes = [
        (r.shot, x if isinstance(x, dict) else {"remedy": x}) for r in results for x in r.remedies
    ]
    fixes = [(shot, x) for shot, x in fixes if x.get("remedy")]
    if fixes:
        lines.append("remedies (each computed to make its check pass):")
        lines += [
            f"  {shot:<6}{x.get('check', '')} ({x.get('verdict', '')}): {x['remedy']}"
            for shot, x in fixes
        ]
    white = next((r.white_point for r in results if r.white_point), None)
    if white:
        line = (
            f"white point: the wall's white {white['wall_cct_k']:.0f} K, Δuv {white['wall_duv']:+.4f}, "
            f"against the camera's {white['camera_white_balance_k']:.0f} K: "
            f"{white['mired_shift']:+.0f} mired"
        )
        lines.append(
            line + (f" (warning: {white['remedy']})" if white["verdict"] != "ok" else " (ok)")
        )
    if results and (results[0].exposure or results[0].frustum):
        lines.append(
            "wall st: the seen wall's brightest/median stops over mid-grey; banding: N refresh "
            "periods per exposure; frustum m: the inner frustum on the wall (w x h)"
        )
    return "\n".join(lines)


# ---------------------------------------------------------------- blocking: the meter, bodies, stands
def _boxes(solids) -> list:
    from previs.core.meter import Box

    return [
        Box(s.name, tuple(float(v) for v in s.lo), tuple(float(v) for v in s.hi)) for s in solids
    ]


def _face_remedy(stops: float) -> str:
    return (
        "take light off the face (dimmer, ND) or stop down"
        if stops > 0
        else "add light to the face or open up"
    )


def blocking_checks(scene: Scene, shot: Shot, res: ShotCheck, solids=()) -> None:
    """The DP's meter at the faces of the stand-ins in frame (previs.core.meter), stand-ins in
    the set or in each other and light stands in frame (previs.core.collisions), over the shot's
    sampled frames: ``res.meter``, ``res.blocking`` and a warning for each finding (a face more
    than a stop off the shot's T-stop, an overlap, a stand in frame). Pure: no renderer."""
    from previs.core import collisions as co
    from previs.core import meter as mt
    from previs.core.analysis import framings
    from previs.core.stage_light import exposure_time_s

    # Set pieces shade the faces; bodies do not (a stand-in's box is far wider than its shadow)
    bodies_ = {p.name for p in scene.set_pieces if p.kind == "standin"}
    occluders = [b for b in _boxes(solids) if b.name not in bodies_]
    meter_frames = set(_light_frames(shot))
    readings: dict[str, list] = {}
    bodies: dict[tuple[str, str, bool], list] = {}
    stands: dict[tuple[str, str], list[int]] = {}
    tape: dict[str, dict] = {}
    wall = None
    for f in _frames(shot):
        st = evaluate(scene, shot, f)
        for o in co.overlaps(scene, st.poses, solids=solids):
            bodies.setdefault((o.standin, o.other, o.other_is_standin), []).append((f, o.depth_m))
        for name, seen in co.stands_in_frame(st).items():
            stands.setdefault((name, seen), []).append(f)
        if f not in meter_frames:
            continue
        exposure_s = exposure_time_s(st.shutter_angle_deg, st.frame_rate)
        if wall is None and scene.stage is not None:
            nits = (
                st.wall.brightness_nits
                if st.wall is not None
                else scene.environment.wall_brightness_nits
            )
            wall = {
                "frame": f,
                "wall_white_nits": nits,
                "wall_white_stops": mt.wall_stops(nits, st.t_stop, exposure_s, st.iso),
            }
        for fr in framings(scene, st):
            if not fr.in_frame:
                continue
            readings.setdefault(fr.name, []).append(
                (f, mt.read_face(scene, st, fr.name, occluders=occluders))
            )
            if fr.name not in tape:
                t = co.tape(scene, st, fr.name)
                tape[fr.name] = {
                    "frame": f,
                    "lens_to_subject_m": t.lens_to_subject_m,
                    "subject_to_wall_m": _finite(t.subject_to_wall_m)
                    if t.subject_to_wall_m
                    else None,
                    "wall_behind_m": _finite(t.wall_behind_m) if t.wall_behind_m else None,
                }
    moving = not shot.is_static
    subjects = []
    for name, rs in readings.items():
        f, r = max(rs, key=lambda fr: abs(fr[1].stops) if math.isfinite(fr[1].stops) else math.inf)
        finite = [x.stops for _, x in rs if math.isfinite(x.stops)]
        subjects.append(
            {
                "name": name,
                "frame": f,
                "lux": r.lux,
                "t_stop": r.t_stop,
                "shot_t_stop": r.shot_t_stop,
                "stops": _finite(r.stops),
                "stops_range": [min(finite), max(finite)] if finite else None,
                "key": r.key,
                "fill": r.fill,
                "key_fill_stops": r.key_fill_stops,
                "lights_lux": r.by_light(),
                "shadowed": {c.light: c.shadowed_by for c in r.contributions if c.shadowed_by},
                "near_field": [c.light for c in r.contributions if c.near_field and c.lux > 0],
            }
        )
        at = f", frame {f}" if moving else ""
        if r.t_stop is None:
            res.warnings.append(f"meter: no light on {name}'s face{at}: add light")
        elif abs(r.stops) > mt.FACE_EXPOSURE_WARN_STOPS:
            res.warnings.append(
                f"meter: {name}'s face reads T{r.t_stop:.1f} ({r.lux:.0f} lux) against "
                f"the shot's T{r.shot_t_stop:g}: {r.stops:+.1f} stops{at}; "
                f"{_face_remedy(r.stops)}"
            )
    exposure_s = exposure_time_s(scene.camera.shutter_angle_deg, scene.frame_rate)
    res.meter = {
        "iso": scene.camera.iso,
        "exposure_s": exposure_s,
        "frames": sorted(meter_frames),
        "subjects": subjects,
        **(wall or {}),
    }
    overlaps = []
    for (a, b, both), hits in bodies.items():
        frames = [f for f, _ in hits]
        depth = max(d for _, d in hits)
        overlaps.append(
            {"standin": a, "other": b, "other_is_standin": both, "frames": frames, "depth_m": depth}
        )
        what = f"overlaps {b}" if both else f"is inside the set piece '{b}'"
        by = f" by {100 * depth:.0f} cm" if depth > 0 else ""
        res.warnings.append(
            f"collision: {a} {what}{by}" + (f" ({_frames_text(frames)})" if moving else "")
        )
    seen = []
    for (name, part), frames in stands.items():
        seen.append({"light": name, "seen": part, "frames": frames})
        what = "its head" if part == "head" else "its stand"
        res.warnings.append(
            f"light '{name}' in frame ({what})" + (f", {_frames_text(frames)}" if moving else "")
        )
    res.blocking = {
        "overlaps": overlaps,
        "stands_in_frame": seen,
        "tape": [{"subject": k, **v} for k, v in tape.items()],
    }


def meter_lines(r: ShotCheck) -> list[str]:
    """The meter under a shot's row: each face in frame (incident lux, the T-stop it meters, the
    stops against the shot's, key to fill), then the wall's white against the exposure."""
    m = r.meter or {}
    out = []
    for s in m.get("subjects", []):
        at = f" (frame {s['frame']})" if len(m.get("frames", ())) > 1 else ""
        if s["t_stop"] is None:
            out.append(f"        meter: {s['name']}{at} no light on the face")
            continue
        kf = ""
        if s.get("key_fill_stops") is not None:
            kf = (
                f"; key '{s['key']}' to fill '{s['fill']}' {2 ** s['key_fill_stops']:.1f}:1 "
                f"({s['key_fill_stops']:.1f} stops)"
            )
        out.append(
            f"        meter: {s['name']}{at} {s['lux']:.0f} lux = T{s['t_stop']:.1f} at ISO "
            f"{m['iso']:g}, 1/{1 / m['exposure_s']:.0f} s; shot at T{s['shot_t_stop']:g}: "
            f"{s['stops']:+.1f} stops{kf}"
        )
    if m.get("wall_white_stops") is not None:
        out.append(
            f"        meter: wall white {m['wall_white_nits']:g} nits = {m['wall_white_stops']:+.1f} "
            "stops over mid-grey"
        )
    return out
