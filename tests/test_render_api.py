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
