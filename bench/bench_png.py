"""Encoding one animatic frame as PNG: previs's encoder (Sub filter, ISA-L's deflate at level 1)
against the same filter deflated at level 1 with the run-length strategy by zlib-ng (the encoder
before, where the zlib-ng package is installed) and by the standard library's zlib, and PIL at
compress level 1 (adaptive filters), on shot 3A frame 60 of the example rendered at 1280x720.
Median of --runs, milliseconds and megabytes; every PNG is decoded with PIL and compared with the
frame.

    .venv/bin/python bench/bench_png.py [--runs 15]

Not a test: nothing here asserts a timing.
"""

from __future__ import annotations

import argparse
import datetime
import io
import statistics
import time
import zlib
from unittest import mock

import numpy as np
from example import example_scene_16x9
from PIL import Image
from run_bench import machine


def main() -> int:
    from previs import api
    from previs.core.frame import evaluate
    from previs.export import animatic

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    scene = example_scene_16x9()
    with api.StageRenderer(scene, width=1280) as r:
        frame = r.render(evaluate(scene, "3A", 60), read_depth=False).color

    def pil(rgb):
        buf = io.BytesIO()
        Image.fromarray(rgb).save(buf, format="PNG", compress_level=1)
        return buf.getvalue()

    def run_length(module):  # level 1, run-length strategy, as previs deflated before ISA-L
        def deflate(data):
            z = module.compressobj(1, module.DEFLATED, 15, 9, module.Z_RLE)
            return z.compress(data) + z.flush()

        def encode(rgb):
            with mock.patch.object(animatic, "_deflate", deflate):
                return animatic.encode_png(rgb)

        return encode

    encoders = [("previs (ISA-L level 1)", animatic.encode_png)]
    try:
        from zlib_ng import zlib_ng

        encoders.append(("zlib-ng level 1, run-length", run_length(zlib_ng)))
    except ImportError:
        print("(zlib-ng is not installed: its row is left out)")
    encoders += [
        ("stdlib zlib level 1, run-length", run_length(zlib)),
        ("PIL, compress level 1", pil),
    ]

    m = machine()
    print(
        f"date: {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC; {m['cpu']}, {m['cores']} cores"
    )
    print(f"shot 3A frame 60 at {frame.shape[1]}x{frame.shape[0]}, median of {args.runs}")
    print("| encoder | ms | MB |")
    print("|---|---|---|")
    for name, fn in encoders:
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
