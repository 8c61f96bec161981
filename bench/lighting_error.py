"""How far frames lit at half resolution (Renderer.half_res_lighting: the animatic's default and
the window's while the camera moves) are from the same frames lit at every pixel: for the first,
middle and last frame of every shot of the example, the per-pixel difference in 8-bit levels
(the largest of the three channels) as mean, 99th and 99.9th percentile and maximum.

    .venv/bin/python bench/lighting_error.py [--width 1280] [--shot 3A ...]

Not a test (tests/test_half_res_lighting.py holds the bounds); this prints the whole picture.
"""

from __future__ import annotations

import argparse
import datetime

import numpy as np
from example import SCENE


def main() -> int:
    from previs import api
    from previs.core.frame import evaluate

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--width", type=int, default=1280)
    ap.add_argument("--shot", action="append", help="shot id (repeatable); default: all")
    args = ap.parse_args()
    scene = api.load_scene(SCENE)
    shots = [scene.shot(s) for s in args.shot] if args.shot else list(scene.shots)
    print(
        f"date: {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC; {SCENE.name} at {args.width} px wide"
    )
    print(
        "| shot | frame | mean | 99th percentile | 99.9th percentile | max | pixels over 8 levels |"
    )
    print("|---|---|---|---|---|---|---|")
    with api.StageRenderer(scene, width=args.width) as r:
        for shot in shots:
            for frame in sorted({0, shot.length_frames // 2, shot.length_frames - 1}):
                state = evaluate(scene, shot, frame)
                out = {}
                for half in (False, True):
                    r.half_res_lighting = half
                    out[half] = r.render(state, read_depth=False).color.astype(np.int16)
                d = np.abs(out[True] - out[False]).max(axis=2)
                print(
                    f"| {shot.id} | {frame} | {d.mean():.3f} | {np.percentile(d, 99):.0f} | "
                    f"{np.percentile(d, 99.9):.0f} | {d.max()} | {100 * (d > 8).mean():.2f} % |"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
