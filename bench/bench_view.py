"""The blocking window's frame rate while the camera moves: `previs view` on the example stage in
a 1280x720 window, driven by scripted input (a truck to the right while the mouse pans, the way a
DP lines up a shot), with the adaptive render resolution and at native resolution (the picture's
full width, no adaptation).

    .venv/bin/python bench/bench_view.py [--seconds 4] [--runs 3] [--shot 1A] [--panels]

Starts its own Xvfb when there is no DISPLAY. Each configuration runs in a fresh process: the
window opens, rests (one full frame), then moves for a warm-up second (the adaptive controller
learns the machine) and for ``--seconds`` measured; frames/s is frames shown over wall time. The
median of the runs is printed with the machine, the GL renderers and the date. Not a test: nothing
here asserts a timing.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import select
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENE = ROOT / "scenes" / "led_stage.yaml"


def one_run(shot: str, seconds: float, adaptive: bool, panels: bool) -> dict:
    import glfw

    from previs.view.app import ViewerApp

    app = ViewerApp(SCENE, size=(1280, 720), shot=shot, adaptive=adaptive, panels=panels,
                    autosave_s=1e9)
    try:
        for _ in range(3):
            app.step()
        full = app._image_rect()[2]
        app.on_key(glfw.KEY_D, glfw.PRESS, 0)
        app.on_mouse_move(640, 360)
        app.on_mouse_button(glfw.MOUSE_BUTTON_RIGHT, glfw.PRESS, 0)
        x = 640.0

        def move(duration: float) -> tuple[int, float, list[int]]:
            nonlocal x
            n, widths, t0 = 0, [], time.perf_counter()
            while time.perf_counter() - t0 < duration:
                x += 1.5  # a slow pan to the right while trucking: every frame differs
                app.on_mouse_move(x, 360)
                app.step()
                n += 1
                widths.append(app.render_width)
            return n, time.perf_counter() - t0, widths

        move(1.0)
        n, dt, widths = move(seconds)
        return {"fps": n / dt, "frames": n, "render_width_median": statistics.median(widths),
                "full_width": full, "window_gl": app.gl_renderer, "stage_gl": app.stage_gl_renderer}
    finally:
        app.close()


def _machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}"


def _start_xvfb():
    exe = shutil.which("Xvfb")
    if exe is None:
        sys.exit("bench_view: no DISPLAY and no Xvfb to start")
    r, w = os.pipe()
    proc = subprocess.Popen([exe, "-displayfd", str(w), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                            pass_fds=(w,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(w)
    text = b""
    while not text.endswith(b"\n"):
        ready, _, _ = select.select([r], [], [], 10.0)
        chunk = os.read(r, 64) if ready else b""
        if not chunk:
            proc.kill()
            sys.exit("bench_view: Xvfb did not start")
        text += chunk
    os.close(r)
    os.environ["DISPLAY"] = f":{int(text.strip())}"
    return proc


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=4.0)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--shot", default="1A")
    ap.add_argument("--panels", action="store_true", help="with the side panels (a smaller picture)")
    ap.add_argument("--one", help=argparse.SUPPRESS)  # internal: one run, JSON on stdout
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one_run(args.shot, args.seconds, args.one == "adaptive", args.panels)))
        return 0
    xvfb = _start_xvfb() if not os.environ.get("DISPLAY") else None
    try:
        results = {}
        for mode in ("adaptive", "native"):
            runs = []
            for _ in range(args.runs):
                cmd = [sys.executable, __file__, "--one", mode, "--shot", args.shot, "--seconds", str(args.seconds)]
                if args.panels:
                    cmd.append("--panels")
                out = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=ROOT)
                runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
            results[mode] = runs
    finally:
        if xvfb is not None:
            xvfb.terminate()
            xvfb.wait()
    first = results["adaptive"][0]
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            cwd=ROOT).stdout.strip()
    print(f"previs view, 1280x720 window{' with panels' if args.panels else ''}, shot {args.shot}, "
          f"camera trucking and panning every frame")
    print(f"machine   {_machine()}")
    print(f"GL        window: {first['window_gl']}; renderer: {first['stage_gl']}")
    print(f"date      {datetime.date.today().isoformat()}  commit {commit} (working tree may differ)")
    print(f"runs      {args.runs} fresh processes per mode, {args.seconds:g} s measured after 1 s warm-up")
    for mode, runs in results.items():
        fps = statistics.median(r["fps"] for r in runs)
        w = statistics.median(r["render_width_median"] for r in runs)
        each = ", ".join(f"{r['fps']:.1f}" for r in runs)
        print(f"{mode:<9} {fps:5.1f} frames/s (median; runs {each}), "
              f"render width {w:g} of {runs[0]['full_width']} px")
    return 0


if __name__ == "__main__":
    sys.exit(main())
