"""Batch scaling: frames/s of `previs animatic` on the example's moving shot in one process and
on Dask worker processes, and the per-task overheads a cluster model needs (scheduling, scene
load and renderer per worker, one frame's write).

    .venv/bin/python bench/bench_scale.py [--frames 48] [--width 640] [--runs 3] [--chunk 8]
        [--configs one,w1c1,w1c2,w2c1]

Configurations (each run in a fresh process, fresh output folder):
  one   previs animatic's own loop in this process (llvmpipe on every core)
  w1c1  1 worker process, llvmpipe on 1 core (LP_NUM_THREADS=1)
  w1c2  1 worker process, llvmpipe on 2 cores
  w2c1  2 worker processes, 1 core each (what --workers auto gives on 2 cores)
Frames/s is over the render phase (the cluster already up; each worker's scene load and renderer
included, as a job pays them); cluster start is printed beside it. Medians of --runs, with the
machine, the GL renderer and the date. Not a test: nothing here asserts a timing.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

SHOT = "3A"


def scene_file(folder: Path, frames: int) -> Path:
    scenes = ROOT / "scenes"
    doc = yaml.safe_load((scenes / "led_stage.yaml").read_text())
    doc["environment"]["gltf"] = str(scenes / doc["environment"]["gltf"])
    for piece in doc["set"]:
        if piece.get("path"):
            piece["path"] = str(scenes / piece["path"])
    shot = next(s for s in doc["shots"] if s["id"] == SHOT)
    # The shot's moves and cues squeezed into ``frames`` (the same move, faster).
    k = (frames - 1) / (shot["length_frames"] - 1)
    for item in shot.get("moves", []) + shot.get("cues", []):
        for f in ("start_frame", "end_frame", "frame"):
            if f in item:
                item[f] = round(item[f] * k)
    for key in shot.get("keys", []):
        if "frame" in key:
            key["frame"] = round(key["frame"] * k)
    shot["length_frames"] = frames
    doc["shots"] = [shot]
    path = folder / "scale.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def one_run(config: str, scene_path: Path, width: int, chunk: int) -> dict:
    from previs import api
    from previs.batch.tasks import split_frames
    from previs.batch.worker import JobSpec
    from previs.core.frame import evaluate
    from previs.export.animatic import (
        BurnIn,
        FrameSequence,
        FrameWriter,
        animatic_cache_key,
        render_frames,
        settings_key,
    )

    scene = api.load_scene(scene_path)
    shot = scene.shot(SHOT)
    key = settings_key(
        width,
        BurnIn(),
        animatic_cache_key(
            scene,
            render_width=width,
            width=width,
            antialias=True,
            shadows=True,
            full_res_lighting=False,
        ),
    )
    size = evaluate(scene, shot, 0).image_size(width)
    with tempfile.TemporaryDirectory() as out:
        seq = FrameSequence(Path(out) / "frames", shot.id, shot.length_frames, size, key=key)
        seq.prepare()
        frames = list(range(shot.length_frames))
        if config == "one":
            t0 = time.perf_counter()
            with api.StageRenderer(scene, width=width, half_res_lighting=True) as r:
                t1 = time.perf_counter()
                writer = FrameWriter()
                try:
                    render_frames(
                        writer,
                        scene,
                        shot,
                        seq,
                        frames,
                        evaluate=evaluate,
                        burn_in=BurnIn(),
                        render_frame=lambda s: (
                            r.render(s, read_depth=False, output_width=width).color
                        ),
                    )
                finally:
                    writer.close()
                t2 = time.perf_counter()
            return {
                "start_s": 0.0,
                "render_s": t2 - t0,
                "frames_per_s": len(frames) / (t2 - t0),
                "renderer_s": t1 - t0,
                "gl_renderer": r._renderer.ctx.info["GL_RENDERER"],
            }
        from previs.batch.dask_runner import DaskRunner

        workers, cores = int(config[1]), int(config[3])
        os.environ["LP_NUM_THREADS"] = str(cores)
        t0 = time.perf_counter()
        runner = DaskRunner(workers=workers)
        start = time.perf_counter() - t0
        try:
            # Scheduling: no-op tasks through the same client, scheduler and workers.
            n_noop = 200
            t0 = time.perf_counter()
            runner.client.gather(runner.client.map(_noop, range(n_noop), pure=False))
            per_task_ms = 1000 * (time.perf_counter() - t0) / n_noop
            spec = JobSpec(
                "animatic",
                str(scene_path),
                _sha(scene_path),
                out,
                lp_threads=cores,
                options={
                    "render": {
                        "width": width,
                        "antialias": True,
                        "shadows": True,
                        "half_res_lighting": True,
                    },
                    "output_width": width,
                    "burn_in": BurnIn(),
                    "key": key,
                    "shots": {shot.id: (seq.frame_count, seq.size)},
                },
            )
            tasks = split_frames("animatic", shot.id, frames, chunk, scope=key)
            results = []
            t0 = time.perf_counter()
            runner.run(spec, tasks, lambda t, r: results.append(r))
            render = time.perf_counter() - t0
        finally:
            runner.close()
    secs = [r["seconds"] for r in results]
    firsts = {}
    for r in results:
        firsts.setdefault(r["worker"], r["seconds"])
    return {
        "start_s": start,
        "render_s": render,
        "frames_per_s": len(frames) / render,
        "noop_task_ms": per_task_ms,
        "tasks": len(tasks),
        "scene_load_s": statistics.median(s["scene"] for s in firsts.values()),
        "renderer_s": statistics.median(s["renderer"] for s in firsts.values()),
        "paths_ms": 1000 * statistics.median(s["paths"] for s in secs),
        "work_per_frame_s": sum(s["work"] for s in secs) / len(frames),
    }


def _noop(i):
    return i


def _sha(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_cost(width: int) -> float:
    """One frame's PNG encoded and written atomically (fsync, rename), seconds, median of 20."""
    import numpy as np

    from previs.export.animatic import encode_png
    from previs.export.atomic import write_atomic

    rng = np.random.default_rng(1)
    h = width * 9 // 16
    img = (rng.random((h, width, 3)) * 64 + np.linspace(0, 180, width)[None, :, None]).astype(
        np.uint8
    )
    times = []
    with tempfile.TemporaryDirectory() as d:
        for i in range(20):
            t0 = time.perf_counter()
            write_atomic(Path(d) / f"f{i}.png", encode_png(img, "k"))
            times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=48)
    ap.add_argument("--width", type=int, default=640)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--chunk", type=int, default=8)
    ap.add_argument("--configs", default="one,w1c1,w1c2,w2c1")
    ap.add_argument("--one", help=argparse.SUPPRESS)  # a child run: CONFIG,SCENE
    args = ap.parse_args()
    if args.one:
        config, scene = args.one.split(",", 1)
        print(json.dumps(one_run(config, Path(scene), args.width, args.chunk)))
        return 0
    from run_bench import machine

    with tempfile.TemporaryDirectory() as d:
        scene = scene_file(Path(d), args.frames)
        rows = {}
        for config in args.configs.split(","):
            runs = []
            for _ in range(args.runs):
                env = {k: v for k, v in os.environ.items() if k != "LP_NUM_THREADS"}
                res = subprocess.run(
                    [
                        sys.executable,
                        __file__,
                        "--one",
                        f"{config},{scene}",
                        "--width",
                        str(args.width),
                        "--chunk",
                        str(args.chunk),
                    ],
                    capture_output=True,
                    text=True,
                    env=env,
                    cwd=ROOT,
                )
                if res.returncode != 0:
                    print(res.stderr, file=sys.stderr)
                    return 1
                runs.append(json.loads(res.stdout.strip().splitlines()[-1]))
            rows[config] = {
                k: statistics.median(r[k] for r in runs) for k in runs[0] if k != "gl_renderer"
            }
            if "gl_renderer" in runs[0]:
                rows[config]["gl_renderer"] = runs[0]["gl_renderer"]
    print(
        json.dumps(
            {
                "machine": machine(),
                "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="minutes"),
                "load_average": os.getloadavg(),
                "frames": args.frames,
                "width": args.width,
                "chunk": args.chunk,
                "runs": args.runs,
                "write_frame_s": write_cost(args.width),
            },
            indent=1,
        )
    )
    print(
        f"{'config':<7}{'frames/s':>10}{'render s':>10}{'start s':>9}{'noop ms':>9}{'scene s':>9}"
        f"{'renderer s':>11}{'paths ms':>10}{'work/frame s':>13}"
    )
    for config, r in rows.items():

        def f(k, fmt, r=r):
            return format(r[k], fmt) if k in r else format("-", f">{fmt.split('.')[0]}")

        print(
            f"{config:<7}{f('frames_per_s', '10.2f')}{f('render_s', '10.2f')}{f('start_s', '9.2f')}"
            f"{f('noop_task_ms', '9.2f')}{f('scene_load_s', '9.3f')}{f('renderer_s', '11.3f')}"
            f"{f('paths_ms', '10.2f')}{f('work_per_frame_s', '13.3f')}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
