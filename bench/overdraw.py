"""Overdraw of the G-buffer pass: fragments that pass the depth test (and so are shaded and
written) per pixel, for the first, middle and last frame of every shot of the example, counted
with a samples-passed query. 1.0 would be every pixel shaded once. Two draw orders of the opaque
batches: the renderer's (front to back by the farthest corner of each batch's bounds) and,
for reference, front to back by the nearest point of the bounds (the order before 9c984d6, which
sent the floor the camera stands over first).

    .venv/bin/python bench/overdraw.py [--width 640] [--shot 3A ...]

The count does not depend on the machine's speed. Not a test: nothing here asserts a value.
"""

from __future__ import annotations

import argparse
import datetime
import statistics
import sys

import numpy as np
from example import SCENE, example_scene_16x9


def _nearest_point_order(geometry, eye: np.ndarray) -> list:
    from previs.render.gl import variant

    def key(b):
        lo, hi = b.world_bounds if b.world_bounds is not None else geometry.batch_bounds(b)
        gap = np.maximum(np.maximum(lo - eye, eye - hi), 0.0)
        return ({"opaque": 0, "masked": 1, "wall": 2}[variant(b.material)], float(gap @ gap))

    return sorted(geometry.batches, key=key)


def _shaded_per_pixel(r, view, order) -> float:
    """The G-buffer pass of ``view`` with the batches in ``order`` (after the frame's own render,
    so every uniform but the camera is set): samples passed over pixels."""
    from previs.render.gl import write

    ctx, gbuffer, geometry = r.ctx, r.targets["gbuffer"], r.geometry_pass
    with ctx:
        gbuffer.scissor = None
        gbuffer.use()
        gbuffer.clear(depth=1.0)
        ctx.enable(ctx.DEPTH_TEST)
        ctx.depth_func = "<"
        for p in {id(b.vao.program): b.vao.program for b in geometry.batches}.values():
            write(p, "u_clip_from_world", view.clip_from_world.T.astype("f4").tobytes())
        query = ctx.query(samples=True)
        with query:
            geometry.draw_batches(order)
        ctx.disable(ctx.DEPTH_TEST)
        ctx.disable(ctx.CULL_FACE)
        return query.samples / (r.width * r.height)  # (read while the context is current)


def main() -> int:
    from previs import api
    from previs.core.frame import evaluate

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--width", type=int, default=640)
    ap.add_argument("--shot", action="append", help="shot id (repeatable); default: all")
    args = ap.parse_args()
    scene = example_scene_16x9()
    shots = [scene.shot(s) for s in args.shot] if args.shot else list(scene.shots)
    print(
        f"date: {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC; {SCENE.name} at {args.width} px wide"
    )
    print("| shot | frame | farthest corner (the renderer's) | nearest point |")
    print("|---|---|---|---|")
    ours, nearest = [], []
    with api.StageRenderer(scene, width=args.width) as stage:
        r = stage._renderer
        for shot in shots:
            for frame in sorted({0, shot.length_frames // 2, shot.length_frames - 1}):
                state = evaluate(scene, shot, frame)
                stage.render(state, read_depth=False)
                view = api.camera_view(state, (r.width, r.height))
                eye = view.world_from_camera[:3, 3]
                ours.append(_shaded_per_pixel(r, view, r.geometry_pass.draw_order(eye)))
                nearest.append(
                    _shaded_per_pixel(r, view, _nearest_point_order(r.geometry_pass, eye))
                )
                print(f"| {shot.id} | {frame} | {ours[-1]:.3f} | {nearest[-1]:.3f} |")
    print(f"| mean | | {statistics.mean(ours):.3f} | {statistics.mean(nearest):.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
