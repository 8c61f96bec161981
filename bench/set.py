"""The bench set (``shared/bench/previs_set.json``) as plain numpy, shared by both sides.

Needs only the standard library and numpy (1.x or 2.x): it runs in the pyrender virtualenv,
which has no previs. Axes follow glTF: metres, +Y up, cameras look down -Z; matrices are float64
with column vectors (``p' = M @ p``).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED = REPO_ROOT.parent / "shared"
DEFAULT_SET = SHARED / "bench" / "previs_set.json"


@dataclass(frozen=True)
class SetItem:
    asset: Path  # absolute path of the model file
    world_from_asset: np.ndarray  # 4x4 float64 = T · R_y · S


@dataclass(frozen=True)
class SetLight:
    type: str  # "spot" | "directional"
    color: tuple[float, float, float]
    intensity: float  # candela (spot), lux (directional)
    direction: tuple[float, float, float]  # unit vector, the way the light travels
    position: tuple[float, float, float] | None = None  # spot only
    inner_cone_deg: float = 0.0  # glTF-style half angles (spot only)
    outer_cone_deg: float = 0.0
    shadow: bool = True


@dataclass(frozen=True)
class ArcPath:
    center: tuple[float, float, float]
    radius: float
    height: float
    start_deg: float
    sweep_deg: float
    look_at: tuple[float, float, float]

    def eye(self, i: int, n: int) -> np.ndarray:
        """The eye of frame ``i`` of ``n`` (t = i / (n - 1); a single frame sits at the start)."""
        t = i / (n - 1) if n > 1 else 0.0
        a = math.radians(self.start_deg + t * self.sweep_deg)
        cx, _, cz = self.center
        return np.array(
            [cx + self.radius * math.sin(a), self.height, cz + self.radius * math.cos(a)],
            dtype=np.float64,
        )

    def world_from_camera(self, i: int, n: int) -> np.ndarray:
        return look_at(self.eye(i, n), self.look_at)


@dataclass(frozen=True)
class BenchSet:
    path: Path
    name: str
    items: tuple[SetItem, ...]
    lights: tuple[SetLight, ...]
    yfov_rad: float
    znear: float
    zfar: float
    arc: ArcPath

    @property
    def asset_paths(self) -> list[Path]:
        """The distinct model files, in first-use order."""
        return list(dict.fromkeys(item.asset for item in self.items))


# ---------------------------------------------------------------- small numpy helpers
def unit(v) -> np.ndarray:
    v = np.asarray(v, dtype=np.float64)
    n = float(np.linalg.norm(v))
    if n < 1e-12:
        raise ValueError(f"zero-length vector {v.tolist()}")
    return v / n


def translation(t) -> np.ndarray:
    m = np.eye(4)
    m[:3, 3] = np.asarray(t, dtype=np.float64)
    return m


def rotation_y(deg: float) -> np.ndarray:
    c, s = math.cos(math.radians(deg)), math.sin(math.radians(deg))
    return np.array([[c, 0, s, 0], [0, 1, 0, 0], [-s, 0, c, 0], [0, 0, 0, 1]], dtype=np.float64)


def scaling(s: float) -> np.ndarray:
    return np.diag([float(s), float(s), float(s), 1.0])


def look_at(eye, target, up=(0.0, 1.0, 0.0)) -> np.ndarray:
    """World-from-camera of a camera at ``eye`` looking at ``target`` (camera -Z forward, +Y up);
    the same construction as ``previs.core.transforms.look_at``."""
    eye = np.asarray(eye, dtype=np.float64)
    fwd = unit(np.asarray(target, dtype=np.float64) - eye)
    right = np.cross(fwd, np.asarray(up, dtype=np.float64))
    if np.linalg.norm(right) < 1e-9:  # looking straight up or down
        right = np.cross(fwd, (0.0, 0.0, -1.0 if fwd[1] > 0 else 1.0))
    right = unit(right)
    true_up = np.cross(right, fwd)
    m = np.eye(4)
    m[:3, 0], m[:3, 1], m[:3, 2], m[:3, 3] = right, true_up, -fwd, eye
    return m


def pose_along(direction, position=(0.0, 0.0, 0.0)) -> np.ndarray:
    """A pose whose -Z axis points along ``direction`` (for lights), placed at ``position``."""
    position = np.asarray(position, dtype=np.float64)
    return look_at(position, position + unit(direction))


# ---------------------------------------------------------------- loading
def missing_reason(set_path: Path | str | None = None) -> str | None:
    """Why the set cannot be used here (set file or a model file absent), or None."""
    set_path = Path(set_path) if set_path else DEFAULT_SET
    if not set_path.is_file():
        return f"bench set not found: {set_path} (the shared assets are not on this machine)"
    try:
        bench_set = load_set(set_path)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return f"bench set {set_path} unreadable: {exc}"
    for p in bench_set.asset_paths:
        if not p.is_file():
            return f"bench asset not found: {p}"
    return None


def _vec3(v) -> tuple[float, float, float]:
    x, y, z = (float(c) for c in v)
    return (x, y, z)


def load_set(set_path: Path | str | None = None) -> BenchSet:
    set_path = Path(set_path) if set_path else DEFAULT_SET
    doc = json.loads(set_path.read_text(encoding="utf-8"))
    root = (set_path.parent / doc.get("assets_root", "../assets")).resolve()

    items = []
    for it in doc["items"]:
        m = (
            translation(it.get("translation", (0.0, 0.0, 0.0)))
            @ rotation_y(float(it.get("rotation_y_deg", 0.0)))
            @ scaling(float(it.get("scale", 1.0)))
        )
        items.append(SetItem(asset=root / it["asset"], world_from_asset=m))

    lights = []
    for li in doc["lights"]:
        kind = li["type"]
        common = dict(
            color=_vec3(li.get("color", (1.0, 1.0, 1.0))),
            intensity=float(li["intensity"]),
            shadow=bool(li.get("shadow", True)),
        )
        if kind == "spot":
            pos = _vec3(li["position"])
            lights.append(
                SetLight(
                    type="spot",
                    position=pos,
                    direction=_vec3(unit(np.subtract(li["target"], pos))),
                    inner_cone_deg=float(li["inner_cone_deg"]),
                    outer_cone_deg=float(li["outer_cone_deg"]),
                    **common,
                )
            )
        elif kind == "directional":
            lights.append(
                SetLight(type="directional", direction=_vec3(unit(li["direction"])), **common)
            )
        else:
            raise ValueError(f"unsupported light type {kind!r}")

    cam = doc["camera"]
    path = cam["path"]
    if path.get("type", "arc") != "arc":
        raise ValueError(f"unsupported camera path type {path.get('type')!r}")
    arc = ArcPath(
        center=_vec3(path["center"]),
        radius=float(path["radius"]),
        height=float(path["height"]),
        start_deg=float(path["start_deg"]),
        sweep_deg=float(path["sweep_deg"]),
        look_at=_vec3(path["look_at"]),
    )
    return BenchSet(
        path=set_path,
        name=str(doc.get("name", set_path.stem)),
        items=tuple(items),
        lights=tuple(lights),
        yfov_rad=math.radians(float(cam["yfov_deg"])),
        znear=float(cam["znear"]),
        zfar=float(cam["zfar"]),
        arc=arc,
    )


# ---------------------------------------------------------------- shared by both sides
def frame_stats(color: np.ndarray, depth: np.ndarray, empty_depth: float) -> dict:
    """A few numbers about a frame, so that a side that renders nothing is noticed.

    ``empty_depth`` is what the side writes where nothing was drawn (pyrender 0, previs inf).
    """
    if empty_depth == 0.0:
        hit = depth > 0.0
    else:
        hit = np.isfinite(depth)
    return {
        "shape": [int(s) for s in color.shape],
        "color_dtype": str(color.dtype),
        "depth_dtype": str(depth.dtype),
        "coverage": round(float(hit.mean()), 4),
        "mean_rgb": [round(float(c), 2) for c in color.reshape(-1, color.shape[-1]).mean(axis=0)],
        "median_depth_m": round(float(np.median(depth[hit])), 3) if hit.any() else None,
    }


def side_parser(description: str):
    """The command line both sides take (the driver passes the same arguments to each)."""
    import argparse

    p = argparse.ArgumentParser(description=description)
    p.add_argument("--width", type=int, default=1920)
    p.add_argument("--height", type=int, default=1080)
    p.add_argument("--shadows", choices=("on", "off"), default="on")
    p.add_argument("--frames", type=int, default=50, help="timed frames along the arc (default 50)")
    p.add_argument("--warmup", type=int, default=3, help="untimed frames first (default 3)")
    p.add_argument("--set", dest="set_path", default=None, help="the set file (default: shared)")
    p.add_argument("--save-first", default=None, help="write the first frame to this PNG")
    return p


def emit(result: dict) -> None:
    """Print the one JSON line of results the driver reads (the last line of stdout)."""
    print(json.dumps(result), flush=True)
