"""The blocking window's frame rate while the camera moves: `previs view` on the example stage in
a 1280x720 window, driven by scripted input, with the adaptive render resolution and at native
resolution (the picture's full width, no adaptation, as ``previs view --no-adaptive``).

Two scripted sessions (``--modes``):

* ``move``: a truck to the right while the mouse pans, the way a DP lines up a shot (``--shot``,
  1A); frames/s is frames shown over wall time.
* ``drag``: Space on the moving shot (``--play-shot``), then a character pressed in the camera
  view (picked through the ID pass: the press's time is the picking cost, over 20 presses) and
  dragged to and fro on the floor while the shot plays; frames/s as ``move``.
* ``play``: Space on a moving shot (``--play-shot``, 3A: a dolly with a rack focus, the LED wall
  simulated with the inner frustum from the tracked camera), left to play through the window's
  own run loop (step, then wait for the shot's next frame). Reported: frames drawn per second,
  frames of the shot advanced per second (the shot's rate whatever the machine: a slow machine
  skips frames, never slows the shot) and the median render width of the frames drawn.

    .venv/bin/python bench/bench_view.py [--modes move,play,drag] [--seconds 4] [--runs 3]
                                         [--shot 1A] [--play-shot 3A] [--panels]

Starts its own Xvfb when there is no DISPLAY. Each configuration runs in a fresh process: the
window opens, rests (one full frame), then moves or plays for a warm-up second (the adaptive
controller learns the machine) and for ``--seconds`` measured. The median of the runs is printed
with the machine, the GL renderers and the date. Not a test: nothing here asserts a timing.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from run_bench import machine

from previs.view.xvfb import start_xvfb, stop_xvfb

ROOT = Path(__file__).resolve().parents[1]
SCENE = ROOT / "scenes" / "led_stage.yaml"


def _warm_window(shot: str, adaptive: bool, panels: bool):
    """The window on ``shot`` after three frames; (app, full picture width in px)."""
    from previs.view.app import ViewerApp

    app = ViewerApp(
        SCENE, size=(1280, 720), shot=shot, adaptive=adaptive, panels=panels, autosave_s=1e9
    )
    try:
        for _ in range(3):
            app.step()
    except BaseException:
        app.close()
        raise
    return app, app.image_rect()[2]


def one_play(shot: str, seconds: float, adaptive: bool, panels: bool) -> dict:
    """Space, then the run loop (``step`` + ``idle``) for a warm-up second and ``seconds``."""
    import glfw

    app, full = _warm_window(shot, adaptive, panels)
    try:
        n_frames = app.shot.length_frames
        app.on_key(glfw.KEY_SPACE, glfw.PRESS, 0)
        app.on_key(glfw.KEY_SPACE, glfw.RELEASE, 0)
        assert app.playing

        def play(duration: float) -> dict:
            drawn0, widths, advanced, skipped, prev = app.frames_rendered, [], 0, 0, app.frame
            t0 = time.perf_counter()
            while time.perf_counter() - t0 < duration:
                before = app.frames_rendered
                app.step()
                if app.frames_rendered > before:
                    widths.append(app.render_width)
                step = (app.frame - prev) % n_frames  # the shot loops
                advanced += step
                skipped += max(step - 1, 0)  # shot frames never drawn
                prev = app.frame
                app.idle()
            wall_s = time.perf_counter() - t0
            return {
                "fps": (app.frames_rendered - drawn0) / wall_s,
                "shot_fps": advanced / wall_s,
                "skipped": skipped,
                "advanced": advanced,
                "render_width_median": statistics.median(widths) if widths else 0,
            }

        play(1.0)
        res = play(seconds)
        return {
            **res,
            "full_width": full,
            "window_gl": app.gl_renderer,
            "stage_gl": app.stage_gl_renderer,
            "shot_rate": float(app.scene.frame_rate),
        }
    finally:
        app.close()


def one_run(shot: str, seconds: float, adaptive: bool, panels: bool) -> dict:
    import glfw

    app, full = _warm_window(shot, adaptive, panels)
    try:
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
        return {
            "fps": n / dt,
            "frames": n,
            "render_width_median": statistics.median(widths),
            "full_width": full,
            "window_gl": app.gl_renderer,
            "stage_gl": app.stage_gl_renderer,
        }
    finally:
        app.close()


def _screen_px(app, p) -> tuple[float, float] | None:
    """The window pixel where the camera view shows world point ``p`` (None: off the picture)."""
    import numpy as np

    from previs.core import transforms as tf

    st = app.session.view_state(app.state())
    x, y, w, h = app.image_rect()
    c = (
        tf.perspective(st.yfov_rad, st.image_aspect, st.near_m, st.far_m)
        @ np.linalg.inv(st.world_from_camera)
        @ np.r_[np.asarray(p, float), 1.0]
    )
    if c[3] <= 0:
        return None
    n = c[:3] / c[3]
    if abs(n[0]) > 0.95 or abs(n[1]) > 0.95:
        return None
    return x + (n[0] + 1) / 2 * w, y + (1 - n[1]) / 2 * h


def one_drag(shot: str, seconds: float, adaptive: bool, panels: bool) -> dict:
    """Space on a moving shot, then a character grabbed in the camera view (the press picks it
    through the ID pass) and dragged across the floor while the shot plays; the picking cost is
    the time of a press (the pick) over 20 presses on the character."""
    import glfw
    import numpy as np

    app, full = _warm_window(shot, adaptive, panels)
    try:
        s = app.session
        chars = [p for p in s.scene.set_pieces if p.kind == "standin"]

        def target():
            for p in chars:
                m = p.world_from_local
                px = _screen_px(app, m[:3, 3] + np.array([0.0, 0.5 * p.height_m, 0.0]))
                if px is not None:
                    return p.name, px
            return None, (640.0, 400.0)

        # Picking: press and release on the character 20 times (the picture resting).
        picks, pick_only = [], []
        for _ in range(20):
            name, px = target()
            app.on_mouse_move(*px)
            t0 = time.perf_counter()
            app.pick_at(*px)  # the pick alone: the frame's state and the ID pass
            pick_only.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            app.on_mouse_button(glfw.MOUSE_BUTTON_LEFT, glfw.PRESS, 0)
            picks.append(time.perf_counter() - t0)
            app.on_mouse_button(glfw.MOUSE_BUTTON_LEFT, glfw.RELEASE, 0)
            app.step()
        picked = s.selection.name if s.selection else None
        app.on_key(glfw.KEY_SPACE, glfw.PRESS, 0)
        app.on_key(glfw.KEY_SPACE, glfw.RELEASE, 0)
        name, px = target()
        app.on_mouse_move(*px)
        app.on_mouse_button(glfw.MOUSE_BUTTON_LEFT, glfw.PRESS, 0)
        x, y = px

        def drag(duration: float) -> tuple[int, float, list[int]]:
            nonlocal x
            n, widths, t0 = 0, [], time.perf_counter()
            while time.perf_counter() - t0 < duration:
                x += 2.0 if int(n / 60) % 2 == 0 else -2.0  # to and fro across the floor
                app.on_mouse_move(x, y)
                app.step()
                n += 1
                widths.append(app.render_width)
            return n, time.perf_counter() - t0, widths

        drag(1.0)
        n, dt, widths = drag(seconds)
        dragged = s.drag is not None and s.drag.moved
        app.on_mouse_button(glfw.MOUSE_BUTTON_LEFT, glfw.RELEASE, 0)
        return {
            "fps": n / dt,
            "frames": n,
            "render_width_median": statistics.median(widths),
            "full_width": full,
            "pick_ms_median": 1000 * statistics.median(picks),
            "pick_only_ms_median": 1000 * statistics.median(pick_only),
            "pick_ms_max": 1000 * max(picks),
            "picked": picked,
            "dragged": name if dragged else None,
            "playing": bool(app.playing),
            "window_gl": app.gl_renderer,
            "stage_gl": app.stage_gl_renderer,
        }
    finally:
        app.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--modes", default="move,play", help="move, play, drag (a list; default move,play)"
    )
    ap.add_argument("--seconds", type=float, default=4.0)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--shot", default="1A", help="the shot the move session lines up")
    ap.add_argument("--play-shot", default="3A", help="the shot the play session plays")
    ap.add_argument(
        "--panels", action="store_true", help="with the side panels (a smaller picture)"
    )
    ap.add_argument("--one", help=argparse.SUPPRESS)  # internal: one run, JSON on stdout
    args = ap.parse_args()
    if args.one:
        kind, res = args.one.split(",")
        fn = {"play": one_play, "drag": one_drag}.get(kind, one_run)
        print(json.dumps(fn(args.shot, args.seconds, res == "adaptive", args.panels)))
        return 0
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if not modes or set(modes) - {"move", "play", "drag"}:
        ap.error(f"--modes takes move, play, drag or a list of them, not '{args.modes}'")
    xvfb = None
    if not os.environ.get("DISPLAY"):
        xvfb, os.environ["DISPLAY"] = start_xvfb()
    try:
        results = {}
        for kind in modes:
            shot = args.shot if kind == "move" else args.play_shot
            for res in ("adaptive", "native"):
                runs = []
                for _ in range(args.runs):
                    cmd = [
                        sys.executable,
                        __file__,
                        "--one",
                        f"{kind},{res}",
                        "--shot",
                        shot,
                        "--seconds",
                        str(args.seconds),
                    ]
                    if args.panels:
                        cmd.append("--panels")
                    out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
                    if out.returncode != 0:
                        sys.exit(f"bench_view: a {kind} run failed:\n{out.stderr.strip()}")
                    runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
                results[kind, res] = runs
    finally:
        if xvfb is not None:
            stop_xvfb(xvfb)
    first = next(iter(results.values()))[0]
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
    ).stdout.strip()
    print(
        f"previs view on {SCENE.name}, 1280x720 window{' with panels' if args.panels else ' without panels'}"
    )
    m = machine()
    print(
        f"machine   {m['cpu']}, {m['cores']} cores, {m['os']}, load average at start "
        f"{m['load_avg_at_start']}"
    )
    print(f"GL        window: {first['window_gl']}; renderer: {first['stage_gl']}")
    print(
        f"date      {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC  commit {commit} "
        f"(working tree may differ)"
    )
    print(
        f"runs      {args.runs} fresh processes per row, {args.seconds:g} s measured after 1 s warm-up; "
        f"medians (each run in brackets)"
    )
    for (kind, res), runs in results.items():
        fps = statistics.median(r["fps"] for r in runs)
        w = statistics.median(r["render_width_median"] for r in runs)
        each = ", ".join(f"{r['fps']:.1f}" for r in runs)
        width = f"render width {w:g} of {runs[0]['full_width']} px"
        if kind == "drag":
            pick = statistics.median(r["pick_ms_median"] for r in runs)
            pick_max = max(r["pick_ms_max"] for r in runs)
            pick_only = statistics.median(r["pick_only_ms_median"] for r in runs)
            print(
                f"drag {args.play_shot:<4} {res:<9} {fps:5.1f} frames/s drawn [{each}], {width}, "
                f"picking {pick_only:.2f} ms (the whole press {pick:.2f}, max {pick_max:.2f}); "
                f"picked {runs[0]['picked']}, "
                f"dragged {runs[0]['dragged']} while playing: {runs[0]['playing']}"
            )
        elif kind == "move":
            print(
                f"move {args.shot:<4} {res:<9} {fps:5.1f} frames/s drawn [{each}], {width}  "
                f"(trucking and panning every frame)"
            )
        else:
            shot_fps = statistics.median(r["shot_fps"] for r in runs)
            each_shot = ", ".join(f"{r['shot_fps']:.1f}" for r in runs)
            skipped = ", ".join(f"{r['skipped']}/{r['advanced']}" for r in runs)
            print(
                f"play {args.play_shot:<4} {res:<9} {fps:5.1f} frames/s drawn [{each}], shot advancing "
                f"{shot_fps:.1f} frames/s [{each_shot}] (its rate: {runs[0]['shot_rate']:g}), {width}, "
                f"shot frames skipped [{skipped}]"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
