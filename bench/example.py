"""The example stage as the speed benchmarks render it."""

from __future__ import annotations

import dataclasses
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENE = ROOT / "scenes" / "led_stage.yaml"


def example_scene_16x9():
    """scenes/led_stage.yaml recorded in the ALEXA 35's 4.6K 16:9 mode instead of its 3:2 open
    gate, so frames 1280 px wide are exactly 1280x720."""
    from previs import api

    scene = api.load_scene(SCENE)
    return dataclasses.replace(scene, camera=dataclasses.replace(scene.camera, mode="4.6k-16-9"))
