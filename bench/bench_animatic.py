"""Animatic speed on the example stage, recorded 16:9 (ALEXA 35 4.6K 16:9) so frames are exactly
1280x720 or 1920x1080: frames/s with the full LED simulation (inner frustum from the tracked
camera, wall light, LED grid), with the wall drawn plainly (outer frustum only), and without the
wall; rendering only, and rendering plus writing each frame as a PNG (what `previs animatic` does
before encoding).

    .venv/bin/python bench/bench_animatic.py [--frames 48] [--runs 3] [--shot 3A] [--widths 1280,1920]

Each configuration runs in a fresh process; the median of the runs is printed with the machine,
the GL renderer and the date. Not a test: nothing here asserts a timing.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import io
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENE = ROOT / "scenes" / "led_stage.yaml"


def one_run(shot_id: str, frames: int, wall: str, write_png: bool, width: int) -> dict:
    from PIL import Image

    from previs import api
    from previs.core.frame import evaluate

    scene = api.load_scene(SCENE)
    scene = dataclasses.replace(scene, camera=dataclasses.replace(scene.camera, mode="4.6k-16-9"))
    if wall == "nowall":
        scene = dataclasses.replace(scene, stage=None)
    elif wall == "plain":
        stage = scene.stage
        inner = dataclasses.replace(stage.inner_frustum, enabled=False)
        scene = dataclasses.replace(scene, stage=dataclasses.replace(stage, inner_frustum=inner))
    shot = scene.shot(shot_id)
    n = min(frames, shot.length_frames)
    states = [evaluate(scene, shot, f) for f in range(n)]
    with api.StageRenderer(scene, width=width) as r:
        r.render(states[0], read_depth=False)  # warm-up: shaders, shadow maps, wall capture
        t0 = time.perf_counter()
        for st in states:
            frame = r.render(st, read_depth=False)
            if write_png:
                buf = io.BytesIO()
                Image.fromarray(frame.color).save(buf, format="PNG", compress_level=3)
        dt = time.perf_counter() - t0
        size = frame.color.shape[1], frame.color.shape[0]
        return {"fps": n / dt, "frames": n, "size": size, "gl_renderer": r.gl_renderer}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=48)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--shot", default="3A")
    ap.add_argument("--widths", default="1280,1920")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--width", type=int, default=1280, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        wall, png = args.child.split(",")
        print(json.dumps(one_run(args.shot, args.frames, wall, png == "png", args.width)))
        return 0
    configs = [(w, wall, png) for w in (int(x) for x in args.widths.split(","))
               for wall in ("led", "plain", "nowall") for png in ("render", "png")]
    rows = []
    renderer = "?"
    for width, wall, png in configs:
        fps = []
        for _ in range(args.runs):
            out = subprocess.run([sys.executable, __file__, "--child", f"{wall},{png}", "--shot", args.shot,
                                  "--frames", str(args.frames), "--width", str(width)],
                                 capture_output=True, text=True, check=True, env={**os.environ})
            res = json.loads(out.stdout.strip().splitlines()[-1])
            fps.append(res["fps"])
            renderer, size = res["gl_renderer"], res["size"]
        rows.append((wall, png, statistics.median(fps), size))
    print(f"date: {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; GL: {renderer}")
    print(f"shot {args.shot} of {SCENE.name}, {args.frames} frames, median of {args.runs} fresh processes")
    names = {"led": "LED simulation", "plain": "wall drawn plainly", "nowall": "no wall"}
    print("| output | wall | per frame | frames/s |")
    print("|---|---|---|---|")
    for wall, png, f, size in rows:
        print(f"| {size[0]}x{size[1]} | {names[wall]} | {'render + PNG' if png == 'png' else 'render'} | {f:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
