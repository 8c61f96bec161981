"""The previs side of the benchmark: previs renders the bench set.

Run with the project's virtualenv:

    .venv/bin/python bench/previs_side.py --width 1280 --height 720 --shadows off --frames 10

Prints one JSON line: ``load_to_first_frame_s`` (first model file read -> first colour + depth
frame in numpy) and ``steady_fps`` (after the warm-up frames, frames moving along the arc, colour
RGB uint8 and depth float32 read back every frame). Same arguments and output as
``peer_pyrender.py``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import set as bench_set  # bench/set.py, beside this file

# Run from a checkout without an installed previs: the repository root is one level up.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def previs_version() -> str:
    try:
        from importlib.metadata import version

        return version("previs")
    except Exception:  # noqa: BLE001 - not installed: the checkout's own number
        import previs

        return str(getattr(previs, "__version__", "unknown"))


def to_previs_lights(s: bench_set.BenchSet, shadows: bool) -> list:
    from previs.core.scene import Light

    lights = []
    for i, li in enumerate(s.lights):
        if li.type == "spot":
            lights.append(
                Light(
                    name=f"spot{i}",
                    type="spot",
                    color_linear=li.color,
                    intensity=li.intensity,
                    position_m=li.position,
                    direction=li.direction,
                    beam_angle_deg=2.0 * li.inner_cone_deg,  # the set has glTF half angles
                    field_angle_deg=2.0 * li.outer_cone_deg,
                    shadows=shadows and li.shadow,
                )
            )
        else:
            lights.append(
                Light(
                    name=f"sun{i}",
                    type="directional",
                    color_linear=li.color,
                    intensity=li.intensity,
                    direction=li.direction,
                    shadows=shadows and li.shadow,
                )
            )
    return lights


def main(argv=None) -> int:
    args = bench_set.side_parser(__doc__.splitlines()[0]).parse_args(argv)
    base = {
        "side": "previs",
        "width": args.width,
        "height": args.height,
        "shadows": args.shadows == "on",
        "frames": args.frames,
    }
    reason = bench_set.missing_reason(args.set_path)
    if reason:
        bench_set.emit({**base, "skipped": reason})
        return 0
    s = bench_set.load_set(args.set_path)
    shadows = args.shadows == "on"
    n = args.frames

    from previs.io.meshes import load_asset
    from previs.render import CameraView, DrawItem, Renderer

    base["version"] = previs_version()
    aspect = args.width / args.height

    def render(i: int) -> tuple[np.ndarray, np.ndarray]:
        view = CameraView(
            world_from_camera=s.arc.world_from_camera(i, n),
            yfov_rad=s.yfov_rad,
            aspect=aspect,
            near_m=s.znear,
            far_m=s.zfar,
        )
        frame = renderer.render(view, exposure=1.0)
        return frame.color, frame.depth_m

    # ---- load -> first frame: file reads, scene build, context, upload, shaders, first render
    t0 = time.perf_counter()
    items = [
        DrawItem(asset=load_asset(item.asset), world_from_asset=item.world_from_asset)
        for item in s.items
    ]
    renderer = Renderer(width=args.width, height=args.height, antialias=True, shadows=shadows)
    renderer.set_world(items, to_previs_lights(s, shadows))
    color, depth = render(0)
    load_s = time.perf_counter() - t0

    first = bench_set.frame_stats(color, depth, empty_depth=np.inf)
    if args.save_first:
        from PIL import Image

        Image.fromarray(color).save(args.save_first)

    # ---- steady state
    for i in range(args.warmup):
        render(i % n)
    t1 = time.perf_counter()
    for i in range(n):
        color, depth = render(i)
        assert color.dtype == np.uint8 and color.shape[2] == 3 and depth.dtype == np.float32
    steady_s = time.perf_counter() - t1

    gl_renderer = str(renderer.gl_renderer)
    ctx_info = getattr(getattr(renderer, "ctx", None), "info", {}) or {}
    gl_version = getattr(renderer, "gl_version", None) or ctx_info.get("GL_VERSION")
    triangles = getattr(renderer, "triangle_count", None)
    renderer.release()

    bench_set.emit(
        {
            **base,
            "gl_renderer": gl_renderer,
            "gl_version": gl_version,
            "numpy": np.__version__,
            "triangles": int(triangles) if isinstance(triangles, int | np.integer) else None,
            "load_to_first_frame_s": round(load_s, 4),
            "steady_fps": round(n / steady_s, 4),
            "steady_s": round(steady_s, 4),
            "first_frame": first,
        }
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
