"""One render pass of a real frame with the shaders of another commit against this tree's,
in turn in one process: the way to tell whether a shader change makes a pass faster.

The frame (default: shot 3A, frame 60 of the example stage, 1280x720, the LED simulation, the
lights at half resolution) is rendered once; then the chosen pass is drawn again and again on
its inputs, alternating the two shader versions round by round, each draw waited for. Medians
of the rounds, in ms. Whole-frame speed is bench_animatic.py's and compare_commits.py's job;
this one isolates a pass from the machine's drift between runs.

    .venv/bin/python bench/bench_pass.py --base COMMIT|FOLDER [--pass resolve] [--rounds 10]
        [--shot 3A] [--frame 60] [--width 1280]

Passes: gbuffer (the set and the wall), half (the lights at half resolution), resolve, lighting
(every pixel lit, as `previs animatic --full-res-lighting`), post (FXAA: in one pass, or as
marks and then FXAA where marked, whichever the shaders have). The other commit's
shaders run with this tree's Python, so commits whose shaders take other inputs will not
compare. Not a test: nothing here asserts a timing.
"""

from __future__ import annotations

import argparse
import datetime
import statistics
import subprocess
import sys
import time
from pathlib import Path

from example import ROOT, SCENE, example_scene_16x9
from run_bench import machine

PASSES = ("gbuffer", "half", "resolve", "lighting", "post")


def _sources(base: str | None):
    """A shader_source for this tree (None), a folder of shaders, or the shaders/ of a commit."""
    import previs.render.context as context

    if base is None:
        return context.shader_source
    if Path(base).is_dir():  # an experiment not yet committed
        return context.shader_sources(lambda name: (Path(base) / name).read_text(encoding="utf-8"))
    return context.shader_sources(
        lambda name: (
            subprocess.run(
                ["git", "show", f"{base}:shaders/{name}"],
                cwd=ROOT,
                check=True,
                capture_output=True,
                text=True,
            ).stdout
        )
    )


class _Frame:
    """The renderer after one frame, and a way to draw one of its passes with given shaders."""

    def __init__(self, shot_id: str, frame: int, width: int):
        from previs import api
        from previs.core.frame import evaluate

        scene = example_scene_16x9()
        self.stage = api.StageRenderer(scene, width=width, half_res_lighting=True)
        r = self.r = self.stage._renderer
        state = evaluate(scene, scene.shot(shot_id), frame)
        self.stage.render(state, read_depth=False)
        self.view, self.exposure = api.camera_view(state, (r.width, r.height)), state.exposure_scale
        r.ctx.__enter__()  # stays current: the passes below are drawn on their own
        self.programs: dict[str, object] = {}

    def compile(self, name: str, source, which: str) -> None:
        import previs.render.context as context
        from previs.render.gl import vertex_array

        r = self.r
        keep = context.shader_source
        context.shader_source = source
        try:
            if which == "gbuffer":  # one program per material variant, shared as the renderer does
                geometry = r.geometry_pass
                geometry.programs = {}
                vaos = [
                    vertex_array(r.ctx, geometry.gbuffer_program(b.material), b.vbo, b.ibo)
                    for b in geometry.batches
                ]
                self.programs[name] = (geometry.programs, vaos)
            elif which == "post":  # FXAA as two passes (marks, then FXAA where marked) or one
                r.post_pass.programs = {}
                self.programs[name] = {
                    v: r.post_pass.program(v)
                    for v in (("mark", "fxaa") if "FXAA_MARK" in source("post.frag") else ("fxaa",))
                }
            else:
                lighting = r.lighting_pass
                key = lighting.variant("display", "surface" if which == "lighting" else which)
                lighting.programs.pop(
                    key, None
                )  # (the renderer's own, left for the GC: still in use)
                self.programs[name] = lighting.program(key.mode, key.part)
        finally:
            context.shader_source = keep

    def draw(self, name: str, which: str) -> None:
        r, ctx, t, view = self.r, self.r.ctx, self.r.targets, self.view
        size = (r.width, r.height)
        if which == "gbuffer":  # the renderer's own geometry pass, with this side's programs
            geometry = r.geometry_pass
            geometry.programs, vaos = self.programs[name]
            for b, vao in zip(geometry.batches, vaos, strict=True):
                b.vao = vao
            walls = geometry.draw_set(t, view, None)
            geometry.draw_wall(t, walls, view, r.wall_pass, r.lens)
        elif which == "post":
            r.post_pass.programs = self.programs[name]
            if "mark" in r.post_pass.programs:
                r.post_pass.antialias(t["image"], t, "ldr", size, True)
            else:
                t["ldr_fbo"].use()
                t["image"].use(0)
                r.post_pass.draw("fxaa", size)
        else:
            lighting = r.lighting_pass
            part = "surface" if which == "lighting" else which
            lighting.programs[lighting.variant("display", part)] = self.programs[name]
            fbo = {"half": "half_fbo", "resolve": "resolve_fbo", "surface": "image_fbo"}[part]
            (ctx.disable if part == "half" else ctx.enable)(ctx.DEPTH_TEST)
            t[fbo].use()
            lighting.draw(t, size, "display", part, view, self.exposure)
            ctx.depth_func = "<"
        ctx.finish()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--base",
        required=True,
        help="the commit whose shaders/ to compare with (or a folder of shaders)",
    )
    ap.add_argument("--pass", dest="which", default="resolve", choices=PASSES)
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--shot", default="3A")
    ap.add_argument("--frame", type=int, default=60)
    ap.add_argument("--width", type=int, default=1280)
    args = ap.parse_args()
    f = _Frame(args.shot, args.frame, args.width)
    sides = {args.base: _sources(args.base), "this tree": _sources(None)}
    if args.which in ("half", "lighting") and "u_led_radiance_lod" in sides[args.base](
        "lighting.glsl"
    ):
        # Before 06b270f the wall's reflections were a cube map; this tree's Python binds a 3D
        # texture there, so the base would sample nothing and time a lighter pass.
        print(
            f"{args.base}: its lighting reads the wall's reflections from a cube map, which this "
            "tree no longer uploads; compare its half or lighting pass from a commit since 06b270f"
        )
        return 2
    for name, source in sides.items():
        f.compile(name, source, args.which)
    ms = {name: [] for name in sides}
    for rnd in range(args.rounds):
        for name in list(sides) if rnd % 2 == 0 else list(sides)[::-1]:
            f.draw(
                name, args.which
            )  # once unmeasured: the other side's draw left other data in cache
            t0 = time.perf_counter()
            f.draw(name, args.which)
            ms[name].append((time.perf_counter() - t0) * 1000.0)
    print(f"date: {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC")
    m = machine()
    print(f"machine: {m['cpu']}, {m['cores']} cores; GL: {f.r.gl_renderer}")
    print(
        f"pass {args.which}, shot {args.shot} frame {args.frame} of {SCENE.name}, {f.r.width}x{f.r.height}, "
        f"median of {args.rounds} rounds, ms"
    )
    base = statistics.median(ms[args.base])
    for name, v in ms.items():
        med = statistics.median(v)
        print(f"  {name:>12}: {med:7.2f}  ({100.0 * (med / base - 1.0):+.0f} %)")
    f.stage.release()
    return 0


if __name__ == "__main__":
    sys.exit(main())
