"""Animatic speed of two versions of previs, run by run in turn on the same machine: another
commit (``--base``, checked out into a temporary git worktree) against this working tree.

This machine's speed drifts over minutes, so two benchmark tables taken a few minutes apart
cannot show a 10 % change; interleaving the two sides run by run (the order swapped every
run) and taking medians can. Each run is one fresh process of bench_animatic.py's child mode
(shot 3A, 48 frames, the same configurations as its table).

    .venv/bin/python bench/compare_commits.py --base 987a623 [--runs 5] [--configs led,png:1;nowall,png:1]

A configuration is ``WALL,WHAT[,LIGHTS]:SCALE``: WALL led, plain or nowall; WHAT render or png
(render + burn-in + PNG); SCALE 1 (native) or 0.5 (draft). LIGHTS (full or half: the lights at
every pixel or at half resolution, `previs animatic --full-res-lighting`) applies to both sides
where the base has half-resolution lighting; an older base lights every pixel. Not a test:
nothing here asserts a timing.
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
from pathlib import Path

from run_bench import machine

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CONFIGS = "led,render:1;led,png:1;plain,png:1;nowall,png:1;led,png:0.5"


def _takes_lighting(root: Path) -> bool:
    """Whether that version's bench_animatic.py takes the lighting in its child configuration
    (from half-resolution lighting on)."""
    return "half_lighting" in (root / "bench" / "bench_animatic.py").read_text(encoding="utf-8")


def _child(root: Path, config: str, frames: int, width: int) -> float:
    wall_what, scale = config.split(":")
    if root != ROOT and not _takes_lighting(root):
        wall_what = ",".join(wall_what.split(",")[:2])  # the base's own default lighting
    # The base worktree's own package goes first on the path (its shaders through the link made
    # in main); this tree is what the virtual environment has installed (editable).
    env = {**os.environ, "PYTHONPATH": str(root)} if root != ROOT else dict(os.environ)
    out = subprocess.run(
        [
            sys.executable,
            str(root / "bench" / "bench_animatic.py"),
            "--child",
            wall_what,
            "--shot",
            "3A",
            "--frames",
            str(frames),
            "--width",
            str(width),
            "--scale",
            scale,
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tempfile.gettempdir(),
    )
    if out.returncode != 0:
        raise SystemExit(
            f"{root}: bench_animatic failed for {config}:\n{out.stderr.strip()[-2000:]}"
        )
    return float(json.loads(out.stdout.strip().splitlines()[-1])["fps"])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", required=True, help="the commit to compare this working tree with")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--frames", type=int, default=48)
    ap.add_argument("--width", type=int, default=1280)
    ap.add_argument(
        "--configs", default=DEFAULT_CONFIGS, help="';'-separated WALL,WHAT[,LIGHTS]:SCALE"
    )
    args = ap.parse_args()
    configs = [c for c in args.configs.split(";") if c]
    m = machine()  # before the runs: the load average says whether the machine was quiet
    rev = subprocess.run(
        ["git", "rev-parse", "--short", args.base], cwd=ROOT, capture_output=True, text=True
    )
    if rev.returncode != 0:
        print(f"--base {args.base}: not a commit of this repository", file=sys.stderr)
        return 2
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    dirty = bool(
        subprocess.run(
            ["git", "status", "--porcelain", "--", "previs", "shaders", "bench"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    with tempfile.TemporaryDirectory(prefix="previs-base-") as tmp:
        base = Path(tmp) / "base"
        subprocess.run(
            ["git", "worktree", "add", "--detach", "-q", str(base), rev.stdout.strip()],
            cwd=ROOT,
            check=True,
        )
        try:
            (base / "previs" / "shaders").symlink_to(base / "shaders", target_is_directory=True)
            sides = {"base": base, "this": ROOT}
            base_lights = _takes_lighting(base)
            fps: dict[tuple[str, str], list[float]] = {}
            for run in range(args.runs):
                for config in configs:
                    order = (
                        ["base", "this"]
                        if (run + configs.index(config)) % 2 == 0
                        else ["this", "base"]
                    )
                    for side in order:
                        fps.setdefault((config, side), []).append(
                            _child(sides[side], config, args.frames, args.width)
                        )
                print(f"run {run + 1} of {args.runs} done", file=sys.stderr, flush=True)
        finally:
            subprocess.run(
                ["git", "worktree", "remove", "--force", str(base)], cwd=ROOT, check=False
            )
    print(
        f"date: {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC; machine: {m['cpu']}, {m['cores']} cores, "
        f"load average at start {m['load_avg_at_start']}"
    )
    print(
        f"base {rev.stdout.strip()} against this tree (HEAD {head}{', with changes' if dirty else ''}); "
        f"shot 3A at {args.width} px, {args.frames} frames, {args.runs} runs each, interleaved; frames/s, median"
    )
    print("| configuration | base | this | change |")
    print("|---|---|---|---|")
    names = {"led": "LED simulation", "plain": "wall drawn plainly", "nowall": "no wall"}
    for config in configs:
        wall_what, scale = config.split(":")
        wall, what, lights = (wall_what.split(",") + ["full"])[:3]
        label = (
            f"{'native' if float(scale) == 1 else f'{float(scale):g} draft'}, {names.get(wall, wall)}, "
            f"{'render + burn-in + PNG' if what == 'png' else 'render'}"
            + (
                ""
                if lights != "half"
                else ", lights at half resolution"
                if base_lights
                else ", this tree's lights at half resolution"
            )
        )
        b, t = statistics.median(fps[(config, "base")]), statistics.median(fps[(config, "this")])
        print(f"| {label} | {b:.2f} | {t:.2f} | {100 * (t - b) / b:+.0f} % |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
