"""Animatic speed on the example stage, recorded 16:9 (ALEXA 35 4.6K 16:9) so frames are exactly
1280x720 or 1920x1080: frames/s with the full LED simulation (inner frustum from the tracked
camera, wall light, LED grid), with the wall drawn plainly (outer frustum only), and without the
wall; rendering only, and rendering plus finishing each frame as `previs animatic` does before
encoding (burn-ins, PNG written on its worker thread, previs.export.animatic.FrameWriter). With
--scales 1,0.5 it also measures the draft render scale of `previs animatic --scale` (rendered at
half the width, scaled up to full size on the GPU with a bicubic pass, burn-ins at full size).
With --lighting half,full it measures the lights at half resolution (the animatic's default) and
at every pixel (`previs animatic --full-res-lighting`).

    .venv/bin/python bench/bench_animatic.py [--frames 48] [--runs 3] [--shot 3A] [--widths 1280,1920] [--scales 1]
        [--walls led,plain,nowall] [--lighting half,full] [--cpu]

Each configuration runs in a fresh process; the median of the runs is printed with the machine,
the GL renderer and the date. Not a test: nothing here asserts a timing.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import os
import resource
import statistics
import subprocess
import sys
import time

from example import SCENE, example_scene_16x9
from run_bench import machine


def one_run(
    shot_id: str,
    frames: int,
    wall: str,
    write_png: bool,
    width: int,
    scale: float,
    passes: bool = False,
    half_lighting: bool = False,
) -> dict:
    import tempfile

    from previs import api
    from previs.core.frame import evaluate
    from previs.export.animatic import BurnIn, FrameSequence, FrameWriter, burn_in_lines

    scene = example_scene_16x9()
    if wall == "nowall":
        scene = dataclasses.replace(scene, stage=None)
    elif wall == "plain":
        stage = scene.stage
        inner = dataclasses.replace(stage.inner_frustum, enabled=False)
        scene = dataclasses.replace(scene, stage=dataclasses.replace(stage, inner_frustum=inner))
    shot = scene.shot(shot_id)
    n = min(frames, shot.length_frames)
    states = [evaluate(scene, shot, f) for f in range(n)]
    render_width = max(16, round(width * scale))
    with (
        api.StageRenderer(scene, width=render_width, half_res_lighting=half_lighting) as r,
        tempfile.TemporaryDirectory() as tmp,
    ):
        seq = FrameSequence(tmp, shot_id, shot.length_frames, states[0].image_size(width))
        seq.prepare()
        writer = FrameWriter()
        r.render(states[0], read_depth=False, output_width=width if scale != 1 else None)  # warm-up
        timers = {}
        if passes:  # the GPU is drained after every pass, so the passes add up to the frame
            timers = {"": r._renderer} | ({"inner frustum ": r._wall._renderer} if r._wall else {})
            for t in timers.values():
                t.pass_ms = {}
        t0, thread0, usage0 = (
            time.perf_counter(),
            time.thread_time(),
            resource.getrusage(resource.RUSAGE_SELF),
        )
        for f, st in enumerate(states):
            frame = r.render(st, read_depth=False, output_width=width if scale != 1 else None)
            if write_png:
                writer.submit(seq, f, frame.color, burn_in_lines(st, scene, BurnIn()))
        writer.close()
        dt = time.perf_counter() - t0
        thread_s, usage1 = time.thread_time() - thread0, resource.getrusage(resource.RUSAGE_SELF)
        cpu_s = usage1.ru_utime + usage1.ru_stime - usage0.ru_utime - usage0.ru_stime
        size = (frame.color.shape[1], frame.color.shape[0])
        pass_ms = {prefix + k: v / n for prefix, t in timers.items() for k, v in t.pass_ms.items()}
        return {
            "fps": n / dt,
            "frames": n,
            "size": size,
            "gl_renderer": r.gl_renderer,
            "pass_ms": pass_ms,
            "render_thread_ms": 1000.0 * thread_s / n,
            "cores": cpu_s / dt,
        }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=48)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--shot", default="3A")
    ap.add_argument("--widths", default="1280,1920")
    ap.add_argument("--scales", default="1", help="render scales, e.g. 1,0.5 (0.5: the draft)")
    ap.add_argument("--walls", default="led,plain,nowall")
    ap.add_argument(
        "--lighting",
        default="half",
        help="half and/or full: the lights at half resolution (previs animatic's default) or "
        "at every pixel (its --full-res-lighting); --passes takes the first",
    )
    ap.add_argument(
        "--cpu",
        action="store_true",
        help="also the render thread's CPU time a frame (while it works llvmpipe's threads wait "
        "between passes) and the process's CPU time over the wall time (cores busy)",
    )
    ap.add_argument(
        "--passes",
        action="store_true",
        help="instead: milliseconds per pass (LED simulation, render only, native), draining "
        "the GPU after each pass",
    )
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--width", type=int, default=1280, help=argparse.SUPPRESS)
    ap.add_argument("--scale", type=float, default=1.0, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        wall, png, lighting = (args.child.split(",") + ["full"])[:3]
        print(
            json.dumps(
                one_run(
                    args.shot,
                    args.frames,
                    wall,
                    png == "png",
                    args.width,
                    args.scale,
                    args.passes,
                    lighting == "half",
                )
            )
        )
        return 0
    if args.passes:
        return print_passes(args)
    configs = [
        (w, sc, wall, png, lit)
        for sc in (float(x) for x in args.scales.split(","))
        for w in (int(x) for x in args.widths.split(","))
        for lit in args.lighting.split(",")
        for wall in args.walls.split(",")
        for png in ("render", "png")
    ]
    rows = []
    renderer = "?"
    for width, scale, wall, png, lit in configs:
        fps, thread_ms, cores = [], [], []
        for _ in range(args.runs):
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--child",
                    f"{wall},{png},{lit}",
                    "--shot",
                    args.shot,
                    "--frames",
                    str(args.frames),
                    "--width",
                    str(width),
                    "--scale",
                    str(scale),
                ],
                capture_output=True,
                text=True,
                check=True,
                env={**os.environ},
            )
            res = json.loads(out.stdout.strip().splitlines()[-1])
            fps.append(res["fps"])
            thread_ms.append(res["render_thread_ms"])
            cores.append(res["cores"])
            renderer, size = res["gl_renderer"], res["size"]
        rows.append(
            (
                wall,
                png,
                statistics.median(fps),
                size,
                scale,
                lit,
                statistics.median(thread_ms),
                statistics.median(cores),
            )
        )
    print(f"date: {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC")
    m = machine()
    print(f"machine: {m['cpu']}, {m['cores']} cores; GL: {renderer}")
    print(
        f"shot {args.shot} of {SCENE.name}, {args.frames} frames, median of {args.runs} fresh processes"
    )
    names = {"led": "LED simulation", "plain": "wall drawn plainly", "nowall": "no wall"}
    cpu = (
        (" render thread, CPU ms a frame | CPU cores busy |", "---|---|") if args.cpu else ("", "")
    )
    print("| output | render scale | lights | wall | per frame | frames/s |" + cpu[0])
    print("|---|---|---|---|---|---|" + cpu[1])
    for wall, png, f, size, scale, lit, thread_ms, cores in rows:
        what = "render + burn-in + PNG" if png == "png" else "render"
        print(
            f"| {size[0]}x{size[1]} | {'native' if scale == 1 else f'{scale:g} (draft)'} | {lit} resolution "
            f"| {names[wall]} | {what} | {f:.2f} |"
            + (f" {thread_ms:.1f} | {cores:.2f} |" if args.cpu else "")
        )
    return 0


def print_passes(args) -> int:
    print(f"date: {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC")
    print(
        f"shot {args.shot} of {SCENE.name}, LED simulation, render only, {args.frames} frames, "
        f"median of {args.runs} fresh processes; ms per frame"
    )
    for width in (int(x) for x in args.widths.split(",")):
        runs = []
        for _ in range(args.runs):
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--child",
                    f"led,render,{args.lighting.split(',')[0]}",
                    "--passes",
                    "--shot",
                    args.shot,
                    "--frames",
                    str(args.frames),
                    "--width",
                    str(width),
                ],
                capture_output=True,
                text=True,
                check=True,
            )
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
        size = runs[0]["size"]
        print(
            f"{size[0]}x{size[1]} ({runs[0]['gl_renderer']}): {statistics.median(r['fps'] for r in runs):.2f} "
            f"frames/s with the GPU drained after each pass"
        )
        for name in runs[0]["pass_ms"]:
            print(
                f"  {name:32s} {statistics.median(r['pass_ms'].get(name, 0.0) for r in runs):7.1f} ms"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
