"""Picking from the ID buffer (previs.render.passes.picking): a pick answers what the picture draws
at that pixel, exactly (the set of picked pixels is the set of covered pixels), through the
example scene's characters, set pieces, lights and marks, and nothing on the wall or the floor."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from previs.core import transforms as tf
from previs.core.frame import evaluate
from previs.render.passes.picking import ObjectRef, pick_matrix

ROOT = Path(__file__).resolve().parents[1]

TWO_THINGS = """\
format_version: 2
name: pick test
frame_rate: 24
set:
  - {name: crate, type: box, size_m: [1, 1, 1], translation_m: [-0.8, 0, 0]}
  - {name: drum, type: cylinder, radius_m: 0.3, height_m: 1.2, translation_m: [0.7, 0, -0.5]}
camera: {body: alexa-35, lens_kit: arri-signature-prime}
shots:
  - id: P1
    scene: 1
    length_frames: 1
    camera: {position_m: [0, 0.8, 5], look_at_m: [0, 0.5, 0], focal_length_mm: 40}
"""


def _project(st, size, p) -> tuple[float, float]:
    w, h = size
    c = (
        tf.perspective(st.yfov_rad, w / h, st.near_m, st.far_m)
        @ np.linalg.inv(st.world_from_camera)
        @ np.r_[np.asarray(p, float), 1.0]
    )
    n = c[:3] / c[3]
    return (n[0] + 1) / 2 * w, (1 - n[1]) / 2 * h


def test_pick_matrix_puts_the_point_at_the_centre_of_the_pixel():
    size = (64, 48)
    m = pick_matrix(10.5, 20.5, size)
    # The picture's NDC of that point maps to 0; one pixel to the right maps to 2 (one viewport).
    ndc = np.array([2 * 10.5 / 64 - 1, 1 - 2 * 20.5 / 48, 0.3, 1.0])
    assert np.allclose((m @ ndc)[:2], 0.0)
    right = ndc + np.array([2 / 64, 0, 0, 0])
    assert (m @ right)[0] == pytest.approx(2.0)


def test_every_covered_pixel_picks_and_no_other(tmp_path):
    """Pixel for pixel: the pick hits something exactly where the rendered depth is finite, and
    the nearer object where both cover the pixel."""
    from previs.api import StageRenderer
    from previs.io.scene_file import load_scene

    path = tmp_path / "two.yaml"
    path.write_text(TWO_THINGS)
    scene = load_scene(path)
    st = evaluate(scene, scene.shots[0], 0)
    width = 40
    with StageRenderer(scene, width=width, antialias=False, shadows=False) as r:
        frame = r.render(st, width=width, overlay=False, read_depth=True)
        h, w = frame.depth_m.shape
        picked = np.array(
            [[r.pick(st, x + 0.5, y + 0.5, width=width) for x in range(w)] for y in range(h)]
        )
    covered = np.isfinite(frame.depth_m)
    hit = picked != None  # noqa: E711 (elementwise over object refs)
    assert covered.sum() > 100
    assert np.array_equal(hit, covered)
    names = {ref.name for ref in picked[hit]}
    assert names == {"crate", "drum"}


@pytest.fixture(scope="module")
def stage():
    from previs.api import StageRenderer
    from previs.io.scene_file import load_scene

    scene = load_scene(ROOT / "scenes" / "led_stage.yaml")
    r = StageRenderer(scene, width=640)
    yield scene, r
    r.release()


def test_example_scene_picks_characters_pieces_lights_and_marks(stage):
    scene, r = stage
    st = evaluate(scene, scene.shot("3C"), 0)
    size = st.image_size(640)
    r.render(st, width=640)  # picking between frames leaves the renderer as it was
    for ref, point in [
        (ObjectRef("set_piece", "fuel island"), (1.8, 0.1, -2.8)),
        (ObjectRef("character", "Attendant"), (1.8, 1.0, -2.1)),
        (ObjectRef("character", "Mara"), (0.4, 1.0, -1.6)),
        (ObjectRef("mark", "Attendant/3"), (3.2, 0.0, -2.0)),
    ]:
        assert r.pick(st, *_project(st, size, point), width=640) == ref
    # Nothing on the wall (top of the picture) or the bare floor in front of the set.
    assert r.pick(st, 320, 4, width=640) is None
    assert r.pick(st, *_project(st, size, (-1.5, 0.0, 2.0)), width=640) is None
    # A light's proxy, seen from a camera looking at it.
    key = next(lt for lt in scene.lights if lt.name == "key HMI")
    from dataclasses import replace

    look = replace(st, world_from_camera=tf.look_at((0.0, 2.0, 0.0), key.position_m))
    assert r.pick(look, *_project(look, size, key.position_m), width=640) == ObjectRef(
        "light", "key HMI"
    )
    # The next frame renders as before the picks.
    again = r.render(st, width=640, read_depth=True)
    assert np.isfinite(again.depth_m).any()


def test_floor_ray_snapping_and_plan_pixels():
    from previs.view import editing

    cam = tf.look_at((0.0, 2.0, 5.0), (0.0, 0.0, 0.0))
    o, d = editing.pixel_ray(
        cam, np.radians(40), 16 / 9, 0.5, 0.5
    )  # the centre looks at the origin
    assert np.allclose(editing.ray_plane_y(o, d, 0.0), (0, 0, 0), atol=1e-12)
    # Another pixel: the floor point projects back onto it.
    o, d = editing.pixel_ray(cam, np.radians(40), 16 / 9, 0.3, 0.8)
    p = editing.ray_plane_y(o, d, 0.15)
    assert p[1] == 0.15
    c = tf.perspective(np.radians(40), 16 / 9, 0.1, 100) @ np.linalg.inv(cam) @ np.r_[p, 1]
    assert np.allclose([(c[0] / c[3] + 1) / 2, (1 - c[1] / c[3]) / 2], (0.3, 0.8))
    assert editing.ray_plane_y(o, -d, 0.0) is None  # behind the camera
    assert editing.ray_plane_y(o, np.array([1.0, 0, 0]), 0.0) is None  # parallel
    assert np.allclose(editing.snap_xz((1.024, 0.3, -0.976)), (1.0, 0.3, -1.0))
    assert editing.snap(22.0, 15) == 15 and editing.snap(23.0, 15) == 30
    rect, bounds = (10, 20, 400, 300), (-4.0, -6.0, 4.0, 0.0)
    assert editing.plan_point_m(rect, bounds, 10, 20) == (-4.0, -6.0)  # top-left: upstage left
    assert editing.plan_point_m(rect, bounds, 410, 320) == (4.0, 0.0)
    assert np.allclose(
        editing.plan_pixel(rect, bounds, *editing.plan_point_m(rect, bounds, 123, 45)), (123, 45)
    )


def test_plan_pick_by_the_plans_geometry():
    from previs.io.scene_file import load_scene
    from previs.view.editing import ObjectRef, plan_pick

    scene = load_scene(ROOT / "scenes" / "led_stage.yaml")
    assert plan_pick(scene, "3C", 0.1, -4.3) == ObjectRef("set_piece", "oil drum")
    assert plan_pick(scene, "3C", 1.2, -2.8) == ObjectRef("set_piece", "pump 1")  # on the island
    assert plan_pick(scene, "3C", 0.5, -2.8) == ObjectRef("set_piece", "fuel island")
    assert plan_pick(scene, "3C", 0.4, -1.6) == ObjectRef("character", "Mara")
    assert plan_pick(scene, "3C", 3.2, -2.0) == ObjectRef("mark", "Attendant/3")
    assert plan_pick(scene, "3C", 3.5, 2.5) == ObjectRef("light", "key HMI")
    assert plan_pick(scene, "3C", 9.0, 9.0) is None
