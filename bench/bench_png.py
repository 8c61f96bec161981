"""Encoding one animatic frame as PNG: previs's encoder (Sub filter, deflate level 1 with the
run-length strategy) with zlib-ng and with the standard library's zlib, and PIL at compress level
1 (adaptive filters), on shot 3A frame 60 of the example rendered at 1280x720. Median of --runs,
milliseconds and megabytes; every PNG is decoded with PIL and compared with the frame.

    .venv/bin/python bench/bench_png.py [--runs 15]

Not a test: nothing here asserts a timing.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import io
import statistics
import time
import zlib
from pathlib import Path
from unittest import mock

import numpy as np
from PIL import Image
from run_bench import machine

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    from previs import api
    from previs.core.frame import evaluate
    from previs.export import animatic

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    scene = api.load_scene(ROOT / "scenes" / "led_stage.yaml")
    scene = dataclasses.replace(scene, camera=dataclasses.replace(scene.camera, mode="4.6k-16-9"))
    with api.StageRenderer(scene, width=1280) as r:
        frame = r.render(evaluate(scene, "3A", 60), read_depth=False).color

    def pil(rgb):
        buf = io.BytesIO()
        Image.fromarray(rgb).save(buf, format="PNG", compress_level=1)
        return buf.getvalue()

    def stdlib_zlib(rgb):
        with mock.patch.object(animatic, "zlib_ng", zlib):
            return animatic.encode_png(rgb)

    m = machine()
    print(f"date: {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC; {m['cpu']}, {m['cores']} cores")
    print(f"shot 3A frame 60 at {frame.shape[1]}x{frame.shape[0]}, median of {args.runs}")
    print("| encoder | ms | MB |")
    print("|---|---|---|")
    for name, fn in (("previs (zlib-ng)", animatic.encode_png), ("previs (stdlib zlib)", stdlib_zlib),
                     ("PIL, compress level 1", pil)):
        times = []
        for _ in range(args.runs):
            t = time.perf_counter()
            data = fn(frame)
            times.append(time.perf_counter() - t)
        back = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
        assert np.array_equal(back, frame), name
        print(f"| {name} | {1000 * statistics.median(times):.1f} | {len(data) / 1e6:.3f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
