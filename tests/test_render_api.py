"""StageRenderer's API for the blocking window: a per-call render width (adaptive resolution
while the camera moves) and swapping the scene between frames after an edit, with nothing of
the old scene kept."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from previs import api
from previs.core.frame import evaluate

SCENE = Path(__file__).resolve().parents[1] / "scenes" / "led_stage.yaml"


def _diff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(int) - b.astype(int)).mean())


def test_width_per_call_matches_a_renderer_of_that_width(gl_context):
    scene = api.load_scene(SCENE)
    state = evaluate(scene, "3A", 30)
    with api.StageRenderer(scene, width=320, antialias=False) as small:
        want = small.render(state, read_depth=False).color
    with api.StageRenderer(scene, width=480, antialias=False) as r:
        full = r.render(state, read_depth=False).color
        got = r.render(state, read_depth=False, width=320).color
        again = r.render(state, read_depth=False).color
    assert full.shape[1] == 480 and got.shape[1] == 320
    assert got.shape == want.shape  # the height follows the image aspect
    assert _diff(got, want) < 0.5  # inner frustum and all re-rendered for the smaller width
    assert _diff(again, full) < 0.5  # and back to the renderer's own width


def test_swapping_the_scene_renders_the_new_shots(gl_context):
    scene = api.load_scene(SCENE)
    shot = scene.shot("1B")
    moved = replace(shot, camera=replace(shot.camera, position_m=(1.5, 1.6, 3.0)))
    edited = replace(scene, shots=tuple(moved if s.id == "1B" else s for s in scene.shots))
    with api.StageRenderer(edited, width=320, antialias=False) as fresh:
        want = fresh.render(evaluate(edited, "1B", 0), read_depth=False).color
    with api.StageRenderer(scene, width=320, antialias=False) as r:
        before = r.render(evaluate(scene, "1B", 0), read_depth=False).color
        r.scene = edited
        got = r.render(evaluate(edited, "1B", 0), read_depth=False).color
    assert _diff(before, want) > 5  # the edit changes the picture...
    assert _diff(got, want) < 0.5  # ...and the swapped renderer shows exactly the edited scene


def test_swapping_in_another_set_rebuilds_the_world(gl_context):
    scene = api.load_scene(SCENE)
    no_car = replace(scene, set_pieces=tuple(p for p in scene.set_pieces if p.name != "sedan"))
    state = evaluate(scene, "1B", 0)
    with api.StageRenderer(no_car, width=320, antialias=False) as fresh:
        want = fresh.render(evaluate(no_car, "1B", 0), read_depth=False).color
    with api.StageRenderer(scene, width=320, antialias=False) as r:
        before = r.render(state, read_depth=False).color
        r.scene = no_car
        got = r.render(evaluate(no_car, "1B", 0), read_depth=False).color
    assert _diff(before, want) > 1
    assert _diff(got, want) < 0.5


def test_output_width_scales_up_on_the_gpu_as_a_bicubic(gl_context):
    """The animatic's draft: rendered at 320, delivered at 640 by the GPU's Catmull-Rom pass,
    which is PIL's bicubic (a = -0.5) up to the 8-bit rounding; depth stays as rendered."""
    from PIL import Image

    scene = api.load_scene(SCENE)
    state = evaluate(scene, "3A", 30)
    with api.StageRenderer(scene, width=320, antialias=False) as r:
        small = r.render(state, read_depth=False, overlay=False).color
        frame = r.render(state, output_width=640, overlay=False)
        again = r.render(state, read_depth=False, overlay=False).color
        lined = r.render(state, read_depth=False, output_width=640).color
    big = frame.color
    assert big.shape == (*state.image_size(640)[::-1], 3)
    assert frame.depth_m.shape == small.shape[:2]
    size = (big.shape[1], big.shape[0])
    bicubic = np.asarray(Image.fromarray(small).resize(size, Image.BICUBIC))
    nearest = np.asarray(Image.fromarray(small).resize(size, Image.NEAREST))
    inner = (slice(4, -4), slice(4, -4))  # PIL renormalises at the border, the shader clamps
    assert _diff(big[inner], bicubic[inner]) < 0.3
    assert _diff(big[inner], nearest[inner]) > 1.5  # a real filter, not pixel doubling
    assert _diff(again, small) == 0  # the next native frame is untouched
    # Frame lines go on after the upscale: 3 px of pure line colour at the output size, not a
    # blurred 6 px line scaled up from the render.
    white = np.all(lined[:, lined.shape[1] // 2] == 255, axis=1)
    runs = np.diff(np.flatnonzero(np.diff(np.r_[0, white.astype(int), 0])))[::2]
    assert list(runs) == [3, 3], runs


def test_rendering_lets_other_python_threads_run(gl_context, monkeypatch):
    """The animatic's PNG writer runs on a thread: while llvmpipe works, the renderer waits in
    a ctypes glFinish with the GIL released (moderngl itself keeps the GIL while it waits).

    No timing: glFinish is a plain ctypes.CDLL function (those release the GIL by contract), and
    the path the renderer takes to it is shown to let another thread run, by standing a C call
    that waits for that thread (poll on a pipe it writes) where glFinish is."""
    import ctypes
    import os
    import threading

    from previs.render import gl

    fn = gl.gl_finish()
    assert fn is not None and not fn._flags_ & ctypes._FUNCFLAG_PYTHONAPI

    libc = ctypes.CDLL(None)

    class PollFd(ctypes.Structure):
        _fields_ = [("fd", ctypes.c_int), ("events", ctypes.c_short), ("revents", ctypes.c_short)]

    read_fd, write_fd = os.pipe()
    fds = PollFd(read_fd, 1, 0)  # POLLIN
    results, entered = [], threading.Event()

    def waits_for_the_writer():
        entered.set()
        # 20 s guard: returns 1 as soon as the writer runs, 0 only if it never could
        results.append(libc.poll(ctypes.byref(fds), 1, 20_000))

    def writer():
        entered.wait()
        os.write(write_fd, b"x")  # Python code: needs the GIL the waiting call let go

    monkeypatch.setattr(gl, "gl_finish", lambda: waits_for_the_writer)
    th = threading.Thread(target=writer)
    th.start()
    scene = api.load_scene(SCENE)
    try:
        with api.StageRenderer(scene, width=160) as r:
            r.render(evaluate(scene, "3A", 0), read_depth=False)
    finally:
        entered.set()
        th.join()
        os.close(read_fd)
        os.close(write_fd)
    assert results and results[0] == 1, results


def test_a_depth_only_probe_sees_the_same_depth_without_rendering_the_wall(gl_context):
    """previs check's probe: the same depth as a full StageRenderer (the panels are drawn), but
    no wall content, wall light or inner frustum is ever rendered."""
    scene = api.load_scene(SCENE)
    state = evaluate(scene, "3A", 40)
    with api.StageRenderer(scene, width=96, antialias=False, shadows=False) as full:
        want = full.render(state).depth_m
        assert full._wall is not None and full.inner_frustum_renders == 1
    with api.StageRenderer(
        scene, width=96, antialias=False, shadows=False, depth_only=True
    ) as probe:
        got = probe.render(state).depth_m
        assert probe._wall is None and probe.inner_frustum_renders == 0
    np.testing.assert_array_equal(np.isfinite(got), np.isfinite(want))
    assert np.isfinite(want).mean() > 0.5
    np.testing.assert_allclose(got[np.isfinite(got)], want[np.isfinite(want)], rtol=1e-6)


def test_a_uniform_is_set_again_only_when_it_changes_and_never_left_stale(gl_context):
    """The renderer skips a uniform value its program already holds. What GL holds (read back
    from the program) always follows the last value given, including after an array, which is
    never remembered, replaced a remembered tuple."""
    from previs.render import gl

    with gl_context:  # (another renderer may have left its own context current)
        prog = gl_context.program(
            vertex_shader="#version 330\nvoid main() { gl_Position = vec4(0.0); }",
            fragment_shader="#version 330\nuniform vec2 u_v; out vec4 o; void main() { o = vec4(u_v, 0.0, 1.0); }",
        )
        member = prog["u_v"]
        for value in [
            (1.0, 2.0),
            (1.0, 2.0),
            (3.0, 4.0),
            np.array([5.0, 6.0]),
            (3.0, 4.0),
            (3.0, 4.0),
        ]:
            gl.uniform(prog, "u_v", value)
            assert member.value == tuple(float(v) for v in value)
        gl.write(prog, "u_v", np.array([7.0, 8.0], "f4").tobytes())
        assert member.value == (7.0, 8.0)
        gl.uniform(prog, "u_v", (3.0, 4.0))  # last remembered as bytes: a different type, so set
        assert member.value == (3.0, 4.0)
        prog.release()


def test_the_floor_is_drawn_after_what_stands_on_it(gl_context):
    """Opaque batches go front to back by their bounds' farthest corner: a crate standing on a
    large floor is drawn first, so the floor under it fails the early depth test instead of being
    shaded and then overdrawn (by the nearest point the floor, right under the camera, went
    first). Fewer fragments pass the depth test than in the floor-first order."""
    from previs.core import transforms as tf
    from previs.io.meshes import primitive_asset
    from previs.render import CameraView, DrawItem, Renderer, gl

    floor = primitive_asset("plane", size_m=(20.0, 20.0), key="floor")
    crate = primitive_asset("box", size_m=(1.0, 1.0, 1.0), key="crate")
    eye = np.array([0.0, 1.7, 3.0])
    view = CameraView(tf.look_at(eye, (0.0, 0.5, 0.0), (0.0, 1.0, 0.0)), 0.8, 1.5, 0.05, 100.0)
    with Renderer(96, 64, antialias=False, ctx=gl_context) as r:
        r.set_world([DrawItem(floor, np.eye(4)), DrawItem(crate, np.eye(4))], [])
        geometry = r.geometry_pass
        order = geometry.draw_order(eye)
        assert [b.material.key for b in order][:2] == [
            crate.parts[0].material.key,
            floor.parts[0].material.key,
        ]

        def shaded(batches) -> int:
            with r.ctx:
                r.targets["gbuffer"].use()
                r.targets["gbuffer"].clear(depth=1.0)
                r.ctx.enable(r.ctx.DEPTH_TEST)
                for p in {id(b.vao.program): b.vao.program for b in batches}.values():
                    gl.write(p, "u_clip_from_world", view.clip_from_world.T.astype("f4").tobytes())
                query = r.ctx.query(samples=True)
                with query:
                    geometry.draw_batches(batches)
                r.ctx.disable(r.ctx.DEPTH_TEST)
                return query.samples

        assert shaded(order) < shaded(order[::-1])


def test_wall_content_cube_is_the_film_curve_of_the_captured_light(gl_context):
    """The wall content's cube faces are wall signal made on the GPU (capture_cube(signal=True),
    the world forward-shaded under its one sun): the display curve of shaders/display.glsl,
    written out here, applied to the linear light the same capture gives, within half-float
    steps (and a few shadow-edge texels, where the forward pass has exact positions)."""
    from previs.core.frame import evaluate

    scene = api.load_scene(Path(__file__).resolve().parents[1] / "scenes" / "led_stage.yaml")
    with api.StageRenderer(scene, width=320, antialias=False) as stage:
        stage.render(
            evaluate(scene, "3C", 40), read_depth=False
        )  # the world and sun as the shot sets them
        wall = stage._wall
        r = wall._renderer
        x = r.capture_cube(wall.eye_m, size=64) * 0.8
        want = np.clip((x * (2.51 * x + 0.03)) / (x * (2.43 * x + 0.59) + 0.14), 0.0, 1.0)
        for forward in (False, True):
            r.forward_signal = forward
            r.pass_ms = {}  # (timing names the passes: which path ran)
            signal = r.capture_cube(wall.eye_m, size=64, signal=True).astype(np.float32)
            assert ("forward (filmic)" in r.pass_ms) == forward, r.pass_ms
            r.pass_ms = None
            diff = np.abs(signal - want)
            assert diff.mean() < 2e-3, (forward, diff.mean())
            assert np.percentile(diff, 99) < 4e-3 and (diff > 0.05).mean() < 0.002, (
                forward,
                diff.max(),
            )
        assert 0.2 < want.mean() < 0.9 and want.std() > 0.05  # a sky and a world, not a flat fill
